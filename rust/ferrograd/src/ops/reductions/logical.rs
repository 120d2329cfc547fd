//! all / any over dims: bool results (uint8 for uint8 input, as in
//! PyTorch), never differentiable. NaN counts as true, as any nonzero value does.

use crate::ops::host::host_only;
use super::{real_dims, resolve_dims};
use crate::dtype::DType;
use crate::error::Result;
use crate::kernels::reduce::reduce_indexed;
use crate::ops::reduce::reduced_shape;
use crate::storage::Element;
use crate::tensor::Tensor;
use crate::with_any_type;

fn logical_kernel(x: &Tensor, dims: Option<&[i64]>, keepdim: bool, every: bool) -> Result<Tensor> {
    let dims = resolve_dims(x, dims)?;
    let shape = reduced_shape(&x.shape(), &dims, keepdim);
    let dims = real_dims(&dims, x.ndim());
    let values: Vec<bool> = with_any_type!(x.dtype(), T => reduce_indexed::<T, bool, bool>(
        &x.snapshot(),
        &dims,
        every,
        |a, v, _| if every { a && v.to_bool() } else { a || v.to_bool() },
        |a, b| if every { a && b } else { a || b },
        |a| a,
    )?);
    let out = Tensor::from_vec(values, &shape)?;
    if x.dtype() == DType::U8 {
        return out.cast(DType::U8);
    }
    Ok(out)
}

impl Tensor {
    /// Are all elements over `dims` (all when `None`) nonzero?
    pub fn all_dims(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        host_only!("all", [self] => |[x]| x.all_dims(dims, keepdim));
        logical_kernel(self, dims, keepdim, true)
    }

    /// Is any element over `dims` (all when `None`) nonzero?
    pub fn any_dims(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        host_only!("any", [self] => |[x]| x.any_dims(dims, keepdim));
        logical_kernel(self, dims, keepdim, false)
    }
}
