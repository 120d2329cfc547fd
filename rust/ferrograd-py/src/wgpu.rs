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

/// Reads from device memory to the host so far.
#[pyfunction]
fn _wgpu_readback_count() -> u64 {
    ferrograd::backend::wgpu::readback_count()
}

/// Whether the device's kernels compute in `dtype` (float32; float16 and
/// float64 where the adapter has shader-f16 and shader-f64).
#[pyfunction]
fn _wgpu_supports_dtype(py: Python<'_>, dtype: PyRef<'_, crate::convert::PyDType>) -> bool {
    let dtype = dtype.dtype;
    py.detach(|| ferrograd::backend::wgpu::computes(dtype))
}

/// Reports an op the wgpu device ran on the CPU (FERROGRAD_WGPU_FALLBACK=1)
/// as a UserWarning; the core calls it once per op name, never holding a lock.
fn warn_fallback(message: &str) {
    Python::attach(|py| {
        let Ok(text) = std::ffi::CString::new(message) else { return };
        // Under a warnings filter of "error" the warning itself fails; the op
        // still ran correctly, so the failure is reported as unraisable, not lost.
        if let Err(e) = PyErr::warn(py, &py.get_type::<pyo3::exceptions::PyUserWarning>(), &text, 1) {
            e.write_unraisable(py, None);
        }
    });
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    ferrograd::backend::wgpu::fallback::set_fallback_warning(warn_fallback);
    m.add_function(wrap_pyfunction!(_wgpu_is_available, m)?)?;
    m.add_function(wrap_pyfunction!(_wgpu_device_count, m)?)?;
    m.add_function(wrap_pyfunction!(_wgpu_get_device_name, m)?)?;
    m.add_function(wrap_pyfunction!(_wgpu_synchronize, m)?)?;
    m.add_function(wrap_pyfunction!(_wgpu_empty_cache, m)?)?;
    m.add_function(wrap_pyfunction!(_wgpu_cached_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(_wgpu_readback_count, m)?)?;
    m.add_function(wrap_pyfunction!(_wgpu_supports_dtype, m)?)?;
    Ok(())
}
