//! Seeded random numbers that reproduce PyTorch's CPU generator.
//!
//! PyTorch's CPU generator is a 32-bit Mersenne Twister (mt19937) plus a
//! one-value cache for the second half of a Box-Muller pair. Every sampler
//! here consumes the stream in the same order and with the same arithmetic
//! as the corresponding ATen CPU kernel, so that after the same seed and the
//! same sequence of calls the outputs agree bit for bit with `torch.rand`,
//! `torch.randn`, `torch.randint` and `torch.randperm` on a contiguous CPU
//! tensor of the same dtype.
//!
//! Transcendental functions (`ln`, `ln_1p`, `sin`, `cos`) go through the
//! platform libm, as they do in PyTorch, so bit-exactness of normal samples
//! holds when both run against the same libm (glibc on Linux).

use crate::error::{Error, Result};
use parking_lot::Mutex;
use std::f64::consts::PI;
use std::sync::{Arc, OnceLock};

/// Seed of a freshly constructed `torch.Generator()`.
pub const DEFAULT_RNG_SEED: u64 = 67_280_421_310_721;

/// Below this many elements `normal_` samples pair by pair in double
/// precision; from here on it fills blocks of 16 in the tensor's dtype.
const NORMAL_FILL_MIN: usize = 16;

/// `randint` ranges at least this wide draw 64 bits per sample, narrower ones
/// 32 bits (PyTorch accepts the small modulo bias below this size).
const RANDINT_WIDE_RANGE: u64 = 1 << 28;

/// `randperm` switches from a 32-bit swap shuffle to a 64-bit inside-out
/// shuffle at this length (`u32::MAX / 20` in PyTorch).
const RANDPERM_WIDE_N: usize = (u32::MAX / 20) as usize;

/// What `random_()` without bounds draws from, by element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultRange {
    Bool,
    Int64,
    /// An integer type narrower than int64 whose largest value is `max` (32-bit draws).
    Narrow { max: u32 },
    /// A float type with `digits` mantissa bits; `wide` for double (64-bit draws).
    Mantissa { digits: u32, wide: bool },
}

// ---------------------------------------------------------------------------
// mt19937
// ---------------------------------------------------------------------------

const MT_N: usize = 624;
const MT_M: usize = 397;
const MT_MATRIX_A: u32 = 0x9908_b0df;
const MT_UPPER: u32 = 0x8000_0000;
const MT_LOWER: u32 = 0x7fff_ffff;

/// The standard 32-bit Mersenne Twister (Matsumoto & Nishimura, 2002 init),
/// with its position kept as ATen keeps it (`left`, `next`), so the state
/// serialises to the same bytes as PyTorch's.
#[derive(Clone)]
struct Mt19937 {
    state: [u32; MT_N],
    /// Draws left before the block must be twisted again, plus one:
    /// 1 means "twist before the next draw".
    left: u32,
    /// Next word of `state` to temper.
    next: u32,
    /// Set by seeding; carried through the state bytes.
    seeded: bool,
}

impl Mt19937 {
    /// `init_genrand`. Only the low 32 bits of the seed reach the state,
    /// exactly as in ATen (the full 64-bit value is still reported by
    /// `initial_seed`).
    fn new(seed: u64) -> Self {
        let mut state = [0u32; MT_N];
        state[0] = seed as u32;
        for j in 1..MT_N {
            let prev = state[j - 1];
            state[j] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(j as u32);
        }
        Mt19937 { state, left: 1, next: 0, seeded: true }
    }

    /// Twist the whole state block (the reference three-loop form, which
    /// avoids index wrap-around arithmetic).
    fn regenerate(&mut self) {
        fn twist(upper: u32, lower: u32) -> u32 {
            let y = (upper & MT_UPPER) | (lower & MT_LOWER);
            (y >> 1) ^ if lower & 1 == 0 { 0 } else { MT_MATRIX_A }
        }
        let s = &mut self.state;
        for k in 0..MT_N - MT_M {
            s[k] = s[k + MT_M] ^ twist(s[k], s[k + 1]);
        }
        for k in MT_N - MT_M..MT_N - 1 {
            s[k] = s[k + MT_M - MT_N] ^ twist(s[k], s[k + 1]);
        }
        s[MT_N - 1] = s[MT_M - 1] ^ twist(s[MT_N - 1], s[0]);
        self.left = MT_N as u32;
        self.next = 0;
    }

    fn next_u32(&mut self) -> u32 {
        self.left -= 1;
        if self.left == 0 {
            self.regenerate();
        }
        // `next` < MT_N: it is reset with every twist and a block holds
        // exactly MT_N draws (checked on `set_state` as well).
        let mut y = self.state[self.next as usize];
        self.next += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^= y >> 18;
        y
    }
}

// ---------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------

/// A PyTorch-compatible CPU random generator.
///
/// Cloning snapshots the full state (like `get_rng_state`/`set_rng_state`).
#[derive(Clone)]
pub struct Generator {
    mt: Mt19937,
    initial_seed: u64,
    /// Second output of the last double-precision Box-Muller pair, handed out
    /// by the next small `normal_` call. Reset by reseeding.
    next_normal: Option<f64>,
    /// PyTorch's single-precision counterpart. No CPU sampler uses it; it is
    /// kept so that a state set from PyTorch's bytes reads back unchanged.
    next_float_normal: Option<f32>,
}

impl Default for Generator {
    /// Same as `torch.Generator()`: seeded with [`DEFAULT_RNG_SEED`].
    fn default() -> Self {
        Generator::new(DEFAULT_RNG_SEED)
    }
}

