//! log(sum(exp(x))) over dims, computed in one pass without overflow: the
//! running sum is kept relative to the running maximum and rescaled when the
//! maximum grows. Infinities and NaN give PyTorch's results.

use crate::ops::host::host_only;
use super::{real_dims, resolve_dims, unsqueeze_reduced};
use crate::autograd::saved::SavedTensor;
use crate::device::Device;
use crate::dtype::Scalar;
use crate::ops::compare::Comparison;
use crate::error::Result;
use crate::kernels::reduce::reduce_indexed;
use crate::ops::reduce::reduced_shape;
use crate::ops::{record, BackwardCtx, Grads, Op};
use crate::storage::Element;
use crate::tensor::Tensor;
use crate::with_float_type;
use smallvec::smallvec;

/// The maximum so far and the sum of exp(v - max) over the values so far.
/// A +inf makes the result +inf; a NaN makes it NaN; -inf adds nothing.
#[derive(Copy, Clone, Debug)]
struct LogSumExp {
    max: f64,
    sum: f64,
}

impl LogSumExp {
    const EMPTY: LogSumExp = LogSumExp { max: f64::NEG_INFINITY, sum: 0.0 };
    const NAN: LogSumExp = LogSumExp { max: f64::NAN, sum: f64::NAN };
    const INF: LogSumExp = LogSumExp { max: f64::INFINITY, sum: 1.0 };

    #[inline]
    fn push(self, v: f64) -> LogSumExp {
        if self.max.is_nan() || v.is_nan() {
            return LogSumExp::NAN;
        }
        if self.max == f64::INFINITY || v == f64::INFINITY {
            return LogSumExp::INF;
        }
        if v == f64::NEG_INFINITY {
            return self;
        }
        if v > self.max {
            LogSumExp { max: v, sum: self.sum * (self.max - v).exp() + 1.0 }
        } else {
            LogSumExp { max: self.max, sum: self.sum + (v - self.max).exp() }
        }
    }

    fn merge(self, o: LogSumExp) -> LogSumExp {
        if self.max.is_nan() || o.max.is_nan() {
            return LogSumExp::NAN;
        }
        if self.max == f64::INFINITY || o.max == f64::INFINITY {
            return LogSumExp::INF;
        }
        if self.sum == 0.0 {
            return o;
        }
        if o.sum == 0.0 {
            return self;
        }
        let max = self.max.max(o.max);
        LogSumExp { max, sum: self.sum * (self.max - max).exp() + o.sum * (o.max - max).exp() }
    }

    fn finish(self) -> f64 {
        if self.max.is_nan() || self.max == f64::INFINITY {
            return self.max;
        }
        // An empty group or only -inf: log(0).
        self.max + self.sum.ln()
    }
}

impl Tensor {
    /// `log(sum(exp(self)))` over `dims` (LogsumexpBackward0). Integers compute in the default float type.
    pub fn logsumexp(&self, dims: &[i64], keepdim: bool) -> Result<Tensor> {
        let float = self.dtype().to_floating();
        let resolved = resolve_dims(self, Some(dims))?;
        // Device kernels compose it for nonempty groups.
        let on_device = self.device() != Device::Cpu
            && crate::backend::wgpu::computes(float)
            && real_dims(&resolved, self.ndim()).iter().all(|&d| self.shape()[d] > 0);
        if !on_device {
            host_only!("logsumexp", [self] => |[x]| x.logsumexp(dims, keepdim));
        }
        let dims = resolved;
        let x = self.cast(float)?;
        let shape = reduced_shape(&x.shape(), &dims, keepdim);
        let kernel_dims = real_dims(&dims, x.ndim());
        let out = crate::ops::opmath::unary(&x, |x| {
            if on_device {
                let _plain = crate::autograd::mode::no_grad();
                return composed(x, &dims, keepdim);
            }
            let buffer = with_float_type!(x.dtype(), "logsumexp", T => T::into_buffer(reduce_indexed::<T, LogSumExp, T>(
                &x.snapshot(),
                &kernel_dims,
                LogSumExp::EMPTY,
                |a, v, _| a.push(v.to_f64()),
                LogSumExp::merge,
                |a| T::from_f64(a.finish()),
            )?));
            Tensor::from_buffer(buffer, &shape)
        })?;
        Ok(record(Op::Logsumexp { dims, keepdim }, &[self], out, |_, out| {
            smallvec![Some(SavedTensor::input(self)), Some(SavedTensor::output(out))]
        }))
    }
}

/// `m + log(sum(exp(x - m)))` from device kernels, `m` the group maximum
/// (zero where it is infinite or NaN, which exp and log then carry through:
/// +inf gives +inf, all -inf gives -inf, a NaN gives NaN). Groups are nonempty.
fn composed(x: &Tensor, dims: &[usize], keepdim: bool) -> Result<Tensor> {
    if x.ndim() == 0 {
        // One element: log(exp(x)) is x itself, infinities and NaN too.
        return x.mul_scalar(Scalar::Float(1.0));
    }
    let dims_i64: Vec<i64> = dims.iter().map(|&d| d as i64).collect();
    let max = x.amax(Some(&dims_i64), true)?;
    let finite = max.abs()?.compare_scalar(Scalar::Float(f64::INFINITY), Comparison::Lt)?;
    let shift = max.masked_fill_scalar(&finite.logical_not()?, Scalar::Float(0.0))?;
    let sums = x.sub(&shift)?.exp()?.sum_dims(&dims_i64, true)?;
    let out = sums.log()?.add(&shift)?;
    if keepdim {
        Ok(out)
    } else {
        out.squeeze_dims(&dims_i64)
    }
}

/// d logsumexp = g * exp(x - result): the softmax of x weighs the gradient.
pub(crate) fn logsumexp_backward(ctx: &BackwardCtx, dims: &[usize], keepdim: bool) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || {
        let (x, result) = (ctx.saved(0)?, ctx.saved(1)?);
        let g = unsqueeze_reduced(ctx.grad(), x.ndim(), dims, keepdim)?;
        let result = unsqueeze_reduced(result, x.ndim(), dims, keepdim)?;
        g.mul(&x.sub(&result)?.exp()?)
    })?])
}
