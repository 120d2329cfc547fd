//! Sampling ops that return a new tensor: `normal` with tensor parameters,
//! `bernoulli` and `multinomial`. Each composes the in-place samplers the
//! way ATen does, so the generator stream is consumed in the same order.
//! Nothing here is recorded by autograd.

// Argument checks are written `!(x >= bound)` so that NaN fails them too.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use super::sampling::{iteration_dims, Sampler};
use crate::autograd::mode::no_grad;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::layout::broadcast_shapes;
use crate::random::Generator;
use crate::storage::{vec_with_capacity, Float};
use crate::tensor::Tensor;
use parking_lot::Mutex;

/// Largest category count multinomial accepts (float32 counts exactly).
const MAX_CATEGORIES: usize = 1 << 24;

/// A mean or standard deviation of `normal`: a number or a tensor.
#[derive(Clone, Debug)]
pub enum NormalParam {
    Number(f64),
    Tensor(Tensor),
}

/// A fresh zero tensor shaped like `t` whose memory order follows `t`'s,
/// as ATen's `empty_like` keeps the strides of a dense input: the order in
/// which a sampler then visits it matches PyTorch's.
fn zeros_like_in_memory_order(t: &Tensor, dtype: DType) -> Result<Tensor> {
    let dims = iteration_dims(&t.shape(), &[t.layout().strides()]);
    let stored_shape: Vec<usize> = dims.iter().map(|&d| t.shape()[d]).collect();
    let stored = Tensor::zeros(&stored_shape, dtype)?;
    let mut inverse = vec![0; dims.len()];
    for (position, &d) in dims.iter().enumerate() {
        inverse[d] = position;
    }
    let layout = stored.layout().permute(&inverse);
    stored.view_with_layout(layout)
}

fn check_std_tensor(std: &Tensor) -> Result<()> {
    if std.numel() > 0 && std.to_vec_f64()?.iter().any(|s| !(*s >= 0.0)) {
        return Err(Error::runtime("normal expects all elements of std >= 0.0"));
    }
    Ok(())
}

impl Tensor {
    /// Elements as f64 in logical order, whatever the dtype.
    fn to_vec_f64(&self) -> Result<Vec<f64>> {
        self.cast(DType::F64)?.to_vec::<f64>()
    }

    /// `torch.normal(mean, std)` where at least one of them is a tensor.
    /// Draws standard (or `std`-scaled) normals into a new tensor, then
    /// scales and shifts it, in ATen's order of operations.
    pub fn normal_with(mean: &NormalParam, std: &NormalParam, generator: &Mutex<Generator>) -> Result<Tensor> {
        let _plain = no_grad();
        match (mean, std) {
            (NormalParam::Tensor(mean), NormalParam::Number(std)) => {
                if !(*std >= 0.0) {
                    return Err(Error::runtime(format!("normal expects std >= 0.0, but found std {std}")));
                }
                let out = Tensor::zeros(&mean.shape(), mean.dtype())?;
                out.sample_(Sampler::Normal { mean: 0.0, std: *std }, generator)?;
                out.add_(mean)?;
                Ok(out)
            }
            (NormalParam::Number(mean), NormalParam::Tensor(std)) => {
                check_std_tensor(std)?;
                let out = Tensor::zeros(&std.shape(), std.dtype())?;
                out.sample_(Sampler::Normal { mean: 0.0, std: 1.0 }, generator)?;
                out.mul_(std)?;
                out.add_(&Tensor::scalar_tensor(crate::dtype::Scalar::Float(*mean), out.dtype()))?;
                Ok(out)
            }
            (NormalParam::Tensor(mean), NormalParam::Tensor(std)) => {
                check_std_tensor(std)?;
                let shape = broadcast_shapes(&mean.shape(), &std.shape())?;
                let out = Tensor::zeros(&shape, mean.dtype())?;
                out.sample_(Sampler::Normal { mean: 0.0, std: 1.0 }, generator)?;
                out.mul_(std)?;
                out.add_(mean)?;
                Ok(out)
            }
            (NormalParam::Number(_), NormalParam::Number(_)) => Err(Error::value("normal with a number mean and std needs a size: use Tensor::sampled")),
        }
    }

    /// `torch.bernoulli(self)`: 0/1 draws with this tensor's values as the
    /// probabilities, in a new contiguous tensor of its dtype (ATen's
    /// legacy-contiguous `empty_like`, so draws follow the logical order).
    pub fn bernoulli(&self, generator: &Mutex<Generator>) -> Result<Tensor> {
        let out = Tensor::zeros(&self.shape(), self.dtype())?;
        out.bernoulli_tensor_(self, generator)?;
        Ok(out)
    }

    /// `torch.bernoulli(self, p)`: 0/1 draws of probability `p`, shaped like self.
    pub fn bernoulli_scalar(&self, p: f64, generator: &Mutex<Generator>) -> Result<Tensor> {
        let out = Tensor::zeros(&self.shape(), self.dtype())?;
        out.sample_(Sampler::Bernoulli { p }, generator)?;
        Ok(out)
    }

