//! Tensor methods for the reductions beyond sum and mean: prod, max/min,
//! amax/amin, argmax/argmin, var/std, logsumexp, norm, cumsum/cumprod,
//! all/any. The function forms (`function_forms`) call these same methods;
//! values-and-indices results are built as `ferrograd.return_types` named
//! tuples.

use crate::convert::{opt_dtype, scalar_from};
use crate::errors::IntoPyResult;
use crate::function_forms::aliases;
use crate::gil::{compute_tensor, run_detached_if_large};
use crate::tensor::{type_name, wrap, PyTensor};
use ferrograd::Tensor;
use pyo3::exceptions::{PyNotImplementedError, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyString, PyTuple};

/// `op(x)` wrapped for Python, detached from the interpreter when `x` is large.
fn reduced(py: Python<'_>, x: &Tensor, op: impl FnOnce(&Tensor) -> ferrograd::Result<Tensor> + Send) -> PyResult<Py<PyAny>> {
    compute_tensor(py, x.numel(), || op(x))
}


/// Given and not None.
fn given<'a, 'py>(obj: Option<&'a Bound<'py, PyAny>>) -> Option<&'a Bound<'py, PyAny>> {
    obj.filter(|o| !o.is_none())
}

/// A `dim` that must be one int (bools are not dims).
fn int_dim(obj: &Bound<'_, PyAny>, op: &str) -> PyResult<i64> {
    if !obj.is_instance_of::<PyBool>() {
        if let Ok(d) = obj.extract::<i64>() {
            return Ok(d);
        }
    }
    Err(PyTypeError::new_err(format!("{op}(): argument 'dim' must be int, not {}", type_name(obj))))
}

/// A `dim` given as an int or a tuple/list of ints; `None` when absent or None.
fn dims_list(obj: Option<&Bound<'_, PyAny>>, op: &str) -> PyResult<Option<Vec<i64>>> {
    let Some(obj) = given(obj) else { return Ok(None) };
    if let Ok(d) = int_dim(obj, op) {
        return Ok(Some(vec![d]));
    }
    obj.extract::<Vec<i64>>()
        .map(Some)
        .map_err(|_| PyTypeError::new_err(format!("{op}(): argument 'dim' must be tuple of ints, not {}", type_name(obj))))
}

/// `self` converted to `dtype=` first, when one is given.
fn with_dtype(py: Python<'_>, t: &Tensor, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Tensor> {
    match opt_dtype(dtype)? {
        Some(d) => run_detached_if_large(py, t.numel(), || t.to_dtype(d)).py(),
        None => Ok(t.clone()),
    }
}

/// `op` (a sum or product) with PyTorch's `dtype=` keyword.
pub(crate) fn reduced_in(py: Python<'_>, t: &Tensor, dtype: Option<&Bound<'_, PyAny>>, op: impl FnOnce(&Tensor) -> ferrograd::Result<Tensor> + Send) -> PyResult<Py<PyAny>> {
    let dtype = opt_dtype(dtype)?;
    compute_tensor(py, t.numel(), || t.reduced_in(dtype, op))
}

static RETURN_TYPES: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `ferrograd.return_types.<name>((values, indices))`.
fn values_and_indices(py: Python<'_>, name: &str, pair: (Tensor, Tensor)) -> PyResult<Py<PyAny>> {
    let module = RETURN_TYPES.get_or_try_init(py, || -> PyResult<_> { Ok(py.import("ferrograd.return_types")?.into_any().unbind()) })?;
    let items = PyTuple::new(py, [wrap(py, pair.0)?, wrap(py, pair.1)?])?;
    Ok(module.bind(py).getattr(name)?.call1((items,))?.unbind())
}

