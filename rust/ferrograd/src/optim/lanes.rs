//! Running an update over a group's elements. For each param the storages
//! of the param, its grad and its state are locked (in address order, so two
//! steps sharing tensors cannot deadlock), and the update sees them as
//! aligned slices ("lanes"). Large tensors are split into chunks and large
//! groups run their params in parallel on rayon's pool.

use super::group::Slot;
use super::Update;
use crate::error::{Error, Result};
use crate::kernels::elementwise::write_into;
use crate::kernels::PARALLEL_THRESHOLD;
use crate::storage::{Buffer, Float};
use crate::strided::Strided;
use crate::device::Device;
use crate::tensor::{Snapshot, Tensor};
use parking_lot::RwLockReadGuard;
use crate::simd::{Isa, Kernel};
use rayon::prelude::*;

/// The elements of one param (or a chunk of them): the param, its grad and
/// its state tensors, all the same length and in the same element order.
pub(crate) struct Lanes<'a, T> {
    param: &'a mut [T],
    grad: &'a [T],
    state: Vec<&'a mut [T]>,
}

impl<'a, T: Float> Lanes<'a, T> {
    fn len(&self) -> usize {
        self.param.len()
    }

    fn split_at(self, mid: usize) -> (Self, Self) {
        let (p0, p1) = self.param.split_at_mut(mid);
        let (g0, g1) = self.grad.split_at(mid);
        let (s0, s1) = self.state.into_iter().map(|s| s.split_at_mut(mid)).unzip();
        (Lanes { param: p0, grad: g0, state: s0 }, Lanes { param: p1, grad: g1, state: s1 })
    }

    /// Calls `f(param, grad, state)` for every element, `state` holding that
    /// element of each of the `N` state tensors.
    pub fn for_each<const N: usize>(self, f: impl Fn(&mut T, T, [&mut T; N])) -> Result<()> {
        let Lanes { param, grad, state } = self;
        let n = param.len();
        let count = state.len();
        let state: [&mut [T]; N] = state
            .try_into()
            .map_err(|_| Error::runtime(format!("optimizer update expects {N} state tensors per param, got {count}")))?;
        if grad.len() != n || state.iter().any(|s| s.len() != n) {
            return Err(Error::runtime("optimizer update: param, grad and state lengths differ"));
        }
        crate::simd::dispatch(EachLane { param, grad, state, f });
        Ok(())
    }
}

/// The per-element loop of `Lanes::for_each`, compiled once per instruction
/// set so the update (inlined into it) is auto-vectorised for each. A
/// closure would be one function shared by every level, compiled for none.
struct EachLane<'a, T, F, const N: usize> {
    param: &'a mut [T],
    grad: &'a [T],
    state: [&'a mut [T]; N],
    f: F,
}

impl<T: Float, F: Fn(&mut T, T, [&mut T; N]), const N: usize> Kernel for EachLane<'_, T, F, N> {
    type Output = ();

    #[inline(always)]
    fn run<S: Isa>(self, _: S) {
        let EachLane { param, grad, state, f } = self;
        // Slices of exactly `n` (the caller checked the lengths) let the
        // compiler drop the bounds checks in the loop.
        let n = param.len();
        let (param, grad) = (&mut param[..n], &grad[..n]);
        let mut state = state.map(|s| &mut s[..n]);
        for i in 0..n {
            f(&mut param[i], grad[i], state.each_mut().map(|s| &mut s[i]));
        }
    }
}

/// Runs `update` over every slot's elements, each slot at its own element
/// type, with `coeffs[i]` for slot `i`; slots run in parallel when the
/// group is large. Versions are bumped on each tensor written.
pub(crate) fn run_slots<U: Update>(op: &'static str, slots: &[Slot], coeffs: &[U::Coeffs], update: &U) -> Result<()> {
    if slots.iter().any(|s| s.param.device() != Device::Cpu) {
        // Device kernels queue in order; host threads would add nothing.
        return slots.iter().zip(coeffs).try_for_each(|(slot, c)| run_on_device(op, slot, c, update));
    }
    let run_one = |(slot, c): (&Slot, &U::Coeffs)| -> Result<()> {
        crate::with_float_type!(slot.param.dtype(), op, T => with_lanes::<T>(slot, |lanes| run_chunks(lanes, &|chunk| update.apply::<T>(c, chunk)))?);
        slot.bump_versions();
        Ok(())
    };
    let total: usize = slots.iter().map(|s| s.param.numel()).sum();
    if total >= PARALLEL_THRESHOLD && slots.len() > 1 && independent(slots) {
        crate::threads::parallel(|| slots.par_iter().zip(coeffs).try_for_each(run_one))
    } else {
        slots.iter().zip(coeffs).try_for_each(run_one)
    }
}

/// One param's update where its tensors live: as a kernel on their device
/// when all share it and are dense, else through host copies (each
/// storage's write guard sends its elements back).
fn run_on_device<U: Update>(op: &'static str, slot: &Slot, coeffs: &U::Coeffs, update: &U) -> Result<()> {
    let device = slot.param.device();
    let tensors: Vec<&Tensor> = std::iter::once(slot.param).chain(std::iter::once(slot.grad)).chain(slot.state.iter().copied()).collect();
    let views: Vec<Snapshot> = tensors.iter().map(|t| t.snapshot()).collect();
    let native = tensors.iter().all(|t| t.device() == device)
        && views.iter().all(|v| v.layout().contiguous_range().is_some())
        && crate::backend::wgpu::computes(slot.param.dtype());
    if native {
        let views: Vec<&Strided> = views.iter().map(|v| &**v).collect();
        crate::backend::wgpu::update(op, &update.kernel_form(coeffs), &views)?;
    } else {
        drop(views);
        crate::with_float_type!(slot.param.dtype(), op, T => with_lanes::<T>(slot, |lanes| update.apply::<T>(coeffs, lanes))?);
    }
    slot.bump_versions();
    Ok(())
}

