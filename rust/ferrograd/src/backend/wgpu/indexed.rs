//! Indexed reads and writes on the device, through a table of element
//! offsets the host computes (the indices are on the host, or read back,
//! and checked there): advanced indexing and gather read
//! `out[i] = x[offsets[i]]`; scatter writes `out[offsets[i]] = v[i]`, or
//! adds, the values grouped by target on the host so that one thread sums
//! each target's values in index order.

use super::buffer::{bytes_of, upload, WgpuBuffer};
use super::context::{gpu, Gpu};
use super::element::Element;
use super::launch::{Batch, Grid, Slot};
use super::run::{bind_whole, elementwise, operand, words};
use super::wgsl::{self, GROUP};
use crate::error::{Error, Result};
use crate::kernels::indexed::{along_offsets, scatter_source, Plan};
use crate::layout::Layout;
use crate::storage::{vec_with_capacity, Storage};
use crate::strided::Strided;

/// `x`'s elements at the plan's storage offsets, in result order.
pub fn take(x: &Strided, plan: &Plan) -> Result<Storage> {
    let mut offsets = vec_with_capacity(crate::layout::numel(&plan.shape)?)?;
    plan.for_each(|o, _| offsets.push(o));
    read_at("index", x, &offsets)
}

/// `out[..i..] = x[..index[..i..]..]` along `dim`.
pub fn gather(x: &Strided, dim: usize, index: &Strided) -> Result<Storage> {
    read_at("gather", x, &along_offsets(x.layout(), dim, index)?)
}

/// A copy of `x` with `src` written (or, with `accumulate`, added) where
/// `index` points along `dim`. Repeated targets add up under `accumulate`,
/// in index order as on the CPU; without it one of them wins, as on any
/// parallel device.
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
    let element = Element::of(gpu, op, x.dtype())?;
    if element.size_of(op, x.numel())? > gpu.binding_limit {
        return Err(too_large(op, gpu));
    }
    words(op, targets.len() as u64)?;
    if accumulate {
        add_runs(op, gpu, element, out_buffer, values_buffer, &targets)?;
        return Ok(out);
    }
    let n = targets.len() as u32;
    let table = offset_table(op, gpu, &targets, 0)?;
    let pipeline = gpu.pipelines.get(&gpu.device, &format!("put:{element:?}"), || Ok(wgsl::indexed_copy(element, true)))?;
    gpu.scoped(op, || {
        let mut batch = Batch::new(gpu);
        let slots = [Slot::whole(out_buffer), Slot::whole(values_buffer), Slot::whole(&table)];
        batch.dispatch(&pipeline, &[n], &slots, Grid::Flat(u64::from(n).div_ceil(u64::from(GROUP))))?;
        batch.submit();
        Ok(())
    })?;
    Ok(out)
}

/// `out[targets[i]] += values[i]`: the value indices sorted (stably) by
/// target, so each run of one target is summed by one thread, in order.
fn add_runs(op: &str, gpu: &Gpu, element: Element, out: &WgpuBuffer, values: &WgpuBuffer, targets: &[usize]) -> Result<()> {
    let mut order = vec_with_capacity::<usize>(targets.len())?;
    order.extend(0..targets.len());
    order.sort_by_key(|&i| targets[i]);
    let (mut starts, mut run_targets) = (vec_with_capacity::<usize>(targets.len() + 1)?, vec_with_capacity::<usize>(targets.len())?);
    for (j, &i) in order.iter().enumerate() {
        if run_targets.last() != Some(&targets[i]) {
            starts.push(j);
            run_targets.push(targets[i]);
        }
    }
    starts.push(order.len());
    let runs = run_targets.len() as u32;
    let (order, starts, run_targets) = (offset_table(op, gpu, &order, 0)?, offset_table(op, gpu, &starts, 0)?, offset_table(op, gpu, &run_targets, 0)?);
    let pipeline = gpu.pipelines.get(&gpu.device, &format!("put_add:{element:?}"), || Ok(wgsl::put_add(element)))?;
    gpu.scoped(op, || {
        let mut batch = Batch::new(gpu);
        let slots = [Slot::whole(out), Slot::whole(values), Slot::whole(&order), Slot::whole(&starts), Slot::whole(&run_targets)];
        batch.dispatch(&pipeline, &[runs], &slots, Grid::Flat(u64::from(runs).div_ceil(u64::from(GROUP))))?;
        batch.submit();
        Ok(())
    })
}

/// `x`'s elements at storage `offsets`, in their order.
fn read_at(op: &str, x: &Strided, offsets: &[usize]) -> Result<Storage> {
    let gpu = gpu()?;
    let element = Element::of(gpu, op, x.dtype())?;
    let held = operand(gpu, op, x)?;
    let n = offsets.len();
    words(op, n as u64)?;
    let bytes = element.size_of(op, n)?;
    if bytes > gpu.binding_limit {
        return Err(too_large(op, gpu));
    }
    let pipeline = gpu.pipelines.get(&gpu.device, &format!("take:{element:?}"), || Ok(wgsl::indexed_copy(element, false)))?;
    let dtype = element.dtype();
    gpu.scoped(op, || {
        let out = WgpuBuffer::alloc(gpu, bytes)?;
        if n == 0 {
            return Ok(Storage::on_wgpu(out, 0, dtype));
        }
        let bound = bind_whole(gpu, op, element, &held)?;
        // Offsets count from the binding's start, which may lie after the storage's.
        let table = offset_table(op, gpu, offsets, bound.offset / element.bytes())?;
        let mut batch = Batch::new(gpu);
        let slots = [Slot::whole(&out), Slot::from(&bound), Slot::whole(&table)];
        batch.dispatch(&pipeline, &[n as u32], &slots, Grid::Flat((n as u64).div_ceil(u64::from(GROUP))))?;
        batch.submit();
        Ok(Storage::on_wgpu(out, n, dtype))
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
