//! Pointwise math beyond the unary table (ops/unary.rs) and the basic binary
//! ops: rounding, NaN handling, logical ops, clamp, maximum/minimum, where,
//! lerp and division with a rounding mode. Each forward is followed by its
//! backward, written in tensor ops.

use crate::ops::host::host_only;
use super::binary::{promotion_input, result_dtype};
use super::compare::Comparison;
use super::unary::unary_forward;
use super::{record, record_plain, should_record, BackwardCtx, Grads, Op, Saved};
use crate::autograd::saved::SavedTensor;
use crate::dtype::{result_type, Category, DType, Scalar};
use crate::error::{Error, Result};
use crate::kernels::elementwise::{map, write_into, zip};
use crate::kernels::named::{self, lerp_value};
use crate::kernels::pointwise::zip3;
use crate::layout::broadcast_shapes;
use crate::storage::{Element, Integer};
use crate::tensor::Tensor;
use crate::{with_any_type, with_float_type};
use smallvec::smallvec;

/// A Python-number zero for `where(mask, grad, 0)`; it takes the gradient's dtype.
fn zero() -> Tensor {
    Tensor::wrapped_number(Scalar::Float(0.0))
}

/// `grad` where `mask`, else 0; like PyTorch this keeps NaN/inf out of masked-off slots.
pub(crate) fn masked_grad(mask: &Tensor, grad: &Tensor) -> Result<Tensor> {
    Tensor::where_cond(mask, grad, &zero())
}

impl Tensor {
    /// `self * self`, recorded as PowBackward0 like PyTorch; ints and bools give int64.
    pub fn square(&self) -> Result<Tensor> {
        self.pow_scalar(Scalar::Int(2))
    }
}

// ---- rounding --------------------------------------------------------------------

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Rounding {
    Floor,
    Ceil,
    Round,
    Trunc,
}

impl Rounding {
    fn kernel_name(self) -> &'static str {
        match self {
            Rounding::Floor => "floor_vml_cpu",
            Rounding::Ceil => "ceil_vml_cpu",
            Rounding::Round => "round_vml_cpu",
            Rounding::Trunc => "trunc_vml_cpu",
        }
    }

    fn op(self) -> Op {
        match self {
            Rounding::Floor => Op::Floor,
            Rounding::Ceil => Op::Ceil,
            Rounding::Round => Op::Round,
            Rounding::Trunc => Op::Trunc,
        }
    }
}

impl Tensor {
    /// floor / ceil / round (half to even) / trunc. Integers come back as a copy.
    pub fn rounded(&self, how: Rounding) -> Result<Tensor> {
        match self.dtype() {
            DType::Bool => Err(Error::NotImplementedForDType { op: how.kernel_name(), dtype: DType::Bool }),
            DType::U8 | DType::I8 | DType::I16 | DType::I32 | DType::I64 => self.clone_tensor(),
            _ => {
                let out = match how {
                    Rounding::Floor => unary_forward(&named::Floor, self)?,
                    Rounding::Ceil => unary_forward(&named::Ceil, self)?,
                    Rounding::Round => unary_forward(&named::Round, self)?,
                    Rounding::Trunc => unary_forward(&named::Trunc, self)?,
                };
                Ok(record_plain(how.op(), &[self], out))
            }
        }
    }

    pub fn floor(&self) -> Result<Tensor> {
        self.rounded(Rounding::Floor)
    }
    pub fn ceil(&self) -> Result<Tensor> {
        self.rounded(Rounding::Ceil)
    }
    pub fn round(&self) -> Result<Tensor> {
        self.rounded(Rounding::Round)
    }
    pub fn trunc(&self) -> Result<Tensor> {
        self.rounded(Rounding::Trunc)
    }

    /// Rounds to `decimals` decimal places (negative: to tens, hundreds, ...), half to even,
    /// scaling the way PyTorch does so results agree bit for bit.
    pub fn round_decimals(&self, decimals: i64) -> Result<Tensor> {
        let dtype = self.dtype();
        if !dtype.is_floating_point() {
            return Err(Error::NotImplementedForDType { op: "round_cpu", dtype });
        }
        let out = unary_forward(&named::RoundDecimals::new(decimals), self)?;
        Ok(record_plain(Op::RoundDecimals, &[self], out))
    }

