//! Activation functions: leaky_relu, elu, gelu, silu, softplus, and erf (which
//! gelu's derivative needs). Their backward runs as one fused kernel over
//! (grad, x); under create_graph the same formula is built from tensor ops.

use super::{record, should_record, BackwardCtx, Grads, Op};
use crate::autograd::saved::SavedTensor;
use crate::dtype::Scalar;
use crate::error::{Error, Result};
use crate::kernels::elementwise::{map, zip};
use crate::kernels::pointwise::FloatMath;
use crate::storage::{Element, Float};
use crate::tensor::Tensor;
use crate::with_float_type;
use smallvec::smallvec;
use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// `f(x)` over a float tensor; integer input is an error, as in PyTorch's activations.
macro_rules! activation {
    ($x:expr, $name:expr, |$v:ident| $body:expr) => {{
        super::opmath::unary($x, |x| {
            let buffer = with_float_type!(x.dtype(), $name, T => T::into_buffer(map::<T, T>(&x.snapshot(), |$v: T| $body)?));
            Tensor::from_buffer(buffer, &x.shape())
        })?
    }};
}

/// `f(g, x)` in one pass, for the fused backward of an activation of x.
macro_rules! fused_backward {
    ($g:expr, $x:expr, $name:expr, |$gv:ident, $xv:ident| $body:expr) => {{
        let (g, x) = ($g, $x);
        super::opmath::operands(x.dtype(), [g, x], |[g, x]| {
            let buffer = with_float_type!(x.dtype(), $name, T => T::into_buffer(zip::<T, T>(&g.cast(x.dtype())?.snapshot(), &x.snapshot(), &x.shape(), |$gv: T, $xv: T| $body)?));
            Tensor::from_buffer(buffer, &x.shape())
        })
    }};
}

const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
const GELU_KAPPA: f64 = 0.044715;

#[inline]
fn t<T: Element>(v: f64) -> T {
    T::from_f64(v)
}

#[inline]
fn sigmoid<T: Float>(v: T) -> T {
    T::ONE / (T::ONE + (-v).exp())
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum GeluApproximation {
    None,
    Tanh,
}

impl GeluApproximation {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "none" => Ok(GeluApproximation::None),
            "tanh" => Ok(GeluApproximation::Tanh),
            _ => Err(Error::runtime("approximate argument must be either none or tanh.")),
        }
    }
}

#[inline]
fn gelu_value<T: FloatMath>(x: T, approx: GeluApproximation) -> T {
    let half = t::<T>(0.5);
    match approx {
        GeluApproximation::None => x * half * (T::ONE + (x * t::<T>(FRAC_1_SQRT_2)).erf_value()),
        GeluApproximation::Tanh => {
            let inner = t::<T>(SQRT_2_OVER_PI) * (x + t::<T>(GELU_KAPPA) * x * x * x);
            half * x * (T::ONE + inner.tanh())
        }
    }
}

/// d gelu / dx, as PyTorch's GeluBackward kernels compute it.
#[inline]
fn gelu_slope<T: FloatMath>(x: T, approx: GeluApproximation) -> T {
    let half = t::<T>(0.5);
    match approx {
        GeluApproximation::None => {
            let cdf = half * (T::ONE + (x * t::<T>(FRAC_1_SQRT_2)).erf_value());
            let pdf = (-half * x * x).exp() * t::<T>(1.0 / (2.0 * PI).sqrt());
            cdf + x * pdf
        }
        GeluApproximation::Tanh => {
            let x_sq = x * x;
            let inner = t::<T>(SQRT_2_OVER_PI) * (x + t::<T>(GELU_KAPPA) * x_sq * x);
            let th = inner.tanh();
            let left = half * x;
            let right = T::ONE + th;
            let right_derivative = left * (T::ONE - th * th) * t::<T>(SQRT_2_OVER_PI) * (T::ONE + t::<T>(3.0 * GELU_KAPPA) * x_sq);
            half * right + right_derivative
        }
    }
}

impl Tensor {
    /// `x` for x > 0, else `negative_slope * x` (LeakyReluBackward0).
    pub fn leaky_relu(&self, negative_slope: f64) -> Result<Tensor> {
        let out = activation!(self, "leaky_relu_cpu", |v| if v > T::ZERO { v } else { v * t::<T>(negative_slope) });
        Ok(record(Op::LeakyRelu(negative_slope), &[self], out, |_, _| smallvec![Some(SavedTensor::input(self))]))
    }

