//! The kernel launches behind `impl Backend for Wgpu`: each checks its
//! operands, picks a generated kernel and records its dispatches, one
//! command buffer per operation. Only `to_cpu` waits for the device.

use super::buffer::{upload_view, WgpuBuffer};
use super::context::{gpu, Gpu};
use super::element::{number_words, Element, NUMBER_WORDS};
use super::launch::{bind, chunk_elements, Batch, Bound, Grid, Slot};
use super::wgsl::{self, matmul_slot, reduce_slot, slot, GROUP, MAX_DIMS, TILE};
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::layout::{numel, Layout};
use crate::storage::{Buffer, Storage};
use crate::strided::Strided;

/// A float operand on the device: a storage's buffer, or a CPU scalar
/// (which PyTorch lets meet any device) uploaded for this operation.
pub(super) enum Operand<'a> {
    Stored(&'a WgpuBuffer, &'a Layout),
    Uploaded(WgpuBuffer, Layout),
}

impl Operand<'_> {
    pub(super) fn buffer(&self) -> &WgpuBuffer {
        match self {
            Operand::Stored(b, _) => b,
            Operand::Uploaded(b, _) => b,
        }
    }
    pub(super) fn layout(&self) -> &Layout {
        match self {
            Operand::Stored(_, l) => l,
            Operand::Uploaded(_, l) => l,
        }
    }
}

pub(super) fn operand<'a>(gpu: &Gpu, op: &str, x: &'a Strided) -> Result<Operand<'a>> {
    Element::of(gpu, op, x.dtype())?;
    if let Some(buffer) = x.storage().wgpu_buffer() {
        return Ok(Operand::Stored(buffer, x.layout()));
    }
    Ok(Operand::Uploaded(upload_view(gpu, x)?, Layout::contiguous(x.shape())?))
}

pub(super) fn words(op: &str, n: u64) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::NotImplemented(format!("The operator '{op}' is not currently implemented for the wgpu device on {n} elements: kernels index at most 2^32 - 1")))
}

pub(super) fn stride_bits(op: &str, s: isize) -> Result<u32> {
    i32::try_from(s).map(|s| s as u32).map_err(|_| Error::runtime(format!("{op}: stride {s} exceeds what a wgpu kernel addresses")))
}

pub(super) fn ndim_ok(op: &str, ndim: usize) -> Result<()> {
    if ndim > MAX_DIMS {
        return Err(Error::NotImplemented(format!("The operator '{op}' is not currently implemented for the wgpu device on tensors of more than {MAX_DIMS} dims (got {ndim})")));
    }
    Ok(())
}

/// `expr` over `inputs` (of one float dtype) broadcast to `shape`, into a
/// fresh storage of that dtype.
pub(super) fn elementwise(op: &str, expr: &str, shape: &[usize], inputs: &[&Strided], scalars: [f64; 2]) -> Result<Storage> {
    let gpu = gpu()?;
    let dtypes: Vec<DType> = inputs.iter().map(|x| x.dtype()).collect();
    let element = Element::common(gpu, op, &dtypes)?;
    converted(op, expr, shape, inputs, scalars, element)
}

/// `expr` over `inputs` broadcast to `shape`, into a fresh storage of
/// `output` elements; in chunks of one binding each, so no size is capped
/// by the binding limit.
pub(super) fn converted(op: &str, expr: &str, shape: &[usize], inputs: &[&Strided], scalars: [f64; 2], output: Element) -> Result<Storage> {
    let gpu = gpu()?;
    ndim_ok(op, shape.len())?;
    let dtypes: Vec<DType> = inputs.iter().map(|x| x.dtype()).collect();
    let input = Element::common(gpu, op, &dtypes)?;
    Element::of(gpu, op, output.dtype())?;
    let held = inputs.iter().map(|x| operand(gpu, op, x)).collect::<Result<Vec<_>>>()?;
    let n = numel(shape)?;
    words(op, n as u64)?;
    let arity = inputs.len() as u32;
    let key = format!("{op}:{arity}:{input:?}:{output:?}");
    let pipeline = gpu.pipelines.get(&gpu.device, &key, || Ok(wgsl::elementwise(expr, arity, false, input, output)))?;
    gpu.scoped(op, || {
        let out = WgpuBuffer::alloc(gpu, output.size_of(op, n)?)?;
        let mut batch = Batch::new(gpu);
        let item = input.bytes().max(output.bytes());
        let (total, chunk) = (n as u64, chunk_elements(gpu, item));
        let mut start = 0;
        while start < total {
            let count = chunk.min(total - start);
            let bounds = held.iter().map(|h| bind(gpu, op, input.bytes(), h.buffer(), h.layout(), shape, start, count)).collect::<Result<Vec<_>>>()?;
            let mut p = header(shape, start, count, scalars);
            operand_words(&mut p, slot::A_OFF, slot::A_STRIDES, &bounds[0]);
            if let Some(b) = bounds.get(1) {
                operand_words(&mut p, slot::B_OFF, slot::B_STRIDES, b);
            }
            let mut slots = vec![Slot { buffer: &out, offset: start * output.bytes(), size: count * output.bytes() }];
            slots.extend(bounds.iter().map(Slot::from));
            batch.dispatch(&pipeline, &p, &slots, Grid::Flat(count.div_ceil(u64::from(GROUP))))?;
            start += count;
        }
        batch.submit();
        Ok(Storage::on_wgpu(out, n, output.dtype()))
    })
}

