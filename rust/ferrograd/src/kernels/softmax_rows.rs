//! Softmax and log-softmax of contiguous rows of float32/float64, and their
//! gradients, in vectors: `softmax` sends rows here and keeps the scalar
//! line walk for every other layout and dtype.
//!
//! Forward: one pass for the max, one that writes `exp(x - max)` into the
//! output while summing it (softmax then scales in place; log-softmax
//! overwrites with `x - max - log(sum)`), so each element takes one `exp`.
//! Row tails shorter than a vector are summed lane by lane, so padding
//! lanes never enter a max or a sum.

use super::named::VecFloat;
use super::PARALLEL_THRESHOLD;
use crate::simd::{self, Isa, Lanes, MAX_LANES};
use rayon::prelude::*;

/// Rows per parallel task, at least: amortises the dispatch.
const TASK_ELEMENTS: usize = 1 << 14;

/// Runs `kernel` over `rows`-long slices of `out` (and the matching inputs),
/// split over the pool when large.
fn rows_in_tasks<T: VecFloat>(len: usize, out: &mut [T], task: impl Fn(usize, &mut [T]) + Sync) {
    let per_task = (TASK_ELEMENTS / len).max(1) * len;
    if out.len() >= PARALLEL_THRESHOLD {
        crate::threads::parallel(|| out.par_chunks_mut(per_task).enumerate().for_each(|(t, part)| task(t * per_task, part)));
    } else {
        task(0, out);
    }
}

/// Softmax (or log-softmax) of each `len`-long row of `x` into `out`.
pub fn forward<T: VecFloat>(x: &[T], out: &mut [T], len: usize, log: bool) {
    rows_in_tasks(len, out, |start, out| simd::dispatch(Forward { x: &x[start..start + out.len()], out, len, log }));
}

/// The input gradient of each row from the output gradient `g` and the output `y`.
pub fn backward<T: VecFloat>(g: &[T], y: &[T], out: &mut [T], len: usize, log: bool) {
    rows_in_tasks(len, out, |start, out| {
        let end = start + out.len();
        simd::dispatch(Backward { g: &g[start..end], y: &y[start..end], out, len, log })
    });
}

struct Forward<'a, T> {
    x: &'a [T],
    out: &'a mut [T],
    len: usize,
    log: bool,
}

impl<T: VecFloat> simd::Kernel for Forward<'_, T> {
    type Output = ();

    #[inline(always)]
    fn run<S: Isa>(self, isa: S) {
        let s = T::vectors(isa);
        for (x, out) in self.x.chunks_exact(self.len).zip(self.out.chunks_exact_mut(self.len)) {
            forward_row(s, x, out, self.log);
        }
    }
}

struct Backward<'a, T> {
    g: &'a [T],
    y: &'a [T],
    out: &'a mut [T],
    len: usize,
    log: bool,
}

impl<T: VecFloat> simd::Kernel for Backward<'_, T> {
    type Output = ();

    #[inline(always)]
    fn run<S: Isa>(self, isa: S) {
        let s = T::vectors(isa);
        let rows = self.g.chunks_exact(self.len).zip(self.y.chunks_exact(self.len)).zip(self.out.chunks_exact_mut(self.len));
        for ((g, y), out) in rows {
            backward_row(s, g, y, out, self.log);
        }
    }
}

/// The larger of two values, NaN winning, as PyTorch's max does.
#[inline(always)]
fn nan_max<T: VecFloat>(a: T, b: T) -> T {
    if b > a || b != b {
        b
    } else {
        a
    }
}

#[inline(always)]
fn row_max<T: VecFloat, L: Lanes<T>>(s: L, x: &[T]) -> T {
    let lanes = L::LANES;
    let mut vectors = x.chunks_exact(lanes);
    let mut max = x[0];
    if vectors.len() > 0 {
        let mut acc = s.splat(x[0]);
        for v in &mut vectors {
            // `max(v, acc)` keeps a NaN of `v`, so a NaN anywhere reaches the result.
            acc = s.max(s.load(v), acc);
        }
        let mut spill = [T::default(); MAX_LANES];
        s.store(&mut spill, acc);
        for &v in &spill[..lanes] {
            max = nan_max(max, v);
        }
    }
    for &v in vectors.remainder() {
        max = nan_max(max, v);
    }
    max
}