impl std::fmt::Debug for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generator")
            .field("initial_seed", &self.initial_seed)
            .finish_non_exhaustive()
    }
}

impl Generator {
    /// A generator seeded with `seed` (`torch.Generator().manual_seed(seed)`).
    pub fn new(seed: u64) -> Self {
        Generator {
            mt: Mt19937::new(seed),
            initial_seed: seed,
            next_normal: None,
            next_float_normal: None,
        }
    }

    /// Restart the stream from `seed` and drop any cached normal sample.
    pub fn manual_seed(&mut self, seed: u64) {
        *self = Generator::new(seed);
    }

    /// Reseed from a nondeterministic source and return the new seed
    /// (`torch.seed()`).
    pub fn seed(&mut self) -> u64 {
        let seed = nondeterministic_seed();
        self.manual_seed(seed);
        seed
    }

    /// The seed given to the last `new`/`manual_seed`/`seed`.
    pub fn initial_seed(&self) -> u64 {
        self.initial_seed
    }

    /// One 32-bit draw (ATen `random()`).
    pub fn random_u32(&mut self) -> u32 {
        self.mt.next_u32()
    }

    /// Two 32-bit draws, first one in the high half (ATen `random64()`).
    pub fn random_u64(&mut self) -> u64 {
        let hi = self.mt.next_u32() as u64;
        let lo = self.mt.next_u32() as u64;
        (hi << 32) | lo
    }

    /// 24 random mantissa bits scaled into [0, 1) (ATen's float uniform).
    pub fn unit_f32(&mut self) -> f32 {
        (self.random_u32() & ((1 << 24) - 1)) as f32 * (1.0 / (1u32 << 24) as f32)
    }

