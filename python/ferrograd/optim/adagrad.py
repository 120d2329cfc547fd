"""Adagrad, with learning-rate decay."""

from typing import Any, Callable, Optional, Union

from .. import _ferrograd
from .._ferrograd import Tensor
from ..grad_mode import no_grad
from .optimizer import Optimizer, ParamsT, _check_non_negative, _check_supported, _scalar

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    def __init__(self, params: ParamsT, lr: Union[float, Tensor] = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: Optional[bool] = None, *, maximize: bool = False, differentiable: bool = False,
                 fused: Optional[bool] = None) -> None:
        _check_non_negative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                            initial_accumulator_value=initial_accumulator_value, eps=eps)
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
        self._fill_group_defaults(foreach=None, maximize=False, differentiable=False, fused=None)
        self._steps_as_tensors()

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
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
