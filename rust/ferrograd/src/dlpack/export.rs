//! A tensor as a DLPack managed tensor that keeps its storage alive.

use super::abi::{self, DLManagedTensor, DLManagedTensorVersioned, DLTensor};
use crate::device::Device;
use crate::error::{Error, Result};
use crate::storage::{Element, Storage};
use crate::tensor::Tensor;
use std::ffi::c_void;
use std::ptr::NonNull;

/// The `copy` argument of `__dlpack__`: `False`, `None` and `True`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyMode {
    Never,
    IfNeeded,
    Always,
}

/// What a managed tensor's `manager_ctx` owns: the storage its data pointer
/// points into, and the arrays its shape and strides point at.
struct Exported {
    _storage: Storage,
    shape: Box<[i64]>,
    strides: Box<[i64]>,
}

/// A description of `t` for DLPack, and the owner its pointers borrow from.
struct Described {
    tensor: DLTensor,
    owner: Box<Exported>,
    copied: bool,
    read_only: bool,
}

/// Whether a consumer can be handed `t`'s memory itself: negative strides
/// have no place in most consumers, and memory numpy declared read-only
/// cannot be marked as such in a legacy capsule (its consumers may write).
fn needs_copy(t: &Tensor, can_flag_read_only: bool) -> bool {
    let negative = t.layout().strides().iter().any(|&s| s < 0);
    negative || (t.storage().is_read_only() && !can_flag_read_only)
}

fn describe(t: &Tensor, copy: CopyMode, can_flag_read_only: bool) -> Result<Described> {
    if t.requires_grad() {
        return Err(Error::runtime("Can't export tensors that require gradient, use tensor.detach()"));
    }
    let device = t.device();
    if device != Device::Cpu {
        return Err(Error::runtime(format!("DLPack export: only tensors on the CPU can be shared, not a tensor on {}", device.type_name())));
    }
    let copied = match copy {
        CopyMode::Always => true,
        CopyMode::IfNeeded => needs_copy(t, can_flag_read_only),
        CopyMode::Never if needs_copy(t, can_flag_read_only) => {
            return Err(Error::runtime("DLPack export: this tensor's memory cannot be shared as it is (negative strides, or read-only memory in an unversioned capsule), and copy=False forbids a copy"));
        }
        CopyMode::Never => false,
    };
    let source = if copied { t.detach().plain_copy()? } else { t.clone() };
    let data = source.snapshot();
    let layout = data.layout();
    let storage = data.storage().clone();
    let guard = storage.read()?;
    // The first element's address; a tensor with no elements may have an
    // offset past its buffer, and then points at the buffer's start.
    let first = crate::with_any_type!(data.dtype(), T => T::slice(&guard).map(|s| s.get(layout.offset()..).unwrap_or(s).as_ptr() as *mut c_void));
    drop(guard);
    let first = first.ok_or_else(|| Error::runtime("DLPack export: storage dtype differs from the tensor's"))?;
    // Sizes fit: a layout's element count is at most `i64::MAX`.
    let mut owner = Box::new(Exported {
        shape: layout.shape().iter().map(|&n| n as i64).collect(),
        strides: layout.strides().iter().map(|&s| s as i64).collect(),
        _storage: storage.clone(),
    });
    let ndim = i32::try_from(layout.ndim()).map_err(|_| Error::runtime(format!("DLPack export: {} dims is more than DLPack can describe", layout.ndim())))?;
    let tensor = DLTensor {
        data: first,
        device: abi::device_of(device),
        ndim,
        dtype: abi::data_type(data.dtype()),
        shape: owner.shape.as_mut_ptr(),
        strides: owner.strides.as_mut_ptr(),
        byte_offset: 0,
    };
    Ok(Described { tensor, owner, copied, read_only: storage.is_read_only() })
}

/// `t` as a pre-1.0 managed tensor. The caller owns the result and must
/// pass it to its `deleter` exactly once.
pub fn export_legacy(t: &Tensor, copy: CopyMode) -> Result<NonNull<DLManagedTensor>> {
    let d = describe(t, copy, false)?;
    let managed = Box::new(DLManagedTensor { dl_tensor: d.tensor, manager_ctx: Box::into_raw(d.owner).cast(), deleter: Some(delete_legacy) });
    Ok(NonNull::from(Box::leak(managed)))
}

/// `t` as a 1.0 managed tensor, flagged read-only or copied as it is. The
/// caller owns the result and must pass it to its `deleter` exactly once.
pub fn export_versioned(t: &Tensor, copy: CopyMode) -> Result<NonNull<DLManagedTensorVersioned>> {
    let d = describe(t, copy, true)?;
    let flags = if d.read_only { abi::FLAG_READ_ONLY } else { 0 } | if d.copied { abi::FLAG_IS_COPIED } else { 0 };
    let managed = Box::new(DLManagedTensorVersioned {
        version: abi::VERSION,
        manager_ctx: Box::into_raw(d.owner).cast(),
        deleter: Some(delete_versioned),
        flags,
        dl_tensor: d.tensor,
    });
    Ok(NonNull::from(Box::leak(managed)))
}

/// Frees what `export_legacy` allocated, releasing the storage.
///
/// # Safety
/// `managed` is null or a pointer `export_legacy` returned, not yet freed;
/// DLPack consumers call the deleter exactly once.
unsafe extern "C" fn delete_legacy(managed: *mut DLManagedTensor) {
    if managed.is_null() {
        return;
    }
    // SAFETY: a non-null pointer given to this deleter came from `Box::leak` in `export_legacy`, and DLPack has the deleter called once.
    let managed = unsafe { Box::from_raw(managed) };
    // SAFETY: `manager_ctx` is the `Box<Exported>` leaked beside it, freed only here.
    drop(unsafe { Box::from_raw(managed.manager_ctx.cast::<Exported>()) });
}

/// Frees what `export_versioned` allocated, releasing the storage.
///
/// # Safety
/// `managed` is null or a pointer `export_versioned` returned, not yet freed;
/// DLPack consumers call the deleter exactly once.
unsafe extern "C" fn delete_versioned(managed: *mut DLManagedTensorVersioned) {
    if managed.is_null() {
        return;
    }
    // SAFETY: a non-null pointer given to this deleter came from `Box::leak` in `export_versioned`, and DLPack has the deleter called once.
    let managed = unsafe { Box::from_raw(managed) };
    // SAFETY: `manager_ctx` is the `Box<Exported>` leaked beside it, freed only here.
    drop(unsafe { Box::from_raw(managed.manager_ctx.cast::<Exported>()) });
}
