//! Cumulative sums and products along a dim: one linear scan per line.
//! Bool and integer inputs accumulate in int64; floats in f64.

use crate::ops::host::host_only;
use super::{contains_zero, line_rows, square_mask};
use crate::autograd::saved::SavedTensor;
use crate::device::Device;
use crate::dtype::{DType, Scalar};
use crate::error::Result;
use crate::kernels::along::{cumprod_backward as cumprod_backward_kernel, scan};
use crate::layout::normalize_dim;
use crate::ops::{record, record_plain, BackwardCtx, Grads, Op};
use crate::storage::{Element, Numeric};
use crate::tensor::Tensor;
use crate::with_float_type;
use smallvec::smallvec;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Accumulate {
    Sum,
    Product,
}

/// The running sum or product along `dim`, from the end of each line when `reverse`.
fn scan_kernel(x: &Tensor, dim: usize, reverse: bool, kind: Accumulate) -> Result<Tensor> {
    if x.device() != Device::Cpu {
        // The device scans in the element type (halves in float32), chunk by chunk.
        return crate::ops::opmath::unary(x, |x| {
            Tensor::from_storage(crate::backend::wgpu::scan(&x.snapshot(), dim, reverse, kind == Accumulate::Product)?, &x.shape())
        });
    }
    let sum = kind == Accumulate::Sum;
    let buffer = match x.dtype() {
        DType::F32 => {
            let (init, step) = if sum { (0.0, (|a, v| a + v as f64) as fn(f64, f32) -> f64) } else { (1.0, (|a, v| a * v as f64) as fn(f64, f32) -> f64) };
            f32::into_buffer(scan::<f32, f64>(&x.snapshot(), dim, reverse, init, step, |a| a as f32)?)
        }
        DType::F64 => {
            let (init, step) = if sum { (0.0, (|a, v| a + v) as fn(f64, f64) -> f64) } else { (1.0, (|a, v| a * v) as fn(f64, f64) -> f64) };
            f64::into_buffer(scan::<f64, f64>(&x.snapshot(), dim, reverse, init, step, |a| a)?)
        }
        DType::I64 => {
            let (init, step) = if sum { (0, (|a: i64, v| a.add(v)) as fn(i64, i64) -> i64) } else { (1, (|a: i64, v| a.mul(v)) as fn(i64, i64) -> i64) };
            i64::into_buffer(scan::<i64, i64>(&x.snapshot(), dim, reverse, init, step, |a| a)?)
        }
        DType::Bool | DType::U8 | DType::I8 | DType::I16 | DType::I32 => return scan_kernel(&x.cast(DType::I64)?, dim, reverse, kind),
        DType::F16 | DType::BF16 => return scan_kernel(&x.cast(DType::F32)?, dim, reverse, kind)?.cast(x.dtype()),
    };
    Tensor::from_buffer(buffer, &x.shape())
}

/// Whether `x`'s running sums run on its device: a float dtype the device
/// computes in. (cumprod stays on the host: its gradient kernel is host code.)
fn scans_on_device(x: &Tensor) -> bool {
    x.device() != Device::Cpu && crate::backend::wgpu::computes(x.dtype())
}

impl Tensor {
    /// Running sum along `dim` (CumsumBackward0).
    pub fn cumsum(&self, dim: i64) -> Result<Tensor> {
        if !scans_on_device(self) {
            host_only!("cumsum", [self] => |[x]| x.cumsum(dim));
        }
        let dim = normalize_dim(dim, self.ndim())?;
        let out = scan_kernel(self, dim, false, Accumulate::Sum)?;
        Ok(record_plain(Op::Cumsum(dim), &[self], out))
    }

    /// Running product along `dim` (CumprodBackward0).
    pub fn cumprod(&self, dim: i64) -> Result<Tensor> {
        host_only!("cumprod", [self] => |[x]| x.cumprod(dim));
        let dim = normalize_dim(dim, self.ndim())?;
        let out = scan_kernel(self, dim, false, Accumulate::Product)?;
        Ok(record(Op::Cumprod(dim), &[self], out, |_, out| smallvec![Some(SavedTensor::input(self)), Some(SavedTensor::output(out))]))
    }

    /// Sum from each element to the end of its line along `dim`: the adjoint
    /// of cumsum. PyTorch computes it as flip(cumsum(flip(x))), so its node
    /// is named FlipBackward0.
    pub(crate) fn reverse_cumsum(&self, dim: usize) -> Result<Tensor> {
        if !scans_on_device(self) {
            host_only!("cumsum", [self] => |[x]| x.reverse_cumsum(dim));
        }
        let out = scan_kernel(self, dim, true, Accumulate::Sum)?;
        Ok(record_plain(Op::ReverseCumsum(dim), &[self], out))
    }
}

/// d cumsum: each input feeds every later output, so sum the gradient from the end.
pub(crate) fn cumsum_backward(ctx: &BackwardCtx, dim: usize) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().reverse_cumsum(dim))?])
}

pub(crate) fn reverse_cumsum_backward(ctx: &BackwardCtx, dim: usize) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().cumsum(dim as i64))?])
}

/// d cumprod: dx[i] = sum over k >= i of g[k] * (product of x[..=k] except x[i]).
pub(crate) fn cumprod_backward(ctx: &BackwardCtx, dim: usize) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || {
        let (x, out, g) = (ctx.saved(0)?, ctx.saved(1)?, ctx.grad());
        if x.numel() <= 1 || x.shape()[dim] == 1 {
            return Ok(g.clone());
        }
        if !ctx.create_graph {
            let g = g.cast(x.dtype())?;
            let buffer = with_float_type!(x.dtype(), "cumprod_backward", T => T::into_buffer(cumprod_backward_kernel::<T>(&x.snapshot(), &g.snapshot(), dim)?));
            return Tensor::from_buffer(buffer, &x.shape());
        }
        // Differentiable forms, as PyTorch: divide by x while no element is zero.
        if !contains_zero(x)? {
            return g.mul(out)?.reverse_cumsum(dim)?.div(x);
        }
        cumprod_grad_with_zeros(x, g, dim)
    })?])
}

/// The cumprod gradient in tensor ops without division, for double backward
/// through zeros. Per line, with rows i and columns j (or k):
/// `prefix[i] = prod over j < i of x[j]`, `run[i, k] = prod over i < j <= k of x[j]`,
/// `dx[i] = prefix[i] * sum over k >= i of g[k] * run[i, k]`. Quadratic in the line length.
fn cumprod_grad_with_zeros(x: &Tensor, g: &Tensor, dim: usize) -> Result<Tensor> {
    let n = x.shape()[dim];
    let rows = line_rows(x, dim)?;
    let one = Scalar::Int(1);
    let prefix = rows.masked_fill_scalar(&square_mask(n, |i, j| j >= i)?, one)?.prod_dim(-1, false)?;
    let run = rows.masked_fill_scalar(&square_mask(n, |i, j| j <= i)?, one)?.cumprod(-1)?;
    let g_rows = g.transpose(dim as i64, -1)?.unsqueeze(-2)?;
    let weighted = run.mul(&g_rows)?.masked_fill_scalar(&square_mask(n, |i, k| k < i)?, Scalar::Int(0))?;
    prefix.mul(&weighted.sum_dims(&[-1], false)?)?.transpose(dim as i64, -1)
}
