//! Sliding windows on the device: im2col (a convolution's input unfolded
//! into columns, which the matrix product then consumes), col2im, its
//! adjoint, and max pooling. Each thread derives its positions from the window's geometry,
//! so nothing but the parameters crosses to the device; col2im sums, for
//! one input element, the columns that read it, so it needs no atomics and
//! adds in the CPU kernel's order.

use super::buffer::WgpuBuffer;
use super::context::gpu;
use super::launch::{Batch, Grid, Slot};
use super::element::Element;
use super::run::{bind_whole, elementwise, operand, words};
use super::wgsl::{self, GROUP};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernels::window::{Planes, Window2d};
use crate::storage::Storage;
use crate::strided::Strided;

/// `(planes, H, W)` -> `(planes, kh*kw, oh*ow)`.
pub fn im2col(x: &Strided, planes: Planes, window: &Window2d) -> Result<Storage> {
    let n = planes.count.checked_mul(window.kernel_len()).and_then(|v| v.checked_mul(planes.output[0] * planes.output[1]));
    run("im2col", x, planes, window, n, false)
}

/// `(planes, kh*kw, oh*ow)` -> `(planes, H, W)`, overlaps summed.
pub fn col2im(x: &Strided, planes: Planes, window: &Window2d) -> Result<Storage> {
    let n = planes.count.checked_mul(planes.input[0] * planes.input[1]);
    run("col2im", x, planes, window, n, true)
}

/// The maximum of each window and its flat in-plane index (int64).
pub fn max_pool(x: &Strided, planes: Planes, window: &Window2d) -> Result<(Storage, Storage)> {
    const OP: &str = "max_pool2d";
    let gpu = gpu()?;
    let n = planes.count.checked_mul(planes.output[0] * planes.output[1]).ok_or_else(|| overflow(OP))?;
    let (contiguous, element) = prepare(OP, gpu, x, n)?;
    let held = operand(gpu, OP, contiguous.as_ref().unwrap_or(x))?;
    let pipeline = gpu.pipelines.get(&gpu.device, &format!("max_pool2d:{element:?}"), || Ok(wgsl::max_pool(element)))?;
    gpu.scoped(OP, || {
        // int64 indices: two words each, the high one zero (an in-plane index fits in 32 bits).
        let (values, indices) = (WgpuBuffer::alloc(gpu, element.size_of(OP, n)?)?, WgpuBuffer::alloc(gpu, DType::I64.size_in_bytes() as u64 * n as u64)?);
        if n > 0 {
            let bound = bind_whole(gpu, OP, element, &held)?;
            let params = parameters(OP, words(OP, n as u64)?, bound.first, planes, window)?;
            let mut batch = Batch::new(gpu);
            let slots = [Slot::whole(&values), Slot::whole(&indices), Slot::from(&bound)];
            batch.dispatch(&pipeline, &params, &slots, Grid::Flat((n as u64).div_ceil(u64::from(GROUP))))?;
            batch.submit();
        }
        Ok((Storage::on_wgpu(values, n, element.dtype()), Storage::on_wgpu(indices, n, DType::I64)))
    })
}

fn run(op: &str, x: &Strided, planes: Planes, window: &Window2d, n: Option<usize>, fold: bool) -> Result<Storage> {
    let gpu = gpu()?;
    let n = n.ok_or_else(|| overflow(op))?;
    let (contiguous, element) = prepare(op, gpu, x, n)?;
    let held = operand(gpu, op, contiguous.as_ref().unwrap_or(x))?;
    let key = format!("{op}:{element:?}");
    let pipeline = gpu.pipelines.get(&gpu.device, &key, || Ok(wgsl::window(fold, element)))?;
    gpu.scoped(op, || {
        let out = WgpuBuffer::alloc(gpu, element.size_of(op, n)?)?;
        if n == 0 {
            return Ok(Storage::on_wgpu(out, 0, element.dtype()));
        }
        let bound = bind_whole(gpu, op, element, &held)?;
        let params = parameters(op, words(op, n as u64)?, bound.first, planes, window)?;
        let mut batch = Batch::new(gpu);
        let slots = [Slot::whole(&out), Slot::from(&bound)];
        batch.dispatch(&pipeline, &params, &slots, Grid::Flat((n as u64).div_ceil(u64::from(GROUP))))?;
        batch.submit();
        Ok(Storage::on_wgpu(out, n, element.dtype()))
    })
}

/// Checks an `n`-element result (and its int64 indices) against the
/// binding limit and makes `x` contiguous when it is not (the kernels walk
/// whole planes): the copy, if one was made, and the element.
fn prepare(op: &str, gpu: &super::context::Gpu, x: &Strided, n: usize) -> Result<(Option<Strided>, Element)> {
    let element = Element::of(gpu, op, x.dtype())?;
    let bytes = (n as u64).saturating_mul(DType::I64.size_in_bytes() as u64);
    if bytes > gpu.binding_limit {
        return Err(Error::NotImplemented(format!("The operator '{op}' is not currently implemented for the wgpu device for results over {} bytes", gpu.binding_limit / 2)));
    }
    if x.layout().contiguous_range().is_some() {
        return Ok((None, element));
    }
    Ok((Some(Strided::contiguous(elementwise("copy", "x", x.shape(), &[x], [0.0; 2])?, x.shape())?), element))
}

fn overflow(op: &str) -> Error {
    Error::runtime(format!("{op}: the result's size overflows"))
}

/// The words `wgsl::window` reads, in `wgsl::window_slot` order.
fn parameters(op: &str, total: u32, first: u32, p: Planes, w: &Window2d) -> Result<Vec<u32>> {
    let fit = |v: usize| u32::try_from(v).map_err(|_| Error::runtime(format!("{op}: a window parameter of {v} exceeds what a wgpu kernel addresses")));
    let values = [
        total as usize,
        first as usize,
        p.input[0],
        p.input[1],
        p.output[0],
        p.output[1],
        w.kernel[0],
        w.kernel[1],
        w.stride[0],
        w.stride[1],
        w.dilation[0],
        w.dilation[1],
        w.pad_lo[0],
        w.pad_lo[1],
    ];
    values.iter().map(|&v| fit(v)).collect()
}
