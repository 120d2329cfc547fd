//! Views that pick part of a tensor: slice/narrow, diagonal, and the
//! multi-output unbind/split/chunk. Each backward embeds the gradient into
//! zeros of the input's shape through the same view, so the adjoint of a view
//! is written once per layout function.

use crate::autograd::graph::{create_node, InputMeta};
use crate::error::{Error, Result};
use crate::kernels::elementwise::zip_assign;
use crate::layout::{normalize_dim, Layout, Shape};
use crate::ops::{record_plain, should_record, BackwardCtx, Grads, Op};
use crate::tensor::Tensor;
use crate::with_any_type;
use smallvec::{smallvec, SmallVec};

// ---- layouts ----------------------------------------------------------------

/// Index `index` of dim `dim`, that dim removed.
pub(crate) fn select_layout(l: &Layout, dim: usize, index: usize) -> Result<Layout> {
    let offset = (l.offset() as isize + index as isize * l.strides()[dim]) as usize;
    let shape = l.shape().iter().enumerate().filter(|&(k, _)| k != dim).map(|(_, &s)| s).collect();
    let strides = l.strides().iter().enumerate().filter(|&(k, _)| k != dim).map(|(_, &s)| s).collect();
    Layout::new(shape, strides, offset)
}

/// Elements `start, start+step, ...` below `end` of dim `dim` (`start <= end <= size`, `step >= 1`).
pub(crate) fn slice_layout(l: &Layout, dim: usize, start: usize, end: usize, step: usize) -> Result<Layout> {
    let len = (end - start).div_ceil(step);
    let mut shape = Shape::from_slice(l.shape());
    let mut strides = SmallVec::from_slice(l.strides());
    shape[dim] = len;
    let offset = if len == 0 { l.offset() } else { (l.offset() as isize + start as isize * strides[dim]) as usize };
    // A dim of one element may keep any stride; saturating keeps a huge one harmless.
    strides[dim] = if len <= 1 { strides[dim] } else { strides[dim] * step as isize };
    Layout::new(shape, strides, offset)
}

/// The diagonal of dims `dim1`/`dim2` shifted by `offset`, as a new last dim.
pub(crate) fn diagonal_layout(l: &Layout, offset: i64, dim1: usize, dim2: usize) -> Result<Layout> {
    let (s1, s2) = (l.shape()[dim1] as i64, l.shape()[dim2] as i64);
    let (st1, st2) = (l.strides()[dim1], l.strides()[dim2]);
    let len = if offset >= 0 { s1.min(s2.saturating_sub(offset)) } else { s1.saturating_add(offset).min(s2) }.max(0);
    let start = match (len, offset >= 0) {
        (0, _) => 0,
        (_, true) => offset as isize * st2,
        (_, false) => -offset as isize * st1,
    };
    let kept = |k: &usize| *k != dim1 && *k != dim2;
    let mut shape: Shape = (0..l.ndim()).filter(kept).map(|k| l.shape()[k]).collect();
    let mut strides: SmallVec<[isize; 4]> = (0..l.ndim()).filter(kept).map(|k| l.strides()[k]).collect();
    shape.push(len as usize);
    strides.push(st1.saturating_add(st2));
    Layout::new(shape, strides, (l.offset() as isize + start) as usize)
}

/// The size of dim `dim` of `shape`, for the `*_embed` ops, whose dims come
/// already normalised (from a backward) but may be anything when called
/// directly.
pub(crate) fn embed_dim(shape: &[usize], dim: usize) -> Result<usize> {
    shape.get(dim).copied().ok_or_else(|| {
        let n = shape.len().max(1) as i64;
        Error::DimOutOfRange { dim: i64::try_from(dim).unwrap_or(i64::MAX), min: -n, max: n - 1 }
    })
}

/// Zeros of `shape` with `values` written through the view `view_of` makes of
/// them: the adjoint of taking that view.
pub(crate) fn embed(values: &Tensor, shape: &[usize], view_of: impl FnOnce(&Layout) -> Result<Layout>) -> Result<Tensor> {
    let out = Tensor::zeros_on(shape, values.dtype(), values.device())?;
    let target = out.view_with_layout(view_of(&out.layout())?)?;
    with_any_type!(values.dtype(), T => zip_assign::<T>(&target.snapshot(), &values.snapshot(), |_, v| v)?);
    Ok(out)
}

