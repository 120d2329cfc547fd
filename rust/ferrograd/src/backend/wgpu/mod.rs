//! The wgpu backend: tensors in GPU buffers, computed on by generated WGSL
//! compute kernels. Float32 computes natively; other dtypes move to and
//! from the device and are refused by kernels with an error naming op,
//! dtype and device. Without the `wgpu` feature every entry point refuses.
//!
//! context: the device, opened once; pool: buffers reused by size;
//! pipelines: compiled kernels by name; wgsl: the kernel sources; launch:
//! bindings and dispatches; run: each kernel family's launch; softmax:
//! row kernels; indexed: gathers and scatters by index;
//! masks: comparisons and selection; update: optimizer steps; random: masks drawn on the device; window: convolution windows and pooling; buffer: device memory and
//! host transfers; fallback: ops without a kernel on the CPU, when asked.

pub mod fallback;
#[cfg(feature = "wgpu")]
mod buffer;
#[cfg(feature = "wgpu")]
mod context;
#[cfg(feature = "wgpu")]
mod launch;
#[cfg(feature = "wgpu")]
mod masks;
#[cfg(feature = "wgpu")]
mod pipelines;
#[cfg(feature = "wgpu")]
mod pool;
#[cfg(feature = "wgpu")]
mod random;
#[cfg(feature = "wgpu")]
mod run;
#[cfg(feature = "wgpu")]
mod softmax;
#[cfg(feature = "wgpu")]
mod indexed;
#[cfg(feature = "wgpu")]
mod update;
#[cfg(feature = "wgpu")]
mod window;
#[cfg(feature = "wgpu")]
mod wgsl;
#[cfg(all(test, feature = "wgpu"))]
mod tests;

#[cfg(not(feature = "wgpu"))]
mod stub;
#[cfg(not(feature = "wgpu"))]
pub use stub::*;

#[cfg(feature = "wgpu")]
pub use buffer::{download_all, readback_count, write_back, WgpuBuffer};
#[cfg(feature = "wgpu")]
pub use softmax::{softmax, softmax_backward};
#[cfg(feature = "wgpu")]
pub use update::update;
#[cfg(feature = "wgpu")]
pub use masks::logic;
#[cfg(feature = "wgpu")]
pub use random::dropout_mask;

#[cfg(feature = "wgpu")]
mod device {
    use super::context::{gpu, opened};
    use crate::error::{Error, Result};

    /// Whether `wgpu:index` can hold tensors: one device, the adapter
    /// wgpu prefers, is opened.
    pub fn check_device(index: u16) -> Result<()> {
        gpu()?;
        if index != 0 {
            return Err(Error::runtime(format!("wgpu:{index} is not available: this build opens one wgpu device, wgpu:0")));
        }
        Ok(())
    }

    pub fn device_count() -> usize {
        usize::from(gpu().is_ok())
    }

    pub fn device_name(index: u16) -> Result<String> {
        check_device(index)?;
        Ok(gpu()?.name.clone())
    }

    /// Waits for every kernel launched so far.
    pub fn synchronize() -> Result<()> {
        match opened() {
            Some(gpu) => gpu.wait(),
            None => Ok(()),
        }
    }

    /// Frees the buffers the pool keeps for reuse.
    pub fn empty_cache() {
        if let Some(gpu) = opened() {
            gpu.pool.clear();
        }
    }

    /// Sets every element of a float32 wgpu view to `value`, on the device.
    pub fn fill(dst: &crate::strided::Strided, value: f64) -> Result<()> {
        let buffer = crate::storage::Buffer::F32(vec![value as f32].into());
        let scalar = crate::strided::Strided::new(crate::storage::Storage::new(buffer), crate::layout::Layout::contiguous(&[])?, crate::dtype::DType::F32)?;
        super::run::assign("fill", "b", dst, &scalar, [0.0; 2])
    }

    /// The largest (or smallest) float32 element over `dims`, NaN if any is.
    pub fn extreme(x: &crate::strided::Strided, dims: &[usize], max: bool) -> Result<crate::storage::Storage> {
        let name = if max { "amax" } else { "amin" };
        let (init, fold) = super::wgsl::reduce_fold(name).ok_or_else(|| super::fallback::unsupported(name))?;
        super::run::reduce_run(name, init, fold, x, dims)
    }

    /// Bytes of idle buffers the pool keeps.
    pub fn cached_bytes() -> u64 {
        opened().map_or(0, |gpu| gpu.pool.idle_bytes())
    }
}

#[cfg(feature = "wgpu")]
pub use device::*;

#[cfg(feature = "wgpu")]
pub use native::Wgpu;

