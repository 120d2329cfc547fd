//! The fallback: fixed-size arrays with plain loops, which the compiler
//! vectorises for the build target's baseline (SSE2 on x86-64, NEON on
//! aarch64). `mul_add` rounds twice here, as a separate multiply and add.

use super::{Isa, Lanes, Level};
use std::mem::MaybeUninit;

/// Any CPU.
#[derive(Clone, Copy, Debug)]
pub struct Portable(());

impl Portable {
    /// Needs no detection: every CPU runs it.
    pub fn new() -> Portable {
        Portable(())
    }
}

impl Default for Portable {
    fn default() -> Self {
        Portable::new()
    }
}

impl Isa for Portable {
    const LEVEL: Level = Level::Portable;
}

/// `$bits` is the unsigned integer of `$t`'s width, `$int` the signed
/// one; `$mant` its mantissa bits, `$bias` its exponent bias.
macro_rules! portable_lanes {
    ($t:ty, $lanes:expr, $bits:ty, $int:ty, $mant:expr, $bias:expr) => {
        impl Lanes<$t> for Portable {
            type V = [$t; $lanes];
            type M = [bool; $lanes];
            const LANES: usize = $lanes;

            #[inline(always)]
            fn store_uninit(self, dst: &mut [MaybeUninit<$t>], v: Self::V) {
                for (d, x) in dst[..$lanes].iter_mut().zip(v) {
                    d.write(x);
                }
            }

            #[inline(always)]
            fn lt(self, a: Self::V, b: Self::V) -> Self::M {
                std::array::from_fn(|i| a[i] < b[i])
            }

            #[inline(always)]
            fn le(self, a: Self::V, b: Self::V) -> Self::M {
                std::array::from_fn(|i| a[i] <= b[i])
            }

            #[inline(always)]
            fn eq(self, a: Self::V, b: Self::V) -> Self::M {
                std::array::from_fn(|i| a[i] == b[i])
            }

            #[inline(always)]
            fn select(self, m: Self::M, t: Self::V, f: Self::V) -> Self::V {
                std::array::from_fn(|i| if m[i] { t[i] } else { f[i] })
            }

            #[inline(always)]
            fn abs(self, a: Self::V) -> Self::V {
                a.map(<$t>::abs)
            }

            #[inline(always)]
            fn neg(self, a: Self::V) -> Self::V {
                a.map(|x| -x)
            }

            #[inline(always)]
            fn copysign(self, mag: Self::V, sign: Self::V) -> Self::V {
                std::array::from_fn(|i| mag[i].copysign(sign[i]))
            }

            #[inline(always)]
            fn round(self, a: Self::V) -> Self::V {
                a.map(<$t>::round_ties_even)
            }

            #[inline(always)]
            fn pow2(self, n: Self::V) -> Self::V {
                // `as` saturates and the arithmetic wraps: out-of-range `n`
                // gives some value, never a panic.
                n.map(|n| <$t>::from_bits(((n as $int).wrapping_add($bias) as $bits) << $mant))
            }

            #[inline(always)]
            fn exponent(self, x: Self::V) -> Self::V {
                let field = (1 << (<$bits>::BITS - 1 - $mant)) - 1;
                x.map(|x| ((x.to_bits() >> $mant) & field) as $t - $bias as $t)
            }

            #[inline(always)]
            fn mantissa(self, x: Self::V) -> Self::V {
                let one: $t = 1.0;
                x.map(|x| <$t>::from_bits((x.to_bits() & ((1 << $mant) - 1)) | one.to_bits()))
            }

            #[inline(always)]
            fn splat(self, x: $t) -> Self::V {
                [x; $lanes]
            }

            #[inline(always)]
            fn load(self, src: &[$t]) -> Self::V {
                let mut v = [0.0; $lanes];
                v.copy_from_slice(&src[..$lanes]);
                v
            }

            #[inline(always)]
            fn store(self, dst: &mut [$t], v: Self::V) {
                dst[..$lanes].copy_from_slice(&v);
            }

            #[inline(always)]
            fn add(self, a: Self::V, b: Self::V) -> Self::V {
                std::array::from_fn(|i| a[i] + b[i])
            }

            #[inline(always)]
            fn sub(self, a: Self::V, b: Self::V) -> Self::V {
                std::array::from_fn(|i| a[i] - b[i])
            }

            #[inline(always)]
            fn mul(self, a: Self::V, b: Self::V) -> Self::V {
                std::array::from_fn(|i| a[i] * b[i])
            }

            #[inline(always)]
            fn div(self, a: Self::V, b: Self::V) -> Self::V {
                std::array::from_fn(|i| a[i] / b[i])
            }

            #[inline(always)]
            fn mul_add(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V {
                std::array::from_fn(|i| a[i] * b[i] + c[i])
            }

            #[inline(always)]
            fn max(self, a: Self::V, b: Self::V) -> Self::V {
                // Same NaN rule as the x86 sets: `a` unless `b` is strictly larger.
                std::array::from_fn(|i| if b[i] > a[i] { b[i] } else { a[i] })
            }

            #[inline(always)]
            fn min(self, a: Self::V, b: Self::V) -> Self::V {
                std::array::from_fn(|i| if b[i] < a[i] { b[i] } else { a[i] })
            }

            #[inline(always)]
            fn reduce_sum(self, v: Self::V) -> $t {
                super::pairwise_sum(v)
            }
        }
    };
}

portable_lanes!(f32, 8, u32, i32, 23, 127);
portable_lanes!(f64, 4, u64, i64, 52, 1023);
