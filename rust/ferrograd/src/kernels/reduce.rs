//! Reductions over a set of dims. The input is viewed with kept dims first
//! and reduced dims last, so each output element owns one consecutive run of
//! the walk; no recursion and no per-element index math beyond the walk.

use super::PARALLEL_THRESHOLD;
use crate::error::{Error, Result};
use crate::layout::{walk, Layout};
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
    let buffer = x_data.storage().read();
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
