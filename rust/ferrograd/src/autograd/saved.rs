//! Tensors a node keeps for its backward. An op's own output is saved without
//! its `grad_fn` (that would be a cycle: node -> output -> node) and is
//! re-attached to the node when a differentiable backward unpacks it.

use super::graph::{NodeId, NodeRef};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

#[derive(Clone)]
pub struct SavedTensor {
    tensor: Tensor,
    version: u32,
    is_output: bool,
}

impl SavedTensor {
    /// Saves an input of the op: keeps its history, so the node also keeps it alive.
    pub fn input(t: &Tensor) -> Self {
        SavedTensor { tensor: t.clone(), version: t.version(), is_output: false }
    }

    /// Saves the op's result: data only, no history.
    pub fn output(t: &Tensor) -> Self {
        SavedTensor { tensor: t.detach(), version: t.version(), is_output: true }
    }

    /// Saved as its op's own result (re-attached to the node when unpacked).
    pub fn is_output(&self) -> bool {
        self.is_output
    }

    /// Returns the tensor for backward, checking it was not modified in place since.
    /// `node` is the owner; with `differentiable`, a saved output gets the node back as grad_fn.
    pub fn unpack(&self, node: NodeId, node_name: &str, differentiable: bool) -> Result<Tensor> {
        let found = self.tensor.version();
        if found != self.version {
            // Named like PyTorch: the op that produced the tensor, without "Backward<N>".
            let producer = match self.tensor.grad_fn_name() {
                _ if self.is_output => Some((0, node_name)),
                Some(name) => Some((self.tensor.output_nr(), name)),
                None => None,
            };
            let producer = producer.map_or(String::new(), |(nr, name)| format!(", which is output {nr} of {},", op_stem(name)));
            return Err(Error::SavedTensorModified {
                type_name: self.tensor.dtype().legacy_type_name(),
                shape: self.tensor.shape().iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "),
                producer,
                found,
                expected: self.version,
                anomaly_mode: super::mode::is_anomaly_enabled(),
            });
        }
        if self.is_output && differentiable {
            let node = NodeRef::from_live_id(node).ok_or_else(|| Error::Autograd(format!("{node_name} was freed during backward")))?;
            return Ok(self.tensor.with_grad_fn(node, 0));
        }
        Ok(self.tensor.clone())
    }
}

/// `AddBackward0` -> `Add`.
fn op_stem(name: &str) -> &str {
    match name.find("Backward") {
        Some(i) if name[i + "Backward".len()..].chars().all(|c| c.is_ascii_digit()) => &name[..i],
        _ => name,
    }
}
