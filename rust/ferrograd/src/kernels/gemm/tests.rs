use super::*;
use crate::simd::{detected, level, set_level};

/// A deterministic value in [-1, 1) for index `i`.
fn value(i: usize) -> f64 {
    ((i.wrapping_mul(2654435761) % 2000) as f64) / 1000.0 - 1.0
}

/// The product in f64 through plain loops, for `a` stored (m x k) or, with
/// `a_t`, as its transpose (k x m); likewise `b`.
fn reference(m: usize, k: usize, n: usize, a: &[f64], a_t: bool, b: &[f64], b_t: bool) -> Vec<f64> {
    let at = |i: usize, p: usize| if a_t { a[p * m + i] } else { a[i * k + p] };
    let bt = |p: usize, j: usize| if b_t { b[j * k + p] } else { b[p * n + j] };
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k).map(|p| at(i, p) * bt(p, j)).sum();
        }
    }
    c
}

fn check<T: GemmElement + Into<f64>>(m: usize, k: usize, n: usize, a_t: bool, b_t: bool, threaded: bool, cast: fn(f64) -> T, tol: f64) {
    let a64: Vec<f64> = (0..m * k).map(value).collect();
    let b64: Vec<f64> = (0..k * n).map(|i| value(i + 7)).collect();
    let (a, b): (Vec<T>, Vec<T>) = (a64.iter().map(|&x| cast(x)).collect(), b64.iter().map(|&x| cast(x)).collect());
    let am = if a_t { MatRef { ptr: a.as_ptr(), rs: 1, cs: m as isize } } else { MatRef { ptr: a.as_ptr(), rs: k as isize, cs: 1 } };
    let bm = if b_t { MatRef { ptr: b.as_ptr(), rs: 1, cs: k as isize } } else { MatRef { ptr: b.as_ptr(), rs: n as isize, cs: 1 } };
    // NaN everywhere first: an element the product fails to write stays NaN and fails the check.
    let mut c = vec![std::mem::MaybeUninit::new(cast(f64::NAN)); m * n];
    // SAFETY: both operands are dense buffers of exactly the shapes named, and c holds m*n.
    unsafe { gemm(m, k, n, am, bm, &mut c, threaded) }.unwrap();
    // SAFETY: every element was initialised above (and gemm wrote each on success).
    let c: Vec<T> = c.iter().map(|x| unsafe { x.assume_init() }).collect();
    let want = reference(m, k, n, &a64, a_t, &b64, b_t);
    for (i, (&got, &want)) in c.iter().zip(&want).enumerate() {
        let got: f64 = got.into();
        assert!((got - want).abs() <= tol * (1.0 + want.abs()), "{m}x{k}x{n} a_t={a_t} b_t={b_t} at {i}: {got} vs {want} ({:?})", level());
    }
}

fn every_level() -> Vec<Level> {
    [Level::Portable, Level::Avx2, Level::Avx512].into_iter().filter(|&l| l <= detected()).collect()
}

#[test]
fn products_match_plain_loops_at_every_level_shape_and_layout() {
    let before = level();
    // Edges of every blocking size: MR (both AVX-512 heights), NR, KC, MC and NC, A read in place and packed, and empty sides.
    let shapes = [(1, 1, 1), (3, 5, 7), (8, 256, 32), (9, 257, 33), (17, 300, 70), (130, 40, 3), (64, 784, 128), (20, 30, 300), (2, 600, 4100), (28, 64, 40), (9, 193, 33), (256, 300, 70), (0, 3, 4), (3, 0, 4)];
    for l in every_level() {
        set_level(l);
        for &(m, k, n) in &shapes {
            for (a_t, b_t) in [(false, false), (true, false), (false, true), (true, true)] {
                for threaded in [false, true] {
                    check::<f32>(m, k, n, a_t, b_t, threaded, |x| x as f32, 1e-4 * (k as f64).sqrt().max(1.0));
                    check::<f64>(m, k, n, a_t, b_t, threaded, |x| x, 1e-12 * (k as f64).max(1.0));
                }
            }
        }
    }
    set_level(before);
}

#[test]
fn row_blocks_cover_every_sliver_in_near_equal_blocks() {
    for slivers in [1, 2, 5, 16, 17, 74, 147, 1000] {
        for threads in [1, 2, 3, 8] {
            let blocks = RowBlocks::new(slivers, threads);
            let sizes: Vec<usize> = (0..blocks.count).map(|b| blocks.slivers(b).len()).collect();
            let covered: Vec<usize> = (0..blocks.count).flat_map(|b| blocks.slivers(b)).collect();
            assert_eq!(covered, (0..slivers).collect::<Vec<_>>(), "{slivers} slivers, {threads} threads");
            assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1, "{sizes:?}");
            assert!(*sizes.iter().max().unwrap() <= MC_SLIVERS, "{sizes:?}");
            if slivers >= threads {
                assert_eq!(blocks.count % threads, 0, "{slivers} slivers in {} blocks for {threads} threads", blocks.count);
            }
        }
    }
}
