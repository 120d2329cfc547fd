//! The `_optim` submodule: one call per optimizer step over a whole param
//! group. Python's `ferrograd.optim` gathers the group's params, grads and
//! state into lists; the update runs in the core with the interpreter
//! detached when the group is large.

use crate::errors::IntoPyResult;
use crate::gil::run_detached_if_large;
use crate::tensor::{type_name, wrap, PyTensor};
use ferrograd::optim::{self, AdagradOptions, AdagradState, AdamOptions, AdamState, AdamaxOptions, AdamaxState, RMSpropOptions, RMSpropState, SgdOptions};
use ferrograd::Tensor;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyList;

/// A list (or tuple) argument of tensors, or None entries where `allow_none`.
fn tensor_items(obj: &Bound<'_, PyAny>, fname: &str, arg: &str, allow_none: bool) -> PyResult<Vec<Option<Tensor>>> {
    let bad = || PyTypeError::new_err(format!("{fname}(): argument '{arg}' must be a list of Tensors, not {}", type_name(obj)));
    if obj.is_instance_of::<PyTensor>() || !obj.hasattr("__iter__")? {
        return Err(bad());
    }
    obj.try_iter()?
        .enumerate()
        .map(|(i, item)| {
            let item = item?;
            if allow_none && item.is_none() {
                return Ok(None);
            }
            item.cast::<PyTensor>().map(|t| Some(t.get().inner.clone())).map_err(|_| {
                let expected = if allow_none { "Tensor or None" } else { "Tensor" };
                PyTypeError::new_err(format!("{fname}(): argument '{arg}' must be a list of Tensors, but element {i} is {}, not {expected}", type_name(&item)))
            })
        })
        .collect()
}

fn tensors(obj: &Bound<'_, PyAny>, fname: &str, arg: &str) -> PyResult<Vec<Tensor>> {
    Ok(tensor_items(obj, fname, arg, false)?.into_iter().flatten().collect())
}

/// Elements the update touches: the deciding size for detaching.
fn work(params: &[Tensor]) -> usize {
    params.iter().map(Tensor::numel).sum()
}

/// Runs `f` on the core, detached for a large group, mapping its error.
fn run(py: Python<'_>, params: &[Tensor], f: impl FnOnce() -> ferrograd::Result<()> + Send) -> PyResult<()> {
    run_detached_if_large(py, work(params), f).py()
}

/// Returns the momentum buffers (new ones where None was given), or None without momentum.
#[pyfunction]
#[pyo3(signature = (params, grads, momentum_buffers, *, lr, momentum, dampening, weight_decay, nesterov, maximize))]
#[allow(clippy::too_many_arguments)]
fn sgd_step(
    py: Python<'_>,
    params: &Bound<'_, PyAny>,
    grads: &Bound<'_, PyAny>,
    momentum_buffers: &Bound<'_, PyAny>,
    lr: f64,
    momentum: f64,
    dampening: f64,
    weight_decay: f64,
    nesterov: bool,
    maximize: bool,
) -> PyResult<Py<PyAny>> {
    const F: &str = "sgd_step";
    let params = tensors(params, F, "params")?;
    let grads = tensors(grads, F, "grads")?;
    let mut buffers = tensor_items(momentum_buffers, F, "momentum_buffers", true)?;
    let options = SgdOptions { lr, momentum, dampening, weight_decay, nesterov, maximize };
    run(py, &params, || optim::sgd_step(&params, &grads, &mut buffers, &options))?;
    if momentum == 0.0 {
        return Ok(py.None());
    }
    let items = buffers.into_iter().map(|b| b.map_or_else(|| Ok(py.None()), |t| wrap(py, t))).collect::<PyResult<Vec<_>>>()?;
    Ok(PyList::new(py, items)?.into_any().unbind())
}

/// A step whose state is lists of tensors (one per param) in a core
/// `$State` struct and whose hyperparameters fill a core `$Options`: the
/// binding only turns the Python lists into tensors.
macro_rules! stateful_step {
    ($name:ident($($list:ident),+; $($option:ident: $ty:ty),+) => $State:ident, $Options:ident) => {
        #[pyfunction]
        #[pyo3(signature = (params, grads, $($list,)+ *, $($option),+))]
        #[allow(clippy::too_many_arguments)]
        fn $name(py: Python<'_>, params: &Bound<'_, PyAny>, grads: &Bound<'_, PyAny>, $($list: &Bound<'_, PyAny>,)+ $($option: $ty),+) -> PyResult<()> {
            const F: &str = stringify!($name);
            let params = tensors(params, F, "params")?;
            let grads = tensors(grads, F, "grads")?;
            $(let $list = tensors($list, F, stringify!($list))?;)+
            let state = $State { $($list: &$list),+ };
            let options = $Options { $($option),+ };
            run(py, &params, || optim::$name(&params, &grads, &state, &options))
        }
    };
}

stateful_step!(adam_step(exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps;
    lr: f64, beta1: f64, beta2: f64, weight_decay: f64, eps: f64, amsgrad: bool, maximize: bool, decoupled_weight_decay: bool) => AdamState, AdamOptions);
stateful_step!(rmsprop_step(square_avgs, grad_avgs, momentum_buffers, steps;
    lr: f64, alpha: f64, eps: f64, weight_decay: f64, momentum: f64, centered: bool, maximize: bool) => RMSpropState, RMSpropOptions);
stateful_step!(adagrad_step(state_sums, steps;
    lr: f64, lr_decay: f64, weight_decay: f64, eps: f64, maximize: bool) => AdagradState, AdagradOptions);
stateful_step!(adamax_step(exp_avgs, exp_infs, steps;
    lr: f64, beta1: f64, beta2: f64, eps: f64, weight_decay: f64, maximize: bool) => AdamaxState, AdamaxOptions);

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let module = PyModule::new(m.py(), "_optim")?;
    for f in [
        wrap_pyfunction!(sgd_step, &module)?,
        wrap_pyfunction!(adam_step, &module)?,
        wrap_pyfunction!(rmsprop_step, &module)?,
        wrap_pyfunction!(adagrad_step, &module)?,
        wrap_pyfunction!(adamax_step, &module)?,
    ] {
        module.add_function(f)?;
    }
    m.add_submodule(&module)?;
    Ok(())
}
