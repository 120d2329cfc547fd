//! Gradient hooks (`register_hook`) and `retain_grad`. A hook belongs to the
//! node whose output the tensor is (its AccumulateGrad node for a leaf) and
//! sees that output's gradient before the node uses it; it may replace it.

use super::graph::{with_node_mut, NodeId};
use crate::error::{Error, Result};
use crate::tensor::{Tensor, WeakTensor};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A user function on a gradient: `Ok(None)` keeps it, `Ok(Some(g))` replaces it.
pub type HookFn = Arc<dyn Fn(&Tensor) -> Result<Option<Tensor>> + Send + Sync>;

#[derive(Clone)]
pub enum HookKind {
    Function(HookFn),
    /// Stores the gradient into a non-leaf tensor's `.grad`; runs after every other hook.
    RetainGrad(WeakTensor),
}

#[derive(Clone)]
pub struct GradHook {
    pub id: u64,
    pub output_nr: u32,
    pub kind: HookKind,
}

/// Identifies a registered hook so it can be removed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct HookHandle {
    pub node: NodeId,
    pub id: u64,
}

static NEXT_HOOK_ID: AtomicU64 = AtomicU64::new(1);

fn add_hook(t: &Tensor, kind: HookKind) -> Result<HookHandle> {
    let edge = t.gradient_edge().ok_or_else(|| Error::runtime("cannot register a hook on a tensor that doesn't require gradient"))?;
    let id = NEXT_HOOK_ID.fetch_add(1, Ordering::Relaxed);
    let hook = GradHook { id, output_nr: edge.input_nr, kind };
    with_node_mut(edge.node, |n| n.hooks.push(hook))?;
    Ok(HookHandle { node: edge.node, id })
}

impl Tensor {
    /// `register_hook(fn)`: `fn` sees this tensor's gradient each backward.
    pub fn register_hook(&self, f: HookFn) -> Result<HookHandle> {
        add_hook(self, HookKind::Function(f))
    }

    /// `retain_grad()`: a non-leaf keeps its gradient in `.grad` (leaves always do).
    pub fn retain_grad(&self) -> Result<()> {
        if !self.requires_grad() {
            return Err(Error::runtime("can't retain_grad on Tensor that has requires_grad=False"));
        }
        if self.is_leaf() || self.retains_grad() {
            return Ok(());
        }
        add_hook(self, HookKind::RetainGrad(self.downgrade()))?;
        self.set_retains_grad();
        Ok(())
    }
}

/// Removes a hook; removing twice, or after the graph is gone, does nothing.
pub fn remove_hook(handle: HookHandle) {
    let _ = with_node_mut(handle.node, |n| n.hooks.retain(|h| h.id != handle.id));
}

/// Runs `hooks` on a node's incoming gradients, in registration order, with
/// retain_grad hooks last so `.grad` holds what the node finally receives.
pub(crate) fn run_hooks(hooks: &[GradHook], grads: &mut [Option<Tensor>]) -> Result<()> {
    for hook in hooks {
        if let (HookKind::Function(f), Some(Some(g))) = (&hook.kind, grads.get(hook.output_nr as usize)) {
            if let Some(new) = f(g)? {
                if new.shape() != g.shape() {
                    return Err(Error::runtime(format!(
                        "hook returned a gradient of shape {:?}, expected {:?}",
                        new.shape(),
                        g.shape()
                    )));
                }
                grads[hook.output_nr as usize] = Some(new);
            }
        }
    }
    for hook in hooks {
        if let (HookKind::RetainGrad(weak), Some(Some(g))) = (&hook.kind, grads.get(hook.output_nr as usize)) {
            if let Some(t) = weak.upgrade() {
                let retained = match t.grad() {
                    Some(old) => old.add(g)?,
                    None => g.detach().clone_tensor()?,
                };
                t.set_grad(Some(retained))?;
            }
        }
    }
    Ok(())
}
