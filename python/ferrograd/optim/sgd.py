"""Stochastic gradient descent, with momentum, dampening and Nesterov momentum."""

from typing import Any, Callable, Optional, Union

from .. import _ferrograd
from .._ferrograd import Tensor
from ..grad_mode import no_grad
from .optimizer import Optimizer, ParamsT, _check_supported, _scalar

__all__ = ["SGD"]


class SGD(Optimizer):
    def __init__(self, params: ParamsT, lr: Union[float, Tensor] = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: Optional[bool] = None, differentiable: bool = False,
                 fused: Optional[bool] = None) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_supported(foreach, fused, differentiable)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._fill_group_defaults(nesterov=False, maximize=False, foreach=None, differentiable=False, fused=False)

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        loss = self._evaluate(closure)
        with no_grad():
            for group in self.param_groups:
                params, grads = self._with_grad(group)
                if not params:
                    continue
                momentum = _scalar(group["momentum"])
                buffers = [self.state[p].get("momentum_buffer") for p in params] if momentum != 0 else []
                buffers = _ferrograd._optim.sgd_step(
                    params, grads, buffers,
                    lr=_scalar(group["lr"]),
                    momentum=momentum,
                    dampening=_scalar(group["dampening"]),
                    weight_decay=_scalar(group["weight_decay"]),
                    nesterov=bool(group["nesterov"]),
                    maximize=bool(group["maximize"]),
                )
                if momentum != 0:
                    for p, buffer in zip(params, buffers):
                        self.state[p]["momentum_buffer"] = buffer
        return loss