/// Clamps `start`/`end` into `0..=size` the way Python slices do (negative from the end).
fn clamp_bounds(start: Option<i64>, end: Option<i64>, size: usize) -> (usize, usize) {
    let size = size as i64;
    let wrap = |v: i64| if v < 0 { (v + size).max(0) } else { v.min(size) };
    let start = start.map_or(0, wrap);
    let end = end.map_or(size, wrap).max(start);
    (start as usize, end as usize)
}

// ---- ops ----------------------------------------------------------------------

impl Tensor {
    /// `aten::slice`: every `step`-th element of `dim` in `start..end`, clamped (SliceBackward0).
    pub fn slice(&self, dim: i64, start: Option<i64>, end: Option<i64>, step: i64) -> Result<Tensor> {
        if self.ndim() == 0 {
            return Err(Error::index("slice() cannot be applied to a 0-dim tensor."));
        }
        if step <= 0 {
            return Err(Error::runtime("slice step must be positive"));
        }
        let d = normalize_dim(dim, self.ndim())?;
        let (start, end) = clamp_bounds(start, end, self.shape()[d]);
        self.slice_unchecked(d, start, end, step as usize)
    }

    fn slice_unchecked(&self, dim: usize, start: usize, end: usize, step: usize) -> Result<Tensor> {
        let view = self.view_of(slice_layout(&self.layout(), dim, start, end, step)?)?;
        Ok(record_plain(Op::Slice { dim, start, end, step }, &[self], view))
    }

    /// `narrow(dim, start, length)`: `length` elements of `dim` from `start` (a slice).
    pub fn narrow(&self, dim: i64, start: i64, length: i64) -> Result<Tensor> {
        if self.ndim() == 0 {
            return Err(Error::runtime("narrow() cannot be applied to a 0-dim tensor."));
        }
        if length < 0 {
            return Err(Error::runtime("narrow(): length must be non-negative."));
        }
        let d = normalize_dim(dim, self.ndim())?;
        let size = self.shape()[d] as i64;
        if start < -size || start > size {
            return Err(Error::index(format!("start out of range (expected to be in range of [{}, {size}], but got {start})", -size)));
        }
        let start = if start < 0 { start + size } else { start };
        if start.saturating_add(length) > size {
            return Err(Error::NarrowOutOfRange { start, length, size });
        }
        self.slice_unchecked(d, start as usize, (start + length) as usize, 1)
    }

    /// Zeros of `shape` with `self` written into the slice: the adjoint of `slice`.
    pub fn slice_embed(&self, shape: &[usize], dim: usize, start: usize, end: usize, step: usize) -> Result<Tensor> {
        let size = embed_dim(shape, dim)?;
        if step == 0 {
            return Err(Error::runtime("slice step must be positive"));
        }
        if start > end || end > size {
            return Err(Error::index(format!("slice_embed(): slice {start}:{end} out of range for tensor of size {} at dimension {dim}", crate::error::ShapeList(shape.to_vec()))));
        }
        let out = embed(self, shape, |l| slice_layout(l, dim, start, end, step))?;
        Ok(record_plain(Op::SliceEmbed { dim, start, end, step }, &[self], out))
    }

    /// `diagonal(offset, dim1, dim2)`: a view with the diagonal as the last dim.
    pub fn diagonal(&self, offset: i64, dim1: i64, dim2: i64) -> Result<Tensor> {
        let (d1, d2) = (normalize_dim(dim1, self.ndim())?, normalize_dim(dim2, self.ndim())?);
        if d1 == d2 {
            return Err(Error::DiagonalSameDims { dim1, dim2 });
        }
        let view = self.view_of(diagonal_layout(&self.layout(), offset, d1, d2)?)?;
        Ok(record_plain(Op::Diagonal { offset, dim1: d1, dim2: d2 }, &[self], view))
    }

