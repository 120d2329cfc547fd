//! The wgpu backend: tensors in GPU buffers, computed on by generated WGSL
//! compute kernels. Float32 computes natively, and float16 and float64
//! where the adapter has shader-f16 and shader-f64; other dtypes move to
//! and from the device and are refused by kernels with an error naming op,
//! dtype and device. Without the `wgpu` feature every entry point refuses.
//!
//! context: the device, opened once; pool: buffers reused by size;
//! pipelines: compiled kernels by name; element: the float types kernels
//! compute in; prelude and wgsl: the kernel sources; launch:
//! bindings and dispatches; run: each kernel family's launch; rows:
//! row kernels (softmax, running sums); indexed: gathers and scatters by index;
//! masks: comparisons and selection; update: optimizer steps; random: masks drawn on the device; window: convolution windows and pooling; buffer: device memory and
//! host transfers; fallback: ops without a kernel on the CPU, when asked.

pub mod fallback;
#[cfg(feature = "wgpu")]
mod buffer;
#[cfg(feature = "wgpu")]
mod context;
#[cfg(feature = "wgpu")]
mod element;
#[cfg(feature = "wgpu")]
mod launch;
#[cfg(feature = "wgpu")]
mod masks;
#[cfg(feature = "wgpu")]
mod pipelines;
#[cfg(feature = "wgpu")]
mod pool;
#[cfg(feature = "wgpu")]
mod prelude;
#[cfg(feature = "wgpu")]
mod random;
#[cfg(feature = "wgpu")]
mod run;
#[cfg(feature = "wgpu")]
mod rows;
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
#[cfg(all(test, feature = "wgpu"))]
mod dtype_tests;

#[cfg(not(feature = "wgpu"))]
mod stub;
#[cfg(not(feature = "wgpu"))]
pub use stub::*;

