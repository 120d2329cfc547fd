//! The autograd engine through the public Rust API.

use ferrograd::autograd::{grad, no_grad};
use ferrograd::{DType, Error, Scalar, Tensor};

fn scalar(v: f64) -> Tensor {
    Tensor::from_vec(vec![v], &[]).unwrap()
}

fn leaf(values: Vec<f64>, shape: &[usize]) -> Tensor {
    Tensor::from_vec(values, shape).unwrap().with_requires_grad(true).unwrap()
}

fn values(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>().unwrap()
}

#[test]
fn tutorial_polynomial_gives_63_and_93() {
    let x = scalar(2.0).with_requires_grad(true).unwrap();
    let term = |c: i64, p: i64| x.pow_scalar(Scalar::Int(p)).unwrap().mul_scalar(Scalar::Int(c)).unwrap();
    let y = term(2, 4).add(&term(1, 3)).unwrap().add(&term(3, 2)).unwrap().add(&x.mul_scalar(Scalar::Int(5)).unwrap()).unwrap().add_scalar(Scalar::Int(1)).unwrap();
    assert_eq!(values(&y), vec![63.0]);
    assert_eq!(y.grad_fn_name(), Some("AddBackward0"));
    y.backward(None, None, false).unwrap();
    assert_eq!(values(&x.grad().unwrap()), vec![93.0]);
}

#[test]
fn gradients_accumulate_across_backward_calls() {
    let x = leaf(vec![1.0, 2.0], &[2]);
    for _ in 0..3 {
        x.mul_scalar(Scalar::Int(2)).unwrap().sum().unwrap().backward(None, None, false).unwrap();
    }
    assert_eq!(values(&x.grad().unwrap()), vec![6.0, 6.0]);
}

#[test]
fn broadcast_gradients_are_summed_back_to_input_shape() {
    let a = leaf(vec![1.0, 2.0, 3.0], &[3, 1]);
    let b = leaf(vec![10.0, 20.0, 30.0, 40.0], &[1, 4]);
    a.mul(&b).unwrap().sum().unwrap().backward(None, None, false).unwrap();
    assert_eq!(values(&a.grad().unwrap()), vec![100.0, 100.0, 100.0]);
    assert_eq!(values(&b.grad().unwrap()), vec![6.0, 6.0, 6.0, 6.0]);
    assert_eq!(a.grad().unwrap().shape(), &[3, 1]);
}

#[test]
fn second_backward_without_retain_graph_fails_with_pytorch_phrase() {
    let x = leaf(vec![1.0, 2.0], &[2]);
    let y = x.tanh().unwrap().sum().unwrap();
    y.backward(None, None, false).unwrap();
    let err = y.backward(None, None, false).unwrap_err();
    assert!(matches!(err, Error::GraphFreed));
    assert!(err.to_string().starts_with("Trying to backward through the graph a second time"));
}

#[test]
fn retain_graph_allows_a_second_backward() {
    let x = leaf(vec![0.5], &[1]);
    let y = x.exp().unwrap().sum().unwrap();
    y.backward(None, Some(true), false).unwrap();
    y.backward(None, None, false).unwrap();
    let e = 0.5f64.exp();
    assert!((values(&x.grad().unwrap())[0] - 2.0 * e).abs() < 1e-12);
}

#[test]
fn non_scalar_output_needs_an_explicit_gradient() {
    let x = leaf(vec![1.0, 2.0], &[2]);
    let y = x.mul_scalar(Scalar::Int(3)).unwrap();
    assert!(matches!(y.backward(None, None, false), Err(Error::ImplicitGradNonScalar)));
    let g = Tensor::from_vec(vec![1.0, 10.0], &[2]).unwrap();
    y.backward(Some(&g), None, false).unwrap();
    assert_eq!(values(&x.grad().unwrap()), vec![3.0, 30.0]);
}

