"""Adamax: Adam with an infinity-norm second moment."""

from typing import Any, Callable, Optional, Tuple, Union

from .. import _ferrograd
from .._ferrograd import Tensor
from ..grad_mode import no_grad
from .adam import _check_betas
from .optimizer import Optimizer, ParamsT, _check_non_negative, _check_supported, _scalar

__all__ = ["Adamax"]


class Adamax(Optimizer):
    def __init__(self, params: ParamsT, lr: Union[float, Tensor] = 2e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: Optional[bool] = None, *,
                 maximize: bool = False, differentiable: bool = False, capturable: bool = False) -> None:
        _check_non_negative(lr=lr, eps=eps)
        _check_betas(betas)
        _check_non_negative(weight_decay=weight_decay)
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
        self._fill_group_defaults(foreach=None, maximize=False, differentiable=False, capturable=False)
        self._steps_as_tensors()

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
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