#[cfg(feature = "wgpu")]
pub use buffer::{download_all, readback_count, write_back, WgpuBuffer};
#[cfg(feature = "wgpu")]
pub use rows::{scan, softmax, softmax_backward};
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

    /// Sets every element of a float wgpu view to `value`, on the device.
    pub fn fill(dst: &crate::strided::Strided, value: f64) -> Result<()> {
        let buffer = crate::storage::Buffer::full(dst.dtype(), 1, crate::dtype::Scalar::Float(value))?;
        let scalar = crate::strided::Strided::new(crate::storage::Storage::new(buffer), crate::layout::Layout::contiguous(&[])?, dst.dtype())?;
        super::run::assign("fill", "b", dst, &scalar, [0.0; 2])
    }

    /// Whether kernels compute in `dtype` on this device.
    pub fn computes(dtype: crate::dtype::DType) -> bool {
        gpu().is_ok_and(|gpu| super::element::Element::of(gpu, "", dtype).is_ok())
    }

    /// The largest (or smallest) float element over `dims`, NaN if any is.
    pub fn extreme(x: &crate::strided::Strided, dims: &[usize], max: bool) -> Result<crate::storage::Storage> {
        let name = if max { "amax" } else { "amin" };
        let (init, fold) = super::wgsl::reduce_fold(name).ok_or_else(|| super::fallback::unsupported(name))?;
        super::run::reduce_run(name, init, fold, x, dims)
    }

    /// The largest (or smallest) element over `dims` (nonempty) and its
    /// position in its group, counted row-major over `dims` (int64).
    pub fn extreme_indexed(x: &crate::strided::Strided, dims: &[usize], max: bool) -> Result<(crate::storage::Storage, crate::storage::Storage)> {
        super::run::reduce_indexed_run(if max { "max" } else { "min" }, x, dims, max)
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
    use super::computes;
    use super::context::gpu;
    use super::element::Element;
    use super::fallback::on_cpu_for;
    use super::run::{assign, converted, elementwise, empty, matmul_run, reach, reduce_run};
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

    /// The element a kernel of `dtype` computes in, where it does.
    fn native(dtype: DType) -> Option<Element> {
        let gpu = gpu().ok()?;
        Element::of(gpu, "", dtype).ok()
    }

    /// A scalar of `dtype` in host memory, which kernels take as an operand.
    fn number(value: f64, dtype: DType) -> Result<Strided> {
        let buffer = crate::storage::Buffer::full(dtype, 1, crate::dtype::Scalar::Float(value))?;
        Strided::new(Storage::new(buffer), Layout::contiguous(&[])?, dtype)
    }

    impl Backend for Wgpu {
        fn unary<K: UnaryKernel>(k: &K, x: &Strided) -> Result<Storage> {
            match native(x.dtype()).and_then(|e| wgsl::unary_expr(K::NAME, e)) {
                Some(expr) => elementwise(K::NAME, expr, x.shape(), &[x], k.scalars()),
                None => on_cpu_for(K::NAME, x.dtype(), || device(Cpu::unary(k, &host_view(x)?)?)),
            }
        }

        fn binary<K: BinaryKernel>(k: &K, a: &Strided, b: &Strided, shape: &[usize]) -> Result<Storage> {
            if a.dtype() != b.dtype() {
                return Err(Error::DTypeMismatch { op: K::NAME, lhs: a.dtype(), rhs: b.dtype() });
            }
            match native(a.dtype()).and_then(|e| wgsl::binary_expr(K::NAME, e)) {
                Some(expr) => elementwise(K::NAME, expr, shape, &[a, b], k.scalars()),
                None => on_cpu_for(K::NAME, a.dtype(), || device(Cpu::binary(k, &host_view(a)?, &host_view(b)?, shape)?)),
            }
        }

        fn binary_assign<K: BinaryKernel>(k: &K, dst: &Strided, src: &Strided) -> Result<()> {
            match native(dst.dtype()).and_then(|e| wgsl::binary_expr(K::NAME, e)) {
                Some(expr) => assign(K::NAME, expr, dst, src, k.scalars()),
                // The CPU kernel writes through the storage's write guard, which sends the result back.
                None => on_cpu_for(K::NAME, dst.dtype(), || Cpu::binary_assign(k, dst, &host_view(src)?)),
            }
        }

        fn reduce<K: ReduceKernel>(k: &K, x: &Strided, dims: &[usize]) -> Result<Storage> {
            match native(x.dtype()).and(wgsl::reduce_fold(K::NAME)) {
                Some((init, fold)) => reduce_run(K::NAME, init, fold, x, dims),
                None => on_cpu_for(K::NAME, x.dtype(), || device(Cpu::reduce(k, &host_view(x)?, dims)?)),
            }
        }

        fn compare(a: &Strided, b: &Strided, cmp: Comparison, shape: &[usize]) -> Result<Storage> {
            if a.dtype() == b.dtype() && computes(a.dtype()) {
                return super::masks::compare(a, b, cmp, shape);
            }
            on_cpu_for(cmp.name(), a.dtype(), || {
                let n = crate::layout::numel(shape)?;
                Wgpu::from_cpu(&Strided::contiguous(Cpu::compare(&host_view(a)?, &host_view(b)?, cmp, shape)?, &[n])?, Device::Wgpu(0))
            })
        }

        fn select(cond: &Strided, a: &Strided, b: &Strided, shape: &[usize]) -> Result<Storage> {
            if a.dtype() == b.dtype() && computes(a.dtype()) {
                return super::masks::select(cond, a, b, shape);
            }
            on_cpu_for("where", a.dtype(), || device(Cpu::select(&host_view(cond)?, &host_view(a)?, &host_view(b)?, shape)?))
        }

        fn matmul(a: &Strided, b: &Strided) -> Result<Storage> {
            matmul_run(a, b)
        }

        fn copy_strided(x: &Strided, dtype: DType) -> Result<Storage> {
            if let (Some(_), Some(to)) = (native(x.dtype()), native(dtype)) {
                return converted("copy", "x", x.shape(), &[x], [0.0; 2], to);
            }
            if native(x.dtype()).is_some() && dtype == DType::Bool {
                return super::masks::compare(x, &number(0.0, x.dtype())?, Comparison::Ne, x.shape());
            }
            if x.dtype() == DType::Bool && native(dtype).is_some() {
                // A selection between host scalars one and zero: no read back.
                return super::masks::select(x, &number(1.0, dtype)?, &number(0.0, dtype)?, x.shape());
            }
            // Other dtypes have no kernels: the copy and conversion run on the host.
            let host = Strided::contiguous(Wgpu::to_cpu(x)?, x.shape())?;
            let converted = Strided::contiguous(Cpu::copy_strided(&host, dtype)?, x.shape())?;
            Wgpu::from_cpu(&converted, x.device())
        }

        fn take(x: &Strided, plan: &Plan) -> Result<Storage> {
            if computes(x.dtype()) {
                return super::indexed::take(x, plan);
            }
            on_cpu_for("index", x.dtype(), || device(Cpu::take(&host_view(x)?, plan)?))
        }

        fn gather(x: &Strided, dim: usize, index: &Strided) -> Result<Storage> {
            if computes(x.dtype()) {
                return super::indexed::gather(x, dim, index);
            }
            on_cpu_for("gather", x.dtype(), || device(Cpu::gather(&host_view(x)?, dim, &host_view(index)?)?))
        }

        fn scatter(x: &Strided, dim: usize, index: &Strided, src: &Strided, accumulate: bool) -> Result<Storage> {
            if computes(x.dtype()) {
                return super::indexed::scatter(x, dim, index, src, accumulate);
            }
            on_cpu_for(if accumulate { "scatter_add" } else { "scatter" }, x.dtype(), || {
                device(Cpu::scatter(&host_view(x)?, dim, &host_view(index)?, &host_view(src)?, accumulate)?)
            })
        }

        fn im2col(x: &Strided, planes: Planes, window: &Window2d) -> Result<Storage> {
            if computes(x.dtype()) {
                return super::window::im2col(x, planes, window);
            }
            on_cpu_for("im2col", x.dtype(), || device(Cpu::im2col(&host_view(x)?, planes, window)?))
        }

        fn col2im(x: &Strided, planes: Planes, window: &Window2d) -> Result<Storage> {
            if computes(x.dtype()) {
                return super::window::col2im(x, planes, window);
            }
            on_cpu_for("col2im", x.dtype(), || device(Cpu::col2im(&host_view(x)?, planes, window)?))
        }

        fn max_pool(x: &Strided, planes: Planes, window: &Window2d) -> Result<(Storage, Storage)> {
            if computes(x.dtype()) {
                return super::window::max_pool(x, planes, window);
            }
            on_cpu_for("max_pool2d", x.dtype(), || {
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
