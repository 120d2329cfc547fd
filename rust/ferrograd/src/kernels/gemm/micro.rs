//! The micro-kernel: an `MR x 2·LANES` tile of C held in registers while
//! it walks the packed slivers of A and B, one fused multiply-add per
//! accumulator per step. Generic over the vector type; `MR` is chosen per
//! instruction set so the accumulators fill its register file.

use crate::simd::{Lanes, MAX_LANES};
use std::mem::MaybeUninit;
use std::ops::Add;

/// A tile of C: `rows x cols` (at most `MR x 2·LANES`) at `ptr`, rows `ldc` apart.
pub struct Tile<T> {
    pub ptr: *mut T,
    pub ldc: usize,
    pub rows: usize,
    pub cols: usize,
}

/// `MR` rows of A, `kc` deep, as the micro-kernel reads them.
pub trait Sliver<T>: Copy {
    /// Element `(r, p)`: row `r < MR`, depth `p < kc`.
    ///
    /// # Safety
    /// `(r, p)` must lie inside the sliver.
    unsafe fn at(self, r: usize, p: usize) -> T;
}

/// A packed sliver: for each depth `p`, its `MR` rows side by side.
#[derive(Clone, Copy)]
pub struct Packed<'a, T, const MR: usize>(pub &'a [T]);

impl<T: Copy, const MR: usize> Sliver<T> for Packed<'_, T, MR> {
    #[inline(always)]
    unsafe fn at(self, r: usize, p: usize) -> T {
        // SAFETY: the caller keeps r < MR and p < kc, and the slice holds MR * kc elements.
        unsafe { *self.0.get_unchecked(p * MR + r) }
    }
}

/// A sliver read in place from A's own strides: small products skip
/// packing A, whose cost their few columns would not amortise.
#[derive(Clone, Copy)]
pub struct InPlace<T> {
    pub ptr: *const T,
    pub rs: isize,
    pub cs: isize,
}

impl<T: Copy> Sliver<T> for InPlace<T> {
    #[inline(always)]
    unsafe fn at(self, r: usize, p: usize) -> T {
        // SAFETY: the caller keeps (r, p) inside the sliver, whose elements are readable (gemm's contract).
        unsafe { *self.ptr.offset(r as isize * self.rs + p as isize * self.cs) }
    }
}

/// `tile = a · pb` (or `tile += a · pb` when `accumulate`), where `a` is an
/// `MR`-row sliver and `pb` a packed `2·LANES`-column sliver, both `kc` deep.
///
/// # Safety
/// `a` must hold `MR x kc` elements, where `kc = pb.len() / (2·LANES)`.
/// Each of the tile's `rows` rows must hold `cols` elements at
/// `ptr + r * ldc` that no other thread touches during the call, initialised
/// when `accumulate` (otherwise they are only written).
#[inline(always)]
pub unsafe fn tile<V: Lanes<T>, T: Copy + Default + Add<Output = T>, A: Sliver<T>, const MR: usize>(
    v: V,
    a: A,
    pb: &[T],
    tile: Tile<T>,
    accumulate: bool,
) {
    let lanes = V::LANES;
    let mut acc = [[v.zero(); 2]; MR];
    for (p, b) in pb.chunks_exact(2 * lanes).enumerate() {
        let (b0, b1) = (v.load(&b[..lanes]), v.load(&b[lanes..]));
        for (r, row) in acc.iter_mut().enumerate() {
            // SAFETY: r < MR and p < kc, inside the sliver (the contract).
            let x = v.splat(unsafe { a.at(r, p) });
            row[0] = v.mul_add(x, b0, row[0]);
            row[1] = v.mul_add(x, b1, row[1]);
        }
    }
    let full = tile.rows == MR && tile.cols == 2 * lanes;
    // Every row is visited and the clipped ones skipped, rather than the
    // loop stopping at `rows`: with a constant trip count the loop unrolls,
    // every accumulator has a constant index, and the accumulators stay in
    // registers. (A variable count made LLVM keep the 28 of the tall tile in
    // memory and store them all on every step, halving its speed.)
    for (r, row_acc) in acc.iter().enumerate() {
        if r >= tile.rows {
            continue;
        }
        // SAFETY: row r < rows has `cols` elements there that only this call touches (the contract); as MaybeUninit they may be uninitialised.
        let row = unsafe { std::slice::from_raw_parts_mut(tile.ptr.add(r * tile.ldc).cast::<MaybeUninit<T>>(), tile.cols) };
        let (mut x0, mut x1) = (row_acc[0], row_acc[1]);
        if accumulate {
            // SAFETY: when accumulating, the contract says the row is initialised, and MaybeUninit<T> has T's layout.
            let row = unsafe { &mut *(row as *mut [MaybeUninit<T>] as *mut [T]) };
            if full {
                let (lo, hi) = row.split_at_mut(lanes);
                x0 = v.add(x0, v.load(lo));
                x1 = v.add(x1, v.load(hi));
                v.store(lo, x0);
                v.store(hi, x1);
            } else {
                let out = spill(v, x0, x1);
                row.iter_mut().zip(&out).for_each(|(dst, &x)| *dst = *dst + x);
            }
        } else if full {
            let (lo, hi) = row.split_at_mut(lanes);
            v.store_uninit(lo, x0);
            v.store_uninit(hi, x1);
        } else {
            let out = spill(v, x0, x1);
            row.iter_mut().zip(&out).for_each(|(dst, &x)| {
                dst.write(x);
            });
        }
    }
}

/// A tile row's two vectors as an array, for the clipped edge tiles.
#[inline(always)]
fn spill<V: Lanes<T>, T: Copy + Default>(v: V, x0: V::V, x1: V::V) -> [T; 2 * MAX_LANES] {
    let lanes = V::LANES;
    let mut out = [T::default(); 2 * MAX_LANES];
    v.store(&mut out[..lanes], x0);
    v.store(&mut out[lanes..], x1);
    out
}
