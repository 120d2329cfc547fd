//! AVX-512 and AVX2+FMA vectors. Every method is `#[inline(always)]`: it is
//! compiled into the `#[target_feature]` entry point (`run_avx512`,
//! `run_avx2`) that calls the kernel, so the intrinsics get those features.

use super::{Isa, Kernel, Lanes, Level};
use std::arch::x86_64::*;
use std::mem::MaybeUninit;

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
/// names of that width and element type; `$extra` names the macro that
/// writes the methods whose bodies differ between AVX-512 and AVX2
/// (comparisons, selects and exponent-bit work), with its arguments.
macro_rules! lanes {
    ($isa:ty, $t:ty, $v:ty, $lanes:expr, $set1:ident, $loadu:ident, $storeu:ident, $add:ident, $sub:ident,
     $mul:ident, $div:ident, $fmadd:ident, $max:ident, $min:ident, $and:ident, $andnot:ident, $or:ident, $xor:ident,
     $extra:ident!($($args:tt)*)) => {
        impl Lanes<$t> for $isa {
            type V = $v;
            const LANES: usize = $lanes;

            #[inline(always)]
            fn store_uninit(self, dst: &mut [MaybeUninit<$t>], v: $v) {
                let dst = &mut dst[..$lanes];
                // SAFETY: `dst` holds exactly LANES writable elements with `$t`'s layout; the set is present (see `splat`).
                unsafe { $storeu(dst.as_mut_ptr().cast(), v) }
            }

            #[inline(always)]
            fn abs(self, a: $v) -> $v {
                // SAFETY: the set is present (see `splat`).
                unsafe { $andnot(<Self as Lanes<$t>>::splat(self, -0.0), a) }
            }

            #[inline(always)]
            fn neg(self, a: $v) -> $v {
                // SAFETY: the set is present (see `splat`).
                unsafe { $xor(a, <Self as Lanes<$t>>::splat(self, -0.0)) }
            }

            #[inline(always)]
            fn copysign(self, mag: $v, sign: $v) -> $v {
                let bit = <Self as Lanes<$t>>::splat(self, -0.0);
                // SAFETY: the set is present (see `splat`).
                unsafe { $or($andnot(bit, mag), $and(bit, sign)) }
            }

            $extra!($t, $v, $($args)*);

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
                super::pairwise_sum(lanes)
            }
        }
    };
}

/// AVX-512's own forms: mask registers, and exponent work by
/// `getexp`/`getmant`/`scalef`.
macro_rules! avx512_extra {
    ($t:ty, $v:ty, $m:ty, $cmp:ident, $blend:ident, $roundscale:ident, $scalef:ident, $getexp:ident, $getmant:ident) => {
        type M = $m;

        #[inline(always)]
        fn lt(self, a: $v, b: $v) -> $m {
            // SAFETY: the set is present (see `splat`).
            unsafe { $cmp::<_CMP_LT_OQ>(a, b) }
        }

        #[inline(always)]
        fn le(self, a: $v, b: $v) -> $m {
            // SAFETY: the set is present (see `splat`).
            unsafe { $cmp::<_CMP_LE_OQ>(a, b) }
        }

        #[inline(always)]
        fn eq(self, a: $v, b: $v) -> $m {
            // SAFETY: the set is present (see `splat`).
            unsafe { $cmp::<_CMP_EQ_OQ>(a, b) }
        }

        #[inline(always)]
        fn select(self, m: $m, t: $v, f: $v) -> $v {
            // SAFETY: the set is present (see `splat`).
            unsafe { $blend(m, f, t) }
        }

        #[inline(always)]
        fn round(self, a: $v) -> $v {
            // SAFETY: the set is present (see `splat`).
            unsafe { $roundscale::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(a) }
        }

        #[inline(always)]
        fn pow2(self, n: $v) -> $v {
            // SAFETY: the set is present (see `splat`).
            unsafe { $scalef(<Self as Lanes<$t>>::splat(self, 1.0), n) }
        }

        #[inline(always)]
        fn exponent(self, x: $v) -> $v {
            // SAFETY: the set is present (see `splat`).
            unsafe { $getexp(x) }
        }

        #[inline(always)]
        fn mantissa(self, x: $v) -> $v {
            // SAFETY: the set is present (see `splat`).
            unsafe { $getmant::<_MM_MANT_NORM_1_2, _MM_MANT_SIGN_SRC>(x) }
        }
    };
}

