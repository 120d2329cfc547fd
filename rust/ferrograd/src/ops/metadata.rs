//! Ops that change a tensor's metadata in place, keeping its identity:
//! `resize_`, the in-place view ops (`t_`, `transpose_`, `squeeze_`,
//! `unsqueeze_`) and `tensor.data = other`. Each builds the new storage and
//! layout, then swaps them in through `Tensor::replace_data`.

use super::{should_record, Op};
use crate::autograd::graph::{create_node, InputMeta};
use crate::error::{Error, Result, ShapeList};
use crate::layout::{normalize_dim, Layout};
use crate::storage::Storage;
use crate::tensor::Tensor;
use smallvec::{smallvec, SmallVec};

impl Tensor {
    /// `resize_(*sizes)`: this tensor becomes contiguous with `sizes`, from
    /// its storage offset. A storage too small is replaced by a larger copy
    /// (the new elements are zero), so other tensors that shared the old
    /// one keep it. Unchanged sizes leave the tensor as it is.
    pub fn resize_(&self, sizes: &[i64]) -> Result<()> {
        if self.requires_grad() {
            return Err(Error::runtime("cannot resize variables that require grad"));
        }
        let shape = sizes
            .iter()
            .map(|&d| usize::try_from(d).map_err(|_| Error::runtime("numel: integer multiplication overflow")))
            .collect::<Result<SmallVec<[usize; 4]>>>()?;
        let data = self.snapshot();
        if data.shape() == shape.as_slice() {
            return Ok(());
        }
        let layout = Layout::contiguous(&shape)?.with_offset(data.layout().offset());
        let needed = layout.address_range().map_or(usize::MAX, |r| r.end);
        let storage = if needed <= data.storage().len() {
            data.storage().clone()
        } else {
            crate::layout::contiguous_storage_bytes(&[needed], data.dtype().size_in_bytes())?;
            Storage::new(data.storage().read()?.grown(needed)?)
        };
        let dtype = data.dtype();
        drop(data);
        self.replace_data(storage, layout, dtype)?;
        self.bump_version();
        Ok(())
    }

    /// `resize_as_(other)`.
    pub fn resize_as_(&self, other: &Tensor) -> Result<()> {
        let sizes: Vec<i64> = other.shape().iter().map(|&d| d as i64).collect();
        self.resize_(&sizes)
    }

    /// `t_()`: TBackward1.
    pub fn t_(&self) -> Result<()> {
        if self.ndim() > 2 {
            return Err(Error::TransposeNdim { op: "t_()", ndim: self.ndim() });
        }
        self.view_in_place(Op::TInPlace, |t| t.t())
    }

    /// `transpose_(dim0, dim1)` (and `swapdims_`, `swapaxes_`): TransposeBackward1.
    pub fn transpose_(&self, dim0: i64, dim1: i64) -> Result<()> {
        let ndim = self.ndim().max(1);
        let (d0, d1) = (normalize_dim(dim0, ndim)?, normalize_dim(dim1, ndim)?);
        self.view_in_place(Op::TransposeInPlace(d0, d1), |t| t.transpose(dim0, dim1))
    }

    /// `squeeze_()`, `squeeze_(dim)` and `squeeze_(dims)`: SqueezeBackward3/4/5.
    pub fn squeeze_(&self, dims: Option<&[i64]>) -> Result<()> {
        match dims {
            None => self.view_in_place(Op::SqueezeInPlace, |t| t.squeeze(None)),
            Some(&[d]) => self.view_in_place(Op::SqueezeDimInPlace, |t| t.squeeze(Some(d))),
            Some(dims) => self.view_in_place(Op::SqueezeDimsInPlace, |t| t.squeeze_dims(dims)),
        }
    }

    /// `unsqueeze_(dim)`: UnsqueezeBackward1.
    pub fn unsqueeze_(&self, dim: i64) -> Result<()> {
        self.view_in_place(Op::UnsqueezeInPlace, |t| t.unsqueeze(dim))
    }

