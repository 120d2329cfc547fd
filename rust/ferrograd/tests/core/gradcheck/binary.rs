//! Binary arithmetic, with broadcasting and with number operands.

use crate::common::{assert_values, case, check_family, float, signed, tensor, uniform};
use ferrograd::ops::remainder::Modulo;
use ferrograd::{Scalar, Tensor};

#[test]
fn binary_gradients_match_finite_differences() {
    let (a, b) = ([2, 3], [2, 3]);
    let (col, row) = ([3, 1], [1, 4]);
    check_family(
        "binary",
        vec![
            case("add", |x| x[0].add(&x[1]), vec![uniform(&a, -1.0, 1.0), uniform(&b, -1.0, 1.0)]),
            case("add broadcast", |x| x[0].add(&x[1]), vec![uniform(&col, -1.0, 1.0), uniform(&row, -1.0, 1.0)]),
            case("sub broadcast", |x| x[0].sub(&x[1]), vec![uniform(&[2, 3], -1.0, 1.0), uniform(&[3], -1.0, 1.0)]),
            case("mul broadcast", |x| x[0].mul(&x[1]), vec![uniform(&col, -1.0, 1.0), uniform(&row, -1.0, 1.0)]),
            case("mul by 0-d", |x| x[0].mul(&x[1]), vec![uniform(&a, -1.0, 1.0), uniform(&[], -1.0, 1.0)]),
            case("div broadcast", |x| x[0].div(&x[1]), vec![uniform(&col, -1.0, 1.0), signed(&row, 0.5, 2.0)]),
            case("pow", |x| x[0].pow(&x[1]), vec![uniform(&a, 0.5, 2.0), uniform(&b, -1.5, 1.5)]),
            case("pow broadcast", |x| x[0].pow(&x[1]), vec![uniform(&col, 0.5, 2.0), uniform(&row, -1.5, 1.5)]),
            case("maximum", |x| x[0].maximum(&x[1]), vec![uniform(&a, -1.0, 1.0), uniform(&b, -1.0, 1.0)]),
            case("maximum broadcast", |x| x[0].maximum(&x[1]), vec![uniform(&col, -1.0, 1.0), uniform(&row, -1.0, 1.0)]),
            case("minimum broadcast", |x| x[0].minimum(&x[1]), vec![uniform(&col, -1.0, 1.0), uniform(&row, -1.0, 1.0)]),
            case("add_scaled", |x| x[0].add_scaled(&x[1], Some(float(-2.5))), vec![uniform(&col, -1.0, 1.0), uniform(&row, -1.0, 1.0)]),
            case("sub_scaled", |x| x[0].sub_scaled(&x[1], Some(float(0.5))), vec![uniform(&col, -1.0, 1.0), uniform(&row, -1.0, 1.0)]),
            case("remainder", |x| x[0].modulo(&x[1], Modulo::Remainder), vec![tensor(&[-2.3, -0.7, 0.4, 1.9, 3.3, 5.1], &a), tensor(&[1.5, 0.9, -1.1, 0.8, -2.0, 1.3], &b)]),
            case("fmod", |x| x[0].modulo(&x[1], Modulo::Fmod), vec![tensor(&[-2.3, -0.7, 0.4, 1.9, 3.3, 5.1], &a), tensor(&[1.5, 0.9, -1.1, 0.8, -2.0, 1.3], &b)]),
            case("lerp", |x| x[0].lerp(&x[1], float(0.3)), vec![uniform(&col, -1.0, 1.0), uniform(&row, -1.0, 1.0)]),
            case("lerp_tensor", |x| x[0].lerp_tensor(&x[1], &x[2]), vec![uniform(&col, -1.0, 1.0), uniform(&row, -1.0, 1.0), uniform(&[4], 0.0, 1.0)]),
            case("clamp_tensor", |x| x[0].clamp_tensor(Some(&x[1]), Some(&x[2])), vec![tensor(&[-2.0, -0.5, 0.1, 0.6, 2.0, 0.05], &a), tensor(&[-1.0, -0.2, 0.0], &[3]), tensor(&[1.0, 0.3, 0.5], &[3])]),
            case("where_cond", |x| {
                let cond = x[0].compare_scalar(Scalar::Float(0.0), ferrograd::ops::compare::Comparison::Gt)?;
                Tensor::where_cond(&cond, &x[1], &x[2])
            }, vec![tensor(&[-1.0, 2.0, 3.0, -4.0], &[4, 1]), uniform(&[4, 3], -1.0, 1.0), uniform(&[3], -1.0, 1.0)]),
            // Number operands.
            case("add_scalar", |x| x[0].add_scalar(float(1.5)), vec![uniform(&a, -1.0, 1.0)]),
            case("sub_scalar", |x| x[0].sub_scalar(float(1.5)), vec![uniform(&a, -1.0, 1.0)]),
            case("mul_scalar", |x| x[0].mul_scalar(float(-3.0)), vec![uniform(&a, -1.0, 1.0)]),
            case("div_scalar", |x| x[0].div_scalar(float(4.0)), vec![uniform(&a, -1.0, 1.0)]),
            case("rsub_scalar", |x| x[0].rsub_scalar(float(2.0)), vec![uniform(&a, -1.0, 1.0)]),
            case("rdiv_scalar", |x| x[0].rdiv_scalar(float(2.0)), vec![signed(&a, 0.5, 2.0)]),
            case("pow_scalar int", |x| x[0].pow_scalar(Scalar::Int(3)), vec![uniform(&a, -2.0, 2.0)]),
            case("pow_scalar float", |x| x[0].pow_scalar(float(-1.5)), vec![uniform(&a, 0.5, 2.0)]),
            case("rpow_scalar", |x| x[0].rpow_scalar(float(1.7)), vec![uniform(&a, -2.0, 2.0)]),
            case("remainder by number", |x| x[0].modulo(&Tensor::wrapped_number(float(0.9)), Modulo::Remainder), vec![tensor(&[-2.3, -0.7, 0.4, 1.9, 3.3, 5.1], &a)]),
        ],
    );
}