/// max/min: the whole tensor, along a dim (values and indices), or the
/// elementwise extreme against another tensor (delegated to maximum/minimum).
fn extreme(slf: &Bound<'_, PyTensor>, dim: Option<&Bound<'_, PyAny>>, keepdim: Option<bool>, max: bool) -> PyResult<Py<PyAny>> {
    let py = slf.py();
    let (name, elementwise) = if max { ("max", "maximum") } else { ("min", "minimum") };
    let t = &slf.get().inner;
    match given(dim) {
        None if keepdim.is_some() => Err(PyTypeError::new_err(format!("{name}() received an invalid combination of arguments - got (keepdim=bool, )"))),
        None => reduced(py, t, |t| if max { t.max_all() } else { t.min_all() }),
        Some(other) if other.is_instance_of::<PyTensor>() => {
            if !slf.hasattr(elementwise)? {
                return Err(PyNotImplementedError::new_err(format!("{name}(input, other) needs Tensor.{elementwise}, which this build lacks")));
            }
            Ok(slf.call_method1(elementwise, (other,))?.unbind())
        }
        Some(d) => {
            let d = int_dim(d, name)?;
            let keepdim = keepdim.unwrap_or(false);
            let pair = run_detached_if_large(py, t.numel(), || if max { t.max_dim(d, keepdim) } else { t.min_dim(d, keepdim) }).py()?;
            values_and_indices(py, name, pair)
        }
    }
}

/// var/std arguments: `(dim, unbiased, keepdim, *, correction)`, where a
/// lone bool in `dim`'s place is `unbiased` (the `var(unbiased)` overload).
fn correction_and_dims(op: &str, dim: Option<&Bound<'_, PyAny>>, unbiased: Option<bool>, correction: Option<&Bound<'_, PyAny>>) -> PyResult<(Option<Vec<i64>>, f64)> {
    let (dim, unbiased) = match given(dim) {
        Some(d) if d.is_instance_of::<PyBool>() => {
            if unbiased.is_some() {
                return Err(PyTypeError::new_err(format!("{op}() received an invalid combination of arguments - got (bool, bool)")));
            }
            (None, Some(d.extract::<bool>()?))
        }
        other => (other, unbiased),
    };
    let correction = match (given(correction), unbiased) {
        (Some(_), Some(_)) => {
            return Err(PyTypeError::new_err(format!("{op}() received an invalid combination of arguments - got both 'unbiased' and 'correction'")));
        }
        (Some(c), None) => scalar_from(c)?.ok_or_else(|| PyTypeError::new_err(format!("{op}(): argument 'correction' must be Number, not {}", type_name(c))))?.to_f64(),
        (None, Some(u)) => f64::from(u8::from(u)),
        (None, None) => 1.0,
    };
    Ok((dims_list(dim, op)?, correction))
}

/// `p` of torch.norm: a number, or 'fro' (the 2-norm over at most two dims).
fn norm_order(p: Option<&Bound<'_, PyAny>>, dims: Option<&[i64]>) -> PyResult<f64> {
    let Some(p) = given(p) else { return Ok(2.0) };
    if let Ok(s) = p.cast::<PyString>() {
        // `to_cow`: `to_str` is not in the limited API before Python 3.10.
        let s = s.to_cow()?;
        return match s.as_ref() {
            "fro" if dims.is_none_or(|d| d.len() <= 2) => Ok(2.0),
            "fro" => Err(PyRuntimeError::new_err(format!(
                "linalg.matrix_norm: dim must be a 2-tuple. Got {}",
                dims.unwrap_or(&[]).iter().map(|d| d.to_string()).collect::<Vec<_>>().join(" ")
            ))),
            "nuc" => Err(PyNotImplementedError::new_err("norm(): the nuclear norm ('nuc') is not supported")),
            other => Err(PyRuntimeError::new_err(format!("linalg.matrix_norm: Order {other} not supported."))),
        };
    }
    if let Ok(t) = p.cast::<PyTensor>() {
        return Ok(t.get().inner.item().py()?.to_f64());
    }
    match scalar_from(p)? {
        Some(s) => Ok(s.to_f64()),
        None => Err(PyTypeError::new_err(format!("norm(): argument 'p' must be Number or str, not {}", type_name(p)))),
    }
}

