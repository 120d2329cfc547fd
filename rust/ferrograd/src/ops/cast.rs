//! dtype conversion. `cast` is the plain kernel used inside other ops;
//! `to_dtype` is the user-facing, recorded conversion (ToCopyBackward0).

use super::{record_plain, BackwardCtx, Grads, Op};
use crate::dtype::DType;
use crate::error::Result;
use crate::tensor::Tensor;
use smallvec::smallvec;

impl Tensor {
    /// The same values as `dtype`, without history; returns `self` when nothing changes.
    pub fn cast(&self, dtype: DType) -> Result<Tensor> {
        let data = self.snapshot();
        if data.dtype() == dtype {
            return Ok(self.clone());
        }
        Tensor::from_storage(data.copy_strided(dtype)?, data.shape())
    }

    /// `tensor.to(dtype)`: a differentiable copy when the dtype changes, `self` otherwise.
    pub fn to_dtype(&self, dtype: DType) -> Result<Tensor> {
        if self.dtype() == dtype {
            return Ok(self.clone());
        }
        let out = self.cast(dtype)?;
        if !dtype.is_floating_point() {
            return Ok(out);
        }
        Ok(record_plain(Op::ToCopy, &[self], out))
    }

    /// `tensor.to(device)`: a differentiable copy on `device` when it differs,
    /// `self` otherwise (ToCopyBackward0; the engine brings the gradient back).
    pub fn to_device(&self, device: crate::device::Device) -> Result<Tensor> {
        let data = self.snapshot();
        if data.device() == device {
            return Ok(self.clone());
        }
        let out = Tensor::from_storage(data.copy_to(device)?, data.shape())?;
        drop(data);
        if !self.dtype().is_floating_point() {
            return Ok(out);
        }
        Ok(record_plain(Op::ToCopy, &[self], out))
    }

    /// A contiguous copy with the same history semantics as PyTorch's `clone()`.
    pub fn clone_tensor(&self) -> Result<Tensor> {
        Ok(record_plain(Op::Clone, &[self], self.plain_copy()?))
    }

    /// A fresh contiguous copy of the values, with no history.
    pub(crate) fn plain_copy(&self) -> Result<Tensor> {
        let data = self.snapshot();
        Tensor::from_storage(data.copy_strided(data.dtype())?, data.shape())
    }
}

/// Gradient passes through unchanged, moved back to the input's device;
/// the engine casts it back to the input dtype.
pub(super) fn identity_backward(ctx: &BackwardCtx) -> Result<Grads> {
    ctx.grad_for(0, || ctx.grad().to_device(ctx.inputs[0].device)).map(|g| smallvec![g])
}
