//! softmax and log_softmax along one dim (SoftmaxBackward0, LogSoftmaxBackward0).
//! Both save only their output; the backward is one fused pass per line, or
//! the same formula in tensor ops when it must itself be differentiable.

use super::not_implemented_for;
use crate::autograd::saved::SavedTensor;
use crate::dtype::DType;
use crate::error::Result;
use crate::kernels::softmax::{softmax_backward_buffer, softmax_buffer};
use crate::layout::normalize_dim;
use crate::ops::{record, BackwardCtx, Grads, Op};
use crate::tensor::Tensor;
use smallvec::smallvec;

/// PyTorch's kernel names, for the error on integer input.
fn kernel_name(x: &Tensor, dim: usize, log: bool) -> &'static str {
    let last = x.ndim() == 0 || dim + 1 == x.ndim();
    match (log, last) {
        (false, true) => "softmax_lastdim_kernel_impl",
        (false, false) => "softmax_kernel_impl",
        (true, true) => "log_softmax_lastdim_kernel_impl",
        (true, false) => "log_softmax_kernel_impl",
    }
}

impl Tensor {
    /// `softmax(dim, dtype)`: `exp(x) / sum(exp(x))` along `dim`, computed after casting to `dtype`.
    pub fn softmax(&self, dim: i64, dtype: Option<DType>) -> Result<Tensor> {
        self.softmax_family(dim, dtype, false)
    }

    /// `log_softmax(dim, dtype)`: `x - logsumexp(x)` along `dim`.
    pub fn log_softmax(&self, dim: i64, dtype: Option<DType>) -> Result<Tensor> {
        self.softmax_family(dim, dtype, true)
    }

    fn softmax_family(&self, dim: i64, dtype: Option<DType>, log: bool) -> Result<Tensor> {
        let x = match dtype {
            Some(d) if d != self.dtype() => self.to_dtype(d)?,
            _ => self.clone(),
        };
        let dim = normalize_dim(dim, x.ndim())?;
        if !x.dtype().is_floating_point() {
            return Err(not_implemented_for(kernel_name(&x, dim, log), &x));
        }
        let out = crate::ops::opmath::unary(&x, |x| {
            let buffer = softmax_buffer(&x.snapshot(), dim, log)?;
            Tensor::from_buffer(buffer, &x.shape())
        })?;
        let op = if log { Op::LogSoftmax(dim) } else { Op::Softmax(dim) };
        Ok(record(op, &[&x], out, |_, out| smallvec![Some(SavedTensor::output(out))]))
    }
}

/// d softmax = y * (g - sum(g * y)) along the dim.
pub(crate) fn softmax_backward_formula(ctx: &BackwardCtx, dim: usize) -> Result<Grads> {
    let (g, y) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![ctx.grad_for(0, || {
        if ctx.create_graph {
            let dot = g.mul(y)?.sum_dims(&[dim as i64], true)?;
            return y.mul(&g.sub(&dot)?);
        }
        fused(g, y, dim, false)
    })?])
}

/// d log_softmax = g - exp(y) * sum(g) along the dim.
pub(crate) fn log_softmax_backward_formula(ctx: &BackwardCtx, dim: usize) -> Result<Grads> {
    let (g, y) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![ctx.grad_for(0, || {
        if ctx.create_graph {
            let total = g.sum_dims(&[dim as i64], true)?;
            return g.sub(&y.exp()?.mul(&total)?);
        }
        fused(g, y, dim, true)
    })?])
}

fn fused(g: &Tensor, y: &Tensor, dim: usize, log: bool) -> Result<Tensor> {
    crate::ops::opmath::operands(y.dtype(), [g, y], |[g, y]| {
        let g = g.cast(y.dtype())?;
        let buffer = softmax_backward_buffer(&g.snapshot(), &y.snapshot(), dim, log)?;
        Tensor::from_buffer(buffer, &y.shape())
    })
}
