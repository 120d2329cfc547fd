//! Running large kernels with the interpreter detached, so other Python
//! threads run meanwhile. Small calls keep it attached: detaching and
//! re-attaching costs more than they take.
//!
//! Safe to detach around core calls because: core tensors are `Send + Sync`;
//! storage locks are taken and released inside the kernels, so none is held
//! when the interpreter is re-attached; and the only Python the core can call
//! back during a forward op (saved-tensor pack hooks) re-attaches itself with
//! `Python::attach` and runs with no core lock held.

use crate::errors::IntoPyResult;
use crate::tensor::wrap;
use ferrograd::Tensor;
use pyo3::prelude::*;

/// Work (in elements) from which a call is worth detaching for.
pub const DETACH_THRESHOLD: usize = 1 << 16;

/// `f()`, with the interpreter detached when `work` reaches `DETACH_THRESHOLD`.
pub fn run_detached_if_large<T: Send>(py: Python<'_>, work: usize, f: impl FnOnce() -> T + Send) -> T {
    if work >= DETACH_THRESHOLD {
        py.detach(f)
    } else {
        f()
    }
}

/// The tensor `op` computes, wrapped for Python; detached as `run_detached_if_large`.
pub fn compute_tensor(py: Python<'_>, work: usize, op: impl FnOnce() -> ferrograd::Result<Tensor> + Send) -> PyResult<Py<PyAny>> {
    wrap(py, run_detached_if_large(py, work, op).py()?)
}

/// Runs an in-place `update` of a tensor; detached as `run_detached_if_large`.
pub fn update_in_place(py: Python<'_>, work: usize, update: impl FnOnce() -> ferrograd::Result<()> + Send) -> PyResult<()> {
    run_detached_if_large(py, work, update).py()
}
