//! Bindings for softmax, the losses, one_hot, dropout and attention of
//! `torch.nn.functional` (module functions in the `_losses` submodule; the
//! Python layer adds PyTorch's legacy arguments and warnings). One core call each.

use crate::convert::opt_dtype;
use crate::errors::IntoPyResult;
use crate::gil::{compute_tensor, update_in_place};
use crate::linalg::product_work;
use crate::tensor::PyTensor;
use ferrograd::ops::losses::attention::AttentionOptions;
use ferrograd::ops::losses::Reduction;
use ferrograd::Tensor;
use pyo3::prelude::*;


fn reduction(s: &str) -> PyResult<Reduction> {
    Reduction::parse(s).py()
}

fn inner(t: Option<&Bound<'_, PyTensor>>) -> Option<Tensor> {
    t.map(|t| t.get().inner.clone())
}

#[pymethods]
impl PyTensor {
    #[pyo3(signature = (dim, dtype=None))]
    pub(crate) fn softmax(&self, py: Python<'_>, dim: i64, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let (x, dtype) = (&self.inner, opt_dtype(dtype)?);
        compute_tensor(py, x.numel(), || x.softmax(dim, dtype))
    }
    #[pyo3(signature = (dim, dtype=None))]
    pub(crate) fn log_softmax(&self, py: Python<'_>, dim: i64, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let (x, dtype) = (&self.inner, opt_dtype(dtype)?);
        compute_tensor(py, x.numel(), || x.log_softmax(dim, dtype))
    }
}

#[pyfunction]
#[pyo3(signature = (input, target, weight=None, reduction="mean", ignore_index=-100, label_smoothing=0.0))]
fn cross_entropy(
    py: Python<'_>,
    input: &Bound<'_, PyTensor>,
    target: &Bound<'_, PyTensor>,
    weight: Option<&Bound<'_, PyTensor>>,
    reduction: &str,
    ignore_index: i64,
    label_smoothing: f64,
) -> PyResult<Py<PyAny>> {
    let (x, t, w) = (&input.get().inner, &target.get().inner, inner(weight));
    let reduction = self::reduction(reduction)?;
    compute_tensor(py, x.numel(), || x.cross_entropy(t, w.as_ref(), reduction, ignore_index, label_smoothing))
}

#[pyfunction]
#[pyo3(signature = (input, target, weight=None, reduction="mean", ignore_index=-100))]
fn nll_loss(py: Python<'_>, input: &Bound<'_, PyTensor>, target: &Bound<'_, PyTensor>, weight: Option<&Bound<'_, PyTensor>>, reduction: &str, ignore_index: i64) -> PyResult<Py<PyAny>> {
    let (x, t, w) = (&input.get().inner, &target.get().inner, inner(weight));
    let reduction = self::reduction(reduction)?;
    compute_tensor(py, x.numel(), || x.nll_loss(t, w.as_ref(), reduction, ignore_index))
}

#[pyfunction]
#[pyo3(signature = (input, target, reduction="mean"))]
fn mse_loss(py: Python<'_>, input: &Bound<'_, PyTensor>, target: &Bound<'_, PyTensor>, reduction: &str) -> PyResult<Py<PyAny>> {
    let (x, t, reduction) = (&input.get().inner, &target.get().inner, self::reduction(reduction)?);
    compute_tensor(py, x.numel().max(t.numel()), || x.mse_loss(t, reduction))
}

#[pyfunction]
#[pyo3(signature = (input, target, reduction="mean"))]
fn l1_loss(py: Python<'_>, input: &Bound<'_, PyTensor>, target: &Bound<'_, PyTensor>, reduction: &str) -> PyResult<Py<PyAny>> {
    let (x, t, reduction) = (&input.get().inner, &target.get().inner, self::reduction(reduction)?);
    compute_tensor(py, x.numel().max(t.numel()), || x.l1_loss(t, reduction))
}

#[pyfunction]
#[pyo3(signature = (input, target, reduction="mean", beta=1.0))]
fn smooth_l1_loss(py: Python<'_>, input: &Bound<'_, PyTensor>, target: &Bound<'_, PyTensor>, reduction: &str, beta: f64) -> PyResult<Py<PyAny>> {
    let (x, t, reduction) = (&input.get().inner, &target.get().inner, self::reduction(reduction)?);
    compute_tensor(py, x.numel().max(t.numel()), || x.smooth_l1_loss(t, reduction, beta))
}

#[pyfunction]
#[pyo3(signature = (input, target, reduction="mean", delta=1.0))]
fn huber_loss(py: Python<'_>, input: &Bound<'_, PyTensor>, target: &Bound<'_, PyTensor>, reduction: &str, delta: f64) -> PyResult<Py<PyAny>> {
    let (x, t, reduction) = (&input.get().inner, &target.get().inner, self::reduction(reduction)?);
    compute_tensor(py, x.numel().max(t.numel()), || x.huber_loss(t, reduction, delta))
}

