//! Unary elementwise ops. Hot activations (tanh, sigmoid, relu) get a fused
//! one-kernel backward; when the backward itself must be differentiable
//! (create_graph) they use the composite formula in tensor ops instead.

use super::{record, record_plain, BackwardCtx, Grads, Op};
use crate::autograd::saved::SavedTensor;
use crate::dtype::Scalar;
use crate::error::Result;
use crate::kernels::elementwise::{map, zip};
use crate::storage::{Element, Float, Numeric};
use crate::tensor::Tensor;
use crate::{with_float_type, with_numeric_type};
use smallvec::smallvec;

/// Applies a float kernel, promoting integer input to the default float type.
macro_rules! float_unary {
    ($x:expr, $name:expr, |$v:ident| $body:expr) => {{
        let x = $x.cast($x.dtype().to_floating())?;
        super::opmath::unary(&x, |x| {
            let buffer = with_float_type!(x.dtype(), $name, T => T::into_buffer(map::<T, T>(&x.snapshot(), |$v: T| $body)?));
            Tensor::from_buffer(buffer, &x.shape())
        })?
    }};
}

/// Applies a kernel defined for floats and int64.
macro_rules! numeric_unary {
    ($x:expr, $name:expr, |$v:ident| $body:expr) => {{
        super::opmath::unary($x, |x| {
            let buffer = with_numeric_type!(x.dtype(), $name, T => T::into_buffer(map::<T, T>(&x.snapshot(), |$v: T| $body)?));
            Tensor::from_buffer(buffer, &x.shape())
        })?
    }};
}

/// `g ⊙ f(y)` in one pass, for backward formulas of the form grad * f(saved).
macro_rules! fused_grad {
    ($g:expr, $y:expr, $name:expr, |$gv:ident, $yv:ident| $body:expr) => {{
        let (g, y) = ($g, $y);
        super::opmath::operands(y.dtype(), [g, y], |[g, y]| {
            let buffer = with_float_type!(y.dtype(), $name, T => T::into_buffer(zip::<T, T>(&g.cast(y.dtype())?.snapshot(), &y.snapshot(), &y.shape(), |$gv: T, $yv: T| $body)?));
            Tensor::from_buffer(buffer, &y.shape())
        })
    }};
}

#[inline]
fn sigmoid<T: Float>(v: T) -> T {
    T::ONE / (T::ONE + (-v).exp())
}

impl Tensor {
    pub fn neg(&self) -> Result<Tensor> {
        let out = numeric_unary!(self, "neg", |v| v.neg());
        Ok(record_plain(Op::Neg, &[self], out))
    }

    pub fn reciprocal(&self) -> Result<Tensor> {
        let out = float_unary!(self, "reciprocal", |v| T::ONE / v);
        Ok(record(Op::Reciprocal, &[self], out, |_, out| smallvec![Some(SavedTensor::output(out))]))
    }

    pub fn exp(&self) -> Result<Tensor> {
        let out = float_unary!(self, "exp", |v| v.exp());
        Ok(record(Op::Exp, &[self], out, |_, out| smallvec![Some(SavedTensor::output(out))]))
    }

    pub fn log(&self) -> Result<Tensor> {
        let out = float_unary!(self, "log", |v| v.ln());
        Ok(record(Op::Log, &[self], out, |_, _| smallvec![Some(SavedTensor::input(self))]))
    }

    pub fn sqrt(&self) -> Result<Tensor> {
        let out = float_unary!(self, "sqrt", |v| v.sqrt());
        Ok(record(Op::Sqrt, &[self], out, |_, out| smallvec![Some(SavedTensor::output(out))]))
    }

    pub fn tanh(&self) -> Result<Tensor> {
        let out = float_unary!(self, "tanh", |v| v.tanh());
        Ok(record(Op::Tanh, &[self], out, |_, out| smallvec![Some(SavedTensor::output(out))]))
    }

    pub fn sigmoid(&self) -> Result<Tensor> {
        let out = float_unary!(self, "sigmoid", |v| sigmoid(v));
        Ok(record(Op::Sigmoid, &[self], out, |_, out| smallvec![Some(SavedTensor::output(out))]))
    }

