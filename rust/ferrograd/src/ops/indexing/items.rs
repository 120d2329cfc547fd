//! Indexing by a sequence of items, `t[idx]`, built as PyTorch builds it:
//! ints select, slices slice, NewAxis inserts a dim, Ellipsis stands for the
//! dims not named (all views, applied left to right so the grad_fn chain
//! matches: SelectBackward0, SliceBackward0, UnsqueezeBackward0, or
//! AliasBackward0 when the index names nothing). Tensors and bools are
//! advanced indices: they are collected, one entry per item as `index` takes
//! them, and applied to the view in one `index` call (IndexBackward0).
//! Assignment through the same items is in `assign.rs`.

use super::Indices;
use crate::dtype::{Category, DType, Scalar};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// One item of an index expression.
#[derive(Clone, Debug)]
pub enum IndexItem {
    /// Selects one position (the dim goes away).
    Int(i64),
    /// Python's `start:stop:step`; the step must be positive.
    Slice { start: Option<i64>, stop: Option<i64>, step: Option<i64> },
    /// `None`: a new dim of size 1.
    NewAxis,
    /// `...`: the dims no other item names.
    Ellipsis,
    /// A new dim of size 1, kept (`true`) or emptied (`false`).
    Bool(bool),
    /// A long index tensor or a bool mask.
    Tensor(Tensor),
}

impl IndexItem {
    /// A tensor as PyTorch reads it in an index: a 0-d integer tensor is an
    /// int, a 0-d bool (or uint8) one a bool, a float one an error.
    pub fn from_tensor(t: &Tensor) -> Result<IndexItem> {
        match (t.dtype(), t.ndim()) {
            (DType::F32 | DType::F64, _) => Err(Error::InvalidIndex("tensors used as indices must be long, int, byte or bool tensors".into())),
            // A 0-d uint8 index is a mask, as bool is (deprecated in PyTorch, still accepted).
            (DType::Bool | DType::U8, 0) => Ok(IndexItem::Bool(t.item()?.to_f64() != 0.0)),
            (d, 0) if d.category() == Category::Integral => match t.item()? {
                Scalar::Int(i) => Ok(IndexItem::Int(i)),
                other => Ok(IndexItem::Int(other.to_f64() as i64)),
            },
            _ => Ok(IndexItem::Tensor(t.clone())),
        }
    }

    /// How many dims of the indexed tensor the item names (PyTorch's count_specified_dimensions).
    fn dims_named(&self) -> usize {
        match self {
            IndexItem::Int(_) | IndexItem::Slice { .. } => 1,
            IndexItem::Tensor(t) if t.dtype() == DType::Bool => t.ndim(),
            IndexItem::Tensor(_) => 1,
            IndexItem::NewAxis | IndexItem::Ellipsis | IndexItem::Bool(_) => 0,
        }
    }
}

/// The view the basic items select, and the advanced indices left to apply to it.
pub(super) struct Sliced {
    pub(super) view: Tensor,
    /// One entry per item from the first index tensor on (None: a whole dim), as `index` takes them.
    pub(super) indices: Indices,
    /// Whether any view op was applied (the result is a view of the indexed tensor).
    is_view: bool,
}

impl Tensor {
    /// `self[items]` for a tuple of items (`t[0, 1:, None]`).
    pub fn index_items(&self, items: &[IndexItem]) -> Result<Tensor> {
        self.sliced(items, true)?.finish(self)
    }

    /// `self[item]` for a lone item (`t[1:]`), which PyTorch reads apart
    /// from a tuple: a lone slice checks its step before the dims and is
    /// applied even when it spans the whole dim.
    pub fn index_item(&self, item: &IndexItem) -> Result<Tensor> {
        if let IndexItem::Slice { step, .. } = item {
            check_lone_slice(self, *step)?;
        }
        self.sliced(std::slice::from_ref(item), false)?.finish(self)
    }

    /// Applies the basic items left to right and collects the advanced ones;
    /// with `skip_full_slices`, slices that span their whole dim are skipped.
    pub(super) fn sliced(&self, items: &[IndexItem], skip_full_slices: bool) -> Result<Sliced> {
        let nd = self.ndim();
        let named: usize = items.iter().map(IndexItem::dims_named).sum();
        if named > nd {
            let only_basic = items.iter().all(|i| matches!(i, IndexItem::Int(_) | IndexItem::Slice { .. } | IndexItem::NewAxis | IndexItem::Ellipsis));
            return Err(Error::InvalidIndex(if nd == 0 && only_basic {
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number".to_string()
            } else {
                format!("too many indices for tensor of dimension {nd}")
            }));
        }
        let mut cur: Option<Tensor> = None;
        let mut indices: Indices = Vec::new();
        let mut dim = 0usize;
        // Before the first index tensor, skipped dims need no entries; after it, each takes one.
        let pad = |indices: &mut Indices, n: usize| {
            if !indices.is_empty() {
                indices.extend(std::iter::repeat_n(None, n));
            }
        };
        for (position, item) in items.iter().enumerate() {
            let base = cur.as_ref().unwrap_or(self);
            match item {
                IndexItem::Int(i) => cur = Some(select(base, dim, *i, position)?),
                IndexItem::Slice { start, stop, step } => {
                    if let Some(view) = slice(base, dim, [*start, *stop, *step], skip_full_slices)? {
                        cur = Some(view);
                    }
                    dim += 1;
                    pad(&mut indices, 1);
                }
                IndexItem::NewAxis => {
                    cur = Some(base.unsqueeze(dim as i64)?);
                    dim += 1;
                    pad(&mut indices, 1);
                }
                // Each ellipsis stands for the dims no index names (PyTorch accepts several).
                IndexItem::Ellipsis => {
                    dim += nd - named;
                    pad(&mut indices, nd - named);
                }
                IndexItem::Bool(keep) => {
                    cur = Some(base.unsqueeze(dim as i64)?);
                    let picked: Vec<i64> = if *keep { vec![0] } else { vec![] };
                    let n = picked.len();
                    record_index(&mut indices, &mut dim, Tensor::from_vec(picked, &[n])?);
                }
                IndexItem::Tensor(index) => record_index(&mut indices, &mut dim, index.clone()),
            }
        }
        // Trailing empty entries index nothing; a second ellipsis can leave more
        // of them than the view has dims, which PyTorch ignores.
        while matches!(indices.last(), Some(None)) {
            indices.pop();
        }
        let is_view = cur.is_some();
        Ok(Sliced { view: cur.unwrap_or_else(|| self.clone()), indices, is_view })
    }
}