    /// NaN -> `nan`, +inf -> `posinf`, -inf -> `neginf` (defaults: 0 and the dtype's extremes).
    pub fn nan_to_num(&self, nan: Option<f64>, posinf: Option<f64>, neginf: Option<f64>) -> Result<Tensor> {
        host_only!("nan_to_num", [self] => |[x]| x.nan_to_num(nan, posinf, neginf));
        if !self.dtype().is_floating_point() {
            return self.clone_tensor();
        }
        // A half input's default bounds are its own extremes, not float32's.
        let half_extremes = match self.dtype() {
            DType::F16 => Some((half::f16::MAX.to_f64(), half::f16::MIN.to_f64())),
            DType::BF16 => Some((half::bf16::MAX.to_f64(), half::bf16::MIN.to_f64())),
            _ => None,
        };
        let (posinf, neginf) = (posinf.or(half_extremes.map(|e| e.0)), neginf.or(half_extremes.map(|e| e.1)));
        let out = unary_forward(&named::NanToNum { nan: nan.unwrap_or(0.0), posinf, neginf }, self)?;
        Ok(record(Op::NanToNum, &[self], out, |_, _| smallvec![Some(SavedTensor::input(self))]))
    }

    fn float_test(&self, integral: bool, test: fn(f64) -> bool) -> Result<Tensor> {
        host_only!("isfinite", [self] => |[x]| x.float_test(integral, test));
        let flags = match self.dtype() {
            DType::F32 => map::<f32, bool>(&self.snapshot(), |v| test(v as f64))?,
            DType::F64 => map::<f64, bool>(&self.snapshot(), test)?,
            DType::F16 => map::<half::f16, bool>(&self.snapshot(), |v| test(v.to_f64()))?,
            DType::BF16 => map::<half::bf16, bool>(&self.snapshot(), |v| test(v.to_f64()))?,
            _ => vec![integral; self.numel()],
        };
        Tensor::from_vec(flags, &self.shape())
    }

    pub fn isnan(&self) -> Result<Tensor> {
        self.float_test(false, f64::is_nan)
    }
    pub fn isinf(&self) -> Result<Tensor> {
        self.float_test(false, f64::is_infinite)
    }
    pub fn isfinite(&self) -> Result<Tensor> {
        self.float_test(true, f64::is_finite)
    }
}

/// Rounding is piecewise constant: its gradient is zero.
pub(super) fn zero_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let g = ctx.grad();
    ctx.needs.iter().map(|&n| n.then(|| Tensor::zeros_on(&g.shape(), g.dtype(), g.device())).transpose()).collect()
}

/// The gradient passes where x was finite.
pub(super) fn nan_to_num_backward(ctx: &BackwardCtx) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().mul(&ctx.saved(0)?.isfinite()?))?])
}

// ---- logical and bitwise ----------------------------------------------------------

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Logic {
    And,
    Or,
    Xor,
}

impl Logic {
    fn name(self) -> &'static str {
        match self {
            Logic::And => "logical_and",
            Logic::Or => "logical_or",
            Logic::Xor => "logical_xor",
        }
    }

    #[inline]
    fn bools(self, x: bool, y: bool) -> bool {
        match self {
            Logic::And => x && y,
            Logic::Or => x || y,
            Logic::Xor => x != y,
        }
    }
}

impl Tensor {
    /// `logical_and/or/xor`: nonzero is true; the result is bool.
    pub fn logical(&self, other: &Tensor, kind: Logic) -> Result<Tensor> {
        let shape = broadcast_shapes(&self.shape(), &other.shape())?;
        let (a, b) = (self.cast(DType::Bool)?, other.cast(DType::Bool)?);
        if crate::ops::host::off_host_checked(&[Some(self), Some(other)])?.is_some() {
            let test = match kind {
                Logic::And => "x && y",
                Logic::Or => "x || y",
                Logic::Xor => "x != y",
            };
            return Tensor::from_storage(crate::backend::wgpu::logic(kind.name(), test, &a.snapshot(), &b.snapshot(), &shape)?, &shape);
        }
        let values = zip(&a.snapshot(), &b.snapshot(), &shape, |x: bool, y: bool| kind.bools(x, y))?;
        Tensor::from_vec(values, &shape)
    }

