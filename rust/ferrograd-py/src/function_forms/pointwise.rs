//! Pointwise, comparison, logical and matrix-product function forms.

use super::{forms, operand_input, out, tensor_input};
use crate::tensor::{type_name, PyTensor};
use ferrograd::DType;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

type Arg<'a, 'py> = &'a Bound<'py, PyAny>;
type Opt<'a, 'py> = Option<&'a Bound<'py, PyAny>>;

forms! { register_unary, tensor_input;
    neg(input) out Result => |x, py| x.get().neg(py);
    negative(input) out Result => |x, py| x.get().neg(py);
    exp(input) out Result => |x, py| x.get().exp(py);
    log(input) out Result => |x, py| x.get().log(py);
    sqrt(input) out Result => |x, py| x.get().sqrt(py);
    tanh(input) out Result => |x, py| x.get().tanh(py);
    sigmoid(input) out Result => |x, py| x.get().sigmoid(py);
    abs(input) out Result => |x, py| x.get().abs(py);
    sign(input) out Result => |x, py| x.get().sign(py);
    reciprocal(input) out Result => |x, py| x.get().reciprocal(py);
    exp2(input) out Result => |x, py| x.get().exp2(py);
    expm1(input) out Result => |x, py| x.get().expm1(py);
    log2(input) out Result => |x, py| x.get().log2(py);
    log10(input) out Result => |x, py| x.get().log10(py);
    log1p(input) out Result => |x, py| x.get().log1p(py);
    rsqrt(input) out Result => |x, py| x.get().rsqrt(py);
    square(input) out Result => |x, py| x.get().square(py);
    sin(input) out Result => |x, py| x.get().sin(py);
    cos(input) out Result => |x, py| x.get().cos(py);
    tan(input) out Result => |x, py| x.get().tan(py);
    erf(input) out Result => |x, py| x.get().erf(py);
    floor(input) out Result => |x, py| x.get().floor(py);
    ceil(input) out Result => |x, py| x.get().ceil(py);
    trunc(input) out Result => |x, py| x.get().trunc(py);
    fix(input) out Result => |x, py| x.get().fix(py);
    logical_not(input) out Result => |x, py| x.get().logical_not(py);
    bitwise_not(input) out Result => |x, py| x.get().bitwise_not(py);
    round(input; decimals: Option<i64> = None) out Result => |x, py| x.get().round(py, decimals);
    clamp(input, min: Opt = None, max: Opt = None) out Result => |x, py| x.get().clamp(py, min, max);
    clip(input, min: Opt = None, max: Opt = None) out Result => |x, py| x.get().clamp(py, min, max);
    isnan(input) => |x, py| x.get().isnan(py);
    isinf(input) => |x, py| x.get().isinf(py);
    isfinite(input) => |x, py| x.get().isfinite(py);
    relu(input) => |x, py| x.get().relu(py);
    relu_(input) => |x, _py| Ok(PyTensor::relu_(x)?.into_any().unbind());
    clamp_(input, min: Opt = None, max: Opt = None) => |x, _py| Ok(PyTensor::clamp_(x, min, max)?.into_any().unbind());
    clip_(input, min: Opt = None, max: Opt = None) => |x, _py| Ok(PyTensor::clamp_(x, min, max)?.into_any().unbind());
}

// The first argument may be a Python number here, as in PyTorch.
forms! { register_arithmetic, operand_input;
    add(input, other: Arg; alpha: Opt = None) out Result => |x, py| x.get().add(py, other, alpha);
    sub(input, other: Arg; alpha: Opt = None) out Result => |x, py| x.get().sub(py, other, alpha);
    subtract(input, other: Arg; alpha: Opt = None) out Result => |x, py| x.get().sub(py, other, alpha);
    mul(input, other: Arg) out Result => |x, py| x.get().mul(py, other);
    multiply(input, other: Arg) out Result => |x, py| x.get().mul(py, other);
    div(input, other: Arg; rounding_mode: Option<&str> = None) out Result => |x, py| x.get().div(py, other, rounding_mode);
    divide(input, other: Arg; rounding_mode: Option<&str> = None) out Result => |x, py| x.get().div(py, other, rounding_mode);
    true_divide(input, other: Arg) out Result => |x, py| x.get().div(py, other, None);
    pow(input, exponent: Arg) out Result => |x, py| pow_of_tensor(py, &x, exponent);
}

