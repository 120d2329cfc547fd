//! `set_num_threads` and `get_num_threads`: the pool parallel kernels use.

use crate::errors::IntoPyResult;
use crate::tensor::type_name;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

#[pyfunction]
fn set_num_threads(py: Python<'_>, threads: &Bound<'_, PyAny>) -> PyResult<()> {
    let threads: i64 = threads.extract().map_err(|_| PyRuntimeError::new_err(format!("set_num_threads expects an int, but got {}", type_name(threads))))?;
    // Stopping the old pool's threads waits for them: not under the GIL.
    py.detach(|| ferrograd::threads::set_num_threads(threads)).py()
}

#[pyfunction]
fn get_num_threads() -> usize {
    ferrograd::threads::num_threads()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads, m)?)?;
    Ok(())
}
