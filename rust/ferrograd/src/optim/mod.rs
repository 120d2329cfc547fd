//! Optimizer updates. Each optimizer's step over a whole parameter group is
//! one call: the caller hands over the group's params, grads and state
//! tensors as parallel lists and every tensor is updated in place, with no
//! autograd recording and a version bump on each tensor written, as an
//! in-place op would do.
//!
//! The math follows PyTorch's single-tensor optimizers formula by formula
//! (same operation order, hyperparameters rounded to the element type the
//! way PyTorch's scalar arguments are), so trajectories agree closely.
//!
//! Layout of this module: `group` checks a group and turns it into slots,
//! `lanes` locks a slot's storages and runs an update over its elements
//! (in parallel above a size threshold), `math` holds the shared element
//! formulas, `kernel_form` their device-kernel statements, and each
//! optimizer has its own small file.

mod group;
mod kernel_form;
mod lanes;
mod math;

pub mod adagrad;
pub mod adam;
pub mod adamax;
pub mod rmsprop;
pub mod sgd;

pub use adagrad::{adagrad_step, AdagradOptions, AdagradState};
pub use adam::{adam_step, AdamOptions, AdamState};
pub use adamax::{adamax_step, AdamaxOptions, AdamaxState};
pub use rmsprop::{rmsprop_step, RMSpropOptions, RMSpropState};
pub use sgd::{sgd_step, SgdOptions};

#[cfg(test)]
mod tests;

use crate::storage::Float;
pub use kernel_form::{KernelForm, MAX_NUMBERS, MAX_STATES};

/// One optimizer's update, written once for every element type.
pub(crate) trait Update: Sync {
    /// What the update needs per param beyond the hyperparameters (bias
    /// corrections that depend on that param's step count, ...).
    type Coeffs: Sync;

    /// Updates one chunk of a param's elements in place.
    fn apply<T: Float>(&self, coeffs: &Self::Coeffs, lanes: lanes::Lanes<'_, T>) -> crate::Result<()>;

    /// The same update as device-kernel statements, for a param whose
    /// tensors all live on a device.
    fn kernel_form(&self, coeffs: &Self::Coeffs) -> KernelForm;
}
