//! Softmax and log-softmax along one dim, and their gradients: one line at a
//! time, two passes over the line forward (max and sum of exponentials, then
//! the outputs) and two backward (one sum, then the outputs). A contiguous
//! input reduced along its last dim is split into rows directly (in parallel
//! when large); any other layout walks the other dims once.

use super::along::for_each_line;
use super::named::VecFloat;
use super::softmax_rows;
use crate::dtype::DType;
use crate::storage::vec_with_capacity;
use super::PARALLEL_THRESHOLD;
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::storage::{filled_vec, Buffer, Element, Float};
use crate::strided::Strided;
use rayon::prelude::*;

fn data<'a, T: Element>(buffer: &'a Buffer, t: &Strided) -> Result<&'a [T]> {
    T::slice(buffer).ok_or(Error::DTypeMismatch { op: "softmax", lhs: t.dtype(), rhs: T::DTYPE })
}

/// Softmax (or log-softmax) of one line; the max is subtracted so large
/// inputs do not overflow. A NaN, or a line of -inf, gives NaN as in PyTorch.
#[inline]
fn softmax_line<T: Float>(x: impl Fn(usize) -> T, len: usize, log: bool, mut out: impl FnMut(usize, T)) {
    let mut max = x(0);
    for i in 1..len {
        let v = x(i);
        if v > max || v != v {
            max = v;
        }
    }
    let mut sum = T::ZERO;
    for i in 0..len {
        sum = sum + (x(i) - max).exp();
    }
    if log {
        // (x - max) - log(sum), not x - (max + log(sum)): the max may dwarf log(sum).
        let log_sum = sum.ln();
        (0..len).for_each(|i| out(i, (x(i) - max) - log_sum));
    } else {
        let scale = T::ONE / sum;
        (0..len).for_each(|i| out(i, (x(i) - max).exp() * scale));
    }
}

/// The gradient of one line: `g - y * sum(g * y)` times y for softmax, written
/// as `y * (g - dot)`; `g - exp(y) * sum(g)` for log-softmax.
#[inline]
fn backward_line<T: Float>(g: impl Fn(usize) -> T, y: impl Fn(usize) -> T, len: usize, log: bool, mut out: impl FnMut(usize, T)) {
    if log {
        let mut total = T::ZERO;
        (0..len).for_each(|i| total = total + g(i));
        (0..len).for_each(|i| out(i, g(i) - y(i).exp() * total));
    } else {
        let mut dot = T::ZERO;
        (0..len).for_each(|i| dot = dot + g(i) * y(i));
        (0..len).for_each(|i| out(i, y(i) * (g(i) - dot)));
    }
}

/// Length of the lines along `dim` (a 0-d tensor is one line of one).
fn line_len(shape: &[usize], dim: usize) -> usize {
    shape.get(dim).copied().unwrap_or(1)
}

/// Rows of a contiguous tensor when `dim` is its last dim.
fn contiguous_rows<'a, T>(t: &Strided, src: &'a [T], dim: usize) -> Option<&'a [T]> {
    let last = t.ndim() == 0 || dim + 1 == t.ndim();
    if !last {
        return None;
    }
    t.layout().contiguous_range().map(|r| &src[r])
}

/// Softmax (`log` false) or log-softmax of `x` along `dim`, as a buffer of
/// `x`'s (floating) dtype: contiguous rows of float32/float64 in vectors,
/// anything else through `softmax`.
pub fn softmax_buffer(x: &Strided, dim: usize, log: bool) -> Result<Buffer> {
    let vectorised = match x.dtype() {
        DType::F32 => vector_forward::<f32>(x, dim, log).map(|r| r.map(f32::into_buffer)),
        DType::F64 => vector_forward::<f64>(x, dim, log).map(|r| r.map(f64::into_buffer)),
        _ => None,
    };
    match vectorised {
        Some(buffer) => buffer,
        None => Ok(crate::with_float_type!(x.dtype(), "softmax", T => T::into_buffer(softmax::<T>(x, dim, log)?))),
    }
}

/// The gradient of `softmax_buffer` from the output gradient `g` (of `y`'s
/// dtype, possibly broadcast) and the output `y`.
pub fn softmax_backward_buffer(g: &Strided, y: &Strided, dim: usize, log: bool) -> Result<Buffer> {
    let vectorised = match y.dtype() {
        DType::F32 => vector_backward::<f32>(g, y, dim, log).map(|r| r.map(f32::into_buffer)),
        DType::F64 => vector_backward::<f64>(g, y, dim, log).map(|r| r.map(f64::into_buffer)),
        _ => None,
    };
    match vectorised {
        Some(buffer) => buffer,
        None => Ok(crate::with_float_type!(y.dtype(), "softmax_backward", T => T::into_buffer(softmax_backward::<T>(g, y, dim, log)?))),
    }
}

