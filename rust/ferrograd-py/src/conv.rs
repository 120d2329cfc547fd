//! Bindings for convolution, pooling, padding, normalization and embedding,
//! in the `_nn_conv` submodule. The Python layer (`nn/_conv.py`) parses
//! PyTorch's flexible arguments (ints or tuples, 'same', unbatched inputs)
//! into the explicit lists these functions take; each makes one core call.

use crate::errors::IntoPyResult;
use crate::gil::{compute_tensor, run_detached_if_large};
use crate::tensor::{wrap, PyTensor};
use ferrograd::kernels::window::Window2d;
use ferrograd::ops::conv::ConvParams;
use ferrograd::ops::embedding::EmbeddingGrad;
use ferrograd::ops::pool::PoolParams;
use ferrograd::{Scalar, Tensor};
use pyo3::prelude::*;

type Pair = (usize, usize);

fn arr((a, b): Pair) -> [usize; 2] {
    [a, b]
}

fn inner(t: Option<PyRef<'_, PyTensor>>) -> Option<Tensor> {
    t.map(|t| t.inner.clone())
}


#[pyfunction]
#[pyo3(signature = (input, weight, bias, stride, padding_lo, padding_hi, dilation, groups))]
#[allow(clippy::too_many_arguments)]
fn convolution(
    py: Python<'_>,
    input: PyRef<'_, PyTensor>,
    weight: PyRef<'_, PyTensor>,
    bias: Option<PyRef<'_, PyTensor>>,
    stride: Vec<usize>,
    padding_lo: Vec<usize>,
    padding_hi: Vec<usize>,
    dilation: Vec<usize>,
    groups: usize,
) -> PyResult<Py<PyAny>> {
    let params = ConvParams { stride, padding_lo, padding_hi, dilation, groups };
    let (x, w, b) = (input.inner.clone(), weight.inner.clone(), inner(bias));
    let work = x.numel().max(w.numel());
    compute_tensor(py, work, || x.convolution(&w, b.as_ref(), &params))
}

fn window(kernel_size: Pair, dilation: Pair, padding: Pair, stride: Pair) -> Window2d {
    Window2d { kernel: arr(kernel_size), stride: arr(stride), dilation: arr(dilation), pad_lo: arr(padding), pad_hi: arr(padding) }
}

#[pyfunction]
fn im2col(py: Python<'_>, input: PyRef<'_, PyTensor>, kernel_size: Pair, dilation: Pair, padding: Pair, stride: Pair) -> PyResult<Py<PyAny>> {
    let x = input.inner.clone();
    compute_tensor(py, x.numel(), || x.im2col(window(kernel_size, dilation, padding, stride)))
}

#[pyfunction]
fn col2im(py: Python<'_>, input: PyRef<'_, PyTensor>, output_size: Pair, kernel_size: Pair, dilation: Pair, padding: Pair, stride: Pair) -> PyResult<Py<PyAny>> {
    let x = input.inner.clone();
    compute_tensor(py, x.numel(), || x.col2im(arr(output_size), window(kernel_size, dilation, padding, stride)))
}

/// Returns `(values, indices)`.
#[pyfunction]
fn max_pool2d(py: Python<'_>, input: PyRef<'_, PyTensor>, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, ceil_mode: bool) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
    let params = PoolParams { kernel: arr(kernel_size), stride: arr(stride), padding: arr(padding), dilation: arr(dilation), ceil_mode };
    let x = input.inner.clone();
    let (values, indices) = run_detached_if_large(py, x.numel(), || x.max_pool2d_with_indices(&params)).py()?;
    Ok((wrap(py, values)?, wrap(py, indices)?))
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn avg_pool2d(
    py: Python<'_>,
    input: PyRef<'_, PyTensor>,
    kernel_size: Pair,
    stride: Pair,
    padding: Pair,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: Option<i64>,
) -> PyResult<Py<PyAny>> {
    let params = PoolParams { kernel: arr(kernel_size), stride: arr(stride), padding: arr(padding), dilation: [1, 1], ceil_mode };
    let x = input.inner.clone();
    compute_tensor(py, x.numel(), || x.avg_pool2d(&params, count_include_pad, divisor_override))
}