    /// Zeros of `shape` with `self` on the diagonal: the adjoint of `diagonal`.
    pub fn diagonal_embed_into(&self, shape: &[usize], offset: i64, dim1: usize, dim2: usize) -> Result<Tensor> {
        embed_dim(shape, dim1)?;
        embed_dim(shape, dim2)?;
        if dim1 == dim2 {
            return Err(Error::DiagonalSameDims { dim1: dim1 as i64, dim2: dim2 as i64 });
        }
        let out = embed(self, shape, |l| diagonal_layout(l, offset, dim1, dim2))?;
        Ok(record_plain(Op::DiagonalEmbed { offset, dim1, dim2 }, &[self], out))
    }

    /// `unbind(dim)`: every index of `dim` as its own view, all outputs of one node.
    pub fn unbind(&self, dim: i64) -> Result<Vec<Tensor>> {
        if self.ndim() == 0 {
            return Err(Error::index(format!("Dimension specified as {dim} but tensor has no dimensions")));
        }
        let d = normalize_dim(dim, self.ndim())?;
        let outs = (0..self.shape()[d]).map(|i| self.multi_view_of(select_layout(&self.layout(), d, i)?, i, "Unbind")).collect::<Result<_>>()?;
        Ok(record_multi(Op::Unbind { dim: d }, self, outs))
    }

    /// `split(split_size, dim)`: pieces of `split_size` along `dim`, the last one shorter.
    pub fn split(&self, split_size: i64, dim: i64) -> Result<Vec<Tensor>> {
        if self.ndim() == 0 {
            return Err(Error::runtime("split expects at least a 1-dimensional tensor"));
        }
        if split_size < 0 {
            return Err(Error::runtime(format!("split expects split_size be non-negative, but got split_size={split_size}")));
        }
        let d = normalize_dim(dim, self.ndim())?;
        let size = self.shape()[d];
        if split_size == 0 && size != 0 {
            return Err(Error::SplitSizeZero { size });
        }
        let step = split_size as usize;
        let pieces = if step == 0 { 1 } else { size.div_ceil(step).max(1) };
        let sizes: Shape = (0..pieces).map(|i| step.min(size.saturating_sub(i * step))).collect();
        self.split_views(d, sizes, false)
    }

    /// `split(sizes, dim)` with explicit sizes that must sum to the dim's size.
    pub fn split_with_sizes(&self, sizes: &[i64], dim: i64) -> Result<Vec<Tensor>> {
        if self.ndim() == 0 {
            return Err(Error::runtime("split expects at least a 1-dimensional tensor"));
        }
        let d = normalize_dim(dim, self.ndim())?;
        let size = self.shape()[d];
        if sizes.iter().any(|&s| s < 0) {
            return Err(Error::NegativeSplitSizes { sizes: crate::error::IntList(sizes.to_vec()) });
        }
        if sizes.iter().sum::<i64>() != size as i64 {
            return Err(Error::SplitSizesSum { size, dim: d, sizes: crate::error::IntList(sizes.to_vec()) });
        }
        self.split_views(d, sizes.iter().map(|&s| s as usize).collect(), true)
    }

    /// `chunk(chunks, dim)`: at most `chunks` equal pieces (the last may be smaller).
    pub fn chunk(&self, chunks: i64, dim: i64) -> Result<Vec<Tensor>> {
        if self.ndim() == 0 {
            return Err(Error::runtime("chunk expects at least a 1-dimensional tensor"));
        }
        if chunks <= 0 {
            return Err(Error::runtime(format!("chunk expects `chunks` to be greater than 0, got: {chunks}")));
        }
        let d = normalize_dim(dim, self.ndim())?;
        let size = self.shape()[d];
        if size == 0 {
            // PyTorch returns `chunks` empty pieces here, through split_with_sizes.
            return self.split_with_sizes(&vec![0; chunks as usize], dim);
        }
        self.split(size.div_ceil(chunks as usize) as i64, dim)
    }

    fn split_views(&self, dim: usize, sizes: Shape, with_sizes: bool) -> Result<Vec<Tensor>> {
        let mut start = 0;
        let outs = sizes
            .iter()
            .enumerate()
            .map(|(i, &len)| {
                let view = self.multi_view_of(slice_layout(&self.layout(), dim, start, start + len, 1)?, i, "Split");
                start += len;
                view
            })
            .collect::<Result<_>>()?;
        Ok(record_multi(Op::Split { dim, sizes, with_sizes }, self, outs))
    }
}

