"""RMSprop, optionally centered and with momentum."""

from typing import Any, Callable, Optional, Union

from .. import _ferrograd
from .._ferrograd import Tensor
from ..grad_mode import no_grad
from .optimizer import Optimizer, ParamsT, _check_non_negative, _check_supported, _scalar

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    def __init__(self, params: ParamsT, lr: Union[float, Tensor] = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, capturable: bool = False,
                 foreach: Optional[bool] = None, maximize: bool = False, differentiable: bool = False) -> None:
        _check_non_negative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        _check_supported(foreach, None, differentiable)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._fill_group_defaults(momentum=0, centered=False, foreach=None, maximize=False,
                                  differentiable=False, capturable=False)
        self._steps_as_tensors()

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        loss = self._evaluate(closure)
        with no_grad():
            for group in self.param_groups:
                params, grads = self._with_grad(group)
                if not params:
                    continue
                momentum = _scalar(group["momentum"])
                square_avgs, grad_avgs, buffers, steps = [], [], [], []
                for p in params:
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = self._new_step()
                        state["square_avg"] = _ferrograd.zeros_like(p)
                        if momentum > 0:
                            state["momentum_buffer"] = _ferrograd.zeros_like(p)
                        if group["centered"]:
                            state["grad_avg"] = _ferrograd.zeros_like(p)
                    square_avgs.append(state["square_avg"])
                    steps.append(state["step"])
                    if momentum > 0:
                        buffers.append(state["momentum_buffer"])
                    if group["centered"]:
                        grad_avgs.append(state["grad_avg"])
                _ferrograd._optim.rmsprop_step(
                    params, grads, square_avgs, grad_avgs, buffers, steps,
                    lr=_scalar(group["lr"]),
                    alpha=_scalar(group["alpha"]),
                    eps=_scalar(group["eps"]),
                    weight_decay=_scalar(group["weight_decay"]),
                    momentum=momentum,
                    centered=bool(group["centered"]),
                    maximize=bool(group["maximize"]),
                )
        return loss