    /// `x` for x > 0, else `alpha * (exp(x) - 1)` (EluBackward0).
    pub fn elu(&self, alpha: f64) -> Result<Tensor> {
        let out = activation!(self, "elu_cpu", |v| if v > T::ZERO { v } else { v.exp_m1() * t::<T>(alpha) });
        Ok(record(Op::Elu(alpha), &[self], out, |_, _| smallvec![Some(SavedTensor::input(self))]))
    }

    /// `leaky_relu` as its in-place form records it: the result is saved
    /// instead of the input, which it overwrites (LeakyReluBackward1).
    pub fn leaky_relu_saving_result(&self, negative_slope: f64) -> Result<Tensor> {
        if negative_slope < 0.0 && should_record(&[self]) {
            return Err(Error::runtime("In-place leakyReLu backward calculation is triggered with a negative slope which is not supported. This is caused by calling in-place forward function with a negative slope, please call out-of-place version instead. File an issue at https://github.com/pytorch/pytorch if you do require supporting in-place leakRelu backward calculation with negative slope"));
        }
        let out = activation!(self, "leaky_relu_cpu", |v| if v > T::ZERO { v } else { v * t::<T>(negative_slope) });
        Ok(record(Op::LeakyReluResult(negative_slope), &[self], out.clone(), |_, _| smallvec![Some(SavedTensor::output(&out))]))
    }

    /// `elu` as its in-place form records it, saving the result (EluBackward1).
    pub fn elu_saving_result(&self, alpha: f64) -> Result<Tensor> {
        let out = activation!(self, "elu_cpu", |v| if v > T::ZERO { v } else { v.exp_m1() * t::<T>(alpha) });
        Ok(record(Op::EluResult(alpha), &[self], out.clone(), |_, _| smallvec![Some(SavedTensor::output(&out))]))
    }

    /// `x * Φ(x)`, exactly or with the tanh approximation (GeluBackward0).
    pub fn gelu(&self, approximate: GeluApproximation) -> Result<Tensor> {
        let out = activation!(self, "GeluKernelImpl", |v| gelu_value(v, approximate));
        Ok(record(Op::Gelu(approximate), &[self], out, |_, _| smallvec![Some(SavedTensor::input(self))]))
    }

    /// `x * sigmoid(x)` (SiluBackward0).
    pub fn silu(&self) -> Result<Tensor> {
        let out = activation!(self, "silu_cpu", |v| v * sigmoid(v));
        Ok(record(Op::Silu, &[self], out, |_, _| smallvec![Some(SavedTensor::input(self))]))
    }

    /// `log(1 + exp(beta x)) / beta`, linear where `beta x > threshold` (SoftplusBackward0).
    pub fn softplus(&self, beta: f64, threshold: f64) -> Result<Tensor> {
        let out = activation!(self, "softplus_cpu", |v| {
            let (b, th) = (t::<T>(beta), t::<T>(threshold));
            if v * b > th {
                v
            } else {
                (v * b).exp().ln_1p() / b
            }
        });
        Ok(record(Op::Softplus { beta, threshold }, &[self], out, |_, _| smallvec![Some(SavedTensor::input(self))]))
    }

    /// The error function (ErfBackward0); integer input computes in float32.
    pub fn erf(&self) -> Result<Tensor> {
        let x = self.cast(self.dtype().to_floating())?;
        let out = activation!(&x, "erf", |v| v.erf_value());
        Ok(record(Op::Erf, &[self], out, |_, _| smallvec![Some(SavedTensor::input(self))]))
    }
}

/// g * (x > 0 ? 1 : slope)
pub(super) fn leaky_relu_backward(ctx: &BackwardCtx, slope: f64) -> Result<Grads> {
    let (g, x) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![ctx.grad_for(0, || {
        if ctx.create_graph {
            let positive = x.compare_scalar(Scalar::Int(0), super::compare::Comparison::Gt)?;
            return Tensor::where_cond(&positive, g, &g.mul_scalar(Scalar::Float(slope))?);
        }
        fused_backward!(g, x, "leaky_relu_backward", |gv, xv| if xv > T::ZERO { gv } else { gv * t::<T>(slope) })
    })?])
}

/// g * (x <= 0 ? alpha * exp(x) : 1); at 0 the slope is alpha, as in PyTorch.
pub(super) fn elu_backward(ctx: &BackwardCtx, alpha: f64) -> Result<Grads> {
    let (g, x) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![ctx.grad_for(0, || {
        if ctx.create_graph {
            let negative = x.compare_scalar(Scalar::Int(0), super::compare::Comparison::Le)?;
            let scaled = g.mul(&x.exp()?.mul_scalar(Scalar::Float(alpha))?)?;
            return Tensor::where_cond(&negative, &scaled, g);
        }
        fused_backward!(g, x, "elu_backward", |gv, xv| if xv <= T::ZERO { gv * t::<T>(alpha) * xv.exp() } else { gv })
    })?])
}

