"""Adamax: Adam with an infinity-norm second moment."""

from .. import _ferrograd
from .._ferrograd import Tensor
from ..grad_mode import no_grad
from .adam import _check_betas
from .optimizer import Optimizer, _check_supported, _scalar

__all__ = ["Adamax"]


class Adamax(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_supported(foreach, None, differentiable)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
        self._steps_as_tensors()

    def step(self, closure=None):
        loss = self._evaluate(closure)
        with no_grad():
            for group in self.param_groups:
                params, grads = self._with_grad(group)
                if not params:
                    continue
                for p in params:
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = self._new_step()
                        state["exp_avg"] = _ferrograd.zeros_like(p)
                        state["exp_inf"] = _ferrograd.zeros_like(p)
                beta1, beta2 = group["betas"]
                _ferrograd._optim.adamax_step(
                    params, grads,
                    [self.state[p]["exp_avg"] for p in params],
                    [self.state[p]["exp_inf"] for p in params],
                    [self.state[p]["step"] for p in params],
                    lr=_scalar(group["lr"]),
                    beta1=_scalar(beta1),
                    beta2=_scalar(beta2),
                    eps=_scalar(group["eps"]),
                    weight_decay=_scalar(group["weight_decay"]),
                    maximize=bool(group["maximize"]),
                )
        return loss
