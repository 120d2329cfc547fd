//! Module-level factories: tensor, zeros, ones, full, empty, arange,
//! linspace and the *_like forms (random ones live in random.rs).

use crate::convert::{check_device, opt_dtype, scalar_from, shape_from_args, tensor_from_data};
use crate::errors::IntoPyResult;
use crate::gil::run_detached_if_large;
use crate::tensor::{wrap, PyTensor};
use ferrograd::{DType, Scalar, Tensor};
use numpy::PyUntypedArray;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// Applies the common keyword arguments and wraps the result.
pub(crate) fn finish(py: Python<'_>, t: Tensor, device: Option<&Bound<'_, PyAny>>, requires_grad: bool) -> PyResult<Py<PyAny>> {
    // Made on the host, then moved: creation kernels are host code.
    let t = match check_device(device)? {
        Some(d) if d != t.device() => py.detach(|| t.to_device(d)).py()?,
        _ => t,
    };
    if requires_grad {
        if !t.dtype().is_floating_point() {
            return Err(pyo3::exceptions::PyRuntimeError::new_err("Only Tensors of floating point and complex dtype can require gradients"));
        }
        t.set_requires_grad(true).py()?;
    }
    wrap(py, t)
}

/// Elements in a tensor of `shape`.
pub(crate) fn shape_work(shape: &[usize]) -> usize {
    shape.iter().fold(1usize, |n, &d| n.saturating_mul(d))
}

/// The tensor `make` builds, detached as `run_detached_if_large` for `work` elements.
pub(crate) fn create(py: Python<'_>, work: usize, make: impl FnOnce() -> ferrograd::Result<Tensor> + Send) -> PyResult<Tensor> {
    run_detached_if_large(py, work, make).py()
}

#[pyfunction]
#[pyo3(signature = (data, *, dtype=None, device=None, requires_grad=false, pin_memory=false))]
pub fn tensor(py: Python<'_>, data: &Bound<'_, PyAny>, dtype: Option<&Bound<'_, PyAny>>, device: Option<&Bound<'_, PyAny>>, requires_grad: bool, pin_memory: bool) -> PyResult<Py<PyAny>> {
    let _ = pin_memory;
    let t = tensor_from_data(data, opt_dtype(dtype)?)?;
    finish(py, t, device, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (data, dtype=None, device=None))]
pub fn as_tensor(py: Python<'_>, data: &Bound<'_, PyAny>, dtype: Option<&Bound<'_, PyAny>>, device: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let dtype = opt_dtype(dtype)?;
    if let Ok(t) = data.cast::<PyTensor>() {
        let inner = &t.get().inner;
        return match dtype {
            Some(d) if d != inner.dtype() => finish(py, create(py, inner.numel(), || inner.to_dtype(d))?, device, false),
            _ => match check_device(device)? {
                Some(d) if d != inner.device() => wrap(py, py.detach(|| inner.to_device(d)).py()?),
                _ => Ok(data.clone().unbind()),
            },
        };
    }
    finish(py, tensor_from_data(data, dtype)?, device, false)
}

/// A tensor from a numpy array (values are copied).
#[pyfunction]
pub fn from_numpy(py: Python<'_>, ndarray: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let arr = ndarray.cast::<PyUntypedArray>().map_err(|_| PyTypeError::new_err(format!("expected np.ndarray (got {})", ndarray.get_type().name().map(|n| n.to_string()).unwrap_or_default())))?;
    wrap(py, crate::convert::tensor_sharing_numpy(arr)?)
}

/// PyTorch names the whole requested shape when one of its sizes is
/// negative: `f(3, -1)`, `f((3, -1))` and `f([3, -1])` alike.
pub(crate) fn refuse_negative_sizes(args: &Bound<'_, PyTuple>) -> PyResult<()> {
    let nested = args.len() == 1 && args.get_item(0).is_ok_and(|a| a.is_instance_of::<PyTuple>() || a.is_instance_of::<pyo3::types::PyList>());
    let items = if nested { args.get_item(0)?.try_iter()?.collect::<PyResult<Vec<_>>>()? } else { args.iter().collect() };
    let sizes: Vec<i64> = items.iter().filter_map(|d| d.extract::<i64>().ok()).collect();
    match sizes.iter().find(|&&d| d < 0) {
        Some(d) => Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
            "Trying to create tensor with negative dimension {d}: [{}]",
            sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
        ))),
        None => Ok(()),
    }
}

