"""Flatten parameters into one vector and back, as ``torch.nn.utils``."""

from ... import _ferrograd as _C
from ..._ferrograd import Tensor
from ..._typename import typename
from ...grad_mode import no_grad

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """All ``parameters`` flattened and concatenated into one 1-D tensor
    (differentiable with respect to them)."""
    return _C.cat([param.reshape(-1) for param in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters``.

    PyTorch rebinds each ``param.data`` to a view of ``vec``; ferrograd's
    storage cannot be rebound, so the values are copied instead and the
    parameters do not alias ``vec`` afterwards.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {typename(vec)}")
    pointer = 0
    with no_grad():
        for param in parameters:
            count = param.numel()
            param.copy_(vec[pointer:pointer + count].view_as(param))
            pointer += count
