//! A caching allocator for large blocks, so a training loop that frees and
//! reallocates the same sizes every step reuses its memory instead of going
//! back to the system allocator. glibc returns freed memory at the top of
//! its heap to the OS and maps fresh pages on the next step; every page of
//! those comes back through a page fault, which cost a small CNN about a
//! tenth of its step time.
//!
//! `CachingAllocator` wraps the system allocator. A block of at least
//! `MIN_BYTES` is allocated at its size class (at most 1/16 more than
//! asked, so recurring sizes meet again) and, when freed, parked on its
//! class's free list, threaded through the blocks themselves, so the cache
//! never allocates. It holds at most `limit` bytes (default 1 GiB); a block
//! that does not fit is freed. Every large allocation in the process goes
//! through it, tensor buffers and kernels' scratch alike, so no call site
//! has to remember to give memory back.
//!
//! The Python extension installs it as the global allocator; a Rust program
//! opts in with `#[global_allocator] static A: CachingAllocator = CachingAllocator;`.
//! Without it the functions below report an empty cache.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr::null_mut;
use std::sync::Mutex;

/// Smaller blocks are left to malloc, whose per-thread caches serve them well.
pub const MIN_BYTES: usize = 64 * 1024;

/// The alignment every cached block is allocated with, so any parked block
/// serves any request up to it; more strictly aligned requests bypass the cache.
const ALIGN: usize = 16;

/// Size classes: 16 steps per power of two, for sizes up to 2^MAX_LOG2 bytes.
const STEPS: usize = 16;
const MAX_LOG2: usize = 48;

/// The class of a `size`-byte block: its index and its rounded size, or
/// `None` for blocks the cache does not handle.
fn class_of(size: usize) -> Option<(usize, usize)> {
    if size < MIN_BYTES || size > 1 << MAX_LOG2 {
        return None;
    }
    let upper = size.next_power_of_two();
    let step = upper / (2 * STEPS);
    let rounded = size.div_ceil(step) * step;
    // `rounded` lies in (upper/2, upper]: steps STEPS+1..=2*STEPS above upper/2's start.
    let index = upper.trailing_zeros() as usize * STEPS + (rounded / step - STEPS - 1);
    Some((index, rounded))
}

const CLASSES: usize = (MAX_LOG2 + 1) * STEPS;

struct Cache {
    /// Each class's parked blocks: the first word of a parked block holds
    /// the next one's address.
    heads: [*mut u8; CLASSES],
    bytes: usize,
    limit: usize,
    stats: CacheStats,
}

// SAFETY: the parked blocks are owned by the cache alone (their users freed them), and the cache is only reached through its mutex.
unsafe impl Send for Cache {}

/// What the cache holds and has done since the process started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Bytes held for reuse now.
    pub cached_bytes: usize,
    /// Blocks held for reuse now.
    pub cached_blocks: usize,
    /// Large allocations served from the cache.
    pub hits: u64,
    /// Large allocations that went to the system allocator.
    pub misses: u64,
    /// Bytes the cache may hold.
    pub limit_bytes: usize,
}

/// `std`'s mutex: it never allocates, which an allocator's lock must not.
static CACHE: Mutex<Cache> = Mutex::new(Cache {
    heads: [null_mut(); CLASSES],
    bytes: 0,
    limit: 1 << 30,
    stats: CacheStats { cached_bytes: 0, cached_blocks: 0, hits: 0, misses: 0, limit_bytes: 0 },
});

fn lock() -> std::sync::MutexGuard<'static, Cache> {
    // A panic cannot happen while the lock is held (no code in it panics),
    // but a poisoned lock still guards consistent data.
    CACHE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The system allocator's layout for a block of class size `rounded`.
fn block_layout(rounded: usize) -> Option<Layout> {
    Layout::from_size_align(rounded, ALIGN).ok()
}

/// The system allocator with large blocks cached by size class.
pub struct CachingAllocator;

impl CachingAllocator {
    /// A parked block of class `index` (blocks of `rounded` bytes), if any.
    fn take(index: usize, rounded: usize) -> Option<*mut u8> {
        let mut c = lock();
        let head = c.heads[index];
        if head.is_null() {
            c.stats.misses += 1;
            return None;
        }
        // SAFETY: a parked block is at least MIN_BYTES, 16-aligned, owned by the cache, and its first word was written by `park`.
        c.heads[index] = unsafe { *(head as *mut *mut u8) };
        c.stats.hits += 1;
        c.stats.cached_blocks -= 1;
        c.bytes -= rounded;
        Some(head)
    }

