//! Advanced indexing and the index ops: `index`/`index_put` (what Python's
//! `t[idx]` and `t[idx] = v` run for tensor indices), `index_fill`, `nonzero`
//! (advanced.rs); `gather`, `scatter`, `scatter_add`, `index_select`,
//! `index_add`, `take_along_dim` (along.rs); `masked_fill` with a tensor
//! value and `masked_select` (masked.rs). Python-style index expressions,
//! `t[0, 1:, None]` and assignment through them, turn into these ops in
//! items.rs and assign.rs. Each backward is written below its
//! forward in these same ops, so every gradient is itself differentiable:
//! gather and scatter_add are each other's adjoints, as are index_select and
//! index_add, and index and index_put(accumulate=True).

pub mod advanced;
pub mod along;
pub mod assign;
pub mod items;
pub mod masked;

use crate::autograd::saved::SavedTensor;
use crate::tensor::Tensor;
use super::{BackwardCtx, Saved};
use crate::error::Result;

/// One optional index tensor per indexed dim (None: the whole dim), as aten's `index` takes.
pub type Indices = Vec<Option<Tensor>>;

pub(crate) use crate::kernels::indexed::add_elem;



/// A 0-d tensor seen as a 1-element vector over the same storage (kernels
/// walk at least one dim); other tensors unchanged.
pub(crate) fn at_least_1d(t: &Tensor) -> Result<Tensor> {
    if t.ndim() == 0 {
        t.view_with_layout(t.layout().unsqueeze(0))
    } else {
        Ok(t.clone())
    }
}

/// Saves every present index tensor, in dim order.
pub(crate) fn save_indices(indices: &[Option<Tensor>]) -> Saved {
    indices.iter().flatten().map(|t| Some(SavedTensor::input(t))).collect()
}

/// The index tensors saved by `save_indices` back at their dims.
pub(crate) fn saved_indices(ctx: &BackwardCtx, dims: &[usize]) -> Result<Indices> {
    let mut out: Indices = vec![None; dims.last().map_or(0, |d| d + 1)];
    for (k, &d) in dims.iter().enumerate() {
        out[d] = Some(ctx.saved(k)?.clone());
    }
    Ok(out)
}
