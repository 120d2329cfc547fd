//! Bindings for matrix products beyond `@`/`mm`: bmm, dot, mv, outer, addmm.

use crate::gil::compute_tensor;
use crate::tensor::PyTensor;
use ferrograd::Tensor;
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
    /// Outer product of two 1-D tensors.
    pub(crate) fn outer(&self, py: Python<'_>, vec2: PyRef<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        let (a, b) = (&self.inner, &vec2.inner);
        compute_tensor(py, a.numel().saturating_mul(b.numel()), || a.outer(b))
    }
}

/// `torch.addmm(input, mat1, mat2, *, beta=1, alpha=1)`.
#[pyfunction]
#[pyo3(signature = (input, mat1, mat2, *, beta=1.0, alpha=1.0))]
pub fn addmm(py: Python<'_>, input: PyRef<'_, PyTensor>, mat1: PyRef<'_, PyTensor>, mat2: PyRef<'_, PyTensor>, beta: f64, alpha: f64) -> PyResult<Py<PyAny>> {
    let (input, mat1, mat2) = (&input.inner, &mat1.inner, &mat2.inner);
    compute_tensor(py, product_work(mat1, mat2), || Tensor::addmm_scaled(input, mat1, mat2, beta, alpha))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(addmm, m)?)
}
