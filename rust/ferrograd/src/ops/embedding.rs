//! Embedding lookup: rows of a weight matrix picked by int64 indices. Its
//! backward adds each gradient row into the row it came from (none into
//! `padding_idx`, optionally divided by the index's frequency). That scatter
//! is differentiable: its backward is the lookup again with padding rows
//! zeroed, as PyTorch defines it, so double backward works.

use crate::autograd::mode::no_grad;
use crate::device::Device;
use crate::ops::host::{fallback, off_host_checked};
use super::{record, BackwardCtx, Grads, Op};
use crate::autograd::saved::SavedTensor;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::storage::{filled_vec, vec_with_capacity, Element, Float};
use crate::tensor::Tensor;
use crate::with_float_type;
use smallvec::smallvec;

use super::conv::with_contiguous;

/// How gradients flow between looked-up rows and the table.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct EmbeddingGrad {
    pub num_weights: usize,
    pub padding_idx: Option<usize>,
    pub scale_grad_by_freq: bool,
}

impl EmbeddingGrad {
    /// The factor each looked-up row's gradient carries: 0 at padding_idx, 1/count when scaling.
    fn factors(&self, idx: &[i64]) -> Vec<f64> {
        let mut counts = vec![0usize; if self.scale_grad_by_freq { self.num_weights } else { 0 }];
        for &i in idx.iter().filter(|_| self.scale_grad_by_freq) {
            counts[i as usize] += 1;
        }
        idx.iter()
            .map(|&i| match () {
                _ if self.padding_idx == Some(i as usize) => 0.0,
                _ if self.scale_grad_by_freq => 1.0 / counts[i as usize] as f64,
                _ => 1.0,
            })
            .collect()
    }
}

fn gather_rows<T: Float>(table: &[T], dim: usize, idx: &[i64], factors: Option<&[f64]>) -> Result<Vec<T>> {
    let mut out = vec_with_capacity(crate::layout::numel(&[idx.len(), dim])?)?;
    for (k, &i) in idx.iter().enumerate() {
        let row = &table[i as usize * dim..(i as usize + 1) * dim];
        match factors {
            Some(f) => out.extend(row.iter().map(|&v| v * T::from_f64(f[k]))),
            None => out.extend_from_slice(row),
        }
    }
    Ok(out)
}

fn scatter_rows<T: Float>(rows: &[T], dim: usize, idx: &[i64], num: usize, factors: &[f64]) -> Result<Vec<T>> {
    let mut table = filled_vec(crate::layout::numel(&[num, dim])?, T::ZERO)?;
    for (k, &i) in idx.iter().enumerate() {
        if factors[k] == 0.0 {
            continue;
        }
        let f = T::from_f64(factors[k]);
        let dst = &mut table[i as usize * dim..(i as usize + 1) * dim];
        for (d, &g) in dst.iter_mut().zip(&rows[k * dim..(k + 1) * dim]) {
            *d = *d + g * f;
        }
    }
    Ok(table)
}

/// Per-row factors as an (n, 1) column on `device`, to scale rows there.
fn factor_column(factors: Vec<f64>, dtype: DType, device: Device) -> Result<Tensor> {
    let n = factors.len();
    Tensor::from_vec(factors, &[n, 1])?.cast(dtype)?.to_device(device)
}

fn checked_indices(indices: &Tensor, num_weights: usize) -> Result<Vec<i64>> {
    if !matches!(indices.dtype(), DType::I64 | DType::I32) {
        return Err(Error::EmbeddingIndicesDType { dtype: indices.dtype() });
    }
    let idx = indices.cast(DType::I64)?.to_vec::<i64>()?;
    if idx.iter().any(|&i| i < 0 || i as usize >= num_weights) {
        return Err(Error::index("index out of range in self"));
    }
    Ok(idx)
}

impl Tensor {
    /// `weight[indices]` row by row (EmbeddingBackward0); `self` is the 2-D table.
    pub fn embedding(&self, indices: &Tensor, grad: EmbeddingGrad) -> Result<Tensor> {
        if self.ndim() != 2 {
            return Err(Error::runtime("'weight' must be 2-D"));
        }
        if let Some(device) = off_host_checked(&[Some(self), Some(indices)])?.filter(|_| !crate::backend::wgpu::computes(self.dtype())) {
            return fallback("embedding", device, [self, indices], |[w, i]| w.embedding(&i, grad));
        }
        self.lookup_rows(indices, grad, false)
    }

