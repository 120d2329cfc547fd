//! A naive model of PyTorch's view semantics, independent of strides.
//!
//! A `RefView` is a shape plus a function from a multi-index to the linear
//! (row-major) index of the base tensor it was derived from. Each view op
//! composes a new function from the old one, so the model needs no storage and
//! works on views of any size: a view of 2^60 elements costs nothing until its
//! elements are read, and only a few of them are read when it is large.
//!
//! Each op follows PyTorch's rules for which arguments are errors; `Err`
//! carries a short reason used in failure messages.
//!
//! This file is shared by the fuzz targets and by the proptest harness
//! (`tests/core/prop_layout.rs`, included by path from `tests/core/main.rs`),
//! so it depends on nothing but std.

#![allow(dead_code)]

use std::rc::Rc;

pub type RefResult<T> = Result<T, &'static str>;

type IndexMap = Rc<dyn Fn(&[usize]) -> usize>;

/// PyTorch keeps sizes and numels in int64: a shape whose product does not fit
/// must be rejected.
pub const MAX_NUMEL: u128 = i64::MAX as u128;

#[derive(Clone)]
pub struct RefView {
    pub shape: Vec<usize>,
    map: IndexMap,
}

impl std::fmt::Debug for RefView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RefView{:?}", self.shape)
    }
}

/// Product of `shape`, or `None` when it exceeds int64.
pub fn checked_numel(shape: &[usize]) -> Option<usize> {
    if overflow_hidden_by_zero(shape) {
        return None;
    }
    let n = shape.iter().fold(1u128, |n, &s| n.saturating_mul(s as u128));
    (n <= MAX_NUMEL).then_some(n as usize)
}

/// A shape with a zero size whose other sizes multiply past int64, such as
/// `[2**62, 4, 0]`. Its numel is 0 but computing it overflows on the way;
/// PyTorch's answer depends on the op, so callers accept `Ok` or `Err` here.
pub fn overflow_hidden_by_zero(shape: &[usize]) -> bool {
    shape.contains(&0) && shape.iter().filter(|&&s| s != 0).fold(1u128, |n, &s| n.saturating_mul(s as u128)) > MAX_NUMEL
}

/// Row-major linear index of `idx` in `shape`.
pub fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0usize, |acc, (&i, &s)| acc * s + i)
}

/// Inverse of `ravel`.
pub fn unravel(mut linear: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        let s = shape[d].max(1);
        idx[d] = linear % s;
        linear /= s;
    }
    idx
}

/// `dim` wrapped into `0..ndim` (a 0-d tensor accepts -1 and 0), as PyTorch.
pub fn wrap_dim(dim: i64, ndim: usize) -> RefResult<usize> {
    let n = ndim.max(1) as i64;
    if dim < -n || dim >= n {
        return Err("dim out of range");
    }
    Ok(if dim < 0 { (dim + n) as usize } else { dim as usize })
}

/// Broadcast shape of `a` and `b` (trailing dims aligned, sizes equal or 1).
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> RefResult<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n { a[i + a.len() - n] } else { 1 };
        let db = if i + b.len() >= n { b[i + b.len() - n] } else { 1 };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return Err("shapes do not broadcast"),
        };
    }
    checked_numel(&out).ok_or("broadcast numel overflows int64")?;
    Ok(out)
}

/// The index of `out_idx` (in a broadcast result of rank `out_idx.len()`)
/// inside an operand of shape `shape`.
pub fn broadcast_index(out_idx: &[usize], shape: &[usize]) -> Vec<usize> {
    let lead = out_idx.len() - shape.len();
    shape.iter().enumerate().map(|(d, &s)| if s == 1 { 0 } else { out_idx[lead + d] }).collect()
}

