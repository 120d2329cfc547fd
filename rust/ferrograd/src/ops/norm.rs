//! Normalization layers: layer_norm, batch_norm (training statistics with the
//! running-stat update, or eval with running stats) and group_norm. Each
//! records one node. Backward recomputes the statistics from the saved input
//! in tensor ops, so it is itself differentiable (create_graph).

use super::{record, BackwardCtx, Grads, Op};
use crate::autograd::mode::no_grad;
use crate::autograd::saved::SavedTensor;
use super::conv::with_contiguous;
use crate::dtype::Scalar;
use crate::error::{Error, Result, ShapeList};
use crate::kernels::norm::{layer_norm_rows, standardize_backward_rows};
use crate::storage::Element;
use crate::tensor::Tensor;
use crate::with_float_type;
use smallvec::smallvec;

/// Which optional affine inputs a norm node has, after the input itself.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Affine {
    pub weight: bool,
    pub bias: bool,
}

impl Affine {
    fn of(weight: Option<&Tensor>, bias: Option<&Tensor>) -> Self {
        Affine { weight: weight.is_some(), bias: bias.is_some() }
    }
    fn bias_slot(&self) -> usize {
        1 + self.weight as usize
    }
}

/// `(x - mean) * rstd` over `dims` and `rstd`, both keeping dims.
fn standardize(x: &Tensor, dims: &[i64], eps: f64) -> Result<(Tensor, Tensor)> {
    let mean = x.mean_dims(dims, true)?;
    let centered = x.sub(&mean)?;
    let var = centered.mul(&centered)?.mean_dims(dims, true)?;
    let rstd = var.add_scalar(Scalar::Float(eps))?.rsqrt()?;
    Ok((centered.mul(&rstd)?, rstd))
}

/// Gradient through `standardize`: rstd * (gx̂ - mean(gx̂) - x̂ * mean(gx̂ * x̂)).
fn standardize_backward(gxhat: &Tensor, xhat: &Tensor, rstd: &Tensor, dims: &[i64]) -> Result<Tensor> {
    let mean_g = gxhat.mean_dims(dims, true)?;
    let mean_gx = gxhat.mul(xhat)?.mean_dims(dims, true)?;
    gxhat.sub(&mean_g)?.sub(&xhat.mul(&mean_gx)?)?.mul(rstd)
}

/// How the normalized groups of a tensor are laid out.
#[derive(Copy, Clone)]
enum Rows {
    /// Each group is a run of this many trailing elements (layer and group norm).
    Trailing(usize),
    /// Each group is one channel, dim 1 (batch norm).
    Channels,
}

/// The fused form of `standardize` + `standardize_backward` for a backward
/// that builds no graph: (dx, x̂) in one kernel.
fn fused_standardize_grad(x: &Tensor, gxhat: &Tensor, rows: Rows, eps: f64) -> Result<(Tensor, Tensor)> {
    let (xr, gr, len) = match rows {
        Rows::Trailing(len) => (x.clone(), gxhat.clone(), len),
        Rows::Channels => (x.transpose(0, 1)?, gxhat.transpose(0, 1)?, x.numel() / x.shape()[1].max(1)),
    };
    let gr = gr.cast(x.dtype())?;
    let (dx, xhat) = with_float_type!(x.dtype(), "native_norm_backward", T => {
        let (dx, xhat) = with_contiguous::<T, _>(&xr, |xs| with_contiguous::<T, _>(&gr, |gs| standardize_backward_rows(xs, gs, len, eps)))??;
        (T::into_buffer(dx), T::into_buffer(xhat))
    });
    let shape: Vec<usize> = xr.shape().to_vec();
    let (dx, xhat) = (Tensor::from_buffer(dx, &shape)?, Tensor::from_buffer(xhat, &shape)?);
    match rows {
        Rows::Trailing(_) => Ok((dx, xhat)),
        Rows::Channels => Ok((dx.transpose(0, 1)?.contiguous()?, xhat.transpose(0, 1)?)),
    }
}

/// Whether a norm's backward takes the fused host kernel: on the CPU and
/// not building a graph of its own; otherwise it runs as tensor ops (which
/// record for `create_graph`, and compute on the input's device).
fn fused_backward(ctx: &BackwardCtx, x: &Tensor) -> bool {
    !ctx.create_graph && x.device() == crate::device::Device::Cpu
}

