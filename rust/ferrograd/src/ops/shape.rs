//! Views and shape changes. Views share storage and only build a new layout;
//! their backward maps the gradient back through the inverse shape change.
//! Submodules hold the rest of the family: slicing views, copies that reorder
//! elements, and joining.

pub mod joining;
pub mod reorder;
pub mod slicing;

use super::{record_plain, BackwardCtx, Grads, Op};
use crate::error::{Error, IntList, Result, ShapeList};
use crate::layout::{contiguous_strides, normalize_dim, Layout, Shape, Strides};
use crate::tensor::Tensor;
use smallvec::{smallvec, SmallVec};

/// `[3, 4, -1]`, as PyTorch prints requested sizes.
pub(crate) fn int_list(values: &[i64]) -> String {
    format!("[{}]", values.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "))
}

/// Resolves a requested shape with at most one -1 against `numel`.
pub fn infer_shape(requested: &[i64], numel_in: usize) -> Result<Shape> {
    let invalid = || Error::InvalidReshape { shape: int_list(requested), numel: numel_in };
    let mut inferred = None;
    let mut known = 1usize;
    for (i, &d) in requested.iter().enumerate() {
        match d {
            -1 if inferred.is_some() => return Err(Error::runtime("only one dimension can be inferred")),
            -1 => inferred = Some(i),
            d if d < 0 => return Err(Error::InvalidShapeDim { dim: d, index: i, shape: IntList(requested.to_vec()) }),
            d => known = known.checked_mul(d as usize).ok_or_else(invalid)?,
        }
    }
    let mut shape: Shape = requested.iter().map(|&d| d.max(0) as usize).collect();
    if let Some(i) = inferred {
        if known == 0 {
            if numel_in == 0 {
                return Err(Error::AmbiguousReshape { shape: IntList(requested.to_vec()) });
            }
            return Err(invalid());
        }
        if !numel_in.is_multiple_of(known) {
            return Err(invalid());
        }
        shape[i] = numel_in / known;
    } else if known != numel_in {
        return Err(invalid());
    }
    Ok(shape)
}

/// PyTorch's `computeStride`: strides that let `new_shape` address the same
/// elements as (`shape`, `strides`) in row-major order without a copy. Each run
/// of dims that is contiguous in memory ("chunk") may be regrouped freely.
pub fn view_strides(shape: &[usize], strides: &[isize], new_shape: &[usize]) -> Option<Strides> {
    if shape.is_empty() {
        return Some(SmallVec::from_elem(1, new_shape.len()));
    }
    if shape.contains(&0) {
        return if shape == new_shape { Some(Strides::from_slice(strides)) } else { contiguous_strides(new_shape).ok() };
    }
    let mut new_strides: Strides = SmallVec::from_elem(0, new_shape.len());
    let mut view_d = new_shape.len() as isize - 1;
    let mut chunk_base_stride = strides[strides.len() - 1];
    let (mut tensor_numel, mut view_numel) = (1usize, 1usize);
    for tensor_d in (0..shape.len()).rev() {
        tensor_numel *= shape[tensor_d];
        let chunk_ends = tensor_d == 0 || (shape[tensor_d - 1] != 1 && strides[tensor_d - 1] != tensor_numel as isize * chunk_base_stride);
        if !chunk_ends {
            continue;
        }
        while view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d as usize] == 1) {
            new_strides[view_d as usize] = view_numel as isize * chunk_base_stride;
            view_numel *= new_shape[view_d as usize];
            view_d -= 1;
        }
        if view_numel != tensor_numel {
            return None;
        }
        if tensor_d > 0 {
            chunk_base_stride = strides[tensor_d - 1];
            tensor_numel = 1;
            view_numel = 1;
        }
    }
    (view_d == -1).then_some(new_strides)
}

/// Wrapped dims in the given order, each at most once (movedim's rule).
fn unique_dims(dims: &[i64], ndim: usize, what: &'static str) -> Result<Shape> {
    let mut out = Shape::new();
    for &d in dims {
        let d = normalize_dim(d, ndim)?;
        if out.contains(&d) {
            return Err(Error::MovedimRepeatedDim { what, dims: IntList(dims.to_vec()) });
        }
        out.push(d);
    }
    Ok(out)
}