    pub fn logical_not(&self) -> Result<Tensor> {
        let a = self.cast(DType::Bool)?;
        if crate::ops::host::off_host(&[Some(self)]).is_some() {
            let data = a.snapshot();
            return Tensor::from_storage(crate::backend::wgpu::logic("logical_not", "!x", &data, &data, &self.shape())?, &self.shape());
        }
        let values = map(&a.snapshot(), |x: bool| !x)?;
        Tensor::from_vec(values, &self.shape())
    }

    /// `&`, `|`, `^` on bool or integer tensors (PyTorch's bitwise ops).
    pub fn bitwise(&self, other: &Tensor, kind: Logic) -> Result<Tensor> {
        let dtype = result_dtype(self, other);
        let shape = broadcast_shapes(&self.shape(), &other.shape())?;
        let name = match kind {
            Logic::And => "bitwise_and_cpu",
            Logic::Or => "bitwise_or_cpu",
            Logic::Xor => "bitwise_xor_cpu",
        };
        let (a, b) = (self.cast(dtype)?, other.cast(dtype)?);
        match dtype {
            DType::Bool => a.logical(&b, kind),
            dtype if dtype.is_floating_point() => Err(Error::NotImplementedForDType { op: name, dtype }),
            _ => {
                let (sa, sb) = (a.snapshot(), b.snapshot());
                let storage = match kind {
                    Logic::And => sa.binary(&named::BitAnd, &sb, &shape)?,
                    Logic::Or => sa.binary(&named::BitOr, &sb, &shape)?,
                    Logic::Xor => sa.binary(&named::BitXor, &sb, &shape)?,
                };
                Tensor::from_storage(storage, &shape)
            }
        }
    }

    /// `~x`: logical not for bool, bitwise not for integers.
    pub fn bitwise_not(&self) -> Result<Tensor> {
        match self.dtype() {
            DType::Bool => self.logical_not(),
            dtype if dtype.is_floating_point() => Err(Error::NotImplementedForDType { op: "bitwise_not_cpu", dtype }),
            _ => {
                let data = self.snapshot();
                Tensor::from_storage(data.unary(&named::BitNot)?, data.shape())
            }
        }
    }
}

// ---- clamp -------------------------------------------------------------------------

fn clamp_error() -> Error {
    Error::runtime("torch.clamp: At least one of 'min' or 'max' must not be None")
}

impl Tensor {
    /// `clamp(min, max)` with number bounds (ClampBackward1).
    pub fn clamp(&self, min: Option<Scalar>, max: Option<Scalar>) -> Result<Tensor> {
        if min.is_none() && max.is_none() {
            return Err(clamp_error());
        }
        let mut inputs = vec![promotion_input(self)];
        inputs.extend(min.iter().chain(max.iter()).map(|s| crate::dtype::PromotionInput::Number(s.category())));
        let dtype = result_type(&inputs);
        let kernel_dtype = super::opmath::compute_dtype(dtype);
        let kernel = named::Clamp { min: min.map(Scalar::to_f64), max: max.map(Scalar::to_f64) };
        let out = super::opmath::operands(dtype, [self], |[x]| {
            let x = x.cast(kernel_dtype)?;
            let data = x.snapshot();
            Tensor::from_storage(data.unary(&kernel)?, data.shape())
        })?;
        let op = Op::ClampScalar { min: min.map(Scalar::to_f64), max: max.map(Scalar::to_f64) };
        Ok(record(op, &[self], out, |_, _| smallvec![Some(SavedTensor::input(self))]))
    }

