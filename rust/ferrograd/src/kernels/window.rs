//! Sliding-window kernels over the last two dims of a contiguous
//! `(batch, channels, height, width)` block: im2col / col2im (each other's
//! adjoint, the core of convolution and average pooling), max pooling with
//! indices, and the scatter/gather of one value per output position.
//! Every kernel works plane by plane, parallel over planes when large.

use super::PARALLEL_THRESHOLD;
use crate::error::{Error, Result};
use crate::storage::{filled_vec, vec_with_capacity, Element};
use rayon::prelude::*;

/// A 2-D sliding window: kernel extent, stride, dilation and the zero padding
/// before (`pad_lo`) and after (`pad_hi`) the input along each of the two dims.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Window2d {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub dilation: [usize; 2],
    pub pad_lo: [usize; 2],
    pub pad_hi: [usize; 2],
}

impl Window2d {
    /// Errors unless kernel, dilation and stride are positive along both dims,
    /// with the message PyTorch's `op` (`im2col`, `col2im`) gives; every
    /// kernel here divides by the stride and steps by the dilation.
    pub fn check(&self, op: &str) -> Result<()> {
        for (values, label) in [(self.kernel, "kernel"), (self.dilation, "dilation"), (self.stride, "stride")] {
            if values.contains(&0) {
                return Err(Error::runtime(format!("{op}(): expected {label} to be greater than zero, but got {label}=[{}, {}]", values[0], values[1])));
            }
        }
        Ok(())
    }

    /// Rows of one im2col block per channel: the kernel's size.
    pub fn kernel_len(&self) -> usize {
        self.kernel[0] * self.kernel[1]
    }

    /// The extent one window covers along dim `d`.
    pub fn span(&self, d: usize) -> usize {
        self.dilation[d].saturating_mul(self.kernel[d].max(1) - 1).saturating_add(1)
    }

    /// Window positions along dim `d` for an input of `len`, or `None` when
    /// the window is larger than the padded input or the stride is zero.
    pub fn positions(&self, len: usize, d: usize) -> Option<usize> {
        // Saturating: a padded extent beyond usize has more positions than any buffer can hold.
        let padded = len.saturating_add(self.pad_lo[d]).saturating_add(self.pad_hi[d]);
        let room = padded.checked_sub(self.span(d))?;
        Some(room.checked_div(self.stride[d])? + 1)
    }

    /// Input coordinate of window position `o`, kernel tap `k`, along dim `d`.
    #[inline]
    fn coord(&self, o: usize, k: usize, d: usize) -> isize {
        (o * self.stride[d] + k * self.dilation[d]) as isize - self.pad_lo[d] as isize
    }

    /// The taps `k` of window `o` that land inside `0..len` along dim `d`:
    /// `0 <= o*stride + k*dilation - pad < len`.
    #[inline]
    fn taps(&self, o: usize, d: usize, len: usize) -> std::ops::Range<usize> {
        let (dil, start) = (self.dilation[d] as isize, (o * self.stride[d]) as isize - self.pad_lo[d] as isize);
        let lo = if start >= 0 { 0 } else { (-start + dil - 1) / dil };
        let hi = if start >= len as isize { 0 } else { (len as isize - start + dil - 1) / dil };
        (lo as usize).min(self.kernel[d])..(hi as usize).min(self.kernel[d])
    }

    /// The window positions `o` in `0..out` whose tap `k` lands inside `0..len`.
    #[inline]
    fn valid(&self, k: usize, d: usize, len: usize, out: usize) -> std::ops::Range<usize> {
        let (s, base) = (self.stride[d] as isize, (k * self.dilation[d]) as isize - self.pad_lo[d] as isize);
        // o*s + base >= 0  and  o*s + base < len
        let lo = if base >= 0 { 0 } else { ((-base) + s - 1) / s };
        let hi = if (len as isize) <= base { 0 } else { ((len as isize - base) + s - 1) / s };
        (lo.max(0) as usize).min(out)..(hi.max(0) as usize).min(out)
    }
}

/// Geometry of one call: planes (batch * channels), input and output extents.
#[derive(Copy, Clone, Debug)]
pub struct Planes {
    pub count: usize,
    pub input: [usize; 2],
    pub output: [usize; 2],
}

impl Planes {
    fn in_len(&self) -> usize {
        self.input[0] * self.input[1]
    }
    fn out_len(&self) -> usize {
        self.output[0] * self.output[1]
    }
}

fn parallel(work: usize) -> bool {
    work >= PARALLEL_THRESHOLD
}

