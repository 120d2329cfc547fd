//! Adamax: Adam with an infinity-norm second moment.
//!
//! Per element, with `t` the step count after the increment:
//! `g = ±grad + wd·p`, `m = lerp(m, g, 1-β1)`, `u = max(β2·u, |g| + eps)`,
//! `p -= lr/(1-β1^t) · m / u`.

use super::group::{advance_steps, check_steps, slots, StateList};
use super::lanes::{run_slots, Lanes};
use super::math::{effective_grad, lerp, maximum};
use super::{KernelForm, Update};
use crate::error::Result;
use crate::storage::Float;
use crate::tensor::Tensor;

#[derive(Clone, Debug)]
pub struct AdamaxOptions {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub maximize: bool,
}

pub struct AdamaxState<'a> {
    pub exp_avgs: &'a [Tensor],
    pub exp_infs: &'a [Tensor],
    pub steps: &'a [Tensor],
}

pub fn adamax_step(params: &[Tensor], grads: &[Tensor], state: &AdamaxState, options: &AdamaxOptions) -> Result<()> {
    const OP: &str = "adamax_step";
    let lists = [StateList::new("exp_avgs", "exp_avg", state.exp_avgs), StateList::new("exp_infs", "exp_inf", state.exp_infs)];
    let slots = slots(OP, params, grads, &lists)?;
    check_steps(OP, state.steps, params.len())?;
    let clrs: Vec<f64> = advance_steps(OP, state.steps)?.into_iter().map(|t| options.lr / (1.0 - options.beta1.powf(t))).collect();
    run_slots(OP, &slots, &clrs, options)
}

impl Update for AdamaxOptions {
    /// The param's bias-corrected learning rate at its step.
    type Coeffs = f64;

    fn apply<T: Float>(&self, clr: &f64, lanes: Lanes<'_, T>) -> Result<()> {
        let maximize = self.maximize;
        let l2 = (self.weight_decay != 0.0).then(|| T::from_f64(self.weight_decay));
        let one_minus_beta1 = T::from_f64(1.0 - self.beta1);
        let beta2 = T::from_f64(self.beta2);
        let eps = T::from_f64(self.eps);
        let neg_clr = T::from_f64(-clr);
        lanes.for_each(|p, g, [m, u]: [&mut T; 2]| {
            let g = effective_grad(g, *p, maximize, l2);
            *m = lerp(*m, g, one_minus_beta1);
            *u = maximum(*u * beta2, g.abs() + eps);
            *p = *p + neg_clr * *m / *u;
        })
    }

    fn kernel_form(&self, clr: &f64) -> KernelForm {
        let mut f = KernelForm::new(2);
        f.effective_grad(self.maximize, self.weight_decay);
        let (one_minus_beta1, beta2, eps, neg_clr) = (f.number(1.0 - self.beta1), f.number(self.beta2), f.number(self.eps), f.number(-clr));
        f.line(format!("s0 = lerp_(s0, g, {one_minus_beta1});"));
        f.line(format!("s1 = max_nan_(s1 * {beta2}, abs(g) + {eps});"));
        f.line(format!("p = p + {neg_clr} * s0 / s1;"));
        f
    }
}
