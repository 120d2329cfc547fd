//! `Tensor.register_hook` / `retain_grad`: Python callables become core hook
//! functions. An exception raised by a hook is kept and re-raised as itself
//! when the backward call returns to Python.

use crate::errors::IntoPyResult;
use crate::tensor::{wrap, PyTensor};
use ferrograd::autograd::hooks::{remove_hook, HookHandle};
use ferrograd::{Error, Tensor};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use std::cell::RefCell;
use std::sync::Arc;

thread_local! {
    /// The Python exception a hook raised during the current backward.
    static HOOK_ERROR: RefCell<Option<PyErr>> = const { RefCell::new(None) };
}

/// Keeps a Python exception raised inside a callback the engine ran, so it
/// can be re-raised as itself; the engine sees a `Callback` error.
pub fn stash_callback_error(e: PyErr) -> Error {
    let msg = e.to_string();
    HOOK_ERROR.with(|h| *h.borrow_mut() = Some(e));
    Error::Callback(msg)
}

/// Takes the exception a hook raised, if the core error came from one.
pub fn take_hook_error(e: &Error) -> Option<PyErr> {
    if !matches!(e, Error::Callback(_)) {
        return None;
    }
    HOOK_ERROR.with(|h| h.borrow_mut().take())
}

fn call_hook(callback: &Py<PyAny>, grad: &Tensor) -> ferrograd::Result<Option<Tensor>> {
    Python::attach(|py| {
        let run = || -> PyResult<Option<Tensor>> {
            let result = callback.call1(py, (wrap(py, grad.clone())?,))?;
            let result = result.bind(py);
            if result.is_none() {
                return Ok(None);
            }
            let t = result.cast::<PyTensor>().map_err(|_| PyTypeError::new_err("hook must return None or a Tensor"))?;
            Ok(Some(t.get().inner.clone()))
        };
        run().map_err(stash_callback_error)
    })
}

/// What `register_hook` returns: `.remove()` unregisters the hook.
#[pyclass(name = "RemovableHandle", module = "ferrograd.utils.hooks", frozen)]
pub struct PyRemovableHandle {
    handle: HookHandle,
}

#[pymethods]
impl PyRemovableHandle {
    fn remove(&self) {
        remove_hook(self.handle);
    }
    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }
    fn __exit__(&self, _exc_type: &Bound<'_, PyAny>, _exc: &Bound<'_, PyAny>, _tb: &Bound<'_, PyAny>) {
        remove_hook(self.handle);
    }
}

#[pymethods]
impl PyTensor {
    fn register_hook(&self, hook: Py<PyAny>) -> PyResult<PyRemovableHandle> {
        let f = Arc::new(move |g: &Tensor| call_hook(&hook, g));
        let handle = self.inner.register_hook(f).py()?;
        Ok(PyRemovableHandle { handle })
    }

    fn retain_grad(&self) -> PyResult<()> {
        self.inner.retain_grad().py()
    }

    #[getter]
    fn retains_grad(&self) -> bool {
        self.inner.retains_grad()
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRemovableHandle>()
}