    /// 53 random mantissa bits scaled into [0, 1) (ATen's double uniform).
    pub fn unit_f64(&mut self) -> f64 {
        (self.random_u64() & ((1 << 53) - 1)) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `torch.rand`/`uniform_(from, to)` for float32. Values land in
    /// [from, to): a sample that rounds up to `to` is replaced by `from`,
    /// as PyTorch does.
    ///
    /// The caller must ensure `from <= to` and both are finite (PyTorch
    /// raises otherwise); other inputs give meaningless values, no panic.
    pub fn fill_uniform_f32(&mut self, out: &mut [f32], from: f32, to: f32) {
        self.uniform_f32_with(out, from, to, kernels());
    }

    fn uniform_f32_with(&mut self, out: &mut [f32], from: f32, to: f32, k: Kernels) {
        let span = to - from;
        let fused = k.fused;
        for v in out.iter_mut() {
            let x = mul_add_f32(self.unit_f32(), span, from, fused);
            *v = if x == to { from } else { x };
        }
    }

    /// `torch.rand`/`uniform_(from, to)` for float64.
    pub fn fill_uniform_f64(&mut self, out: &mut [f64], from: f64, to: f64) {
        self.uniform_f64_with(out, from, to, kernels());
    }

    fn uniform_f64_with(&mut self, out: &mut [f64], from: f64, to: f64, k: Kernels) {
        let span = to - from;
        let fused = k.fused;
        for v in out.iter_mut() {
            let x = mul_add_f64(self.unit_f64(), span, from, fused);
            *v = if x == to { from } else { x };
        }
    }

    /// One standard normal sample from the double-precision Box-Muller pair
    /// path (ATen `normal_distribution<double>`), using the cache.
    fn standard_normal_f64(&mut self) -> f64 {
        if let Some(z) = self.next_normal.take() {
            return z;
        }
        let u1 = self.unit_f64();
        let u2 = self.unit_f64();
        // log1p(-u2) keeps precision for small u2 and is finite since u2 < 1.
        let r = (-2.0 * (-u2).ln_1p()).sqrt();
        let theta = 2.0 * PI * u1;
        self.next_normal = Some(r * theta.sin());
        r * theta.cos()
    }

    /// `torch.randn`/`normal_(mean, std)` for float32.
    ///
    /// Pass the whole tensor in one call: PyTorch picks the algorithm from
    /// the element count (16 or more: blockwise fill in the tensor's dtype).
    /// The caller must ensure `std >= 0` (PyTorch raises otherwise).
    ///
    /// Fewer than 16 elements are sampled in double precision with `mean`
    /// and `std` as given; blocks use them rounded to float32, as PyTorch does.
    pub fn fill_normal_f32(&mut self, out: &mut [f32], mean: f64, std: f64) {
        self.normal_f32_with(out, mean, std, BlockDraws::AllFirst, kernels());
    }

    /// [`Generator::fill_normal_f32`] as PyTorch computes float16/bfloat16
    /// tensors (in float32, rounded by the caller): each block's uniforms
    /// are drawn just before it is transformed, so unlike float32 the
    /// `len % 16` leftover uniforms are never drawn.
    pub fn fill_normal_f32_for_16bit(&mut self, out: &mut [f32], mean: f64, std: f64) {
        self.normal_f32_with(out, mean, std, BlockDraws::PerBlock, kernels());
    }

    fn normal_f32_with(&mut self, out: &mut [f32], mean: f64, std: f64, draws: BlockDraws, k: Kernels) {
        if out.len() < NORMAL_FILL_MIN {
            let fused = k.fused;
            for v in out.iter_mut() {
                *v = mul_add_f64(self.standard_normal_f64(), std, mean, fused) as f32;
            }
            return;
        }
        let (mean, std) = (mean as f32, std as f32);
        let block_fn = if k.avx2 {
            box_muller_16_f32_avx2
        } else {
            box_muller_16_f32
        };
        if draws == BlockDraws::AllFirst {
            for v in out.iter_mut() {
                *v = self.unit_f32();
            }
        }
        let n = out.len();
        for block in out.chunks_exact_mut(16) {
            if draws == BlockDraws::PerBlock {
                for v in block.iter_mut() {
                    *v = self.unit_f32();
                }
            }
            block_fn(block, mean, std);
        }
        if !n.is_multiple_of(16) {
            // The tail is covered by redrawing and recomputing the last 16,
            // overwriting some already finished values.
            let tail = &mut out[n - 16..];
            for v in tail.iter_mut() {
                *v = self.unit_f32();
            }
            block_fn(tail, mean, std);
        }
    }

    /// `torch.randn`/`normal_(mean, std)` for float64 (same rules as
    /// [`Generator::fill_normal_f32`]).
    pub fn fill_normal_f64(&mut self, out: &mut [f64], mean: f64, std: f64) {
        self.normal_f64_with(out, mean, std, kernels());
    }

    fn normal_f64_with(&mut self, out: &mut [f64], mean: f64, std: f64, k: Kernels) {
        if out.len() < NORMAL_FILL_MIN {
            let fused = k.fused;
            for v in out.iter_mut() {
                *v = mul_add_f64(self.standard_normal_f64(), std, mean, fused);
            }
            return;
        }
        for v in out.iter_mut() {
            *v = self.unit_f64();
        }
        let n = out.len();
        for block in out.chunks_exact_mut(16) {
            box_muller_16_f64(block, mean, std);
        }
        if !n.is_multiple_of(16) {
            let tail = &mut out[n - 16..];
            for v in tail.iter_mut() {
                *v = self.unit_f64();
            }
            box_muller_16_f64(tail, mean, std);
        }
    }

    /// `torch.randint(low, high, size)` for int64: uniform in [low, high).
    ///
    /// The caller must reject `high <= low` (PyTorch raises); for such an
    /// empty range `out` is left untouched and no randomness is consumed.
    pub fn fill_randint_i64(&mut self, out: &mut [i64], low: i64, high: i64) {
        if high <= low {
            return;
        }
        let range = (high as u64).wrapping_sub(low as u64);
        for v in out.iter_mut() {
            *v = self.int_from_to(range, low);
        }
    }

    /// One sample of `base + (draw % range)` (ATen `uniform_int_from_to`):
    /// `range` is the count of values, at least 1 (the full 2^64 span is
    /// [`Generator::int_full_range`]). Sums wrap as ATen's unsigned sum does.
    pub fn int_from_to(&mut self, range: u64, base: i64) -> i64 {
        let draw = if range >= RANDINT_WIDE_RANGE {
            self.random_u64()
        } else {
            self.random_u32() as u64
        };
        (draw % range.max(1)).wrapping_add(base as u64) as i64
    }

    /// One sample over every int64 value (`random_(-2**63)` with no `to`).
    pub fn int_full_range(&mut self) -> i64 {
        self.random_u64() as i64
    }

    /// One sample of `random_()` with no bounds: uniform over
    /// [0, 2^digits] for a float type with `digits` mantissa bits, over
    /// [0, max] for an integer type, and {0, 1} for bool.
    pub fn int_default_range(&mut self, kind: DefaultRange) -> i64 {
        match kind {
            DefaultRange::Bool => (self.random_u32() & 1) as i64,
            DefaultRange::Int64 => (self.random_u64() % (i64::MAX as u64 + 1)) as i64,
            DefaultRange::Narrow { max } => (u64::from(self.random_u32()) % (u64::from(max) + 1)) as i64,
            // float32 and narrower draw 32 bits, double 64 (ATen picks the
            // draw width by the element type, not by the range).
            DefaultRange::Mantissa { digits, wide } => {
                let draw = if wide { self.random_u64() } else { self.random_u32() as u64 };
                (draw % ((1u64 << digits) + 1)) as i64
            }
        }
    }

    /// One sample of the double-precision pairwise normal path
    /// (`normal_distribution<double>`, shared cache included), scaled.
    pub fn normal_f64(&mut self, mean: f64, std: f64) -> f64 {
        mul_add_f64(self.standard_normal_f64(), std, mean, kernels().fused)
    }

    /// One exponential sample with rate `lambda` (ATen's CPU formula
    /// `-1/lambda * log1p(-u)` with a 53-bit uniform `u`).
    pub fn exponential_f64(&mut self, lambda: f64) -> f64 {
        let u = self.unit_f64();
        (-1.0 / lambda) * (-u).ln_1p()
    }

    /// One Bernoulli draw with a double probability (53-bit uniform).
    pub fn bernoulli_f64(&mut self, p: f64) -> bool {
        self.unit_f64() < p
    }

    /// One Bernoulli draw with a float probability (24-bit uniform), as
    /// ATen does when the probabilities are a float32/16-bit tensor.
    pub fn bernoulli_f32(&mut self, p: f32) -> bool {
        self.unit_f32() < p
    }

    /// `torch.randperm(n)`: a uniformly random permutation of `0..n`.
    /// Fails (drawing nothing) when the machine cannot hold `n` indices.
    pub fn randperm(&mut self, n: usize) -> Result<Vec<i64>> {
        if n < RANDPERM_WIDE_N {
            // Forward Fisher-Yates; position i swaps with i + (draw % (n - i)).
            let mut perm = crate::storage::collect_vec(n, 0..n as i64)?;
            for i in 0..n.saturating_sub(1) {
                let z = self.random_u32() as usize % (n - i);
                perm.swap(i, i + z);
            }
            Ok(perm)
        } else {
            // Inside-out Fisher-Yates with 64-bit draws, so the modulo bias
            // stays negligible for huge n.
            let mut perm = crate::storage::filled_vec(n, 0i64)?;
            for i in 0..n {
                let z = (self.random_u64() % (i as u64 + 1)) as usize;
                perm[i] = perm[z];
                perm[z] = i as i64;
            }
            Ok(perm)
        }
    }
}

// ---------------------------------------------------------------------------
// State bytes
// ---------------------------------------------------------------------------
//
// The layout of PyTorch's `CPUGeneratorImplState` on a 64-bit little-endian
// machine, so `get_state` bytes can go to and from `torch.Generator`:
// seed u64 | left i32 | seeded i32 | next u64 | state: 624 x u64 |
// normal_x, normal_y, normal_rho f64 | normal_is_valid i32 | pad 4 |
// next_float_normal f32 | its valid flag u8 | pad 3.

/// Size in bytes of a generator state (`Generator.get_state().numel()`).
pub const STATE_SIZE: usize = 5056;

const STATE_WORDS_AT: usize = 24;
const NORMAL_Y_AT: usize = STATE_WORDS_AT + MT_N * 8 + 8;
const NORMAL_VALID_AT: usize = NORMAL_Y_AT + 16;
const FLOAT_NORMAL_AT: usize = NORMAL_VALID_AT + 8;
const FLOAT_NORMAL_VALID_AT: usize = FLOAT_NORMAL_AT + 4;

fn read_array<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[at..at + N]);
    out
}

