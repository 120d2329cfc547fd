//! In-place forms of the pointwise math methods (`x.exp_()`, `x.pow_(2)`):
//! each runs its out-of-place op and writes the result back, with the
//! in-place rules and history of `Tensor::apply_in_place`.

use crate::errors::IntoPyResult;
use crate::tensor::{Operand, PyTensor};
use ferrograd::Tensor;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

/// Methods whose op saves its input for backward get a copy of the old value
/// (`saves_input`); the others save their result or nothing.
macro_rules! in_place_methods {
    ($($name:ident => $op:ident, $saves_input:expr;)*) => {
        #[pymethods]
        impl PyTensor {
            $(
                fn $name(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
                    slf.get().inner.apply_in_place($saves_input, Tensor::$op).py()?;
                    Ok(slf)
                }
            )*
        }
    };
}

in_place_methods! {
    exp_ => exp, false;
    sqrt_ => sqrt, false;
    tanh_ => tanh, false;
    sigmoid_ => sigmoid, false;
    reciprocal_ => reciprocal, false;
    neg_ => neg, false;
    log_ => log, true;
    abs_ => abs, true;
    sin_ => sin, true;
    cos_ => cos, true;
    tan_ => tan, true;
    exp2_ => exp2, true;
    expm1_ => expm1, true;
    log2_ => log2, true;
    log10_ => log10, true;
    log1p_ => log1p, true;
    rsqrt_ => rsqrt, true;
    square_ => square, true;
    sign_ => sign, false;
    floor_ => floor, false;
    ceil_ => ceil, false;
    trunc_ => trunc, false;
}

#[pymethods]
impl PyTensor {
    fn pow_<'py>(slf: Bound<'py, Self>, exponent: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let t = &slf.get().inner;
        match Operand::extract(exponent)? {
            Some(Operand::Number(s)) => t.apply_in_place(true, |x| x.pow_scalar(s)).py()?,
            Some(Operand::Tensor(e)) => t.apply_in_place(true, |x| x.pow(&e)).py()?,
            None => return Err(PyTypeError::new_err("pow_(): argument 'exponent' must be Tensor or Number")),
        }
        Ok(slf)
    }

    #[pyo3(signature = (decimals=None))]
    fn round_(slf: Bound<'_, Self>, decimals: Option<i64>) -> PyResult<Bound<'_, Self>> {
        match decimals {
            None => slf.get().inner.apply_in_place(false, Tensor::round).py()?,
            Some(d) => slf.get().inner.apply_in_place(false, |x| x.round_decimals(d)).py()?,
        }
        Ok(slf)
    }
}
