//! The micro-kernel: an `MR x 2·LANES` tile of C held in registers while
//! it walks the packed slivers of A and B, one fused multiply-add per
//! accumulator per step. Generic over the vector type; `MR` is chosen per
//! instruction set so the accumulators fill its register file.

use crate::simd::{Lanes, MAX_LANES};
use std::ops::Add;

/// A tile of C: `rows x cols` (at most `MR x 2·LANES`) at `ptr`, rows `ldc` apart.
pub struct Tile<T> {
    pub ptr: *mut T,
    pub ldc: usize,
    pub rows: usize,
    pub cols: usize,
}

/// `tile = pa · pb` (or `tile += pa · pb` when `accumulate`), where `pa` is an
/// `MR`-row sliver and `pb` a `2·LANES`-column sliver, both `kc` deep.
///
/// # Safety
/// Each of the tile's `rows` rows must hold `cols` initialised elements at
/// `ptr + r * ldc` that no other thread touches during the call.
#[inline(always)]
pub unsafe fn tile<V: Lanes<T>, T: Copy + Default + Add<Output = T>, const MR: usize>(
    v: V,
    pa: &[T],
    pb: &[T],
    tile: Tile<T>,
    accumulate: bool,
) {
    let lanes = V::LANES;
    let mut acc = [[v.zero(); 2]; MR];
    for (a, b) in pa.chunks_exact(MR).zip(pb.chunks_exact(2 * lanes)) {
        let (b0, b1) = (v.load(&b[..lanes]), v.load(&b[lanes..]));
        for (row, &x) in acc.iter_mut().zip(a) {
            let x = v.splat(x);
            row[0] = v.mul_add(x, b0, row[0]);
            row[1] = v.mul_add(x, b1, row[1]);
        }
    }
    let full = tile.rows == MR && tile.cols == 2 * lanes;
    for (r, row_acc) in acc.iter().enumerate().take(tile.rows) {
        // SAFETY: row r < rows holds `cols` initialised elements that only this call touches (the contract).
        let row = unsafe { std::slice::from_raw_parts_mut(tile.ptr.add(r * tile.ldc), tile.cols) };
        if full {
            let (lo, hi) = row.split_at_mut(lanes);
            let (mut x0, mut x1) = (row_acc[0], row_acc[1]);
            if accumulate {
                x0 = v.add(x0, v.load(lo));
                x1 = v.add(x1, v.load(hi));
            }
            v.store(lo, x0);
            v.store(hi, x1);
        } else {
            let mut lanes_out = [T::default(); 2 * MAX_LANES];
            v.store(&mut lanes_out[..lanes], row_acc[0]);
            v.store(&mut lanes_out[lanes..], row_acc[1]);
            for (dst, &x) in row.iter_mut().zip(&lanes_out) {
                *dst = if accumulate { *dst + x } else { x };
            }
        }
    }
}
