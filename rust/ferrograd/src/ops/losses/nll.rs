//! nll_loss (NllLossBackward0, NllLoss2DBackward0 for spatial input) and
//! cross_entropy, which is log_softmax followed by nll_loss, plus PyTorch's
//! compositions for label smoothing and class-probability targets.
//!
//! Inputs are (N, C), (C) unbatched, or (N, C, d1, ...) with targets (N),
//! () or (N, d1, ...). Inputs of 3 or more than 4 dims are viewed as
//! (N, C, 1, -1) as PyTorch does, so their graphs show the same view nodes.

use crate::ops::host::{fallback, off_host, off_host_checked, to_host};
use super::{check_not_differentiable, Reduction};
use crate::autograd::saved::SavedTensor;
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result, ShapeList};
use crate::kernels::along::scatter_one;
use crate::ops::{record, BackwardCtx, Grads, Op};
use crate::storage::{Element, Float};
use crate::tensor::Tensor;
use crate::with_float_type;
use smallvec::smallvec;

/// The class dim: 0 for an unbatched (C) input, else 1.
fn class_dim(x: &Tensor) -> usize {
    usize::from(x.ndim() != 1)
}

/// `weight` viewed so it broadcasts along the class dim of `x`.
fn weight_along_classes(weight: &Tensor, x: &Tensor) -> Result<Tensor> {
    let mut shape = vec![1i64; x.ndim()];
    shape[class_dim(x)] = -1;
    weight.reshape(&shape)
}

/// Argument checks in PyTorch's order and with its phrases.
fn check_nll_arguments(x: &Tensor, target: &Tensor, weight: Option<&Tensor>) -> Result<()> {
    if x.ndim() < 1 {
        return Err(Error::runtime("input tensor should be 1D or more"));
    }
    let target_batch = target.shape().first().copied().unwrap_or(1);
    if x.ndim() != 1 && x.shape()[0] != target_batch {
        return Err(Error::value(format!("Expected input batch_size ({}) to match target batch_size ({target_batch}).", x.shape()[0])));
    }
    if x.ndim() <= 2 {
        if target.ndim() > 1 {
            return Err(Error::runtime("0D or 1D target tensor expected, multi-target not supported"));
        }
        if x.ndim() == 1 && target.ndim() != 0 {
            return Err(Error::ShapesDiffer { expected: "size mismatch (got input: ", lhs: ShapeList(x.shape().to_vec()), sep: ", target: ", rhs: ShapeList(target.shape().to_vec()), tail: ")" });
        }
    } else if target.shape().get(1..) != x.shape().get(2..) {
        let mut expected = vec![x.shape()[0]];
        expected.extend_from_slice(&x.shape()[2..]);
        return Err(Error::ShapesDiffer { expected: "Expected target size ", lhs: ShapeList(expected), sep: ", got ", rhs: ShapeList(target.shape().to_vec()), tail: "" });
    }
    if !matches!(target.dtype(), DType::I64 | DType::U8) {
        return Err(Error::UnexpectedDType { expected: "expected target dtype to be Long or Byte, but got ", got: target.dtype() });
    }
    if let Some(w) = weight {
        let classes = x.shape()[class_dim(x)];
        if w.ndim() != 1 || w.numel() != classes {
            return Err(Error::ClassWeightShape { classes, weight: ShapeList(w.shape().to_vec()) });
        }
        if w.dtype() != x.dtype() {
            return Err(Error::ScalarTypeMismatch { expected: x.dtype(), found: w.dtype() });
        }
    }
    if !x.dtype().is_floating_point() {
        return Err(super::not_implemented_for("nll_loss_out_frame", x));
    }
    Ok(())
}

/// Per target: its class (ignored targets read class 0) and its weight (0 when ignored).
struct PickedClasses {
    classes: Vec<i64>,
    weights: Vec<f64>,
    total_weight: f64,
}

/// Reads the targets once, checking each against the class count.
fn pick_classes(target: &Tensor, weight: Option<&Tensor>, classes: usize, ignore_index: i64) -> Result<PickedClasses> {
    let targets = target.cast(DType::I64)?.to_vec::<i64>()?;
    let class_weights = weight.map(|w| w.cast(DType::F64)?.to_vec::<f64>()).transpose()?;
    let mut picked = PickedClasses { classes: Vec::with_capacity(targets.len()), weights: Vec::with_capacity(targets.len()), total_weight: 0.0 };
    for t in targets {
        if t == ignore_index {
            picked.classes.push(0);
            picked.weights.push(0.0);
            continue;
        }
        if t < 0 || t as usize >= classes {
            return Err(Error::index(format!("Target {t} is out of bounds.")));
        }
        let w = class_weights.as_ref().map_or(1.0, |cw| cw[t as usize]);
        picked.classes.push(t);
        picked.weights.push(w);
        picked.total_weight += w;
    }
    Ok(picked)
}

