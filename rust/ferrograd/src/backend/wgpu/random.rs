//! Random draws made on the device: a counter-based generator, so each
//! element's draw depends only on its index and a per-call key, and no
//! state lives on the device between calls.

use super::buffer::WgpuBuffer;
use super::context::gpu;
use super::element::{number_words, Element, NUMBER_WORDS};
use super::launch::{chunk_elements, Batch, Grid, Slot};
use super::run::words;
use super::wgsl::{self, GROUP};
use crate::dtype::DType;
use crate::error::Result;
use crate::layout::numel;
use crate::storage::Storage;

/// A dropout mask of `shape`: each element `scale` with probability
/// `keep`, else zero, drawn from the 64-bit `key`.
pub fn dropout_mask(shape: &[usize], dtype: DType, keep: f64, scale: f64, key: u64) -> Result<Storage> {
    const OP: &str = "dropout";
    let gpu = gpu()?;
    let element = Element::of(gpu, OP, dtype)?;
    let n = numel(shape)?;
    words(OP, n as u64)?;
    let pipeline = gpu.pipelines.get(&gpu.device, &format!("dropout_mask:{element:?}"), || Ok(wgsl::dropout_mask(element)))?;
    let item = element.bytes();
    gpu.scoped(OP, || {
        let out = WgpuBuffer::alloc(gpu, element.size_of(OP, n)?)?;
        let mut batch = Batch::new(gpu);
        let (total, chunk) = (n as u64, chunk_elements(gpu, item));
        let mut start = 0;
        while start < total {
            let count = chunk.min(total - start);
            let mut p = [0u32; 8 + NUMBER_WORDS];
            p[..5].copy_from_slice(&[count as u32, start as u32, key as u32, (key >> 32) as u32, (keep as f32).to_bits()]);
            p[8..].copy_from_slice(&number_words(scale));
            let slot = Slot { buffer: &out, offset: start * item, size: count * item };
            batch.dispatch(&pipeline, &p, &[slot], Grid::Flat(count.div_ceil(u64::from(GROUP))))?;
            start += count;
        }
        batch.submit();
        Ok(Storage::on_wgpu(out, n, dtype))
    })
}
