//! Optimizer updates on the device: one kernel per update form, one thread
//! per element, reading and writing the param and its state in place.

use super::context::gpu;
use super::element::{number_words, Element, NUMBER_WORDS};
use super::launch::{bind, chunk_elements, Batch, Grid, Slot};
use super::run::{ndim_ok, words};
use super::wgsl::{self, update_slot, GROUP};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::optim::{KernelForm, MAX_NUMBERS, MAX_STATES};
use crate::strided::Strided;

/// Runs `form` over `tensors` (param, grad, then the state tensors), all
/// dense float views of one dtype on the device with one shape.
pub fn update(op: &str, form: &KernelForm, tensors: &[&Strided]) -> Result<()> {
    let gpu = gpu()?;
    let [param, _grad, states @ ..] = tensors else {
        return Err(Error::runtime(format!("{op}: an update needs a param and its grad")));
    };
    if states.len() != form.states || form.states > MAX_STATES || form.numbers.len() > MAX_NUMBERS {
        return Err(Error::runtime(format!("{op}: an update of {} state tensors and {} numbers got {} state tensors", form.states, form.numbers.len(), states.len())));
    }
    let shape = param.shape();
    ndim_ok(op, shape.len())?;
    let dtypes: Vec<DType> = tensors.iter().map(|t| t.dtype()).collect();
    let element = Element::common(gpu, op, &dtypes)?;
    let mut buffers = Vec::with_capacity(tensors.len());
    for t in tensors {
        let buffer = t.storage().wgpu_buffer().ok_or_else(|| Error::runtime(format!("{op}: every tensor of a device update must be on the device")))?;
        if t.shape() != shape || t.layout().contiguous_range().is_none() {
            return Err(Error::runtime(format!("{op}: a device update needs dense tensors of one shape, got {:?} for a param of {shape:?}", t.shape())));
        }
        buffers.push(buffer);
    }
    let n = param.numel() as u64;
    words(op, n)?;
    let key = format!("update:{element:?}:{}:{}", form.states, form.body);
    let pipeline = gpu.pipelines.get(&gpu.device, &key, || Ok(wgsl::update(&form.body, form.states, form.numbers.len(), element)))?;
    let item = element.bytes();
    gpu.scoped(op, || {
        let mut batch = Batch::new(gpu);
        let chunk = chunk_elements(gpu, item);
        let mut start = 0;
        while start < n {
            let count = chunk.min(n - start);
            let bounds = tensors.iter().zip(&buffers).map(|(t, b)| bind(gpu, op, item, b, t.layout(), shape, start, count)).collect::<Result<Vec<_>>>()?;
            let mut p = vec![0u32; update_slot::LEN];
            p[update_slot::COUNT] = count as u32;
            p[update_slot::START] = start as u32;
            for (i, b) in bounds.iter().enumerate() {
                p[update_slot::FIRST + i] = b.first;
            }
            for (i, &k) in form.numbers.iter().enumerate() {
                // float32 kernels read them rounded, as the host update rounds its numbers.
                let at = update_slot::NUMBERS + i * NUMBER_WORDS;
                p[at..at + NUMBER_WORDS].copy_from_slice(&number_words(k));
            }
            let slots: Vec<Slot> = bounds.iter().map(Slot::from).collect();
            batch.dispatch(&pipeline, &p, &slots, Grid::Flat(count.div_ceil(u64::from(GROUP))))?;
            start += count;
        }
        batch.submit();
        Ok(())
    })?;
    for t in [param].into_iter().chain(states) {
        t.storage().device_written();
    }
    Ok(())
}
