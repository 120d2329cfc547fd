//! Views and shape changes. Views share storage and only build a new layout;
//! their backward maps the gradient back through the inverse shape change.

use super::{record_plain, BackwardCtx, Grads, Op};
use crate::error::{Error, Result};
use crate::layout::{normalize_dim, numel, Layout, Shape};
use crate::tensor::Tensor;
use smallvec::smallvec;

/// Resolves a requested shape with at most one -1 against `numel`.
pub fn infer_shape(requested: &[i64], numel_in: usize) -> Result<Shape> {
    let invalid = || Error::InvalidReshape {
        shape: format!("[{}]", requested.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
        numel: numel_in,
    };
    let mut inferred = None;
    let mut known = 1usize;
    for (i, &d) in requested.iter().enumerate() {
        match d {
            -1 if inferred.is_some() => return Err(Error::runtime("only one dimension can be inferred")),
            -1 => inferred = Some(i),
            d if d < 0 => return Err(Error::runtime(format!("invalid shape dimension {d}"))),
            d => known = known.checked_mul(d as usize).ok_or_else(invalid)?,
        }
    }
    let mut shape: Shape = requested.iter().map(|&d| d.max(0) as usize).collect();
    if let Some(i) = inferred {
        if known == 0 || numel_in % known != 0 {
            return Err(invalid());
        }
        shape[i] = numel_in / known;
    } else if known != numel_in {
        return Err(invalid());
    }
    Ok(shape)
}

impl Tensor {
    /// A view with a new shape; errors when the layout cannot express it without a copy.
    pub fn view(&self, shape: &[i64]) -> Result<Tensor> {
        let shape = infer_shape(shape, self.numel())?;
        let layout = self.layout().reshaped_contiguous(&shape).ok_or_else(|| {
            Error::runtime("view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
        })?;
        Ok(record_plain(Op::View, &[self], self.view_with_layout(layout)))
    }

    /// `view` when possible, otherwise a contiguous copy with the new shape.
    pub fn reshape(&self, shape: &[i64]) -> Result<Tensor> {
        let target = infer_shape(shape, self.numel())?;
        if target.as_slice() == self.shape() {
            return Ok(self.clone());
        }
        if self.is_contiguous() {
            return self.view(shape);
        }
        self.contiguous()?.view(shape)
    }

    pub fn contiguous(&self) -> Result<Tensor> {
        if self.is_contiguous() {
            return Ok(self.clone());
        }
        self.clone_tensor()
    }

    pub fn expand(&self, shape: &[usize]) -> Result<Tensor> {
        if shape == self.shape() {
            return Ok(self.clone());
        }
        let layout = self.layout().broadcast_to(shape)?;
        Ok(record_plain(Op::Expand, &[self], self.view_with_layout(layout)))
    }

    pub fn transpose(&self, dim0: i64, dim1: i64) -> Result<Tensor> {
        let (d0, d1) = (normalize_dim(dim0, self.ndim())?, normalize_dim(dim1, self.ndim())?);
        if self.ndim() < 2 {
            return Ok(self.clone());
        }
        let layout = self.layout().transpose(d0, d1);
        Ok(record_plain(Op::Transpose(d0, d1), &[self], self.view_with_layout(layout)))
    }

    /// `t()`: transpose of a tensor with at most 2 dims.
    pub fn t(&self) -> Result<Tensor> {
        if self.ndim() > 2 {
            return Err(Error::runtime(format!("t() expects a tensor with <= 2 dimensions, but self is {}D", self.ndim())));
        }
        self.transpose(0, -1)
    }

    pub fn permute(&self, dims: &[i64]) -> Result<Tensor> {
        if dims.len() != self.ndim() {
            return Err(Error::runtime(format!(
                "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = {} is not equal to len(dims) = {}",
                self.ndim(),
                dims.len()
            )));
        }
        let mut order: Shape = Shape::new();
        for &d in dims {
            let d = normalize_dim(d, self.ndim())?;
            if order.contains(&d) {
                return Err(Error::runtime("permute(): duplicate dims are not allowed."));
            }
            order.push(d);
        }
        let layout = self.layout().permute(&order);
        Ok(record_plain(Op::Permute(order), &[self], self.view_with_layout(layout)))
    }

    pub fn unsqueeze(&self, dim: i64) -> Result<Tensor> {
        let d = normalize_dim(dim, self.ndim() + 1)?;
        let layout = self.layout().unsqueeze(d);
        Ok(record_plain(Op::Unsqueeze(d), &[self], self.view_with_layout(layout)))
    }

    /// Drops size-1 dims (all of them, or only `dim`).
    pub fn squeeze(&self, dim: Option<i64>) -> Result<Tensor> {
        let l = self.layout();
        let drop_dim = match dim {
            Some(d) => Some(normalize_dim(d, self.ndim())?),
            None => None,
        };
        let keep = |i: usize| l.shape()[i] != 1 || drop_dim.is_some_and(|d| d != i);
        let shape: Shape = (0..l.ndim()).filter(|&i| keep(i)).map(|i| l.shape()[i]).collect();
        if shape.len() == l.ndim() {
            return Ok(self.clone());
        }
        let strides = (0..l.ndim()).filter(|&i| keep(i)).map(|i| l.strides()[i]).collect();
        let layout = Layout::new(shape, strides, l.offset());
        Ok(record_plain(Op::Squeeze, &[self], self.view_with_layout(layout)))
    }

    /// Flattens to 1-d.
    pub fn flatten_all(&self) -> Result<Tensor> {
        self.reshape(&[numel(self.shape()) as i64])
    }
}

pub(super) fn expand_backward(ctx: &BackwardCtx) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().sum_to_shape(&ctx.inputs[0].shape))?])
}

