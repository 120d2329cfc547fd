//! Kernels as named types. Each elementwise or reduction kernel is a type
//! carrying its scalar function, the dtypes it accepts, a slot for a
//! vectorised contiguous float32 form and the name of its GPU compute
//! kernel. The strided CPU entries below hold the one dtype match of each
//! family of kernels, so an op names its kernel instead of matching dtypes.

use crate::storage::{Float, Numeric};

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

    #[test]
    fn names_are_unique() {
        let mut names = ALL_NAMES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL_NAMES.len());
    }
}
