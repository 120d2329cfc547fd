//! The seam between ops and devices.
//!
//! An op computes by calling a kernel method on its operands' `Strided`
//! (`x.unary(&Exp)`, `a.matmul(&b)`, `x.im2col(..)`). The method picks the
//! backend of the operands' device, and each backend implements `Backend`
//! once, holding its own dtype dispatch; ops never see element types or
//! buffers. Kernels are named types (`kernels::named`), so a backend can map
//! each to its own code: the CPU backend to a generic strided loop, a GPU
//! backend to a compute shader of the kernel's name.

pub mod cpu;
pub mod wgpu;

use crate::device::Device;
use crate::dtype::DType;
use crate::error::Result;
use crate::kernels::indexed::Plan;
use crate::kernels::named::{BinaryKernel, Comparison, ReduceKernel, UnaryKernel};
use crate::kernels::window::{Planes, Window2d};
use crate::storage::Storage;
use crate::strided::Strided;
use cpu::Cpu;
use wgpu::Wgpu;

/// What a device computes. Inputs are strided views of storages on the
/// backend's device; outputs are fresh contiguous storages there.
pub trait Backend {
    /// `f(x)` elementwise, in `x`'s dtype.
    fn unary<K: UnaryKernel>(k: &K, x: &Strided) -> Result<Storage>;
    /// `f(a, b)` over `a` and `b` (one dtype) broadcast to `shape`.
    fn binary<K: BinaryKernel>(k: &K, a: &Strided, b: &Strided, shape: &[usize]) -> Result<Storage>;
    /// `dst = f(dst, src)` in place, `src` broadcast to `dst`'s shape; the
    /// caller rules out overlap between the two.
    fn binary_assign<K: BinaryKernel>(k: &K, dst: &Strided, src: &Strided) -> Result<()>;
    /// Folds `x` over `dims` (sorted, unique, in range), in output order.
    fn reduce<K: ReduceKernel>(k: &K, x: &Strided, dims: &[usize]) -> Result<Storage>;
    /// `a <cmp> b` over `a` and `b` (one dtype) broadcast to `shape`, as bool.
    fn compare(a: &Strided, b: &Strided, cmp: Comparison, shape: &[usize]) -> Result<Storage>;
    /// `a` where `cond` (bool) holds, else `b` (one dtype), all broadcast to `shape`.
    fn select(cond: &Strided, a: &Strided, b: &Strided, shape: &[usize]) -> Result<Storage>;
    /// `a @ b` for 2-D or batched 3-D operands of one dtype, shapes checked by the caller.
    fn matmul(a: &Strided, b: &Strided) -> Result<Storage>;
    /// `x`'s elements in logical order, converted to `dtype`.
    fn copy_strided(x: &Strided, dtype: DType) -> Result<Storage>;
    /// The elements an advanced-indexing plan names, in result order.
    fn take(x: &Strided, plan: &Plan) -> Result<Storage>;
    /// `out[..i..] = x[..index[..i..]..]` along `dim`, `index` int64.
    fn gather(x: &Strided, dim: usize, index: &Strided) -> Result<Storage>;
    /// A copy of `x` with `src` (read over `index`'s shape) written where
    /// `index` (int64) points along `dim`, or added with `accumulate`.
    fn scatter(x: &Strided, dim: usize, index: &Strided, src: &Strided, accumulate: bool) -> Result<Storage>;
    /// Sliding windows of float planes unfolded into columns.
    fn im2col(x: &Strided, planes: Planes, window: &Window2d) -> Result<Storage>;
    /// Columns folded back into planes, overlaps summed.
    fn col2im(x: &Strided, planes: Planes, window: &Window2d) -> Result<Storage>;
    /// The maximum of each window and its flat in-plane index (int64).
    fn max_pool(x: &Strided, planes: Planes, window: &Window2d) -> Result<(Storage, Storage)>;
    /// `x`'s elements in logical order in host memory.
    fn to_cpu(x: &Strided) -> Result<Storage>;
    /// A host array's elements in logical order on this backend's device.
    fn from_cpu(x: &Strided, device: Device) -> Result<Storage>;
}

/// Runs `$call` on the backend of `$device`.
macro_rules! on_device {
    ($device:expr, $B:ident => $call:expr) => {
        match $device {
            Device::Cpu => {
                type $B = Cpu;
                $call
            }
            Device::Wgpu(_) => {
                type $B = Wgpu;
                $call
            }
        }
    };
}

/// The device of two operands; the common CPU case costs two compares.
#[inline]
fn device_of(a: &Strided, b: &Strided) -> Result<Device> {
    match (a.device(), b.device()) {
        (Device::Cpu, Device::Cpu) => Ok(Device::Cpu),
        _ => Strided::common_device(&[a, b]),
    }
}

/// The kernel entry points ops call. Each dispatches on the operands' device.
impl Strided {
    #[inline]
    pub fn unary<K: UnaryKernel>(&self, k: &K) -> Result<Storage> {
        on_device!(self.device(), B => B::unary(k, self))
    }

