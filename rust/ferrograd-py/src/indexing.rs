//! Python indexing, `t[idx]` and `t[idx] = v`: the index object becomes the
//! core's `IndexItem`s (ints, slices, None, Ellipsis, bools, index tensors;
//! lists and arrays as index tensors), read as a tuple or as one lone item
//! as PyTorch reads it, and the core builds the views, the `index` call or
//! the assignment.

use crate::errors::IntoPyResult;
use crate::gil::{run_detached_if_large, update_in_place};
use crate::tensor::PyTensor;
use ferrograd::ops::indexing::assign::IndexValue;
use ferrograd::ops::indexing::items::IndexItem;
use ferrograd::{DType, Tensor};
use pyo3::exceptions::{PyIndexError, PyOverflowError, PyTypeError, PyUserWarning, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyEllipsis, PyList, PySlice, PyString, PyTuple};

/// `t[index]`. Basic indexing makes a view, so the call detaches only when
/// the index holds a tensor (a gather) and the elements involved are many.
pub fn getitem(py: Python<'_>, t: &Tensor, index: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    let index = parse_index(index)?;
    let work = index.tensor_work().map_or(0, |n| n.max(t.numel()));
    run_detached_if_large(py, work, || match &index {
        Index::Tuple(items) => t.index_items(items),
        Index::Lone(item) => t.index_item(item),
    })
    .py()
}

/// `t[index] = value`: a copy or fill into `t`, detached when large.
pub fn setitem(py: Python<'_>, t: &Tensor, index: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
    let value = extract_value(value, t)?;
    let index = parse_index(index)?;
    let value_work = match &value {
        IndexValue::Tensor(v) => v.numel(),
        IndexValue::Number(_) => 0,
    };
    let work = index.tensor_work().unwrap_or(0).max(value_work).max(t.numel());
    update_in_place(py, work, || match index {
        Index::Tuple(items) => t.index_put_items(&items, value),
        Index::Lone(item) => t.index_put_item(&item, value),
    })
}

/// What is assigned: a tensor or a Python number.
fn extract_value(obj: &Bound<'_, PyAny>, target: &Tensor) -> PyResult<IndexValue> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        return Ok(IndexValue::Tensor(t.get().inner.clone()));
    }
    if let Some(s) = crate::convert::scalar_from(obj)? {
        return Ok(IndexValue::Number(s));
    }
    let type_name = obj.get_type().name().map(|n| n.to_string()).unwrap_or_default();
    Err(PyTypeError::new_err(format!("can't assign a {type_name} to a {}", target.dtype().legacy_type_name())))
}

/// An index as PyTorch reads it: a tuple (or a sequence read as one), or one lone item.
enum Index {
    Tuple(Vec<IndexItem>),
    Lone(IndexItem),
}

impl Index {
    /// The elements of the index tensors it holds, or None when it holds none.
    fn tensor_work(&self) -> Option<usize> {
        let items = match self {
            Index::Tuple(items) => items.as_slice(),
            Index::Lone(item) => std::slice::from_ref(item),
        };
        items.iter().fold(None, |work, item| match item {
            IndexItem::Tensor(i) => Some(work.unwrap_or(0).max(i.numel())),
            _ => work,
        })
    }
}

fn parse_index(index: &Bound<'_, PyAny>) -> PyResult<Index> {
    if let Ok(tuple) = index.cast::<PyTuple>() {
        return Ok(Index::Tuple(tuple.iter().map(|item| parse(&item)).collect::<PyResult<_>>()?));
    }
    if sequence_as_tuple(index)? {
        let py = index.py();
        let warning = py.get_type::<PyUserWarning>();
        PyErr::warn(py, &warning, c"Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error or a different result", 1)?;
        let items = index.try_iter()?.map(|item| parse(&item?)).collect::<PyResult<_>>()?;
        return Ok(Index::Tuple(items));
    }
    Ok(Index::Lone(parse(index)?))
}

fn is_sequence(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return Ok(true);
    }
    // A dict has __getitem__ and __len__ but is no sequence to PyTorch.
    if obj.is_instance_of::<PyTensor>() || obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyDict>() {
        return Ok(false);
    }
    // numpy arrays and other sequences (a 0-d array has no usable length).
    Ok(obj.hasattr("__getitem__")? && obj.hasattr("__len__")? && obj.len().is_ok())
}

/// PyTorch's legacy rule: a short list holding a tensor, a sequence, a slice,
/// `...` or None is read as a tuple of indices.
fn sequence_as_tuple(index: &Bound<'_, PyAny>) -> PyResult<bool> {
    if !index.is_instance_of::<PyList>() {
        return Ok(false);
    }
    let list = index.cast::<PyList>()?;
    if list.len() >= 32 {
        return Ok(false);
    }
    for item in list.iter() {
        if item.is_instance_of::<PyTensor>() || item.is_instance_of::<PySlice>() || item.is_none() || item.is_instance_of::<PyEllipsis>() || is_sequence(&item)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn parse(obj: &Bound<'_, PyAny>) -> PyResult<IndexItem> {
    if obj.is_none() {
        return Ok(IndexItem::NewAxis);
    }
    if obj.is_instance_of::<PyEllipsis>() {
        return Ok(IndexItem::Ellipsis);
    }
    if let Ok(slice) = obj.cast::<PySlice>() {
        return slice_item(slice);
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(IndexItem::Bool(obj.is_truthy()?));
    }
    if let Ok(t) = obj.cast::<PyTensor>() {
        return IndexItem::from_tensor(&t.get().inner).py();
    }
    if is_sequence(obj)? {
        return sequence_index(obj);
    }
    // PyTorch tries to build an index tensor from a string and fails so.
    if obj.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err("new(): invalid data type 'str'"));
    }
    if obj.hasattr("__index__")? {
        return obj.extract::<i64>().map(IndexItem::Int).map_err(|_| PyValueError::new_err("Overflow when unpacking long long"));
    }
    let type_name = obj.get_type().name().map(|n| n.to_string()).unwrap_or_default();
    Err(PyIndexError::new_err(format!(
        "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got {type_name})"
    )))
}

/// A list (or array) index: bools make a mask, anything else long indices.
fn sequence_index(obj: &Bound<'_, PyAny>) -> PyResult<IndexItem> {
    let t = crate::convert::tensor_from_data(obj, None)?;
    let t = if t.dtype() == DType::Bool { t } else { t.cast(DType::I64).py()? };
    Ok(IndexItem::Tensor(t))
}

/// A slice's bounds as `slice.indices` reads them: None, or anything with
/// `__index__`; bounds beyond int64 are clamped, as Python clamps them.
fn slice_item(slice: &Bound<'_, PySlice>) -> PyResult<IndexItem> {
    let bound = |name: &str| -> PyResult<Option<i64>> {
        let v = slice.getattr(name)?;
        if v.is_none() {
            return Ok(None);
        }
        if !v.hasattr("__index__")? {
            return Err(PyTypeError::new_err("slice indices must be integers or None or have an __index__ method"));
        }
        match v.extract::<i64>() {
            Ok(i) => Ok(Some(i)),
            Err(e) if e.is_instance_of::<PyOverflowError>(v.py()) => Ok(Some(if v.gt(0)? { i64::MAX } else { i64::MIN })),
            Err(e) => Err(e),
        }
    };
    Ok(IndexItem::Slice { start: bound("start")?, stop: bound("stop")?, step: bound("step")? })
}