    /// `torch.multinomial(self, num_samples, replacement)`: indices drawn
    /// from each row of non-negative weights (1-d: one row). Without
    /// replacement (or for one sample) ATen races exponential clocks:
    /// the winners are the largest `p / q`, `q ~ Exp(1)`. With replacement
    /// it searches each uniform draw in the normalised cumulative weights.
    pub fn multinomial(&self, num_samples: i64, replacement: bool, generator: &Mutex<Generator>) -> Result<Tensor> {
        let _plain = no_grad();
        if self.ndim() == 0 || self.ndim() > 2 {
            return Err(Error::runtime("prob_dist must be 1 or 2 dim"));
        }
        if !self.dtype().is_floating_point() {
            return Err(Error::UnexpectedDType { expected: "multinomial only supports floating-point dtypes for input, got: ", got: self.dtype() });
        }
        if num_samples <= 0 {
            return Err(Error::runtime("cannot sample n_sample <= 0 samples"));
        }
        let n_sample = usize::try_from(num_samples).map_err(|_| Error::runtime("cannot sample n_sample <= 0 samples"))?;
        let categories = self.shape()[self.ndim() - 1];
        if !replacement && n_sample > categories {
            return Err(Error::runtime("cannot sample n_sample > prob_dist.size(-1) samples without replacement"));
        }
        if categories > MAX_CATEGORIES {
            return Err(Error::runtime("number of categories cannot exceed 2^24"));
        }
        let rows = if self.ndim() == 2 { self.shape()[0] } else { 1 };
        let out_shape: Vec<usize> = if self.ndim() == 2 { vec![rows, n_sample] } else { vec![n_sample] };
        crate::layout::contiguous_storage_bytes(&out_shape, 8)?;
        if rows == 0 || n_sample == 0 {
            return Tensor::zeros(&out_shape, DType::I64);
        }
        let indices = if !replacement || n_sample == 1 {
            self.multinomial_by_race(rows, categories, n_sample, generator)?
        } else if self.dtype() == DType::F64 {
            multinomial_with_replacement::<f64>(&self.to_vec::<f64>()?, categories, n_sample, generator)?
        } else {
            // float32, and 16-bit floats accumulate in float32 as in ATen.
            multinomial_with_replacement::<f32>(&self.cast(DType::F32)?.to_vec::<f32>()?, categories, n_sample, generator)?
        };
        Tensor::from_vec(indices, &out_shape)
    }

    /// Without replacement: per row, the indices of the `n_sample` largest
    /// `p / q` (ties to the lower index), largest first.
    fn multinomial_by_race(&self, rows: usize, categories: usize, n_sample: usize, generator: &Mutex<Generator>) -> Result<Vec<i64>> {
        let probs = self.to_vec_f64()?;
        if !probs.iter().all(|p| (0.0..f64::INFINITY).contains(p)) {
            return Err(Error::runtime("probability tensor contains either `inf`, `nan` or element < 0"));
        }
        if probs.chunks(categories.max(1)).any(|row| row.iter().sum::<f64>() == 0.0) || categories == 0 {
            return Err(Error::runtime("invalid multinomial distribution (sum of probabilities <= 0)"));
        }
        let clocks = zeros_like_in_memory_order(self, self.dtype())?;
        clocks.sample_(Sampler::Exponential { lambda: 1.0 }, generator)?;
        // The ratio rounded to the input's dtype, as ATen divides in place
        // (16-bit floats divide in float32 first).
        let ratios = if self.dtype().is_half() {
            self.cast(DType::F32)?.div(&clocks.cast(DType::F32)?)?.cast(self.dtype())?
        } else {
            self.div(&clocks)?
        };
        let ratios = ratios.to_vec_f64()?;
        let mut out = vec_with_capacity(rows * n_sample)?;
        let mut order: Vec<usize> = Vec::new();
        for row in ratios.chunks(categories).take(rows) {
            order.clear();
            order.extend(0..categories);
            // NaN (0/0, probability ~2^-53 per element) ranks highest, as in argmax.
            order.sort_by(|&a, &b| {
                let (x, y) = (row[a], row[b]);
                y.partial_cmp(&x).unwrap_or_else(|| x.is_nan().cmp(&y.is_nan()).reverse()).then(a.cmp(&b))
            });
            out.extend(order[..n_sample].iter().map(|&i| i as i64));
        }
        Ok(out)
    }
}

/// With replacement, rows of `categories` weights in `A` (the accumulation
/// type): normalised running sums, then a binary search per uniform draw.
fn multinomial_with_replacement<A: Float>(weights: &[A], categories: usize, n_sample: usize, generator: &Mutex<Generator>) -> Result<Vec<i64>> {
    let rows = weights.len().checked_div(categories).unwrap_or(weights.len());
    let mut out = vec_with_capacity(rows.max(1) * n_sample)?;
    let mut cumulative: Vec<A> = vec_with_capacity(categories)?;
    let mut g = generator.lock();
    for r in 0..rows.max(1) {
        let row = weights.get(r * categories..(r + 1) * categories).unwrap_or(&[]);
        cumulative.clear();
        let mut sum = A::ZERO;
        for &w in row {
            if !(w >= A::ZERO) {
                return Err(Error::runtime("invalid multinomial distribution (encountering probability entry < 0)"));
            }
            if !w.to_f64().is_finite() {
                return Err(Error::runtime("invalid multinomial distribution (encountering probability entry = infinity or NaN)"));
            }
            sum = sum + w;
            cumulative.push(sum);
        }
        if !(sum > A::ZERO) {
            return Err(Error::runtime("invalid multinomial distribution (sum of probabilities <= 0)"));
        }
        for c in cumulative.iter_mut() {
            *c = *c / sum;
        }
        if let Some(last) = cumulative.last_mut() {
            *last = A::ONE;
        }
        for _ in 0..n_sample {
            let u = g.unit_f64();
            // First slot whose cumulative weight reaches u.
            let slot = cumulative.partition_point(|c| c.to_f64() < u);
            out.push(slot as i64);
        }
    }
    Ok(out)
}
