//! Tensors a node keeps for its backward. An op's own output is saved without
//! its `grad_fn` (that would be a cycle: node -> output -> node) and is
//! re-attached to the node when a differentiable backward unpacks it.
//!
//! While saved-tensor hooks are installed (PyTorch's
//! `autograd.graph.saved_tensors_hooks`), what is kept is whatever the pack
//! hook returns, and backward asks the unpack hook for the tensor back.

use super::graph::{NodeId, NodeRef};
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::cell::{Cell, RefCell};
use std::sync::Arc;

#[derive(Clone)]
pub struct SavedTensor {
    kept: Kept,
    version: u32,
    is_output: bool,
}

#[derive(Clone)]
enum Kept {
    Tensor(Tensor),
    Packed(Arc<dyn PackedTensor>),
    /// The pack hook failed; backward reports it. Boxed: an `Error` is
    /// wide, and every graph node holds saved tensors inline.
    PackFailed(Box<Error>),
}

/// A pair of saved-tensor hooks: `pack` turns a tensor into what is kept.
pub trait SavedTensorHooks: Send + Sync {
    fn pack(&self, t: &Tensor) -> Result<Arc<dyn PackedTensor>>;
}

/// What a pack hook returned; `unpack` gives the tensor back for backward.
pub trait PackedTensor: Send + Sync {
    fn unpack(&self) -> Result<Tensor>;
}

thread_local! {
    static HOOKS: RefCell<Vec<Arc<dyn SavedTensorHooks>>> = const { RefCell::new(Vec::new()) };
    /// Hooks installed and not running right now (a cheap test on every save).
    static HOOKS_ACTIVE: Cell<bool> = const { Cell::new(false) };
}

/// Installs hooks for tensors saved on this thread until the matching pop.
pub fn push_saved_tensor_hooks(hooks: Arc<dyn SavedTensorHooks>) {
    HOOKS.with(|h| h.borrow_mut().push(hooks));
    HOOKS_ACTIVE.with(|a| a.set(true));
}

pub fn pop_saved_tensor_hooks() {
    let (popped, left) = HOOKS.with(|h| {
        let mut h = h.borrow_mut();
        (h.pop(), !h.is_empty())
    });
    HOOKS_ACTIVE.with(|a| a.set(left));
    // Dropped with the stack no longer borrowed: its drop may run user code
    // that installs hooks again.
    drop(popped);
}

/// Runs the innermost pack hook on `t`, with hooks off meanwhile so the
/// tensors the hook's own ops save are kept as they are.
fn pack_with_hooks(t: &Tensor) -> Option<Kept> {
    if !HOOKS_ACTIVE.with(|a| a.get()) {
        return None;
    }
    let hooks = HOOKS.with(|h| h.borrow().last().cloned())?;
    HOOKS_ACTIVE.with(|a| a.set(false));
    let packed = hooks.pack(t);
    HOOKS_ACTIVE.with(|a| a.set(true));
    Some(match packed {
        Ok(p) => Kept::Packed(p),
        Err(e) => Kept::PackFailed(Box::new(e)),
    })
}

impl SavedTensor {
    /// Saves an input of the op: keeps its history, so the node also keeps it alive.
    pub fn input(t: &Tensor) -> Self {
        let kept = pack_with_hooks(t).unwrap_or_else(|| Kept::Tensor(t.clone()));
        SavedTensor { kept, version: t.version(), is_output: false }
    }

    /// Saves the op's result: data only, no history.
    pub fn output(t: &Tensor) -> Self {
        let data = t.detach();
        let kept = pack_with_hooks(&data).unwrap_or(Kept::Tensor(data));
        SavedTensor { kept, version: t.version(), is_output: true }
    }

    /// Saved as its op's own result (re-attached to the node when unpacked).
    pub fn is_output(&self) -> bool {
        self.is_output
    }

    /// Returns the tensor for backward, checking it was not modified in place since.
    /// `node` is the owner; with `differentiable`, a saved output gets the node back as grad_fn.
    pub fn unpack(&self, node: NodeId, node_name: &str, differentiable: bool) -> Result<Tensor> {
        let tensor = match &self.kept {
            Kept::Tensor(t) => t,
            // A hook owns what was kept; its tensor is taken as it comes back.
            Kept::Packed(p) => return self.attach(p.unpack()?, node, node_name, differentiable),
            Kept::PackFailed(e) => return Err((**e).clone()),
        };
        let found = tensor.version();
        if found != self.version {
            // Named like PyTorch: the op that produced the tensor, without "Backward<N>".
            let producer = match tensor.grad_fn_name() {
                _ if self.is_output => Some((0, node_name)),
                Some(name) => Some((tensor.output_nr(), name)),
                None => None,
            };
            let producer = producer.map_or(String::new(), |(nr, name)| format!(", which is output {nr} of {},", op_stem(name)));
            return Err(Error::SavedTensorModified {
                type_name: tensor.dtype().legacy_type_name(),
                shape: tensor.shape().iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "),
                producer,
                found,
                expected: self.version,
                anomaly_mode: super::mode::is_anomaly_enabled(),
            });
        }
        self.attach(tensor.clone(), node, node_name, differentiable)
    }

    /// A saved output gets its node back as grad_fn when backward builds a graph.
    fn attach(&self, tensor: Tensor, node: NodeId, node_name: &str, differentiable: bool) -> Result<Tensor> {
        if self.is_output && differentiable {
            let node = NodeRef::from_live_id(node).ok_or_else(|| Error::Autograd(format!("{node_name} was freed during backward")))?;
            return Ok(tensor.with_grad_fn(node, 0));
        }
        Ok(tensor)
    }
}

/// `AddBackward0` -> `Add`.
fn op_stem(name: &str) -> &str {
    match name.find("Backward") {
        Some(i) if name[i + "Backward".len()..].chars().all(|c| c.is_ascii_digit()) => &name[..i],
        _ => name,
    }
}
