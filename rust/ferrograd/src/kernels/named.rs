//! Kernels as named types. Each elementwise or reduction kernel is a type
//! carrying its scalar function, the dtypes it accepts, optionally a vector
//! form for contiguous float input (elementwise) or float32 (reductions),
//! and the name of its GPU compute kernel. The strided CPU entries below hold the one dtype match of each
//! family of kernels, so an op names its kernel instead of matching dtypes.

use crate::kernels::pointwise::FloatMath;
use crate::simd::math::{per_lane, Math};
use crate::simd::Lanes;
use crate::storage::{Float, Integer, Numeric};
use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// The dtypes a kernel computes on. Float-only kernels refuse integer
/// input: their ops promote it to the default float dtype first.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Accepts {
    Float,
    /// Floats and every integer dtype (not bool).
    Numeric,
}

/// The element types vector forms compute on: f32 and f64.
pub trait VecFloat: FloatMath + Numeric + Math {}

impl<T: FloatMath + Numeric + Math> VecFloat for T {}

/// `out = f(x)`, elementwise.
pub trait UnaryKernel: Sync {
    /// The GPU compute kernel's name; unique among kernels.
    const NAME: &'static str;
    const ACCEPTS: Accepts;
    /// Whether `vector` is written out for this kernel; then contiguous
    /// float input runs it in place of the scalar loop.
    const VECTOR: bool = false;
    fn float<T: FloatMath + Numeric>(&self, v: T) -> T;
    /// The kernel's number arguments, which GPU kernels take as parameters.
    fn scalars(&self) -> [f64; 2] {
        [0.0; 2]
    }
    /// `float` on a vector of lanes; by default lane by lane.
    #[inline(always)]
    fn vector<T: VecFloat, L: Lanes<T>>(&self, s: L, v: L::V) -> L::V {
        per_lane(s, v, |x| self.float(x))
    }
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
    /// Whether `vector` is written out for this kernel; then contiguous
    /// float operands (or one broadcast scalar) run it in place of the
    /// scalar loop.
    const VECTOR: bool = false;
    fn float<T: FloatMath + Numeric>(&self, a: T, b: T) -> T;
    /// The kernel's number arguments, as `UnaryKernel::scalars`.
    fn scalars(&self) -> [f64; 2] {
        [0.0; 2]
    }
    /// `float` on vectors of lanes; by default lane by lane.
    #[inline(always)]
    fn vector<T: VecFloat, L: Lanes<T>>(&self, s: L, a: L::V, b: L::V) -> L::V {
        let mut bs = [T::default(); crate::simd::MAX_LANES];
        s.store(&mut bs, b);
        let mut i = 0;
        per_lane(s, a, |x| {
            let y = self.float(x, bs[i]);
            i += 1;
            y
        })
    }
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
    /// A plain sum, which contiguous floats reduce with `reduce::sum_contiguous`.
    const IS_SUM: bool = false;
    fn init<A: Numeric>(&self) -> A;
    fn fold<A: Numeric>(&self, acc: A, v: A) -> A;
    /// Merges two partial accumulators, the earlier one first.
    #[inline]
    fn combine<A: Numeric>(&self, a: A, b: A) -> A {
        self.fold(a, b)
    }
}

// ---- the kernels -----------------------------------------------------------

