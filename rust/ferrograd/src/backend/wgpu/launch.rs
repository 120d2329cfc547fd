//! Binding views of device buffers and dispatching kernels over them.

use super::buffer::{upload, WgpuBuffer};
use super::context::Gpu;
use super::wgsl::MAX_DIMS;
use crate::error::{Error, Result};
use crate::layout::Layout;
use std::num::NonZeroU64;

/// A range of a buffer bound to one binding, and how the kernel reaches
/// the operand's elements inside it.
pub struct Bound<'a> {
    pub buffer: &'a WgpuBuffer,
    pub offset: u64,
    pub size: u64,
    /// The operand's first element, counted from the binding's start
    /// (wrapping: for a chunk past the first it may lie before it).
    pub first: u32,
    /// Per output dim, the operand's stride (0 where broadcast), as u32 bits.
    pub strides: [u32; MAX_DIMS],
}

/// `layout`'s strides for each dim of `out_shape` it broadcasts to.
pub fn broadcast_strides(op: &str, layout: &Layout, out_shape: &[usize]) -> Result<[u32; MAX_DIMS]> {
    if out_shape.len() > MAX_DIMS {
        return Err(Error::NotImplemented(format!("The operator '{op}' is not currently implemented for the wgpu device on tensors of more than {MAX_DIMS} dims (got {})", out_shape.len())));
    }
    let mut out = [0u32; MAX_DIMS];
    let lead = out_shape.len().checked_sub(layout.ndim()).ok_or_else(|| Error::runtime(format!("{op}: operand of {} dims does not broadcast to {out_shape:?}", layout.ndim())))?;
    for (j, &n) in out_shape.iter().enumerate() {
        let Some(i) = j.checked_sub(lead) else { continue };
        let (size, stride) = (layout.shape()[i], layout.strides()[i]);
        if size == n {
            let s = i32::try_from(stride).map_err(|_| Error::runtime(format!("{op}: stride {stride} exceeds what a wgpu kernel addresses")))?;
            out[j] = s as u32;
        } else if size != 1 {
            return Err(Error::runtime(format!("{op}: operand of shape {:?} does not broadcast to {out_shape:?}", layout.shape())));
        }
    }
    Ok(out)
}

/// The lowest and highest element offsets `layout` reaches (it has elements).
fn span(layout: &Layout) -> (i128, i128) {
    let (mut lo, mut hi) = (layout.offset() as i128, layout.offset() as i128);
    for (&n, &s) in layout.shape().iter().zip(layout.strides()) {
        let reach = (n as i128 - 1) * s as i128;
        if reach < 0 {
            lo += reach;
        } else {
            hi += reach;
        }
    }
    (lo, hi)
}

/// Binds the part of `buffer` (of `item`-byte elements) that outputs
/// `start..start + count` of `out_shape` read through `layout`. The whole
/// view when it fits one binding; otherwise only a contiguous, unbroadcast
/// operand can be split.
pub fn bind<'a>(gpu: &Gpu, op: &str, item: u64, buffer: &'a WgpuBuffer, layout: &Layout, out_shape: &[usize], start: u64, count: u64) -> Result<Bound<'a>> {
    let strides = broadcast_strides(op, layout, out_shape)?;
    let align = gpu.offset_align;
    let (lo, hi) = span(layout);
    let (lo, hi) = (u64::try_from(lo).map_err(|_| negative(op))?, u64::try_from(hi).map_err(|_| negative(op))?);
    let offset = layout.offset() as u64;
    let (base, end) = if (hi + 1 - lo) * item + align <= gpu.binding_limit {
        (lo * item / align * align, (hi + 1) * item)
    } else if layout.contiguous_range().is_some() && layout.shape() == out_shape {
        let first = offset + start;
        (first * item / align * align, (first + count) * item)
    } else {
        return Err(Error::NotImplemented(format!(
            "The operator '{op}' is not currently implemented for the wgpu device on a strided or broadcast view spanning more than {} bytes",
            gpu.binding_limit
        )));
    };
    if end > buffer.padded() {
        return Err(Error::runtime(format!("{op}: view reaches byte {end} of a {}-byte wgpu buffer", buffer.bytes())));
    }
    let first = offset.wrapping_sub(base / item) as u32;
    Ok(Bound { buffer, offset: base, size: end - base, first, strides })
}