/// `-weight[t] * x[n, t, s]` for every target, in target order.
fn nll_values<T: Float>(x: &Tensor, picked: &PickedClasses, classes: usize) -> Result<Vec<f64>> {
    let values = x.to_vec::<T>()?;
    let spatial = if x.ndim() > 2 { x.shape()[2..].iter().product() } else { 1 };
    Ok(picked
        .classes
        .iter()
        .zip(&picked.weights)
        .enumerate()
        .map(|(k, (&c, &w))| {
            if w == 0.0 {
                return 0.0;
            }
            let (n, s) = (k / spatial, k % spatial);
            -w * values[(n * classes + c as usize) * spatial + s].to_f64()
        })
        .collect())
}

/// The losses' sum from a +0.0 accumulator, as PyTorch's kernel adds them:
/// all-zero losses (each `-0.0`) reduce to `0.`, not `-0.`.
fn total(losses: &[f64]) -> f64 {
    losses.iter().fold(0.0, |acc, &loss| acc + loss)
}

impl Tensor {
    /// `nll_loss(input, target, weight, ignore_index, reduction)`.
    pub fn nll_loss(&self, target: &Tensor, weight: Option<&Tensor>, reduction: Reduction, ignore_index: i64) -> Result<Tensor> {
        if let Some(device) = off_host_checked(&[Some(self), Some(target), weight])? {
            if self.ndim() <= 2 && crate::backend::wgpu::computes(self.dtype()) {
                return self.nll_loss_on_device(target, weight, reduction, ignore_index, device);
            }
            return fallback("nll_loss", device, [self, target], |[x, t]| x.nll_loss(&t, to_host(weight)?.as_ref(), reduction, ignore_index));
        }
        check_nll_arguments(self, target, weight)?;
        let spatial = self.ndim() >= 3;
        check_not_differentiable(weight, if spatial { "nll_loss2d_forward" } else { "nll_loss_forward" }, "weight")?;
        if self.ndim() == 3 || self.ndim() > 4 {
            let (n, c) = (self.shape()[0] as i64, self.shape()[1] as i64);
            let x = self.reshape(&[n, c, 1, -1])?;
            let t = target.reshape(&[n, 1, -1])?;
            let out = x.nll_loss(&t, weight, reduction, ignore_index)?;
            if reduction != Reduction::None {
                return Ok(out);
            }
            let shape: Vec<i64> = target.shape().iter().map(|&d| d as i64).collect();
            return out.reshape(&shape);
        }
        let classes = self.shape()[class_dim(self)];
        let picked = pick_classes(target, weight, classes, ignore_index)?;
        // Half input: the losses are read in float32 and the result rounded once.
        let wide = self.cast(crate::ops::opmath::compute_dtype(self.dtype()))?;
        let losses = with_float_type!(wide.dtype(), "nll_loss", T => nll_values::<T>(&wide, &picked, classes)?);
        let out = match reduction {
            Reduction::None => Tensor::from_vec(losses, &target.shape())?.cast(self.dtype())?,
            Reduction::Sum => Tensor::scalar_tensor(Scalar::Float(total(&losses)), self.dtype()),
            Reduction::Mean => Tensor::scalar_tensor(Scalar::Float(total(&losses) / picked.total_weight), self.dtype()),
        };
        // The gradient is -weight[t] (over the total weight for a mean) at each target's class.
        let scale = if reduction == Reduction::Mean { picked.total_weight } else { 1.0 };
        let coefficients: Vec<f64> = picked.weights.iter().map(|w| -w / scale).collect();
        let classes_t = Tensor::from_vec(picked.classes, &target.shape())?;
        let coef_t = Tensor::from_vec(coefficients, &target.shape())?.cast(self.dtype())?;
        let op = Op::NllLoss { spatial, reduction };
        Ok(record(op, &[self], out, |_, _| smallvec![Some(SavedTensor::input(&classes_t)), Some(SavedTensor::input(&coef_t))]))
    }

    /// nll_loss of an (N, C) or (C) input on a device: the targets are read
    /// back and checked on the host (N values), the picked log-probabilities
    /// gathered and weighted there on the device; the same node as on the CPU.
    fn nll_loss_on_device(&self, target: &Tensor, weight: Option<&Tensor>, reduction: Reduction, ignore_index: i64, device: crate::device::Device) -> Result<Tensor> {
        check_nll_arguments(self, target, weight)?;
        check_not_differentiable(weight, "nll_loss_forward", "weight")?;
        let dim = class_dim(self);
        let picked = pick_classes(target, weight, self.shape()[dim], ignore_index)?;
        let scale = if reduction == Reduction::Mean { picked.total_weight } else { 1.0 };
        let on_device = |values: Vec<f64>| Tensor::from_vec(values, &target.shape())?.cast(self.dtype())?.to_device(device);
        let classes_t = Tensor::from_vec(picked.classes, &target.shape())?.to_device(device)?;
        let coef_t = on_device(picked.weights.iter().map(|w| -w / scale).collect())?;
        let out = {
            let _plain = crate::autograd::mode::no_grad();
            let chosen = self.gather(dim as i64, &classes_t.unsqueeze(dim as i64)?)?.squeeze(Some(dim as i64))?;
            match reduction {
                Reduction::None => chosen.mul(&on_device(picked.weights.iter().map(|w| -w).collect())?)?,
                Reduction::Sum | Reduction::Mean => chosen.mul(&coef_t)?.sum()?,
            }
        };
        let op = Op::NllLoss { spatial: false, reduction };
        Ok(record(op, &[self], out, |_, _| smallvec![Some(SavedTensor::input(&classes_t)), Some(SavedTensor::input(&coef_t))]))
    }

