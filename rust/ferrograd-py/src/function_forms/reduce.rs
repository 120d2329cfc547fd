//! Reduction and softmax function forms, with `axis`/`keepdims` aliases.

use super::{forms, tensor_input};
use crate::convert::{dtype_object, opt_dtype};
use crate::tensor::PyTensor;

use ferrograd::DType;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

type Opt<'a, 'py> = Option<&'a Bound<'py, PyAny>>;

forms! { register_reductions, tensor_input;
    sum(input, dim: Opt = None, keepdim: Option<bool> = None; dtype: Opt = None, axis: Opt = None, keepdims: Option<bool> = None) out Result => |x, py, out_dtype| x.get().sum(py, dim, keepdim, accumulate_in(py, dtype, out_dtype)?.as_ref(), axis, keepdims);
    mean(input, dim: Opt = None, keepdim: Option<bool> = None; dtype: Opt = None, axis: Opt = None, keepdims: Option<bool> = None) out Result => |x, py| x.get().mean(py, dim, keepdim, dtype, axis, keepdims);
    prod(input, dim: Opt = None, keepdim: Option<bool> = None; dtype: Opt = None, axis: Opt = None, keepdims: Option<bool> = None) out Result => |x, py, out_dtype| x.get().prod(py, dim, keepdim, accumulate_in(py, dtype, out_dtype)?.as_ref(), axis, keepdims);
    amax(input, dim: Opt = None, keepdim: Option<bool> = None; axis: Opt = None, keepdims: Option<bool> = None) out Result => |x, py| x.get().amax(py, dim, keepdim, axis, keepdims);
    amin(input, dim: Opt = None, keepdim: Option<bool> = None; axis: Opt = None, keepdims: Option<bool> = None) out Result => |x, py| x.get().amin(py, dim, keepdim, axis, keepdims);
    argmax(input, dim: Opt = None, keepdim: Option<bool> = None; axis: Opt = None, keepdims: Option<bool> = None) out Result => |x, py| x.get().argmax(py, dim, keepdim, axis, keepdims);
    argmin(input, dim: Opt = None, keepdim: Option<bool> = None; axis: Opt = None, keepdims: Option<bool> = None) out Result => |x, py| x.get().argmin(py, dim, keepdim, axis, keepdims);
    max(input, dim: Opt = None, keepdim: Option<bool> = None; other: Opt = None, axis: Opt = None, keepdims: Option<bool> = None) out Result => |x, _py| PyTensor::max(&x, dim.or(other), keepdim, axis, keepdims);
    min(input, dim: Opt = None, keepdim: Option<bool> = None; other: Opt = None, axis: Opt = None, keepdims: Option<bool> = None) out Result => |x, _py| PyTensor::min(&x, dim.or(other), keepdim, axis, keepdims);
    var(input, dim: Opt = None, unbiased: Option<bool> = None, keepdim: Option<bool> = None; correction: Opt = None, axis: Opt = None, keepdims: Option<bool> = None) out Result => |x, py| x.get().var(py, dim, unbiased, keepdim, correction, axis, keepdims);
    std_ as "std" (input, dim: Opt = None, unbiased: Option<bool> = None, keepdim: Option<bool> = None; correction: Opt = None, axis: Opt = None, keepdims: Option<bool> = None) out Result => |x, py| x.get().std(py, dim, unbiased, keepdim, correction, axis, keepdims);
    logsumexp(input, dim: Opt = None, keepdim: Option<bool> = None; axis: Opt = None, keepdims: Option<bool> = None) out Result => |x, py| x.get().logsumexp(py, dim, keepdim, axis, keepdims);
    all(input, dim: Opt = None, keepdim: Option<bool> = None; axis: Opt = None, keepdims: Option<bool> = None) out Result => |x, py| x.get().all(py, dim, keepdim, axis, keepdims);
    any(input, dim: Opt = None, keepdim: Option<bool> = None; axis: Opt = None, keepdims: Option<bool> = None) out Result => |x, py| x.get().any(py, dim, keepdim, axis, keepdims);
    norm(input, p: Opt = None, dim: Opt = None, keepdim: bool = false; dtype: Opt = None) out Result => |x, py| x.get().norm(py, p, dim, keepdim, dtype);
    cumsum(input, dim: Opt = None; dtype: Opt = None, axis: Opt = None) out Result => |x, py, out_dtype| x.get().cumsum(py, dim, accumulate_in(py, dtype, out_dtype)?.as_ref(), axis);
    cumprod(input, dim: Opt = None; dtype: Opt = None, axis: Opt = None) out Result => |x, py, out_dtype| x.get().cumprod(py, dim, accumulate_in(py, dtype, out_dtype)?.as_ref(), axis);
    softmax(input, dim: i64, dtype: Opt = None) => |x, py| x.get().softmax(py, dim, dtype);
    log_softmax(input, dim: i64, dtype: Opt = None) => |x, py| x.get().log_softmax(py, dim, dtype);
}

/// The dtype a sum or product accumulates in: `dtype=`, else `out`'s
/// (PyTorch reduces in `out`'s dtype), else the input's (None).
fn accumulate_in<'py>(py: Python<'py>, dtype: Opt<'_, 'py>, out: Option<DType>) -> PyResult<Option<Bound<'py, PyAny>>> {
    match (opt_dtype(dtype)?, out) {
        (Some(d), Some(o)) if d != o => Err(PyRuntimeError::new_err(format!(
            "Expected out tensor to have dtype {}, but got {} instead",
            d.c_type_name(),
            o.c_type_name()
        ))),
        (Some(_), _) => Ok(dtype.cloned()),
        (None, Some(o)) => Ok(Some(dtype_object(py, o)?.into_any())),
        (None, None) => Ok(None),
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    register_reductions(m)
}
