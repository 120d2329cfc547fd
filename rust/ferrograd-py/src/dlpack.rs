//! DLPack for Python: `Tensor.__dlpack__` / `__dlpack_device__` and
//! `from_dlpack`, passing the core's managed tensors in PyCapsules named as
//! the protocol says. A consumer claims a capsule by renaming it to
//! `used_...`; a capsule still holding its first name when Python frees it
//! was never claimed, and its destructor releases the managed tensor.

use crate::errors::IntoPyResult;
use crate::tensor::{wrap, PyTensor};
use ferrograd::dlpack::abi::{DLManagedTensor, DLManagedTensorVersioned};
use ferrograd::dlpack::{self, CopyMode};
use ferrograd::Tensor;
use pyo3::exceptions::{PyBufferError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::ffi::{c_void, CStr};

/// The two managed-tensor structs, each with its capsule names.
trait Managed: Sized {
    const NAME: &'static CStr;
    const USED_NAME: &'static CStr;
    fn export(t: &Tensor, copy: CopyMode) -> ferrograd::Result<std::ptr::NonNull<Self>>;
    /// # Safety
    /// As for `ferrograd::dlpack::import_legacy`.
    unsafe fn import(managed: *mut Self) -> ferrograd::Result<Tensor>;
    /// # Safety
    /// `managed` is live and owned by the caller, who gives it up.
    unsafe fn delete(managed: *mut Self);
}

impl Managed for DLManagedTensor {
    const NAME: &'static CStr = c"dltensor";
    const USED_NAME: &'static CStr = c"used_dltensor";
    fn export(t: &Tensor, copy: CopyMode) -> ferrograd::Result<std::ptr::NonNull<Self>> {
        dlpack::export_legacy(t, copy)
    }
    unsafe fn import(managed: *mut Self) -> ferrograd::Result<Tensor> {
        // SAFETY: the same contract, forwarded.
        unsafe { dlpack::import_legacy(managed) }
    }
    unsafe fn delete(managed: *mut Self) {
        // SAFETY: live and owned (this function's contract).
        if let Some(deleter) = unsafe { (*managed).deleter } {
            // SAFETY: the one call its owner makes.
            unsafe { deleter(managed) }
        }
    }
}

impl Managed for DLManagedTensorVersioned {
    const NAME: &'static CStr = c"dltensor_versioned";
    const USED_NAME: &'static CStr = c"used_dltensor_versioned";
    fn export(t: &Tensor, copy: CopyMode) -> ferrograd::Result<std::ptr::NonNull<Self>> {
        dlpack::export_versioned(t, copy)
    }
    unsafe fn import(managed: *mut Self) -> ferrograd::Result<Tensor> {
        // SAFETY: the same contract, forwarded.
        unsafe { dlpack::import_versioned(managed) }
    }
    unsafe fn delete(managed: *mut Self) {
        // SAFETY: live and owned (this function's contract).
        if let Some(deleter) = unsafe { (*managed).deleter } {
            // SAFETY: the one call its owner makes.
            unsafe { deleter(managed) }
        }
    }
}

/// The capsule destructor: releases a managed tensor no consumer claimed.
///
/// # Safety
/// Called by Python, once, with the capsule being freed, holding the GIL.
unsafe extern "C" fn release_unclaimed<M: Managed>(capsule: *mut ffi::PyObject) {
    // SAFETY: Python calls this with the capsule being freed; `PyCapsule_IsValid` sets no exception.
    if unsafe { ffi::PyCapsule_IsValid(capsule, M::NAME.as_ptr()) } != 1 {
        return;
    }
    // SAFETY: a valid capsule of this name holds the `M` that `capsule_of` put there, still owned by the capsule.
    let managed = unsafe { ffi::PyCapsule_GetPointer(capsule, M::NAME.as_ptr()) }.cast::<M>();
    if !managed.is_null() {
        // SAFETY: unclaimed, so this capsule is its last owner.
        unsafe { M::delete(managed) }
    }
}

/// `t` exported as an `M`, in a capsule that owns it until a consumer claims it.
fn capsule_of<'py, M: Managed>(py: Python<'py>, t: &Tensor, copy: CopyMode) -> PyResult<Bound<'py, PyAny>> {
    let managed = M::export(t, copy).py()?;
    // SAFETY: a non-null pointer and a static name; the destructor matches the pointer's type.
    let raw = unsafe { ffi::PyCapsule_New(managed.as_ptr().cast::<c_void>(), M::NAME.as_ptr(), Some(release_unclaimed::<M>)) };
    // SAFETY: `PyCapsule_New` returns a new reference, or null with an exception set.
    let capsule = unsafe { Bound::from_owned_ptr_or_err(py, raw) };
    if capsule.is_err() {
        // SAFETY: no capsule took the managed tensor: it is still ours alone.
        unsafe { M::delete(managed.as_ptr()) };
    }
    capsule
}

/// Claims an unclaimed `M` capsule and wraps its memory.
fn claim<M: Managed>(capsule: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    // SAFETY: the caller checked that `capsule` is valid under `M::NAME`.
    let managed = unsafe { ffi::PyCapsule_GetPointer(capsule.as_ptr(), M::NAME.as_ptr()) }.cast::<M>();
    if managed.is_null() {
        return Err(PyErr::take(capsule.py()).unwrap_or_else(|| PyValueError::new_err("from_dlpack: the capsule holds a null pointer")));
    }
    // SAFETY: an unclaimed capsule's managed tensor is live, and the rename below hands it to the tensor; on error it stays with the capsule.
    let t = unsafe { M::import(managed) }.py()?;
    // SAFETY: `capsule` is a valid capsule (checked by the caller), so renaming it cannot fail.
    unsafe { ffi::PyCapsule_SetName(capsule.as_ptr(), M::USED_NAME.as_ptr()) };
    Ok(t)
}

