//! Gradient hooks (`register_hook`) and `retain_grad`. A hook belongs to the
//! node whose output the tensor is (its AccumulateGrad node for a leaf) and
//! sees that output's gradient before the node uses it; it may replace it.
//!
//! A hook may own user objects whose drop runs user code that touches the
//! graph again, so hooks leave the arena under its lock and are dropped
//! after it is released.

use super::graph::{try_with_sole_node, with_node_mut, NodeId};
use crate::error::{Error, Result};
use crate::tensor::{Tensor, WeakTensor};
use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A user function on a gradient.
pub trait GradHookFn: Send + Sync {
    /// `Ok(None)` keeps the gradient, `Ok(Some(g))` replaces it.
    fn call(&self, grad: &Tensor) -> Result<Option<Tensor>>;
    /// How errors name the hook (PyTorch uses the callable's `__name__`).
    fn name(&self) -> String {
        "<unknown>".to_string()
    }
    /// The concrete type, so a binding can find the objects it stored here
    /// (for its garbage collector).
    fn as_any(&self) -> &dyn Any;
}

impl<F> GradHookFn for F
where
    F: Fn(&Tensor) -> Result<Option<Tensor>> + Send + Sync + 'static,
{
    fn call(&self, grad: &Tensor) -> Result<Option<Tensor>> {
        self(grad)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

pub type HookFn = Arc<dyn GradHookFn>;

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

/// Moves the hooks matching `pred` out of `hooks`, for the caller to drop
/// once no lock is held.
fn take_hooks(hooks: &mut Vec<GradHook>, pred: impl Fn(&GradHook) -> bool) -> Vec<GradHook> {
    if !hooks.iter().any(&pred) {
        return Vec::new();
    }
    let (taken, kept) = std::mem::take(hooks).into_iter().partition(|h| pred(h));
    *hooks = kept;
    taken
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

    /// The functions registered with `register_hook` on this tensor, when
    /// nothing but this handle can reach them (the tensor, its node and each
    /// hook are held once), so `visit` may count them as owned by it. Lets a
    /// binding's garbage collector see a hook that refers back to its own
    /// tensor. Never blocks: a busy lock reports nothing, which only delays
    /// collection.
    pub fn visit_sole_hooks(&self, mut visit: impl FnMut(&dyn GradHookFn)) {
        if Arc::strong_count(&self.0) != 1 {
            return;
        }
        let Some((node, output_nr)) = self.try_hook_node() else { return };
        try_with_sole_node(node, |n| {
            for hook in n.hooks.iter().filter(|h| h.output_nr == output_nr) {
                if let HookKind::Function(f) = &hook.kind {
                    if Arc::strong_count(f) == 1 {
                        visit(f.as_ref());
                    }
                }
            }
        });
    }

    /// Removes every function registered with `register_hook` on this
    /// tensor (a garbage collector breaking a cycle through a hook).
    pub fn clear_hooks(&self) {
        let Some((node, output_nr)) = self.try_hook_node() else { return };
        let removed = with_node_mut(node, |n| take_hooks(&mut n.hooks, |h| h.output_nr == output_nr && matches!(h.kind, HookKind::Function(_))));
        drop(removed);
    }
}

/// Removes a hook; removing twice, or after the graph is gone, does nothing.
pub fn remove_hook(handle: HookHandle) {
    let removed = with_node_mut(handle.node, |n| take_hooks(&mut n.hooks, |h| h.id == handle.id));
    drop(removed);
}

/// PyTorch's check on what a hook returned: same dtype and shape as the gradient it was given.
fn check_hook_result(hook: &dyn GradHookFn, original: &Tensor, result: &Tensor) -> Result<()> {
    if result.dtype() != original.dtype() {
        return Err(Error::runtime(format!(
            "hook '{}' has changed the type of value (was {} got {})",
            hook.name(),
            original.dtype().legacy_type_name(),
            result.dtype().legacy_type_name()
        )));
    }
    if result.shape() != original.shape() {
        return Err(Error::runtime(format!("hook '{}' has changed the size of value", hook.name())));
    }
    Ok(())
}

/// Runs `hooks` on a node's incoming gradients, in registration order, with
/// retain_grad hooks last so `.grad` holds what the node finally receives.
pub(crate) fn run_hooks(hooks: &[GradHook], grads: &mut [Option<Tensor>]) -> Result<()> {
    for hook in hooks {
        if let (HookKind::Function(f), Some(Some(g))) = (&hook.kind, grads.get(hook.output_nr as usize)) {
            if let Some(new) = f.call(g)? {
                check_hook_result(f.as_ref(), g, &new)?;
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