macro_rules! factory {
    ($name:ident, $make:expr) => {
        #[pyfunction]
        #[pyo3(signature = (*size, out=None, dtype=None, layout=None, device=None, pin_memory=false, requires_grad=false))]
        #[allow(clippy::too_many_arguments)]
        pub fn $name(
            py: Python<'_>,
            size: &Bound<'_, PyTuple>,
            out: Option<&Bound<'_, PyAny>>,
            dtype: Option<&Bound<'_, PyAny>>,
            layout: Option<&Bound<'_, PyAny>>,
            device: Option<&Bound<'_, PyAny>>,
            pin_memory: bool,
            requires_grad: bool,
        ) -> PyResult<Py<PyAny>> {
            crate::shape::no_out(out, stringify!($name))?;
            let _ = (layout, pin_memory);
            refuse_negative_sizes(size)?;
            let shape = shape_from_args(size)?;
            let dtype = opt_dtype(dtype)?.unwrap_or(DType::default_float());
            let make: fn(&[usize], DType) -> ferrograd::Result<Tensor> = $make;
            finish(py, create(py, shape_work(&shape), || make(&shape, dtype))?, device, requires_grad)
        }
    };
}

factory!(zeros, Tensor::zeros);
factory!(ones, Tensor::ones);
factory!(empty, Tensor::zeros);

pub(crate) fn fill_value(v: &Bound<'_, PyAny>) -> PyResult<Scalar> {
    scalar_from(v)?.ok_or_else(|| PyTypeError::new_err("full(): argument 'fill_value' must be Number"))
}

#[pyfunction]
#[pyo3(signature = (size, fill_value, *, dtype=None, device=None, requires_grad=false))]
pub fn full(py: Python<'_>, size: &Bound<'_, PyAny>, fill_value: &Bound<'_, PyAny>, dtype: Option<&Bound<'_, PyAny>>, device: Option<&Bound<'_, PyAny>>, requires_grad: bool) -> PyResult<Py<PyAny>> {
    let shape = crate::convert::shape_from_obj(size)?;
    let value = self::fill_value(fill_value)?;
    let dtype = opt_dtype(dtype)?.unwrap_or(value.default_dtype());
    finish(py, create(py, shape_work(&shape), || Tensor::full(&shape, value, dtype))?, device, requires_grad)
}

/// `*_like` factories: same shape, dtype and device as `input` unless given.
fn like(py: Python<'_>, input: &PyTensor, dtype: Option<&Bound<'_, PyAny>>, device: Option<&Bound<'_, PyAny>>, requires_grad: bool, make: impl FnOnce(&[usize], DType) -> ferrograd::Result<Tensor> + Send) -> PyResult<Py<PyAny>> {
    let dtype = opt_dtype(dtype)?.unwrap_or(input.inner.dtype());
    let target = check_device(device)?.unwrap_or(input.inner.device());
    let shape = input.inner.shape().to_vec();
    let t = create(py, shape_work(&shape), || make(&shape, dtype))?;
    let t = if t.device() == target { t } else { py.detach(|| t.to_device(target)).py()? };
    finish(py, t, None, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (input, *, dtype=None, device=None, requires_grad=false, memory_format=None))]
pub fn zeros_like(py: Python<'_>, input: PyRef<'_, PyTensor>, dtype: Option<&Bound<'_, PyAny>>, device: Option<&Bound<'_, PyAny>>, requires_grad: bool, memory_format: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let _ = memory_format;
    like(py, &input, dtype, device, requires_grad, |s, d| Tensor::zeros(s, d))
}

#[pyfunction]
#[pyo3(signature = (input, *, dtype=None, device=None, requires_grad=false, memory_format=None))]
pub fn ones_like(py: Python<'_>, input: PyRef<'_, PyTensor>, dtype: Option<&Bound<'_, PyAny>>, device: Option<&Bound<'_, PyAny>>, requires_grad: bool, memory_format: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let _ = memory_format;
    like(py, &input, dtype, device, requires_grad, |s, d| Tensor::ones(s, d))
}

#[pyfunction]
#[pyo3(signature = (input, *, dtype=None, device=None, requires_grad=false, memory_format=None))]
pub fn empty_like(py: Python<'_>, input: PyRef<'_, PyTensor>, dtype: Option<&Bound<'_, PyAny>>, device: Option<&Bound<'_, PyAny>>, requires_grad: bool, memory_format: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let _ = memory_format;
    like(py, &input, dtype, device, requires_grad, |s, d| Tensor::zeros(s, d))
}