#[pymethods]
impl PyTensor {
    #[pyo3(signature = (dim=None, keepdim=None, *, dtype=None, axis=None, keepdims=None))]
    pub(crate) fn prod(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: Option<bool>, dtype: Option<&Bound<'_, PyAny>>, axis: Option<&Bound<'_, PyAny>>, keepdims: Option<bool>) -> PyResult<Py<PyAny>> {
        let (dim, keepdim) = aliases::resolve("prod", dim, axis, keepdim, keepdims)?;
        match given(dim) {
            None => reduced_in(py, &self.inner, dtype, |x| x.prod()),
            Some(d) => {
                let d = int_dim(d, "prod")?;
                reduced_in(py, &self.inner, dtype, |x| x.prod_dim(d, keepdim))
            }
        }
    }

    #[pyo3(signature = (dim=None, keepdim=None, *, axis=None, keepdims=None))]
    pub(crate) fn max(slf: &Bound<'_, Self>, dim: Option<&Bound<'_, PyAny>>, keepdim: Option<bool>, axis: Option<&Bound<'_, PyAny>>, keepdims: Option<bool>) -> PyResult<Py<PyAny>> {
        extreme(slf, aliases::dim_or_axis("max", dim, axis)?, aliases::keepdim_or_keepdims("max", keepdim, keepdims)?, true)
    }

    #[pyo3(signature = (dim=None, keepdim=None, *, axis=None, keepdims=None))]
    pub(crate) fn min(slf: &Bound<'_, Self>, dim: Option<&Bound<'_, PyAny>>, keepdim: Option<bool>, axis: Option<&Bound<'_, PyAny>>, keepdims: Option<bool>) -> PyResult<Py<PyAny>> {
        extreme(slf, aliases::dim_or_axis("min", dim, axis)?, aliases::keepdim_or_keepdims("min", keepdim, keepdims)?, false)
    }

    #[pyo3(signature = (dim=None, keepdim=None, *, axis=None, keepdims=None))]
    pub(crate) fn amax(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: Option<bool>, axis: Option<&Bound<'_, PyAny>>, keepdims: Option<bool>) -> PyResult<Py<PyAny>> {
        let (dim, keepdim) = aliases::resolve("amax", dim, axis, keepdim, keepdims)?;
        let dims = dims_list(dim, "amax")?;
        reduced(py, &self.inner, |x| x.amax(dims.as_deref(), keepdim))
    }

    #[pyo3(signature = (dim=None, keepdim=None, *, axis=None, keepdims=None))]
    pub(crate) fn amin(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: Option<bool>, axis: Option<&Bound<'_, PyAny>>, keepdims: Option<bool>) -> PyResult<Py<PyAny>> {
        let (dim, keepdim) = aliases::resolve("amin", dim, axis, keepdim, keepdims)?;
        let dims = dims_list(dim, "amin")?;
        reduced(py, &self.inner, |x| x.amin(dims.as_deref(), keepdim))
    }

    #[pyo3(signature = (dim=None, keepdim=None, *, axis=None, keepdims=None))]
    pub(crate) fn argmax(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: Option<bool>, axis: Option<&Bound<'_, PyAny>>, keepdims: Option<bool>) -> PyResult<Py<PyAny>> {
        let (dim, keepdim) = aliases::resolve("argmax", dim, axis, keepdim, keepdims)?;
        let dim = given(dim).map(|d| int_dim(d, "argmax")).transpose()?;
        reduced(py, &self.inner, |x| x.argmax(dim, keepdim))
    }

    #[pyo3(signature = (dim=None, keepdim=None, *, axis=None, keepdims=None))]
    pub(crate) fn argmin(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: Option<bool>, axis: Option<&Bound<'_, PyAny>>, keepdims: Option<bool>) -> PyResult<Py<PyAny>> {
        let (dim, keepdim) = aliases::resolve("argmin", dim, axis, keepdim, keepdims)?;
        let dim = given(dim).map(|d| int_dim(d, "argmin")).transpose()?;
        reduced(py, &self.inner, |x| x.argmin(dim, keepdim))
    }

    #[pyo3(signature = (dim=None, unbiased=None, keepdim=None, *, correction=None, axis=None, keepdims=None))]
    pub(crate) fn var(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, unbiased: Option<bool>, keepdim: Option<bool>, correction: Option<&Bound<'_, PyAny>>, axis: Option<&Bound<'_, PyAny>>, keepdims: Option<bool>) -> PyResult<Py<PyAny>> {
        let (dim, keepdim) = aliases::resolve("var", dim, axis, keepdim, keepdims)?;
        let (dims, correction) = correction_and_dims("var", dim, unbiased, correction)?;
        reduced(py, &self.inner, |x| x.var_dims(dims.as_deref(), correction, keepdim))
    }

