"""Adagrad, with learning-rate decay."""

from .. import _ferrograd
from .._ferrograd import Tensor
from ..grad_mode import no_grad
from .optimizer import Optimizer, _check_supported, _scalar

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_supported(foreach, fused, differentiable)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        # Adagrad's state exists from the start, as in PyTorch.
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value)

    def _init_state(self, p, initial_accumulator_value):
        state = self.state[p]
        state["step"] = self._new_step()
        state["sum"] = _ferrograd.full_like(p, initial_accumulator_value)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)
        self._steps_as_tensors()

    def step(self, closure=None):
        loss = self._evaluate(closure)
        with no_grad():
            for group in self.param_groups:
                params, grads = self._with_grad(group)
                if not params:
                    continue
                for p in params:
                    if len(self.state[p]) == 0:
                        self._init_state(p, group["initial_accumulator_value"])
                _ferrograd._optim.adagrad_step(
                    params, grads,
                    [self.state[p]["sum"] for p in params],
                    [self.state[p]["step"] for p in params],
                    lr=_scalar(group["lr"]),
                    lr_decay=_scalar(group["lr_decay"]),
                    weight_decay=_scalar(group["weight_decay"]),
                    eps=_scalar(group["eps"]),
                    maximize=bool(group["maximize"]),
                )
        return loss
