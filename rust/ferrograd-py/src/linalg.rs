//! Bindings for matrix products beyond `@`/`mm`: bmm, dot, mv, outer, addmm.

use crate::errors::IntoPyResult;
use crate::gil::compute_tensor;
use crate::tensor::{wrap, PyTensor};
use ferrograd::Tensor;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Multiply-adds in the product of `a` with `b` (contracting a's last dim
/// with b's first or only one): the measure for detaching around it.
pub(crate) fn product_work(a: &Tensor, b: &Tensor) -> usize {
    let columns = if b.ndim() >= 2 { b.shape()[b.ndim() - 1] } else { 1 };
    a.numel().saturating_mul(columns.max(1)).max(b.numel())
}

/// `a @ b` for the Tensor methods (`matmul`, `@`), detached when large.
pub(crate) fn matmul(py: Python<'_>, a: &Tensor, b: &Tensor) -> PyResult<Py<PyAny>> {
    compute_tensor(py, product_work(a, b), || a.matmul(b))
}

/// `a.mm(b)`, detached when large.
pub(crate) fn mm(py: Python<'_>, a: &Tensor, b: &Tensor) -> PyResult<Py<PyAny>> {
    compute_tensor(py, product_work(a, b), || a.mm(b))
}

#[pymethods]
impl PyTensor {
    pub(crate) fn bmm(&self, py: Python<'_>, mat2: PyRef<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        let (a, b) = (&self.inner, &mat2.inner);
        compute_tensor(py, product_work(a, b), || a.bmm(b))
    }
    pub(crate) fn dot(&self, py: Python<'_>, tensor: PyRef<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        let (a, b) = (&self.inner, &tensor.inner);
        compute_tensor(py, product_work(a, b), || a.dot(b))
    }
    pub(crate) fn mv(&self, py: Python<'_>, vec: PyRef<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        let (a, b) = (&self.inner, &vec.inner);
        compute_tensor(py, product_work(a, b), || a.mv(b))
    }
    /// Outer product of two 1-D tensors, as PyTorch computes it (a column times a row).
    pub(crate) fn outer(&self, py: Python<'_>, vec2: PyRef<'_, PyTensor>) -> PyResult<Py<PyAny>> {
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
    let (input, mat1, mat2) = (&input.inner, &mat1.inner, &mat2.inner);
    let work = product_work(mat1, mat2);
    if beta != 1.0 || alpha != 1.0 {
        let scaled = |t: &Tensor, s: f64| t.mul_scalar(ferrograd::Scalar::Float(s));
        return compute_tensor(py, work, || {
            let product = scaled(&mat1.mm(mat2)?, alpha)?;
            scaled(input, beta)?.add(&product)
        });
    }
    if input.ndim() > 2 {
        return Err(PyValueError::new_err("addmm: input must be broadcastable to a matrix"));
    }
    compute_tensor(py, work, || Tensor::addmm(input, mat1, mat2))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(addmm, m)?)
}
