//! Python objects that core storages keep alive (the numpy array whose
//! memory a tensor shares).
//!
//! Such a storage may be released from a DLPack deleter that another library
//! calls from C with the GIL held but outside any pyo3 call. pyo3 would then
//! only queue the reference for release at its next call, so the array (and
//! its memory) would outlive every Python reference to it. Releasing the
//! reference at once when the thread holds the GIL keeps Python's lifetimes
//! exact; elsewhere the queue is used, as blocking on the GIL from an
//! arbitrary thread could deadlock.

use pyo3::ffi;
use pyo3::prelude::*;

pub struct PyKeepAlive(Option<Py<PyAny>>);

impl PyKeepAlive {
    pub fn new(obj: Py<PyAny>) -> Self {
        PyKeepAlive(Some(obj))
    }
}

impl Drop for PyKeepAlive {
    fn drop(&mut self) {
        let Some(obj) = self.0.take() else { return };
        // SAFETY: `PyGILState_Check` only reads this thread's state, and the interpreter outlives every storage it made.
        if unsafe { ffi::PyGILState_Check() } == 1 {
            // The GIL is held, so attaching does not block.
            Python::attach(move |_| drop(obj));
        } else {
            drop(obj);
        }
    }
}
