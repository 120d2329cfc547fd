//! Shape, strides and offset: how a tensor's logical indices map onto its
//! storage. Views (transpose, expand, ...) only build a new `Layout`.

use crate::error::{Error, Result};
use smallvec::SmallVec;

pub type Shape = SmallVec<[usize; 4]>;
pub type Strides = SmallVec<[isize; 4]>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    shape: Shape,
    strides: Strides,
    offset: usize,
}

pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

pub fn contiguous_strides(shape: &[usize]) -> Strides {
    let mut strides: Strides = SmallVec::from_elem(0, shape.len());
    let mut acc = 1isize;
    for i in (0..shape.len()).rev() {
        strides[i] = acc;
        acc *= shape[i].max(1) as isize;
    }
    strides
}

/// Wraps a possibly negative dim into `0..ndim` (0-d tensors accept -1 and 0).
pub fn normalize_dim(dim: i64, ndim: usize) -> Result<usize> {
    let n = ndim.max(1) as i64;
    if dim < -n || dim >= n {
        return Err(Error::DimOutOfRange { dim, min: -n, max: n - 1 });
    }
    Ok(if dim < 0 { (dim + n) as usize } else { dim as usize })
}

/// PyTorch broadcasting: align trailing dims; sizes must match or be 1.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Shape> {
    if a == b {
        return Ok(Shape::from_slice(a));
    }
    let n = a.len().max(b.len());
    let mut out: Shape = SmallVec::from_elem(0, n);
    for i in 0..n {
        let da = if i + a.len() >= n { a[i + a.len() - n] } else { 1 };
        let db = if i + b.len() >= n { b[i + b.len() - n] } else { 1 };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            (x, y) => return Err(Error::BroadcastMismatch { a: x, b: y, dim: i }),
        };
    }
    Ok(out)
}

impl Layout {
    pub fn contiguous(shape: &[usize]) -> Self {
        Layout { strides: contiguous_strides(shape), shape: Shape::from_slice(shape), offset: 0 }
    }

    pub fn new(shape: Shape, strides: Strides, offset: usize) -> Self {
        Layout { shape, strides, offset }
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    pub fn strides(&self) -> &[isize] {
        &self.strides
    }
    pub fn offset(&self) -> usize {
        self.offset
    }
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }
    pub fn numel(&self) -> usize {
        numel(&self.shape)
    }

    /// Row-major with no gaps (size-1 dims may have any stride).
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1isize;
        for i in (0..self.shape.len()).rev() {
            if self.shape[i] != 1 {
                if self.strides[i] != expected {
                    return false;
                }
                expected *= self.shape[i] as isize;
            }
        }
        true
    }

    /// The contiguous storage range `offset..offset+numel` when the layout is
    /// contiguous. An empty layout names no element, so its range is empty
    /// wherever its offset points (it may point past an empty buffer).
    pub fn contiguous_range(&self) -> Option<std::ops::Range<usize>> {
        if self.numel() == 0 {
            return Some(0..0);
        }
        self.is_contiguous().then(|| self.offset..self.offset + self.numel())
    }

    /// A view of this layout broadcast to `target` (stride 0 on stretched dims).
    pub fn broadcast_to(&self, target: &[usize]) -> Result<Layout> {
        if target.len() < self.ndim() {
            return Err(Error::runtime(format!(
                "the number of sizes provided ({}) must be greater or equal to the number of dimensions in the tensor ({})",
                target.len(),
                self.ndim()
            )));
        }
        let lead = target.len() - self.ndim();
        let mut strides: Strides = SmallVec::from_elem(0, target.len());
        for (i, &t) in target.iter().enumerate() {
            if i < lead {
                continue;
            }
            let (s, st) = (self.shape[i - lead], self.strides[i - lead]);
            strides[i] = if s == t {
                st
            } else if s == 1 {
                0
            } else {
                return Err(Error::ExpandMismatch {
                    target: t as i64,
                    existing: s,
                    dim: i,
                    target_shape: target.into(),
                    tensor_shape: self.shape[..].into(),
                });
            };
        }
        Ok(Layout { shape: Shape::from_slice(target), strides, offset: self.offset })
    }

    pub fn transpose(&self, d0: usize, d1: usize) -> Layout {
        let mut l = self.clone();
        l.shape.swap(d0, d1);
        l.strides.swap(d0, d1);
        l
    }

    pub fn permute(&self, dims: &[usize]) -> Layout {
        Layout {
            shape: dims.iter().map(|&d| self.shape[d]).collect(),
            strides: dims.iter().map(|&d| self.strides[d]).collect(),
            offset: self.offset,
        }
    }

    pub fn unsqueeze(&self, dim: usize) -> Layout {
        let mut l = self.clone();
        let stride = if dim < self.ndim() { self.strides[dim] * self.shape[dim] as isize } else { 1 };
        l.shape.insert(dim, 1);
        l.strides.insert(dim, stride);
        l
    }

    /// Reinterprets a contiguous layout with a new shape of the same numel.
    pub fn reshaped_contiguous(&self, shape: &[usize]) -> Option<Layout> {
        if !self.is_contiguous() || numel(shape) != self.numel() {
            return None;
        }
        let mut l = Layout::contiguous(shape);
        l.offset = self.offset;
        Some(l)
    }

    /// Calls `f` with the storage offset of every element, in row-major logical order.
    #[inline]
    pub fn for_each_offset(&self, mut f: impl FnMut(usize)) {
        if let Some(range) = self.contiguous_range() {
            range.for_each(f);
            return;
        }
        walk(&self.shape, &[&self.strides], &[self.offset], |offs| f(offs[0]));
    }
}

