//! Binary arithmetic with broadcasting and PyTorch's type promotion:
//! add, sub, rsub, mul, div, pow. Python numbers arrive as wrapped 0-d tensors.

use super::{record, record_plain, BackwardCtx, Grads, Op, Saved};
use crate::autograd::saved::SavedTensor;
use crate::dtype::{DType, PromotionInput, Scalar};
use crate::error::{Error, Result};
use crate::kernels::elementwise::map;
use crate::kernels::named::{self, pow_by_number};
use crate::layout::broadcast_shapes;
use crate::storage::Storage;
use crate::strided::Strided;
use crate::tensor::Tensor;
use smallvec::smallvec;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

impl Arith {
    /// Runs this arithmetic on operands of one dtype broadcast to `shape`.
    /// A number (0-d) exponent of a float base takes PyTorch's
    /// scalar-exponent kernel; a tensor of exponents takes std::pow
    /// elementwise, as there.
    fn run(self, a: &Strided, b: &Strided, shape: &[usize]) -> Result<Storage> {
        match self {
            Arith::Add => a.binary(&named::Add, b, shape),
            Arith::Sub => a.binary(&named::Sub, b, shape),
            Arith::Mul => a.binary(&named::Mul, b, shape),
            Arith::Div => a.binary(&named::Div, b, shape),
            Arith::Pow if b.ndim() == 0 && a.dtype().is_floating_point() => a.unary(&named::PowByNumber(b.item()?.to_f64())),
            Arith::Pow => a.binary(&named::Pow, b, shape),
        }
    }
}

pub(crate) fn promotion_input(t: &Tensor) -> PromotionInput {
    promotion_input_of(t, &t.snapshot())
}

/// `t`'s part in type promotion, read from a snapshot the op already holds.
pub(crate) fn promotion_input_of(t: &Tensor, data: &Strided) -> PromotionInput {
    if t.is_wrapped_number() {
        PromotionInput::Number(data.dtype().category())
    } else if data.ndim() == 0 {
        PromotionInput::ZeroDim(data.dtype())
    } else {
        PromotionInput::Dimensioned(data.dtype())
    }
}

pub(crate) fn result_dtype(a: &Tensor, b: &Tensor) -> DType {
    crate::dtype::result_type(&[promotion_input(a), promotion_input(b)])
}

/// The forward computation alone: promote, broadcast, run the kernel.
pub(crate) fn arith(kind: Arith, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    // One snapshot per operand: every check and the kernel see the same state.
    let (sa, sb) = (a.snapshot(), b.snapshot());
    let mut dtype = crate::dtype::result_type(&[promotion_input_of(a, &sa), promotion_input_of(b, &sb)]);
    if kind == Arith::Div {
        dtype = dtype.to_floating();
    }
    if dtype == DType::Bool {
        if kind == Arith::Sub {
            return Err(Error::runtime("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead."));
        }
        // Bool + bool is logical or and bool * bool logical and: compute in int64, cast back.
        let r = arith(kind, &a.cast(DType::I64)?, &b.cast(DType::I64)?)?;
        return r.cast(DType::Bool);
    }
    if dtype.is_half() {
        return half_arith(kind, a, b, dtype);
    }
    Strided::common_device(&[&sa, &sb])?;
    let shape = broadcast_shapes(sa.shape(), sb.shape())?;
    // Cast only what needs it; most calls need nothing.
    let (ca, cb);
    let sa = if sa.dtype() == dtype { sa } else { ca = a.cast(dtype)?; ca.snapshot() };
    let sb = if sb.dtype() == dtype { sb } else { cb = b.cast(dtype)?; cb.snapshot() };
    Tensor::from_storage(kind.run(&sa, &sb, &shape)?, &shape)
}

/// Half arithmetic in float32. PyTorch's reduced-float kernels read a
/// single-element divisor, or either single-element factor, unrounded; every
/// other operand is rounded to the half type first. A number exponent takes
/// PyTorch's per-type pow kernel.
fn half_arith(kind: Arith, a: &Tensor, b: &Tensor, dtype: DType) -> Result<Tensor> {
    if kind == Arith::Pow && b.ndim() == 0 {
        let e = b.item()?.to_f64();
        let a = super::opmath::widen(a, dtype)?;
        if a.device() != crate::device::Device::Cpu {
            // The device's float32 power, of the exponent as the half type holds it.
            let e = if dtype == DType::F16 { half::f16::from_f64(e).to_f64() } else { half::bf16::from_f64(e).to_f64() };
            return super::opmath::narrow(arith(kind, &a, &Tensor::wrapped_number(Scalar::Float(e)))?, dtype);
        }
        let values = map(&a.snapshot(), move |x: f32| half_pow_by_number(dtype, x, e))?;
        return Tensor::from_vec(values, &a.shape())?.cast(dtype);
    }
    let keep_b = matches!(kind, Arith::Mul | Arith::Div) && b.numel() == 1;
    let keep_a = kind == Arith::Mul && a.numel() == 1 && !keep_b;
    let widen = |t: &Tensor, keep: bool| if keep { t.cast(DType::F32) } else { super::opmath::widen(t, dtype) };
    super::opmath::narrow(arith(kind, &widen(a, keep_a)?, &widen(b, keep_b)?)?, dtype)
}