/// Whether no storage written for one param is touched for another. Only
/// then may params run as parallel tasks: a pool thread waiting inside one
/// param's update may pick up another param's task, and must not find that
/// task needing a storage lock it already holds. (Params that are views of
/// one buffer, or a param listed twice, are updated one after the other.)
fn independent(slots: &[Slot]) -> bool {
    let mut written = std::collections::HashSet::new();
    for t in slots.iter().flat_map(Slot::written) {
        if !written.insert(t.storage().ptr_id()) {
            return false;
        }
    }
    slots.iter().all(|s| !written.contains(&s.grad.storage().ptr_id()))
}

/// `f` over `lanes`, split in halves on the pool down to chunks of
/// `PARALLEL_THRESHOLD` elements.
fn run_chunks<T: Float>(lanes: Lanes<'_, T>, f: &(impl Fn(Lanes<'_, T>) -> Result<()> + Sync)) -> Result<()> {
    if lanes.len() <= PARALLEL_THRESHOLD {
        return f(lanes);
    }
    let mid = lanes.len() / 2;
    let (a, b) = lanes.split_at(mid);
    let (ra, rb) = crate::threads::parallel(|| rayon::join(|| run_chunks(a, f), || run_chunks(b, f)));
    ra.and(rb)
}

/// `f` over the slot's elements. Dense tensors are updated where they lie,
/// under their storage locks; any strided one sends the slot through
/// copies in logical order that are written back afterwards.
fn with_lanes<T: Float>(slot: &Slot, f: impl FnOnce(Lanes<'_, T>) -> Result<()>) -> Result<()> {
    // One snapshot per tensor: each layout read below belongs to the storage locked.
    let written_data: Vec<Snapshot> = slot.written().map(|t| t.snapshot()).collect();
    let grad_data = slot.grad.snapshot();
    let dense = written_data.iter().chain(std::iter::once(&grad_data)).all(|d| d.layout().contiguous_range().is_some());
    if !dense {
        return with_copied_lanes(slot, f);
    }
    // Lock order: by storage address, the grad (read) among the written ones.
    let mut order: Vec<Option<usize>> = (0..written_data.len()).map(Some).chain(std::iter::once(None)).collect();
    order.sort_by_key(|k| k.map_or(&grad_data, |i| &written_data[i]).storage().ptr_id());
    let mut write_guards: Vec<Option<crate::storage::WriteGuard<'_>>> = written_data.iter().map(|_| None).collect();
    let mut read_guard: Option<RwLockReadGuard<'_, Buffer>> = None;
    for k in order {
        match k {
            Some(i) => write_guards[i] = Some(written_data[i].storage().write()?),
            None => read_guard = Some(grad_data.storage().read()?),
        }
    }
    let grad = dense_slice(&grad_data, read_guard.as_deref())?;
    let mut slices = Vec::with_capacity(written_data.len());
    for (guard, d) in write_guards.iter_mut().zip(&written_data) {
        let buffer = guard.as_deref_mut().ok_or_else(|| Error::runtime("optimizer update: storage not locked"))?;
        let range = d.layout().contiguous_range().unwrap_or(0..0);
        let data = T::slice_mut(buffer).ok_or(Error::DTypeMismatch { op: "optimizer update", lhs: d.dtype(), rhs: T::DTYPE })?;
        slices.push(&mut data[range]);
    }
    let mut slices = slices.into_iter();
    let param = slices.next().ok_or_else(|| Error::runtime("optimizer update: no param"))?;
    f(Lanes { param, grad, state: slices.collect() })
}

fn dense_slice<'g, T: Float>(t: &Strided, buffer: Option<&'g Buffer>) -> Result<&'g [T]> {
    let buffer = buffer.ok_or_else(|| Error::runtime("optimizer update: storage not locked"))?;
    let data = T::slice(buffer).ok_or(Error::DTypeMismatch { op: "optimizer update", lhs: t.dtype(), rhs: T::DTYPE })?;
    Ok(&data[t.layout().contiguous_range().unwrap_or(0..0)])
}

/// The strided case: the update runs on logical-order copies, which are
/// then written back through each tensor's layout.
fn with_copied_lanes<T: Float>(slot: &Slot, f: impl FnOnce(Lanes<'_, T>) -> Result<()>) -> Result<()> {
    let grad = slot.grad.to_vec::<T>()?;
    let mut values: Vec<Vec<T>> = slot.written().map(|t| t.to_vec::<T>()).collect::<Result<_>>()?;
    {
        let mut slices = values.iter_mut().map(|v| v.as_mut_slice());
        let param = slices.next().ok_or_else(|| Error::runtime("optimizer update: no param"))?;
        f(Lanes { param, grad: &grad, state: slices.collect() })?;
    }
    for (t, v) in slot.written().zip(&values) {
        write_into::<T>(&t.snapshot(), v)?;
    }
    Ok(())
}
