//! Elementwise losses with a reduction: mse_loss, smooth_l1_loss, huber_loss,
//! binary_cross_entropy and binary_cross_entropy_with_logits record one node
//! each, as PyTorch does; l1_loss and kl_div are PyTorch's compositions.
//! Gradients flow to the input and to the target.

use super::{check_not_differentiable, not_implemented_for, reduce, spread, torch_size, untracked, Reduction};
use crate::autograd::saved::SavedTensor;
use crate::dtype::Scalar;
use crate::error::{Error, Result};
use crate::kernels::elementwise::zip;
use crate::layout::broadcast_shapes;
use crate::ops::binary::result_dtype;
use crate::ops::compare::Comparison;
use crate::ops::{record, BackwardCtx, Grads, Op};
use crate::storage::Float;
use crate::tensor::Tensor;
use crate::with_float_type;
use smallvec::smallvec;

fn f(v: f64) -> Scalar {
    Scalar::Float(v)
}

/// The number of elementwise loss values: the broadcast size of input and target.
fn loss_numel(ctx: &BackwardCtx) -> Result<usize> {
    Ok(broadcast_shapes(&ctx.inputs[0].shape, &ctx.inputs[1].shape)?.iter().product())
}

/// Input and target must promote to a floating dtype for these kernels.
fn check_float(x: &Tensor, target: &Tensor, kernel: &str) -> Result<()> {
    let dtype = result_dtype(x, target);
    if !dtype.is_floating_point() {
        return Err(not_implemented_for(kernel, &Tensor::zeros(&[], dtype)?));
    }
    Ok(())
}

/// Saves input and target for a backward that reads both.
fn save_both(x: &Tensor, target: &Tensor) -> crate::ops::Saved {
    smallvec![Some(SavedTensor::input(x)), Some(SavedTensor::input(target))]
}

