//! The start of every kernel's WGSL: the element types it names (`elem`
//! for its inputs, `out_elem` for its output, `real` for its arithmetic)
//! and the functions its expressions call.
//!
//! Vulkan's extended instructions define exp, log, sin and the other
//! transcendentals for 16- and 32-bit floats only (lavapipe returns garbage
//! for f64 ones), so f64 kernels get them here from range reduction and
//! polynomials; sqrt, floor, abs, fma and ldexp are defined for f64.

use super::element::Element;

/// The type aliases and helper functions of a kernel reading `input` and
/// writing `output`; its arithmetic runs in the wider of the two.
pub fn prelude(input: Element, output: Element) -> String {
    let real = input.wider(output).real();
    let mut s = String::with_capacity(8000);
    if input == Element::F16 || output == Element::F16 {
        s.push_str("enable f16;\n");
    }
    s.push_str(&format!("alias elem = {};\nalias out_elem = {};\nalias real = {real};\n", input.stored(), output.stored()));
    s.push_str(COMMON);
    s.push_str(if real == "f64" { MATH_F64 } else { MATH_F32 });
    s.push_str(FUNCTIONS);
    s
}

/// Special values and NaN tests, through float32 bits (WGSL cannot bitcast
/// an f64; converting keeps NaN a NaN and infinities infinite).
const COMMON: &str = r#"
fn inf_() -> real { return real(bitcast<f32>(0x7f800000u)); }
fn nan_() -> real { return real(bitcast<f32>(0x7fc00000u)); }
fn is_nan_(x: real) -> bool { return (bitcast<u32>(f32(x)) & 0x7fffffffu) > 0x7f800000u; }
fn max_nan_(a: real, b: real) -> real { if (is_nan_(a) || is_nan_(b)) { return nan_(); } return max(a, b); }
fn min_nan_(a: real, b: real) -> real { if (is_nan_(a) || is_nan_(b)) { return nan_(); } return min(a, b); }
"#;

/// float32: the device's own functions.
const MATH_F32: &str = r#"
fn exp_(x: real) -> real { return exp(x); }
fn log_(x: real) -> real { return log(x); }
fn exp2_(x: real) -> real { return exp2(x); }
fn log2_(x: real) -> real { return log2(x); }
fn sin_(x: real) -> real { return sin(x); }
fn cos_(x: real) -> real { return cos(x); }
fn tan_(x: real) -> real { return tan(x); }
fn powf_(a: real, b: real) -> real { return pow(a, b); }
fn tanh_(x: real) -> real {
    let e = exp(-2.0 * abs(x));
    let t = (1.0 - e) / (1.0 + e);
    if (abs(x) < 0.0005) { return x - x * x * x / 3.0; }
    return select(t, -t, x < 0.0);
}
fn expm1_(x: real) -> real {
    if (abs(x) < 0.00001) { return x + 0.5 * x * x; }
    return exp(x) - 1.0;
}
"#;

