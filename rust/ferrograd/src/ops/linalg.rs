//! Matrix products.

use super::{record, BackwardCtx, Grads, Op};
use crate::autograd::saved::SavedTensor;
use crate::error::{Error, Result};
use crate::kernels::matmul::matmul_2d;
use crate::tensor::Tensor;
use smallvec::smallvec;

impl Tensor {
    /// 2-D matrix product (MmBackward0).
    pub fn mm(&self, other: &Tensor) -> Result<Tensor> {
        if self.ndim() != 2 {
            return Err(Error::runtime(format!("self must be a matrix, got {}-D tensor", self.ndim())));
        }
        if other.ndim() != 2 {
            return Err(Error::runtime(format!("mat2 must be a matrix, got {}-D tensor", other.ndim())));
        }
        let (m, k1, k2, n) = (self.shape()[0], self.shape()[1], other.shape()[0], other.shape()[1]);
        if k1 != k2 {
            return Err(Error::MatmulShape { m, k1, k2, n });
        }
        if self.dtype() != other.dtype() {
            return Err(Error::runtime(format!(
                "expected m1 and m2 to have the same dtype, but got: {} != {}",
                self.dtype().name().replace("float32", "float").replace("float64", "double").replace("int64", "long"),
                other.dtype().name().replace("float32", "float").replace("float64", "double").replace("int64", "long")
            )));
        }
        let out = Tensor::from_buffer(matmul_2d(self, other)?, &[m, n])?;
        Ok(record(Op::Mm, &[self, other], out, |needs, _| {
            smallvec![needs[1].then(|| SavedTensor::input(self)), needs[0].then(|| SavedTensor::input(other))]
        }))
    }

    /// `@` for 1-D and 2-D operands: 1-D vectors are treated as a row (left)
    /// or a column (right) and that dim is dropped from the result.
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        if self.ndim() == 0 || other.ndim() == 0 {
            return Err(Error::runtime(format!(
                "both arguments to matmul need to be at least 1D, but they are {}D and {}D",
                self.ndim(),
                other.ndim()
            )));
        }
        match (self.ndim(), other.ndim()) {
            (2, 2) => return self.mm(other),
            (1, 2) => return self.unsqueeze(0)?.mm(other)?.squeeze(Some(0)),
            (2, 1) => return self.mm(&other.unsqueeze(1)?)?.squeeze(Some(1)),
            (1, 1) => {
                if self.shape()[0] != other.shape()[0] {
                    return Err(Error::runtime(format!(
                        "inconsistent tensor size, expected tensor [{}] and src [{}] to have the same number of elements, but got {} and {} elements respectively",
                        self.shape()[0],
                        other.shape()[0],
                        self.shape()[0],
                        other.shape()[0]
                    )));
                }
                return self.unsqueeze(0)?.mm(&other.unsqueeze(1)?)?.reshape(&[]);
            }
            _ => {}
        }
        Err(Error::runtime(format!("matmul: {}-D @ {}-D operands are not supported yet", self.ndim(), other.ndim())))
    }
}

/// d(A@B) = g@Bᵀ, Aᵀ@g. Transposes are views: no copy before the GEMM.
pub(super) fn mm_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let g = ctx.grad();
    Ok(smallvec![
        ctx.grad_for(0, || g.mm(&ctx.saved(1)?.t()?))?,
        ctx.grad_for(1, || ctx.saved(0)?.t()?.mm(g))?
    ])
}
