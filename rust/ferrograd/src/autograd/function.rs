//! User-defined differentiable functions (PyTorch's `autograd.Function`):
//! the forward runs outside the graph, then one node with the user's backward
//! is recorded for all its outputs.

use super::graph::{create_node, InputMeta};
use super::mode::is_grad_enabled;
use crate::error::Result;
use crate::ops::Op;
use crate::tensor::Tensor;
use parking_lot::Mutex;
use smallvec::SmallVec;
use std::collections::HashSet;
use std::sync::Arc;

/// The backward of a user-defined function.
pub trait CustomBackward: Send + Sync {
    /// One gradient per tensor input (`None` for none), given one gradient per
    /// output (`None` where no gradient arrived) and which inputs need one.
    fn backward(&self, grads: &[Option<Tensor>], needs_input_grad: &[bool]) -> Result<Vec<Option<Tensor>>>;
    /// Called when a backward without `retain_graph` is done with the node:
    /// free what was saved for backward.
    fn release(&self);
    /// The concrete type, so a binding can find the objects it stored here
    /// (for its garbage collector).
    fn as_any(&self) -> &dyn std::any::Any;
}

pub struct CustomFunction {
    pub name: &'static str,
    pub backward: Box<dyn CustomBackward>,
}

impl std::fmt::Debug for CustomFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CustomFunction({})", self.name)
    }
}

/// Node names live as long as the program; each distinct name is stored once.
pub fn intern_name(name: &str) -> &'static str {
    static NAMES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut names = NAMES.lock();
    let set = names.get_or_insert_with(HashSet::new);
    if let Some(&existing) = set.get(name) {
        return existing;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    set.insert(leaked);
    leaked
}

/// Records `f` as the function that made `outputs` from `inputs`. Returns the
/// outputs as the caller should see them: differentiable ones with the new
/// node as grad_fn, the others detached. Without grad mode or an input that
/// requires grad, nothing is recorded and the outputs come back unchanged.
pub fn record_custom(f: CustomFunction, inputs: &[Tensor], outputs: &[Tensor], differentiable: &[bool]) -> Vec<Tensor> {
    if !is_grad_enabled() || !inputs.iter().any(|t| t.requires_grad()) {
        return outputs.to_vec();
    }
    let next: SmallVec<[_; 2]> = inputs.iter().map(|t| t.gradient_edge()).collect();
    let meta: SmallVec<[InputMeta; 2]> = inputs.iter().map(|t| InputMeta { shape: t.shape().into(), dtype: t.dtype(), device: t.device() }).collect();
    let node = create_node(Op::Custom(Arc::new(f)), next, meta, SmallVec::new(), outputs.len() as u32);
    outputs
        .iter()
        .enumerate()
        .map(|(i, out)| {
            if differentiable.get(i).copied().unwrap_or(true) && out.dtype().is_floating_point() {
                out.with_grad_fn(node.clone(), i as u32)
            } else {
                out.detach()
            }
        })
        .collect()
}

impl Tensor {
    /// The user function this tensor is the only owner of, through its own
    /// grad_fn (held by nothing else), if it has one; `visit` sees it. Lets a
    /// binding's garbage collector follow the reference cycle user code makes
    /// by keeping an output on the function's context. Never blocks: a busy
    /// lock reports nothing, which only delays collection.
    pub fn visit_sole_custom_function(&self, visit: impl FnOnce(&dyn CustomBackward)) {
        if std::sync::Arc::strong_count(&self.0) != 1 {
            return;
        }
        let Some(node) = self.try_grad_fn_id() else { return };
        super::graph::try_with_sole_node(node, |n| {
            if let Op::Custom(f) = &n.op {
                if Arc::strong_count(f) == 1 {
                    visit(f.backward.as_ref());
                }
            }
        });
    }
}
