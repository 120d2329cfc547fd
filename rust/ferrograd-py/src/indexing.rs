//! Python indexing, `t[idx]` and `t[idx] = v`, built as PyTorch builds it:
//! ints select, slices slice, None inserts a dim, Ellipsis stands for the dims
//! not named (all views, applied left to right so the grad_fn chain matches:
//! SelectBackward0, SliceBackward0, UnsqueezeBackward0, or AliasBackward0 when
//! the index names nothing). Tensors, lists and bools are advanced indices:
//! they are collected, one entry per item as aten's `index` takes them, and
//! applied to the view in one `index` call (IndexBackward0). Assignment writes
//! through the view (`fill_`/`copy_`) or, with advanced indices, runs
//! `masked_fill_`/`index_fill_` for a number and one index tensor, else
//! `index_put_`, as PyTorch dispatches it.

use crate::errors::IntoPyResult;
use crate::tensor::PyTensor;
use ferrograd::{DType, Scalar, Tensor};
use pyo3::exceptions::{PyIndexError, PyTypeError, PyUserWarning, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyEllipsis, PyList, PySlice, PyString, PyTuple};

enum Item<'py> {
    Int(i64),
    Slice(Bound<'py, PySlice>),
    NewAxis,
    Ellipsis,
    /// A Python bool or a 0-d bool tensor: a new dim of size 1, kept or emptied.
    Bool(bool),
    /// A long or bool index tensor (lists arrive converted).
    Tensor(Tensor),
}

impl Item<'_> {
    /// How many dims of the indexed tensor the item names (PyTorch's count_specified_dimensions).
    fn dims_named(&self) -> usize {
        match self {
            Item::Int(_) | Item::Slice(_) => 1,
            Item::Tensor(t) if t.dtype() == DType::Bool => t.ndim(),
            Item::Tensor(_) => 1,
            Item::NewAxis | Item::Ellipsis | Item::Bool(_) => 0,
        }
    }
}

/// The view the basic items select, and the advanced indices left to apply to it.
struct Sliced {
    view: Tensor,
    /// One entry per item from the first index tensor on (None: a whole dim), as aten's `index` takes them.
    indices: Vec<Option<Tensor>>,
    /// Whether any view op was applied (the result is a view of the indexed tensor).
    is_view: bool,
}

/// `t[index]`.
pub fn getitem(t: &Tensor, index: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    let (items, is_tuple) = parse_index(index)?;
    if let (false, [Item::Slice(s)]) = (is_tuple, &items[..]) {
        check_lone_slice(t, s)?;
    }
    // A lone slice is always applied, even when it spans the whole dim.
    let sliced = apply(t, &items, is_tuple)?;
    if sliced.indices.is_empty() {
        return if sliced.is_view { Ok(sliced.view) } else { t.alias().py() };
    }
    sliced.view.index(&sliced.indices).py()
}

/// PyTorch reads a lone slice (not in a tuple) before it counts dims: its
/// step first, then whether there is a dim to slice at all.
fn check_lone_slice(t: &Tensor, s: &Bound<'_, PySlice>) -> PyResult<()> {
    let step = s.getattr("step")?;
    if !step.is_none() {
        match step.extract::<i64>()? {
            0 => return Err(PyValueError::new_err("slice step cannot be zero")),
            n if n < 0 => return Err(PyValueError::new_err("step must be greater than zero")),
            _ => {}
        }
    }
    if t.ndim() == 0 {
        return Err(PyIndexError::new_err("slice() cannot be applied to a 0-dim tensor."));
    }
    Ok(())
}

/// `t[index] = value`.
pub fn setitem(t: &Tensor, index: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
    let value = Value::extract(value, t)?;
    let (items, is_tuple) = parse_index(index)?;
    if !is_tuple {
        match items.first() {
            // A lone False selects nothing; a lone True or None only adds a dim.
            Some(Item::Bool(false)) => return Ok(()),
            Some(Item::Bool(true)) => return assign_view(&t.unsqueeze(0).py()?, value),
            _ => {}
        }
    }
    let sliced = apply(t, &items, true)?;
    let mut indices = sliced.indices;
    while indices.last().is_some_and(|i| i.is_none()) {
        indices.pop();
    }
    if indices.is_empty() {
        return assign_view(&sliced.view, value);
    }
    let target = &sliced.view;
    match value {
        Value::Number(s) => {
            if let Some(mask) = fill_mask(target, &indices)? {
                return target.masked_fill_(&mask, &Tensor::wrapped_number(s)).py();
            }
            if let Some((dim, index)) = fill_index(&indices)? {
                return target.index_fill_(dim as i64, &index, s).py();
            }
            target.index_put_(&indices, &Tensor::scalar_tensor(s, target.dtype()), false).py()
        }
        Value::Tensor(v) => target.index_put_(&indices, &strip_leading_ones(&v)?, false).py(),
    }
}