    #[pyo3(signature = (dim=None, unbiased=None, keepdim=None, *, correction=None, axis=None, keepdims=None))]
    pub(crate) fn std(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, unbiased: Option<bool>, keepdim: Option<bool>, correction: Option<&Bound<'_, PyAny>>, axis: Option<&Bound<'_, PyAny>>, keepdims: Option<bool>) -> PyResult<Py<PyAny>> {
        let (dim, keepdim) = aliases::resolve("std", dim, axis, keepdim, keepdims)?;
        let (dims, correction) = correction_and_dims("std", dim, unbiased, correction)?;
        reduced(py, &self.inner, |x| x.std_dims(dims.as_deref(), correction, keepdim))
    }

    #[pyo3(signature = (dim=None, keepdim=None, *, axis=None, keepdims=None))]
    pub(crate) fn logsumexp(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: Option<bool>, axis: Option<&Bound<'_, PyAny>>, keepdims: Option<bool>) -> PyResult<Py<PyAny>> {
        let (dim, keepdim) = aliases::resolve("logsumexp", dim, axis, keepdim, keepdims)?;
        let dims = dims_list(Some(aliases::required_dim("logsumexp", dim, None)?), "logsumexp")?.ok_or_else(|| PyTypeError::new_err("logsumexp(): argument 'dim' must be tuple of ints, not NoneType"))?;
        reduced(py, &self.inner, |x| x.logsumexp(&dims, keepdim))
    }

    #[pyo3(signature = (p=None, dim=None, keepdim=false, dtype=None))]
    pub(crate) fn norm(&self, py: Python<'_>, p: Option<&Bound<'_, PyAny>>, dim: Option<&Bound<'_, PyAny>>, keepdim: bool, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let dims = dims_list(dim, "norm")?;
        let ord = norm_order(p, dims.as_deref())?;
        reduced(py, &with_dtype(py, &self.inner, dtype)?, |x| x.vector_norm(ord, dims.as_deref(), keepdim))
    }

    #[pyo3(signature = (dim=None, *, dtype=None, axis=None))]
    pub(crate) fn cumsum(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, dtype: Option<&Bound<'_, PyAny>>, axis: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let dim = int_dim(aliases::required_dim("cumsum", dim, axis)?, "cumsum")?;
        reduced_in(py, &self.inner, dtype, |x| x.cumsum(dim))
    }

    #[pyo3(signature = (dim=None, *, dtype=None, axis=None))]
    pub(crate) fn cumprod(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, dtype: Option<&Bound<'_, PyAny>>, axis: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let dim = int_dim(aliases::required_dim("cumprod", dim, axis)?, "cumprod")?;
        reduced_in(py, &self.inner, dtype, |x| x.cumprod(dim))
    }

    #[pyo3(signature = (dim=None, keepdim=None, *, axis=None, keepdims=None))]
    pub(crate) fn all(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: Option<bool>, axis: Option<&Bound<'_, PyAny>>, keepdims: Option<bool>) -> PyResult<Py<PyAny>> {
        let (dim, keepdim) = aliases::resolve("all", dim, axis, keepdim, keepdims)?;
        let dims = dims_list(dim, "all")?;
        reduced(py, &self.inner, |x| x.all_dims(dims.as_deref(), keepdim))
    }

    #[pyo3(signature = (dim=None, keepdim=None, *, axis=None, keepdims=None))]
    pub(crate) fn any(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: Option<bool>, axis: Option<&Bound<'_, PyAny>>, keepdims: Option<bool>) -> PyResult<Py<PyAny>> {
        let (dim, keepdim) = aliases::resolve("any", dim, axis, keepdim, keepdims)?;
        let dims = dims_list(dim, "any")?;
        reduced(py, &self.inner, |x| x.any_dims(dims.as_deref(), keepdim))
    }
}
