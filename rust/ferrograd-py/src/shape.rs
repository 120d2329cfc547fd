//! Shape methods of `Tensor` (views, reordering copies) and the joining
//! functions (`torch.cat`, `torch.stack`, ...). Argument parsing only: each
//! call is one core call.

use crate::errors::IntoPyResult;
use crate::gil::compute_tensor;
use crate::tensor::{wrap, PyTensor};
use ferrograd::Tensor;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyList, PyTuple};

#[inline]
fn out(py: Python<'_>, r: ferrograd::Result<Tensor>) -> PyResult<Py<PyAny>> {
    wrap(py, r.py()?)
}

/// Work for an op that copies only when `t` cannot be viewed in place
/// (reshape, flatten): a contiguous tensor gives a view, so no work.
fn copy_work(t: &Tensor) -> usize {
    if t.is_contiguous() {
        0
    } else {
        t.numel()
    }
}

/// Elements written when `t` is repeated `repeats` times along its dims.
fn repeated_work(t: &Tensor, repeats: &[i64]) -> usize {
    repeats.iter().fold(t.numel(), |n, &r| n.saturating_mul(usize::try_from(r).unwrap_or(0)))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_default()
}

/// An int, refusing bools as PyTorch does for sizes and dims.
fn int_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<i64> {
    if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!("{what} must be tuple of ints, not {}", type_name(obj))));
    }
    obj.extract::<i64>().map_err(|_| PyTypeError::new_err(format!("{what} must be tuple of ints, not {}", type_name(obj))))
}