/// What is assigned: a Python number or a tensor.
enum Value {
    Number(Scalar),
    Tensor(Tensor),
}

impl Value {
    fn extract(obj: &Bound<'_, PyAny>, target: &Tensor) -> PyResult<Value> {
        if let Ok(t) = obj.cast::<PyTensor>() {
            return Ok(Value::Tensor(t.get().inner.clone()));
        }
        if let Some(s) = crate::convert::scalar_from(obj)? {
            return Ok(Value::Number(s));
        }
        let type_name = obj.get_type().name().map(|n| n.to_string()).unwrap_or_default();
        Err(PyTypeError::new_err(format!("can't assign a {type_name} to a {}", target.dtype().legacy_type_name())))
    }
}

/// Writes `value` through a view made by basic indexing (copy_ semantics).
fn assign_view(view: &Tensor, value: Value) -> PyResult<()> {
    match value {
        Value::Number(s) => view.fill_(s).py(),
        Value::Tensor(v) => view.copy_(&strip_leading_ones(&v)?).py(),
    }
}

/// numpy's rule for assigned values: leading dims of size 1 are dropped.
fn strip_leading_ones(v: &Tensor) -> PyResult<Tensor> {
    let lead = v.shape().iter().take_while(|&&s| s == 1).count();
    if lead == 0 {
        return Ok(v.clone());
    }
    let kept: Vec<i64> = v.shape()[lead..].iter().map(|&s| s as i64).collect();
    v.view(&kept).py()
}

/// The mask `masked_fill_` takes when the only index is one bool mask
/// (unsqueezed over the dims after it), else None.
fn fill_mask(target: &Tensor, indices: &[Option<Tensor>]) -> PyResult<Option<Tensor>> {
    let mut present = indices.iter().enumerate().filter_map(|(p, t)| t.as_ref().map(|t| (p, t)));
    let (Some((before, mask)), None) = (present.next(), present.next()) else { return Ok(None) };
    if mask.dtype() != DType::Bool {
        return Ok(None);
    }
    let shape = target.shape();
    for (j, &size) in mask.shape().iter().enumerate() {
        if shape.get(before + j) != Some(&size) {
            return Err(PyIndexError::new_err(format!(
                "The shape of the mask {:?} at index {j} does not match the shape of the indexed tensor {:?} at index {}",
                mask.shape(),
                shape,
                before + j
            )));
        }
    }
    let mut mask = mask.clone();
    for _ in before + mask.ndim()..shape.len() {
        mask = mask.unsqueeze(-1).py()?;
    }
    Ok(Some(mask))
}

/// The dim and flat index `index_fill_` takes when the only index is one long tensor, else None.
fn fill_index(indices: &[Option<Tensor>]) -> PyResult<Option<(usize, Tensor)>> {
    let mut present = indices.iter().enumerate().filter_map(|(p, t)| t.as_ref().map(|t| (p, t)));
    let (Some((dim, index)), None) = (present.next(), present.next()) else { return Ok(None) };
    if index.dtype() != DType::I64 || (index.ndim() > 1 && !index.is_contiguous()) {
        return Ok(None);
    }
    let flat = if index.ndim() > 1 { index.view(&[-1]).py()? } else { index.clone() };
    Ok(Some((dim, flat)))
}

/// The items of an index and whether it was a tuple (or a sequence read as one).
fn parse_index<'py>(index: &Bound<'py, PyAny>) -> PyResult<(Vec<Item<'py>>, bool)> {
    if let Ok(tuple) = index.cast::<PyTuple>() {
        return Ok((tuple.iter().map(|item| parse(&item)).collect::<PyResult<_>>()?, true));
    }
    if sequence_as_tuple(index)? {
        let py = index.py();
        let warning = py.get_type::<PyUserWarning>();
        PyErr::warn(py, &warning, c"Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error or a different result", 1)?;
        let items = index.try_iter()?.map(|item| parse(&item?)).collect::<PyResult<_>>()?;
        return Ok((items, true));
    }
    Ok((vec![parse(index)?], false))
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
    if obj.is_instance_of::<PyBool>() {
        return Ok(Item::Bool(obj.is_truthy()?));
    }
    if let Ok(t) = obj.cast::<PyTensor>() {
        return tensor_index(&t.get().inner);
    }
    if is_sequence(obj)? {
        return sequence_index(obj);
    }
    // PyTorch tries to build an index tensor from a string and fails so.
    if obj.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err("new(): invalid data type 'str'"));
    }
    if obj.hasattr("__index__")? {
        return obj.extract::<i64>().map(Item::Int).map_err(|_| PyValueError::new_err("Overflow when unpacking long long"));
    }
    let type_name = obj.get_type().name().map(|n| n.to_string()).unwrap_or_default();
    Err(PyIndexError::new_err(format!(
        "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got {type_name})"
    )))
}

