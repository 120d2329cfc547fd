"""``torch.utils.dlpack``: tensors to and from DLPack capsules."""

from .._ferrograd import from_dlpack

__all__ = ["from_dlpack", "to_dlpack"]


def to_dlpack(tensor):
    """A legacy ``"dltensor"`` capsule sharing ``tensor``'s memory."""
    return tensor.__dlpack__()