/// float64: to within a few units in the last place over the ranges
/// training uses; sin and cos reduce by a three-part pi/2, exact for
/// |x| < 2^20 * pi/2.
const MATH_F64: &str = r#"
fn exp_(x: real) -> real {
    if (is_nan_(x)) { return x; }
    if (x > 709.782712893384) { return inf_(); }
    if (x < -745.2) { return 0.0; }
    // x = k ln2 + r, |r| <= ln2 / 2; ln2's high part has trailing zeros, so k * hi is exact.
    let k = round(x * 1.4426950408889634);
    let r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
    // exp(r) = 1 + r (1 + r/2 (1 + r/3 (...))), to r^16.
    var s: real = 1.0;
    for (var j = 16; j >= 1; j = j - 1) { s = 1.0 + s * r / real(j); }
    let n = i32(k);
    return ldexp(ldexp(s, n / 2), n - n / 2);
}
fn log_(x: real) -> real {
    if (is_nan_(x) || x < 0.0) { return nan_(); }
    if (x == 0.0) { return -inf_(); }
    if (x == inf_()) { return x; }
    // x = m 2^e with m in [sqrt(1/2), sqrt(2)]; float32's frexp finds e once m is in its range.
    var m = x;
    var e = 0;
    loop { if (m < 1e30) { break; } m = ldexp(m, -100); e = e + 100; }
    loop { if (m > 1e-30) { break; } m = ldexp(m, 100); e = e - 100; }
    let f = frexp(f32(m)).exp;
    m = ldexp(m, -f);
    e = e + f;
    if (m < 0.7071067811865476) { m = m * 2.0; e = e - 1; }
    // log m = 2 atanh(s) = 2s (1 + s^2/3 + s^4/5 + ...), s = (m - 1)/(m + 1), |s| < 0.172.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    var t: real = 0.0;
    for (var j = 25; j >= 3; j = j - 2) { t = (t + 1.0 / real(j)) * s2; }
    let k = real(e);
    return k * 6.93147180369123816490e-01 + (2.0 * s + 2.0 * s * t + k * 1.90821492927058770002e-10);
}
fn exp2_(x: real) -> real {
    if (is_nan_(x)) { return x; }
    if (x > 1024.0) { return inf_(); }
    if (x < -1080.0) { return 0.0; }
    let k = round(x);
    let n = i32(k);
    let s = exp_((x - k) * 0.6931471805599453);
    return ldexp(ldexp(s, n / 2), n - n / 2);
}
fn log2_(x: real) -> real { return log_(x) * 1.4426950408889634; }
// sin of r + q pi/2 for |r| <= pi/4: Taylor series of sin r or cos r to r^21.
fn quadrant_sin_(r: real, q: i32) -> real {
    let r2 = r * r;
    var v: real = 1.0;
    if ((q & 1) == 0) {
        for (var j = 10; j >= 1; j = j - 1) { v = 1.0 - v * r2 / real((2 * j) * (2 * j + 1)); }
        v = v * r;
    } else {
        for (var j = 10; j >= 1; j = j - 1) { v = 1.0 - v * r2 / real((2 * j - 1) * (2 * j)); }
    }
    return select(v, -v, (q & 2) != 0);
}
fn reduced_(x: real) -> real {
    let k = round(x * 0.6366197723675814);
    return ((x - k * 1.57079632673412561417e+00) - k * 6.07710050630396597660e-11) - k * 2.02226624871116645580e-21;
}
fn sin_(x: real) -> real {
    if (is_nan_(x) || abs(x) == inf_()) { return nan_(); }
    return quadrant_sin_(reduced_(x), i32(round(x * 0.6366197723675814)));
}
fn cos_(x: real) -> real {
    if (is_nan_(x) || abs(x) == inf_()) { return nan_(); }
    return quadrant_sin_(reduced_(x), i32(round(x * 0.6366197723675814)) + 1);
}
fn tan_(x: real) -> real { return sin_(x) / cos_(x); }
fn powf_(a: real, b: real) -> real {
    // Only for a > 0 (pow_ handles the rest), as WGSL's pow.
    if (a == inf_()) { return select(0.0, inf_(), b > 0.0); }
    return exp_(b * log_(a));
}
// The cancellation in exp(x) - 1 is undone by dividing by log(exp(x)) (Kahan).
fn expm1_(x: real) -> real {
    let u = exp_(x);
    if (u == 1.0) { return x; }
    let um = u - 1.0;
    if (um == -1.0) { return -1.0; }
    if (u == inf_()) { return u; }
    return um * x / log_(u);
}
fn tanh_(x: real) -> real {
    if (abs(x) > 20.0) { return select(real(1.0), real(-1.0), x < 0.0); }
    let e = expm1_(-2.0 * abs(x));
    let t = -e / (2.0 + e);
    return select(t, -t, x < 0.0);
}
"#;

