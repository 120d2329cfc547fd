//! Factories: zeros, ones, full, arange, linspace, rand, randn.

use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::random::default_generator;
use crate::layout::contiguous_storage_bytes;
use crate::ops::sampling::Sampler;
use crate::storage::collect_buffer;
use crate::tensor::Tensor;

/// The length of a new 1-d tensor of `len` elements of `dtype`, once its
/// byte size is known to be computable.
fn checked_len(len: usize, dtype: DType) -> Result<usize> {
    contiguous_storage_bytes(&[len], dtype.size_in_bytes())?;
    Ok(len)
}

impl Tensor {
    pub fn zeros(shape: &[usize], dtype: DType) -> Result<Tensor> {
        Tensor::filled(shape, Scalar::Int(0), dtype)
    }

    /// Zeros on `device`: what a backward formula starts from, on the device
    /// of the gradient it builds.
    pub fn zeros_on(shape: &[usize], dtype: DType, device: crate::device::Device) -> Result<Tensor> {
        match device {
            crate::device::Device::Cpu => Tensor::zeros(shape, dtype),
            // One zero sent over and broadcast by the device's copy, not a
            // host buffer of zeros uploaded.
            device => Tensor::zeros(&[], dtype)?.to_device(device)?.expand(shape)?.contiguous(),
        }
    }

    pub fn ones(shape: &[usize], dtype: DType) -> Result<Tensor> {
        Tensor::filled(shape, Scalar::Int(1), dtype)
    }

    pub fn full(shape: &[usize], value: Scalar, dtype: DType) -> Result<Tensor> {
        dtype.check_fits(value, true)?;
        Tensor::filled(shape, value, dtype)
    }

    /// Values from `start` toward `end` (exclusive) by `step`, as `torch.arange`.
    pub fn arange(start: f64, end: f64, step: f64, dtype: DType) -> Result<Tensor> {
        if step == 0.0 {
            return Err(Error::runtime("step must be nonzero"));
        }
        if !(start.is_finite() && end.is_finite()) {
            return Err(Error::runtime(format!("unsupported range: {start} -> {end}")));
        }
        if (step > 0.0 && end < start) || (step < 0.0 && end > start) {
            return Err(Error::runtime("upper bound and larger bound inconsistent with step sign"));
        }
        let size = ((end - start) / step).ceil().max(0.0);
        if !(size < i64::MAX as f64) {
            return Err(Error::runtime("invalid size, possible overflow?"));
        }
        let n = size as usize;
        let buffer = match dtype {
            DType::I64 => collect_buffer(checked_len(n, dtype)?, (0..n).map(|i| (start + i as f64 * step) as i64))?,
            DType::F32 => collect_buffer(checked_len(n, dtype)?, (0..n).map(|i| (start + i as f64 * step) as f32))?,
            DType::F64 => collect_buffer(checked_len(n, dtype)?, (0..n).map(|i| start + i as f64 * step))?,
            DType::F16 | DType::BF16 => return Tensor::arange(start, end, step, DType::F64)?.cast(dtype),
            DType::Bool => return Err(Error::NotImplementedForDType { op: "arange_cpu", dtype }),
            // Counted in int64 as ATen's integer kernels accumulate, then narrowed.
            DType::U8 | DType::I8 | DType::I16 | DType::I32 => return Tensor::arange(start, end, step, DType::I64)?.cast(dtype),
        };
        Tensor::from_buffer(buffer, &[n])
    }

    /// `steps` evenly spaced values from `start` to `end` inclusive, computed
    /// in the result's precision as PyTorch does, so float32 results agree bit for bit.
    pub fn linspace(start: f64, end: f64, steps: usize, dtype: DType) -> Result<Tensor> {
        let len = checked_len(steps, dtype)?;
        let buffer = match dtype {
            DType::F32 => collect_buffer(len, linspace_points(start as f32, end as f32, steps))?,
            DType::F64 => collect_buffer(len, linspace_points(start, end, steps))?,
            // Integer ends are truncated first; the step stays fractional.
            DType::I64 => collect_buffer(len, linspace_points(start.trunc(), end.trunc(), steps).map(|v| v as i64))?,
            DType::F16 | DType::BF16 => return Tensor::linspace(start, end, steps, DType::F32)?.cast(dtype),
            DType::Bool => return Err(Error::NotImplementedForDType { op: "linspace_cpu", dtype }),
            DType::U8 | DType::I8 | DType::I16 | DType::I32 => return Tensor::linspace(start, end, steps, DType::I64)?.cast(dtype),
        };
        Tensor::from_buffer(buffer, &[steps])
    }