impl Generator {
    /// The full state as PyTorch's bytes (see [`STATE_SIZE`]).
    pub fn state_bytes(&self) -> Vec<u8> {
        let mut b = vec![0u8; STATE_SIZE];
        b[0..8].copy_from_slice(&self.initial_seed.to_le_bytes());
        b[8..12].copy_from_slice(&(self.mt.left as i32).to_le_bytes());
        b[12..16].copy_from_slice(&(self.mt.seeded as i32).to_le_bytes());
        b[16..24].copy_from_slice(&(self.mt.next as u64).to_le_bytes());
        for (i, w) in self.mt.state.iter().enumerate() {
            let at = STATE_WORDS_AT + 8 * i;
            b[at..at + 8].copy_from_slice(&(*w as u64).to_le_bytes());
        }
        if let Some(y) = self.next_normal {
            b[NORMAL_Y_AT..NORMAL_Y_AT + 8].copy_from_slice(&y.to_le_bytes());
            b[NORMAL_VALID_AT..NORMAL_VALID_AT + 4].copy_from_slice(&1i32.to_le_bytes());
        }
        if let Some(f) = self.next_float_normal {
            b[FLOAT_NORMAL_AT..FLOAT_NORMAL_AT + 4].copy_from_slice(&f.to_le_bytes());
            b[FLOAT_NORMAL_VALID_AT] = 1;
        }
        b
    }

    /// Restores a state from [`Generator::state_bytes`] (or PyTorch's).
    /// Checks the size and that the stream position is one the generator
    /// can reach; the generator is unchanged on error.
    pub fn set_state_bytes(&mut self, bytes: &[u8]) -> Result<()> {
        if bytes.len() != STATE_SIZE {
            return Err(Error::runtime(format!(
                "Expected a CPUGeneratorImplState of size {STATE_SIZE} but found the input RNG state size to be {}",
                bytes.len()
            )));
        }
        let left = i32::from_le_bytes(read_array(bytes, 8));
        let next = u64::from_le_bytes(read_array(bytes, 16));
        // The next `left - 1` draws read words next.. before the block is
        // twisted again: they must stay inside the block.
        let position_ok = (1..=MT_N as i64).contains(&(left as i64)) && next.checked_add(left as u64).is_some_and(|end| end <= MT_N as u64 + 1);
        if !position_ok {
            return Err(Error::runtime(format!(
                "Invalid generator state: stream position left={left}, next={next} is outside the {MT_N}-word block"
            )));
        }
        let mut state = [0u32; MT_N];
        for (i, w) in state.iter_mut().enumerate() {
            // The words are 32-bit values stored in 64-bit slots.
            *w = u64::from_le_bytes(read_array(bytes, STATE_WORDS_AT + 8 * i)) as u32;
        }
        let normal_valid = i32::from_le_bytes(read_array(bytes, NORMAL_VALID_AT)) != 0;
        let float_valid = bytes[FLOAT_NORMAL_VALID_AT] != 0;
        *self = Generator {
            mt: Mt19937 {
                state,
                left: left as u32,
                next: next as u32,
                seeded: i32::from_le_bytes(read_array(bytes, 12)) != 0,
            },
            initial_seed: u64::from_le_bytes(read_array(bytes, 0)),
            next_normal: normal_valid.then(|| f64::from_le_bytes(read_array(bytes, NORMAL_Y_AT))),
            next_float_normal: float_valid.then(|| f32::from_le_bytes(read_array(bytes, FLOAT_NORMAL_AT))),
        };
        Ok(())
    }
}

/// Box-Muller over one block of 16 uniforms in float32, as PyTorch's x86
/// AVX2 kernel computes it (`log256_ps`, `sincos256_ps`, float angle).
fn box_muller_16_f32_avx2(block: &mut [f32], mean: f32, std: f32) {
    const TWO_PI: f32 = (2.0 * PI) as f32;
    for j in 0..8 {
        let u1 = 1.0 - block[j];
        let u2 = block[j + 8];
        let radius = (-2.0 * cephes_logf(u1)).sqrt();
        let (sin, cos) = cephes_sincosf(TWO_PI * u2);
        block[j] = (radius * cos).mul_add(std, mean);
        block[j + 8] = (radius * sin).mul_add(std, mean);
    }
}