/// AVX2's forms: all-ones lanes as masks, and exponent work on the bits.
/// `$magic` is `2^MANT + BIAS`: adding it to a small integer-valued float
/// leaves `n + BIAS` in the low mantissa bits, which shift into the
/// exponent field; `$int` builds an integer vector from a bit pattern.
macro_rules! avx2_extra {
    ($t:ty, $v:ty, $cmp:ident, $blend:ident, $round:ident, $cast_in:ident, $cast_out:ident, $slli:ident, $srli:ident,
     $set1_int:ident, $int:ty, $andf:ident, $orf:ident, $mant:literal, $exp_mask:literal, $two_mant_bits:literal, $magic:expr) => {
        type M = $v;

        #[inline(always)]
        fn lt(self, a: $v, b: $v) -> $v {
            // SAFETY: the set is present (see `splat`).
            unsafe { $cmp::<_CMP_LT_OQ>(a, b) }
        }

        #[inline(always)]
        fn le(self, a: $v, b: $v) -> $v {
            // SAFETY: the set is present (see `splat`).
            unsafe { $cmp::<_CMP_LE_OQ>(a, b) }
        }

        #[inline(always)]
        fn eq(self, a: $v, b: $v) -> $v {
            // SAFETY: the set is present (see `splat`).
            unsafe { $cmp::<_CMP_EQ_OQ>(a, b) }
        }

        #[inline(always)]
        fn select(self, m: $v, t: $v, f: $v) -> $v {
            // SAFETY: the set is present (see `splat`).
            unsafe { $blend(f, t, m) }
        }

        #[inline(always)]
        fn round(self, a: $v) -> $v {
            // SAFETY: the set is present (see `splat`).
            unsafe { $round::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(a) }
        }

        #[inline(always)]
        fn pow2(self, n: $v) -> $v {
            let shifted = <Self as Lanes<$t>>::add(self, n, <Self as Lanes<$t>>::splat(self, $magic));
            // SAFETY: the set is present (see `splat`); casts and shifts only move bits.
            unsafe { $cast_out($slli::<$mant>($cast_in(shifted))) }
        }

        #[inline(always)]
        fn exponent(self, x: $v) -> $v {
            // The biased exponent, placed in the mantissa of 2^MANT so the
            // float's value is 2^MANT + biased exponent.
            // SAFETY: the set is present (see `splat`); casts and shifts only move bits.
            let e = unsafe {
                let biased = _mm256_and_si256($srli::<$mant>($cast_in(x)), $set1_int($exp_mask as $int));
                $cast_out(_mm256_or_si256(biased, $set1_int($two_mant_bits as $int)))
            };
            <Self as Lanes<$t>>::sub(self, e, <Self as Lanes<$t>>::splat(self, $magic))
        }

        #[inline(always)]
        fn mantissa(self, x: $v) -> $v {
            let fraction = <Self as Lanes<$t>>::splat(self, <$t>::from_bits((1 << $mant) - 1));
            // SAFETY: the set is present (see `splat`); bitwise ops only.
            unsafe { $orf($andf(fraction, x), <Self as Lanes<$t>>::splat(self, 1.0)) }
        }
    };
}

lanes!(Avx512, f32, __m512, 16, _mm512_set1_ps, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_add_ps, _mm512_sub_ps,
    _mm512_mul_ps, _mm512_div_ps, _mm512_fmadd_ps, _mm512_max_ps, _mm512_min_ps, _mm512_and_ps, _mm512_andnot_ps,
    _mm512_or_ps, _mm512_xor_ps,
    avx512_extra!(__mmask16, _mm512_cmp_ps_mask, _mm512_mask_blend_ps, _mm512_roundscale_ps, _mm512_scalef_ps,
        _mm512_getexp_ps, _mm512_getmant_ps));
lanes!(Avx512, f64, __m512d, 8, _mm512_set1_pd, _mm512_loadu_pd, _mm512_storeu_pd, _mm512_add_pd, _mm512_sub_pd,
    _mm512_mul_pd, _mm512_div_pd, _mm512_fmadd_pd, _mm512_max_pd, _mm512_min_pd, _mm512_and_pd, _mm512_andnot_pd,
    _mm512_or_pd, _mm512_xor_pd,
    avx512_extra!(__mmask8, _mm512_cmp_pd_mask, _mm512_mask_blend_pd, _mm512_roundscale_pd, _mm512_scalef_pd,
        _mm512_getexp_pd, _mm512_getmant_pd));
lanes!(Avx2, f32, __m256, 8, _mm256_set1_ps, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_add_ps, _mm256_sub_ps,
    _mm256_mul_ps, _mm256_div_ps, _mm256_fmadd_ps, _mm256_max_ps, _mm256_min_ps, _mm256_and_ps, _mm256_andnot_ps,
    _mm256_or_ps, _mm256_xor_ps,
    avx2_extra!(_mm256_cmp_ps, _mm256_blendv_ps, _mm256_round_ps, _mm256_castps_si256, _mm256_castsi256_ps,
        _mm256_slli_epi32, _mm256_srli_epi32, _mm256_set1_epi32, i32, _mm256_and_ps, _mm256_or_ps,
        23, 0xff, 0x4b00_0000, 8_388_608.0 + 127.0));
lanes!(Avx2, f64, __m256d, 4, _mm256_set1_pd, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_add_pd, _mm256_sub_pd,
    _mm256_mul_pd, _mm256_div_pd, _mm256_fmadd_pd, _mm256_max_pd, _mm256_min_pd, _mm256_and_pd, _mm256_andnot_pd,
    _mm256_or_pd, _mm256_xor_pd,
    avx2_extra!(_mm256_cmp_pd, _mm256_blendv_pd, _mm256_round_pd, _mm256_castpd_si256, _mm256_castsi256_pd,
        _mm256_slli_epi64, _mm256_srli_epi64, _mm256_set1_epi64x, i64, _mm256_and_pd, _mm256_or_pd,
        52, 0x7ff, 0x4330_0000_0000_0000, 4_503_599_627_370_496.0 + 1023.0));
