//! Conversions between Python values and core types: dtype objects, shapes,
//! nested lists / numpy arrays to tensors, and tensors back to Python values.

use crate::errors::IntoPyResult;
use crate::tensor::PyTensor;
use ferrograd::storage::Buffer;
use ferrograd::{DType, Scalar, Tensor};
use numpy::{PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods, ToPyArray};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyFloat, PyInt, PyList, PySequence, PyTuple};

#[pyclass(name = "dtype", module = "ferrograd", frozen)]
pub struct PyDType {
    pub dtype: DType,
}

#[pymethods]
impl PyDType {
    fn __repr__(&self) -> String {
        self.dtype.to_string()
    }
    #[getter]
    fn is_floating_point(&self) -> bool {
        self.dtype.is_floating_point()
    }
    #[getter]
    fn is_complex(&self) -> bool {
        false
    }
    #[getter]
    fn is_signed(&self) -> bool {
        self.dtype != DType::Bool
    }
    #[getter]
    fn itemsize(&self) -> usize {
        self.dtype.size_in_bytes()
    }
}

static DTYPES: PyOnceLock<[Py<PyDType>; 6]> = PyOnceLock::new();

/// The singleton dtype object, so `t.dtype is torch.float32` holds.
pub fn dtype_object(py: Python<'_>, dtype: DType) -> PyResult<Bound<'_, PyDType>> {
    let all = DTYPES.get_or_try_init(py, || -> PyResult<_> {
        Ok([
            Py::new(py, PyDType { dtype: DType::Bool })?,
            Py::new(py, PyDType { dtype: DType::I64 })?,
            Py::new(py, PyDType { dtype: DType::F32 })?,
            Py::new(py, PyDType { dtype: DType::F64 })?,
            Py::new(py, PyDType { dtype: DType::F16 })?,
            Py::new(py, PyDType { dtype: DType::BF16 })?,
        ])
    })?;
    let i = match dtype {
        DType::Bool => 0,
        DType::I64 => 1,
        DType::F32 => 2,
        DType::F64 => 3,
        DType::F16 => 4,
        DType::BF16 => 5,
    };
    Ok(all[i].bind(py).clone())
}

/// A dtype argument: a dtype object, or Python's `float` / `int` / `bool` types as PyTorch accepts.
pub fn extract_dtype(obj: &Bound<'_, PyAny>) -> PyResult<DType> {
    if let Ok(d) = obj.cast::<PyDType>() {
        return Ok(d.get().dtype);
    }
    let py = obj.py();
    if obj.is(py.get_type::<PyFloat>()) {
        return Ok(DType::F64);
    }
    if obj.is(py.get_type::<PyBool>()) {
        return Ok(DType::Bool);
    }
    if obj.is(py.get_type::<PyInt>()) {
        return Ok(DType::I64);
    }
    Err(PyTypeError::new_err(format!("dtype must be a ferrograd dtype, not {}", obj.get_type().name()?)))
}

pub fn opt_dtype(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<DType>> {
    match obj {
        Some(o) if !o.is_none() => extract_dtype(o).map(Some),
        _ => Ok(None),
    }
}

/// Accepts `device=None`, `'cpu'` or a device object whose str is `cpu`.
pub fn check_device(obj: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    let Some(obj) = obj else { return Ok(()) };
    if obj.is_none() {
        return Ok(());
    }
    let s = obj.str()?.to_string();
    if s == "cpu" || s.starts_with("cpu:") {
        return Ok(());
    }
    if s.starts_with("cuda") {
        return Err(pyo3::exceptions::PyAssertionError::new_err("Torch not compiled with CUDA enabled"));
    }
    Err(PyRuntimeError::new_err(format!("Expected one of cpu device type at start of device string: {s}")))
}

use pyo3::exceptions::PyRuntimeError;

fn dim_from(obj: &Bound<'_, PyAny>) -> PyResult<usize> {
    let d: i64 = obj.extract().map_err(|_| PyTypeError::new_err(format!("expected an int for a size, got {}", obj.get_type().name().map(|n| n.to_string()).unwrap_or_default())))?;
    if d < 0 {
        return Err(PyRuntimeError::new_err(format!("Trying to create tensor with negative dimension {d}: [{d}]")));
    }
    Ok(d as usize)
}

/// `f(2, 3)`, `f((2, 3))`, `f([2, 3])` and `f(torch.Size([2, 3]))` all mean shape [2, 3].
pub fn shape_from_args(args: &Bound<'_, PyTuple>) -> PyResult<Vec<usize>> {
    if args.len() == 1 {
        let first = args.get_item(0)?;
        if first.is_instance_of::<PyTuple>() || first.is_instance_of::<PyList>() {
            return first.try_iter()?.map(|d| dim_from(&d?)).collect();
        }
    }
    args.iter().map(|d| dim_from(&d)).collect()
}

/// A shape given as one argument (tuple, list or int).
pub fn shape_from_obj(obj: &Bound<'_, PyAny>) -> PyResult<Vec<usize>> {
    if obj.is_instance_of::<PyInt>() {
        return Ok(vec![dim_from(obj)?]);
    }
    obj.try_iter()?.map(|d| dim_from(&d?)).collect()
}

/// A Python number as a scalar operand, or None when `obj` is not a number.
#[inline]
pub fn scalar_from(obj: &Bound<'_, PyAny>) -> PyResult<Option<Scalar>> {
    if obj.is_instance_of::<PyFloat>() {
        return Ok(Some(Scalar::Float(obj.cast::<PyFloat>()?.value())));
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(Some(Scalar::Bool(obj.is_truthy()?)));
    }
    if obj.is_instance_of::<PyInt>() {
        return match obj.extract::<i64>() {
            Ok(i) => Ok(Some(Scalar::Int(i))),
            Err(_) => Err(PyRuntimeError::new_err("Overflow when unpacking long")),
        };
    }
    // numpy scalars and other numbers.
    if obj.hasattr("__float__")? && !obj.is_instance_of::<PyTensor>() && !obj.hasattr("__len__")? {
        if obj.hasattr("dtype")? {
            let kind: String = obj.getattr("dtype")?.getattr("kind")?.extract()?;
            return Ok(Some(match kind.as_str() {
                "b" => Scalar::Bool(obj.is_truthy()?),
                "i" | "u" => Scalar::Int(obj.call_method0("__int__")?.extract()?),
                _ => Scalar::Float(obj.call_method0("__float__")?.extract()?),
            }));
        }
        return Ok(Some(Scalar::Float(obj.call_method0("__float__")?.extract()?)));
    }
    Ok(None)
}

pub fn scalar_to_py(py: Python<'_>, s: Scalar) -> PyResult<Py<PyAny>> {
    Ok(match s {
        Scalar::Bool(b) => PyBool::new(py, b).to_owned().into_any().unbind(),
        Scalar::Int(i) => i.into_pyobject(py)?.into_any().unbind(),
        Scalar::Float(f) => f.into_pyobject(py)?.into_any().unbind(),
    })
}

// ---- Python data -> Tensor --------------------------------------------------

/// Leaf values of a nested sequence, with what their types say the dtype should be.
#[derive(Default)]
struct Collected {
    values: Vec<Scalar>,
    shape: Vec<usize>,
    has_float: bool,
    has_int: bool,
    /// dtype of tensors found inside the list, which wins like in PyTorch.
    tensor_dtype: Option<DType>,
}

fn collect(obj: &Bound<'_, PyAny>, depth: usize, out: &mut Collected) -> PyResult<()> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        let t = &t.get().inner;
        if t.numel() != 1 || t.ndim() != 0 {
            return Err(PyValueError::new_err("only one element tensors can be converted to Python scalars"));
        }
        out.tensor_dtype = Some(out.tensor_dtype.map_or(t.dtype(), |d| DType::promote(d, t.dtype())));
        let s = t.item().py()?;
        note_scalar(s, out);
        return Ok(());
    }
    if obj.is_instance_of::<pyo3::types::PyString>() || obj.is_instance_of::<pyo3::types::PyBytes>() {
        return Err(PyTypeError::new_err(format!("new(): invalid data type '{}'", obj.get_type().name()?)));
    }
    if let Some(s) = scalar_from(obj)? {
        if depth < out.shape.len() {
            return Err(PyValueError::new_err(format!("expected sequence of length {} at dim {} (got scalar)", out.shape[depth], depth)));
        }
        note_scalar(s, out);
        return Ok(());
    }
    let seq = obj.cast::<PySequence>().map_err(|_| PyTypeError::new_err(format!("Could not infer dtype of {}", obj.get_type().name().map(|n| n.to_string()).unwrap_or_default())))?;
    let len = seq.len()?;
    if depth == out.shape.len() {
        if !out.values.is_empty() {
            return Err(PyValueError::new_err(format!("expected sequence of length {} at dim {} (got {})", 1, depth, len)));
        }
        out.shape.push(len);
    } else if out.shape[depth] != len {
        return Err(PyValueError::new_err(format!("expected sequence of length {} at dim {} (got {})", out.shape[depth], depth, len)));
    }
    for i in 0..len {
        collect(&seq.get_item(i)?, depth + 1, out)?;
    }
    Ok(())
}

fn note_scalar(s: Scalar, out: &mut Collected) {
    match s {
        Scalar::Float(_) => out.has_float = true,
        Scalar::Int(_) => out.has_int = true,
        Scalar::Bool(_) => {}
    }
    out.values.push(s);
}

fn buffer_from_scalars(values: &[Scalar], dtype: DType) -> Buffer {
    match dtype {
        DType::Bool => Buffer::Bool(values.iter().map(|v| v.to_f64() != 0.0).collect()),
        DType::I64 => Buffer::I64(values.iter().map(|v| match v { Scalar::Int(i) => *i, other => other.to_f64() as i64 }).collect()),
        DType::F32 => Buffer::F32(values.iter().map(|v| v.to_f64() as f32).collect()),
        DType::F64 => Buffer::F64(values.iter().map(|v| v.to_f64()).collect()),
        DType::F16 => Buffer::F16(values.iter().map(|v| half::f16::from_f64(v.to_f64())).collect()),
        DType::BF16 => Buffer::BF16(values.iter().map(|v| half::bf16::from_f64(v.to_f64())).collect()),
    }
}

/// `torch.tensor(data)`: always a copy.
pub fn tensor_from_data(data: &Bound<'_, PyAny>, dtype: Option<DType>) -> PyResult<Tensor> {
    if let Ok(t) = data.cast::<PyTensor>() {
        let t = t.get().inner.detach().clone_tensor().py()?;
        return match dtype {
            Some(d) => t.cast(d).py(),
            None => Ok(t),
        };
    }
    // Lists and numbers need no numpy; checking for an ndarray would import it.
    let plain = data.is_instance_of::<PyList>() || data.is_instance_of::<PyTuple>() || scalar_from(data)?.is_some();
    if let Some(arr) = (!plain).then(|| data.cast::<PyUntypedArray>().ok()).flatten() {
        let t = tensor_from_numpy(arr)?;
        return match dtype {
            Some(d) => t.cast(d).py(),
            None => Ok(t),
        };
    }
    let mut c = Collected::default();
    collect(data, 0, &mut c)?;
    let inferred = if let Some(d) = c.tensor_dtype {
        d
    } else if c.has_float {
        DType::F32
    } else if c.has_int {
        DType::I64
    } else if c.values.is_empty() {
        DType::F32
    } else {
        DType::Bool
    };
    let dtype = dtype.unwrap_or(inferred);
    if c.values.is_empty() && c.shape.is_empty() {
        c.shape.push(0);
    }
    Tensor::from_buffer(buffer_from_scalars(&c.values, dtype), &c.shape).py()
}

/// A copy of a numpy array's values with the matching dtype (float16/int32/... widen).
pub fn tensor_from_numpy(arr: &Bound<'_, PyUntypedArray>) -> PyResult<Tensor> {
    let shape: Vec<usize> = arr.shape().to_vec();
    let converted = arr.call_method1("astype", (numpy_target(arr)?.1,))?.call_method1("reshape", (-1,))?;
    let buffer = match numpy_target(arr)?.0 {
        DType::F64 => Buffer::F64(converted.cast::<PyArrayDyn<f64>>()?.to_vec()?.into()),
        DType::F32 => Buffer::F32(converted.cast::<PyArrayDyn<f32>>()?.to_vec()?.into()),
        DType::I64 => Buffer::I64(converted.cast::<PyArrayDyn<i64>>()?.to_vec()?.into()),
        DType::Bool => Buffer::Bool(converted.cast::<PyArrayDyn<bool>>()?.to_vec()?.into()),
        DType::F16 => {
            let wide = converted.cast::<PyArrayDyn<f32>>()?.to_vec()?;
            return Tensor::from_vec(wide, &shape).and_then(|t| t.cast(DType::F16)).py();
        }
        DType::BF16 => return Err(PyTypeError::new_err("numpy has no bfloat16 type")),
    };
    Tensor::from_buffer(buffer, &shape).py()
}

/// The dtype a numpy array becomes, and numpy's name for it.
fn numpy_target(arr: &Bound<'_, PyUntypedArray>) -> PyResult<(DType, &'static str)> {
    let descr = arr.dtype();
    Ok(match (descr.kind(), descr.itemsize()) {
        (b'f', 8) => (DType::F64, "float64"),
        (b'f', 2) => (DType::F16, "float32"),
        (b'f', _) => (DType::F32, "float32"),
        (b'i', _) | (b'u', _) => (DType::I64, "int64"),
        (b'b', _) => (DType::Bool, "bool"),
        _ => {
            return Err(PyTypeError::new_err(format!(
                "can't convert np.ndarray of type {}. The only supported types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool.",
                descr
            )))
        }
    })
}

/// `from_numpy`: a tensor over the array's own memory when its element type is
/// one of ours (as PyTorch shares it); otherwise a converted copy.
pub fn tensor_sharing_numpy(arr: &Bound<'_, PyUntypedArray>) -> PyResult<Tensor> {
    let descr = arr.dtype();
    let (dtype, _) = numpy_target(arr)?;
    let itemsize = dtype.size_in_bytes();
    let exact = descr.itemsize() == itemsize && descr.is_native_byteorder() != Some(false) && matches!(descr.kind(), b'f' | b'i' | b'b');
    // SAFETY: reading the data pointer of a live array object.
    let data = unsafe { (*arr.as_array_ptr()).fields.data } as usize;
    let strides_ok = arr.strides().iter().all(|&s| s >= 0 && s as usize % itemsize == 0);
    if !exact || data % itemsize != 0 || !strides_ok {
        if arr.strides().iter().any(|&s| s < 0) {
            return Err(PyValueError::new_err("At least one stride in the given numpy array is negative, and tensors with negative strides are not currently supported. (You can probably work around this by making a copy of your array  with array.copy().) "));
        }
        return tensor_from_numpy(arr);
    }
    let shape: ferrograd::layout::Shape = arr.shape().iter().copied().collect();
    let strides: ferrograd::layout::Strides = arr.strides().iter().map(|&s| s / itemsize as isize).collect();
    let numel: usize = shape.iter().product();
    let len = if numel == 0 { 0 } else { 1 + shape.iter().zip(strides.iter()).map(|(&n, &s)| (n - 1) * s as usize).sum::<usize>() };
    let owner: std::sync::Arc<dyn std::any::Any + Send + Sync> = std::sync::Arc::new(arr.clone().into_any().unbind());
    // SAFETY: `len` elements from `data` lie inside the array, which `owner`
    // keeps alive (and so its memory in place) as long as the storage lives.
    let buffer = unsafe {
        use ferrograd::storage::Data;
        match dtype {
            DType::F64 => Buffer::F64(Data::foreign(data as *mut f64, len, owner)),
            DType::F32 => Buffer::F32(Data::foreign(data as *mut f32, len, owner)),
            DType::I64 => Buffer::I64(Data::foreign(data as *mut i64, len, owner)),
            DType::Bool => Buffer::Bool(Data::foreign(data as *mut bool, len, owner)),
            // numpy's float16 has the same bits as half::f16.
            DType::F16 => Buffer::F16(Data::foreign(data as *mut half::f16, len, owner)),
            DType::BF16 => return Err(PyTypeError::new_err("numpy has no bfloat16 type")),
        }
    };
    Tensor::from_buffer_with_layout(buffer, ferrograd::layout::Layout::new(shape, strides, 0).py()?).py()
}

// ---- Tensor -> Python --------------------------------------------------------

/// A numpy array over the tensor's own buffer; `owner` (the Python tensor)
/// is the array's base and keeps the storage alive.
pub fn numpy_view<'py>(owner: &Bound<'py, PyAny>, t: &Tensor) -> PyResult<Bound<'py, PyAny>> {
    use numpy::ndarray::{ArrayViewD, IxDyn, ShapeBuilder};
    // numpy's own limit; past it numpy could not build the array.
    const NUMPY_MAX_DIMS: usize = 64;
    // rust-numpy builds arrays of at most this many dims.
    const DIRECT_MAX_DIMS: usize = 32;
    let layout = t.layout();
    if layout.ndim() > NUMPY_MAX_DIMS {
        return Err(PyValueError::new_err(format!("number of dimensions must be within [0, {NUMPY_MAX_DIMS}]")));
    }
    if layout.strides().iter().any(|&s| s < 0) {
        return to_numpy(owner.py(), t);
    }
    // Past rust-numpy's limit, a flat view of the span the layout covers
    // gets the layout's strides from numpy's as_strided instead.
    let direct = layout.ndim() <= DIRECT_MAX_DIMS;
    let span = layout.address_range().ok_or_else(|| PyValueError::new_err("tensor layout spans more than the address space"))?;
    let (shape, strides, start) = if direct {
        (layout.shape().to_vec(), layout.strides().iter().map(|&s| s as usize).collect(), layout.offset())
    } else {
        (vec![span.len()], vec![1], span.start)
    };
    let guard = t.storage().read();
    macro_rules! view {
        ($v:expr, $T:ty) => {{
            // SAFETY: every tensor's layout was checked to address only
            // elements of its storage when the tensor was built
            // (`Tensor::from_parts` / `make_view`), and `span` is exactly
            // those elements; the buffer is never reallocated while the
            // storage lives, and `owner` keeps it alive for as long as numpy
            // holds the array.
            let base: *const $T = unsafe { $v.as_ptr().add(start) };
            let view = unsafe { ArrayViewD::from_shape_ptr(IxDyn(&shape).strides(IxDyn(&strides)), base) };
            unsafe { PyArrayDyn::<$T>::borrow_from_array(&view, owner.clone()) }.into_any()
        }};
    }
    let array = match &*guard {
        Buffer::F32(v) => view!(v, f32),
        Buffer::F64(v) => view!(v, f64),
        Buffer::I64(v) => view!(v, i64),
        Buffer::Bool(v) => view!(v, bool),
        // numpy's float16 is not one of the element types shared here: copied.
        Buffer::F16(_) | Buffer::BF16(_) => {
            drop(guard);
            return to_numpy(owner.py(), t);
        }
    };
    drop(guard);
    if direct {
        return Ok(array);
    }
    // Non-negative strides: the span starts at the layout's offset.
    let itemsize = t.dtype().size_in_bytes() as isize;
    let byte_strides: Vec<isize> = layout.strides().iter().map(|&s| s.saturating_mul(itemsize)).collect();
    let as_strided = owner.py().import("numpy.lib.stride_tricks")?.getattr("as_strided")?;
    let kwargs = pyo3::types::PyDict::new(owner.py());
    kwargs.set_item("shape", layout.shape().to_vec())?;
    kwargs.set_item("strides", byte_strides)?;
    as_strided.call((array,), Some(&kwargs))
}

