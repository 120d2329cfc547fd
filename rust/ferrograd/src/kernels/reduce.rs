//! Reductions over a set of dims. The input is viewed with kept dims first
//! and reduced dims last, so each output element owns one consecutive run of
//! the walk; no recursion and no per-element index math beyond the walk.

use super::PARALLEL_THRESHOLD;
use crate::error::{Error, Result};
use crate::layout::{walk, Layout};
use crate::simd::{self, Isa, Kernel, Lanes, SimdElement};
use crate::storage::{vec_with_capacity, Element};
use crate::strided::Strided;
use rayon::prelude::*;

/// Folds each group of elements that share the kept indices.
/// `dims` must be sorted, unique and in range. Returns values in output order.
pub fn reduce<T: Element, A: Copy + Send + Sync>(
    x: &Strided,
    dims: &[usize],
    init: A,
    fold: impl Fn(A, T) -> A + Sync + Send,
    combine: impl Fn(A, A) -> A,
    finish: impl Fn(A) -> T,
) -> Result<Vec<T>> {
    reduce_indexed(x, dims, init, move |a, v, _| fold(a, v), combine, finish)
}

/// The general fold behind `reduce`: `fold` also receives each element's
/// position within its group (row-major over the reduced dims, so the flat
/// index when every dim is reduced), and `finish` may return another type.
/// Argmax-style reductions keep (value, index) accumulators with it.
/// `combine(a, b)` always gets the earlier part of a group as `a`.
pub fn reduce_indexed<T: Element, A: Copy + Send + Sync, R: Clone>(
    x: &Strided,
    dims: &[usize],
    init: A,
    fold: impl Fn(A, T, usize) -> A + Sync + Send,
    combine: impl Fn(A, A) -> A,
    finish: impl Fn(A) -> R,
) -> Result<Vec<R>> {
    let x_data = x;
    let buffer = x_data.storage().read()?;
    let data = T::slice(&buffer).ok_or(Error::DTypeMismatch { op: "reduce", lhs: x_data.dtype(), rhs: T::DTYPE })?;
    let layout = x_data.layout();
    let ndim = layout.ndim();
    let kept: Vec<usize> = (0..ndim).filter(|d| !dims.contains(d)).collect();
    let out_len: usize = kept.iter().map(|&d| layout.shape()[d]).product();
    let group: usize = dims.iter().map(|&d| layout.shape()[d]).product();

    if kept.is_empty() {
        if let Some(range) = layout.contiguous_range() {
            let src = &data[range];
            return Ok(vec![finish(fold_slice(src, init, &fold, &combine))]);
        }
    }
    let order: Vec<usize> = kept.iter().chain(dims.iter()).copied().collect();
    let permuted = layout.permute(&order);
    let mut out = vec_with_capacity(out_len)?;
    if group == 0 {
        out.resize(out_len, finish(init));
        return Ok(out);
    }
    let mut acc = init;
    let mut count = 0;
    walk_layout(&permuted, |o| {
        acc = fold(acc, data[o], count);
        count += 1;
        if count == group {
            out.push(finish(acc));
            acc = init;
            count = 0;
        }
    });
    Ok(out)
}

fn walk_layout(layout: &Layout, mut f: impl FnMut(usize)) {
    walk(layout.shape(), &[layout.strides()], &[layout.offset()], |[o]| f(o));
}

/// Sequential fold for small inputs; chunked in parallel for large ones,
/// with the chunks' partial accumulators merged in order by `combine`.
fn fold_slice<T: Element, A: Copy + Send + Sync>(
    src: &[T],
    init: A,
    fold: &(impl Fn(A, T, usize) -> A + Sync + Send),
    combine: &impl Fn(A, A) -> A,
) -> A {
    let fold_run = |base: usize, run: &[T]| run.iter().enumerate().fold(init, |a, (i, &v)| fold(a, v, base + i));
    if src.len() < PARALLEL_THRESHOLD {
        return fold_run(0, src);
    }
    let partials: Vec<A> = crate::threads::parallel(|| src.par_chunks(PARALLEL_THRESHOLD).enumerate().map(|(c, run)| fold_run(c * PARALLEL_THRESHOLD, run)).collect());
    partials.into_iter().fold(init, combine)
}

/// Vectors per accumulator in one block of `sum_all`: each of its four
/// accumulators takes this many adds in `T` before the block's total moves
/// to f64, so rounding grows with the block, not with the input.
const SUM_BLOCK_STEPS: usize = 8;