    /// Gives this tensor the layout `view` computes for it (same storage)
    /// and, when recorded, `op` as its grad_fn, whose one input is the
    /// tensor as it was.
    fn view_in_place(&self, op: Op, view: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<()> {
        self.check_inplace_target(&[], false)?;
        let viewed = view(&self.detach())?;
        let edge = if should_record(&[self]) { self.gradient_edge() } else { None };
        let before = InputMeta { shape: self.shape().into(), dtype: self.dtype(), device: self.device() };
        let data = viewed.detached_data();
        self.replace_data(data.storage().clone(), data.layout().clone(), data.dtype())?;
        self.bump_version();
        if edge.is_some() {
            let node = create_node(op, smallvec![edge], smallvec![before], SmallVec::new(), 1);
            self.set_history(node, 0);
            // The history just recorded is current: not to be rebuilt from the base.
            self.mark_view_history_current();
        }
        Ok(())
    }

    /// `tensor.data = src`: this tensor looks at `src`'s storage, layout and
    /// dtype from now on, keeping its own autograd metadata (grad, history,
    /// requires_grad) and version counter. Outside autograd, as in PyTorch.
    pub fn set_data(&self, src: &Tensor) -> Result<()> {
        if self.requires_grad() && !src.dtype().is_floating_point() {
            return Err(Error::DataRequiresGradDType { dtype: src.dtype(), shape: ShapeList(src.shape().to_vec()) });
        }
        // A copy, not a snapshot: `src` may be this very tensor.
        let data = src.detached_data();
        self.replace_data(data.storage().clone(), data.layout().clone(), data.dtype())
    }
}

#[cfg(test)]
mod tests {
    use crate::tensor::Tensor;

    fn arange(n: usize, shape: &[usize]) -> Tensor {
        Tensor::from_vec((0..n).map(|v| v as f32).collect(), shape).unwrap()
    }

    #[test]
    fn resize_keeps_the_prefix_and_counts_one_change() {
        let x = arange(6, &[2, 3]);
        x.resize_(&[3, 2]).unwrap();
        assert_eq!((x.shape().to_vec(), x.version()), (vec![3, 2], 1));
        x.resize_(&[3, 2]).unwrap();
        assert_eq!(x.version(), 1, "same sizes: nothing changes");
        x.resize_(&[8]).unwrap();
        assert_eq!(x.to_vec::<f32>().unwrap(), vec![0., 1., 2., 3., 4., 5., 0., 0.]);
        assert!(x.resize_(&[-1]).is_err());
    }

    #[test]
    fn a_metadata_change_under_a_reader_is_an_error_not_a_deadlock() {
        let x = arange(6, &[2, 3]);
        let reading = x.snapshot();
        assert!(matches!(x.resize_(&[6]), Err(crate::error::Error::MetadataInUse)));
        assert!(x.t_().is_err());
        drop(reading);
        x.t_().unwrap();
        assert_eq!(x.shape().to_vec(), vec![3, 2]);
        // `t.data = t` reads and writes the same tensor.
        x.set_data(&x).unwrap();
        assert_eq!(x.shape().to_vec(), vec![3, 2]);
    }

    #[test]
    fn version_counters_are_shared_by_views_made_before_or_after_a_change() {
        let x = arange(4, &[4]);
        assert_eq!(x.version(), 0);
        x.bump_version();
        let view = x.narrow(0, 1, 2).unwrap();
        assert_eq!(view.version(), 1);
        view.bump_version();
        assert_eq!(x.version(), 2);
        let data = x.untracked_alias();
        data.bump_version();
        assert_eq!((x.version(), data.version()), (2, 1), ".data counts on its own");
    }

    #[test]
    fn a_larger_resize_leaves_other_holders_of_the_old_memory_alone() {
        let x = arange(4, &[4]);
        let alias = x.detach();
        x.resize_(&[6]).unwrap();
        assert_eq!(alias.to_vec::<f32>().unwrap(), vec![0., 1., 2., 3.]);
        assert!(!x.storage().same(&alias.storage()));
        assert_eq!(alias.version(), x.version(), "detach shares the version counter");
    }

    #[test]
    fn in_place_view_ops_change_the_same_tensor() {
        let x = arange(6, &[2, 3]);
        let same = x.clone();
        x.t_().unwrap();
        assert_eq!(same.shape().to_vec(), vec![3, 2]);
        assert_eq!(x.to_vec::<f32>().unwrap(), vec![0., 3., 1., 4., 2., 5.]);
        x.unsqueeze_(0).unwrap();
        x.squeeze_(None).unwrap();
        x.transpose_(0, 1).unwrap();
        assert_eq!(x.to_vec::<f32>().unwrap(), vec![0., 1., 2., 3., 4., 5.]);
        assert_eq!(x.version(), 4);
        assert!(arange(8, &[2, 2, 2]).t_().is_err());
    }

    #[test]
    fn set_data_shares_the_source_and_keeps_its_own_counter() {
        let p = arange(3, &[3]).with_requires_grad(true).unwrap();
        let src = arange(4, &[2, 2]);
        src.bump_version();
        p.set_data(&src).unwrap();
        assert!(p.storage().same(&src.storage()));
        assert_eq!((p.shape().to_vec(), p.version(), p.requires_grad()), (vec![2, 2], 0, true));
        let ints = Tensor::from_vec(vec![1i64], &[1]).unwrap();
        assert!(p.set_data(&ints).is_err(), "a tensor that requires grad keeps a float dtype");
    }
}
