//! Comparisons into bool tensors and selection by a bool condition, on the
//! device. Bool elements are bytes, so a comparison thread writes a whole
//! word of four, and the selection reads its condition byte out of a word.

use super::buffer::{upload, WgpuBuffer};
use super::context::{gpu, Gpu};
use super::element::Element;
use super::launch::{bind, broadcast_strides, Batch, Grid, Slot};
use super::run::{ndim_ok, operand, words, Operand};
use super::wgsl::{self, mask_slot, GROUP};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernels::named::Comparison;
use crate::layout::{numel, Layout};
use crate::storage::Storage;
use crate::strided::Strided;

/// `a <cmp> b` over float operands of one dtype broadcast to `shape`, as bool.
pub fn compare(a: &Strided, b: &Strided, cmp: Comparison, shape: &[usize]) -> Result<Storage> {
    let op = cmp.name();
    let gpu = gpu()?;
    ndim_ok(op, shape.len())?;
    let element = Element::common(gpu, op, &[a.dtype(), b.dtype()])?;
    let (ha, hb) = (operand(gpu, op, a)?, operand(gpu, op, b)?);
    let n = numel(shape)?;
    words(op, n as u64)?;
    let test = match cmp {
        Comparison::Eq => "x == y",
        // Not `!=`: drivers may order it, so that NaN != NaN would be false.
        Comparison::Ne => "!(x == y)",
        Comparison::Lt => "x < y",
        Comparison::Le => "x <= y",
        Comparison::Gt => "x > y",
        Comparison::Ge => "x >= y",
    };
    let pipeline = gpu.pipelines.get(&gpu.device, &format!("{op}:compare:{element:?}"), || Ok(wgsl::compare(test, false, element)))?;
    gpu.scoped(op, || {
        let out = WgpuBuffer::alloc(gpu, n as u64)?;
        if n > 0 {
            let mut p = header(shape, n);
            let (ba, bb) = (bind_all(gpu, op, element, &ha, shape, n)?, bind_all(gpu, op, element, &hb, shape, n)?);
            operand_words(&mut p, mask_slot::A_OFF, mask_slot::A_STRIDES, ba.first, &ba.strides);
            operand_words(&mut p, mask_slot::B_OFF, mask_slot::B_STRIDES, bb.first, &bb.strides);
            let mut batch = Batch::new(gpu);
            let groups = (n as u64).div_ceil(4).div_ceil(u64::from(GROUP));
            batch.dispatch(&pipeline, &p, &[Slot::whole(&out), Slot::from(&ba), Slot::from(&bb)], Grid::Flat(groups))?;
            batch.submit();
        }
        Ok(Storage::on_wgpu(out, n, DType::Bool))
    })
}

/// A logical op of bool operands broadcast to `shape`, as bool: `test`
/// reads `x` and `y` (`logical_not` passes its operand twice).
pub fn logic(op: &str, test: &str, a: &Strided, b: &Strided, shape: &[usize]) -> Result<Storage> {
    let gpu = gpu()?;
    ndim_ok(op, shape.len())?;
    let (ha, hb) = (bool_operand(gpu, op, a)?, bool_operand(gpu, op, b)?);
    let n = numel(shape)?;
    words(op, n as u64)?;
    let pipeline = gpu.pipelines.get(&gpu.device, &format!("{op}:logic:bool"), || Ok(wgsl::compare(test, true, Element::F32)))?;
    gpu.scoped(op, || {
        let out = WgpuBuffer::alloc(gpu, n as u64)?;
        if n > 0 {
            let mut p = header(shape, n);
            bool_words(gpu, op, &mut p, (mask_slot::A_OFF, mask_slot::A_STRIDES), &ha, shape)?;
            bool_words(gpu, op, &mut p, (mask_slot::B_OFF, mask_slot::B_STRIDES), &hb, shape)?;
            let mut batch = Batch::new(gpu);
            let groups = (n as u64).div_ceil(4).div_ceil(u64::from(GROUP));
            batch.dispatch(&pipeline, &p, &[Slot::whole(&out), Slot::whole(ha.buffer()), Slot::whole(hb.buffer())], Grid::Flat(groups))?;
            batch.submit();
        }
        Ok(Storage::on_wgpu(out, n, DType::Bool))
    })
}

