//! Convolution as im2col + batched GEMM. `im2col` (F.unfold) and `col2im`
//! (F.fold) are differentiable ops that are each other's adjoint, so the
//! convolution's backward, written with them and matmul, is itself
//! differentiable (double backward). The forward runs the same tensor ops
//! without recording and records one ConvolutionBackward0 node.

use super::{record, record_plain, BackwardCtx, Grads, Op};
use crate::autograd::mode::no_grad;
use crate::autograd::saved::SavedTensor;
use crate::error::{Error, Result, ShapeList, SlidingBlocks};
use crate::kernels::window::{Planes, Window2d};
use crate::storage::Element;
use crate::tensor::Tensor;
use smallvec::smallvec;

/// Runs `f` on `x`'s elements in row-major order, copying only when `x` is not contiguous.
pub(crate) fn with_contiguous<T: Element, R>(x: &Tensor, f: impl FnOnce(&[T]) -> R) -> Result<R> {
    let x = x.contiguous()?;
    let x_data = x.snapshot();
    let buffer = x_data.storage().read()?;
    let data = T::slice(&buffer).ok_or(Error::DTypeMismatch { op: "kernel", lhs: x_data.dtype(), rhs: T::DTYPE })?;
    let range = x_data.layout().contiguous_range().ok_or_else(|| Error::runtime("expected a contiguous tensor"))?;
    Ok(f(&data[range]))
}

fn dims_i64(dims: &[usize]) -> Vec<i64> {
    dims.iter().map(|&d| d as i64).collect()
}

/// Convolution hyper-parameters over one or two spatial dims (1-D convolutions
/// run as 2-D ones over a height of 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvParams {
    pub stride: Vec<usize>,
    pub padding_lo: Vec<usize>,
    pub padding_hi: Vec<usize>,
    pub dilation: Vec<usize>,
    pub groups: usize,
}

impl ConvParams {
    fn spatial(&self) -> usize {
        self.stride.len()
    }

    /// PyTorch's parameter checks (ferrograd runs 1-D and 2-D convolutions):
    /// one value per spatial dim, positive strides, dilations and groups.
    fn check(&self) -> Result<()> {
        let spatial = self.spatial();
        if !(1..=2).contains(&spatial) {
            return Err(Error::NotImplemented(format!("only 1-D and 2-D convolutions are supported, but got {spatial} spatial dims")));
        }
        let lists = [(&self.stride, "stride"), (&self.padding_lo, "padding"), (&self.padding_hi, "padding"), (&self.dilation, "dilation")];
        if let Some((values, label)) = lists.iter().find(|(values, _)| values.len() != spatial) {
            return Err(Error::ConvParamLength { label, spatial, values: ShapeList(values.to_vec()) });
        }
        if self.stride.contains(&0) {
            return Err(Error::runtime("non-positive stride is not supported"));
        }
        if self.dilation.contains(&0) {
            return Err(Error::runtime("dilation should be greater than zero"));
        }
        if self.groups == 0 {
            return Err(Error::runtime("non-positive groups is not supported"));
        }
        Ok(())
    }

    /// The 2-D window for a kernel of these spatial extents.
    fn window(&self, kernel: &[usize]) -> Window2d {
        let two = |v: &[usize], fill: usize| if v.len() == 1 { [fill, v[0]] } else { [v[0], v[1]] };
        Window2d {
            kernel: two(kernel, 1),
            stride: two(&self.stride, 1),
            dilation: two(&self.dilation, 1),
            pad_lo: two(&self.padding_lo, 0),
            pad_hi: two(&self.padding_hi, 0),
        }
    }
}

impl Tensor {
    /// `(B, C, H, W)` -> `(B, C*kh*kw, L)`, one column per window; an unbatched
    /// `(C, H, W)` gives `(C*kh*kw, L)` (Im2ColBackward0).
    pub fn im2col(&self, window: Window2d) -> Result<Tensor> {
        window.check("im2col")?;
        if !matches!(self.ndim(), 3 | 4) {
            return Err(Error::InputShape {
                expected: "Expected 3D or 4D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for input, but got: ",
                got: ShapeList(self.shape().to_vec()),
            });
        }
        let batched = self.ndim() == 4;
        let s = self.shape();
        let (b, c, h, w) = if batched { (s[0], s[1], s[2], s[3]) } else { (1, s[0], s[1], s[2]) };
        let out = match (window.positions(h, 0), window.positions(w, 1)) {
            (Some(oh), Some(ow)) if oh > 0 && ow > 0 => [oh, ow],
            _ => {
                return Err(Error::UnfoldNoBlocks { h, w, window: sliding_blocks(&window, h, w) })
            }
        };
        // The result's size must be countable before the kernel sizes its buffer.
        crate::layout::numel(&[b, c, window.kernel_len(), out[0], out[1]])?;
        let planes = Planes { count: b * c, input: [h, w], output: out };
        let shape = [b, c * window.kernel_len(), out[0] * out[1]];
        let cols = Tensor::from_storage(self.snapshot().im2col(planes, &window)?, &shape[!batched as usize..])?;
        Ok(record_plain(Op::Im2Col { window, input: [h, w] }, &[self], cols))
    }

