//! Half-precision arithmetic. float16 and bfloat16 have no kernels of their
//! own: as in PyTorch on CPU, an op on them computes in float32 ("opmath")
//! and rounds its result to the half type once. Every dispatch helper that
//! picks a float kernel routes half operands through here.

use crate::dtype::DType;
use crate::error::Result;
use crate::tensor::Tensor;

/// The type kernels compute in for results of `dtype`.
pub(crate) fn compute_dtype(dtype: DType) -> DType {
    if dtype.is_half() {
        DType::F32
    } else {
        dtype
    }
}

/// The float32 operand a kernel sees for `t` in an op whose result is the half
/// type `dtype`: PyTorch casts each operand to the common type first, so a
/// wider operand is rounded to `dtype` before it is widened.
pub(crate) fn widen(t: &Tensor, dtype: DType) -> Result<Tensor> {
    t.cast(dtype)?.cast(DType::F32)
}

/// A float32 kernel result rounded to the half type the op computes for;
/// other results (bool masks, int64 indices) are returned as they are.
pub(crate) fn narrow(out: Tensor, dtype: DType) -> Result<Tensor> {
    if dtype.is_half() && out.dtype() == DType::F32 {
        out.cast(dtype)
    } else {
        Ok(out)
    }
}

/// Runs `kernel` on `x`, through float32 when `x` is a half tensor.
pub(crate) fn unary(x: &Tensor, kernel: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
    let dtype = x.dtype();
    if !dtype.is_half() {
        return kernel(x);
    }
    narrow(kernel(&x.cast(DType::F32)?)?, dtype)
}

/// Runs `kernel` on operands whose common type is `dtype`, through float32
/// when that is a half type.
pub(crate) fn operands<const N: usize>(dtype: DType, inputs: [&Tensor; N], kernel: impl FnOnce([&Tensor; N]) -> Result<Tensor>) -> Result<Tensor> {
    if !dtype.is_half() {
        return kernel(inputs);
    }
    let mut wide = Vec::with_capacity(N);
    for t in inputs {
        wide.push(widen(t, dtype)?);
    }
    let refs: [&Tensor; N] = std::array::from_fn(|i| &wide[i]);
    narrow(kernel(refs)?, dtype)
}