/// Makes every tensor of `outs` an output of one `op` node over `input`.
fn record_multi(op: Op, input: &Tensor, outs: Vec<Tensor>) -> Vec<Tensor> {
    if !should_record(&[input]) {
        return outs;
    }
    let meta = smallvec![InputMeta { shape: input.shape().into(), dtype: input.dtype(), device: input.device() }];
    let node = create_node(op, smallvec![input.gradient_edge()], meta, SmallVec::new(), outs.len() as u32);
    for (i, out) in outs.iter().enumerate() {
        out.set_history(node.clone(), i as u32);
    }
    outs
}

impl Op {
    /// The zero gradient for an unused output of a multi-output node, or
    /// `None` for ops whose outputs all always get a gradient.
    pub(crate) fn zero_output_grad(&self, output: usize, inputs: &[InputMeta]) -> Option<Tensor> {
        let input = inputs.first()?;
        let mut shape = input.shape.clone();
        match self {
            Op::Unbind { dim } => {
                shape.remove(*dim);
            }
            Op::Split { dim, sizes, .. } => shape[*dim] = *sizes.get(output)?,
            _ => return None,
        }
        Tensor::zeros_on(&shape, input.dtype, input.device).ok()
    }
}

// ---- derivatives ----------------------------------------------------------------

pub(in crate::ops) fn slice_backward(ctx: &BackwardCtx, dim: usize, start: usize, end: usize, step: usize) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().slice_embed(&ctx.inputs[0].shape, dim, start, end, step))?])
}

pub(in crate::ops) fn slice_embed_backward(ctx: &BackwardCtx, dim: usize, start: usize, end: usize, step: usize) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().slice_unchecked(dim, start, end, step))?])
}

pub(in crate::ops) fn diagonal_backward(ctx: &BackwardCtx, offset: i64, dim1: usize, dim2: usize) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().diagonal_embed_into(&ctx.inputs[0].shape, offset, dim1, dim2))?])
}

pub(in crate::ops) fn diagonal_embed_backward(ctx: &BackwardCtx, offset: i64, dim1: usize, dim2: usize) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().diagonal(offset, dim1 as i64, dim2 as i64))?])
}

/// The outputs' gradients stacked back along the unbound dim.
pub(in crate::ops) fn unbind_backward(ctx: &BackwardCtx, dim: usize) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || Tensor::stack(ctx.grads, dim as i64))?])
}

/// The pieces' gradients joined back along the split dim.
pub(in crate::ops) fn split_backward(ctx: &BackwardCtx, dim: usize) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || Tensor::cat(ctx.grads, dim as i64))?])
}

#[cfg(test)]
mod tests {
    use crate::{DType, Tensor};

    #[test]
    fn unused_outputs_of_a_multi_output_node_get_zero_gradient() {
        let x = Tensor::from_vec((0..6).map(|v| v as f64).collect(), &[3, 2]).unwrap().with_requires_grad(true).unwrap();
        let parts = x.unbind(0).unwrap();
        assert_eq!(parts.iter().map(|p| p.output_nr()).collect::<Vec<_>>(), vec![0, 1, 2]);
        parts[1].sum().unwrap().backward(None, None, false).unwrap();
        assert_eq!(x.grad().unwrap().to_vec::<f64>().unwrap(), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn slices_share_storage_and_embed_back() {
        let x = Tensor::zeros(&[4, 3], DType::F32).unwrap();
        let s = x.slice(0, Some(1), None, 2).unwrap();
        assert_eq!(s.shape(), &[2, 3]);
        assert_eq!(s.layout().strides(), &[6, 1]);
        assert_eq!(s.layout().offset(), 3);
        let back = Tensor::ones(&[2, 3], DType::F32).unwrap().slice_embed(&[4, 3], 0, 1, 4, 2).unwrap();
        assert_eq!(back.to_vec::<f32>().unwrap(), vec![0., 0., 0., 1., 1., 1., 0., 0., 0., 1., 1., 1.]);
    }
}
