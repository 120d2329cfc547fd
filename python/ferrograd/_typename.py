"""``torch.typename``: the name PyTorch's error messages give a value's type."""

from ._ferrograd import Tensor


def typename(obj):
    """'torch.FloatTensor' for a float32 tensor, as PyTorch's messages say,
    else the dotted type name."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__
        qualname = obj.__class__.__qualname__
    if module in ("", "builtins"):
        return qualname
    return module + "." + qualname
