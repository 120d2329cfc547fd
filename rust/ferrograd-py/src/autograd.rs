//! Autograd surface: graph nodes as Python objects (`grad_fn`,
//! `next_functions`), `autograd.backward` / `autograd.grad`, and grad mode.

use crate::errors::IntoPyResult;
use crate::tensor::{wrap, PyTensor};
use ferrograd::autograd::graph::{with_node, NodeRef};
use ferrograd::ops::Op;
use ferrograd::Tensor;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};
use std::sync::atomic::{AtomicBool, Ordering};

/// A backward function in the graph (`tensor.grad_fn`).
#[pyclass(name = "Node", module = "ferrograd.autograd.graph", frozen, subclass, weakref)]
pub struct PyNode {
    pub node: NodeRef,
}

/// Each op's grad_fn is an instance of a subclass named after it
/// (`type(y.grad_fn).__name__ == "AddBackward0"`), made once per name.
static NODE_CLASSES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();

pub fn node_object(py: Python<'_>, node: NodeRef) -> PyResult<Py<PyAny>> {
    let name = with_node(node.id(), |n| n.op.name()).py()?;
    let classes = NODE_CLASSES.get_or_init(py, || PyDict::new(py).unbind()).bind(py);
    let cls = match classes.get_item(name)? {
        Some(c) => c,
        None => {
            let namespace = PyDict::new(py);
            namespace.set_item("__module__", "ferrograd.autograd.graph")?;
            let base = py.get_type::<PyNode>();
            let cls = py.get_type::<PyType>().call1((name, (base,), namespace))?;
            classes.set_item(name, &cls)?;
            cls
        }
    };
    let base = Py::new(py, PyNode { node })?;
    Ok(cls.call1((base,))?.unbind())
}

#[pymethods]
impl PyNode {
    #[new]
    fn py_new(node: PyRef<'_, PyNode>) -> Self {
        PyNode { node: node.node.clone() }
    }

    fn name(&self) -> PyResult<&'static str> {
        with_node(self.node.id(), |n| n.op.name()).py()
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        Ok(format!("<{} object at {:#x}>", slf.get().name()?, slf.as_ptr() as usize))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyNode>().is_ok_and(|o| o.get().node.id() == self.node.id())
    }

    fn __hash__(&self) -> u64 {
        let id = self.node.id();
        id.index() as u64
    }

    /// `((node or None, input_nr), ...)`, one entry per differentiable input.
    #[getter]
    fn next_functions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let edges = with_node(self.node.id(), |n| n.next.to_vec()).py()?;
        let items: Vec<Bound<'py, PyTuple>> = edges
            .into_iter()
            .map(|e| -> PyResult<_> {
                match e.and_then(|e| NodeRef::from_live_id(e.node).map(|r| (r, e.input_nr))) {
                    Some((node, nr)) => PyTuple::new(py, [node_object(py, node)?, nr.into_pyobject(py)?.into_any().unbind()]),
                    None => PyTuple::new(py, [py.None(), 0u32.into_pyobject(py)?.into_any().unbind()]),
                }
            })
            .collect::<PyResult<_>>()?;
        PyTuple::new(py, items)
    }

    /// The leaf an AccumulateGrad node feeds.
    #[getter]
    fn variable(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let op = with_node(self.node.id(), |n| n.op.clone()).py()?;
        match op {
            Op::AccumulateGrad(leaf) => match leaf.upgrade() {
                Some(t) => wrap(py, t),
                None => Err(PyRuntimeError::new_err("the leaf of this AccumulateGrad node no longer exists")),
            },
            other => Err(PyAttributeError::new_err(format!("'{}' object has no attribute 'variable'", other.name()))),
        }
    }

    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> Bound<'py, pyo3::types::PyDict> {
        pyo3::types::PyDict::new(py)
    }
}

use pyo3::exceptions::PyAttributeError;