#[test]
fn binary_values_match_hand_computation() {
    let col = tensor(&[1.0, 2.0], &[2, 1]);
    let row = tensor(&[10.0, 20.0, 30.0], &[1, 3]);
    assert_values("add broadcast", &col.add(&row).unwrap(), &[2, 3], &[11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
    assert_values("div broadcast", &row.div(&col).unwrap(), &[2, 3], &[10.0, 20.0, 30.0, 5.0, 10.0, 15.0]);
    assert_values("pow", &tensor(&[2.0, 9.0], &[2]).pow(&tensor(&[3.0, 0.5], &[2])).unwrap(), &[2], &[8.0, 3.0]);
    assert_values("maximum", &tensor(&[1.0, 5.0], &[2]).maximum(&tensor(&[3.0, 4.0], &[2])).unwrap(), &[2], &[3.0, 5.0]);
    assert_values("minimum", &tensor(&[1.0, 5.0], &[2]).minimum(&tensor(&[3.0, 4.0], &[2])).unwrap(), &[2], &[1.0, 4.0]);
    // Python's sign convention: the remainder takes the divisor's sign, fmod the dividend's.
    let (p, q) = (tensor(&[-7.0, 7.0], &[2]), tensor(&[3.0, -3.0], &[2]));
    assert_values("remainder", &p.modulo(&q, Modulo::Remainder).unwrap(), &[2], &[2.0, -2.0]);
    assert_values("fmod", &p.modulo(&q, Modulo::Fmod).unwrap(), &[2], &[-1.0, 1.0]);
    assert_values("lerp", &tensor(&[0.0], &[1]).lerp(&tensor(&[10.0], &[1]), float(0.25)).unwrap(), &[1], &[2.5]);
}