    /// `alloc`, or `alloc_zeroed` with `zeroed`.
    ///
    /// # Safety
    /// `layout` has a non-zero size (`GlobalAlloc::alloc`'s contract).
    #[inline]
    unsafe fn allocate(&self, layout: Layout, zeroed: bool) -> *mut u8 {
        let cached = if layout.size() < MIN_BYTES || layout.align() > ALIGN { None } else { class_of(layout.size()) };
        let Some((index, rounded)) = cached else {
            // Most allocations are small: straight to malloc.
            // SAFETY: forwarded as it came.
            return unsafe { if zeroed { System.alloc_zeroed(layout) } else { System.alloc(layout) } };
        };
        if let Some(ptr) = Self::take(index, rounded) {
            if zeroed {
                // SAFETY: the block holds at least `layout.size()` bytes.
                unsafe { ptr.write_bytes(0, layout.size()) };
            }
            return ptr;
        }
        let Some(l) = block_layout(rounded) else {
            return null_mut();
        };
        // SAFETY: a non-zero size (>= MIN_BYTES) and a valid alignment.
        let ptr = unsafe { if zeroed { System.alloc_zeroed(l) } else { System.alloc(l) } };
        if !ptr.is_null() && rounded >= HUGE_PAGE_BYTES {
            advise_huge_pages(ptr, rounded);
        }
        ptr
    }

    /// Parks a freed block of class `index`; false when the cache is full.
    fn park(index: usize, rounded: usize, ptr: *mut u8) -> bool {
        let mut c = lock();
        if c.bytes.saturating_add(rounded) > c.limit {
            return false;
        }
        // SAFETY: the caller freed the block, so nothing else reads or writes it; it is 16-aligned and far larger than a pointer.
        unsafe { *(ptr as *mut *mut u8) = c.heads[index] };
        c.heads[index] = ptr;
        c.bytes += rounded;
        c.stats.cached_blocks += 1;
        true
    }
}

/// Blocks at least this large ask for transparent huge pages, as numpy
/// does for its large arrays: a 40 MB buffer then faults in 20 times
/// instead of 10,000, and streams through far fewer TLB entries. (MPI moved
/// ferrograd's large buffers 1.1 to 1.5 times slower than numpy's before.)
const HUGE_PAGE_BYTES: usize = 4 << 20;

