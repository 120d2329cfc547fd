//! Dense `C = A @ B` for f32 and f64 over strided operands, so transposed
//! views (as in every matmul backward) cost no copy.
//!
//! The blocking follows BLIS: for each `KC`-deep slab, B is packed once
//! into `NR`-column slivers shared by every thread; each task packs an
//! `MC x KC` block of A into `MR`-row slivers (it stays in L2) and runs the
//! micro-kernel over every tile of its block, each B sliver staying in L1.
//! Work is split over blocks of rows and chunks of columns, so the small
//! products of a batch-64 layer still use every thread.

mod micro;
mod pack;

use crate::error::{Error, Result};
use crate::simd::{self, Isa, Kernel, Lanes, Level, SimdElement};
use std::marker::PhantomData;
use crate::storage::filled_vec;
use micro::Tile;
use rayon::prelude::*;
use std::ops::Add;

/// A read-only strided matrix: element `(i, j)` at `ptr + i*rs + j*cs`.
#[derive(Debug)]
pub struct MatRef<T> {
    pub ptr: *const T,
    pub rs: isize,
    pub cs: isize,
}

impl<T> Clone for MatRef<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for MatRef<T> {}

// SAFETY: a MatRef only reads through its pointer, and `gemm`'s contract keeps the memory alive and unwritten for the call.
unsafe impl<T: Sync> Send for MatRef<T> {}
// SAFETY: as for Send: shared reads only.
unsafe impl<T: Sync> Sync for MatRef<T> {}

impl<T: Copy> MatRef<T> {
    /// # Safety
    /// `(i, j)` must address readable memory.
    #[inline(always)]
    unsafe fn ptr_at(self, i: usize, j: usize) -> *const T {
        // SAFETY: the caller guarantees (i, j) is inside the matrix, so the offset stays in its allocation.
        unsafe { self.ptr.offset(i as isize * self.rs + j as isize * self.cs) }
    }

    /// # Safety
    /// `(i, j)` must address readable memory.
    #[inline(always)]
    unsafe fn at(self, i: usize, j: usize) -> T {
        // SAFETY: forwarded from the caller.
        unsafe { *self.ptr_at(i, j) }
    }

    /// The submatrix whose `(0, 0)` is this one's `(i, j)`.
    ///
    /// # Safety
    /// `(i, j)` must be inside the matrix (or one past its last row or column).
    unsafe fn shifted(self, i: usize, j: usize) -> MatRef<T> {
        // SAFETY: forwarded from the caller; the offset stays within the allocation.
        MatRef { ptr: unsafe { self.ptr_at(i, j) }, ..self }
    }
}

/// C's rows, written by many tasks at once, each to its own tiles.
#[derive(Clone, Copy)]
struct Output<T>(*mut T);
// SAFETY: tasks write disjoint tiles of C (see `Block::tiles`), so sharing the pointer races on nothing.
unsafe impl<T: Send> Send for Output<T> {}
// SAFETY: as for Send.
unsafe impl<T: Send> Sync for Output<T> {}

/// Below this many multiply-adds a product runs on the calling thread.
const PARALLEL_MACS: usize = 1 << 17;
/// Depth of a packed slab: a B sliver (`KC x NR`) fits in L1.
const KC: usize = 256;
/// Rows per block of A: an `MC x KC` block fits in L2.
const MC_SLIVERS: usize = 16;
/// Columns of B packed at once.
const NC: usize = 4096;

/// Element types with a packed GEMM.
pub trait GemmElement: SimdElement + Add<Output = Self> {}
impl GemmElement for f32 {}
impl GemmElement for f64 {}

/// `C = A @ B` with `A` `m x k`, `B` `k x n` and `C` the `m x n` row-major
/// buffer `c` (its old values are overwritten). With `threaded`, large
/// products use ferrograd's pool.
///
/// # Safety
/// Every `(i, p)` of `a` (`i < m`, `p < k`) and `(p, j)` of `b` must be
/// readable and unchanged during the call, and `c` must hold `m * n` elements.
pub unsafe fn gemm<T: GemmElement>(m: usize, k: usize, n: usize, a: MatRef<T>, b: MatRef<T>, c: &mut [T], threaded: bool) -> Result<()> {
    if k == 0 {
        c.fill(T::default());
    }
    if m == 0 || n == 0 || k == 0 {
        return Ok(());
    }
    let level = simd::level();
    let threads = if threaded && m.saturating_mul(n).saturating_mul(k) >= PARALLEL_MACS { crate::threads::num_threads() } else { 1 };
    let product = Product { m, k, n, a, b, c: Output(c.as_mut_ptr()), level, mr: rows_per_tile(level), nr: simd::dispatch_at(level, TileWidth::<T>(PhantomData)), threads };
    product.blocked()
}

/// Accumulator rows per tile: `2·MR` vector accumulators plus three
/// operands fill AVX-512's 32 registers and AVX2's 16.
const fn rows_per_tile(level: Level) -> usize {
    match level {
        Level::Avx512 => 8,
        Level::Avx2 => 6,
        Level::Portable => 4,
    }
}

/// Columns per tile at a level: two vectors of `T`.
struct TileWidth<T>(PhantomData<T>);

impl<T: GemmElement> Kernel for TileWidth<T> {
    type Output = usize;
    #[inline(always)]
    fn run<S: Isa>(self, _: S) -> usize {
        2 * <T::Vectors<S> as Lanes<T>>::LANES
    }
}

