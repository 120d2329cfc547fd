"""``torch.autograd.Variable``: the deprecated wrapper, kept so old scripts run.

Calling it returns a plain tensor (detached from ``data``'s graph, sharing its
values) and every tensor counts as a Variable.
"""

from .._ferrograd import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    def __new__(cls, data, requires_grad=False, volatile=False):
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
