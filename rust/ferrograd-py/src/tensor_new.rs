//! `Tensor.new_*` factories (same dtype as `self` unless given), the
//! byte-size attributes, and `Tensor.type()`.

use crate::convert::{opt_dtype, shape_from_args, shape_from_obj, tensor_from_data};
use crate::functions::{create, finish, refuse_negative_sizes, shape_work};
use crate::tensor::PyTensor;
use ferrograd::{DType, Tensor};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

impl PyTensor {
    /// The dtype a `new_*` result gets: the one asked for, else `self`'s.
    fn new_dtype(&self, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<DType> {
        Ok(opt_dtype(dtype)?.unwrap_or(self.inner.dtype()))
    }

    fn new_filled(&self, py: Python<'_>, size: &Bound<'_, PyTuple>, kw: NewKwargs<'_, '_>, make: fn(&[usize], DType) -> ferrograd::Result<Tensor>) -> PyResult<Py<PyAny>> {
        refuse_negative_sizes(size)?;
        let shape = shape_from_args(size)?;
        let dtype = self.new_dtype(kw.dtype)?;
        finish(py, create(py, shape_work(&shape), || make(&shape, dtype))?, kw.device, kw.requires_grad)
    }
}

/// The keyword arguments every `new_*` method takes.
struct NewKwargs<'a, 'py> {
    dtype: Option<&'a Bound<'py, PyAny>>,
    device: Option<&'a Bound<'py, PyAny>>,
    requires_grad: bool,
}

macro_rules! new_factory {
    ($name:ident, $make:expr) => {
        #[pymethods]
        impl PyTensor {
            #[pyo3(signature = (*size, dtype=None, device=None, requires_grad=false, layout=None, pin_memory=false))]
            fn $name(&self, py: Python<'_>, size: &Bound<'_, PyTuple>, dtype: Option<&Bound<'_, PyAny>>, device: Option<&Bound<'_, PyAny>>, requires_grad: bool, layout: Option<&Bound<'_, PyAny>>, pin_memory: bool) -> PyResult<Py<PyAny>> {
                let _ = (layout, pin_memory);
                self.new_filled(py, size, NewKwargs { dtype, device, requires_grad }, $make)
            }
        }
    };
}

new_factory!(new_zeros, Tensor::zeros);
new_factory!(new_ones, Tensor::ones);
new_factory!(new_empty, Tensor::zeros);

#[pymethods]
impl PyTensor {
    #[pyo3(signature = (size, fill_value, *, dtype=None, device=None, requires_grad=false, layout=None, pin_memory=false))]
    #[allow(clippy::too_many_arguments)]
    fn new_full(&self, py: Python<'_>, size: &Bound<'_, PyAny>, fill_value: &Bound<'_, PyAny>, dtype: Option<&Bound<'_, PyAny>>, device: Option<&Bound<'_, PyAny>>, requires_grad: bool, layout: Option<&Bound<'_, PyAny>>, pin_memory: bool) -> PyResult<Py<PyAny>> {
        let _ = (layout, pin_memory);
        let shape = shape_from_obj(size)?;
        let value = crate::functions::fill_value(fill_value)?;
        let dtype = self.new_dtype(dtype)?;
        finish(py, create(py, shape_work(&shape), || Tensor::full(&shape, value, dtype))?, device, requires_grad)
    }

    /// A copy of `data` (detached if it is a tensor) with `self`'s dtype unless given.
    #[pyo3(signature = (data, *, dtype=None, device=None, requires_grad=false, layout=None, pin_memory=false))]
    #[allow(clippy::too_many_arguments)]
    fn new_tensor(&self, py: Python<'_>, data: &Bound<'_, PyAny>, dtype: Option<&Bound<'_, PyAny>>, device: Option<&Bound<'_, PyAny>>, requires_grad: bool, layout: Option<&Bound<'_, PyAny>>, pin_memory: bool) -> PyResult<Py<PyAny>> {
        let _ = (layout, pin_memory);
        let t = tensor_from_data(data, Some(self.new_dtype(dtype)?))?;
        finish(py, t.detach(), device, requires_grad)
    }

    /// Above numpy's arrays and scalars, so `np.float32(2) * t` calls `t.__rmul__`.
    #[classattr]
    fn __array_priority__() -> i64 {
        1000
    }

    /// numpy hands a ufunc's result back through this, so `np.add(array, t)`
    /// is a tensor, as in PyTorch (which turns bool results into uint8).
    #[pyo3(signature = (array, context=None, return_scalar=false))]
    fn __array_wrap__(&self, py: Python<'_>, array: &Bound<'_, PyAny>, context: Option<&Bound<'_, PyAny>>, return_scalar: bool) -> PyResult<Py<PyAny>> {
        let _ = (context, return_scalar);
        if array.getattr("dtype")?.getattr("kind")?.extract::<String>()? == "b" {
            return crate::functions::from_numpy(py, &array.call_method1("astype", ("uint8",))?);
        }
        crate::functions::from_numpy(py, array)
    }

    #[getter]
    fn nbytes(&self) -> usize {
        self.inner.numel() * self.inner.dtype().size_in_bytes()
    }

    #[getter]
    fn itemsize(&self) -> usize {
        self.inner.dtype().size_in_bytes()
    }

    fn storage_offset(&self) -> usize {
        self.inner.layout().offset()
    }

    /// `t.type()` names the legacy tensor type; `t.type(dtype_or_name)` converts.
    #[pyo3(name = "type", signature = (dtype=None, non_blocking=false, **kwargs))]
    fn type_name_or_cast(slf: &Bound<'_, Self>, dtype: Option<&Bound<'_, PyAny>>, non_blocking: bool, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Py<PyAny>> {
        let _ = (non_blocking, kwargs);
        let py = slf.py();
        let legacy = py.import("ferrograd._legacy_types")?;
        Ok(legacy.call_method1("tensor_type", (slf, dtype))?.unbind())
    }
}