/// The parameter words every elementwise dispatch starts with.
fn header(shape: &[usize], start: u64, count: u64, scalars: [f64; 2]) -> Vec<u32> {
    let mut p = vec![0u32; slot::LEN];
    p[slot::COUNT] = count as u32;
    p[slot::START] = start as u32;
    p[slot::NDIM] = shape.len() as u32;
    p[slot::S0..slot::S0 + NUMBER_WORDS].copy_from_slice(&number_words(scalars[0]));
    p[slot::S1..slot::S1 + NUMBER_WORDS].copy_from_slice(&number_words(scalars[1]));
    for (d, &n) in shape.iter().enumerate() {
        p[slot::SHAPE + d] = n as u32;
    }
    p
}

fn operand_words(p: &mut [u32], off: usize, strides: usize, b: &Bound<'_>) {
    p[off] = b.first;
    p[strides..strides + MAX_DIMS].copy_from_slice(&b.strides);
}

/// `dst = expr(dst, src)` through `dst`'s own layout.
pub(super) fn assign(op: &str, expr: &str, dst: &Strided, src: &Strided, scalars: [f64; 2]) -> Result<()> {
    let gpu = gpu()?;
    let Some(target) = dst.storage().wgpu_buffer() else {
        return Err(Error::runtime(format!("{op}: the destination is not on the wgpu device")));
    };
    let element = Element::common(gpu, op, &[dst.dtype(), src.dtype()])?;
    ndim_ok(op, dst.ndim())?;
    // One buffer cannot be bound for reading and for writing at once.
    let copied;
    let src = if src.storage().same(dst.storage()) {
        copied = Strided::contiguous(elementwise("copy", "x", src.shape(), &[src], [0.0; 2])?, src.shape())?;
        &copied
    } else {
        src
    };
    let held = operand(gpu, op, src)?;
    let shape = dst.shape();
    let n = dst.numel();
    words(op, n as u64)?;
    let pipeline = gpu.pipelines.get(&gpu.device, &format!("{op}:assign:{element:?}"), || Ok(wgsl::elementwise(expr, 2, true, element, element)))?;
    let item = element.bytes();
    gpu.scoped(op, || {
        let mut batch = Batch::new(gpu);
        let (total, chunk) = (n as u64, chunk_elements(gpu, item));
        let mut start = 0;
        while start < total {
            let count = chunk.min(total - start);
            let out = bind(gpu, op, item, target, dst.layout(), shape, start, count)?;
            let b = bind(gpu, op, item, held.buffer(), held.layout(), shape, start, count)?;
            let mut p = header(shape, start, count, scalars);
            operand_words(&mut p, slot::OUT_OFF, slot::OUT_STRIDES, &out);
            operand_words(&mut p, slot::B_OFF, slot::B_STRIDES, &b);
            batch.dispatch(&pipeline, &p, &[Slot::from(&out), Slot::from(&b)], Grid::Flat(count.div_ceil(u64::from(GROUP))))?;
            start += count;
        }
        batch.submit();
        Ok(())
    })?;
    dst.storage().device_written();
    Ok(())
}

/// Binds all of an operand of `element`s, which a kernel reads at any position.
pub(super) fn bind_whole<'a>(gpu: &Gpu, op: &str, element: Element, h: &'a Operand<'_>) -> Result<Bound<'a>> {
    let layout = h.layout();
    let n = numel(layout.shape())? as u64;
    let bound = bind(gpu, op, element.bytes(), h.buffer(), layout, layout.shape(), 0, n)?;
    if bound.size > gpu.binding_limit {
        return Err(Error::NotImplemented(format!(
            "The operator '{op}' is not currently implemented for the wgpu device on operands larger than {} bytes",
            gpu.binding_limit
        )));
    }
    Ok(bound)
}

