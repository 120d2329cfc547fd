//! Kernels as named types. Each elementwise or reduction kernel is a type
//! carrying its scalar function, the dtypes it accepts, a slot for a
//! vectorised contiguous float32 form and the name of its GPU compute
//! kernel. The strided CPU entries below hold the one dtype match of each
//! family of kernels, so an op names its kernel instead of matching dtypes.

use super::elementwise::{map, zip, zip_assign};
use super::reduce::reduce;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::storage::{filled_vec, Buffer, Element, Float, Numeric};
use crate::strided::Strided;

/// The dtypes a kernel computes on. Float-only kernels refuse integer
/// input: their ops promote it to the default float dtype first.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Accepts {
    Float,
    /// Floats and every integer dtype (not bool).
    Numeric,
}

/// A vectorised unary kernel over contiguous float32: `out[i] = f(src[i])`.
pub type UnarySliceF32 = fn(src: &[f32], out: &mut [f32]);
/// A vectorised binary kernel over contiguous float32 of one length.
pub type BinarySliceF32 = fn(a: &[f32], b: &[f32], out: &mut [f32]);
/// A vectorised full reduction of contiguous float32, accumulated in f64.
pub type ReduceSliceF32 = fn(src: &[f32]) -> f64;

/// `out = f(x)`, elementwise.
pub trait UnaryKernel: Sync {
    /// The GPU compute kernel's name; unique among kernels.
    const NAME: &'static str;
    const ACCEPTS: Accepts;
    /// Used in place of the scalar loop on contiguous float32 input.
    const SLICE_F32: Option<UnarySliceF32> = None;
    fn float<T: Float + Numeric>(&self, v: T) -> T;
    /// Integer elements. `cpu_unary` calls it only when `ACCEPTS` lists
    /// integers, and those kernels define it; the default computes through
    /// float64.
    #[inline]
    fn int<T: Numeric>(&self, v: T) -> T {
        T::from_f64(self.float(v.to_f64()))
    }
}

/// `out = f(a, b)`, elementwise over broadcast operands of one dtype.
pub trait BinaryKernel: Sync {
    /// The GPU compute kernel's name; unique among kernels.
    const NAME: &'static str;
    const ACCEPTS: Accepts;
    /// Used in place of the scalar loop when both operands are contiguous
    /// float32 of the output's shape.
    const SLICE_F32: Option<BinarySliceF32> = None;
    fn float<T: Float + Numeric>(&self, a: T, b: T) -> T;
    /// Integer elements; as `UnaryKernel::int`.
    #[inline]
    fn int<T: Numeric>(&self, a: T, b: T) -> T {
        T::from_f64(self.float(a.to_f64(), b.to_f64()))
    }
}

/// A fold over the reduced dims. Floats accumulate in f64 and integers in
/// i64; the result keeps the input's dtype.
pub trait ReduceKernel: Sync {
    /// The GPU compute kernel's name; unique among kernels.
    const NAME: &'static str;
    const ACCEPTS: Accepts;
    /// Used in place of the scalar fold when every dim of a contiguous
    /// float32 input is reduced.
    const SLICE_F32: Option<ReduceSliceF32> = None;
    fn init<A: Numeric>(&self) -> A;
    fn fold<A: Numeric>(&self, acc: A, v: A) -> A;
    /// Merges two partial accumulators, the earlier one first.
    #[inline]
    fn combine<A: Numeric>(&self, a: A, b: A) -> A {
        self.fold(a, b)
    }
}

fn refuse(op: &'static str, dtype: DType) -> Error {
    Error::NotImplementedForDType { op, dtype }
}

/// The contiguous float32 slice a vectorised kernel reads, if `x` has one.
fn contiguous_f32<R>(x: &Strided, f: impl FnOnce(&[f32]) -> Result<R>) -> Option<Result<R>> {
    let range = x.layout().contiguous_range()?;
    let buffer = x.storage().read();
    let data = f32::slice(&buffer)?;
    Some(f(&data[range]))
}