    #[inline]
    pub fn binary<K: BinaryKernel>(&self, k: &K, other: &Strided, shape: &[usize]) -> Result<Storage> {
        on_device!(device_of(self, other)?, B => B::binary(k, self, other, shape))
    }

    #[inline]
    pub fn binary_assign<K: BinaryKernel>(&self, k: &K, src: &Strided) -> Result<()> {
        on_device!(device_of(self, src)?, B => B::binary_assign(k, self, src))
    }

    #[inline]
    pub fn reduce<K: ReduceKernel>(&self, k: &K, dims: &[usize]) -> Result<Storage> {
        on_device!(self.device(), B => B::reduce(k, self, dims))
    }

    pub fn compare(&self, cmp: Comparison, other: &Strided, shape: &[usize]) -> Result<Storage> {
        on_device!(device_of(self, other)?, B => B::compare(self, other, cmp, shape))
    }

    /// `a` where `self` (bool) holds, else `b`.
    pub fn select(&self, a: &Strided, b: &Strided, shape: &[usize]) -> Result<Storage> {
        on_device!(Strided::common_device(&[self, a, b])?, B => B::select(self, a, b, shape))
    }

    pub fn matmul(&self, other: &Strided) -> Result<Storage> {
        on_device!(device_of(self, other)?, B => B::matmul(self, other))
    }

    pub fn copy_strided(&self, dtype: DType) -> Result<Storage> {
        on_device!(self.device(), B => B::copy_strided(self, dtype))
    }

    pub fn take(&self, plan: &Plan) -> Result<Storage> {
        on_device!(self.device(), B => B::take(self, plan))
    }

    pub fn gather(&self, dim: usize, index: &Strided) -> Result<Storage> {
        on_device!(device_of(self, index)?, B => B::gather(self, dim, index))
    }

    pub fn scatter(&self, dim: usize, index: &Strided, src: &Strided, accumulate: bool) -> Result<Storage> {
        on_device!(Strided::common_device(&[self, index, src])?, B => B::scatter(self, dim, index, src, accumulate))
    }

    pub fn im2col(&self, planes: Planes, window: &Window2d) -> Result<Storage> {
        on_device!(self.device(), B => B::im2col(self, planes, window))
    }

    pub fn col2im(&self, planes: Planes, window: &Window2d) -> Result<Storage> {
        on_device!(self.device(), B => B::col2im(self, planes, window))
    }

    pub fn max_pool(&self, planes: Planes, window: &Window2d) -> Result<(Storage, Storage)> {
        on_device!(self.device(), B => B::max_pool(self, planes, window))
    }

    /// The elements on `device`, contiguous: a copy, even on the same device.
    pub fn copy_to(&self, device: Device) -> Result<Storage> {
        device.check_available()?;
        match (self.device(), device) {
            (Device::Cpu, Device::Cpu) => Cpu::copy_strided(self, self.dtype()),
            (from, Device::Cpu) => on_device!(from, B => B::to_cpu(self)),
            (Device::Cpu, to) => on_device!(to, B => B::from_cpu(self, to)),
            (from, to) => {
                let host = Strided::contiguous(on_device!(from, B => B::to_cpu(self))?, self.shape())?;
                on_device!(to, B => B::from_cpu(&host, to))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::named::{Add, Exp};

    #[test]
    fn cpu_operands_compute_on_the_cpu_backend() {
        let x = Strided::from_vec(vec![0.0f64, 1.0], &[2]).expect("x");
        let y = x.unary(&Exp).expect("exp");
        assert_eq!(y.device(), Device::Cpu);
        let y = Strided::contiguous(y, &[2]).expect("contiguous");
        assert_eq!(y.to_vec::<f64>().expect("read"), [1.0, 1.0f64.exp()]);
        let sum = Strided::contiguous(x.binary(&Add, &y, &[2]).expect("add"), &[2]).expect("sum");
        assert_eq!(sum.to_vec::<f64>().expect("read"), [1.0, 1.0 + 1.0f64.exp()]);
    }

    #[cfg(not(feature = "wgpu"))]
    #[test]
    fn a_device_this_build_cannot_use_is_refused_clearly() {
        let x = Strided::from_vec(vec![1.0f32, 2.0], &[2]).expect("x");
        let err = x.copy_to(Device::Wgpu(0)).expect_err("no wgpu storage in this build").to_string();
        assert!(err.contains("wgpu"), "{err}");
        let err = Wgpu::unary(&Exp, &x).expect_err("the stub backend computes nothing").to_string();
        assert_eq!(err, crate::device::wgpu_unavailable().to_string());
    }

    #[test]
    fn a_copy_to_the_same_device_is_a_fresh_contiguous_storage() {
        let x = Strided::from_vec(vec![1i64, 2, 3, 4, 5, 6], &[2, 3]).expect("x").transposed().expect("view");
        let copy = x.copy_to(Device::Cpu).expect("copy");
        assert!(!copy.same(x.storage()));
        assert_eq!(Strided::contiguous(copy, &[3, 2]).expect("c").to_vec::<i64>().expect("read"), [1, 4, 2, 5, 3, 6]);
    }
}
