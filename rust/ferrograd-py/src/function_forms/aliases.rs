//! The numpy-style keyword aliases PyTorch's argument parser accepts on
//! reductions, in both the function and the method forms: `axis` for `dim`
//! and `keepdims` for `keepdim`.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

/// `dim`, or `axis` in its place. PyTorch reads the alias as the same
/// parameter, so giving both is its "unexpected keyword" TypeError.
pub(crate) fn dim_or_axis<'a, 'py>(op: &str, dim: Option<&'a Bound<'py, PyAny>>, axis: Option<&'a Bound<'py, PyAny>>) -> PyResult<Option<&'a Bound<'py, PyAny>>> {
    match (dim, axis) {
        (Some(_), Some(_)) => Err(PyTypeError::new_err(format!("{op}() got an unexpected keyword argument 'axis'"))),
        (d, a) => Ok(d.or(a)),
    }
}

/// A required `dim`, given as `dim` or `axis`, with PyTorch's TypeError when neither is.
pub(crate) fn required_dim<'a, 'py>(op: &str, dim: Option<&'a Bound<'py, PyAny>>, axis: Option<&'a Bound<'py, PyAny>>) -> PyResult<&'a Bound<'py, PyAny>> {
    dim_or_axis(op, dim, axis)?.ok_or_else(|| PyTypeError::new_err(format!("{op}() missing 1 required positional arguments: \"dim\"")))
}

/// `keepdim`, or `keepdims` in its place; absent when neither is given.
pub(crate) fn keepdim_or_keepdims(op: &str, keepdim: Option<bool>, keepdims: Option<bool>) -> PyResult<Option<bool>> {
    match (keepdim, keepdims) {
        (Some(_), Some(_)) => Err(PyTypeError::new_err(format!("{op}() got an unexpected keyword argument 'keepdims'"))),
        (k, ks) => Ok(k.or(ks)),
    }
}

/// Both aliases resolved, `keepdim` defaulting to false.
pub(crate) fn resolve<'a, 'py>(
    op: &str,
    dim: Option<&'a Bound<'py, PyAny>>,
    axis: Option<&'a Bound<'py, PyAny>>,
    keepdim: Option<bool>,
    keepdims: Option<bool>,
) -> PyResult<(Option<&'a Bound<'py, PyAny>>, bool)> {
    Ok((dim_or_axis(op, dim, axis)?, keepdim_or_keepdims(op, keepdim, keepdims)?.unwrap_or(false)))
}
