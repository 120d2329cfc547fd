//! Copies that reorder elements: reading any strided pattern (including
//! negative and zero strides, which tensor layouts never hold) into a fresh
//! contiguous buffer, and zeroing the triangles of stacked matrices.

use crate::error::{Error, Result};
use crate::layout::walk;
use crate::storage::{vec_with_capacity, Element};
use crate::strided::Strided;

/// The elements at `offset + sum(index[d] * strides[d])` of `x`'s storage for
/// every index of `shape`, in row-major order. The caller keeps every address
/// inside the storage (e.g. a flipped dim starts at its last element).
pub fn gather<T: Element>(x: &Strided, shape: &[usize], strides: &[isize], offset: usize) -> Result<Vec<T>> {
    let x_data = x;
    let buffer = x_data.storage().read()?;
    let data = T::slice(&buffer).ok_or(Error::DTypeMismatch { op: "gather", lhs: x_data.dtype(), rhs: T::DTYPE })?;
    let mut out = vec_with_capacity(crate::layout::numel(shape)?)?;
    walk(shape, &[strides], &[offset], |[o]| out.push(data[o]));
    Ok(out)
}

/// Zeros, in a row-major stack of `rows x cols` matrices, the elements above
/// diagonal `k` (`keep_lower`, as tril) or below it (as triu).
pub fn zero_triangle<T: Element>(values: &mut [T], rows: usize, cols: usize, k: i64, keep_lower: bool) {
    if rows == 0 || cols == 0 {
        return;
    }
    for matrix in values.chunks_mut(rows * cols) {
        for (i, row) in matrix.chunks_mut(cols).enumerate() {
            // Column j is kept by tril when j - i <= k, by triu when j - i >= k.
            let edge = (i as i64).saturating_add(k).clamp(-1, cols as i64);
            let zeroed = if keep_lower { &mut row[(edge + 1).min(cols as i64) as usize..] } else { &mut row[..edge.max(0) as usize] };
            zeroed.fill(T::default());
        }
    }
}