fn not_viewable() -> Error {
    Error::runtime("view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
}

impl Tensor {
    /// This tensor's elements laid out as `shape`, when no copy is needed.
    fn view_layout(&self, shape: &[usize]) -> Option<Layout> {
        let l = self.layout();
        let strides = view_strides(l.shape(), l.strides(), shape)?;
        Layout::new(Shape::from_slice(shape), strides, l.offset()).ok()
    }

    /// A view with a new shape; errors when the layout cannot express it without a copy.
    pub fn view(&self, shape: &[i64]) -> Result<Tensor> {
        let shape = infer_shape(shape, self.numel())?;
        let layout = self.view_layout(&shape).ok_or_else(not_viewable)?;
        Ok(record_plain(Op::View, &[self], self.view_of(layout)?))
    }

    /// A view when the layout allows one (ViewBackward0, or ReshapeAliasBackward0
    /// for a non-contiguous input), otherwise a copy (UnsafeViewBackward0 over CloneBackward0).
    pub fn reshape(&self, shape: &[i64]) -> Result<Tensor> {
        let target = infer_shape(shape, self.numel())?;
        if let Some(layout) = self.view_layout(&target) {
            let op = if self.is_contiguous() { Op::View } else { Op::ReshapeAlias };
            return Ok(record_plain(op, &[self], self.view_of(layout)?));
        }
        let copy = self.clone_tensor()?;
        Ok(record_plain(Op::UnsafeView, &[&copy], copy.view_with_layout(Layout::contiguous(&target)?)?))
    }

    pub fn contiguous(&self) -> Result<Tensor> {
        if self.is_contiguous() {
            return Ok(self.clone());
        }
        self.clone_tensor()
    }

    /// Broadcast view to `shape`; returns `self` when the shape is unchanged
    /// (the cheap form backward formulas use; `expand_sizes` is the user-facing one).
    pub fn expand(&self, shape: &[usize]) -> Result<Tensor> {
        let layout = {
            let data = self.snapshot();
            if shape == data.shape() {
                return Ok(self.clone());
            }
            data.layout().broadcast_to(shape)?
        };
        Ok(record_plain(Op::Expand, &[self], self.view_of(layout)?))
    }

    /// `expand(*sizes)`: -1 keeps a dim's size; new dims may be added in front.
    pub fn expand_sizes(&self, sizes: &[i64]) -> Result<Tensor> {
        let shape = self.expanded_shape(sizes)?;
        let layout = self.layout().broadcast_to(&shape)?;
        Ok(record_plain(Op::Expand, &[self], self.view_of(layout)?))
    }

    fn expanded_shape(&self, sizes: &[i64]) -> Result<Shape> {
        let nd = self.ndim();
        if sizes.len() < nd {
            return Err(Error::ExpandTooFewSizes { type_name: self.dtype().legacy_type_name(), shape: ShapeList(self.shape().to_vec()), sizes: IntList(sizes.to_vec()) });
        }
        let lead = sizes.len() - nd;
        let resolve = |(i, &s): (usize, &i64)| -> Result<usize> {
            if i < lead {
                if s < 0 {
                    return Err(Error::ExpandLeadingDim { size: s, dim: i });
                }
                return Ok(s as usize);
            }
            let existing = self.shape()[i - lead];
            match s {
                -1 => Ok(existing),
                s if s >= 0 => Ok(s as usize),
                s if existing == 1 => Err(Error::NegativeDimension { dim: s, sizes: IntList::from(sizes) }),
                s => Err(Error::ExpandSizeMismatch { target: s, existing, dim: i, sizes: IntList(sizes.to_vec()), tensor_shape: ShapeList(self.shape().to_vec()) }),
            }
        };
        sizes.iter().enumerate().map(resolve).collect()
    }

    pub fn transpose(&self, dim0: i64, dim1: i64) -> Result<Tensor> {
        let (d0, d1) = (normalize_dim(dim0, self.ndim())?, normalize_dim(dim1, self.ndim())?);
        let layout = if self.ndim() == 0 { self.layout().clone() } else { self.layout().transpose(d0, d1) };
        Ok(record_plain(Op::Transpose(d0, d1), &[self], self.view_of(layout)?))
    }

    /// `t()`: transpose of a tensor with at most 2 dims (TBackward0).
    pub fn t(&self) -> Result<Tensor> {
        if self.ndim() > 2 {
            return Err(Error::TransposeNdim { op: "t()", ndim: self.ndim() });
        }
        let layout = if self.ndim() == 2 { self.layout().transpose(0, 1) } else { self.layout().clone() };
        Ok(record_plain(Op::T, &[self], self.view_of(layout)?))
    }

    /// `mT`: the last two dims swapped.
    pub fn mt(&self) -> Result<Tensor> {
        if self.ndim() < 2 {
            return Err(Error::UnexpectedCount { expected: "tensor.mT is only supported on matrices or batches of matrices. Got ", got: self.ndim(), tail: "-D tensor." });
        }
        self.transpose(-2, -1)
    }

    pub fn permute(&self, dims: &[i64]) -> Result<Tensor> {
        if dims.len() != self.ndim() {
            return Err(Error::CountMismatch { expected: "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ", lhs: self.ndim(), sep: " is not equal to len(dims) = ", rhs: dims.len(), tail: "" });
        }
        let mut order: Shape = Shape::new();
        for &d in dims {
            let d = normalize_dim(d, self.ndim())?;
            if order.contains(&d) {
                return Err(Error::runtime("permute(): duplicate dims are not allowed."));
            }
            order.push(d);
        }
        let layout = self.layout().permute(&order);
        Ok(record_plain(Op::Permute(order), &[self], self.view_of(layout)?))
    }

    /// `movedim(source, destination)`: the named dims moved, the others in order (a permute).
    pub fn movedim(&self, source: &[i64], destination: &[i64]) -> Result<Tensor> {
        if source.len() != destination.len() {
            return Err(Error::MovedimLengths { src_dims: IntList(source.to_vec()), dst_dims: IntList(destination.to_vec()) });
        }
        let nd = self.ndim();
        let src = unique_dims(source, nd, "source")?;
        let dst = unique_dims(destination, nd, "destination")?;
        let mut order = vec![-1i64; nd];
        for (&s, &d) in src.iter().zip(&dst) {
            if let Some(slot) = order.get_mut(d) {
                *slot = s as i64;
            }
        }
        let mut rest = (0..nd).filter(|d| !src.contains(d));
        for slot in order.iter_mut().filter(|o| **o < 0) {
            *slot = rest.next().unwrap_or(0) as i64;
        }
        self.permute(&order)
    }

    pub fn unsqueeze(&self, dim: i64) -> Result<Tensor> {
        let d = normalize_dim(dim, self.ndim() + 1)?;
        let layout = self.layout().unsqueeze(d);
        Ok(record_plain(Op::Unsqueeze(d), &[self], self.view_of(layout)?))
    }

    /// Drops size-1 dims: all of them (SqueezeBackward0), or only `dim` (SqueezeBackward1).
    pub fn squeeze(&self, dim: Option<i64>) -> Result<Tensor> {
        match dim {
            None => {
                let all: Shape = (0..self.ndim()).collect();
                self.squeeze_view(&all, Op::Squeeze)
            }
            Some(d) => {
                let d = normalize_dim(d, self.ndim())?;
                self.squeeze_view(&[d], Op::SqueezeDim)
            }
        }
    }

    /// `squeeze(dim=(...))`: drops those of `dims` that have size 1 (SqueezeBackward2).
    pub fn squeeze_dims(&self, dims: &[i64]) -> Result<Tensor> {
        let dims = super::reduce::normalize_dims(dims, self.ndim())?;
        self.squeeze_view(&dims, Op::SqueezeDims)
    }

    pub(crate) fn squeeze_view(&self, candidates: &[usize], op: Op) -> Result<Tensor> {
        let l = self.layout();
        let keep = |i: &usize| l.shape()[*i] != 1 || !candidates.contains(i);
        let shape = (0..l.ndim()).filter(keep).map(|i| l.shape()[i]).collect();
        let strides = (0..l.ndim()).filter(keep).map(|i| l.strides()[i]).collect();
        let layout = Layout::new(shape, strides, l.offset())?;
        Ok(record_plain(op, &[self], self.view_of(layout)?))
    }

    /// Merges dims `start_dim..=end_dim` into one (a reshape: a view when possible).
    pub fn flatten(&self, start_dim: i64, end_dim: i64) -> Result<Tensor> {
        let (start, end) = (normalize_dim(start_dim, self.ndim())?, normalize_dim(end_dim, self.ndim())?);
        if self.ndim() == 0 {
            return self.reshape(&[1]);
        }
        if start > end {
            return Err(Error::runtime("flatten() has invalid args: start_dim cannot come after end_dim"));
        }
        if start == end {
            return Ok(self.clone());
        }
        let s = self.shape();
        let merged: usize = s[start..=end].iter().product();
        let shape: Vec<i64> = s[..start].iter().chain(std::iter::once(&merged)).chain(&s[end + 1..]).map(|&d| d as i64).collect();
        self.reshape(&shape)
    }

    /// Flattens to 1-d.
    pub fn flatten_all(&self) -> Result<Tensor> {
        self.flatten(0, -1)
    }

    /// `ravel()`: a flat view, copying first when the layout is not contiguous.
    pub fn ravel(&self) -> Result<Tensor> {
        self.contiguous()?.view(&[-1])
    }

    /// Splits dim `dim` into `sizes` (one may be -1): always a view.
    pub fn unflatten(&self, dim: i64, sizes: &[i64]) -> Result<Tensor> {
        if self.ndim() == 0 {
            return Err(Error::index(format!("Dimension specified as {dim} but tensor has no dimensions")));
        }
        let d = normalize_dim(dim, self.ndim())?;
        if sizes.is_empty() {
            return Err(Error::runtime("unflatten: sizes must be non-empty"));
        }
        let size = self.shape()[d];
        let split = infer_shape(sizes, size).map_err(|e| match e {
            Error::InvalidReshape { .. } => Error::UnflattenSizes { sizes: IntList(sizes.to_vec()), dim, size },
            other => other,
        })?;
        let s = self.shape();
        let shape: Vec<i64> = s[..d].iter().chain(&split).chain(&s[d + 1..]).map(|&x| x as i64).collect();
        self.view(&shape)
    }

    /// A new tensor object over the same elements (AliasBackward0), as `x[...]` gives.
    pub fn alias(&self) -> Result<Tensor> {
        Ok(record_plain(Op::Alias, &[self], self.view_of(self.layout().clone())?))
    }
}

pub(super) fn expand_backward(ctx: &BackwardCtx) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().sum_to_shape(&ctx.inputs[0].shape))?])
}

