//! AVX-512 and AVX2+FMA vectors. Every method is `#[inline(always)]`: it is
//! compiled into the `#[target_feature]` entry point (`run_avx512`,
//! `run_avx2`) that calls the kernel, so the intrinsics get those features.

use super::{Isa, Kernel, Lanes, Level};
use std::arch::x86_64::*;

/// AVX-512 (F, VL, DQ, BW) with AVX2 and FMA: the x86-64-v4 level.
#[derive(Clone, Copy, Debug)]
pub struct Avx512(());

/// AVX2 with FMA: the x86-64-v3 level.
#[derive(Clone, Copy, Debug)]
pub struct Avx2(());

#[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")]
pub(super) fn run_avx512<K: Kernel>(kernel: K) -> K::Output {
    kernel.run(Avx512(()))
}

#[target_feature(enable = "avx2,fma")]
pub(super) fn run_avx2<K: Kernel>(kernel: K) -> K::Output {
    kernel.run(Avx2(()))
}

impl Isa for Avx512 {
    const LEVEL: Level = Level::Avx512;
}

impl Isa for Avx2 {
    const LEVEL: Level = Level::Avx2;
}

/// One `Lanes` impl: `$isa` vectors of `$t` in `$v`, from the intrinsic
/// names of that width and element type.
macro_rules! lanes {
    ($isa:ty, $t:ty, $v:ty, $lanes:expr, $set1:ident, $loadu:ident, $storeu:ident, $add:ident, $sub:ident,
     $mul:ident, $div:ident, $fmadd:ident, $max:ident, $min:ident) => {
        impl Lanes<$t> for $isa {
            type V = $v;
            const LANES: usize = $lanes;

            #[inline(always)]
            fn splat(self, x: $t) -> $v {
                // SAFETY: `self` exists only where the CPU has this instruction set (see `dispatch`).
                unsafe { $set1(x) }
            }

            #[inline(always)]
            fn load(self, src: &[$t]) -> $v {
                let src = &src[..$lanes];
                // SAFETY: `src` holds exactly LANES elements; unaligned loads are allowed; the set is present (see `splat`).
                unsafe { $loadu(src.as_ptr().cast()) }
            }

            #[inline(always)]
            fn store(self, dst: &mut [$t], v: $v) {
                let dst = &mut dst[..$lanes];
                // SAFETY: `dst` holds exactly LANES writable elements; the set is present (see `splat`).
                unsafe { $storeu(dst.as_mut_ptr().cast(), v) }
            }

            #[inline(always)]
            fn add(self, a: $v, b: $v) -> $v {
                // SAFETY: the set is present (see `splat`).
                unsafe { $add(a, b) }
            }

            #[inline(always)]
            fn sub(self, a: $v, b: $v) -> $v {
                // SAFETY: the set is present (see `splat`).
                unsafe { $sub(a, b) }
            }

            #[inline(always)]
            fn mul(self, a: $v, b: $v) -> $v {
                // SAFETY: the set is present (see `splat`).
                unsafe { $mul(a, b) }
            }

            #[inline(always)]
            fn div(self, a: $v, b: $v) -> $v {
                // SAFETY: the set is present (see `splat`).
                unsafe { $div(a, b) }
            }

            #[inline(always)]
            fn mul_add(self, a: $v, b: $v, c: $v) -> $v {
                // SAFETY: the set is present (see `splat`); both levels include FMA.
                unsafe { $fmadd(a, b, c) }
            }

            #[inline(always)]
            fn max(self, a: $v, b: $v) -> $v {
                // x86 max returns its second operand when either is NaN, so
                // `a` goes second to carry its NaN through.
                // SAFETY: the set is present (see `splat`).
                unsafe { $max(b, a) }
            }

            #[inline(always)]
            fn min(self, a: $v, b: $v) -> $v {
                // SAFETY: the set is present (see `splat`); operand order as in `max`.
                unsafe { $min(b, a) }
            }

            #[inline(always)]
            fn reduce_sum(self, v: $v) -> $t {
                let mut lanes = [<$t>::default(); $lanes];
                self.store(&mut lanes, v);
                // Pairwise, so the order is fixed and the error small.
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

lanes!(Avx512, f32, __m512, 16, _mm512_set1_ps, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_add_ps, _mm512_sub_ps,
    _mm512_mul_ps, _mm512_div_ps, _mm512_fmadd_ps, _mm512_max_ps, _mm512_min_ps);
lanes!(Avx512, f64, __m512d, 8, _mm512_set1_pd, _mm512_loadu_pd, _mm512_storeu_pd, _mm512_add_pd, _mm512_sub_pd,
    _mm512_mul_pd, _mm512_div_pd, _mm512_fmadd_pd, _mm512_max_pd, _mm512_min_pd);
lanes!(Avx2, f32, __m256, 8, _mm256_set1_ps, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_add_ps, _mm256_sub_ps,
    _mm256_mul_ps, _mm256_div_ps, _mm256_fmadd_ps, _mm256_max_ps, _mm256_min_ps);
lanes!(Avx2, f64, __m256d, 4, _mm256_set1_pd, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_add_pd, _mm256_sub_pd,
    _mm256_mul_pd, _mm256_div_pd, _mm256_fmadd_pd, _mm256_max_pd, _mm256_min_pd);
