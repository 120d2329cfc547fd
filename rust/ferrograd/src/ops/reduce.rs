//! Sums and means, over everything or over dims. Floats accumulate in f64.

use super::{record_plain, BackwardCtx, Grads, Op};
use crate::dtype::{DType, Scalar};
use crate::error::Result;
use crate::kernels::named::Sum;
use crate::layout::{normalize_dim, Shape};
use crate::tensor::Tensor;
use smallvec::smallvec;

/// Sorted, unique, wrapped dims; an empty list means every dim (PyTorch's `dim=[]`/None).
pub fn normalize_dims(dims: &[i64], ndim: usize) -> Result<Shape> {
    if ndim > crate::layout::MAX_DIMS_IN_DIM_LIST {
        return Err(crate::error::Error::UnexpectedCount { expected: "only tensors with up to ", got: crate::layout::MAX_DIMS_IN_DIM_LIST, tail: " dims are supported" });
    }
    let mut out: Shape = Shape::new();
    for &d in dims {
        let d = normalize_dim(d, ndim)?;
        if out.contains(&d) {
            return Err(crate::error::Error::RepeatedDim { dim: d });
        }
        out.push(d);
    }
    out.sort_unstable();
    Ok(out)
}

pub(crate) fn reduced_shape(shape: &[usize], dims: &[usize], keepdim: bool) -> Shape {
    shape
        .iter()
        .enumerate()
        .filter_map(|(i, &s)| match (dims.contains(&i), keepdim) {
            (false, _) => Some(s),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect()
}

/// Raw sum kernel over `dims` (0-d tensors: dims empty). Bool and int sum to int64.
fn sum_kernel(x: &Tensor, dims: &[usize], keepdim: bool) -> Result<Tensor> {
    let data = x.snapshot();
    let shape = reduced_shape(data.shape(), dims, keepdim);
    // Dims of a 0-d tensor: reduce over nothing.
    let dims: Shape = dims.iter().copied().filter(|&d| d < data.ndim()).collect();
    let storage = match data.dtype() {
        DType::F32 | DType::F64 | DType::I64 => data.reduce(&Sum, &dims)?,
        DType::Bool | DType::U8 | DType::I8 | DType::I16 | DType::I32 => return sum_kernel(&x.cast(DType::I64)?, &dims, keepdim),
        // Accumulated in float32 and rounded once, as PyTorch does.
        DType::F16 | DType::BF16 => return sum_kernel(&x.cast(DType::F32)?, &dims, keepdim)?.cast(x.dtype()),
    };
    Tensor::from_storage(storage, &shape)
}

impl Tensor {
    /// `op` (a sum, product or cumulative form) run with PyTorch's `dtype=`:
    /// the input is converted to `dtype` first and the result kept in it;
    /// without it, integer sums and products widen to int64.
    pub fn reduced_in(&self, dtype: Option<DType>, op: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
        match dtype {
            Some(d) => op(&self.to_dtype(d)?)?.cast(d),
            None => op(self),
        }
    }

    /// Sum of all elements (SumBackward0).
    pub fn sum(&self) -> Result<Tensor> {
        let all: Shape = (0..self.ndim()).collect();
        let out = sum_kernel(self, &all, false)?;
        Ok(record_plain(Op::Sum, &[self], out))
    }

    /// Sum over `dims` (SumBackward1).
    pub fn sum_dims(&self, dims: &[i64], keepdim: bool) -> Result<Tensor> {
        let dims = if dims.is_empty() { (0..self.ndim()).collect() } else { normalize_dims(dims, self.ndim())? };
        let out = sum_kernel(self, &dims, keepdim)?;
        Ok(record_plain(Op::SumDim { dims, keepdim }, &[self], out))
    }

    /// Mean of all elements (MeanBackward0). Integer input is an error, as in PyTorch.
    pub fn mean(&self) -> Result<Tensor> {
        check_mean_dtype(self)?;
        let all: Shape = (0..self.ndim()).collect();
        let out = sum_kernel(self, &all, false)?.div_scalar_raw(self.numel() as f64)?;
        Ok(record_plain(Op::Mean { numel: self.numel() }, &[self], out))
    }

    /// Mean over `dims` (MeanBackward1).
    pub fn mean_dims(&self, dims: &[i64], keepdim: bool) -> Result<Tensor> {
        check_mean_dtype(self)?;
        let dims = if dims.is_empty() { (0..self.ndim()).collect() } else { normalize_dims(dims, self.ndim())? };
        let count: usize = dims.iter().filter(|&&d| d < self.ndim()).map(|&d| self.shape()[d]).product();
        let out = sum_kernel(self, &dims, keepdim)?.div_scalar_raw(count as f64)?;
        Ok(record_plain(Op::MeanDim { dims, keepdim, count }, &[self], out))
    }

    /// Division by a count without recording (the mean's own node covers it).
    fn div_scalar_raw(&self, count: f64) -> Result<Tensor> {
        super::binary::arith(super::binary::Arith::Div, self, &Tensor::wrapped_number(Scalar::Float(count)))
    }

    /// Sums a broadcast gradient back down to `shape` (the inverse of broadcasting).
    pub fn sum_to_shape(&self, shape: &[usize]) -> Result<Tensor> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        let lead = self.ndim().saturating_sub(shape.len());
        let dims: Vec<i64> = (0..self.ndim())
            .filter(|&i| i < lead || (shape[i - lead] == 1 && self.shape()[i] != 1))
            .map(|i| i as i64)
            .collect();
        let summed = if dims.is_empty() { self.clone() } else { self.sum_dims(&dims, true)? };
        summed.reshape(&shape.iter().map(|&s| s as i64).collect::<Vec<_>>())
    }
}

fn check_mean_dtype(x: &Tensor) -> Result<()> {
    if x.dtype().is_floating_point() {
        return Ok(());
    }
    Err(crate::error::Error::NotImplemented(format!(
        "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {}",
        x.dtype().scalar_type_name()
    )))
}

/// Gradient of a reduction: put the reduced dims back as size 1, then expand.
pub(crate) fn expand_reduced(g: &Tensor, input_shape: &[usize], dims: &[usize], keepdim: bool) -> Result<Tensor> {
    let mut g = g.clone();
    if !keepdim {
        for &d in dims.iter().filter(|&&d| d < input_shape.len()) {
            g = g.unsqueeze(d as i64)?;
        }
    }
    g.expand(input_shape)
}

pub(super) fn sum_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let shape = &ctx.inputs[0].shape;
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().expand(shape))?])
}

pub(super) fn sum_dim_backward(ctx: &BackwardCtx, dims: &[usize], keepdim: bool) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || expand_reduced(ctx.grad(), &ctx.inputs[0].shape, dims, keepdim))?])
}

pub(super) fn mean_backward(ctx: &BackwardCtx, numel: usize) -> Result<Grads> {
    let shape = &ctx.inputs[0].shape;
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().div_scalar(Scalar::Int(numel as i64))?.expand(shape))?])
}

pub(super) fn mean_dim_backward(ctx: &BackwardCtx, dims: &[usize], keepdim: bool, count: usize) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || {
        expand_reduced(&ctx.grad().div_scalar(Scalar::Int(count as i64))?, &ctx.inputs[0].shape, dims, keepdim)
    })?])
}
