//! Bindings for pointwise math, rounding, logical ops, clamp, maximum/minimum,
//! where, lerp and the activations (`torch.nn.functional` lives in the `_nn`
//! submodule). One core call per method.

use crate::errors::IntoPyResult;
use crate::gil::{compute_tensor, update_in_place};
use crate::tensor::{tensor_arg, type_name, Operand, PyTensor};
use ferrograd::ops::activation::GeluApproximation;
use ferrograd::ops::pointwise::{ClampBound, Logic, RoundingMode};
use ferrograd::ops::remainder::Modulo;
use ferrograd::Tensor;
use pyo3::exceptions::{PyNotImplementedError, PyTypeError};
use pyo3::prelude::*;

/// `op(x)` wrapped for Python, detached from the interpreter when `x` is large.
fn elementwise(py: Python<'_>, x: &Tensor, op: impl FnOnce(&Tensor) -> ferrograd::Result<Tensor> + Send) -> PyResult<Py<PyAny>> {
    compute_tensor(py, x.numel(), || op(x))
}

/// `op(a, b)` wrapped for Python, detached when the larger operand is large.
fn binary(py: Python<'_>, a: &Tensor, b: &Tensor, op: impl FnOnce(&Tensor, &Tensor) -> ferrograd::Result<Tensor> + Send) -> PyResult<Py<PyAny>> {
    compute_tensor(py, a.numel().max(b.numel()), || op(a, b))
}

/// A tensor or a Python number (as a wrapped 0-d tensor).
fn operand_arg(obj: &Bound<'_, PyAny>, op: &str, name: &str, position: usize) -> PyResult<Tensor> {
    match Operand::extract(obj)? {
        Some(o) => Ok(o.into_tensor()),
        None => Err(PyTypeError::new_err(format!("{op}(): argument '{name}' (position {position}) must be Tensor or Number, not {}", type_name(obj)))),
    }
}

/// A clamp bound: absent (None), a number, or a tensor.
fn bound_arg(obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Option<ClampBound>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else { return Ok(None) };
    match Operand::extract(obj)? {
        Some(Operand::Tensor(t)) => Ok(Some(ClampBound::Tensor(t))),
        Some(Operand::Number(s)) => Ok(Some(ClampBound::Number(s))),
        None => Err(PyTypeError::new_err(format!("clamp(): argument '{name}' must be Number or Tensor, not {}", type_name(obj)))),
    }
}

fn parse_bounds(min: Option<&Bound<'_, PyAny>>, max: Option<&Bound<'_, PyAny>>) -> PyResult<(Option<ClampBound>, Option<ClampBound>)> {
    Ok((bound_arg(min, "min")?, bound_arg(max, "max")?))
}

