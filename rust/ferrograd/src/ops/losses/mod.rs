//! Softmax and log-softmax, the losses of `torch.nn.functional` (negative
//! log-likelihood and cross entropy, regression losses, binary cross
//! entropy, KL divergence), one-hot encoding, dropout and scaled dot-product
//! attention.
//!
//! Where PyTorch records a node of its own (SoftmaxBackward0, MseLossBackward0,
//! NllLossBackward0, ...) the op is recorded as one node with its backward
//! below it; where PyTorch composes (l1_loss, kl_div, label smoothing,
//! probability targets, attention) the composition is built from tensor ops,
//! so the graph shows the same nodes.

pub mod attention;
pub mod nll;
pub mod pointwise;
pub mod softmax;

use crate::autograd::mode::{is_grad_enabled, GradModeGuard};
use crate::dtype::Scalar;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// How a loss reduces its elementwise values.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Reduction {
    None,
    Mean,
    Sum,
}

impl Reduction {
    /// PyTorch's reduction names; anything else is a ValueError.
    pub fn parse(s: &str) -> Result<Reduction> {
        match s {
            "none" => Ok(Reduction::None),
            "mean" => Ok(Reduction::Mean),
            "sum" => Ok(Reduction::Sum),
            _ => Err(Error::value(format!("{s} is not a valid value for reduction"))),
        }
    }
}

/// Reduces elementwise loss values (computed without recording).
pub(crate) fn reduce(values: &Tensor, reduction: Reduction) -> Result<Tensor> {
    match reduction {
        Reduction::None => Ok(values.clone()),
        Reduction::Sum => values.sum(),
        Reduction::Mean => values.mean(),
    }
}

/// The upstream gradient of a reduced loss spread over its `numel` elements:
/// divided by the count for a mean; it broadcasts against the elementwise slope.
pub(crate) fn spread(g: &Tensor, reduction: Reduction, numel: usize) -> Result<Tensor> {
    match reduction {
        Reduction::Mean => g.div_scalar(Scalar::Float(numel as f64)),
        Reduction::None | Reduction::Sum => Ok(g.clone()),
    }
}

/// Runs a forward computation without recording it: the op records one node itself.
pub(crate) fn untracked<R>(f: impl FnOnce() -> Result<R>) -> Result<R> {
    let _guard = GradModeGuard::new(false);
    f()
}

/// PyTorch refuses a `requires_grad` tensor for an argument it does not differentiate.
pub(crate) fn check_not_differentiable(t: Option<&Tensor>, function: &str, argument: &str) -> Result<()> {
    if t.is_some_and(|t| t.requires_grad()) && is_grad_enabled() {
        return Err(Error::runtime(format!(
            "The function '{function}' is not differentiable with respect to argument '{argument}'. This input cannot have requires_grad True."
        )));
    }
    Ok(())
}

/// "\"kernel\" not implemented for 'Long'" as PyTorch raises it (NotImplementedError).
pub(crate) fn not_implemented_for(kernel: &str, t: &Tensor) -> Error {
    Error::NotImplemented(format!("\"{kernel}\" not implemented for '{}'", t.dtype().scalar_type_name()))
}

/// `t / number` as ATen's scalar division records it (DivBackward1).
pub(crate) fn div_by_number(t: &Tensor, number: f64) -> Result<Tensor> {
    let out = untracked(|| t.div_scalar(Scalar::Float(number)))?;
    Ok(crate::ops::record_plain(crate::ops::Op::DivByNumber(number), &[t], out))
}

pub(crate) fn div_by_number_backward(ctx: &crate::ops::BackwardCtx, number: f64) -> Result<crate::ops::Grads> {
    Ok(smallvec::smallvec![ctx.grad_for(0, || ctx.grad().div_scalar(Scalar::Float(number)))?])
}

/// A shape as PyTorch prints a `torch.Size`.
pub(crate) fn torch_size(shape: &[usize]) -> String {
    format!("torch.Size({})", crate::error::ShapeList(shape.to_vec()))
}
