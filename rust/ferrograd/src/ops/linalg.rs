//! Matrix products: mm, bmm, mv, dot, addmm, and matmul's dispatch over
//! 1-D, 2-D and batched N-D operands with broadcasting (PyTorch's rules).

use super::{record, record_plain, BackwardCtx, Grads, Op};
use crate::autograd::saved::SavedTensor;
use crate::dtype::Scalar;
use crate::error::{Error, Result, ShapeList};
use crate::layout::broadcast_shapes;
use crate::tensor::Tensor;
use smallvec::smallvec;

fn same_dtype(a: &Tensor, b: &Tensor, what: &'static str) -> Result<()> {
    if a.dtype() == b.dtype() {
        return Ok(());
    }
    Err(Error::DTypesDiffer { what, lhs: a.dtype(), rhs: b.dtype() })
}

/// `a @ b` as a tensor of `shape`; half operands multiply in float32 and
/// the result is rounded once.
fn product(a: &Tensor, b: &Tensor, shape: &[usize]) -> Result<Tensor> {
    super::opmath::operands(a.dtype(), [a, b], |[a, b]| Tensor::from_storage(a.snapshot().matmul(&b.snapshot())?, shape))
}

/// Saves, for a product `a ∘ b`, each operand that the other's gradient needs.
fn save_for_product(needs: &[bool], a: &Tensor, b: &Tensor) -> super::Saved {
    smallvec![needs[1].then(|| SavedTensor::input(a)), needs[0].then(|| SavedTensor::input(b))]
}

impl Tensor {
    /// 2-D matrix product (MmBackward0).
    pub fn mm(&self, other: &Tensor) -> Result<Tensor> {
        if self.ndim() != 2 {
            return Err(Error::NotAMatrix { arg: "self", ndim: self.ndim() });
        }
        if other.ndim() != 2 {
            return Err(Error::NotAMatrix { arg: "mat2", ndim: other.ndim() });
        }
        let (m, k1, k2, n) = (self.shape()[0], self.shape()[1], other.shape()[0], other.shape()[1]);
        if k1 != k2 {
            return Err(Error::MatmulShape { m, k1, k2, n });
        }
        same_dtype(self, other, "m1 and m2")?;
        let out = product(self, other, &[m, n])?;
        Ok(record(Op::Mm, &[self, other], out, |needs, _| save_for_product(needs, self, other)))
    }

    /// Batched matrix product of 3-D tensors (BmmBackward0).
    pub fn bmm(&self, other: &Tensor) -> Result<Tensor> {
        if self.ndim() != 3 || other.ndim() != 3 {
            return Err(Error::CountMismatch { expected: "batch1 must be a 3D tensor, got ", lhs: self.ndim(), sep: "-D and ", rhs: other.ndim(), tail: "-D" });
        }
        let (b, m, k) = (self.shape()[0], self.shape()[1], self.shape()[2]);
        if other.shape()[0] != b || other.shape()[1] != k {
            return Err(Error::ShapesDiffer { expected: "Expected size for first two dimensions of batch2 tensor to be: ", lhs: ShapeList(vec![b, k]), sep: " but got: ", rhs: ShapeList(other.shape()[..2].to_vec()), tail: "." });
        }
        same_dtype(self, other, "batch1 and batch2")?;
        let n = other.shape()[2];
        let out = product(self, other, &[b, m, n])?;
        Ok(record(Op::Bmm, &[self, other], out, |needs, _| save_for_product(needs, self, other)))
    }

    /// Inner product of two 1-D tensors (DotBackward0).
    pub fn dot(&self, other: &Tensor) -> Result<Tensor> {
        if self.ndim() != 1 || other.ndim() != 1 {
            return Err(Error::CountMismatch { expected: "1D tensors expected, but got ", lhs: self.ndim(), sep: "D and ", rhs: other.ndim(), tail: "D tensors" });
        }
        if self.shape()[0] != other.shape()[0] {
            return Err(Error::InconsistentNumel { lhs: self.shape()[0], rhs: other.shape()[0] });
        }
        same_dtype(self, other, "both vectors")?;
        let row = self.view_with_layout(self.layout().unsqueeze(0))?;
        let col = other.view_with_layout(other.layout().unsqueeze(1))?;
        let out = product(&row, &col, &[])?;
        Ok(record(Op::Dot, &[self, other], out, |needs, _| save_for_product(needs, self, other)))
    }

