//! The `Tensor` class Python users touch. It is the pyo3 class itself: each
//! method checks argument types, makes one core call and wraps the result.

use crate::autograd::node_object;
use crate::convert::{check_device, dtype_object, extract_dtype, opt_dtype, scalar_from, scalar_to_py, to_list, to_numpy};
use crate::errors::IntoPyResult;
use crate::gil::{compute_tensor, run_detached_if_large, update_in_place};
use ferrograd::format::{tensor_repr, Elements, Suffixes};
use ferrograd::ops::compare::Comparison;
use ferrograd::tensor::BindingHandle;
use ferrograd::{DType, Scalar, Tensor};
use pyo3::basic::CompareOp;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

#[pyclass(name = "Tensor", module = "ferrograd", subclass, frozen, weakref)]
pub struct PyTensor {
    pub inner: Tensor,
}

/// The other operand of an arithmetic op.
pub enum Operand {
    Tensor(Tensor),
    Number(Scalar),
}

impl Operand {
    #[inline]
    pub fn extract(obj: &Bound<'_, PyAny>) -> PyResult<Option<Operand>> {
        if let Ok(t) = obj.cast::<PyTensor>() {
            return Ok(Some(Operand::Tensor(t.get().inner.clone())));
        }
        Ok(scalar_from(obj)?.map(Operand::Number))
    }

    #[inline]
    pub fn into_tensor(self) -> Tensor {
        match self {
            Operand::Tensor(t) => t,
            Operand::Number(s) => Tensor::wrapped_number(s),
        }
    }
}

/// The Python object for `t`: the existing one if this tensor already has
/// one (so `x.grad is x.grad`), otherwise a new one that becomes its identity.
#[inline]
pub fn wrap(py: Python<'_>, t: Tensor) -> PyResult<Py<PyAny>> {
    if let Some(h) = t.binding_handle() {
        // SAFETY: the handle is attached only while its PyTensor lives: the PyTensor's Drop detaches it, and both run with the interpreter attached.
        return Ok(unsafe { Bound::from_borrowed_ptr(py, h.object as *mut pyo3::ffi::PyObject) }.unbind());
    }
    let obj = Py::new(py, PyTensor { inner: t })?;
    let owner = obj.get() as *const PyTensor as usize;
    obj.get().inner.attach_binding_handle(BindingHandle { owner, object: obj.as_ptr() as usize });
    Ok(obj.into_any())
}

impl Drop for PyTensor {
    fn drop(&mut self) {
        self.inner.release_binding_handle(self as *const PyTensor as usize);
    }
}

/// The name of an argument's type, for TypeError phrases.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_default()
}

/// A `Tensor` argument, with PyTorch's TypeError phrase otherwise.
pub(crate) fn tensor_arg(obj: &Bound<'_, PyAny>, op: &str, name: &str, position: usize) -> PyResult<Tensor> {
    match obj.cast::<PyTensor>() {
        Ok(t) => Ok(t.get().inner.clone()),
        Err(_) => Err(PyTypeError::new_err(format!("{op}(): argument '{name}' (position {position}) must be Tensor, not {}", type_name(obj)))),
    }
}

/// Runs a tensor-tensor op with `other` converted, or returns NotImplemented.
#[inline]
fn binary(py: Python<'_>, a: &Tensor, other: &Bound<'_, PyAny>, op: impl FnOnce(&Tensor, &Tensor) -> ferrograd::Result<Tensor> + Send) -> PyResult<Py<PyAny>> {
    match Operand::extract(other)? {
        Some(o) => {
            let b = o.into_tensor();
            compute_tensor(py, a.numel().max(b.numel()), || op(a, &b))
        }
        None => Ok(py.NotImplemented()),
    }
}

/// `op(a, b)` wrapped for Python, detached when the larger operand is large.
#[inline]
pub(crate) fn compute_pair(py: Python<'_>, a: &Tensor, b: &Tensor, op: impl FnOnce(&Tensor, &Tensor) -> ferrograd::Result<Tensor> + Send) -> PyResult<Py<PyAny>> {
    compute_tensor(py, a.numel().max(b.numel()), || op(a, b))
}

