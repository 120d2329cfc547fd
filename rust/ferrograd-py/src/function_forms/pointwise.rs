//! Pointwise, comparison, logical and matrix-product function forms.

use super::{forms, operand_input, tensor_input};
use crate::tensor::PyTensor;
use pyo3::prelude::*;

type Arg<'a, 'py> = &'a Bound<'py, PyAny>;
type Opt<'a, 'py> = Option<&'a Bound<'py, PyAny>>;

forms! { register_unary, tensor_input;
    neg(input) out Safe => |x, py| x.get().neg(py);
    negative(input) out Safe => |x, py| x.get().neg(py);
    exp(input) out Safe => |x, py| x.get().exp(py);
    log(input) out Safe => |x, py| x.get().log(py);
    sqrt(input) out Safe => |x, py| x.get().sqrt(py);
    tanh(input) out Safe => |x, py| x.get().tanh(py);
    sigmoid(input) out Safe => |x, py| x.get().sigmoid(py);
    abs(input) out Safe => |x, py| x.get().abs(py);
    sign(input) out Safe => |x, py| x.get().sign(py);
    reciprocal(input) out Safe => |x, py| x.get().reciprocal(py);
    exp2(input) out Safe => |x, py| x.get().exp2(py);
    expm1(input) out Safe => |x, py| x.get().expm1(py);
    log2(input) out Safe => |x, py| x.get().log2(py);
    log10(input) out Safe => |x, py| x.get().log10(py);
    log1p(input) out Safe => |x, py| x.get().log1p(py);
    rsqrt(input) out Safe => |x, py| x.get().rsqrt(py);
    square(input) out Safe => |x, py| x.get().square(py);
    sin(input) out Safe => |x, py| x.get().sin(py);
    cos(input) out Safe => |x, py| x.get().cos(py);
    tan(input) out Safe => |x, py| x.get().tan(py);
    erf(input) out Safe => |x, py| x.get().erf(py);
    floor(input) out Safe => |x, py| x.get().floor(py);
    ceil(input) out Safe => |x, py| x.get().ceil(py);
    trunc(input) out Safe => |x, py| x.get().trunc(py);
    fix(input) out Safe => |x, py| x.get().fix(py);
    logical_not(input) out Safe => |x, py| x.get().logical_not(py);
    bitwise_not(input) out Safe => |x, py| x.get().bitwise_not(py);
    round(input; decimals: Option<i64> = None) out Safe => |x, py| x.get().round(py, decimals);
    nan_to_num(input, nan: Option<f64> = Some(0.0), posinf: Option<f64> = None, neginf: Option<f64> = None) out Safe => |x, py| x.get().nan_to_num(py, nan, posinf, neginf);
    clamp(input, min: Opt = None, max: Opt = None) out Safe => |x, py| x.get().clamp(py, min, max);
    clip(input, min: Opt = None, max: Opt = None) out Safe => |x, py| x.get().clamp(py, min, max);
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
    add(input, other: Arg; alpha: Opt = None) out Safe => |x, py| x.get().add(py, other, alpha);
    sub(input, other: Arg; alpha: Opt = None) out Safe => |x, py| x.get().sub(py, other, alpha);
    subtract(input, other: Arg; alpha: Opt = None) out Safe => |x, py| x.get().sub(py, other, alpha);
    mul(input, other: Arg) out Safe => |x, py| x.get().mul(py, other);
    multiply(input, other: Arg) out Safe => |x, py| x.get().mul(py, other);
    div(input, other: Arg; rounding_mode: Option<&str> = None) out Safe => |x, py| x.get().div(py, other, rounding_mode);
    divide(input, other: Arg; rounding_mode: Option<&str> = None) out Safe => |x, py| x.get().div(py, other, rounding_mode);
    true_divide(dividend, divisor: Arg) out Safe => |x, py| x.get().div(py, divisor, None);
    pow(input, exponent: Arg) out Safe => |x, py| x.get().pow(py, exponent);
}

forms! { register_binary, tensor_input;
    eq(input, other: Arg) out Safe => |x, py| x.get().eq(py, other);
    ne(input, other: Arg) out Safe => |x, py| x.get().ne(py, other);
    not_equal(input, other: Arg) out Safe => |x, py| x.get().ne(py, other);
    lt(input, other: Arg) out Safe => |x, py| x.get().lt(py, other);
    less(input, other: Arg) out Safe => |x, py| x.get().lt(py, other);
    le(input, other: Arg) out Safe => |x, py| x.get().le(py, other);
    less_equal(input, other: Arg) out Safe => |x, py| x.get().le(py, other);
    gt(input, other: Arg) out Safe => |x, py| x.get().gt(py, other);
    greater(input, other: Arg) out Safe => |x, py| x.get().gt(py, other);
    ge(input, other: Arg) out Safe => |x, py| x.get().ge(py, other);
    greater_equal(input, other: Arg) out Safe => |x, py| x.get().ge(py, other);
    logical_and(input, other: Arg) out Safe => |x, py| x.get().logical_and(py, other);
    logical_or(input, other: Arg) out Safe => |x, py| x.get().logical_or(py, other);
    logical_xor(input, other: Arg) out Safe => |x, py| x.get().logical_xor(py, other);
    floor_divide(input, other: Arg) out Safe => |x, py| x.get().floor_divide(py, other);
    maximum(input, other: Arg) out Safe => |x, py| x.get().maximum(py, other);
    minimum(input, other: Arg) out Safe => |x, py| x.get().minimum(py, other);
    lerp(input, end: Arg, weight: Arg) out Safe => |x, py| x.get().lerp(py, end, weight);
    matmul(input, other: PyRef<PyTensor>) out Safe => |x, py| x.get().matmul(py, other);
    mm(input, mat2: PyRef<PyTensor>) out Safe => |x, py| x.get().mm(py, mat2);
    bmm(input, mat2: PyRef<PyTensor>) out Safe => |x, py| x.get().bmm(py, mat2);
    dot(input, tensor: PyRef<PyTensor>) out Safe => |x, py| x.get().dot(py, tensor);
    mv(input, vec: PyRef<PyTensor>) out Safe => |x, py| x.get().mv(py, vec);
    outer(input, vec2: PyRef<PyTensor>) out Safe => |x, py| x.get().outer(py, vec2);
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    register_unary(m)?;
    register_arithmetic(m)?;
    register_binary(m)
}
