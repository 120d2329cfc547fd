//! Shape, view and index function forms.

use super::{forms, tensor_input};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

type Arg<'a, 'py> = &'a Bound<'py, PyAny>;
type Opt<'a, 'py> = Option<&'a Bound<'py, PyAny>>;

forms! { register_shape, tensor_input;
    t(input) => |x, py| x.get().t(py);
    numel(input) => |x, py| Ok(x.get().numel().into_pyobject(py)?.into_any().unbind());
    detach(input) => |x, py| x.get().detach(py);
    clone(input; memory_format: Opt = None) => |x, py| x.get().clone(py, memory_format);
    transpose(input, dim0: i64, dim1: i64) => |x, py| x.get().transpose(py, dim0, dim1);
    swapaxes(input, axis0: i64, axis1: i64) => |x, py| x.get().swapaxes(py, axis0, axis1);
    swapdims(input, dim0: i64, dim1: i64) => |x, py| x.get().swapdims(py, dim0, dim1);
    reshape(input, shape: Arg) => |x, py| x.get().reshape(py, &PyTuple::empty(py), Some(shape));
    permute(input, dims: Arg) => |x, py| x.get().permute(py, &PyTuple::empty(py), Some(dims));
    flip(input, dims: Arg) => |x, py| x.get().flip(py, &PyTuple::empty(py), Some(dims));
    tile(input, dims: Arg) => |x, py| x.get().tile(py, &PyTuple::empty(py), Some(dims));
    broadcast_to(input, size: Arg) => |x, py| x.get().broadcast_to(py, size);
    ravel(input) => |x, py| x.get().ravel(py);
    unflatten(input, dim: i64, sizes: Arg) => |x, py| x.get().unflatten(py, dim, sizes);
    unsqueeze(input, dim: i64) => |x, py| x.get().unsqueeze(py, dim);
    squeeze(input, dim: Opt = None) => |x, py| x.get().squeeze(py, dim);
    movedim(input, source: Arg, destination: Arg) => |x, py| x.get().movedim(py, source, destination);
    moveaxis(input, source: Arg, destination: Arg) => |x, py| x.get().movedim(py, source, destination);
    select(input, dim: i64, index: i64) => |x, py| x.get().select(py, dim, index);
    narrow(input, dim: i64, start: Arg, length: i64) => |x, py| x.get().narrow(py, dim, start, length);
    diagonal(input, offset: i64 = 0, dim1: i64 = 0, dim2: i64 = 1) => |x, py| x.get().diagonal(py, offset, dim1, dim2);
    unbind(input, dim: i64 = 0) => |x, py| x.get().unbind(py, dim);
    chunk(input, chunks: i64, dim: i64 = 0) => |x, py| x.get().chunk(py, chunks, dim);
    split(tensor, split_size_or_sections: Arg, dim: i64 = 0) => |x, py| x.get().split(py, split_size_or_sections, dim);
    split_with_sizes(input, split_sizes: Arg, dim: i64 = 0) => |x, py| x.get().split_with_sizes(py, split_sizes, dim);
    roll(input, shifts: Arg, dims: Opt = None) => |x, py| x.get().roll(py, shifts, dims);
    repeat_interleave(input, repeats: Arg, dim: Option<i64> = None; output_size: Option<i64> = None) => |x, py| x.get().repeat_interleave(py, repeats, dim, output_size);
    tril(input, diagonal: i64 = 0) out Result => |x, py| x.get().tril(py, diagonal);
    triu(input, diagonal: i64 = 0) out Result => |x, py| x.get().triu(py, diagonal);
}

forms! { register_index, tensor_input;
    gather(input, dim: i64, index: Arg; sparse_grad: bool = false) out Result => |x, py| x.get().gather(py, dim, index, sparse_grad);
    scatter(input, dim: i64, index: Arg, src: Opt = None; value: Opt = None, reduce: Option<&str> = None) => |x, py| x.get().scatter(py, dim, index, src, value, reduce);
    scatter_add(input, dim: i64, index: Arg, src: Arg) => |x, py| x.get().scatter_add(py, dim, index, src);
    index_select(input, dim: i64, index: Arg) out Result => |x, py| x.get().index_select(py, dim, index);
    index_add(input, dim: i64, index: Arg, source: Arg; alpha: Opt = None) out Result => |x, py| x.get().index_add(py, dim, index, source, alpha);
    index_fill(input, dim: i64, index: Arg, value: Arg) => |x, py| x.get().index_fill(py, dim, index, value);
    masked_fill(input, mask: Arg, value: Arg) => |x, py| x.get().masked_fill(py, mask, value);
    masked_select(input, mask: Arg) out Result => |x, py| x.get().masked_select(py, mask);
    take_along_dim(input, indices: Arg, dim: Option<i64> = None) out Result => |x, py| x.get().take_along_dim(py, indices, dim);
    nonzero(input; as_tuple: bool = false) out Result => |x, py| x.get().nonzero(py, as_tuple);
}

/// Outside the table: a default that is not one token (`-1`).
#[pyfunction]
#[pyo3(signature = (input, start_dim=0, end_dim=-1), text_signature = "(input, start_dim=0, end_dim=-1)")]
fn flatten(py: Python<'_>, input: &Bound<'_, PyAny>, start_dim: i64, end_dim: i64) -> PyResult<Py<PyAny>> {
    tensor_input(input, "flatten")?.get().flatten(py, start_dim, end_dim)
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(flatten, m)?)?;
    register_shape(m)?;
    register_index(m)
}
