//! Basic indexing, `t[1:3, ::2, None, ..., -1]`: ints select, slices slice,
//! None inserts a dim, Ellipsis stands for the dims not named. The result is
//! always a view, built left to right as PyTorch builds it, so its grad_fn
//! chain is the same (SelectBackward0, SliceBackward0, UnsqueezeBackward0, or
//! AliasBackward0 when the index names nothing). Advanced indexing (tensors,
//! lists, bools) is reported as not supported.

use crate::errors::IntoPyResult;
use crate::tensor::PyTensor;
use ferrograd::{DType, Scalar, Tensor};
use pyo3::exceptions::{PyIndexError, PyNotImplementedError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyEllipsis, PyList, PySlice, PyTuple};

enum Item<'py> {
    Int(i64),
    Slice(Bound<'py, PySlice>),
    NewAxis,
    Ellipsis,
}

impl Item<'_> {
    /// Ints and slices each use up one dim of the indexed tensor.
    fn consumes_dim(&self) -> bool {
        matches!(self, Item::Int(_) | Item::Slice(_))
    }
}

/// `t[index]` for basic indices.
pub fn getitem(t: &Tensor, index: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    match index.cast::<PyTuple>() {
        Ok(tuple) => {
            let items = tuple.iter().map(|item| parse(&item)).collect::<PyResult<Vec<_>>>()?;
            apply(t, &items, true)
        }
        // A lone slice is always recorded, even when it spans the whole dim.
        Err(_) => apply(t, &[parse(index)?], false),
    }
}

fn parse<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Item<'py>> {
    if obj.is_none() {
        return Ok(Item::NewAxis);
    }
    if obj.is_instance_of::<PyEllipsis>() {
        return Ok(Item::Ellipsis);
    }
    if let Ok(slice) = obj.cast::<PySlice>() {
        return Ok(Item::Slice(slice.clone()));
    }
    if obj.is_instance_of::<PyBool>() || obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return Err(advanced());
    }
    if let Ok(t) = obj.cast::<PyTensor>() {
        return tensor_index(&t.get().inner);
    }
    if obj.hasattr("__index__")? {
        return obj.extract::<i64>().map(Item::Int).map_err(|_| PyValueError::new_err("Overflow when unpacking long long"));
    }
    let type_name = obj.get_type().name().map(|n| n.to_string()).unwrap_or_default();
    Err(PyIndexError::new_err(format!(
        "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got {type_name})"
    )))
}

/// A 0-d integer tensor indexes like an int; other tensors are advanced indices.
fn tensor_index(t: &Tensor) -> PyResult<Item<'static>> {
    match t.dtype() {
        DType::F32 | DType::F64 => Err(PyIndexError::new_err("tensors used as indices must be long, int, byte or bool tensors")),
        DType::I64 if t.ndim() == 0 => match t.item().py()? {
            Scalar::Int(i) => Ok(Item::Int(i)),
            other => Ok(Item::Int(other.to_f64() as i64)),
        },
        _ => Err(advanced()),
    }
}

fn advanced() -> PyErr {
    PyNotImplementedError::new_err("advanced indexing (tensors, lists or bools as indices) is not supported; use ints, slices, None and ...")
}

/// Applies `items` left to right. In a tuple, slices that span their whole
/// dim are skipped; when nothing is left to apply the result is an alias.
fn apply(t: &Tensor, items: &[Item<'_>], skip_full_slices: bool) -> PyResult<Tensor> {
    let nd = t.ndim();
    let consumed = items.iter().filter(|i| i.consumes_dim()).count();
    if consumed > nd {
        return Err(PyIndexError::new_err(if nd == 0 {
            "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number".to_string()
        } else {
            format!("too many indices for tensor of dimension {nd}")
        }));
    }
    let mut cur: Option<Tensor> = None;
    let mut dim = 0usize;
    for (position, item) in items.iter().enumerate() {
        let base = cur.as_ref().unwrap_or(t);
        match item {
            Item::Int(i) => cur = Some(select(base, dim, *i, position)?),
            Item::Slice(s) => {
                if let Some(view) = slice(base, dim, s, skip_full_slices)? {
                    cur = Some(view);
                }
                dim += 1;
            }
            Item::NewAxis => {
                cur = Some(base.unsqueeze(dim as i64).py()?);
                dim += 1;
            }
            // Each ellipsis stands for the dims no index names (PyTorch accepts several).
            Item::Ellipsis => dim += nd - consumed,
        }
    }
    Ok(cur.unwrap_or_else(|| t.alias()))
}

/// `position` is the index's place in the tuple, which PyTorch's message names as the dimension.
fn select(t: &Tensor, dim: usize, index: i64, position: usize) -> PyResult<Tensor> {
    // A dim past the end (several ellipses) counts as size 0, as in PyTorch's message.
    let size = t.shape().get(dim).map_or(0, |&s| s as i64);
    if index < -size || index >= size {
        return Err(PyIndexError::new_err(format!("index {index} is out of bounds for dimension {position} with size {size}")));
    }
    t.select(dim as i64, index).py()
}

/// The slice view, or None when it spans the whole dim and may be skipped.
fn slice(t: &Tensor, dim: usize, s: &Bound<'_, PySlice>, skip_full: bool) -> PyResult<Option<Tensor>> {
    let Some(&size) = t.shape().get(dim) else {
        return t.slice(dim as i64, None, None, 1).py().map(Some);
    };
    let bounds = s.indices(size as isize)?;
    if bounds.step <= 0 {
        return Err(PyValueError::new_err("step must be greater than zero"));
    }
    if skip_full && bounds.start == 0 && bounds.stop == size as isize && bounds.step == 1 {
        return Ok(None);
    }
    t.slice(dim as i64, Some(bounds.start as i64), Some(bounds.stop as i64), bounds.step as i64).py().map(Some)
}
