//! `torch.X` function forms with PyTorch's signatures: positional and
//! keyword names, `out=`, and the calling conventions only the functions
//! have (`torch.pow(2, x)`). Each is a `#[pyfunction]` generated from one
//! table line by `forms!`, calling the same Rust code as the Tensor method.

pub(crate) mod aliases;
pub(crate) mod out;
mod pointwise;
mod reduce;
mod shape;

use crate::tensor::{type_name, Operand, PyTensor};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

const POSITION: &str = "(position ";

/// The methods number their arguments after `self`; a function form counts
/// `input` as position 1, so a TypeError naming a later argument says so.
fn renumbered<T>(py: Python<'_>, r: PyResult<T>) -> PyResult<T> {
    r.map_err(|e| {
        if !e.is_instance_of::<PyTypeError>(py) {
            return e;
        }
        match shifted(&e.value(py).to_string()) {
            Some(message) => PyTypeError::new_err(message),
            None => e,
        }
    })
}

/// `message` with its "(position N)" made "(position N+1)".
fn shifted(message: &str) -> Option<String> {
    let start = message.find(POSITION)? + POSITION.len();
    let digits = message[start..].find(')')?;
    let n: usize = message[start..start + digits].parse().ok()?;
    Some(format!("{}{}{}", &message[..start], n.checked_add(1)?, &message[start + digits..]))
}

/// The tensor argument in first position, with PyTorch's TypeError otherwise.
fn tensor_input<'py>(obj: &Bound<'py, PyAny>, op: &str) -> PyResult<Bound<'py, PyTensor>> {
    match obj.cast::<PyTensor>() {
        Ok(t) => Ok(t.clone()),
        Err(_) => Err(PyTypeError::new_err(format!("{op}(): argument 'input' (position 1) must be Tensor, not {}", type_name(obj)))),
    }
}

/// A first argument that may also be a Python number (`torch.add(2, x)`),
/// taken as a wrapped 0-d tensor so it promotes like the number.
fn operand_input<'py>(obj: &Bound<'py, PyAny>, op: &str) -> PyResult<Bound<'py, PyTensor>> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        return Ok(t.clone());
    }
    match Operand::extract(obj)? {
        Some(o) => Bound::new(obj.py(), PyTensor { inner: o.into_tensor() }),
        None => Err(PyTypeError::new_err(format!("{op}(): argument 'input' (position 1) must be Tensor, not {}", type_name(obj)))),
    }
}

/// Function forms from a table, and `$register` adding them to a module.
///
/// An entry is `name(input, arg: Type = default, ...; kw: Type = default, ...)
/// [out Cast] => |x, py| body;` (a default is one token, so that it shows in
/// `__text_signature__`): positional parameters after `;` become
/// keyword-only, `name as "pyname"` gives the Python name where the Rust
/// name would clash, `out Cast` adds `out=` (see `out.rs`), and `body`
/// computes the result from `x` (the first argument as `$input_of` gives it)
/// and, for `|x, py, out_dtype|`, from `out`'s dtype.
macro_rules! forms {
    ($register:ident, $input_of:path; $($name:ident $(as $pyname:literal)? ($($sig:tt)*) $(out $cast:ident)? => |$x:ident, $py:ident $(, $od:ident)?| $body:expr;)*) => {
        $( forms!(@def $input_of, $name [$($pyname)?] ($($sig)*) [$($cast)?] |$x, $py $(, $od)?| $body); )*

        pub(super) fn $register(m: &Bound<'_, PyModule>) -> PyResult<()> {
            $( m.add_function(wrap_pyfunction!($name, m)?)?; )*
            Ok(())
        }
    };
    (@def $input_of:path, $name:ident [$($pyname:literal)?] ($input:ident $(, $arg:ident : $ty:ty $(= $default:tt)?)* $(; $($kw:ident : $kty:ty = $kdefault:tt),*)?) [] |$x:ident, $py:ident| $body:expr) => {
        #[pyfunction]
        $(#[pyo3(name = $pyname)])?
        #[pyo3(signature = ($input $(, $arg $(= $default)?)* $(, * $(, $kw = $kdefault)*)?))]
        pub(crate) fn $name($py: Python<'_>, $input: &Bound<'_, PyAny> $(, $arg: $ty)* $($(, $kw: $kty)*)?) -> PyResult<Py<PyAny>> {
            let $x = $input_of($input, stringify!($name))?;
            $crate::function_forms::renumbered($py, $body)
        }
    };
    (@def $input_of:path, $name:ident [$($pyname:literal)?] ($input:ident $(, $arg:ident : $ty:ty $(= $default:tt)?)* $(; $($kw:ident : $kty:ty = $kdefault:tt),*)?) [$cast:ident] |$x:ident, $py:ident $(, $od:ident)?| $body:expr) => {
        #[pyfunction]
        $(#[pyo3(name = $pyname)])?
        #[pyo3(signature = ($input $(, $arg $(= $default)?)*, * $($(, $kw = $kdefault)*)?, out=None))]
        pub(crate) fn $name($py: Python<'_>, $input: &Bound<'_, PyAny> $(, $arg: $ty)* $($(, $kw: $kty)*)?, out: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
            let out = $crate::function_forms::out::target(stringify!($name), out)?;
            let $x = $input_of($input, stringify!($name))?;
            $(let $od = out.map(|o| o.get().inner.dtype());)?
            $crate::function_forms::out::finish($py, stringify!($name), $crate::function_forms::renumbered($py, $body), out, $crate::function_forms::out::Cast::$cast)
        }
    };
}
use forms;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    pointwise::register(m)?;
    reduce::register(m)?;
    shape::register(m)
}