/// A fresh output of `n` elements for the row kernels, which write every one.
fn row_output<T: VecFloat>(n: usize) -> Result<Vec<T>> {
    let mut out = vec_with_capacity(n)?;
    out.resize(n, T::ZERO);
    Ok(out)
}

fn vector_forward<T: VecFloat>(x: &Strided, dim: usize, log: bool) -> Option<Result<Vec<T>>> {
    let len = line_len(&x.shape(), dim);
    if len == 0 || x.numel() == 0 {
        return None;
    }
    let buffer = match x.storage().read() { Ok(g) => g, Err(e) => return Some(Err(e)) };
    let rows = contiguous_rows(x, T::slice(&buffer)?, dim)?;
    Some(row_output(rows.len()).map(|mut out| {
        softmax_rows::forward(rows, &mut out, len, log);
        out
    }))
}

fn vector_backward<T: VecFloat>(g: &Strided, y: &Strided, dim: usize, log: bool) -> Option<Result<Vec<T>>> {
    let len = line_len(&y.shape(), dim);
    if len == 0 || y.numel() == 0 || g.shape() != y.shape() {
        return None;
    }
    let (bg, by) = (match g.storage().read() { Ok(g) => g, Err(e) => return Some(Err(e)) }, match y.storage().read() { Ok(g) => g, Err(e) => return Some(Err(e)) });
    let (g_rows, y_rows) = (contiguous_rows(g, T::slice(&bg)?, dim)?, contiguous_rows(y, T::slice(&by)?, dim)?);
    Some(row_output(y_rows.len()).map(|mut out| {
        softmax_rows::backward(g_rows, y_rows, &mut out, len, log);
        out
    }))
}

/// Softmax (`log` false) or log-softmax of `x` along `dim`, in `x`'s logical order.
pub fn softmax<T: Float>(x: &Strided, dim: usize, log: bool) -> Result<Vec<T>> {
    let shape = x.shape();
    let len = line_len(&shape, dim);
    let mut out = filled_vec(x.numel(), T::ZERO)?;
    if len == 0 || out.is_empty() {
        return Ok(out);
    }
    let x_data = x;
    let buffer = x_data.storage().read()?;
    let src = data::<T>(&buffer, x)?;
    if let Some(rows) = contiguous_rows(x, src, dim) {
        let run = |(row, dst): (&[T], &mut [T])| softmax_line(|i| row[i], len, log, |i, v| dst[i] = v);
        if rows.len() >= PARALLEL_THRESHOLD {
            crate::threads::parallel(|| rows.par_chunks(len).zip(out.par_chunks_mut(len)).for_each(run));
        } else {
            rows.chunks(len).zip(out.chunks_mut(len)).for_each(run);
        }
        return Ok(out);
    }
    let out_layout = Layout::contiguous(&shape)?;
    for_each_line(&shape, dim, [&x_data.layout(), &out_layout], |line| {
        softmax_line(|i| src[line[i][0]], len, log, |i, v| out[line[i][1]] = v);
    });
    Ok(out)
}

