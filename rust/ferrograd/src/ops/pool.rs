//! 2-D pooling over `(C, H, W)` or `(N, C, H, W)` inputs: max pooling with
//! indices (gradient to the first maximum of each window), average pooling
//! (im2col + mean, backward through col2im) and adaptive average pooling
//! (two averaging matrices: `A_h @ x @ A_wᵀ`). Each records one node whose
//! backward is written in differentiable tensor ops.

use super::conv::with_contiguous;
use super::{record, record_plain, BackwardCtx, Grads, Op};
use crate::autograd::mode::no_grad;
use crate::autograd::saved::SavedTensor;
use crate::dtype::DType;
use crate::error::{Error, Result, ShapeList};
use crate::kernels::window::{gather_planes, scatter_add_planes, Planes, Window2d};
use crate::storage::Element;
use crate::tensor::Tensor;
use crate::with_float_type;
use smallvec::smallvec;

/// Pooling hyper-parameters along (height, width).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PoolParams {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
    pub ceil_mode: bool,
}

impl PoolParams {
    /// PyTorch's `pooling_output_shape` along dim `d`.
    fn output_len(&self, len: usize, d: usize) -> i64 {
        let (k, s, p, dil) = (self.kernel[d] as i64, self.stride[d] as i64, self.padding[d] as i64, self.dilation[d] as i64);
        // Saturating: absurd sizes give an output too small or too large to allocate, not a wrapped one.
        let numerator = (len as i64).saturating_add(p.saturating_mul(2)).saturating_sub(dil.saturating_mul(k - 1)).saturating_sub(1).saturating_add(if self.ceil_mode { s - 1 } else { 0 });
        let mut out = numerator.div_euclid(s) + 1;
        // The last window must start inside the input or its left padding.
        if self.ceil_mode && (out - 1).saturating_mul(s) >= (len as i64).saturating_add(p) {
            out -= 1;
        }
        out
    }

    /// The window reading the padded input; extra zeros after it for ceil_mode.
    fn window(&self, input: [usize; 2], output: [usize; 2]) -> Window2d {
        let hi = |d: usize| {
            let reach = (output[d].max(1) - 1) * self.stride[d] + self.dilation[d] * (self.kernel[d] - 1) + 1;
            reach.saturating_sub(input[d] + self.padding[d]).max(self.padding[d])
        };
        Window2d { kernel: self.kernel, stride: self.stride, dilation: self.dilation, pad_lo: self.padding, pad_hi: [hi(0), hi(1)] }
    }

    /// PyTorch's `pool2d_shape_check`; returns the output extent.
    fn check(&self, x: &Tensor) -> Result<[usize; 2]> {
        let [kh, kw] = self.kernel;
        if kh == 0 || kw == 0 {
            return Err(Error::runtime(format!("kernel size should be greater than zero, but got kH: {kh} kW: {kw}")));
        }
        if self.stride.contains(&0) {
            return Err(Error::runtime(format!("stride should be greater than zero, but got dH: {} dW: {}", self.stride[0], self.stride[1])));
        }
        if self.dilation.contains(&0) {
            return Err(Error::runtime(format!("dilation should be greater than zero, but got dilationH: {} dilationW: {}", self.dilation[0], self.dilation[1])));
        }
        for d in 0..2 {
            if self.padding[d].saturating_mul(2) > self.dilation[d].saturating_mul(self.kernel[d] - 1).saturating_add(1) {
                return Err(Error::runtime(format!(
                    "pad should be at most half of effective kernel size, but got pad={}, kernel_size={} and dilation={}",
                    self.padding[d], self.kernel[d], self.dilation[d]
                )));
            }
        }
        let nd = x.ndim();
        let (c, h, w) = (x.shape()[nd - 3], x.shape()[nd - 2], x.shape()[nd - 1]);
        let (oh, ow) = (self.output_len(h, 0), self.output_len(w, 1));
        if oh < 1 || ow < 1 {
            return Err(Error::PoolOutputTooSmall { channels: c, h, w, oh, ow });
        }
        Ok([oh as usize, ow as usize])
    }
}

/// `(planes, H, W)` of a 3-D or 4-D input.
fn planes_of(shape: &[usize]) -> (usize, [usize; 2]) {
    let nd = shape.len();
    (shape[..nd - 2].iter().product(), [shape[nd - 2], shape[nd - 1]])
}

fn pooled_shape(shape: &[usize], out: [usize; 2]) -> Vec<usize> {
    let mut s = shape[..shape.len() - 2].to_vec();
    s.extend(out);
    s
}

fn dims_i64(dims: &[usize]) -> Vec<i64> {
    dims.iter().map(|&d| d as i64).collect()
}