#[pymethods]
impl PyTensor {
    pub(crate) fn exp2(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.exp2())
    }
    pub(crate) fn expm1(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.expm1())
    }
    pub(crate) fn log2(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.log2())
    }
    pub(crate) fn log10(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.log10())
    }
    pub(crate) fn log1p(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.log1p())
    }
    pub(crate) fn rsqrt(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.rsqrt())
    }
    pub(crate) fn square(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.square())
    }
    pub(crate) fn sin(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.sin())
    }
    pub(crate) fn cos(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.cos())
    }
    pub(crate) fn tan(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.tan())
    }
    pub(crate) fn erf(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.erf())
    }
    pub(crate) fn floor(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.floor())
    }
    pub(crate) fn ceil(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.ceil())
    }
    pub(crate) fn trunc(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.trunc())
    }
    pub(crate) fn fix(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.trunc())
    }
    /// Half to even; `decimals` given (even 0) selects PyTorch's RoundBackward1 overload.
    #[pyo3(signature = (*, decimals=None))]
    pub(crate) fn round(&self, py: Python<'_>, decimals: Option<i64>) -> PyResult<Py<PyAny>> {
        match decimals {
            None => elementwise(py, &self.inner, |x| x.round()),
            Some(d) => elementwise(py, &self.inner, |x| x.round_decimals(d)),
        }
    }
    #[pyo3(signature = (nan=0.0, posinf=None, neginf=None))]
    pub(crate) fn nan_to_num(&self, py: Python<'_>, nan: Option<f64>, posinf: Option<f64>, neginf: Option<f64>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.nan_to_num(nan, posinf, neginf))
    }
    pub(crate) fn isnan(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.isnan())
    }
    pub(crate) fn isinf(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.isinf())
    }
    pub(crate) fn isfinite(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.isfinite())
    }

    // ---- logical and bitwise -------------------------------------------------

    pub(crate) fn logical_and(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(py, &self.inner, &tensor_arg(other, "logical_and", "other", 1)?, |a, b| a.logical(b, Logic::And))
    }
    pub(crate) fn logical_or(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(py, &self.inner, &tensor_arg(other, "logical_or", "other", 1)?, |a, b| a.logical(b, Logic::Or))
    }
    pub(crate) fn logical_xor(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(py, &self.inner, &tensor_arg(other, "logical_xor", "other", 1)?, |a, b| a.logical(b, Logic::Xor))
    }
    pub(crate) fn logical_not(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.logical_not())
    }
    pub(crate) fn __and__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.bitwise_op(py, other, Logic::And, false)
    }
    pub(crate) fn __rand__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.bitwise_op(py, other, Logic::And, true)
    }
    pub(crate) fn __or__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.bitwise_op(py, other, Logic::Or, false)
    }
    pub(crate) fn __ror__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.bitwise_op(py, other, Logic::Or, true)
    }
    pub(crate) fn __xor__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.bitwise_op(py, other, Logic::Xor, false)
    }
    pub(crate) fn __rxor__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.bitwise_op(py, other, Logic::Xor, true)
    }
    pub(crate) fn __invert__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.bitwise_not())
    }
    pub(crate) fn bitwise_not(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        elementwise(py, &self.inner, |x| x.bitwise_not())
    }

    // ---- floor division ----------------------------------------------------------

    pub(crate) fn floor_divide(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binary(py, &self.inner, &operand_arg(other, "floor_divide", "other", 1)?, Tensor::floor_divide)
    }
    pub(crate) fn __floordiv__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match Operand::extract(other)? {
            Some(o) => binary(py, &self.inner, &o.into_tensor(), Tensor::floor_divide),
            None => Ok(py.NotImplemented()),
        }
    }
    pub(crate) fn __rfloordiv__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match Operand::extract(other)? {
            Some(o) => binary(py, &o.into_tensor(), &self.inner, Tensor::floor_divide),
            None => Ok(py.NotImplemented()),
        }
    }

    // ---- remainder and fmod -------------------------------------------------------

    fn remainder(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let other = operand_arg(other, "remainder", "other", 1)?;
        binary(py, &self.inner, &other, Tensor::remainder)
    }
    fn fmod(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let other = operand_arg(other, "fmod", "other", 1)?;
        binary(py, &self.inner, &other, Tensor::fmod)
    }
    fn remainder_<'py>(slf: Bound<'py, Self>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let other = operand_arg(other, "remainder_", "other", 1)?;
        let x = &slf.get().inner;
        update_in_place(slf.py(), x.numel().max(other.numel()), || x.modulo_(&other, Modulo::Remainder))?;
        Ok(slf)
    }
    fn fmod_<'py>(slf: Bound<'py, Self>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let other = operand_arg(other, "fmod_", "other", 1)?;
        let x = &slf.get().inner;
        update_in_place(slf.py(), x.numel().max(other.numel()), || x.modulo_(&other, Modulo::Fmod))?;
        Ok(slf)
    }
    fn __mod__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match Operand::extract(other)? {
            Some(o) => binary(py, &self.inner, &o.into_tensor(), Tensor::remainder),
            None => Ok(py.NotImplemented()),
        }
    }
    fn __rmod__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match Operand::extract(other)? {
            Some(Operand::Number(s)) => elementwise(py, &self.inner, |x| x.rremainder_scalar(s)),
            Some(Operand::Tensor(t)) => binary(py, &t, &self.inner, Tensor::remainder),
            None => Ok(py.NotImplemented()),
        }
    }
    fn __imod__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        match Operand::extract(other)? {
            Some(o) => {
                let (x, o) = (&self.inner, o.into_tensor());
                update_in_place(py, x.numel().max(o.numel()), || x.modulo_(&o, Modulo::Remainder))
            }
            None => Err(PyTypeError::new_err(format!("unsupported operand type(s) for %=: 'Tensor' and '{}'", type_name(other)))),
        }
    }

    // ---- clamp, maximum, minimum, where, lerp ----------------------------------------

    #[pyo3(signature = (min=None, max=None))]
    pub(crate) fn clamp(&self, py: Python<'_>, min: Option<&Bound<'_, PyAny>>, max: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let (lo, hi) = parse_bounds(min, max)?;
        elementwise(py, &self.inner, |x| x.clamp_bounds(lo, hi))
    }
    #[pyo3(signature = (min=None, max=None))]
    pub(crate) fn clip(&self, py: Python<'_>, min: Option<&Bound<'_, PyAny>>, max: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        self.clamp(py, min, max)
    }
    #[pyo3(signature = (min=None, max=None))]
    pub(crate) fn clamp_<'py>(slf: Bound<'py, Self>, min: Option<&Bound<'py, PyAny>>, max: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, Self>> {
        let (lo, hi) = parse_bounds(min, max)?;
        let x = &slf.get().inner;
        update_in_place(slf.py(), x.numel(), || x.clamp_bounds_(lo, hi))?;
        Ok(slf)
    }
    #[pyo3(signature = (min=None, max=None))]
    pub(crate) fn clip_<'py>(slf: Bound<'py, Self>, min: Option<&Bound<'py, PyAny>>, max: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, Self>> {
        Self::clamp_(slf, min, max)
    }
    pub(crate) fn maximum(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let other = tensor_arg(other, "maximum", "other", 1)?;
        binary(py, &self.inner, &other, Tensor::maximum)
    }
    pub(crate) fn minimum(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let other = tensor_arg(other, "minimum", "other", 1)?;
        binary(py, &self.inner, &other, Tensor::minimum)
    }
    /// `x.where(condition, y)` is `torch.where(condition, x, y)`.
    #[pyo3(name = "where")]
    pub(crate) fn where_(&self, py: Python<'_>, condition: &Bound<'_, PyAny>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let cond = tensor_arg(condition, "where", "condition", 1)?;
        let (x, other) = (&self.inner, operand_arg(other, "where", "other", 2)?);
        compute_tensor(py, cond.numel().max(x.numel()).max(other.numel()), || Tensor::where_cond(&cond, x, &other))
    }
    pub(crate) fn lerp(&self, py: Python<'_>, end: &Bound<'_, PyAny>, weight: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let end = tensor_arg(end, "lerp", "end", 1)?;
        match Operand::extract(weight)? {
            Some(Operand::Number(w)) => elementwise(py, &self.inner, |x| x.lerp(&end, w)),
            Some(Operand::Tensor(w)) => elementwise(py, &self.inner, |x| x.lerp_tensor(&end, &w)),
            None => Err(PyTypeError::new_err(format!("lerp(): argument 'weight' (position 2) must be Number or Tensor, not {}", type_name(weight)))),
        }
    }
}

