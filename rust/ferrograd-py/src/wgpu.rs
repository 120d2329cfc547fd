//! The wgpu device's queries behind `ferrograd.wgpu`.

use crate::errors::IntoPyResult;
use pyo3::prelude::*;

/// Whether a wgpu adapter can be opened; the first call opens it.
#[pyfunction]
fn _wgpu_is_available(py: Python<'_>) -> bool {
    py.detach(|| ferrograd::backend::wgpu::device_count() > 0)
}

#[pyfunction]
fn _wgpu_device_count(py: Python<'_>) -> usize {
    py.detach(ferrograd::backend::wgpu::device_count)
}

#[pyfunction]
fn _wgpu_get_device_name(py: Python<'_>, index: u16) -> PyResult<String> {
    py.detach(|| ferrograd::backend::wgpu::device_name(index)).py()
}

/// Waits for every kernel launched so far.
#[pyfunction]
fn _wgpu_synchronize(py: Python<'_>) -> PyResult<()> {
    py.detach(ferrograd::backend::wgpu::synchronize).py()
}

#[pyfunction]
fn _wgpu_empty_cache(py: Python<'_>) {
    py.detach(ferrograd::backend::wgpu::empty_cache)
}

/// Bytes of device buffers kept idle for reuse.
#[pyfunction]
fn _wgpu_cached_bytes() -> u64 {
    ferrograd::backend::wgpu::cached_bytes()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_wgpu_is_available, m)?)?;
    m.add_function(wrap_pyfunction!(_wgpu_device_count, m)?)?;
    m.add_function(wrap_pyfunction!(_wgpu_get_device_name, m)?)?;
    m.add_function(wrap_pyfunction!(_wgpu_synchronize, m)?)?;
    m.add_function(wrap_pyfunction!(_wgpu_empty_cache, m)?)?;
    m.add_function(wrap_pyfunction!(_wgpu_cached_bytes, m)?)?;
    Ok(())
}