    /// `clamp(min, max)` with tensor bounds, broadcast together (ClampBackward0).
    pub fn clamp_tensor(&self, min: Option<&Tensor>, max: Option<&Tensor>) -> Result<Tensor> {
        host_only!("clamp", [self] ? [min, max] => |[x]| x.clamp_tensor(crate::ops::host::to_host(min)?.as_ref(), crate::ops::host::to_host(max)?.as_ref()));
        let mut operands = vec![self];
        operands.extend(min.iter().chain(max.iter()).copied());
        if operands.len() == 1 {
            return Err(clamp_error());
        }
        let dtype = result_type(&operands.iter().map(|t| promotion_input(t)).collect::<Vec<_>>());
        let mut shape: Vec<usize> = self.shape().to_vec();
        for t in &operands[1..] {
            shape = broadcast_shapes(&shape, &t.shape())?.to_vec();
        }
        let kernel_dtype = super::opmath::compute_dtype(dtype);
        let cast: Vec<Tensor> = operands.iter().map(|t| if dtype.is_half() { super::opmath::widen(t, dtype) } else { t.cast(dtype) }).collect::<Result<_>>()?;
        if kernel_dtype == DType::Bool {
            return Err(Error::NotImplementedForDType { op: "clamp", dtype: kernel_dtype });
        }
        // Both bounds: the lower, then the upper, which picks the same
        // element (the first NaN of x, min, max) as one pass would.
        let x = cast[0].snapshot();
        let bound = |i: usize| cast[i].snapshot();
        let storage = match (min.is_some(), max.is_some()) {
            (true, true) => {
                let lowered = Tensor::from_storage(x.binary(&named::ClampMin, &bound(1), &shape)?, &shape)?;
                let lowered = lowered.snapshot();
                lowered.binary(&named::ClampMax, &bound(2), &shape)?
            }
            (true, false) => x.binary(&named::ClampMin, &bound(1), &shape)?,
            _ => x.binary(&named::ClampMax, &bound(1), &shape)?,
        };
        let out = super::opmath::narrow(Tensor::from_storage(storage, &shape)?, dtype)?;
        let op = Op::ClampTensor { has_min: min.is_some(), has_max: max.is_some() };
        let saved: Saved = operands.iter().map(|t| Some(SavedTensor::input(t))).collect();
        Ok(record(op, &operands, out, |_, _| saved))
    }
}

/// One bound of `clamp` as PyTorch accepts it: a number or a tensor.
#[derive(Clone, Debug)]
pub enum ClampBound {
    Number(Scalar),
    Tensor(Tensor),
}

/// Bounds resolved to one of clamp's two overloads.
enum ClampBounds {
    Numbers(Option<Scalar>, Option<Scalar>),
    Tensors(Option<Tensor>, Option<Tensor>),
}

impl ClampBounds {
    /// PyTorch's overload choice: both bounds numbers or both tensors (either
    /// may be absent). Next to a number, a 0-d tensor that needs no gradient
    /// is read as a number; any other mix is a TypeError.
    fn resolve(min: Option<ClampBound>, max: Option<ClampBound>) -> Result<ClampBounds> {
        let number_like = |b: &ClampBound| matches!(b, ClampBound::Tensor(t) if t.ndim() == 0 && !t.requires_grad());
        let mixed = match (&min, &max) {
            (Some(ClampBound::Tensor(_)), Some(ClampBound::Number(_))) => min.as_ref().is_some_and(number_like),
            (Some(ClampBound::Number(_)), Some(ClampBound::Tensor(_))) => max.as_ref().is_some_and(number_like),
            _ => false,
        };
        let as_number = |b: Option<ClampBound>| -> Result<Option<Scalar>> {
            match b {
                Some(ClampBound::Tensor(t)) => t.item().map(Some),
                Some(ClampBound::Number(s)) => Ok(Some(s)),
                None => Ok(None),
            }
        };
        match (min, max) {
            (lo, hi) if mixed => Ok(ClampBounds::Numbers(as_number(lo)?, as_number(hi)?)),
            (Some(ClampBound::Tensor(_)), Some(ClampBound::Number(_))) | (Some(ClampBound::Number(_)), Some(ClampBound::Tensor(_))) => Err(Error::type_error(
                "clamp() received an invalid combination of arguments - got a Tensor and a Number; min and max must both be Numbers or both be Tensors",
            )),
            (lo @ Some(ClampBound::Tensor(_)), hi) | (lo, hi @ Some(ClampBound::Tensor(_))) => {
                let tensor = |b: Option<ClampBound>| match b {
                    Some(ClampBound::Tensor(t)) => Some(t),
                    _ => None,
                };
                Ok(ClampBounds::Tensors(tensor(lo), tensor(hi)))
            }
            (lo, hi) => Ok(ClampBounds::Numbers(as_number(lo)?, as_number(hi)?)),
        }
    }
}