    /// `(B, C*kh*kw, L)` -> `(B, C, H, W)`, summing overlapping windows; an
    /// unbatched `(C*kh*kw, L)` gives `(C, H, W)` (Col2ImBackward0).
    pub fn col2im(&self, output_size: [usize; 2], window: Window2d) -> Result<Tensor> {
        window.check("col2im")?;
        if !matches!(self.ndim(), 2 | 3) {
            return Err(Error::InputShape {
                expected: "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for input, but got: ",
                got: ShapeList(self.shape().to_vec()),
            });
        }
        let batched = self.ndim() == 3;
        let s = self.shape();
        let (b, rows, l) = if batched { (s[0], s[1], s[2]) } else { (1, s[0], s[1]) };
        let k = window.kernel_len();
        if k == 0 || rows % k != 0 {
            return Err(Error::FoldChannels { rows, kernel: window.kernel });
        }
        let [h, w] = output_size;
        let (oh, ow) = (window.positions(h, 0).unwrap_or(0), window.positions(w, 1).unwrap_or(0));
        if oh.checked_mul(ow) != Some(l) || oh == 0 || ow == 0 {
            return Err(Error::FoldBlocks { h, w, window: sliding_blocks(&window, h, w), got: l });
        }
        let c = rows / k;
        crate::layout::numel(&[b, c, h, w])?;
        let planes = Planes { count: b * c, input: [h, w], output: [oh, ow] };
        let image = Tensor::from_storage(self.snapshot().col2im(planes, &window)?, &[b, c, h, w][!batched as usize..])?;
        Ok(record_plain(Op::Col2Im { window, output: [h, w] }, &[self], image))
    }

    /// PyTorch's `convolution` for 1-D (3-D input) and 2-D (4-D input) cases,
    /// checking parameters, ranks and shapes as PyTorch does (ConvolutionBackward0).
    pub fn convolution(&self, weight: &Tensor, bias: Option<&Tensor>, params: &ConvParams) -> Result<Tensor> {
        check_convolution(self, weight, bias, params)?;
        let out = {
            let _guard = no_grad();
            let mut y = conv_forward(self, weight, params)?;
            if let Some(b) = bias {
                let mut shape = vec![-1i64];
                shape.extend(std::iter::repeat_n(1, params.spatial()));
                y = y.add(&b.view(&shape)?)?;
            }
            y
        };
        let mut inputs = vec![self, weight];
        inputs.extend(bias);
        Ok(record(Op::Convolution(Box::new(params.clone())), &inputs, out, |needs, _| {
            smallvec![needs[1].then(|| SavedTensor::input(self)), needs[0].then(|| SavedTensor::input(weight))]
        }))
    }
}

/// The number of window positions as PyTorch reports it in errors (may be <= 0).
/// The window and its block counts over an `h` x `w` input, for an error.
fn sliding_blocks(window: &Window2d, h: usize, w: usize) -> Box<SlidingBlocks> {
    Box::new(SlidingBlocks {
        kernel: window.kernel,
        dilation: window.dilation,
        padding: window.pad_lo,
        stride: window.stride,
        blocks: [signed_positions(window, h, 0), signed_positions(window, w, 1)],
    })
}

