//! SIMD with runtime dispatch. A kernel is written once, generic over an
//! instruction set `S: Isa`, and `dispatch` compiles and runs it for the
//! best set the CPU has: AVX-512, AVX2 with FMA, or the portable fallback
//! (fixed-size arrays the compiler vectorises for the build target's
//! baseline, SSE2 or NEON).
//!
//! A value of an `Isa` type is proof that the running CPU supports it; only
//! `dispatch` makes them, after detection. Vector methods take that value,
//! which is what makes them safe to call.

mod element;
pub mod math;
mod portable;
#[cfg(target_arch = "x86_64")]
mod x86;

use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU8, Ordering};

pub use element::SimdElement;
pub use portable::Portable;
#[cfg(target_arch = "x86_64")]
pub use x86::{Avx2, Avx512};

/// Vectors of `T` in one instruction set.
pub trait Lanes<T: Copy + Default>: Copy {
    type V: Copy;
    /// One flag per lane, from a comparison.
    type M: Copy;
    /// Elements per vector.
    const LANES: usize;
    fn splat(self, x: T) -> Self::V;
    /// The first `LANES` elements of `src` (which must hold that many).
    fn load(self, src: &[T]) -> Self::V;
    /// Writes the vector over the first `LANES` elements of `dst`.
    fn store(self, dst: &mut [T], v: Self::V);
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    fn mul(self, a: Self::V, b: Self::V) -> Self::V;
    fn div(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a * b + c`, fused (one rounding) where the instruction set has FMA.
    fn mul_add(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// Lane-wise maximum and minimum; where a lane of `a` is NaN the result
    /// is that NaN, as PyTorch's `max`/`relu` propagate it.
    fn max(self, a: Self::V, b: Self::V) -> Self::V;
    fn min(self, a: Self::V, b: Self::V) -> Self::V;
    /// The sum of the lanes.
    fn reduce_sum(self, v: Self::V) -> T;
    /// Writes the vector over the first `LANES` elements of `dst`, which
    /// may be uninitialised: outputs are filled without zeroing them first.
    fn store_uninit(self, dst: &mut [MaybeUninit<T>], v: Self::V);

    /// Ordered comparisons: false in every lane where either side is NaN.
    fn lt(self, a: Self::V, b: Self::V) -> Self::M;
    fn le(self, a: Self::V, b: Self::V) -> Self::M;
    fn eq(self, a: Self::V, b: Self::V) -> Self::M;
    /// `t` where the mask is set, else `f`.
    fn select(self, m: Self::M, t: Self::V, f: Self::V) -> Self::V;

    /// Sign-bit operations: exact for every input, NaN included.
    fn abs(self, a: Self::V) -> Self::V;
    fn neg(self, a: Self::V) -> Self::V;
    /// The magnitude of `mag` with the sign of `sign`.
    fn copysign(self, mag: Self::V, sign: Self::V) -> Self::V;
    /// Rounds to the nearest integer, ties to even.
    fn round(self, a: Self::V) -> Self::V;
    /// `2^n` for integer-valued `n` in the normal exponent range (-126..=127
    /// for f32), built from the exponent bits.
    fn pow2(self, n: Self::V) -> Self::V;
    /// `floor(log2(x))` for positive normal `x`, as a float.
    fn exponent(self, x: Self::V) -> Self::V;
    /// `x / 2^exponent(x)`, in [1, 2), for positive normal `x`.
    fn mantissa(self, x: Self::V) -> Self::V;

    fn zero(self) -> Self::V {
        self.splat(T::default())
    }

    /// Up to `LANES` leading elements of `src`; lanes past its end are zero.
    #[inline(always)]
    fn load_partial(self, src: &[T]) -> Self::V {
        let mut buf = [T::default(); MAX_LANES];
        let n = src.len().min(Self::LANES);
        buf[..n].copy_from_slice(&src[..n]);
        self.load(&buf)
    }

    /// Writes the leading `dst.len()` (at most `LANES`) lanes of `v`.
    #[inline(always)]
    fn store_partial(self, dst: &mut [T], v: Self::V) {
        let mut buf = [T::default(); MAX_LANES];
        self.store(&mut buf, v);
        let n = dst.len().min(Self::LANES);
        dst[..n].copy_from_slice(&buf[..n]);
    }

    /// `store_partial` into uninitialised memory.
    #[inline(always)]
    fn store_uninit_partial(self, dst: &mut [MaybeUninit<T>], v: Self::V) {
        let mut buf = [T::default(); MAX_LANES];
        self.store(&mut buf, v);
        for (d, &x) in dst.iter_mut().zip(&buf[..Self::LANES]) {
            d.write(x);
        }
    }
}

/// The sum of a vector's lanes, pairwise, so every instruction set adds
/// in the same fixed order and the error stays small.
#[inline(always)]
fn pairwise_sum<T: Copy + std::ops::AddAssign, const N: usize>(mut lanes: [T; N]) -> T {
    let mut width = N;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            let upper = lanes[i + width];
            lanes[i] += upper;
        }
    }
    lanes[0]
}

/// The widest vector any instruction set here has, in elements (f32 on AVX-512).
pub const MAX_LANES: usize = 16;

/// An instruction set: vectors of f32 and f64.
pub trait Isa: Lanes<f32> + Lanes<f64> + Send + Sync + 'static {
    const LEVEL: Level;

    /// This set's vectors of `T` alone, so method calls need no type
    /// annotations in kernels generic over the element type.
    #[inline(always)]
    fn of<T: Copy + Default>(self) -> Of<Self, T>
    where
        Self: Lanes<T>,
    {
        Of(self, PhantomData)
    }
}

/// An instruction set's vectors of one element type (see `Isa::of`).
#[derive(Debug)]
pub struct Of<S, T>(S, PhantomData<T>);

impl<S: Copy, T> Clone for Of<S, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: Copy, T> Copy for Of<S, T> {}

/// Forwards each method of `Lanes<T>` to the instruction set's impl.
macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(#[inline(always)]
        fn $name(self, $($arg: $ty),*) -> $ret {
            <S as Lanes<T>>::$name(self.0, $($arg),*)
        })*
    };
}

impl<S: Lanes<T>, T: Copy + Default> Lanes<T> for Of<S, T> {
    type V = S::V;
    type M = S::M;
    const LANES: usize = S::LANES;
    forward! {
        splat(x: T) -> S::V;
        load(src: &[T]) -> S::V;
        store(dst: &mut [T], v: S::V) -> ();
        add(a: S::V, b: S::V) -> S::V;
        sub(a: S::V, b: S::V) -> S::V;
        mul(a: S::V, b: S::V) -> S::V;
        div(a: S::V, b: S::V) -> S::V;
        mul_add(a: S::V, b: S::V, c: S::V) -> S::V;
        max(a: S::V, b: S::V) -> S::V;
        min(a: S::V, b: S::V) -> S::V;
        reduce_sum(v: S::V) -> T;
        store_uninit(dst: &mut [MaybeUninit<T>], v: S::V) -> ();
        lt(a: S::V, b: S::V) -> S::M;
        le(a: S::V, b: S::V) -> S::M;
        eq(a: S::V, b: S::V) -> S::M;
        select(m: S::M, t: S::V, f: S::V) -> S::V;
        abs(a: S::V) -> S::V;
        neg(a: S::V) -> S::V;
        copysign(mag: S::V, sign: S::V) -> S::V;
        round(a: S::V) -> S::V;
        pow2(n: S::V) -> S::V;
        exponent(x: S::V) -> S::V;
        mantissa(x: S::V) -> S::V;
    }
}

/// A kernel generic over the instruction set. `run` should be
/// `#[inline(always)]` so its body is compiled with the set's features.
pub trait Kernel {
    type Output;
    fn run<S: Isa>(self, isa: S) -> Self::Output;
}

/// Instruction sets, in order of preference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Portable = 0,
    Avx2 = 1,
    Avx512 = 2,
}

impl Level {
    fn from_u8(v: u8) -> Level {
        match v {
            2 => Level::Avx512,
            1 => Level::Avx2,
            _ => Level::Portable,
        }
    }

