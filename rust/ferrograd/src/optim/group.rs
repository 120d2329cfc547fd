//! Checking a parameter group before anything is written: list lengths,
//! shapes, dtypes, writable memory, and no aliasing inside one parameter's
//! tensors (which would make the update read what it is writing, and would
//! deadlock on the storage lock). A failed check leaves every tensor as it was.

use crate::dtype::DType;
use crate::error::{Error, Result, ShapeList};
use crate::ops::views::has_internal_overlap;
use crate::storage::Element;
use crate::tensor::Tensor;

/// One parameter with its gradient and the state tensors its optimizer
/// keeps for it, in the order the optimizer's update expects them.
pub(crate) struct Slot<'a> {
    pub index: usize,
    pub param: &'a Tensor,
    pub grad: &'a Tensor,
    pub state: Vec<&'a Tensor>,
}

impl Slot<'_> {
    /// The tensors the update writes: the param, then each state tensor.
    pub fn written(&self) -> impl Iterator<Item = &Tensor> {
        std::iter::once(self.param).chain(self.state.iter().copied())
    }

    pub fn bump_versions(&self) {
        for t in self.written() {
            t.bump_version();
        }
    }
}

/// A named list of per-parameter state tensors, e.g. `("exp_avgs", "exp_avg", ...)`.
pub(crate) struct StateList<'a> {
    pub list_name: &'static str,
    pub item_name: &'static str,
    pub tensors: &'a [Tensor],
}

impl<'a> StateList<'a> {
    pub fn new(list_name: &'static str, item_name: &'static str, tensors: &'a [Tensor]) -> Self {
        StateList { list_name, item_name, tensors }
    }
}

fn describe(t: &Tensor) -> String {
    format!("shape {} and dtype {}", ShapeList(t.shape().to_vec()), t.dtype())
}

/// Checks one list holds a tensor per param.
pub(crate) fn check_count(op: &str, what: &str, got: usize, params: usize) -> Result<()> {
    if got != params {
        return Err(Error::runtime(format!("{op}: expected one tensor in {what} per param ({params}), but got {got}")));
    }
    Ok(())
}

/// The group as slots, after every check passes.
pub(crate) fn slots<'a>(op: &'static str, params: &'a [Tensor], grads: &'a [Tensor], states: &[StateList<'a>]) -> Result<Vec<Slot<'a>>> {
    check_count(op, "grads", grads.len(), params.len())?;
    for s in states {
        check_count(op, s.list_name, s.tensors.len(), params.len())?;
    }
    let mut slots = Vec::with_capacity(params.len());
    for (index, (param, grad)) in params.iter().zip(grads).enumerate() {
        if !matches!(param.dtype(), DType::F32 | DType::F64) {
            return Err(Error::runtime(format!("{op}: params must be float32 or float64, but param {index} has dtype {}", param.dtype())));
        }
        check_matches(op, index, param, grad, "grad")?;
        let state: Vec<&Tensor> = states.iter().map(|s| &s.tensors[index]).collect();
        for (s, t) in states.iter().zip(&state) {
            check_matches(op, index, param, t, s.item_name)?;
        }
        let slot = Slot { index, param, grad, state };
        check_writable(op, &slot, states)?;
        slots.push(slot);
    }
    Ok(slots)
}

fn check_matches(op: &str, index: usize, param: &Tensor, other: &Tensor, name: &str) -> Result<()> {
    if other.shape() != param.shape() || other.dtype() != param.dtype() {
        return Err(Error::runtime(format!(
            "{op}: param {index} has {}, but its {name} has {}; they must match",
            describe(param),
            describe(other)
        )));
    }
    Ok(())
}

/// Every written tensor has memory of its own: writable, no element named
/// twice, shared with no other tensor of the same param.
fn check_writable(op: &str, slot: &Slot, states: &[StateList]) -> Result<()> {
    let names: Vec<&str> = std::iter::once("param").chain(states.iter().map(|s| s.item_name)).collect();
    let written: Vec<&Tensor> = slot.written().collect();
    let i = slot.index;
    for (t, name) in written.iter().zip(&names) {
        if t.storage().is_read_only() {
            return Err(Error::runtime(format!("{op}: the {name} of param {i} is not writable (it shares memory with a read-only NumPy array)")));
        }
        if has_internal_overlap(&t.shape(), t.layout().strides()) {
            return Err(Error::runtime(format!(
                "{op}: the {name} of param {i} has several elements at one memory location (a broadcast view, {}); clone() it first",
                describe(t)
            )));
        }
        if t.storage().same(&slot.grad.storage()) {
            return Err(Error::runtime(format!("{op}: the {name} of param {i} shares memory with its grad; each needs its own storage")));
        }
    }
    for a in 0..written.len() {
        for b in a + 1..written.len() {
            if written[a].storage().same(&written[b].storage()) {
                return Err(Error::runtime(format!(
                    "{op}: the {} and the {} of param {i} share memory; each needs its own storage",
                    names[a], names[b]
                )));
            }
        }
    }
    Ok(())
}

/// Checks the step counters: one one-element float tensor per param.
pub(crate) fn check_steps(op: &str, steps: &[Tensor], params: usize) -> Result<()> {
    check_count(op, "steps", steps.len(), params)?;
    for (i, s) in steps.iter().enumerate() {
        if s.numel() != 1 || !matches!(s.dtype(), DType::F32 | DType::F64) {
            return Err(Error::runtime(format!("{op}: step {i} must be a one-element float32 or float64 tensor, but has {}", describe(s))));
        }
        if s.storage().is_read_only() {
            return Err(Error::runtime(format!("{op}: step {i} is not writable (it shares memory with a read-only NumPy array)")));
        }
    }
    Ok(())
}

/// Adds one to each step counter (in its own dtype, as `step += 1` does)
/// and returns the new counts.
pub(crate) fn advance_steps(op: &'static str, steps: &[Tensor]) -> Result<Vec<f64>> {
    steps
        .iter()
        .map(|s| {
            let next = crate::with_float_type!(s.dtype(), op, T => advance::<T>(s)?);
            s.bump_version();
            Ok(next)
        })
        .collect()
}

fn advance<T: Element>(step: &Tensor) -> Result<f64> {
    let next = T::from_f64(step.item()?.to_f64() + 1.0);
    crate::kernels::elementwise::write_into::<T>(&step.snapshot(), &[next])?;
    Ok(next.to_f64())
}