/// view, reshape, squeeze, unsqueeze: reshape the gradient back.
pub(super) fn view_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let shape: Vec<i64> = ctx.inputs[0].shape.iter().map(|&d| d as i64).collect();
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().reshape(&shape))?])
}

pub(super) fn transpose_backward(ctx: &BackwardCtx, d0: usize, d1: usize) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().transpose(d0 as i64, d1 as i64))?])
}

pub(super) fn permute_backward(ctx: &BackwardCtx, order: &[usize]) -> Result<Grads> {
    let mut inverse = vec![0i64; order.len()];
    for (i, &d) in order.iter().enumerate() {
        inverse[d] = i as i64;
    }
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().permute(&inverse))?])
}


impl Tensor {
    /// `t[index]` along `dim`: a view with that dim removed (SelectBackward0).
    pub fn select(&self, dim: i64, index: i64) -> Result<Tensor> {
        if self.ndim() == 0 {
            return Err(Error::index("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"));
        }
        let d = normalize_dim(dim, self.ndim())?;
        let size = self.shape()[d] as i64;
        if index < -size || index >= size {
            return Err(Error::index(format!("index {index} is out of bounds for dimension {d} with size {size}")));
        }
        let i = if index < 0 { index + size } else { index } as usize;
        let l = self.layout();
        let offset = (l.offset() as isize + i as isize * l.strides()[d]) as usize;
        let shape = l.shape().iter().enumerate().filter(|&(k, _)| k != d).map(|(_, &s)| s).collect();
        let strides = l.strides().iter().enumerate().filter(|&(k, _)| k != d).map(|(_, &s)| s).collect();
        let view = self.view_with_layout(Layout::new(shape, strides, offset));
        Ok(record_plain(Op::Select { dim: d, index: i }, &[self], view))
    }

    /// Zeros of `shape` with `self` placed at `index` along `dim`: the adjoint of `select`.
    pub fn select_embed(&self, shape: &[usize], dim: usize, index: usize) -> Result<Tensor> {
        let out = Tensor::zeros(shape, self.dtype());
        {
            let _plain = crate::autograd::mode::no_grad();
            out.select(dim as i64, index as i64)?.copy_(self)?;
        }
        Ok(record_plain(Op::SelectEmbed { dim, index }, &[self], out))
    }
}

pub(super) fn select_backward(ctx: &BackwardCtx, dim: usize, index: usize) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().select_embed(&ctx.inputs[0].shape, dim, index))?])
}

pub(super) fn select_embed_backward(ctx: &BackwardCtx, dim: usize, index: usize) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().select(dim as i64, index as i64))?])
}
