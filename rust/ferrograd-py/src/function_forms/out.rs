//! `out=`: the result is written into the caller's tensor, which is then
//! returned as the same Python object, with PyTorch's checks.

use crate::errors::IntoPyResult;
use crate::tensor::{type_name, PyTensor};
use ferrograd::{DType, Tensor};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;

/// How a result that cannot be cast to `out`'s dtype is refused. Either way
/// PyTorch's `canCast` decides: no floating result into an integral or bool
/// `out`, no non-bool result into a bool `out`.
#[derive(Clone, Copy)]
pub(crate) enum Cast {
    /// RuntimeError "result type Float can't be cast to ...".
    Result,
    /// TypeError "torch.cat(): input types can't be cast to ...", as the
    /// joining functions (`stack` included) say it.
    Joined,
}

/// The `out` argument: absent, None, or a Tensor (TypeError otherwise).
/// Checked before computing, as PyTorch's argument parser does.
pub(crate) fn target<'a, 'py>(op: &str, out: Option<&'a Bound<'py, PyAny>>) -> PyResult<Option<&'a Bound<'py, PyTensor>>> {
    match out.filter(|o| !o.is_none()) {
        None => Ok(None),
        Some(o) => o.cast::<PyTensor>().map(Some).map_err(|_| PyTypeError::new_err(format!("{op}(): argument 'out' must be Tensor, not {}", type_name(o)))),
    }
}

/// `result` as is without `out`; otherwise written into `out`, which is returned.
pub(crate) fn finish(py: Python<'_>, op: &str, result: PyResult<Py<PyAny>>, out: Option<&Bound<'_, PyTensor>>, cast: Cast) -> PyResult<Py<PyAny>> {
    let Some(out) = out else { return result };
    let result = result?;
    let Ok(r) = result.bind(py).cast::<PyTensor>() else {
        return Err(PyTypeError::new_err(format!("{op}(): out= is supported only where the result is one tensor")));
    };
    write(py, op, &r.get().inner, &out.get().inner, cast)?;
    Ok(out.clone().into_any().unbind())
}

/// Whether PyTorch's `canCast(from, to)` holds.
fn can_cast(from: DType, to: DType) -> bool {
    let integral = |d: DType| !d.is_floating_point();
    !(from.is_floating_point() && integral(to)) && !(from != DType::Bool && to == DType::Bool)
}

fn write(py: Python<'_>, op: &str, result: &Tensor, out: &Tensor, cast: Cast) -> PyResult<()> {
    // The result's history cannot flow into `out`: PyTorch refuses rather
    // than leave `out` silently detached from the graph.
    if ferrograd::autograd::is_grad_enabled() && (result.requires_grad() || out.requires_grad()) {
        return Err(PyRuntimeError::new_err(format!(
            "{op}(): functions with out=... arguments don't support automatic differentiation, but one of the arguments requires grad."
        )));
    }
    if !can_cast(result.dtype(), out.dtype()) {
        let (from, to) = (result.dtype().scalar_type_name(), out.dtype().scalar_type_name());
        return Err(match cast {
            Cast::Result => PyRuntimeError::new_err(format!("result type {from} can't be cast to the desired output type {to}")),
            Cast::Joined => PyTypeError::new_err(format!("torch.cat(): input types can't be cast to the desired output type {to}")),
        });
    }
    if out.shape() != result.shape() {
        resize(py, out, &result.shape())?;
    }
    crate::gil::update_in_place(py, result.numel(), || out.copy_(result))
}

/// Gives `out` the result's shape, warning as PyTorch does unless `out` was empty.
fn resize(py: Python<'_>, out: &Tensor, shape: &[usize]) -> PyResult<()> {
    if out.numel() != 0 {
        let message = format!(
            "An output with one or more elements was resized since it had shape {:?}, which does not match the required output shape {:?}. \
             This behavior is deprecated, and in a future PyTorch release outputs will not be resized unless they have zero elements. \
             You can explicitly reuse an out tensor t by resizing it, inplace, to zero elements with t.resize_(0).",
            &*out.shape(),
            shape
        );
        let message = std::ffi::CString::new(message).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        PyErr::warn(py, &py.get_type::<pyo3::exceptions::PyUserWarning>(), &message, 1)?;
    }
    let sizes: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
    out.resize_(&sizes).py()
}