/// Box-Muller over one block of 16 uniforms in float32: pairs (j, j + 8).
fn box_muller_16_f32(block: &mut [f32], mean: f32, std: f32) {
    for j in 0..8 {
        let u1 = 1.0 - block[j]; // (0, 1], safe for ln
        let u2 = block[j + 8];
        let radius = (-2.0 * u1.ln()).sqrt();
        // The angle is formed in double and then rounded to float, matching
        // PyTorch's `2.0f * pi<double> * u2`.
        let theta = (2.0 * PI * u2 as f64) as f32;
        block[j] = (radius * theta.cos()).mul_add(std, mean);
        block[j + 8] = (radius * theta.sin()).mul_add(std, mean);
    }
}

/// Box-Muller over one block of 16 uniforms in float64: pairs (j, j + 8).
fn box_muller_16_f64(block: &mut [f64], mean: f64, std: f64) {
    for j in 0..8 {
        let u1 = 1.0 - block[j];
        let u2 = block[j + 8];
        let radius = (-2.0 * u1.ln()).sqrt();
        let theta = 2.0 * PI * u2;
        block[j] = (radius * theta.cos()).mul_add(std, mean);
        block[j + 8] = (radius * theta.sin()).mul_add(std, mean);
    }
}

// ---------------------------------------------------------------------------
// Cephes-style float log and sincos, lane by lane
// ---------------------------------------------------------------------------
//
// PyTorch's AVX2 normal kernel uses the `avx_mathfun` polynomials, compiled
// by GCC with FMA contraction: every product feeding only an add/sub
// becomes one fused operation. The scalar code below performs the same
// IEEE operations in the same order, so each lane is reproduced exactly.

/// Natural log for x in (0, 1] (positive normal range in general).
// The coefficients keep their published decimal spelling.
#[allow(clippy::excessive_precision)]
fn cephes_logf(x: f32) -> f32 {
    const SQRTHF: f32 = std::f32::consts::FRAC_1_SQRT_2;
    const P: [f32; 9] = [
        7.037_683_629_2e-2,
        -1.151_461_031_0e-1,
        1.167_699_874_0e-1,
        -1.242_014_084_6e-1,
        1.424_932_278_7e-1,
        -1.666_805_766_5e-1,
        2.000_071_476_5e-1,
        -2.499_999_399_3e-1,
        3.333_333_117_4e-1,
    ];
    const Q1: f32 = -2.121_944_40e-4;
    const Q2: f32 = 0.693_359_375;

    if x <= 0.0 {
        return f32::NAN;
    }
    // Split into exponent e and mantissa m in [0.5, 1).
    let x = x.max(f32::MIN_POSITIVE);
    let bits = x.to_bits();
    let mut e = (((bits >> 23) as i32) - 0x7f) as f32 + 1.0;
    let m = f32::from_bits((bits & !0x7f80_0000) | 0.5f32.to_bits());
    // Re-centre the mantissa around 1 so the polynomial sees |x| < 0.42.
    let x = if m < SQRTHF {
        e -= 1.0;
        (m - 1.0) + m
    } else {
        m - 1.0
    };
    let z = x * x;
    let mut y = P[0];
    for &p in &P[1..] {
        y = y.mul_add(x, p);
    }
    y *= x;
    let y = y.mul_add(z, e * Q1);
    let y = (-z).mul_add(0.5, y);
    e.mul_add(Q2, x + y)
}

/// (sin x, cos x) for moderate |x| (here the angle is in [0, 2*pi)).
#[allow(clippy::excessive_precision)]
fn cephes_sincosf(x: f32) -> (f32, f32) {
    const FOPI: f32 = 1.273_239_544_735_16; // 4 / pi
    const DP1: f32 = -0.785_156_25;
    const DP2: f32 = -2.418_756_484_985_351_562_5e-4;
    const DP3: f32 = -3.774_894_977_445_941_08e-8;
    const SIN: [f32; 3] = [-1.951_529_589_1e-4, 8.332_160_873_6e-3, -1.666_665_461_1e-1];
    const COS: [f32; 3] = [
        2.443_315_711_809_948e-5,
        -1.388_731_625_493_765e-3,
        4.166_664_568_298_827e-2,
    ];

    let sign_in = x.to_bits() & 0x8000_0000;
    let ax = x.abs();
    // Octant index rounded up to even; the reduced argument is in [-pi/4, pi/4].
    let q = (((ax * FOPI) as i32).wrapping_add(1)) & !1;
    let qf = q as f32;
    let r = qf.mul_add(DP1, ax);
    let r = qf.mul_add(DP2, r);
    let r = qf.mul_add(DP3, r);

    let sin_sign = sign_in ^ (((q & 4) as u32) << 29);
    let cos_sign = ((!(q.wrapping_sub(2)) & 4) as u32) << 29;
    let use_sin_poly = q & 2 == 0;

    let z = r * r;
    let yc = COS[0].mul_add(z, COS[1]).mul_add(z, COS[2]) * z;
    let yc = yc.mul_add(z, -(z * 0.5)) + 1.0;
    let ys = SIN[0].mul_add(z, SIN[1]).mul_add(z, SIN[2]) * z;
    let ys = ys.mul_add(r, r);

    // Blend the two polynomials with the same adds as the SIMD code
    // (keeps the sign of zero identical).
    let (s_from_sin, s_from_cos) = if use_sin_poly { (ys, 0.0) } else { (0.0, yc) };
    let sin = s_from_cos + s_from_sin;
    let cos = (yc - s_from_cos) + (ys - s_from_sin);
    (
        f32::from_bits(sin.to_bits() ^ sin_sign),
        f32::from_bits(cos.to_bits() ^ cos_sign),
    )
}