    fn parse(name: &str) -> Option<Level> {
        match name.trim().to_ascii_lowercase().as_str() {
            "avx512" => Some(Level::Avx512),
            "avx2" => Some(Level::Avx2),
            "portable" | "scalar" | "none" => Some(Level::Portable),
            _ => None,
        }
    }
}

/// The best level this CPU supports.
pub fn detected() -> Level {
    let v = DETECTED.load(Ordering::Relaxed);
    if v != UNSET {
        return Level::from_u8(v);
    }
    let best = probe();
    DETECTED.store(best as u8, Ordering::Relaxed);
    best
}

fn probe() -> Level {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
        {
            return Level::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            return Level::Avx2;
        }
    }
    Level::Portable
}

const UNSET: u8 = u8::MAX;
static CHOSEN: AtomicU8 = AtomicU8::new(UNSET);
static DETECTED: AtomicU8 = AtomicU8::new(UNSET);

/// The level kernels run at: the detected one, lowered by `FERROGRAD_SIMD`
/// (`avx512`, `avx2`, `portable`) or `set_level`.
pub fn level() -> Level {
    let v = CHOSEN.load(Ordering::Relaxed);
    if v != UNSET {
        return Level::from_u8(v);
    }
    let best = detected();
    let wanted = std::env::var("FERROGRAD_SIMD").ok().and_then(|v| Level::parse(&v)).unwrap_or(best);
    let chosen = wanted.min(best);
    CHOSEN.store(chosen as u8, Ordering::Relaxed);
    chosen
}

/// Caps the level kernels run at (never above what the CPU has); returns
/// the level now in effect. Tests use it to run every code path.
pub fn set_level(wanted: Level) -> Level {
    let chosen = wanted.min(detected());
    CHOSEN.store(chosen as u8, Ordering::Relaxed);
    chosen
}

/// Runs `kernel` compiled for the current level.
#[inline]
pub fn dispatch<K: Kernel>(kernel: K) -> K::Output {
    dispatch_at(level(), kernel)
}

/// Runs `kernel` compiled for `wanted`, or the best level below it the CPU
/// has. Work split over threads passes each part the level its caller
/// chose, so all parts agree even if the level changes meanwhile.
#[inline]
pub fn dispatch_at<K: Kernel>(wanted: Level, kernel: K) -> K::Output {
    match wanted.min(detected()) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level is capped by `detected()`, which saw every feature `Avx512` enables.
        Level::Avx512 => unsafe { x86::run_avx512(kernel) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, for AVX2 and FMA.
        Level::Avx2 => unsafe { x86::run_avx2(kernel) },
        _ => kernel.run(Portable::new()),
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod math_tests;
