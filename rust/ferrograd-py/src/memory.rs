//! The host buffer cache: `empty_cache`, `memory_stats`, `set_cache_limit`,
//! and its installation as this extension's allocator.

use ferrograd::buffer_cache;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Large blocks (tensor buffers, kernel scratch) are reused across training
/// steps instead of being returned to the OS and faulted back in.
#[global_allocator]
static ALLOCATOR: buffer_cache::CachingAllocator = buffer_cache::CachingAllocator;

/// Frees the large blocks kept for reuse.
#[pyfunction]
fn empty_cache(py: Python<'_>) {
    py.detach(buffer_cache::empty_cache);
}

/// What the buffer cache holds and has done, as a dict.
#[pyfunction]
fn memory_stats(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let s = buffer_cache::stats();
    let d = PyDict::new(py);
    d.set_item("cached_bytes", s.cached_bytes)?;
    d.set_item("cached_blocks", s.cached_blocks)?;
    d.set_item("hits", s.hits)?;
    d.set_item("misses", s.misses)?;
    d.set_item("limit_bytes", s.limit_bytes)?;
    Ok(d)
}

/// Sets how many bytes of freed buffers are kept for reuse (0 turns caching off).
#[pyfunction]
fn set_cache_limit(py: Python<'_>, limit_bytes: usize) {
    py.detach(|| buffer_cache::set_limit(limit_bytes));
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // `FERROGRAD_CACHE_LIMIT_MB` bounds the cache (default 1024).
    if let Some(mb) = std::env::var("FERROGRAD_CACHE_LIMIT_MB").ok().and_then(|v| v.trim().parse::<usize>().ok()) {
        buffer_cache::set_limit(mb.saturating_mul(1 << 20));
    }
    m.add_function(wrap_pyfunction!(empty_cache, m)?)?;
    m.add_function(wrap_pyfunction!(memory_stats, m)?)?;
    m.add_function(wrap_pyfunction!(set_cache_limit, m)?)?;
    Ok(())
}