/// The input gradient of softmax (or log-softmax) from the output gradient `g`
/// (possibly broadcast) and the saved output `y`, along `dim`.
pub fn softmax_backward<T: Float>(g: &Strided, y: &Strided, dim: usize, log: bool) -> Result<Vec<T>> {
    let shape = y.shape();
    let len = line_len(&shape, dim);
    let mut out = filled_vec(y.numel(), T::ZERO)?;
    if len == 0 || out.is_empty() {
        return Ok(out);
    }
    let g_layout = if g.shape() == shape { g.layout().clone() } else { g.layout().broadcast_to(&shape)? };
    let (g_data, y_data) = (g, y);
    let (bg, by) = (g_data.storage().read()?, y_data.storage().read()?);
    let (gs, ys) = (data::<T>(&bg, g)?, data::<T>(&by, y)?);
    let g_rows = if g_data.shape() == shape { contiguous_rows(g, gs, dim) } else { None };
    if let (Some(g_rows), Some(y_rows)) = (g_rows, contiguous_rows(y, ys, dim)) {
        let run = |((gr, yr), dst): ((&[T], &[T]), &mut [T])| backward_line(|i| gr[i], |i| yr[i], len, log, |i, v| dst[i] = v);
        if y_rows.len() >= PARALLEL_THRESHOLD {
            crate::threads::parallel(|| g_rows.par_chunks(len).zip(y_rows.par_chunks(len)).zip(out.par_chunks_mut(len)).for_each(run));
        } else {
            g_rows.chunks(len).zip(y_rows.chunks(len)).zip(out.chunks_mut(len)).for_each(run);
        }
        return Ok(out);
    }
    let out_layout = Layout::contiguous(&shape)?;
    for_each_line(&shape, dim, [&g_layout, &y_data.layout(), &out_layout], |line| {
        backward_line(|i| gs[line[i][0]], |i| ys[line[i][1]], len, log, |i, v| out[line[i][2]] = v);
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_sum_to_one_along_either_dim_and_layout() {
        let x = Strided::from_vec(vec![1.0f64, 2.0, 3.0, 1000.0, 1000.0, 1000.0], &[2, 3]).unwrap();
        let rows = softmax::<f64>(&x, 1, false).unwrap();
        assert!((rows[0..3].iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert!(rows[3..].iter().all(|v| (v - 1.0 / 3.0).abs() < 1e-15));
        // Along dim 0 of the transpose is along dim 1 of the original.
        let cols = softmax::<f64>(&x.transposed().unwrap(), 0, false).unwrap();
        assert_eq!(cols, vec![rows[0], rows[3], rows[1], rows[4], rows[2], rows[5]]);
        let logs = softmax::<f64>(&x, 1, true).unwrap();
        assert!(logs.iter().zip(&rows).all(|(l, r)| (l.exp() - r).abs() < 1e-15));
    }

    #[test]
    fn nan_and_all_negative_infinity_lines_give_nan() {
        let x = Strided::from_vec(vec![f64::NAN, 1.0, f64::NEG_INFINITY, f64::NEG_INFINITY], &[2, 2]).unwrap();
        assert!(softmax::<f64>(&x, 1, false).unwrap().iter().all(|v| v.is_nan()));
    }

    /// The vector rows against the scalar line walk (a transposed copy takes
    /// it), for row lengths around every vector width, with NaN and -inf
    /// lines, at every level, forward and backward.
    #[test]
    fn vector_rows_match_the_line_walk() {
        use crate::simd::{self, Level};
        let before = simd::level();
        for level in [Level::Portable, Level::Avx2, Level::Avx512].into_iter().filter(|&l| l <= simd::detected()) {
            simd::set_level(level);
            for len in [1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100] {
                let rows = 5;
                let mut x: Vec<f64> = (0..rows * len).map(|i| ((i * 7919) % 113) as f64 * 0.21 - 11.0).collect();
                x[len] = f64::NAN;
                x[2 * len..3 * len].fill(f64::NEG_INFINITY);
                let g: Vec<f64> = (0..rows * len).map(|i| ((i * 31) % 17) as f64 * 0.1 - 0.8).collect();
                let xs = Strided::from_vec(x.clone(), &[rows, len]).unwrap();
                // The same values as a transposed view, reduced along dim 0: the line walk.
                let xt = Strided::contiguous(xs.transposed().unwrap().copy_strided(DType::F64).unwrap(), &[len, rows]).unwrap().transposed().unwrap();
                for log in [false, true] {
                    let fast = softmax_buffer(&xs, 1, log).unwrap();
                    let fast = f64::slice(&fast).unwrap().to_vec();
                    let walk = softmax::<f64>(&xt, 1, log).unwrap();
                    let close = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * (1.0 + b.abs());
                    assert!(fast.iter().zip(&walk).all(|(&a, &b)| close(a, b)), "{level:?} len {len} log {log}: {fast:?} vs {walk:?}");
                    let y = Strided::from_vec(fast.clone(), &[rows, len]).unwrap();
                    let gs = Strided::from_vec(g.clone(), &[rows, len]).unwrap();
                    let fast = softmax_backward_buffer(&gs, &y, 1, log).unwrap();
                    let fast = f64::slice(&fast).unwrap().to_vec();
                    let gt = Strided::contiguous(gs.transposed().unwrap().copy_strided(DType::F64).unwrap(), &[len, rows]).unwrap().transposed().unwrap();
                    let walk = softmax_backward::<f64>(&gt, &y, 1, log).unwrap();
                    assert!(fast.iter().zip(&walk).all(|(&a, &b)| close(a, b)), "{level:?} len {len} log {log} backward");
                }
            }
            // float32 rows against float64 ones.
            let x: Vec<f32> = (0..4 * 50).map(|i| ((i * 37) % 101) as f32 * 0.3 - 15.0).collect();
            let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
            for log in [false, true] {
                let got = softmax_buffer(&Strided::from_vec(x.clone(), &[4, 50]).unwrap(), 1, log).unwrap();
                let want = softmax_buffer(&Strided::from_vec(x64.clone(), &[4, 50]).unwrap(), 1, log).unwrap();
                let (got, want) = (f32::slice(&got).unwrap(), f64::slice(&want).unwrap());
                assert!(got.iter().zip(want).all(|(&a, &b)| (a as f64 - b).abs() <= 1e-6 * (1.0 + b.abs())), "{level:?} float32 log {log}");
            }
        }
        simd::set_level(before);
    }

    #[test]
    fn backward_matches_the_closed_form() {
        let y = Strided::from_vec(vec![0.2f64, 0.3, 0.5], &[3]).unwrap();
        let g = Strided::from_vec(vec![1.0f64, 0.0, 0.0], &[3]).unwrap();
        let d = softmax_backward::<f64>(&g, &y, 0, false).unwrap();
        let want = [0.2 * 0.8, -0.3 * 0.2, -0.5 * 0.2];
        assert!(d.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-15));
    }
}
