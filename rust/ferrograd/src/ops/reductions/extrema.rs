//! max/min (whole tensor, or values and indices along a dim), amax/amin over
//! dims, argmax/argmin. One kernel folds (value, index) pairs: NaN wins over
//! every number (PyTorch propagates it) and ties keep the first index.
//!
//! Gradients follow PyTorch's choices at ties: max()/min() and amax/amin
//! split the gradient evenly among the tied elements; max/min along a dim
//! send it to the returned index only.

use crate::ops::host::host_only;
use super::{dims_i64, real_dims, resolve_dims, unsqueeze_reduced};
use crate::autograd::saved::SavedTensor;
use crate::device::Device;
use crate::error::{Error, Result};
use crate::kernels::along::{gather_one, scatter_one};
use crate::kernels::reduce::reduce_indexed;
use crate::layout::{normalize_dim, Shape};
use crate::ops::compare::Comparison;
use crate::ops::reduce::reduced_shape;
use crate::ops::{record, BackwardCtx, Grads, Op};
use crate::storage::Element;
use crate::tensor::Tensor;
use crate::with_any_type;
use smallvec::smallvec;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Extreme {
    Max,
    Min,
}

impl Extreme {
    fn name(self) -> &'static str {
        match self {
            Extreme::Max => "max",
            Extreme::Min => "min",
        }
    }

    /// Does `v` replace the current pick `cur`? A NaN beats any number and
    /// nothing beats a NaN; equal values keep the earlier pick.
    #[inline]
    fn beats<T: PartialOrd>(self, v: T, cur: T) -> bool {
        #[allow(clippy::eq_op)]
        let (v_nan, cur_nan) = (v != v, cur != cur);
        if cur_nan || v_nan {
            return !cur_nan;
        }
        match self {
            Extreme::Max => v > cur,
            Extreme::Min => v < cur,
        }
    }
}

/// Value and position (within its group) of each group's extreme over `dims`.
/// The index is -1 only for an empty group, which callers rule out.
fn extreme_kernel<T: Element>(x: &Tensor, dims: &[usize], kind: Extreme) -> Result<Vec<(T, i64)>> {
    let none = (T::default(), -1i64);
    reduce_indexed(
        &x.snapshot(),
        dims,
        none,
        |a, v, i| if a.1 < 0 || kind.beats(v, a.0) { (v, i as i64) } else { a },
        |a, b| if a.1 < 0 || (b.1 >= 0 && kind.beats(b.0, a.0)) { b } else { a },
        |a| a,
    )
}

/// Values and indices of the extremes over `dims` (sorted), shaped for `keepdim`.
fn extremes(x: &Tensor, dims: &[usize], keepdim: bool, kind: Extreme) -> Result<(Tensor, Tensor)> {
    let shape = reduced_shape(&x.shape(), dims, keepdim);
    let dims = real_dims(dims, x.ndim());
    if x.device() != Device::Cpu {
        let (values, indices) = crate::backend::wgpu::extreme_indexed(&x.snapshot(), &dims, kind == Extreme::Max)?;
        return Ok((Tensor::from_storage(values, &shape)?, Tensor::from_storage(indices, &shape)?));
    }
    with_any_type!(x.dtype(), T => {
        let (values, indices): (Vec<T>, Vec<i64>) = extreme_kernel::<T>(x, &dims, kind)?.into_iter().unzip();
        Ok((Tensor::from_vec(values, &shape)?, Tensor::from_vec(indices, &shape)?))
    })
}

/// `extremes` without the indices: on a device, its reduction kernel.
fn extreme_values_only(x: &Tensor, dims: &[usize], keepdim: bool, kind: Extreme) -> Result<Tensor> {
    if crate::ops::host::off_host(&[Some(x)]).is_none() {
        return Ok(extremes(x, dims, keepdim, kind)?.0);
    }
    let real = real_dims(dims, x.ndim());
    let values = crate::backend::wgpu::extreme(&x.snapshot(), &real, kind == Extreme::Max)?;
    Tensor::from_storage(values, &reduced_shape(&x.shape(), dims, keepdim))
}

/// A reduction with no dim has nothing to pick from an empty tensor.
fn check_not_empty(x: &Tensor, name: &'static str) -> Result<()> {
    if x.numel() == 0 {
        return Err(Error::EmptyReductionNeedsDim { op: name });
    }
    Ok(())
}

/// Whether `x` lives on a device whose kernels compute in its dtype.
fn has_device_kernels(x: &Tensor) -> bool {
    x.device() != Device::Cpu && crate::backend::wgpu::computes(x.dtype())
}