/// `(planes, H, W)` -> `(planes, kh*kw, oh*ow)`: column `l` of a plane's block
/// holds the window at output position `l`; padding reads as zero.
pub fn im2col<T: Element + std::ops::Add<Output = T>>(x: &[T], p: Planes, w: &Window2d) -> Result<Vec<T>> {
    let block = w.kernel_len() * p.out_len();
    let mut cols = filled_vec(p.count * block, T::default())?;
    if block == 0 {
        return Ok(cols);
    }
    let fill = |(plane, out): (usize, &mut [T])| im2col_plane(&x[plane * p.in_len()..(plane + 1) * p.in_len()], out, p, w);
    if parallel(cols.len()) {
        crate::threads::parallel(|| cols.par_chunks_mut(block).enumerate().for_each(fill));
    } else {
        cols.chunks_mut(block).enumerate().for_each(fill);
    }
    Ok(cols)
}

fn im2col_plane<T: Element>(x: &[T], cols: &mut [T], p: Planes, w: &Window2d) {
    let ([h, wd], [oh, ow]) = (p.input, p.output);
    for ki in 0..w.kernel[0] {
        let rows = w.valid(ki, 0, h, oh);
        for kj in 0..w.kernel[1] {
            let cols_j = w.valid(kj, 1, wd, ow);
            let row = &mut cols[(ki * w.kernel[1] + kj) * oh * ow..][..oh * ow];
            for oy in rows.clone() {
                let iy = w.coord(oy, ki, 0) as usize;
                let src = &x[iy * wd..(iy + 1) * wd];
                let dst = &mut row[oy * ow..(oy + 1) * ow];
                if w.stride[1] == 1 && !cols_j.is_empty() {
                    // Unit stride: the tap's inputs are one contiguous run.
                    let first = w.coord(cols_j.start, kj, 1) as usize;
                    dst[cols_j.clone()].copy_from_slice(&src[first..first + cols_j.len()]);
                    continue;
                }
                for ox in cols_j.clone() {
                    dst[ox] = src[w.coord(ox, kj, 1) as usize];
                }
            }
        }
    }
}

/// The adjoint of `im2col`: `(planes, kh*kw, oh*ow)` -> `(planes, H, W)`, each
/// column entry added back at the input position it was read from.
pub fn col2im<T: Element + std::ops::Add<Output = T>>(cols: &[T], p: Planes, w: &Window2d) -> Result<Vec<T>> {
    let block = w.kernel_len() * p.out_len();
    let mut x = filled_vec(p.count * p.in_len(), T::default())?;
    if p.in_len() == 0 {
        return Ok(x);
    }
    let fill = |(plane, out): (usize, &mut [T])| col2im_plane(&cols[plane * block..(plane + 1) * block], out, p, w);
    if parallel(cols.len()) {
        crate::threads::parallel(|| x.par_chunks_mut(p.in_len()).enumerate().for_each(fill));
    } else {
        x.chunks_mut(p.in_len()).enumerate().for_each(fill);
    }
    Ok(x)
}

fn col2im_plane<T: Element + std::ops::Add<Output = T>>(cols: &[T], x: &mut [T], p: Planes, w: &Window2d) {
    let ([h, wd], [oh, ow]) = (p.input, p.output);
    if oh * ow == 0 {
        return;
    }
    for ki in 0..w.kernel[0] {
        let rows = w.valid(ki, 0, h, oh);
        for kj in 0..w.kernel[1] {
            let cols_j = w.valid(kj, 1, wd, ow);
            let row = &cols[(ki * w.kernel[1] + kj) * oh * ow..][..oh * ow];
            for oy in rows.clone() {
                let iy = w.coord(oy, ki, 0) as usize;
                let dst = &mut x[iy * wd..(iy + 1) * wd];
                let src = &row[oy * ow..(oy + 1) * ow];
                for ox in cols_j.clone() {
                    let ix = w.coord(ox, kj, 1) as usize;
                    dst[ix] = dst[ix] + src[ox];
                }
            }
        }
    }
}

/// Max over each window (padding excluded) and the flat in-plane index of
/// the first maximum; a NaN wins over any number, as in PyTorch.
pub fn max_pool<T: Element>(x: &[T], p: Planes, w: &Window2d) -> Result<(Vec<T>, Vec<i64>)> {
    let n = p.count * p.out_len();
    let mut values = filled_vec(n, T::default())?;
    let mut indices = filled_vec(n, 0i64)?;
    if p.out_len() == 0 {
        return Ok((values, indices));
    }
    let fill = |(plane, (vals, idx)): (usize, (&mut [T], &mut [i64]))| max_pool_plane(&x[plane * p.in_len()..(plane + 1) * p.in_len()], vals, idx, p, w);
    if parallel(n * w.kernel_len()) {
        crate::threads::parallel(|| values.par_chunks_mut(p.out_len()).zip(indices.par_chunks_mut(p.out_len())).enumerate().for_each(fill));
    } else {
        values.chunks_mut(p.out_len()).zip(indices.chunks_mut(p.out_len())).enumerate().for_each(fill);
    }
    Ok((values, indices))
}

