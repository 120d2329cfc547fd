//! In-place updates. PyTorch's rules: a leaf that requires grad may only be
//! changed under no_grad; a non-leaf changed in place takes the op as its new
//! grad_fn; every change bumps the storage version so stale saved tensors are
//! caught at backward time.

mod math;

use super::{record_plain, should_record, BackwardCtx, Grads, Op};
use crate::dtype::Scalar;
use crate::error::{Error, Result, ShapeList};
use super::binary::{promotion_input_of, Arith};
use crate::kernels::elementwise::{fill_into, write_into};
use crate::storage::Element;
use crate::kernels::named;
use crate::layout::broadcast_shapes;
use crate::tensor::Tensor;
use crate::with_any_type;
use smallvec::smallvec;

impl Tensor {
    /// In-place ops that compute from the old values: several positions
    /// sharing one element would make the result depend on write order.
    fn check_inplace(&self, other: &Tensor) -> Result<()> {
        self.check_inplace_target(&[other], true)
    }

    /// Writes `values` (same shape, any dtype) into this tensor's storage.
    fn overwrite(&self, values: &Tensor) -> Result<()> {
        let values = values.cast(self.dtype())?;
        let source = values.snapshot();
        let target = self.snapshot();
        let on_device = target.device() != crate::device::Device::Cpu && source.device() == target.device();
        if on_device && crate::backend::wgpu::computes(self.dtype()) && !source.storage().same(target.storage()) {
            // A copy kernel on the device: nothing is read back.
            target.binary_assign(&named::Overwrite, &source)?;
            drop(target);
            self.bump_version();
            return Ok(());
        }
        drop(target);
        with_any_type!(self.dtype(), T => {
            // A contiguous source is written from its own buffer, without a copy.
            let range = source.layout().contiguous_range().filter(|r| r.len() == source.numel());
            match range {
                Some(range) if !source.storage().same(self.snapshot().storage()) => {
                    let buffer = source.storage().read()?;
                    let data = T::slice(&buffer).ok_or(Error::DTypeMismatch { op: "copy_", lhs: source.dtype(), rhs: T::DTYPE })?;
                    write_into::<T>(&self.snapshot(), &data[range])?
                }
                _ => write_into::<T>(&self.snapshot(), &values.to_vec::<T>()?)?,
            }
        });
        self.bump_version();
        Ok(())
    }

    /// Runs `op(self, other)` out of place, then stores the result into self
    /// and, if it was recorded, adopts its history.
    pub(crate) fn update_with(&self, other: &Tensor, saves_self: bool, op: impl FnOnce(&Tensor, &Tensor) -> Result<Tensor>) -> Result<()> {
        self.check_inplace(other)?;
        // Ops that save `self` for backward must see its value before the write.
        let before = if saves_self && should_record(&[self, other]) { self.clone_tensor()? } else { self.clone() };
        let result = op(&before, other)?;
        let target = broadcast_shapes(&self.shape(), &result.shape())?;
        if target.as_slice() != self.shape() || result.shape() != self.shape() {
            return Err(Error::OutputShapeMismatch { output: ShapeList(self.shape().to_vec()), broadcast: ShapeList(target.to_vec()) });
        }
        if result.dtype().category() > self.dtype().category() {
            return Err(Error::CastInPlace { from: result.dtype(), to: self.dtype() });
        }
        self.overwrite(&result)?;
        if let Some(node) = result.grad_fn() {
            self.rebase_history(node, result.output_nr())?;
        }
        Ok(())
    }

    /// Updates a float tensor in place with no temporary, when nothing is
    /// recorded and no dtype or shape change is involved. Returns false when
    /// the general path must run instead.
    fn try_update_in_place(&self, other: &Tensor, kind: Arith) -> Result<bool> {
        let (target, source) = (self.snapshot(), other.snapshot());
        let dtype = target.dtype();
        // Half tensors take the general path, which computes in float32.
        let plain = !should_record(&[self, other]) && dtype.is_floating_point() && !dtype.is_half() && !target.storage().same(source.storage());
        if !plain || kind == Arith::Pow {
            return Ok(false);
        }
        let promoted = crate::dtype::result_type(&[promotion_input_of(self, &target), promotion_input_of(other, &source)]);
        if promoted != dtype || broadcast_shapes(target.shape(), source.shape())?.as_slice() != target.shape() {
            return Ok(false);
        }
        self.check_inplace(other)?;
        let cast;
        let source = if source.dtype() == dtype { source } else { cast = other.cast(dtype)?; cast.snapshot() };
        match kind {
            Arith::Add => target.binary_assign(&named::Add, &source)?,
            Arith::Sub => target.binary_assign(&named::Sub, &source)?,
            Arith::Mul => target.binary_assign(&named::Mul, &source)?,
            Arith::Div => target.binary_assign(&named::Div, &source)?,
            Arith::Pow => return Ok(false),
        }
        self.bump_version();
        Ok(true)
    }

