//! Variance and standard deviation with a `correction` (Bessel's is 1).
//! One pass of Welford's update per group, merged across parallel chunks
//! with Chan's formula; accumulated in f64.

use super::{dims_i64, real_dims, resolve_dims, unsqueeze_reduced};
use crate::autograd::saved::SavedTensor;
use crate::dtype::Scalar;
use crate::error::{Error, Result};
use crate::kernels::reduce::reduce_indexed;
use crate::layout::Shape;
use crate::ops::compare::Comparison;
use crate::ops::reduce::reduced_shape;
use crate::ops::{record, BackwardCtx, Grads, Op};
use crate::storage::Element;
use crate::tensor::Tensor;
use crate::with_float_type;
use smallvec::smallvec;

/// Count, mean and sum of squared deviations of the values seen so far.
#[derive(Copy, Clone, Debug)]
struct Welford {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Welford {
    const EMPTY: Welford = Welford { n: 0.0, mean: 0.0, m2: 0.0 };

    #[inline]
    fn push(self, v: f64) -> Welford {
        let n = self.n + 1.0;
        let delta = v - self.mean;
        let mean = self.mean + delta / n;
        Welford { n, mean, m2: self.m2 + delta * (v - mean) }
    }

    fn merge(self, o: Welford) -> Welford {
        if self.n == 0.0 {
            return o;
        }
        if o.n == 0.0 {
            return self;
        }
        let n = self.n + o.n;
        let delta = o.mean - self.mean;
        Welford { n, mean: self.mean + delta * o.n / n, m2: self.m2 + o.m2 + delta * delta * self.n * o.n / n }
    }

    /// `m2 / max(0, n - correction)`: inf (or NaN for no spread) when no degrees of freedom are left, as PyTorch.
    fn variance(self, correction: f64) -> f64 {
        self.m2 / (self.n - correction).max(0.0)
    }
}

fn variance_kernel(x: &Tensor, dims: &[usize], keepdim: bool, correction: f64, take_sqrt: bool) -> Result<Tensor> {
    if !x.dtype().is_floating_point() {
        return Err(Error::NotImplemented("std and var only support floating point and complex dtypes".into()));
    }
    crate::ops::opmath::unary(x, |x| variance_in(x, dims, keepdim, correction, take_sqrt))
}

fn variance_in(x: &Tensor, dims: &[usize], keepdim: bool, correction: f64, take_sqrt: bool) -> Result<Tensor> {
    let shape = reduced_shape(&x.shape(), dims, keepdim);
    let dims = real_dims(dims, x.ndim());
    let finish = |w: Welford| {
        let var = w.variance(correction);
        if take_sqrt {
            var.sqrt()
        } else {
            var
        }
    };
    let buffer = with_float_type!(x.dtype(), "var", T => T::into_buffer(reduce_indexed::<T, Welford, T>(
        &x.snapshot(),
        &dims,
        Welford::EMPTY,
        |w, v, _| w.push(v.to_f64()),
        Welford::merge,
        |w| T::from_f64(finish(w)),
    )?));
    Tensor::from_buffer(buffer, &shape)
}

/// What var and std record: PyTorch takes another gradient path when no dim is given.
fn moment_op(dims: Shape, keepdim: bool, correction: f64, whole: bool, take_sqrt: bool) -> Op {
    if take_sqrt {
        Op::Std { dims, keepdim, correction, whole }
    } else {
        Op::Var { dims, keepdim, correction, whole }
    }
}

impl Tensor {
    /// Variance over `dims` (all when `None`) with `correction` (VarBackward0).
    pub fn var_dims(&self, dims: Option<&[i64]>, correction: f64, keepdim: bool) -> Result<Tensor> {
        self.moment(dims, correction, keepdim, false)
    }

    /// Standard deviation over `dims` (all when `None`) with `correction` (StdBackward0).
    pub fn std_dims(&self, dims: Option<&[i64]>, correction: f64, keepdim: bool) -> Result<Tensor> {
        self.moment(dims, correction, keepdim, true)
    }

