//! SGD with momentum, dampening, Nesterov momentum and weight decay.
//!
//! Per element: `g = ±grad + wd·p`; with momentum, `buf = g` on the first
//! step and `buf = μ·buf + (1-dampening)·g` after, then `g = g + μ·buf`
//! (Nesterov) or `g = buf`; finally `p -= lr·g`.

use super::group::{check_count, slots, StateList};
use super::lanes::{run_slots, Lanes};
use super::math::effective_grad;
use super::{KernelForm, Update};
use crate::error::Result;
use crate::storage::Float;
use crate::tensor::Tensor;

#[derive(Clone, Debug)]
pub struct SgdOptions {
    pub lr: f64,
    pub momentum: f64,
    pub dampening: f64,
    pub weight_decay: f64,
    pub nesterov: bool,
    pub maximize: bool,
}

/// One SGD step over a group. With momentum, `momentum_buffers` holds one
/// entry per param; a `None` entry (the param's first step) is filled with
/// a new buffer that starts as that step's gradient. Without momentum the
/// buffers are ignored.
pub fn sgd_step(params: &[Tensor], grads: &[Tensor], momentum_buffers: &mut [Option<Tensor>], options: &SgdOptions) -> Result<()> {
    const OP: &str = "sgd_step";
    if options.momentum == 0.0 {
        let slots = slots(OP, params, grads, &[])?;
        return run_slots(OP, &slots, &vec![false; slots.len()], options);
    }
    check_count(OP, "momentum_buffers", momentum_buffers.len(), params.len())?;
    let fresh: Vec<bool> = momentum_buffers.iter().map(Option::is_none).collect();
    // New buffers join the caller's list only after a successful update, so
    // a failed call leaves the list as it was.
    let buffers: Vec<Tensor> = params
        .iter()
        .zip(momentum_buffers.iter())
        .map(|(p, b)| match b {
            Some(b) => Ok(b.clone()),
            // On the param's device, as the state PyTorch keeps.
            None => Tensor::zeros(&p.shape(), p.dtype())?.to_device(p.device()),
        })
        .collect::<Result<_>>()?;
    let slots = slots(OP, params, grads, &[StateList::new("momentum_buffers", "momentum_buffer", &buffers)])?;
    run_slots(OP, &slots, &fresh, options)?;
    for (slot, b) in momentum_buffers.iter_mut().zip(buffers) {
        *slot = Some(b);
    }
    Ok(())
}

impl Update for SgdOptions {
    /// Whether the param's momentum buffer is new this step.
    type Coeffs = bool;

    fn apply<T: Float>(&self, fresh: &bool, lanes: Lanes<'_, T>) -> Result<()> {
        let maximize = self.maximize;
        let l2 = (self.weight_decay != 0.0).then(|| T::from_f64(self.weight_decay));
        let neg_lr = T::from_f64(-self.lr);
        if self.momentum == 0.0 {
            return lanes.for_each(|p, g, []: [&mut T; 0]| {
                let g = effective_grad(g, *p, maximize, l2);
                *p = *p + neg_lr * g;
            });
        }
        let momentum = T::from_f64(self.momentum);
        let one_minus_dampening = T::from_f64(1.0 - self.dampening);
        let (fresh, nesterov) = (*fresh, self.nesterov);
        lanes.for_each(|p, g, [buf]: [&mut T; 1]| {
            let g = effective_grad(g, *p, maximize, l2);
            *buf = if fresh { g } else { *buf * momentum + one_minus_dampening * g };
            let direction = if nesterov { g + momentum * *buf } else { *buf };
            *p = *p + neg_lr * direction;
        })
    }

    fn kernel_form(&self, fresh: &bool) -> KernelForm {
        let mut f = KernelForm::new(usize::from(self.momentum != 0.0));
        f.effective_grad(self.maximize, self.weight_decay);
        let neg_lr = f.number(-self.lr);
        if self.momentum == 0.0 {
            f.line(format!("p = p + {neg_lr} * g;"));
            return f;
        }
        let momentum = f.number(self.momentum);
        if *fresh {
            f.line("s0 = g;");
        } else {
            let one_minus_dampening = f.number(1.0 - self.dampening);
            f.line(format!("s0 = s0 * {momentum} + {one_minus_dampening} * g;"));
        }
        let direction = if self.nesterov { format!("(g + {momentum} * s0)") } else { "s0".to_string() };
        f.line(format!("p = p + {neg_lr} * {direction};"));
        f
    }
}
