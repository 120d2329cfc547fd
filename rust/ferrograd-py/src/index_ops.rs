//! Bindings for the index ops: `__setitem__`, index_put, index_select,
//! index_add, index_fill, gather, scatter, scatter_add, masked_fill,
//! masked_select, take_along_dim and nonzero, with their in-place forms.
//! The function forms (`torch.gather(x, ...)`) are these methods, bound in
//! the Python package. Argument parsing only: each call is one core call.

use crate::errors::IntoPyResult;
use crate::gil::{compute_tensor, run_detached_if_large, update_in_place};
use crate::tensor::{tensor_arg, type_name, wrap, Operand, PyTensor};
use ferrograd::{Scalar, Tensor};
use pyo3::exceptions::{PyNotImplementedError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};




/// Elements an index op touches: the most held by any of its tensors.
fn work(tensors: &[&Tensor]) -> usize {
    tensors.iter().map(|t| t.numel()).max().unwrap_or(0)
}

/// The elements of index_put's index tensors, at most.
fn indices_work(indices: &[Option<Tensor>]) -> usize {
    indices.iter().flatten().map(Tensor::numel).max().unwrap_or(0)
}

/// A number argument (a one-element tensor is read as its value).
fn number_arg(obj: &Bound<'_, PyAny>, op: &str, name: &str) -> PyResult<Scalar> {
    match Operand::extract(obj)? {
        Some(Operand::Number(s)) => Ok(s),
        Some(Operand::Tensor(t)) if t.ndim() == 0 => t.item().py(),
        _ => Err(PyTypeError::new_err(format!("{op}(): argument '{name}' must be Number, not {}", type_name(obj)))),
    }
}

/// A number (as a wrapped number) or a tensor: masked_fill's value.
fn value_arg(obj: &Bound<'_, PyAny>, op: &str) -> PyResult<Tensor> {
    match Operand::extract(obj)? {
        Some(o) => Ok(o.into_tensor()),
        None => Err(PyTypeError::new_err(format!("{op}(): argument 'value' (position 2) must be Tensor or Number, not {}", type_name(obj)))),
    }
}

/// index_put's indices: a tuple or list of tensors.
fn indices_arg(obj: &Bound<'_, PyAny>) -> PyResult<Vec<Option<Tensor>>> {
    if !(obj.is_instance_of::<PyTuple>() || obj.is_instance_of::<PyList>()) {
        return Err(PyTypeError::new_err(format!("index_put(): argument 'indices' (position 1) must be tuple of Tensors, not {}", type_name(obj))));
    }
    obj.try_iter()?
        .enumerate()
        .map(|(i, item)| {
            let item = item?;
            item.cast::<PyTensor>()
                .map(|t| Some(t.get().inner.clone()))
                .map_err(|_| PyTypeError::new_err(format!("expected Tensor as element {i} in argument 0, but got {}", type_name(&item))))
        })
        .collect()
}

/// scatter's third argument: `src` (a tensor) or `value` (a number), positional or by keyword.
enum Source {
    Tensor(Tensor),
    Value(Scalar),
}

fn scatter_source(src: Option<&Bound<'_, PyAny>>, value: Option<&Bound<'_, PyAny>>, reduce: Option<&str>, op: &str) -> PyResult<Source> {
    if let Some(r) = reduce {
        return Err(PyNotImplementedError::new_err(format!("{op}(): reduce='{r}' is not supported; use scatter_add or scatter_reduce")));
    }
    match (src, value) {
        (Some(s), None) | (None, Some(s)) => match Operand::extract(s)? {
            Some(Operand::Tensor(t)) => Ok(Source::Tensor(t)),
            Some(Operand::Number(n)) => Ok(Source::Value(n)),
            None => Err(PyTypeError::new_err(format!("{op}(): argument 'src' must be Tensor or Number, not {}", type_name(s)))),
        },
        _ => Err(PyTypeError::new_err(format!("{op}() expects exactly one of 'src' or 'value'"))),
    }
}

