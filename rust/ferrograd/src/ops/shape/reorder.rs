//! Ops that copy elements into a new order: flip, roll, repeat/tile,
//! repeat_interleave, tril/triu. (PyTorch copies for these too: a layout
//! cannot express them, and layouts never hold negative strides.)

use crate::ops::host::host_only;
use super::joining::concat_parts;
use crate::autograd::mode::no_grad;
use crate::error::{Error, IntList, Result};
use crate::kernels::gather::{gather, zero_triangle};
use crate::device::Device;
use crate::layout::{normalize_dim, Layout, Shape};
use crate::strided::Strided;
use crate::ops::reduce::normalize_dims;
use crate::ops::{record_plain, BackwardCtx, Grads, Op};
use crate::storage::Element;
use crate::tensor::Tensor;
use crate::with_any_type;
use smallvec::{smallvec, SmallVec};

impl Tensor {
    /// Reverses the order of elements along `dims` (FlipBackward0).
    pub fn flip(&self, dims: &[i64]) -> Result<Tensor> {
        if !self.copies_on_device() {
            host_only!("flip", [self] => |[x]| x.flip(dims));
        }
        let dims = normalize_dims(dims, self.ndim())?;
        let l = self.layout();
        let mut strides: SmallVec<[isize; 4]> = SmallVec::from_slice(l.strides());
        let mut offset = l.offset() as isize;
        for &d in dims.iter().filter(|&&d| d < self.ndim()) {
            // Start at the last element of each flipped dim and walk backwards.
            offset += (l.shape()[d].max(1) as isize - 1) * strides[d];
            strides[d] = -strides[d];
        }
        let out = self.gathered(l.shape(), &strides, offset as usize)?;
        Ok(record_plain(Op::Flip(dims), &[self], out))
    }

    /// Whether this op's copy runs on the tensor's device: a device tensor
    /// of a dtype its kernels compute in, which the copy kernel reads
    /// through any strides.
    fn copies_on_device(&self) -> bool {
        self.device() != Device::Cpu && crate::backend::wgpu::computes(self.dtype())
    }

    /// A new contiguous tensor of `shape` read from this one's storage with any strides.
    fn gathered(&self, shape: &[usize], strides: &[isize], offset: usize) -> Result<Tensor> {
        if self.device() != Device::Cpu {
            // The device's copy kernel walks the strides itself, negative ones too.
            let data = self.snapshot();
            let view = Strided::new(data.storage().clone(), Layout::new(shape.into(), strides.into(), offset)?, data.dtype())?;
            drop(data);
            return Tensor::from_storage(view.copy_strided(view.dtype())?, shape);
        }
        let buffer = with_any_type!(self.dtype(), T => T::into_buffer(gather::<T>(&self.snapshot(), shape, strides, offset)?));
        Tensor::from_buffer(buffer, shape)
    }

    /// Rotates elements along `dims` by `shifts`; with no dims, as if flattened (RollBackward0).
    pub fn roll(&self, shifts: &[i64], dims: &[i64]) -> Result<Tensor> {
        if !self.copies_on_device() {
            host_only!("roll", [self] => |[x]| x.roll(shifts, dims));
        }
        if shifts.is_empty() {
            return Err(Error::runtime("`shifts` required"));
        }
        if !(dims.is_empty() && shifts.len() == 1) && shifts.len() != dims.len() {
            return Err(Error::CountMismatch { expected: "shifts and dimensions must align. shifts: ", lhs: shifts.len(), sep: ", dims:", rhs: dims.len(), tail: "" });
        }
        let dims: Shape = dims.iter().map(|&d| normalize_dim(d, self.ndim())).collect::<Result<_>>()?;
        let out = {
            let _plain = no_grad();
            if dims.is_empty() || self.ndim() == 0 {
                let flat = self.reshape(&[self.numel() as i64])?.roll_copy(shifts[0], 0)?;
                flat.view(&self.shape().iter().map(|&s| s as i64).collect::<Vec<_>>())?
            } else {
                let mut cur = self.roll_copy(shifts[0], dims[0])?;
                for (&s, &d) in shifts.iter().zip(&dims).skip(1) {
                    cur = cur.roll_copy(s, d)?;
                }
                cur
            }
        };
        Ok(record_plain(Op::Roll { shifts: SmallVec::from_slice(shifts), dims }, &[self], out))
    }