/// Runs a unary kernel over `x`, any layout, into a contiguous buffer of
/// `x`'s dtype.
pub fn cpu_unary<K: UnaryKernel>(k: &K, x: &Strided) -> Result<Buffer> {
    fn floats<T: Float + Numeric, K: UnaryKernel>(k: &K, x: &Strided) -> Result<Buffer> {
        Ok(T::into_buffer(map::<T, T>(x, |v| k.float(v))?))
    }
    fn ints<T: Numeric, K: UnaryKernel>(k: &K, x: &Strided) -> Result<Buffer> {
        if K::ACCEPTS != Accepts::Numeric {
            return Err(refuse(K::NAME, x.dtype()));
        }
        Ok(T::into_buffer(map::<T, T>(x, |v| k.int(v))?))
    }
    if let (DType::F32, Some(f)) = (x.dtype(), K::SLICE_F32) {
        let done = contiguous_f32(x, |src| {
            let mut out = filled_vec(src.len(), 0.0f32)?;
            f(src, &mut out);
            Ok(f32::into_buffer(out))
        });
        if let Some(result) = done {
            return result;
        }
    }
    match x.dtype() {
        DType::F32 => floats::<f32, K>(k, x),
        DType::F64 => floats::<f64, K>(k, x),
        DType::I64 => ints::<i64, K>(k, x),
        DType::I32 => ints::<i32, K>(k, x),
        DType::I16 => ints::<i16, K>(k, x),
        DType::I8 => ints::<i8, K>(k, x),
        DType::U8 => ints::<u8, K>(k, x),
        other @ (DType::F16 | DType::BF16 | DType::Bool) => Err(refuse(K::NAME, other)),
    }
}

/// Runs a binary kernel over `a` and `b` (one dtype) broadcast to `shape`,
/// into a contiguous buffer of that dtype.
pub fn cpu_binary<K: BinaryKernel>(k: &K, a: &Strided, b: &Strided, shape: &[usize]) -> Result<Buffer> {
    fn floats<T: Float + Numeric, K: BinaryKernel>(k: &K, a: &Strided, b: &Strided, shape: &[usize]) -> Result<Buffer> {
        Ok(T::into_buffer(zip::<T, T>(a, b, shape, |x, y| k.float(x, y))?))
    }
    fn ints<T: Numeric, K: BinaryKernel>(k: &K, a: &Strided, b: &Strided, shape: &[usize]) -> Result<Buffer> {
        if K::ACCEPTS != Accepts::Numeric {
            return Err(refuse(K::NAME, a.dtype()));
        }
        Ok(T::into_buffer(zip::<T, T>(a, b, shape, |x, y| k.int(x, y))?))
    }
    if a.dtype() != b.dtype() {
        return Err(Error::DTypeMismatch { op: K::NAME, lhs: a.dtype(), rhs: b.dtype() });
    }
    if let (DType::F32, Some(f)) = (a.dtype(), K::SLICE_F32) {
        if a.shape() == shape && b.shape() == shape {
            let done = contiguous_f32(a, |sa| {
                contiguous_f32(b, |sb| {
                    let mut out = filled_vec(sa.len(), 0.0f32)?;
                    f(sa, sb, &mut out);
                    Ok(f32::into_buffer(out))
                })
                .transpose()
            });
            match done {
                Some(Ok(Some(buffer))) => return Ok(buffer),
                Some(Err(e)) => return Err(e),
                _ => {}
            }
        }
    }
    match a.dtype() {
        DType::F32 => floats::<f32, K>(k, a, b, shape),
        DType::F64 => floats::<f64, K>(k, a, b, shape),
        DType::I64 => ints::<i64, K>(k, a, b, shape),
        DType::I32 => ints::<i32, K>(k, a, b, shape),
        DType::I16 => ints::<i16, K>(k, a, b, shape),
        DType::I8 => ints::<i8, K>(k, a, b, shape),
        DType::U8 => ints::<u8, K>(k, a, b, shape),
        other @ (DType::F16 | DType::BF16 | DType::Bool) => Err(refuse(K::NAME, other)),
    }
}

