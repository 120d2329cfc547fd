//! Random draws made on the device: a counter-based generator, so each
//! element's draw depends only on its index and a per-call key, and no
//! state lives on the device between calls.

use super::buffer::WgpuBuffer;
use super::context::gpu;
use super::launch::{chunk_elements, unsupported_dtype, Batch, Grid, Slot, ITEM};
use super::run::{f32_bytes, words};
use super::wgsl::{self, GROUP};
use crate::dtype::DType;
use crate::error::Result;
use crate::layout::numel;
use crate::storage::Storage;

/// A dropout mask of `shape`: each element `scale` with probability
/// `keep`, else zero, drawn from the 64-bit `key`.
pub fn dropout_mask(shape: &[usize], dtype: DType, keep: f64, scale: f64, key: u64) -> Result<Storage> {
    const OP: &str = "dropout";
    if dtype != DType::F32 {
        return Err(unsupported_dtype(OP, dtype));
    }
    let gpu = gpu()?;
    let n = numel(shape)?;
    words(OP, n as u64)?;
    let pipeline = gpu.pipelines.get(&gpu.device, "dropout_mask:f32", || Ok(wgsl::dropout_mask()))?;
    gpu.scoped(OP, || {
        let out = WgpuBuffer::alloc(gpu, f32_bytes(OP, n)?)?;
        let mut batch = Batch::new(gpu);
        let (total, chunk) = (n as u64, chunk_elements(gpu));
        let mut start = 0;
        while start < total {
            let count = chunk.min(total - start);
            let p = [count as u32, start as u32, key as u32, (key >> 32) as u32, (keep as f32).to_bits(), (scale as f32).to_bits()];
            let slot = Slot { buffer: &out, offset: start * ITEM, size: count * ITEM };
            batch.dispatch(&pipeline, &p, &[slot], Grid::Flat(count.div_ceil(u64::from(GROUP))))?;
            start += count;
        }
        batch.submit();
        Ok(Storage::on_wgpu(out, n, DType::F32))
    })
}