forms! { register_binary, tensor_input;
    eq(input, other: Arg) out Result => |x, py| x.get().eq(py, other);
    ne(input, other: Arg) out Result => |x, py| x.get().ne(py, other);
    not_equal(input, other: Arg) out Result => |x, py| x.get().ne(py, other);
    lt(input, other: Arg) out Result => |x, py| x.get().lt(py, other);
    less(input, other: Arg) out Result => |x, py| x.get().lt(py, other);
    le(input, other: Arg) out Result => |x, py| x.get().le(py, other);
    less_equal(input, other: Arg) out Result => |x, py| x.get().le(py, other);
    gt(input, other: Arg) out Result => |x, py| x.get().gt(py, other);
    greater(input, other: Arg) out Result => |x, py| x.get().gt(py, other);
    ge(input, other: Arg) out Result => |x, py| x.get().ge(py, other);
    greater_equal(input, other: Arg) out Result => |x, py| x.get().ge(py, other);
    logical_and(input, other: Arg) out Result => |x, py| x.get().logical_and(py, other);
    logical_or(input, other: Arg) out Result => |x, py| x.get().logical_or(py, other);
    logical_xor(input, other: Arg) out Result => |x, py| x.get().logical_xor(py, other);
    floor_divide(input, other: Arg) out Result => |x, py| x.get().floor_divide(py, other);
    maximum(input, other: Arg) out Result => |x, py| x.get().maximum(py, other);
    minimum(input, other: Arg) out Result => |x, py| x.get().minimum(py, other);
    lerp(input, end: Arg, weight: Arg) out Result => |x, py| x.get().lerp(py, end, weight);
    matmul(input, other: PyRef<PyTensor>) out Result => |x, py| x.get().matmul(py, other);
    mm(input, mat2: PyRef<PyTensor>) out Result => |x, py| x.get().mm(py, mat2);
    bmm(input, mat2: PyRef<PyTensor>) out Result => |x, py| x.get().bmm(py, mat2);
    dot(input, tensor: PyRef<PyTensor>) out Result => |x, py| x.get().dot(py, tensor);
    mv(input, vec: PyRef<PyTensor>) out Result => |x, py| x.get().mv(py, vec);
    outer(input, vec2: PyRef<PyTensor>) out Result => |x, py| x.get().outer(py, vec2);
}

/// Outside the table: a default that is not one token (`Some(0.0)`).
#[pyfunction]
#[pyo3(signature = (input, nan=0.0, posinf=None, neginf=None, *, out=None))]
fn nan_to_num(py: Python<'_>, input: &Bound<'_, PyAny>, nan: Option<f64>, posinf: Option<f64>, neginf: Option<f64>, out: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let out = out::target("nan_to_num", out)?;
    let x = tensor_input(input, "nan_to_num")?;
    out::finish(py, "nan_to_num", x.get().nan_to_num(py, nan, posinf, neginf), out, out::Cast::Result)
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(nan_to_num, m)?)?;
    register_unary(m)?;
    register_arithmetic(m)?;
    register_binary(m)
}

/// `pow` needs a tensor on one side: PyTorch has no overload for two numbers.
fn pow_of_tensor(py: Python<'_>, x: &Bound<'_, PyTensor>, exponent: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let base = &x.get().inner;
    if base.is_wrapped_number() && !exponent.is_instance_of::<PyTensor>() {
        let base_type = match base.dtype() {
            DType::Bool => "bool",
            DType::I64 => "int",
            _ => "float",
        };
        return Err(PyTypeError::new_err(format!(
            "pow() received an invalid combination of arguments - got ({base_type}, {}), but expected one of:\n \
             * (Tensor input, Tensor exponent, *, Tensor out = None)\n \
             * (Number self, Tensor exponent, *, Tensor out = None)\n \
             * (Tensor input, Number exponent, *, Tensor out = None)\n",
            type_name(exponent)
        )));
    }
    x.get().pow(py, exponent)
}
