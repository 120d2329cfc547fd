//! dtype conversion. `cast` is the plain kernel used inside other ops;
//! `to_dtype` is the user-facing, recorded conversion (ToCopyBackward0).

use super::{record_plain, BackwardCtx, Grads, Op};
use crate::dtype::DType;
use crate::error::Result;
use crate::kernels::elementwise::cast;
use crate::storage::Element;
use crate::tensor::Tensor;
use crate::with_any_type;
use smallvec::smallvec;

impl Tensor {
    /// The same values as `dtype`, without history; returns `self` when nothing changes.
    pub fn cast(&self, dtype: DType) -> Result<Tensor> {
        let data = self.snapshot();
        if data.dtype() == dtype {
            return Ok(self.clone());
        }
        let buffer = with_any_type!(data.dtype(), S => with_any_type!(dtype, D => D::into_buffer(cast::<S, D>(&data)?)));
        Tensor::from_buffer(buffer, data.shape())
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

    /// A contiguous copy with the same history semantics as PyTorch's `clone()`.
    pub fn clone_tensor(&self) -> Result<Tensor> {
        Ok(record_plain(Op::Clone, &[self], self.plain_copy()?))
    }

    /// A fresh contiguous copy of the values, with no history.
    pub(crate) fn plain_copy(&self) -> Result<Tensor> {
        let data = self.snapshot();
        let buffer = with_any_type!(data.dtype(), T => T::into_buffer(data.to_vec::<T>()?));
        Tensor::from_buffer(buffer, data.shape())
    }
}

/// Gradient passes through unchanged; the engine casts it back to the input dtype.
pub(super) fn identity_backward(ctx: &BackwardCtx) -> Result<Grads> {
    Ok(smallvec![ctx.needs(0).then(|| ctx.grad().clone())])
}