    /// `base` raised to `steps` evenly spaced exponents from `start` to `end`:
    /// the exponents in the result's precision, the power in double.
    pub fn logspace(start: f64, end: f64, steps: usize, base: f64, dtype: DType) -> Result<Tensor> {
        let len = checked_len(steps, dtype)?;
        let buffer = match dtype {
            DType::F32 => collect_buffer(len, linspace_points(start as f32, end as f32, steps).map(|e| base.powf(f64::from(e)) as f32))?,
            DType::F64 => collect_buffer(len, linspace_points(start, end, steps).map(|e| base.powf(e)))?,
            DType::I64 => collect_buffer(len, linspace_points(start.trunc(), end.trunc(), steps).map(|e| base.powf(e) as i64))?,
            DType::F16 | DType::BF16 => return Tensor::logspace(start, end, steps, base, DType::F32)?.cast(dtype),
            DType::Bool => return Err(Error::NotImplementedForDType { op: "logspace_cpu", dtype }),
            DType::U8 | DType::I8 | DType::I16 | DType::I32 => return Tensor::logspace(start, end, steps, base, DType::I64)?.cast(dtype),
        };
        Tensor::from_buffer(buffer, &[steps])
    }

    /// An `n` x `m` matrix with ones on the main diagonal.
    pub fn eye(n: usize, m: usize, dtype: DType) -> Result<Tensor> {
        let len = n.checked_mul(m).ok_or_else(|| Error::SizeOverflow { op: "eye", size: crate::error::ShapeList(vec![n, m]) })?;
        let diagonal = collect_buffer(checked_len(len, dtype)?, (0..len).map(|k| k / m == k % m))?;
        Tensor::from_buffer(diagonal, &[n, m])?.cast(dtype)
    }

    /// Uniform on [0, 1) from the default generator.
    pub fn rand(shape: &[usize], dtype: DType) -> Result<Tensor> {
        Tensor::sampled(shape, dtype, Sampler::Uniform { from: 0.0, to: 1.0 }, default_generator())
    }

    /// Standard normal from the default generator.
    pub fn randn(shape: &[usize], dtype: DType) -> Result<Tensor> {
        Tensor::sampled(shape, dtype, Sampler::Normal { mean: 0.0, std: 1.0 }, default_generator())
    }
}

/// PyTorch's linspace points: the first half counted up from `start`, the
/// second half counted down from `end`, so both ends come out exact. Each
/// point is one fused multiply-add (one rounding), as PyTorch's vector kernel.
fn linspace_points<T: LinspaceFloat>(start: T, end: T, steps: usize) -> impl Iterator<Item = T> {
    let step = (end - start) / T::from_index(steps.saturating_sub(1).max(1));
    let halfway = steps / 2;
    (0..steps).map(move |i| match i {
        _ if steps == 1 => start,
        i if i < halfway => step.mul_add(T::from_index(i), start),
        i => (-step).mul_add(T::from_index(steps - 1 - i), end),
    })
}

/// The float types linspace points are computed in.
trait LinspaceFloat: Copy + std::ops::Sub<Output = Self> + std::ops::Div<Output = Self> + std::ops::Neg<Output = Self> {
    fn from_index(i: usize) -> Self;
    fn mul_add(self, a: Self, b: Self) -> Self;
}

impl LinspaceFloat for f32 {
    fn from_index(i: usize) -> f32 {
        i as f32
    }
    fn mul_add(self, a: f32, b: f32) -> f32 {
        f32::mul_add(self, a, b)
    }
}

impl LinspaceFloat for f64 {
    fn from_index(i: usize) -> f64 {
        i as f64
    }
    fn mul_add(self, a: f64, b: f64) -> f64 {
        f64::mul_add(self, a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linspace_ends_are_exact() {
        let t = Tensor::linspace(0.1, 2.0, 20, DType::F32).unwrap().to_vec::<f32>().unwrap();
        assert_eq!((t[0], t[19]), (0.1f32, 2.0f32));
        assert_eq!(Tensor::linspace(3.0, 5.0, 1, DType::F64).unwrap().to_vec::<f64>().unwrap(), vec![3.0]);
    }

    #[test]
    fn eye_is_rectangular() {
        let t = Tensor::eye(2, 3, DType::I64).unwrap();
        assert_eq!(t.to_vec::<i64>().unwrap(), vec![1, 0, 0, 0, 1, 0]);
        assert!(Tensor::eye(usize::MAX, 2, DType::F32).is_err());
    }
}
