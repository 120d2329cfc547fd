//! Constant padding of the last dims (negative amounts crop). Its adjoint is
//! the same op with the amounts negated, so the backward is differentiable.

use super::{record_plain, BackwardCtx, Grads, Op};
use crate::dtype::Scalar;
use crate::error::{Error, Result};
use crate::kernels::elementwise::zip_assign;
use crate::layout::{Layout, Shape};
use crate::tensor::Tensor;
use crate::with_any_type;
use smallvec::{smallvec, SmallVec};

/// Pad amounts as PyTorch lists them: (before, after) pairs from the last dim backwards.
pub type PadAmounts = SmallVec<[i64; 8]>;

impl Tensor {
    /// `constant_pad_nd` (ConstantPadNdBackward0).
    pub fn constant_pad_nd(&self, pad: &[i64], value: Scalar) -> Result<Tensor> {
        if pad.len() % 2 != 0 {
            return Err(Error::runtime("Padding length must be divisible by 2"));
        }
        if pad.len() / 2 > self.ndim() {
            return Err(Error::CountMismatch { expected: "Padding length should be less than or equal to two times the input dimension but got padding length ", lhs: pad.len(), sep: " and input of dimension ", rhs: self.ndim(), tail: "" });
        }
        let nd = self.ndim();
        let mut out_shape: Shape = self.shape().into();
        for (i, pair) in pad.chunks(2).enumerate() {
            let d = nd - 1 - i;
            let Some(size) = (self.shape()[d] as i64).checked_add(pair[0]).and_then(|s| s.checked_add(pair[1])) else {
                // PyTorch's sum wraps negative here and reports it so.
                return Err(Error::NegativePaddedSize { size: self.shape()[d], lo: pair[0], hi: pair[1], dim: d });
            };
            if size < 0 {
                return Err(Error::runtime("narrow(): length must be non-negative."));
            }
            out_shape[d] = size as usize;
        }
        let out = Tensor::full(&out_shape, value, self.dtype())?;
        if let Some((src, dst)) = overlap(self, &out, pad)? {
            with_any_type!(self.dtype(), T => zip_assign::<T>(&out.view_with_layout(dst)?.snapshot(), &self.view_with_layout(src)?.snapshot(), |_, s| s)?);
        }
        Ok(record_plain(Op::ConstantPadNd(pad.into()), &[self], out))
    }
}

/// The layouts of the region the input and the padded output share, or `None` when empty.
fn overlap(input: &Tensor, out: &Tensor, pad: &[i64]) -> Result<Option<(Layout, Layout)>> {
    let nd = input.ndim();
    let (li, lo) = (input.layout(), out.layout());
    let (mut offset_in, mut offset_out) = (li.offset() as isize, lo.offset() as isize);
    let mut shape: Shape = input.shape().into();
    for (i, pair) in pad.chunks(2).enumerate() {
        let d = nd - 1 - i;
        let (start_in, start_out) = ((-pair[0]).max(0), pair[0].max(0));
        let len = (input.shape()[d] as i64 - start_in).min(out.shape()[d] as i64 - start_out);
        if len <= 0 {
            return Ok(None);
        }
        shape[d] = len as usize;
        offset_in += start_in as isize * li.strides()[d];
        offset_out += start_out as isize * lo.strides()[d];
    }
    if shape.contains(&0) {
        return Ok(None);
    }
    Ok(Some((Layout::new(shape.clone(), li.strides().into(), offset_in as usize)?, Layout::new(shape, lo.strides().into(), offset_out as usize)?)))
}

/// The gradient is the padded gradient cropped back (amounts negated).
pub(super) fn constant_pad_nd_backward(ctx: &BackwardCtx, pad: &[i64]) -> Result<Grads> {
    let negated: PadAmounts = pad.iter().map(|&p| -p).collect();
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().constant_pad_nd(&negated, Scalar::Int(0)))?])
}