pub fn tensor_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Tensor> {
    obj.cast::<PyTensor>()
        .map(|t| t.get().inner.clone())
        .map_err(|_| PyTypeError::new_err(format!("{what} must be a Tensor, not {}", obj.get_type().name().map(|n| n.to_string()).unwrap_or_default())))
}

/// A tensor or a sequence of tensors.
pub fn tensors_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<Tensor>> {
    if obj.is_instance_of::<PyTensor>() {
        return Ok(vec![tensor_arg(obj, what)?]);
    }
    obj.try_iter()?.map(|t| tensor_arg(&t?, what)).collect()
}

/// Optional gradients aligned with outputs: None, a tensor, or a sequence with Nones.
fn grads_arg(obj: Option<&Bound<'_, PyAny>>, n: usize) -> PyResult<Vec<Option<Tensor>>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else { return Ok(vec![None; n]) };
    if obj.is_instance_of::<PyTensor>() {
        return Ok(vec![Some(tensor_arg(obj, "grad_outputs")?)]);
    }
    obj.try_iter()?
        .map(|g| {
            let g = g?;
            if g.is_none() {
                Ok(None)
            } else {
                tensor_arg(&g, "grad_outputs").map(Some)
            }
        })
        .collect()
}

#[pyfunction]
#[pyo3(signature = (tensors, grad_tensors=None, retain_graph=None, create_graph=false, inputs=None))]
pub fn backward(
    py: Python<'_>,
    tensors: &Bound<'_, PyAny>,
    grad_tensors: Option<&Bound<'_, PyAny>>,
    retain_graph: Option<bool>,
    create_graph: bool,
    inputs: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let tensors = tensors_arg(tensors, "tensors")?;
    let grads = grads_arg(grad_tensors, tensors.len())?;
    check_lengths(grads.len(), tensors.len())?;
    let inputs = inputs.filter(|i| !i.is_none()).map(|i| tensors_arg(i, "inputs")).transpose()?;
    run_backward(py, &tensors, &grads, inputs.as_deref(), retain_graph, create_graph)
}

/// `Tensor.backward` and `autograd.backward`: accumulates into the leaves'
/// `.grad` (only into `inputs`' when given). The graph runs with the GIL
/// released; hooks and user functions take it back while they run.
pub fn run_backward(py: Python<'_>, tensors: &[Tensor], grads: &[Option<Tensor>], inputs: Option<&[Tensor]>, retain_graph: Option<bool>, create_graph: bool) -> PyResult<()> {
    if create_graph {
        warn_backward_create_graph(py)?;
    }
    py.detach(|| match inputs {
        Some(inputs) => ferrograd::autograd::backward_into(tensors, grads, inputs, retain_graph, create_graph),
        None => ferrograd::autograd::backward(tensors, grads, retain_graph, create_graph),
    })
    .py()
}

/// PyTorch warns once per process that `backward(create_graph=True)` makes
/// each leaf's `.grad` hold a graph that holds the leaf.
fn warn_backward_create_graph(py: Python<'_>) -> PyResult<()> {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if WARNED.swap(true, Ordering::Relaxed) {
        return Ok(());
    }
    let warning = py.get_type::<pyo3::exceptions::PyUserWarning>();
    PyErr::warn(
        py,
        &warning,
        c"Using backward() with create_graph=True will create a reference cycle between the parameter and its gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters to None after use to break the cycle and avoid the leak.",
        1,
    )
}

/// Between nodes of a backward running without the GIL: lets a pending
/// Ctrl-C (or another signal handler's exception) abort it.
fn check_signals() -> ferrograd::Result<()> {
    Python::attach(|py| py.check_signals()).map_err(crate::hooks::stash_callback_error)
}

fn check_lengths(grads: usize, outputs: usize) -> PyResult<()> {
    if grads != outputs {
        return Err(PyRuntimeError::new_err(format!("grad can be implicitly created only for scalar outputs: got {grads} gradients for {outputs} outputs")));
    }
    Ok(())
}

