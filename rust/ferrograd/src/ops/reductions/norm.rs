//! Vector p-norms over dims (`torch.linalg.vector_norm`, which `torch.norm`
//! and `Tensor.norm` call for every order they accept on vectors):
//! sum |x|^p ^ (1/p), with inf/-inf as max/min |x| and 0 as the count of
//! nonzeros. Accumulated in f64. The gradient is PyTorch's `norm_backward`.

use crate::ops::host::host_only;
use super::extrema::split_evenly;
use super::{dims_i64, real_dims, resolve_dims, unsqueeze_reduced};
use crate::autograd::saved::SavedTensor;
use crate::dtype::Scalar;
use crate::error::{Error, Result};
use crate::kernels::reduce::reduce_indexed;
use crate::ops::compare::Comparison;
use crate::ops::reduce::reduced_shape;
use crate::ops::{record, BackwardCtx, Grads, Op};
use crate::storage::{Element, Float};
use crate::tensor::Tensor;
use crate::with_float_type;
use smallvec::smallvec;

/// NaN-propagating max (or min) of |v| into `a`.
#[inline]
fn extreme_abs(a: f64, v: f64, max: bool) -> f64 {
    let v = v.abs();
    if a.is_nan() || v.is_nan() {
        return f64::NAN;
    }
    if (v > a) == max {
        v
    } else {
        a
    }
}

/// `fold` over every group, with an identity `init` that also merges partials with `combine`.
fn fold_groups<T: Float>(x: &Tensor, dims: &[usize], init: f64, fold: impl Fn(f64, f64) -> f64 + Sync + Send, combine: impl Fn(f64, f64) -> f64, finish: impl Fn(f64) -> f64) -> Result<Vec<T>> {
    reduce_indexed::<T, f64, T>(&x.snapshot(), dims, init, |a, v, _| fold(a, v.to_f64()), combine, |a| T::from_f64(finish(a)))
}

fn norm_kernel<T: Float>(x: &Tensor, dims: &[usize], ord: f64) -> Result<Vec<T>> {
    let add = |a: f64, b: f64| a + b;
    if ord == 2.0 {
        fold_groups::<T>(x, dims, 0.0, |a, v| a + v * v, add, f64::sqrt)
    } else if ord == 1.0 {
        fold_groups::<T>(x, dims, 0.0, |a, v| a + v.abs(), add, |a| a)
    } else if ord == f64::INFINITY {
        fold_groups::<T>(x, dims, 0.0, |a, v| extreme_abs(a, v, true), |a, b| extreme_abs(a, b, true), |a| a)
    } else if ord == f64::NEG_INFINITY {
        fold_groups::<T>(x, dims, f64::INFINITY, |a, v| extreme_abs(a, v, false), |a, b| extreme_abs(a, b, false), |a| a)
    } else if ord == 0.0 {
        fold_groups::<T>(x, dims, 0.0, |a, v| a + f64::from(u8::from(v != 0.0)), add, |a| a)
    } else {
        fold_groups::<T>(x, dims, 0.0, |a, v| a + v.abs().powf(ord), add, |a| a.powf(1.0 / ord))
    }
}

/// max and min of |x| have no identity: an empty reduction is an error.
fn check_inf_norm_not_empty(x: &Tensor, dims: &[usize], whole: bool, ord: f64) -> Result<()> {
    if !ord.is_infinite() {
        return Ok(());
    }
    if whole && x.numel() == 0 {
        return Err(Error::runtime("linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation does not have an identity"));
    }
    match real_dims(dims, x.ndim()).into_iter().find(|&d| x.shape()[d] == 0) {
        Some(d) => Err(Error::InfNormEmptyDim { dim: d }),
        None => Ok(()),
    }
}

impl Tensor {
    /// The `ord`-norm of the vectors along `dims` (all when `None`) (LinalgVectorNormBackward0).
    pub fn vector_norm(&self, ord: f64, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        // Off the host, device kernels compose every order but NaN.
        if ord.is_nan() {
            host_only!("linalg_vector_norm", [self] => |[x]| x.vector_norm(ord, dims, keepdim));
        }
        if !self.dtype().is_floating_point() {
            return Err(Error::NotImplemented(format!(
                "linalg.vector_norm: Expected a floating point or complex tensor as input. Got {}",
                self.dtype().scalar_type_name()
            )));
        }
        let whole = dims.is_none_or(|d| d.is_empty());
        let dims = resolve_dims(self, dims)?;
        check_inf_norm_not_empty(self, &dims, whole, ord)?;
        let shape = reduced_shape(&self.shape(), &dims, keepdim);
        let kernel_dims = real_dims(&dims, self.ndim());
        let out = if crate::ops::host::off_host(&[Some(self)]).is_some() {
            norm_composed(self, ord, &dims, keepdim)?
        } else {
            crate::ops::opmath::unary(self, |x| {
                let buffer = with_float_type!(x.dtype(), "linalg_vector_norm", T => T::into_buffer(norm_kernel::<T>(x, &kernel_dims, ord)?));
                Tensor::from_buffer(buffer, &shape)
            })?
        };
        Ok(record(Op::VectorNorm { ord, dims, keepdim }, &[self], out, |_, out| {
            smallvec![Some(SavedTensor::input(self)), Some(SavedTensor::output(out))]
        }))
    }
}