    /// A new tensor with dim `dim` rotated by `shift`: the last `shift` elements move to the front.
    fn roll_copy(&self, shift: i64, dim: usize) -> Result<Tensor> {
        let size = self.shape().get(dim).copied().unwrap_or(1);
        let shift = if size == 0 { 0 } else { shift.rem_euclid(size as i64) as usize };
        let tail = self.slice_layout_view(dim, size - shift, size)?;
        let head = self.slice_layout_view(dim, 0, size - shift)?;
        concat_parts(&[&tail, &head], dim, &self.shape(), self.dtype())
    }

    fn slice_layout_view(&self, dim: usize, start: usize, end: usize) -> Result<Tensor> {
        self.view_with_layout(super::slicing::slice_layout(&self.layout(), dim, start, end, 1)?)
    }

    /// Tiles the tensor `repeats[i]` times along each dim; extra leading repeats add dims (RepeatBackward0).
    pub fn repeat(&self, repeats: &[i64]) -> Result<Tensor> {
        if !self.copies_on_device() {
            host_only!("repeat", [self] => |[x]| x.repeat(repeats));
        }
        let nd = self.ndim();
        if repeats.len() < nd {
            return Err(Error::runtime("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"));
        }
        let lead = repeats.len() - nd;
        let l = self.layout();
        let size = |i: usize| if i < lead { 1 } else { l.shape()[i - lead] };
        let stride = |i: usize| if i < lead { 0 } else { l.strides()[i - lead] };
        let target: Vec<i64> = repeats.iter().enumerate().map(|(i, &r)| r.saturating_mul(size(i) as i64)).collect();
        if let Some(&bad) = target.iter().find(|&&t| t < 0) {
            return Err(Error::NegativeDimension { dim: bad, sizes: IntList(target) });
        }
        // Read through a layout of (repeat, size) pairs with stride 0 on each repeat.
        let counts: Shape = repeats.iter().map(|&r| r.max(0) as usize).collect();
        let pairs: Shape = (0..repeats.len()).flat_map(|i| [counts[i], size(i)]).collect();
        let strides: SmallVec<[isize; 8]> = (0..repeats.len()).flat_map(|i| [0, stride(i)]).collect();
        let out = self.gathered(&pairs, &strides, l.offset())?;
        let shape: Shape = target.iter().map(|&t| t as usize).collect();
        let out = out.view_with_layout(crate::layout::Layout::contiguous(&shape)?)?;
        Ok(record_plain(Op::Repeat(counts), &[self], out))
    }

    /// `tile(dims)`: `repeat` with missing leading repeats taken as 1.
    pub fn tile(&self, dims: &[i64]) -> Result<Tensor> {
        let missing = self.ndim().saturating_sub(dims.len());
        let repeats: Vec<i64> = std::iter::repeat_n(1, missing).chain(dims.iter().copied()).collect();
        self.repeat(&repeats)
    }

    /// Each element repeated `repeats` times along `dim` (over the flattened tensor when `dim` is None).
    /// Built as PyTorch builds it: unsqueeze, expand, clone, flatten.
    pub fn repeat_interleave(&self, repeats: i64, dim: Option<i64>) -> Result<Tensor> {
        if repeats < 0 {
            return Err(Error::runtime("Repeats must be non-negative"));
        }
        let (x, d) = match dim {
            None => (self.flatten(0, -1)?, 0),
            Some(d) => (self.clone(), normalize_dim(d, self.ndim())?),
        };
        let mut sizes: Vec<i64> = x.shape().iter().map(|&s| s as i64).collect();
        sizes.insert((d + 1).min(sizes.len()), repeats);
        let expanded = x.unsqueeze(d as i64 + 1)?.expand_sizes(&sizes)?;
        expanded.clone_tensor()?.flatten(d as i64, d as i64 + 1)
    }