/// Declares unit kernel types: `Type => "gpu_name", accepts, |args| body;`,
/// optionally followed by `simd |s, v| vector body` (see `UnaryKernel::vector`).
/// A float-only body sees `T: FloatMath + Numeric`; a numeric body sees
/// `T: Numeric` and serves floats too.
macro_rules! unary_kernels {
    ($($(#[$doc:meta])* $name:ident => $gpu:literal, $accepts:ident, |$v:ident: $T:ident| $body:expr
       $(, simd |$s:ident, $x:ident| $vbody:expr)?;)*) => {$(
        $(#[$doc])*
        #[derive(Copy, Clone, Debug, Default)]
        pub struct $name;
        unary_kernels!(@impl $name, $gpu, $accepts, |$v: $T| $body, [$(|$s, $x| $vbody)?]);
    )*};
    (@vector $T:ident, []) => {};
    (@vector $T:ident, [|$s:ident, $x:ident| $vbody:expr]) => {
        const VECTOR: bool = true;
        #[inline(always)]
        fn vector<$T: VecFloat, L: Lanes<$T>>(&self, $s: L, $x: L::V) -> L::V {
            $vbody
        }
    };
    (@impl $name:ident, $gpu:literal, Float, |$v:ident: $T:ident| $body:expr, [$($vector:tt)*]) => {
        impl UnaryKernel for $name {
            const NAME: &'static str = $gpu;
            const ACCEPTS: Accepts = Accepts::Float;
            #[inline]
            fn float<$T: FloatMath + Numeric>(&self, $v: $T) -> $T {
                $body
            }
            unary_kernels!(@vector $T, [$($vector)*]);
        }
    };
    (@impl $name:ident, $gpu:literal, Numeric, |$v:ident: $T:ident| $body:expr, [$($vector:tt)*]) => {
        impl UnaryKernel for $name {
            const NAME: &'static str = $gpu;
            const ACCEPTS: Accepts = Accepts::Numeric;
            #[inline]
            fn float<$T: FloatMath + Numeric>(&self, $v: $T) -> $T {
                self.int($v)
            }
            #[inline]
            fn int<$T: Numeric>(&self, $v: $T) -> $T {
                $body
            }
            unary_kernels!(@vector $T, [$($vector)*]);
        }
    };
}

unary_kernels! {
    Exp => "exp", Float, |v: T| v.exp(), simd |s, x| <T as Math>::exp(s, x);
    Log => "log", Float, |v: T| v.ln(), simd |s, x| <T as Math>::ln(s, x);
    Sqrt => "sqrt", Float, |v: T| v.sqrt();
    Tanh => "tanh", Float, |v: T| v.tanh(), simd |s, x| <T as Math>::tanh(s, x);
    Sigmoid => "sigmoid", Float, |v: T| T::ONE / (T::ONE + (-v).exp()), simd |s, x| <T as Math>::sigmoid(s, x);
    Reciprocal => "reciprocal", Float, |v: T| T::ONE / v, simd |s, x| s.div(s.splat(T::ONE), x);
    Exp2 => "exp2", Float, |v: T| v.exp2();
    Expm1 => "expm1", Float, |v: T| v.exp_m1();
    Log2 => "log2", Float, |v: T| v.log2();
    Log10 => "log10", Float, |v: T| v.log10();
    Log1p => "log1p", Float, |v: T| v.ln_1p();
    Rsqrt => "rsqrt", Float, |v: T| T::ONE / v.sqrt();
    Sin => "sin", Float, |v: T| v.sin();
    Cos => "cos", Float, |v: T| v.cos();
    Tan => "tan", Float, |v: T| v.tan();
    Erf => "erf", Float, |v: T| v.erf_value(), simd |s, x| <T as Math>::erf(s, x);
    Floor => "floor", Float, |v: T| v.floor();
    Ceil => "ceil", Float, |v: T| v.ceil();
    /// Half to even, like C's `nearbyint`.
    Round => "round", Float, |v: T| v.round_even();
    Trunc => "trunc", Float, |v: T| v.trunc();
    /// `x * sigmoid(x)`.
    Silu => "silu", Float, |v: T| v * sigmoid(v), simd |s, x| s.mul(x, <T as Math>::sigmoid(s, x));
    /// `x * Φ(x)`, Φ from erf.
    Gelu => "gelu", Float, |v: T| gelu_value(v, false), simd |s, x| gelu_vector(s, x, false);
    /// GELU with the tanh approximation of Φ.
    GeluTanh => "gelu_tanh", Float, |v: T| gelu_value(v, true), simd |s, x| gelu_vector(s, x, true);
    Neg => "neg", Numeric, |v: T| v.neg(), simd |s, x| s.neg(x);
    /// PyTorch's `max(v, 0)`: `v < 0` is false for NaN and -0.0, which pass through.
    Relu => "relu", Numeric, |v: T| if v < T::default() { T::default() } else { v },
        simd |s, x| s.select(s.lt(x, s.zero()), s.zero(), x);
    /// Bitwise not of an integer (its two's complement bits, at any width).
    BitNot => "bitwise_not", Numeric, |v: T| T::from_i64(!v.to_i64());
    /// Wrapping: abs(int64 min) is itself, as in PyTorch.
    Abs => "abs", Numeric, |v: T| v.abs(), simd |s, x| s.abs(x);
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

/// `clamp(x, min, max)` with number bounds (either may be absent).
#[derive(Copy, Clone, Debug)]
pub struct Clamp {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl UnaryKernel for Clamp {
    const NAME: &'static str = "clamp";
    const ACCEPTS: Accepts = Accepts::Numeric;
    /// A missing bound as the infinity that never clamps.
    fn scalars(&self) -> [f64; 2] {
        [self.min.unwrap_or(f64::NEG_INFINITY), self.max.unwrap_or(f64::INFINITY)]
    }
    #[inline]
    fn float<T: FloatMath + Numeric>(&self, v: T) -> T {
        self.int(v)
    }
    #[inline]
    fn int<T: Numeric>(&self, v: T) -> T {
        clamp_value(v, self.min.map(T::from_f64), self.max.map(T::from_f64))
    }
}

/// `std::min(std::max(v, lo), hi)` with C++'s comparison order. NaN, in the
/// input or in either bound, makes the result NaN, as in PyTorch.
#[inline]
fn clamp_value<T: PartialOrd + Copy>(v: T, lo: Option<T>, hi: Option<T>) -> T {
    #[allow(clippy::eq_op)]
    let nan = |x: T| x != x;
    if let Some(n) = [Some(v), lo, hi].into_iter().flatten().find(|&x| nan(x)) {
        return n;
    }
    let mut r = v;
    if let Some(lo) = lo {
        if r < lo {
            r = lo;
        }
    }
    if let Some(hi) = hi {
        if hi < r {
            r = hi;
        }
    }
    r
}

/// `x ** e` for a number exponent, as PyTorch's scalar-exponent kernel.
#[derive(Copy, Clone, Debug)]
pub struct PowByNumber(pub f64);

impl UnaryKernel for PowByNumber {
    const NAME: &'static str = "pow_scalar";
    const ACCEPTS: Accepts = Accepts::Float;
    fn scalars(&self) -> [f64; 2] {
        [self.0, 0.0]
    }
    #[inline]
    fn float<T: FloatMath + Numeric>(&self, v: T) -> T {
        pow_by_number(v, self.0)
    }
}

/// `x` for x > 0, else `slope * x`.
#[derive(Copy, Clone, Debug)]
pub struct LeakyRelu(pub f64);

impl UnaryKernel for LeakyRelu {
    const NAME: &'static str = "leaky_relu";
    const ACCEPTS: Accepts = Accepts::Float;
    fn scalars(&self) -> [f64; 2] {
        [self.0, 0.0]
    }
    #[inline]
    fn float<T: FloatMath + Numeric>(&self, v: T) -> T {
        if v > T::ZERO {
            v
        } else {
            v * T::from_f64(self.0)
        }
    }
}

/// `x` for x > 0, else `alpha * (exp(x) - 1)`.
#[derive(Copy, Clone, Debug)]
pub struct Elu(pub f64);

impl UnaryKernel for Elu {
    const NAME: &'static str = "elu";
    const ACCEPTS: Accepts = Accepts::Float;
    fn scalars(&self) -> [f64; 2] {
        [self.0, 0.0]
    }
    #[inline]
    fn float<T: FloatMath + Numeric>(&self, v: T) -> T {
        if v > T::ZERO {
            v
        } else {
            v.exp_m1() * T::from_f64(self.0)
        }
    }
}

/// `log(1 + exp(beta x)) / beta`, linear where `beta x > threshold`.
#[derive(Copy, Clone, Debug)]
pub struct Softplus {
    pub beta: f64,
    pub threshold: f64,
}

impl UnaryKernel for Softplus {
    const NAME: &'static str = "softplus";
    const ACCEPTS: Accepts = Accepts::Float;
    fn scalars(&self) -> [f64; 2] {
        [self.beta, self.threshold]
    }
    #[inline]
    fn float<T: FloatMath + Numeric>(&self, v: T) -> T {
        let (b, th) = (T::from_f64(self.beta), T::from_f64(self.threshold));
        if v * b > th {
            v
        } else {
            (v * b).exp().ln_1p() / b
        }
    }
}

/// Rounding half to even at `decimals` decimal places (negative: to tens,
/// hundreds, ...), scaling as PyTorch does so results agree bit for bit.
#[derive(Copy, Clone, Debug)]
pub struct RoundDecimals {
    scale: f64,
    negative: bool,
}

impl RoundDecimals {
    pub fn new(decimals: i64) -> RoundDecimals {
        RoundDecimals { scale: 10f64.powi(decimals.unsigned_abs().min(400) as i32), negative: decimals < 0 }
    }
}

impl UnaryKernel for RoundDecimals {
    const NAME: &'static str = "round_decimals";
    const ACCEPTS: Accepts = Accepts::Float;
    #[inline]
    fn float<T: FloatMath + Numeric>(&self, v: T) -> T {
        let s = T::from_f64(self.scale);
        if self.negative {
            (v / s).round_even() * s
        } else {
            (v * s).round_even() / s
        }
    }
}

/// NaN -> `nan`, +inf -> `posinf`, -inf -> `neginf`; a missing bound is the
/// dtype's largest finite value (or most negative).
#[derive(Copy, Clone, Debug)]
pub struct NanToNum {
    pub nan: f64,
    pub posinf: Option<f64>,
    pub neginf: Option<f64>,
}

impl UnaryKernel for NanToNum {
    const NAME: &'static str = "nan_to_num";
    const ACCEPTS: Accepts = Accepts::Float;
    #[inline]
    fn float<T: FloatMath + Numeric>(&self, v: T) -> T {
        if FloatMath::is_nan(v) {
            T::from_f64(self.nan)
        } else if FloatMath::is_infinite(v) {
            if v > T::ZERO {
                self.posinf.map_or(T::MAX, T::from_f64)
            } else {
                self.neginf.map_or(T::LOWEST, T::from_f64)
            }
        } else {
            v
        }
    }
}

#[inline]
fn sigmoid<T: Float>(v: T) -> T {
    T::ONE / (T::ONE + (-v).exp())
}

const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
const GELU_KAPPA: f64 = 0.044715;

#[inline]
fn gelu_value<T: FloatMath>(x: T, tanh: bool) -> T {
    let half = T::from_f64(0.5);
    if tanh {
        let inner = T::from_f64(SQRT_2_OVER_PI) * (x + T::from_f64(GELU_KAPPA) * x * x * x);
        half * x * (T::ONE + inner.tanh())
    } else {
        x * half * (T::ONE + (x * T::from_f64(FRAC_1_SQRT_2)).erf_value())
    }
}

/// `gelu_value` on vectors, in the same order of operations.
#[inline(always)]
fn gelu_vector<T: VecFloat, L: Lanes<T>>(s: L, x: L::V, tanh: bool) -> L::V {
    // No closure for the constants: it would be compiled without the
    // instruction set's features (see `kernels::vectorised`).
    let (half, one) = (s.splat(T::from_f64(0.5)), s.splat(T::ONE));
    if tanh {
        let cube = s.mul(s.mul(s.mul(s.splat(T::from_f64(GELU_KAPPA)), x), x), x);
        let inner = s.mul(s.splat(T::from_f64(SQRT_2_OVER_PI)), s.add(x, cube));
        s.mul(s.mul(half, x), s.add(one, <T as Math>::tanh(s, inner)))
    } else {
        let scaled = s.mul(x, s.splat(T::from_f64(FRAC_1_SQRT_2)));
        s.mul(s.mul(x, half), s.add(one, <T as Math>::erf(s, scaled)))
    }
}

/// d gelu / dx, as PyTorch's GeluBackward kernels compute it.
#[inline]
fn gelu_slope<T: FloatMath>(x: T, tanh: bool) -> T {
    let half = T::from_f64(0.5);
    if tanh {
        let x_sq = x * x;
        let inner = T::from_f64(SQRT_2_OVER_PI) * (x + T::from_f64(GELU_KAPPA) * x_sq * x);
        let th = inner.tanh();
        let left = half * x;
        let right = T::ONE + th;
        let right_derivative = left * (T::ONE - th * th) * T::from_f64(SQRT_2_OVER_PI) * (T::ONE + T::from_f64(3.0 * GELU_KAPPA) * x_sq);
        half * right + right_derivative
    } else {
        let cdf = half * (T::ONE + (x * T::from_f64(FRAC_1_SQRT_2)).erf_value());
        let pdf = (-half * x * x).exp() * T::from_f64(1.0 / (2.0 * PI).sqrt());
        cdf + x * pdf
    }
}

/// `gelu_slope` on vectors, in the same order of operations.
#[inline(always)]
fn gelu_slope_vector<T: VecFloat, L: Lanes<T>>(s: L, x: L::V, tanh: bool) -> L::V {
    let (half, one) = (s.splat(T::from_f64(0.5)), s.splat(T::ONE));
    if tanh {
        let x_sq = s.mul(x, x);
        let c = s.splat(T::from_f64(SQRT_2_OVER_PI));
        let inner = s.mul(c, s.add(x, s.mul(s.mul(s.splat(T::from_f64(GELU_KAPPA)), x_sq), x)));
        let th = <T as Math>::tanh(s, inner);
        let left = s.mul(half, x);
        let right = s.add(one, th);
        let slope = s.add(one, s.mul(s.splat(T::from_f64(3.0 * GELU_KAPPA)), x_sq));
        let right_derivative = s.mul(s.mul(s.mul(left, s.sub(one, s.mul(th, th))), c), slope);
        s.add(s.mul(half, right), right_derivative)
    } else {
        let cdf = s.mul(half, s.add(one, <T as Math>::erf(s, s.mul(x, s.splat(T::from_f64(FRAC_1_SQRT_2))))));
        let pdf = s.mul(<T as Math>::exp(s, s.mul(s.mul(s.neg(half), x), x)), s.splat(T::from_f64(1.0 / (2.0 * PI).sqrt())));
        s.add(cdf, s.mul(x, pdf))
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
    ($($(#[$doc:meta])* $name:ident => $gpu:literal, $accepts:ident, |$a:ident, $b:ident: $T:ident| $body:expr
       $(, simd |$s:ident, $va:ident, $vb:ident| $vbody:expr)?;)*) => {$(
        $(#[$doc])*
        #[derive(Copy, Clone, Debug, Default)]
        pub struct $name;
        binary_kernels!(@impl $name, $gpu, $accepts, |$a, $b: $T| $body, [$(|$s, $va, $vb| $vbody)?]);
    )*};
    (@vector $T:ident, []) => {};
    (@vector $T:ident, [|$s:ident, $va:ident, $vb:ident| $vbody:expr]) => {
        const VECTOR: bool = true;
        #[inline(always)]
        fn vector<$T: VecFloat, L: Lanes<$T>>(&self, $s: L, $va: L::V, $vb: L::V) -> L::V {
            $vbody
        }
    };
    (@impl $name:ident, $gpu:literal, Float, |$a:ident, $b:ident: $T:ident| $body:expr, [$($vector:tt)*]) => {
        impl BinaryKernel for $name {
            const NAME: &'static str = $gpu;
            const ACCEPTS: Accepts = Accepts::Float;
            #[inline]
            fn float<$T: FloatMath + Numeric>(&self, $a: $T, $b: $T) -> $T {
                $body
            }
            binary_kernels!(@vector $T, [$($vector)*]);
        }
    };
    (@impl $name:ident, $gpu:literal, Numeric, |$a:ident, $b:ident: $T:ident| $body:expr, [$($vector:tt)*]) => {
        impl BinaryKernel for $name {
            const NAME: &'static str = $gpu;
            const ACCEPTS: Accepts = Accepts::Numeric;
            #[inline]
            fn float<$T: FloatMath + Numeric>(&self, $a: $T, $b: $T) -> $T {
                self.int($a, $b)
            }
            #[inline]
            fn int<$T: Numeric>(&self, $a: $T, $b: $T) -> $T {
                $body
            }
            binary_kernels!(@vector $T, [$($vector)*]);
        }
    };
}

binary_kernels! {
    // The vector forms repeat the scalar operations in order (no fused
    // multiply-add), so both paths give the same bits.
    Add => "add", Numeric, |a, b: T| a.add(b), simd |s, a, b| s.add(a, b);
    Sub => "sub", Numeric, |a, b: T| a.sub(b), simd |s, a, b| s.sub(a, b);
    /// `src` written over `dst`: a copy into a view (cat, stack).
    Overwrite => "overwrite", Numeric, |_dst, src: T| src, simd |_s, _dst, src| src;
    Mul => "mul", Numeric, |a, b: T| a.mul(b), simd |s, a, b| s.mul(a, b);
    /// The larger value; a NaN wins, and ties keep `a` (as std::max).
    Maximum => "maximum", Numeric, |a, b: T| nan_first(a, b, a < b);
    /// The smaller value; a NaN wins, and ties keep `a`.
    Minimum => "minimum", Numeric, |a, b: T| nan_first(a, b, b < a);
    Div => "div", Float, |a, b: T| a / b, simd |s, a, b| s.div(a, b);
    /// `grad * (1 - y²)`, with `y = tanh(x)`.
    TanhBackward => "tanh_backward", Float, |g, y: T| g * (T::ONE - y * y),
        simd |s, g, y| s.mul(g, s.sub(s.splat(T::ONE), s.mul(y, y)));
    /// `grad * (1 - y) * y`, with `y = sigmoid(x)`, in PyTorch's order.
    SigmoidBackward => "sigmoid_backward", Float, |g, y: T| g * (T::ONE - y) * y,
        simd |s, g, y| s.mul(s.mul(g, s.sub(s.splat(T::ONE), y)), y);
    /// `grad` where `y > 0`, else 0; NaN passes the gradient through.
    ThresholdBackward => "threshold_backward", Float, |g, y: T| if y <= T::ZERO { T::ZERO } else { g },
        simd |s, g, y| s.select(s.le(y, s.zero()), s.zero(), g);
    /// Bitwise and, or, xor of integers (sign-extended through int64, so
    /// every width keeps its own bits).
    BitAnd => "bitwise_and", Numeric, |a, b: T| T::from_i64(a.to_i64() & b.to_i64());
    BitOr => "bitwise_or", Numeric, |a, b: T| T::from_i64(a.to_i64() | b.to_i64());
    BitXor => "bitwise_xor", Numeric, |a, b: T| T::from_i64(a.to_i64() ^ b.to_i64());
    /// `clamp(x, min=bound)` elementwise; NaN in either wins.
    ClampMin => "clamp_min", Numeric, |v, lo: T| clamp_value(v, Some(lo), None);
    /// `clamp(x, max=bound)` elementwise; NaN in either wins.
    ClampMax => "clamp_max", Numeric, |v, hi: T| clamp_value(v, None, Some(hi));
    /// `grad * gelu'(x)`.
    GeluBackward => "gelu_backward", Float, |g, x: T| g * gelu_slope(x, false),
        simd |s, g, x| s.mul(g, gelu_slope_vector(s, x, false));
    /// `grad * gelu'(x)` for the tanh approximation.
    GeluTanhBackward => "gelu_tanh_backward", Float, |g, x: T| g * gelu_slope(x, true),
        simd |s, g, x| s.mul(g, gelu_slope_vector(s, x, true));
    /// `grad * σ(x) * (1 + x * (1 - σ(x)))`.
    SiluBackward => "silu_backward", Float, |g, x: T| {
        let s = sigmoid(x);
        g * s * (T::ONE + x * (T::ONE - s))
    }, simd |s, g, x| {
        let (one, sig) = (s.splat(T::ONE), <T as Math>::sigmoid(s, x));
        s.mul(s.mul(g, sig), s.add(one, s.mul(x, s.sub(one, sig))))
    };
}

/// Division rounding toward zero: `trunc(a / b)` on floats; on integers
/// wrapping (`MIN / -1` is `MIN`), the caller ruling out a zero divisor.
#[derive(Copy, Clone, Debug, Default)]
pub struct DivTrunc;

impl BinaryKernel for DivTrunc {
    const NAME: &'static str = "div_trunc";
    const ACCEPTS: Accepts = Accepts::Numeric;
    #[inline]
    fn float<T: FloatMath + Numeric>(&self, a: T, b: T) -> T {
        (a / b).trunc()
    }
    /// Through int64, where every narrower quotient is exact before it wraps.
    #[inline]
    fn int<T: Numeric>(&self, a: T, b: T) -> T {
        T::from_i64(Integer::trunc_div(a.to_i64(), b.to_i64()))
    }
}

/// Division rounding toward negative infinity (Python's `//`): on floats as
/// PyTorch computes it (from fmod); on integers wrapping like `DivTrunc`.
#[derive(Copy, Clone, Debug, Default)]
pub struct DivFloor;

impl BinaryKernel for DivFloor {
    const NAME: &'static str = "div_floor";
    const ACCEPTS: Accepts = Accepts::Numeric;
    #[inline]
    fn float<T: FloatMath + Numeric>(&self, a: T, b: T) -> T {
        div_floor_float(a, b)
    }
    #[inline]
    fn int<T: Numeric>(&self, a: T, b: T) -> T {
        T::from_i64(Integer::floor_div(a.to_i64(), b.to_i64()))
    }
}

/// `grad` where x > 0, else `grad * slope`.
#[derive(Copy, Clone, Debug)]
pub struct LeakyReluBackward(pub f64);

impl BinaryKernel for LeakyReluBackward {
    const NAME: &'static str = "leaky_relu_backward";
    const ACCEPTS: Accepts = Accepts::Float;
    fn scalars(&self) -> [f64; 2] {
        [self.0, 0.0]
    }
    #[inline]
    fn float<T: FloatMath + Numeric>(&self, g: T, x: T) -> T {
        if x > T::ZERO {
            g
        } else {
            g * T::from_f64(self.0)
        }
    }
}

/// `grad * alpha * exp(x)` where x <= 0, else `grad`.
#[derive(Copy, Clone, Debug)]
pub struct EluBackward(pub f64);

impl BinaryKernel for EluBackward {
    const NAME: &'static str = "elu_backward";
    const ACCEPTS: Accepts = Accepts::Float;
    fn scalars(&self) -> [f64; 2] {
        [self.0, 0.0]
    }
    #[inline]
    fn float<T: FloatMath + Numeric>(&self, g: T, x: T) -> T {
        if x <= T::ZERO {
            g * T::from_f64(self.0) * x.exp()
        } else {
            g
        }
    }
}

/// ELU's backward from its result y: `grad * (y + alpha)` where y <= 0, else `grad`.
#[derive(Copy, Clone, Debug)]
pub struct EluResultBackward(pub f64);

impl BinaryKernel for EluResultBackward {
    const NAME: &'static str = "elu_result_backward";
    const ACCEPTS: Accepts = Accepts::Float;
    fn scalars(&self) -> [f64; 2] {
        [self.0, 0.0]
    }
    #[inline]
    fn float<T: FloatMath + Numeric>(&self, g: T, y: T) -> T {
        if y <= T::ZERO {
            g * (y + T::from_f64(self.0))
        } else {
            g
        }
    }
}

/// `grad * σ(beta x)`, or `grad` where `beta x > threshold`.
#[derive(Copy, Clone, Debug)]
pub struct SoftplusBackward {
    pub beta: f64,
    pub threshold: f64,
}

impl BinaryKernel for SoftplusBackward {
    const NAME: &'static str = "softplus_backward";
    const ACCEPTS: Accepts = Accepts::Float;
    fn scalars(&self) -> [f64; 2] {
        [self.beta, self.threshold]
    }
    #[inline]
    fn float<T: FloatMath + Numeric>(&self, g: T, x: T) -> T {
        let bx = x * T::from_f64(self.beta);
        if bx > T::from_f64(self.threshold) {
            g
        } else {
            let z = bx.exp();
            g * z / (z + T::ONE)
        }
    }
}

/// `start + weight * (end - start)` for a number weight.
#[derive(Copy, Clone, Debug)]
pub struct LerpScalar(pub f64);

impl BinaryKernel for LerpScalar {
    const NAME: &'static str = "lerp_scalar";
    const ACCEPTS: Accepts = Accepts::Float;
    fn scalars(&self) -> [f64; 2] {
        [self.0, 0.0]
    }
    #[inline]
    fn float<T: FloatMath + Numeric>(&self, s: T, e: T) -> T {
        lerp_value(s, e, T::from_f64(self.0))
    }
}

/// PyTorch's two-sided lerp formula: exact at both ends of the interval.
#[inline]
pub fn lerp_value<T: Float>(s: T, e: T, w: T) -> T {
    if w.abs() < T::from_f64(0.5) {
        s + w * (e - s)
    } else {
        e - (e - s) * (T::ONE - w)
    }
}

/// Floor division for floats as PyTorch computes it (from fmod, so `7 // 0.7` is 9, not 10).
#[inline]
fn div_floor_float<T: FloatMath>(a: T, b: T) -> T {
    if b == T::ZERO {
        return a / b;
    }
    let m = a.fmod(b);
    let mut div = (a - m) / b;
    if m != T::ZERO && (b < T::ZERO) != (m < T::ZERO) {
        div = div - T::ONE;
    }
    if div == T::ZERO {
        return T::ZERO.copysign(a / b);
    }
    let mut floored = div.floor();
    if div - floored > T::from_f64(0.5) {
        floored = floored + T::ONE;
    }
    floored
}

/// `a ** b` elementwise: std::pow on floats, wrapping integer powers.
#[derive(Copy, Clone, Debug, Default)]
pub struct Pow;

impl BinaryKernel for Pow {
    const NAME: &'static str = "pow";
    const ACCEPTS: Accepts = Accepts::Numeric;
    #[inline]
    fn float<T: FloatMath + Numeric>(&self, a: T, b: T) -> T {
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
    const IS_SUM: bool = true;
    #[inline]
    fn init<A: Numeric>(&self) -> A {
        A::default()
    }
    #[inline]
    fn fold<A: Numeric>(&self, acc: A, v: A) -> A {
        acc.add(v)
    }
}

/// NaN first (`a`'s, then `b`'s), then `b` when `take_b`, else `a`.
#[inline]
#[allow(clippy::eq_op)]
fn nan_first<T: PartialOrd + Copy>(a: T, b: T, take_b: bool) -> T {
    if a != a {
        a
    } else if b != b || take_b {
        b
    } else {
        a
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
    Exp2::NAME,
    Expm1::NAME,
    Log2::NAME,
    Log10::NAME,
    Log1p::NAME,
    Rsqrt::NAME,
    Sin::NAME,
    Cos::NAME,
    Tan::NAME,
    Erf::NAME,
    Floor::NAME,
    Ceil::NAME,
    Round::NAME,
    Trunc::NAME,
    Silu::NAME,
    Gelu::NAME,
    GeluTanh::NAME,
    LeakyRelu::NAME,
    Elu::NAME,
    Softplus::NAME,
    RoundDecimals::NAME,
    NanToNum::NAME,
    Clamp::NAME,
    BitNot::NAME,
    BitAnd::NAME,
    BitOr::NAME,
    BitXor::NAME,
    ClampMin::NAME,
    ClampMax::NAME,
    Neg::NAME,
    Relu::NAME,
    Abs::NAME,
    Sign::NAME,
    PowByNumber::NAME,
    Add::NAME,
    Sub::NAME,
    Overwrite::NAME,
    Mul::NAME,
    Maximum::NAME,
    Minimum::NAME,
    Div::NAME,
    Pow::NAME,
    TanhBackward::NAME,
    SigmoidBackward::NAME,
    ThresholdBackward::NAME,
    GeluBackward::NAME,
    GeluTanhBackward::NAME,
    SiluBackward::NAME,
    DivTrunc::NAME,
    DivFloor::NAME,
    LeakyReluBackward::NAME,
    EluBackward::NAME,
    EluResultBackward::NAME,
    SoftplusBackward::NAME,
    LerpScalar::NAME,
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

/// An elementwise comparison, giving bool.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Comparison {
    /// PyTorch's operator name.
    pub fn name(self) -> &'static str {
        match self {
            Comparison::Eq => "eq",
            Comparison::Ne => "ne",
            Comparison::Lt => "lt",
            Comparison::Le => "le",
            Comparison::Gt => "gt",
            Comparison::Ge => "ge",
        }
    }

    #[inline]
    pub fn test<T: PartialOrd>(self, x: T, y: T) -> bool {
        match self {
            Comparison::Eq => x == y,
            Comparison::Ne => x != y,
            Comparison::Lt => x < y,
            Comparison::Le => x <= y,
            Comparison::Gt => x > y,
            Comparison::Ge => x >= y,
        }
    }
}
