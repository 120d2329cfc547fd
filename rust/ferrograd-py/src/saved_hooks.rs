//! `autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook)`: Python
//! callables that decide what the graph keeps for each saved tensor.

use crate::hooks::stash_callback_error;
use crate::tensor::{wrap, PyTensor};
use ferrograd::autograd::saved::{pop_saved_tensor_hooks, push_saved_tensor_hooks, PackedTensor, SavedTensorHooks};
use ferrograd::{Error, Tensor};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use std::sync::Arc;

struct PythonHooks {
    pack: Py<PyAny>,
    unpack: Py<PyAny>,
}

/// What `pack_hook` returned, with the `unpack_hook` that turns it back.
struct PythonPacked {
    packed: Py<PyAny>,
    unpack: Py<PyAny>,
}

impl SavedTensorHooks for PythonHooks {
    fn pack(&self, t: &Tensor) -> ferrograd::Result<Arc<dyn PackedTensor>> {
        Python::attach(|py| {
            let packed = wrap(py, t.clone()).and_then(|t| self.pack.call1(py, (t,)));
            match packed {
                Ok(packed) => Ok(Arc::new(PythonPacked { packed, unpack: self.unpack.clone_ref(py) }) as Arc<dyn PackedTensor>),
                // Raised again when backward needs the tensor.
                Err(e) => Err(Error::runtime(format!("pack_hook raised: {e}"))),
            }
        })
    }
}

impl PackedTensor for PythonPacked {
    fn unpack(&self) -> ferrograd::Result<Tensor> {
        Python::attach(|py| {
            let run = || -> PyResult<Tensor> {
                let out = self.unpack.call1(py, (self.packed.clone_ref(py),))?;
                let out = out.bind(py).cast::<PyTensor>().map_err(|_| PyTypeError::new_err("Output of saved tensor unpack_hook expected to be a Tensor"))?;
                Ok(out.get().inner.clone())
            };
            run().map_err(stash_callback_error)
        })
    }
}

#[pyfunction]
fn _push_saved_tensors_hooks(pack_hook: Py<PyAny>, unpack_hook: Py<PyAny>) {
    push_saved_tensor_hooks(Arc::new(PythonHooks { pack: pack_hook, unpack: unpack_hook }));
}

#[pyfunction]
fn _pop_saved_tensors_hooks() {
    pop_saved_tensor_hooks();
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_push_saved_tensors_hooks, m)?)?;
    m.add_function(wrap_pyfunction!(_pop_saved_tensors_hooks, m)?)
}
