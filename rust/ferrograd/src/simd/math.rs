//! Vector `exp`, `log`, `tanh`, `sigmoid` and `erf`.
//!
//! float32 has one implementation of each, written over `Lanes<f32>`, so
//! every instruction set runs the same algorithm (AVX-512 and AVX2 with
//! fused multiply-adds, the portable fallback with separate roundings).
//! float64 applies the scalar std functions lane by lane, so its results
//! are those of the scalar kernels, bit for bit.
//!
//! float32 error against a float64 reference, measured by the sweep in
//! `math_tests.rs` (every 257th f32 bit pattern, a 1e-5 grid over
//! [-12, 12] and the special values) on each level:
//!
//! | function | AVX-512 | AVX2  | portable |
//! |----------|---------|-------|----------|
//! | exp      | 1.007   | 1.007 | 0.962    |
//! | log      | 0.809   | 0.809 | 0.809    |
//! | tanh     | 1.295   | 1.295 | 1.295    |
//! | sigmoid  | 1.466   | 1.466 | 1.888    |
//! | erf      | 1.092   | 1.092 | 1.164    |
//!
//! (max ulp; the test fails above 2.)
//!
//! Special values follow C's: `exp` overflows to inf and underflows
//! through the denormals to 0, `log` of a negative is NaN and of ±0 is
//! -inf, `tanh` saturates to ±1, NaN stays NaN, and -0 keeps its sign
//! where the function is odd.

use super::{Lanes, SimdElement, MAX_LANES};

/// Element types with vector math.
pub trait Math: SimdElement {
    fn exp<L: Lanes<Self>>(s: L, x: L::V) -> L::V;
    fn ln<L: Lanes<Self>>(s: L, x: L::V) -> L::V;
    fn tanh<L: Lanes<Self>>(s: L, x: L::V) -> L::V;
    fn sigmoid<L: Lanes<Self>>(s: L, x: L::V) -> L::V;
    fn erf<L: Lanes<Self>>(s: L, x: L::V) -> L::V;
}

impl Math for f32 {
    #[inline(always)]
    fn exp<L: Lanes<f32>>(s: L, x: L::V) -> L::V {
        exp_f32(s, x)
    }
    #[inline(always)]
    fn ln<L: Lanes<f32>>(s: L, x: L::V) -> L::V {
        ln_f32(s, x)
    }
    #[inline(always)]
    fn tanh<L: Lanes<f32>>(s: L, x: L::V) -> L::V {
        tanh_f32(s, x)
    }
    #[inline(always)]
    fn sigmoid<L: Lanes<f32>>(s: L, x: L::V) -> L::V {
        sigmoid_f32(s, x)
    }
    #[inline(always)]
    fn erf<L: Lanes<f32>>(s: L, x: L::V) -> L::V {
        erf_f32(s, x)
    }
}

impl Math for f64 {
    #[inline(always)]
    fn exp<L: Lanes<f64>>(s: L, x: L::V) -> L::V {
        per_lane(s, x, f64::exp)
    }
    #[inline(always)]
    fn ln<L: Lanes<f64>>(s: L, x: L::V) -> L::V {
        per_lane(s, x, f64::ln)
    }
    #[inline(always)]
    fn tanh<L: Lanes<f64>>(s: L, x: L::V) -> L::V {
        per_lane(s, x, f64::tanh)
    }
    #[inline(always)]
    fn sigmoid<L: Lanes<f64>>(s: L, x: L::V) -> L::V {
        // The scalar kernel's formula, so float64 results do not change.
        per_lane(s, x, |v| 1.0 / (1.0 + (-v).exp()))
    }
    #[inline(always)]
    fn erf<L: Lanes<f64>>(s: L, x: L::V) -> L::V {
        per_lane(s, x, crate::kernels::pointwise::erf_f64)
    }
}

/// `f` applied to each lane through memory.
#[inline(always)]
pub fn per_lane<T: Copy + Default, L: Lanes<T>>(s: L, x: L::V, mut f: impl FnMut(T) -> T) -> L::V {
    let mut buf = [T::default(); MAX_LANES];
    s.store(&mut buf, x);
    for v in &mut buf[..L::LANES] {
        *v = f(*v);
    }
    s.load(&buf)
}

/// `c[0] x^(n-1) + ... + c[n-1]` by Horner's rule.
#[inline(always)]
fn poly<L: Lanes<f32>, const N: usize>(s: L, x: L::V, c: [f32; N]) -> L::V {
    let mut r = s.splat(c[0]);
    for &k in &c[1..] {
        r = s.mul_add(r, x, s.splat(k));
    }
    r
}

const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// ln 2 in two parts: the high part has 9 significant bits, so `n * LN2_HI`
/// is exact for every `n` the exponent range allows (Cody and Waite).
const LN2_HI: f32 = 0.693_359_375;
const LN2_LO: f32 = -2.121_944_4e-4;

/// e^x = 2^n e^r with n = round(x / ln 2), |r| <= ln(2) / 2, and e^r from
/// Cephes' degree-7 polynomial.
#[inline(always)]
fn exp_f32<L: Lanes<f32>>(s: L, x: L::V) -> L::V {
    // Past these ends e^x is already inf or 0; clamping keeps n in the
    // range the two scalings below cover. NaN passes (it is `max`'s first operand).
    let x = s.min(s.max(x, s.splat(-104.0)), s.splat(89.0));
    let n = s.round(s.mul(x, s.splat(LOG2_E)));
    let r = s.mul_add(n, s.splat(-LN2_HI), x);
    let r = s.mul_add(n, s.splat(-LN2_LO), r);
    let p = poly(s, r, [1.987_569_1e-4, 1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 0.5]);
    let y = s.add(s.mul_add(p, s.mul(r, r), r), s.splat(1.0));
    // 2^n as two factors, each a normal float, so results in the denormal
    // range round once (in the second product) and n = 128 reaches inf.
    let half = s.round(s.mul(n, s.splat(0.5)));
    s.mul(s.mul(y, s.pow2(half)), s.pow2(s.sub(n, half)))
}

