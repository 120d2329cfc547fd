//! Core errors to Python exceptions: one class per kind of failure, each a
//! subclass of the builtin PyTorch raises for it, so `except RuntimeError`
//! keeps working while `except ferrograd.ShapeError` can be precise.

use ferrograd::Error;
use pyo3::create_exception;
use pyo3::exceptions::{PyIndexError, PyNotImplementedError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

create_exception!(ferrograd, ShapeError, PyRuntimeError, "Operand shapes are incompatible.");
create_exception!(ferrograd, DimensionError, PyIndexError, "A dimension or index is out of range.");
create_exception!(ferrograd, AutogradError, PyRuntimeError, "The backward pass cannot run as asked.");
create_exception!(ferrograd, DTypeError, PyRuntimeError, "An operation does not support the given dtype.");

/// An op with no kernel for a dtype. PyTorch raises NotImplementedError
/// there, so this class derives from both DTypeError and NotImplementedError
/// (a pair pyo3's single-base macro cannot express; built in `register`).
static DTYPE_NOT_IMPLEMENTED: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn dtype_not_implemented(py: Python<'_>) -> PyResult<&Py<PyType>> {
    DTYPE_NOT_IMPLEMENTED.get_or_try_init(py, || {
        let bases = PyTuple::new(py, [py.get_type::<DTypeError>(), py.get_type::<PyNotImplementedError>()])?;
        let dict = PyDict::new(py);
        dict.set_item("__module__", "ferrograd")?;
        dict.set_item("__doc__", "An operation has no implementation for the given dtype.")?;
        let cls = py.get_type::<PyType>().call1(("DTypeNotImplementedError", bases, dict))?;
        Ok(cls.cast_into::<PyType>()?.unbind())
    })
}

pub struct PyErrWrap(pub Error);

impl From<Error> for PyErrWrap {
    fn from(e: Error) -> Self {
        PyErrWrap(e)
    }
}

impl From<PyErrWrap> for PyErr {
    fn from(e: PyErrWrap) -> PyErr {
        to_py_err(e.0)
    }
}

pub fn to_py_err(e: Error) -> PyErr {
    if let Some(original) = crate::hooks::take_hook_error(&e) {
        return original;
    }
    let msg = e.to_string();
    match e {
        Error::BroadcastMismatch { .. } | Error::MatmulShape { .. } | Error::ShapeMismatch { .. } | Error::InvalidReshape { .. } | Error::ExpandMismatch { .. } => {
            ShapeError::new_err(msg)
        }
        Error::DimOutOfRange { .. } | Error::Index(_) => DimensionError::new_err(msg),
        Error::ImplicitGradNonScalar
        | Error::GraphFreed
        | Error::LeafInPlace
        | Error::ViewOfLeafInPlace
        | Error::NoGradViewInPlace
        | Error::MultiOutputViewInPlace(..)
        | Error::NoGradFn(_)
        | Error::SavedTensorModified { .. }
        | Error::UnusedInput(_)
        | Error::InputDoesNotRequireGrad
        | Error::NonFloatRequiresGrad
        | Error::NonLeafRequiresGrad
        | Error::GradShapeMismatch { .. }
        | Error::Autograd(_)
        | Error::Callback(_) => AutogradError::new_err(msg),
        Error::NotImplementedForDType { .. } => Python::attach(|py| match dtype_not_implemented(py) {
            Ok(cls) => PyErr::from_type(cls.bind(py).clone(), msg),
            Err(e) => e,
        }),
        Error::DTypeMismatch { .. } | Error::CastInPlace { .. } => DTypeError::new_err(msg),
        // PyTorch raises these as a plain RuntimeError; the class stays that.
        Error::NegativeDimension { .. }
        | Error::OutputShapeMismatch { .. }
        | Error::ConcatZeroDim { .. }
        | Error::ConcatNdimMismatch { .. }
        | Error::ConcatSizeMismatch { .. }
        | Error::StackShapeMismatch { .. }
        | Error::TransposeNdim { .. }
        | Error::NotAMatrix { .. }
        | Error::InputShape { .. }
        | Error::GradSizeMismatch { .. }
        | Error::IndexOutOfBounds { .. }
        | Error::ScalarTypeMismatch { .. }
        | Error::UnexpectedDType { .. }
        | Error::DTypesDiffer { .. }
        | Error::CountMismatch { .. }
        | Error::UnexpectedCount { .. }
        | Error::ShapesDiffer { .. }
        | Error::ScalarTypesDiffer { .. }
        | Error::OperandDType { .. }
        | Error::MaskDType { .. }
        | Error::EmbeddingIndicesDType { .. }
        | Error::DataRequiresGradDType { .. }
        | Error::TooFewDims { .. }
        | Error::PoolInputShape { .. }
        | Error::PoolOutputTooSmall { .. }
        | Error::InvalidMaxIndex { .. }
        | Error::StorageSizeOverflow { .. }
        | Error::SizeOverflow { .. }
        | Error::ConvParamLength { .. }
        | Error::StorageOutOfBounds { .. }
        | Error::RepeatedDim { .. }
        | Error::MovedimRepeatedDim { .. }
        | Error::MovedimLengths { .. }
        | Error::EmptyReductionNeedsDim { .. }
        | Error::InfNormEmptyDim { .. }
        | Error::EmptyTensorList { .. }
        | Error::InvalidShapeDim { .. }
        | Error::AmbiguousReshape { .. }
        | Error::UnflattenSizes { .. }
        | Error::ExpandTooFewSizes { .. }
        | Error::ExpandLeadingDim { .. }
        | Error::ExpandSizeMismatch { .. }
        | Error::NarrowOutOfRange { .. }
        | Error::DiagonalSameDims { .. }
        | Error::SplitSizeZero { .. }
        | Error::NegativeSplitSizes { .. }
        | Error::SplitSizesSum { .. }
        | Error::NegativePaddedSize { .. }
        | Error::IndexSizeAtDim { .. }
        | Error::IndexLargerThanInput { .. }
        | Error::IndexAddCount { .. }
        | Error::InconsistentNumel { .. }
        | Error::AddmvSize { .. }
        | Error::AttentionHeads { .. }
        | Error::ClassWeightShape { .. }
        | Error::LayerNormInputShape { .. }
        | Error::LayerNormParamShape { .. }
        | Error::NormParamNumel { .. }
        | Error::GroupNormChannels { .. }
        | Error::GroupNormParamShape { .. }
        | Error::ConvInputNdim { .. }
        | Error::ConvWeightGroups { .. }
        | Error::ConvInputChannels { .. }
        | Error::ConvBiasShape { .. }
        | Error::KernelLargerThanInput { .. }
        | Error::UnfoldNoBlocks { .. }
        | Error::FoldChannels { .. }
        | Error::FoldBlocks { .. }
        | Error::InvalidDeviceString(_)
        | Error::UnknownDeviceType(_) => PyRuntimeError::new_err(msg),
        Error::NotAScalar(_) | Error::InternalOverlap | Error::MetadataInUse | Error::DeviceMismatch(..) | Error::Runtime(_) => PyRuntimeError::new_err(msg),
        Error::Type(_) => PyTypeError::new_err(msg),
        Error::NotImplemented(_) => PyNotImplementedError::new_err(msg),
        Error::Value(_) => PyValueError::new_err(msg),
        Error::InvalidIndex(_) => PyIndexError::new_err(msg),
    }
}

/// `?` on a core `Result` inside a pyfunction.
pub trait IntoPyResult<T> {
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for ferrograd::Result<T> {
    #[inline]
    fn py(self) -> PyResult<T> {
        self.map_err(to_py_err)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ShapeError", py.get_type::<ShapeError>())?;
    m.add("DimensionError", py.get_type::<DimensionError>())?;
    m.add("AutogradError", py.get_type::<AutogradError>())?;
    m.add("DTypeError", py.get_type::<DTypeError>())?;
    m.add("DTypeNotImplementedError", dtype_not_implemented(py)?.bind(py))?;
    Ok(())
}