    /// `cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)`:
    /// class-index targets when shapes differ, class probabilities when they match.
    pub fn cross_entropy(&self, target: &Tensor, weight: Option<&Tensor>, reduction: Reduction, ignore_index: i64, label_smoothing: f64) -> Result<Tensor> {
        if !(0.0..=1.0).contains(&label_smoothing) {
            return Err(Error::runtime(format!("label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")));
        }
        if self.ndim() == 0 {
            return Err(Error::runtime("input tensor should be 1D or more"));
        }
        // Class indices without smoothing run as log_softmax (a device kernel)
        // then nll_loss; the other forms fall back as a whole.
        let plain = label_smoothing == 0.0 && self.shape() != target.shape();
        if let Some(device) = off_host(&[Some(self), Some(target), weight]).filter(|_| !plain) {
            return fallback("cross_entropy", device, [self, target], |[x, t]| {
                x.cross_entropy(&t, to_host(weight)?.as_ref(), reduction, ignore_index, label_smoothing)
            });
        }
        if self.shape() == target.shape() {
            return self.cross_entropy_probabilities(target, weight, reduction, label_smoothing);
        }
        let dim = class_dim(self);
        let log_probs = self.log_softmax(dim as i64, None)?;
        let nll = log_probs.nll_loss(target, weight, reduction, ignore_index)?;
        if label_smoothing == 0.0 {
            return Ok(nll);
        }
        let classes = self.shape()[dim];
        let weighted = match weight {
            Some(w) => log_probs.mul(&weight_along_classes(w, self)?)?,
            None => log_probs,
        };
        let ignored = target.eq_scalar(Scalar::Int(ignore_index))?;
        let smooth = weighted.sum_dims(&[dim as i64], false)?.neg()?.masked_fill_scalar(&ignored, Scalar::Float(0.0))?;
        let smooth = match reduction {
            Reduction::None => smooth,
            Reduction::Sum => smooth.sum()?,
            Reduction::Mean => {
                let total = pick_classes(target, weight, classes, ignore_index)?.total_weight;
                smooth.sum()?.div(&Tensor::scalar_tensor(Scalar::Float(total), self.dtype()))?
            }
        };
        nll.mul_scalar(Scalar::Float(1.0 - label_smoothing))?.add(&smooth.mul_scalar(Scalar::Float(label_smoothing / classes as f64))?)
    }

    fn cross_entropy_probabilities(&self, target: &Tensor, weight: Option<&Tensor>, reduction: Reduction, label_smoothing: f64) -> Result<Tensor> {
        if !target.dtype().is_floating_point() {
            return Err(Error::UnexpectedDType { expected: "Expected floating point type for target with class probabilities, got ", got: target.dtype() });
        }
        let dim = class_dim(self);
        let classes = self.shape()[dim];
        let log_probs = self.log_softmax(dim as i64, None)?;
        let target = if label_smoothing > 0.0 {
            target.mul_scalar(Scalar::Float(1.0 - label_smoothing))?.add_scalar(Scalar::Float(label_smoothing / classes as f64))?
        } else {
            target.clone()
        };
        let mut products = log_probs.mul(&target)?;
        if let Some(w) = weight {
            products = products.mul(&weight_along_classes(w, self)?)?;
        }
        match reduction {
            Reduction::None => products.sum_dims(&[dim as i64], false)?.neg(),
            Reduction::Sum => products.sum()?.neg(),
            Reduction::Mean => {
                let count = if classes == 0 { 0 } else { self.numel() / classes };
                super::div_by_number(&products.sum()?.neg()?, count as f64)
            }
        }
    }
}

/// Places each target's coefficient times the upstream gradient at its class:
/// `scatter(coef) * g`, a product in `g` so it is differentiable again.
pub(crate) fn nll_loss_backward(ctx: &BackwardCtx, reduction: Reduction) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || {
        let (classes, coef) = (ctx.saved(0)?, ctx.saved(1)?);
        let input = &ctx.inputs[0];
        let dim = usize::from(input.shape.len() != 1);
        let index = classes.unsqueeze(dim as i64)?;
        let src = coef.unsqueeze(dim as i64)?;
        let placed = match input.device {
            crate::device::Device::Cpu => crate::ops::opmath::unary(&src, |src| {
                let buffer = with_float_type!(src.dtype(), "nll_loss_backward", T => T::into_buffer(scatter_one::<T>(&src.snapshot(), dim, &index.snapshot(), &input.shape)?));
                Tensor::from_buffer(buffer, &input.shape)
            })?,
            device => Tensor::zeros_on(&input.shape, src.dtype(), device)?.scatter(dim as i64, &index, &src)?,
        };
        let g = ctx.grad();
        let g = if reduction == Reduction::None { g.unsqueeze(dim as i64)? } else { g.clone() };
        placed.mul(&g)
    })?])
}