/// view, reshape, squeeze, unsqueeze: reshape the gradient back.
pub(super) fn view_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let shape: Vec<i64> = ctx.inputs[0].shape.iter().map(|&d| d as i64).collect();
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().reshape(&shape))?])
}

pub(super) fn transpose_backward(ctx: &BackwardCtx, d0: usize, d1: usize) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().transpose(d0 as i64, d1 as i64))?])
}

pub(super) fn t_backward(ctx: &BackwardCtx) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().t())?])
}

pub(super) fn permute_backward(ctx: &BackwardCtx, order: &[usize]) -> Result<Grads> {
    let mut inverse = vec![0i64; order.len()];
    for (i, &d) in order.iter().enumerate() {
        inverse[d] = i as i64;
    }
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().permute(&inverse))?])
}

impl Tensor {
    /// `t.select(dim, index)`: a view with that dim removed (SelectBackward0).
    pub fn select(&self, dim: i64, index: i64) -> Result<Tensor> {
        if self.ndim() == 0 {
            return Err(Error::index("select() cannot be applied to a 0-dim tensor."));
        }
        let d = normalize_dim(dim, self.ndim())?;
        let size = self.shape()[d] as i64;
        if index < -size || index >= size {
            return Err(Error::index(format!(
                "select(): index {index} out of range for tensor of size {} at dimension {d}",
                ShapeList(self.shape().to_vec())
            )));
        }
        let i = if index < 0 { index + size } else { index } as usize;
        let view = self.view_of(slicing::select_layout(&self.layout(), d, i)?)?;
        Ok(record_plain(Op::Select { dim: d, index: i }, &[self], view))
    }