/// An int or a sequence of ints (a dims/sizes argument).
fn int_list(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<i64>> {
    if obj.is_instance_of::<PyTuple>() || obj.is_instance_of::<PyList>() || !obj.hasattr("__index__")? && obj.hasattr("__iter__")? {
        return obj.try_iter()?.map(|d| int_arg(&d?, what)).collect();
    }
    Ok(vec![int_arg(obj, what)?])
}

/// `*sizes` given either spread out (`view(2, 3)`) or as one sequence (`view((2, 3))`).
fn varargs_ints(args: &Bound<'_, PyTuple>, what: &str) -> PyResult<Vec<i64>> {
    if args.len() == 1 {
        return int_list(&args.get_item(0)?, what);
    }
    args.iter().map(|a| int_arg(&a, what)).collect()
}

/// Varargs, or the same sizes passed by keyword (`permute(dims=(1, 0))`).
fn sizes_or_keyword<'py>(args: &Bound<'py, PyTuple>, keyword: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyTuple>> {
    match keyword {
        Some(k) if args.is_empty() => PyTuple::new(args.py(), [k]),
        Some(_) => Err(PyTypeError::new_err("sizes given both positionally and by keyword")),
        None => Ok(args.clone()),
    }
}

fn tensor_arg(obj: &Bound<'_, PyAny>, fname: &str, what: &str) -> PyResult<Tensor> {
    obj.cast::<PyTensor>()
        .map(|t| t.get().inner.clone())
        .map_err(|_| PyTypeError::new_err(format!("{fname}(): argument '{what}' must be Tensor, not {}", type_name(obj))))
}

/// A tuple or list of tensors (cat/stack's first argument).
fn tensor_seq(obj: &Bound<'_, PyAny>, fname: &str) -> PyResult<Vec<Tensor>> {
    let bad = || PyTypeError::new_err(format!("{fname}(): argument 'tensors' (position 1) must be tuple of Tensors, not {}", type_name(obj)));
    if obj.is_instance_of::<PyTensor>() || !obj.hasattr("__iter__")? {
        return Err(bad());
    }
    obj.try_iter()?
        .enumerate()
        .map(|(i, item)| {
            let item = item?;
            item.cast::<PyTensor>()
                .map(|t| t.get().inner.clone())
                .map_err(|_| PyTypeError::new_err(format!("expected Tensor as element {i} in argument 0, but got {}", type_name(&item))))
        })
        .collect()
}

fn tuple_of(py: Python<'_>, tensors: ferrograd::Result<Vec<Tensor>>) -> PyResult<Py<PyAny>> {
    let items = tensors.py()?.into_iter().map(|t| wrap(py, t)).collect::<PyResult<Vec<_>>>()?;
    Ok(PyTuple::new(py, items)?.into_any().unbind())
}

#[pymethods]
impl PyTensor {
    // ---- views -------------------------------------------------------------

    #[pyo3(signature = (*args, shape=None))]
    pub(crate) fn reshape(&self, py: Python<'_>, args: &Bound<'_, PyTuple>, shape: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let shape = &sizes_or_keyword(args, shape)?;
        let (x, sizes) = (&self.inner, varargs_ints(shape, "reshape(): argument 'shape'")?);
        compute_tensor(py, copy_work(x), || x.reshape(&sizes))
    }
    #[pyo3(signature = (*args, size=None))]
    pub(crate) fn view(&self, py: Python<'_>, args: &Bound<'_, PyTuple>, size: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let shape = &sizes_or_keyword(args, size)?;
        out(py, self.inner.view(&varargs_ints(shape, "view(): argument 'size'")?))
    }
    pub(crate) fn view_as(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let other = tensor_arg(other, "view_as", "other")?;
        out(py, self.inner.view(&dims_of(&other)))
    }
    pub(crate) fn reshape_as(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let other = tensor_arg(other, "reshape_as", "other")?;
        let (x, sizes) = (&self.inner, dims_of(&other));
        compute_tensor(py, copy_work(x), || x.reshape(&sizes))
    }
    #[pyo3(signature = (*args, size=None))]
    pub(crate) fn expand(&self, py: Python<'_>, args: &Bound<'_, PyTuple>, size: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let sizes = &sizes_or_keyword(args, size)?;
        out(py, self.inner.expand_sizes(&varargs_ints(sizes, "expand(): argument 'size' (position 1)")?))
    }
    pub(crate) fn expand_as(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let other = tensor_arg(other, "expand_as", "other")?;
        out(py, self.inner.expand_sizes(&dims_of(&other)))
    }
    pub(crate) fn broadcast_to(&self, py: Python<'_>, size: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        out(py, self.inner.expand_sizes(&int_list(size, "broadcast_to(): argument 'size' (position 1)")?))
    }
    pub(crate) fn transpose(&self, py: Python<'_>, dim0: i64, dim1: i64) -> PyResult<Py<PyAny>> {
        out(py, self.inner.transpose(dim0, dim1))
    }
    pub(crate) fn swapaxes(&self, py: Python<'_>, axis0: i64, axis1: i64) -> PyResult<Py<PyAny>> {
        out(py, self.inner.transpose(axis0, axis1))
    }
    pub(crate) fn swapdims(&self, py: Python<'_>, dim0: i64, dim1: i64) -> PyResult<Py<PyAny>> {
        out(py, self.inner.transpose(dim0, dim1))
    }
    pub(crate) fn t(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        out(py, self.inner.t())
    }
    // In-place view ops: this tensor's own shape changes; it is returned.
    fn t_(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        slf.get().inner.t_().py()?;
        Ok(slf)
    }
    fn transpose_(slf: Bound<'_, Self>, dim0: i64, dim1: i64) -> PyResult<Bound<'_, Self>> {
        slf.get().inner.transpose_(dim0, dim1).py()?;
        Ok(slf)
    }
    fn swapdims_(slf: Bound<'_, Self>, dim0: i64, dim1: i64) -> PyResult<Bound<'_, Self>> {
        slf.get().inner.transpose_(dim0, dim1).py()?;
        Ok(slf)
    }
    fn swapaxes_(slf: Bound<'_, Self>, axis0: i64, axis1: i64) -> PyResult<Bound<'_, Self>> {
        slf.get().inner.transpose_(axis0, axis1).py()?;
        Ok(slf)
    }
    fn unsqueeze_(slf: Bound<'_, Self>, dim: i64) -> PyResult<Bound<'_, Self>> {
        slf.get().inner.unsqueeze_(dim).py()?;
        Ok(slf)
    }
    #[pyo3(signature = (dim=None))]
    fn squeeze_<'py>(slf: Bound<'py, Self>, dim: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, Self>> {
        let dims = match dim.filter(|d| !d.is_none()) {
            None => None,
            Some(d) if d.is_instance_of::<PyTuple>() || d.is_instance_of::<PyList>() => Some(int_list(d, "squeeze_(): argument 'dim'")?),
            Some(d) => Some(vec![int_arg(d, "squeeze_(): argument 'dim'")?]),
        };
        slf.get().inner.squeeze_(dims.as_deref()).py()?;
        Ok(slf)
    }
    /// `resize_(*sizes)` or `resize_(sizes)`.
    #[pyo3(signature = (*sizes))]
    fn resize_<'py>(slf: Bound<'py, Self>, sizes: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, Self>> {
        let sizes = varargs_ints(sizes, "resize_(): argument 'size'")?;
        slf.get().inner.resize_(&sizes).py()?;
        Ok(slf)
    }
    fn resize_as_<'py>(slf: Bound<'py, Self>, other: PyRef<'py, PyTensor>) -> PyResult<Bound<'py, Self>> {
        slf.get().inner.resize_as_(&other.inner).py()?;
        Ok(slf)
    }
    #[getter(T)]
    pub(crate) fn big_t(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let deprecation = match self.inner.ndim() {
            2 => None,
            0 => Some(c"Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."),
            _ => Some(c"The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it will throw an error in a future release. Consider `x.mT` to transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor."),
        };
        if let Some(message) = deprecation {
            PyErr::warn(py, &py.get_type::<pyo3::exceptions::PyUserWarning>(), message, 1)?;
        }
        let dims: Vec<i64> = (0..self.inner.ndim() as i64).rev().collect();
        out(py, self.inner.permute(&dims))
    }
    #[getter(mT)]
    pub(crate) fn matrix_t(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        out(py, self.inner.mt())
    }
    #[pyo3(signature = (*args, dims=None))]
    pub(crate) fn permute(&self, py: Python<'_>, args: &Bound<'_, PyTuple>, dims: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let dims = &sizes_or_keyword(args, dims)?;
        out(py, self.inner.permute(&varargs_ints(dims, "permute(): argument 'dims'")?))
    }
    pub(crate) fn movedim(&self, py: Python<'_>, source: &Bound<'_, PyAny>, destination: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let (s, d) = (int_list(source, "movedim(): argument 'source'")?, int_list(destination, "movedim(): argument 'destination'")?);
        out(py, self.inner.movedim(&s, &d))
    }
    pub(crate) fn moveaxis(&self, py: Python<'_>, source: &Bound<'_, PyAny>, destination: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.movedim(py, source, destination)
    }
    pub(crate) fn unsqueeze(&self, py: Python<'_>, dim: i64) -> PyResult<Py<PyAny>> {
        out(py, self.inner.unsqueeze(dim))
    }
    #[pyo3(signature = (dim=None))]
    pub(crate) fn squeeze(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        match dim {
            None => out(py, self.inner.squeeze(None)),
            Some(d) if d.is_none() => out(py, self.inner.squeeze(None)),
            Some(d) if d.is_instance_of::<PyTuple>() || d.is_instance_of::<PyList>() => {
                out(py, self.inner.squeeze_dims(&int_list(d, "squeeze(): argument 'dim'")?))
            }
            Some(d) => out(py, self.inner.squeeze(Some(int_arg(d, "squeeze(): argument 'dim'")?))),
        }
    }
    #[pyo3(signature = (start_dim=0, end_dim=-1), text_signature = "($self, start_dim=0, end_dim=-1)")]
    pub(crate) fn flatten(&self, py: Python<'_>, start_dim: i64, end_dim: i64) -> PyResult<Py<PyAny>> {
        let x = &self.inner;
        compute_tensor(py, copy_work(x), || x.flatten(start_dim, end_dim))
    }
    pub(crate) fn ravel(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let x = &self.inner;
        compute_tensor(py, copy_work(x), || x.ravel())
    }
    pub(crate) fn unflatten(&self, py: Python<'_>, dim: i64, sizes: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        out(py, self.inner.unflatten(dim, &int_list(sizes, "unflatten(): argument 'sizes'")?))
    }
    #[pyo3(signature = (memory_format=None))]
    pub(crate) fn contiguous(&self, py: Python<'_>, memory_format: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let _ = memory_format;
        let x = &self.inner;
        compute_tensor(py, copy_work(x), || x.contiguous())
    }
    #[pyo3(signature = (*, memory_format=None))]
    pub(crate) fn clone(&self, py: Python<'_>, memory_format: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let _ = memory_format;
        let x = &self.inner;
        compute_tensor(py, x.numel(), || x.clone_tensor())
    }
    pub(crate) fn select(&self, py: Python<'_>, dim: i64, index: i64) -> PyResult<Py<PyAny>> {
        out(py, self.inner.select(dim, index))
    }
    pub(crate) fn narrow(&self, py: Python<'_>, dim: i64, start: &Bound<'_, PyAny>, length: i64) -> PyResult<Py<PyAny>> {
        out(py, self.inner.narrow(dim, int_arg(start, "narrow(): argument 'start'")?, length))
    }
    #[pyo3(signature = (offset=0, dim1=0, dim2=1))]
    pub(crate) fn diagonal(&self, py: Python<'_>, offset: i64, dim1: i64, dim2: i64) -> PyResult<Py<PyAny>> {
        out(py, self.inner.diagonal(offset, dim1, dim2))
    }

    // ---- several outputs ---------------------------------------------------

    #[pyo3(signature = (dim=0))]
    pub(crate) fn unbind(&self, py: Python<'_>, dim: i64) -> PyResult<Py<PyAny>> {
        tuple_of(py, self.inner.unbind(dim))
    }
    #[pyo3(signature = (chunks, dim=0))]
    pub(crate) fn chunk(&self, py: Python<'_>, chunks: i64, dim: i64) -> PyResult<Py<PyAny>> {
        tuple_of(py, self.inner.chunk(chunks, dim))
    }
    /// `split(int, dim)` or `split([sizes], dim)`.
    #[pyo3(signature = (split_size, dim=0))]
    pub(crate) fn split(&self, py: Python<'_>, split_size: &Bound<'_, PyAny>, dim: i64) -> PyResult<Py<PyAny>> {
        if split_size.is_instance_of::<PyTuple>() || split_size.is_instance_of::<PyList>() {
            let sizes = int_list(split_size, "split(): argument 'split_size'")?;
            return tuple_of(py, self.inner.split_with_sizes(&sizes, dim));
        }
        tuple_of(py, self.inner.split(int_arg(split_size, "split(): argument 'split_size'")?, dim))
    }
    #[pyo3(signature = (split_sizes, dim=0))]
    pub(crate) fn split_with_sizes(&self, py: Python<'_>, split_sizes: &Bound<'_, PyAny>, dim: i64) -> PyResult<Py<PyAny>> {
        tuple_of(py, self.inner.split_with_sizes(&int_list(split_sizes, "split_with_sizes(): argument 'split_sizes'")?, dim))
    }

    // ---- copies in a new order ------------------------------------------------

    #[pyo3(signature = (*args, dims=None))]
    pub(crate) fn flip(&self, py: Python<'_>, args: &Bound<'_, PyTuple>, dims: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let dims = &sizes_or_keyword(args, dims)?;
        let (x, dims) = (&self.inner, varargs_ints(dims, "flip(): argument 'dims'")?);
        compute_tensor(py, x.numel(), || x.flip(&dims))
    }
    #[pyo3(signature = (shifts, dims=None))]
    pub(crate) fn roll(&self, py: Python<'_>, shifts: &Bound<'_, PyAny>, dims: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let shifts = int_list(shifts, "roll(): argument 'shifts'")?;
        let dims = match dims {
            Some(d) if !d.is_none() => int_list(d, "roll(): argument 'dims'")?,
            _ => vec![],
        };
        let x = &self.inner;
        compute_tensor(py, x.numel(), || x.roll(&shifts, &dims))
    }
    #[pyo3(signature = (*args, repeats=None))]
    pub(crate) fn repeat(&self, py: Python<'_>, args: &Bound<'_, PyTuple>, repeats: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let repeats = &sizes_or_keyword(args, repeats)?;
        let (x, repeats) = (&self.inner, varargs_ints(repeats, "repeat(): argument 'repeats'")?);
        compute_tensor(py, repeated_work(x, &repeats), || x.repeat(&repeats))
    }
    #[pyo3(signature = (*args, dims=None))]
    pub(crate) fn tile(&self, py: Python<'_>, args: &Bound<'_, PyTuple>, dims: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let dims = &sizes_or_keyword(args, dims)?;
        let (x, dims) = (&self.inner, varargs_ints(dims, "tile(): argument 'dims'")?);
        compute_tensor(py, repeated_work(x, &dims), || x.tile(&dims))
    }
    #[pyo3(signature = (repeats, dim=None, *, output_size=None))]
    pub(crate) fn repeat_interleave(&self, py: Python<'_>, repeats: &Bound<'_, PyAny>, dim: Option<i64>, output_size: Option<i64>) -> PyResult<Py<PyAny>> {
        let _ = output_size;
        if repeats.is_instance_of::<PyTensor>() && repeats.cast::<PyTensor>()?.get().inner.ndim() > 0 {
            return Err(pyo3::exceptions::PyNotImplementedError::new_err("repeat_interleave with a tensor of repeats is not supported; pass an int"));
        }
        let (x, repeats) = (&self.inner, int_arg(repeats, "repeat_interleave(): argument 'repeats'")?);
        compute_tensor(py, repeated_work(x, &[repeats]), || x.repeat_interleave(repeats, dim))
    }
    #[pyo3(signature = (diagonal=0))]
    pub(crate) fn tril(&self, py: Python<'_>, diagonal: i64) -> PyResult<Py<PyAny>> {
        let x = &self.inner;
        compute_tensor(py, x.numel(), || x.tril(diagonal))
    }
    #[pyo3(signature = (diagonal=0))]
    pub(crate) fn triu(&self, py: Python<'_>, diagonal: i64) -> PyResult<Py<PyAny>> {
        let x = &self.inner;
        compute_tensor(py, x.numel(), || x.triu(diagonal))
    }
}

fn dims_of(t: &Tensor) -> Vec<i64> {
    t.shape().iter().map(|&s| s as i64).collect()
}

// ---- joining: module-level functions ------------------------------------------------

#[pyfunction]
#[pyo3(signature = (tensors, dim=0, *, out=None))]
fn cat(py: Python<'_>, tensors: &Bound<'_, PyAny>, dim: i64, out: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    joined(py, "cat", out, || tensor_seq(tensors, "cat"), |ts| Tensor::cat(ts, dim))
}

#[pyfunction]
#[pyo3(signature = (tensors, dim=0, *, out=None))]
fn concat(py: Python<'_>, tensors: &Bound<'_, PyAny>, dim: i64, out: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    joined(py, "concat", out, || tensor_seq(tensors, "concat"), |ts| Tensor::cat(ts, dim))
}

#[pyfunction]
#[pyo3(signature = (tensors, axis=0, *, out=None))]
fn concatenate(py: Python<'_>, tensors: &Bound<'_, PyAny>, axis: i64, out: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    joined(py, "concatenate", out, || tensor_seq(tensors, "concatenate"), |ts| Tensor::cat(ts, axis))
}

#[pyfunction]
#[pyo3(signature = (tensors, dim=0, *, out=None))]
fn stack(py: Python<'_>, tensors: &Bound<'_, PyAny>, dim: i64, out: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    joined(py, "stack", out, || tensor_seq(tensors, "stack"), |ts| Tensor::stack(ts, dim))
}

/// A joining function's result, written into `out` when one is given. The
/// join runs detached when the inputs hold enough elements in total.
fn joined(
    py: Python<'_>,
    name: &str,
    out: Option<&Bound<'_, PyAny>>,
    tensors: impl FnOnce() -> PyResult<Vec<Tensor>>,
    join: impl FnOnce(&[Tensor]) -> ferrograd::Result<Tensor> + Send,
) -> PyResult<Py<PyAny>> {
    let target = crate::function_forms::out::target(name, out)?;
    let result = tensors().and_then(|ts| {
        let work = ts.iter().fold(0usize, |n, t| n.saturating_add(t.numel()));
        compute_tensor(py, work, || join(&ts))
    });
    crate::function_forms::out::finish(py, name, result, target, crate::function_forms::out::Cast::Joined)
}

macro_rules! stack_fn {
    ($name:ident, $core:path) => {
        #[pyfunction]
        #[pyo3(signature = (tensors, *, out=None))]
        fn $name(py: Python<'_>, tensors: &Bound<'_, PyAny>, out: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
            joined(py, stringify!($name), out, || tensor_seq(tensors, stringify!($name)), |ts| $core(ts))
        }
    };
}

stack_fn!(hstack, Tensor::hstack);
stack_fn!(vstack, Tensor::vstack);
stack_fn!(row_stack, Tensor::vstack);
stack_fn!(dstack, Tensor::dstack);
stack_fn!(column_stack, Tensor::column_stack);

/// `out=` is refused rather than ignored: ignoring it would leave the
/// caller's tensor unwritten while they read it as the result.
pub(crate) fn no_out(out: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<()> {
    match out {
        Some(o) if !o.is_none() => Err(pyo3::exceptions::PyNotImplementedError::new_err(format!("{name}(out=...) is not supported"))),
        _ => Ok(()),
    }
}

/// `atleast_Nd(t)` gives a tensor; `atleast_Nd(a, b)` or `atleast_Nd([a, b])` a tuple.
fn atleast(py: Python<'_>, args: &Bound<'_, PyTuple>, name: &str, lift: fn(&Tensor) -> ferrograd::Result<Tensor>) -> PyResult<Py<PyAny>> {
    if args.len() == 1 {
        let first = args.get_item(0)?;
        if let Ok(t) = first.cast::<PyTensor>() {
            return out(py, lift(&t.get().inner));
        }
        return tuple_of(py, tensor_seq(&first, name)?.iter().map(lift).collect());
    }
    let tensors = args.iter().map(|a| tensor_arg(&a, name, "tensors")).collect::<PyResult<Vec<_>>>()?;
    tuple_of(py, tensors.iter().map(lift).collect())
}

#[pyfunction]
#[pyo3(signature = (*tensors))]
fn atleast_1d(py: Python<'_>, tensors: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
    atleast(py, tensors, "atleast_1d", Tensor::atleast_1d)
}

#[pyfunction]
#[pyo3(signature = (*tensors))]
fn atleast_2d(py: Python<'_>, tensors: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
    atleast(py, tensors, "atleast_2d", Tensor::atleast_2d)
}

#[pyfunction]
#[pyo3(signature = (*tensors))]
fn atleast_3d(py: Python<'_>, tensors: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
    atleast(py, tensors, "atleast_3d", Tensor::atleast_3d)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    for f in [
        wrap_pyfunction!(cat, m)?,
        wrap_pyfunction!(concat, m)?,
        wrap_pyfunction!(concatenate, m)?,
        wrap_pyfunction!(stack, m)?,
        wrap_pyfunction!(hstack, m)?,
        wrap_pyfunction!(vstack, m)?,
        wrap_pyfunction!(row_stack, m)?,
        wrap_pyfunction!(dstack, m)?,
        wrap_pyfunction!(column_stack, m)?,
        wrap_pyfunction!(atleast_1d, m)?,
        wrap_pyfunction!(atleast_2d, m)?,
        wrap_pyfunction!(atleast_3d, m)?,
    ] {
        m.add_function(f)?;
    }
    Ok(())
}
