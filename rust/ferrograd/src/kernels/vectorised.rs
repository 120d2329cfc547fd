//! Elementwise kernels' vector forms over contiguous float slices: each
//! slice runs through `simd::dispatch` (the best instruction set), split
//! into chunks across threads above `PARALLEL_THRESHOLD`. Layouts these
//! do not cover (strided views, general broadcasting) answer `None` and
//! take the scalar loops in `elementwise`.

use super::named::{BinaryKernel, UnaryKernel, VecFloat};
use super::PARALLEL_THRESHOLD;
use crate::error::Result;
use crate::layout::{walk, Layout};
use crate::simd::{self, Isa, Lanes};
use crate::storage::vec_with_capacity;
use crate::strided::Strided;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Elements per parallel task: large enough to amortise the dispatch,
/// small enough to balance the threads.
const CHUNK: usize = 1 << 14;

/// One operand: a slice as long as the output, or a broadcast scalar.
#[derive(Clone, Copy)]
enum Operand<'a, T> {
    Slice(&'a [T]),
    Scalar(T),
}

impl<'a, T: Copy> Operand<'a, T> {
    fn range(self, start: usize, len: usize) -> Operand<'a, T> {
        match self {
            Operand::Slice(x) => Operand::Slice(&x[start..start + len]),
            scalar => scalar,
        }
    }
}

// The per-vector work is passed as `Source` types, not closures: a closure
// is a function of its own, compiled without the instruction set's target
// features, so its intrinsics would become calls.

/// An operand as the vector loop reads it.
trait Load<T: Copy + Default>: Copy {
    /// Lanes `i..i + LANES`, or the tail from `i` when not `full`.
    fn get<L: Lanes<T>>(self, s: L, i: usize, full: bool) -> L::V;
}

#[derive(Clone, Copy)]
struct Run<'a, T>(&'a [T]);

impl<T: Copy + Default> Load<T> for Run<'_, T> {
    #[inline(always)]
    fn get<L: Lanes<T>>(self, s: L, i: usize, full: bool) -> L::V {
        if full {
            s.load(&self.0[i..])
        } else {
            s.load_partial(&self.0[i..])
        }
    }
}

#[derive(Clone, Copy)]
struct Splat<T>(T);

impl<T: Copy + Default> Load<T> for Splat<T> {
    #[inline(always)]
    fn get<L: Lanes<T>>(self, s: L, _: usize, _: bool) -> L::V {
        s.splat(self.0)
    }
}

/// The output vector from element `i` on.
trait Source<T: VecFloat> {
    fn vector<L: Lanes<T>>(&self, s: L, i: usize, full: bool) -> L::V;
}

struct UnarySource<'a, K, X> {
    k: &'a K,
    x: X,
}

impl<K: UnaryKernel, T: VecFloat, X: Load<T>> Source<T> for UnarySource<'_, K, X> {
    #[inline(always)]
    fn vector<L: Lanes<T>>(&self, s: L, i: usize, full: bool) -> L::V {
        self.k.vector(s, self.x.get(s, i, full))
    }
}

struct BinarySource<'a, K, A, B> {
    k: &'a K,
    a: A,
    b: B,
}

impl<K: BinaryKernel, T: VecFloat, A: Load<T>, B: Load<T>> Source<T> for BinarySource<'_, K, A, B> {
    #[inline(always)]
    fn vector<L: Lanes<T>>(&self, s: L, i: usize, full: bool) -> L::V {
        self.k.vector(s, self.a.get(s, i, full), self.b.get(s, i, full))
    }
}

/// `out = k(x)` over one chunk.
struct UnaryChunk<'a, K, T> {
    k: &'a K,
    x: &'a [T],
    out: &'a mut [MaybeUninit<T>],
}

impl<K: UnaryKernel, T: VecFloat> simd::Kernel for UnaryChunk<'_, K, T> {
    type Output = ();

    #[inline(always)]
    fn run<S: Isa>(self, isa: S) {
        fill(T::vectors(isa), self.out, &UnarySource { k: self.k, x: Run(self.x) });
    }
}

