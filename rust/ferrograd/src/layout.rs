//! Shape, strides and offset: how a tensor's logical indices map onto its
//! storage. Views (transpose, expand, ...) only build a new `Layout`.

use crate::error::{Error, Result};
use smallvec::SmallVec;

pub type Shape = SmallVec<[usize; 4]>;
pub type Strides = SmallVec<[isize; 4]>;

#[derive(Debug, PartialEq, Eq)]
pub struct Layout {
    shape: Shape,
    strides: Strides,
    offset: usize,
}

// By slice copy: the derived clone goes element by element, and every view
// and snapshot clones a layout.
impl Clone for Layout {
    fn clone(&self) -> Self {
        Layout { shape: Shape::from_slice(&self.shape), strides: Strides::from_slice(&self.strides), offset: self.offset }
    }
}

/// PyTorch takes a list of dims (reductions over dims, squeeze of dims) only
/// on tensors with at most this many dims; tensors themselves may have more.
pub const MAX_DIMS_IN_DIM_LIST: usize = 64;

/// The most elements (and bytes) a tensor may have: PyTorch's int64 limit.
pub const MAX_NUMEL: usize = i64::MAX as usize;

fn numel_overflow() -> Error {
    Error::runtime("numel: integer multiplication overflow")
}

/// The number of elements of `shape`, or PyTorch's overflow error. The
/// product of the nonzero sizes must fit as well (even when another size is
/// 0), so every walk and stride over a layout of this shape fits in `isize`.
pub fn numel(shape: &[usize]) -> Result<usize> {
    let mut nonzero = 1usize;
    for &size in shape.iter().filter(|&&s| s != 0) {
        nonzero = nonzero.checked_mul(size).filter(|&n| n <= MAX_NUMEL).ok_or_else(numel_overflow)?;
    }
    Ok(if shape.contains(&0) { 0 } else { nonzero })
}

/// The bytes a new contiguous tensor of `shape` needs, or PyTorch's error
/// when that size cannot even be computed.
pub fn contiguous_storage_bytes(shape: &[usize], itemsize: usize) -> Result<usize> {
    numel(shape)
        .ok()
        .and_then(|n| n.checked_mul(itemsize))
        .filter(|&bytes| bytes <= MAX_NUMEL)
        .ok_or_else(|| Error::StorageSizeOverflow { sizes: crate::error::ShapeList(shape.to_vec()) })
}

