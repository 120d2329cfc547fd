//! The structs and codes of dlpack.h (version 1.0), laid out as C lays them out.

use crate::dtype::DType;
use crate::error::{Error, Result};
use std::ffi::c_void;

/// `kDLCPU`: host memory, the only device this crate shares.
pub const DEVICE_CPU: i32 = 1;
/// `kDLWebGPU`: where a wgpu device's tensors say they are.
pub const DEVICE_WEBGPU: i32 = 15;

/// `DLPACK_FLAG_BITMASK_READ_ONLY`: the consumer must not write.
pub const FLAG_READ_ONLY: u64 = 1 << 0;
/// `DLPACK_FLAG_BITMASK_IS_COPIED`: the memory is a copy made for this export.
pub const FLAG_IS_COPIED: u64 = 1 << 1;

/// The version this crate writes and the newest major version it reads.
pub const VERSION: DLPackVersion = DLPackVersion { major: 1, minor: 0 };

const CODE_INT: u8 = 0;
const CODE_UINT: u8 = 1;
const CODE_FLOAT: u8 = 2;
const CODE_BFLOAT: u8 = 4;
const CODE_BOOL: u8 = 6;

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DLDevice {
    pub device_type: i32,
    pub device_id: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DLDataType {
    pub code: u8,
    pub bits: u8,
    pub lanes: u16,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DLPackVersion {
    pub major: u32,
    pub minor: u32,
}

/// Shape and strides count elements; `strides` may be null for a
/// row-major tensor. The first element is at `data + byte_offset`.
#[repr(C)]
#[derive(Debug)]
pub struct DLTensor {
    pub data: *mut c_void,
    pub device: DLDevice,
    pub ndim: i32,
    pub dtype: DLDataType,
    pub shape: *mut i64,
    pub strides: *mut i64,
    pub byte_offset: u64,
}

/// The pre-1.0 managed tensor, in capsules named `"dltensor"`.
#[repr(C)]
#[derive(Debug)]
pub struct DLManagedTensor {
    pub dl_tensor: DLTensor,
    pub manager_ctx: *mut c_void,
    pub deleter: Option<unsafe extern "C" fn(*mut DLManagedTensor)>,
}

/// The 1.0 managed tensor, in capsules named `"dltensor_versioned"`.
#[repr(C)]
#[derive(Debug)]
pub struct DLManagedTensorVersioned {
    pub version: DLPackVersion,
    pub manager_ctx: *mut c_void,
    pub deleter: Option<unsafe extern "C" fn(*mut DLManagedTensorVersioned)>,
    pub flags: u64,
    pub dl_tensor: DLTensor,
}

/// DLPack's name for `device` (`__dlpack_device__`).
pub fn device_of(device: crate::device::Device) -> DLDevice {
    match device {
        crate::device::Device::Cpu => DLDevice { device_type: DEVICE_CPU, device_id: 0 },
        crate::device::Device::Wgpu(index) => DLDevice { device_type: DEVICE_WEBGPU, device_id: index.into() },
    }
}

/// How `dtype`'s elements are described to other libraries.
pub fn data_type(dtype: DType) -> DLDataType {
    let (code, bits) = match dtype {
        DType::Bool => (CODE_BOOL, 8),
        DType::U8 => (CODE_UINT, 8),
        DType::I8 => (CODE_INT, 8),
        DType::I16 => (CODE_INT, 16),
        DType::I32 => (CODE_INT, 32),
        DType::I64 => (CODE_INT, 64),
        DType::F16 => (CODE_FLOAT, 16),
        DType::BF16 => (CODE_BFLOAT, 16),
        DType::F32 => (CODE_FLOAT, 32),
        DType::F64 => (CODE_FLOAT, 64),
    };
    DLDataType { code, bits, lanes: 1 }
}

/// The dtype whose elements have exactly the bits `t` describes.
pub fn dtype_of(t: DLDataType) -> Result<DType> {
    let dtype = match (t.code, t.bits, t.lanes) {
        (CODE_BOOL, 8, 1) => Some(DType::Bool),
        (CODE_UINT, 8, 1) => Some(DType::U8),
        (CODE_INT, 8, 1) => Some(DType::I8),
        (CODE_INT, 16, 1) => Some(DType::I16),
        (CODE_INT, 32, 1) => Some(DType::I32),
        (CODE_INT, 64, 1) => Some(DType::I64),
        (CODE_FLOAT, 16, 1) => Some(DType::F16),
        (CODE_BFLOAT, 16, 1) => Some(DType::BF16),
        (CODE_FLOAT, 32, 1) => Some(DType::F32),
        (CODE_FLOAT, 64, 1) => Some(DType::F64),
        _ => None,
    };
    dtype.ok_or_else(|| {
        Error::type_error(format!(
            "from_dlpack: unsupported element type (type code {}, {} bits, {} lanes); supported: bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64",
            t.code, t.bits, t.lanes
        ))
    })
}
