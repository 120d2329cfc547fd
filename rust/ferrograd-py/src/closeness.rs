//! `isclose`, `allclose`, `equal` as Tensor methods and torch functions,
//! with PyTorch's argument names, defaults and TypeError phrases.

use crate::errors::IntoPyResult;
use crate::gil::{compute_tensor, run_detached_if_large};
use crate::random::float_arg;
use crate::tensor::{tensor_arg, type_name, PyTensor};
use ferrograd::Tensor;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyBool;

/// `rtol`, `atol` and `equal_nan`, checked; absent ones take PyTorch's defaults.
struct Tolerances {
    rtol: f64,
    atol: f64,
    equal_nan: bool,
}

impl Tolerances {
    fn parse(op: &str, rtol: Option<&Bound<'_, PyAny>>, atol: Option<&Bound<'_, PyAny>>, equal_nan: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let float = |obj: Option<&Bound<'_, PyAny>>, name: &str, default: f64| obj.map_or(Ok(default), |o| float_arg(o, op, name));
        let equal_nan = match equal_nan {
            None => false,
            Some(o) => o.cast::<PyBool>().map_err(|_| PyTypeError::new_err(format!("{op}(): argument 'equal_nan' must be bool, not {}", type_name(o))))?.is_true(),
        };
        Ok(Tolerances { rtol: float(rtol, "rtol", 1e-05)?, atol: float(atol, "atol", 1e-08)?, equal_nan })
    }
}

/// The two operands; `first` is where `other` sits among the positional
/// arguments (1 for the method, 2 for the function), for the TypeError.
fn operands(op: &str, input: &Bound<'_, PyAny>, other: &Bound<'_, PyAny>, first: usize) -> PyResult<(Tensor, Tensor)> {
    let a = tensor_arg(input, op, "input", 1)?;
    Ok((a, tensor_arg(other, op, "other", first)?))
}

fn isclose_of(py: Python<'_>, a: &Tensor, b: &Tensor, t: Tolerances) -> PyResult<Py<PyAny>> {
    compute_tensor(py, a.numel().max(b.numel()), || a.isclose(b, t.rtol, t.atol, t.equal_nan))
}

fn allclose_of(py: Python<'_>, a: &Tensor, b: &Tensor, t: Tolerances) -> PyResult<bool> {
    run_detached_if_large(py, a.numel().max(b.numel()), || a.allclose(b, t.rtol, t.atol, t.equal_nan)).py()
}

fn equal_of(py: Python<'_>, a: &Tensor, b: &Tensor) -> PyResult<bool> {
    run_detached_if_large(py, a.numel().max(b.numel()), || a.equal(b)).py()
}

#[pymethods]
impl PyTensor {
    #[pyo3(signature = (other, rtol=None, atol=None, equal_nan=None), text_signature = "($self, other, rtol=1e-05, atol=1e-08, equal_nan=False)")]
    fn isclose(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>, rtol: Option<&Bound<'_, PyAny>>, atol: Option<&Bound<'_, PyAny>>, equal_nan: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let t = Tolerances::parse("isclose", rtol, atol, equal_nan)?;
        let (a, b) = operands("isclose", slf.as_any(), other, 1)?;
        isclose_of(slf.py(), &a, &b, t)
    }

    #[pyo3(signature = (other, rtol=None, atol=None, equal_nan=None), text_signature = "($self, other, rtol=1e-05, atol=1e-08, equal_nan=False)")]
    fn allclose(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>, rtol: Option<&Bound<'_, PyAny>>, atol: Option<&Bound<'_, PyAny>>, equal_nan: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        let t = Tolerances::parse("allclose", rtol, atol, equal_nan)?;
        let (a, b) = operands("allclose", slf.as_any(), other, 1)?;
        allclose_of(slf.py(), &a, &b, t)
    }

    fn equal(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let (a, b) = operands("equal", slf.as_any(), other, 1)?;
        equal_of(slf.py(), &a, &b)
    }
}

/// `torch.isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False)`.
#[pyfunction]
#[pyo3(signature = (input, other, rtol=None, atol=None, equal_nan=None), text_signature = "(input, other, rtol=1e-05, atol=1e-08, equal_nan=False)")]
fn isclose(py: Python<'_>, input: &Bound<'_, PyAny>, other: &Bound<'_, PyAny>, rtol: Option<&Bound<'_, PyAny>>, atol: Option<&Bound<'_, PyAny>>, equal_nan: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let t = Tolerances::parse("isclose", rtol, atol, equal_nan)?;
    let (a, b) = operands("isclose", input, other, 2)?;
    isclose_of(py, &a, &b, t)
}

/// `torch.allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False)`.
#[pyfunction]
#[pyo3(signature = (input, other, rtol=None, atol=None, equal_nan=None), text_signature = "(input, other, rtol=1e-05, atol=1e-08, equal_nan=False)")]
fn allclose(py: Python<'_>, input: &Bound<'_, PyAny>, other: &Bound<'_, PyAny>, rtol: Option<&Bound<'_, PyAny>>, atol: Option<&Bound<'_, PyAny>>, equal_nan: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
    let t = Tolerances::parse("allclose", rtol, atol, equal_nan)?;
    let (a, b) = operands("allclose", input, other, 2)?;
    allclose_of(py, &a, &b, t)
}

/// `torch.equal(input, other)`.
#[pyfunction]
fn equal(py: Python<'_>, input: &Bound<'_, PyAny>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
    let (a, b) = operands("equal", input, other, 2)?;
    equal_of(py, &a, &b)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(isclose, m)?)?;
    m.add_function(wrap_pyfunction!(allclose, m)?)?;
    m.add_function(wrap_pyfunction!(equal, m)?)
}