fn alpha_arg(alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Scalar> {
    match alpha {
        None => Ok(Scalar::Int(1)),
        Some(a) => number_arg(a, "index_add", "alpha"),
    }
}

#[pymethods]
impl PyTensor {
    pub(crate) fn __setitem__(&self, py: Python<'_>, index: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        crate::indexing::setitem(py, &self.inner, index, value)
    }

    #[pyo3(signature = (indices, values, accumulate=false))]
    pub(crate) fn index_put(&self, py: Python<'_>, indices: &Bound<'_, PyAny>, values: &Bound<'_, PyAny>, accumulate: bool) -> PyResult<Py<PyAny>> {
        let values = tensor_arg(values, "index_put", "values", 2)?;
        let (x, indices) = (&self.inner, indices_arg(indices)?);
        compute_tensor(py, work(&[x, &values]).max(indices_work(&indices)), || x.index_put(&indices, &values, accumulate))
    }
    #[pyo3(signature = (indices, values, accumulate=false))]
    pub(crate) fn index_put_<'py>(slf: Bound<'py, Self>, indices: &Bound<'py, PyAny>, values: &Bound<'py, PyAny>, accumulate: bool) -> PyResult<Bound<'py, Self>> {
        let values = tensor_arg(values, "index_put_", "values", 2)?;
        let (x, indices) = (&slf.get().inner, indices_arg(indices)?);
        update_in_place(slf.py(), work(&[x, &values]).max(indices_work(&indices)), || x.index_put_(&indices, &values, accumulate))?;
        Ok(slf)
    }

    pub(crate) fn index_select(&self, py: Python<'_>, dim: i64, index: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let (x, index) = (&self.inner, tensor_arg(index, "index_select", "index", 2)?);
        compute_tensor(py, work(&[x, &index]), || x.index_select(dim, &index))
    }

    #[pyo3(signature = (dim, index, source, *, alpha=None))]
    pub(crate) fn index_add(&self, py: Python<'_>, dim: i64, index: &Bound<'_, PyAny>, source: &Bound<'_, PyAny>, alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let (index, source) = (tensor_arg(index, "index_add", "index", 2)?, tensor_arg(source, "index_add", "source", 3)?);
        let (x, alpha) = (&self.inner, alpha_arg(alpha)?);
        compute_tensor(py, work(&[x, &index, &source]), || x.index_add(dim, &index, &source, alpha))
    }
    #[pyo3(signature = (dim, index, source, *, alpha=None))]
    pub(crate) fn index_add_<'py>(slf: Bound<'py, Self>, dim: i64, index: &Bound<'py, PyAny>, source: &Bound<'py, PyAny>, alpha: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, Self>> {
        let (index, source) = (tensor_arg(index, "index_add_", "index", 2)?, tensor_arg(source, "index_add_", "source", 3)?);
        let (x, alpha) = (&slf.get().inner, alpha_arg(alpha)?);
        update_in_place(slf.py(), work(&[x, &index, &source]), || x.index_add_(dim, &index, &source, alpha))?;
        Ok(slf)
    }

    pub(crate) fn index_fill(&self, py: Python<'_>, dim: i64, index: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let index = tensor_arg(index, "index_fill", "index", 2)?;
        let (x, value) = (&self.inner, number_arg(value, "index_fill", "value")?);
        compute_tensor(py, work(&[x, &index]), || x.index_fill(dim, &index, value))
    }
    pub(crate) fn index_fill_<'py>(slf: Bound<'py, Self>, dim: i64, index: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let index = tensor_arg(index, "index_fill_", "index", 2)?;
        let (x, value) = (&slf.get().inner, number_arg(value, "index_fill_", "value")?);
        update_in_place(slf.py(), work(&[x, &index]), || x.index_fill_(dim, &index, value))?;
        Ok(slf)
    }

    #[pyo3(signature = (dim, index, *, sparse_grad=false))]
    pub(crate) fn gather(&self, py: Python<'_>, dim: i64, index: &Bound<'_, PyAny>, sparse_grad: bool) -> PyResult<Py<PyAny>> {
        if sparse_grad {
            return Err(PyNotImplementedError::new_err("gather(): sparse_grad=True is not supported"));
        }
        let (x, index) = (&self.inner, tensor_arg(index, "gather", "index", 2)?);
        compute_tensor(py, work(&[x, &index]), || x.gather(dim, &index))
    }

    #[pyo3(signature = (dim, index, src=None, *, value=None, reduce=None))]
    pub(crate) fn scatter(&self, py: Python<'_>, dim: i64, index: &Bound<'_, PyAny>, src: Option<&Bound<'_, PyAny>>, value: Option<&Bound<'_, PyAny>>, reduce: Option<&str>) -> PyResult<Py<PyAny>> {
        let (x, index) = (&self.inner, tensor_arg(index, "scatter", "index", 2)?);
        match scatter_source(src, value, reduce, "scatter")? {
            Source::Tensor(s) => compute_tensor(py, work(&[x, &index, &s]), || x.scatter(dim, &index, &s)),
            Source::Value(v) => compute_tensor(py, work(&[x, &index]), || x.scatter_value(dim, &index, v)),
        }
    }
    #[pyo3(signature = (dim, index, src=None, *, value=None, reduce=None))]
    pub(crate) fn scatter_<'py>(slf: Bound<'py, Self>, dim: i64, index: &Bound<'py, PyAny>, src: Option<&Bound<'py, PyAny>>, value: Option<&Bound<'py, PyAny>>, reduce: Option<&str>) -> PyResult<Bound<'py, Self>> {
        let index = tensor_arg(index, "scatter_", "index", 2)?;
        let x = &slf.get().inner;
        match scatter_source(src, value, reduce, "scatter_")? {
            Source::Tensor(s) => update_in_place(slf.py(), work(&[x, &index, &s]), || x.scatter_(dim, &index, &s))?,
            Source::Value(v) => update_in_place(slf.py(), work(&[x, &index]), || x.scatter_value_(dim, &index, v))?,
        }
        Ok(slf)
    }

    pub(crate) fn scatter_add(&self, py: Python<'_>, dim: i64, index: &Bound<'_, PyAny>, src: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let (index, src) = (tensor_arg(index, "scatter_add", "index", 2)?, tensor_arg(src, "scatter_add", "src", 3)?);
        let x = &self.inner;
        compute_tensor(py, work(&[x, &index, &src]), || x.scatter_add(dim, &index, &src))
    }
    pub(crate) fn scatter_add_<'py>(slf: Bound<'py, Self>, dim: i64, index: &Bound<'py, PyAny>, src: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let (index, src) = (tensor_arg(index, "scatter_add_", "index", 2)?, tensor_arg(src, "scatter_add_", "src", 3)?);
        let x = &slf.get().inner;
        update_in_place(slf.py(), work(&[x, &index, &src]), || x.scatter_add_(dim, &index, &src))?;
        Ok(slf)
    }

    pub(crate) fn masked_fill(&self, py: Python<'_>, mask: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let mask = tensor_arg(mask, "masked_fill", "mask", 1)?;
        let (x, value) = (&self.inner, value_arg(value, "masked_fill")?);
        compute_tensor(py, work(&[x, &mask, &value]), || x.masked_fill(&mask, &value))
    }
    pub(crate) fn masked_fill_<'py>(slf: Bound<'py, Self>, mask: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let mask = tensor_arg(mask, "masked_fill_", "mask", 1)?;
        let (x, value) = (&slf.get().inner, value_arg(value, "masked_fill_")?);
        update_in_place(slf.py(), work(&[x, &mask, &value]), || x.masked_fill_(&mask, &value))?;
        Ok(slf)
    }

    pub(crate) fn masked_select(&self, py: Python<'_>, mask: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let (x, mask) = (&self.inner, tensor_arg(mask, "masked_select", "mask", 1)?);
        compute_tensor(py, work(&[x, &mask]), || x.masked_select(&mask))
    }

    #[pyo3(signature = (indices, dim=None))]
    pub(crate) fn take_along_dim(&self, py: Python<'_>, indices: &Bound<'_, PyAny>, dim: Option<i64>) -> PyResult<Py<PyAny>> {
        let (x, indices) = (&self.inner, tensor_arg(indices, "take_along_dim", "indices", 1)?);
        compute_tensor(py, work(&[x, &indices]), || x.take_along_dim(&indices, dim))
    }

    #[pyo3(signature = (*, as_tuple=false))]
    pub(crate) fn nonzero(&self, py: Python<'_>, as_tuple: bool) -> PyResult<Py<PyAny>> {
        if !as_tuple {
            let x = &self.inner;
            return compute_tensor(py, x.numel(), || x.nonzero());
        }
        nonzero_tuple(py, &self.inner)
    }
}

/// `nonzero(as_tuple=True)`: a tuple with one coordinate vector per dim.
pub fn nonzero_tuple(py: Python<'_>, x: &Tensor) -> PyResult<Py<PyAny>> {
    let parts = run_detached_if_large(py, x.numel(), || x.nonzero_tuple()).py()?.into_iter().map(|t| wrap(py, t)).collect::<PyResult<Vec<_>>>()?;
    Ok(PyTuple::new(py, parts)?.into_any().unbind())
}

/// `torch.index_put(input, indices, values, accumulate=False)`.
#[pyfunction]
#[pyo3(signature = (input, indices, values, accumulate=false))]
fn index_put(py: Python<'_>, input: &Bound<'_, PyAny>, indices: &Bound<'_, PyAny>, values: &Bound<'_, PyAny>, accumulate: bool) -> PyResult<Py<PyAny>> {
    let x = tensor_arg(input, "index_put", "input", 1)?;
    let values = tensor_arg(values, "index_put", "values", 3)?;
    let indices = indices_arg(indices)?;
    compute_tensor(py, work(&[&x, &values]).max(indices_work(&indices)), || x.index_put(&indices, &values, accumulate))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(index_put, m)?)?;
    Ok(())
}