impl PyTensor {
    pub(crate) fn bitwise_op(&self, py: Python<'_>, other: &Bound<'_, PyAny>, kind: Logic, reflected: bool) -> PyResult<Py<PyAny>> {
        let Some(o) = Operand::extract(other)? else { return Ok(py.NotImplemented()) };
        let o = o.into_tensor();
        let (a, b) = if reflected { (&o, &self.inner) } else { (&self.inner, &o) };
        binary(py, a, b, |a, b| a.bitwise(b, kind))
    }
}

/// `div` with PyTorch's `rounding_mode` keyword (None, 'trunc' or 'floor').
pub fn div_with_mode(py: Python<'_>, x: &Tensor, other: &Tensor, rounding_mode: Option<&str>) -> PyResult<Py<PyAny>> {
    match rounding_mode {
        None => binary(py, x, other, Tensor::div),
        Some(mode) => {
            let mode = RoundingMode::parse(mode).py()?;
            binary(py, x, other, |x, other| x.div_rounding(other, mode))
        }
    }
}

/// `torch.remainder(input, other)`; `input` may be a number, as in PyTorch.
#[pyfunction]
#[pyo3(signature = (input, other))]
fn remainder(py: Python<'_>, input: &Bound<'_, PyAny>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let other_t = operand_arg(other, "remainder", "other", 2)?;
    match Operand::extract(input)? {
        Some(Operand::Tensor(t)) => binary(py, &t, &other_t, Tensor::remainder),
        Some(Operand::Number(s)) if !other_t.is_wrapped_number() => elementwise(py, &other_t, |x| x.rremainder_scalar(s)),
        _ => Err(PyTypeError::new_err(format!(
            "remainder(): argument 'input' (position 1) must be Tensor, not {}",
            type_name(input)
        ))),
    }
}

/// `torch.fmod(input, other)`.
#[pyfunction]
#[pyo3(signature = (input, other))]
fn fmod(py: Python<'_>, input: &Bound<'_, PyAny>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let input = tensor_arg(input, "fmod", "input", 1)?;
    let other = operand_arg(other, "fmod", "other", 2)?;
    binary(py, &input, &other, Tensor::fmod)
}

