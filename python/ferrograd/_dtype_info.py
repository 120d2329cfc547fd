"""``torch.finfo`` and ``torch.iinfo``: the numeric limits of a dtype."""

import math

import numpy as np

from . import _ferrograd as _C


def _dtype_name(dtype):
    return str(dtype).rpartition(".")[2]


# bfloat16 has float32's exponent range and an 8-bit significand; numpy has no such type.
_BFLOAT16 = dict(bits=16, eps=2.0 ** -7, max=(2 - 2.0 ** -7) * 2.0 ** 127, tiny=2.0 ** -126)


class finfo:
    """Limits of a floating dtype (the default dtype when none is given)."""

    def __init__(self, type=None):
        dtype = _C.get_default_dtype() if type is None else type
        if not isinstance(dtype, _C.dtype) or not dtype.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle 'torch.finfo'")
        self.dtype = _dtype_name(dtype)
        if dtype is _C.bfloat16:
            limits = _BFLOAT16
        else:
            info = np.finfo(self.dtype)
            limits = dict(bits=info.bits, eps=float(info.eps), max=float(info.max), tiny=float(info.tiny))
        self.bits = limits["bits"]
        self.eps = limits["eps"]
        self.max = limits["max"]
        self.min = -limits["max"]
        self.tiny = self.smallest_normal = limits["tiny"]
        # Decimal digits the significand resolves, as a power of ten.
        self.resolution = 10.0 ** -math.floor(-math.log10(self.eps))

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype."""

    def __init__(self, type):
        if not isinstance(type, _C.dtype) or type.is_floating_point:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'")
        if type is _C.bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        self.dtype = _dtype_name(type)
        info = np.iinfo(self.dtype)
        self.bits, self.min, self.max = info.bits, int(info.min), int(info.max)

    def __repr__(self):
        return f"iinfo(min={float(self.min):g}, max={float(self.max):g}, dtype={self.dtype})"
