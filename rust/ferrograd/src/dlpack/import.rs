//! A DLPack managed tensor from another library as a tensor over its memory.

use super::abi::{self, DLManagedTensor, DLManagedTensorVersioned, DLTensor};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::layout::{Layout, Shape, Strides};
use crate::storage::{Access, Buffer, Data, Element};
use crate::tensor::Tensor;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The producer's managed tensor, as one of the two struct versions.
enum Managed {
    Legacy(*mut DLManagedTensor),
    Versioned(*mut DLManagedTensorVersioned),
}

/// A managed tensor taken from its producer: the foreign data of the storage
/// over its memory. Dropping it calls the producer's deleter, once, and only
/// if `owned`: a failed import leaves the managed tensor with its caller.
struct Imported {
    managed: Managed,
    owned: AtomicBool,
}

// SAFETY: DLPack lets a consumer release a managed tensor from any thread (producers that need a lock, like numpy's GIL, take it in their deleter), and nothing else of it is touched after import.
unsafe impl Send for Imported {}
// SAFETY: shared references only reach `owned`, an atomic.
unsafe impl Sync for Imported {}

impl Drop for Imported {
    fn drop(&mut self) {
        if !self.owned.swap(false, Ordering::AcqRel) {
            return;
        }
        match self.managed {
            // SAFETY: the managed tensor is live until its deleter runs, and ownership (checked above) means this is the one call.
            Managed::Legacy(m) => unsafe {
                if let Some(deleter) = (*m).deleter {
                    deleter(m)
                }
            },
            // SAFETY: as for the legacy struct.
            Managed::Versioned(m) => unsafe {
                if let Some(deleter) = (*m).deleter {
                    deleter(m)
                }
            },
        }
    }
}

/// A tensor over the memory a pre-1.0 managed tensor describes.
///
/// On success the tensor owns `managed` and calls its deleter when its last
/// view is dropped (at once when it has no elements). On error nothing was
/// taken: the caller still owns `managed`.
///
/// # Safety
/// `managed` must point to a live managed tensor, not owned by anyone else
/// from here on, whose `dl_tensor` describes memory (shape and strides arrays
/// included) that stays valid and in place until its deleter is called.
pub unsafe fn import_legacy(managed: *mut DLManagedTensor) -> Result<Tensor> {
    if managed.is_null() {
        return Err(Error::value("from_dlpack: the capsule holds a null pointer"));
    }
    // SAFETY: `managed` is live (the caller's contract).
    let tensor = unsafe { &(*managed).dl_tensor };
    // SAFETY: forwarded from the caller's contract.
    unsafe { import(tensor, Access::ReadWrite, Managed::Legacy(managed)) }
}

/// As `import_legacy`, for a 1.0 managed tensor: its read-only flag makes the
/// storage refuse writes.
///
/// # Safety
/// As for `import_legacy`.
pub unsafe fn import_versioned(managed: *mut DLManagedTensorVersioned) -> Result<Tensor> {
    if managed.is_null() {
        return Err(Error::value("from_dlpack: the capsule holds a null pointer"));
    }
    // SAFETY: `managed` is live (the caller's contract).
    let (version, flags, tensor) = unsafe { ((*managed).version, (*managed).flags, &(*managed).dl_tensor) };
    if version.major != abi::VERSION.major {
        return Err(Error::runtime(format!(
            "from_dlpack: DLPack version {}.{} is not supported; this build reads version {}.x",
            version.major, version.minor, abi::VERSION.major
        )));
    }
    let access = if flags & abi::FLAG_READ_ONLY != 0 { Access::ReadOnly } else { Access::ReadWrite };
    // SAFETY: forwarded from the caller's contract.
    unsafe { import(tensor, access, Managed::Versioned(managed)) }
}