/// `out = exp(x - max)`; returns the sum of `out`.
#[inline(always)]
fn exp_shifted<T: VecFloat, L: Lanes<T>>(s: L, x: &[T], max: T, out: &mut [T]) -> T {
    let lanes = L::LANES;
    let shift = s.splat(max);
    let mut sum = s.zero();
    let mut xs = x.chunks_exact(lanes);
    let mut outs = out.chunks_exact_mut(lanes);
    for (x, o) in (&mut xs).zip(&mut outs) {
        let e = <T as crate::simd::math::Math>::exp(s, s.sub(s.load(x), shift));
        s.store(o, e);
        sum = s.add(sum, e);
    }
    let (x, o) = (xs.remainder(), outs.into_remainder());
    let mut total = s.reduce_sum(sum);
    if !x.is_empty() {
        s.store_partial(o, <T as crate::simd::math::Math>::exp(s, s.sub(s.load_partial(x), shift)));
        for &v in o.iter() {
            total = total + v;
        }
    }
    total
}

#[inline(always)]
fn forward_row<T: VecFloat, L: Lanes<T>>(s: L, x: &[T], out: &mut [T], log: bool) {
    let max = row_max(s, x);
    let sum = exp_shifted(s, x, max, out);
    if log {
        // (x - max) - log(sum), not x - (max + log(sum)): the max may dwarf log(sum).
        let (shift, log_sum) = (s.splat(max), s.splat(sum.ln()));
        for (i, full) in vectors::<T, L>(out.len()) {
            let v = load(s, x, i, full);
            store(s, out, i, full, s.sub(s.sub(v, shift), log_sum));
        }
    } else {
        let scale = s.splat(T::ONE / sum);
        for (i, full) in vectors::<T, L>(out.len()) {
            let e = load(s, out, i, full);
            store(s, out, i, full, s.mul(e, scale));
        }
    }
}

#[inline(always)]
fn backward_row<T: VecFloat, L: Lanes<T>>(s: L, g: &[T], y: &[T], out: &mut [T], log: bool) {
    let lanes = L::LANES;
    let split = g.len() / lanes * lanes;
    if log {
        // g - exp(y) * sum(g)
        let mut acc = s.zero();
        for v in g[..split].chunks_exact(lanes) {
            acc = s.add(acc, s.load(v));
        }
        let mut total = s.reduce_sum(acc);
        for &v in &g[split..] {
            total = total + v;
        }
        let total = s.splat(total);
        for (i, full) in vectors::<T, L>(out.len()) {
            let (gv, yv) = (load(s, g, i, full), load(s, y, i, full));
            store(s, out, i, full, s.sub(gv, s.mul(<T as crate::simd::math::Math>::exp(s, yv), total)));
        }
    } else {
        // y * (g - sum(g * y))
        let mut acc = s.zero();
        for (gv, yv) in g[..split].chunks_exact(lanes).zip(y[..split].chunks_exact(lanes)) {
            acc = s.mul_add(s.load(gv), s.load(yv), acc);
        }
        let mut dot = s.reduce_sum(acc);
        for (&gv, &yv) in g[split..].iter().zip(&y[split..]) {
            dot = dot + gv * yv;
        }
        let dot = s.splat(dot);
        for (i, full) in vectors::<T, L>(out.len()) {
            let (gv, yv) = (load(s, g, i, full), load(s, y, i, full));
            store(s, out, i, full, s.mul(yv, s.sub(gv, dot)));
        }
    }
}

/// The start of each vector of a `len`-long row, and whether it is whole
/// (the last may be a short tail). A plain iterator, not a closure-taking
/// helper: a closure would be compiled without the instruction set.
#[inline(always)]
fn vectors<T: VecFloat, L: Lanes<T>>(len: usize) -> impl Iterator<Item = (usize, bool)> {
    (0..len).step_by(L::LANES).map(move |i| (i, i + L::LANES <= len))
}

#[inline(always)]
fn load<T: VecFloat, L: Lanes<T>>(s: L, x: &[T], i: usize, full: bool) -> L::V {
    if full {
        s.load(&x[i..])
    } else {
        s.load_partial(&x[i..])
    }
}

#[inline(always)]
fn store<T: VecFloat, L: Lanes<T>>(s: L, out: &mut [T], i: usize, full: bool, v: L::V) {
    if full {
        s.store(&mut out[i..], v)
    } else {
        s.store_partial(&mut out[i..], v)
    }
}