fn negative(op: &str) -> Error {
    Error::runtime(format!("{op}: view reaches before its storage"))
}

/// Elements one dispatch covers: a whole binding of `item`-byte elements
/// less one alignment step, in whole workgroups, so each chunk's output
/// binding starts aligned.
pub fn chunk_elements(gpu: &Gpu, item: u64) -> u64 {
    ((gpu.binding_limit - gpu.offset_align) / item) / 1024 * 1024
}

/// The workgroups of a dispatch.
pub enum Grid {
    /// This many, laid out over x and then y: the kernel flattens them.
    Flat(u64),
    Exact([u64; 3]),
}

/// Commands of one operation, submitted together.
pub struct Batch<'g> {
    gpu: &'g Gpu,
    encoder: wgpu::CommandEncoder,
    /// Parameter buffers, alive until the commands are submitted.
    params: Vec<WgpuBuffer>,
}

/// A buffer range for one binding.
pub struct Slot<'a> {
    pub buffer: &'a WgpuBuffer,
    pub offset: u64,
    pub size: u64,
}

impl<'a> Slot<'a> {
    pub fn whole(buffer: &'a WgpuBuffer) -> Slot<'a> {
        Slot { buffer, offset: 0, size: buffer.padded() }
    }
}

impl<'a> From<&Bound<'a>> for Slot<'a> {
    fn from(b: &Bound<'a>) -> Slot<'a> {
        Slot { buffer: b.buffer, offset: b.offset, size: b.size }
    }
}

impl<'g> Batch<'g> {
    pub fn new(gpu: &'g Gpu) -> Batch<'g> {
        let encoder = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("ferrograd") });
        Batch { gpu, encoder, params: Vec::new() }
    }

    /// Records `pipeline` over `grid`, its parameter words bound first and
    /// `slots` after, in binding order.
    pub fn dispatch(&mut self, pipeline: &wgpu::ComputePipeline, params: &[u32], slots: &[Slot<'_>], grid: Grid) -> Result<()> {
        let max = u64::from(self.gpu.max_groups);
        let [x, y, z] = match grid {
            Grid::Flat(total) => {
                let x = total.min(max);
                [x, if x == 0 { 0 } else { total.div_ceil(x) }, 1]
            }
            Grid::Exact(g) => g,
        };
        if x == 0 || y == 0 || z == 0 {
            return Ok(());
        }
        if x > max || y > max || z > max {
            return Err(Error::runtime(format!("wgpu: {x}x{y}x{z} workgroups exceed this device's {max} per dimension")));
        }
        let words: Vec<u8> = params.iter().flat_map(|w| w.to_ne_bytes()).collect();
        let param = upload(self.gpu, &words)?;
        let layout = pipeline.get_bind_group_layout(0);
        let mut entries = Vec::with_capacity(slots.len() + 1);
        let all = std::iter::once(Slot::whole(&param)).chain(slots.iter().map(|s| Slot { buffer: s.buffer, offset: s.offset, size: s.size }));
        for (i, slot) in all.enumerate() {
            // Storage bindings span whole words: a range of float16s may end mid-word.
            let size = slot.size.next_multiple_of(4).min(slot.buffer.padded().saturating_sub(slot.offset));
            let size = NonZeroU64::new(size).ok_or_else(|| Error::runtime("wgpu: empty binding"))?;
            entries.push(wgpu::BindGroupEntry {
                binding: i as u32,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding { buffer: slot.buffer.raw(), offset: slot.offset, size: Some(size) }),
            });
        }
        let group = self.gpu.device.create_bind_group(&wgpu::BindGroupDescriptor { label: None, layout: &layout, entries: &entries });
        {
            let mut pass = self.encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes: None });
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, &group, &[]);
            pass.dispatch_workgroups(x as u32, y as u32, z as u32);
        }
        self.params.push(param);
        Ok(())
    }

    pub fn submit(self) {
        self.gpu.queue.submit([self.encoder.finish()]);
        // The parameter buffers go back to the pool now; a later write to
        // one is ordered after these commands by the queue.
        drop(self.params);
    }
}
