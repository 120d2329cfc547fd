//! Unary elementwise ops. Hot activations (tanh, sigmoid, relu) get a fused
//! one-kernel backward; when the backward itself must be differentiable
//! (create_graph) they use the composite formula in tensor ops instead.

use super::{record, record_plain, BackwardCtx, Grads, Op, Saved};
use crate::autograd::saved::SavedTensor;
use crate::dtype::Scalar;
use crate::error::Result;
use crate::kernels::named::{self, Accepts, BinaryKernel, UnaryKernel};
use crate::tensor::Tensor;
use smallvec::smallvec;

/// Runs a unary kernel: float-only kernels promote integer input to the
/// default float dtype, half input computes in float32.
pub(crate) fn unary_forward<K: UnaryKernel>(k: &K, x: &Tensor) -> Result<Tensor> {
    let promoted;
    let x = match K::ACCEPTS {
        Accepts::Float => {
            promoted = x.cast(x.dtype().to_floating())?;
            &promoted
        }
        Accepts::Numeric => x,
    };
    super::opmath::unary(x, |x| {
        let data = x.snapshot();
        Tensor::from_storage(data.unary(k)?, data.shape())
    })
}

/// `g ⊙ f(y)` in one pass, for backward formulas of the form grad * f(saved).
fn fused_grad<K: BinaryKernel>(k: &K, g: &Tensor, y: &Tensor) -> Result<Tensor> {
    super::opmath::operands(y.dtype(), [g, y], |[g, y]| {
        let g = g.cast(y.dtype())?;
        let (sg, sy) = (g.snapshot(), y.snapshot());
        Tensor::from_storage(sg.binary(k, &sy, sy.shape())?, sy.shape())
    })
}

/// What a unary op keeps for its backward.
#[derive(Copy, Clone)]
enum Keeps {
    Nothing,
    Input,
    Output,
}

fn record_unary(op: Op, x: &Tensor, out: Tensor, keeps: Keeps) -> Tensor {
    match keeps {
        Keeps::Nothing => record_plain(op, &[x], out),
        Keeps::Input => record(op, &[x], out, |_, _| -> Saved { smallvec![Some(SavedTensor::input(x))] }),
        Keeps::Output => record(op, &[x], out, |_, out| -> Saved { smallvec![Some(SavedTensor::output(out))] }),
    }
}

/// The unary ops, one row each: `method => kernel, recorded op, what its
/// backward keeps;`. A new op is its kernel type (kernels/named.rs), its
/// row in the op table (ops/mod.rs) and its row here.
macro_rules! unary_ops {
    ($($(#[$doc:meta])* $method:ident => $kernel:ident, $op:ident, $keeps:ident;)*) => {
        impl Tensor {
            $(
                $(#[$doc])*
                pub fn $method(&self) -> Result<Tensor> {
                    let out = unary_forward(&named::$kernel, self)?;
                    Ok(record_unary(Op::$op, self, out, Keeps::$keeps))
                }
            )*
        }
    };
}

unary_ops! {
    neg => Neg, Neg, Nothing;
    reciprocal => Reciprocal, Reciprocal, Output;
    exp => Exp, Exp, Output;
    log => Log, Log, Input;
    sqrt => Sqrt, Sqrt, Output;
    tanh => Tanh, Tanh, Output;
    sigmoid => Sigmoid, Sigmoid, Output;
    relu => Relu, Relu, Output;
    abs => Abs, Abs, Input;
    /// -1, 0 or 1 as PyTorch's `(0 < v) - (v < 0)`: +0 for NaN and for -0.0.
    /// The gradient is zero everywhere.
    sign => Sign, Sign, Nothing;
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
        fused_grad(&named::TanhBackward, g, y)
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
        fused_grad(&named::SigmoidBackward, g, y)
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
        fused_grad(&named::ThresholdBackward, g, y)
    })?])
}

/// d|x| = g * sign(x) (so abs'(0) = 0, as in PyTorch).
pub(super) fn abs_backward(ctx: &BackwardCtx) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().mul(&ctx.saved(0)?.sign()?))?])
}

pub(super) fn sign_backward(ctx: &BackwardCtx) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().mul_scalar(Scalar::Int(0)))?])
}

