//! `masked_fill` with a number (MaskedFillBackward0) or a 0-d tensor
//! (MaskedFillBackward1), broadcasting self against the mask, and
//! `masked_select` (MaskedSelectBackward0), whose gradient is placed back
//! with `index_put` so it stays differentiable.

use crate::ops::host::host_only;
use crate::autograd::saved::SavedTensor;
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::layout::{broadcast_shapes, Shape};
use crate::ops::{record, BackwardCtx, Grads, Op};
use crate::storage::Element;
use crate::tensor::Tensor;
use crate::with_any_type;
use smallvec::smallvec;

/// `t` read as `shape` (broadcast), in row-major order.
fn broadcast_values<T: crate::storage::Element>(t: &Tensor, shape: &[usize]) -> Result<Vec<T>> {
    t.view_with_layout(t.layout().broadcast_to(shape)?)?.to_vec::<T>()
}

fn check_mask(mask: &Tensor) -> Result<()> {
    if mask.dtype() != DType::Bool {
        return Err(Error::MaskDType { dtype: mask.dtype(), c_name: true });
    }
    Ok(())
}

impl Tensor {
    /// `value` where `mask` is true, else `self`; the result has their broadcast shape.
    /// A wrapped Python number records MaskedFillBackward0, a tensor MaskedFillBackward1.
    pub fn masked_fill(&self, mask: &Tensor, value: &Tensor) -> Result<Tensor> {
        check_mask(mask)?;
        if value.ndim() != 0 {
            return Err(Error::UnexpectedCount { expected: "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ", got: value.ndim(), tail: " dimension(s)." });
        }
        let shape = broadcast_shapes(&mask.shape(), &self.shape())?;
        let save = |_: &[bool], _: &Tensor| smallvec![Some(SavedTensor::input(mask))];
        let op = if value.is_wrapped_number() { Op::MaskedFill } else { Op::MaskedFillTensor };
        if crate::ops::host::off_host_checked(&[Some(self), Some(mask), Some(value)])?.is_some() {
            // On a device: a selection between the value (never read back) and self.
            let fill = value.cast(self.dtype())?;
            let out = Tensor::from_storage(mask.snapshot().select(&fill.snapshot(), &self.snapshot(), &shape)?, &shape)?;
            return Ok(match op {
                Op::MaskedFill => record(op, &[self], out, save),
                _ => record(op, &[self, value], out, save),
            });
        }
        let fill = value.item()?;
        self.dtype().check_fits(fill, true)?;
        let flags = broadcast_values::<bool>(mask, &shape)?;
        let buffer = with_any_type!(self.dtype(), T => {
            let mut values = broadcast_values::<T>(self, &shape)?;
            let fill = T::from_scalar(fill);
            for (v, _) in values.iter_mut().zip(&flags).filter(|(_, &m)| m) {
                *v = fill;
            }
            T::into_buffer(values)
        });
        let out = Tensor::from_buffer(buffer, &shape)?;
        Ok(match op {
            Op::MaskedFill => record(op, &[self], out, save),
            _ => record(op, &[self, value], out, save),
        })
    }

    pub fn masked_fill_(&self, mask: &Tensor, value: &Tensor) -> Result<()> {
        self.apply_in_place(false, |x| x.masked_fill(mask, value))
    }

    /// The elements of `self` (broadcast with `mask`) where the mask is true, as a vector.
    pub fn masked_select(&self, mask: &Tensor) -> Result<Tensor> {
        host_only!("masked_select", [self, mask] => |[x, m]| x.masked_select(&m));
        if mask.dtype() != DType::Bool {
            return Err(Error::runtime("masked_select: expected BoolTensor for mask"));
        }
        let shape = broadcast_shapes(&mask.shape(), &self.shape())?;
        let flags = broadcast_values::<bool>(mask, &shape)?;
        let buffer = with_any_type!(self.dtype(), T => {
            let values = broadcast_values::<T>(self, &shape)?;
            T::into_buffer(values.into_iter().zip(&flags).filter(|(_, &m)| m).map(|(v, _)| v).collect())
        });
        let count = flags.iter().filter(|&&m| m).count();
        let out = Tensor::from_buffer(buffer, &[count])?;
        Ok(record(Op::MaskedSelect, &[self], out, |_, _| smallvec![Some(SavedTensor::input(mask))]))
    }
}

// ---- derivatives -----------------------------------------------------------

/// MaskedFillBackward1: self gets the gradient where the mask is false, the
/// value the sum of it where true.
pub(crate) fn masked_fill_tensor_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let (g, mask) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![
        ctx.grad_for(0, || g.masked_fill(mask, &Tensor::wrapped_number(Scalar::Int(0))))?,
        ctx.grad_for(1, || g.mul(&mask.cast(g.dtype())?)?.sum())?
    ])
}

/// MaskedSelectBackward0: the gradient put back at the true elements of the
/// broadcast mask, in zeros of the broadcast shape (the engine sums it down).
pub(crate) fn masked_select_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let (g, mask) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![ctx.grad_for(0, || {
        let shape: Shape = broadcast_shapes(&mask.shape(), &ctx.inputs[0].shape)?;
        let mask = mask.view_with_layout(mask.layout().broadcast_to(&shape)?)?;
        Tensor::zeros_on(&shape, g.dtype(), g.device())?.index_put(&[Some(mask)], g, false)
    })?])
}
