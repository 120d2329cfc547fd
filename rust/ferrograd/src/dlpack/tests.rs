use super::abi::{self, DLDataType, DLDevice, DLManagedTensor, DLTensor};
use super::*;
use crate::storage::Element;
use crate::Tensor;
use std::sync::atomic::{AtomicUsize, Ordering};

fn write_first(t: &Tensor, value: f32) {
    let storage = t.storage();
    let mut guard = storage.write().unwrap();
    let offset = t.layout().offset();
    f32::slice_mut(&mut guard).unwrap()[offset] = value;
}

#[test]
fn a_round_trip_shares_memory_and_releases_the_storage() {
    let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
    let view = t.transpose(0, 1).unwrap();
    let managed = export_legacy(&view, CopyMode::IfNeeded).unwrap();
    // SAFETY: a managed tensor just exported, handed over whole.
    let back = unsafe { import_legacy(managed.as_ptr()) }.unwrap();
    assert_eq!(back.shape(), &[3, 2][..]);
    assert_eq!(back.to_vec::<f32>().unwrap(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    write_first(&t, 10.0);
    assert_eq!(back.to_vec::<f32>().unwrap()[0], 10.0);
    let storage = t.storage();
    drop(back);
    drop(view);
    drop(t);
    assert!(storage.is_unique(), "the deleter released the exported storage");
}

#[test]
fn versioned_capsules_carry_read_only_and_copied_flags() {
    let t = Tensor::from_vec(vec![1i64, 2, 3], &[3]).unwrap();
    let managed = export_versioned(&t, CopyMode::Always).unwrap();
    // SAFETY: just exported, read before its deleter runs.
    let flags = unsafe { managed.as_ref() }.flags;
    assert_eq!(flags, abi::FLAG_IS_COPIED);
    // SAFETY: handed over whole.
    let back = unsafe { import_versioned(managed.as_ptr()) }.unwrap();
    assert!(!back.storage().same(&t.storage()));
    assert_eq!(back.to_vec::<i64>().unwrap(), vec![1, 2, 3]);
}

#[test]
fn tensors_requiring_grad_are_refused() {
    let t = Tensor::from_vec(vec![1.0f32], &[1]).unwrap().with_requires_grad(true).unwrap();
    let err = export_legacy(&t, CopyMode::IfNeeded).unwrap_err().to_string();
    assert_eq!(err, "Can't export tensors that require gradient, use tensor.detach()");
}

static DELETED: AtomicUsize = AtomicUsize::new(0);

/// # Safety
/// `managed` came from `foreign` and is not yet freed (the deleter runs once).
unsafe extern "C" fn count_and_free(managed: *mut DLManagedTensor) {
    DELETED.fetch_add(1, Ordering::SeqCst);
    // SAFETY: made by `Box::leak` in `foreign`, with its values boxed as `manager_ctx`.
    let managed = unsafe { Box::from_raw(managed) };
    // SAFETY: as above.
    drop(unsafe { Box::from_raw(managed.manager_ctx.cast::<(Vec<f64>, [i64; 1])>()) });
}

/// A managed tensor of another library: three float64s, counted when deleted.
fn foreign(dtype: DLDataType) -> *mut DLManagedTensor {
    let mut owner = Box::new((vec![1.5f64, 2.5, 3.5], [3i64]));
    let tensor = DLTensor {
        data: owner.0.as_mut_ptr().cast(),
        device: DLDevice { device_type: abi::DEVICE_CPU, device_id: 0 },
        ndim: 1,
        dtype,
        shape: owner.1.as_mut_ptr(),
        strides: std::ptr::null_mut(),
        byte_offset: 0,
    };
    Box::leak(Box::new(DLManagedTensor { dl_tensor: tensor, manager_ctx: Box::into_raw(owner).cast(), deleter: Some(count_and_free) }))
}

#[test]
fn the_producers_deleter_runs_once_and_only_after_a_successful_import() {
    let before = DELETED.load(Ordering::SeqCst);
    let unsupported = foreign(DLDataType { code: 5, bits: 128, lanes: 1 });
    // SAFETY: a live managed tensor; a failed import leaves it with us.
    assert!(unsafe { import_legacy(unsupported) }.is_err());
    assert_eq!(DELETED.load(Ordering::SeqCst), before);
    // SAFETY: still ours, deleted once.
    unsafe { count_and_free(unsupported) };

    let managed = foreign(abi::data_type(crate::DType::F64));
    // SAFETY: a live managed tensor, handed over whole.
    let t = unsafe { import_legacy(managed) }.unwrap();
    let view = t.narrow(0, 1, 2).unwrap();
    drop(t);
    assert_eq!(DELETED.load(Ordering::SeqCst), before + 1);
    assert_eq!(view.to_vec::<f64>().unwrap(), vec![2.5, 3.5]);
    drop(view);
    assert_eq!(DELETED.load(Ordering::SeqCst), before + 2);
}