impl Tensor {
    /// `clamp(min, max)` with PyTorch's choice between number bounds
    /// (ClampBackward1) and tensor bounds (ClampBackward0).
    pub fn clamp_bounds(&self, min: Option<ClampBound>, max: Option<ClampBound>) -> Result<Tensor> {
        match ClampBounds::resolve(min, max)? {
            ClampBounds::Numbers(lo, hi) => self.clamp(lo, hi),
            ClampBounds::Tensors(lo, hi) => self.clamp_tensor(lo.as_ref(), hi.as_ref()),
        }
    }

    /// `clamp_bounds` written into self.
    pub fn clamp_bounds_(&self, min: Option<ClampBound>, max: Option<ClampBound>) -> Result<()> {
        match ClampBounds::resolve(min, max)? {
            ClampBounds::Numbers(lo, hi) => self.clamp_(lo, hi),
            ClampBounds::Tensors(lo, hi) => self.clamp_tensor_(lo.as_ref(), hi.as_ref()),
        }
    }
}

/// The gradient passes strictly inside (min, max); at a bound and for NaN it is zero.
pub(super) fn clamp_scalar_backward(ctx: &BackwardCtx, min: Option<f64>, max: Option<f64>) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || {
        let x = ctx.saved(0)?;
        let mask = match (min, max) {
            (Some(lo), Some(hi)) => cmp_scalar(x, lo, Comparison::Gt)?.logical_and(&cmp_scalar(x, hi, Comparison::Lt)?)?,
            (Some(lo), None) => cmp_scalar(x, lo, Comparison::Gt)?,
            (None, Some(hi)) => cmp_scalar(x, hi, Comparison::Lt)?,
            (None, None) => return Ok(ctx.grad().clone()),
        };
        masked_grad(&mask, ctx.grad())
    })?])
}

/// With one tensor bound, clamp is `maximum(x, min)` or `minimum(x, max)` and
/// differentiates like them. With both, each bound takes the gradient where it
/// is the result (half of it at a tie, none while min > max hands all to max),
/// and x keeps the rest, NaN included.
pub(super) fn clamp_tensor_backward(ctx: &BackwardCtx, has_min: bool, has_max: bool) -> Result<Grads> {
    let g = ctx.grad();
    let x = ctx.saved(0)?;
    if !(has_min && has_max) {
        let bound = ctx.saved(1)?;
        return Ok(smallvec![ctx.grad_for(0, || extremum_grad(g, x, bound, has_min))?, ctx.grad_for(1, || extremum_grad(g, bound, x, has_min))?]);
    }
    let (lo, hi) = (ctx.saved(1)?, ctx.saved(2)?);
    let weight = |full: Tensor, half: Tensor| -> Result<Tensor> { full.cast(g.dtype())?.add(&half.cast(g.dtype())?.mul_scalar(Scalar::Float(0.5))?) };
    let ordered = cmp(lo, hi, Comparison::Lt)?;
    let lo_weight = weight(
        cmp(x, lo, Comparison::Lt)?.logical_and(&cmp(lo, hi, Comparison::Le)?)?,
        cmp(x, lo, Comparison::Eq)?.logical_and(&ordered)?,
    )?;
    let hi_weight = weight(
        cmp(hi, lo, Comparison::Lt)?.logical(&cmp(x, hi, Comparison::Gt)?, Logic::Or)?,
        cmp(x, hi, Comparison::Eq)?.logical_and(&ordered)?,
    )?;
    Ok(smallvec![
        ctx.grad_for(0, || g.mul(&lo_weight.add(&hi_weight)?.rsub_scalar(Scalar::Int(1))?))?,
        ctx.grad_for(1, || g.mul(&lo_weight))?,
        ctx.grad_for(2, || g.mul(&hi_weight))?
    ])
}