/// The sum of a contiguous run in f64: blocks of `4 * SUM_BLOCK_STEPS`
/// vectors are summed in vector registers, their totals in f64. A scalar
/// f64 fold is one dependent add per element, several times slower than
/// reading the memory.
pub fn sum_all<T: SimdElement + crate::storage::Float>(data: &[T]) -> f64 {
    if data.len() >= 2 * PARALLEL_THRESHOLD {
        let partials: Vec<f64> = crate::threads::parallel(|| data.par_chunks(PARALLEL_THRESHOLD).map(|part| simd::dispatch(SumAll { data: part })).collect());
        return partials.iter().sum();
    }
    simd::dispatch(SumAll { data })
}

struct SumAll<'a, T> {
    data: &'a [T],
}

impl<T: SimdElement + crate::storage::Float> Kernel for SumAll<'_, T> {
    type Output = f64;

    #[inline(always)]
    fn run<S: Isa>(self, s: S) -> f64 {
        let v = T::vectors(s);
        let lanes = <T::Vectors<S> as Lanes<T>>::LANES;
        let mut blocks = self.data.chunks_exact(4 * SUM_BLOCK_STEPS * lanes);
        let mut total = 0.0;
        for block in &mut blocks {
            let mut acc = [v.zero(); 4];
            for step in block.chunks_exact(4 * lanes) {
                let (a, rest) = step.split_at(lanes);
                let (b, rest) = rest.split_at(lanes);
                let (c, d) = rest.split_at(lanes);
                acc[0] = v.add(acc[0], v.load(a));
                acc[1] = v.add(acc[1], v.load(b));
                acc[2] = v.add(acc[2], v.load(c));
                acc[3] = v.add(acc[3], v.load(d));
            }
            total += v.reduce_sum(v.add(v.add(acc[0], acc[1]), v.add(acc[2], acc[3]))).to_f64();
        }
        total + blocks.remainder().iter().map(|x| x.to_f64()).sum::<f64>()
    }
}

/// Sums of a contiguous tensor's `data` over `dims` (sorted, unique, with at
/// least one dim kept), vectorised. Adjacent dims of the same kind merge into
/// groups; the innermost group is then either a contiguous run to sum into
/// one output (`[.., reduced]`, e.g. a row sum) or a run to add lane-wise
/// into a row of outputs (`[.., kept]`, e.g. a bias gradient over the batch).
pub fn sum_contiguous<T: SimdElement + std::ops::Add<Output = T>>(data: &[T], shape: &[usize], dims: &[usize]) -> Result<Vec<T>> {
    let mut groups: Vec<(usize, bool)> = Vec::with_capacity(shape.len());
    for (d, &len) in shape.iter().enumerate() {
        let reduced = dims.contains(&d);
        match groups.last_mut() {
            _ if len == 1 => {}
            Some((size, kind)) if *kind == reduced => *size *= len,
            _ => groups.push((len, reduced)),
        }
    }
    let out_len: usize = groups.iter().filter(|g| !g.1).map(|g| g.0).product();
    let mut out = crate::storage::filled_vec(out_len, T::default())?;
    let Some(&(inner, inner_reduced)) = groups.last() else {
        out.copy_from_slice(&data[..out_len]);
        return Ok(out);
    };
    if data.is_empty() || inner == 0 {
        return Ok(out);
    }
    simd::dispatch(SumRuns { data, groups: &groups[..groups.len() - 1], inner, inner_reduced, out: &mut out });
    Ok(out)
}

struct SumRuns<'a, T> {
    data: &'a [T],
    /// The groups outside the innermost one, outermost first.
    groups: &'a [(usize, bool)],
    inner: usize,
    inner_reduced: bool,
    out: &'a mut [T],
}

