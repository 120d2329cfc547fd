//! Device buffers reused by size bucket: a training step allocates the
//! same sizes every iteration, so after the first one no buffer is created.

use parking_lot::Mutex;
use std::collections::HashMap;

/// What a buffer is for; each kind has its own free lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Kernel operands and results.
    Storage,
    /// Host-visible staging for reads back to the CPU.
    Readback,
}

impl Kind {
    fn usage(self) -> wgpu::BufferUsages {
        match self {
            Kind::Storage => wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            Kind::Readback => wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        }
    }
}

/// Bytes kept idle at most; past this, returned buffers are freed.
const IDLE_LIMIT: u64 = 1 << 30;

#[derive(Default)]
pub struct Pool {
    inner: Mutex<Free>,
}

#[derive(Default)]
struct Free {
    lists: HashMap<(Kind, u64), Vec<wgpu::Buffer>>,
    idle_bytes: u64,
}

/// The size class of a request: powers of two, with four steps per octave
/// above 1 KiB so large tensors waste at most a quarter.
pub fn bucket(bytes: u64) -> u64 {
    if bytes <= 1024 {
        return bytes.max(16).next_power_of_two();
    }
    let high = bytes.next_power_of_two();
    let step = high / 8;
    bytes.div_ceil(step) * step
}

impl Pool {
    /// A buffer of at least `bytes` (a bucket's size), reused when one is free.
    pub fn take(&self, device: &wgpu::Device, bytes: u64, kind: Kind) -> (wgpu::Buffer, u64) {
        let size = bucket(bytes);
        let reused = {
            let mut free = self.inner.lock();
            let found = free.lists.get_mut(&(kind, size)).and_then(Vec::pop);
            if found.is_some() {
                free.idle_bytes -= size;
            }
            found
        };
        let buffer = reused.unwrap_or_else(|| {
            device.create_buffer(&wgpu::BufferDescriptor { label: Some("ferrograd"), size, usage: kind.usage(), mapped_at_creation: false })
        });
        (buffer, size)
    }

    /// Returns a buffer of bucket size `size` for reuse.
    pub fn give(&self, buffer: wgpu::Buffer, size: u64, kind: Kind) {
        let rejected = {
            let mut free = self.inner.lock();
            if free.idle_bytes.saturating_add(size) > IDLE_LIMIT {
                Some(buffer)
            } else {
                free.idle_bytes += size;
                free.lists.entry((kind, size)).or_default().push(buffer);
                None
            }
        };
        // Freed here, outside the lock: destroying a buffer enters the driver.
        drop(rejected);
    }

    /// Frees every idle buffer.
    pub fn clear(&self) {
        let lists = {
            let mut free = self.inner.lock();
            free.idle_bytes = 0;
            std::mem::take(&mut free.lists)
        };
        drop(lists);
    }

    pub fn idle_bytes(&self) -> u64 {
        self.inner.lock().idle_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::bucket;

    #[test]
    fn buckets_cover_the_request_and_waste_at_most_a_quarter() {
        for bytes in [1u64, 4, 17, 1000, 1025, 4096, 5000, 200 << 20, (128 << 20) + 1] {
            let b = bucket(bytes);
            assert!(b >= bytes, "{bytes} -> {b}");
            if bytes > 1024 {
                assert!((b - bytes) * 4 <= bytes, "{bytes} -> {b}");
            }
            assert_eq!(b % 16, 0);
        }
        assert_eq!(bucket(200 << 20), 224 << 20);
    }
}