/// `out = k(a, b)` over one chunk.
struct BinaryChunk<'a, K, T> {
    k: &'a K,
    a: Operand<'a, T>,
    b: Operand<'a, T>,
    out: &'a mut [MaybeUninit<T>],
}

impl<K: BinaryKernel, T: VecFloat> simd::Kernel for BinaryChunk<'_, K, T> {
    type Output = ();

    #[inline(always)]
    fn run<S: Isa>(self, isa: S) {
        let (s, k, out) = (T::vectors(isa), self.k, self.out);
        // One loop per pairing, so the scalar's splat stays out of it.
        match (self.a, self.b) {
            (Operand::Slice(a), Operand::Slice(b)) => fill(s, out, &BinarySource { k, a: Run(a), b: Run(b) }),
            (Operand::Slice(a), Operand::Scalar(y)) => fill(s, out, &BinarySource { k, a: Run(a), b: Splat(y) }),
            (Operand::Scalar(x), Operand::Slice(b)) => fill(s, out, &BinarySource { k, a: Splat(x), b: Run(b) }),
            (Operand::Scalar(x), Operand::Scalar(y)) => fill(s, out, &BinarySource { k, a: Splat(x), b: Splat(y) }),
        }
    }
}

/// `dst = k(dst, b)` in place over one chunk.
struct AssignChunk<'a, K, T> {
    k: &'a K,
    dst: &'a mut [T],
    b: Operand<'a, T>,
}

impl<K: BinaryKernel, T: VecFloat> simd::Kernel for AssignChunk<'_, K, T> {
    type Output = ();

    #[inline(always)]
    fn run<S: Isa>(self, isa: S) {
        let s = T::vectors(isa);
        match self.b {
            Operand::Slice(b) => assign(s, self.k, self.dst, Run(b)),
            Operand::Scalar(y) => assign(s, self.k, self.dst, Splat(y)),
        }
    }
}

#[inline(always)]
fn assign<T: VecFloat, L: Lanes<T>, K: BinaryKernel>(s: L, k: &K, dst: &mut [T], b: impl Load<T>) {
    let lanes = L::LANES;
    let mut at = 0;
    let mut rows = dst.chunks_exact_mut(lanes);
    for d in &mut rows {
        s.store(d, k.vector(s, s.load(d), b.get(s, at, true)));
        at += lanes;
    }
    let tail = rows.into_remainder();
    if !tail.is_empty() {
        s.store_partial(tail, k.vector(s, s.load_partial(tail), b.get(s, at, false)));
    }
}

/// Writes every element of `out`, a vector at a time from `src`.
#[inline(always)]
fn fill<T: VecFloat, L: Lanes<T>>(s: L, out: &mut [MaybeUninit<T>], src: &impl Source<T>) {
    let lanes = L::LANES;
    let mut at = 0;
    let mut rows = out.chunks_exact_mut(lanes);
    for o in &mut rows {
        s.store_uninit(o, src.vector(s, at, true));
        at += lanes;
    }
    let tail = rows.into_remainder();
    if !tail.is_empty() {
        s.store_uninit_partial(tail, src.vector(s, at, false));
    }
}

/// A fresh vector of `n` elements, each written by `write` (given the
/// whole uninitialised buffer, which it must fill) without zeroing first.
fn fresh<T: Send>(n: usize, write: impl FnOnce(&mut [MaybeUninit<T>])) -> Result<Vec<T>> {
    let mut v = vec_with_capacity(n)?;
    write(&mut v.spare_capacity_mut()[..n]);
    // SAFETY: the capacity holds `n` elements and `write` (`split` over `fill`) stored every one of them.
    unsafe { v.set_len(n) };
    Ok(v)
}

/// `f(start, part)` over `out` split at `start` offsets: in chunks on the
/// thread pool for large outputs, else in one piece here.
fn split<U: Send>(out: &mut [U], f: impl Fn(usize, &mut [U]) + Sync) {
    if out.len() >= PARALLEL_THRESHOLD {
        crate::threads::parallel(|| out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, part)| f(c * CHUNK, part)));
    } else {
        f(0, out);
    }
}

