//! Row kernels on the device: one workgroup per row along one dim, the
//! result contiguous in the input's logical order. Softmax and log-softmax,
//! forward and backward side by side (`wgsl::rows`), and running sums and
//! products (`wgsl::scan`).

use super::buffer::WgpuBuffer;
use super::context::gpu;
use super::launch::{Batch, Grid, Slot};
use super::element::Element;
use super::run::{bind_whole, ndim_ok, operand, stride_bits, words, Operand};
use super::wgsl::{self, rows_slot};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::layout::{numel, Layout};
use crate::storage::Storage;
use crate::strided::Strided;

/// `softmax(x)` (or log-softmax) along `dim`, float32.
pub fn softmax(x: &Strided, dim: usize, log: bool) -> Result<Storage> {
    rows(if log { "log_softmax" } else { "softmax" }, x, None, dim)
}

/// The input gradient from the output gradient `g` (laid out over `y`'s
/// shape, possibly broadcast) and the saved output `y`.
pub fn softmax_backward(g: &Strided, y: &Strided, dim: usize, log: bool) -> Result<Storage> {
    if g.shape() != y.shape() {
        return Err(Error::runtime(format!("softmax_backward: gradient of shape {:?} for an output of shape {:?}", g.shape(), y.shape())));
    }
    rows(if log { "log_softmax_backward" } else { "softmax_backward" }, g, Some(y), dim)
}

/// Writes an operand's element offset, stride along the row and strides
/// over the kept dims into the parameter words.
fn operand_words(op: &str, p: &mut [u32], h: &Operand<'_>, first: u32, dim: usize, keep: &[usize], (off, step, strides): (usize, usize, usize)) -> Result<()> {
    let layout = h.layout();
    p[off] = first;
    p[step] = stride_bits(op, layout.strides().get(dim).copied().unwrap_or(0))?;
    for (i, &d) in keep.iter().enumerate() {
        p[strides + i] = stride_bits(op, layout.strides()[d])?;
    }
    Ok(())
}

/// The running sum (or product) of `x` along `dim`, from the end with `reverse`.
pub fn scan(x: &Strided, dim: usize, reverse: bool, product: bool) -> Result<Storage> {
    let op = if product { "cumprod" } else { "cumsum" };
    launch(op, &format!("{op}:{reverse}:scan"), x, None, dim, |element| Some(wgsl::scan(product, reverse, element)))
}

fn rows(op: &'static str, a: &Strided, b: Option<&Strided>, dim: usize) -> Result<Storage> {
    launch(op, &format!("{op}:rows"), a, b, dim, |element| wgsl::rows(op, element))
}

/// Runs the row kernel `source` makes (cached under `key`) over the rows of
/// `a` (and `b`) along `dim`.
fn launch(op: &str, key: &str, a: &Strided, b: Option<&Strided>, dim: usize, source: impl FnOnce(Element) -> Option<String>) -> Result<Storage> {
    let gpu = gpu()?;
    let shape = a.shape().to_vec();
    ndim_ok(op, shape.len())?;
    let dtypes: Vec<DType> = std::iter::once(a).chain(b).map(|x| x.dtype()).collect();
    let element = Element::common(gpu, op, &dtypes)?;
    let ha = operand(gpu, op, a)?;
    let hb = b.map(|b| operand(gpu, op, b)).transpose()?;
    let n = numel(&shape)?;
    // A 0-d tensor is one row of one element.
    let len = shape.get(dim).copied().unwrap_or(1);
    let keep: Vec<usize> = (0..shape.len()).filter(|&d| d != dim).collect();
    let n_rows = if len == 0 { 0 } else { n / len };
    words(op, n as u64)?;
    let bytes = element.size_of(op, n)?;
    if bytes > gpu.binding_limit {
        return Err(Error::NotImplemented(format!("The operator '{op}' is not currently implemented for the wgpu device for results over {} bytes", gpu.binding_limit)));
    }
    let pipeline = gpu.pipelines.get(&gpu.device, &format!("{key}:{element:?}"), || source(element).ok_or_else(|| Error::runtime(format!("{op}: no row kernel"))))?;
    let dtype = element.dtype();
    gpu.scoped(op, || {
        let out = WgpuBuffer::alloc(gpu, bytes)?;
        if n == 0 {
            return Ok(Storage::on_wgpu(out, 0, dtype));
        }
        use rows_slot::*;
        let mut p = vec![0u32; WORDS];
        p[ROWS] = n_rows as u32;
        p[LEN] = len as u32;
        p[NDIM] = keep.len() as u32;
        let contiguous = Layout::contiguous(&shape)?;
        p[OUT_STEP] = stride_bits(op, contiguous.strides().get(dim).copied().unwrap_or(0))?;
        for (i, &d) in keep.iter().enumerate() {
            p[SHAPE + i] = shape[d] as u32;
            p[OUT_STRIDES + i] = stride_bits(op, contiguous.strides()[d])?;
        }
        let ba = bind_whole(gpu, op, element, &ha)?;
        operand_words(op, &mut p, &ha, ba.first, dim, &keep, (A_OFF, A_STEP, A_STRIDES))?;
        let mut slots = vec![Slot::whole(&out), Slot::from(&ba)];
        let bb = match &hb {
            Some(h) => Some((bind_whole(gpu, op, element, h)?, h)),
            None => None,
        };
        if let Some((bound, h)) = &bb {
            operand_words(op, &mut p, h, bound.first, dim, &keep, (B_OFF, B_STEP, B_STRIDES))?;
            slots.push(Slot::from(bound));
        }
        let mut batch = Batch::new(gpu);
        batch.dispatch(&pipeline, &p, &slots, Grid::Flat(n_rows as u64))?;
        batch.submit();
        Ok(Storage::on_wgpu(out, n, dtype))
    })
}