    /// Zeros of `shape` with `self` placed at `index` along `dim`: the adjoint of `select`.
    pub fn select_embed(&self, shape: &[usize], dim: usize, index: usize) -> Result<Tensor> {
        let size = slicing::embed_dim(shape, dim)?;
        if index >= size {
            return Err(Error::index(format!("select(): index {index} out of range for tensor of size {} at dimension {dim}", ShapeList(shape.to_vec()))));
        }
        let out = slicing::embed(self, shape, |l| slicing::select_layout(l, dim, index))?;
        Ok(record_plain(Op::SelectEmbed { dim, index }, &[self], out))
    }
}

pub(super) fn select_backward(ctx: &BackwardCtx, dim: usize, index: usize) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().select_embed(&ctx.inputs[0].shape, dim, index))?])
}

pub(super) fn select_embed_backward(ctx: &BackwardCtx, dim: usize, index: usize) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().select(dim as i64, index as i64))?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_strides_follow_pytorch() {
        // A transposed (4, 6) -> (6, 4) tensor: splitting a dim is a view, merging is not.
        assert_eq!(view_strides(&[6, 4], &[1, 6], &[3, 2, 4]).as_deref(), Some(&[2, 1, 6][..]));
        assert_eq!(view_strides(&[6, 4], &[1, 6], &[24]), None);
        // A column slice keeps rows apart but may gain size-1 dims.
        assert_eq!(view_strides(&[4, 2], &[6, 1], &[4, 2, 1]).as_deref(), Some(&[6, 1, 1][..]));
        assert_eq!(view_strides(&[4, 2], &[6, 1], &[8]), None);
        assert_eq!(view_strides(&[], &[], &[1, 1]).as_deref(), Some(&[1, 1][..]));
    }
}