/// `dst = f(dst, src)` in place, `src` (of `dst`'s dtype) broadcast to
/// `dst`'s shape. The caller guarantees the two do not share storage.
pub fn cpu_binary_assign<K: BinaryKernel>(k: &K, dst: &Strided, src: &Strided) -> Result<()> {
    fn ints<T: Numeric, K: BinaryKernel>(k: &K, dst: &Strided, src: &Strided) -> Result<()> {
        if K::ACCEPTS != Accepts::Numeric {
            return Err(refuse(K::NAME, dst.dtype()));
        }
        zip_assign::<T>(dst, src, |x, y| k.int(x, y))
    }
    match dst.dtype() {
        DType::F32 => zip_assign::<f32>(dst, src, |x, y| k.float(x, y)),
        DType::F64 => zip_assign::<f64>(dst, src, |x, y| k.float(x, y)),
        DType::I64 => ints::<i64, K>(k, dst, src),
        DType::I32 => ints::<i32, K>(k, dst, src),
        DType::I16 => ints::<i16, K>(k, dst, src),
        DType::I8 => ints::<i8, K>(k, dst, src),
        DType::U8 => ints::<u8, K>(k, dst, src),
        other @ (DType::F16 | DType::BF16 | DType::Bool) => Err(refuse(K::NAME, other)),
    }
}

/// Reduces `x` over `dims` (sorted, unique, in range) into a contiguous
/// buffer of `x`'s dtype, in output order.
pub fn cpu_reduce<K: ReduceKernel>(k: &K, x: &Strided, dims: &[usize]) -> Result<Buffer> {
    fn floats<T: Float + Numeric, K: ReduceKernel>(k: &K, x: &Strided, dims: &[usize]) -> Result<Buffer> {
        let values = reduce::<T, f64>(x, dims, k.init(), |a, v| k.fold(a, v.to_f64()), |a, b| k.combine(a, b), T::from_f64)?;
        Ok(T::into_buffer(values))
    }
    fn ints<T: Numeric, K: ReduceKernel>(k: &K, x: &Strided, dims: &[usize]) -> Result<Buffer> {
        if K::ACCEPTS != Accepts::Numeric {
            return Err(refuse(K::NAME, x.dtype()));
        }
        let values = reduce::<T, i64>(x, dims, k.init(), |a, v| k.fold(a, v.to_i64()), |a, b| k.combine(a, b), T::from_i64)?;
        Ok(T::into_buffer(values))
    }
    if let (DType::F32, Some(f)) = (x.dtype(), K::SLICE_F32) {
        if dims.len() == x.ndim() {
            if let Some(result) = contiguous_f32(x, |src| Ok(f32::into_buffer(vec![f(src) as f32]))) {
                return result;
            }
        }
    }
    match x.dtype() {
        DType::F32 => floats::<f32, K>(k, x, dims),
        DType::F64 => floats::<f64, K>(k, x, dims),
        DType::I64 => ints::<i64, K>(k, x, dims),
        DType::I32 => ints::<i32, K>(k, x, dims),
        DType::I16 => ints::<i16, K>(k, x, dims),
        DType::I8 => ints::<i8, K>(k, x, dims),
        DType::U8 => ints::<u8, K>(k, x, dims),
        other @ (DType::F16 | DType::BF16 | DType::Bool) => Err(refuse(K::NAME, other)),
    }
}

// ---- the kernels -----------------------------------------------------------