/// `k(x)` for every element of a contiguous slice.
pub fn unary_slice<K: UnaryKernel, T: VecFloat>(k: &K, x: &[T]) -> Result<Vec<T>> {
    fresh(x.len(), |out| {
        split(out, |start, out| {
            let x = &x[start..start + out.len()];
            simd::dispatch(UnaryChunk { k, x, out })
        })
    })
}

fn binary_operands<K: BinaryKernel, T: VecFloat>(k: &K, n: usize, a: Operand<'_, T>, b: Operand<'_, T>) -> Result<Vec<T>> {
    fresh(n, |out| {
        split(out, |start, out| {
            let len = out.len();
            simd::dispatch(BinaryChunk { k, a: a.range(start, len), b: b.range(start, len), out })
        })
    })
}

/// `k(x)` over `x` when its elements are one contiguous run.
pub fn map<K: UnaryKernel, T: VecFloat>(k: &K, x: &Strided) -> Option<Result<Vec<T>>> {
    let range = x.layout().contiguous_range()?;
    let buffer = match x.storage().read() { Ok(g) => g, Err(e) => return Some(Err(e)) };
    let data = T::slice(&buffer)?;
    Some(unary_slice(k, &data[range]))
}

/// Where an operand's elements are, broadcast to the output: all of them
/// in one contiguous run, or one element repeated.
enum Place {
    Run(std::ops::Range<usize>),
    Repeated(usize),
}

fn place(layout: &Layout) -> Option<Place> {
    if let Some(range) = layout.contiguous_range() {
        return Some(Place::Run(range));
    }
    layout.strides().iter().all(|&s| s == 0).then(|| Place::Repeated(layout.offset()))
}

fn operand<'a, T: Copy>(data: &'a [T], place: &Place) -> Option<Operand<'a, T>> {
    match place {
        Place::Run(range) => data.get(range.clone()).map(Operand::Slice),
        Place::Repeated(at) => data.get(*at).map(|&v| Operand::Scalar(v)),
    }
}

/// `k(a, b)` after broadcasting both to `shape`, when each is contiguous
/// at that shape or a single repeated element (the `x * 2` case), or else
/// row by row when along the last dim each is a run or one repeated
/// element (a bias row, a `keepdim` column).
pub fn zip<K: BinaryKernel, T: VecFloat>(k: &K, a: &Strided, b: &Strided, shape: &[usize]) -> Option<Result<Vec<T>>> {
    let la = a.layout().broadcast_to(shape).ok()?;
    let lb = b.layout().broadcast_to(shape).ok()?;
    let (ga, gb) = (match a.storage().read() { Ok(g) => g, Err(e) => return Some(Err(e)) }, match b.storage().read() { Ok(g) => g, Err(e) => return Some(Err(e)) });
    let (da, db) = (T::slice(&ga)?, T::slice(&gb)?);
    match (place(&la), place(&lb)) {
        (Some(pa), Some(pb)) => Some(binary_operands(k, la.numel(), operand(da, &pa)?, operand(db, &pb)?)),
        _ => zip_rows(k, da, &la, db, &lb),
    }
}

/// Rows shorter than this take the scalar walk: per-row dispatch would cost
/// more than it saves.
const MIN_ROW: usize = 16;

/// Where each row of an operand starts, and whether the row is a run
/// (inner stride 1) or one element repeated (inner stride 0).
struct RowStarts {
    starts: Vec<usize>,
    run: bool,
}