    /// Matrix-vector product (MvBackward0).
    pub fn mv(&self, vec: &Tensor) -> Result<Tensor> {
        if self.ndim() != 2 || vec.ndim() != 1 {
            return Err(Error::CountMismatch { expected: "vector + matrix @ vector expected, got 1, ", lhs: self.ndim(), sep: ", ", rhs: vec.ndim(), tail: "" });
        }
        if self.shape()[1] != vec.shape()[0] {
            return Err(Error::AddmvSize { input: self.shape()[0], rows: self.shape()[0], cols: self.shape()[1], vec: vec.shape()[0] });
        }
        same_dtype(self, vec, "mat and vec")?;
        let col = vec.view_with_layout(vec.layout().unsqueeze(1))?;
        let out = product(self, &col, &[self.shape()[0]])?;
        Ok(record(Op::Mv, &[self, vec], out, |needs, _| save_for_product(needs, self, vec)))
    }

    /// `bias + mat1 @ mat2` (AddmmBackward0), the fused form of a linear layer.
    pub fn addmm(bias: &Tensor, mat1: &Tensor, mat2: &Tensor) -> Result<Tensor> {
        let product = {
            let _plain = crate::autograd::mode::no_grad();
            mat1.mm(mat2)?
        };
        let _plain = crate::autograd::mode::no_grad();
        // The product is fresh and ours: the bias goes into it in place when
        // that gives the same result, sparing a second output buffer.
        let in_place = bias.dtype() == product.dtype() && crate::layout::broadcast_shapes(&bias.shape()[..], &product.shape()[..]).is_ok_and(|s| s[..] == product.shape()[..]);
        let out = if in_place {
            product.add_(bias)?;
            product.clone()
        } else {
            product.add(bias)?
        };
        drop(_plain);
        if out.shape() != product.shape() {
            return Err(Error::ShapesDiffer { expected: "The expanded size of the tensor must match the existing size: bias ", lhs: ShapeList(bias.shape().to_vec()), sep: " cannot be broadcast to ", rhs: ShapeList(product.shape().to_vec()), tail: "" });
        }
        Ok(record(Op::Addmm, &[bias, mat1, mat2], out, |needs, _| {
            smallvec![None, needs[2].then(|| SavedTensor::input(mat1)), needs[1].then(|| SavedTensor::input(mat2))]
        }))
    }

    /// `beta * bias + alpha * (mat1 @ mat2)`: `addmm` with its scale factors.
    /// Unscaled, it is the fused AddmmBackward0; scaled, PyTorch's chain of
    /// MulBackward0 and AddBackward0 over MmBackward0.
    pub fn addmm_scaled(bias: &Tensor, mat1: &Tensor, mat2: &Tensor, beta: f64, alpha: f64) -> Result<Tensor> {
        if beta != 1.0 || alpha != 1.0 {
            let product = mat1.mm(mat2)?.mul_scalar(Scalar::Float(alpha))?;
            return bias.mul_scalar(Scalar::Float(beta))?.add(&product);
        }
        if bias.ndim() > 2 {
            return Err(Error::value("addmm: input must be broadcastable to a matrix"));
        }
        Tensor::addmm(bias, mat1, mat2)
    }

    /// Outer product of two 1-D tensors, as PyTorch computes it: a column
    /// times a row (MulBackward0 over ViewBackward0).
    pub fn outer(&self, vec2: &Tensor) -> Result<Tensor> {
        if self.ndim() != 1 || vec2.ndim() != 1 {
            return Err(Error::CountMismatch { expected: "outer: expected 1D tensors, but got ", lhs: self.ndim(), sep: "D and ", rhs: vec2.ndim(), tail: "D" });
        }
        self.reshape(&[-1, 1])?.mul(vec2)
    }

