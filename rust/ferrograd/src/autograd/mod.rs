//! Reverse-mode automatic differentiation: the node arena, grad mode, saved
//! tensors and the engine that runs backward.

pub mod engine;
pub mod function;
pub mod graph;
pub mod hooks;
pub mod mode;
pub mod saved;

pub use engine::{backward, backward_into, grad};
pub use mode::{enable_grad, is_grad_enabled, no_grad, set_grad_enabled, GradModeGuard};
