//! Matrix products and attention.

use crate::common::{assert_values, case, check_family, tensor, uniform};
use ferrograd::ops::losses::attention::AttentionOptions;
use ferrograd::Tensor;

#[test]
fn linalg_gradients_match_finite_differences() {
    let m = |r, c| uniform(&[r, c], -1.0, 1.0);
    check_family(
        "linalg",
        vec![
            case("mm", |x| x[0].mm(&x[1]), vec![m(2, 3), m(3, 4)]),
            case("mm of transposed views", |x| x[0].t()?.mm(&x[1].t()?), vec![m(3, 2), m(4, 3)]),
            case("bmm", |x| x[0].bmm(&x[1]), vec![uniform(&[2, 2, 3], -1.0, 1.0), uniform(&[2, 3, 2], -1.0, 1.0)]),
            case("mv", |x| x[0].mv(&x[1]), vec![m(3, 4), uniform(&[4], -1.0, 1.0)]),
            case("dot", |x| x[0].dot(&x[1]), vec![uniform(&[5], -1.0, 1.0), uniform(&[5], -1.0, 1.0)]),
            case("outer", |x| x[0].outer(&x[1]), vec![uniform(&[3], -1.0, 1.0), uniform(&[2], -1.0, 1.0)]),
            case("addmm", |x| Tensor::addmm(&x[0], &x[1], &x[2]), vec![uniform(&[4], -1.0, 1.0), m(2, 3), m(3, 4)]),
            case("addmm_scaled", |x| Tensor::addmm_scaled(&x[0], &x[1], &x[2], 0.5, -2.0), vec![m(2, 4), m(2, 3), m(3, 4)]),
            case("matmul 1d 1d", |x| x[0].matmul(&x[1]), vec![uniform(&[3], -1.0, 1.0), uniform(&[3], -1.0, 1.0)]),
            case("matmul 1d 2d", |x| x[0].matmul(&x[1]), vec![uniform(&[3], -1.0, 1.0), m(3, 2)]),
            case("matmul 2d 1d", |x| x[0].matmul(&x[1]), vec![m(2, 3), uniform(&[3], -1.0, 1.0)]),
            case("matmul 3d 2d", |x| x[0].matmul(&x[1]), vec![uniform(&[2, 2, 3], -1.0, 1.0), m(3, 2)]),
            case("matmul broadcast batch", |x| x[0].matmul(&x[1]), vec![uniform(&[2, 1, 2, 3], -1.0, 1.0), uniform(&[3, 3, 2], -1.0, 1.0)]),
            case("scaled_dot_product_attention", |x| Tensor::scaled_dot_product_attention(&x[0], &x[1], &x[2], &AttentionOptions::default()), vec![uniform(&[2, 3, 4], -1.0, 1.0), uniform(&[2, 5, 4], -1.0, 1.0), uniform(&[2, 5, 3], -1.0, 1.0)]),
            case("scaled_dot_product_attention causal", |x| Tensor::scaled_dot_product_attention(&x[0], &x[1], &x[2], &AttentionOptions { is_causal: true, scale: Some(0.7), ..Default::default() }), vec![uniform(&[3, 4], -1.0, 1.0), uniform(&[3, 4], -1.0, 1.0), uniform(&[3, 2], -1.0, 1.0)]),
        ],
    );
}

#[test]
fn linalg_values_match_hand_computation() {
    let a = tensor(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let b = tensor(&[5.0, 6.0, 7.0, 8.0], &[2, 2]);
    assert_values("mm", &a.mm(&b).unwrap(), &[2, 2], &[19.0, 22.0, 43.0, 50.0]);
    assert_values("mv", &a.mv(&tensor(&[1.0, -1.0], &[2])).unwrap(), &[2], &[-1.0, -1.0]);
    assert_values("dot", &tensor(&[1.0, 2.0, 3.0], &[3]).dot(&tensor(&[4.0, 5.0, 6.0], &[3])).unwrap(), &[], &[32.0]);
    assert_values("addmm", &Tensor::addmm(&tensor(&[1.0, 1.0], &[2]), &a, &b).unwrap(), &[2, 2], &[20.0, 23.0, 44.0, 51.0]);
    assert_values("matmul batched", &Tensor::stack(&[a.clone(), b.clone()], 0).unwrap().matmul(&tensor(&[1.0, 0.0], &[2])).unwrap(), &[2, 2], &[1.0, 3.0, 5.0, 7.0]);
}
