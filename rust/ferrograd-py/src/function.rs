//! The Rust side of `ferrograd.autograd.Function`: records one node whose
//! backward calls back into Python. The Python class does the bookkeeping
//! (ctx, saved tensors, materialized grads); see autograd/function.py.

use crate::hooks::stash_callback_error;
use crate::tensor::{wrap, PyTensor};
use ferrograd::autograd::function::{intern_name, record_custom, CustomBackward, CustomFunction};
use ferrograd::{Error, Tensor};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyList;

struct PythonBackward {
    /// `backward(grads, needs_input_grad) -> list of Tensor or None`, one per tensor input.
    backward: Py<PyAny>,
    /// `release()`: drops what the ctx saved.
    release: Py<PyAny>,
}

impl CustomBackward for PythonBackward {
    fn backward(&self, grads: &[Option<Tensor>], needs_input_grad: &[bool]) -> ferrograd::Result<Vec<Option<Tensor>>> {
        Python::attach(|py| {
            let run = || -> PyResult<Vec<Option<Tensor>>> {
                let grads: Vec<Py<PyAny>> = grads.iter().map(|g| g.clone().map_or_else(|| Ok(py.None()), |g| wrap(py, g))).collect::<PyResult<_>>()?;
                let result = self.backward.call1(py, (PyList::new(py, grads)?, needs_input_grad.to_vec()))?;
                result
                    .bind(py)
                    .try_iter()?
                    .map(|g| {
                        let g = g?;
                        if g.is_none() {
                            return Ok(None);
                        }
                        let t = g.cast::<PyTensor>().map_err(|_| PyTypeError::new_err("backward must return Tensors or None"))?;
                        Ok(Some(t.get().inner.clone()))
                    })
                    .collect()
            };
            run().map_err(stash_callback_error)
        })
    }

    fn release(&self) {
        Python::attach(|py| {
            if let Err(e) = self.release.call0(py) {
                e.write_unraisable(py, None);
            }
        });
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// For `Tensor.__traverse__`: the Python objects a tensor owns through a
/// user function's node it alone holds (the ctx, through the callbacks).
pub fn visit_function_objects(t: &Tensor, visit: &pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
    let mut result = Ok(());
    t.visit_sole_custom_function(|f| {
        if let Some(f) = f.as_any().downcast_ref::<PythonBackward>() {
            result = visit.call(&f.backward).and_then(|()| visit.call(&f.release));
        }
    });
    result
}

/// Records a user function's node; returns the outputs to hand to the user.
#[pyfunction]
pub fn _record_function<'py>(
    py: Python<'py>,
    name: &str,
    inputs: Vec<PyRef<'py, PyTensor>>,
    outputs: Vec<PyRef<'py, PyTensor>>,
    differentiable: Vec<bool>,
    backward: Py<PyAny>,
    release: Py<PyAny>,
) -> PyResult<Vec<Py<PyAny>>> {
    let inputs: Vec<Tensor> = inputs.iter().map(|t| t.inner.clone()).collect();
    let outputs: Vec<Tensor> = outputs.iter().map(|t| t.inner.clone()).collect();
    let f = CustomFunction { name: intern_name(name), backward: Box::new(PythonBackward { backward, release }) };
    record_custom(f, &inputs, &outputs, &differentiable).into_iter().map(|t| wrap(py, t)).collect()
}

/// Raises the error a custom backward reported, for Python code that checks it.
#[pyfunction]
pub fn _graph_freed_message() -> String {
    Error::GraphFreed.to_string()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_record_function, m)?)?;
    m.add_function(wrap_pyfunction!(_graph_freed_message, m)?)?;
    Ok(())
}