/// A capsule's object has the name `name` and is not yet claimed.
fn is_capsule_named(obj: &Bound<'_, PyAny>, name: &CStr) -> bool {
    // SAFETY: `obj` is a live object; `PyCapsule_IsValid` sets no exception and is false for non-capsules.
    unsafe { ffi::PyCapsule_IsValid(obj.as_ptr(), name.as_ptr()) == 1 }
}

fn tensor_from_capsule(capsule: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    if is_capsule_named(capsule, DLManagedTensorVersioned::NAME) {
        return claim::<DLManagedTensorVersioned>(capsule);
    }
    if is_capsule_named(capsule, DLManagedTensor::NAME) {
        return claim::<DLManagedTensor>(capsule);
    }
    if is_capsule_named(capsule, DLManagedTensor::USED_NAME) || is_capsule_named(capsule, DLManagedTensorVersioned::USED_NAME) {
        return Err(PyValueError::new_err("from_dlpack: this DLPack capsule was already consumed; a capsule can be imported once"));
    }
    Err(PyTypeError::new_err(format!(
        "from_dlpack expects an object with __dlpack__ (a numpy array, a tensor) or a DLPack capsule, got {}",
        capsule.get_type().name()?
    )))
}

/// `(major, minor)`, or the error naming what was passed.
fn version_pair(obj: &Bound<'_, PyAny>) -> PyResult<(i64, i64)> {
    obj.extract().map_err(|_| PyTypeError::new_err(format!("max_version must be a (major, minor) tuple of ints, got {}", obj.repr().map(|r| r.to_string()).unwrap_or_default())))
}

#[pymethods]
impl PyTensor {
    /// A DLPack capsule sharing this tensor's memory: versioned when the
    /// consumer's `max_version` is 1.0 or later.
    #[pyo3(signature = (stream=None, max_version=None, dl_device=None, copy=None))]
    fn __dlpack__<'py>(
        &self,
        py: Python<'py>,
        stream: Option<&Bound<'py, PyAny>>,
        max_version: Option<&Bound<'py, PyAny>>,
        dl_device: Option<&Bound<'py, PyAny>>,
        copy: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        // PyTorch's class and message; the core refuses these too, as a RuntimeError.
        if self.inner.requires_grad() {
            return Err(PyBufferError::new_err("Can't export tensors that require gradient, use tensor.detach()"));
        }
        if stream.is_some_and(|s| !s.is_none()) {
            return Err(PyBufferError::new_err("__dlpack__: stream must be None for a CPU tensor"));
        }
        let here = dlpack::abi::device_of(self.inner.device());
        if let Some(wanted) = dl_device.filter(|d| !d.is_none()) {
            let (device_type, device_id): (i32, i32) = wanted.extract()?;
            if (device_type, device_id) != (here.device_type, here.device_id) {
                return Err(PyBufferError::new_err(format!(
                    "__dlpack__: the tensor is on DLPack device ({}, {}) and cannot be exported to device ({device_type}, {device_id})",
                    here.device_type, here.device_id
                )));
            }
        }
        let copy = match copy {
            None => CopyMode::IfNeeded,
            Some(true) => CopyMode::Always,
            Some(false) => CopyMode::Never,
        };
        let versioned = match max_version.filter(|v| !v.is_none()) {
            Some(v) => version_pair(v)?.0 >= i64::from(dlpack::abi::VERSION.major),
            None => false,
        };
        if versioned {
            capsule_of::<DLManagedTensorVersioned>(py, &self.inner, copy)
        } else {
            capsule_of::<DLManagedTensor>(py, &self.inner, copy)
        }
    }

    /// `(device_type, device_id)` as DLPack numbers them: `(1, 0)` on the CPU.
    fn __dlpack_device__(&self) -> (i32, i32) {
        let d = dlpack::abi::device_of(self.inner.device());
        (d.device_type, d.device_id)
    }
}

/// A tensor sharing the memory of `ext_tensor`: any object with `__dlpack__`
/// (numpy arrays, PyTorch tensors) or a DLPack capsule.
#[pyfunction]
pub fn from_dlpack(py: Python<'_>, ext_tensor: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    if !ext_tensor.hasattr("__dlpack__")? {
        return wrap(py, tensor_from_capsule(ext_tensor)?);
    }
    let kwargs = PyDict::new(py);
    kwargs.set_item("max_version", (dlpack::abi::VERSION.major, dlpack::abi::VERSION.minor))?;
    let capsule = match ext_tensor.call_method("__dlpack__", (), Some(&kwargs)) {
        Ok(capsule) => capsule,
        // A producer older than DLPack 1.0 takes no max_version.
        Err(e) if e.is_instance_of::<PyTypeError>(py) => ext_tensor.call_method0("__dlpack__")?,
        Err(e) => return Err(e),
    };
    wrap(py, tensor_from_capsule(&capsule)?)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(from_dlpack, m)?)
}
