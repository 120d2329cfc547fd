//! RMSprop, optionally centered and with momentum.
//!
//! Per element: `g = ±grad + wd·p`, `sq = α·sq + (1-α)·g²`; centered:
//! `ga = lerp(ga, g, 1-α)` and `avg = sqrt(sq - ga²) + eps`, else
//! `avg = sqrt(sq) + eps`; with momentum `buf = μ·buf + g/avg` and
//! `p -= lr·buf`, else `p -= lr·g/avg`.

use super::group::{advance_steps, check_count, check_steps, slots, StateList};
use super::lanes::{run_slots, Lanes};
use super::math::{effective_grad, lerp};
use super::{KernelForm, Update};
use crate::error::Result;
use crate::storage::Float;
use crate::tensor::Tensor;

#[derive(Clone, Debug)]
pub struct RMSpropOptions {
    pub lr: f64,
    pub alpha: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub momentum: f64,
    pub centered: bool,
    pub maximize: bool,
}

/// RMSprop's per-param state. `grad_avgs` is used only when centered and
/// `momentum_buffers` only with momentum; otherwise they must be empty.
pub struct RMSpropState<'a> {
    pub square_avgs: &'a [Tensor],
    pub grad_avgs: &'a [Tensor],
    pub momentum_buffers: &'a [Tensor],
    pub steps: &'a [Tensor],
}

pub fn rmsprop_step(params: &[Tensor], grads: &[Tensor], state: &RMSpropState, options: &RMSpropOptions) -> Result<()> {
    const OP: &str = "rmsprop_step";
    let mut lists = vec![StateList::new("square_avgs", "square_avg", state.square_avgs)];
    if options.centered {
        lists.push(StateList::new("grad_avgs", "grad_avg", state.grad_avgs));
    } else {
        check_count(OP, "grad_avgs (when not centered)", state.grad_avgs.len(), 0)?;
    }
    if options.momentum > 0.0 {
        lists.push(StateList::new("momentum_buffers", "momentum_buffer", state.momentum_buffers));
    } else {
        check_count(OP, "momentum_buffers (without momentum)", state.momentum_buffers.len(), 0)?;
    }
    let slots = slots(OP, params, grads, &lists)?;
    check_steps(OP, state.steps, params.len())?;
    // The step count only records progress; the update does not use it.
    let steps = advance_steps(OP, state.steps)?;
    run_slots(OP, &slots, &vec![(); steps.len()], options)
}

struct Scalars<T> {
    maximize: bool,
    l2: Option<T>,
    alpha: T,
    one_minus_alpha: T,
    eps: T,
    momentum: T,
    neg_lr: T,
}

impl<T: Float> Scalars<T> {
    /// Updates the averages; returns the gradient and its denominator.
    #[inline]
    fn averages(&self, p: T, grad: T, sq: &mut T, grad_avg: Option<&mut T>) -> (T, T) {
        let g = effective_grad(grad, p, self.maximize, self.l2);
        *sq = *sq * self.alpha + self.one_minus_alpha * g * g;
        let avg = match grad_avg {
            Some(ga) => {
                *ga = lerp(*ga, g, self.one_minus_alpha);
                (*sq + -T::ONE * *ga * *ga).sqrt()
            }
            None => sq.sqrt(),
        };
        (g, avg + self.eps)
    }

    #[inline]
    fn descend(&self, p: &mut T, g: T, avg: T, buf: Option<&mut T>) {
        match buf {
            Some(buf) => {
                *buf = *buf * self.momentum + g / avg;
                *p = *p + self.neg_lr * *buf;
            }
            None => *p = *p + self.neg_lr * g / avg,
        }
    }
}

impl Update for RMSpropOptions {
    type Coeffs = ();

    fn apply<T: Float>(&self, _: &(), lanes: Lanes<'_, T>) -> Result<()> {
        let k = Scalars {
            maximize: self.maximize,
            l2: (self.weight_decay != 0.0).then(|| T::from_f64(self.weight_decay)),
            alpha: T::from_f64(self.alpha),
            one_minus_alpha: T::from_f64(1.0 - self.alpha),
            eps: T::from_f64(self.eps),
            momentum: T::from_f64(self.momentum),
            neg_lr: T::from_f64(-self.lr),
        };
        match (self.centered, self.momentum > 0.0) {
            (false, false) => lanes.for_each(|p, g, [sq]: [&mut T; 1]| {
                let (g, avg) = k.averages(*p, g, sq, None);
                k.descend(p, g, avg, None);
            }),
            (true, false) => lanes.for_each(|p, g, [sq, ga]: [&mut T; 2]| {
                let (g, avg) = k.averages(*p, g, sq, Some(ga));
                k.descend(p, g, avg, None);
            }),
            (false, true) => lanes.for_each(|p, g, [sq, buf]: [&mut T; 2]| {
                let (g, avg) = k.averages(*p, g, sq, None);
                k.descend(p, g, avg, Some(buf));
            }),
            (true, true) => lanes.for_each(|p, g, [sq, ga, buf]: [&mut T; 3]| {
                let (g, avg) = k.averages(*p, g, sq, Some(ga));
                k.descend(p, g, avg, Some(buf));
            }),
        }
    }

    fn kernel_form(&self, _: &()) -> KernelForm {
        let momentum = self.momentum > 0.0;
        let mut f = KernelForm::new(1 + usize::from(self.centered) + usize::from(momentum));
        f.effective_grad(self.maximize, self.weight_decay);
        let (alpha, one_minus_alpha, eps, neg_lr) = (f.number(self.alpha), f.number(1.0 - self.alpha), f.number(self.eps), f.number(-self.lr));
        f.line(format!("s0 = s0 * {alpha} + {one_minus_alpha} * g * g;"));
        if self.centered {
            f.line(format!("s1 = lerp_(s1, g, {one_minus_alpha});"));
            f.line(format!("let avg = sqrt(s0 + -1.0 * s1 * s1) + {eps};"));
        } else {
            f.line(format!("let avg = sqrt(s0) + {eps};"));
        }
        if momentum {
            let (mu, buf) = (f.number(self.momentum), if self.centered { "s2" } else { "s1" });
            f.line(format!("{buf} = {buf} * {mu} + g / avg;"));
            f.line(format!("p = p + {neg_lr} * {buf};"));
        } else {
            f.line(format!("p = p + {neg_lr} * g / avg;"));
        }
        f
    }
}
