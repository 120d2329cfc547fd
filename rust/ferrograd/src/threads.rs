//! The thread pool parallel kernels run on. Its size comes from
//! `FERROGRAD_NUM_THREADS` (default: the machine's physical cores) and
//! `set_num_threads` replaces it. Kernels enter it through `parallel`, and
//! only above their size thresholds, so small ops never touch it; a kernel
//! that was going to wake rayon's workers anyway pays nothing more.
//!
//! GEMM runs on this pool too, so one setting bounds every thread
//! ferrograd starts and nothing is oversubscribed.

use crate::error::{Error, Result};
use parking_lot::RwLock;
use rayon::{ThreadPool, ThreadPoolBuilder};
use std::sync::Arc;

static POOL: RwLock<Option<Arc<ThreadPool>>> = RwLock::new(None);

/// The size a pool gets when nobody asked: `FERROGRAD_NUM_THREADS`, else
/// the physical core count (hyperthreads share the vector units kernels use).
fn default_threads() -> usize {
    std::env::var("FERROGRAD_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(num_cpus::get_physical)
        .max(1)
}

fn build(threads: usize) -> Option<Arc<ThreadPool>> {
    ThreadPoolBuilder::new().num_threads(threads).thread_name(|i| format!("ferrograd-{i}")).build().ok().map(Arc::new)
}

/// The pool, built on first use.
fn pool() -> Option<Arc<ThreadPool>> {
    if let Some(pool) = POOL.read().as_ref() {
        return Some(pool.clone());
    }
    let mut slot = POOL.write();
    if slot.is_none() {
        *slot = build(default_threads());
    }
    slot.clone()
}

/// Runs `op`, whose parallel iterators then use ferrograd's pool. Inside a
/// pool's worker already (a nested parallel kernel), `op` runs in place.
pub fn parallel<R: Send>(op: impl FnOnce() -> R + Send) -> R {
    if rayon::current_thread_index().is_some() {
        return op();
    }
    match pool() {
        Some(pool) => pool.install(op),
        // No threads could be started: rayon's global pool, or this thread.
        None => op(),
    }
}

/// How many threads parallel kernels use (PyTorch's `get_num_threads`).
pub fn num_threads() -> usize {
    pool().map_or(1, |p| p.current_num_threads())
}

/// Replaces the pool with one of `threads` threads (PyTorch's
/// `set_num_threads`). Kernels running meanwhile finish on the old one.
pub fn set_num_threads(threads: i64) -> Result<()> {
    if threads <= 0 {
        return Err(Error::runtime("set_num_threads expects a positive integer"));
    }
    let threads = usize::try_from(threads).map_err(|_| Error::runtime("set_num_threads expects a positive integer"))?;
    let new = build(threads).ok_or_else(|| Error::runtime(format!("could not start {threads} threads")))?;
    let old = POOL.write().replace(new);
    // The old pool's threads are told to stop here, outside the lock.
    drop(old);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    #[test]
    fn kernels_run_on_as_many_threads_as_set() {
        set_num_threads(3).unwrap();
        assert_eq!(num_threads(), 3);
        let seen = parallel(|| (0..64).into_par_iter().map(|_| rayon::current_num_threads()).max());
        assert_eq!(seen, Some(3));
        assert!(set_num_threads(0).is_err());
        assert_eq!(num_threads(), 3, "a refused size leaves the pool as it was");
        set_num_threads(1).unwrap();
        assert_eq!(parallel(rayon::current_num_threads), 1);
    }
}