/// The layer-norm forward in one kernel, when the input is on the CPU and
/// the affine parts share its dtype; `None` sends it through tensor ops.
fn fused_layer_norm(x: &Tensor, len: usize, weight: Option<&Tensor>, bias: Option<&Tensor>, eps: f64) -> Result<Option<Tensor>> {
    let cpu = [Some(x), weight, bias].into_iter().flatten().all(|t| t.device() == crate::device::Device::Cpu);
    if !cpu || [weight, bias].into_iter().flatten().any(|t| t.dtype() != x.dtype()) {
        return Ok(None);
    }
    let buffer = with_float_type!(x.dtype(), "LayerNormKernelImpl", T => {
        let affine = |t: Option<&Tensor>| t.map(|t| t.contiguous()?.to_vec::<T>()).transpose();
        let (w, b) = (affine(weight)?, affine(bias)?);
        T::into_buffer(with_contiguous::<T, _>(x, |xs| layer_norm_rows(xs, w.as_deref(), b.as_deref(), len, eps))??)
    });
    Tensor::from_buffer(buffer, &x.shape()).map(Some)
}

fn affine(xhat: Tensor, weight: Option<&Tensor>, bias: Option<&Tensor>) -> Result<Tensor> {
    let y = match weight {
        Some(w) => xhat.mul(w)?,
        None => xhat,
    };
    match bias {
        Some(b) => y.add(b),
        None => Ok(y),
    }
}

/// A per-channel `(C,)` tensor shaped `(1, C, 1, ...)` for an `ndim` input.
fn per_channel(t: &Tensor, ndim: usize) -> Result<Tensor> {
    let mut shape = vec![1i64; ndim];
    shape[1] = -1;
    t.reshape(&shape)
}

fn all_but_channel(ndim: usize) -> Vec<i64> {
    (0..ndim as i64).filter(|&d| d != 1).collect()
}

fn inputs<'a>(x: &'a Tensor, weight: Option<&'a Tensor>, bias: Option<&'a Tensor>) -> Vec<&'a Tensor> {
    let mut v = vec![x];
    v.extend(weight);
    v.extend(bias);
    v
}

fn save_input_and_weight(x: &Tensor, weight: Option<&Tensor>) -> super::Saved {
    smallvec![Some(SavedTensor::input(x)), weight.map(SavedTensor::input)]
}

fn check_float(x: &Tensor, op: &'static str) -> Result<()> {
    if x.dtype().is_floating_point() {
        return Ok(());
    }
    Err(Error::NotImplementedForDType { op, dtype: x.dtype() })
}

impl Tensor {
    /// Normalizes over the last `normalized_shape.len()` dims (NativeLayerNormBackward0).
    pub fn layer_norm(&self, normalized_shape: &[usize], weight: Option<&Tensor>, bias: Option<&Tensor>, eps: f64) -> Result<Tensor> {
        check_float(self, "LayerNormKernelImpl")?;
        let k = normalized_shape.len();
        let nd = self.ndim();
        if k == 0 || k > nd || self.shape()[nd - k..] != *normalized_shape {
            return Err(Error::LayerNormInputShape { normalized_shape: ShapeList(normalized_shape.to_vec()), got: ShapeList(self.shape().to_vec()) });
        }
        for (t, name) in [(weight, "weight"), (bias, "bias")] {
            if let Some(t) = t.filter(|t| t.shape() != normalized_shape) {
                return Err(Error::LayerNormParamShape { name, got: ShapeList(t.shape().to_vec()), normalized_shape: ShapeList(normalized_shape.to_vec()) });
            }
        }
        let dims: Vec<i64> = (nd - k..nd).map(|d| d as i64).collect();
        let out = {
            let _guard = no_grad();
            match fused_layer_norm(self, normalized_shape.iter().product(), weight, bias, eps)? {
                Some(out) => out,
                None => affine(standardize(self, &dims, eps)?.0, weight, bias)?,
            }
        };
        let op = Op::LayerNorm { axes: k, eps, affine: Affine::of(weight, bias) };
        Ok(record(op, &inputs(self, weight, bias), out, |_, _| save_input_and_weight(self, weight)))
    }