/// Visits every index of `shape` in row-major order, calling `f` with one storage
/// offset per layout. The innermost dim is a tight loop; outer dims use a counter,
/// so there is no recursion whatever the rank.
pub fn walk<const N: usize>(shape: &[usize], strides: &[&[isize]; N], offsets: &[usize; N], mut f: impl FnMut([usize; N])) {
    if shape.iter().any(|&s| s == 0) {
        return;
    }
    let ndim = shape.len();
    if ndim == 0 {
        f(*offsets);
        return;
    }
    let inner = shape[ndim - 1];
    let inner_strides: [isize; N] = std::array::from_fn(|k| strides[k][ndim - 1]);
    let mut index: Shape = SmallVec::from_elem(0, ndim - 1);
    let mut base: [isize; N] = std::array::from_fn(|k| offsets[k] as isize);
    loop {
        let mut cur = base;
        for _ in 0..inner {
            f(std::array::from_fn(|k| cur[k] as usize));
            for k in 0..N {
                cur[k] += inner_strides[k];
            }
        }
        // Advance the outer counter like an odometer.
        let mut d = ndim - 1;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            index[d] += 1;
            for k in 0..N {
                base[k] += strides[k][d];
            }
            if index[d] < shape[d] {
                break;
            }
            for k in 0..N {
                base[k] -= strides[k][d] * shape[d] as isize;
            }
            index[d] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_matches_pytorch() {
        assert_eq!(&broadcast_shapes(&[3, 1], &[1, 4]).unwrap()[..], &[3, 4]);
        assert_eq!(&broadcast_shapes(&[2, 3], &[3]).unwrap()[..], &[2, 3]);
        assert_eq!(&broadcast_shapes(&[], &[5]).unwrap()[..], &[5]);
        let e = broadcast_shapes(&[2, 3], &[2, 4]).unwrap_err();
        assert_eq!(e.to_string(), "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1");
    }

    #[test]
    fn walk_visits_transposed_layout_in_logical_order() {
        let l = Layout::contiguous(&[2, 3]).transpose(0, 1);
        let mut seen = vec![];
        l.for_each_offset(|o| seen.push(o));
        assert_eq!(seen, vec![0, 3, 1, 4, 2, 5]);
    }

    #[test]
    fn normalize_dim_reports_pytorch_range() {
        assert_eq!(normalize_dim(-1, 2).unwrap(), 1);
        let e = normalize_dim(5, 2).unwrap_err();
        assert_eq!(e.to_string(), "Dimension out of range (expected to be in range of [-2, 1], but got 5)");
    }
}
