//! Autograd through views written in place (PyTorch's CopySlices).
//!
//! A view shares storage with its base, so an in-place op on the view also
//! changes the base. The op's node is recorded as usual, then rewrapped as a
//! `CopySlices` node on the base: its backward takes the base's gradient,
//! runs the op's formula on the part the view covers, and writes the result
//! back into that part. The view's own history becomes `AsStrided` of the
//! base's new history. Other views of the same storage notice the version
//! change and regenerate their history the same way on next use.
//!
//! Positions are expressed in the base's logical (row-major) element order,
//! so the gradient, which is always laid out contiguously, can be cut by the
//! same geometry. Bases that are not contiguous (rare: `detach()` of a
//! transposed view) keep their old view history and refuse recorded writes.

use super::{BackwardCtx, Grads, Op, Saved};
use crate::autograd::graph::{create_node, with_node, InputMeta, NodeRef};
use crate::autograd::mode::is_grad_enabled;
use crate::error::{Error, Result};
use crate::kernels::elementwise::zip_assign;
use crate::layout::{Layout, Shape, Strides};
use crate::tensor::{Tensor, ViewBase};
use crate::{with_any_type, with_float_type};
use smallvec::{smallvec, SmallVec};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Where a view sits inside its base: sizes, strides and offset in the
/// base's contiguous element order.
#[derive(Debug, Clone, PartialEq)]
pub struct Geometry {
    shape: Shape,
    strides: Strides,
    offset: usize,
}

impl Geometry {
    /// The geometry of `view` inside `base`, when `base` is contiguous.
    fn of(view: &Tensor, base: &Tensor) -> Option<Geometry> {
        let (vl, bl) = (view.layout(), base.layout());
        if !bl.is_contiguous() || vl.offset() < bl.offset() {
            return None;
        }
        Some(Geometry { shape: vl.shape().into(), strides: vl.strides().into(), offset: vl.offset() - bl.offset() })
    }

    fn layout_at(&self, start: usize) -> Result<Layout> {
        Layout::new(self.shape.clone(), self.strides.clone(), start + self.offset)
    }

    /// Several positions name the same element (a broadcast dim).
    fn overlaps(&self) -> bool {
        has_internal_overlap(&self.shape, &self.strides)
    }
}

/// PyTorch's cheap overlap test: a dim of stride 0 and size above 1.
pub(crate) fn has_internal_overlap(shape: &[usize], strides: &[isize]) -> bool {
    shape.iter().zip(strides).any(|(&n, &s)| n > 1 && s == 0)
}

/// `src` written (or added) into a copy of `dst` at `geometry`.
fn scatter_strided(dst: &Tensor, src: &Tensor, geometry: &Geometry, accumulate: bool) -> Result<Tensor> {
    let out = dst.plain_copy()?;
    let target = out.view_with_layout(geometry.layout_at(0)?)?;
    let src = src.cast(out.dtype())?;
    if accumulate {
        with_float_type!(out.dtype(), "as_strided_backward", T => zip_assign::<T>(&target.snapshot(), &src.snapshot(), |a, v| a + v)?);
    } else {
        with_any_type!(out.dtype(), T => zip_assign::<T>(&target.snapshot(), &src.snapshot(), |_, v| v)?);
    }
    Ok(out)
}

impl Tensor {
    /// The part of this base-shaped tensor at `geometry`, as a copy (AsStridedBackward0).
    pub(crate) fn as_strided_part(&self, geometry: &Arc<Geometry>) -> Result<Tensor> {
        let contiguous = if self.is_contiguous() { self.clone() } else { self.plain_copy()? };
        let part = contiguous.view_with_layout(geometry.layout_at(contiguous.layout().offset())?)?.plain_copy()?;
        Ok(super::record_plain(Op::AsStrided(geometry.clone()), &[self], part))
    }