    /// `self += other` for gradient buffers the engine owns: same shape and
    /// dtype, nothing recorded, no checks beyond those.
    pub(crate) fn accumulate_(&self, other: &Tensor) -> Result<()> {
        let (target, source) = (self.snapshot(), other.snapshot());
        let dtype = target.dtype();
        if target.shape() != source.shape() || dtype != source.dtype() || target.storage().same(source.storage()) || !dtype.is_floating_point() || dtype.is_half() {
            drop((target, source));
            let _plain = crate::autograd::mode::no_grad();
            return self.add_(other);
        }
        target.binary_assign(&named::Add, &source)?;
        self.bump_version();
        Ok(())
    }

    pub fn add_(&self, other: &Tensor) -> Result<()> {
        if self.try_update_in_place(other, Arith::Add)? {
            return Ok(());
        }
        self.update_with(other, false, |a, b| a.add(b))
    }
    pub fn sub_(&self, other: &Tensor) -> Result<()> {
        if self.try_update_in_place(other, Arith::Sub)? {
            return Ok(());
        }
        self.update_with(other, false, |a, b| a.sub(b))
    }
    /// `self += alpha * other` (`add_`'s `alpha=`).
    pub fn add_scaled_(&self, other: &Tensor, alpha: Option<Scalar>) -> Result<()> {
        self.add_(&other.scaled_by(alpha)?)
    }
    /// `self -= alpha * other` (`sub_`'s `alpha=`).
    pub fn sub_scaled_(&self, other: &Tensor, alpha: Option<Scalar>) -> Result<()> {
        self.sub_(&other.scaled_by(alpha)?)
    }
    pub fn mul_(&self, other: &Tensor) -> Result<()> {
        if self.try_update_in_place(other, Arith::Mul)? {
            return Ok(());
        }
        self.update_with(other, true, |a, b| a.mul(b))
    }
    pub fn div_(&self, other: &Tensor) -> Result<()> {
        if self.try_update_in_place(other, Arith::Div)? {
            return Ok(());
        }
        self.update_with(other, true, |a, b| a.div(b))
    }

    /// Sets every element to `value` (FillBackward0: the old values get no gradient).
    pub fn fill_(&self, value: Scalar) -> Result<()> {
        self.fill_named(value, Op::Fill)
    }

    pub fn zero_(&self) -> Result<()> {
        self.fill_named(Scalar::Int(0), Op::Zero)
    }

    fn fill_named(&self, value: Scalar, op: Op) -> Result<()> {
        self.dtype().check_fits(value, true)?;
        // Filling writes one value everywhere, so a broadcast layout is fine.
        self.check_inplace_target(&[], false)?;
        if !should_record(&[self]) && self.device() == crate::device::Device::Cpu {
            // The common `grad.zero_()`: one pass over the storage, no temporary.
            with_any_type!(self.dtype(), T => fill_into::<T>(&self.snapshot(), T::from_scalar(value))?);
            self.bump_version();
            return Ok(());
        }
        if !should_record(&[self]) && matches!(self.device(), crate::device::Device::Wgpu(_)) && crate::backend::wgpu::computes(self.dtype()) {
            // `grad.zero_()` on the device: one kernel, no read back.
            crate::backend::wgpu::fill(&self.snapshot(), value.to_f64())?;
            self.bump_version();
            return Ok(());
        }
        let filled = Tensor::full(&self.shape(), value, self.dtype())?;
        self.overwrite(&filled)?;
        if should_record(&[self]) {
            let result = record_plain(op, &[self], filled);
            if let Some(node) = result.grad_fn() {
                self.rebase_history(node, 0)?;
            }
        }
        Ok(())
    }

    /// Copies `src` (broadcast to this shape, cast to this dtype) into self.
    pub fn copy_(&self, src: &Tensor) -> Result<()> {
        self.check_inplace(src)?;
        let expanded = src.expand(&self.shape())?;
        self.overwrite(&expanded)?;
        if should_record(&[self, src]) {
            let result = record_plain(Op::Copy, &[self, src], self.detach());
            if let Some(node) = result.grad_fn() {
                self.rebase_history(node, 0)?;
            }
        }
        Ok(())
    }
}

/// The overwritten values get no gradient.
pub(super) fn fill_backward(ctx: &BackwardCtx) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().mul_scalar(Scalar::Int(0)))?])
}

/// The old value of self gets zero; the source gets the gradient (summed to its shape by the engine).
pub(super) fn copy_backward(ctx: &BackwardCtx) -> Result<Grads> {
    let g = ctx.grad();
    Ok(smallvec![ctx.grad_for(0, || g.mul_scalar(Scalar::Int(0)))?, ctx.needs(1).then(|| g.clone())])
}
