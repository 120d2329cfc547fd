//! Adam and AdamW (`decoupled_weight_decay`), with AMSGrad.
//!
//! Per element, with `t` the param's step count after the increment:
//! `g = ±grad (+ wd·p unless decoupled)`, `p *= 1 - lr·wd` if decoupled,
//! `m = lerp(m, g, 1-β1)`, `v = β2·v + (1-β2)·g²`, `v̂ = max(v̂, v)` for
//! AMSGrad, then `p -= lr/(1-β1^t) · m / (sqrt(v or v̂)/sqrt(1-β2^t) + eps)`.

use super::group::{advance_steps, check_count, check_steps, slots, StateList};
use super::lanes::{run_slots, Lanes};
use super::math::{effective_grad, lerp, maximum};
use super::{KernelForm, Update};
use crate::error::Result;
use crate::storage::Float;
use crate::tensor::Tensor;

#[derive(Clone, Debug)]
pub struct AdamOptions {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub weight_decay: f64,
    pub eps: f64,
    pub amsgrad: bool,
    pub maximize: bool,
    /// AdamW: weight decay shrinks the param directly instead of joining the gradient.
    pub decoupled_weight_decay: bool,
}

/// Adam's per-param state, one tensor per param in each list
/// (`max_exp_avg_sqs` only with AMSGrad, empty otherwise).
pub struct AdamState<'a> {
    pub exp_avgs: &'a [Tensor],
    pub exp_avg_sqs: &'a [Tensor],
    pub max_exp_avg_sqs: &'a [Tensor],
    pub steps: &'a [Tensor],
}

/// One Adam step over a group: advances each param's step and updates the
/// param and its moments in place.
pub fn adam_step(params: &[Tensor], grads: &[Tensor], state: &AdamState, options: &AdamOptions) -> Result<()> {
    const OP: &str = "adam_step";
    let mut lists = vec![StateList::new("exp_avgs", "exp_avg", state.exp_avgs), StateList::new("exp_avg_sqs", "exp_avg_sq", state.exp_avg_sqs)];
    if options.amsgrad {
        lists.push(StateList::new("max_exp_avg_sqs", "max_exp_avg_sq", state.max_exp_avg_sqs));
    } else {
        check_count(OP, "max_exp_avg_sqs (without amsgrad)", state.max_exp_avg_sqs.len(), 0)?;
    }
    let slots = slots(OP, params, grads, &lists)?;
    check_steps(OP, state.steps, params.len())?;
    let coeffs: Vec<BiasCorrection> = advance_steps(OP, state.steps)?.into_iter().map(|t| options.bias_correction(t)).collect();
    run_slots(OP, &slots, &coeffs, options)
}

/// The step-dependent factors of one param's update.
pub(crate) struct BiasCorrection {
    step_size: f64,
    bias_correction2_sqrt: f64,
}

impl AdamOptions {
    fn bias_correction(&self, step: f64) -> BiasCorrection {
        let bias_correction1 = 1.0 - self.beta1.powf(step);
        let bias_correction2 = 1.0 - self.beta2.powf(step);
        BiasCorrection { step_size: self.lr / bias_correction1, bias_correction2_sqrt: bias_correction2.sqrt() }
    }
}

/// The hyperparameters at the element type, as PyTorch rounds its scalar arguments.
struct Scalars<T> {
    maximize: bool,
    /// `weight_decay` when it joins the gradient (Adam).
    l2: Option<T>,
    /// `1 - lr·weight_decay` when it shrinks the param (AdamW).
    shrink: Option<T>,
    one_minus_beta1: T,
    beta2: T,
    one_minus_beta2: T,
    bias_correction2_sqrt: T,
    eps: T,
    neg_step_size: T,
}

impl<T: Float> Scalars<T> {
    fn new(o: &AdamOptions, c: &BiasCorrection) -> Self {
        let decay = o.weight_decay != 0.0;
        Scalars {
            maximize: o.maximize,
            l2: (decay && !o.decoupled_weight_decay).then(|| T::from_f64(o.weight_decay)),
            shrink: (decay && o.decoupled_weight_decay).then(|| T::from_f64(1.0 - o.lr * o.weight_decay)),
            one_minus_beta1: T::from_f64(1.0 - o.beta1),
            beta2: T::from_f64(o.beta2),
            one_minus_beta2: T::from_f64(1.0 - o.beta2),
            bias_correction2_sqrt: T::from_f64(c.bias_correction2_sqrt),
            eps: T::from_f64(o.eps),
            neg_step_size: T::from_f64(-c.step_size),
        }
    }

    /// Updates the moments from the gradient; returns the new second moment.
    #[inline]
    fn moments(&self, p: &mut T, grad: T, m: &mut T, v: &mut T) -> T {
        let g = effective_grad(grad, *p, self.maximize, self.l2);
        if let Some(shrink) = self.shrink {
            *p = *p * shrink;
        }
        *m = lerp(*m, g, self.one_minus_beta1);
        *v = *v * self.beta2 + self.one_minus_beta2 * g * g;
        *v
    }

    #[inline]
    fn descend(&self, p: &mut T, m: T, v: T) {
        let denom = v.sqrt() / self.bias_correction2_sqrt + self.eps;
        *p = *p + self.neg_step_size * m / denom;
    }
}

impl Update for AdamOptions {
    type Coeffs = BiasCorrection;

    fn apply<T: Float>(&self, c: &BiasCorrection, lanes: Lanes<'_, T>) -> Result<()> {
        let k = Scalars::<T>::new(self, c);
        if self.amsgrad {
            lanes.for_each(|p, g, [m, v, v_max]: [&mut T; 3]| {
                let v_now = k.moments(p, g, m, v);
                *v_max = maximum(*v_max, v_now);
                k.descend(p, *m, *v_max);
            })
        } else {
            lanes.for_each(|p, g, [m, v]: [&mut T; 2]| {
                let v_now = k.moments(p, g, m, v);
                k.descend(p, *m, v_now);
            })
        }
    }

    fn kernel_form(&self, c: &BiasCorrection) -> KernelForm {
        let mut f = KernelForm::new(if self.amsgrad { 3 } else { 2 });
        let decay = self.weight_decay != 0.0;
        f.effective_grad(self.maximize, if self.decoupled_weight_decay { 0.0 } else { self.weight_decay });
        if decay && self.decoupled_weight_decay {
            let shrink = f.number(1.0 - self.lr * self.weight_decay);
            f.line(format!("p = p * {shrink};"));
        }
        let (one_minus_beta1, beta2, one_minus_beta2) = (f.number(1.0 - self.beta1), f.number(self.beta2), f.number(1.0 - self.beta2));
        f.line(format!("s0 = lerp_(s0, g, {one_minus_beta1});"));
        f.line(format!("s1 = s1 * {beta2} + {one_minus_beta2} * g * g;"));
        let v = if self.amsgrad {
            f.line("s2 = max_nan_(s2, s1);");
            "s2"
        } else {
            "s1"
        };
        let (bc2, eps, neg_step) = (f.number(c.bias_correction2_sqrt), f.number(self.eps), f.number(-c.step_size));
        f.line(format!("p = p + {neg_step} * s0 / (sqrt({v}) / {bc2} + {eps});"));
        f
    }
}