pub fn to_numpy<'py>(py: Python<'py>, t: &Tensor) -> PyResult<Bound<'py, PyAny>> {
    let shape: Vec<usize> = t.shape().to_vec();
    let flat: Bound<'py, PyAny> = match t.dtype() {
        DType::F32 => t.to_vec::<f32>().py()?.to_pyarray(py).into_any(),
        DType::F64 => t.to_vec::<f64>().py()?.to_pyarray(py).into_any(),
        DType::I64 => t.to_vec::<i64>().py()?.to_pyarray(py).into_any(),
        DType::Bool => t.to_vec::<bool>().py()?.to_pyarray(py).into_any(),
        DType::F16 => t.cast(DType::F32).and_then(|w| w.to_vec::<f32>()).py()?.to_pyarray(py).into_any().call_method1("astype", ("float16",))?,
        DType::BF16 => return Err(PyTypeError::new_err("Got unsupported ScalarType BFloat16")),
    };
    flat.call_method1("reshape", (shape,))
}

/// Nested Python lists of the tensor's values.
pub fn to_list(py: Python<'_>, t: &Tensor) -> PyResult<Py<PyAny>> {
    let items: Vec<Py<PyAny>> = match t.dtype() {
        DType::F32 => t.to_vec::<f32>().py()?.into_iter().map(|v| (v as f64).into_py_any(py)).collect::<PyResult<_>>()?,
        DType::F64 => t.to_vec::<f64>().py()?.into_iter().map(|v| v.into_py_any(py)).collect::<PyResult<_>>()?,
        DType::I64 => t.to_vec::<i64>().py()?.into_iter().map(|v| v.into_py_any(py)).collect::<PyResult<_>>()?,
        DType::Bool => t.to_vec::<bool>().py()?.into_iter().map(|v| PyBool::new(py, v).to_owned().into_any().unbind()).collect(),
        DType::F16 | DType::BF16 => t.cast(DType::F64).and_then(|w| w.to_vec::<f64>()).py()?.into_iter().map(|v| v.into_py_any(py)).collect::<PyResult<_>>()?,
    };
    if t.ndim() == 0 {
        return items.into_iter().next().ok_or_else(|| PyValueError::new_err("empty 0-d tensor"));
    }
    nest(py, items, t.shape())
}

/// Groups the row-major `items` into lists of the innermost size, those into
/// lists of the next size, and so on up to one list: bottom-up, so a tensor
/// of any number of dims converts without recursion.
fn nest(py: Python<'_>, items: Vec<Py<PyAny>>, shape: &[usize]) -> PyResult<Py<PyAny>> {
    let mut level = items;
    for depth in (0..shape.len()).rev() {
        // A valid shape's prefix products fit (see `layout::numel`).
        let count: usize = shape[..depth].iter().product();
        let mut lists = ferrograd::storage::vec_with_capacity(count).py()?;
        let mut rest = level.into_iter();
        for _ in 0..count {
            let row: Vec<Py<PyAny>> = rest.by_ref().take(shape[depth]).collect();
            lists.push(PyList::new(py, row)?.into_any().unbind());
        }
        level = lists;
    }
    level.pop().ok_or_else(|| PyValueError::new_err("a tensor converts to one list"))
}
