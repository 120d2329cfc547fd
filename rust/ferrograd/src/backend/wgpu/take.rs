//! Gathers on the device: the elements an index plan names, read by a
//! kernel through a table of offsets the host computes from the plan (the
//! indices themselves are already on the host, checked, when a plan exists).

use super::buffer::{bytes_of, upload, WgpuBuffer};
use super::context::gpu;
use super::launch::{Batch, Grid, Slot, ITEM};
use super::run::{bind_whole, f32_bytes, operand, words};
use super::wgsl::{self, GROUP};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernels::indexed::Plan;
use crate::layout::numel;
use crate::storage::{vec_with_capacity, Storage};
use crate::strided::Strided;

/// `x`'s elements at the plan's storage offsets, in result order (float32).
pub fn take(x: &Strided, plan: &Plan) -> Result<Storage> {
    const OP: &str = "index";
    let gpu = gpu()?;
    let held = operand(gpu, OP, x)?;
    let n = numel(&plan.shape)?;
    words(OP, n as u64)?;
    let bytes = f32_bytes(OP, n)?;
    if bytes > gpu.binding_limit {
        return Err(Error::NotImplemented(format!("The operator '{OP}' is not currently implemented for the wgpu device for results over {} bytes", gpu.binding_limit)));
    }
    let pipeline = gpu.pipelines.get(&gpu.device, "take:f32", || Ok(wgsl::take()))?;
    gpu.scoped(OP, || {
        let out = WgpuBuffer::alloc(gpu, bytes)?;
        if n == 0 {
            return Ok(Storage::on_wgpu(out, 0, DType::F32));
        }
        let bound = bind_whole(gpu, OP, &held)?;
        // Offsets count from the binding's start, which may lie after the storage's.
        let base = bound.offset / ITEM;
        // i32 words (the kernel reads them as u32): a binding holds fewer than 2^31 elements.
        let mut offsets = vec_with_capacity::<i32>(n)?;
        let mut bad = None;
        plan.for_each(|o, _| match (o as u64).checked_sub(base).and_then(|v| i32::try_from(v).ok()) {
            Some(v) => offsets.push(v),
            None => {
                bad.get_or_insert(o);
                offsets.push(0);
            }
        });
        if let Some(o) = bad {
            return Err(Error::runtime(format!("{OP}: element {o} lies outside the bound range of its wgpu buffer")));
        }
        let table = upload(gpu, bytes_of(&offsets))?;
        let mut batch = Batch::new(gpu);
        let slots = [Slot::whole(&out), Slot::from(&bound), Slot::whole(&table)];
        batch.dispatch(&pipeline, &[n as u32], &slots, Grid::Flat((n as u64).div_ceil(u64::from(GROUP))))?;
        batch.submit();
        Ok(Storage::on_wgpu(out, n, DType::F32))
    })
}
