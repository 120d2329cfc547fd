//! softmax and log_softmax along one dim (SoftmaxBackward0, LogSoftmaxBackward0).
//! Both save only their output; the backward is one fused pass per line, or
//! the same formula in tensor ops when it must itself be differentiable.

use super::not_implemented_for;
use crate::autograd::saved::SavedTensor;
use crate::device::Device;
use crate::dtype::DType;
use crate::error::Result;
use crate::kernels::softmax::{softmax_backward_buffer, softmax_buffer};
use crate::layout::normalize_dim;
use crate::ops::host::{fallback, off_host};
use crate::ops::{record, BackwardCtx, Grads, Op};
use crate::strided::Strided;
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
        if let Some(device) = off_host(&[Some(self)]) {
            // The device's float dtypes have a kernel (halves through float32); others fall back.
            if !crate::backend::wgpu::computes(dtype.unwrap_or(self.dtype())) {
                let op = if log { "log_softmax" } else { "softmax" };
                return fallback(op, device, [self], |[x]| x.softmax_family(dim, dtype, log));
            }
        }
        let x = match dtype {
            Some(d) if d != self.dtype() => self.to_dtype(d)?,
            _ => self.clone(),
        };
        let dim = normalize_dim(dim, x.ndim())?;
        if !x.dtype().is_floating_point() {
            return Err(not_implemented_for(kernel_name(&x, dim, log), &x));
        }
        let out = crate::ops::opmath::unary(&x, |x| {
            let data = x.snapshot();
            if data.device() != Device::Cpu {
                return Tensor::from_storage(crate::backend::wgpu::softmax(&data, dim, log)?, data.shape());
            }
            let buffer = softmax_buffer(&data, dim, log)?;
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
        let (gs, ys) = (g.snapshot(), y.snapshot());
        if ys.device() != Device::Cpu {
            // The gradient may be broadcast to the output's shape: read through that layout.
            let layout = if gs.shape() == ys.shape() { gs.layout().clone() } else { gs.layout().broadcast_to(ys.shape())? };
            let g_over_y = Strided::new(gs.storage().clone(), layout, gs.dtype())?;
            return Tensor::from_storage(crate::backend::wgpu::softmax_backward(&g_over_y, &ys, dim, log)?, ys.shape());
        }
        let buffer = softmax_backward_buffer(&gs, &ys, dim, log)?;
        Tensor::from_buffer(buffer, &y.shape())
    })
}