/// Dims given as an int, a tuple/list of ints, or None (all dims).
fn dims_arg(dim: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<i64>>> {
    match dim {
        None => Ok(None),
        Some(d) if d.is_none() => Ok(None),
        Some(d) => {
            if let Ok(i) = d.extract::<i64>() {
                return Ok(Some(vec![i]));
            }
            Ok(Some(d.extract::<Vec<i64>>()?))
        }
    }
}

pub fn size_object<'py>(py: Python<'py>, shape: &[usize]) -> PyResult<Bound<'py, PyAny>> {
    let size_cls = SIZE.get_or_try_init(py, || -> PyResult<_> { Ok(py.import("ferrograd._size")?.getattr("Size")?.unbind()) })?;
    size_cls.bind(py).call1((PyTuple::new(py, shape)?,))
}

static SIZE: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();

pub fn repr_of(t: &Tensor) -> PyResult<String> {
    let opts = ferrograd::format::print_options();
    let dtype_name = t.dtype().to_string();
    let suffixes = Suffixes {
        dtype: (!t.dtype().is_repr_default()).then_some(dtype_name.as_str()),
        grad_fn: t.grad_fn_name(),
        requires_grad: t.requires_grad(),
    };
    Ok(match t.dtype() {
        DType::F64 => tensor_repr(&t.shape(), &Elements::F64(&t.to_vec::<f64>().py()?), &suffixes, &opts),
        DType::Bool => tensor_repr(&t.shape(), &Elements::Bool(&t.to_vec::<bool>().py()?), &suffixes, &opts),
        // 16-bit floats print from their exact float32 values.
        DType::F32 | DType::F16 | DType::BF16 => tensor_repr(&t.shape(), &Elements::F32(&t.cast(DType::F32).and_then(|w| w.to_vec::<f32>()).py()?), &suffixes, &opts),
        // Narrower integers print like the int64 values they widen to.
        DType::U8 | DType::I8 | DType::I16 | DType::I32 | DType::I64 => {
            tensor_repr(&t.shape(), &Elements::I64(&t.cast(DType::I64).and_then(|w| w.to_vec::<i64>()).py()?), &suffixes, &opts)
        }
    })
}

fn one_element(t: &Tensor, what: &str) -> PyResult<Scalar> {
    if t.numel() != 1 {
        return Err(PyRuntimeError::new_err(format!("{what} of Tensor with more than one value is ambiguous")));
    }
    t.item().py()
}

#[pymethods]
impl PyTensor {
    /// `Tensor(data)`: as `torch.tensor(data)` (used by subclasses such as Parameter).
    #[new]
    #[pyo3(signature = (data=None, requires_grad=false))]
    pub(crate) fn py_new(data: Option<&Bound<'_, PyAny>>, requires_grad: bool) -> PyResult<Self> {
        let inner = match data {
            Some(d) if d.is_instance_of::<PyTensor>() => d.cast::<PyTensor>()?.get().inner.detach(),
            Some(d) => crate::convert::tensor_from_data(d, None)?,
            None => Tensor::zeros(&[0], DType::F32).py()?,
        };
        if requires_grad {
            inner.set_requires_grad(true).py()?;
        }
        Ok(PyTensor { inner })
    }

    /// Makes an object built by `__new__` (a subclass instance too, such as
    /// a Parameter) the Python identity of its tensor, so methods returning
    /// that tensor (`requires_grad_()`, a node's `variable`, ...) return it.
    #[pyo3(signature = (*args, **kwargs))]
    pub(crate) fn __init__(slf: &Bound<'_, Self>, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, pyo3::types::PyDict>>) {
        let _ = (args, kwargs);
        let owner = slf.get() as *const PyTensor as usize;
        slf.get().inner.attach_binding_handle(BindingHandle { owner, object: slf.as_ptr() as usize });
    }

    // ---- printing ---------------------------------------------------------

    pub(crate) fn __repr__(&self) -> PyResult<String> {
        repr_of(&self.inner)
    }

    pub(crate) fn __format__(&self, py: Python<'_>, spec: &str) -> PyResult<String> {
        if self.inner.ndim() == 0 {
            let v = scalar_to_py(py, self.inner.item().py()?)?;
            return v.bind(py).call_method1("__format__", (spec,))?.extract();
        }
        repr_of(&self.inner)
    }

    pub(crate) fn __hash__(slf: &Bound<'_, Self>) -> isize {
        slf.as_ptr() as isize
    }

    // ---- metadata -----------------------------------------------------------

