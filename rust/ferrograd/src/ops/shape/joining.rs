//! Joining: cat and stack (one node over all inputs, each input's gradient a
//! slice of the output's), and the hstack/vstack/dstack/column_stack family
//! built on them after PyTorch's atleast_nd promotions.

use crate::device::Device;
use crate::kernels::named::Overwrite;
use crate::ops::host::{fallback_all, off_host_checked};
use super::slicing::slice_layout;
use crate::dtype::{result_type, DType, PromotionInput};
use crate::error::{Error, Result, ShapeList};
use crate::kernels::elementwise::zip_assign;
use crate::layout::{normalize_dim, Shape};
use crate::ops::{record_plain, BackwardCtx, Grads, Op};
use crate::tensor::Tensor;
use crate::with_any_type;

/// PyTorch still accepts 1-d empty tensors in `cat` whatever the other shapes: they are skipped.
fn is_legacy_empty(shape: &[usize]) -> bool {
    shape.len() == 1 && shape[0] == 0
}

fn promoted_dtype(tensors: &[Tensor]) -> DType {
    let inputs: Vec<PromotionInput> = tensors.iter().map(|t| PromotionInput::Dimensioned(t.dtype())).collect();
    result_type(&inputs)
}

/// Writes `parts` one after another along `dim` into a new tensor of `shape`.
/// Shapes were checked by the caller; each part is cast to `dtype`.
/// On a device the parts are copied there by its kernel, each into its slice.
pub(super) fn concat_parts(parts: &[&Tensor], dim: usize, shape: &[usize], dtype: DType) -> Result<Tensor> {
    let device = parts.first().map_or(Device::Cpu, |p| p.device());
    let out = Tensor::zeros_on(shape, dtype, device)?;
    let mut start = 0;
    for part in parts {
        let len = part.shape()[dim];
        let target = out.view_with_layout(slice_layout(&out.layout(), dim, start, start + len, 1)?)?;
        let src = part.cast(dtype)?;
        match device {
            Device::Cpu => with_any_type!(dtype, T => zip_assign::<T>(&target.snapshot(), &src.snapshot(), |_, v| v)?),
            _ => target.snapshot().binary_assign(&Overwrite, &src.snapshot())?,
        }
        start += len;
    }
    Ok(out)
}

/// Whether cat or stack of `tensors` into `dtype` must run on the host:
/// some are off the host (on one device) and the device copies only the
/// float dtypes it computes in, without conversion.
fn joined_on_host(tensors: &[Tensor], dtype: DType) -> Result<Option<Device>> {
    let device = off_host_checked(&tensors.iter().map(Some).collect::<Vec<_>>())?;
    Ok(device.filter(|_| !crate::backend::wgpu::computes(dtype) || tensors.iter().any(|t| t.dtype() != dtype)))
}

impl Tensor {
    /// `torch.cat(tensors, dim)` (CatBackward0), with PyTorch's type promotion.
    pub fn cat(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
        if let Some(device) = joined_on_host(tensors, promoted_dtype(tensors))? {
            return fallback_all("cat", device, &tensors.iter().collect::<Vec<_>>(), |host| Tensor::cat(&host, dim));
        }
        if tensors.is_empty() {
            return Err(Error::value("torch.cat(): expected a non-empty list of Tensors"));
        }
        if let Some(i) = tensors.iter().position(|t| t.ndim() == 0) {
            return Err(Error::ConcatZeroDim { index: i });
        }
        let dtype = promoted_dtype(tensors);
        let inputs: Vec<&Tensor> = tensors.iter().collect();
        let parts: Vec<&Tensor> = tensors.iter().filter(|t| !is_legacy_empty(&t.shape())).collect();
        let Some(reference) = parts.first() else {
            return Ok(record_plain(Op::Cat { dim: 0 }, &inputs, Tensor::zeros(&[0], dtype)?));
        };
        let d = normalize_dim(dim, reference.ndim())?;
        let mut shape = Shape::from_slice(&reference.shape());
        shape[d] = 0;
        for (i, t) in tensors.iter().enumerate().filter(|(_, t)| !is_legacy_empty(&t.shape())) {
            check_cat_shape(&reference.shape(), &t.shape(), d, i)?;
            shape[d] += t.shape()[d];
        }
        let out = concat_parts(&parts, d, &shape, dtype)?;
        Ok(record_plain(Op::Cat { dim: d }, &inputs, out))
    }

    /// `torch.stack(tensors, dim)`: equal shapes joined along a new dim (StackBackward0).
    pub fn stack(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
        if let Some(device) = joined_on_host(tensors, promoted_dtype(tensors))? {
            return fallback_all("stack", device, &tensors.iter().collect::<Vec<_>>(), |host| Tensor::stack(&host, dim));
        }
        let Some(first) = tensors.first() else {
            return Err(Error::runtime("stack expects a non-empty TensorList"));
        };
        if let Some((i, t)) = tensors.iter().enumerate().find(|(_, t)| t.shape() != first.shape()) {
            return Err(Error::StackShapeMismatch { first: ShapeList(first.shape().to_vec()), other: ShapeList(t.shape().to_vec()), index: i });
        }
        let d = normalize_dim(dim, first.ndim() + 1)?;
        let lifted: Vec<Tensor> = tensors.iter().map(|t| t.view_with_layout(t.layout().unsqueeze(d))).collect::<Result<_>>()?;
        let mut shape = Shape::from_slice(&first.shape());
        shape.insert(d, tensors.len());
        let out = concat_parts(&lifted.iter().collect::<Vec<_>>(), d, &shape, promoted_dtype(tensors))?;
        let inputs: Vec<&Tensor> = tensors.iter().collect();
        Ok(record_plain(Op::Stack { dim: d }, &inputs, out))
    }