/// `torch.where(condition, input, other)`; `torch.where(condition)` is `nonzero(as_tuple=True)`.
#[pyfunction(name = "where")]
#[pyo3(signature = (condition, input=None, other=None))]
fn where_fn(py: Python<'_>, condition: &Bound<'_, PyAny>, input: Option<&Bound<'_, PyAny>>, other: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let cond = tensor_arg(condition, "where", "condition", 1)?;
    if input.is_none() && other.is_none() {
        return crate::index_ops::nonzero_tuple(py, &cond);
    }
    let (Some(input), Some(other)) = (input, other) else {
        return Err(PyNotImplementedError::new_err("torch.where(condition) with one argument is not supported; pass input and other"));
    };
    let (input, other) = (operand_arg(input, "where", "input", 2)?, operand_arg(other, "where", "other", 3)?);
    compute_tensor(py, cond.numel().max(input.numel()).max(other.numel()), || Tensor::where_cond(&cond, &input, &other))
}

// ---- torch.nn.functional --------------------------------------------------------------

/// Runs an activation out of place, or its in-place form on `input` when `inplace`.
fn activation(
    py: Python<'_>,
    input: &Bound<'_, PyTensor>,
    inplace: bool,
    out_of_place: impl FnOnce(&Tensor) -> ferrograd::Result<Tensor> + Send,
    in_place: impl FnOnce(&Tensor) -> ferrograd::Result<()> + Send,
) -> PyResult<Py<PyAny>> {
    let x = &input.get().inner;
    if inplace {
        update_in_place(py, x.numel(), || in_place(x))?;
        return Ok(input.clone().into_any().unbind());
    }
    elementwise(py, x, out_of_place)
}

#[pyfunction]
#[pyo3(signature = (input, inplace=false))]
fn relu(py: Python<'_>, input: &Bound<'_, PyTensor>, inplace: bool) -> PyResult<Py<PyAny>> {
    activation(py, input, inplace, Tensor::relu, Tensor::relu_)
}

#[pyfunction]
#[pyo3(signature = (input, negative_slope=0.01, inplace=false))]
fn leaky_relu(py: Python<'_>, input: &Bound<'_, PyTensor>, negative_slope: f64, inplace: bool) -> PyResult<Py<PyAny>> {
    activation(py, input, inplace, |x| x.leaky_relu(negative_slope), |x| x.leaky_relu_(negative_slope))
}

#[pyfunction]
#[pyo3(signature = (input, alpha=1.0, inplace=false))]
fn elu(py: Python<'_>, input: &Bound<'_, PyTensor>, alpha: f64, inplace: bool) -> PyResult<Py<PyAny>> {
    activation(py, input, inplace, |x| x.elu(alpha), |x| x.elu_(alpha))
}

#[pyfunction]
#[pyo3(signature = (input, approximate="none"))]
fn gelu(py: Python<'_>, input: &Bound<'_, PyTensor>, approximate: &str) -> PyResult<Py<PyAny>> {
    let approx = GeluApproximation::parse(approximate).py()?;
    elementwise(py, &input.get().inner, |x| x.gelu(approx))
}

#[pyfunction]
#[pyo3(signature = (input, inplace=false))]
fn silu(py: Python<'_>, input: &Bound<'_, PyTensor>, inplace: bool) -> PyResult<Py<PyAny>> {
    activation(py, input, inplace, Tensor::silu, Tensor::silu_)
}

#[pyfunction]
#[pyo3(signature = (input, beta=1.0, threshold=20.0))]
fn softplus(py: Python<'_>, input: &Bound<'_, PyTensor>, beta: f64, threshold: f64) -> PyResult<Py<PyAny>> {
    elementwise(py, &input.get().inner, |x| x.softplus(beta, threshold))
}

#[pyfunction]
fn sigmoid(py: Python<'_>, input: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
    elementwise(py, &input.get().inner, |x| x.sigmoid())
}

#[pyfunction]
fn tanh(py: Python<'_>, input: &Bound<'_, PyTensor>) -> PyResult<Py<PyAny>> {
    elementwise(py, &input.get().inner, |x| x.tanh())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(where_fn, m)?)?;
    m.add_function(wrap_pyfunction!(remainder, m)?)?;
    m.add_function(wrap_pyfunction!(fmod, m)?)?;
    let nn = PyModule::new(m.py(), "_nn")?;
    for f in [
        wrap_pyfunction!(relu, &nn)?,
        wrap_pyfunction!(leaky_relu, &nn)?,
        wrap_pyfunction!(elu, &nn)?,
        wrap_pyfunction!(gelu, &nn)?,
        wrap_pyfunction!(silu, &nn)?,
        wrap_pyfunction!(softplus, &nn)?,
        wrap_pyfunction!(sigmoid, &nn)?,
        wrap_pyfunction!(tanh, &nn)?,
    ] {
        nn.add_function(f)?;
    }
    m.add_submodule(&nn)?;
    Ok(())
}