impl Sliced {
    /// The indexed result: the view after one `index` call for the advanced
    /// items, or an alias of `source` when the items named nothing.
    fn finish(self, source: &Tensor) -> Result<Tensor> {
        match (self.indices.is_empty(), self.is_view) {
            (true, true) => Ok(self.view),
            (true, false) => source.alias(),
            (false, _) => self.view.index(&self.indices),
        }
    }
}

/// PyTorch reads a lone slice (not in a tuple) before it counts dims: its
/// step first, then whether there is a dim to slice at all.
fn check_lone_slice(t: &Tensor, step: Option<i64>) -> Result<()> {
    check_step(step.unwrap_or(1))?;
    if t.ndim() == 0 {
        return Err(Error::InvalidIndex("slice() cannot be applied to a 0-dim tensor.".into()));
    }
    Ok(())
}

/// Python's own error for a zero step, PyTorch's for a negative one.
fn check_step(step: i64) -> Result<()> {
    match step {
        0 => Err(Error::value("slice step cannot be zero")),
        n if n < 0 => Err(Error::value("step must be greater than zero")),
        _ => Ok(()),
    }
}

/// Adds an index tensor at `dim` (PyTorch's recordTensorIndex).
fn record_index(indices: &mut Indices, dim: &mut usize, index: Tensor) {
    if indices.is_empty() {
        indices.resize(*dim, None);
    }
    *dim += if index.dtype() == DType::Bool { index.ndim() } else { 1 };
    indices.push(Some(index));
}

/// `position` is the index's place in the tuple, which PyTorch's message names as the dimension.
fn select(t: &Tensor, dim: usize, index: i64, position: usize) -> Result<Tensor> {
    // A dim past the end (several ellipses) counts as size 0, as in PyTorch's message.
    let size = t.shape().get(dim).map_or(0, |&s| s as i64);
    if index < -size || index >= size {
        return Err(Error::InvalidIndex(format!("index {index} is out of bounds for dimension {position} with size {size}")));
    }
    t.select(dim as i64, index)
}

/// The slice view, or None when it spans the whole dim and may be skipped.
fn slice(t: &Tensor, dim: usize, [start, stop, step]: [Option<i64>; 3], skip_full: bool) -> Result<Option<Tensor>> {
    let Some(&size) = t.shape().get(dim) else {
        return t.slice(dim as i64, None, None, 1).map(Some);
    };
    let (start, stop, step) = slice_bounds(start, stop, step, size)?;
    if skip_full && start == 0 && stop as usize == size && step == 1 {
        return Ok(None);
    }
    t.slice(dim as i64, Some(start), Some(stop), step).map(Some)
}

/// Python's `slice(start, stop, step).indices(len)` for a positive step:
/// negative bounds count from the end, and both are clamped into `0..=len`.
fn slice_bounds(start: Option<i64>, stop: Option<i64>, step: Option<i64>, len: usize) -> Result<(i64, i64, i64)> {
    let step = step.unwrap_or(1);
    check_step(step)?;
    // Sizes are bounded by the largest element count, far below i64::MAX.
    let len = i64::try_from(len).map_err(|_| Error::runtime("dimension size does not fit in int64"))?;
    let clamp = |bound: Option<i64>, default: i64| match bound {
        None => default,
        Some(b) if b < 0 => b.saturating_add(len).max(0),
        Some(b) => b.min(len),
    };
    Ok((clamp(start, 0), clamp(stop, len), step))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_bounds_follow_python() {
        assert_eq!(slice_bounds(None, None, None, 5).unwrap(), (0, 5, 1));
        assert_eq!(slice_bounds(Some(-2), None, Some(2), 5).unwrap(), (3, 5, 2));
        assert_eq!(slice_bounds(Some(-9), Some(99), None, 5).unwrap(), (0, 5, 1));
        assert_eq!(slice_bounds(Some(4), Some(-4), None, 5).unwrap(), (4, 1, 1));
        assert_eq!(slice_bounds(Some(i64::MIN), Some(i64::MAX), None, 5).unwrap(), (0, 5, 1));
        assert!(matches!(slice_bounds(None, None, Some(0), 5), Err(Error::Value(m)) if m == "slice step cannot be zero"));
        assert!(matches!(slice_bounds(None, None, Some(-1), 5), Err(Error::Value(m)) if m == "step must be greater than zero"));
    }
}
