//! `Tensor.register_hook` / `retain_grad`: Python callables become core hook
//! functions. An exception raised by a hook is kept and re-raised as itself
//! when the backward call returns to Python.

use crate::errors::IntoPyResult;
use crate::tensor::{type_name, wrap, PyTensor};
use ferrograd::autograd::hooks::{remove_hook, GradHookFn, HookHandle};
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
    // An exception never re-raised is dropped outside the borrow: its
    // traceback may hold the last reference to objects with a `__del__`.
    let unraised = HOOK_ERROR.with(|h| h.borrow_mut().replace(e));
    drop(unraised);
    Error::Callback(msg)
}

/// Takes the exception a hook raised, if the core error came from one.
pub fn take_hook_error(e: &Error) -> Option<PyErr> {
    if !matches!(e, Error::Callback(_)) {
        return None;
    }
    HOOK_ERROR.with(|h| h.borrow_mut().take())
}

/// A Python callable registered with `register_hook`.
struct PythonHook {
    callable: Py<PyAny>,
}

impl GradHookFn for PythonHook {
    fn call(&self, grad: &Tensor) -> ferrograd::Result<Option<Tensor>> {
        Python::attach(|py| {
            let run = || -> PyResult<Option<Tensor>> {
                let result = self.callable.call1(py, (wrap(py, grad.clone())?,))?;
                let result = result.bind(py);
                if result.is_none() {
                    return Ok(None);
                }
                let t = result.cast::<PyTensor>().map_err(|_| PyTypeError::new_err(format!("expected Variable, but hook returned '{}'", type_name(result))))?;
                Ok(Some(t.get().inner.clone()))
            };
            run().map_err(stash_callback_error)
        })
    }

    /// The callable's `__name__`, as PyTorch names hooks in its errors.
    fn name(&self) -> String {
        Python::attach(|py| {
            let name = self.callable.bind(py).getattr(pyo3::intern!(py, "__name__")).ok();
            name.and_then(|n| n.extract::<String>().ok()).unwrap_or_else(|| "<unknown>".to_string())
        })
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// For `Tensor.__traverse__`: the hook callables a tensor alone keeps alive.
pub fn visit_hook_objects(t: &Tensor, visit: &pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
    let mut result = Ok(());
    t.visit_sole_hooks(|f| {
        if let Some(hook) = f.as_any().downcast_ref::<PythonHook>() {
            if result.is_ok() {
                result = visit.call(&hook.callable);
            }
        }
    });
    result
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
        let handle = self.inner.register_hook(Arc::new(PythonHook { callable: hook })).py()?;
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
