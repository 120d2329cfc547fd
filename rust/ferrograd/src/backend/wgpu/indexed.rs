//! Indexed reads and writes on the device, through a table of element
//! offsets the host computes (the indices are on the host, or read back,
//! and checked there): advanced indexing and gather read
//! `out[i] = x[offsets[i]]`; scatter writes `out[offsets[i]] = v[i]`, or
//! adds with atomics.

use super::buffer::{bytes_of, upload, WgpuBuffer};
use super::context::{gpu, Gpu};
use super::launch::{Batch, Grid, Slot, ITEM};
use super::run::{bind_whole, elementwise, f32_bytes, operand, words};
use super::wgsl::{self, GROUP};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernels::indexed::{along_offsets, scatter_source, Plan};
use crate::layout::Layout;
use crate::storage::{vec_with_capacity, Storage};
use crate::strided::Strided;

/// `x`'s elements at the plan's storage offsets, in result order (float32).
pub fn take(x: &Strided, plan: &Plan) -> Result<Storage> {
    let mut offsets = vec_with_capacity(crate::layout::numel(&plan.shape)?)?;
    plan.for_each(|o, _| offsets.push(o));
    read_at("index", x, &offsets)
}

/// `out[..i..] = x[..index[..i..]..]` along `dim` (float32).
pub fn gather(x: &Strided, dim: usize, index: &Strided) -> Result<Storage> {
    read_at("gather", x, &along_offsets(x.layout(), dim, index)?)
}

/// A copy of `x` with `src` written (or, with `accumulate`, added) where
/// `index` points along `dim` (float32). Repeated targets add up under
/// `accumulate`, in an order the device picks; without it one of them wins,
/// as on any parallel device.
pub fn scatter(x: &Strided, dim: usize, index: &Strided, src: &Strided, accumulate: bool) -> Result<Storage> {
    let op = if accumulate { "scatter_add" } else { "scatter" };
    let gpu = gpu()?;
    let targets = along_offsets(&Layout::contiguous(x.shape())?, dim, index)?;
    let source = Strided::new(src.storage().clone(), scatter_source(src, index.shape())?, src.dtype())?;
    let out = elementwise("copy", "x", x.shape(), &[x], [0.0; 2])?;
    if targets.is_empty() {
        return Ok(out);
    }
    let values = elementwise("copy", "x", index.shape(), &[&source], [0.0; 2])?;
    let (Some(out_buffer), Some(values_buffer)) = (out.wgpu_buffer(), values.wgpu_buffer()) else {
        return Err(Error::runtime(format!("{op}: a fresh wgpu result is not in device memory")));
    };
    if f32_bytes(op, x.numel())? > gpu.binding_limit {
        return Err(too_large(op, gpu));
    }
    let n = words(op, targets.len() as u64)?;
    let table = offset_table(op, gpu, &targets, 0)?;
    let key = if accumulate { "put_add:f32" } else { "put:f32" };
    let pipeline = gpu.pipelines.get(&gpu.device, key, || Ok(wgsl::put(accumulate)))?;
    gpu.scoped(op, || {
        let mut batch = Batch::new(gpu);
        let slots = [Slot::whole(out_buffer), Slot::whole(values_buffer), Slot::whole(&table)];
        batch.dispatch(&pipeline, &[n], &slots, Grid::Flat(u64::from(n).div_ceil(u64::from(GROUP))))?;
        batch.submit();
        Ok(())
    })?;
    Ok(out)
}

/// `x`'s elements at storage `offsets`, in their order (float32).
fn read_at(op: &str, x: &Strided, offsets: &[usize]) -> Result<Storage> {
    let gpu = gpu()?;
    let held = operand(gpu, op, x)?;
    let n = offsets.len();
    words(op, n as u64)?;
    let bytes = f32_bytes(op, n)?;
    if bytes > gpu.binding_limit {
        return Err(too_large(op, gpu));
    }
    let pipeline = gpu.pipelines.get(&gpu.device, "take:f32", || Ok(wgsl::take()))?;
    gpu.scoped(op, || {
        let out = WgpuBuffer::alloc(gpu, bytes)?;
        if n == 0 {
            return Ok(Storage::on_wgpu(out, 0, DType::F32));
        }
        let bound = bind_whole(gpu, op, &held)?;
        // Offsets count from the binding's start, which may lie after the storage's.
        let table = offset_table(op, gpu, offsets, bound.offset / ITEM)?;
        let mut batch = Batch::new(gpu);
        let slots = [Slot::whole(&out), Slot::from(&bound), Slot::whole(&table)];
        batch.dispatch(&pipeline, &[n as u32], &slots, Grid::Flat((n as u64).div_ceil(u64::from(GROUP))))?;
        batch.submit();
        Ok(Storage::on_wgpu(out, n, DType::F32))
    })
}

/// `offsets` less `base`, uploaded as i32 words the kernel reads as u32 (a binding
/// holds fewer than 2^31 elements, so each fits).
fn offset_table(op: &str, gpu: &Gpu, offsets: &[usize], base: u64) -> Result<WgpuBuffer> {
    let mut words = vec_with_capacity::<i32>(offsets.len())?;
    for &o in offsets {
        match (o as u64).checked_sub(base).and_then(|v| i32::try_from(v).ok()) {
            Some(v) => words.push(v),
            None => return Err(Error::runtime(format!("{op}: element {o} lies outside the bound range of its wgpu buffer"))),
        }
    }
    upload(gpu, bytes_of(&words))
}

fn too_large(op: &str, gpu: &Gpu) -> Error {
    Error::NotImplemented(format!("The operator '{op}' is not currently implemented for the wgpu device for results over {} bytes", gpu.binding_limit))
}