fn check_rank(x: &Tensor, op: &'static str) -> Result<()> {
    let ok = matches!(x.ndim(), 3 | 4) && x.shape()[x.ndim() - 3..].iter().all(|&d| d > 0);
    if ok {
        return Ok(());
    }
    match op {
        "max_pool2d" => Err(Error::runtime("non-empty 3D or 4D (batch mode) tensor expected for input")),
        "avg_pool2d" if x.ndim() < 3 => Err(Error::DimOutOfRange { dim: -3, min: -(x.ndim().max(1) as i64), max: x.ndim().max(1) as i64 - 1 }),
        _ => Err(Error::PoolInputShape { op, got: ShapeList(x.shape().to_vec()) }),
    }
}

impl Tensor {
    /// Max over each window, with the flat in-plane index of the first maximum
    /// (MaxPool2DWithIndicesBackward0).
    pub fn max_pool2d_with_indices(&self, params: &PoolParams) -> Result<(Tensor, Tensor)> {
        check_rank(self, "max_pool2d")?;
        let out = params.check(self)?;
        let (count, input) = planes_of(&self.shape());
        let planes = Planes { count, input, output: out };
        let window = Window2d { kernel: params.kernel, stride: params.stride, dilation: params.dilation, pad_lo: params.padding, pad_hi: params.padding };
        let shape = pooled_shape(&self.shape(), out);
        let (values, indices) = self.snapshot().max_pool(planes, &window)?;
        let (values, indices) = (Tensor::from_storage(values, &shape)?, Tensor::from_storage(indices, &shape)?);
        let values = record(Op::MaxPool2d, &[self], values, |_, _| smallvec![Some(SavedTensor::input(&indices))]);
        Ok((values, indices))
    }

    /// `out[p, l] += self[p, i]` at `i = index[p, l]`, into zero planes of `input_shape`.
    pub fn scatter_planes(&self, index: &Tensor, input_shape: &[usize]) -> Result<Tensor> {
        let (count, [h, w]) = planes_of(input_shape);
        let out = match self.device() {
            crate::device::Device::Cpu => {
                let idx = index.to_vec::<i64>()?;
                let buffer = with_float_type!(self.dtype(), "max_pool2d_backward", T => T::into_buffer(with_contiguous::<T, _>(self, |g| scatter_add_planes(g, &idx, count, h * w))??));
                Tensor::from_buffer(buffer, input_shape)?
            }
            // Elsewhere a scatter_add along the flattened planes, which the device has.
            device => {
                let _plain = crate::autograd::mode::no_grad();
                let per_plane = |t: &Tensor| t.reshape(&[count as i64, t.numel().checked_div(count).unwrap_or(0) as i64]);
                let zeros = Tensor::zeros_on(&[count, h * w], self.dtype(), device)?;
                zeros.scatter_add(1, &per_plane(index)?, &per_plane(self)?)?.reshape(&input_shape.iter().map(|&d| d as i64).collect::<Vec<_>>())?
            }
        };
        Ok(record(Op::ScatterPlanes, &[self], out, |_, _| smallvec![Some(SavedTensor::input(index))]))
    }

    /// `out[p, l] = self[p, index[p, l]]`: the adjoint of `scatter_planes`.
    pub fn gather_planes(&self, index: &Tensor) -> Result<Tensor> {
        let (count, [h, w]) = planes_of(&self.shape());
        let out = match self.device() {
            crate::device::Device::Cpu => {
                let idx = index.to_vec::<i64>()?;
                let buffer = with_float_type!(self.dtype(), "gather", T => T::into_buffer(with_contiguous::<T, _>(self, |x| gather_planes(x, &idx, count, h * w))??));
                Tensor::from_buffer(buffer, &index.shape())?
            }
            _ => {
                let _plain = crate::autograd::mode::no_grad();
                let rows = self.reshape(&[count as i64, (h * w) as i64])?;
                let per_plane = index.numel().checked_div(count).unwrap_or(0) as i64;
                rows.gather(1, &index.reshape(&[count as i64, per_plane])?)?.reshape(&index.shape().iter().map(|&d| d as i64).collect::<Vec<_>>())?
            }
        };
        Ok(record(Op::GatherPlanes, &[self], out, |_, _| smallvec![Some(SavedTensor::input(index))]))
    }

    /// Window means (AvgPool2DBackward0).
    pub fn avg_pool2d(&self, params: &PoolParams, count_include_pad: bool, divisor_override: Option<i64>) -> Result<Tensor> {
        check_rank(self, "avg_pool2d")?;
        if divisor_override == Some(0) {
            return Err(Error::runtime("divisor must be not zero"));
        }
        let out = params.check(self)?;
        let avg = AvgPool { params: *params, output: out, count_include_pad, divisor_override };
        let result = {
            let _guard = no_grad();
            avg.forward(self)?
        };
        Ok(record_plain(Op::AvgPool2d(avg), &[self], result))
    }

