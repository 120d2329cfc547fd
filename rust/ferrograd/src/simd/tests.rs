use super::*;

/// `out[i] = max(a[i] * b[i] + a[i], 0)` and the sum of `a`, vector by vector with a partial tail.
struct Sample<'a> {
    a: &'a [f32],
    b: &'a [f32],
}

impl Kernel for Sample<'_> {
    type Output = (Vec<f32>, f32);

    #[inline(always)]
    fn run<S: Isa>(self, s: S) -> (Vec<f32>, f32) {
        let s = s.of::<f32>();
        let lanes = <S as Lanes<f32>>::LANES;
        let mut out = vec![0.0; self.a.len()];
        let mut total = s.zero();
        for ((oa, a), b) in out.chunks_mut(lanes).zip(self.a.chunks(lanes)).zip(self.b.chunks(lanes)) {
            let (va, vb) = (s.load_partial(a), s.load_partial(b));
            let r = s.max(s.mul_add(va, vb, va), s.zero());
            s.store_partial(oa, r);
            total = s.add(total, va);
        }
        (out, s.reduce_sum(total))
    }
}

fn every_level() -> Vec<Level> {
    [Level::Portable, Level::Avx2, Level::Avx512].into_iter().filter(|&l| l <= detected()).collect()
}

#[test]
fn every_level_agrees_with_scalar_code() {
    let a: Vec<f32> = (0..37).map(|i| (i as f32 - 18.0) * 0.25).collect();
    let b: Vec<f32> = (0..37).map(|i| (i as f32) * 0.5 - 3.0).collect();
    let want: Vec<f32> = a.iter().zip(&b).map(|(&x, &y)| (x * y + x).max(0.0)).collect();
    let want_sum: f32 = a.iter().sum();
    let before = level();
    for l in every_level() {
        assert_eq!(set_level(l), l);
        let (got, sum) = dispatch(Sample { a: &a, b: &b });
        assert_eq!(got, want, "{l:?}");
        assert!((sum - want_sum).abs() < 1e-4, "{l:?}: {sum} vs {want_sum}");
    }
    set_level(before);
}

#[test]
fn max_and_min_carry_a_nan_in_the_first_operand() {
    struct NanRule;
    impl Kernel for NanRule {
        type Output = [f64; 4];
        #[inline(always)]
        fn run<S: Isa>(self, s: S) -> [f64; 4] {
            let s = s.of::<f64>();
            let (nan, one) = (s.splat(f64::NAN), s.splat(1.0));
            let mut out = [0.0; 4];
            for (slot, v) in out.iter_mut().zip([s.max(nan, one), s.min(nan, one), s.max(one, nan), s.min(one, nan)]) {
                let mut lanes = [0.0; MAX_LANES];
                s.store(&mut lanes, v);
                *slot = lanes[0];
            }
            out
        }
    }
    let before = level();
    for l in every_level() {
        set_level(l);
        let [a, b, c, d] = dispatch(NanRule);
        assert!(a.is_nan() && b.is_nan(), "{l:?}");
        assert_eq!((c, d), (1.0, 1.0), "{l:?}");
    }
    set_level(before);
}

#[test]
fn set_level_never_exceeds_the_cpu() {
    let before = level();
    assert!(set_level(Level::Avx512) <= detected());
    set_level(before);
}
