//! Kernels that run along one dim: scans (cumulative sums and products, in
//! either direction), the linear recurrences behind their gradients, and
//! picking or placing one element per line by index. Every element is
//! visited once, so each kernel is O(numel) whatever the line length.
//!
//! Outputs are fresh contiguous buffers of the input's shape (or, for
//! `gather_one`/`scatter_one`, of the shape asked for).

use crate::error::{Error, Result};
use crate::layout::{walk, Layout, Shape, Strides};
use crate::storage::{filled_vec, Element, Float};
use crate::strided::Strided;

/// Calls `f` once per line along `dim`, with each element's storage offset in
/// every one of `layouts` (all of `shape`), in order along the line. A 0-d
/// shape is one line of one element.
pub(crate) fn for_each_line<const N: usize>(shape: &[usize], dim: usize, layouts: [&Layout; N], mut f: impl FnMut(&[[usize; N]])) {
    if shape.is_empty() {
        f(&[std::array::from_fn(|k| layouts[k].offset())]);
        return;
    }
    // Walk with `dim` innermost so each line is one consecutive run.
    let order: Shape = (0..shape.len()).filter(|&d| d != dim).chain(std::iter::once(dim)).collect();
    let walk_shape: Shape = order.iter().map(|&d| shape[d]).collect();
    let strides: [Strides; N] = std::array::from_fn(|k| order.iter().map(|&d| layouts[k].strides()[d]).collect());
    let stride_refs: [&[isize]; N] = std::array::from_fn(|k| strides[k].as_slice());
    let offsets: [usize; N] = std::array::from_fn(|k| layouts[k].offset());
    let len = shape[dim];
    let mut line: Vec<[usize; N]> = Vec::with_capacity(len);
    walk(&walk_shape, &stride_refs, &offsets, |o| {
        line.push(o);
        if line.len() == len {
            f(&line);
            line.clear();
        }
    });
}

fn data<'a, T: Element>(buffer: &'a crate::storage::Buffer, t: &Strided) -> Result<&'a [T]> {
    T::slice(buffer).ok_or(Error::DTypeMismatch { op: "along", lhs: t.dtype(), rhs: T::DTYPE })
}

/// `t`'s layout broadcast to `shape` (gradients may arrive expanded).
fn layout_as(t: &Strided, shape: &[usize]) -> Result<Layout> {
    if t.shape() == shape {
        return Ok(t.layout().clone());
    }
    t.layout().broadcast_to(shape)
}

/// Inclusive scan along `dim`: `out[i] = finish(step(...step(init, x[0])..., x[i]))`,
/// or from the end of each line when `reverse`.
pub fn scan<T: Element, A: Copy>(x: &Strided, dim: usize, reverse: bool, init: A, step: impl Fn(A, T) -> A, finish: impl Fn(A) -> T) -> Result<Vec<T>> {
    let shape = x.shape();
    let out_layout = Layout::contiguous(&shape)?;
    let x_data = x;
    let buffer = x_data.storage().read()?;
    let src = data::<T>(&buffer, x)?;
    let mut out = filled_vec(x.numel(), T::default())?;
    for_each_line(&shape, dim, [&x_data.layout(), &out_layout], |line| {
        let mut acc = init;
        let mut visit = |&[i, o]: &[usize; 2]| {
            acc = step(acc, src[i]);
            out[o] = finish(acc);
        };
        if reverse {
            line.iter().rev().for_each(&mut visit);
        } else {
            line.iter().for_each(&mut visit);
        }
    });
    Ok(out)
}

/// Gradient of `cumprod` along `dim`, as PyTorch computes it (so NaN and inf
/// spread the same way): `dx[i]` is the sum over `k >= i` of `g[k]` times the
/// product of `x[..=k]` but `x[i]`, formed by division before each line's first
/// zero, directly at that zero, and zero after it.
pub fn cumprod_backward<T: Float>(x: &Strided, g: &Strided, dim: usize) -> Result<Vec<T>> {
    let shape = x.shape();
    let (g_layout, out_layout) = (layout_as(g, &shape)?, Layout::contiguous(&shape)?);
    let (x_data, g_data) = (x, g);
    let (bx, bg) = (x_data.storage().read()?, g_data.storage().read()?);
    let (xs, gs) = (data::<T>(&bx, x)?, data::<T>(&bg, g)?);
    let mut out = filled_vec(x.numel(), T::ZERO)?;
    for_each_line(&shape, dim, [&x_data.layout(), &g_layout, &out_layout], |line| {
        let x_at = |k: usize| xs[line[k][0]].to_f64();
        let g_at = |k: usize| gs[line[k][1]].to_f64();
        let first_zero = (0..line.len()).find(|&k| x_at(k) == 0.0);
        let before_zero = first_zero.unwrap_or(line.len());
        // Before the first zero: sum over k >= i of y[k] g[k], divided by x[i]
        // (y the running product). out holds y[k] g[k] until it is summed.
        let mut running = 1.0f64;
        for k in 0..before_zero {
            running *= x_at(k);
            out[line[k][2]] = T::from_f64(running * g_at(k));
        }
        let mut sum = 0.0f64;
        for k in (0..before_zero).rev() {
            sum += out[line[k][2]].to_f64();
            out[line[k][2]] = T::from_f64(sum / x_at(k));
        }
        // At the first zero: sum over k >= z of g[k] times the product of
        // x[..=k] without x[z]. After it every gradient is zero.
        if let Some(z) = first_zero {
            let mut at_zero = 0.0f64;
            for k in z..line.len() {
                if k > z {
                    running *= x_at(k);
                }
                at_zero += g_at(k) * running;
            }
            out[line[z][2]] = T::from_f64(at_zero);
        }
    });
    Ok(out)
}