/// `x ** e` for a half tensor, as PyTorch's kernels compute it: float16
/// always through powf with the exponent rounded to float16; bfloat16 with
/// the float32 fast paths, but cubes and inverse squares rounded after each
/// product, as its vectorized bfloat16 arithmetic does.
fn half_pow_by_number(dtype: DType, x: f32, e: f64) -> f32 {
    if dtype == DType::F16 {
        return x.powf(half::f16::from_f64(e).to_f32());
    }
    let round = |v: f32| half::bf16::from_f32(v).to_f32();
    let e = half::bf16::from_f64(e).to_f32();
    if e == 3.0 {
        round(round(x * x) * x)
    } else if e == -2.0 {
        1.0 / round(x * x)
    } else if e == 2.0 || e == 0.5 || e == -0.5 || e == -1.0 {
        pow_by_number(x, f64::from(e))
    } else {
        x.powf(e)
    }
}

// ---- the recorded ops ------------------------------------------------------

impl Tensor {
    pub fn add(&self, other: &Tensor) -> Result<Tensor> {
        let out = arith(Arith::Add, self, other)?;
        Ok(record_plain(Op::Add, &[self, other], out))
    }

    pub fn sub(&self, other: &Tensor) -> Result<Tensor> {
        let out = arith(Arith::Sub, self, other)?;
        Ok(record_plain(Op::Sub, &[self, other], out))
    }

    /// `value - self`.
    pub fn rsub_scalar(&self, value: Scalar) -> Result<Tensor> {
        let out = arith(Arith::Sub, &Tensor::wrapped_number(value), self)?;
        Ok(record_plain(Op::Rsub, &[self], out))
    }

    pub fn mul(&self, other: &Tensor) -> Result<Tensor> {
        let out = arith(Arith::Mul, self, other)?;
        Ok(record(Op::Mul, &[self, other], out, |needs, _| save_other(needs, self, other)))
    }

    pub fn div(&self, other: &Tensor) -> Result<Tensor> {
        let out = arith(Arith::Div, self, other)?;
        // d/da needs b; d/db needs a and b.
        Ok(record(Op::Div, &[self, other], out, |needs, _| {
            smallvec![needs[1].then(|| SavedTensor::input(self)), (needs[0] || needs[1]).then(|| SavedTensor::input(other))]
        }))
    }

    pub fn add_scalar(&self, value: Scalar) -> Result<Tensor> {
        self.add(&Tensor::wrapped_number(value))
    }
    pub fn sub_scalar(&self, value: Scalar) -> Result<Tensor> {
        self.sub(&Tensor::wrapped_number(value))
    }
    pub fn mul_scalar(&self, value: Scalar) -> Result<Tensor> {
        self.mul(&Tensor::wrapped_number(value))
    }
    pub fn div_scalar(&self, value: Scalar) -> Result<Tensor> {
        self.div(&Tensor::wrapped_number(value))
    }

    /// `self + alpha * other` (`add`'s `alpha=`): `other` is scaled first,
    /// recorded as MulBackward0, when `alpha` is given.
    pub fn add_scaled(&self, other: &Tensor, alpha: Option<Scalar>) -> Result<Tensor> {
        self.add(&other.scaled_by(alpha)?)
    }

    /// `self - alpha * other` (`sub`'s `alpha=`).
    pub fn sub_scaled(&self, other: &Tensor, alpha: Option<Scalar>) -> Result<Tensor> {
        self.sub(&other.scaled_by(alpha)?)
    }

    /// `alpha * self`, or `self` itself without `alpha`.
    pub(crate) fn scaled_by(&self, alpha: Option<Scalar>) -> Result<Tensor> {
        match alpha {
            Some(a) => self.mul_scalar(a),
            None => Ok(self.clone()),
        }
    }

    /// `value / self`, computed as PyTorch does: `reciprocal(self) * value`
    /// (MulBackward0 over ReciprocalBackward0).
    pub fn rdiv_scalar(&self, value: Scalar) -> Result<Tensor> {
        self.reciprocal()?.mul_scalar(value)
    }

    /// `self ** exponent` for a number exponent (PowBackward0).
    pub fn pow_scalar(&self, exponent: Scalar) -> Result<Tensor> {
        if let Scalar::Int(e) = exponent {
            if e < 0 && !self.dtype().is_floating_point() {
                return Err(Error::runtime("Integers to negative integer powers are not allowed."));
            }
        }
        let out = arith(Arith::Pow, self, &Tensor::wrapped_number(exponent))?;
        Ok(record(Op::PowScalarExponent(exponent.to_f64()), &[self], out, |_, _| smallvec![Some(SavedTensor::input(self))]))
    }