/// `g' * slope` for the input and `-g' * slope` for the target, the common
/// shape of losses of `input - target`.
fn difference_grads(ctx: &BackwardCtx, reduction: Reduction, slope: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<Grads> {
    let (x, t) = (ctx.saved(0)?, ctx.saved(1)?);
    let g = spread(ctx.grad(), reduction, loss_numel(ctx)?)?;
    let dx = g.mul(&slope(&x.sub(t)?)?)?;
    Ok(smallvec![ctx.needs(0).then(|| dx.clone()), ctx.grad_for(1, || dx.neg())?])
}

impl Tensor {
    /// `mse_loss(input, target, reduction)`: (input - target)² (MseLossBackward0).
    pub fn mse_loss(&self, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
        check_float(self, target, "mse_cpu")?;
        let out = untracked(|| reduce(&self.sub(target)?.square()?, reduction))?;
        Ok(record(Op::MseLoss(reduction), &[self, target], out, |_, _| save_both(self, target)))
    }

    /// `l1_loss(input, target, reduction)`: |input - target|, composed as in PyTorch.
    pub fn l1_loss(&self, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
        reduce(&self.sub(target)?.abs()?, reduction)
    }

    /// `smooth_l1_loss(input, target, reduction, beta)`: 0.5 d²/beta below beta, |d| - beta/2 above.
    pub fn smooth_l1_loss(&self, target: &Tensor, reduction: Reduction, beta: f64) -> Result<Tensor> {
        if beta < 0.0 {
            return Err(Error::runtime("smooth_l1_loss does not support negative values for beta."));
        }
        if beta == 0.0 {
            return self.l1_loss(target, reduction);
        }
        check_float(self, target, "smooth_l1_cpu")?;
        let out = untracked(|| {
            let d = self.sub(target)?;
            let a = d.abs()?;
            let inside = a.compare_scalar(f(beta), Comparison::Lt)?;
            let values = Tensor::where_cond(&inside, &d.square()?.mul_scalar(f(0.5 / beta))?, &a.sub_scalar(f(0.5 * beta))?)?;
            reduce(&values, reduction)
        })?;
        Ok(record(Op::SmoothL1Loss { reduction, beta }, &[self, target], out, |_, _| save_both(self, target)))
    }

    /// `huber_loss(input, target, reduction, delta)`: 0.5 d² below delta, delta (|d| - delta/2) above.
    pub fn huber_loss(&self, target: &Tensor, reduction: Reduction, delta: f64) -> Result<Tensor> {
        if delta <= 0.0 {
            return Err(Error::runtime("huber_loss does not support non-positive values for delta."));
        }
        check_float(self, target, "huber_cpu")?;
        let out = untracked(|| {
            let d = self.sub(target)?;
            let a = d.abs()?;
            let inside = a.compare_scalar(f(delta), Comparison::Lt)?;
            let values = Tensor::where_cond(&inside, &d.square()?.mul_scalar(f(0.5))?, &a.sub_scalar(f(0.5 * delta))?.mul_scalar(f(delta))?)?;
            reduce(&values, reduction)
        })?;
        Ok(record(Op::HuberLoss { reduction, delta }, &[self, target], out, |_, _| save_both(self, target)))
    }
}

/// d mse = 2 (x - t) g'
pub(crate) fn mse_loss_backward(ctx: &BackwardCtx, reduction: Reduction) -> Result<Grads> {
    difference_grads(ctx, reduction, |d| d.mul_scalar(f(2.0)))
}

/// d smooth_l1 = clamp(d / beta, -1, 1) g'
pub(crate) fn smooth_l1_loss_backward(ctx: &BackwardCtx, reduction: Reduction, beta: f64) -> Result<Grads> {
    difference_grads(ctx, reduction, |d| d.div_scalar(f(beta))?.clamp(Some(f(-1.0)), Some(f(1.0))))
}

/// d huber = clamp(d, -delta, delta) g'
pub(crate) fn huber_loss_backward(ctx: &BackwardCtx, reduction: Reduction, delta: f64) -> Result<Grads> {
    difference_grads(ctx, reduction, |d| d.clamp(Some(f(-delta)), Some(f(delta))))
}

// ---- binary cross entropy ------------------------------------------------------------

/// PyTorch clamps each log term at -100 so a 0 or 1 probability stays finite.
const LOG_FLOOR: f64 = -100.0;
/// The smallest `x (1 - x)` the input gradient divides by.
const BCE_EPSILON: f64 = 1e-12;

fn bce_values<T: Float>(x: &Tensor, t: &Tensor) -> Result<Vec<T>> {
    let floor = T::from_f64(LOG_FLOOR);
    let clamp_log = |v: T| {
        let l = v.ln();
        if l > floor {
            l
        } else {
            floor
        }
    };
    zip(&x.snapshot(), &t.snapshot(), &x.shape(), |xv: T, tv: T| -(tv * clamp_log(xv) + (T::ONE - tv) * clamp_log(T::ONE - xv)))
}

fn check_probabilities<T: Float>(x: &Tensor) -> Result<()> {
    let ok = x.to_vec::<T>()?.iter().all(|&v| v >= T::ZERO && v <= T::ONE);
    if !ok {
        return Err(Error::runtime("all elements of input should be between 0 and 1"));
    }
    Ok(())
}

/// `weight` expanded to the loss's shape (PyTorch expands it to the target's size).
fn expanded_weight(weight: Option<&Tensor>, shape: &[usize]) -> Result<Option<Tensor>> {
    weight.map(|w| w.expand(&broadcast_shapes(&w.shape(), shape)?)).transpose()
}

fn save_optional(t: Option<&Tensor>) -> Option<SavedTensor> {
    t.map(SavedTensor::input)
}

/// Multiplies by an optional weight.
fn weighted(t: Tensor, weight: Option<&Tensor>) -> Result<Tensor> {
    match weight {
        Some(w) => t.mul(w),
        None => Ok(t),
    }
}

impl Tensor {
    /// `binary_cross_entropy(input, target, weight, reduction)` on probabilities (BinaryCrossEntropyBackward0).
    pub fn binary_cross_entropy(&self, target: &Tensor, weight: Option<&Tensor>, reduction: Reduction) -> Result<Tensor> {
        if target.shape() != self.shape() {
            return Err(Error::value(format!(
                "Using a target size ({}) that is different to the input size ({}) is deprecated. Please ensure they have the same size.",
                torch_size(&target.shape()),
                torch_size(&self.shape())
            )));
        }
        if target.dtype() != self.dtype() {
            return Err(Error::ScalarTypesDiffer { expected: "Found dtype ", lhs: target.dtype(), sep: " but expected ", rhs: self.dtype(), tail: "" });
        }
        check_not_differentiable(weight, "binary_cross_entropy", "weight")?;
        let weight = expanded_weight(weight, &self.shape())?;
        let out = untracked(|| {
            let values = crate::ops::opmath::operands(self.dtype(), [self, target], |[x, t]| {
                Ok(with_float_type!(x.dtype(), "binary_cross_entropy", T => {
                    check_probabilities::<T>(x)?;
                    Tensor::from_vec(bce_values::<T>(x, t)?, &x.shape())?
                }))
            })?;
            reduce(&weighted(values, weight.as_ref())?, reduction)
        })?;
        Ok(record(Op::BinaryCrossEntropy(reduction), &[self, target], out, |_, _| {
            smallvec![Some(SavedTensor::input(self)), Some(SavedTensor::input(target)), save_optional(weight.as_ref())]
        }))
    }

    /// `binary_cross_entropy_with_logits(input, target, weight, reduction, pos_weight)`,
    /// in PyTorch's overflow-free form (BinaryCrossEntropyWithLogitsBackward0).
    pub fn binary_cross_entropy_with_logits(&self, target: &Tensor, weight: Option<&Tensor>, reduction: Reduction, pos_weight: Option<&Tensor>) -> Result<Tensor> {
        if target.shape() != self.shape() {
            return Err(Error::value(format!("Target size ({}) must be the same as input size ({})", torch_size(&target.shape()), torch_size(&self.shape()))));
        }
        check_not_differentiable(weight, "binary_cross_entropy_with_logits", "weight")?;
        check_not_differentiable(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")?;
        let out = untracked(|| {
            // log(1 + exp(-x)) as max(-x, 0) + log(exp(-max) + exp(-x - max)).
            let max_val = self.neg()?.clamp(Some(f(0.0)), None)?;
            let softplus_neg = max_val.neg()?.exp()?.add(&self.neg()?.sub(&max_val)?.exp()?)?.log()?.add(&max_val)?;
            let scaled = match pos_weight {
                Some(pw) => pw.sub_scalar(f(1.0))?.mul(target)?.add_scalar(f(1.0))?.mul(&softplus_neg)?,
                None => softplus_neg,
            };
            let values = target.rsub_scalar(f(1.0))?.mul(self)?.add(&scaled)?;
            reduce(&weighted(values, weight)?, reduction)
        })?;
        Ok(record(Op::BinaryCrossEntropyWithLogits(reduction), &[self, target], out, |_, _| {
            smallvec![Some(SavedTensor::input(self)), Some(SavedTensor::input(target)), save_optional(weight), save_optional(pos_weight)]
        }))
    }
}

fn optional_saved<'a>(ctx: &'a BackwardCtx, i: usize) -> Option<&'a Tensor> {
    ctx.saved.get(i).and_then(|s| s.as_ref())
}