#[pyfunction]
fn adaptive_avg_pool2d(py: Python<'_>, input: PyRef<'_, PyTensor>, output_size: Pair) -> PyResult<Py<PyAny>> {
    let x = input.inner.clone();
    compute_tensor(py, x.numel(), || x.adaptive_avg_pool2d(arr(output_size)))
}

#[pyfunction]
fn constant_pad_nd(py: Python<'_>, input: PyRef<'_, PyTensor>, pad: Vec<i64>, value: f64) -> PyResult<Py<PyAny>> {
    let x = &input.inner;
    compute_tensor(py, x.numel(), || x.constant_pad_nd(&pad, Scalar::Float(value)))
}

#[pyfunction]
fn layer_norm(py: Python<'_>, input: PyRef<'_, PyTensor>, normalized_shape: Vec<usize>, weight: Option<PyRef<'_, PyTensor>>, bias: Option<PyRef<'_, PyTensor>>, eps: f64) -> PyResult<Py<PyAny>> {
    let (x, w, b) = (input.inner.clone(), inner(weight), inner(bias));
    compute_tensor(py, x.numel(), || x.layer_norm(&normalized_shape, w.as_ref(), b.as_ref(), eps))
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn batch_norm(
    py: Python<'_>,
    input: PyRef<'_, PyTensor>,
    running_mean: Option<PyRef<'_, PyTensor>>,
    running_var: Option<PyRef<'_, PyTensor>>,
    weight: Option<PyRef<'_, PyTensor>>,
    bias: Option<PyRef<'_, PyTensor>>,
    training: bool,
    momentum: f64,
    eps: f64,
) -> PyResult<Py<PyAny>> {
    let (rm, rv, w, b) = (inner(running_mean), inner(running_var), inner(weight), inner(bias));
    let x = input.inner.clone();
    compute_tensor(py, x.numel(), || x.batch_norm(rm.as_ref(), rv.as_ref(), w.as_ref(), b.as_ref(), training, momentum, eps))
}

#[pyfunction]
fn group_norm(py: Python<'_>, input: PyRef<'_, PyTensor>, num_groups: usize, weight: Option<PyRef<'_, PyTensor>>, bias: Option<PyRef<'_, PyTensor>>, eps: f64) -> PyResult<Py<PyAny>> {
    let (x, w, b) = (input.inner.clone(), inner(weight), inner(bias));
    compute_tensor(py, x.numel(), || x.group_norm(num_groups, w.as_ref(), b.as_ref(), eps))
}

#[pyfunction]
fn embedding(py: Python<'_>, input: PyRef<'_, PyTensor>, weight: PyRef<'_, PyTensor>, padding_idx: Option<usize>, scale_grad_by_freq: bool) -> PyResult<Py<PyAny>> {
    let num_weights = weight.inner.shape().first().copied().unwrap_or(0);
    let grad = EmbeddingGrad { num_weights, padding_idx, scale_grad_by_freq };
    let (w, indices) = (&weight.inner, &input.inner);
    let row = w.numel().checked_div(num_weights).unwrap_or(0);
    compute_tensor(py, indices.numel().saturating_mul(row), || w.embedding(indices, grad))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let nn = PyModule::new(m.py(), "_nn_conv")?;
    for f in [
        wrap_pyfunction!(convolution, &nn)?,
        wrap_pyfunction!(im2col, &nn)?,
        wrap_pyfunction!(col2im, &nn)?,
        wrap_pyfunction!(max_pool2d, &nn)?,
        wrap_pyfunction!(avg_pool2d, &nn)?,
        wrap_pyfunction!(adaptive_avg_pool2d, &nn)?,
        wrap_pyfunction!(constant_pad_nd, &nn)?,
        wrap_pyfunction!(layer_norm, &nn)?,
        wrap_pyfunction!(batch_norm, &nn)?,
        wrap_pyfunction!(group_norm, &nn)?,
        wrap_pyfunction!(embedding, &nn)?,
    ] {
        nn.add_function(f)?;
    }
    m.add_submodule(&nn)?;
    Ok(())
}
