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

#[pyfunction]
#[pyo3(signature = (params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, *, lr, beta1, beta2, weight_decay, eps, amsgrad, maximize, decoupled_weight_decay))]
#[allow(clippy::too_many_arguments)]
fn adam_step(
    py: Python<'_>,
    params: &Bound<'_, PyAny>,
    grads: &Bound<'_, PyAny>,
    exp_avgs: &Bound<'_, PyAny>,
    exp_avg_sqs: &Bound<'_, PyAny>,
    max_exp_avg_sqs: &Bound<'_, PyAny>,
    steps: &Bound<'_, PyAny>,
    lr: f64,
    beta1: f64,
    beta2: f64,
    weight_decay: f64,
    eps: f64,
    amsgrad: bool,
    maximize: bool,
    decoupled_weight_decay: bool,
) -> PyResult<()> {
    const F: &str = "adam_step";
    let params = tensors(params, F, "params")?;
    let grads = tensors(grads, F, "grads")?;
    let exp_avgs = tensors(exp_avgs, F, "exp_avgs")?;
    let exp_avg_sqs = tensors(exp_avg_sqs, F, "exp_avg_sqs")?;
    let max_exp_avg_sqs = tensors(max_exp_avg_sqs, F, "max_exp_avg_sqs")?;
    let steps = tensors(steps, F, "steps")?;
    let state = AdamState { exp_avgs: &exp_avgs, exp_avg_sqs: &exp_avg_sqs, max_exp_avg_sqs: &max_exp_avg_sqs, steps: &steps };
    let options = AdamOptions { lr, beta1, beta2, weight_decay, eps, amsgrad, maximize, decoupled_weight_decay };
    run(py, &params, || optim::adam_step(&params, &grads, &state, &options))
}

#[pyfunction]
#[pyo3(signature = (params, grads, square_avgs, grad_avgs, momentum_buffers, steps, *, lr, alpha, eps, weight_decay, momentum, centered, maximize))]
#[allow(clippy::too_many_arguments)]
fn rmsprop_step(
    py: Python<'_>,
    params: &Bound<'_, PyAny>,
    grads: &Bound<'_, PyAny>,
    square_avgs: &Bound<'_, PyAny>,
    grad_avgs: &Bound<'_, PyAny>,
    momentum_buffers: &Bound<'_, PyAny>,
    steps: &Bound<'_, PyAny>,
    lr: f64,
    alpha: f64,
    eps: f64,
    weight_decay: f64,
    momentum: f64,
    centered: bool,
    maximize: bool,
) -> PyResult<()> {
    const F: &str = "rmsprop_step";
    let params = tensors(params, F, "params")?;
    let grads = tensors(grads, F, "grads")?;
    let square_avgs = tensors(square_avgs, F, "square_avgs")?;
    let grad_avgs = tensors(grad_avgs, F, "grad_avgs")?;
    let momentum_buffers = tensors(momentum_buffers, F, "momentum_buffers")?;
    let steps = tensors(steps, F, "steps")?;
    let state = RMSpropState { square_avgs: &square_avgs, grad_avgs: &grad_avgs, momentum_buffers: &momentum_buffers, steps: &steps };
    let options = RMSpropOptions { lr, alpha, eps, weight_decay, momentum, centered, maximize };
    run(py, &params, || optim::rmsprop_step(&params, &grads, &state, &options))
}

#[pyfunction]
#[pyo3(signature = (params, grads, state_sums, steps, *, lr, lr_decay, weight_decay, eps, maximize))]
#[allow(clippy::too_many_arguments)]
fn adagrad_step(
    py: Python<'_>,
    params: &Bound<'_, PyAny>,
    grads: &Bound<'_, PyAny>,
    state_sums: &Bound<'_, PyAny>,
    steps: &Bound<'_, PyAny>,
    lr: f64,
    lr_decay: f64,
    weight_decay: f64,
    eps: f64,
    maximize: bool,
) -> PyResult<()> {
    const F: &str = "adagrad_step";
    let params = tensors(params, F, "params")?;
    let grads = tensors(grads, F, "grads")?;
    let state_sums = tensors(state_sums, F, "state_sums")?;
    let steps = tensors(steps, F, "steps")?;
    let state = AdagradState { state_sums: &state_sums, steps: &steps };
    let options = AdagradOptions { lr, lr_decay, weight_decay, eps, maximize };
    run(py, &params, || optim::adagrad_step(&params, &grads, &state, &options))
}

#[pyfunction]
#[pyo3(signature = (params, grads, exp_avgs, exp_infs, steps, *, lr, beta1, beta2, eps, weight_decay, maximize))]
#[allow(clippy::too_many_arguments)]
fn adamax_step(
    py: Python<'_>,
    params: &Bound<'_, PyAny>,
    grads: &Bound<'_, PyAny>,
    exp_avgs: &Bound<'_, PyAny>,
    exp_infs: &Bound<'_, PyAny>,
    steps: &Bound<'_, PyAny>,
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    maximize: bool,
) -> PyResult<()> {
    const F: &str = "adamax_step";
    let params = tensors(params, F, "params")?;
    let grads = tensors(grads, F, "grads")?;
    let exp_avgs = tensors(exp_avgs, F, "exp_avgs")?;
    let exp_infs = tensors(exp_infs, F, "exp_infs")?;
    let steps = tensors(steps, F, "steps")?;
    let state = AdamaxState { exp_avgs: &exp_avgs, exp_infs: &exp_infs, steps: &steps };
    let options = AdamaxOptions { lr, beta1, beta2, eps, weight_decay, maximize };
    run(py, &params, || optim::adamax_step(&params, &grads, &state, &options))
}

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
