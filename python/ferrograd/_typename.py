"""``torch.typename``: the name PyTorch's error messages give a value's type."""

from ._ferrograd import Tensor

_TENSOR_TYPE_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "bfloat16": "BFloat16Tensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}


def typename(obj):
    """'ferrograd.FloatTensor' for a float32 tensor, else the dotted type name."""
    if isinstance(obj, Tensor):
        dtype_name = str(obj.dtype).rpartition(".")[2]
        return "ferrograd." + _TENSOR_TYPE_NAMES.get(dtype_name, "Tensor")
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