    /// Means over adaptive windows `[floor(i*H/oh), ceil((i+1)*H/oh))` (AdaptiveAvgPool2DBackward0).
    pub fn adaptive_avg_pool2d(&self, output_size: [usize; 2]) -> Result<Tensor> {
        check_rank(self, "adaptive_avg_pool2d")?;
        let (_, input) = planes_of(&self.shape());
        if !self.dtype().is_floating_point() {
            return Err(Error::NotImplementedForDType { op: "adaptive_avg_pool2d", dtype: self.dtype() });
        }
        let result = {
            let _guard = no_grad();
            let (ah, aw) = (averaging_matrix(input[0], output_size[0], self.dtype())?, averaging_matrix(input[1], output_size[1], self.dtype())?);
            ah.matmul(self)?.matmul(&aw.t()?)?
        };
        Ok(record_plain(Op::AdaptiveAvgPool2d { output: output_size }, &[self], result))
    }
}

/// Average pooling's geometry, kept by its node to rebuild the divisors in backward.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct AvgPool {
    params: PoolParams,
    output: [usize; 2],
    count_include_pad: bool,
    divisor_override: Option<i64>,
}

impl AvgPool {
    /// One window size per output position along dim `d`, as PyTorch counts it.
    fn counts(&self, len: usize, d: usize) -> Vec<f64> {
        let (k, s, p) = (self.params.kernel[d] as i64, self.params.stride[d] as i64, self.params.padding[d] as i64);
        (0..self.output[d] as i64)
            .map(|o| {
                let start = o * s - p;
                let end = (start + k).min(len as i64 + p);
                if self.count_include_pad {
                    (end - start) as f64
                } else {
                    (end.min(len as i64) - start.max(0)) as f64
                }
            })
            .collect()
    }

    /// `1 / divisor` for every output position, shape `(oh * ow)`.
    fn inverse_divisors(&self, input: [usize; 2], dtype: DType) -> Result<Tensor> {
        let (ch, cw) = (self.counts(input[0], 0), self.counts(input[1], 1));
        let values: Vec<f64> = ch
            .iter()
            .flat_map(|&a| cw.iter().map(move |&b| self.divisor_override.map_or(1.0 / (a * b), |d| 1.0 / d as f64)))
            .collect();
        Tensor::from_vec(values, &[self.output[0] * self.output[1]])?.cast(dtype)
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (count, input) = planes_of(&x.shape());
        let window = self.params.window(input, self.output);
        let cols = x.reshape(&[count as i64, 1, input[0] as i64, input[1] as i64])?.im2col(window)?;
        let sums = cols.sum_dims(&[1], false)?;
        sums.mul(&self.inverse_divisors(input, x.dtype())?)?.reshape(&dims_i64(&pooled_shape(&x.shape(), self.output)))
    }

    /// Each window's gradient spread evenly over it: col2im of g / divisor.
    fn backward(&self, g: &Tensor, input_shape: &[usize]) -> Result<Tensor> {
        let (count, input) = planes_of(input_shape);
        let window = self.params.window(input, self.output);
        let l = self.output[0] * self.output[1];
        let scaled = g.reshape(&[count as i64, 1, l as i64])?.mul(&self.inverse_divisors(input, g.dtype())?)?;
        let cols = scaled.expand(&[count, window.kernel_len(), l])?;
        cols.col2im(input, window)?.reshape(&dims_i64(input_shape))
    }
}

/// `(out, len)` matrix whose row `i` averages PyTorch's adaptive window `i`.
fn averaging_matrix(len: usize, out: usize, dtype: DType) -> Result<Tensor> {
    // A countable `out * len` also bounds every `(i + 1) * len` below.
    let mut m = crate::storage::filled_vec(crate::layout::numel(&[out, len])?, 0.0f64)?;
    for i in 0..out {
        let start = i * len / out;
        let end = ((i + 1) * len).div_ceil(out);
        let share = 1.0 / (end - start).max(1) as f64;
        m[i * len + start..i * len + end].fill(share);
    }
    Tensor::from_vec(m, &[out, len])?.cast(dtype)
}

pub(super) fn max_pool2d_backward(ctx: &BackwardCtx) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().scatter_planes(ctx.saved(0)?, &ctx.inputs[0].shape))?])
}

pub(super) fn scatter_planes_backward(ctx: &BackwardCtx) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().contiguous()?.gather_planes(ctx.saved(0)?))?])
}

pub(super) fn gather_planes_backward(ctx: &BackwardCtx) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().scatter_planes(ctx.saved(0)?, &ctx.inputs[0].shape))?])
}

pub(super) fn avg_pool2d_backward(ctx: &BackwardCtx, avg: &AvgPool) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || avg.backward(ctx.grad(), &ctx.inputs[0].shape))?])
}

/// d(A_h x A_wᵀ) = A_hᵀ g A_w.
pub(super) fn adaptive_avg_pool2d_backward(ctx: &BackwardCtx, output: [usize; 2]) -> Result<Grads> {
    let g = ctx.grad();
    Ok(smallvec![ctx.grad_for(0, || {
        let (_, input) = planes_of(&ctx.inputs[0].shape);
        let (ah, aw) = (averaging_matrix(input[0], output[0], g.dtype())?, averaging_matrix(input[1], output[1], g.dtype())?);
        ah.t()?.matmul(g)?.matmul(&aw)
    })?])
}