/// When the blockwise normal path draws its uniforms.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BlockDraws {
    /// All of them before the first block (float32, float64).
    AllFirst,
    /// Sixteen before each block (16-bit floats).
    PerBlock,
}

/// Which build of PyTorch's CPU kernels the results should follow.
#[derive(Clone, Copy)]
struct Kernels {
    /// The AVX2 build (vectorised float32 Box-Muller).
    avx2: bool,
    /// `a * b + c` in the kernels is one fused multiply-add. GCC contracts
    /// it whenever the build targets FMA hardware; PyTorch's baseline x86
    /// build does not.
    fused: bool,
}

/// Mirrors PyTorch's CPU dispatch: x86-64 with AVX2 and FMA runs the AVX2
/// build (AVX-512 machines fall back to it for these kernels), unless
/// `ATEN_CPU_CAPABILITY=default` selects the baseline build, as it does in
/// PyTorch. Other architectures are assumed to run the portable code with
/// contraction (compilers fuse by default where FMA is baseline; not
/// checked against PyTorch there).
fn kernels() -> Kernels {
    static KERNELS: OnceLock<Kernels> = OnceLock::new();
    *KERNELS.get_or_init(|| {
        let forced_default =
            std::env::var("ATEN_CPU_CAPABILITY").is_ok_and(|v| v.eq_ignore_ascii_case("default"));
        #[cfg(target_arch = "x86_64")]
        {
            let avx2 = !forced_default
                && std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma");
            Kernels { avx2, fused: avx2 }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = forced_default;
            Kernels {
                avx2: false,
                fused: true,
            }
        }
    })
}

