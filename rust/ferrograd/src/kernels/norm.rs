//! Standardization `x̂ = (x - mean) * rstd` over each contiguous row, fused:
//! the layer-norm forward (statistics, then `x̂ · weight + bias` in one
//! pass) and the backward (one pass for the statistics, one for the
//! gradient). Statistics accumulate in float64 whatever the dtype.

use super::PARALLEL_THRESHOLD;
use crate::error::Result;
use crate::storage::{filled_vec, Float};
use rayon::prelude::*;

/// Per row of `len` elements: given `x` and the gradient `gx̂` with respect to
/// x̂, returns `dx = rstd * (gx̂ - mean(gx̂) - x̂ * mean(gx̂ * x̂))` and `x̂`.
pub fn standardize_backward_rows<T: Float>(x: &[T], gxhat: &[T], len: usize, eps: f64) -> (Vec<T>, Vec<T>) {
    let mut dx = vec![T::ZERO; x.len()];
    let mut xhat = vec![T::ZERO; x.len()];
    if len == 0 {
        return (dx, xhat);
    }
    let row = |((dx, xh), (x, g)): ((&mut [T], &mut [T]), (&[T], &[T]))| row_backward(x, g, dx, xh, eps);
    let rows = dx.chunks_mut(len).zip(xhat.chunks_mut(len)).zip(x.chunks(len).zip(gxhat.chunks(len)));
    if x.len() >= PARALLEL_THRESHOLD {
        crate::threads::parallel(|| rows.par_bridge().for_each(row));
    } else {
        rows.for_each(row);
    }
    (dx, xhat)
}

/// Per row of `len` elements: `(x - mean) * rstd * weight + bias`, the
/// affine parts when given (each `len` long).
pub fn layer_norm_rows<T: Float>(x: &[T], weight: Option<&[T]>, bias: Option<&[T]>, len: usize, eps: f64) -> Result<Vec<T>> {
    let mut out = filled_vec(x.len(), T::ZERO)?;
    if len == 0 {
        return Ok(out);
    }
    let row = |(out, x): (&mut [T], &[T])| {
        let (mean, rstd) = row_statistics(x, eps);
        for (i, (o, &v)) in out.iter_mut().zip(x).enumerate() {
            let mut h = (v.to_f64() - mean) * rstd;
            if let Some(w) = weight {
                h *= w[i].to_f64();
            }
            if let Some(b) = bias {
                h += b[i].to_f64();
            }
            *o = T::from_f64(h);
        }
    };
    let rows = out.chunks_mut(len).zip(x.chunks(len));
    if x.len() >= PARALLEL_THRESHOLD {
        crate::threads::parallel(|| rows.par_bridge().for_each(row));
    } else {
        rows.for_each(row);
    }
    Ok(out)
}

/// The mean of a row and `1 / sqrt(var + eps)`, the variance biased, in two passes.
fn row_statistics<T: Float>(x: &[T], eps: f64) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().map(|v| v.to_f64()).sum::<f64>() / n;
    let var = x.iter().map(|v| (v.to_f64() - mean).powi(2)).sum::<f64>() / n;
    (mean, 1.0 / (var + eps).sqrt())
}

fn row_backward<T: Float>(x: &[T], g: &[T], dx: &mut [T], xhat: &mut [T], eps: f64) {
    let n = x.len() as f64;
    let (mean, rstd) = row_statistics(x, eps);
    let (mut sum_g, mut sum_gx) = (0.0, 0.0);
    for ((&xv, &gv), xh) in x.iter().zip(g).zip(xhat.iter_mut()) {
        let h = (xv.to_f64() - mean) * rstd;
        *xh = T::from_f64(h);
        sum_g += gv.to_f64();
        sum_gx += gv.to_f64() * h;
    }
    let (mean_g, mean_gx) = (sum_g / n, sum_gx / n);
    for ((&gv, &xh), d) in g.iter().zip(xhat.iter()).zip(dx.iter_mut()) {
        *d = T::from_f64(rstd * (gv.to_f64() - mean_g - xh.to_f64() * mean_gx));
    }
}
