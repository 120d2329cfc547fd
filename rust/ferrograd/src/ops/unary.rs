//! Unary elementwise ops, declared in one table (`unary_ops!` below): a row
//! gives an op's `Tensor` method, kernel, PyTorch node name, what it saves
//! and its backward formula. A new unary op is its kernel type in
//! `kernels/named.rs` and its row here; the main op table (ops/mod.rs)
//! records every one as `Op::Unary`. Hot activations (tanh, sigmoid, relu)
//! get a fused one-kernel backward; when the backward itself must be
//! differentiable (create_graph) they use the composite formula in tensor
//! ops instead.

use super::{record, record_plain, BackwardCtx, Grads, Op, Saved};
use crate::autograd::saved::SavedTensor;
use crate::dtype::Scalar;
use crate::error::Result;
use crate::kernels::named::{self, Accepts, BinaryKernel, UnaryKernel};
use crate::tensor::Tensor;
use smallvec::smallvec;
use std::f64::consts::{LN_10, LN_2, PI};

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
pub(crate) fn fused_grad<K: BinaryKernel>(k: &K, g: &Tensor, y: &Tensor) -> Result<Tensor> {
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

fn record_unary(op: UnaryOp, x: &Tensor, out: Tensor, keeps: Keeps) -> Tensor {
    let op = Op::Unary(op);
    match keeps {
        Keeps::Nothing => record_plain(op, &[x], out),
        Keeps::Input => record(op, &[x], out, |_, _| -> Saved { smallvec![Some(SavedTensor::input(x))] }),
        Keeps::Output => record(op, &[x], out, |_, out| -> Saved { smallvec![Some(SavedTensor::output(out))] }),
    }
}

/// The unary op table: each row declares one op whole,
/// `method => Kernel, "PyTorchName", Keeps, gradient;`.
///
/// `method` is the `Tensor` method; `Kernel` the kernel type in
/// `kernels/named.rs`, which also names the `UnaryOp` variant; the string
/// the class PyTorch gives the node's `grad_fn`; `Keeps` what backward reads
/// as `ctx.saved(0)` (`Nothing`, the `Input` or the `Output`); `gradient`
/// an expression over the table's `ctx` (a `BackwardCtx`) giving the input's
/// gradient, a `Result<Tensor>`, evaluated only when the input needs one.
/// Doc comments on a row document both the method and the variant.
///
/// The table expands to the `UnaryOp` enum (a plain `Copy` enum, stored in
/// the graph as `Op::Unary`), its `name` and `backward`, and the methods.
macro_rules! unary_ops {
    ($ctx:ident => $(
        $(#[$doc:meta])*
        $method:ident => $kernel:ident, $name:literal, $keeps:ident, $gradient:expr;
    )*) => {
        /// A unary elementwise op, as recorded in the graph (`Op::Unary`).
        #[derive(Copy, Clone, Debug, PartialEq, Eq)]
        pub enum UnaryOp {
            $( $(#[$doc])* $kernel, )*
        }

        impl UnaryOp {
            /// The class name PyTorch gives this op's `grad_fn`.
            pub fn name(self) -> &'static str {
                match self {
                    $( UnaryOp::$kernel => $name, )*
                }
            }

            /// Runs this op's derivative formula.
            pub(crate) fn backward(self, $ctx: &BackwardCtx) -> Result<Grads> {
                let gradient = match self {
                    $( UnaryOp::$kernel => $ctx.grad_for(0, || $gradient)?, )*
                };
                Ok(smallvec![gradient])
            }
        }

        impl Tensor {
            $(
                $(#[$doc])*
                pub fn $method(&self) -> Result<Tensor> {
                    let out = unary_forward(&named::$kernel, self)?;
                    Ok(record_unary(UnaryOp::$kernel, self, out, Keeps::$keeps))
                }
            )*
        }

        /// Every unary op's name, for checking them against PyTorch's node classes.
        #[cfg(test)]
        pub(crate) const NAME_SOURCES: &[&str] = &[$(stringify!($name)),*];

        /// Every unary op.
        #[cfg(test)]
        pub(crate) const ALL: &[UnaryOp] = &[$(UnaryOp::$kernel),*];
    };
}

unary_ops! { ctx =>
    neg => Neg, "NegBackward0", Nothing, ctx.grad().neg();
    // d(1/x) = -g * y²
    reciprocal => Reciprocal, "ReciprocalBackward0", Output, {
        let y = ctx.saved(0)?;
        ctx.grad().neg()?.mul(&y.mul(y)?)
    };
    // d(e^x) = g * y
    exp => Exp, "ExpBackward0", Output, ctx.grad().mul(ctx.saved(0)?);
    // d(ln x) = g / x
    log => Log, "LogBackward0", Input, ctx.grad().div(ctx.saved(0)?);
    // d(√x) = g / (2y)
    sqrt => Sqrt, "SqrtBackward0", Output, ctx.grad().div(&ctx.saved(0)?.mul_scalar(Scalar::Int(2))?);
    // d(tanh x) = g * (1 - y²); one fused kernel unless the backward must
    // itself be differentiable (create_graph).
    tanh => Tanh, "TanhBackward0", Output, {
        let (g, y) = (ctx.grad(), ctx.saved(0)?);
        if ctx.create_graph {
            g.mul(&y.mul(y)?.rsub_scalar(Scalar::Int(1))?)
        } else {
            fused_grad(&named::TanhBackward, g, y)
        }
    };
    // d(σ(x)) = g * y * (1 - y). PyTorch's float16 kernel rounds after each
    // step (its bfloat16 one computes in float32, like the fused kernel);
    // the order is PyTorch's.
    sigmoid => Sigmoid, "SigmoidBackward0", Output, {
        let (g, y) = (ctx.grad(), ctx.saved(0)?);
        if ctx.create_graph || y.dtype() == crate::dtype::DType::F16 {
            g.mul(&y.rsub_scalar(Scalar::Int(1))?)?.mul(y)
        } else {
            fused_grad(&named::SigmoidBackward, g, y)
        }
    };
    // d(relu x) = 0 where y <= 0, else g: relu'(0) = 0, and NaN passes the
    // gradient through, as PyTorch's threshold_backward.
    relu => Relu, "ReluBackward0", Output, {
        let (g, y) = (ctx.grad(), ctx.saved(0)?);
        if ctx.create_graph {
            let passes = y.compare_scalar(Scalar::Int(0), super::compare::Comparison::Le)?.logical_not()?;
            g.mul(&passes.cast(g.dtype())?)
        } else {
            fused_grad(&named::ThresholdBackward, g, y)
        }
    };
    // d|x| = g * sign(x) (so abs'(0) = 0, as in PyTorch).
    abs => Abs, "AbsBackward0", Input, ctx.grad().mul(&ctx.saved(0)?.sign()?);
    // d(2^x) = g * y * ln 2
    exp2 => Exp2, "Exp2Backward0", Output, ctx.grad().mul(&ctx.saved(0)?.mul_scalar(Scalar::Float(LN_2))?);
    // d(e^x - 1) = g * (y + 1)
    expm1 => Expm1, "Expm1Backward0", Output, ctx.grad().mul(&ctx.saved(0)?.add_scalar(Scalar::Int(1))?);
    // d(log_b x) = g / (x ln b)
    log2 => Log2, "Log2Backward0", Input, ctx.grad().div(&ctx.saved(0)?.mul_scalar(Scalar::Float(LN_2))?);
    log10 => Log10, "Log10Backward0", Input, ctx.grad().div(&ctx.saved(0)?.mul_scalar(Scalar::Float(LN_10))?);
    // d(ln(1 + x)) = g / (x + 1)
    log1p => Log1p, "Log1PBackward0", Input, ctx.grad().div(&ctx.saved(0)?.add_scalar(Scalar::Int(1))?);
    // d(x^-1/2) = -0.5 * g * y³
    rsqrt => Rsqrt, "RsqrtBackward0", Output, ctx.grad().mul(&ctx.saved(0)?.pow_scalar(Scalar::Int(3))?.mul_scalar(Scalar::Float(-0.5))?);
    // d(sin x) = g * cos x
    sin => Sin, "SinBackward0", Input, ctx.grad().mul(&ctx.saved(0)?.cos()?);
    // d(cos x) = -g * sin x
    cos => Cos, "CosBackward0", Input, ctx.grad().mul(&ctx.saved(0)?.sin()?.neg()?);
    // d(tan x) = g * (1 + y²)
    tan => Tan, "TanBackward0", Output, {
        let y = ctx.saved(0)?;
        ctx.grad().mul(&y.mul(y)?.add_scalar(Scalar::Int(1))?)
    };
    /// The error function; integer input computes in float32.
    // d erf(x) = g * 2/√π * exp(-x²)
    erf => Erf, "ErfBackward0", Input, {
        let x = ctx.saved(0)?;
        let slope = x.mul(x)?.neg()?.exp()?.mul_scalar(Scalar::Float(2.0 / PI.sqrt()))?;
        ctx.grad().mul(&slope)
    };
    /// -1, 0 or 1 as PyTorch's `(0 < v) - (v < 0)`: +0 for NaN and for -0.0.
    /// The gradient is zero everywhere.
    sign => Sign, "SignBackward0", Nothing, ctx.grad().mul_scalar(Scalar::Int(0));
}