/// Comparison shorthand for the backward formulas.
fn cmp(a: &Tensor, b: &Tensor, c: Comparison) -> Result<Tensor> {
    a.compare(b, c)
}

fn cmp_scalar(a: &Tensor, v: f64, c: Comparison) -> Result<Tensor> {
    a.compare_scalar(Scalar::Float(v), c)
}

// ---- maximum / minimum ------------------------------------------------------------

impl Tensor {
    /// Elementwise larger value; NaN wins (MaximumBackward0).
    pub fn maximum(&self, other: &Tensor) -> Result<Tensor> {
        let out = extremum(self, other, true)?;
        Ok(record(Op::Maximum, &[self, other], out, |_, _| smallvec![Some(SavedTensor::input(self)), Some(SavedTensor::input(other))]))
    }

    /// Elementwise smaller value; NaN wins (MinimumBackward0).
    pub fn minimum(&self, other: &Tensor) -> Result<Tensor> {
        let out = extremum(self, other, false)?;
        Ok(record(Op::Minimum, &[self, other], out, |_, _| smallvec![Some(SavedTensor::input(self)), Some(SavedTensor::input(other))]))
    }
}

// The kernel is instantiated for bool too, where `x < y` is still the intended order.
#[allow(clippy::bool_comparison)]
fn extremum(a: &Tensor, b: &Tensor, is_max: bool) -> Result<Tensor> {
    let dtype = result_dtype(a, b);
    let shape = broadcast_shapes(&a.shape(), &b.shape())?;
    let (a, b) = (a.cast(dtype)?, b.cast(dtype)?);
    if dtype == DType::Bool {
        return a.logical(&b, if is_max { Logic::Or } else { Logic::And });
    }
    // Halves pick in float32, which holds each of them exactly.
    super::opmath::operands(dtype, [&a, &b], |[a, b]| {
        let (a, b) = (a.snapshot(), b.snapshot());
        let out = if is_max { a.binary(&named::Maximum, &b, &shape)? } else { a.binary(&named::Minimum, &b, &shape)? };
        Tensor::from_storage(out, &shape)
    })
}

/// Each side gets the gradient where it is the result; ties split it half and
/// half; with a NaN both sides get it.
pub(super) fn extremum_backward(ctx: &BackwardCtx, is_max: bool) -> Result<Grads> {
    let g = ctx.grad();
    let (a, b) = (ctx.saved(0)?, ctx.saved(1)?);
    Ok(smallvec![ctx.grad_for(0, || extremum_grad(g, a, b, is_max))?, ctx.grad_for(1, || extremum_grad(g, b, a, is_max))?])
}

/// The share of `g` that `mine` gets in `maximum(mine, theirs)` (or minimum).
fn extremum_grad(g: &Tensor, mine: &Tensor, theirs: &Tensor, is_max: bool) -> Result<Tensor> {
    let tie = cmp(mine, theirs, Comparison::Eq)?;
    let shared = Tensor::where_cond(&tie, &g.mul_scalar(Scalar::Float(0.5))?, g)?;
    let lost = cmp(mine, theirs, if is_max { Comparison::Lt } else { Comparison::Gt })?;
    Tensor::where_cond(&lost, &zero(), &shared)
}

// ---- where -----------------------------------------------------------------------------

impl Tensor {
    /// `x` where `cond`, else `y`, all three broadcast together (WhereBackward0).
    pub fn where_cond(cond: &Tensor, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        if cond.dtype() != DType::Bool {
            return Err(Error::UnexpectedDType { expected: "where expected condition to be a boolean tensor, but got a tensor with dtype ", got: cond.dtype() });
        }
        let dtype = result_dtype(x, y);
        let shape = broadcast_shapes(&broadcast_shapes(&cond.shape(), &x.shape())?, &y.shape())?;
        let (a, b) = (x.cast(dtype)?, y.cast(dtype)?);
        let out = Tensor::from_storage(cond.snapshot().select(&a.snapshot(), &b.snapshot(), &shape)?, &shape)?;
        Ok(record(Op::Where, &[x, y], out, |_, _| smallvec![Some(SavedTensor::input(cond))]))
    }
}

