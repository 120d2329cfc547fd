//! Comparisons and masks. Comparisons return bool tensors and are not
//! differentiable; `masked_fill` is, and its backward sits below it.

use super::binary::result_dtype;
use super::{record, BackwardCtx, Grads, Op};
use crate::autograd::saved::SavedTensor;
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::layout::broadcast_shapes;
use crate::storage::Element;
use crate::tensor::Tensor;
use crate::with_any_type;
use smallvec::smallvec;

pub use crate::kernels::named::Comparison;

impl Tensor {
    pub fn compare(&self, other: &Tensor, cmp: Comparison) -> Result<Tensor> {
        Tensor::common_device(&[self, other])?;
        let dtype = result_dtype(self, other);
        let shape = broadcast_shapes(&self.shape(), &other.shape())?;
        let (a, b) = (self.cast(dtype)?, other.cast(dtype)?);
        let flags = a.snapshot().compare(cmp, &b.snapshot(), &shape)?;
        Tensor::from_storage(flags, &shape)
    }

    pub fn compare_scalar(&self, value: Scalar, cmp: Comparison) -> Result<Tensor> {
        self.compare(&Tensor::wrapped_number(value), cmp)
    }

    pub fn eq_scalar(&self, value: Scalar) -> Result<Tensor> {
        self.compare_scalar(value, Comparison::Eq)
    }

    pub fn ge_scalar(&self, value: Scalar) -> Result<Tensor> {
        self.compare_scalar(value, Comparison::Ge)
    }

    /// Whether any element is NaN (false for integer and bool tensors).
    pub fn has_nan(&self) -> Result<bool> {
        Ok(match self.dtype() {
            DType::F32 => self.to_vec::<f32>()?.iter().any(|v| v.is_nan()),
            DType::F64 => self.to_vec::<f64>()?.iter().any(|v| v.is_nan()),
            _ => false,
        })
    }

    pub fn logical_and(&self, other: &Tensor) -> Result<Tensor> {
        self.logical(other, crate::ops::pointwise::Logic::And)
    }

    /// `value` where `mask` is true, else `self` (out of place).
    pub fn masked_fill_scalar(&self, mask: &Tensor, value: Scalar) -> Result<Tensor> {
        if mask.dtype() != DType::Bool {
            return Err(Error::MaskDType { dtype: mask.dtype(), c_name: false });
        }
        let shape = broadcast_shapes(&self.shape(), &mask.shape())?;
        if shape.as_slice() != self.shape() {
            return Err(Error::ShapesDiffer { expected: "masked_fill: the shape of the mask ", lhs: crate::error::ShapeList(mask.shape().to_vec()), sep: " must be broadcastable to the shape of the tensor ", rhs: crate::error::ShapeList(self.shape().to_vec()), tail: "" });
        }
        if crate::ops::host::off_host_checked(&[Some(self), Some(mask)])?.is_some() {
            // On a device: a selection between the fill (a host scalar) and self.
            let fill = Tensor::scalar_tensor(value, self.dtype());
            let out = Tensor::from_storage(mask.snapshot().select(&fill.snapshot(), &self.snapshot(), &shape)?, &shape)?;
            return Ok(record(Op::MaskedFill, &[self], out, |_, _| smallvec![Some(SavedTensor::input(mask))]));
        }
        let mask_b = mask.layout().broadcast_to(&shape)?;
        let mask_view = mask.view_with_layout(mask_b)?;
        let flags: Vec<bool> = mask_view.to_vec()?;
        let buffer = with_any_type!(self.dtype(), T => {
            let fill = T::from_f64(value.to_f64());
            let mut values: Vec<T> = self.to_vec()?;
            for (v, &m) in values.iter_mut().zip(flags.iter()) {
                if m {
                    *v = fill;
                }
            }
            T::into_buffer(values)
        });
        let out = Tensor::from_buffer(buffer, &shape)?;
        Ok(record(Op::MaskedFill, &[self], out, |_, _| smallvec![Some(SavedTensor::input(mask))]))
    }
}

/// Gradient passes where the mask was false.
pub(super) fn masked_fill_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let mask = ctx.saved(0)?;
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().masked_fill_scalar(mask, Scalar::Float(0.0)))?])
}