/// Calls `f` on every multi-index of `shape` in row-major order.
pub fn for_each_index(shape: &[usize], mut f: impl FnMut(&[usize])) {
    if shape.iter().any(|&s| s == 0) {
        return;
    }
    let mut idx = vec![0usize; shape.len()];
    loop {
        f(&idx);
        let mut d = shape.len();
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

impl RefView {
    /// A contiguous base tensor: element `i` (row-major) maps to `i`.
    pub fn base(shape: &[usize]) -> RefResult<RefView> {
        checked_numel(shape).ok_or("numel overflows int64")?;
        let s = shape.to_vec();
        Ok(RefView { shape: shape.to_vec(), map: Rc::new(move |idx| ravel(idx, &s)) })
    }

    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    pub fn numel(&self) -> usize {
        checked_numel(&self.shape).expect("a RefView's numel always fits")
    }

    /// Base linear index of the element at `idx`.
    pub fn at(&self, idx: &[usize]) -> usize {
        debug_assert_eq!(idx.len(), self.shape.len());
        (self.map)(idx)
    }

    /// Base linear indices of all elements in row-major order.
    pub fn indices(&self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.numel());
        for_each_index(&self.shape, |idx| out.push(self.at(idx)));
        out
    }

    fn derive(&self, shape: Vec<usize>, f: impl Fn(&[usize], &dyn Fn(&[usize]) -> usize) -> usize + 'static) -> RefView {
        let old = self.map.clone();
        RefView { shape, map: Rc::new(move |idx| f(idx, &*old)) }
    }

    /// `reshape`/`view` sizes: one -1 may be inferred, other negatives are errors.
    pub fn infer_shape(&self, sizes: &[i64]) -> RefResult<Vec<usize>> {
        let numel = self.numel() as u128;
        let mut infer = None;
        let mut known: u128 = 1;
        for (i, &s) in sizes.iter().enumerate() {
            if s == -1 {
                if infer.replace(i).is_some() {
                    return Err("only one dimension can be inferred");
                }
            } else if s < 0 {
                return Err("invalid shape dimension");
            } else {
                // Saturating keeps a zero size decisive: MAX * 0 == 0.
                known = known.saturating_mul(s as u128);
            }
        }
        let mut shape: Vec<usize> = sizes.iter().map(|&s| s.max(0) as usize).collect();
        match infer {
            Some(i) => {
                if known == 0 || numel % known != 0 {
                    return Err("shape is invalid for input size");
                }
                shape[i] = (numel / known) as usize;
            }
            None => {
                if known != numel {
                    return Err("shape is invalid for input size");
                }
            }
        }
        checked_numel(&shape).ok_or("numel overflows int64")?;
        Ok(shape)
    }

    pub fn reshape(&self, sizes: &[i64]) -> RefResult<RefView> {
        let new_shape = self.infer_shape(sizes)?;
        let old_shape = self.shape.clone();
        let ns = new_shape.clone();
        Ok(self.derive(new_shape, move |idx, old| old(&unravel(ravel(idx, &ns), &old_shape))))
    }

    pub fn permute(&self, dims: &[i64]) -> RefResult<RefView> {
        if dims.len() != self.ndim() {
            return Err("number of dims don't match in permute");
        }
        let mut seen = vec![false; self.ndim()];
        let mut perm = Vec::with_capacity(dims.len());
        for &d in dims {
            let d = wrap_dim(d, self.ndim())?;
            if std::mem::replace(&mut seen[d], true) {
                return Err("repeated dim in permute");
            }
            perm.push(d);
        }
        let shape = perm.iter().map(|&d| self.shape[d]).collect();
        Ok(self.derive(shape, move |idx, old| {
            let mut src = vec![0; idx.len()];
            for (i, &p) in perm.iter().enumerate() {
                src[p] = idx[i];
            }
            old(&src)
        }))
    }

    pub fn transpose(&self, d0: i64, d1: i64) -> RefResult<RefView> {
        let (a, b) = (wrap_dim(d0, self.ndim())?, wrap_dim(d1, self.ndim())?);
        if self.ndim() == 0 {
            return Ok(self.clone());
        }
        let mut perm: Vec<i64> = (0..self.ndim() as i64).collect();
        perm.swap(a, b);
        self.permute(&perm)
    }

    /// `t()`: transposes a 2-d tensor, returns 0-d and 1-d ones unchanged.
    pub fn t(&self) -> RefResult<RefView> {
        match self.ndim() {
            0 | 1 => Ok(self.clone()),
            2 => self.transpose(0, 1),
            _ => Err("t() expects a tensor with <= 2 dimensions"),
        }
    }

    /// `expand(*sizes)`: -1 keeps a size, size-1 dims stretch, new dims in front.
    pub fn expand(&self, sizes: &[i64]) -> RefResult<RefView> {
        let nd = self.ndim();
        if sizes.len() < nd {
            return Err("expand: fewer sizes than dims");
        }
        let lead = sizes.len() - nd;
        let mut shape = Vec::with_capacity(sizes.len());
        for (i, &s) in sizes.iter().enumerate() {
            if i < lead {
                if s < 0 {
                    return Err("expand: negative size in a new leading dim");
                }
                shape.push(s as usize);
                continue;
            }
            let existing = self.shape[i - lead];
            shape.push(match s {
                -1 => existing,
                s if s >= 0 && (existing == 1 || s as usize == existing) => s as usize,
                _ => return Err("expand: size mismatch"),
            });
        }
        checked_numel(&shape).ok_or("expand: numel overflows int64")?;
        let old_shape = self.shape.clone();
        Ok(self.derive(shape, move |idx, old| old(&broadcast_index(idx, &old_shape))))
    }

    /// `self[..., start:end:step, ...]` on `dim`, with Python's clamping.
    pub fn slice(&self, dim: i64, start: Option<i64>, end: Option<i64>, step: i64) -> RefResult<RefView> {
        if self.ndim() == 0 {
            return Err("slice() cannot be applied to a 0-dim tensor");
        }
        if step <= 0 {
            return Err("slice step must be positive");
        }
        let d = wrap_dim(dim, self.ndim())?;
        let size = self.shape[d] as i128;
        let clamp = |v: i128| -> i128 {
            let v = if v < 0 { v + size } else { v };
            v.clamp(0, size)
        };
        let start = clamp(start.map_or(0, |s| s as i128));
        let end = clamp(end.map_or(size, |e| e as i128)).max(start);
        let len = ((end - start) + step as i128 - 1) / step as i128;
        let (start, step) = (start as usize, step as usize);
        let mut shape = self.shape.clone();
        shape[d] = len as usize;
        Ok(self.derive(shape, move |idx, old| {
            let mut src = idx.to_vec();
            src[d] = start + idx[d] * step;
            old(&src)
        }))
    }

    pub fn narrow(&self, dim: i64, start: i64, length: i64) -> RefResult<RefView> {
        if self.ndim() == 0 {
            return Err("narrow() cannot be applied to a 0-dim tensor");
        }
        if length < 0 {
            return Err("narrow(): length must be non-negative");
        }
        let d = wrap_dim(dim, self.ndim())?;
        let size = self.shape[d] as i128;
        let start = start as i128;
        if start < -size || start > size {
            return Err("narrow(): start out of range");
        }
        let start = if start < 0 { start + size } else { start };
        if start + length as i128 > size {
            return Err("narrow(): start + length exceeds dimension size");
        }
        self.slice(dim, Some(start as i64), Some((start + length as i128) as i64), 1)
    }

    pub fn select(&self, dim: i64, index: i64) -> RefResult<RefView> {
        if self.ndim() == 0 {
            return Err("select() cannot be applied to a 0-dim tensor");
        }
        let d = wrap_dim(dim, self.ndim())?;
        let size = self.shape[d] as i128;
        let i = index as i128;
        if i < -size || i >= size {
            return Err("select(): index out of range");
        }
        let i = if i < 0 { i + size } else { i } as usize;
        let mut shape = self.shape.clone();
        shape.remove(d);
        Ok(self.derive(shape, move |idx, old| {
            let mut src = idx.to_vec();
            src.insert(d, i);
            old(&src)
        }))
    }

    pub fn unsqueeze(&self, dim: i64) -> RefResult<RefView> {
        let d = wrap_dim(dim, self.ndim() + 1)?;
        let mut shape = self.shape.clone();
        shape.insert(d, 1);
        Ok(self.derive(shape, move |idx, old| {
            let mut src = idx.to_vec();
            src.remove(d);
            old(&src)
        }))
    }

    /// `squeeze(dim)`: drops `dim` when its size is 1, else returns the same shape.
    pub fn squeeze(&self, dim: i64) -> RefResult<RefView> {
        let d = wrap_dim(dim, self.ndim())?;
        if self.ndim() == 0 || self.shape[d] != 1 {
            return Ok(self.clone());
        }
        let mut shape = self.shape.clone();
        shape.remove(d);
        Ok(self.derive(shape, move |idx, old| {
            let mut src = idx.to_vec();
            src.insert(d, 0);
            old(&src)
        }))
    }

    pub fn flip(&self, dims: &[i64]) -> RefResult<RefView> {
        let mut flipped = vec![false; self.ndim().max(1)];
        for &d in dims {
            let d = wrap_dim(d, self.ndim())?;
            if std::mem::replace(&mut flipped[d], true) {
                return Err("dim appears multiple times in flip");
            }
        }
        let shape = self.shape.clone();
        let s2 = shape.clone();
        Ok(self.derive(shape, move |idx, old| {
            let src: Vec<usize> = idx.iter().enumerate().map(|(d, &i)| if flipped[d] { s2[d] - 1 - i } else { i }).collect();
            old(&src)
        }))
    }

    /// `flatten(start_dim, end_dim)` as a reshape.
    pub fn flatten(&self, start: i64, end: i64) -> RefResult<RefView> {
        let (s, e) = (wrap_dim(start, self.ndim())?, wrap_dim(end, self.ndim())?);
        if s > e {
            return Err("flatten() has invalid args: start_dim cannot come after end_dim");
        }
        if self.ndim() == 0 {
            return self.reshape(&[1]);
        }
        let mut sizes: Vec<i64> = self.shape[..s].iter().map(|&x| x as i64).collect();
        sizes.push(self.shape[s..=e].iter().product::<usize>() as i64);
        sizes.extend(self.shape[e + 1..].iter().map(|&x| x as i64));
        self.reshape(&sizes)
    }

    /// `diagonal(offset, dim1, dim2)`: the diagonal moved to the last dim.
    pub fn diagonal(&self, offset: i64, dim1: i64, dim2: i64) -> RefResult<RefView> {
        if self.ndim() < 2 {
            return Err("diagonal needs at least 2 dims");
        }
        let (a, b) = (wrap_dim(dim1, self.ndim())?, wrap_dim(dim2, self.ndim())?);
        if a == b {
            return Err("diagonal dimensions cannot be identical");
        }
        let (sa, sb) = (self.shape[a] as i128, self.shape[b] as i128);
        let off = offset as i128;
        let len = if off >= 0 { (sa).min(sb - off) } else { (sa + off).min(sb) }.max(0) as usize;
        let mut shape: Vec<usize> = (0..self.ndim()).filter(|&d| d != a && d != b).map(|d| self.shape[d]).collect();
        shape.push(len);
        let nd = self.ndim();
        Ok(self.derive(shape, move |idx, old| {
            let k = idx[idx.len() - 1] as i128;
            let (ia, ib) = if off >= 0 { (k, k + off) } else { (k - off, k) };
            let mut src = vec![0; nd];
            let mut rest = idx[..idx.len() - 1].iter();
            for (d, slot) in src.iter_mut().enumerate() {
                *slot = if d == a {
                    ia as usize
                } else if d == b {
                    ib as usize
                } else {
                    *rest.next().expect("`idx` holds one index per dim other than a and b")
                };
            }
            old(&src)
        }))
    }

    /// Sums `values` (one per element of this view, row-major) over `dims`.
    /// Returns the output shape and the sums in row-major order.
    pub fn sum_dims(&self, values: &[i64], dims: &[i64], keepdim: bool) -> RefResult<(Vec<usize>, Vec<i64>)> {
        // A 0-d tensor has one reducible dim (0 or -1) as far as argument
        // checking goes.
        let mut reduce = vec![false; self.ndim().max(1)];
        for &d in dims {
            let d = wrap_dim(d, self.ndim())?;
            if std::mem::replace(&mut reduce[d], true) {
                return Err("dim appears multiple times in the list of dims");
            }
        }
        if dims.is_empty() {
            reduce.iter_mut().for_each(|r| *r = true);
        }
        reduce.truncate(self.ndim());
        let out_full: Vec<usize> = self.shape.iter().zip(&reduce).map(|(&s, &r)| if r { 1 } else { s }).collect();
        let mut sums = vec![0i64; checked_numel(&out_full).expect("no more elements than the view, whose numel fits")];
        let mut k = 0;
        for_each_index(&self.shape, |idx| {
            let o: Vec<usize> = idx.iter().zip(&reduce).map(|(&i, &r)| if r { 0 } else { i }).collect();
            sums[ravel(&o, &out_full)] += values[k];
            k += 1;
        });
        let out_shape = if keepdim {
            out_full
        } else {
            self.shape.iter().zip(&reduce).filter(|(_, &r)| !r).map(|(&s, _)| s).collect()
        };
        Ok((out_shape, sums))
    }
}

/// Naive `torch.matmul` on dense row-major data. Returns the output shape and
/// values.
pub fn matmul(a_shape: &[usize], a: &[f64], b_shape: &[usize], b: &[f64]) -> RefResult<(Vec<usize>, Vec<f64>)> {
    if a_shape.is_empty() || b_shape.is_empty() {
        return Err("both arguments to matmul need to be at least 1D");
    }
    // Promote 1-d operands to matrices, remember which dims to drop afterwards.
    let (mut sa, mut sb) = (a_shape.to_vec(), b_shape.to_vec());
    let drop_m = sa.len() == 1;
    let drop_n = sb.len() == 1;
    if drop_m {
        sa.insert(0, 1);
    }
    if drop_n {
        sb.push(1);
    }
    let (m, k) = (sa[sa.len() - 2], sa[sa.len() - 1]);
    let (k2, n) = (sb[sb.len() - 2], sb[sb.len() - 1]);
    if k != k2 {
        return Err("matmul inner sizes differ");
    }
    let batch = broadcast_shapes(&sa[..sa.len() - 2], &sb[..sb.len() - 2])?;
    let mut full = batch.clone();
    full.extend([m, n]);
    checked_numel(&full).ok_or("matmul output numel overflows")?;
    let mut out = Vec::new();
    for_each_index(&full, |idx| {
        let bi = &idx[..batch.len()];
        let (i, j) = (idx[batch.len()], idx[batch.len() + 1]);
        let mut acc = 0.0;
        for p in 0..k {
            let mut ia = broadcast_index(bi, &sa[..sa.len() - 2]);
            ia.extend([i, p]);
            let mut ib = broadcast_index(bi, &sb[..sb.len() - 2]);
            ib.extend([p, j]);
            acc += a[ravel(&ia, &sa)] * b[ravel(&ib, &sb)];
        }
        out.push(acc);
    });
    let mut shape = batch;
    if !drop_m {
        shape.push(m);
    }
    if !drop_n {
        shape.push(n);
    }
    Ok((shape, out))
}
