//! one_hot, dropout and scaled_dot_product_attention. Dropout multiplies by
//! a mask drawn from the default generator (MulBackward0, as PyTorch records
//! it on CPU); attention is composed from matmul, masking and softmax.

use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::random::default_generator;
use crate::tensor::Tensor;

impl Tensor {
    /// `one_hot(tensor, num_classes=-1)`: int64 with a trailing class dim.
    pub fn one_hot(&self, num_classes: i64) -> Result<Tensor> {
        if self.dtype() != DType::I64 {
            return Err(Error::runtime("one_hot is only applicable to index tensor of type LongTensor."));
        }
        let indices = self.to_vec::<i64>()?;
        if indices.is_empty() && num_classes == -1 {
            return Err(Error::runtime("Can not infer total number of classes from empty tensor."));
        }
        if indices.iter().any(|&i| i < 0) {
            return Err(Error::runtime("Class values must be non-negative."));
        }
        let classes = match num_classes {
            -1 => indices.iter().max().map_or(0, |m| m + 1),
            n if indices.iter().any(|&i| i >= n) => return Err(Error::runtime("Class values must be smaller than num_classes.")),
            n if n < 0 => return Err(Error::runtime("num_classes should be positive")),
            n => n,
        } as usize;
        let mut shape = self.shape().to_vec();
        shape.push(classes);
        crate::layout::contiguous_storage_bytes(&shape, DType::I64.size_in_bytes())?;
        let mut values = crate::storage::filled_vec(indices.len() * classes, 0i64)?;
        for (row, &i) in indices.iter().enumerate() {
            values[row * classes + i as usize] = 1;
        }
        Tensor::from_vec(values, &shape)
    }

    /// `dropout(input, p, training)`: zeros each element with probability `p`
    /// and scales the rest by 1 / (1 - p). Not training, or p = 0, returns the
    /// input itself.
    pub fn dropout(&self, p: f64, train: bool) -> Result<Tensor> {
        if self.dropout_keeps_all(p, train)? {
            return Ok(self.clone());
        }
        if p == 1.0 {
            return self.mul(&Tensor::zeros(&[], self.dtype())?);
        }
        let mask = match self.device() {
            crate::device::Device::Cpu => dropout_mask(&self.shape(), self.dtype(), p)?,
            // Drawn on the device from a key the default generator gives, so
            // a seeded run repeats itself there (with other draws than the CPU's).
            _ => {
                let key = default_generator().lock().random_u64();
                let keep = 1.0 - p;
                let shape = self.shape();
                Tensor::from_storage(crate::backend::wgpu::dropout_mask(&shape, self.dtype(), keep, 1.0 / keep, key)?, &shape)?
            }
        };
        self.mul(&mask)
    }
}

impl Tensor {
    /// Whether dropout with these arguments changes nothing (not training,
    /// p = 0, or no elements); errors on a probability outside [0, 1].
    pub(crate) fn dropout_keeps_all(&self, p: f64, train: bool) -> Result<bool> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::value(format!("dropout probability has to be between 0 and 1, but got {p}")));
        }
        Ok(!train || p == 0.0 || self.numel() == 0)
    }
}

/// Bernoulli(1 - p) draws scaled by 1 / (1 - p), from the default generator.
fn dropout_mask(shape: &[usize], dtype: DType, p: f64) -> Result<Tensor> {
    let n: usize = shape.iter().product();
    let mut draws = crate::storage::filled_vec(n, 0f64)?;
    default_generator().lock().fill_uniform_f64(&mut draws, 0.0, 1.0);
    let keep = 1.0 - p;
    let scale = 1.0 / keep;
    let mask: Vec<f64> = draws.into_iter().map(|u| if u < keep { scale } else { 0.0 }).collect();
    let mask = Tensor::from_vec(mask, shape)?;
    if dtype.is_floating_point() {
        mask.cast(dtype)
    } else {
        Err(crate::ops::losses::not_implemented_for("bernoulli_tensor_cpu_p_", &Tensor::zeros(&[], dtype)?))
    }
}

/// Options of `scaled_dot_product_attention` beyond query, key and value.
#[derive(Clone, Debug, Default)]
pub struct AttentionOptions<'a> {
    pub attn_mask: Option<&'a Tensor>,
    pub dropout_p: f64,
    pub is_causal: bool,
    pub scale: Option<f64>,
    pub enable_gqa: bool,
}

impl Tensor {
    /// `softmax(q kᵀ * scale + mask) v` over the last two dims, batched over
    /// the leading ones. A bool mask keeps positions where true; a float mask
    /// is added. Rows with every position masked give zeros, as PyTorch's CPU kernel does.
    pub fn scaled_dot_product_attention(query: &Tensor, key: &Tensor, value: &Tensor, opts: &AttentionOptions) -> Result<Tensor> {
        if opts.is_causal && opts.attn_mask.is_some() {
            return Err(Error::runtime("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True"));
        }
        if query.ndim() < 2 || key.ndim() < 2 || value.ndim() < 2 {
            return Err(Error::runtime("scaled_dot_product_attention: query, key and value must have at least 2 dims"));
        }
        let (l, s, e) = (query.shape()[query.ndim() - 2], key.shape()[key.ndim() - 2], query.shape()[query.ndim() - 1]);
        let scale = opts.scale.unwrap_or(1.0 / (e as f64).sqrt());
        let (key, value) = if opts.enable_gqa { grouped_heads(query, key, value)? } else { (key.clone(), value.clone()) };
        let mut scores = query.matmul(&key.transpose(-2, -1)?)?.mul_scalar(Scalar::Float(scale))?;
        let keep = match opts.attn_mask {
            _ if opts.is_causal => Some(Tensor::ones(&[l, s], DType::Bool)?.tril(0)?),
            Some(m) if m.dtype() == DType::Bool => Some(m.clone()),
            Some(m) => {
                scores = scores.add(m)?;
                None
            }
            None => None,
        };
        let Some(keep) = keep else {
            let weights = scores.softmax(-1, None)?.dropout(opts.dropout_p, true)?;
            return weights.matmul(&value);
        };
        // Fully masked rows keep their raw scores (so softmax stays finite and
        // its gradient zero) and are zeroed after.
        let any_kept = keep.any_dims(Some(&[-1]), true)?;
        let fill = keep.logical(&any_kept.logical_not()?, crate::ops::pointwise::Logic::Or)?;
        let masked = Tensor::where_cond(&fill, &scores, &Tensor::wrapped_number(Scalar::Float(f64::NEG_INFINITY)))?;
        let weights = masked.softmax(-1, None)?;
        let weights = Tensor::where_cond(&any_kept, &weights, &Tensor::wrapped_number(Scalar::Float(0.0)))?;
        weights.dropout(opts.dropout_p, true)?.matmul(&value)
    }
}

/// Key and value heads repeated to the query's head count (grouped-query attention).
fn grouped_heads(query: &Tensor, key: &Tensor, value: &Tensor) -> Result<(Tensor, Tensor)> {
    if query.ndim() < 3 || key.ndim() < 3 || value.ndim() < 3 {
        return Ok((key.clone(), value.clone()));
    }
    let heads = |t: &Tensor| t.shape()[t.ndim() - 3];
    let (hq, hk, hv) = (heads(query), heads(key), heads(value));
    if hk == 0 || hv == 0 || hq % hk != 0 || hq % hv != 0 {
        return Err(Error::AttentionHeads { query: hq, key: hk, value: hv });
    }
    Ok((key.repeat_interleave((hq / hk) as i64, Some(-3))?, value.repeat_interleave((hq / hv) as i64, Some(-3))?))
}
