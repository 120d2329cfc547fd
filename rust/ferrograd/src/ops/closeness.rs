//! `isclose`, `allclose` and `equal`: value comparisons that return bools
//! and record nothing. `isclose` follows ATen's composition step by step, so
//! rounding, promotion and the handling of infinities and NaN match it.

use crate::ops::host::host_only;
use super::compare::Comparison;
use super::pointwise::Logic;
use crate::autograd::mode::no_grad;
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

impl Tensor {
    /// `|self - other| <= atol + rtol * |other|` elementwise, plus exact
    /// equality (so equal infinities are close) and, with `equal_nan`, NaN
    /// against NaN.
    pub fn isclose(&self, other: &Tensor, rtol: f64, atol: f64, equal_nan: bool) -> Result<Tensor> {
        host_only!("isclose", [self, other] => |[a, b]| a.isclose(&b, rtol, atol, equal_nan));
        if self.dtype() != other.dtype() {
            return Err(Error::ScalarTypesDiffer { expected: "", lhs: self.dtype(), sep: " did not match ", rhs: other.dtype(), tail: "" });
        }
        // `!(x >= 0)` also refuses NaN tolerances, as ATen's check does.
        for (name, value) in [("rtol", rtol), ("atol", atol)] {
            if !(value >= 0.0) {
                return Err(Error::runtime(format!("{name} must be greater than or equal to zero, but got {}", format_tolerance(value))));
            }
        }
        let _no_grad = no_grad();
        let mut close = self.compare(other, Comparison::Eq)?;
        if equal_nan && self.dtype().is_floating_point() {
            close = or(&close, &nan_mask(self)?.logical_and(&nan_mask(other)?)?)?;
        }
        // Zero tolerances reduce to equality; the error terms below would let
        // through nothing more but could overflow.
        if rtol == 0.0 && atol == 0.0 {
            return Ok(close);
        }
        // Bools cannot be subtracted: ATen measures them in the default float type.
        let as_number = |t: &Tensor| if t.dtype() == DType::Bool { t.cast(DType::default_float()) } else { Ok(t.clone()) };
        let (a, b) = (as_number(self)?, as_number(other)?);
        let step = Rounding::of(a.dtype());
        let (a, b) = (step.widen(&a)?, step.widen(&b)?);
        let scaled = step.round(b.mul_scalar(Scalar::Float(step.tolerance(rtol)))?)?;
        let allowed = step.round(scaled.abs()?.add_scalar(Scalar::Float(step.tolerance(atol)))?)?;
        let actual = step.round(a.sub(&b)?)?.abs()?;
        // An infinite difference is never within tolerance, even an infinite one.
        let within = actual.cast(DType::F64)?.isfinite()?.logical_and(&actual.compare(&allowed, Comparison::Le)?)?;
        or(&close, &within)
    }

    /// Whether every element of `isclose` holds.
    pub fn allclose(&self, other: &Tensor, rtol: f64, atol: f64, equal_nan: bool) -> Result<bool> {
        Ok(self.isclose(other, rtol, atol, equal_nan)?.all_dims(None, false)?.item()?.to_f64() != 0.0)
    }

    /// Same shape and equal elements after type promotion (NaN equals nothing).
    pub fn equal(&self, other: &Tensor) -> Result<bool> {
        if self.shape() != other.shape() {
            return Ok(false);
        }
        let _no_grad = no_grad();
        Ok(self.compare(other, Comparison::Eq)?.all_dims(None, false)?.item()?.to_f64() != 0.0)
    }
}

fn or(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    a.logical(b, Logic::Or)
}

/// How PyTorch's CPU kernels compute in 16-bit floats: operands (number
/// ones too) are rounded to the 16-bit type, the arithmetic runs in float32,
/// and each result is rounded back. Other dtypes compute as they are.
#[derive(Copy, Clone)]
struct Rounding(Option<DType>);

impl Rounding {
    fn of(dtype: DType) -> Self {
        Rounding(matches!(dtype, DType::F16 | DType::BF16).then_some(dtype))
    }
    fn widen(self, t: &Tensor) -> Result<Tensor> {
        if self.0.is_some() { t.cast(DType::F32) } else { Ok(t.clone()) }
    }
    fn round(self, t: Tensor) -> Result<Tensor> {
        match self.0 {
            Some(narrow) => t.cast(narrow)?.cast(DType::F32),
            None => Ok(t),
        }
    }
    fn tolerance(self, value: f64) -> f64 {
        match self.0 {
            Some(DType::F16) => half::f16::from_f64(value).to_f64(),
            Some(DType::BF16) => half::bf16::from_f64(value).to_f64(),
            _ => value,
        }
    }
}

/// Where a floating tensor holds NaN; 16-bit floats are widened first, as
/// widening keeps NaN.
fn nan_mask(t: &Tensor) -> Result<Tensor> {
    t.cast(DType::F64)?.isnan()
}

