"""Adam and AdamW (Adam with decoupled weight decay), with AMSGrad."""

from typing import Any, Callable, Optional, Tuple, Union

from .. import _ferrograd
from .._ferrograd import Tensor
from ..grad_mode import no_grad
from .optimizer import Optimizer, ParamsT, _check_non_negative, _check_supported, _scalar

__all__ = ["Adam", "AdamW"]


def _check_betas(betas):
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


class Adam(Optimizer):
    def __init__(self, params: ParamsT, lr: Union[float, Tensor] = 1e-3,
                 betas: Tuple[Union[float, Tensor], Union[float, Tensor]] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: Optional[bool] = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: Optional[bool] = None, decoupled_weight_decay: bool = False) -> None:
        _check_non_negative(lr=lr, eps=eps)
        _check_betas(betas)
        _check_non_negative(weight_decay=weight_decay)
        if not (
            (isinstance(betas[0], float) and isinstance(betas[1], float))
            or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))
        ):
            raise ValueError("betas must be either both floats or both Tensors")
        _check_supported(foreach, fused, differentiable)
        defaults = {
            "lr": lr,
            "betas": (_scalar(betas[0]), _scalar(betas[1])),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._fill_group_defaults(amsgrad=False, maximize=False, foreach=None, capturable=False,
                                  differentiable=False, decoupled_weight_decay=False, fused=None)
        self._steps_as_tensors()

    def _init_group(self, group, params):
        """The group's state lists, creating the state of params seen for the first time."""
        exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps = [], [], [], []
        for p in params:
            state = self.state[p]
            if len(state) == 0:
                state["step"] = self._new_step()
                state["exp_avg"] = _ferrograd.zeros_like(p)
                state["exp_avg_sq"] = _ferrograd.zeros_like(p)
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = _ferrograd.zeros_like(p)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            if group["amsgrad"]:
                max_exp_avg_sqs.append(state["max_exp_avg_sq"])
            steps.append(state["step"])
        return exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        loss = self._evaluate(closure)
        with no_grad():
            for group in self.param_groups:
                params, grads = self._with_grad(group)
                if not params:
                    continue
                exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps = self._init_group(group, params)
                beta1, beta2 = group["betas"]
                _ferrograd._optim.adam_step(
                    params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps,
                    lr=_scalar(group["lr"]),
                    beta1=_scalar(beta1),
                    beta2=_scalar(beta2),
                    weight_decay=_scalar(group["weight_decay"]),
                    eps=_scalar(group["eps"]),
                    amsgrad=bool(group["amsgrad"]),
                    maximize=bool(group["maximize"]),
                    decoupled_weight_decay=bool(group["decoupled_weight_decay"]),
                )
        return loss


class AdamW(Adam):
    """Adam whose weight decay shrinks the params directly rather than
    entering the moment estimates."""

    def __init__(self, params: ParamsT, lr: Union[float, Tensor] = 1e-3,
                 betas: Tuple[Union[float, Tensor], Union[float, Tensor]] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: Optional[bool] = None, capturable: bool = False, differentiable: bool = False,
                 fused: Optional[bool] = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