#[pyfunction]
#[pyo3(signature = (input, *, dtype=None, device=None, requires_grad=false, memory_format=None))]
pub fn rand_like(py: Python<'_>, input: PyRef<'_, PyTensor>, dtype: Option<&Bound<'_, PyAny>>, device: Option<&Bound<'_, PyAny>>, requires_grad: bool, memory_format: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let _ = memory_format;
    like(py, &input, dtype, device, requires_grad, Tensor::rand)
}

#[pyfunction]
#[pyo3(signature = (input, *, dtype=None, device=None, requires_grad=false, memory_format=None))]
pub fn randn_like(py: Python<'_>, input: PyRef<'_, PyTensor>, dtype: Option<&Bound<'_, PyAny>>, device: Option<&Bound<'_, PyAny>>, requires_grad: bool, memory_format: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let _ = memory_format;
    like(py, &input, dtype, device, requires_grad, Tensor::randn)
}

#[pyfunction]
#[pyo3(signature = (input, fill_value, *, dtype=None, device=None, requires_grad=false, memory_format=None))]
#[allow(clippy::too_many_arguments)]
pub fn full_like(
    py: Python<'_>,
    input: PyRef<'_, PyTensor>,
    fill_value: &Bound<'_, PyAny>,
    dtype: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
    memory_format: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let _ = memory_format;
    let value = self::fill_value(fill_value)?;
    like(py, &input, dtype, device, requires_grad, |s, d| Tensor::full(s, value, d))
}

/// `arange(end)`, `arange(start, end)`, `arange(start, end, step)`; int64 when all are ints.
#[pyfunction]
#[pyo3(signature = (start, end=None, step=None, *, dtype=None, device=None, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
pub fn arange(
    py: Python<'_>,
    start: &Bound<'_, PyAny>,
    end: Option<&Bound<'_, PyAny>>,
    step: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
) -> PyResult<Py<PyAny>> {
    let number = |o: &Bound<'_, PyAny>| scalar_from(o)?.ok_or_else(|| PyTypeError::new_err("arange(): arguments must be numbers"));
    let (s, e) = match end {
        Some(e) if !e.is_none() => (number(start)?, number(e)?),
        _ => (Scalar::Int(0), number(start)?),
    };
    let st = match step {
        Some(v) if !v.is_none() => number(v)?,
        _ => Scalar::Int(1),
    };
    let any_float = [s, e, st].iter().any(|v| matches!(v, Scalar::Float(_)));
    let dtype = opt_dtype(dtype)?.unwrap_or(if any_float { DType::default_float() } else { DType::I64 });
    let (s, e, st) = (s.to_f64(), e.to_f64(), st.to_f64());
    // A float-to-int `as` saturates (NaN gives 0): a rough count is enough here.
    let work = ((e - s) / st).abs().ceil() as usize;
    finish(py, create(py, work, || Tensor::arange(s, e, st, dtype))?, device, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (start, end, steps, *, dtype=None, device=None, requires_grad=false))]
pub fn linspace(py: Python<'_>, start: f64, end: f64, steps: i64, dtype: Option<&Bound<'_, PyAny>>, device: Option<&Bound<'_, PyAny>>, requires_grad: bool) -> PyResult<Py<PyAny>> {
    if steps < 0 {
        return Err(PyRuntimeError::new_err("number of steps must be non-negative"));
    }
    let dtype = opt_dtype(dtype)?.unwrap_or(DType::default_float());
    finish(py, create(py, steps as usize, || Tensor::linspace(start, end, steps as usize, dtype))?, device, requires_grad)
}

/// A size PyTorch's creation functions take as a signed number, refused when negative.
fn non_negative(value: i64, name: &str) -> PyResult<usize> {
    usize::try_from(value).map_err(|_| pyo3::exceptions::PyRuntimeError::new_err(format!("{name} must be greater or equal to 0, got {value}")))
}

