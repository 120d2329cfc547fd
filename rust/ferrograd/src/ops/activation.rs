//! Activation functions: leaky_relu, elu, gelu, silu, softplus. Each
//! computes through its kernel type in `kernels/named.rs`, and its backward
//! runs as one fused binary kernel over (grad, x); under create_graph the
//! same formula is built from tensor ops.

use super::unary::{fused_grad, unary_forward};
use super::{record, should_record, BackwardCtx, Grads, Op};
use crate::autograd::saved::SavedTensor;
use crate::dtype::Scalar;
use crate::error::{Error, Result};
use crate::kernels::named::{self, UnaryKernel};
use crate::tensor::Tensor;
use smallvec::smallvec;
use std::f64::consts::{FRAC_1_SQRT_2, PI};

const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
const GELU_KAPPA: f64 = 0.044715;

/// Runs an activation's kernel; integer and bool input is an error named
/// after PyTorch's kernel, as in PyTorch's activations.
fn activation<K: UnaryKernel>(k: &K, x: &Tensor, name: &'static str) -> Result<Tensor> {
    if !x.dtype().is_floating_point() {
        return Err(Error::NotImplementedForDType { op: name, dtype: x.dtype() });
    }
    unary_forward(k, x)
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

impl Tensor {
    /// `x` for x > 0, else `negative_slope * x` (LeakyReluBackward0).
    pub fn leaky_relu(&self, negative_slope: f64) -> Result<Tensor> {
        let out = activation(&named::LeakyRelu(negative_slope), self, "leaky_relu_cpu")?;
        Ok(record(Op::LeakyRelu(negative_slope), &[self], out, |_, _| smallvec![Some(SavedTensor::input(self))]))
    }

    /// `x` for x > 0, else `alpha * (exp(x) - 1)` (EluBackward0).
    pub fn elu(&self, alpha: f64) -> Result<Tensor> {
        let out = activation(&named::Elu(alpha), self, "elu_cpu")?;
        Ok(record(Op::Elu(alpha), &[self], out, |_, _| smallvec![Some(SavedTensor::input(self))]))
    }

    /// `leaky_relu` as its in-place form records it: the result is saved
    /// instead of the input, which it overwrites (LeakyReluBackward1).
    pub fn leaky_relu_saving_result(&self, negative_slope: f64) -> Result<Tensor> {
        if negative_slope < 0.0 && should_record(&[self]) {
            return Err(Error::runtime("In-place leakyReLu backward calculation is triggered with a negative slope which is not supported. This is caused by calling in-place forward function with a negative slope, please call out-of-place version instead. File an issue at https://github.com/pytorch/pytorch if you do require supporting in-place leakRelu backward calculation with negative slope"));
        }
        let out = activation(&named::LeakyRelu(negative_slope), self, "leaky_relu_cpu")?;
        Ok(record(Op::LeakyReluResult(negative_slope), &[self], out.clone(), |_, _| smallvec![Some(SavedTensor::output(&out))]))
    }

    /// `elu` as its in-place form records it, saving the result (EluBackward1).
    pub fn elu_saving_result(&self, alpha: f64) -> Result<Tensor> {
        let out = activation(&named::Elu(alpha), self, "elu_cpu")?;
        Ok(record(Op::EluResult(alpha), &[self], out.clone(), |_, _| smallvec![Some(SavedTensor::output(&out))]))
    }

    /// `x * Φ(x)`, exactly or with the tanh approximation (GeluBackward0).
    pub fn gelu(&self, approximate: GeluApproximation) -> Result<Tensor> {
        let out = match approximate {
            GeluApproximation::None => activation(&named::Gelu, self, "GeluKernelImpl")?,
            GeluApproximation::Tanh => activation(&named::GeluTanh, self, "GeluKernelImpl")?,
        };
        Ok(record(Op::Gelu(approximate), &[self], out, |_, _| smallvec![Some(SavedTensor::input(self))]))
    }

    /// `x * sigmoid(x)` (SiluBackward0).
    pub fn silu(&self) -> Result<Tensor> {
        let out = activation(&named::Silu, self, "silu_cpu")?;
        Ok(record(Op::Silu, &[self], out, |_, _| smallvec![Some(SavedTensor::input(self))]))
    }

    /// `log(1 + exp(beta x)) / beta`, linear where `beta x > threshold` (SoftplusBackward0).
    pub fn softplus(&self, beta: f64, threshold: f64) -> Result<Tensor> {
        let out = activation(&named::Softplus { beta, threshold }, self, "softplus_cpu")?;
        Ok(record(Op::Softplus { beta, threshold }, &[self], out, |_, _| smallvec![Some(SavedTensor::input(self))]))
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
        fused_grad(&named::LeakyReluBackward(slope), g, x)
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
        fused_grad(&named::EluBackward(alpha), g, x)
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
        fused_grad(&named::EluResultBackward(alpha), g, y)
    })?])
}

pub(super) fn gelu_backward(ctx: &BackwardCtx, approx: GeluApproximation) -> Result<Grads> {
    let (g, x) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![ctx.grad_for(0, || {
        if ctx.create_graph {
            return g.mul(&gelu_slope_tensor(x, approx)?);
        }
        match approx {
            GeluApproximation::None => fused_grad(&named::GeluBackward, g, x),
            GeluApproximation::Tanh => fused_grad(&named::GeluTanhBackward, g, x),
        }
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
        fused_grad(&named::SiluBackward, g, x)
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
        fused_grad(&named::SoftplusBackward { beta, threshold }, g, x)
    })?])
}