/// Input: g' w (x - t) / max(x (1 - x), eps). Target: g' w (log(1 - x) - log(x)).
pub(crate) fn binary_cross_entropy_backward(ctx: &BackwardCtx, reduction: Reduction) -> Result<Grads> {
    let (x, t, w) = (ctx.saved(0)?, ctx.saved(1)?, optional_saved(ctx, 2));
    let g = weighted(spread(ctx.grad(), reduction, x.numel())?, w)?;
    let dx = ctx.grad_for(0, || {
        let denominator = x.rsub_scalar(f(1.0))?.mul(x)?.clamp(Some(f(BCE_EPSILON)), None)?;
        g.mul(&x.sub(t)?)?.div(&denominator)
    })?;
    let dt = ctx.grad_for(1, || g.mul(&x.rsub_scalar(f(1.0))?.log()?.sub(&x.log()?)?))?;
    Ok(smallvec![dx, dt])
}

/// Input: g' w ((pw t + 1 - t) σ(x) - pw t), or g' w (σ(x) - t).
/// Target: g' w (pw softplus(-x) - softplus(x)), or -g' w x.
pub(crate) fn binary_cross_entropy_with_logits_backward(ctx: &BackwardCtx, reduction: Reduction) -> Result<Grads> {
    let (x, t, w, pw) = (ctx.saved(0)?, ctx.saved(1)?, optional_saved(ctx, 2), optional_saved(ctx, 3));
    let g = weighted(spread(ctx.grad(), reduction, x.numel())?, w)?;
    let dx = ctx.grad_for(0, || match pw {
        Some(pw) => {
            let pwt = pw.mul(t)?;
            g.mul(&pwt.add(&t.rsub_scalar(f(1.0))?)?.mul(&x.sigmoid()?)?.sub(&pwt)?)
        }
        None => g.mul(&x.sigmoid()?.sub(t)?),
    })?;
    let dt = ctx.grad_for(1, || match pw {
        Some(pw) => g.mul(&pw.mul(&x.neg()?.softplus(1.0, 20.0)?)?.sub(&x.softplus(1.0, 20.0)?)?),
        None => g.mul(&x.neg()?),
    })?;
    Ok(smallvec![dx, dt])
}

// ---- KL divergence -----------------------------------------------------------------------

impl Tensor {
    /// `kl_div(input, target, reduction, log_target)` with `input` in log space;
    /// `reduction` also takes 'batchmean' (the sum over the batch size).
    pub fn kl_div(&self, target: &Tensor, reduction: &str, log_target: bool) -> Result<Tensor> {
        let batchmean = reduction == "batchmean";
        let reduction = if batchmean { Reduction::Sum } else { Reduction::parse(reduction)? };
        let values = if log_target {
            target.exp()?.mul(&target.sub(self)?)?
        } else {
            xlogy_self(target)?.sub(&target.mul(self)?)?
        };
        let reduced = reduce(&values, reduction)?;
        if batchmean && self.ndim() != 0 {
            return reduced.div_scalar(Scalar::Int(self.shape()[0] as i64));
        }
        Ok(reduced)
    }
}

/// `t * log(t)`, with 0 where t == 0 (PyTorch's xlogy(t, t)).
fn xlogy_self(t: &Tensor) -> Result<Tensor> {
    let zero = t.eq_scalar(f(0.0))?;
    Tensor::where_cond(&zero, &Tensor::wrapped_number(f(0.0)), &t.mul(&t.log()?)?)
}
