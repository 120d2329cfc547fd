//! Reductions beyond sum and mean (those live in `ops/reduce.rs`): products,
//! extrema and their indices, variance and standard deviation, logsumexp,
//! vector norms, cumulative sums and products, and the boolean all/any.
//!
//! Forwards run on the generic fold of `kernels::reduce` (reductions) or the
//! line kernels of `kernels::along` (scans); each backward sits below its
//! forward, written in tensor ops so create_graph works, with a fused kernel
//! only as the plain-backward path of prod and cumprod.

pub mod cumulative;
pub mod extrema;
pub mod logical;
pub mod logsumexp;
pub mod moments;
pub mod norm;
pub mod prod;

use super::reduce::normalize_dims;
use crate::error::Result;
use crate::layout::Shape;
use crate::tensor::Tensor;

/// Sorted, unique, wrapped dims; `None` or an empty list means every dim.
pub(crate) fn resolve_dims(x: &Tensor, dims: Option<&[i64]>) -> Result<Shape> {
    match dims {
        Some(d) if !d.is_empty() => normalize_dims(d, x.ndim()),
        _ => Ok((0..x.ndim()).collect()),
    }
}

/// Dims that exist in the tensor (a 0-d tensor accepts dim 0 but has none).
pub(crate) fn real_dims(dims: &[usize], ndim: usize) -> Shape {
    dims.iter().copied().filter(|&d| d < ndim).collect()
}

/// `t` (a reduction's result or its gradient) with the reduced dims put back
/// as size 1, so it broadcasts against the input of `ndim` dims.
pub(crate) fn unsqueeze_reduced(t: &Tensor, ndim: usize, dims: &[usize], keepdim: bool) -> Result<Tensor> {
    if keepdim || ndim == 0 {
        return Ok(t.clone());
    }
    let mut shape: Vec<i64> = t.shape().iter().map(|&s| s as i64).collect();
    for d in real_dims(dims, ndim) {
        shape.insert(d, 1);
    }
    t.reshape(&shape)
}

/// The `dims` list as the `i64`s the public reductions take.
pub(crate) fn dims_i64(dims: &[usize]) -> Vec<i64> {
    dims.iter().map(|&d| d as i64).collect()
}

/// An `n` x `n` bool mask with `keep(i, j)` at row i, column j.
pub(crate) fn square_mask(n: usize, keep: impl Fn(usize, usize) -> bool) -> Result<Tensor> {
    let values: Vec<bool> = (0..n * n).map(|k| keep(k / n, k % n)).collect();
    Tensor::from_vec(values, &[n, n])
}

/// How many elements of `x` are exactly zero: decides between the
/// division-based gradients of prod/cumprod and their zero-safe forms.
pub(crate) fn count_zeros(x: &Tensor) -> Result<usize> {
    let zeros = x.eq_scalar(crate::dtype::Scalar::Int(0))?;
    Ok(zeros.sum()?.item()?.to_f64() as usize)
}

/// Does `x` hold an exact zero?
pub(crate) fn contains_zero(x: &Tensor) -> Result<bool> {
    Ok(count_zeros(x)? > 0)
}

/// `x` with `dim` moved last and a new axis before it, expanded so that
/// `rows[..., i, j] = x[..., j]`: one copy of each line per row, for the
/// quadratic create_graph forms of the zero-safe gradients.
pub(crate) fn line_rows(x: &Tensor, dim: usize) -> Result<Tensor> {
    let last = x.transpose(dim as i64, -1)?;
    let n = x.shape()[dim];
    let mut shape: Vec<usize> = last.shape().to_vec();
    shape.insert(shape.len() - 1, n);
    last.unsqueeze(-2)?.expand(&shape)
}

#[cfg(test)]
mod tests {
    use crate::tensor::Tensor;

    #[test]
    fn argmax_takes_the_first_of_ties_and_nan_first() {
        let x = Tensor::from_vec(vec![1.0f32, 3.0, 3.0, 2.0, 2.0, 0.0], &[2, 3]).unwrap();
        assert_eq!(x.argmax(Some(1), false).unwrap().to_vec::<i64>().unwrap(), vec![1, 0]);
        assert_eq!(x.argmin(None, false).unwrap().to_vec::<i64>().unwrap(), vec![5]);
        let n = Tensor::from_vec(vec![1.0f64, f64::NAN, 5.0, f64::NAN], &[4]).unwrap();
        assert_eq!(n.argmax(None, false).unwrap().to_vec::<i64>().unwrap(), vec![1]);
        assert!(n.amax(None, false).unwrap().item().unwrap().to_f64().is_nan());
    }

    #[test]
    fn variance_and_logsumexp_edges_follow_pytorch() {
        let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).unwrap();
        assert_eq!(x.var_dims(None, 2.0, false).unwrap().item().unwrap().to_f64(), f64::INFINITY);
        let one = Tensor::from_vec(vec![1.0f64], &[1]).unwrap();
        assert!(one.var_dims(None, 1.0, false).unwrap().item().unwrap().to_f64().is_nan());
        let big = Tensor::from_vec(vec![1000.0f64, 1000.0], &[2]).unwrap();
        let lse = big.logsumexp(&[0], false).unwrap().item().unwrap().to_f64();
        assert!((lse - (1000.0 + 2f64.ln())).abs() < 1e-12);
        let neg = Tensor::from_vec(vec![f64::NEG_INFINITY; 2], &[2]).unwrap();
        assert_eq!(neg.logsumexp(&[0], false).unwrap().item().unwrap().to_f64(), f64::NEG_INFINITY);
    }
}