/// Functions the expressions call that WGSL lacks, or has with different
/// edge cases than the CPU kernels (pow of negatives, clamp with NaN).
const FUNCTIONS: &str = r#"
fn sigmoid_(x: real) -> real { return 1.0 / (1.0 + exp_(-x)); }
// Near zero, 2 atanh(x / (2 + x)) by its series, which never forms 1 + x:
// drivers fold (1 + x) - 1 into x, so Kahan's correction cannot be relied on.
fn log1p_(x: real) -> real {
    if (x > -0.29 && x < 0.41) {
        let s = x / (2.0 + x);
        let s2 = s * s;
        var t: real = 0.0;
        for (var j = 25; j >= 3; j = j - 2) { t = (t + 1.0 / real(j)) * s2; }
        return 2.0 * s + 2.0 * s * t;
    }
    return log_(1.0 + x);
}
// erf through the classic Chebyshev fit of erfc (|error| < 1.2e-7): float32 only.
fn erf_(x: real) -> real {
    let z = abs(x);
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t * exp_(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
        + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    return select(1.0 - r, r - 1.0, x < 0.0);
}
fn clamp_(v: real, lo: real, hi: real) -> real {
    if (is_nan_(v)) { return v; }
    if (is_nan_(lo)) { return lo; }
    if (is_nan_(hi)) { return hi; }
    var r = v;
    if (r < lo) { r = lo; }
    if (hi < r) { r = hi; }
    return r;
}
fn pow_(a: real, b: real) -> real {
    if (b == 0.0) { return 1.0; }
    if (a == 1.0) { return 1.0; }
    if (is_nan_(a) || is_nan_(b)) { return nan_(); }
    if (a == 0.0) { return select(inf_(), 0.0, b > 0.0); }
    if (a < 0.0) {
        if (trunc(b) != b) { return nan_(); }
        let m = powf_(-a, b);
        // Past 2^31 every representable integer is even.
        let odd = abs(b) < 2147483648.0 && (i32(abs(b)) & 1) == 1;
        return select(m, -m, odd);
    }
    return powf_(a, b);
}
fn pow_number_(x: real, e: real) -> real {
    if (e == 2.0) { return x * x; }
    if (e == 3.0) { return x * x * x; }
    if (e == -2.0) { return 1.0 / (x * x); }
    if (e == 1.0) { return x; }
    if (e == 0.5) { return sqrt(x); }
    if (e == -0.5) { return 1.0 / sqrt(x); }
    if (e == -1.0) { return 1.0 / x; }
    return pow_(x, e);
}
fn gelu_slope_(x: real) -> real {
    let cdf = 0.5 * (1.0 + erf_(x * 0.7071067811865476));
    let pdf = exp_(-0.5 * x * x) * 0.3989422804014327;
    return cdf + x * pdf;
}
fn gelu_tanh_slope_(x: real) -> real {
    let x2 = x * x;
    let th = tanh_(0.7978845608028654 * (x + 0.044715 * x2 * x));
    let left = 0.5 * x;
    let right = 1.0 + th;
    return 0.5 * right + left * (1.0 - th * th) * 0.7978845608028654 * (1.0 + 3.0 * 0.044715 * x2);
}
fn div_floor_(a: real, b: real) -> real {
    if (b == 0.0) { return a / b; }
    let m = a - b * trunc(a / b);
    var d = (a - m) / b;
    if (m != 0.0 && ((b < 0.0) != (m < 0.0))) { d = d - 1.0; }
    if (d == 0.0) { return select(real(0.0), real(-0.0), a / b < 0.0); }
    var f = floor(d);
    if (d - f > 0.5) { f = f + 1.0; }
    return f;
}
fn softplus_backward_(g: real, x: real, beta: real, threshold: real) -> real {
    let bx = x * beta;
    if (bx > threshold) { return g; }
    let z = exp_(bx);
    return g * z / (z + 1.0);
}
fn lerp_(s: real, e: real, w: real) -> real {
    if (abs(w) < 0.5) { return s + w * (e - s); }
    return e - (e - s) * (1.0 - w);
}
"#;