fn signed_positions(w: &Window2d, len: usize, d: usize) -> i64 {
    let padded = len as i128 + w.pad_lo[d] as i128 + w.pad_hi[d] as i128;
    let positions = (padded - w.span(d) as i128).div_euclid(w.stride[d].max(1) as i128) + 1;
    positions.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

fn check_convolution(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>, params: &ConvParams) -> Result<()> {
    params.check()?;
    let spatial = params.spatial();
    if x.dtype() != weight.dtype() || bias.is_some_and(|b| b.dtype() != x.dtype()) {
        let other = if x.dtype() != weight.dtype() { weight.dtype() } else { bias.map(|b| b.dtype()).unwrap_or(x.dtype()) };
        return Err(Error::ScalarTypeMismatch { expected: x.dtype(), found: other });
    }
    if weight.ndim() != spatial + 2 || x.ndim() != spatial + 2 {
        return Err(Error::ConvInputNdim { weight: ShapeList(weight.shape().to_vec()), input: ShapeList(x.shape().to_vec()) });
    }
    let groups = params.groups;
    let (out_ch, in_per_group) = (weight.shape()[0], weight.shape()[1]);
    if out_ch % groups != 0 {
        return Err(Error::ConvWeightGroups { groups, weight: ShapeList(weight.shape().to_vec()) });
    }
    if x.shape()[1] != in_per_group * groups {
        return Err(Error::ConvInputChannels { groups, weight: ShapeList(weight.shape().to_vec()), input: ShapeList(x.shape().to_vec()), expected: in_per_group * groups, got: x.shape()[1] });
    }
    if let Some(b) = bias {
        if b.ndim() != 1 || b.shape()[0] != out_ch {
            return Err(Error::ConvBiasShape { weight: ShapeList(weight.shape().to_vec()), out_channels: out_ch, bias: ShapeList(b.shape().to_vec()) });
        }
    }
    let kernel = &weight.shape()[2..];
    let window = params.window(kernel);
    let input = &x.shape()[2..];
    let offset = 2 - spatial;
    let too_small = (0..spatial).any(|d| window.positions(input[d], d + offset).is_none_or(|p| p == 0));
    if too_small {
        let padded: Vec<u128> = (0..spatial).map(|d| input[d] as u128 + params.padding_lo[d] as u128 + params.padding_hi[d] as u128).collect();
        let dilated: Vec<usize> = (0..spatial).map(|d| window.span(d + offset)).collect();
        return Err(Error::KernelLargerThanInput { padded, kernel: dilated });
    }
    Ok(())
}

/// The convolution in tensor ops: `W_g @ im2col(x)_g` per group.
fn conv_forward(x: &Tensor, weight: &Tensor, params: &ConvParams) -> Result<Tensor> {
    let (x4, w4) = (as_planar(x)?, as_planar(weight)?);
    let window = params.window(&weight.shape()[2..]);
    let (n, groups, out_ch) = (x.shape()[0], params.groups as i64, weight.shape()[0] as i64);
    let cols = x4.im2col(window)?;
    let (rows, l) = (cols.shape()[1] as i64, cols.shape()[2] as i64);
    let cols = cols.view(&[n as i64, groups, rows / groups, l])?;
    let wg = w4.reshape(&[groups, out_ch / groups, rows / groups])?;
    let y = wg.matmul(&cols)?;
    let mut shape = vec![n as i64, out_ch];
    shape.extend(output_spatial(x, &window, params.spatial()));
    y.reshape(&shape)
}

fn output_spatial(x: &Tensor, window: &Window2d, spatial: usize) -> Vec<i64> {
    let [h, w] = planar_hw(&x.shape());
    let (oh, ow) = (window.positions(h, 0).unwrap_or(0) as i64, window.positions(w, 1).unwrap_or(0) as i64);
    if spatial == 1 {
        vec![ow]
    } else {
        vec![oh, ow]
    }
}

/// A 1-D tensor `(N, C, W)` as `(N, C, 1, W)`; 2-D ones unchanged.
fn as_planar(t: &Tensor) -> Result<Tensor> {
    if t.ndim() == 3 {
        t.unsqueeze(2)
    } else {
        Ok(t.clone())
    }
}

fn planar_hw(shape: &[usize]) -> [usize; 2] {
    match shape.len() {
        3 => [1, shape[2]],
        _ => [shape[2], shape[3]],
    }
}

/// Convolution's gradients, in recorded tensor ops (so create_graph works):
/// input: col2im(W_gᵀ @ g_g); weight: Σ_batch g_g @ cols_gᵀ; bias: Σ g.
pub(super) fn convolution_backward(ctx: &BackwardCtx, params: &ConvParams) -> Result<Grads> {
    let g = ctx.grad();
    let (x_shape, w_shape) = (&ctx.inputs[0].shape, &ctx.inputs[1].shape);
    let window = params.window(&w_shape[2..]);
    let (n, groups, out_ch) = (x_shape[0] as i64, params.groups as i64, w_shape[0] as i64);
    let rows = (x_shape[1] * window.kernel_len()) as i64;
    let l = g.numel() as i64 / (n * out_ch).max(1);
    let g4 = g.reshape(&[n, groups, out_ch / groups, l])?;
    let dx = ctx.grad_for(0, || {
        let wg = as_planar(ctx.saved(1)?)?.reshape(&[groups, out_ch / groups, rows / groups])?;
        let cols = wg.transpose(-1, -2)?.matmul(&g4)?.reshape(&[n, rows, l])?;
        cols.col2im(planar_hw(x_shape), window)?.reshape(&dims_i64(x_shape))
    })?;
    let dw = ctx.grad_for(1, || {
        let cols = as_planar(ctx.saved(0)?)?.im2col(window)?.view(&[n, groups, rows / groups, l])?;
        g4.matmul(&cols.transpose(-1, -2)?)?.sum_dims(&[0], false)?.reshape(&dims_i64(w_shape))
    })?;
    let mut grads: Grads = smallvec![dx, dw];
    if ctx.inputs.len() > 2 {
        let spatial: Vec<i64> = (0..x_shape.len() as i64).filter(|&d| d != 1).collect();
        grads.push(ctx.grad_for(2, || g.sum_dims(&spatial, false))?);
    }
    Ok(grads)
}

pub(super) fn im2col_backward(ctx: &BackwardCtx, window: Window2d, input: [usize; 2]) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().col2im(input, window))?])
}

pub(super) fn col2im_backward(ctx: &BackwardCtx, window: Window2d) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().im2col(window))?])
}