struct Product<T> {
    m: usize,
    k: usize,
    n: usize,
    a: MatRef<T>,
    b: MatRef<T>,
    c: Output<T>,
    /// The instruction set every task runs, and the tile it implies.
    level: Level,
    mr: usize,
    nr: usize,
    threads: usize,
}

/// One task's share of a slab: a block of rows of C by a run of B slivers.
struct Block<'a, T> {
    product: &'a Product<T>,
    slab: &'a [T],
    pc: usize,
    kc: usize,
    jc: usize,
    rows: std::ops::Range<usize>,
    slivers: std::ops::Range<usize>,
}

impl<T: GemmElement> Product<T> {
    fn blocked(&self) -> Result<()> {
        let (mr, nr) = (self.mr, self.nr);
        // Rows are split first (each block of A is then packed once); a
        // product with fewer row slivers than threads splits columns too.
        let mc = (mr * MC_SLIVERS).min(self.m.div_ceil(self.threads).div_ceil(mr) * mr);
        let nc = NC.min(self.n.div_ceil(nr) * nr);
        let mut packed_b = filled_vec(KC.min(self.k) * nc, T::default())?;
        let row_blocks = self.m.div_ceil(mc);
        for jc in (0..self.n).step_by(nc) {
            let cols = nc.min(self.n - jc);
            let slivers = cols.div_ceil(nr);
            let col_chunks = self.threads.div_ceil(row_blocks).clamp(1, slivers);
            let per_chunk = slivers.div_ceil(col_chunks);
            for pc in (0..self.k).step_by(KC) {
                let kc = KC.min(self.k - pc);
                let slab = &mut packed_b[..slivers * nr * kc];
                // SAFETY: (pc, jc) is inside B, and the kc x cols block from there is readable (gemm's contract).
                let b = unsafe { self.b.shifted(pc, jc) };
                self.pack_b(b, kc, cols, slab);
                let slab = &*slab;
                let task = |t: usize| -> Result<()> {
                    let (block, chunk) = (t / col_chunks, t % col_chunks);
                    let first = chunk * per_chunk;
                    let rows = block * mc..self.m.min((block + 1) * mc);
                    let block = Block { product: self, slab, pc, kc, jc, rows, slivers: first.min(slivers)..slivers.min(first + per_chunk) };
                    simd::dispatch_at(self.level, block)
                };
                let tasks = row_blocks * col_chunks;
                if tasks > 1 && self.threads > 1 {
                    crate::threads::parallel(|| (0..tasks).into_par_iter().try_for_each(task))?;
                } else {
                    (0..tasks).try_for_each(task)?;
                }
            }
        }
        Ok(())
    }

    /// Packs a `kc x cols` block of B, its slivers split over the pool when large.
    fn pack_b(&self, b: MatRef<T>, kc: usize, cols: usize, slab: &mut [T]) {
        let nr = self.nr;
        if self.threads > 1 && slab.len() >= 1 << 16 {
            crate::threads::parallel(|| {
                slab.par_chunks_mut(nr * kc).enumerate().for_each(|(t, sliver)| {
                    // SAFETY: the block is readable (gemm's contract); each chunk packs its own sliver.
                    unsafe { pack::pack_b(b, kc, cols, nr, t, sliver) }
                })
            });
        } else {
            // SAFETY: the block is readable (gemm's contract).
            unsafe { pack::pack_b(b, kc, cols, nr, 0, slab) }
        }
    }
}

impl<T: GemmElement> Kernel for Block<'_, T> {
    type Output = Result<()>;

    #[inline(always)]
    fn run<S: Isa>(self, s: S) -> Result<()> {
        match S::LEVEL {
            Level::Avx512 => self.tiles::<_, { rows_per_tile(Level::Avx512) }>(T::vectors(s)),
            Level::Avx2 => self.tiles::<_, { rows_per_tile(Level::Avx2) }>(T::vectors(s)),
            Level::Portable => self.tiles::<_, { rows_per_tile(Level::Portable) }>(T::vectors(s)),
        }
    }
}

impl<T: GemmElement> Block<'_, T> {
    /// Packs this block of A, then runs the micro-kernel over each tile.
    #[inline(always)]
    fn tiles<V: Lanes<T>, const MR: usize>(self, v: V) -> Result<()> {
        let p = self.product;
        let (nr, kc) = (2 * V::LANES, self.kc);
        if nr != p.nr || MR != p.mr {
            return Err(Error::runtime("gemm: the tile shape disagrees with the instruction set"));
        }
        if self.slivers.is_empty() || self.rows.is_empty() {
            return Ok(());
        }
        let rows = self.rows.len();
        let mut packed_a = filled_vec(rows.div_ceil(MR) * MR * kc, T::default())?;
        // SAFETY: (rows.start, pc) is inside A and the rows x kc block from there is readable (gemm's contract).
        unsafe { pack::pack_a(p.a.shifted(self.rows.start, self.pc), rows, kc, MR, &mut packed_a) };
        for t in self.slivers {
            let pb = &self.slab[t * nr * kc..(t + 1) * nr * kc];
            let col = self.jc + t * nr;
            for (s, pa) in packed_a.chunks_exact(MR * kc).enumerate() {
                let row = self.rows.start + s * MR;
                let tile = Tile { ptr: p.c.0.wrapping_add(row * p.n + col), ldc: p.n, rows: MR.min(self.rows.end - row), cols: nr.min(p.n - col) };
                // SAFETY: the tile lies inside C (clipped to its block's rows and to n columns), and only this task writes those rows in these columns.
                unsafe { micro::tile::<V, T, MR>(v, pa, pb, tile, self.pc > 0) };
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
