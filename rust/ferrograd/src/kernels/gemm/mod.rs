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
use micro::{InPlace, Packed, Tile};
use rayon::prelude::*;
use std::mem::MaybeUninit;
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

    /// The submatrix whose `(0, 0)` is this one's `(i, j)`. Computed with
    /// wrapping arithmetic: one past the last row, with a later depth, lies
    /// past the end of the buffer, which is fine as long as nothing is read
    /// from there (readers keep to elements gemm's contract makes readable).
    fn shifted(self, i: usize, j: usize) -> MatRef<T> {
        MatRef { ptr: self.ptr.wrapping_offset((i as isize).wrapping_mul(self.rs).wrapping_add((j as isize).wrapping_mul(self.cs))), ..self }
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
/// Deepest packed slab: a B sliver (`KC x NR`, 24 KiB of f32 on AVX-512)
/// stays in L1 with room for the A sliver streaming past it. At 256 the two
/// filled a 48 KiB L1 and the B loads stalled. The depth is split into
/// equal slabs of at most this (see `slab_depth`).
const KC: usize = 192;

/// The depth of each slab: `k` split evenly into as few slabs as `KC`
/// allows, so no thin last slab pays a full pass over C for a few steps
/// (784 = 4 x 196, not 4 x 192 + 16).
fn slab_depth(k: usize) -> usize {
    k.div_ceil(k.div_ceil(KC).max(1)).max(1)
}
/// Rows per block of A: an `MC x KC` block fits in L2.
const MC_SLIVERS: usize = 16;
/// At most this many columns per task, slivers of A are read in place
/// rather than packed: too few tiles share each to repay the copy.
const IN_PLACE_A_COLS: usize = 256;
/// Columns of B packed at once, at most.
const NC: usize = 4096;
/// Elements of B packed at once, at most (8 MiB of f32): bounds the panel.
const PACKED_B: usize = 1 << 21;

/// The two packing buffers a thread may hold at once.
#[derive(Clone, Copy)]
pub enum Scratch {
    /// A task's packed block of A (and its own slivers of B).
    Block = 0,
    /// The calling thread's packed panel of B, shared by its tasks.
    Panel = 1,
}

/// Element types with a packed GEMM.
pub trait GemmElement: SimdElement + Add<Output = Self> {
    /// This thread's packing buffer `slot`, at least `len` elements (values
    /// unspecified), taken out until `put_scratch` returns it. Threads keep
    /// theirs between products, so a training loop packs without touching
    /// the allocator (a fresh 8 MiB panel per product cost 6% of a large
    /// one in page faults); a nested product meanwhile gets a fresh one.
    /// (A buffer lent to a closure instead would put the micro-kernel in
    /// that closure, compiled without the instruction set's features.)
    fn take_scratch(slot: Scratch, len: usize) -> Result<Vec<Self>>;
    fn put_scratch(slot: Scratch, buffer: Vec<Self>);
}

macro_rules! gemm_element {
    ($($t:ty => $scratch:ident),*) => {$(
        thread_local! {
            static $scratch: std::cell::RefCell<[Vec<$t>; 2]> = const { std::cell::RefCell::new([Vec::new(), Vec::new()]) };
        }

        impl GemmElement for $t {
            fn take_scratch(slot: Scratch, len: usize) -> Result<Vec<$t>> {
                let buffer = $scratch.with(|s| std::mem::take(&mut s.borrow_mut()[slot as usize]));
                if buffer.len() >= len {
                    return Ok(buffer);
                }
                // The old buffer is too small: let it go before allocating the new one.
                drop(buffer);
                filled_vec(len, <$t>::default())
            }

            fn put_scratch(slot: Scratch, buffer: Vec<$t>) {
                $scratch.with(|s| s.borrow_mut()[slot as usize] = buffer);
            }
        }
    )*};
}
gemm_element!(f32 => SCRATCH_F32, f64 => SCRATCH_F64);

/// `C = A @ B` with `A` `m x k`, `B` `k x n` and `C` the `m x n` row-major
/// buffer `c`, which may be uninitialised: on `Ok` every element of it is
/// written. With `threaded`, large products use ferrograd's pool.
///
/// # Safety
/// Every `(i, p)` of `a` (`i < m`, `p < k`) and `(p, j)` of `b` must be
/// readable and unchanged during the call, and `c` must hold `m * n` elements.
pub unsafe fn gemm<T: GemmElement>(m: usize, k: usize, n: usize, a: MatRef<T>, b: MatRef<T>, c: &mut [MaybeUninit<T>], threaded: bool) -> Result<()> {
    if c.len() < m.saturating_mul(n) {
        return Err(Error::runtime("gemm: the output holds fewer than m * n elements"));
    }
    if k == 0 {
        c.iter_mut().for_each(|x| {
            x.write(T::default());
        });
    }
    if m == 0 || n == 0 || k == 0 {
        return Ok(());
    }
    let level = simd::level();
    let threads = if threaded && m.saturating_mul(n).saturating_mul(k) >= PARALLEL_MACS { crate::threads::num_threads() } else { 1 };
    let product = Product { m, k, n, a, b, c: Output(c.as_mut_ptr().cast::<T>()), level, mr: rows_per_tile(level, m, threads), nr: simd::dispatch_at(level, TileWidth::<T>(PhantomData)), threads };
    product.blocked()
}

/// AVX-512's tall tile: 28 accumulators, two B vectors and a broadcast
/// fill its 32 registers. It runs about 9% faster than the short one
/// (fewer loads per multiply-add; see benches/RESULTS.md).
const AVX512_TALL: usize = 14;
/// AVX-512's short tile, for row counts the tall one would pad by more
/// than it gains (a batch of 64 is eight short tiles, or five tall ones
/// with six rows wasted).
const AVX512_SHORT: usize = 8;

/// Accumulator rows per tile for an `m`-row product on `threads` threads:
/// `2·MR` vector accumulators plus three operands fill (or nearly fill) the
/// level's registers, 32 on AVX-512 and 16 on AVX2.
fn rows_per_tile(level: Level, m: usize, threads: usize) -> usize {
    match level {
        Level::Avx512 => {
            // The rows the busiest thread computes (times the thread count),
            // weighted by speed (tall = 12/11 of short). A product of one
            // block splits its columns evenly; larger ones split slivers of
            // rows, so 256 rows on two threads are 16 + 16 short slivers, not
            // 10 + 9 tall ones of which the last is mostly padding.
            let busiest = |mr: usize| {
                let slivers = m.div_ceil(mr);
                if slivers <= MC_SLIVERS { slivers * mr } else { slivers.div_ceil(threads) * mr * threads }
            };
            if busiest(AVX512_TALL) * 11 <= busiest(AVX512_SHORT) * 12 { AVX512_TALL } else { AVX512_SHORT }
        }
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

/// One task's share of a panel: a block of rows of C by a run of B slivers.
struct Block<'a, T> {
    product: &'a Product<T>,
    /// The packed panel: slab after slab, each `panel_width` columns wide;
    /// `None` when the task packs its own slivers of B.
    panel: Option<&'a [T]>,
    panel_width: usize,
    jc: usize,
    cols: usize,
    rows: std::ops::Range<usize>,
    slivers: std::ops::Range<usize>,
}

/// A product's rows of slivers split into blocks for the tasks: as few
/// blocks as `MC_SLIVERS` allows, in a multiple of the thread count, and
/// within one sliver of each other in size. Fixed-size blocks left a short
/// last one: 1024 rows of 14-row slivers made blocks of 16, 16, 16, 16 and 10
/// slivers, and on two threads one did 42 of the 74 while the other waited.
#[derive(Clone, Copy)]
struct RowBlocks {
    slivers: usize,
    count: usize,
}

impl RowBlocks {
    fn new(slivers: usize, threads: usize) -> RowBlocks {
        let threads = threads.max(1);
        let count = slivers.div_ceil(threads * MC_SLIVERS).max(1) * threads;
        RowBlocks { slivers, count: count.min(slivers.max(1)) }
    }

    /// The slivers of block `b`.
    fn slivers(self, b: usize) -> std::ops::Range<usize> {
        let at = |b: usize| b * self.slivers / self.count;
        at(b)..at(b + 1)
    }
}

impl<T: GemmElement> Product<T> {
    fn blocked(&self) -> Result<()> {
        let (mr, nr) = (self.mr, self.nr);
        // A product whose rows fit one block is split by columns, and each
        // task packs its own columns of B: one parallel region in all.
        // Larger ones split rows (each block of A is then packed once) and
        // share a packed panel of B.
        // (Single-threaded too: B then comes from the thread's scratch, so
        // concurrent products in a batch allocate nothing after warm-up.)
        let own_b = self.m <= mr * MC_SLIVERS;
        let row_blocks = RowBlocks::new(self.m.div_ceil(mr), if own_b { 1 } else { self.threads });
        // B is packed a panel of columns at a time, every slab of the panel
        // at once: two parallel regions per panel, not two per slab.
        let nc = (PACKED_B / self.k / nr * nr).clamp(nr, NC).min(self.n.div_ceil(nr) * nr);
        let mut packed_b = if own_b { Vec::new() } else { T::take_scratch(Scratch::Panel, self.k * nc)? };
        for jc in (0..self.n).step_by(nc) {
            let cols = nc.min(self.n - jc);
            let slivers = cols.div_ceil(nr);
            let panel = &mut packed_b[..if own_b { 0 } else { self.k * slivers * nr }];
            if !own_b {
                self.pack_panel(jc, cols, slivers, panel);
            }
            let panel = &*panel;
            let col_chunks = self.threads.div_ceil(row_blocks.count).clamp(1, slivers);
            let per_chunk = slivers.div_ceil(col_chunks);
            let task = |t: usize| -> Result<()> {
                let (block, chunk) = (t / col_chunks, t % col_chunks);
                let first = (chunk * per_chunk).min(slivers);
                let rows = row_blocks.slivers(block);
                let rows = rows.start * mr..self.m.min(rows.end * mr);
                let block = Block { product: self, panel: (!own_b).then_some(panel), panel_width: slivers * nr, jc, cols, rows, slivers: first..slivers.min(first + per_chunk) };
                simd::dispatch_at(self.level, block)
            };
            let tasks = row_blocks.count * col_chunks;
            if tasks > 1 && self.threads > 1 {
                crate::threads::parallel(|| (0..tasks).into_par_iter().try_for_each(task))?;
            } else {
                (0..tasks).try_for_each(task)?;
            }
        }
        if !own_b {
            T::put_scratch(Scratch::Panel, packed_b);
        }
        Ok(())
    }

    /// Packs columns `jc .. jc + cols` of B: for each `KC`-deep slab, its
    /// `slivers` slivers of `NR` columns, split over the pool when large.
    fn pack_panel(&self, jc: usize, cols: usize, slivers: usize, panel: &mut [T]) {
        let (nr, large) = (self.nr, panel.len() >= 1 << 15);
        let mut jobs = Vec::new();
        let depth = slab_depth(self.k);
        for (slab, pc) in panel.chunks_mut(depth * slivers * nr).zip((0..self.k).step_by(depth)) {
            let kc = depth.min(self.k - pc);
            jobs.extend(slab.chunks_mut(kc * nr).enumerate().map(|(t, sliver)| (pc, kc, t, sliver)));
        }
        let pack = |(pc, kc, t, sliver): (usize, usize, usize, &mut [T])| {
            // SAFETY: (pc, jc) is inside B and the kc x cols block from there is readable (gemm's contract); each job packs its own sliver.
            unsafe { pack::pack_b(self.b.shifted(pc, jc), kc, cols, nr, t, sliver) }
        };
        if self.threads > 1 && large {
            crate::threads::parallel(|| jobs.into_par_iter().for_each(pack));
        } else {
            jobs.into_iter().for_each(pack);
        }
    }
}

impl<T: GemmElement> Kernel for Block<'_, T> {
    type Output = Result<()>;

    #[inline(always)]
    fn run<S: Isa>(self, s: S) -> Result<()> {
        match (S::LEVEL, self.product.mr) {
            (Level::Avx512, AVX512_TALL) => self.tiles::<_, AVX512_TALL>(T::vectors(s)),
            (Level::Avx512, _) => self.tiles::<_, AVX512_SHORT>(T::vectors(s)),
            (Level::Avx2, _) => self.tiles::<_, 6>(T::vectors(s)),
            (Level::Portable, _) => self.tiles::<_, 4>(T::vectors(s)),
        }
    }
}

impl<T: GemmElement> Block<'_, T> {
    /// For each slab: packs this block of A, then runs the micro-kernel
    /// over each tile, accumulating into C after the first slab.
    #[inline(always)]
    fn tiles<V: Lanes<T>, const MR: usize>(self, v: V) -> Result<()> {
        let p = self.product;
        let nr = 2 * V::LANES;
        if nr != p.nr || MR != p.mr {
            return Err(Error::runtime("gemm: the tile shape disagrees with the instruction set"));
        }
        if self.slivers.is_empty() || self.rows.is_empty() {
            return Ok(());
        }
        let rows = self.rows.len();
        let depth = slab_depth(p.k);
        let a_len = rows.div_ceil(MR) * MR * depth;
        let b_len = if self.panel.is_none() { self.slivers.len() * nr * depth } else { 0 };
        let mut scratch = T::take_scratch(Scratch::Block, a_len + b_len)?;
        let (packed_a, own_b) = scratch[..a_len + b_len].split_at_mut(a_len);
        self.slabs::<V, MR>(v, packed_a, own_b);
        T::put_scratch(Scratch::Block, scratch);
        Ok(())
    }

    #[inline(always)]
    fn slabs<V: Lanes<T>, const MR: usize>(&self, v: V, packed_a: &mut [T], own_b: &mut [T]) {
        let p = self.product;
        let (nr, rows) = (2 * V::LANES, self.rows.len());
        // Few columns: read whole slivers of A in place; pack only a ragged last one.
        let in_place = self.slivers.len() * nr <= IN_PLACE_A_COLS;
        let whole = if in_place { rows / MR } else { 0 };
        let depth = slab_depth(p.k);
        for pc in (0..p.k).step_by(depth) {
            let kc = depth.min(p.k - pc);
            let packed_a = &mut packed_a[..(rows.div_ceil(MR) - whole) * MR * kc];
            // SAFETY: (rows.start + whole * MR, pc) is inside A (or one past its last row, with nothing left to pack) and the rest of the block from there is readable (gemm's contract).
            unsafe { pack::pack_a(p.a.shifted(self.rows.start + whole * MR, pc), rows - whole * MR, kc, MR, packed_a) };
            let (slab, first) = match self.panel {
                Some(panel) => (&panel[pc * self.panel_width..(pc + kc) * self.panel_width], 0),
                None => {
                    let own = &mut own_b[..self.slivers.len() * nr * kc];
                    // SAFETY: (pc, jc) is inside B and the kc x cols block from there is readable (gemm's contract).
                    unsafe { pack::pack_b(p.b.shifted(pc, self.jc), kc, self.cols, nr, self.slivers.start, own) };
                    (&*own, self.slivers.start)
                }
            };
            for t in self.slivers.clone() {
                let pb = &slab[(t - first) * nr * kc..(t - first + 1) * nr * kc];
                let col = self.jc + t * nr;
                let tile_at = |row: usize| Tile { ptr: p.c.0.wrapping_add(row * p.n + col), ldc: p.n, rows: MR.min(self.rows.end - row), cols: nr.min(p.n - col) };
                for s in 0..whole {
                    let row = self.rows.start + s * MR;
                    // Rows row .. row + MR (all inside this block) and depths pc .. pc + kc are inside A.
                    let a = p.a.shifted(row, pc);
                    let a = InPlace { ptr: a.ptr, rs: a.rs, cs: a.cs };
                    // SAFETY: as below; the sliver is MR whole rows of A, kc deep.
                    unsafe { micro::tile::<V, T, _, MR>(v, a, pb, tile_at(row), pc > 0) };
                }
                for (s, pa) in packed_a.chunks_exact(MR * kc).enumerate() {
                    let row = self.rows.start + (whole + s) * MR;
                    // SAFETY: the tile lies inside C (clipped to its block's rows and to n columns), only this task writes those rows in these columns, and the first slab (pc == 0) wrote it before any slab accumulates; the packed sliver holds MR x kc.
                    unsafe { micro::tile::<V, T, _, MR>(v, Packed::<T, MR>(pa), pb, tile_at(row), pc > 0) };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