    /// A copy of this base-shaped tensor with `src` written at `geometry` (AsStridedScatterBackward0).
    pub(crate) fn as_strided_scatter(&self, src: &Tensor, geometry: &Arc<Geometry>) -> Result<Tensor> {
        let out = scatter_strided(self, src, geometry, false)?;
        Ok(super::record_plain(Op::AsStridedScatter(geometry.clone()), &[self, src], out))
    }
}

/// Adjoint of taking a part: the gradient placed at the part, zeros elsewhere
/// (summed where the part names an element more than once).
pub(super) fn as_strided_backward(ctx: &BackwardCtx, geometry: &Arc<Geometry>) -> Result<Grads> {
    let zeros = Tensor::zeros_on(&ctx.inputs[0].shape, ctx.grad().dtype(), ctx.grad().device())?;
    let grad = if !ctx.create_graph {
        scatter_strided(&zeros, ctx.grad(), geometry, true)?
    } else if geometry.overlaps() {
        return Err(Error::NotImplemented("double backward through a broadcast view changed in place".into()));
    } else {
        zeros.as_strided_scatter(ctx.grad(), geometry)?
    };
    Ok(smallvec![Some(grad)])
}

/// The base's gradient loses the overwritten part; the source gets that part.
pub(super) fn as_strided_scatter_backward(ctx: &BackwardCtx, geometry: &Arc<Geometry>) -> Result<Grads> {
    let g = ctx.grad();
    let to_base = ctx.grad_for(0, || g.as_strided_scatter(&Tensor::zeros_on(&geometry.shape, g.dtype(), g.device())?, geometry))?;
    let to_src = ctx.grad_for(1, || g.as_strided_part(geometry))?;
    Ok(smallvec![to_base, to_src])
}

// ---- CopySlices --------------------------------------------------------------------

/// An in-place op applied to a view, recorded on the view's base.
#[derive(Debug)]
pub struct CopySlices {
    geometry: Arc<Geometry>,
    /// The in-place op's own formula and what it knew of the view's old value.
    op: Op,
    view_meta: InputMeta,
    /// The op saved its own result: that tensor belongs to the op's node,
    /// which this node replaced, so it cannot be differentiated again.
    saves_output: bool,
}

/// Runs the op's formula on the view's part of the base gradient; the part
/// of the base's old value under the view gets what the op gives its self input.
pub(super) fn copy_slices_backward(ctx: &BackwardCtx, spec: &CopySlices) -> Result<Grads> {
    if ctx.create_graph && spec.saves_output {
        return Err(Error::NotImplemented(format!("double backward of {} applied in place to a view", spec.op.name())));
    }
    let g = ctx.grad();
    let part = g.as_strided_part(&spec.geometry)?;
    let mut needs: SmallVec<[bool; 2]> = SmallVec::from_slice(ctx.needs);
    needs[0] = ctx.needs(0);
    let mut inputs: SmallVec<[InputMeta; 2]> = ctx.inputs.iter().cloned().collect();
    inputs[0] = spec.view_meta.clone();
    let grads = [part];
    let inner = BackwardCtx { saved: ctx.saved, grads: &grads, needs: &needs, inputs: &inputs, create_graph: ctx.create_graph };
    let mut out = spec.op.backward(&inner)?;
    if out.is_empty() {
        return Ok(out);
    }
    out[0] = match out[0].take() {
        Some(to_view) if ctx.needs(0) => {
            let to_view = to_view.sum_to_shape(&spec.view_meta.shape)?.cast(g.dtype())?;
            Some(g.as_strided_scatter(&to_view, &spec.geometry)?)
        }
        _ => None,
    };
    Ok(out)
}

// ---- rewriting history -------------------------------------------------------------