/// Row-major strides of `shape` (size-0 and size-1 dims count as 1).
pub fn contiguous_strides(shape: &[usize]) -> Result<Strides> {
    numel(shape)?;
    let mut strides: Strides = SmallVec::from_elem(0, shape.len());
    let mut acc = 1isize;
    for i in (0..shape.len()).rev() {
        strides[i] = acc;
        // Cannot overflow: the product of the nonzero sizes fits (checked above).
        acc = acc.saturating_mul(shape[i].max(1) as isize);
    }
    Ok(strides)
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
/// Dims are checked innermost first so a mismatch names the last failing
/// dimension (in output coordinates), as PyTorch's message does.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Shape> {
    if a == b {
        return Ok(Shape::from_slice(a));
    }
    let n = a.len().max(b.len());
    let mut out: Shape = SmallVec::from_elem(0, n);
    for i in (0..n).rev() {
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

/// The layout invariant: a `Layout`'s shape has a valid `numel` (see
/// `numel`), so its element count and walks never overflow. Whether its
/// addresses stay inside a storage is checked where a tensor is built from a
/// storage and a layout (`check_fits`), so kernels can trust every layout.
impl Layout {
    pub fn contiguous(shape: &[usize]) -> Result<Self> {
        Ok(Layout { strides: contiguous_strides(shape)?, shape: Shape::from_slice(shape), offset: 0 })
    }

    /// The layout of a 0-d tensor at the start of its storage.
    /// This layout starting `offset` elements into its storage.
    pub fn with_offset(mut self, offset: usize) -> Self {
        self.offset = offset;
        self
    }

    pub fn scalar() -> Self {
        Layout { shape: Shape::new(), strides: Strides::new(), offset: 0 }
    }

    pub fn new(shape: Shape, strides: Strides, offset: usize) -> Result<Self> {
        if shape.len() != strides.len() {
            return Err(Error::CountMismatch { expected: "mismatch in length of strides and shape: ", lhs: strides.len(), sep: " vs ", rhs: shape.len(), tail: "" });
        }
        numel(&shape)?;
        Ok(Layout { shape, strides, offset })
    }

    #[inline]
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    #[inline]
    pub fn strides(&self) -> &[isize] {
        &self.strides
    }
    #[inline]
    pub fn offset(&self) -> usize {
        self.offset
    }
    #[inline]
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }
    #[inline]
    pub fn numel(&self) -> usize {
        // Checked when the layout was made.
        self.shape.iter().product()
    }

    /// The storage positions this layout addresses, lowest to one past the
    /// highest (empty when it names no element), or `None` when they do not
    /// fit in `0..=isize::MAX`.
    pub fn address_range(&self) -> Option<std::ops::Range<usize>> {
        if self.shape.contains(&0) {
            return Some(0..0);
        }
        let (mut lo, mut hi) = (self.offset as i128, self.offset as i128);
        for (&size, &stride) in self.shape.iter().zip(&self.strides) {
            let reach = (size as i128 - 1) * stride as i128;
            if reach < 0 {
                lo += reach;
            } else {
                hi += reach;
            }
        }
        (lo >= 0 && hi < isize::MAX as i128).then(|| lo as usize..hi as usize + 1)
    }

    /// Errors unless every position this layout addresses lies in a storage
    /// of `len` elements (PyTorch's `setStorage` bounds check).
    pub fn check_fits(&self, len: usize, itemsize: usize) -> Result<()> {
        match self.address_range() {
            Some(range) if range.end <= len => Ok(()),
            range => Err(Error::StorageOutOfBounds { sizes: crate::error::ShapeList(self.shape.to_vec()), strides: crate::error::IntList(self.strides.iter().map(|&s| s as i64).collect()), offset: self.offset, itemsize, required: range.map(|r| r.end), available: len }),
        }
    }

    /// Row-major with no gaps (size-1 dims may have any stride).
    #[inline]
    pub fn is_contiguous(&self) -> bool {
        // As in PyTorch, a tensor with no elements is contiguous whatever its strides.
        if self.shape.contains(&0) {
            return true;
        }
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
    #[inline]
    pub fn contiguous_range(&self) -> Option<std::ops::Range<usize>> {
        if self.numel() == 0 {
            return Some(0..0);
        }
        self.is_contiguous().then(|| self.offset..self.offset + self.numel())
    }

    /// A view of this layout broadcast to `target` (stride 0 on stretched dims).
    pub fn broadcast_to(&self, target: &[usize]) -> Result<Layout> {
        if target.len() < self.ndim() {
            return Err(Error::CountMismatch { expected: "the number of sizes provided (", lhs: target.len(), sep: ") must be greater or equal to the number of dimensions in the tensor (", rhs: self.ndim(), tail: ")" });
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
        Layout::new(Shape::from_slice(target), strides, self.offset)
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
        // Any stride suits a size-1 dim; saturating keeps a huge one harmless.
        let stride = if dim < self.ndim() { self.strides[dim].saturating_mul(self.shape[dim] as isize) } else { 1 };
        l.shape.insert(dim, 1);
        l.strides.insert(dim, stride);
        l
    }

    /// Reinterprets a contiguous layout with a new shape of the same numel.
    pub fn reshaped_contiguous(&self, shape: &[usize]) -> Option<Layout> {
        if !self.is_contiguous() || numel(shape).ok() != Some(self.numel()) {
            return None;
        }
        let mut l = Layout::contiguous(shape).ok()?;
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
            // Wrapping: the step past a line's last element (or along a size-1
            // dim, whose stride may be anything) is undone before any use.
            for k in 0..N {
                cur[k] = cur[k].wrapping_add(inner_strides[k]);
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
                base[k] = base[k].wrapping_add(strides[k][d]);
            }
            if index[d] < shape[d] {
                break;
            }
            for k in 0..N {
                base[k] = base[k].wrapping_sub(strides[k][d].wrapping_mul(shape[d] as isize));
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
        let e = broadcast_shapes(&[2, 3], &[4, 5]).unwrap_err();
        assert_eq!(e.to_string(), "The size of tensor a (3) must match the size of tensor b (5) at non-singleton dimension 1");
    }

    #[test]
    fn walk_visits_transposed_layout_in_logical_order() {
        let l = Layout::contiguous(&[2, 3]).unwrap().transpose(0, 1);
        let mut seen = vec![];
        l.for_each_offset(|o| seen.push(o));
        assert_eq!(seen, vec![0, 3, 1, 4, 2, 5]);
    }

    #[test]
    fn numel_refuses_products_past_int64() {
        assert_eq!(numel(&[2, 3]).unwrap(), 6);
        assert_eq!(numel(&[2, 0, 3]).unwrap(), 0);
        assert_eq!(numel(&[1 << 62, 2]).unwrap_err().to_string(), "numel: integer multiplication overflow");
        // Wrapping to a small number (here 4) must not pass for a valid size.
        assert!(numel(&[(1 << 62) + 1, 4]).is_err());
        // Nonzero sizes must multiply out even beside a zero, so strides fit.
        assert!(numel(&[0, 1 << 40, 1 << 40]).is_err());
        assert!(Layout::contiguous(&[1 << 32, 1 << 32]).is_err());
        let e = contiguous_storage_bytes(&[1 << 31, 1 << 31], 4).unwrap_err();
        assert_eq!(e.to_string(), "Storage size calculation overflowed with sizes=[2147483648, 2147483648]");
    }

    #[test]
    fn layouts_fit_only_storages_holding_every_address() {
        let l = Layout::contiguous(&[2, 3]).unwrap();
        assert!(l.check_fits(6, 4).is_ok());
        let e = l.check_fits(5, 4).unwrap_err().to_string();
        assert!(e.contains("requiring a storage size of 24 are out of bounds for storage of size 20"), "{e}");
        // A broadcast of one element fits a one-element storage however large.
        let wide = Layout::contiguous(&[1]).unwrap().broadcast_to(&[1 << 40, 4]).unwrap();
        assert!(wide.check_fits(1, 4).is_ok());
        // Addresses past isize::MAX never fit.
        let far = Layout::new(Shape::from_slice(&[2]), Strides::from_slice(&[isize::MAX]), 0).unwrap();
        assert_eq!(far.address_range(), None);
        assert!(far.check_fits(usize::MAX, 1).is_err());
        // An empty layout names nothing, wherever its offset points.
        let empty = Layout::new(Shape::from_slice(&[0, 3]), Strides::from_slice(&[3, 1]), 100).unwrap();
        assert!(empty.check_fits(0, 4).is_ok());
    }

    #[test]
    fn normalize_dim_reports_pytorch_range() {
        assert_eq!(normalize_dim(-1, 2).unwrap(), 1);
        let e = normalize_dim(5, 2).unwrap_err();
        assert_eq!(e.to_string(), "Dimension out of range (expected to be in range of [-2, 1], but got 5)");
    }
}
