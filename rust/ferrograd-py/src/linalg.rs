//! Bindings for matrix products beyond `@`/`mm`: bmm, dot, mv, outer, addmm.

use crate::errors::IntoPyResult;
use crate::tensor::{wrap, PyTensor};
use ferrograd::Tensor;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

#[pymethods]
impl PyTensor {
    fn bmm(&self, py: Python<'_>, mat2: PyRef<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        wrap(py, self.inner.bmm(&mat2.inner).py()?)
    }
    fn dot(&self, py: Python<'_>, tensor: PyRef<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        wrap(py, self.inner.dot(&tensor.inner).py()?)
    }
    fn mv(&self, py: Python<'_>, vec: PyRef<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        wrap(py, self.inner.mv(&vec.inner).py()?)
    }
    /// Outer product of two 1-D tensors, as PyTorch computes it (a column times a row).
    fn outer(&self, py: Python<'_>, vec2: PyRef<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        if self.inner.ndim() != 1 || vec2.inner.ndim() != 1 {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                "outer: expected 1D tensors, but got {}D and {}D",
                self.inner.ndim(),
                vec2.inner.ndim()
            )));
        }
        let column = self.inner.reshape(&[-1, 1]).py()?;
        wrap(py, column.mul(&vec2.inner).py()?)
    }
}

/// `torch.addmm(input, mat1, mat2, *, beta=1, alpha=1)`.
#[pyfunction]
#[pyo3(signature = (input, mat1, mat2, *, beta=1.0, alpha=1.0))]
pub fn addmm(py: Python<'_>, input: PyRef<'_, PyTensor>, mat1: PyRef<'_, PyTensor>, mat2: PyRef<'_, PyTensor>, beta: f64, alpha: f64) -> PyResult<Py<PyAny>> {
    if beta != 1.0 || alpha != 1.0 {
        let scaled = |t: &Tensor, s: f64| t.mul_scalar(ferrograd::Scalar::Float(s)).py();
        let product = scaled(&mat1.inner.mm(&mat2.inner).py()?, alpha)?;
        return wrap(py, scaled(&input.inner, beta)?.add(&product).py()?);
    }
    if input.inner.ndim() > 2 {
        return Err(PyValueError::new_err("addmm: input must be broadcastable to a matrix"));
    }
    wrap(py, Tensor::addmm(&input.inner, &mat1.inner, &mat2.inner).py()?)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(addmm, m)?)
}