pub(super) fn where_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let (g, cond) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![ctx.grad_for(0, || Tensor::where_cond(cond, g, &zero()))?, ctx.grad_for(1, || Tensor::where_cond(cond, &zero(), g))?])
}

// ---- lerp ------------------------------------------------------------------------------

fn check_lerp_dtype(self_dtype: DType, t: &Tensor, what: &'static str) -> Result<()> {
    if t.dtype() != self_dtype {
        return Err(Error::OperandDType { what, expected: self_dtype, got: t.dtype() });
    }
    Ok(())
}

impl Tensor {
    /// `self + weight * (end - self)` for a number weight (LerpBackward0).
    pub fn lerp(&self, end: &Tensor, weight: Scalar) -> Result<Tensor> {
        check_lerp_dtype(self.dtype(), end, "end")?;
        let shape = broadcast_shapes(&self.shape(), &end.shape())?;
        let w = weight.to_f64();
        let out = super::opmath::operands(self.dtype(), [self, end], |[s, e]| {
            if !s.dtype().is_floating_point() {
                return Err(Error::NotImplementedForDType { op: "lerp_kernel_scalar", dtype: s.dtype() });
            }
            let (ss, se) = (s.snapshot(), e.snapshot());
            Tensor::from_storage(ss.binary(&named::LerpScalar(w), &se, &shape)?, &shape)
        })?;
        Ok(record_plain(Op::LerpScalar(w), &[self, end], out))
    }

    /// `self + weight * (end - self)` for a tensor weight (LerpBackward1).
    pub fn lerp_tensor(&self, end: &Tensor, weight: &Tensor) -> Result<Tensor> {
        host_only!("lerp", [self, end, weight] => |[s, e, w]| s.lerp_tensor(&e, &w));
        check_lerp_dtype(self.dtype(), end, "end")?;
        check_lerp_dtype(self.dtype(), weight, "weight")?;
        let shape = broadcast_shapes(&broadcast_shapes(&self.shape(), &end.shape())?, &weight.shape())?;
        let out = super::opmath::operands(self.dtype(), [self, end, weight], |[s, e, w]| {
            let buffer = with_float_type!(s.dtype(), "lerp_kernel_tensor", T => T::into_buffer(zip3(&s.snapshot(), &e.snapshot(), &w.snapshot(), &shape, |s: T, e: T, w: T| lerp_value(s, e, w))?));
            Tensor::from_buffer(buffer, &shape)
        })?;
        Ok(record(Op::LerpTensor, &[self, end, weight], out, |needs, _| {
            smallvec![needs[2].then(|| SavedTensor::input(self)), needs[2].then(|| SavedTensor::input(end)), (needs[0] || needs[1]).then(|| SavedTensor::input(weight))]
        }))
    }
}

/// self: g * (1 - w), end: g * w
pub(super) fn lerp_scalar_backward(ctx: &BackwardCtx, w: f64) -> Result<Grads> {
    let g = ctx.grad();
    Ok(smallvec![ctx.grad_for(0, || g.mul_scalar(Scalar::Float(1.0 - w)))?, ctx.grad_for(1, || g.mul_scalar(Scalar::Float(w)))?])
}

/// self: g * (1 - w), end: g * w, weight: g * (end - self)
pub(super) fn lerp_tensor_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let g = ctx.grad();
    Ok(smallvec![
        ctx.grad_for(0, || g.mul(&ctx.saved(2)?.rsub_scalar(Scalar::Int(1))?))?,
        ctx.grad_for(1, || g.mul(ctx.saved(2)?))?,
        ctx.grad_for(2, || g.mul(&ctx.saved(1)?.sub(ctx.saved(0)?)?))?
    ])
}

// ---- division with a rounding mode ---------------------------------------------------------

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RoundingMode {
    Trunc,
    Floor,
}

impl RoundingMode {
    pub fn parse(mode: &str) -> Result<RoundingMode> {
        match mode {
            "trunc" => Ok(RoundingMode::Trunc),
            "floor" => Ok(RoundingMode::Floor),
            other => Err(Error::runtime(format!("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{other}'"))),
        }
    }
}