/// Row starts of two operands broadcast to one shape, checked to lie
/// inside their buffers; `None` when the last dim is short or either
/// operand strides along it by anything but 0 or 1.
fn row_starts(la: &Layout, a_len: usize, lb: &Layout, b_len: usize) -> Option<(usize, RowStarts, RowStarts)> {
    let shape = la.shape();
    let (&len, outer) = shape.split_last()?;
    let (sa, sb) = (*la.strides().last()?, *lb.strides().last()?);
    if len < MIN_ROW || !matches!(sa, 0 | 1) || !matches!(sb, 0 | 1) {
        return None;
    }
    let rows = outer.iter().product::<usize>();
    let (mut a, mut b) = (vec_with_capacity(rows).ok()?, vec_with_capacity(rows).ok()?);
    let outer_strides = [&la.strides()[..outer.len()], &lb.strides()[..outer.len()]];
    walk(outer, &outer_strides, &[la.offset(), lb.offset()], |[i, j]| {
        a.push(i);
        b.push(j);
    });
    let fits = |starts: &[usize], run: bool, data_len: usize| {
        let extent = if run { len } else { 1 };
        starts.iter().all(|&s| s.checked_add(extent).is_some_and(|end| end <= data_len))
    };
    let (a_run, b_run) = (sa == 1, sb == 1);
    (a.len() == rows && fits(&a, a_run, a_len) && fits(&b, b_run, b_len)).then(|| (len, RowStarts { starts: a, run: a_run }, RowStarts { starts: b, run: b_run }))
}

fn zip_rows<K: BinaryKernel, T: VecFloat>(k: &K, da: &[T], la: &Layout, db: &[T], lb: &Layout) -> Option<Result<Vec<T>>> {
    let (len, a, b) = row_starts(la, da.len(), lb, db.len())?;
    let rows_per_task = (CHUNK / len).max(1);
    Some(fresh(la.numel(), |out| {
        let task = |(r, out): (usize, &mut [MaybeUninit<T>])| {
            let rows = r * rows_per_task..(r * rows_per_task + out.len() / len);
            let (a, b) = ((&a.starts[rows.clone()], a.run), (&b.starts[rows], b.run));
            simd::dispatch(RowsChunk { k, da, db, a, b, len, out })
        };
        if out.len() >= PARALLEL_THRESHOLD {
            crate::threads::parallel(|| out.par_chunks_mut(rows_per_task * len).enumerate().for_each(task));
        } else {
            out.chunks_mut(rows_per_task * len).enumerate().for_each(task);
        }
    }))
}

/// `out = k(a, b)` over whole rows of `len`, each operand's row a run or
/// one repeated element of its buffer.
struct RowsChunk<'a, K, T> {
    k: &'a K,
    da: &'a [T],
    db: &'a [T],
    a: (&'a [usize], bool),
    b: (&'a [usize], bool),
    len: usize,
    out: &'a mut [MaybeUninit<T>],
}

impl<K: BinaryKernel, T: VecFloat> simd::Kernel for RowsChunk<'_, K, T> {
    type Output = ();

    #[inline(always)]
    fn run<S: Isa>(self, isa: S) {
        let (s, k, len) = (T::vectors(isa), self.k, self.len);
        let rows = self.a.0.iter().zip(self.b.0).zip(self.out.chunks_exact_mut(len));
        // One loop per pairing, so the choice is made once, not per row
        // (and plain loops: a closure would lose the instruction set).
        match (self.a.1, self.b.1) {
            (true, true) => {
                for ((&i, &j), out) in rows {
                    fill(s, out, &BinarySource { k, a: Run(&self.da[i..i + len]), b: Run(&self.db[j..j + len]) });
                }
            }
            (true, false) => {
                for ((&i, &j), out) in rows {
                    fill(s, out, &BinarySource { k, a: Run(&self.da[i..i + len]), b: Splat(self.db[j]) });
                }
            }
            (false, true) => {
                for ((&i, &j), out) in rows {
                    fill(s, out, &BinarySource { k, a: Splat(self.da[i]), b: Run(&self.db[j..j + len]) });
                }
            }
            (false, false) => {
                for ((&i, &j), out) in rows {
                    fill(s, out, &BinarySource { k, a: Splat(self.da[i]), b: Splat(self.db[j]) });
                }
            }
        }
    }
}