/// Whether `v` replaces `best` as a window's maximum: a larger value, or the
/// first NaN.
#[allow(clippy::eq_op)]
#[inline(always)]
fn beats<T: Element>(v: T, best: T) -> bool {
    v > best || (v != v && best == best)
}

/// Whether every window lies inside the input with unit dilation (no
/// padding, no ceil-mode overhang): windows then need no tap clipping.
fn interior(p: Planes, w: &Window2d) -> bool {
    (0..2).all(|d| {
        let last = p.output[d].checked_sub(1).map(|o| o * w.stride[d] + w.kernel[d]);
        w.pad_lo[d] == 0 && w.dilation[d] == 1 && last.is_some_and(|end| end <= p.input[d])
    })
}

/// `max_pool_plane` for interior windows, the `KH x KW` kernel known at
/// compile time for the common 2x2 and 3x3 pools (0 means "read it from `w`").
fn max_pool_interior<T: Element, const KH: usize, const KW: usize>(x: &[T], vals: &mut [T], idx: &mut [i64], p: Planes, w: &Window2d) {
    let ([_, wd], [oh, ow]) = (p.input, p.output);
    let (kh, kw) = (if KH > 0 { KH } else { w.kernel[0] }, if KW > 0 { KW } else { w.kernel[1] });
    let [sy, sx] = w.stride;
    for oy in 0..oh {
        let top = oy * sy;
        let (vals, idx) = (&mut vals[oy * ow..(oy + 1) * ow], &mut idx[oy * ow..(oy + 1) * ow]);
        for (ox, (val, at_out)) in vals.iter_mut().zip(idx.iter_mut()).enumerate() {
            let left = ox * sx;
            let (mut best, mut at) = (x[top * wd + left], top * wd + left);
            for ky in 0..kh {
                let row = (top + ky) * wd + left;
                for (kx, &v) in x[row..row + kw].iter().enumerate() {
                    if beats(v, best) {
                        (best, at) = (v, row + kx);
                    }
                }
            }
            *val = best;
            *at_out = at as i64;
        }
    }
}

fn max_pool_plane<T: Element>(x: &[T], vals: &mut [T], idx: &mut [i64], p: Planes, w: &Window2d) {
    if interior(p, w) {
        return match w.kernel {
            [2, 2] => max_pool_interior::<T, 2, 2>(x, vals, idx, p, w),
            [3, 3] => max_pool_interior::<T, 3, 3>(x, vals, idx, p, w),
            _ => max_pool_interior::<T, 0, 0>(x, vals, idx, p, w),
        };
    }
    let ([h, wd], [oh, ow]) = (p.input, p.output);
    for oy in 0..oh {
        let ys = w.taps(oy, 0, h);
        for ox in 0..ow {
            let xs = w.taps(ox, 1, wd);
            // A window always holds an input element (padding is at most
            // half the kernel); the first NaN wins, as in PyTorch, and
            // otherwise the first maximum.
            let (mut best, mut at) = (T::default(), usize::MAX);
            for ky in ys.clone() {
                let iy = w.coord(oy, ky, 0) as usize;
                let row = &x[iy * wd..(iy + 1) * wd];
                for kx in xs.clone() {
                    let ix = w.coord(ox, kx, 1) as usize;
                    let v = row[ix];
                    if at == usize::MAX || beats(v, best) {
                        (best, at) = (v, iy * wd + ix);
                    }
                }
            }
            vals[oy * ow + ox] = best;
            idx[oy * ow + ox] = if at == usize::MAX { 0 } else { at as i64 };
        }
    }
}

/// Errors unless `index` holds one in-plane position (`0..in_len`) per value:
/// indices may come back from a saved-tensor hook changed.
fn check_plane_indices(index: &[i64], values: usize, planes: usize, in_len: usize) -> Result<()> {
    if index.len() != values || (planes > 0 && values % planes != 0) {
        return Err(Error::CountMismatch { expected: "expected ", lhs: values, sep: " max indices, one per pooled value, but got ", rhs: index.len(), tail: "" });
    }
    match index.iter().find(|&&at| at < 0 || at as u64 >= in_len as u64) {
        Some(at) => Err(Error::InvalidMaxIndex { index: *at, size: in_len }),
        None => Ok(()),
    }
}