    pub fn relu(&self) -> Result<Tensor> {
        // PyTorch's `max(v, 0)`: `v < 0` is false for NaN and -0.0, which pass through.
        let out = numeric_unary!(self, "relu", |v| if v < T::default() { T::default() } else { v });
        Ok(record(Op::Relu, &[self], out, |_, out| smallvec![Some(SavedTensor::output(out))]))
    }

    pub fn abs(&self) -> Result<Tensor> {
        // Numeric::abs, not i64::abs: abs(int64 min) wraps to itself, as in PyTorch.
        let out = numeric_unary!(self, "abs", |v| Numeric::abs(v));
        Ok(record(Op::Abs, &[self], out, |_, _| smallvec![Some(SavedTensor::input(self))]))
    }

    /// -1, 0 or 1 as PyTorch's `(0 < v) - (v < 0)`: +0 for NaN and for -0.0.
    /// The gradient is zero everywhere.
    pub fn sign(&self) -> Result<Tensor> {
        let out = numeric_unary!(self, "sign", |v| {
            let z = T::default();
            if v > z {
                T::from_i64(1)
            } else if v < z {
                T::from_i64(-1)
            } else {
                z
            }
        });
        Ok(record_plain(Op::Sign, &[self], out))
    }
}

pub(super) fn neg_backward(ctx: &BackwardCtx) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().neg())?])
}

/// d(1/x) = -g * y²
pub(super) fn reciprocal_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let y = ctx.saved(0)?;
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().neg()?.mul(&y.mul(y)?))?])
}

/// d(e^x) = g * y
pub(super) fn exp_backward(ctx: &BackwardCtx) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().mul(ctx.saved(0)?))?])
}

/// d(ln x) = g / x
pub(super) fn log_backward(ctx: &BackwardCtx) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().div(ctx.saved(0)?))?])
}

/// d(√x) = g / (2y)
pub(super) fn sqrt_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let y = ctx.saved(0)?;
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().div(&y.mul_scalar(Scalar::Int(2))?))?])
}

/// d(tanh x) = g * (1 - y²)
pub(super) fn tanh_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let (g, y) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![ctx.grad_for(0, || {
        if ctx.create_graph {
            return g.mul(&y.mul(y)?.rsub_scalar(Scalar::Int(1))?);
        }
        fused_grad!(g, y, "tanh_backward", |gv, yv| gv * (T::ONE - yv * yv))
    })?])
}

/// d(σ(x)) = g * y * (1 - y)
pub(super) fn sigmoid_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let (g, y) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![ctx.grad_for(0, || {
        // PyTorch's float16 kernel rounds after each step (its bfloat16 one
        // computes in float32, like the fused kernel); the order is PyTorch's.
        if ctx.create_graph || y.dtype() == crate::dtype::DType::F16 {
            return g.mul(&y.rsub_scalar(Scalar::Int(1))?)?.mul(y);
        }
        fused_grad!(g, y, "sigmoid_backward", |gv, yv| gv * (T::ONE - yv) * yv)
    })?])
}

/// d(relu x) = 0 where y <= 0, else g: relu'(0) = 0, and NaN passes the
/// gradient through, as PyTorch's threshold_backward.
pub(super) fn relu_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let (g, y) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![ctx.grad_for(0, || {
        if ctx.create_graph {
            let passes = y.compare_scalar(Scalar::Int(0), super::compare::Comparison::Le)?.logical_not()?;
            return g.mul(&passes.cast(g.dtype())?);
        }
        fused_grad!(g, y, "threshold_backward", |gv, yv| if yv <= T::ZERO { T::ZERO } else { gv })
    })?])
}

/// d|x| = g * sign(x) (so abs'(0) = 0, as in PyTorch).
pub(super) fn abs_backward(ctx: &BackwardCtx) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().mul(&ctx.saved(0)?.sign()?))?])
}

pub(super) fn sign_backward(ctx: &BackwardCtx) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().mul_scalar(Scalar::Int(0)))?])
}

