//! Device memory of a wgpu storage and the copies between it and the host.

use super::context::{gpu, opened, Gpu};
use super::pool::Kind;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::storage::{vec_with_capacity, Buffer, Element};
use parking_lot::Mutex;
use std::mem::ManuallyDrop;
use std::sync::Arc;

/// A pooled device buffer holding a storage's elements; back to the pool
/// when the storage goes.
pub struct WgpuBuffer {
    buffer: ManuallyDrop<wgpu::Buffer>,
    /// The pool bucket's size, which the buffer really has.
    capacity: u64,
    /// The bytes in use.
    bytes: u64,
}

impl std::fmt::Debug for WgpuBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WgpuBuffer({} bytes)", self.bytes)
    }
}

impl Drop for WgpuBuffer {
    fn drop(&mut self) {
        // SAFETY: `drop` runs once, and `buffer` is not touched after this take.
        let buffer = unsafe { ManuallyDrop::take(&mut self.buffer) };
        match opened() {
            Some(gpu) => gpu.pool.give(buffer, self.capacity, Kind::Storage),
            None => drop(buffer),
        }
    }
}

impl WgpuBuffer {
    /// Uninitialised room for `bytes` bytes.
    pub fn alloc(gpu: &Gpu, bytes: u64) -> Result<WgpuBuffer> {
        // Copies move whole 4-byte words, so the tail is padded.
        let padded = bytes.checked_next_multiple_of(4).ok_or_else(|| too_large(bytes, gpu))?.max(4);
        if padded > gpu.max_buffer {
            return Err(too_large(bytes, gpu));
        }
        let (buffer, capacity) = gpu.pool.take(&gpu.device, padded, Kind::Storage);
        Ok(WgpuBuffer { buffer: ManuallyDrop::new(buffer), capacity, bytes })
    }

    pub fn raw(&self) -> &wgpu::Buffer {
        &self.buffer
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The bytes a binding may reach: the padded length.
    pub fn padded(&self) -> u64 {
        self.bytes.next_multiple_of(4).max(4)
    }
}

fn too_large(bytes: u64, gpu: &Gpu) -> Error {
    Error::runtime(format!("wgpu: cannot allocate {bytes} bytes: one buffer of this device holds at most {} bytes", gpu.max_buffer))
}

/// A host array's bytes on the device.
pub fn upload(gpu: &Gpu, bytes: &[u8]) -> Result<WgpuBuffer> {
    gpu.scoped("an upload", || {
        let buffer = WgpuBuffer::alloc(gpu, bytes.len() as u64)?;
        queue_write(gpu, &buffer, bytes);
        Ok(buffer)
    })
}

/// Queues `bytes` into the start of `buffer`, the last word zero-padded:
/// copies move whole 4-byte words. Ordered before every later submission.
fn queue_write(gpu: &Gpu, buffer: &WgpuBuffer, bytes: &[u8]) {
    let whole = bytes.len() / 4 * 4;
    if whole > 0 {
        gpu.queue.write_buffer(buffer.raw(), 0, &bytes[..whole]);
    }
    if whole < bytes.len() {
        let mut tail = [0u8; 4];
        tail[..bytes.len() - whole].copy_from_slice(&bytes[whole..]);
        gpu.queue.write_buffer(buffer.raw(), whole as u64, &tail);
    }
}

/// Sends a storage's host copy, written in place by a CPU code path, back
/// to its device buffer. Without an open device there is no buffer to reach.
pub fn write_back(buffer: &WgpuBuffer, host: &Buffer) {
    let Some(gpu) = opened() else { return };
    crate::with_any_type!(host.dtype(), T => {
        if let Some(values) = <T as Element>::slice(host) {
            let bytes = bytes_of(values);
            // The buffer was sized for exactly this storage's elements.
            let n = bytes.len().min(usize::try_from(buffer.bytes()).unwrap_or(usize::MAX));
            queue_write(gpu, buffer, &bytes[..n]);
        }
    })
}

/// A host view's elements, in logical order, in a fresh device buffer.
pub fn upload_view(gpu: &Gpu, x: &crate::strided::Strided) -> Result<WgpuBuffer> {
    use crate::backend::Backend;
    let host = crate::backend::cpu::Cpu::copy_strided(x, x.dtype())?;
    let guard = host.read()?;
    crate::with_any_type!(x.dtype(), T => {
        let values = <T as Element>::slice(&guard).ok_or(Error::DTypeMismatch { op: "to", lhs: x.dtype(), rhs: <T as Element>::DTYPE })?;
        upload(gpu, bytes_of(values))
    })
}

/// `len` bytes of `buffer` from byte `start`, read back to the host. The
/// only place the host waits for the device.
static READBACKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many reads from device memory to the host have run, so a caller can
/// check that a loop reads back only the values it asks for.
pub fn readback_count() -> u64 {
    READBACKS.load(std::sync::atomic::Ordering::Relaxed)
}

pub fn download(gpu: &Gpu, buffer: &WgpuBuffer, start: u64, len: u64) -> Result<Vec<u8>> {
    let end = start.checked_add(len).filter(|&e| e <= buffer.padded()).ok_or_else(|| Error::runtime(format!("wgpu: read of bytes {start}..{start}+{len} past a {}-byte buffer", buffer.bytes)))?;
    if len == 0 {
        return Ok(Vec::new());
    }
    READBACKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    #[cfg(test)]
    if tests_hook::FAIL_READBACK.with(|f| f.get()) {
        return Err(Error::runtime(format!("wgpu: reading back {len} bytes failed: injected failure")));
    }
    // Copies start and end on 4-byte words.
    let (first, last) = (start / 4 * 4, end.next_multiple_of(4));
    let span = last - first;
    let (staging, capacity) = gpu.scoped("a read back", || {
        let (staging, capacity) = gpu.pool.take(&gpu.device, span, Kind::Readback);
        let mut encoder = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("read back") });
        encoder.copy_buffer_to_buffer(buffer.raw(), first, &staging, 0, span);
        gpu.queue.submit([encoder.finish()]);
        Ok((staging, capacity))
    })?;
    let status: Arc<Mutex<Option<std::result::Result<(), wgpu::BufferAsyncError>>>> = Arc::new(Mutex::new(None));
    let sink = Arc::clone(&status);
    staging.slice(..span).map_async(wgpu::MapMode::Read, move |r| *sink.lock() = Some(r));
    gpu.wait()?;
    let mapped = status.lock().take();
    let result = match mapped {
        Some(Ok(())) => match staging.slice(..span).get_mapped_range() {
            Ok(view) => {
                let skip = (start - first) as usize;
                let mut out = vec_with_capacity::<u8>(len as usize)?;
                out.extend_from_slice(&view[skip..skip + len as usize]);
                drop(view);
                staging.unmap();
                Ok(out)
            }
            Err(e) => Err(Error::runtime(format!("wgpu: reading back {len} bytes failed: {e}"))),
        },
        Some(Err(e)) => Err(Error::runtime(format!("wgpu: reading back {len} bytes failed: {e}"))),
        None => Err(Error::runtime("wgpu: the device finished without mapping the read-back buffer")),
    };
    gpu.pool.give(staging, capacity, Kind::Readback);
    result
}

