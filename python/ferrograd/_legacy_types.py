"""Legacy typed constructors (``torch.FloatTensor(2, 3)``, ``torch.LongTensor([1, 2])``)
and ``Tensor.type()``.

Type names read 'torch.FloatTensor', not 'ferrograd.FloatTensor': scripts
compare ``t.type()`` with PyTorch's strings, and ``import ferrograd as torch``
must leave those comparisons true (dtype and Size reprs say 'torch.' too).
"""

from . import _ferrograd as _C

# The legacy type name of each dtype, after "torch.".
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

_DTYPES = {name: getattr(_C, name) for name in _TENSOR_TYPE_NAMES}
_DTYPE_BY_TYPE_NAME = {"torch." + _TENSOR_TYPE_NAMES[name]: dtype for name, dtype in _DTYPES.items()}


def type_name(dtype):
    """'torch.FloatTensor' for float32, and so on."""
    return "torch." + _TENSOR_TYPE_NAMES[str(dtype).rpartition(".")[2]]


def tensor_type(tensor, dtype=None):
    """``t.type()``: the type name; ``t.type(dtype or name)``: ``t`` converted."""
    if dtype is None:
        return type_name(tensor.dtype)
    if isinstance(dtype, str):
        if dtype not in _DTYPE_BY_TYPE_NAME:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = _DTYPE_BY_TYPE_NAME[dtype]
    elif isinstance(dtype, _LegacyTensorType):
        dtype = dtype.dtype
    return tensor.to(dtype)


class _LegacyTensorType(type):
    """A typed constructor that also answers ``isinstance(t, torch.FloatTensor)``."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, _C.Tensor) and obj.dtype is cls.dtype

    def __call__(cls, *args, device=None):
        """``(2, 3)`` or ``(Size)``: an uninitialised tensor of that shape; ``(data)``: a copy of data."""
        if len(args) == 1 and not isinstance(args[0], int) and not _is_size(args[0]):
            return _C.tensor(args[0], dtype=cls.dtype, device=device)
        if not all(isinstance(a, int) for a in args) and not (len(args) == 1 and _is_size(args[0])):
            got = ", ".join(type(a).__name__ for a in args)
            raise TypeError(f"new() received an invalid combination of arguments - got ({got})")
        # No arguments is an empty 1-d tensor, not a scalar.
        return _C.empty(*(args or (0,)), dtype=cls.dtype, device=device)


def _is_size(obj):
    from ._size import Size
    return isinstance(obj, Size)


def _legacy_type(dtype_name):
    dtype = _DTYPES[dtype_name]
    return _LegacyTensorType(_TENSOR_TYPE_NAMES[dtype_name], (), {"dtype": dtype, "__module__": "torch"})


FloatTensor = _legacy_type("float32")
DoubleTensor = _legacy_type("float64")
HalfTensor = _legacy_type("float16")
BFloat16Tensor = _legacy_type("bfloat16")
LongTensor = _legacy_type("int64")
IntTensor = _legacy_type("int32")
ShortTensor = _legacy_type("int16")
CharTensor = _legacy_type("int8")
ByteTensor = _legacy_type("uint8")
BoolTensor = _legacy_type("bool")
