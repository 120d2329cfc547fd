//! Adagrad with learning-rate decay.
//!
//! Per element, with `t` the step count after the increment:
//! `g = ±grad + wd·p`, `sum += g²`, `p -= lr/(1 + (t-1)·lr_decay) · g / (sqrt(sum) + eps)`.

use super::group::{advance_steps, check_steps, slots, StateList};
use super::lanes::{run_slots, Lanes};
use super::math::effective_grad;
use super::{KernelForm, Update};
use crate::error::Result;
use crate::storage::Float;
use crate::tensor::Tensor;

#[derive(Clone, Debug)]
pub struct AdagradOptions {
    pub lr: f64,
    pub lr_decay: f64,
    pub weight_decay: f64,
    pub eps: f64,
    pub maximize: bool,
}

pub struct AdagradState<'a> {
    pub state_sums: &'a [Tensor],
    pub steps: &'a [Tensor],
}

pub fn adagrad_step(params: &[Tensor], grads: &[Tensor], state: &AdagradState, options: &AdagradOptions) -> Result<()> {
    const OP: &str = "adagrad_step";
    let slots = slots(OP, params, grads, &[StateList::new("state_sums", "sum", state.state_sums)])?;
    check_steps(OP, state.steps, params.len())?;
    let clrs: Vec<f64> = advance_steps(OP, state.steps)?.into_iter().map(|t| options.lr / (1.0 + (t - 1.0) * options.lr_decay)).collect();
    run_slots(OP, &slots, &clrs, options)
}

impl Update for AdagradOptions {
    /// The param's decayed learning rate at its step.
    type Coeffs = f64;

    fn apply<T: Float>(&self, clr: &f64, lanes: Lanes<'_, T>) -> Result<()> {
        let maximize = self.maximize;
        let l2 = (self.weight_decay != 0.0).then(|| T::from_f64(self.weight_decay));
        let eps = T::from_f64(self.eps);
        let neg_clr = T::from_f64(-clr);
        lanes.for_each(|p, g, [sum]: [&mut T; 1]| {
            let g = effective_grad(g, *p, maximize, l2);
            *sum = *sum + T::ONE * g * g;
            let std = sum.sqrt() + eps;
            *p = *p + neg_clr * g / std;
        })
    }

    fn kernel_form(&self, clr: &f64) -> KernelForm {
        let mut f = KernelForm::new(1);
        f.effective_grad(self.maximize, self.weight_decay);
        let (eps, neg_clr) = (f.number(self.eps), f.number(-clr));
        f.line("s0 = s0 + 1.0 * g * g;");
        f.line(format!("p = p + {neg_clr} * g / (sqrt(s0) + {eps});"));
        f
    }
}