/// A norm from elementwise and reduction kernels, for a device without a
/// norm kernel of its own: the extreme |x| for infinite orders, the count
/// of nonzeros for order 0, else sums of |x|^p, then the root. Accumulated
/// in the element type, not f64 as on the host.
fn norm_composed(x: &Tensor, ord: f64, dims: &[usize], keepdim: bool) -> Result<Tensor> {
    let _plain = crate::autograd::mode::no_grad();
    if ord.is_infinite() || ord == 0.0 {
        let each = if ord == 0.0 { x.compare_scalar(Scalar::Int(0), Comparison::Ne)?.cast(x.dtype())? } else { x.abs()? };
        if dims.is_empty() {
            return Ok(each);
        }
        let d = dims_i64(dims);
        return if ord == 0.0 {
            each.sum_dims(&d, keepdim)
        } else if ord > 0.0 {
            each.amax(Some(&d), keepdim)
        } else {
            each.amin(Some(&d), keepdim)
        };
    }
    let powered = if ord == 2.0 {
        x.mul(x)?
    } else if ord == 1.0 {
        x.abs()?
    } else {
        x.abs()?.pow_scalar(Scalar::Float(ord))?
    };
    let summed = if dims.is_empty() { powered.clone() } else { powered.sum_dims(&dims_i64(dims), keepdim)? };
    match ord {
        1.0 => Ok(summed),
        2.0 => summed.sqrt(),
        _ => summed.pow_scalar(Scalar::Float(1.0 / ord)),
    }
}

/// PyTorch's `norm_backward`, case by case on the order; g and the norm have the reduced dims kept.
fn norm_grad(g: &Tensor, x: &Tensor, norm: &Tensor, ord: f64, dims: &[usize]) -> Result<Option<Tensor>> {
    let zero_norm = || norm.eq_scalar(Scalar::Int(0));
    let grad = if ord == 0.0 {
        // Piecewise constant: no gradient at all.
        return Ok(None);
    } else if ord == 1.0 {
        x.sign()?.mul(g)?
    } else if ord == 2.0 {
        g.mul(&x.div(norm)?.masked_fill_scalar(&zero_norm()?, Scalar::Float(0.0))?)?
    } else if ord.is_infinite() {
        // The elements at the extreme |x| (or NaN) share the gradient, signed.
        let abs = x.abs()?;
        // Counted in the gradient's dtype: a device sums floats, not bools.
        let at_extreme = abs.compare(norm, Comparison::Eq)?.logical(&abs.compare(&abs, Comparison::Ne)?, crate::ops::pointwise::Logic::Or)?.cast(g.dtype())?;
        x.sign()?.mul(&split_evenly(g, &at_extreme, &at_extreme.sum_dims(&dims_i64(dims), true)?)?)?
    } else if ord < 1.0 {
        let scaled = x.sign()?.mul(&x.abs()?.pow_scalar(Scalar::Float(ord - 1.0))?.masked_fill_scalar(&x.eq_scalar(Scalar::Int(0))?, Scalar::Float(0.0))?)?;
        scaled.mul(g)?.mul(&norm.pow_scalar(Scalar::Float(1.0 - ord))?)?
    } else {
        // |x|^(p-1) sign(x), written x |x|^(p-2) from p = 2 on as PyTorch does.
        let scaled = if ord < 2.0 {
            x.sign()?.mul(&x.abs()?.pow_scalar(Scalar::Float(ord - 1.0))?)?
        } else {
            x.mul(&x.abs()?.pow_scalar(Scalar::Float(ord - 2.0))?)?
        };
        let scale = g.div(&norm.pow_scalar(Scalar::Float(ord - 1.0))?)?.masked_fill_scalar(&zero_norm()?, Scalar::Float(0.0))?;
        scaled.mul(&scale)?
    };
    Ok(Some(grad))
}

pub(crate) fn vector_norm_backward(ctx: &BackwardCtx, ord: f64, dims: &[usize], keepdim: bool) -> Result<Grads> {
    if !ctx.needs(0) {
        return Ok(smallvec![None]);
    }
    let (x, norm) = (ctx.saved(0)?, ctx.saved(1)?);
    let g = unsqueeze_reduced(ctx.grad(), x.ndim(), dims, keepdim)?;
    let norm = unsqueeze_reduced(norm, x.ndim(), dims, keepdim)?;
    Ok(smallvec![norm_grad(&g, x, &norm, ord, dims)?])
}