/// The host elements of a whole device buffer, for CPU code paths that
/// read a wgpu storage directly.
pub fn download_all(buffer: &WgpuBuffer, dtype: DType, len: usize) -> Result<Buffer> {
    let gpu = gpu()?;
    let bytes = (len as u64).checked_mul(dtype.size_in_bytes() as u64).ok_or_else(|| Error::runtime("wgpu: storage size overflows"))?;
    buffer_from_bytes(dtype, &download(gpu, buffer, 0, bytes)?)
}

/// A host buffer of `dtype` from its elements' native-endian bytes.
pub fn buffer_from_bytes(dtype: DType, bytes: &[u8]) -> Result<Buffer> {
    fn plain<T: Element>(bytes: &[u8]) -> Result<Buffer> {
        let n = bytes.len() / std::mem::size_of::<T>();
        let mut values = vec_with_capacity::<T>(n)?;
        // Callers pass only types whose every bit pattern is a value (numbers, not bool).
        // SAFETY: `values` has capacity for `n` elements, exactly the `n * size_of::<T>()` bytes copied, and any bits are a valid `T`.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), values.as_mut_ptr().cast::<u8>(), n * std::mem::size_of::<T>());
            values.set_len(n);
        }
        Ok(T::into_buffer(values))
    }
    match dtype {
        DType::Bool => {
            let mut values = vec_with_capacity::<bool>(bytes.len())?;
            values.extend(bytes.iter().map(|&b| b != 0));
            Ok(bool::into_buffer(values))
        }
        DType::U8 => plain::<u8>(bytes),
        DType::I8 => plain::<i8>(bytes),
        DType::I16 => plain::<i16>(bytes),
        DType::I32 => plain::<i32>(bytes),
        DType::I64 => plain::<i64>(bytes),
        DType::F32 => plain::<f32>(bytes),
        DType::F64 => plain::<f64>(bytes),
        DType::F16 => plain::<half::f16>(bytes),
        DType::BF16 => plain::<half::bf16>(bytes),
    }
}

/// The bytes of host elements, as the device stores them.
pub fn bytes_of<T: Element>(values: &[T]) -> &[u8] {
    // SAFETY: every element type is a number or bool without padding, so the slice's memory is initialised bytes, and exactly it is covered.
    unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values)) }
}

/// Lets a test make this thread's next read backs fail, as a lost device's would.
#[cfg(test)]
pub mod tests_hook {
    thread_local! {
        pub static FAIL_READBACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
}