/// Every reduced dim must have elements to pick from.
fn check_dims_not_empty(x: &Tensor, dims: &[usize], name: &str) -> Result<()> {
    match real_dims(dims, x.ndim()).into_iter().find(|&d| x.shape()[d] == 0) {
        Some(d) => Err(Error::index(format!("{name}(): Expected reduction dim {d} to have non-zero size."))),
        None => Ok(()),
    }
}

impl Tensor {
    /// The largest element (MaxBackward1).
    pub fn max_all(&self) -> Result<Tensor> {
        self.extreme_all(Extreme::Max)
    }

    /// The smallest element (MinBackward1).
    pub fn min_all(&self) -> Result<Tensor> {
        self.extreme_all(Extreme::Min)
    }

    fn extreme_all(&self, kind: Extreme) -> Result<Tensor> {
        check_not_empty(self, kind.name())?;
        let all: Shape = (0..self.ndim()).collect();
        let value = extreme_values_only(self, &all, false, kind)?;
        let op = if kind == Extreme::Max { Op::MaxAll } else { Op::MinAll };
        Ok(record(op, &[self], value, |_, out| smallvec![Some(SavedTensor::input(self)), Some(SavedTensor::output(out))]))
    }

    /// `(values, indices)` of the largest elements along `dim` (values: MaxBackward0).
    pub fn max_dim(&self, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.extreme_dim(dim, keepdim, Extreme::Max)
    }

    /// `(values, indices)` of the smallest elements along `dim` (values: MinBackward0).
    pub fn min_dim(&self, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.extreme_dim(dim, keepdim, Extreme::Min)
    }

    fn extreme_dim(&self, dim: i64, keepdim: bool, kind: Extreme) -> Result<(Tensor, Tensor)> {
        if !has_device_kernels(self) {
            host_only!(kind.name(), [self] => |[x]| x.extreme_dim(dim, keepdim, kind));
        }
        let dim = normalize_dim(dim, self.ndim())?;
        check_dims_not_empty(self, &[dim], kind.name())?;
        let (values, indices) = extremes(self, &[dim], keepdim, kind)?;
        let op = if kind == Extreme::Max { Op::MaxDim { dim, keepdim } } else { Op::MinDim { dim, keepdim } };
        let values = record(op, &[self], values, |_, _| smallvec![Some(SavedTensor::input(&indices))]);
        Ok((values, indices))
    }

    /// Largest values over `dims` (all when `None`/empty) (AmaxBackward0).
    pub fn amax(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        self.extreme_values(dims, keepdim, Extreme::Max)
    }

    /// Smallest values over `dims` (all when `None`/empty) (AminBackward0).
    pub fn amin(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        self.extreme_values(dims, keepdim, Extreme::Min)
    }

    fn extreme_values(&self, dims: Option<&[i64]>, keepdim: bool, kind: Extreme) -> Result<Tensor> {
        let name = if kind == Extreme::Max { "amax" } else { "amin" };
        if dims.is_none_or(|d| d.is_empty()) {
            check_not_empty(self, name)?;
        }
        let resolved = resolve_dims(self, dims)?;
        // amax names an empty dim as the caller wrote it.
        for &d in dims.unwrap_or(&[]) {
            if self.shape().get(normalize_dim(d, self.ndim())?) == Some(&0) {
                return Err(Error::index(format!("{name}(): Expected reduction dim {d} to have non-zero size.")));
            }
        }
        let dims = resolved;
        let values = extreme_values_only(self, &dims, keepdim, kind)?;
        let op = if kind == Extreme::Max { Op::Amax { dims, keepdim } } else { Op::Amin { dims, keepdim } };
        Ok(record(op, &[self], values, |_, out| smallvec![Some(SavedTensor::input(self)), Some(SavedTensor::output(out))]))
    }

    /// Index of the largest element along `dim`, or in the flattened tensor.
    pub fn argmax(&self, dim: Option<i64>, keepdim: bool) -> Result<Tensor> {
        self.arg_extreme(dim, keepdim, Extreme::Max)
    }

    /// Index of the smallest element along `dim`, or in the flattened tensor.
    pub fn argmin(&self, dim: Option<i64>, keepdim: bool) -> Result<Tensor> {
        self.arg_extreme(dim, keepdim, Extreme::Min)
    }

    fn arg_extreme(&self, dim: Option<i64>, keepdim: bool, kind: Extreme) -> Result<Tensor> {
        if !has_device_kernels(self) {
            host_only!(if kind == Extreme::Max { "argmax" } else { "argmin" }, [self] => |[x]| x.arg_extreme(dim, keepdim, kind));
        }
        let name = if kind == Extreme::Max { "argmax" } else { "argmin" };
        let Some(dim) = dim else {
            if self.numel() == 0 {
                return Err(Error::index(format!("{name}(): Expected reduction dim to be specified for input.numel() == 0.")));
            }
            // Every dim reduced in order: the position in the group is the flat index.
            let all: Shape = (0..self.ndim()).collect();
            return Ok(extremes(self, &all, keepdim, kind)?.1);
        };
        let dim = normalize_dim(dim, self.ndim())?;
        check_dims_not_empty(self, &[dim], name)?;
        Ok(extremes(self, &[dim], keepdim, kind)?.1)
    }