/// ln x = e ln 2 + ln m with x = m 2^e, m in [sqrt(1/2), sqrt(2)), and
/// ln(1 + f) from Cephes' polynomial.
#[inline(always)]
fn ln_f32<L: Lanes<f32>>(s: L, x: L::V) -> L::V {
    let one = s.splat(1.0);
    // Denormals are scaled into the normal range, where the exponent bits tell e.
    let tiny = s.lt(x, s.splat(f32::MIN_POSITIVE));
    let scaled = s.select(tiny, s.mul(x, s.splat(8_388_608.0)), x);
    let e = s.sub(s.exponent(scaled), s.select(tiny, s.splat(23.0), s.zero()));
    let m = s.mantissa(scaled);
    let high = s.le(s.splat(std::f32::consts::SQRT_2), m);
    let m = s.select(high, s.mul(m, s.splat(0.5)), m);
    let e = s.select(high, s.add(e, one), e);
    let f = s.sub(m, one);
    let z = s.mul(f, f);
    let p = poly(
        s,
        f,
        [7.037_683_6e-2, -1.151_461e-1, 1.167_699_9e-1, -1.242_014_1e-1, 1.424_932_3e-1, -1.666_805_8e-1, 2.000_071_5e-1, -2.499_999_4e-1, 3.333_333_1e-1],
    );
    let y = s.mul(s.mul(p, f), z);
    let y = s.mul_add(e, s.splat(LN2_LO), y);
    let y = s.mul_add(z, s.splat(-0.5), y);
    let r = s.mul_add(e, s.splat(LN2_HI), s.add(f, y));
    // Only x >= 0 reaches here; negatives and NaN are NaN.
    let r = s.select(s.le(s.zero(), x), r, s.splat(f32::NAN));
    let r = s.select(s.eq(x, s.zero()), s.splat(f32::NEG_INFINITY), r);
    s.select(s.eq(x, s.splat(f32::INFINITY)), x, r)
}

/// tanh |x| from an odd polynomial below 0.625 and 1 - 2 / (e^(2|x|) + 1)
/// above (Cephes), with x's sign put back.
#[inline(always)]
fn tanh_f32<L: Lanes<f32>>(s: L, x: L::V) -> L::V {
    let one = s.splat(1.0);
    let a = s.abs(x);
    let z = s.mul(a, a);
    let p = poly(s, z, [-5.704_988_7e-3, 2.063_908_9e-2, -5.373_971_6e-2, 1.333_144_2e-1, -3.333_328_2e-1]);
    let small = s.mul_add(s.mul(p, z), a, a);
    // e^(2|x|) is inf for large |x|, which makes this exactly 1.
    let large = s.sub(one, s.div(s.splat(2.0), s.add(exp_f32(s, s.add(a, a)), one)));
    let r = s.select(s.lt(a, s.splat(0.625)), small, large);
    s.copysign(r, x)
}

/// 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below, so the exponential
/// never overflows and tiny results keep their precision. The rounding of
/// `1 + e` is carried and one correction step applied to the quotient:
/// without it the error reaches 2.3 ulp.
#[inline(always)]
fn sigmoid_f32<L: Lanes<f32>>(s: L, x: L::V) -> L::V {
    let one = s.splat(1.0);
    let e = exp_f32(s, s.neg(s.abs(x)));
    let num = s.select(s.lt(x, s.zero()), e, one);
    let d = s.add(one, e);
    // Exactly the rounding error of `d` (Fast2Sum: 1 >= e).
    let d_lo = s.add(s.sub(one, d), e);
    let q = s.div(num, d);
    let rem = s.mul_add(s.neg(q), d_lo, s.mul_add(s.neg(q), d, num));
    s.add(q, s.div(rem, d))
}

/// Below this |x|, erf is an odd polynomial; above, 1 - e^(poly).
const ERF_SPLIT: f32 = 0.921_875;

/// erf |x| with x's sign put back. Both polynomials are least-squares fits
/// (reweighted toward minimax) made for this function: below `ERF_SPLIT`,
/// erf(x) = x + x q(x²); above, erf(x) = 1 - e^(x p(x)), p fitting
/// ln(erfc x) / x up to 4, where erf rounds to 1.
#[inline(always)]
fn erf_f32<L: Lanes<f32>>(s: L, x: L::V) -> L::V {
    let one = s.splat(1.0);
    let a = s.abs(x);
    let z = s.mul(a, a);
    let q = poly(
        s,
        z,
        [8.397_950_3e-5, -8.149_848_4e-4, 5.201_720_6e-3, -2.685_970_4e-2, 1.128_370_2e-1, -3.761_263_5e-1, 1.283_791_7e-1],
    );
    let small = s.mul_add(q, a, a);
    let t = s.min(a, s.splat(4.0));
    let p = poly(
        s,
        t,
        [3.256_721_2e-7, -5.449_308_9e-6, 2.074_740_2e-5, 2.393_283_5e-4, -3.565_149_6e-3, 2.384_103_8e-2, -1.064_824_1e-1, -6.349_452_1e-1, -1.128_708_7],
    );
    let large = s.sub(one, exp_f32(s, s.mul(p, t)));
    let r = s.select(s.lt(a, s.splat(ERF_SPLIT)), small, large);
    s.copysign(r, x)
}