    /// Batch normalization over all dims but 1 (NativeBatchNormBackward0). In
    /// training, batch statistics normalize and update the running stats in place
    /// (variance unbiased); otherwise the running stats normalize.
    #[allow(clippy::too_many_arguments)]
    pub fn batch_norm(
        &self,
        running_mean: Option<&Tensor>,
        running_var: Option<&Tensor>,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        training: bool,
        momentum: f64,
        eps: f64,
    ) -> Result<Tensor> {
        check_float(self, "batch_norm")?;
        if self.ndim() < 2 {
            return Err(Error::InputShape { expected: "batch_norm(): expected input to have at least 2 dims, but got ", got: ShapeList(self.shape().to_vec()) });
        }
        let channels = self.shape()[1];
        for (t, name) in [(running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"), (bias, "bias")] {
            if let Some(t) = t.filter(|t| t.numel() != channels) {
                return Err(Error::NormParamNumel { name, channels, numel: t.numel() });
            }
        }
        let nd = self.ndim();
        let dims = all_but_channel(nd);
        let view = |t: Option<&Tensor>| t.map(|t| per_channel(t, nd)).transpose();
        let (w, b) = {
            let _guard = no_grad();
            (view(weight)?, view(bias)?)
        };
        let (out, stats) = {
            let _guard = no_grad();
            if training {
                let (xhat, _) = standardize(self, &dims, eps)?;
                update_running_stats(self, &dims, running_mean, running_var, momentum)?;
                (affine(xhat, w.as_ref(), b.as_ref())?, None)
            } else {
                let (Some(rm), Some(rv)) = (running_mean, running_var) else {
                    return Err(Error::runtime("running_mean must be defined in evaluation mode"));
                };
                let (rm, rv) = (per_channel(&rm.detach().clone_tensor()?, nd)?, per_channel(&rv.detach().clone_tensor()?, nd)?);
                let rstd = rv.add_scalar(Scalar::Float(eps))?.rsqrt()?;
                let xhat = self.sub(&rm)?.mul(&rstd)?;
                (affine(xhat, w.as_ref(), b.as_ref())?, Some((rm, rstd)))
            }
        };
        let op = Op::BatchNorm { training, eps, affine: Affine::of(weight, bias) };
        Ok(record(op, &inputs(self, weight, bias), out, |_, _| {
            let mut saved = save_input_and_weight(self, weight);
            if let Some((rm, rstd)) = &stats {
                saved.push(Some(SavedTensor::input(rm)));
                saved.push(Some(SavedTensor::input(rstd)));
            }
            saved
        }))
    }

    /// Normalizes each of `groups` channel groups per sample (NativeGroupNormBackward0).
    pub fn group_norm(&self, groups: usize, weight: Option<&Tensor>, bias: Option<&Tensor>, eps: f64) -> Result<Tensor> {
        check_float(self, "GroupNormKernelImpl")?;
        if self.ndim() < 2 {
            return Err(Error::UnexpectedCount { expected: "Expected at least 2 dimensions for input tensor but received ", got: self.ndim(), tail: "" });
        }
        let channels = self.shape()[1];
        if groups == 0 || channels % groups != 0 {
            return Err(Error::GroupNormChannels { input: ShapeList(self.shape().to_vec()), groups });
        }
        for (t, name) in [(weight, "weight"), (bias, "bias")] {
            if let Some(t) = t.filter(|t| t.ndim() != 1 || t.numel() != channels) {
                return Err(Error::GroupNormParamShape { name, got: ShapeList(t.shape().to_vec()), input: ShapeList(self.shape().to_vec()) });
            }
        }
        let nd = self.ndim();
        let out = {
            let _guard = no_grad();
            let (xhat, _) = standardize(&grouped(self, groups)?, &[2], eps)?;
            let xhat = xhat.reshape(&shape_i64(&self.shape()))?;
            let view = |t: Option<&Tensor>| t.map(|t| per_channel(t, nd)).transpose();
            affine(xhat, view(weight)?.as_ref(), view(bias)?.as_ref())?
        };
        let op = Op::GroupNorm { groups, eps, affine: Affine::of(weight, bias) };
        Ok(record(op, &inputs(self, weight, bias), out, |_, _| save_input_and_weight(self, weight)))
    }
}

fn shape_i64(shape: &[usize]) -> Vec<i64> {
    shape.iter().map(|&d| d as i64).collect()
}

/// `(N, C, *)` as `(N, groups, -1)`.
fn grouped(x: &Tensor, groups: usize) -> Result<Tensor> {
    x.reshape(&[x.shape()[0] as i64, groups as i64, -1])
}

/// running = (1 - momentum) * running + momentum * batch statistic (variance unbiased).
fn update_running_stats(x: &Tensor, dims: &[i64], running_mean: Option<&Tensor>, running_var: Option<&Tensor>, momentum: f64) -> Result<()> {
    let n = x.numel() / x.shape()[1].max(1);
    let blend = |running: &Tensor, stat: Tensor| -> Result<()> {
        let stat = stat.cast(running.dtype())?;
        let updated = running.mul_scalar(Scalar::Float(1.0 - momentum))?.add(&stat.mul_scalar(Scalar::Float(momentum))?)?;
        running.copy_(&updated)
    };
    if let Some(rm) = running_mean {
        blend(rm, x.mean_dims(dims, false)?)?;
    }
    if let Some(rv) = running_var {
        let correction = if n > 1 { 1.0 } else { 0.0 };
        blend(rv, x.var_dims(Some(dims), correction, false)?)?;
    }
    Ok(())
}

/// The affine part's gradients (weight: Σ g x̂, bias: Σ g, over `dims`) in slots 1 and 2.
fn affine_grads(ctx: &BackwardCtx, grads: &mut Grads, xhat: &Tensor, dims: &[i64], affine: Affine, weight_shape: impl Fn(Tensor) -> Result<Tensor>) -> Result<()> {
    let g = ctx.grad();
    // An empty `dims` means nothing to sum (not a full reduction).
    let total = |t: Tensor| if dims.is_empty() { Ok(t) } else { t.sum_dims(dims, false) };
    if affine.weight {
        grads.push(ctx.grad_for(1, || weight_shape(total(g.mul(xhat)?)?))?);
    }
    if affine.bias {
        grads.push(ctx.grad_for(affine.bias_slot(), || weight_shape(total(g.clone())?))?);
    }
    Ok(())
}

pub(super) fn layer_norm_backward(ctx: &BackwardCtx, axes: usize, eps: f64, affine: Affine) -> Result<Grads> {
    let (g, x) = (ctx.grad(), ctx.saved(0)?);
    let nd = x.ndim();
    let dims: Vec<i64> = (nd - axes..nd).map(|d| d as i64).collect();
    let leading: Vec<i64> = (0..(nd - axes) as i64).collect();
    let gxhat = if affine.weight { g.mul(ctx.saved(1)?)? } else { g.clone() };
    let (dx, xhat) = if !fused_backward(ctx, x) {
        let (xhat, rstd) = standardize(x, &dims, eps)?;
        (standardize_backward(&gxhat, &xhat, &rstd, &dims)?, xhat)
    } else {
        let len = x.shape()[nd - axes..].iter().product();
        fused_standardize_grad(x, &gxhat, Rows::Trailing(len), eps)?
    };
    let mut grads: Grads = smallvec![ctx.needs(0).then_some(dx)];
    affine_grads(ctx, &mut grads, &xhat, &leading, affine, Ok)?;
    Ok(grads)
}

pub(super) fn batch_norm_backward(ctx: &BackwardCtx, training: bool, eps: f64, affine: Affine) -> Result<Grads> {
    let (g, x) = (ctx.grad(), ctx.saved(0)?);
    let nd = x.ndim();
    let dims = all_but_channel(nd);
    let weight = if affine.weight { Some(per_channel(ctx.saved(1)?, nd)?) } else { None };
    let gxhat = match &weight {
        Some(w) => g.mul(w)?,
        None => g.clone(),
    };
    let (xhat, dx) = if training && fused_backward(ctx, x) {
        let (dx, xhat) = fused_standardize_grad(x, &gxhat, Rows::Channels, eps)?;
        (xhat, ctx.needs(0).then_some(dx))
    } else if training {
        let (xhat, rstd) = standardize(x, &dims, eps)?;
        let dx = ctx.grad_for(0, || standardize_backward(&gxhat, &xhat, &rstd, &dims))?;
        (xhat, dx)
    } else {
        let (rm, rstd) = (ctx.saved(2)?, ctx.saved(3)?);
        let xhat = x.sub(rm)?.mul(rstd)?;
        let dx = ctx.grad_for(0, || gxhat.mul(rstd))?;
        (xhat, dx)
    };
    let mut grads: Grads = smallvec![dx];
    affine_grads(ctx, &mut grads, &xhat, &dims, affine, Ok)?;
    Ok(grads)
}

pub(super) fn group_norm_backward(ctx: &BackwardCtx, groups: usize, eps: f64, affine: Affine) -> Result<Grads> {
    let (g, x) = (ctx.grad(), ctx.saved(0)?);
    let nd = x.ndim();
    let gxhat = if affine.weight { g.mul(&per_channel(ctx.saved(1)?, nd)?)? } else { g.clone() };
    let (xg, gg) = (grouped(x, groups)?, grouped(&gxhat, groups)?);
    let (dx, xhat) = if !fused_backward(ctx, x) {
        let (xhat, rstd) = standardize(&xg, &[2], eps)?;
        (standardize_backward(&gg, &xhat, &rstd, &[2])?, xhat)
    } else {
        let len = xg.shape()[2];
        fused_standardize_grad(&xg, &gg, Rows::Trailing(len), eps)?
    };
    let (dx, xhat) = (dx.reshape(&shape_i64(&x.shape()))?, xhat.reshape(&shape_i64(&x.shape()))?);
    let mut grads: Grads = smallvec![ctx.needs(0).then_some(dx)];
    affine_grads(ctx, &mut grads, &xhat, &all_but_channel(nd), affine, Ok)?;
    Ok(grads)
}