    #[getter]
    pub(crate) fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        size_object(py, &self.inner.shape())
    }

    #[pyo3(signature = (dim=None))]
    pub(crate) fn size<'py>(&self, py: Python<'py>, dim: Option<i64>) -> PyResult<Bound<'py, PyAny>> {
        match dim {
            None => size_object(py, &self.inner.shape()),
            Some(d) => {
                if self.inner.ndim() == 0 {
                    return Err(pyo3::exceptions::PyIndexError::new_err(format!("Dimension specified as {d} but tensor has no dimensions")));
                }
                let d = ferrograd::layout::normalize_dim(d, self.inner.ndim()).py()?;
                Ok(self.inner.shape()[d].into_pyobject(py)?.into_any())
            }
        }
    }

    pub(crate) fn dim(&self) -> usize {
        self.inner.ndim()
    }
    pub(crate) fn ndimension(&self) -> usize {
        self.inner.ndim()
    }
    #[getter]
    pub(crate) fn ndim(&self) -> usize {
        self.inner.ndim()
    }
    pub(crate) fn numel(&self) -> usize {
        self.inner.numel()
    }
    pub(crate) fn nelement(&self) -> usize {
        self.inner.numel()
    }
    #[getter]
    pub(crate) fn dtype<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, crate::convert::PyDType>> {
        dtype_object(py, self.inner.dtype())
    }
    #[getter]
    pub(crate) fn device<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.inner.device() {
            ferrograd::Device::Cpu => py.import("ferrograd._device")?.getattr("CPU"),
            other => py.import("ferrograd._device")?.getattr("device")?.call1((other.to_string(),)),
        }
    }
    #[getter]
    pub(crate) fn is_cuda(&self) -> bool {
        false
    }
    pub(crate) fn is_floating_point(&self) -> bool {
        self.inner.dtype().is_floating_point()
    }
    pub(crate) fn is_contiguous(&self) -> bool {
        self.inner.is_contiguous()
    }
    pub(crate) fn element_size(&self) -> usize {
        self.inner.dtype().size_in_bytes()
    }
    pub(crate) fn stride<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.layout().strides())
    }
    #[getter]
    pub(crate) fn _version(&self) -> u32 {
        self.inner.version()
    }
    pub(crate) fn data_ptr(&self) -> usize {
        self.inner.storage().ptr_id() + self.inner.layout().offset() * self.inner.dtype().size_in_bytes()
    }

    // ---- autograd attributes ---------------------------------------------

    #[getter]
    pub(crate) fn get_requires_grad(&self) -> bool {
        self.inner.requires_grad()
    }
    #[setter]
    pub(crate) fn set_requires_grad(&self, value: bool) -> PyResult<()> {
        self.inner.set_requires_grad(value).py()
    }
    #[pyo3(signature = (requires_grad=true))]
    pub(crate) fn requires_grad_(slf: Bound<'_, Self>, requires_grad: bool) -> PyResult<Bound<'_, Self>> {
        slf.get().inner.set_requires_grad(requires_grad).py()?;
        Ok(slf)
    }
    #[getter]
    pub(crate) fn is_leaf(&self) -> bool {
        self.inner.is_leaf()
    }
    /// Lets Python's cycle collector see the cycles that run through the
    /// graph: a user function's ctx that holds this tensor (`ctx.out = out`)
    /// and a hook that refers to its own tensor.
    pub(crate) fn __traverse__(&self, visit: pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        crate::function::visit_function_objects(&self.inner, &visit)?;
        crate::hooks::visit_hook_objects(&self.inner, &visit)
    }
    /// Breaks a cycle through this tensor's hooks, as PyTorch does.
    pub(crate) fn __clear__(&self) {
        self.inner.clear_hooks();
    }

    /// The tensor this one is a view of, or None.
    #[getter]
    pub(crate) fn _base(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.inner.view_base().map(|b| wrap(py, b.clone())).transpose()
    }
    pub(crate) fn _is_view(&self) -> bool {
        self.inner.view_base().is_some()
    }
    #[getter]
    pub(crate) fn get_grad(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        if !self.inner.is_leaf() && !self.inner.retains_grad() {
            let warning = py.get_type::<pyo3::exceptions::PyUserWarning>();
            PyErr::warn(py, &warning, c"The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead.", 1)?;
        }
        self.inner.grad().map(|g| wrap(py, g)).transpose()
    }
    #[setter]
    pub(crate) fn set_grad(&self, value: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let grad = match value {
            None => None,
            Some(v) if v.is_none() => None,
            Some(v) => Some(v.cast::<PyTensor>().map_err(|_| PyTypeError::new_err("assigned grad expected to be a Tensor or None"))?.get().inner.clone()),
        };
        self.inner.set_grad(grad).py()
    }
    #[getter]
    pub(crate) fn grad_fn(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.inner.grad_fn().map(|n| node_object(py, n)).transpose()
    }
    #[getter]
    pub(crate) fn output_nr(&self) -> u32 {
        self.inner.output_nr()
    }
    #[getter]
    pub(crate) fn data(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        wrap(py, self.inner.untracked_alias())
    }
    /// `t.data = other`: `t` looks at `other`'s memory, shape and dtype from
    /// now on, keeping its own autograd state.
    #[setter]
    pub(crate) fn set_data(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let src = value.cast::<PyTensor>().map_err(|_| PyTypeError::new_err(format!("Variable data has to be a tensor, but got {}", type_name(value))))?;
        self.inner.set_data(&src.get().inner).py()
    }
    pub(crate) fn detach(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        wrap(py, self.inner.detach())
    }
    pub(crate) fn detach_(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf.get().inner.detach_in_place();
        slf
    }

    #[pyo3(signature = (gradient=None, retain_graph=None, create_graph=false, inputs=None))]
    pub(crate) fn backward(&self, py: Python<'_>, gradient: Option<&Bound<'_, PyAny>>, retain_graph: Option<bool>, create_graph: bool, inputs: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let gradient = match gradient {
            Some(g) if !g.is_none() => Some(crate::autograd::tensor_arg(g, "gradient")?),
            _ => None,
        };
        let inputs = inputs.filter(|i| !i.is_none()).map(|i| crate::autograd::tensors_arg(i, "inputs")).transpose()?;
        crate::autograd::run_backward(py, &[self.inner.clone()], &[gradient], inputs.as_deref(), retain_graph, create_graph)
    }

    // ---- conversion to Python -------------------------------------------

    pub(crate) fn item(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        scalar_to_py(py, self.inner.item().py()?)
    }
    pub(crate) fn tolist(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_list(py, &self.inner)
    }
    /// A numpy array sharing this tensor's memory, as in PyTorch.
    #[pyo3(signature = (force=false))]
    pub(crate) fn numpy<'py>(slf: &Bound<'py, Self>, force: bool) -> PyResult<Bound<'py, PyAny>> {
        let t = &slf.get().inner;
        if t.requires_grad() && !force {
            return Err(PyRuntimeError::new_err("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."));
        }
        let array = crate::convert::numpy_view(slf.py(), t)?;
        // The array may reach the same memory: it must refuse writes too.
        if t.storage().is_read_only() {
            array.call_method1("setflags", (false,))?;
        }
        Ok(array)
    }
    #[pyo3(signature = (dtype=None, copy=None))]
    pub(crate) fn __array__<'py>(&self, py: Python<'py>, dtype: Option<&Bound<'py, PyAny>>, copy: Option<bool>) -> PyResult<Bound<'py, PyAny>> {
        let _ = copy;
        let arr = to_numpy(py, &self.inner)?;
        match dtype {
            Some(d) if !d.is_none() => arr.call_method1("astype", (d,)),
            _ => Ok(arr),
        }
    }
    pub(crate) fn __bool__(&self) -> PyResult<bool> {
        Ok(one_element(&self.inner, "Boolean value")?.to_f64() != 0.0)
    }
    pub(crate) fn __float__(&self) -> PyResult<f64> {
        if self.inner.numel() != 1 {
            return Err(PyValueError::new_err("only one element tensors can be converted to Python scalars"));
        }
        Ok(self.inner.item().py()?.to_f64())
    }
    pub(crate) fn __int__(&self) -> PyResult<i64> {
        if self.inner.numel() != 1 {
            return Err(PyValueError::new_err("only one element tensors can be converted to Python scalars"));
        }
        Ok(match self.inner.item().py()? {
            Scalar::Float(f) => f.trunc() as i64,
            Scalar::Int(i) => i,
            Scalar::Bool(b) => b as i64,
        })
    }
    pub(crate) fn __index__(&self) -> PyResult<i64> {
        if self.inner.dtype().is_floating_point() || self.inner.numel() != 1 {
            return Err(PyTypeError::new_err("only integer tensors of a single element can be converted to an index"));
        }
        self.__int__()
    }
    pub(crate) fn __len__(&self) -> PyResult<usize> {
        if self.inner.ndim() == 0 {
            return Err(PyTypeError::new_err("len() of a 0-d tensor"));
        }
        Ok(self.inner.shape()[0])
    }
    pub(crate) fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if self.inner.ndim() == 0 {
            return Err(PyTypeError::new_err("iteration over a 0-d tensor"));
        }
        let rows: Vec<Py<PyAny>> = self.inner.unbind(0).py()?.into_iter().map(|row| wrap(py, row)).collect::<PyResult<_>>()?;
        PyList::new(py, rows)?.try_iter().map(|it| it.into_any())
    }
    pub(crate) fn __getitem__(&self, py: Python<'_>, index: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        wrap(py, crate::indexing::getitem(py, &self.inner, index)?)
    }

    // ---- arithmetic operators ---------------------------------------------

    pub(crate) fn __add__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(py, &self.inner, other, Tensor::add)
    }
    pub(crate) fn __radd__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(py, &self.inner, other, |a, b| b.add(a))
    }
    pub(crate) fn __sub__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(py, &self.inner, other, Tensor::sub)
    }
    pub(crate) fn __rsub__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match Operand::extract(other)? {
            Some(Operand::Number(s)) => compute_tensor(py, self.inner.numel(), || self.inner.rsub_scalar(s)),
            Some(Operand::Tensor(t)) => compute_pair(py, &t, &self.inner, Tensor::sub),
            None => Ok(py.NotImplemented()),
        }
    }
    pub(crate) fn __mul__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(py, &self.inner, other, Tensor::mul)
    }
    pub(crate) fn __rmul__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(py, &self.inner, other, |a, b| b.mul(a))
    }
    pub(crate) fn __truediv__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(py, &self.inner, other, Tensor::div)
    }
    pub(crate) fn __rtruediv__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match Operand::extract(other)? {
            Some(Operand::Number(s)) => compute_tensor(py, self.inner.numel(), || self.inner.rdiv_scalar(s)),
            Some(Operand::Tensor(t)) => compute_pair(py, &t, &self.inner, Tensor::div),
            None => Ok(py.NotImplemented()),
        }
    }
    pub(crate) fn __pow__(&self, py: Python<'_>, other: &Bound<'_, PyAny>, modulo: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let _ = modulo;
        match Operand::extract(other)? {
            Some(Operand::Number(s)) => compute_tensor(py, self.inner.numel(), || self.inner.pow_scalar(s)),
            Some(Operand::Tensor(t)) => compute_pair(py, &self.inner, &t, Tensor::pow),
            None => Ok(py.NotImplemented()),
        }
    }
    pub(crate) fn __rpow__(&self, py: Python<'_>, other: &Bound<'_, PyAny>, modulo: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let _ = modulo;
        match Operand::extract(other)? {
            Some(Operand::Number(s)) => compute_tensor(py, self.inner.numel(), || self.inner.rpow_scalar(s)),
            Some(Operand::Tensor(t)) => compute_pair(py, &t, &self.inner, Tensor::pow),
            None => Ok(py.NotImplemented()),
        }
    }
    pub(crate) fn __matmul__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match other.cast::<PyTensor>() {
            Ok(o) => crate::linalg::matmul(py, &self.inner, &o.get().inner),
            Err(_) => Ok(py.NotImplemented()),
        }
    }
    pub(crate) fn __rmatmul__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match other.cast::<PyTensor>() {
            Ok(o) => crate::linalg::matmul(py, &o.get().inner, &self.inner),
            Err(_) => Ok(py.NotImplemented()),
        }
    }
    pub(crate) fn __neg__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.neg())
    }
    pub(crate) fn __pos__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }
    pub(crate) fn __abs__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.abs())
    }
    pub(crate) fn __richcmp__(&self, py: Python<'_>, other: &Bound<'_, PyAny>, op: CompareOp) -> PyResult<Py<PyAny>> {
        let cmp = match op {
            CompareOp::Eq => Comparison::Eq,
            CompareOp::Ne => Comparison::Ne,
            CompareOp::Lt => Comparison::Lt,
            CompareOp::Le => Comparison::Le,
            CompareOp::Gt => Comparison::Gt,
            CompareOp::Ge => Comparison::Ge,
        };
        match Operand::extract(other)? {
            Some(o) => compute_pair(py, &self.inner, &o.into_tensor(), |a, b| a.compare(b, cmp)),
            None if matches!(op, CompareOp::Eq) => Ok(false.into_pyobject(py)?.to_owned().into_any().unbind()),
            None if matches!(op, CompareOp::Ne) => Ok(true.into_pyobject(py)?.to_owned().into_any().unbind()),
            None => Ok(py.NotImplemented()),
        }
    }

    // ---- in-place operators -------------------------------------------------

    pub(crate) fn __iadd__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let (t, o) = (&self.inner, inplace_operand(other)?);
        update_in_place(py, t.numel().max(o.numel()), || t.add_(&o))
    }
    pub(crate) fn __isub__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let (t, o) = (&self.inner, inplace_operand(other)?);
        update_in_place(py, t.numel().max(o.numel()), || t.sub_(&o))
    }
    pub(crate) fn __imul__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let (t, o) = (&self.inner, inplace_operand(other)?);
        update_in_place(py, t.numel().max(o.numel()), || t.mul_(&o))
    }
    pub(crate) fn __itruediv__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let (t, o) = (&self.inner, inplace_operand(other)?);
        update_in_place(py, t.numel().max(o.numel()), || t.div_(&o))
    }

    #[pyo3(signature = (other, *, alpha=None))]
    pub(crate) fn add_<'py>(slf: Bound<'py, Self>, other: &Bound<'py, PyAny>, alpha: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, Self>> {
        let (t, o, alpha) = (&slf.get().inner, inplace_operand(other)?, alpha_arg(alpha)?);
        update_in_place(slf.py(), t.numel().max(o.numel()), || t.add_scaled_(&o, alpha))?;
        Ok(slf)
    }
    #[pyo3(signature = (other, *, alpha=None))]
    pub(crate) fn sub_<'py>(slf: Bound<'py, Self>, other: &Bound<'py, PyAny>, alpha: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, Self>> {
        let (t, o, alpha) = (&slf.get().inner, inplace_operand(other)?, alpha_arg(alpha)?);
        update_in_place(slf.py(), t.numel().max(o.numel()), || t.sub_scaled_(&o, alpha))?;
        Ok(slf)
    }
    pub(crate) fn mul_<'py>(slf: Bound<'py, Self>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let (t, o) = (&slf.get().inner, inplace_operand(other)?);
        update_in_place(slf.py(), t.numel().max(o.numel()), || t.mul_(&o))?;
        Ok(slf)
    }
    pub(crate) fn div_<'py>(slf: Bound<'py, Self>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let (t, o) = (&slf.get().inner, inplace_operand(other)?);
        update_in_place(slf.py(), t.numel().max(o.numel()), || t.div_(&o))?;
        Ok(slf)
    }
    pub(crate) fn zero_(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        let t = &slf.get().inner;
        update_in_place(slf.py(), t.numel(), || t.zero_())?;
        Ok(slf)
    }
    pub(crate) fn fill_<'py>(slf: Bound<'py, Self>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let v = match Operand::extract(value)? {
            Some(Operand::Number(s)) => s,
            Some(Operand::Tensor(t)) if t.numel() == 1 => t.item().py()?,
            _ => return Err(PyTypeError::new_err("fill_(): argument 'value' must be Number")),
        };
        let t = &slf.get().inner;
        update_in_place(slf.py(), t.numel(), || t.fill_(v))?;
        Ok(slf)
    }
    #[pyo3(signature = (src, non_blocking=false))]
    pub(crate) fn copy_<'py>(slf: Bound<'py, Self>, src: &Bound<'py, PyAny>, non_blocking: bool) -> PyResult<Bound<'py, Self>> {
        let _ = non_blocking;
        let src = src.cast::<PyTensor>().map_err(|_| PyTypeError::new_err("copy_(): argument 'src' must be Tensor"))?;
        let (t, src) = (&slf.get().inner, &src.get().inner);
        update_in_place(slf.py(), t.numel(), || t.copy_(src))?;
        Ok(slf)
    }

    // ---- math methods ---------------------------------------------------------

    #[pyo3(signature = (other, *, alpha=None))]
    pub(crate) fn add(&self, py: Python<'_>, other: &Bound<'_, PyAny>, alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let other = operand_required(other, "add")?;
        let alpha = alpha_arg(alpha)?;
        compute_pair(py, &self.inner, &other, |a, b| a.add_scaled(b, alpha))
    }
    #[pyo3(signature = (other, *, alpha=None))]
    pub(crate) fn sub(&self, py: Python<'_>, other: &Bound<'_, PyAny>, alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let other = operand_required(other, "sub")?;
        let alpha = alpha_arg(alpha)?;
        compute_pair(py, &self.inner, &other, |a, b| a.sub_scaled(b, alpha))
    }
    pub(crate) fn mul(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        compute_pair(py, &self.inner, &operand_required(other, "mul")?, Tensor::mul)
    }
    #[pyo3(signature = (other, *, rounding_mode=None))]
    pub(crate) fn div(&self, py: Python<'_>, other: &Bound<'_, PyAny>, rounding_mode: Option<&str>) -> PyResult<Py<PyAny>> {
        crate::pointwise::div_with_mode(py, &self.inner, &operand_required(other, "div")?, rounding_mode)
    }
    pub(crate) fn pow(&self, py: Python<'_>, exponent: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match Operand::extract(exponent)? {
            Some(Operand::Number(s)) => compute_tensor(py, self.inner.numel(), || self.inner.pow_scalar(s)),
            Some(Operand::Tensor(t)) => compute_pair(py, &self.inner, &t, Tensor::pow),
            None => Err(PyTypeError::new_err("pow(): argument 'exponent' must be Tensor or Number")),
        }
    }
    pub(crate) fn neg(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.neg())
    }
    pub(crate) fn exp(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.exp())
    }
    pub(crate) fn log(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.log())
    }
    pub(crate) fn sqrt(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.sqrt())
    }
    pub(crate) fn tanh(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.tanh())
    }
    pub(crate) fn sigmoid(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.sigmoid())
    }
    pub(crate) fn relu(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.relu())
    }
    pub(crate) fn abs(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.abs())
    }
    pub(crate) fn sign(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.sign())
    }
    pub(crate) fn reciprocal(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.reciprocal())
    }
    #[pyo3(signature = (dim=None, keepdim=None, *, dtype=None, axis=None, keepdims=None))]
    pub(crate) fn sum(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: Option<bool>, dtype: Option<&Bound<'_, PyAny>>, axis: Option<&Bound<'_, PyAny>>, keepdims: Option<bool>) -> PyResult<Py<PyAny>> {
        let (dim, keepdim) = crate::function_forms::aliases::resolve("sum", dim, axis, keepdim, keepdims)?;
        match dims_arg(dim)? {
            None => crate::reduce::reduced_in(py, &self.inner, dtype, |x| x.sum()),
            Some(dims) => crate::reduce::reduced_in(py, &self.inner, dtype, |x| x.sum_dims(&dims, keepdim)),
        }
    }
    #[pyo3(signature = (dim=None, keepdim=None, *, dtype=None, axis=None, keepdims=None))]
    pub(crate) fn mean(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>, keepdim: Option<bool>, dtype: Option<&Bound<'_, PyAny>>, axis: Option<&Bound<'_, PyAny>>, keepdims: Option<bool>) -> PyResult<Py<PyAny>> {
        let (dim, keepdim) = crate::function_forms::aliases::resolve("mean", dim, axis, keepdim, keepdims)?;
        let x = match opt_dtype(dtype)? {
            Some(d) => run_detached_if_large(py, self.inner.numel(), || self.inner.to_dtype(d)).py()?,
            None => self.inner.clone(),
        };
        match dims_arg(dim)? {
            None => compute_tensor(py, x.numel(), || x.mean()),
            Some(dims) => compute_tensor(py, x.numel(), || x.mean_dims(&dims, keepdim)),
        }
    }
    pub(crate) fn matmul(&self, py: Python<'_>, other: PyRef<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        crate::linalg::matmul(py, &self.inner, &other.inner)
    }
    pub(crate) fn mm(&self, py: Python<'_>, mat2: PyRef<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        crate::linalg::mm(py, &self.inner, &mat2.inner)
    }
    pub(crate) fn eq(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        compute_pair(py, &self.inner, &operand_required(other, "eq")?, |a, b| a.compare(b, Comparison::Eq))
    }
    pub(crate) fn ne(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        compute_pair(py, &self.inner, &operand_required(other, "ne")?, |a, b| a.compare(b, Comparison::Ne))
    }
    pub(crate) fn lt(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        compute_pair(py, &self.inner, &operand_required(other, "lt")?, |a, b| a.compare(b, Comparison::Lt))
    }
    pub(crate) fn le(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        compute_pair(py, &self.inner, &operand_required(other, "le")?, |a, b| a.compare(b, Comparison::Le))
    }
    pub(crate) fn gt(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        compute_pair(py, &self.inner, &operand_required(other, "gt")?, |a, b| a.compare(b, Comparison::Gt))
    }
    pub(crate) fn ge(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        compute_pair(py, &self.inner, &operand_required(other, "ge")?, |a, b| a.compare(b, Comparison::Ge))
    }

    // ---- dtype / device conversion -------------------------------------------

    pub(crate) fn float(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.to_dtype(DType::F32))
    }
    pub(crate) fn double(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.to_dtype(DType::F64))
    }
    pub(crate) fn half(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.to_dtype(DType::F16))
    }
    pub(crate) fn bfloat16(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.to_dtype(DType::BF16))
    }
    pub(crate) fn long(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.to_dtype(DType::I64))
    }
    pub(crate) fn int(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.to_dtype(DType::I32))
    }
    pub(crate) fn short(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.to_dtype(DType::I16))
    }
    pub(crate) fn char(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.to_dtype(DType::I8))
    }
    pub(crate) fn byte(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.to_dtype(DType::U8))
    }
    pub(crate) fn bool(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        compute_tensor(py, self.inner.numel(), || self.inner.to_dtype(DType::Bool))
    }
    pub(crate) fn cpu(slf: Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let inner = &slf.get().inner;
        if inner.device() == ferrograd::Device::Cpu {
            return Ok(slf.into_any().unbind());
        }
        compute_tensor(py, inner.numel(), || inner.to_device(ferrograd::Device::Cpu))
    }
    pub(crate) fn type_as(&self, py: Python<'_>, other: PyRef<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        let dtype = other.inner.dtype();
        compute_tensor(py, self.inner.numel(), || self.inner.to_dtype(dtype))
    }
    /// `.to(dtype)`, `.to(device)`, `.to(device, dtype)`, `.to(other)`, with `dtype=`/`device=` keywords.
    #[pyo3(signature = (*args, dtype=None, device=None, non_blocking=false, copy=false))]
    pub(crate) fn to(
        slf: Bound<'_, Self>,
        args: &Bound<'_, PyTuple>,
        dtype: Option<&Bound<'_, PyAny>>,
        device: Option<&Bound<'_, PyAny>>,
        non_blocking: bool,
        copy: bool,
    ) -> PyResult<Py<PyAny>> {
        let _ = non_blocking;
        let py = slf.py();
        let mut target = opt_dtype(dtype)?;
        let mut place = check_device(device)?;
        for a in args.iter() {
            if let Ok(t) = a.cast::<PyTensor>() {
                target = Some(t.get().inner.dtype());
                place = Some(t.get().inner.device());
            } else if let Ok(d) = extract_dtype(&a) {
                target = Some(d);
            } else if let Some(d) = check_device(Some(&a))? {
                place = Some(d);
            }
        }
        let inner = &slf.get().inner;
        let dtype = target.filter(|&d| d != inner.dtype());
        let device = place.filter(|&d| d != inner.device());
        match (dtype, device) {
            (None, None) if copy => compute_tensor(py, inner.numel(), || inner.clone_tensor()),
            (None, None) => Ok(slf.into_any().unbind()),
            // Converted where the tensor is, then moved, as PyTorch orders it.
            (dtype, device) => compute_tensor(py, inner.numel(), || {
                let converted = match dtype {
                    Some(d) => inner.to_dtype(d)?,
                    None => inner.clone(),
                };
                match device {
                    Some(d) => converted.to_device(d),
                    None => Ok(converted),
                }
            }),
        }
    }
}

fn operand_required(obj: &Bound<'_, PyAny>, op: &str) -> PyResult<Tensor> {
    match Operand::extract(obj)? {
        Some(o) => Ok(o.into_tensor()),
        None => Err(PyTypeError::new_err(format!(
            "{op}(): argument 'other' (position 1) must be Tensor, not {}",
            obj.get_type().name().map(|n| n.to_string()).unwrap_or_default()
        ))),
    }
}

fn inplace_operand(obj: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    operand_required(obj, "in-place")
}

/// add/sub's `alpha=` keyword: absent, None, or a number.
fn alpha_arg(alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Scalar>> {
    match alpha {
        Some(a) if !a.is_none() => Ok(Some(scalar_from(a)?.ok_or_else(|| PyValueError::new_err("alpha must be a number"))?)),
        _ => Ok(None),
    }
}

