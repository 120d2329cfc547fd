//! Factories: zeros, ones, full, arange, linspace, rand, randn.

use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::random::default_generator;
use crate::layout::contiguous_storage_bytes;
use crate::ops::sampling::Sampler;
use crate::storage::{collect_vec, Buffer};
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

    pub fn ones(shape: &[usize], dtype: DType) -> Result<Tensor> {
        Tensor::filled(shape, Scalar::Int(1), dtype)
    }

    pub fn full(shape: &[usize], value: Scalar, dtype: DType) -> Result<Tensor> {
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
            DType::I64 => Buffer::I64(collect_vec(checked_len(n, dtype)?, (0..n).map(|i| (start + i as f64 * step) as i64))?.into()),
            DType::F32 => Buffer::F32(collect_vec(checked_len(n, dtype)?, (0..n).map(|i| (start + i as f64 * step) as f32))?.into()),
            DType::F64 => Buffer::F64(collect_vec(checked_len(n, dtype)?, (0..n).map(|i| start + i as f64 * step))?.into()),
            DType::F16 | DType::BF16 => return Tensor::arange(start, end, step, DType::F64)?.cast(dtype),
            DType::Bool => return Err(Error::NotImplementedForDType { op: "arange_cpu", dtype }),
        };
        Tensor::from_buffer(buffer, &[n])
    }

    /// `steps` evenly spaced values from `start` to `end` inclusive. PyTorch fills
    /// the first half from the start and the second half from the end.
    pub fn linspace(start: f64, end: f64, steps: usize, dtype: DType) -> Result<Tensor> {
        let step = if steps > 1 { (end - start) / (steps - 1) as f64 } else { 0.0 };
        let half = steps / 2;
        let value = |i: usize| if i < half { start + step * i as f64 } else { end - step * (steps - 1 - i) as f64 };
        let buffer = match dtype {
            DType::F32 => {
                // Computed in float32, as PyTorch does for a float32 result.
                let (s, e, st) = (start as f32, end as f32, step as f32);
                let values = (0..steps).map(|i| if i < half { s + st * i as f32 } else { e - st * (steps - 1 - i) as f32 });
                Buffer::F32(collect_vec(checked_len(steps, dtype)?, values)?.into())
            }
            DType::F64 => Buffer::F64(collect_vec(checked_len(steps, dtype)?, (0..steps).map(value))?.into()),
            DType::I64 => Buffer::I64(collect_vec(checked_len(steps, dtype)?, (0..steps).map(|i| value(i) as i64))?.into()),
            DType::F16 | DType::BF16 => return Tensor::linspace(start, end, steps, DType::F32)?.cast(dtype),
            DType::Bool => return Err(Error::NotImplementedForDType { op: "linspace_cpu", dtype }),
        };
        Tensor::from_buffer(buffer, &[steps])
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