    /// `torch.hstack`: along dim 1, or dim 0 for 1-d inputs (0-d become 1-d).
    pub fn hstack(tensors: &[Tensor]) -> Result<Tensor> {
        let lifted = lift_all(tensors, "hstack", Tensor::atleast_1d)?;
        let dim = if lifted[0].ndim() == 1 { 0 } else { 1 };
        Tensor::cat(&lifted, dim)
    }

    /// `torch.vstack` (`row_stack`): at least 2-d, then along dim 0.
    pub fn vstack(tensors: &[Tensor]) -> Result<Tensor> {
        Tensor::cat(&lift_all(tensors, "vstack", Tensor::atleast_2d)?, 0)
    }

    /// `torch.dstack`: at least 3-d, then along dim 2.
    pub fn dstack(tensors: &[Tensor]) -> Result<Tensor> {
        Tensor::cat(&lift_all(tensors, "dstack", Tensor::atleast_3d)?, 2)
    }

    /// `torch.column_stack`: 0-d and 1-d inputs become columns, then along dim 1.
    pub fn column_stack(tensors: &[Tensor]) -> Result<Tensor> {
        let as_column = |t: &Tensor| if t.ndim() <= 1 { t.reshape(&[t.numel() as i64, 1]) } else { Ok(t.clone()) };
        Tensor::cat(&lift_all(tensors, "column_stack", as_column)?, 1)
    }

    /// `self` when it has a dim, else a 1-element 1-d view.
    pub fn atleast_1d(&self) -> Result<Tensor> {
        match self.ndim() {
            0 => self.reshape(&[1]),
            _ => Ok(self.clone()),
        }
    }

    /// `self` when at least 2-d; 0-d become (1, 1), 1-d become a row.
    pub fn atleast_2d(&self) -> Result<Tensor> {
        match self.ndim() {
            0 => self.reshape(&[1, 1]),
            1 => self.unsqueeze(0),
            _ => Ok(self.clone()),
        }
    }

    /// `self` when at least 3-d; (n,) becomes (1, n, 1) and (m, n) becomes (m, n, 1).
    pub fn atleast_3d(&self) -> Result<Tensor> {
        match self.ndim() {
            0 => self.reshape(&[1, 1, 1]),
            1 => self.unsqueeze(0)?.unsqueeze(-1),
            2 => self.unsqueeze(-1),
            _ => Ok(self.clone()),
        }
    }
}

fn lift_all(tensors: &[Tensor], name: &'static str, lift: impl Fn(&Tensor) -> Result<Tensor>) -> Result<Vec<Tensor>> {
    if tensors.is_empty() {
        return Err(Error::EmptyTensorList { op: name });
    }
    tensors.iter().map(lift).collect()
}

fn check_cat_shape(reference: &[usize], shape: &[usize], dim: usize, index: usize) -> Result<()> {
    if shape.len() != reference.len() {
        return Err(Error::ConcatNdimMismatch { expected: reference.len(), got: shape.len() });
    }
    match (0..shape.len()).find(|&k| k != dim && shape[k] != reference[k]) {
        Some(k) => Err(Error::ConcatSizeMismatch { dim, expected: reference[k], got: shape[k], index }),
        None => Ok(()),
    }
}

/// Each input gets its own slice of the gradient; skipped empty inputs get an empty one.
pub(in crate::ops) fn cat_backward(ctx: &BackwardCtx, dim: usize) -> Result<Grads> {
    let g = ctx.grad();
    let mut start = 0i64;
    let mut grads = Grads::new();
    for (i, meta) in ctx.inputs.iter().enumerate() {
        if is_legacy_empty(&meta.shape) {
            grads.push(ctx.grad_for(i, || Tensor::zeros_on(&meta.shape, g.dtype(), g.device()))?);
            continue;
        }
        let len = meta.shape[dim] as i64;
        grads.push(ctx.grad_for(i, || g.narrow(dim as i64, start, len))?);
        start += len;
    }
    Ok(grads)
}

/// Input `i` gets index `i` of the stacked dim.
pub(in crate::ops) fn stack_backward(ctx: &BackwardCtx, dim: usize) -> Result<Grads> {
    if !(0..ctx.inputs.len()).any(|i| ctx.needs(i)) {
        return Ok(Grads::new());
    }
    let pieces = ctx.grad().unbind(dim as i64)?;
    Ok(pieces.into_iter().enumerate().map(|(i, p)| ctx.needs(i).then_some(p)).collect())
}