    /// Rows of `self` at `indices`; `adjoint` also zeroes rows read for
    /// padding_idx (PyTorch's double backward of `embedding_dense_backward`).
    fn lookup_rows(&self, indices: &Tensor, grad: EmbeddingGrad, adjoint: bool) -> Result<Tensor> {
        let (num, dim) = (self.shape()[0], self.shape()[1]);
        let idx = checked_indices(indices, num)?;
        // PyTorch's double backward zeroes padding rows but does not rescale by frequency.
        let unscaled = EmbeddingGrad { scale_grad_by_freq: false, ..grad };
        let factors = adjoint.then(|| unscaled.factors(&idx));
        let mut shape = indices.shape().to_vec();
        shape.push(dim);
        let out = match self.device() {
            Device::Cpu => crate::ops::opmath::unary(self, |weight| {
                let buffer = with_float_type!(weight.dtype(), "embedding", T => T::into_buffer(with_contiguous::<T, _>(weight, |w| gather_rows(w, dim, &idx, factors.as_deref()))??));
                Tensor::from_buffer(buffer, &shape)
            })?,
            // The device's gather reads the rows; the factors scale them there.
            device => {
                let _plain = no_grad();
                let rows = self.index_select(0, &Tensor::from_vec(idx, &[indices.numel()])?.to_device(device)?)?;
                let rows = match factors {
                    Some(f) => rows.mul(&factor_column(f, self.dtype(), device)?)?,
                    None => rows,
                };
                rows.reshape(&shape.iter().map(|&d| d as i64).collect::<Vec<_>>())?
            }
        };
        Ok(record(Op::Embedding { grad, adjoint }, &[self], out, |_, _| smallvec![Some(SavedTensor::input(indices))]))
    }

    /// The table-shaped gradient of an embedding lookup (EmbeddingDenseBackward0).
    pub fn embedding_dense_backward(&self, indices: &Tensor, grad: EmbeddingGrad) -> Result<Tensor> {
        if let Some(device) = off_host_checked(&[Some(self), Some(indices)])?.filter(|_| !crate::backend::wgpu::computes(self.dtype())) {
            return fallback("embedding_dense_backward", device, [self, indices], |[g, i]| g.embedding_dense_backward(&i, grad));
        }
        let idx = checked_indices(indices, grad.num_weights)?;
        let dim = self.shape().last().copied().unwrap_or(1);
        let factors = grad.factors(&idx);
        let out = match self.device() {
            Device::Cpu => crate::ops::opmath::unary(self, |g| {
                let buffer = with_float_type!(g.dtype(), "embedding_backward", T => T::into_buffer(with_contiguous::<T, _>(g, |g| scatter_rows(g, dim, &idx, grad.num_weights, &factors))??));
                Tensor::from_buffer(buffer, &[grad.num_weights, dim])
            })?,
            // Each scaled row added into its table row by the device's scatter_add.
            device => {
                let _plain = no_grad();
                let n = idx.len();
                let rows = self.reshape(&[n as i64, dim as i64])?.mul(&factor_column(factors, self.dtype(), device)?)?;
                let targets = Tensor::from_vec(idx, &[n, 1])?.to_device(device)?.expand(&[n, dim])?;
                Tensor::zeros_on(&[grad.num_weights, dim], self.dtype(), device)?.scatter_add(0, &targets, &rows)?
            }
        };
        Ok(record(Op::EmbeddingDenseBackward(grad), &[self], out, |_, _| smallvec![Some(SavedTensor::input(indices))]))
    }
}

pub(super) fn embedding_backward(ctx: &BackwardCtx, grad: EmbeddingGrad) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().embedding_dense_backward(ctx.saved(0)?, grad))?])
}

pub(super) fn embedding_dense_backward_backward(ctx: &BackwardCtx, grad: EmbeddingGrad) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().lookup_rows(ctx.saved(0)?, grad, true))?])
}