#[test]
fn autograd_grad_returns_gradients_without_touching_dot_grad() {
    let x = leaf(vec![3.0], &[]);
    let w = leaf(vec![4.0], &[]);
    let y = x.mul(&w).unwrap();
    let g = grad(&[y], &[x.clone(), w.clone()], &[None], None, false, false).unwrap();
    assert_eq!(values(g[0].as_ref().unwrap()), vec![4.0]);
    assert_eq!(values(g[1].as_ref().unwrap()), vec![3.0]);
    assert!(x.grad().is_none() && w.grad().is_none());
}

#[test]
fn unused_input_is_an_error_unless_allowed() {
    let x = leaf(vec![1.0], &[]);
    let unused = leaf(vec![1.0], &[]);
    let y = x.mul_scalar(Scalar::Int(2)).unwrap();
    let err = grad(&[y.clone()], &[x.clone(), unused.clone()], &[None], Some(true), false, false).unwrap_err();
    assert!(matches!(err, Error::UnusedInput(1)));
    let g = grad(&[y], &[x, unused], &[None], None, false, true).unwrap();
    assert!(g[1].is_none());
}

#[test]
fn in_place_change_of_a_saved_tensor_is_detected() {
    let x = leaf(vec![1.0, 2.0], &[2]);
    let y = x.exp().unwrap();
    let z = y.sum().unwrap();
    {
        let _g = no_grad();
        y.add_(&scalar(1.0)).unwrap();
    }
    let err = z.backward(None, None, false).unwrap_err();
    assert!(err.to_string().contains("modified by an inplace operation"), "{err}");
}

#[test]
fn leaf_requiring_grad_rejects_in_place_ops_outside_no_grad() {
    let w = leaf(vec![1.0], &[1]);
    assert!(matches!(w.sub_(&scalar(0.1)), Err(Error::LeafInPlace)));
    let _g = no_grad();
    w.sub_(&scalar(0.25)).unwrap();
    assert_eq!(values(&w), vec![0.75]);
}

#[test]
fn in_place_add_on_a_non_leaf_rebases_its_history() {
    let x = leaf(vec![2.0], &[]);
    let loss = x.mul(&x).unwrap();
    loss.add_(&x.mul_scalar(Scalar::Int(3)).unwrap()).unwrap();
    assert_eq!(loss.grad_fn_name(), Some("AddBackward0"));
    loss.backward(None, None, false).unwrap();
    assert_eq!(values(&x.grad().unwrap()), vec![7.0]);
}

#[test]
fn no_grad_is_thread_local() {
    let _g = no_grad();
    let x = leaf(vec![1.0], &[]);
    assert!(!x.mul_scalar(Scalar::Int(2)).unwrap().requires_grad());
    let other = std::thread::spawn(|| {
        let x = leaf(vec![1.0], &[]);
        x.mul_scalar(Scalar::Int(2)).unwrap().requires_grad()
    });
    assert!(other.join().unwrap());
}

#[test]
fn a_100k_op_chain_backwards_and_drops_without_recursion() {
    // Run on a thread with a small stack: any recursion proportional to the
    // chain length would overflow it.
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let x = scalar(1.0).with_requires_grad(true).unwrap();
            let mut y = x.clone();
            for _ in 0..100_000 {
                y = y.mul_scalar(Scalar::Float(1.0000001)).unwrap();
            }
            y.backward(None, None, false).unwrap();
            let expected = 1.0000001f64.powi(100_000);
            assert!((values(&x.grad().unwrap())[0] - expected).abs() < 1e-9);
            drop(y);
            let mut z = x.clone();
            for _ in 0..100_000 {
                z = z.add_scalar(Scalar::Int(1)).unwrap();
            }
            drop(z);
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn promotion_and_dtype_of_gradients() {
    let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap().with_requires_grad(true).unwrap();
    let b = leaf(vec![3.0, 4.0], &[2]);
    let y = a.mul(&b).unwrap();
    assert_eq!(y.dtype(), DType::F64);
    y.sum().unwrap().backward(None, None, false).unwrap();
    assert_eq!(a.grad().unwrap().dtype(), DType::F32);
    assert_eq!(a.grad().unwrap().to_vec::<f32>().unwrap(), vec![3.0, 4.0]);
}