/// A bool operand: its device buffer, or a host tensor's bytes uploaded.
fn bool_operand<'a>(gpu: &Gpu, op: &str, x: &'a Strided) -> Result<Operand<'a>> {
    if x.dtype() != DType::Bool {
        return Err(Error::runtime(format!("{op}: expected a bool operand, got {}", x.dtype())));
    }
    let operand = match x.storage().wgpu_buffer() {
        Some(buffer) => Operand::Stored(buffer, x.layout()),
        None => {
            let bytes: Vec<u8> = x.to_vec::<bool>()?.into_iter().map(u8::from).collect();
            Operand::Uploaded(upload(gpu, &bytes)?, Layout::contiguous(x.shape())?)
        }
    };
    if operand.buffer().padded() > gpu.binding_limit {
        return Err(too_large(op, gpu));
    }
    Ok(operand)
}

/// A bool operand's first byte and strides, bound whole.
fn bool_words(gpu: &Gpu, op: &str, p: &mut [u32], (off, strides_at): (usize, usize), h: &Operand<'_>, shape: &[usize]) -> Result<()> {
    let first = u32::try_from(h.layout().offset()).map_err(|_| too_large(op, gpu))?;
    operand_words(p, off, strides_at, first, &broadcast_strides(op, h.layout(), shape)?);
    Ok(())
}

/// `a` where `cond` (bool) holds, else `b`; float operands of one dtype,
/// all broadcast to `shape`.
pub fn select(cond: &Strided, a: &Strided, b: &Strided, shape: &[usize]) -> Result<Storage> {
    const OP: &str = "where";
    let gpu = gpu()?;
    ndim_ok(OP, shape.len())?;
    let flags = bool_operand(gpu, OP, cond)?;
    let element = Element::common(gpu, OP, &[a.dtype(), b.dtype()])?;
    let (ha, hb) = (operand(gpu, OP, a)?, operand(gpu, OP, b)?);
    let n = numel(shape)?;
    words(OP, n as u64)?;
    let pipeline = gpu.pipelines.get(&gpu.device, &format!("where:select:{element:?}"), || Ok(wgsl::select(element)))?;
    gpu.scoped(OP, || {
        let out = WgpuBuffer::alloc(gpu, element.size_of(OP, n)?)?;
        if n > 0 {
            let mut p = header(shape, n);
            bool_words(gpu, OP, &mut p, (mask_slot::C_OFF, mask_slot::C_STRIDES), &flags, shape)?;
            let (ba, bb) = (bind_all(gpu, OP, element, &ha, shape, n)?, bind_all(gpu, OP, element, &hb, shape, n)?);
            operand_words(&mut p, mask_slot::A_OFF, mask_slot::A_STRIDES, ba.first, &ba.strides);
            operand_words(&mut p, mask_slot::B_OFF, mask_slot::B_STRIDES, bb.first, &bb.strides);
            let mut batch = Batch::new(gpu);
            let slots = [Slot::whole(&out), Slot::whole(flags.buffer()), Slot::from(&ba), Slot::from(&bb)];
            batch.dispatch(&pipeline, &p, &slots, Grid::Flat((n as u64).div_ceil(u64::from(GROUP))))?;
            batch.submit();
        }
        Ok(Storage::on_wgpu(out, n, element.dtype()))
    })
}

fn header(shape: &[usize], n: usize) -> Vec<u32> {
    let mut p = vec![0u32; mask_slot::LEN];
    p[mask_slot::COUNT] = n as u32;
    p[mask_slot::NDIM] = shape.len() as u32;
    for (d, &size) in shape.iter().enumerate() {
        p[mask_slot::SHAPE + d] = size as u32;
    }
    p
}

fn operand_words(p: &mut [u32], off: usize, strides_at: usize, first: u32, strides: &[u32]) {
    p[off] = first;
    p[strides_at..strides_at + strides.len()].copy_from_slice(strides);
}

/// All of a float operand, read broadcast to `shape`, in one binding.
fn bind_all<'a>(gpu: &Gpu, op: &str, element: Element, h: &'a Operand<'_>, shape: &[usize], n: usize) -> Result<super::launch::Bound<'a>> {
    let bound = bind(gpu, op, element.bytes(), h.buffer(), h.layout(), shape, 0, n as u64)?;
    if bound.size > gpu.binding_limit {
        return Err(too_large(op, gpu));
    }
    Ok(bound)
}

fn too_large(op: &str, gpu: &Gpu) -> Error {
    Error::NotImplemented(format!("The operator '{op}' is not currently implemented for the wgpu device on operands larger than {} bytes", gpu.binding_limit))
}