/// ELU's slope from its result: y + alpha where y <= 0 (there y = alpha * (exp(x) - 1)).
pub(super) fn elu_result_backward(ctx: &BackwardCtx, alpha: f64) -> Result<Grads> {
    let (g, y) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![ctx.grad_for(0, || {
        if ctx.create_graph {
            let negative = y.compare_scalar(Scalar::Int(0), super::compare::Comparison::Le)?;
            return Tensor::where_cond(&negative, &g.mul(&y.add_scalar(Scalar::Float(alpha))?)?, g);
        }
        fused_backward!(g, y, "elu_backward", |gv, yv| if yv <= T::ZERO { gv * (yv + t::<T>(alpha)) } else { gv })
    })?])
}

pub(super) fn gelu_backward(ctx: &BackwardCtx, approx: GeluApproximation) -> Result<Grads> {
    let (g, x) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![ctx.grad_for(0, || {
        if ctx.create_graph {
            return g.mul(&gelu_slope_tensor(x, approx)?);
        }
        fused_backward!(g, x, "gelu_backward", |gv, xv| gv * gelu_slope(xv, approx))
    })?])
}

/// `gelu_slope` in tensor ops, so it can be differentiated again.
fn gelu_slope_tensor(x: &Tensor, approx: GeluApproximation) -> Result<Tensor> {
    let f = |v: f64| Scalar::Float(v);
    match approx {
        GeluApproximation::None => {
            let cdf = x.mul_scalar(f(FRAC_1_SQRT_2))?.erf()?.add_scalar(f(1.0))?.mul_scalar(f(0.5))?;
            let pdf = x.mul(x)?.mul_scalar(f(-0.5))?.exp()?.mul_scalar(f(1.0 / (2.0 * PI).sqrt()))?;
            cdf.add(&x.mul(&pdf)?)
        }
        GeluApproximation::Tanh => {
            let x_sq = x.mul(x)?;
            let inner = x.add(&x_sq.mul(x)?.mul_scalar(f(GELU_KAPPA))?)?.mul_scalar(f(SQRT_2_OVER_PI))?;
            let th = inner.tanh()?;
            let left_derivative = th.add_scalar(f(1.0))?.mul_scalar(f(0.5))?;
            let sech_sq = th.mul(&th)?.rsub_scalar(f(1.0))?;
            let inner_slope = x_sq.mul_scalar(f(3.0 * GELU_KAPPA * SQRT_2_OVER_PI))?.add_scalar(f(SQRT_2_OVER_PI))?;
            left_derivative.add(&x.mul_scalar(f(0.5))?.mul(&sech_sq)?.mul(&inner_slope)?)
        }
    }
}

/// g * σ(x) * (1 + x * (1 - σ(x)))
pub(super) fn silu_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let (g, x) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![ctx.grad_for(0, || {
        if ctx.create_graph {
            let s = x.sigmoid()?;
            return g.mul(&s.mul(&x.mul(&s.rsub_scalar(Scalar::Int(1))?)?.add_scalar(Scalar::Int(1))?)?);
        }
        fused_backward!(g, x, "silu_backward", |gv, xv| {
            let s = sigmoid(xv);
            gv * s * (T::ONE + xv * (T::ONE - s))
        })
    })?])
}

/// g * σ(beta x), or g where beta x > threshold.
pub(super) fn softplus_backward(ctx: &BackwardCtx, beta: f64, threshold: f64) -> Result<Grads> {
    let (g, x) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![ctx.grad_for(0, || {
        if ctx.create_graph {
            let bx = x.mul_scalar(Scalar::Float(beta))?;
            let linear = bx.compare_scalar(Scalar::Float(threshold), super::compare::Comparison::Gt)?;
            return Tensor::where_cond(&linear, g, &g.mul(&bx.sigmoid()?)?);
        }
        fused_backward!(g, x, "softplus_backward", |gv, xv| {
            let bx = xv * t::<T>(beta);
            if bx > t::<T>(threshold) {
                gv
            } else {
                let z = bx.exp();
                gv * z / (z + T::ONE)
            }
        })
    })?])
}

/// d erf(x) = g * 2/√π * exp(-x²)
pub(super) fn erf_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let x = ctx.saved(0)?;
    Ok(smallvec![ctx.grad_for(0, || {
        let slope = x.mul(x)?.neg()?.exp()?.mul_scalar(Scalar::Float(2.0 / PI.sqrt()))?;
        ctx.grad().mul(&slope)
    })?])
}
