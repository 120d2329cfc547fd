//! Unary elementwise ops: gradients by finite differences, a few values by hand.

use crate::common::{assert_values, case, check_family, float, signed, tensor, uniform};
use ferrograd::ops::pointwise::Rounding;
use ferrograd::Tensor;

#[test]
fn unary_gradients_match_finite_differences() {
    let s = [2, 3];
    check_family(
        "unary",
        vec![
            case("neg", |x| x[0].neg(), vec![uniform(&s, -2.0, 2.0)]),
            case("reciprocal", |x| x[0].reciprocal(), vec![signed(&s, 0.5, 2.0)]),
            case("exp", |x| x[0].exp(), vec![uniform(&s, -2.0, 2.0)]),
            case("exp2", |x| x[0].exp2(), vec![uniform(&s, -2.0, 2.0)]),
            case("expm1", |x| x[0].expm1(), vec![uniform(&s, -2.0, 2.0)]),
            case("log", |x| x[0].log(), vec![uniform(&s, 0.2, 3.0)]),
            case("log2", |x| x[0].log2(), vec![uniform(&s, 0.2, 3.0)]),
            case("log10", |x| x[0].log10(), vec![uniform(&s, 0.2, 3.0)]),
            case("log1p", |x| x[0].log1p(), vec![uniform(&s, -0.5, 3.0)]),
            case("sqrt", |x| x[0].sqrt(), vec![uniform(&s, 0.2, 3.0)]),
            case("rsqrt", |x| x[0].rsqrt(), vec![uniform(&s, 0.2, 3.0)]),
            case("square", |x| x[0].square(), vec![uniform(&s, -2.0, 2.0)]),
            case("tanh", |x| x[0].tanh(), vec![uniform(&s, -2.0, 2.0)]),
            case("sigmoid", |x| x[0].sigmoid(), vec![uniform(&s, -3.0, 3.0)]),
            case("relu", |x| x[0].relu(), vec![signed(&s, 0.1, 2.0)]),
            case("abs", |x| x[0].abs(), vec![signed(&s, 0.1, 2.0)]),
            case("sign", |x| x[0].sign(), vec![signed(&s, 0.1, 2.0)]),
            case("sin", |x| x[0].sin(), vec![uniform(&s, -3.0, 3.0)]),
            case("cos", |x| x[0].cos(), vec![uniform(&s, -3.0, 3.0)]),
            case("tan", |x| x[0].tan(), vec![uniform(&s, -1.2, 1.2)]),
            case("erf", |x| x[0].erf(), vec![uniform(&s, -2.0, 2.0)]),
            // Piecewise constant: zero gradient away from the steps.
            case("floor", |x| x[0].floor(), vec![tensor(&[-1.7, -0.2, 0.3, 1.4, 2.6, 3.1], &s)]),
            case("ceil", |x| x[0].ceil(), vec![tensor(&[-1.7, -0.2, 0.3, 1.4, 2.6, 3.1], &s)]),
            case("round", |x| x[0].round(), vec![tensor(&[-1.7, -0.2, 0.3, 1.4, 2.6, 3.1], &s)]),
            case("trunc", |x| x[0].trunc(), vec![tensor(&[-1.7, -0.2, 0.3, 1.4, 2.6, 3.1], &s)]),
            case("round_decimals", |x| x[0].round_decimals(1), vec![tensor(&[-1.72, -0.23, 0.31, 1.44, 2.62, 3.11], &s)]),
            case("rounded", |x| x[0].rounded(Rounding::Floor), vec![tensor(&[-1.7, -0.2, 0.3, 1.4, 2.6, 3.1], &s)]),
            case("nan_to_num", |x| x[0].nan_to_num(None, None, None), vec![uniform(&s, -2.0, 2.0)]),
            case("clamp", |x| x[0].clamp(Some(float(-0.5)), Some(float(0.5))), vec![tensor(&[-1.0, -0.3, 0.1, 0.4, 0.7, 2.0], &s)]),
            case("clamp min only", |x| x[0].clamp(Some(float(0.0)), None), vec![tensor(&[-1.0, -0.3, 0.1, 0.4, 0.7, 2.0], &s)]),
            // A strided (transposed) input and a 0-d input take the general kernels.
            case("exp of a transposed view", |x| x[0].t()?.exp(), vec![uniform(&[3, 2], -1.0, 1.0)]),
            case("log of a 0-d tensor", |x| x[0].log(), vec![tensor(&[1.5], &[])]),
        ],
    );
}

#[test]
fn unary_values_match_hand_computation() {
    let x = tensor(&[-1.0, 0.0, 4.0], &[3]);
    let e = std::f64::consts::E;
    assert_values("exp", &x.exp().unwrap(), &[3], &[1.0 / e, 1.0, e.powi(4)]);
    assert_values("relu", &x.relu().unwrap(), &[3], &[0.0, 0.0, 4.0]);
    assert_values("abs", &x.abs().unwrap(), &[3], &[1.0, 0.0, 4.0]);
    assert_values("sign", &x.sign().unwrap(), &[3], &[-1.0, 0.0, 1.0]);
    assert_values("sigmoid", &x.sigmoid().unwrap(), &[3], &[1.0 / (1.0 + e), 0.5, 1.0 / (1.0 + e.powi(-4))]);
    let positive = tensor(&[0.25, 1.0, 100.0], &[3]);
    assert_values("sqrt", &positive.sqrt().unwrap(), &[3], &[0.5, 1.0, 10.0]);
    assert_values("rsqrt", &positive.rsqrt().unwrap(), &[3], &[2.0, 1.0, 0.1]);
    assert_values("log10", &positive.log10().unwrap(), &[3], &[0.25f64.log10(), 0.0, 2.0]);
    assert_values("round half to even", &tensor(&[0.5, 1.5, -2.5], &[3]).round().unwrap(), &[3], &[0.0, 2.0, -2.0]);
    assert_values("clamp", &x.clamp(Some(float(-0.5)), Some(float(2.0))).unwrap(), &[3], &[-0.5, 0.0, 2.0]);
    let t: Tensor = tensor(&[std::f64::consts::FRAC_PI_4], &[]);
    assert_values("tan", &t.tan().unwrap(), &[], &[1.0]);
}
