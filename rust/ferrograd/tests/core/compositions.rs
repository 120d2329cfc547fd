//! Ops PyTorch computes as a chain of other ops (outer, scaled addmm,
//! number / tensor): values worked out by hand, grad_fn chains as PyTorch
//! records them, gradients from the calculus.

use ferrograd::{DType, Error, Scalar, Tensor};

fn leaf(values: Vec<f64>, shape: &[usize]) -> Tensor {
    Tensor::from_vec(values, shape).unwrap().with_requires_grad(true).unwrap()
}

fn values(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>().unwrap()
}

#[test]
fn outer_is_a_column_times_a_row() {
    let a = leaf(vec![1.0, 2.0], &[2]);
    let b = leaf(vec![3.0, 4.0, 5.0], &[3]);
    let y = a.outer(&b).unwrap();
    assert_eq!(y.shape().to_vec(), vec![2, 3]);
    assert_eq!(values(&y), vec![3.0, 4.0, 5.0, 6.0, 8.0, 10.0]);
    assert_eq!(y.grad_fn_name(), Some("MulBackward0"));
    y.sum().unwrap().backward(None, None, false).unwrap();
    // d/da_i sum_j a_i b_j = sum_j b_j; d/db_j = sum_i a_i.
    assert_eq!(values(&a.grad().unwrap()), vec![12.0, 12.0]);
    assert_eq!(values(&b.grad().unwrap()), vec![3.0, 3.0, 3.0]);
}

#[test]
fn outer_of_a_matrix_is_an_error() {
    let m = Tensor::from_vec(vec![1.0; 4], &[2, 2]).unwrap();
    let v = Tensor::from_vec(vec![1.0; 2], &[2]).unwrap();
    match m.outer(&v) {
        Err(e @ Error::CountMismatch { .. }) => assert_eq!(e.to_string(), "outer: expected 1D tensors, but got 2D and 1D"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn scaled_addmm_is_beta_bias_plus_alpha_product() {
    let bias = leaf(vec![1.0], &[1, 1]);
    let m1 = leaf(vec![1.0, 2.0], &[1, 2]);
    let m2 = leaf(vec![3.0, 4.0], &[2, 1]);
    let y = Tensor::addmm_scaled(&bias, &m1, &m2, 2.0, 3.0).unwrap();
    // 2 * 1 + 3 * (1*3 + 2*4) = 35.
    assert_eq!(values(&y), vec![35.0]);
    assert_eq!(y.grad_fn_name(), Some("AddBackward0"));
    y.sum().unwrap().backward(None, None, false).unwrap();
    assert_eq!(values(&bias.grad().unwrap()), vec![2.0]);
    assert_eq!(values(&m1.grad().unwrap()), vec![9.0, 12.0]);
    assert_eq!(values(&m2.grad().unwrap()), vec![3.0, 6.0]);
}

#[test]
fn unscaled_addmm_is_the_fused_op() {
    let bias = leaf(vec![1.0], &[1, 1]);
    let m1 = leaf(vec![1.0, 2.0], &[1, 2]);
    let m2 = leaf(vec![3.0, 4.0], &[2, 1]);
    let y = Tensor::addmm_scaled(&bias, &m1, &m2, 1.0, 1.0).unwrap();
    assert_eq!(values(&y), vec![12.0]);
    assert_eq!(y.grad_fn_name(), Some("AddmmBackward0"));
    let batched_bias = Tensor::from_vec(vec![1.0], &[1, 1, 1]).unwrap();
    assert!(matches!(Tensor::addmm_scaled(&batched_bias, &m1, &m2, 1.0, 1.0), Err(Error::Value(_))));
}

#[test]
fn number_over_tensor_is_reciprocal_times_number() {
    let x = leaf(vec![1.0, 4.0], &[2]);
    let y = x.rdiv_scalar(Scalar::Int(2)).unwrap();
    assert_eq!(values(&y), vec![2.0, 0.5]);
    assert_eq!(y.grad_fn_name(), Some("MulBackward0"));
    y.sum().unwrap().backward(None, None, false).unwrap();
    // d/dx 2/x = -2/x².
    assert_eq!(values(&x.grad().unwrap()), vec![-2.0, -0.125]);
}

#[test]
fn add_and_sub_scale_the_other_operand() {
    let x = leaf(vec![1.0, 2.0], &[2]);
    let other = leaf(vec![3.0, 4.0], &[2]);
    let sum = x.add_scaled(&other, Some(Scalar::Int(2))).unwrap();
    assert_eq!(values(&sum), vec![7.0, 10.0]);
    assert_eq!(sum.grad_fn_name(), Some("AddBackward0"));
    let difference = x.sub_scaled(&other, Some(Scalar::Float(0.5))).unwrap();
    assert_eq!(values(&difference), vec![-0.5, 0.0]);
    difference.sum().unwrap().backward(None, None, false).unwrap();
    assert_eq!(values(&other.grad().unwrap()), vec![-0.5, -0.5]);
    assert_eq!(values(&x.add_scaled(&other, None).unwrap()), vec![4.0, 6.0]);

    let y = Tensor::from_vec(vec![1.0, 1.0], &[2]).unwrap();
    y.sub_scaled_(&Tensor::from_vec(vec![2.0, 4.0], &[2]).unwrap(), Some(Scalar::Int(3))).unwrap();
    assert_eq!(values(&y), vec![-5.0, -11.0]);
}

#[test]
fn reductions_run_in_the_requested_dtype() {
    let ints = Tensor::from_vec(vec![1i32, 2, 3], &[3]).unwrap();
    let widened = ints.reduced_in(None, Tensor::sum).unwrap();
    assert_eq!(widened.dtype(), DType::I64);
    let kept = ints.reduced_in(Some(DType::I32), Tensor::sum).unwrap();
    assert_eq!(kept.dtype(), DType::I32);
    assert_eq!(kept.to_vec::<i32>().unwrap(), vec![6]);
    let as_float = ints.reduced_in(Some(DType::F64), |x| x.cumsum(0)).unwrap();
    assert_eq!(values(&as_float), vec![1.0, 3.0, 6.0]);
}