impl Tensor {
    /// Refuses, before any data changes, the in-place writes PyTorch refuses:
    /// to a leaf that requires grad (or a view of one) while grad mode is on;
    /// recorded writes through views that cannot carry the history back to
    /// their base; and (with `checks_overlap`) writes through a layout where
    /// several positions share one element. `others` are the op's other inputs.
    pub(crate) fn check_inplace_target(&self, others: &[&Tensor], checks_overlap: bool) -> Result<()> {
        if is_grad_enabled() {
            if self.requires_grad() && self.is_leaf() {
                return Err(Error::LeafInPlace);
            }
            if let Some(view) = self.view_info() {
                if view.base.requires_grad() && view.base.is_leaf() {
                    return Err(Error::ViewOfLeafInPlace);
                }
                if self.requires_grad() || others.iter().any(|t| t.requires_grad()) {
                    check_view_accepts_history(self, view)?;
                }
            }
        }
        if checks_overlap && has_internal_overlap(&self.shape(), self.layout().strides()) {
            return Err(Error::InternalOverlap);
        }
        Ok(())
    }

    /// Makes `node` (an in-place op just applied to self) this tensor's
    /// history; for a view, rewrites it onto the base as CopySlices.
    pub(crate) fn rebase_history(&self, node: NodeRef, output_nr: u32) -> Result<()> {
        let Some(view) = self.view_info() else {
            self.set_history(node, output_nr);
            return Ok(());
        };
        check_view_accepts_history(self, view)?;
        let base = &view.base;
        let geometry = Geometry::of(self, base).ok_or_else(non_contiguous_base)?;
        let (op, saved, meta, next, num_outputs) = with_node(node.id(), |n| (n.op.clone(), n.saved.clone(), n.input_meta.clone(), n.next.clone(), n.num_outputs))?;
        if output_nr != 0 || num_outputs != 1 || matches!(op, Op::Custom(_) | Op::AccumulateGrad(_)) || meta.is_empty() {
            return Err(Error::NotImplemented(format!("{} applied in place to a view", op.name())));
        }
        let saves_output = saved.iter().flatten().any(|s| s.is_output());
        let mut base_next = next;
        base_next[0] = base.gradient_edge();
        let mut base_meta = meta.clone();
        base_meta[0] = InputMeta { shape: base.shape().into(), dtype: base.dtype(), device: base.device() };
        let spec = CopySlices { geometry: Arc::new(geometry), op, view_meta: meta[0].clone(), saves_output };
        let saved: Saved = saved;
        let copy_slices = create_node(Op::CopySlices(Arc::new(spec)), base_next, base_meta, saved, 1);
        drop(node);
        base.set_history(copy_slices, 0);
        regenerate_view_history(self, view);
        Ok(())
    }
}

/// Can a recorded in-place change through `view` be rewritten onto its base?
fn check_view_accepts_history(view: &Tensor, info: &ViewBase) -> Result<()> {
    if let Some((output_nr, op)) = info.multi_output {
        return Err(Error::MultiOutputViewInPlace(output_nr, op));
    }
    if info.made_without_grad {
        return Err(Error::NoGradViewInPlace);
    }
    if Geometry::of(view, &info.base).is_none() {
        return Err(non_contiguous_base());
    }
    Ok(())
}

fn non_contiguous_base() -> Error {
    Error::NotImplemented("an in-place op that records a gradient on a view of a non-contiguous tensor".into())
}

/// Rebuilds a view's history as `AsStrided` of its base's current history.
pub(crate) fn regenerate_view_history(view: &Tensor, info: &ViewBase) {
    info.history_version.store(view.version(), Ordering::Relaxed);
    let base = &info.base;
    if !base.requires_grad() {
        return;
    }
    let Some(geometry) = Geometry::of(view, base) else { return };
    let meta = InputMeta { shape: base.shape().into(), dtype: base.dtype(), device: base.device() };
    let node = create_node(Op::AsStrided(Arc::new(geometry)), smallvec![base.gradient_edge()], smallvec![meta], SmallVec::new(), 1);
    view.set_history(node, 0);
}