/// The shape and element strides `t` describes, checked.
///
/// # Safety
/// `t.shape` (and `t.strides` unless null) point to `t.ndim` values.
unsafe fn layout_of(t: &DLTensor) -> Result<Layout> {
    let ndim = usize::try_from(t.ndim).map_err(|_| Error::value(format!("from_dlpack: negative number of dims {}", t.ndim)))?;
    if ndim > 0 && t.shape.is_null() {
        return Err(Error::value("from_dlpack: the tensor has dims but no shape"));
    }
    let raw_shape: &[i64] = if ndim == 0 {
        &[]
    } else {
        // SAFETY: non-null, and `ndim` values long (this function's contract).
        unsafe { std::slice::from_raw_parts(t.shape, ndim) }
    };
    let shape = raw_shape
        .iter()
        .map(|&n| usize::try_from(n).map_err(|_| Error::value(format!("from_dlpack: negative size in shape {raw_shape:?}"))))
        .collect::<Result<Shape>>()?;
    let strides: Strides = if ndim == 0 || t.strides.is_null() {
        crate::layout::contiguous_strides(&shape)?
    } else {
        // SAFETY: non-null, and `ndim` values long (this function's contract).
        let raw = unsafe { std::slice::from_raw_parts(t.strides, ndim) };
        let overflow = || Error::value(format!("from_dlpack: strides {raw:?} do not fit this machine's addresses"));
        raw.iter().map(|&s| isize::try_from(s).map_err(|_| overflow())).collect::<Result<Strides>>()?
    };
    if strides.iter().zip(&shape).any(|(&s, &n)| s < 0 && n > 1) {
        return Err(Error::value(format!("from_dlpack: negative strides {strides:?} (shape {shape:?}) are not supported; copy the array first")));
    }
    // A negative stride on a dim of size 0 or 1 never moves.
    let strides = strides.iter().map(|&s| s.max(0)).collect();
    Layout::new(shape, strides, 0)
}

/// # Safety
/// `t` belongs to `managed`, which satisfies `import_legacy`'s contract.
unsafe fn import(t: &DLTensor, access: Access, managed: Managed) -> Result<Tensor> {
    if t.device.device_type != abi::DEVICE_CPU {
        return Err(Error::runtime(format!("from_dlpack: only CPU memory (device type {}) can be shared, got device type {}", abi::DEVICE_CPU, t.device.device_type)));
    }
    let dtype = abi::dtype_of(t.dtype)?;
    // SAFETY: `t`'s shape and strides arrays are `ndim` long (the caller's contract).
    let layout = unsafe { layout_of(t)? };
    let itemsize = dtype.size_in_bytes();
    let first = usize::try_from(t.byte_offset).ok().and_then(|offset| (t.data as usize).checked_add(offset));
    let first = first.ok_or_else(|| Error::value("from_dlpack: data pointer plus byte_offset overflows"))?;
    let span = layout.address_range().ok_or_else(|| Error::value(format!("from_dlpack: shape {:?} with strides {:?} spans more than the address space", layout.shape(), layout.strides())))?;
    let imported = Arc::new(Imported { managed, owned: AtomicBool::new(false) });
    if span.is_empty() {
        // No element to read: the deleter runs now, when `imported` drops.
        let no_elements = Buffer::full(dtype, 0, crate::dtype::Scalar::Int(0))?;
        let tensor = Tensor::from_buffer_with_layout(no_elements, Layout::contiguous(layout.shape())?, access)?;
        imported.owned.store(true, Ordering::Release);
        return Ok(tensor);
    }
    let align = crate::with_any_type!(dtype, T => std::mem::align_of::<T>());
    if first == 0 || first % align != 0 {
        return Err(Error::value(format!("from_dlpack: {dtype} data at address {first:#x} is not aligned to {align} bytes; copy the array first")));
    }
    let bytes = span.end.checked_mul(itemsize).filter(|&b| b <= isize::MAX as usize);
    bytes.ok_or_else(|| Error::value(format!("from_dlpack: shape {:?} with strides {:?} spans more than the address space", layout.shape(), layout.strides())))?;
    if dtype == DType::Bool {
        // SAFETY: the `span.end` bytes from `first` are the producer's live memory that the layout spans.
        let bytes = unsafe { std::slice::from_raw_parts(first as *const u8, span.end) };
        if bytes.iter().any(|&b| b > 1) {
            return Err(Error::value("from_dlpack: the bool array holds bytes other than 0 and 1, which a bool tensor cannot share; normalise it (array != 0) first"));
        }
    }
    let keep_alive: Arc<dyn std::any::Any + Send + Sync> = imported.clone();
    let buffer = crate::with_any_type!(dtype, T => T::from_data(
        // SAFETY: the producer keeps `span.end` elements from `first` (aligned, checked above; within `isize::MAX` bytes) valid and in place until its deleter runs, which `keep_alive` delays until the storage is gone. Any bits are a valid number; bool bytes were checked.
        unsafe { Data::foreign(first as *mut T, span.end, keep_alive) }
    ));
    let tensor = Tensor::from_buffer_with_layout(buffer, layout, access)?;
    imported.owned.store(true, Ordering::Release);
    Ok(tensor)
}
