//! Conversions between Python values and core types: dtype objects, shapes,
//! nested lists / numpy arrays to tensors, and tensors back to Python values.

use crate::errors::IntoPyResult;
use crate::gil::run_detached_if_large;
use crate::tensor::PyTensor;
use ferrograd::storage::{Buffer, Element};
use ferrograd::{Category, DType, Scalar, Tensor};
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
        self.dtype.is_signed()
    }
    #[getter]
    fn itemsize(&self) -> usize {
        self.dtype.size_in_bytes()
    }
}

/// One object per entry of `DType::ALL`, in its order.
static DTYPES: PyOnceLock<Vec<Py<PyDType>>> = PyOnceLock::new();

/// The singleton dtype object, so `t.dtype is torch.float32` holds.
pub fn dtype_object(py: Python<'_>, dtype: DType) -> PyResult<Bound<'_, PyDType>> {
    let all = DTYPES.get_or_try_init(py, || DType::ALL.iter().map(|&dtype| Py::new(py, PyDType { dtype })).collect::<PyResult<Vec<_>>>())?;
    // `DType::ALL` lists every variant, so the position exists.
    let i = DType::ALL.iter().position(|&d| d == dtype).unwrap_or_default();
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

/// The device `device=` names (None when absent), checked to be usable:
/// `'cpu'`, `'wgpu'`, `'wgpu:0'` or a device object printing as one.
pub fn check_device(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<ferrograd::Device>> {
    let Some(obj) = obj else { return Ok(None) };
    if obj.is_none() {
        return Ok(None);
    }
    let s = obj.str()?.to_string();
    if s == "cpu" || s.starts_with("cpu:") {
        return Ok(Some(ferrograd::Device::Cpu));
    }
    if s.starts_with("cuda") {
        return Err(pyo3::exceptions::PyAssertionError::new_err("Torch not compiled with CUDA enabled"));
    }
    // The core names what is missing: a build without wgpu, or no adapter.
    let device = ferrograd::Device::parse(&s).py()?;
    // Opening the device may take a while: without the GIL.
    obj.py().detach(|| device.check_available()).py()?;
    Ok(Some(device))
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
            Err(_) => Err(PyValueError::new_err("Overflow when unpacking long long")),
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

/// PyTorch's limit on the dims of a tensor built from nested sequences. It
/// also bounds the recursion below, so neither an absurdly deep nor a cyclic
/// list can overflow the stack: each level down adds a dim.
const MAX_NESTED_DIMS: usize = 128;

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
        if depth == MAX_NESTED_DIMS {
            return Err(PyValueError::new_err(format!("too many dimensions '{}'", obj.get_type().name()?)));
        }
        out.shape.push(len);
    } else if out.shape[depth] != len {
        return Err(PyValueError::new_err(format!("expected sequence of length {} at dim {} (got {})", out.shape[depth], depth, len)));
    }
    for i in 0..len {
        let item = seq.get_item(i)?;
        // A list that is its own first element goes on to the dims limit, as
        // in PyTorch, which sizes a list by following first elements.
        if i > 0 && item.is(obj) {
            return Err(PyTypeError::new_err("new(): self-referential lists are incompatible"));
        }
        collect(&item, depth + 1, out)?;
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

fn buffer_from_scalars(values: &[Scalar], dtype: DType) -> PyResult<Buffer> {
    for &v in values {
        dtype.check_fits(v, false).py()?;
    }
    Ok(ferrograd::with_any_type!(dtype, T => T::into_buffer(values.iter().map(|&v| T::from_scalar(v)).collect())))
}

/// `torch.tensor(data)`: always a copy.
pub fn tensor_from_data(data: &Bound<'_, PyAny>, dtype: Option<DType>) -> PyResult<Tensor> {
    let py = data.py();
    if let Ok(t) = data.cast::<PyTensor>() {
        let src = t.get().inner.detach();
        let t = run_detached_if_large(py, src.numel(), || src.clone_tensor()).py()?;
        return match dtype {
            Some(d) => run_detached_if_large(py, t.numel(), || t.cast(d)).py(),
            None => Ok(t),
        };
    }
    // Lists and numbers need no numpy; checking for an ndarray would import it.
    let plain = data.is_instance_of::<PyList>() || data.is_instance_of::<PyTuple>() || scalar_from(data)?.is_some();
    if let Some(arr) = (!plain).then(|| data.cast::<PyUntypedArray>().ok()).flatten() {
        let t = tensor_from_numpy(arr)?;
        return match dtype {
            Some(d) => run_detached_if_large(py, t.numel(), || t.cast(d)).py(),
            None => Ok(t),
        };
    }
    let mut c = Collected::default();
    collect(data, 0, &mut c)?;
    let inferred = if let Some(d) = c.tensor_dtype {
        d
    } else if c.has_float {
        DType::default_float()
    } else if c.has_int {
        DType::I64
    } else if c.values.is_empty() {
        DType::default_float()
    } else {
        DType::Bool
    };
    let dtype = dtype.unwrap_or(inferred);
    if c.values.is_empty() && c.shape.is_empty() {
        c.shape.push(0);
    }
    Tensor::from_buffer(buffer_from_scalars(&c.values, dtype)?, &c.shape).py()
}

// ---- numpy arrays -> Tensor ---------------------------------------------------

/// The element types `tensor(array)` converts, and `from_numpy` when it must name them.
const COPYABLE_TYPES: &str = "float64, float32, float16, int64, int32, int16, int8, uint64, uint32, uint16, uint8, and bool";
const SHAREABLE_TYPES: &str = "float64, float32, float16, int64, int32, int16, int8, uint8, and bool";

/// numpy's name for an array's element type, spelled as PyTorch does: `numpy.uint16`.
fn numpy_type_name(arr: &Bound<'_, PyUntypedArray>) -> PyResult<String> {
    Ok(format!("numpy.{}", arr.dtype().typeobj().name()?))
}

fn unsupported_numpy_type(arr: &Bound<'_, PyUntypedArray>, supported: &str) -> PyResult<PyErr> {
    Ok(PyTypeError::new_err(format!(
        "can't convert np.ndarray of type {}. The only supported types are: {supported}.",
        numpy_type_name(arr)?
    )))
}

/// The dtype whose elements have exactly the bits of the array's elements.
fn same_bits_dtype(arr: &Bound<'_, PyUntypedArray>) -> Option<DType> {
    let descr = arr.dtype();
    match (descr.kind(), descr.itemsize()) {
        (b'f', 8) => Some(DType::F64),
        (b'f', 4) => Some(DType::F32),
        (b'f', 2) => Some(DType::F16),
        (b'i', 8) => Some(DType::I64),
        (b'i', 4) => Some(DType::I32),
        (b'i', 2) => Some(DType::I16),
        (b'i', 1) => Some(DType::I8),
        (b'u', 1) => Some(DType::U8),
        (b'b', 1) => Some(DType::Bool),
        _ => None,
    }
}

fn is_integer_array(arr: &Bound<'_, PyUntypedArray>) -> bool {
    matches!(arr.dtype().kind(), b'i' | b'u')
}

/// `tensor(array)`: a copy of the values; integer types without a dtype of
/// their own (uint16 and wider unsigned) as int64.
pub fn tensor_from_numpy(arr: &Bound<'_, PyUntypedArray>) -> PyResult<Tensor> {
    let shape: Vec<usize> = arr.shape().to_vec();
    let dtype = match same_bits_dtype(arr) {
        Some(dtype) => dtype,
        None if is_integer_array(arr) => {
            check_fits_int64(arr)?;
            DType::I64
        }
        None => return Err(unsupported_numpy_type(arr, COPYABLE_TYPES)?),
    };
    let buffer = match dtype {
        DType::F64 => numpy_values::<f64>(arr)?,
        DType::F32 => numpy_values::<f32>(arr)?,
        DType::I64 => numpy_values::<i64>(arr)?,
        DType::I32 => numpy_values::<i32>(arr)?,
        DType::I16 => numpy_values::<i16>(arr)?,
        DType::I8 => numpy_values::<i8>(arr)?,
        DType::U8 => numpy_values::<u8>(arr)?,
        // numpy does not keep its bool bytes to 0/1 (`uint8_array.view(bool)`),
        // and any other byte is not a valid Rust bool: read bytes, nonzero is true.
        DType::Bool => Buffer::Bool(arr.call_method1("view", ("uint8",))?.call_method1("reshape", (-1,))?.cast::<PyArrayDyn<u8>>()?.to_vec()?.into_iter().map(|b| b != 0).collect()),
        DType::F16 => return Tensor::from_buffer(numpy_values::<f32>(arr)?, &shape).and_then(|t| t.cast(DType::F16)).py(),
        DType::BF16 => return Err(PyTypeError::new_err("numpy has no bfloat16 type")),
    };
    Tensor::from_buffer(buffer, &shape).py()
}

/// A flat, C-ordered, native-endian copy of the array's values as `T`.
fn numpy_values<T: numpy::Element + ferrograd::storage::Element>(arr: &Bound<'_, PyUntypedArray>) -> PyResult<Buffer> {
    let flat = arr.call_method1("astype", (T::DTYPE.name(),))?.call_method1("reshape", (-1,))?;
    Ok(T::into_buffer(flat.cast::<PyArrayDyn<T>>()?.to_vec()?))
}

/// uint64 values above int64's range would wrap in the int64 copy.
fn check_fits_int64(arr: &Bound<'_, PyUntypedArray>) -> PyResult<()> {
    let descr = arr.dtype();
    if descr.kind() != b'u' || descr.itemsize() < 8 || arr.is_empty() {
        return Ok(());
    }
    if arr.call_method0("max")?.gt(i64::MAX)? {
        return Err(PyValueError::new_err(format!(
            "can't convert np.ndarray of type {} holding values above {}: there is no uint64 dtype yet and int64 cannot hold them.",
            numpy_type_name(arr)?,
            i64::MAX
        )));
    }
    Ok(())
}

const NOT_WRITABLE_WARNING: &std::ffi::CStr = c"The given NumPy array is not writable, and PyTorch does not support non-writable tensors. This means writing to this tensor will result in undefined behavior. You may want to copy the array to protect its data or make it writable before converting it to a tensor. This type of warning will be suppressed for the rest of this program.";

/// PyTorch's warning for a read-only array, once per process as in PyTorch.
/// Here writes into such a tensor are refused (its storage is read-only).
fn warn_not_writable(py: Python<'_>) -> PyResult<()> {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        return Ok(());
    }
    PyErr::warn(py, &py.get_type::<pyo3::exceptions::PyUserWarning>(), NOT_WRITABLE_WARNING, 1)
}

/// The array's strides in elements, after PyTorch's checks (in its order).
fn element_strides(arr: &Bound<'_, PyUntypedArray>) -> PyResult<ferrograd::layout::Strides> {
    let itemsize = arr.dtype().itemsize() as isize;
    if itemsize == 0 || arr.strides().iter().any(|&s| s % itemsize != 0) {
        return Err(PyValueError::new_err("given numpy array strides not a multiple of the element byte size. Copy the numpy array to reallocate the memory."));
    }
    if arr.strides().iter().any(|&s| s < 0) {
        return Err(PyValueError::new_err("At least one stride in the given numpy array is negative, and tensors with negative strides are not currently supported. (You can probably work around this by making a copy of your array  with array.copy().) "));
    }
    if arr.dtype().is_native_byteorder() == Some(false) {
        return Err(PyValueError::new_err("given numpy array has byte order different from the native byte order. Conversion between byte orders is currently not supported."));
    }
    Ok(arr.strides().iter().map(|&s| s / itemsize).collect())
}

/// The dtype of a tensor sharing the array's memory: its elements must be ours bit for bit.
fn shareable_dtype(arr: &Bound<'_, PyUntypedArray>) -> PyResult<DType> {
    if let Some(dtype) = same_bits_dtype(arr) {
        return Ok(dtype);
    }
    let name = numpy_type_name(arr)?;
    Err(match arr.dtype().kind() {
        // PyTorch shares these; a converted copy would not share, so refuse.
        b'i' | b'u' => PyTypeError::new_err(format!(
            "can't convert np.ndarray of type {name}: from_numpy shares the array's memory, and tensors of that type are not supported yet. tensor(array) makes an int64 copy."
        )),
        b'c' => PyTypeError::new_err(format!("can't convert np.ndarray of type {name}: complex tensors are not supported yet.")),
        _ => unsupported_numpy_type(arr, SHAREABLE_TYPES)?,
    })
}

/// `from_numpy`: a tensor over the array's own memory, as PyTorch's is.
/// Arrays that cannot be shared soundly are refused rather than copied,
/// because a copy would silently break the sharing callers rely on.
pub fn tensor_sharing_numpy(arr: &Bound<'_, PyUntypedArray>) -> PyResult<Tensor> {
    use ferrograd::storage::Access;
    let writable: bool = arr.getattr("flags")?.getattr("writeable")?.extract()?;
    if !writable {
        warn_not_writable(arr.py())?;
    }
    let access = if writable { Access::ReadWrite } else { Access::ReadOnly };
    let strides = element_strides(arr)?;
    let dtype = shareable_dtype(arr)?;
    let shape: ferrograd::layout::Shape = arr.shape().iter().copied().collect();
    let layout = ferrograd::layout::Layout::new(shape, strides, 0).py()?;
    if layout.numel() == 0 {
        // Nothing to share, and an empty array's data pointer need not be aligned.
        let empty = ferrograd::layout::Layout::contiguous(layout.shape()).py()?;
        let no_elements = Buffer::full(dtype, 0, ferrograd::Scalar::Int(0)).py()?;
        return Tensor::from_buffer_with_layout(no_elements, empty, access).py();
    }
    let buffer = foreign_buffer(arr, dtype, &layout)?;
    Tensor::from_buffer_with_layout(buffer, layout, access).py()
}

/// A buffer over the elements `layout` reaches in the array's memory.
fn foreign_buffer(arr: &Bound<'_, PyUntypedArray>, dtype: DType, layout: &ferrograd::layout::Layout) -> PyResult<Buffer> {
    use ferrograd::storage::Data;
    // SAFETY: reading the data pointer of a live array object.
    let data = unsafe { (*arr.as_array_ptr()).fields.data } as usize;
    let align = ferrograd::with_any_type!(dtype, T => std::mem::align_of::<T>());
    // Strides are whole elements, so an aligned start aligns every element.
    if data % align != 0 {
        return Err(PyValueError::new_err(format!(
            "given numpy array is not aligned to its element size ({align} bytes), so its memory cannot be shared. Copy the numpy array with array.copy()."
        )));
    }
    let len = 1 + layout.shape().iter().zip(layout.strides()).map(|(&n, &s)| (n - 1) * s as usize).sum::<usize>();
    if dtype == DType::Bool {
        check_bool_bytes(data as *const u8, len)?;
    }
    let owner: std::sync::Arc<dyn std::any::Any + Send + Sync> = std::sync::Arc::new(crate::keep_alive::PyKeepAlive::new(arr.clone().into_any().unbind()));
    if dtype == DType::BF16 {
        return Err(PyTypeError::new_err("numpy has no bfloat16 type"));
    }
    // numpy's float16 has the same bits as half::f16, and each other type
    // `same_bits_dtype` names is the array's element type itself.
    Ok(ferrograd::with_any_type!(dtype, T => T::from_data(
        // SAFETY: `len` elements from `data` lie inside the array (its strides are non-negative whole elements and its start is aligned, checked above), which `owner` keeps alive, and so its memory in place, as long as the storage lives. Any bit pattern is a valid float or integer; bool bytes were checked.
        unsafe { Data::foreign(data as *mut T, len, owner) }
    )))
}

/// A shared bool buffer is a Rust `[bool]`, where a byte other than 0 or 1 is
/// undefined behaviour, yet numpy lets any byte into a bool array. Every byte
/// the buffer spans (gaps between strided elements too) is checked; an array
/// failing the check is refused rather than normalised, since normalising
/// would write into the caller's memory (maybe read-only) or stop sharing it.
/// Bytes written later through a non-bool view of the same memory are beyond
/// what can be checked here, as they are for PyTorch.
fn check_bool_bytes(data: *const u8, len: usize) -> PyResult<()> {
    // SAFETY: the caller passes the `len` bytes the array's elements span, inside its live memory; any byte is a valid u8.
    let bytes = unsafe { std::slice::from_raw_parts(data, len) };
    if bytes.iter().any(|&b| b > 1) {
        return Err(PyValueError::new_err(
            "given numpy bool array holds bytes other than 0 and 1 (e.g. from a uint8 array viewed as bool), which a bool tensor cannot share. Normalise it with array.view(numpy.uint8) != 0, or copy it with tensor(array).",
        ));
    }
    Ok(())
}

// ---- Tensor -> Python --------------------------------------------------------

/// A numpy array over the tensor's own buffer; `owner` (the Python tensor)
/// is the array's base and keeps the storage alive.
pub fn numpy_view<'py>(py: Python<'py>, t: &Tensor) -> PyResult<Bound<'py, PyAny>> {
    use numpy::ndarray::{ArrayViewD, IxDyn, ShapeBuilder};
    // numpy's own limit; past it numpy could not build the array.
    const NUMPY_MAX_DIMS: usize = 64;
    // rust-numpy builds arrays of at most this many dims.
    const DIRECT_MAX_DIMS: usize = 32;
    // One snapshot: the layout used is the one checked against this storage.
    let data = t.snapshot();
    let layout = data.layout();
    if layout.ndim() > NUMPY_MAX_DIMS {
        return Err(PyValueError::new_err(format!("number of dimensions must be within [0, {NUMPY_MAX_DIMS}]")));
    }
    if layout.strides().iter().any(|&s| s < 0) {
        return to_numpy(py, t);
    }
    // The array's base holds the storage itself: the tensor may later be
    // pointed at other memory (`resize_`, `.data =`) while the array lives.
    let owner = Bound::new(py, StorageOwner { _keep_alive: data.storage().clone() })?.into_any();
    // Past rust-numpy's limit, a flat view of the span the layout covers
    // gets the layout's strides from numpy's as_strided instead.
    let direct = layout.ndim() <= DIRECT_MAX_DIMS;
    let span = layout.address_range().ok_or_else(|| PyValueError::new_err("tensor layout spans more than the address space"))?;
    let (shape, strides, start) = if direct {
        (layout.shape().to_vec(), layout.strides().iter().map(|&s| s as usize).collect(), layout.offset())
    } else {
        (vec![span.len()], vec![1], span.start)
    };
    // A layout with no elements may have an offset past its buffer (its
    // bounds check passes vacuously); nothing is read, so start at 0.
    let start = if span.is_empty() { 0 } else { start };
    let guard = data.storage().read().py()?;
    macro_rules! view {
        ($v:expr, $T:ty) => {{
            // SAFETY: a snapshot's layout was checked to address only elements of its storage (`Tensor::from_parts` / `make_view` / metadata changes), and `span` is exactly those elements (`start` is 0 when there are none); a storage's buffer is never reallocated while it lives, and `owner` keeps the storage alive for as long as numpy holds the array.
            let base: *const $T = unsafe { $v.as_ptr().add(start) };
            // SAFETY: (shape, strides) from `base` name only elements of the span checked above, all initialised values of `$T`.
            let view = unsafe { ArrayViewD::from_shape_ptr(IxDyn(&shape).strides(IxDyn(&strides)), base) };
            // SAFETY: `owner` (the Python tensor) keeps the storage, and so the memory `view` borrows, alive as long as the array lives.
            unsafe { PyArrayDyn::<$T>::borrow_from_array(&view, owner.clone()) }.into_any()
        }};
    }
    let array = match &*guard {
        Buffer::F32(v) => view!(v, f32),
        Buffer::F64(v) => view!(v, f64),
        Buffer::I64(v) => view!(v, i64),
        Buffer::I32(v) => view!(v, i32),
        Buffer::I16(v) => view!(v, i16),
        Buffer::I8(v) => view!(v, i8),
        Buffer::U8(v) => view!(v, u8),
        Buffer::Bool(v) => view!(v, bool),
        // numpy's float16 is not one of the element types shared here: copied.
        Buffer::F16(_) | Buffer::BF16(_) => {
            drop(guard);
            return to_numpy(py, t);
        }
    };
    drop(guard);
    if direct {
        return Ok(array);
    }
    // Non-negative strides: the span starts at the layout's offset.
    let itemsize = data.dtype().size_in_bytes() as isize;
    let byte_strides: Vec<isize> = layout.strides().iter().map(|&s| s.saturating_mul(itemsize)).collect();
    let as_strided = py.import("numpy.lib.stride_tricks")?.getattr("as_strided")?;
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("shape", layout.shape().to_vec())?;
    kwargs.set_item("strides", byte_strides)?;
    as_strided.call((array,), Some(&kwargs))
}

/// The base of a numpy array that shares a tensor's memory.
#[pyclass(module = "ferrograd", frozen)]
pub struct StorageOwner {
    _keep_alive: ferrograd::storage::Storage,
}

pub fn to_numpy<'py>(py: Python<'py>, t: &Tensor) -> PyResult<Bound<'py, PyAny>> {
    let shape: Vec<usize> = t.shape().to_vec();
    fn copy<'py, T: numpy::Element + ferrograd::storage::Element>(py: Python<'py>, t: &Tensor) -> PyResult<Bound<'py, PyAny>> {
        Ok(run_detached_if_large(py, t.numel(), || t.to_vec::<T>()).py()?.to_pyarray(py).into_any())
    }
    let flat: Bound<'py, PyAny> = match t.dtype() {
        DType::F32 => copy::<f32>(py, t)?,
        DType::F64 => copy::<f64>(py, t)?,
        DType::I64 => copy::<i64>(py, t)?,
        DType::I32 => copy::<i32>(py, t)?,
        DType::I16 => copy::<i16>(py, t)?,
        DType::I8 => copy::<i8>(py, t)?,
        DType::U8 => copy::<u8>(py, t)?,
        DType::Bool => copy::<bool>(py, t)?,
        DType::F16 => run_detached_if_large(py, t.numel(), || t.cast(DType::F32).and_then(|w| w.to_vec::<f32>())).py()?.to_pyarray(py).into_any().call_method1("astype", ("float16",))?,
        DType::BF16 => return Err(PyTypeError::new_err("Got unsupported ScalarType BFloat16")),
    };
    flat.call_method1("reshape", (shape,))
}

/// Nested Python lists of the tensor's values.
pub fn to_list(py: Python<'_>, t: &Tensor) -> PyResult<Py<PyAny>> {
    // Each element as the Python number of its category.
    let items: Vec<Py<PyAny>> = match t.dtype().category() {
        Category::Floating => run_detached_if_large(py, t.numel(), || t.cast(DType::F64).and_then(|w| w.to_vec::<f64>())).py()?.into_iter().map(|v| v.into_py_any(py)).collect::<PyResult<_>>()?,
        Category::Integral => run_detached_if_large(py, t.numel(), || t.cast(DType::I64).and_then(|w| w.to_vec::<i64>())).py()?.into_iter().map(|v| v.into_py_any(py)).collect::<PyResult<_>>()?,
        Category::Bool => run_detached_if_large(py, t.numel(), || t.to_vec::<bool>()).py()?.into_iter().map(|v| PyBool::new(py, v).to_owned().into_any().unbind()).collect(),
    };
    if t.ndim() == 0 {
        return items.into_iter().next().ok_or_else(|| PyValueError::new_err("empty 0-d tensor"));
    }
    nest(py, items, &t.shape())
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