    fn moment(&self, dims: Option<&[i64]>, correction: f64, keepdim: bool, take_sqrt: bool) -> Result<Tensor> {
        let whole = dims.is_none() || self.ndim() == 0;
        let dims = resolve_dims(self, dims)?;
        let out = if crate::ops::host::off_host(&[Some(self)]).is_some() {
            moment_composed(self, &dims, keepdim, correction, take_sqrt)?
        } else {
            variance_kernel(self, &dims, keepdim, correction, take_sqrt)?
        };
        let op = moment_op(dims, keepdim, correction, whole, take_sqrt);
        Ok(record(op, &[self], out, |_, out| {
            smallvec![Some(SavedTensor::input(self)), take_sqrt.then(|| SavedTensor::output(out))]
        }))
    }
}

/// The variance (or its root) from elementwise and sum kernels, for a
/// device without a moment kernel: two passes, the mean and then the sum of
/// squared deviations, divided by max(0, N - correction) as PyTorch does.
/// Accumulated in the element type, not f64 as on the host.
fn moment_composed(x: &Tensor, dims: &[usize], keepdim: bool, correction: f64, take_sqrt: bool) -> Result<Tensor> {
    let _plain = crate::autograd::mode::no_grad();
    let reduced = real_dims(dims, x.ndim());
    let count: usize = reduced.iter().map(|&d| x.shape()[d]).product();
    let (squares, kept) = if reduced.is_empty() {
        let centered = x.sub(x)?;
        (centered.mul(&centered)?, None)
    } else {
        let centered = x.sub(&x.mean_dims(&dims_i64(dims), true)?)?;
        (centered.mul(&centered)?, Some(dims_i64(dims)))
    };
    let summed = match kept {
        Some(d) => squares.sum_dims(&d, keepdim)?,
        None => squares,
    };
    let dof = Tensor::scalar_tensor(Scalar::Float((count as f64 - correction).max(0.0)), x.dtype());
    let var = summed.div(&dof)?;
    if take_sqrt {
        var.sqrt()
    } else {
        Ok(var)
    }
}

/// d var = 2 / (N - correction) * g * (x - mean). With no dim given and no
/// degrees of freedom left, PyTorch returns g * (NaN at the mean, inf elsewhere).
fn variance_grad(g: &Tensor, x: &Tensor, dims: &[usize], keepdim: bool, correction: f64, whole: bool) -> Result<Tensor> {
    if whole {
        let mean = x.mean()?;
        let dof = x.numel() as f64 - correction;
        if dof <= 0.0 {
            let at_mean = x.compare(&mean, Comparison::Eq)?;
            let scale = Tensor::full(&x.shape(), Scalar::Float(f64::INFINITY), x.dtype())?.to_device(x.device())?.masked_fill_scalar(&at_mean, Scalar::Float(f64::NAN))?;
            return g.mul(&scale);
        }
        return g.mul_scalar(Scalar::Float(2.0 / dof))?.mul(&x.sub(&mean)?);
    }
    let count: usize = real_dims(dims, x.ndim()).iter().map(|&d| x.shape()[d]).product();
    let g = unsqueeze_reduced(g, x.ndim(), dims, keepdim)?;
    let mean = x.mean_dims(&dims_i64(dims), true)?;
    g.mul_scalar(Scalar::Float(2.0 / (count as f64 - correction)))?.mul(&x.sub(&mean)?)
}

pub(crate) fn var_backward(ctx: &BackwardCtx, dims: &[usize], keepdim: bool, correction: f64, whole: bool) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || variance_grad(ctx.grad(), ctx.saved(0)?, dims, keepdim, correction, whole))?])
}

/// d std = d var / (2 std), taken as 0 where std is 0.
pub(crate) fn std_backward(ctx: &BackwardCtx, dims: &[usize], keepdim: bool, correction: f64, whole: bool) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || {
        let result = ctx.saved(1)?;
        let g = ctx.grad().div(&result.mul_scalar(Scalar::Int(2))?)?.masked_fill_scalar(&result.eq_scalar(Scalar::Int(0))?, Scalar::Float(0.0))?;
        variance_grad(&g, ctx.saved(0)?, dims, keepdim, correction, whole)
    })?])
}