#[pyfunction]
#[pyo3(signature = (input, target, weight=None, reduction="mean"))]
fn binary_cross_entropy(py: Python<'_>, input: &Bound<'_, PyTensor>, target: &Bound<'_, PyTensor>, weight: Option<&Bound<'_, PyTensor>>, reduction: &str) -> PyResult<Py<PyAny>> {
    let w = inner(weight);
    let (x, t, reduction) = (&input.get().inner, &target.get().inner, self::reduction(reduction)?);
    compute_tensor(py, x.numel().max(t.numel()), || x.binary_cross_entropy(t, w.as_ref(), reduction))
}

#[pyfunction]
#[pyo3(signature = (input, target, weight=None, reduction="mean", pos_weight=None))]
fn binary_cross_entropy_with_logits(
    py: Python<'_>,
    input: &Bound<'_, PyTensor>,
    target: &Bound<'_, PyTensor>,
    weight: Option<&Bound<'_, PyTensor>>,
    reduction: &str,
    pos_weight: Option<&Bound<'_, PyTensor>>,
) -> PyResult<Py<PyAny>> {
    let (w, pw) = (inner(weight), inner(pos_weight));
    let (x, t, reduction) = (&input.get().inner, &target.get().inner, self::reduction(reduction)?);
    compute_tensor(py, x.numel().max(t.numel()), || x.binary_cross_entropy_with_logits(t, w.as_ref(), reduction, pw.as_ref()))
}

#[pyfunction]
#[pyo3(signature = (input, target, reduction="mean", log_target=false))]
fn kl_div(py: Python<'_>, input: &Bound<'_, PyTensor>, target: &Bound<'_, PyTensor>, reduction: &str, log_target: bool) -> PyResult<Py<PyAny>> {
    let (x, t) = (&input.get().inner, &target.get().inner);
    compute_tensor(py, x.numel().max(t.numel()), || x.kl_div(t, reduction, log_target))
}

#[pyfunction]
#[pyo3(signature = (tensor, num_classes=-1))]
fn one_hot(py: Python<'_>, tensor: &Bound<'_, PyTensor>, num_classes: i64) -> PyResult<Py<PyAny>> {
    let t = &tensor.get().inner;
    compute_tensor(py, t.numel(), || t.one_hot(num_classes))
}

/// `inplace` writes the result into `input` (the input itself when nothing is dropped).
#[pyfunction]
#[pyo3(signature = (input, p=0.5, training=true, inplace=false))]
fn dropout(py: Python<'_>, input: &Bound<'_, PyTensor>, p: f64, training: bool, inplace: bool) -> PyResult<Py<PyAny>> {
    let x = &input.get().inner;
    if inplace {
        update_in_place(py, x.numel(), || x.dropout_(p, training))?;
        return Ok(input.clone().into_any().unbind());
    }
    compute_tensor(py, x.numel(), || x.dropout(p, training))
}

#[pyfunction]
#[pyo3(signature = (query, key, value, attn_mask=None, dropout_p=0.0, is_causal=false, scale=None, enable_gqa=false))]
#[allow(clippy::too_many_arguments)]
fn scaled_dot_product_attention(
    py: Python<'_>,
    query: &Bound<'_, PyTensor>,
    key: &Bound<'_, PyTensor>,
    value: &Bound<'_, PyTensor>,
    attn_mask: Option<&Bound<'_, PyTensor>>,
    dropout_p: f64,
    is_causal: bool,
    scale: Option<f64>,
    enable_gqa: bool,
) -> PyResult<Py<PyAny>> {
    let mask = inner(attn_mask);
    let opts = AttentionOptions { attn_mask: mask.as_ref(), dropout_p, is_causal, scale, enable_gqa };
    let (q, k, v) = (&query.get().inner, &key.get().inner, &value.get().inner);
    compute_tensor(py, product_work(q, k).max(v.numel()), || Tensor::scaled_dot_product_attention(q, k, v, &opts))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let losses = PyModule::new(m.py(), "_losses")?;
    for f in [
        wrap_pyfunction!(cross_entropy, &losses)?,
        wrap_pyfunction!(nll_loss, &losses)?,
        wrap_pyfunction!(mse_loss, &losses)?,
        wrap_pyfunction!(l1_loss, &losses)?,
        wrap_pyfunction!(smooth_l1_loss, &losses)?,
        wrap_pyfunction!(huber_loss, &losses)?,
        wrap_pyfunction!(binary_cross_entropy, &losses)?,
        wrap_pyfunction!(binary_cross_entropy_with_logits, &losses)?,
        wrap_pyfunction!(kl_div, &losses)?,
        wrap_pyfunction!(one_hot, &losses)?,
        wrap_pyfunction!(dropout, &losses)?,
        wrap_pyfunction!(scaled_dot_product_attention, &losses)?,
    ] {
        losses.add_function(f)?;
    }
    m.add_submodule(&losses)?;
    Ok(())
}
