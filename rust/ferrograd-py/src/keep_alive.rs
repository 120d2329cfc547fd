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
        if gil_held_by_this_thread() {
            // The GIL is held, so attaching does not block.
            Python::attach(move |_| drop(obj));
        } else {
            drop(obj);
        }
    }
}

/// Whether this thread holds the GIL, asked of the interpreter (pyo3 only
/// knows about the calls it made itself).
///
/// `PyGILState_Check` is outside the limited API that the stable-ABI (abi3)
/// build compiles against, so pyo3 does not declare it there, and the limited
/// API has no equivalent that does not abort or block. Every CPython since 3.4
/// exports it with this signature, and on Linux and macOS an abi3 module
/// resolves it from the interpreter when loaded, like the limited functions.
#[cfg(not(windows))]
fn gil_held_by_this_thread() -> bool {
    extern "C" {
        fn PyGILState_Check() -> std::os::raw::c_int;
    }
    // SAFETY: `PyGILState_Check` takes no arguments and only reads this thread's state; the interpreter outlives every storage it made.
    unsafe { PyGILState_Check() == 1 }
}

/// On Windows an abi3 module links python3.dll, which exports only the
/// limited API: the reference always goes through pyo3's queue, released at
/// the next call into ferrograd.
#[cfg(windows)]
fn gil_held_by_this_thread() -> bool {
    false
}