/// `impl Backend for Wgpu`: float32 kernels native, transfers of every dtype.
#[cfg(feature = "wgpu")]
mod native {
    use super::buffer::{buffer_from_bytes, bytes_of, download, upload};
    use super::context::gpu;
    use super::fallback::on_cpu;
    use super::run::{assign, elementwise, empty, matmul_run, reach, reduce_run};
    use super::wgsl;
    use crate::backend::cpu::Cpu;
    use crate::backend::Backend;
    use crate::device::Device;
    use crate::dtype::DType;
    use crate::error::{Error, Result};
    use crate::kernels::indexed::Plan;
    use crate::kernels::named::{BinaryKernel, Comparison, ReduceKernel, UnaryKernel};
    use crate::kernels::window::{Planes, Window2d};
    use crate::layout::Layout;
    use crate::storage::Storage;
    use crate::strided::Strided;
    use crate::with_any_type;

    /// The wgpu device's kernels.
    pub struct Wgpu;

    /// A host copy of an operand with its own layout (so index plans made
    /// for the view still apply); host operands as they are.
    fn host_view(x: &Strided) -> Result<Strided> {
        if x.storage().wgpu_buffer().is_none() {
            return Ok(x.clone());
        }
        let copy = x.storage().read()?.clone();
        Strided::new(Storage::new(copy), x.layout().clone(), x.dtype())
    }

    /// A host kernel's fresh result, on the device.
    fn device(host: Storage) -> Result<Storage> {
        let n = host.len();
        Wgpu::from_cpu(&Strided::contiguous(host, &[n])?, Device::Wgpu(0))
    }

    impl Backend for Wgpu {
        fn unary<K: UnaryKernel>(k: &K, x: &Strided) -> Result<Storage> {
            match wgsl::unary_expr(K::NAME) {
                Some(expr) => elementwise(K::NAME, expr, x.shape(), &[x], k.scalars()),
                None => on_cpu(K::NAME, || device(Cpu::unary(k, &host_view(x)?)?)),
            }
        }

        fn binary<K: BinaryKernel>(k: &K, a: &Strided, b: &Strided, shape: &[usize]) -> Result<Storage> {
            if a.dtype() != b.dtype() {
                return Err(Error::DTypeMismatch { op: K::NAME, lhs: a.dtype(), rhs: b.dtype() });
            }
            match wgsl::binary_expr(K::NAME) {
                Some(expr) => elementwise(K::NAME, expr, shape, &[a, b], k.scalars()),
                None => on_cpu(K::NAME, || device(Cpu::binary(k, &host_view(a)?, &host_view(b)?, shape)?)),
            }
        }

        fn binary_assign<K: BinaryKernel>(k: &K, dst: &Strided, src: &Strided) -> Result<()> {
            match wgsl::binary_expr(K::NAME) {
                Some(expr) => assign(K::NAME, expr, dst, src, k.scalars()),
                // The CPU kernel writes through the storage's write guard, which sends the result back.
                None => on_cpu(K::NAME, || Cpu::binary_assign(k, dst, &host_view(src)?)),
            }
        }

        fn reduce<K: ReduceKernel>(k: &K, x: &Strided, dims: &[usize]) -> Result<Storage> {
            match wgsl::reduce_fold(K::NAME) {
                Some((init, fold)) => reduce_run(K::NAME, init, fold, x, dims),
                None => on_cpu(K::NAME, || device(Cpu::reduce(k, &host_view(x)?, dims)?)),
            }
        }

        fn compare(a: &Strided, b: &Strided, cmp: Comparison, shape: &[usize]) -> Result<Storage> {
            if a.dtype() == DType::F32 && b.dtype() == DType::F32 {
                return super::masks::compare(a, b, cmp, shape);
            }
            on_cpu(cmp.name(), || {
                let n = crate::layout::numel(shape)?;
                Wgpu::from_cpu(&Strided::contiguous(Cpu::compare(&host_view(a)?, &host_view(b)?, cmp, shape)?, &[n])?, Device::Wgpu(0))
            })
        }

        fn select(cond: &Strided, a: &Strided, b: &Strided, shape: &[usize]) -> Result<Storage> {
            if a.dtype() == DType::F32 && b.dtype() == DType::F32 {
                return super::masks::select(cond, a, b, shape);
            }
            on_cpu("where", || device(Cpu::select(&host_view(cond)?, &host_view(a)?, &host_view(b)?, shape)?))
        }

        fn matmul(a: &Strided, b: &Strided) -> Result<Storage> {
            matmul_run(a, b)
        }

