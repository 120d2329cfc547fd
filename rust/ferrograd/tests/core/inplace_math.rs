//! In-place math methods: values, recorded history, and gradients that read
//! the value from before the write when the op's backward needs its input.

use ferrograd::ops::pointwise::ClampBound;
use ferrograd::{Error, Scalar, Tensor};

fn leaf(values: Vec<f64>) -> Tensor {
    let n = values.len();
    Tensor::from_vec(values, &[n]).unwrap().with_requires_grad(true).unwrap()
}

fn values(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>().unwrap()
}

/// A non-leaf copy of `x` (so it may be changed in place while recorded).
fn non_leaf(x: &Tensor) -> Tensor {
    x.mul_scalar(Scalar::Int(1)).unwrap()
}

fn grad_of_sum(y: &Tensor, x: &Tensor) -> Vec<f64> {
    y.sum().unwrap().backward(None, None, false).unwrap();
    values(&x.grad().unwrap())
}

fn assert_close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-12, "{got:?} != {want:?}");
    }
}

#[test]
fn exp_in_place_takes_exp_history() {
    let x = leaf(vec![0.0, 1.0]);
    let y = non_leaf(&x);
    y.exp_().unwrap();
    assert_close(&values(&y), &[1.0, 1f64.exp()]);
    assert_eq!(y.grad_fn_name(), Some("ExpBackward0"));
    assert_close(&grad_of_sum(&y, &x), &[1.0, 1f64.exp()]);
}

#[test]
fn log_in_place_differentiates_at_the_old_value() {
    // d/dx log(x) = 1/x at the value before the write, not at log(x).
    let x = leaf(vec![2.0, 4.0]);
    let y = non_leaf(&x);
    y.log_().unwrap();
    assert_close(&values(&y), &[2f64.ln(), 4f64.ln()]);
    assert_eq!(y.grad_fn_name(), Some("LogBackward0"));
    assert_close(&grad_of_sum(&y, &x), &[0.5, 0.25]);
}

#[test]
fn pow_in_place_differentiates_at_the_old_base() {
    let x = leaf(vec![3.0, -1.5]);
    let y = non_leaf(&x);
    y.pow_scalar_(Scalar::Int(2)).unwrap();
    assert_close(&values(&y), &[9.0, 2.25]);
    assert_eq!(y.grad_fn_name(), Some("PowBackward0"));
    assert_close(&grad_of_sum(&y, &x), &[6.0, -3.0]);
}

#[test]
fn in_place_on_a_leaf_that_requires_grad_is_refused() {
    let x = leaf(vec![1.0]);
    assert!(matches!(x.sin_(), Err(Error::LeafInPlace)));
}

#[test]
fn clamp_bounds_choose_the_number_or_tensor_overload() {
    let x = leaf(vec![-2.0, 0.5, 3.0]);
    let numbers = x.clamp_bounds(Some(ClampBound::Number(Scalar::Float(-1.0))), Some(ClampBound::Number(Scalar::Int(1)))).unwrap();
    assert_eq!(values(&numbers), vec![-1.0, 0.5, 1.0]);
    assert_eq!(numbers.grad_fn_name(), Some("ClampBackward1"));

    let hi = Tensor::from_vec(vec![0.0, 0.0, 5.0], &[3]).unwrap();
    let tensors = x.clamp_bounds(None, Some(ClampBound::Tensor(hi))).unwrap();
    assert_eq!(values(&tensors), vec![-2.0, 0.0, 3.0]);
    assert_eq!(tensors.grad_fn_name(), Some("ClampBackward0"));

    // A 0-d tensor next to a number is read as a number.
    let zero_d = Tensor::from_vec(vec![1.0], &[]).unwrap();
    let mixed = x.clamp_bounds(Some(ClampBound::Number(Scalar::Int(0))), Some(ClampBound::Tensor(zero_d))).unwrap();
    assert_eq!(values(&mixed), vec![0.0, 0.5, 1.0]);
    assert_eq!(mixed.grad_fn_name(), Some("ClampBackward1"));

    let vector = Tensor::from_vec(vec![1.0, 1.0, 1.0], &[3]).unwrap();
    let refused = x.clamp_bounds(Some(ClampBound::Number(Scalar::Int(0))), Some(ClampBound::Tensor(vector)));
    assert!(matches!(refused, Err(Error::Type(_))));
}

#[test]
fn clamp_in_place_differentiates_at_the_old_value() {
    let x = leaf(vec![-2.0, 0.5, 3.0]);
    let y = non_leaf(&x);
    y.clamp_bounds_(Some(ClampBound::Number(Scalar::Int(-1))), Some(ClampBound::Number(Scalar::Int(1)))).unwrap();
    assert_eq!(values(&y), vec![-1.0, 0.5, 1.0]);
    assert_close(&grad_of_sum(&y, &x), &[0.0, 1.0, 0.0]);
}

#[test]
fn dropout_in_place_that_drops_nothing_keeps_history() {
    let x = leaf(vec![1.0, 2.0]);
    let y = non_leaf(&x);
    y.dropout_(0.0, true).unwrap();
    y.dropout_(0.5, false).unwrap();
    assert_eq!(values(&y), vec![1.0, 2.0]);
    assert_eq!(y.grad_fn_name(), Some("MulBackward0"));
    assert!(matches!(y.dropout_(1.5, true), Err(Error::Value(_))));
    y.dropout_(1.0, true).unwrap();
    assert_eq!(values(&y), vec![0.0, 0.0]);
}

#[test]
fn leaky_relu_in_place_refuses_a_recorded_negative_slope() {
    let x = leaf(vec![-2.0, 2.0]);
    let y = non_leaf(&x);
    assert!(matches!(y.leaky_relu_(-0.5), Err(Error::Runtime(_))));
    y.leaky_relu_(0.25).unwrap();
    assert_eq!(values(&y), vec![-0.5, 2.0]);
    assert_eq!(y.grad_fn_name(), Some("LeakyReluBackward1"));
    assert_close(&grad_of_sum(&y, &x), &[0.25, 1.0]);
}