impl Tensor {
    /// `div(other, rounding_mode=...)`: the promoted dtype, not true division (DivBackward2, zero gradient).
    pub fn div_rounding(&self, other: &Tensor, mode: RoundingMode) -> Result<Tensor> {
        let out = div_rounded(self, other, mode)?;
        Ok(record_plain(Op::DivRounding, &[self, other], out))
    }

    /// `a // b` (`floor_divide`): floor division PyTorch does not differentiate.
    pub fn floor_divide(&self, other: &Tensor) -> Result<Tensor> {
        let out = div_rounded(self, other, RoundingMode::Floor)?;
        Ok(record_plain(Op::NotDifferentiable("floor_divide"), &[self, other], out))
    }
}

/// PyTorch's error for an int64 zero divisor. Only divisors that meet a
/// dividend count: `empty // 0` is empty, as in PyTorch.
pub(crate) fn check_int_divisors<T: Integer>(divisors: &Tensor, shape: &[usize]) -> Result<()> {
    if shape.iter().product::<usize>() > 0 && divisors.to_vec::<T>()?.contains(&T::ZERO) {
        return Err(Error::runtime("ZeroDivisionError"));
    }
    Ok(())
}

/// `check_int_divisors` for an integer tensor of any width.
fn check_divisors(divisors: &Tensor, shape: &[usize]) -> Result<()> {
    check_int_divisors::<i64>(&divisors.cast(DType::I64)?, shape)
}

fn div_rounded(a: &Tensor, b: &Tensor, mode: RoundingMode) -> Result<Tensor> {
    let dtype = result_dtype(a, b);
    if dtype.is_half() {
        // As true division: a single-element divisor is read unrounded.
        let a = super::opmath::widen(a, dtype)?;
        let b = if b.numel() == 1 { b.cast(DType::F32)? } else { super::opmath::widen(b, dtype)? };
        return super::opmath::narrow(div_rounded(&a, &b, mode)?, dtype);
    }
    let shape = broadcast_shapes(&a.shape(), &b.shape())?;
    let (ca, cb) = (a.cast(dtype)?, b.cast(dtype)?);
    let name = match mode {
        RoundingMode::Trunc => "div_trunc_cpu",
        RoundingMode::Floor => "div_floor_cpu",
    };
    match dtype {
        DType::Bool => return Err(Error::NotImplementedForDType { op: name, dtype }),
        dtype if dtype.category() == Category::Integral => check_divisors(&cb, &shape)?,
        _ => {}
    }
    let (sa, sb) = (ca.snapshot(), cb.snapshot());
    let storage = match mode {
        RoundingMode::Trunc => sa.binary(&named::DivTrunc, &sb, &shape)?,
        RoundingMode::Floor => sa.binary(&named::DivFloor, &sb, &shape)?,
    };
    Tensor::from_storage(storage, &shape)
}

pub(super) fn not_differentiable_backward(name: &str) -> Result<Grads> {
    Err(Error::runtime(format!("derivative for aten::{name} is not implemented")))
}

// ---- in-place application --------------------------------------------------------------

impl Tensor {
    /// Runs an out-of-place op and stores its result into self, adopting its
    /// history (used by `clamp_`, `relu_` and the functional `inplace=True`).
    /// When the op saves its input, it sees a copy of the old value so the
    /// write does not invalidate what it saved.
    pub fn apply_in_place(&self, saves_input: bool, op: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<()> {
        self.check_inplace_target(&[], true)?;
        let before = if saves_input && should_record(&[self]) { self.clone_tensor()? } else { self.clone() };
        let result = op(&before)?;
        if result.shape() != self.shape() {
            return Err(Error::OutputShapeMismatch {
                output: crate::error::ShapeList(self.shape().to_vec()),
                broadcast: crate::error::ShapeList(result.shape().to_vec()),
            });
        }
        if result.dtype().category() > self.dtype().category() {
            return Err(Error::CastInPlace { from: result.dtype(), to: self.dtype() });
        }
        let values = result.cast(self.dtype())?;
        with_any_type!(self.dtype(), T => write_into::<T>(&self.snapshot(), &values.to_vec::<T>()?)?);
        self.bump_version();
        if let Some(node) = result.grad_fn() {
            self.rebase_history(node, result.output_nr())?;
        }
        Ok(())
    }
}