/// A 0-d integer tensor indexes like an int and a 0-d bool like a bool; others are index tensors.
fn tensor_index(t: &Tensor) -> PyResult<Item<'static>> {
    match (t.dtype(), t.ndim()) {
        (DType::F32 | DType::F64, _) => Err(PyIndexError::new_err("tensors used as indices must be long, int, byte or bool tensors")),
        // A 0-d uint8 index is a mask, as bool is (deprecated in PyTorch, still accepted).
        (DType::Bool | DType::U8, 0) => Ok(Item::Bool(t.item().py()?.to_f64() != 0.0)),
        (d, 0) if d.category() == ferrograd::Category::Integral => match t.item().py()? {
            Scalar::Int(i) => Ok(Item::Int(i)),
            other => Ok(Item::Int(other.to_f64() as i64)),
        },
        _ => Ok(Item::Tensor(t.clone())),
    }
}

/// A list (or array) index: bools make a mask, anything else long indices.
fn sequence_index(obj: &Bound<'_, PyAny>) -> PyResult<Item<'static>> {
    let t = crate::convert::tensor_from_data(obj, None)?;
    let t = if t.dtype() == DType::Bool { t } else { t.cast(DType::I64).py()? };
    Ok(Item::Tensor(t))
}

/// Applies the basic items left to right and collects the advanced ones;
/// with `skip_full_slices`, slices that span their whole dim are skipped.
fn apply(t: &Tensor, items: &[Item<'_>], skip_full_slices: bool) -> PyResult<Sliced> {
    let nd = t.ndim();
    let named: usize = items.iter().map(Item::dims_named).sum();
    if named > nd {
        let only_ints = items.iter().all(|i| matches!(i, Item::Int(_) | Item::Slice(_) | Item::NewAxis | Item::Ellipsis));
        return Err(PyIndexError::new_err(if nd == 0 && only_ints {
            "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number".to_string()
        } else {
            format!("too many indices for tensor of dimension {nd}")
        }));
    }
    let mut cur: Option<Tensor> = None;
    let mut indices: Vec<Option<Tensor>> = Vec::new();
    let mut dim = 0usize;
    // Before the first index tensor, skipped dims need no entries; after it, each takes one.
    let pad = |indices: &mut Vec<Option<Tensor>>, n: usize| {
        if !indices.is_empty() {
            indices.extend(std::iter::repeat_n(None, n));
        }
    };
    for (position, item) in items.iter().enumerate() {
        let base = cur.as_ref().unwrap_or(t);
        match item {
            Item::Int(i) => cur = Some(select(base, dim, *i, position)?),
            Item::Slice(s) => {
                if let Some(view) = slice(base, dim, s, skip_full_slices)? {
                    cur = Some(view);
                }
                dim += 1;
                pad(&mut indices, 1);
            }
            Item::NewAxis => {
                cur = Some(base.unsqueeze(dim as i64).py()?);
                dim += 1;
                pad(&mut indices, 1);
            }
            // Each ellipsis stands for the dims no index names (PyTorch accepts several).
            Item::Ellipsis => {
                dim += nd - named;
                pad(&mut indices, nd - named);
            }
            Item::Bool(keep) => {
                cur = Some(base.unsqueeze(dim as i64).py()?);
                let picked: Vec<i64> = if *keep { vec![0] } else { vec![] };
                let n = picked.len();
                record(&mut indices, &mut dim, Tensor::from_vec(picked, &[n]).py()?);
            }
            Item::Tensor(index) => record(&mut indices, &mut dim, index.clone()),
        }
    }
    // Trailing empty entries index nothing; a second ellipsis can leave more
    // of them than the view has dims, which PyTorch ignores.
    while matches!(indices.last(), Some(None)) {
        indices.pop();
    }
    let is_view = cur.is_some();
    Ok(Sliced { view: cur.unwrap_or_else(|| t.clone()), indices, is_view })
}

/// Adds an index tensor at `dim` (PyTorch's recordTensorIndex).
fn record(indices: &mut Vec<Option<Tensor>>, dim: &mut usize, index: Tensor) {
    if indices.is_empty() {
        indices.resize(*dim, None);
    }
    *dim += if index.dtype() == DType::Bool { index.ndim() } else { 1 };
    indices.push(Some(index));
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
