//! The wgpu backend of a build without the `wgpu` feature: no storage can
//! live on the device (`WgpuBuffer` has no values), and every entry point
//! refuses with the error `Device::check_available` gives.

use crate::backend::Backend;
use crate::device::Device;
use crate::dtype::DType;
use crate::error::Result;
use crate::kernels::indexed::Plan;
use crate::kernels::named::{BinaryKernel, Comparison, ReduceKernel, UnaryKernel};
use crate::kernels::window::{Planes, Window2d};
use crate::storage::{Buffer, Storage};
use crate::strided::Strided;

/// Device memory of a wgpu storage. Uninhabited until the device is built.
#[derive(Debug)]
pub enum WgpuBuffer {}

pub struct Wgpu;

pub fn check_device(_index: u16) -> Result<()> {
    Err(crate::device::wgpu_unavailable())
}

pub fn device_count() -> usize {
    0
}

pub fn device_name(_index: u16) -> Result<String> {
    Err(crate::device::wgpu_unavailable())
}

pub fn synchronize() -> Result<()> {
    Ok(())
}

pub fn empty_cache() {}

pub fn cached_bytes() -> u64 {
    0
}

pub fn download_all(buffer: &WgpuBuffer, _dtype: DType, _len: usize) -> Result<Buffer> {
    match *buffer {}
}

pub fn write_back(buffer: &WgpuBuffer, _host: &Buffer) {
    match *buffer {}
}

pub fn fill(dst: &Strided, _value: f64) -> Result<()> {
    refuse(dst)
}

pub fn scan(x: &Strided, _dim: usize, _reverse: bool, _product: bool) -> Result<Storage> {
    refuse(x)
}

pub fn softmax(x: &Strided, _dim: usize, _log: bool) -> Result<Storage> {
    refuse(x)
}

pub fn softmax_backward(g: &Strided, _y: &Strided, _dim: usize, _log: bool) -> Result<Storage> {
    refuse(g)
}

pub fn update(_op: &str, _form: &crate::optim::KernelForm, _tensors: &[&Strided]) -> Result<()> {
    Err(crate::device::wgpu_unavailable())
}

pub fn extreme(x: &Strided, _dims: &[usize], _max: bool) -> Result<Storage> {
    refuse(x)
}

pub fn logic(_op: &str, _test: &str, a: &Strided, _b: &Strided, _shape: &[usize]) -> Result<Storage> {
    refuse(a)
}

pub fn extreme_indexed(x: &Strided, _dims: &[usize], _max: bool) -> Result<(Storage, Storage)> {
    refuse(x)
}

/// No dtype computes on a device this build cannot open.
pub fn computes(_dtype: DType) -> bool {
    false
}

pub fn readback_count() -> u64 {
    0
}

pub fn dropout_mask(_shape: &[usize], _dtype: DType, _keep: f64, _scale: f64, _key: u64) -> Result<Storage> {
    Err(crate::device::wgpu_unavailable())
}

fn refuse<T>(_: &Strided) -> Result<T> {
    Err(crate::device::wgpu_unavailable())
}

impl Backend for Wgpu {
    fn unary<K: UnaryKernel>(_: &K, x: &Strided) -> Result<Storage> {
        refuse(x)
    }
    fn binary<K: BinaryKernel>(_: &K, a: &Strided, _: &Strided, _: &[usize]) -> Result<Storage> {
        refuse(a)
    }
    fn binary_assign<K: BinaryKernel>(_: &K, dst: &Strided, _: &Strided) -> Result<()> {
        refuse(dst)
    }
    fn reduce<K: ReduceKernel>(_: &K, x: &Strided, _: &[usize]) -> Result<Storage> {
        refuse(x)
    }
    fn compare(a: &Strided, _: &Strided, _: Comparison, _: &[usize]) -> Result<Storage> {
        refuse(a)
    }

    fn select(cond: &Strided, _: &Strided, _: &Strided, _: &[usize]) -> Result<Storage> {
        refuse(cond)
    }

    fn matmul(a: &Strided, _: &Strided) -> Result<Storage> {
        refuse(a)
    }
    fn copy_strided(x: &Strided, _: DType) -> Result<Storage> {
        refuse(x)
    }
    fn take(x: &Strided, _: &Plan) -> Result<Storage> {
        refuse(x)
    }
    fn gather(x: &Strided, _: usize, _: &Strided) -> Result<Storage> {
        refuse(x)
    }
    fn scatter(x: &Strided, _: usize, _: &Strided, _: &Strided, _: bool) -> Result<Storage> {
        refuse(x)
    }
    fn im2col(x: &Strided, _: Planes, _: &Window2d) -> Result<Storage> {
        refuse(x)
    }
    fn col2im(x: &Strided, _: Planes, _: &Window2d) -> Result<Storage> {
        refuse(x)
    }
    fn max_pool(x: &Strided, _: Planes, _: &Window2d) -> Result<(Storage, Storage)> {
        refuse(x)
    }
    fn to_cpu(x: &Strided) -> Result<Storage> {
        refuse(x)
    }
    fn from_cpu(x: &Strided, _: Device) -> Result<Storage> {
        refuse(x)
    }
}