/// A tolerance as C++ streams print a double in ATen's messages (`%g`):
/// six significant digits, `-1`, `-1e-05`, `-1.23457e+08`, `nan`, `-inf`.
fn format_tolerance(value: f64) -> String {
    if !value.is_finite() {
        return if value.is_nan() { "nan".into() } else if value > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let scientific = format!("{value:.5e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let trim = |s: &str| if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s.to_string() };
    if (-4..6).contains(&exponent) {
        let decimals = usize::try_from(5 - exponent).unwrap_or(0);
        trim(&format!("{value:.decimals$}"))
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exponent.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floats(values: &[f64]) -> Tensor {
        Tensor::from_vec(values.to_vec(), &[values.len()]).unwrap()
    }

    fn flags(t: &Tensor) -> Vec<bool> {
        t.to_vec::<bool>().unwrap()
    }

    #[test]
    fn infinities_are_close_only_to_themselves() {
        let inf = f64::INFINITY;
        let a = floats(&[inf, -inf, inf, 1.0, 1.0]);
        let b = floats(&[inf, -inf, -inf, inf, 1.0 + 1e-6]);
        assert_eq!(flags(&a.isclose(&b, 1e-5, 1e-8, false).unwrap()), [true, true, false, false, true]);
        // Even an infinite tolerance does not make a finite value close to infinity.
        assert_eq!(flags(&floats(&[1.0]).isclose(&floats(&[inf]), 0.0, inf, false).unwrap()), [false]);
    }

    #[test]
    fn nan_is_close_only_with_equal_nan() {
        let a = floats(&[f64::NAN, f64::NAN, 1.0]);
        let b = floats(&[f64::NAN, 1.0, f64::NAN]);
        assert_eq!(flags(&a.isclose(&b, 1e-5, 1e-8, false).unwrap()), [false, false, false]);
        assert_eq!(flags(&a.isclose(&b, 1e-5, 1e-8, true).unwrap()), [true, false, false]);
    }

    #[test]
    fn tolerances_scale_with_other() {
        // |3 - 5| = 2 <= 0.5 * 5, but |1 - 3| = 2 > 0.5 * 3.
        let a = Tensor::from_vec(vec![3i64, 1], &[2]).unwrap();
        let b = Tensor::from_vec(vec![5i64, 3], &[2]).unwrap();
        assert_eq!(flags(&a.isclose(&b, 0.5, 0.0, false).unwrap()), [true, false]);
        let t = Tensor::from_vec(vec![true, false], &[2]).unwrap();
        let u = Tensor::from_vec(vec![true, true], &[2]).unwrap();
        assert_eq!(flags(&t.isclose(&u, 0.0, 1.0, false).unwrap()), [true, true]);
        assert_eq!(flags(&t.isclose(&u, 1e-5, 1e-8, false).unwrap()), [true, false]);
    }

    #[test]
    fn half_tolerances_are_rounded_to_half() {
        // atol = 5e-8 rounds up to half's least subnormal, which 6e-8 also rounds to.
        let zero = floats(&[0.0]).cast(DType::F16).unwrap();
        let tiny = floats(&[6e-8]).cast(DType::F16).unwrap();
        assert_eq!(flags(&zero.isclose(&tiny, 0.0, 5e-8, false).unwrap()), [true]);
        assert_eq!(flags(&zero.cast(DType::F32).unwrap().isclose(&tiny.cast(DType::F32).unwrap(), 0.0, 5e-8, false).unwrap()), [false]);
    }

    #[test]
    fn bad_arguments_are_errors() {
        let f = floats(&[1.0]);
        let g = f.cast(DType::F32).unwrap();
        assert_eq!(f.isclose(&g, 1e-5, 1e-8, false).unwrap_err().to_string(), "Double did not match Float");
        assert_eq!(f.isclose(&f, -1.0, 0.0, false).unwrap_err().to_string(), "rtol must be greater than or equal to zero, but got -1");
        assert_eq!(f.isclose(&f, 0.0, -0.5, false).unwrap_err().to_string(), "atol must be greater than or equal to zero, but got -0.5");
        assert!(floats(&[1.0, 2.0]).allclose(&floats(&[1.0, 2.0, 3.0]), 1e-5, 1e-8, false).is_err());
    }

    #[test]
    fn tolerances_print_as_cpp_streams_do() {
        let printed: Vec<String> = [-1.0, -0.5, -1e-5, -0.1, -123456789.0, -1e20, f64::NAN, f64::NEG_INFINITY].iter().map(|&v| format_tolerance(v)).collect();
        assert_eq!(printed, ["-1", "-0.5", "-1e-05", "-0.1", "-1.23457e+08", "-1e+20", "nan", "-inf"]);
    }

    #[test]
    fn equal_compares_shape_then_promoted_values() {
        let a = floats(&[0.5, 1.0]);
        assert!(a.equal(&a.cast(DType::F32).unwrap()).unwrap());
        assert!(!floats(&[0.1]).equal(&floats(&[0.1]).cast(DType::F32).unwrap()).unwrap());
        assert!(!a.equal(&a.reshape(&[2, 1]).unwrap()).unwrap());
        let nan = floats(&[f64::NAN]);
        assert!(!nan.equal(&nan).unwrap());
        assert!(floats(&[1.0, 2.0]).allclose(&floats(&[1.0 + 1e-9, 2.0]), 1e-5, 1e-8, false).unwrap());
    }
}