impl<T: SimdElement + std::ops::Add<Output = T>> Kernel for SumRuns<'_, T> {
    type Output = ();

    #[inline(always)]
    fn run<S: Isa>(self, s: S) {
        let v = T::vectors(s);
        let lanes = <T::Vectors<S> as Lanes<T>>::LANES;
        // Output steps per outer group (zero for reduced ones), and an
        // odometer over the outer groups tracking the output offset.
        let mut step = vec![0usize; self.groups.len()];
        let mut size = if self.inner_reduced { 1 } else { self.inner };
        for (g, &(len, reduced)) in self.groups.iter().enumerate().rev() {
            if !reduced {
                step[g] = size;
                size *= len;
            }
        }
        let mut counter = vec![0usize; self.groups.len()];
        let mut at = 0usize;
        for run in self.data.chunks_exact(self.inner) {
            if self.inner_reduced {
                let mut acc = v.zero();
                let mut chunks = run.chunks_exact(lanes);
                for c in &mut chunks {
                    acc = v.add(acc, v.load(c));
                }
                acc = v.add(acc, v.load_partial(chunks.remainder()));
                self.out[at] = self.out[at] + v.reduce_sum(acc);
            } else {
                let dst = &mut self.out[at..at + self.inner];
                let mut pairs = dst.chunks_exact_mut(lanes).zip(run.chunks_exact(lanes));
                for (d, x) in &mut pairs {
                    let sum = v.add(v.load(d), v.load(x));
                    v.store(d, sum);
                }
                let tail = self.inner - self.inner % lanes;
                for (d, &x) in dst[tail..].iter_mut().zip(&run[tail..]) {
                    *d = *d + x;
                }
            }
            for g in (0..self.groups.len()).rev() {
                counter[g] += 1;
                at += step[g];
                if counter[g] < self.groups[g].0 {
                    break;
                }
                counter[g] = 0;
                at -= step[g] * self.groups[g].0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{sum_all, sum_contiguous, PARALLEL_THRESHOLD};
    use crate::simd::{detected, level, set_level, Level};

    /// The sum over `dims` by index arithmetic, in f64.
    fn plain(data: &[f64], shape: &[usize], dims: &[usize]) -> Vec<f64> {
        let kept: Vec<usize> = (0..shape.len()).filter(|d| !dims.contains(d)).collect();
        let out_len: usize = kept.iter().map(|&d| shape[d]).product();
        let mut out = vec![0.0; out_len];
        for (flat, &v) in data.iter().enumerate() {
            let (mut rest, mut index) = (flat, vec![0; shape.len()]);
            for d in (0..shape.len()).rev() {
                index[d] = rest % shape[d];
                rest /= shape[d];
            }
            let o = kept.iter().fold(0, |o, &d| o * shape[d] + index[d]);
            out[o] += v;
        }
        out
    }

    #[test]
    fn partial_sums_match_index_arithmetic_for_every_dim_subset() {
        for shape in [vec![3, 5], vec![2, 1, 37], vec![4, 3, 2, 17], vec![33, 2, 5], vec![1, 1, 3], vec![2, 0, 3]] {
            let n: usize = shape.iter().product();
            let data: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64 / 7.0 - 5.0).collect();
            for mask in 0..(1u32 << shape.len()) - 1 {
                let dims: Vec<usize> = (0..shape.len()).filter(|d| mask & (1 << d) != 0).collect();
                let want = plain(&data, &shape, &dims);
                let got = sum_contiguous(&data, &shape, &dims).unwrap();
                assert_eq!(got.len(), want.len(), "{shape:?} {dims:?}");
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).abs() < 1e-9, "{shape:?} over {dims:?}: {g} vs {w}");
                }
                let single: Vec<f32> = data.iter().map(|&v| v as f32).collect();
                for (g, w) in sum_contiguous(&single, &shape, &dims).unwrap().iter().zip(&want) {
                    assert!((*g as f64 - w).abs() < 1e-3, "f32 {shape:?} over {dims:?}: {g} vs {w}");
                }
            }
        }
    }

    #[test]
    fn whole_sums_match_f64_at_every_level_and_length() {
        let before = level();
        let lengths = [0, 1, 15, 16, 17, 511, 512, 513, 4096 + 3, 2 * PARALLEL_THRESHOLD + 77];
        for l in [Level::Portable, Level::Avx2, Level::Avx512].into_iter().filter(|&l| l <= detected()) {
            set_level(l);
            for &n in &lengths {
                let data: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64 / 7.0 - 5.0).collect();
                let want: f64 = data.iter().sum();
                let got = sum_all(&data);
                assert!((got - want).abs() <= 1e-9 * (1.0 + want.abs()), "f64 n={n} at {l:?}: {got} vs {want}");
                let single: Vec<f32> = data.iter().map(|&v| v as f32).collect();
                let want: f64 = single.iter().map(|&v| v as f64).sum();
                let got = sum_all(&single);
                // Each f32 block total carries at most a few ulp of the block's magnitude.
                let bound = 1e-6 * single.iter().map(|v| v.abs() as f64).sum::<f64>().max(1.0);
                assert!((got - want).abs() <= bound, "f32 n={n} at {l:?}: {got} vs {want}");
            }
            assert!(sum_all(&[1.0f32, f32::NAN, 2.0]).is_nan());
            assert_eq!(sum_all(&vec![f32::INFINITY; 1000]), f64::INFINITY);
        }
        set_level(before);
    }
}