/// Adds `values[plane, l]` at `index[plane, l]` of a zero `(planes, in_len)` block.
pub fn scatter_add_planes<T: Element + std::ops::Add<Output = T>>(values: &[T], index: &[i64], planes: usize, in_len: usize) -> Result<Vec<T>> {
    check_plane_indices(index, values.len(), planes, in_len)?;
    let mut out = filled_vec(planes * in_len, T::default())?;
    let out_len = values.len().checked_div(planes).unwrap_or(0);
    if in_len == 0 || out_len == 0 {
        return Ok(out);
    }
    let fill = |(plane, dst): (usize, &mut [T])| {
        let (v, i) = (&values[plane * out_len..(plane + 1) * out_len], &index[plane * out_len..(plane + 1) * out_len]);
        for (&g, &at) in v.iter().zip(i) {
            dst[at as usize] = dst[at as usize] + g;
        }
    };
    if parallel(values.len()) {
        crate::threads::parallel(|| out.par_chunks_mut(in_len).enumerate().for_each(fill));
    } else {
        out.chunks_mut(in_len).enumerate().for_each(fill);
    }
    Ok(out)
}

/// `out[plane, l] = x[plane, index[plane, l]]`: the adjoint of `scatter_add_planes`.
pub fn gather_planes<T: Element>(x: &[T], index: &[i64], planes: usize, in_len: usize) -> Result<Vec<T>> {
    check_plane_indices(index, index.len(), planes, in_len)?;
    let out_len = index.len().checked_div(planes).unwrap_or(0);
    let mut out = vec_with_capacity(index.len())?;
    for plane in 0..planes {
        let src = &x[plane * in_len..(plane + 1) * in_len];
        out.extend(index[plane * out_len..(plane + 1) * out_len].iter().map(|&at| src[at as usize]));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(k: usize, s: usize, d: usize, p: usize) -> Window2d {
        Window2d { kernel: [k, k], stride: [s, s], dilation: [d, d], pad_lo: [p, p], pad_hi: [p, p] }
    }

    #[test]
    fn im2col_and_col2im_are_adjoint() {
        let w = window(3, 2, 1, 1);
        let (oh, ow) = (w.positions(5, 0).unwrap(), w.positions(4, 1).unwrap());
        let p = Planes { count: 2, input: [5, 4], output: [oh, ow] };
        let x: Vec<f64> = (0..40).map(|i| (i as f64 * 0.37).sin()).collect();
        let c: Vec<f64> = (0..2 * 9 * oh * ow).map(|i| (i as f64 * 0.11).cos()).collect();
        let lhs: f64 = im2col(&x, p, &w).unwrap().iter().zip(&c).map(|(a, b)| a * b).sum();
        let rhs: f64 = col2im(&c, p, &w).unwrap().iter().zip(&x).map(|(a, b)| a * b).sum();
        assert!((lhs - rhs).abs() < 1e-12);
    }

    #[test]
    fn max_pool_takes_first_maximum() {
        let w = window(2, 2, 1, 0);
        let p = Planes { count: 1, input: [2, 2], output: [1, 1] };
        let (v, i) = max_pool(&[1.0f32, 3.0, 3.0, 0.0], p, &w).unwrap();
        assert_eq!((v, i), (vec![3.0], vec![1]));
    }

    /// Every pooling geometry, interior or clipped, against a brute-force
    /// scan of each window: ties keep the first maximum, the first NaN wins.
    #[test]
    fn max_pool_matches_a_scan_of_each_window() {
        let (h, wd) = (7, 9);
        let mut x: Vec<f64> = (0..2 * h * wd).map(|i| ((i * 37) % 11) as f64).collect();
        x[20] = f64::NAN;
        x[23] = f64::NAN;
        for (k, s, d, pad) in [(2, 2, 1, 0), (3, 3, 1, 0), (3, 1, 1, 0), (3, 2, 1, 1), (2, 1, 2, 0), (4, 3, 1, 0), (5, 2, 1, 2)] {
            let w = window(k, s, d, pad);
            let p = Planes { count: 2, input: [h, wd], output: [w.positions(h, 0).unwrap(), w.positions(wd, 1).unwrap()] };
            let (vals, idx) = max_pool(&x, p, &w).unwrap();
            for plane in 0..2 {
                for oy in 0..p.output[0] {
                    for ox in 0..p.output[1] {
                        let mut best: Option<(f64, usize)> = None;
                        for ky in 0..k {
                            for kx in 0..k {
                                let (iy, ix) = ((oy * s + ky * d) as isize - pad as isize, (ox * s + kx * d) as isize - pad as isize);
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= wd as isize {
                                    continue;
                                }
                                let at = iy as usize * wd + ix as usize;
                                let v = x[plane * h * wd + at];
                                if best.is_none_or(|(b, _)| v > b || (v.is_nan() && !b.is_nan())) {
                                    best = Some((v, at));
                                }
                            }
                        }
                        let (want, want_at) = best.unwrap();
                        let o = plane * p.out_len() + oy * p.output[1] + ox;
                        assert!(vals[o] == want || (vals[o].is_nan() && want.is_nan()), "k{k} s{s} d{d} p{pad} at {o}");
                        assert_eq!(idx[o], want_at as i64, "k{k} s{s} d{d} p{pad} at {o}");
                    }
                }
            }
        }
    }
}
