"""The ``Optimizer`` base class: parameter groups, per-parameter state,
``zero_grad``, and ``state_dict``/``load_state_dict`` in PyTorch's layout.

Subclasses gather each group's params, grads and state tensors into lists
and hand them to one compiled call (``ferrograd._ferrograd._optim``), which
updates the whole group in place.
"""

import warnings
from collections import defaultdict
from copy import deepcopy
from itertools import chain
from typing import Any, Callable, Dict, Iterable, Optional, Tuple, Union

from .. import _ferrograd
from .._ferrograd import Tensor
from ..grad_mode import enable_grad

__all__ = ["Optimizer", "ParamsT", "required"]

# What an optimizer accepts as its parameters: tensors, (name, tensor) pairs,
# or parameter groups (dicts with a "params" entry and hyperparameters).
ParamsT = Union[Iterable[Tensor], Iterable[Tuple[str, Tensor]], Iterable[Dict[str, Any]]]


class _RequiredParameter:
    """Marks a hyperparameter every param group must give."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj):
    """The type name PyTorch prints in its optimizer errors."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("builtins", None) else f"{module}.{name}"


# PyTorch's wording for a negative hyperparameter; others read "Invalid <name> value".
_NEGATIVE_LABELS = {"lr": "learning rate", "eps": "epsilon value"}


def _check_non_negative(**hyperparameters):
    """Raises PyTorch's ValueError for the first negative (or NaN) value, in
    the order given; a tensor ``lr`` must have one element."""
    for name, value in hyperparameters.items():
        if name == "lr" and isinstance(value, Tensor) and value.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= value:
            raise ValueError(f"Invalid {_NEGATIVE_LABELS.get(name, name + ' value')}: {value}")


def _scalar(value):
    """A hyperparameter as a Python float (a one-element tensor is accepted)."""
    return float(value.item()) if isinstance(value, Tensor) else float(value)


class Optimizer:
    """Base class for all optimizers.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of
            dicts each defining a parameter group (key ``"params"`` plus any
            hyperparameters overriding ``defaults``).
        defaults: the default hyperparameters of every group.
    """

    def __init__(self, params: ParamsT, defaults: Dict[str, Any]) -> None:
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be "
                "an iterable of Tensors or dicts, but got " + _typename(params)
            )
        if isinstance(params, set):
            warnings.warn(
                "optimizer parameters need to be organized in ordered collections, but "
                "the ordering of tensors in sets will change between runs. Please use a "
                "list instead. This will be an error in a future release.",
                FutureWarning,
                stacklevel=2,
            )
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # ---- parameter groups ---------------------------------------------------

    def add_param_group(self, param_group):
        """Adds a group of params with its own hyperparameters."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but "
                "the ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(param))
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len(set(params)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; "
                "in future, this will cause an error; "
                "see github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )

        param_set = set()
        for group in self.param_groups:
            param_set.update(set(group["params"]))
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        if not param_set.isdisjoint(set(param_group["params"])):
            raise ValueError("some parameters appear in more than one parameter group")

        self.param_groups.append(param_group)

    # ---- gradients and steps ------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Resets the gradients of every optimized tensor (to None by default)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad.zero_()

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """Performs one optimization step; returns the closure's loss if given."""
        raise NotImplementedError

    def _evaluate(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    @staticmethod
    def _with_grad(group):
        """The group's params that have a gradient, and those gradients."""
        params = [p for p in group["params"] if p.grad is not None]
        return params, [p.grad for p in params]

    @staticmethod
    def _new_step():
        """A fresh step counter: a float32 0-d tensor, as in PyTorch 2.x."""
        return _ferrograd.tensor(0.0, dtype=_ferrograd.float32)

    # ---- saving and loading -------------------------------------------------

    def state_dict(self):
        """The optimizer's state: ``{'state': {index: {...}}, 'param_groups': [...]}``,
        params replaced by their index in group order."""
        param_mappings = {}
        start_index = 0

        def pack_group(group):
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != "params"}
            param_mappings.update(
                {id(p): i for i, p in enumerate(group["params"], start_index) if id(p) not in param_mappings}
            )
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {
            (param_mappings[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()
        }
        return {"state": packed_state, "param_groups": param_groups}

    def load_state_dict(self, state_dict):
        """Loads a state produced by ``state_dict()`` (of this library or, with
        its tensors converted, of PyTorch's optimizer)."""
        state_dict = state_dict.copy()
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
            )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )

        def cast(param, value, key=None):
            if isinstance(value, Tensor):
                # The step counter keeps its own dtype; other floating state
                # follows the param's dtype.
                if key == "step" or not param.is_floating_point():
                    return value
                return value.to(dtype=param.dtype)
            if isinstance(value, dict):
                return {k: cast(param, v, key=k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v)
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})

    def _fill_group_defaults(self, **defaults):
        """Gives groups loaded from older checkpoints the options they lack."""
        for group in self.param_groups:
            for key, value in defaults.items():
                group.setdefault(key, value)

    def _steps_as_tensors(self):
        """Turns step counts saved as numbers (older checkpoints) into tensors."""
        for group in self.param_groups:
            for p in group["params"]:
                p_state = self.state.get(p, {})
                if len(p_state) != 0 and "step" in p_state and not isinstance(p_state["step"], Tensor):
                    p_state["step"] = _ferrograd.tensor(float(p_state["step"]), dtype=_ferrograd.float32)


def _check_supported(foreach, fused, differentiable):
    """Options that select PyTorch implementations are accepted (every step
    here is one fused call); differentiable steps are not available."""
    if differentiable:
        raise NotImplementedError("ferrograd.optim does not support differentiable=True")
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