#[pyfunction]
#[pyo3(signature = (outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=false, only_inputs=true, allow_unused=None, is_grads_batched=false, materialize_grads=false))]
#[allow(clippy::too_many_arguments)]
pub fn grad<'py>(
    py: Python<'py>,
    outputs: &Bound<'py, PyAny>,
    inputs: &Bound<'py, PyAny>,
    grad_outputs: Option<&Bound<'py, PyAny>>,
    retain_graph: Option<bool>,
    create_graph: bool,
    only_inputs: bool,
    allow_unused: Option<bool>,
    is_grads_batched: bool,
    materialize_grads: bool,
) -> PyResult<Bound<'py, PyTuple>> {
    let _ = only_inputs;
    if is_grads_batched {
        return Err(PyRuntimeError::new_err("is_grads_batched=True is not supported"));
    }
    let outputs = tensors_arg(outputs, "outputs")?;
    let inputs = tensors_arg(inputs, "inputs")?;
    let grads = grads_arg(grad_outputs, outputs.len())?;
    check_lengths(grads.len(), outputs.len())?;
    let allow_unused = allow_unused.unwrap_or(materialize_grads);
    let result = py.detach(|| ferrograd::autograd::grad(&outputs, &inputs, &grads, retain_graph, create_graph, allow_unused)).py()?;
    let items: Vec<Py<PyAny>> = result
        .into_iter()
        .zip(inputs.iter())
        .map(|(g, input)| match (g, materialize_grads) {
            (Some(g), _) => wrap(py, g),
            (None, true) => wrap(py, Tensor::zeros(&input.shape(), input.dtype()).py()?),
            (None, false) => Ok(py.None()),
        })
        .collect::<PyResult<_>>()?;
    PyTuple::new(py, items)
}

#[pyfunction]
pub fn is_grad_enabled() -> bool {
    ferrograd::autograd::is_grad_enabled()
}

/// Sets this thread's grad mode; returns the previous one (the Python context managers restore it).
#[pyfunction]
pub fn _set_grad_enabled(enabled: bool) -> bool {
    ferrograd::autograd::set_grad_enabled(enabled)
}

#[pyfunction]
pub fn is_anomaly_enabled() -> bool {
    ferrograd::autograd::mode::is_anomaly_enabled()
}

#[pyfunction]
pub fn _set_anomaly_enabled(enabled: bool) -> bool {
    ferrograd::autograd::mode::set_anomaly_enabled(enabled)
}

#[pyfunction]
pub fn is_inference_mode_enabled() -> bool {
    ferrograd::autograd::mode::is_inference_mode_enabled()
}

/// Enters or leaves inference mode; returns the state to restore.
#[pyfunction]
pub fn _set_inference_mode(enabled: bool) -> (bool, bool) {
    ferrograd::autograd::mode::set_inference_mode(enabled)
}

#[pyfunction]
pub fn _restore_inference_mode(previous: (bool, bool)) {
    ferrograd::autograd::mode::restore_inference_mode(previous)
}

/// (live nodes, arena slots): for tests that check graph memory is bounded.
#[pyfunction]
pub fn _graph_stats() -> (usize, usize) {
    ferrograd::autograd::graph::arena_stats()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    ferrograd::autograd::engine::set_interrupt_check(check_signals);
    m.add_class::<PyNode>()?;
    m.add_function(wrap_pyfunction!(backward, m)?)?;
    m.add_function(wrap_pyfunction!(grad, m)?)?;
    m.add_function(wrap_pyfunction!(is_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(_set_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(_graph_stats, m)?)?;
    m.add_function(wrap_pyfunction!(is_anomaly_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(_set_anomaly_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(is_inference_mode_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(_set_inference_mode, m)?)?;
    m.add_function(wrap_pyfunction!(_restore_inference_mode, m)?)?;
    Ok(())
}
