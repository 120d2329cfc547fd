//! remainder and fmod: the remainder of a division, with the sign of the
//! divisor (Python's `%`) or of the dividend (C's `fmod`). Integer operands
//! give integer results; an integer zero divisor is an error, a float one NaN.

use crate::ops::host::host_only;
use super::binary::result_dtype;
use super::pointwise::{check_int_divisors, RoundingMode};
use super::{record, record_plain, BackwardCtx, Grads, Op};
use crate::autograd::saved::SavedTensor;
use crate::dtype::{Category, DType, Scalar};
use crate::error::{Error, Result};
use crate::kernels::elementwise::zip;
use crate::kernels::pointwise::FloatMath;
use crate::layout::broadcast_shapes;
use crate::storage::{Element, Integer};
use crate::tensor::Tensor;
use crate::{with_float_type, with_int_type};
use smallvec::smallvec;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Modulo {
    /// The sign of the divisor: `a - floor(a / b) * b`.
    Remainder,
    /// The sign of the dividend: `a - trunc(a / b) * b`.
    Fmod,
}

impl Modulo {
    fn kernel_name(self) -> &'static str {
        match self {
            Modulo::Remainder => "remainder_cpu",
            Modulo::Fmod => "fmod_cpu",
        }
    }

    /// The division whose quotient the divisor's gradient is scaled by.
    fn rounding(self) -> RoundingMode {
        match self {
            Modulo::Remainder => RoundingMode::Floor,
            Modulo::Fmod => RoundingMode::Trunc,
        }
    }

    /// PyTorch's float kernel: fmod, then for remainder a shift by the
    /// divisor when the signs differ (exact, unlike `a - floor(a/b)*b`).
    #[inline]
    fn float<T: FloatMath>(self, a: T, b: T) -> T {
        let m = a.fmod(b);
        if self == Modulo::Remainder && m != T::ZERO && (b < T::ZERO) != (m < T::ZERO) {
            m + b
        } else {
            m
        }
    }

    /// The integer kernel for a nonzero `b`; `MIN % -1` wraps to 0.
    #[inline]
    // The sign tests are constant for uint8.
    #[allow(unused_comparisons)]
    fn int<T: Integer>(self, a: T, b: T) -> T {
        let r = a.trunc_rem(b);
        if self == Modulo::Remainder && r != T::ZERO && (r < T::ZERO) != (b < T::ZERO) {
            r.add(b)
        } else {
            r
        }
    }
}

/// The forward kernel: promote, broadcast, compute (halves in float32).
fn modulo(kind: Modulo, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let dtype = result_dtype(a, b);
    if dtype.is_half() {
        return super::opmath::operands(dtype, [a, b], |[a, b]| modulo(kind, a, b));
    }
    let shape = broadcast_shapes(&a.shape(), &b.shape())?;
    let (ca, cb) = (a.cast(dtype)?, b.cast(dtype)?);
    let buffer = match dtype {
        DType::Bool => return Err(Error::NotImplementedForDType { op: kind.kernel_name(), dtype }),
        dtype if dtype.category() == Category::Integral => with_int_type!(dtype, kind.kernel_name(), T => {
            check_int_divisors::<T>(&cb, &shape)?;
            T::into_buffer(zip(&ca.snapshot(), &cb.snapshot(), &shape, |x: T, y: T| kind.int(x, y))?)
        }),
        dtype => with_float_type!(dtype, kind.kernel_name(), T => T::into_buffer(zip(&ca.snapshot(), &cb.snapshot(), &shape, |x: T, y: T| kind.float(x, y))?)),
    };
    Tensor::from_buffer(buffer, &shape)
}

impl Tensor {
    /// `self % other` with the sign of `other` (RemainderBackward1, or
    /// RemainderBackward0 for a number `other`).
    pub fn remainder(&self, other: &Tensor) -> Result<Tensor> {
        self.modulo(other, Modulo::Remainder)
    }

    /// `fmod(self, other)` with the sign of `self` (FmodBackward1/FmodBackward0).
    pub fn fmod(&self, other: &Tensor) -> Result<Tensor> {
        self.modulo(other, Modulo::Fmod)
    }

    /// `value % self`: PyTorch records it but cannot differentiate it.
    pub fn rremainder_scalar(&self, value: Scalar) -> Result<Tensor> {
        host_only!("remainder", [self] => |[x]| x.rremainder_scalar(value));
        let out = modulo(Modulo::Remainder, &Tensor::wrapped_number(value), self)?;
        Ok(record_plain(Op::NotDifferentiable("remainder"), &[self], out))
    }

    pub fn modulo(&self, other: &Tensor, kind: Modulo) -> Result<Tensor> {
        host_only!(if kind == Modulo::Remainder { "remainder" } else { "fmod" }, [self, other] => |[a, b]| a.modulo(&b, kind));
        let out = modulo(kind, self, other)?;
        if other.is_wrapped_number() {
            return Ok(record_plain(Op::ModuloScalar(kind), &[self], out));
        }
        Ok(record(Op::Modulo(kind), &[self, other], out, |needs, _| {
            smallvec![needs[1].then(|| SavedTensor::input(self)), needs[1].then(|| SavedTensor::input(other))]
        }))
    }

    /// `self %= other` / `fmod_`: the result must fit self's dtype.
    pub fn modulo_(&self, other: &Tensor, kind: Modulo) -> Result<()> {
        self.update_with(other, true, |a, b| a.modulo(b, kind))
    }
}

/// self: grad (a number divisor leaves only this input).
pub(super) fn modulo_scalar_backward(ctx: &BackwardCtx) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || Ok(ctx.grad().clone()))?])
}

/// self: grad; other: -grad * div(self, other, rounding_mode=floor for
/// remainder, trunc for fmod), as PyTorch's derivatives.yaml.
pub(super) fn modulo_backward(ctx: &BackwardCtx, kind: Modulo) -> Result<Grads> {
    let g = ctx.grad();
    Ok(smallvec![
        ctx.grad_for(0, || Ok(g.clone()))?,
        ctx.grad_for(1, || g.neg()?.mul(&ctx.saved(0)?.div_rounding(ctx.saved(1)?, kind.rounding())?))?
    ])
}
