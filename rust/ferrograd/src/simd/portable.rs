//! The fallback: fixed-size arrays with plain loops, which the compiler
//! vectorises for the build target's baseline (SSE2 on x86-64, NEON on
//! aarch64). `mul_add` rounds twice here, as a separate multiply and add.

use super::{Isa, Lanes, Level};

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

macro_rules! portable_lanes {
    ($t:ty, $lanes:expr) => {
        impl Lanes<$t> for Portable {
            type V = [$t; $lanes];
            const LANES: usize = $lanes;

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
                let mut lanes = v;
                let mut width = $lanes;
                while width > 1 {
                    width /= 2;
                    for i in 0..width {
                        lanes[i] += lanes[i + width];
                    }
                }
                lanes[0]
            }
        }
    };
}

portable_lanes!(f32, 8);
portable_lanes!(f64, 4);