    /// `@`: PyTorch's matmul over 1-D, 2-D and batched operands.
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        Tensor::common_device(&[self, other])?;
        let (da, db) = (self.ndim(), other.ndim());
        match (da, db) {
            (0, _) | (_, 0) => Err(Error::CountMismatch { expected: "both arguments to matmul need to be at least 1D, but they are ", lhs: da, sep: "D and ", rhs: db, tail: "D" }),
            (1, 1) => self.dot(other),
            (2, 1) => self.mv(other),
            (1, 2) => self.unsqueeze(0)?.mm(other)?.squeeze_view(&[0], Op::SqueezeDimInPlace),
            (2, 2) => self.mm(other),
            (_, 1 | 2) => self.matmul_folded(other),
            _ => self.matmul_batched(other),
        }
    }

    /// N-D @ 1-D or 2-D: fold the batch dims into rows, one mm or mv.
    fn matmul_folded(&self, other: &Tensor) -> Result<Tensor> {
        let k = self.shape()[self.ndim() - 1];
        let batch = &self.shape()[..self.ndim() - 1];
        // The row count is spelled out: with k = 0, -1 would be ambiguous.
        let row_count: usize = batch.iter().product();
        let rows = self.reshape(&[row_count as i64, k as i64])?;
        let mut shape: Vec<i64> = batch.iter().map(|&d| d as i64).collect();
        let product = if other.ndim() == 1 {
            rows.mv(other)?
        } else {
            shape.push(other.shape()[1] as i64);
            rows.mm(other)?
        };
        product.unsafe_view(&shape)
    }

    /// Batched operands: broadcast the batch dims, flatten them, one bmm.
    fn matmul_batched(&self, other: &Tensor) -> Result<Tensor> {
        let a = if self.ndim() == 1 { self.unsqueeze(0)? } else { self.clone() };
        let b = if other.ndim() == 1 { other.unsqueeze(1)? } else { other.clone() };
        let (n, k) = (a.shape()[a.ndim() - 2], a.shape()[a.ndim() - 1]);
        let (k2, m) = (b.shape()[b.ndim() - 2], b.shape()[b.ndim() - 1]);
        if k != k2 {
            return Err(Error::MatmulShape { m: n, k1: k, k2, n: m });
        }
        let batch = broadcast_shapes(&a.shape()[..a.ndim() - 2], &b.shape()[..b.ndim() - 2])?;
        let count: usize = batch.iter().product();
        let expand = |t: &Tensor, rows: usize, cols: usize| -> Result<Tensor> {
            let mut full = batch.to_vec();
            full.extend([rows, cols]);
            t.expand(&full)?.reshape(&[count as i64, rows as i64, cols as i64])
        };
        let product = expand(&a, n, k)?.bmm(&expand(&b, k, m)?)?;
        let mut shape: Vec<i64> = batch.iter().map(|&d| d as i64).collect();
        if self.ndim() > 1 {
            shape.push(n as i64);
        }
        if other.ndim() > 1 {
            shape.push(m as i64);
        }
        product.unsafe_view(&shape)
    }

    /// A reshape of a freshly computed, contiguous result (UnsafeViewBackward0).
    fn unsafe_view(&self, shape: &[i64]) -> Result<Tensor> {
        let target = super::shape::infer_shape(shape, self.numel())?;
        let layout = self
            .layout()
            .reshaped_contiguous(&target)
            .ok_or_else(|| Error::runtime("unsafe_view needs a contiguous tensor"))?;
        Ok(record_plain(Op::UnsafeView, &[self], self.view_with_layout(layout)?))
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

pub(super) fn bmm_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let g = ctx.grad();
    Ok(smallvec![
        ctx.grad_for(0, || g.bmm(&ctx.saved(1)?.transpose(1, 2)?))?,
        ctx.grad_for(1, || ctx.saved(0)?.transpose(1, 2)?.bmm(g))?
    ])
}

/// d(a·b) = g*b, g*a (g is 0-d).
pub(super) fn dot_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let g = ctx.grad();
    Ok(smallvec![ctx.grad_for(0, || ctx.saved(1)?.mul(g))?, ctx.grad_for(1, || ctx.saved(0)?.mul(g))?])
}

/// d(M v) = g vᵀ (outer), Mᵀ g.
pub(super) fn mv_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let g = ctx.grad();
    Ok(smallvec![
        ctx.grad_for(0, || g.unsqueeze(1)?.mul(&ctx.saved(1)?.unsqueeze(0)?))?,
        ctx.grad_for(1, || ctx.saved(0)?.t()?.mv(g))?
    ])
}

/// d(bias + A@B): g (summed to bias's shape by the engine), g@Bᵀ, Aᵀ@g.
pub(super) fn addmm_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let g = ctx.grad();
    Ok(smallvec![
        ctx.needs(0).then(|| g.clone()),
        ctx.grad_for(1, || g.mm(&ctx.saved(2)?.t()?))?,
        ctx.grad_for(2, || ctx.saved(1)?.t()?.mm(g))?
    ])
}