    /// Zeros of `shape` with this tensor placed at `index` along `dim`, one
    /// element per line (ScatterBackward0): the gradient of a value picked by index.
    pub(crate) fn scatter_selected(&self, dim: usize, index: &Tensor, shape: &[usize]) -> Result<Tensor> {
        let out = if has_device_kernels(self) {
            let zeros = Tensor::zeros(shape, self.dtype())?.to_device(self.device())?;
            let scattered = zeros.snapshot().scatter(dim, &index.snapshot(), &self.snapshot(), false)?;
            Tensor::from_storage(scattered, shape)?
        } else {
            let buffer = with_any_type!(self.dtype(), T => T::into_buffer(scatter_one::<T>(&self.snapshot(), dim, &index.snapshot(), shape)?));
            Tensor::from_buffer(buffer, shape)?
        };
        Ok(record(Op::ScatterSelected(dim), &[self], out, |_, _| smallvec![Some(SavedTensor::input(index))]))
    }

    /// The element at `index` along `dim` of each line (GatherBackward0).
    pub(crate) fn gather_selected(&self, dim: usize, index: &Tensor) -> Result<Tensor> {
        let out = if has_device_kernels(self) {
            Tensor::from_storage(self.snapshot().gather(dim, &index.snapshot())?, &index.shape())?
        } else {
            let buffer = with_any_type!(self.dtype(), T => T::into_buffer(gather_one::<T>(&self.snapshot(), dim, &index.snapshot())?));
            Tensor::from_buffer(buffer, &index.shape())?
        };
        Ok(record(Op::GatherSelected(dim), &[self], out, |_, _| smallvec![Some(SavedTensor::input(index))]))
    }
}

/// `(g / count) * mask`: the gradient shared evenly among the masked elements,
/// `count` of them per group (PyTorch's rule for max(), amax and the inf-norm).
pub(crate) fn split_evenly(g: &Tensor, mask: &Tensor, count: &Tensor) -> Result<Tensor> {
    g.div(count)?.mul(&mask.cast(g.dtype().to_floating())?)
}

/// MaxBackward1/MinBackward1: the elements equal to the result (NaN ones when it is NaN) share the gradient.
pub(crate) fn extreme_all_backward(ctx: &BackwardCtx) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || {
        let (x, value) = (ctx.saved(0)?, ctx.saved(1)?);
        let mask = if value.item()?.to_f64().is_nan() { x.compare(x, Comparison::Ne)? } else { x.compare(value, Comparison::Eq)? };
        let mask = mask.cast(ctx.grad().dtype())?;
        split_evenly(ctx.grad(), &mask, &mask.sum()?)
    })?])
}

/// MaxBackward0/MinBackward0: the gradient goes to the returned index.
pub(crate) fn extreme_dim_backward(ctx: &BackwardCtx, dim: usize, keepdim: bool) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || {
        let shape = &ctx.inputs[0].shape;
        let g = unsqueeze_reduced(ctx.grad(), shape.len(), &[dim], keepdim)?;
        let index = unsqueeze_reduced(ctx.saved(0)?, shape.len(), &[dim], keepdim)?;
        g.scatter_selected(dim, &index, shape)
    })?])
}

/// AmaxBackward0/AminBackward0: ties along the reduced dims share the gradient evenly.
pub(crate) fn extreme_values_backward(ctx: &BackwardCtx, dims: &[usize], keepdim: bool) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || {
        let (x, result) = (ctx.saved(0)?, ctx.saved(1)?);
        let g = unsqueeze_reduced(ctx.grad(), x.ndim(), dims, keepdim)?;
        // Counted in the gradient's dtype: a device sums floats, not bools.
        let mask = x.compare(&unsqueeze_reduced(result, x.ndim(), dims, keepdim)?, Comparison::Eq)?.cast(g.dtype())?;
        split_evenly(&g, &mask, &mask.sum_dims(&dims_i64(dims), true)?)
    })?])
}

/// ScatterBackward0 (of the gradient's values): read them back at the index.
pub(crate) fn scatter_selected_backward(ctx: &BackwardCtx, dim: usize) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().gather_selected(dim, ctx.saved(0)?))?])
}

/// GatherBackward0: put the gradient back where it was read.
pub(crate) fn gather_selected_backward(ctx: &BackwardCtx, dim: usize) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().scatter_selected(dim, ctx.saved(0)?, &ctx.inputs[0].shape))?])
}