fn mul_add_f32(a: f32, b: f32, c: f32, fused: bool) -> f32 {
    if fused {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

fn mul_add_f64(a: f64, b: f64, c: f64, fused: bool) -> f64 {
    if fused {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// A seed that differs between processes and calls (PyTorch reads
/// /dev/urandom). `RandomState` is seeded from the OS; mixing in the time
/// guards against platforms where it is not.
fn nondeterministic_seed() -> u64 {
    use std::hash::BuildHasher;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    std::collections::hash_map::RandomState::new().hash_one(nanos)
}

// ---------------------------------------------------------------------------
// Process-wide default generator
// ---------------------------------------------------------------------------

/// A generator several owners (and threads) use: every sampler locks it for
/// the whole of one call, so a call's draws are consecutive in the stream.
pub type SharedGenerator = Arc<Mutex<Generator>>;

/// `g` made shareable.
pub fn new_shared(g: Generator) -> SharedGenerator {
    Arc::new(Mutex::new(g))
}

/// The process-wide default generator (what `torch.manual_seed` seeds).
///
/// Like PyTorch's default CPU generator it starts from a nondeterministic
/// seed; call [`manual_seed`] for reproducible streams.
pub fn default_generator() -> &'static SharedGenerator {
    static DEFAULT: OnceLock<SharedGenerator> = OnceLock::new();
    DEFAULT.get_or_init(|| Arc::new(Mutex::new(Generator::new(nondeterministic_seed()))))
}

/// Reseed the default generator (`torch.manual_seed`).
pub fn manual_seed(seed: u64) {
    default_generator().lock().manual_seed(seed);
}

/// Seed of the default generator (`torch.initial_seed`).
pub fn initial_seed() -> u64 {
    default_generator().lock().initial_seed()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values below come from PyTorch 2.15.0 (CPU, x86-64 with
    // glibc libm), printed as IEEE bit patterns. "AVX2" values are what
    // torch computes on an AVX2/AVX-512 machine; "baseline" values are the
    // same calls under ATEN_CPU_CAPABILITY=default.

    const AVX2: Kernels = Kernels {
        avx2: true,
        fused: true,
    };
    const BASELINE: Kernels = Kernels {
        avx2: false,
        fused: false,
    };

    fn bits32(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    fn bits64(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn mt19937_matches_reference_outputs() {
        let mut mt = Mt19937::new(5489);
        assert_eq!(mt.next_u32(), 3_499_211_612);
        // The C++ standard pins the 10000th output of a default mt19937.
        let mut mt = Mt19937::new(5489);
        let last = (0..10_000).map(|_| mt.next_u32()).last();
        assert_eq!(last, Some(4_123_659_995));
    }

    #[test]
    fn seeds_use_low_32_bits_but_report_full_seed() {
        let mut a = Generator::new(7);
        let mut b = Generator::new((1 << 32) | 7);
        assert_eq!(a.random_u64(), b.random_u64());
        assert_eq!(b.initial_seed(), (1 << 32) | 7);
        assert_eq!(Generator::default().initial_seed(), 67_280_421_310_721);
    }

    #[test]
    fn randn_one_seed_42() {
        // torch.manual_seed(42); torch.randn(1) -> tensor([0.3367])
        let mut g = Generator::new(42);
        let mut v = [0f32; 1];
        g.fill_normal_f32(&mut v, 0.0, 1.0);
        assert_eq!(v[0].to_bits(), 0x3eac_62ae);
        assert_eq!(v[0], 0.336_690_37);
    }

    #[test]
    fn rand_seed_42() {
        // torch.manual_seed(42); torch.rand(5)
        let mut g = Generator::new(42);
        let mut v = [0f32; 5];
        g.fill_uniform_f32(&mut v, 0.0, 1.0);
        assert_eq!(
            bits32(&v),
            [0x3f61dc66, 0x3f6a3db3, 0x3ec406b8, 0x3f75950e, 0x3ec7e8d4]
        );
        // torch.manual_seed(42); torch.rand(5, dtype=torch.float64)
        g.manual_seed(42);
        let mut v = [0f64; 5];
        g.fill_uniform_f64(&mut v, 0.0, 1.0);
        assert_eq!(
            bits64(&v),
            [
                0x3fadc66cbea3db30,
                0x3fb01ae177aca870,
                0x3fbfa3563ccea238,
                0x3faaebc98cb2c140,
                0x3fe0d66672221879,
            ]
        );
    }

    #[test]
    fn uniform_with_range_depends_on_contraction() {
        // torch.manual_seed(7); torch.empty(6).uniform_(-3, 7.5)
        let avx2 = [
            0x402777cb, 0xbf699df6, 0x407afd82, 0x40796e26, 0xbf0e5640, 0x3fbb4854,
        ];
        let baseline = [
            0x402777cc, 0xbf699df8, 0x407afd82, 0x40796e26, 0xbf0e5640, 0x3fbb4854,
        ];
        for (k, want) in [(AVX2, avx2), (BASELINE, baseline)] {
            let mut g = Generator::new(7);
            let mut v = [0f32; 6];
            g.uniform_f32_with(&mut v, -3.0, 7.5, k);
            assert_eq!(bits32(&v), want);
        }
    }

    #[test]
    fn uniform_never_returns_upper_bound() {
        // In [1, 2) float32 the scale-and-shift rounds the top draws up to 2.
        let mut g = Generator::new(3);
        let mut v = vec![0f32; 100_000];
        g.fill_uniform_f32(&mut v, 1.0, 2.0);
        assert!(v.iter().all(|&x| (1.0..2.0).contains(&x)));
    }

    #[test]
    fn randn_small_uses_double_pairs() {
        // torch.manual_seed(0); torch.randn(7) / torch.randn(7, dtype=torch.float64)
        let mut g = Generator::new(0);
        let mut v = [0f32; 7];
        g.fill_normal_f32(&mut v, 0.0, 1.0);
        assert_eq!(
            bits32(&v),
            [0x3fc53f5c, 0xbe963c50, 0xc00b7149, 0x3f1184b6, 0xbf8ad1a1, 0xbfb3052d, 0x3ece837a]
        );
        g.manual_seed(0);
        let mut v = [0f64; 7];
        g.fill_normal_f64(&mut v, 0.0, 1.0);
        assert_eq!(
            bits64(&v),
            [
                0x3ff8a7eb8902be3a,
                0xbfd2c78a087c6fea,
                0xc0016e2920a70ee5,
                0x3fe23096ca3e350d,
                0xbff15a341987e136,
                0xbff660a590b74404,
                0x3fd9d06f4be0cd62,
            ]
        );
    }

    #[test]
    fn normal_small_with_mean_and_std() {
        // torch.manual_seed(7); torch.empty(4, dtype=torch.float64).normal_(0.5, 2.5)
        // (identical in both builds for these draws)
        for k in [AVX2, BASELINE] {
            let mut g = Generator::new(7);
            let mut v = [0f64; 4];
            g.normal_f64_with(&mut v, 0.5, 2.5, k);
            assert_eq!(
                bits64(&v),
                [
                    0x3fc1068bad5c6ba0,
                    0x4003b90b1f810d12,
                    0x4006efba04f45ca1,
                    0xc0024970fedc2f64
                ]
            );
        }
    }

    #[test]
    fn randn_f32_blockwise() {
        // torch.manual_seed(1234); x = torch.randn(17); x[:4], x[-2:]
        let avx2 = [
            0xbde4ccb4, 0xbdbd013f, 0xbf34759e, 0xbfcd1a34, 0x3f9b9dec, 0xc021bfdc,
        ];
        let baseline = [
            0xbde4ccb4, 0xbdbd0140, 0xbf34759d, 0xbfcd1a34, 0x3f9b9ded, 0xc021bfdc,
        ];
        for (k, want) in [(AVX2, avx2), (BASELINE, baseline)] {
            let mut g = Generator::new(1234);
            let mut v = [0f32; 17];
            g.normal_f32_with(&mut v, 0.0, 1.0, BlockDraws::AllFirst, k);
            let got: Vec<u32> = bits32(&v[..4])
                .into_iter()
                .chain(bits32(&v[15..]))
                .collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn randn_f64_blockwise() {
        // torch.manual_seed(1234); x = torch.randn(33, dtype=torch.float64); x[:4], x[-2:]
        let mut g = Generator::new(1234);
        let mut v = [0f64; 33];
        g.fill_normal_f64(&mut v, 0.0, 1.0);
        let got: Vec<u64> = bits64(&v[..4])
            .into_iter()
            .chain(bits64(&v[31..]))
            .collect();
        assert_eq!(
            got,
            [
                0xbfb69b7d46e0a142,
                0x3fd5e42075054d76,
                0x3fda5093d2e85c6d,
                0x3ff014f3763d4e07,
                0xbfe7c327dbfc6729,
                0x3fef712b6ece5280,
            ]
        );
    }

    #[test]
    fn mixed_call_sequence_shares_the_normal_cache() {
        // torch.manual_seed(42); torch.randn(1); torch.randn(1); torch.rand(3)
        let mut g = Generator::new(42);
        let (mut a, mut b, mut c) = ([0f32; 1], [0f32; 1], [0f32; 3]);
        g.fill_normal_f32(&mut a, 0.0, 1.0);
        g.fill_normal_f32(&mut b, 0.0, 1.0);
        g.fill_uniform_f32(&mut c, 0.0, 1.0);
        assert_eq!(a[0].to_bits(), 0x3eac62ae);
        assert_eq!(b[0].to_bits(), 0x3e03e69d);
        assert_eq!(bits32(&c), [0x3ec7e8d4, 0x3f19d447, 0x3e835d78]);
    }

    #[test]
    fn reseeding_clears_the_normal_cache() {
        let mut g = Generator::new(42);
        let mut v = [0f32; 1];
        g.fill_normal_f32(&mut v, 0.0, 1.0);
        g.manual_seed(42);
        g.fill_normal_f32(&mut v, 0.0, 1.0);
        assert_eq!(v[0].to_bits(), 0x3eac62ae);
    }

    #[test]
    fn randint_matches_torch() {
        // torch.manual_seed(0); torch.randint(0, 10, (8,))
        let mut g = Generator::new(0);
        let mut v = [0i64; 8];
        g.fill_randint_i64(&mut v, 0, 10);
        assert_eq!(v, [4, 9, 3, 0, 3, 9, 7, 3]);
        // torch.manual_seed(0); torch.randint(-2**40, 2**40, (4,))  (64-bit draws)
        g.manual_seed(0);
        let mut v = [0i64; 4];
        g.fill_randint_i64(&mut v, -(1 << 40), 1 << 40);
        assert_eq!(
            v,
            [-358231004625, -593374360384, 291447657211, -258354086553]
        );
    }

    #[test]
    fn randint_empty_range_leaves_output_alone() {
        let mut g = Generator::new(0);
        let mut v = [5i64; 3];
        g.fill_randint_i64(&mut v, 4, 4);
        g.fill_randint_i64(&mut v, i64::MAX, i64::MIN);
        assert_eq!(v, [5, 5, 5]);
        // Full i64 span except the top value must not overflow.
        g.fill_randint_i64(&mut v, i64::MIN, i64::MAX);
    }

    #[test]
    fn randperm_matches_torch() {
        // torch.manual_seed(0); torch.randperm(10)
        let mut g = Generator::new(0);
        assert_eq!(g.randperm(10).unwrap(), [4, 1, 7, 5, 3, 9, 0, 8, 6, 2]);
        assert!(g.randperm(0).unwrap().is_empty());
        assert_eq!(g.randperm(1).unwrap(), [0]);
    }

    #[test]
    fn default_generator_is_seeded_by_manual_seed() {
        manual_seed(42);
        assert_eq!(initial_seed(), 42);
        let mut v = [0f32; 1];
        default_generator().lock().fill_normal_f32(&mut v, 0.0, 1.0);
        assert_eq!(v[0].to_bits(), 0x3eac62ae);
    }

    #[test]
    fn state_bytes_round_trip_and_match_torch_layout() {
        let mut g = Generator::new(0);
        // torch.Generator().manual_seed(0).get_state(): seed 0, left 1,
        // seeded 1, next 0, then the seeded words.
        let b = g.state_bytes();
        assert_eq!(b.len(), STATE_SIZE);
        assert_eq!(&b[8..16], &[1, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(u64::from_le_bytes(b[40..48].try_into().unwrap()), 1_812_433_255);
        let mut v = [0f32; 1];
        g.fill_normal_f32(&mut v, 0.0, 1.0); // caches the pair's second value
        let mut w = [0f64; 700];
        g.fill_uniform_f64(&mut w, 0.0, 1.0); // crosses a twist
        let saved = g.state_bytes();
        let (mut a, mut b2) = ([0f32; 3], [0f32; 3]);
        g.fill_normal_f32(&mut a, 0.0, 1.0);
        let mut h = Generator::new(99);
        h.set_state_bytes(&saved).unwrap();
        h.fill_normal_f32(&mut b2, 0.0, 1.0);
        assert_eq!(bits32(&a), bits32(&b2));
        assert_eq!(h.initial_seed(), 0);
    }

    #[test]
    fn bad_state_bytes_are_refused_without_change() {
        let mut g = Generator::new(5);
        let before = g.state_bytes();
        assert!(g.set_state_bytes(&before[..100]).is_err());
        for (left, next) in [(0i32, 0u64), (625, 0), (-3, 0), (624, 2), (1, 700), (2, u64::MAX)] {
            let mut bad = before.clone();
            bad[8..12].copy_from_slice(&left.to_le_bytes());
            bad[16..24].copy_from_slice(&next.to_le_bytes());
            assert!(g.set_state_bytes(&bad).is_err(), "left={left} next={next}");
        }
        assert_eq!(g.state_bytes(), before);
        // The last reachable position draws without going out of the block.
        let mut edge = before.clone();
        edge[8..12].copy_from_slice(&2i32.to_le_bytes());
        edge[16..24].copy_from_slice(&623u64.to_le_bytes());
        g.set_state_bytes(&edge).unwrap();
        g.random_u64();
    }

    #[test]
    fn cephes_helpers_are_accurate() {
        for i in 1..=1000 {
            let x = i as f32 / 1000.0;
            assert!((cephes_logf(x) - x.ln()).abs() <= 2e-7 * x.ln().abs().max(1.0));
            let t = x * std::f32::consts::TAU;
            let (s, c) = cephes_sincosf(t);
            assert!((s - t.sin()).abs() < 1e-6 && (c - t.cos()).abs() < 1e-6);
        }
        assert!(cephes_logf(0.0).is_nan());
    }
}