/// The reduction kernels' parameter words for `x` folded over `dims`, and
/// the output and group sizes.
fn reduce_params(op: &str, x: &Strided, layout: &Layout, dims: &[usize]) -> Result<(Vec<u32>, usize, usize)> {
    let keep: Vec<usize> = (0..x.ndim()).filter(|d| !dims.contains(d)).collect();
    let n_out = keep.iter().map(|&d| x.shape()[d]).product::<usize>();
    let n_red = dims.iter().map(|&d| x.shape()[d]).product::<usize>();
    words(op, n_red as u64)?;
    words(op, n_out as u64)?;
    let mut p = vec![0u32; reduce_slot::LEN];
    p[reduce_slot::N_OUT] = n_out as u32;
    p[reduce_slot::N_RED] = n_red as u32;
    p[reduce_slot::KEEP_NDIM] = keep.len() as u32;
    p[reduce_slot::RED_NDIM] = dims.len() as u32;
    for (table, shape_at, strides_at) in [(&keep[..], reduce_slot::KEEP_SHAPE, reduce_slot::KEEP_STRIDES), (dims, reduce_slot::RED_SHAPE, reduce_slot::RED_STRIDES)] {
        for (i, &d) in table.iter().enumerate() {
            p[shape_at + i] = layout.shape()[d] as u32;
            p[strides_at + i] = stride_bits(op, layout.strides()[d])?;
        }
    }
    Ok((p, n_out, n_red))
}

pub(super) fn reduce_run(op: &str, init: &str, fold: &str, x: &Strided, dims: &[usize]) -> Result<Storage> {
    let gpu = gpu()?;
    ndim_ok(op, x.ndim())?;
    let element = Element::of(gpu, op, x.dtype())?;
    let held = operand(gpu, op, x)?;
    let (mut p, n_out, n_red) = reduce_params(op, x, held.layout(), dims)?;
    let pipeline = gpu.pipelines.get(&gpu.device, &format!("{op}:reduce:{element:?}"), || Ok(wgsl::reduce(init, fold, element)))?;
    let dtype = element.dtype();
    gpu.scoped(op, || {
        let out = WgpuBuffer::alloc(gpu, element.size_of(op, n_out)?)?;
        if n_out == 0 {
            return Ok(Storage::on_wgpu(out, 0, dtype));
        }
        let mut batch = Batch::new(gpu);
        if n_red == 0 {
            // Nothing to read: every output is the fold's start value.
            let dummy = WgpuBuffer::alloc(gpu, element.bytes())?;
            batch.dispatch(&pipeline, &p, &[Slot::whole(&out), Slot::whole(&dummy)], Grid::Flat(n_out as u64))?;
            batch.submit();
            return Ok(Storage::on_wgpu(out, n_out, dtype));
        }
        let input = bind_whole(gpu, op, element, &held)?;
        p[reduce_slot::OFF] = input.first;
        batch.dispatch(&pipeline, &p, &[Slot::whole(&out), Slot::from(&input)], Grid::Flat(n_out as u64))?;
        batch.submit();
        Ok(Storage::on_wgpu(out, n_out, dtype))
    })
}

/// The extreme of each group of `x` over `dims` (nonempty) and its
/// position in the group (int64).
pub(super) fn reduce_indexed_run(op: &str, x: &Strided, dims: &[usize], max: bool) -> Result<(Storage, Storage)> {
    let gpu = gpu()?;
    ndim_ok(op, x.ndim())?;
    let element = Element::of(gpu, op, x.dtype())?;
    let held = operand(gpu, op, x)?;
    let (mut p, n_out, n_red) = reduce_params(op, x, held.layout(), dims)?;
    if n_red == 0 && n_out > 0 {
        return Err(Error::index(format!("{op}(): Expected reduction dims to have non-zero size.")));
    }
    let pipeline = gpu.pipelines.get(&gpu.device, &format!("{op}:{max}:reduce_indexed:{element:?}"), || Ok(wgsl::reduce_indexed(max, element)))?;
    gpu.scoped(op, || {
        let values = WgpuBuffer::alloc(gpu, element.size_of(op, n_out)?)?;
        let indices = WgpuBuffer::alloc(gpu, DType::I64.size_in_bytes() as u64 * n_out as u64)?;
        if n_out > 0 {
            let input = bind_whole(gpu, op, element, &held)?;
            p[reduce_slot::OFF] = input.first;
            let mut batch = Batch::new(gpu);
            batch.dispatch(&pipeline, &p, &[Slot::whole(&values), Slot::whole(&indices), Slot::from(&input)], Grid::Flat(n_out as u64))?;
            batch.submit();
        }
        Ok((Storage::on_wgpu(values, n_out, element.dtype()), Storage::on_wgpu(indices, n_out, DType::I64)))
    })
}

