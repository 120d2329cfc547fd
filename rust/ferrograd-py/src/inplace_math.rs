//! In-place forms of the pointwise math methods (`x.exp_()`, `x.pow_(2)`):
//! each converts its arguments and calls the core's in-place method, which
//! knows what the op saves for backward.

use crate::gil::update_in_place;
use crate::tensor::{Operand, PyTensor};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

/// One Python method per row of the core's table of unary in-place ops.
macro_rules! in_place_methods {
    ($($name:ident => $op:ident, $saves_input:expr;)*) => {
        #[pymethods]
        impl PyTensor {
            $(
                pub(crate) fn $name(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
                    let t = &slf.get().inner;
                    update_in_place(slf.py(), t.numel(), || t.$name())?;
                    Ok(slf)
                }
            )*
        }
    };
}

ferrograd::for_each_unary_in_place!(in_place_methods);

#[pymethods]
impl PyTensor {
    fn pow_<'py>(slf: Bound<'py, Self>, exponent: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let (t, py) = (&slf.get().inner, slf.py());
        match Operand::extract(exponent)? {
            Some(Operand::Number(s)) => update_in_place(py, t.numel(), || t.pow_scalar_(s))?,
            Some(Operand::Tensor(e)) => update_in_place(py, t.numel().max(e.numel()), || t.pow_(&e))?,
            None => return Err(PyTypeError::new_err("pow_(): argument 'exponent' must be Tensor or Number")),
        }
        Ok(slf)
    }

    #[pyo3(signature = (decimals=None))]
    fn round_(slf: Bound<'_, Self>, decimals: Option<i64>) -> PyResult<Bound<'_, Self>> {
        let t = &slf.get().inner;
        match decimals {
            None => update_in_place(slf.py(), t.numel(), || t.round_())?,
            Some(d) => update_in_place(slf.py(), t.numel(), || t.round_decimals_(d))?,
        }
        Ok(slf)
    }
}