/// `g[i]` times the product of every other element of `x`'s line along `dim`
/// (prefix times suffix product, no division): the gradient of `prod`, exact
/// when the line holds zeros.
pub fn prod_backward<T: Float>(x: &Strided, g: &Strided, dim: usize) -> Result<Vec<T>> {
    let shape = x.shape();
    let (g_layout, out_layout) = (layout_as(g, &shape)?, Layout::contiguous(&shape)?);
    let (x_data, g_data) = (x, g);
    let (bx, bg) = (x_data.storage().read()?, g_data.storage().read()?);
    let (xs, gs) = (data::<T>(&bx, x)?, data::<T>(&bg, g)?);
    let mut out = filled_vec(x.numel(), T::ZERO)?;
    for_each_line(&shape, dim, [&x_data.layout(), &g_layout, &out_layout], |line| {
        let mut suffix = 1.0f64;
        for &[xi, _, o] in line.iter().rev() {
            out[o] = T::from_f64(suffix);
            suffix *= xs[xi].to_f64();
        }
        let mut prefix = 1.0f64;
        for &[xi, gi, o] in line {
            out[o] = T::from_f64(gs[gi].to_f64() * prefix * out[o].to_f64());
            prefix *= xs[xi].to_f64();
        }
    });
    Ok(out)
}

/// `out[..., 0, ...] = src[..., index[..., 0, ...], ...]`: one element per
/// line along `dim`. `index` (int64) has `src`'s shape except size 1 at `dim`.
pub fn gather_one<T: Element>(src: &Strided, dim: usize, index: &Strided) -> Result<Vec<T>> {
    crate::kernels::indexed::gather(src, dim, index)
}

/// The adjoint of `gather_one`: zeros of `shape` with `src[..., 0, ...]`
/// placed at `index[..., 0, ...]` along `dim`.
pub fn scatter_one<T: Element>(src: &Strided, dim: usize, index: &Strided, shape: &[usize]) -> Result<Vec<T>> {
    let mut out = filled_vec(crate::layout::numel(shape)?, T::default())?;
    crate::kernels::indexed::scatter(&mut out, shape, dim, index, src, false, |_, v| v)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(values: Vec<f64>, rows: usize, cols: usize) -> Strided {
        Strided::from_vec(values, &[rows, cols]).unwrap()
    }

    #[test]
    fn scan_runs_along_either_dim_and_direction() {
        let x = matrix(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3);
        let sum = |a: f64, v: f64| a + v;
        assert_eq!(scan::<f64, f64>(&x, 1, false, 0.0, sum, |a| a).unwrap(), vec![1.0, 3.0, 6.0, 4.0, 9.0, 15.0]);
        assert_eq!(scan::<f64, f64>(&x, 0, false, 0.0, sum, |a| a).unwrap(), vec![1.0, 2.0, 3.0, 5.0, 7.0, 9.0]);
        assert_eq!(scan::<f64, f64>(&x, 1, true, 0.0, sum, |a| a).unwrap(), vec![6.0, 5.0, 3.0, 15.0, 11.0, 6.0]);
        // A transposed (non-contiguous) input scans in its logical order.
        let xt = x.transposed().unwrap();
        assert_eq!(scan::<f64, f64>(&xt, 0, false, 0.0, sum, |a| a).unwrap(), vec![1.0, 4.0, 3.0, 9.0, 6.0, 15.0]);
    }

    #[test]
    fn prod_and_cumprod_gradients_are_exact_at_zeros() {
        let x = Strided::from_vec(vec![2.0f64, 0.0, 3.0, 0.0, 5.0], &[5]).unwrap();
        let ones = Strided::from_vec(vec![1.0f64; 5], &[5]).unwrap();
        assert_eq!(cumprod_backward::<f64>(&x, &ones, 0).unwrap(), vec![1.0, 8.0, 0.0, 0.0, 0.0]);
        let y = Strided::from_vec(vec![2.0f64, 0.0, 3.0], &[3]).unwrap();
        let g = Strided::from_vec(vec![1.0f64], &[1]).unwrap();
        assert_eq!(prod_backward::<f64>(&y, &g, 0).unwrap(), vec![0.0, 6.0, 0.0]);
    }

    #[test]
    fn gather_and_scatter_one_element_per_line() {
        let x = matrix(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3);
        let index = Strided::from_vec(vec![2i64, 0], &[2, 1]).unwrap();
        assert_eq!(gather_one::<f64>(&x, 1, &index).unwrap(), vec![3.0, 4.0]);
        let picked = matrix(vec![7.0, 8.0], 2, 1);
        assert_eq!(scatter_one::<f64>(&picked, 1, &index, &[2, 3]).unwrap(), vec![0.0, 0.0, 7.0, 8.0, 0.0, 0.0]);
        let bad = Strided::from_vec(vec![3i64, 0], &[2, 1]).unwrap();
        assert!(gather_one::<f64>(&x, 1, &bad).is_err());
        assert!(scatter_one::<f64>(&picked, 1, &bad, &[2, 3]).is_err());
    }
}