pub(super) fn matmul_run(a: &Strided, b: &Strided) -> Result<Storage> {
    const OP: &str = "mm";
    let gpu = gpu()?;
    let element = Element::common(gpu, OP, &[a.dtype(), b.dtype()])?;
    let (ha, hb) = (operand(gpu, OP, a)?, operand(gpu, OP, b)?);
    let nd = a.ndim();
    if nd < 2 || nd > 3 || b.ndim() != nd {
        return Err(Error::runtime(format!("mm: expected 2-D or batched 3-D operands, got {:?} and {:?}", a.shape(), b.shape())));
    }
    let (m, k, n) = (a.shape()[nd - 2], a.shape()[nd - 1], b.shape()[nd - 1]);
    let batch = if nd == 3 { a.shape()[0] } else { 1 };
    let total = numel(&[batch, m, n])?;
    let bytes = element.size_of(OP, total)?;
    if bytes > gpu.binding_limit {
        return Err(Error::NotImplemented(format!("The operator '{OP}' is not currently implemented for the wgpu device for results over {} bytes", gpu.binding_limit)));
    }
    for v in [m, n, k, batch] {
        words(OP, v as u64)?;
    }
    let pipeline = gpu.pipelines.get(&gpu.device, &format!("mm:{element:?}"), || Ok(wgsl::matmul(element)))?;
    let dtype = element.dtype();
    gpu.scoped(OP, || {
        let out = WgpuBuffer::alloc(gpu, bytes)?;
        if total == 0 {
            return Ok(Storage::on_wgpu(out, 0, dtype));
        }
        let mut p = vec![0u32; matmul_slot::LEN];
        p[matmul_slot::M] = m as u32;
        p[matmul_slot::N] = n as u32;
        p[matmul_slot::K] = k as u32;
        let mut slots = vec![Slot::whole(&out)];
        let mut bounds = Vec::with_capacity(2);
        for (h, at) in [(&ha, matmul_slot::A), (&hb, matmul_slot::B)] {
            let l = h.layout();
            let bound = if k == 0 { None } else { Some(bind_whole(gpu, OP, element, h)?) };
            p[at] = bound.as_ref().map_or(0, |b| b.first);
            p[at + 1] = if nd == 3 { stride_bits(OP, l.strides()[0])? } else { 0 };
            p[at + 2] = stride_bits(OP, l.strides()[nd - 2])?;
            p[at + 3] = stride_bits(OP, l.strides()[nd - 1])?;
            bounds.push(bound);
        }
        // k == 0 reads nothing; the result buffer stands in for both operands' bindings.
        let dummy = WgpuBuffer::alloc(gpu, element.bytes())?;
        for bound in &bounds {
            slots.push(bound.as_ref().map_or(Slot::whole(&dummy), Slot::from));
        }
        let tiles = |v: usize| (v as u64).div_ceil(u64::from(TILE));
        let mut run = Batch::new(gpu);
        run.dispatch(&pipeline, &p, &slots, Grid::Exact([tiles(n), tiles(m), batch as u64]))?;
        run.submit();
        Ok(Storage::on_wgpu(out, total, dtype))
    })
}

/// The elements `layout` reaches, lowest and highest.
pub(super) fn reach(layout: &Layout) -> (usize, usize) {
    let (mut lo, mut hi) = (layout.offset() as isize, layout.offset() as isize);
    for (&n, &s) in layout.shape().iter().zip(layout.strides()) {
        let r = (n as isize - 1) * s;
        if r < 0 {
            lo += r;
        } else {
            hi += r;
        }
    }
    (lo.max(0) as usize, hi.max(0) as usize)
}

pub(super) fn empty(dtype: DType) -> Result<Storage> {
    Ok(Storage::new(Buffer::full(dtype, 0, Scalar::Int(0))?))
}