#[pyfunction]
#[pyo3(signature = (n, m=None, *, out=None, dtype=None, layout=None, device=None, pin_memory=false, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
pub fn eye(
    py: Python<'_>,
    n: i64,
    m: Option<i64>,
    out: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    pin_memory: bool,
    requires_grad: bool,
) -> PyResult<Py<PyAny>> {
    crate::shape::no_out(out, "eye")?;
    let _ = (layout, pin_memory);
    let rows = non_negative(n, "n")?;
    let cols = non_negative(m.unwrap_or(n), "m")?;
    let dtype = opt_dtype(dtype)?.unwrap_or(DType::default_float());
    finish(py, create(py, rows.saturating_mul(cols), || Tensor::eye(rows, cols, dtype))?, device, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
pub fn logspace(py: Python<'_>, start: f64, end: f64, steps: i64, base: f64, dtype: Option<&Bound<'_, PyAny>>, device: Option<&Bound<'_, PyAny>>, requires_grad: bool) -> PyResult<Py<PyAny>> {
    if steps < 0 {
        return Err(PyRuntimeError::new_err("number of steps must be non-negative"));
    }
    let dtype = opt_dtype(dtype)?.unwrap_or(DType::default_float());
    finish(py, create(py, steps as usize, || Tensor::logspace(start, end, steps as usize, base, dtype))?, device, requires_grad)
}

/// `torch.get_default_dtype()`: the dtype float data and float factories get.
#[pyfunction]
pub fn get_default_dtype(py: Python<'_>) -> PyResult<Bound<'_, crate::convert::PyDType>> {
    crate::convert::dtype_object(py, DType::default_float())
}

/// `torch.promote_types(type1, type2)`: the dtype PyTorch's promotion gives two tensor dtypes.
#[pyfunction]
pub fn promote_types<'py>(py: Python<'py>, type1: &Bound<'py, PyAny>, type2: &Bound<'py, PyAny>) -> PyResult<Bound<'py, crate::convert::PyDType>> {
    let (a, b) = (crate::convert::extract_dtype(type1)?, crate::convert::extract_dtype(type2)?);
    crate::convert::dtype_object(py, DType::promote(a, b))
}

/// `torch.set_default_dtype(d)`: float32 or float64, for the whole process.
#[pyfunction]
pub fn set_default_dtype(d: &Bound<'_, PyAny>) -> PyResult<()> {
    DType::set_default_float(crate::convert::extract_dtype(d)?).py()
}

#[pyfunction]
#[pyo3(signature = (precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None))]
pub fn set_printoptions(precision: Option<usize>, threshold: Option<f64>, edgeitems: Option<usize>, linewidth: Option<usize>, profile: Option<&str>, sci_mode: Option<bool>) {
    use ferrograd::format::{print_options, set_print_options, PrintOptions};
    let mut o = match profile {
        Some("short") => PrintOptions { precision: 2, threshold: 1000, edgeitems: 2, linewidth: 80, sci_mode: None },
        Some("full") => PrintOptions { precision: 4, threshold: usize::MAX, edgeitems: 3, linewidth: 80, sci_mode: None },
        Some(_) => PrintOptions::default(),
        None => print_options(),
    };
    if let Some(p) = precision {
        o.precision = p;
    }
    if let Some(t) = threshold {
        o.threshold = if t.is_finite() { t.max(0.0) as usize } else { usize::MAX };
    }
    if let Some(e) = edgeitems {
        o.edgeitems = e;
    }
    if let Some(l) = linewidth {
        o.linewidth = l;
    }
    o.sci_mode = sci_mode;
    set_print_options(o);
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    for f in [
        wrap_pyfunction!(tensor, m)?,
        wrap_pyfunction!(as_tensor, m)?,
        wrap_pyfunction!(from_numpy, m)?,
        wrap_pyfunction!(zeros, m)?,
        wrap_pyfunction!(ones, m)?,
        wrap_pyfunction!(empty, m)?,
        wrap_pyfunction!(full, m)?,
        wrap_pyfunction!(zeros_like, m)?,
        wrap_pyfunction!(ones_like, m)?,
        wrap_pyfunction!(empty_like, m)?,
        wrap_pyfunction!(rand_like, m)?,
        wrap_pyfunction!(randn_like, m)?,
        wrap_pyfunction!(full_like, m)?,
        wrap_pyfunction!(arange, m)?,
        wrap_pyfunction!(linspace, m)?,
        wrap_pyfunction!(logspace, m)?,
        wrap_pyfunction!(eye, m)?,
        wrap_pyfunction!(get_default_dtype, m)?,
        wrap_pyfunction!(set_default_dtype, m)?,
        wrap_pyfunction!(promote_types, m)?,
        wrap_pyfunction!(set_printoptions, m)?,
    ] {
        m.add_function(f)?;
    }
    Ok(())
}
