"""``Parameter``: a leaf Tensor that a Module registers as one of its weights."""

from .. import _ferrograd as _C
from .._ferrograd import Tensor

__all__ = ["Parameter", "Buffer"]


def _empty():
    return _C.empty(0)


class Parameter(Tensor):
    """A Tensor that is a module parameter when assigned as a Module attribute.

    It shares ``data``'s storage and is always a leaf, so gradients accumulate
    in its own ``.grad``.
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _empty()
        # Detached first: a parameter built from an intermediate result must not
        # keep that result's graph alive, and must itself be a leaf.
        return Tensor.__new__(cls, data.detach(), requires_grad)

    def __init__(self, data=None, requires_grad=True):
        # Everything happens in __new__; Tensor.__init__ must not see the arguments.
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.detach().clone(), self.requires_grad)
        memo[id(self)] = result
        if self.__dict__:
            import copy

            result.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (type(self), _to_host(self), self.requires_grad, self.__dict__ or None))


def _to_host(tensor):
    """The values as (numpy array, dtype name); numpy has no bfloat16, so it travels as float32."""
    name = str(tensor.dtype).rpartition(".")[2]
    values = tensor.detach()
    if name == "bfloat16":
        values = values.float()
    return values.numpy().copy(), name


def _from_host(host):
    import ferrograd

    array, name = host
    values = ferrograd.from_numpy(array)
    dtype = getattr(ferrograd, name)
    return values if values.dtype == dtype else values.to(dtype)


def _rebuild_parameter(cls, host, requires_grad, state):
    param = cls(_from_host(host), requires_grad)
    if state:
        param.__dict__.update(state)
    return param


class _BufferMeta(type):
    # isinstance(t, Buffer) is True for a Buffer-flagged tensor, as in PyTorch.
    def __instancecheck__(cls, instance):
        return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """Marks a Tensor to be registered as a buffer when assigned to a Module.

    ``Buffer(t)`` returns ``t`` itself (detached), flagged; ``persistent`` decides
    whether it enters the ``state_dict``.
    """

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = _empty()
        # A plain Tensor cannot carry attributes, so the flag rides on a subclass instance.
        buffer = _FlaggedTensor(data.detach(), data.requires_grad)
        buffer._is_buffer = True
        buffer.persistent = persistent
        return buffer


class _FlaggedTensor(Tensor):
    def __init__(self, *args, **kwargs):
        pass
