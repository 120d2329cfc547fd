//! Packing: copying a block of an operand, whatever its strides, into the
//! order the micro-kernel reads it, zero-padded to whole slivers so edge
//! tiles need no special loads.

use super::MatRef;

/// Packs the `rows x kc` block at `a` into slivers of `mr` rows: sliver `s`
/// holds, for each `p < kc`, rows `s*mr .. s*mr + mr` of column `p`.
///
/// # Safety
/// Every element `(i, p)` with `i < rows`, `p < kc` of `a` must be readable.
pub unsafe fn pack_a<T: Copy + Default>(a: MatRef<T>, rows: usize, kc: usize, mr: usize, out: &mut [T]) {
    for (s, sliver) in out.chunks_exact_mut(mr * kc).enumerate() {
        let first = s * mr;
        let live = mr.min(rows.saturating_sub(first));
        if live < mr {
            sliver.fill(T::default());
        }
        // Walk A along whichever of its axes is contiguous.
        if a.rs == 1 {
            for (p, dst) in sliver.chunks_exact_mut(mr).enumerate() {
                for (r, slot) in dst[..live].iter_mut().enumerate() {
                    // SAFETY: first + r < rows and p < kc, which the caller guarantees are readable.
                    *slot = unsafe { a.at(first + r, p) };
                }
            }
        } else {
            for r in 0..live {
                for (p, dst) in sliver.chunks_exact_mut(mr).enumerate() {
                    // SAFETY: as above.
                    dst[r] = unsafe { a.at(first + r, p) };
                }
            }
        }
    }
}

/// Packs the `kc x cols` block at `b` into slivers of `nr` columns: sliver
/// `t` holds, for each `p < kc`, columns `t*nr .. t*nr + nr` of row `p`.
///
/// # Safety
/// Every element `(p, j)` with `p < kc`, `j < cols` of `b` must be readable.
pub unsafe fn pack_b<T: Copy + Default>(b: MatRef<T>, kc: usize, cols: usize, nr: usize, first_sliver: usize, out: &mut [T]) {
    for (t, sliver) in out.chunks_exact_mut(nr * kc).enumerate() {
        let first = (first_sliver + t) * nr;
        let live = nr.min(cols.saturating_sub(first));
        for (p, dst) in sliver.chunks_exact_mut(nr).enumerate() {
            let (head, tail) = dst.split_at_mut(live);
            if b.cs == 1 {
                // SAFETY: columns first .. first + live of row p are readable (caller), and contiguous since cs == 1.
                let row = unsafe { std::slice::from_raw_parts(b.ptr_at(p, first), live) };
                head.copy_from_slice(row);
            } else {
                for (j, slot) in head.iter_mut().enumerate() {
                    // SAFETY: p < kc and first + j < cols, readable by the caller's guarantee.
                    *slot = unsafe { b.at(p, first + j) };
                }
            }
            tail.fill(T::default());
        }
    }
}
