//! `tensor.data = other`. A tensor's storage, layout and dtype are fixed
//! when it is made, so ferrograd cannot swap them as PyTorch's `set_data`
//! does; it supports the cases that need no swap.

use crate::error::{Error, Result, ShapeList};
use crate::kernels::elementwise::write_into;
use crate::tensor::Tensor;
use crate::with_any_type;

impl Tensor {
    /// Makes `src`'s values this tensor's data, outside autograd:
    /// - `src` already views exactly this tensor's data (the
    ///   `p.data -= lr * p.grad` pattern, which updates in place and then
    ///   assigns back): nothing to do;
    /// - same shape and dtype: the values are copied in (version bumped);
    /// - anything else would need new storage, which is refused.
    pub fn assign_data(&self, src: &Tensor) -> Result<()> {
        if self.storage().same(src.storage()) && self.layout() == src.layout() && self.dtype() == src.dtype() {
            return Ok(());
        }
        if self.shape() != src.shape() || self.dtype() != src.dtype() {
            return Err(Error::runtime(format!(
                "ferrograd cannot swap a tensor's storage: cannot assign data of shape {} and dtype {} to a tensor of shape {} and dtype {}; \
                 assign a tensor of the same shape and dtype (its values are copied), or use tensor.copy_(value) inside torch.no_grad()",
                ShapeList(src.shape().to_vec()),
                src.dtype(),
                ShapeList(self.shape().to_vec()),
                self.dtype()
            )));
        }
        // Values are read out first, so a source overlapping this tensor's
        // memory is copied as it was before the write.
        with_any_type!(self.dtype(), T => write_into::<T>(self, &src.to_vec::<T>()?)?);
        self.storage().bump_version();
        Ok(())
    }
}