/// Asks Linux to back the block at `ptr` with huge pages where the system
/// allows it (`transparent_hugepage` set to `madvise` or `always`).
#[cfg(target_os = "linux")]
fn advise_huge_pages(ptr: *mut u8, len: usize) {
    extern "C" {
        fn madvise(addr: *mut std::ffi::c_void, len: usize, advice: i32) -> i32;
    }
    const MADV_HUGEPAGE: i32 = 14;
    const PAGE: usize = 4096;
    let start = (ptr as usize).next_multiple_of(PAGE);
    let end = (ptr as usize).saturating_add(len) & !(PAGE - 1);
    if end > start {
        // SAFETY: [start, end) is page-aligned and inside the block just allocated. MADV_HUGEPAGE changes how the kernel backs those pages, never their contents or validity; when it fails (huge pages off) nothing changed, so the result is ignored.
        unsafe { madvise(start as *mut std::ffi::c_void, end - start, MADV_HUGEPAGE) };
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_: *mut u8, _: usize) {}

// SAFETY: every block handed out is either the system allocator's answer to the same layout, or (for large blocks) a block of at least the asked size and alignment that the system allocated with `block_layout` of the request's class and that nobody else holds; `dealloc` and `realloc` map a layout to the same class, so each block goes back to the system with the layout it was allocated with.
unsafe impl GlobalAlloc for CachingAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout, as `alloc` received it.
        unsafe { self.allocate(layout, false) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout, as `alloc_zeroed` received it.
        unsafe { self.allocate(layout, true) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.size() < MIN_BYTES {
            // SAFETY: forwarded as it came.
            return unsafe { System.dealloc(ptr, layout) };
        }
        match class_of(layout.size()) {
            Some((index, rounded)) if layout.align() <= ALIGN => {
                if !Self::park(index, rounded, ptr) {
                    if let Some(l) = block_layout(rounded) {
                        // SAFETY: the block was allocated with this layout (see above).
                        unsafe { System.dealloc(ptr, l) };
                    }
                }
            }
            // SAFETY: forwarded as it came.
            _ => unsafe { System.dealloc(ptr, layout) },
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let cached = |size: usize| class_of(size).filter(|_| layout.align() <= ALIGN);
        match (cached(layout.size()), cached(new_size)) {
            // SAFETY: neither side is cached: the system's own block and layout.
            (None, None) => unsafe { System.realloc(ptr, layout, new_size) },
            // The block already has room for the new size.
            (Some((old, _)), Some((new, _))) if old == new => ptr,
            _ => {
                // SAFETY: `new_size` is non-zero and, with the old alignment, a valid layout (the caller's contract for realloc).
                let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
                // SAFETY: a valid non-zero layout.
                let new_ptr = unsafe { self.alloc(new_layout) };
                if !new_ptr.is_null() {
                    // SAFETY: both blocks hold at least the smaller size and are distinct; the old one is freed after the copy.
                    unsafe {
                        std::ptr::copy_nonoverlapping(ptr, new_ptr, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                }
                new_ptr
            }
        }
    }
}

/// Frees every parked block.
pub fn empty_cache() {
    // Unlinked under the lock, freed after it.
    let heads = {
        let mut c = lock();
        c.bytes = 0;
        c.stats.cached_blocks = 0;
        std::mem::replace(&mut c.heads, [null_mut(); CLASSES])
    };
    for (index, mut ptr) in heads.into_iter().enumerate() {
        let Some(layout) = block_layout(class_size(index)) else { continue };
        while !ptr.is_null() {
            // SAFETY: a parked block: its first word links the next, and the system allocated it with its class's layout.
            unsafe {
                let next = *(ptr as *mut *mut u8);
                System.dealloc(ptr, layout);
                ptr = next;
            }
        }
    }
}

/// The rounded size of class `index` (the inverse of `class_of`).
fn class_size(index: usize) -> usize {
    let upper = 1usize << (index / STEPS);
    let step = upper / (2 * STEPS);
    (index % STEPS + STEPS + 1) * step
}

pub fn stats() -> CacheStats {
    let c = lock();
    CacheStats { cached_bytes: c.bytes, limit_bytes: c.limit, ..c.stats }
}

/// Sets how many bytes the cache may hold (0 turns caching off), freeing
/// everything parked if it no longer fits.
pub fn set_limit(bytes: usize) {
    let over = {
        let mut c = lock();
        c.limit = bytes;
        c.bytes > bytes
    };
    if over {
        empty_cache();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_classes_round_up_by_at_most_a_sixteenth() {
        assert_eq!(class_of(MIN_BYTES - 1), None);
        for size in [MIN_BYTES, MIN_BYTES + 1, 100_000, 1 << 20, (1 << 20) + 1, 3_000_000, 123_456_789] {
            let (index, rounded) = class_of(size).unwrap();
            assert!(rounded >= size && rounded - size <= size / 16, "{size} -> {rounded}");
            assert_eq!(class_of(rounded), Some((index, rounded)), "a class's size is in that class");
            assert_eq!(class_size(index), rounded);
        }
        assert_eq!(class_of(usize::MAX), None);
    }

    #[test]
    fn a_freed_block_serves_the_next_request_of_its_class() {
        let a = CachingAllocator;
        // An odd size no other test allocates through this allocator.
        let layout = Layout::from_size_align(777_777, 8).unwrap();
        // SAFETY: a valid layout; each block is freed once with it.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            p.write_bytes(7, layout.size());
            a.dealloc(p, layout);
            let before = stats();
            let q = a.alloc_zeroed(Layout::from_size_align(777_000, 4).unwrap());
            assert_eq!(q, p, "same class, same block");
            assert_eq!(stats().hits, before.hits + 1);
            assert_eq!(stats().cached_bytes, before.cached_bytes - class_of(777_777).unwrap().1, "a taken block is no longer counted");
            assert!(std::slice::from_raw_parts(q, 777_000).iter().all(|&b| b == 0));
            let r = a.realloc(q, Layout::from_size_align(777_000, 4).unwrap(), 777_500);
            assert_eq!(r, q, "a realloc within the class keeps the block");
            a.dealloc(r, Layout::from_size_align(777_500, 4).unwrap());
        }
    }

    /// The `AnonHugePages` of the mapping that holds `addr`, in kB.
    #[cfg(target_os = "linux")]
    fn huge_kb_at(addr: usize) -> Option<u64> {
        let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ') {
                if let Some((lo, hi)) = range.split_once('-') {
                    if let (Ok(lo), Ok(hi)) = (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16)) {
                        inside = (lo..hi).contains(&addr);
                        continue;
                    }
                }
            }
            if inside {
                if let Some(kb) = line.strip_prefix("AnonHugePages:") {
                    return kb.trim().trim_end_matches("kB").trim().parse().ok();
                }
            }
        }
        None
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn large_blocks_are_backed_by_huge_pages_where_the_system_offers_them() {
        let mode = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").unwrap_or_default();
        if !(mode.contains("[madvise]") || mode.contains("[always]")) {
            eprintln!("transparent huge pages are off here ({mode:?}): nothing to check");
            return;
        }
        let a = CachingAllocator;
        let layout = Layout::from_size_align(33 << 20, 16).unwrap();
        // SAFETY: a valid layout; the block is written within its size and freed once with it.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            p.write_bytes(1, layout.size());
            let huge = huge_kb_at(p as usize + layout.size() / 2);
            a.dealloc(p, layout);
            assert!(huge.is_some_and(|kb| kb > 0), "a 33 MiB block has {huge:?} kB of huge pages");
        }
    }
}