    pub fn tril(&self, diagonal: i64) -> Result<Tensor> {
        if !self.copies_on_device() {
            host_only!("tril", [self] => |[x]| x.tril(diagonal));
        }
        let out = self.triangle(diagonal, true, "tril")?;
        Ok(record_plain(Op::Tril(diagonal), &[self], out))
    }

    pub fn triu(&self, diagonal: i64) -> Result<Tensor> {
        if !self.copies_on_device() {
            host_only!("triu", [self] => |[x]| x.triu(diagonal));
        }
        let out = self.triangle(diagonal, false, "triu")?;
        Ok(record_plain(Op::Triu(diagonal), &[self], out))
    }

    /// A copy with the elements outside the kept triangle of the last two dims zeroed.
    fn triangle(&self, k: i64, keep_lower: bool, name: &'static str) -> Result<Tensor> {
        let nd = self.ndim();
        if nd < 2 {
            return Err(Error::TooFewDims { op: name, min: 2 });
        }
        let (rows, cols) = (self.shape()[nd - 2], self.shape()[nd - 1]);
        if self.device() != Device::Cpu {
            // On a device: a selection by the triangle's mask, made on the host.
            let mut keep = crate::storage::filled_vec(rows.checked_mul(cols).ok_or_else(|| Error::runtime(format!("{name}: {rows}x{cols} overflows")))?, true)?;
            zero_triangle(&mut keep, rows, cols, k, keep_lower);
            let mask = Tensor::from_vec(keep, &[rows, cols])?.to_device(self.device())?;
            let zero = Tensor::scalar_tensor(crate::dtype::Scalar::Float(0.0), self.dtype());
            let shape = self.shape();
            return Tensor::from_storage(mask.snapshot().select(&self.snapshot(), &zero.snapshot(), &shape)?, &shape);
        }
        let buffer = with_any_type!(self.dtype(), T => {
            let mut values = self.to_vec::<T>()?;
            zero_triangle(&mut values, rows, cols, k, keep_lower);
            T::into_buffer(values)
        });
        Tensor::from_buffer(buffer, &self.shape())
    }
}

// ---- derivatives ------------------------------------------------------------------

pub(in crate::ops) fn flip_backward(ctx: &BackwardCtx, dims: &[usize]) -> Result<Grads> {
    let dims: Vec<i64> = dims.iter().map(|&d| d as i64).collect();
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().flip(&dims))?])
}

pub(in crate::ops) fn roll_backward(ctx: &BackwardCtx, shifts: &[i64], dims: &[usize]) -> Result<Grads> {
    let back: Vec<i64> = shifts.iter().map(|&s| s.wrapping_neg()).collect();
    let dims: Vec<i64> = dims.iter().map(|&d| d as i64).collect();
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().roll(&back, &dims))?])
}

/// View the gradient as (repeat, size) pairs and sum over the repeats.
pub(in crate::ops) fn repeat_backward(ctx: &BackwardCtx, repeats: &[usize]) -> Result<Grads> {
    let input = &ctx.inputs[0].shape;
    ctx.grad_for(0, || {
        let lead = repeats.len() - input.len();
        let size = |i: usize| if i < lead { 1 } else { input[i - lead] };
        let pairs: Vec<i64> = (0..repeats.len()).flat_map(|i| [repeats[i] as i64, size(i) as i64]).collect();
        let repeat_dims: Vec<i64> = (0..repeats.len()).map(|i| 2 * i as i64).collect();
        let mut g = ctx.grad().reshape(&pairs)?;
        if !repeat_dims.is_empty() {
            g = g.sum_dims(&repeat_dims, false)?;
        }
        g.reshape(&input.iter().map(|&s| s as i64).collect::<Vec<_>>())
    })
    .map(|g| smallvec![g])
}

pub(in crate::ops) fn tril_backward(ctx: &BackwardCtx, k: i64) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().tril(k))?])
}

pub(in crate::ops) fn triu_backward(ctx: &BackwardCtx, k: i64) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().triu(k))?])
}