/// `dst = k(dst, src)` in place, `src` broadcast to `dst`'s shape, when
/// `dst` is contiguous and `src` contiguous or one repeated element. The
/// caller guarantees the two do not share storage.
pub fn zip_assign<K: BinaryKernel, T: VecFloat>(k: &K, dst: &Strided, src: &Strided) -> Option<Result<()>> {
    let rd = dst.layout().contiguous_range()?;
    let ls = src.layout().broadcast_to(dst.shape()).ok()?;
    let ps = place(&ls)?;
    let gs = match src.storage().read() { Ok(g) => g, Err(e) => return Some(Err(e)) };
    let b = operand(T::slice(&gs)?, &ps)?;
    let mut gd = match dst.storage().write() {
        Ok(guard) => guard,
        Err(e) => return Some(Err(e)),
    };
    let dd = T::slice_mut(&mut gd)?.get_mut(rd)?;
    if let Operand::Slice(s) = b {
        if s.len() != dd.len() {
            return None;
        }
    }
    split(dd, |start, dst| {
        let len = dst.len();
        simd::dispatch(AssignChunk { k, dst, b: b.range(start, len) })
    });
    Some(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::named::*;
    use crate::kernels::pointwise::FloatMath;
    use crate::simd::Level;
    use crate::storage::{Element, Numeric, Storage};

    fn levels() -> Vec<Level> {
        [Level::Portable, Level::Avx2, Level::Avx512].into_iter().filter(|&l| l <= simd::detected()).collect()
    }

    /// Values with every awkward case, in a length that leaves a tail.
    fn sample<T: Numeric>(n: usize) -> Vec<T> {
        let special = [f64::NAN, -0.0, 0.0, f64::INFINITY, f64::NEG_INFINITY, 1e-40, -3.0];
        (0..n).map(|i| T::from_f64(if i % 11 < special.len() && i % 3 == 0 { special[i % 11] } else { (i as f64 * 0.37).sin() * 6.0 })).collect()
    }

    fn same<T: FloatMath + Numeric>(a: T, b: T) -> bool {
        a.to_f64().to_bits() == b.to_f64().to_bits() || (FloatMath::is_nan(a) && FloatMath::is_nan(b))
    }

    fn run_unary<K: UnaryKernel, T: VecFloat>(level: Level, k: &K, x: &[T]) -> Vec<T> {
        let out = fresh(x.len(), |out| simd::dispatch_at(level, UnaryChunk { k, x, out }));
        out.expect("alloc")
    }

    fn run_binary<K: BinaryKernel, T: VecFloat>(level: Level, k: &K, a: Operand<'_, T>, b: Operand<'_, T>, n: usize) -> Vec<T> {
        fresh(n, |out| simd::dispatch_at(level, BinaryChunk { k, a, b, out })).expect("alloc")
    }

    /// Every level's vector form gives the scalar kernel's bits.
    fn exact_unary<K: UnaryKernel, T: VecFloat>(k: K) {
        for n in [0, 1, 7, 8, 17, 100] {
            let x = sample::<T>(n);
            for level in levels() {
                for (i, (&v, &got)) in x.iter().zip(&run_unary(level, &k, &x)).enumerate() {
                    assert!(same(got, k.float(v)), "{} {level:?} [{i}] {v:?}: {got:?}", K::NAME);
                }
            }
        }
    }

    fn exact_binary<K: BinaryKernel, T: VecFloat>(k: K) {
        for n in [1, 7, 8, 17, 100] {
            let (a, b) = (sample::<T>(n), sample::<T>(n + 3)[3..].to_vec());
            let y = T::from_f64(-1.25);
            for level in levels() {
                let pairs = run_binary(level, &k, Operand::Slice(&a), Operand::Slice(&b), n);
                let right = run_binary(level, &k, Operand::Slice(&a), Operand::Scalar(y), n);
                let left = run_binary(level, &k, Operand::Scalar(y), Operand::Slice(&b), n);
                for i in 0..n {
                    assert!(same(pairs[i], k.float(a[i], b[i])), "{} {level:?} [{i}]", K::NAME);
                    assert!(same(right[i], k.float(a[i], y)), "{} {level:?} [{i}] scalar rhs", K::NAME);
                    assert!(same(left[i], k.float(y, b[i])), "{} {level:?} [{i}] scalar lhs", K::NAME);
                }
                let mut dst = a.clone();
                simd::dispatch_at(level, AssignChunk { k: &k, dst: &mut dst, b: Operand::Slice(&b) });
                assert!(dst.iter().zip(&pairs).all(|(&x, &y)| same(x, y)), "{} {level:?} in place", K::NAME);
            }
        }
    }

    #[test]
    fn exact_kernels_match_the_scalar_ones_bit_for_bit() {
        fn all<T: VecFloat>() {
            exact_unary::<_, T>(Neg);
            exact_unary::<_, T>(Relu);
            exact_unary::<_, T>(Abs);
            exact_unary::<_, T>(Reciprocal);
            exact_binary::<_, T>(Add);
            exact_binary::<_, T>(Sub);
            exact_binary::<_, T>(Mul);
            exact_binary::<_, T>(Div);
            exact_binary::<_, T>(TanhBackward);
            exact_binary::<_, T>(SigmoidBackward);
            exact_binary::<_, T>(ThresholdBackward);
        }
        all::<f32>();
        all::<f64>();
    }

    #[test]
    fn float64_math_kernels_are_the_scalar_ones() {
        exact_unary::<_, f64>(Exp);
        exact_unary::<_, f64>(Log);
        exact_unary::<_, f64>(Tanh);
        exact_unary::<_, f64>(Sigmoid);
        exact_unary::<_, f64>(Erf);
        exact_unary::<_, f64>(Silu);
        exact_unary::<_, f64>(Gelu);
        exact_unary::<_, f64>(GeluTanh);
        for level in levels() {
            let (g, x) = (sample::<f64>(100), sample::<f64>(103)[3..].to_vec());
            let exact = run_binary(level, &GeluBackward, Operand::Slice(&g), Operand::Slice(&x), 100);
            let tanh = run_binary(level, &GeluTanhBackward, Operand::Slice(&g), Operand::Slice(&x), 100);
            let silu = run_binary(level, &SiluBackward, Operand::Slice(&g), Operand::Slice(&x), 100);
            assert!((0..100).all(|i| same(exact[i], GeluBackward.float(g[i], x[i]))), "{level:?}");
            assert!((0..100).all(|i| same(tanh[i], GeluTanhBackward.float(g[i], x[i]))), "{level:?}");
            assert!((0..100).all(|i| same(silu[i], SiluBackward.float(g[i], x[i]))), "{level:?}");
        }
    }

    /// float32 transcendental kernels stay within a few ulp of float64,
    /// scaled by |x| too: GELU's `1 + erf` cancels for negative x in float32
    /// whichever way erf is computed.
    fn close_unary<K: UnaryKernel>(k: K) {
        let x = sample::<f32>(1000);
        for level in levels() {
            for (&v, &got) in x.iter().zip(&run_unary(level, &k, &x)) {
                let want = k.float(f64::from(v));
                let scale = want.abs().max(f64::from(v).abs());
                let ok = (f64::from(got) - want).abs() <= 4.0 * f64::from(f32::EPSILON) * scale + 1e-38 || same(f64::from(got), want);
                assert!(ok, "{} {level:?} {v}: {got} vs {want}", K::NAME);
            }
        }
    }

    #[test]
    fn float32_math_kernels_are_close_to_float64() {
        close_unary(Exp);
        close_unary(Log);
        close_unary(Tanh);
        close_unary(Sigmoid);
        close_unary(Erf);
        close_unary(Silu);
        close_unary(Gelu);
        close_unary(GeluTanh);
    }

    fn strided<T: Element>(values: Vec<T>, shape: &[usize]) -> Strided {
        let layout = Layout::contiguous(shape).expect("layout");
        Strided::new(Storage::new(T::into_buffer(values)), layout, T::DTYPE).expect("strided")
    }

    #[test]
    fn large_tensors_split_across_threads_and_broadcast_scalars() {
        let n = 3 * PARALLEL_THRESHOLD + 5;
        let a: Vec<f32> = (0..n).map(|i| i as f32 * 0.5 - 7.0).collect();
        let b: Vec<f32> = (0..n).map(|i| (i % 13) as f32 - 6.0).collect();
        let (ta, tb) = (strided(a.clone(), &[n]), strided(b.clone(), &[n]));
        let two = strided(vec![2.0f32], &[1]);
        let got = zip::<_, f32>(&Mul, &ta, &two, &[n]).expect("covered").expect("ok");
        assert!(got.iter().zip(&a).all(|(&g, &x)| g == x * 2.0));
        let got = zip::<_, f32>(&Sub, &two, &ta, &[n]).expect("covered").expect("ok");
        assert!(got.iter().zip(&a).all(|(&g, &x)| g == 2.0 - x));
        let got = zip::<_, f32>(&Add, &ta, &tb, &[n]).expect("covered").expect("ok");
        assert!(got.iter().zip(a.iter().zip(&b)).all(|(&g, (&x, &y))| g == x + y));
        let got = map::<_, f32>(&Relu, &ta).expect("covered").expect("ok");
        assert!(got.iter().zip(&a).all(|(&g, &x)| g == x.max(0.0)));
        zip_assign::<_, f32>(&Add, &ta, &tb).expect("covered").expect("ok");
        zip_assign::<_, f32>(&Mul, &ta, &two).expect("covered").expect("ok");
        let after = ta.to_vec::<f32>().expect("read");
        assert!(after.iter().zip(a.iter().zip(&b)).all(|(&g, (&x, &y))| g == (x + y) * 2.0));
        // A transposed view is not covered: the scalar loops take it.
        let m = strided((0..6).map(|i| i as f32).collect(), &[2, 3]);
        let t = Strided::new(m.storage().clone(), m.layout().transpose(0, 1), f32::DTYPE).expect("view");
        assert!(map::<_, f32>(&Exp, &t).is_none());
    }

    /// Every pairing of row runs and repeated elements (a bias row, a
    /// `keepdim` column, a transposed operand's rows) against index
    /// arithmetic, at every level, above and below the thread split.
    #[test]
    fn broadcast_rows_match_the_scalar_walk() {
        let before = simd::level();
        for level in levels() {
            // Other tests may move the level meanwhile; every level gives these results.
            simd::set_level(level);
            for (rows, len) in [(3, 17), (5, 40), (2 * PARALLEL_THRESHOLD / 33 + 1, 33)] {
                let n = rows * len;
                let full: Vec<f64> = sample(n);
                let row: Vec<f64> = sample::<f64>(len + 3)[3..].to_vec();
                let col: Vec<f64> = (0..rows).map(|i| i as f64 * 0.25 - 1.0).collect();
                let a = strided(full.clone(), &[rows, len]);
                let b_row = strided(row.clone(), &[len]);
                let b_col = strided(col.clone(), &[rows, 1]);
                let expect = |f: &dyn Fn(usize, usize) -> f64, got: Vec<f64>| {
                    for (i, g) in got.iter().enumerate() {
                        let want = f(i / len, i % len);
                        assert!(same(*g, want), "{level:?} {rows}x{len} at {i}: {g} vs {want}");
                    }
                };
                let got = zip::<_, f64>(&Add, &a, &b_row, &[rows, len]).expect("covered").expect("ok");
                expect(&|r, c| full[r * len + c] + row[c], got);
                let got = zip::<_, f64>(&Sub, &b_col, &a, &[rows, len]).expect("covered").expect("ok");
                expect(&|r, c| col[r] - full[r * len + c], got);
                let got = zip::<_, f64>(&Mul, &b_col, &b_row, &[rows, len]).expect("covered").expect("ok");
                expect(&|r, c| col[r] * row[c], got);
                let got = zip::<_, f64>(&Div, &b_col, &b_col.clone(), &[rows, len]).expect("covered").expect("ok");
                expect(&|r, _| col[r] / col[r], got);
            }
        }
        simd::set_level(before);
        // Short rows and strided last dims stay with the scalar walk.
        let a = strided(sample::<f32>(8), &[2, 4]);
        let b = strided(sample::<f32>(4), &[4]);
        assert!(zip::<_, f32>(&Add, &a, &b, &[2, 4]).is_none());
        let m = strided(sample::<f32>(40 * 20), &[40, 20]);
        let t = Strided::new(m.storage().clone(), m.layout().transpose(0, 1), f32::DTYPE).expect("view");
        assert!(zip::<_, f32>(&Add, &t, &strided(sample::<f32>(40), &[40]), &[20, 40]).is_none());
    }
}