        fn copy_strided(x: &Strided, dtype: DType) -> Result<Storage> {
            if x.dtype() == DType::F32 && dtype == DType::F32 {
                return elementwise("copy", "x", x.shape(), &[x], [0.0; 2]);
            }
            if x.dtype() == DType::F32 && dtype == DType::Bool {
                let zero = Strided::new(Storage::new(crate::storage::Buffer::F32(vec![0.0].into())), Layout::contiguous(&[])?, DType::F32)?;
                return super::masks::compare(x, &zero, Comparison::Ne, x.shape());
            }
            if x.dtype() == DType::Bool && dtype == DType::F32 {
                // A selection between host scalars one and zero: no read back.
                let number = |v: f32| Strided::new(Storage::new(crate::storage::Buffer::F32(vec![v].into())), Layout::contiguous(&[])?, DType::F32);
                return super::masks::select(x, &number(1.0)?, &number(0.0)?, x.shape());
            }
            // Other dtypes have no kernels: the copy and conversion run on the host.
            let host = Strided::contiguous(Wgpu::to_cpu(x)?, x.shape())?;
            let converted = Strided::contiguous(Cpu::copy_strided(&host, dtype)?, x.shape())?;
            Wgpu::from_cpu(&converted, x.device())
        }

        fn take(x: &Strided, plan: &Plan) -> Result<Storage> {
            if x.dtype() == DType::F32 {
                return super::indexed::take(x, plan);
            }
            on_cpu("index", || device(Cpu::take(&host_view(x)?, plan)?))
        }

        fn gather(x: &Strided, dim: usize, index: &Strided) -> Result<Storage> {
            if x.dtype() == DType::F32 {
                return super::indexed::gather(x, dim, index);
            }
            on_cpu("gather", || device(Cpu::gather(&host_view(x)?, dim, &host_view(index)?)?))
        }

        fn scatter(x: &Strided, dim: usize, index: &Strided, src: &Strided, accumulate: bool) -> Result<Storage> {
            if x.dtype() == DType::F32 {
                return super::indexed::scatter(x, dim, index, src, accumulate);
            }
            on_cpu(if accumulate { "scatter_add" } else { "scatter" }, || {
                device(Cpu::scatter(&host_view(x)?, dim, &host_view(index)?, &host_view(src)?, accumulate)?)
            })
        }

        fn im2col(x: &Strided, planes: Planes, window: &Window2d) -> Result<Storage> {
            if x.dtype() == DType::F32 {
                return super::window::im2col(x, planes, window);
            }
            on_cpu("im2col", || device(Cpu::im2col(&host_view(x)?, planes, window)?))
        }

        fn col2im(x: &Strided, planes: Planes, window: &Window2d) -> Result<Storage> {
            if x.dtype() == DType::F32 {
                return super::window::col2im(x, planes, window);
            }
            on_cpu("col2im", || device(Cpu::col2im(&host_view(x)?, planes, window)?))
        }

        fn max_pool(x: &Strided, planes: Planes, window: &Window2d) -> Result<(Storage, Storage)> {
            if x.dtype() == DType::F32 {
                return super::window::max_pool(x, planes, window);
            }
            on_cpu("max_pool2d", || {
                let (values, indices) = Cpu::max_pool(&host_view(x)?, planes, window)?;
                Ok((device(values)?, device(indices)?))
            })
        }

        /// Reads back the range of the buffer the view reaches and lays it out
        /// on the host, so views of every dtype come back without a kernel.
        fn to_cpu(x: &Strided) -> Result<Storage> {
            let Some(buffer) = x.storage().wgpu_buffer() else {
                return Cpu::copy_strided(x, x.dtype());
            };
            if x.numel() == 0 {
                return empty(x.dtype());
            }
            let gpu = gpu()?;
            let layout = x.layout();
            let (lo, hi) = reach(layout);
            let item = x.dtype().size_in_bytes() as u64;
            let bytes = download(gpu, buffer, lo as u64 * item, (hi - lo + 1) as u64 * item)?;
            let host = Storage::new(buffer_from_bytes(x.dtype(), &bytes)?);
            let shifted = Layout::new(layout.shape().into(), layout.strides().into(), layout.offset() - lo)?;
            Cpu::copy_strided(&Strided::new(host, shifted, x.dtype())?, x.dtype())
        }

        fn from_cpu(x: &Strided, device: Device) -> Result<Storage> {
            let Device::Wgpu(index) = device else {
                return Cpu::copy_strided(x, x.dtype());
            };
            super::check_device(index)?;
            let gpu = gpu()?;
            let contiguous;
            let (source, range) = match x.layout().contiguous_range() {
                Some(range) if x.device() == Device::Cpu => (x, range),
                _ => {
                    contiguous = Strided::contiguous(Wgpu::to_cpu(x)?, x.shape())?;
                    let n = contiguous.numel();
                    (&contiguous, 0..n)
                }
            };
            let guard = source.storage().read()?;
            let buffer = with_any_type!(x.dtype(), T => {
                let data = <T as crate::storage::Element>::slice(&guard).ok_or(Error::DTypeMismatch { op: "to", lhs: x.dtype(), rhs: <T as crate::storage::Element>::DTYPE })?;
                upload(gpu, bytes_of(&data[range]))?
            });
            drop(guard);
            Ok(Storage::on_wgpu(buffer, x.numel(), x.dtype()))
        }
    }
}
