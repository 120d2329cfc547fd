//! Accuracy of the float32 vector math against float64 references, on
//! every level this CPU has.

use super::math::Math;
use super::*;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Func {
    Exp,
    Ln,
    Tanh,
    Sigmoid,
    Erf,
}

const FUNCS: [Func; 5] = [Func::Exp, Func::Ln, Func::Tanh, Func::Sigmoid, Func::Erf];

impl Func {
    fn reference(self, x: f64) -> f64 {
        match self {
            Func::Exp => x.exp(),
            Func::Ln => x.ln(),
            Func::Tanh => x.tanh(),
            Func::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Func::Erf => crate::kernels::pointwise::erf_f64(x),
        }
    }
}

/// The function over a slice, a vector at a time with a partial tail.
struct Apply<'a>(Func, &'a [f32]);

impl Kernel for Apply<'_> {
    type Output = Vec<f32>;

    #[inline(always)]
    fn run<S: Isa>(self, s: S) -> Vec<f32> {
        let s = s.of::<f32>();
        let lanes = <S as Lanes<f32>>::LANES;
        let mut out = vec![0.0; self.1.len()];
        for (o, x) in out.chunks_mut(lanes).zip(self.1.chunks(lanes)) {
            let v = s.load_partial(x);
            let r = match self.0 {
                Func::Exp => <f32 as Math>::exp(s, v),
                Func::Ln => <f32 as Math>::ln(s, v),
                Func::Tanh => <f32 as Math>::tanh(s, v),
                Func::Sigmoid => <f32 as Math>::sigmoid(s, v),
                Func::Erf => <f32 as Math>::erf(s, v),
            };
            s.store_partial(o, r);
        }
        out
    }
}

fn levels() -> Vec<Level> {
    [Level::Portable, Level::Avx2, Level::Avx512].into_iter().filter(|&l| l <= detected()).collect()
}

/// |got - want| in units of the last place of `want` rounded to float32.
/// Infinity (and anything past it in float64) counts as 2^128, the power of
/// two past f32::MAX, so a result that overflows one rounding early is one
/// ulp off, not infinitely.
fn ulp_error(got: f32, want: f64) -> f64 {
    if got.is_nan() || want.is_nan() {
        return if got.is_nan() && want.is_nan() { 0.0 } else { f64::INFINITY };
    }
    let widen = |v: f64| if v.abs() >= 2f64.powi(128) { v.signum() * 2f64.powi(128) } else { v };
    let (g, w) = (widen(f64::from(got)), widen(want));
    if g == w {
        return 0.0;
    }
    let mag = w.abs().min(f64::from(f32::MAX));
    let exponent = ((mag.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    let ulp = 2f64.powi((exponent - 23).max(-149));
    (g - w).abs() / ulp
}

/// Every 257th float32 bit pattern (both signs, denormals, inf, NaN), a
/// dense grid over [-12, 12] where the branches switch, and special values.
fn inputs() -> Vec<f32> {
    let mut xs: Vec<f32> = (0..=u32::MAX).step_by(257).map(f32::from_bits).collect();
    xs.extend((0..=2_400_000).map(|i| i as f32 * 1e-5 - 12.0));
    xs.extend([
        0.0,
        -0.0,
        f32::MIN_POSITIVE,
        f32::from_bits(1),
        -f32::from_bits(1),
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        f32::MAX,
        f32::MIN,
        88.72283,
        88.72284,
        88.8,
        -87.4,
        -103.9,
        -104.0,
        -150.0,
        0.625,
        std::f32::consts::SQRT_2,
        0.707_106_77,
        1.0,
        0.921_875,
        4.0,
        9.1,
    ]);
    xs
}

#[test]
fn float32_math_is_within_two_ulp_on_every_level() {
    let xs = inputs();
    let (mut report, mut failed) = (String::new(), false);
    for f in FUNCS {
        let want: Vec<f64> = xs.iter().map(|&x| f.reference(f64::from(x))).collect();
        for level in levels() {
            let got = dispatch_at(level, Apply(f, &xs));
            let (mut worst, mut at) = (0.0f64, 0.0f32);
            for ((&x, &g), &w) in xs.iter().zip(&got).zip(&want) {
                let e = ulp_error(g, w);
                if e > worst {
                    (worst, at) = (e, x);
                }
            }
            report += &format!("{f:?} {level:?}: max {worst:.3} ulp at x = {at:e}\n");
            failed |= worst > 2.0;
        }
    }
    println!("{report}");
    assert!(!failed, "over 2 ulp:\n{report}");
}

#[test]
fn float32_math_special_values() {
    let inf = f32::INFINITY;
    let cases: &[(Func, f32, f32)] = &[
        (Func::Exp, 0.0, 1.0),
        (Func::Exp, -0.0, 1.0),
        (Func::Exp, inf, inf),
        (Func::Exp, -inf, 0.0),
        (Func::Exp, 89.0, inf),
        (Func::Exp, -200.0, 0.0),
        (Func::Ln, 1.0, 0.0),
        (Func::Ln, 0.0, -inf),
        (Func::Ln, -0.0, -inf),
        (Func::Ln, inf, inf),
        (Func::Tanh, inf, 1.0),
        (Func::Tanh, -inf, -1.0),
        (Func::Tanh, 20.0, 1.0),
        (Func::Tanh, -0.0, -0.0),
        (Func::Sigmoid, inf, 1.0),
        (Func::Sigmoid, -inf, 0.0),
        (Func::Sigmoid, 0.0, 0.5),
        (Func::Erf, inf, 1.0),
        (Func::Erf, -inf, -1.0),
        (Func::Erf, -0.0, -0.0),
        (Func::Erf, 5.0, 1.0),
    ];
    let nans: &[(Func, f32)] =
        &[(Func::Exp, f32::NAN), (Func::Ln, f32::NAN), (Func::Ln, -1.0), (Func::Ln, -inf), (Func::Tanh, f32::NAN), (Func::Sigmoid, f32::NAN), (Func::Erf, f32::NAN)];
    for level in levels() {
        for &(f, x, want) in cases {
            let got = dispatch_at(level, Apply(f, &[x]))[0];
            assert!(got == want && got.is_sign_negative() == want.is_sign_negative(), "{f:?}({x}) on {level:?}: {got}");
        }
        for &(f, x) in nans {
            assert!(dispatch_at(level, Apply(f, &[x]))[0].is_nan(), "{f:?}({x}) on {level:?}");
        }
        // Tiny results keep going through the denormals instead of flushing to zero.
        let tiny = dispatch_at(level, Apply(Func::Sigmoid, &[-100.0]))[0];
        assert!(tiny > 0.0 && tiny < f32::MIN_POSITIVE, "{level:?}: {tiny}");
        assert!(dispatch_at(level, Apply(Func::Ln, &[f32::from_bits(1)]))[0] < -103.0, "{level:?}");
    }
}