    /// `self ** exponent` for a tensor exponent (PowBackward1).
    pub fn pow(&self, exponent: &Tensor) -> Result<Tensor> {
        let out = arith(Arith::Pow, self, exponent)?;
        Ok(record(Op::PowTensor, &[self, exponent], out, |_, out| {
            smallvec![Some(SavedTensor::input(self)), Some(SavedTensor::input(exponent)), Some(SavedTensor::output(out))]
        }))
    }

    /// `base ** self` for a number base (PowBackward2).
    pub fn rpow_scalar(&self, base: Scalar) -> Result<Tensor> {
        let out = arith(Arith::Pow, &Tensor::wrapped_number(base), self)?;
        Ok(record(Op::PowScalarBase(base.to_f64()), &[self], out, |_, out| smallvec![Some(SavedTensor::output(out))]))
    }
}

/// For a product: each input's gradient needs the other input.
fn save_other(needs: &[bool], a: &Tensor, b: &Tensor) -> Saved {
    smallvec![needs[1].then(|| SavedTensor::input(a)), needs[0].then(|| SavedTensor::input(b))]
}

// ---- derivatives -----------------------------------------------------------
// Shapes and dtypes of the returned gradients are fixed up by the engine
// (summed over broadcast dims, cast to the input's dtype).

pub(super) fn add_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let g = ctx.grad();
    Ok(smallvec![ctx.needs(0).then(|| g.clone()), ctx.needs(1).then(|| g.clone())])
}

pub(super) fn sub_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let g = ctx.grad();
    Ok(smallvec![ctx.needs(0).then(|| g.clone()), ctx.grad_for(1, || g.neg())?])
}

pub(super) fn rsub_backward(ctx: &BackwardCtx) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().neg())?])
}

/// d(a*b) = g*b, g*a
pub(super) fn mul_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let g = ctx.grad();
    Ok(smallvec![ctx.grad_for(0, || g.mul(ctx.saved(1)?))?, ctx.grad_for(1, || g.mul(ctx.saved(0)?))?])
}

/// d(a/b) = g/b, -g*a/b²
pub(super) fn div_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let g = ctx.grad();
    let b = ctx.saved(1)?;
    Ok(smallvec![
        ctx.grad_for(0, || g.div(b))?,
        // PyTorch's -g * ((a / b) / b): the same roundings, and no overflow of b².
        ctx.grad_for(1, || g.neg()?.mul(&ctx.saved(0)?.div(b)?.div(b)?))?
    ])
}

/// d(x^e) = g * e * x^(e-1); zero when e == 0 (PyTorch masks it).
pub(super) fn pow_scalar_exponent_backward(ctx: &BackwardCtx, e: f64) -> Result<Grads> {
    let g = ctx.grad();
    ctx.grad_for(0, || {
        if e == 0.0 {
            return g.mul_scalar(Scalar::Float(0.0));
        }
        let x = ctx.saved(0)?;
        g.mul(&x.pow_scalar(Scalar::Float(e - 1.0))?.mul_scalar(Scalar::Float(e))?)
    })
    .map(|g| smallvec![g])
}

/// d(x^y) = g * y * x^(y-1) for x; g * x^y * ln(x) for y, taken as 0 where x == 0 and y >= 0.
pub(super) fn pow_tensor_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let g = ctx.grad();
    let (x, y) = (ctx.saved(0)?, ctx.saved(1)?);
    let dx = ctx.grad_for(0, || {
        let y_minus_one = y.sub_scalar(Scalar::Int(1))?;
        // Zero where y == 0, even at x == 0 where y * x^(y-1) is 0 * inf.
        g.mul(&y.mul(&x.pow(&y_minus_one)?)?)?.masked_fill_scalar(&y.eq_scalar(Scalar::Int(0))?, Scalar::Float(0.0))
    })?;
    let dy = ctx.grad_for(1, || {
        let result = ctx.saved(2)?;
        let d = g.mul(&result.mul(&x.log()?)?)?;
        let mask = x.eq_scalar(Scalar::Float(0.0))?.logical_and(&y.ge_scalar(Scalar::Float(0.0))?)?;
        d.masked_fill_scalar(&mask, Scalar::Float(0.0))
    })?;
    Ok(smallvec![dx, dy])
}

/// d(b^x) = g * b^x * ln(b); zero everywhere for b == 0 and x >= 0 (PyTorch's choice).
pub(super) fn pow_scalar_base_backward(ctx: &BackwardCtx, base: f64) -> Result<Grads> {
    let g = ctx.grad();
    ctx.grad_for(0, || {
        let result = ctx.saved(0)?;
        if base == 0.0 {
            return g.mul_scalar(Scalar::Float(0.0));
        }
        g.mul(&result.mul_scalar(Scalar::Float(base.ln()))?)
    })
    .map(|g| smallvec![g])
}