/// Declares unit kernel types: `Type => "gpu_name", accepts, |args| body;`.
/// A float-only body sees `T: Float + Numeric`; a numeric body sees
/// `T: Numeric` and serves floats too.
macro_rules! unary_kernels {
    ($($(#[$doc:meta])* $name:ident => $gpu:literal, $accepts:ident, |$v:ident: $T:ident| $body:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Copy, Clone, Debug, Default)]
        pub struct $name;
        unary_kernels!(@impl $name, $gpu, $accepts, |$v: $T| $body);
    )*};
    (@impl $name:ident, $gpu:literal, Float, |$v:ident: $T:ident| $body:expr) => {
        impl UnaryKernel for $name {
            const NAME: &'static str = $gpu;
            const ACCEPTS: Accepts = Accepts::Float;
            #[inline]
            fn float<$T: Float + Numeric>(&self, $v: $T) -> $T {
                $body
            }
        }
    };
    (@impl $name:ident, $gpu:literal, Numeric, |$v:ident: $T:ident| $body:expr) => {
        impl UnaryKernel for $name {
            const NAME: &'static str = $gpu;
            const ACCEPTS: Accepts = Accepts::Numeric;
            #[inline]
            fn float<$T: Float + Numeric>(&self, $v: $T) -> $T {
                self.int($v)
            }
            #[inline]
            fn int<$T: Numeric>(&self, $v: $T) -> $T {
                $body
            }
        }
    };
}

unary_kernels! {
    Exp => "exp", Float, |v: T| v.exp();
    Log => "log", Float, |v: T| v.ln();
    Sqrt => "sqrt", Float, |v: T| v.sqrt();
    Tanh => "tanh", Float, |v: T| v.tanh();
    Sigmoid => "sigmoid", Float, |v: T| T::ONE / (T::ONE + (-v).exp());
    Reciprocal => "reciprocal", Float, |v: T| T::ONE / v;
    Neg => "neg", Numeric, |v: T| v.neg();
    /// PyTorch's `max(v, 0)`: `v < 0` is false for NaN and -0.0, which pass through.
    Relu => "relu", Numeric, |v: T| if v < T::default() { T::default() } else { v };
    /// Wrapping: abs(int64 min) is itself, as in PyTorch.
    Abs => "abs", Numeric, |v: T| v.abs();
    /// PyTorch's `(0 < v) - (v < 0)`: +0 for NaN and for -0.0.
    Sign => "sign", Numeric, |v: T| {
        let z = T::default();
        if v > z {
            T::from_i64(1)
        } else if v < z {
            T::from_i64(-1)
        } else {
            z
        }
    };
}

/// `x ** e` for a number exponent, as PyTorch's scalar-exponent kernel.
#[derive(Copy, Clone, Debug)]
pub struct PowByNumber(pub f64);

impl UnaryKernel for PowByNumber {
    const NAME: &'static str = "pow_scalar";
    const ACCEPTS: Accepts = Accepts::Float;
    #[inline]
    fn float<T: Float + Numeric>(&self, v: T) -> T {
        pow_by_number(v, self.0)
    }
}

/// `x ** e` as PyTorch's pow with a number exponent: the common exponents by
/// multiplication, sqrt or reciprocal (so x**2 is exact and (-0.0)**-0.5 is
/// -inf, like its rsqrt), std::pow otherwise.
#[inline]
pub fn pow_by_number<T: Float>(x: T, e: f64) -> T {
    if e == 2.0 {
        x * x
    } else if e == 3.0 {
        x * x * x
    } else if e == -2.0 {
        T::ONE / (x * x)
    } else if e == 1.0 {
        x
    } else if e == 0.5 {
        x.sqrt()
    } else if e == -0.5 {
        T::ONE / x.sqrt()
    } else if e == -1.0 {
        T::ONE / x
    } else {
        x.powf(T::from_f64(e))
    }
}

/// Declares unit binary kernel types, as `unary_kernels!`.
macro_rules! binary_kernels {
    ($($(#[$doc:meta])* $name:ident => $gpu:literal, $accepts:ident, |$a:ident, $b:ident: $T:ident| $body:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Copy, Clone, Debug, Default)]
        pub struct $name;
        binary_kernels!(@impl $name, $gpu, $accepts, |$a, $b: $T| $body);
    )*};
    (@impl $name:ident, $gpu:literal, Float, |$a:ident, $b:ident: $T:ident| $body:expr) => {
        impl BinaryKernel for $name {
            const NAME: &'static str = $gpu;
            const ACCEPTS: Accepts = Accepts::Float;
            #[inline]
            fn float<$T: Float + Numeric>(&self, $a: $T, $b: $T) -> $T {
                $body
            }
        }
    };
    (@impl $name:ident, $gpu:literal, Numeric, |$a:ident, $b:ident: $T:ident| $body:expr) => {
        impl BinaryKernel for $name {
            const NAME: &'static str = $gpu;
            const ACCEPTS: Accepts = Accepts::Numeric;
            #[inline]
            fn float<$T: Float + Numeric>(&self, $a: $T, $b: $T) -> $T {
                self.int($a, $b)
            }
            #[inline]
            fn int<$T: Numeric>(&self, $a: $T, $b: $T) -> $T {
                $body
            }
        }
    };
}

binary_kernels! {
    Add => "add", Numeric, |a, b: T| a.add(b);
    Sub => "sub", Numeric, |a, b: T| a.sub(b);
    Mul => "mul", Numeric, |a, b: T| a.mul(b);
    Div => "div", Float, |a, b: T| a / b;
    /// `grad * (1 - y²)`, with `y = tanh(x)`.
    TanhBackward => "tanh_backward", Float, |g, y: T| g * (T::ONE - y * y);
    /// `grad * (1 - y) * y`, with `y = sigmoid(x)`, in PyTorch's order.
    SigmoidBackward => "sigmoid_backward", Float, |g, y: T| g * (T::ONE - y) * y;
    /// `grad` where `y > 0`, else 0; NaN passes the gradient through.
    ThresholdBackward => "threshold_backward", Float, |g, y: T| if y <= T::ZERO { T::ZERO } else { g };
}

/// `a ** b` elementwise: std::pow on floats, wrapping integer powers.
#[derive(Copy, Clone, Debug, Default)]
pub struct Pow;

impl BinaryKernel for Pow {
    const NAME: &'static str = "pow";
    const ACCEPTS: Accepts = Accepts::Numeric;
    #[inline]
    fn float<T: Float + Numeric>(&self, a: T, b: T) -> T {
        a.powf(b)
    }
    #[inline]
    fn int<T: Numeric>(&self, a: T, b: T) -> T {
        T::from_i64(int_pow(a.to_i64(), b.to_i64()))
    }
}

/// Integer power wrapping like int64. A negative exponent truncates 1/x^|e|
/// toward zero (so 0 unless |x| == 1, and 0 for x == 0), as PyTorch does for
/// tensor exponents.
fn int_pow(x: i64, e: i64) -> i64 {
    if e < 0 {
        return match x {
            1 => 1,
            -1 => {
                if e % 2 == 0 {
                    1
                } else {
                    -1
                }
            }
            _ => 0,
        };
    }
    x.wrapping_pow(e.min(u32::MAX as i64) as u32)
}

/// The sum over the reduced dims; integers wrap.
#[derive(Copy, Clone, Debug, Default)]
pub struct Sum;

impl ReduceKernel for Sum {
    const NAME: &'static str = "sum";
    const ACCEPTS: Accepts = Accepts::Numeric;
    #[inline]
    fn init<A: Numeric>(&self) -> A {
        A::default()
    }
    #[inline]
    fn fold<A: Numeric>(&self, acc: A, v: A) -> A {
        acc.add(v)
    }
}

/// Every kernel's GPU name, for the uniqueness check.
#[cfg(test)]
const ALL_NAMES: &[&str] = &[
    Exp::NAME,
    Log::NAME,
    Sqrt::NAME,
    Tanh::NAME,
    Sigmoid::NAME,
    Reciprocal::NAME,
    Neg::NAME,
    Relu::NAME,
    Abs::NAME,
    Sign::NAME,
    PowByNumber::NAME,
    Add::NAME,
    Sub::NAME,
    Mul::NAME,
    Div::NAME,
    Pow::NAME,
    TanhBackward::NAME,
    SigmoidBackward::NAME,
    ThresholdBackward::NAME,
    Sum::NAME,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Layout;
    use crate::storage::Storage;

    fn strided<T: Element>(values: Vec<T>, shape: &[usize]) -> Strided {
        let layout = Layout::contiguous(shape).expect("layout");
        Strided::new(Storage::new(T::into_buffer(values)), layout, T::DTYPE).expect("strided")
    }

    /// The 2x3 values, stored as their 3x2 transpose and viewed transposed.
    fn transposed<T: Element>(values: &[T]) -> Strided {
        let (rows, cols) = (2, 3);
        let mut stored = Vec::new();
        for c in 0..cols {
            for r in 0..rows {
                stored.push(values[r * cols + c]);
            }
        }
        let s = strided(stored, &[cols, rows]);
        let layout = s.layout().transpose(0, 1);
        Strided::new(s.storage().clone(), layout, T::DTYPE).expect("view")
    }

    fn values<T: Element>(buffer: Buffer) -> Vec<T> {
        T::slice(&buffer).expect("dtype").to_vec()
    }

    fn same_f64(a: f64, b: f64) -> bool {
        a == b && a.is_sign_negative() == b.is_sign_negative() || a.is_nan() && b.is_nan()
    }

    #[test]
    fn names_are_unique() {
        let mut names = ALL_NAMES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL_NAMES.len());
    }

    fn check_unary_f64<K: UnaryKernel>(k: K, input: [f64; 6], formula: impl Fn(f64) -> f64) {
        let got = values::<f64>(cpu_unary(&k, &transposed(&input)).expect("f64"));
        for (x, y) in input.iter().zip(&got) {
            assert!(same_f64(*y, formula(*x)), "{} f64 {x}: {y}", K::NAME);
        }
        let input32: Vec<f32> = input.iter().map(|&v| v as f32).collect();
        let got = values::<f32>(cpu_unary(&k, &transposed(&input32)).expect("f32"));
        for (x, y) in input32.iter().zip(&got) {
            let want = formula(f64::from(*x)) as f32;
            assert!((y - want).abs() <= 1e-6 * want.abs().max(1.0) || (y.is_nan() && want.is_nan()), "{} f32 {x}: {y} vs {want}", K::NAME);
        }
    }

    #[test]
    fn float_unary_kernels_match_their_formulas() {
        let xs = [0.5, 1.0, 2.0, 3.5, 0.25, 9.0];
        let signed = [-2.0, -0.5, 0.0, 0.5, 1.5, 3.0];
        check_unary_f64(Exp, signed, f64::exp);
        check_unary_f64(Log, xs, f64::ln);
        check_unary_f64(Sqrt, xs, f64::sqrt);
        check_unary_f64(Tanh, signed, f64::tanh);
        check_unary_f64(Sigmoid, signed, |v| 1.0 / (1.0 + (-v).exp()));
        check_unary_f64(Reciprocal, xs, |v| 1.0 / v);
        check_unary_f64(PowByNumber(2.0), signed, |v| v * v);
        check_unary_f64(PowByNumber(-0.5), xs, |v| 1.0 / v.sqrt());
        check_unary_f64(PowByNumber(1.7), xs, |v| v.powf(1.7));
    }

    #[test]
    fn numeric_unary_kernels_match_their_formulas() {
        let xs = [-3.0, -0.0, 0.0, f64::NAN, 2.5, -1.0];
        check_unary_f64(Neg, xs, |v| -v);
        check_unary_f64(Relu, xs, |v| if v < 0.0 { 0.0 } else { v });
        check_unary_f64(Abs, xs, f64::abs);
        check_unary_f64(Sign, xs, |v| if v > 0.0 { 1.0 } else if v < 0.0 { -1.0 } else { 0.0 });
        let ints = [i64::MIN, -2, 0, 3, -1, 7];
        let run = |buffer| values::<i64>(buffer);
        assert_eq!(run(cpu_unary(&Neg, &transposed(&ints)).expect("neg")), [i64::MIN, 2, 0, -3, 1, -7]);
        assert_eq!(run(cpu_unary(&Abs, &transposed(&ints)).expect("abs")), [i64::MIN, 2, 0, 3, 1, 7]);
        assert_eq!(run(cpu_unary(&Relu, &transposed(&ints)).expect("relu")), [0, 0, 0, 3, 0, 7]);
        assert_eq!(run(cpu_unary(&Sign, &transposed(&ints)).expect("sign")), [-1, -1, 0, 1, -1, 1]);
    }

    #[test]
    fn binary_kernels_match_their_formulas() {
        let a = [1.5, -2.0, 3.0, 0.5, 4.0, -1.0];
        let b = [2.0, 0.5, -1.5, 4.0, 0.25, 3.0];
        let check = |buffer: Buffer, f: fn(f64, f64) -> f64| {
            let got = values::<f64>(buffer);
            for i in 0..6 {
                assert!(same_f64(got[i], f(a[i], b[i])), "{i}: {}", got[i]);
            }
        };
        let (ta, tb) = (transposed(&a), strided(b.to_vec(), &[2, 3]));
        check(cpu_binary(&Add, &ta, &tb, &[2, 3]).expect("add"), |x, y| x + y);
        check(cpu_binary(&Sub, &ta, &tb, &[2, 3]).expect("sub"), |x, y| x - y);
        check(cpu_binary(&Mul, &ta, &tb, &[2, 3]).expect("mul"), |x, y| x * y);
        check(cpu_binary(&Div, &ta, &tb, &[2, 3]).expect("div"), |x, y| x / y);
        check(cpu_binary(&TanhBackward, &ta, &tb, &[2, 3]).expect("tanh_backward"), |g, y| g * (1.0 - y * y));
        check(cpu_binary(&ThresholdBackward, &ta, &tb, &[2, 3]).expect("threshold"), |g, y| if y <= 0.0 { 0.0 } else { g });
        let a32: Vec<f32> = a.iter().map(|&v| v as f32).collect();
        let b32 = vec![2.0f32];
        let got = values::<f32>(cpu_binary(&Mul, &transposed(&a32), &strided(b32, &[1]), &[2, 3]).expect("broadcast"));
        assert_eq!(got, a32.iter().map(|v| v * 2.0).collect::<Vec<_>>());
        let ints = [2i64, -3, 0, 5, -1, 10];
        let exps = strided(vec![3i64, 2, 0, -1, -3, 2], &[2, 3]);
        assert_eq!(values::<i64>(cpu_binary(&Pow, &transposed(&ints), &exps, &[2, 3]).expect("pow")), [8, 9, 1, 0, -1, 100]);
        assert_eq!(values::<i64>(cpu_binary(&Add, &transposed(&[i64::MAX, 0, 0, 0, 0, 0]), &exps, &[2, 3]).expect("add")), [i64::MIN + 2, 2, 0, -1, -3, 2]);
    }

    #[test]
    fn binary_assign_updates_through_the_layout() {
        let dst = transposed(&[1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let src = strided(vec![10.0f64, 20.0, 30.0], &[3]);
        cpu_binary_assign(&Sub, &dst, &src).expect("sub_");
        assert_eq!(dst.to_vec::<f64>().expect("read"), [-9.0, -18.0, -27.0, -6.0, -15.0, -24.0]);
        let ints = strided(vec![7i64, -8], &[2]);
        cpu_binary_assign(&Mul, &ints, &strided(vec![3i64], &[1])).expect("mul_");
        assert_eq!(ints.to_vec::<i64>().expect("read"), [21, -24]);
        assert!(matches!(cpu_binary_assign(&Div, &ints, &ints), Err(Error::NotImplementedForDType { op: "div", .. })));
    }

    #[test]
    fn sum_reduces_strided_input() {
        let x = transposed(&[1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(values::<f64>(cpu_reduce(&Sum, &x, &[0, 1]).expect("all")), [21.0]);
        assert_eq!(values::<f64>(cpu_reduce(&Sum, &x, &[1]).expect("rows")), [6.0, 15.0]);
        assert_eq!(values::<f64>(cpu_reduce(&Sum, &x, &[0]).expect("cols")), [5.0, 7.0, 9.0]);
        // float32 accumulates in float64: each 1 added to 2^24 alone would round away.
        let x = strided(vec![16777216.0f32, 1.0, 1.0, 1.0, 1.0, 0.0], &[6]);
        assert_eq!(values::<f32>(cpu_reduce(&Sum, &x, &[0]).expect("f32")), [16777220.0]);
        let x = transposed(&[i64::MAX, 1, 0, 0, 2, 3]);
        assert_eq!(values::<i64>(cpu_reduce(&Sum, &x, &[1]).expect("i64")), [i64::MIN, 5]);
    }

    #[test]
    fn bad_dtypes_are_errors() {
        let ints = strided(vec![1i64, 2], &[2]);
        let bools = strided(vec![true, false], &[2]);
        let halves = strided(vec![half::f16::ONE; 2], &[2]);
        assert!(matches!(cpu_unary(&Exp, &ints), Err(Error::NotImplementedForDType { op: "exp", dtype: DType::I64 })));
        assert!(matches!(cpu_unary(&Neg, &bools), Err(Error::NotImplementedForDType { op: "neg", dtype: DType::Bool })));
        assert!(matches!(cpu_unary(&Sqrt, &halves), Err(Error::NotImplementedForDType { .. })));
        assert!(matches!(cpu_binary(&Div, &ints, &ints, &[2]), Err(Error::NotImplementedForDType { op: "div", .. })));
        assert!(matches!(cpu_binary(&Add, &bools, &bools, &[2]), Err(Error::NotImplementedForDType { .. })));
        let floats = strided(vec![1.0f64, 2.0], &[2]);
        assert!(matches!(cpu_binary(&Add, &ints, &floats, &[2]), Err(Error::DTypeMismatch { .. })));
        assert!(matches!(cpu_reduce(&Sum, &bools, &[0]), Err(Error::NotImplementedForDType { op: "sum", .. })));
    }
}
