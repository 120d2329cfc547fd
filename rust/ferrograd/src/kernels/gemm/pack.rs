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
        // The sliver is the transpose of A's rows: element (p, r) is A's (first + r, p).
        let rows_t = MatRef { ptr: a.ptr, rs: a.cs, cs: a.rs };
        if live > 0 {
            // SAFETY: (p, first + r) of the transpose is A's (first + r, p), readable for r < live and p < kc (caller).
            unsafe { copy_block(rows_t.shifted(0, first), kc, live, sliver, mr) };
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
        if live < nr {
            sliver.fill(T::default());
        }
        if live > 0 {
            // SAFETY: (p, first + j) is readable for p < kc and j < live (caller).
            unsafe { copy_block(b.shifted(0, first), kc, live, sliver, nr) };
        }
    }
}

/// Depths copied per pass when the source runs along them: one cache
/// line of f32 per source row, while the destination lines stay in L1.
const DEPTH_RUN: usize = 16;

/// `out[p * ld + j] = src(p, j)` for `p < depth`, `j < width`, walking the
/// source along whichever axis is contiguous. A transposed operand (the
/// matmul backward's) was a strided gather per element; reading it in
/// runs of `DEPTH_RUN` makes it as cheap as packing a plain one.
///
/// # Safety
/// Every `(p, j)` with `p < depth`, `j < width` of `src` must be readable,
/// and `out` must hold `depth * ld` elements with `width <= ld`.
unsafe fn copy_block<T: Copy>(src: MatRef<T>, depth: usize, width: usize, out: &mut [T], ld: usize) {
    if src.cs == 1 && width == ld {
        // Whole slivers of a row-major operand, the common case: a copy of a
        // size known here is a few vector moves, where `copy_from_slice` of
        // a run-time length was a memmove call per row (9% of a 256x1024x2048
        // product's profile).
        // SAFETY: forwarded from the caller; width == ld, so each row holds the W = ld elements copied.
        return unsafe {
            match ld {
                32 => copy_rows::<T, 32>(src, depth, out),
                16 => copy_rows::<T, 16>(src, depth, out),
                8 => copy_rows::<T, 8>(src, depth, out),
                _ => copy_strided_rows(src, depth, width, out, ld),
            }
        };
    }
    if src.cs == 1 || src.rs != 1 {
        // SAFETY: forwarded from the caller.
        return unsafe { copy_strided_rows(src, depth, width, out, ld) };
    }
    for p0 in (0..depth).step_by(DEPTH_RUN) {
        let run = DEPTH_RUN.min(depth - p0);
        for j in 0..width {
            // SAFETY: rows p0 .. p0 + run of column j are readable (caller) and contiguous since rs == 1.
            let column = unsafe { std::slice::from_raw_parts(src.ptr_at(p0, j), run) };
            for (q, &x) in column.iter().enumerate() {
                out[(p0 + q) * ld + j] = x;
            }
        }
    }
}

/// `copy_block` of `depth` rows of exactly `W` contiguous elements each.
///
/// # Safety
/// As `copy_block`, with `src.cs == 1` and `out` holding `depth * W` elements.
#[inline(always)]
unsafe fn copy_rows<T: Copy, const W: usize>(src: MatRef<T>, depth: usize, out: &mut [T]) {
    for (p, dst) in out.chunks_exact_mut(W).take(depth).enumerate() {
        // SAFETY: row p's W elements from column 0 are readable (caller) and contiguous (cs == 1); [T; W] has T's alignment.
        let row = unsafe { &*src.ptr_at(p, 0).cast::<[T; W]>() };
        if let Ok(dst) = <&mut [T; W]>::try_from(dst) {
            *dst = *row;
        }
    }
}

/// `copy_block` row by row, for a source whose rows are contiguous or that
/// is strided both ways.
///
/// # Safety
/// As `copy_block`.
unsafe fn copy_strided_rows<T: Copy>(src: MatRef<T>, depth: usize, width: usize, out: &mut [T], ld: usize) {
    for (p, dst) in out.chunks_exact_mut(ld).take(depth).enumerate() {
        if src.cs == 1 {
            // SAFETY: columns 0 .. width of row p are readable (caller) and contiguous since cs == 1.
            dst[..width].copy_from_slice(unsafe { std::slice::from_raw_parts(src.ptr_at(p, 0), width) });
        } else {
            for (j, slot) in dst[..width].iter_mut().enumerate() {
                // SAFETY: p < depth and j < width, readable by the caller's guarantee.
                *slot = unsafe { src.at(p, j) };
            }
        }
    }
}
