"""Functions PyTorch scripts use that are short compositions of core ops:
autograd differentiates the composition, so each has PyTorch's gradient
without a backward of its own."""

import math

from . import _ferrograd as _C
from . import return_types

__all__ = ["addcmul", "addcdiv", "frac", "diff", "trace", "nansum", "nanmean", "count_nonzero",
           "fliplr", "flipud", "aminmax", "deg2rad", "rad2deg", "logaddexp", "hypot", "rot90", "kron"]
# Functions of the torch namespace only, not Tensor methods (as in PyTorch).
_FUNCTIONS_ONLY = ["std_mean", "var_mean"]
# In-place forms, Tensor methods only (as in PyTorch).
_IN_PLACE = ["addcmul_", "addcdiv_"]


def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2``."""
    return input + tensor1 * tensor2 * value


def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2``."""
    return input + tensor1 / tensor2 * value


def addcmul_(self, tensor1, tensor2, *, value=1):
    return self.add_(tensor1 * tensor2 * value)


def addcdiv_(self, tensor1, tensor2, *, value=1):
    return self.add_(tensor1 / tensor2 * value)


def frac(input):
    """The fractional part, with the sign of ``input``."""
    return input - input.trunc()


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim``."""
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    parts = [t for t in (prepend, input, append) if t is not None]
    out = _C.cat(parts, dim) if len(parts) > 1 else input
    for _ in range(n):
        length = out.shape[dim]
        if length == 0:
            break
        out = out.narrow(dim, 1, length - 1) - out.narrow(dim, 0, length - 1)
    return out


def trace(input):
    """The sum of a matrix's diagonal."""
    if input.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.dim()}")
    return input.diagonal().sum()


def _zero_nan(input):
    return _C.where(_C.isnan(input), _C.zeros((), dtype=input.dtype, device=input.device), input)


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """The sum with NaN counted as zero."""
    values = _zero_nan(input) if input.dtype.is_floating_point else input
    if dim is None:
        return values.sum(dtype=dtype)
    return values.sum(dim, keepdim=keepdim, dtype=dtype)


# PyTorch's C++ names for the dtypes its messages print.
_SCALAR_TYPE_NAMES = {"torch.int64": "Long", "torch.int32": "Int", "torch.int16": "Short", "torch.int8": "Char",
                      "torch.uint8": "Byte", "torch.bool": "Bool"}


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """The mean of the elements that are not NaN."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"nanmean(): expected input to have floating point or complex dtype but got {_SCALAR_TYPE_NAMES.get(str(input.dtype), str(input.dtype))}")
    present = (~_C.isnan(input)).to(input.dtype)
    if dim is None:
        return nansum(input, dtype=dtype) / present.sum(dtype=dtype)
    return nansum(input, dim, keepdim, dtype=dtype) / present.sum(dim, keepdim=keepdim, dtype=dtype)


def count_nonzero(input, dim=None):
    """How many elements differ from zero, as int64."""
    nonzero = input != 0
    return nonzero.sum() if dim is None else nonzero.sum(dim)


def fliplr(input):
    if input.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return input.flip(1)


def flipud(input):
    if input.dim() < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return input.flip(0)


def aminmax(input, *, dim=None, keepdim=False):
    """The minimum and maximum, of all elements or along ``dim``."""
    if dim is None:
        low, high = input.amin(), input.amax()
        if keepdim:
            shape = [1] * input.dim()
            low, high = low.reshape(shape), high.reshape(shape)
    else:
        low, high = input.amin(dim, keepdim=keepdim), input.amax(dim, keepdim=keepdim)
    return return_types.aminmax((low, high))


def _float(input):
    return input if input.dtype.is_floating_point else input.to(_C.get_default_dtype())


def deg2rad(input):
    return _float(input) * (math.pi / 180.0)


def rad2deg(input):
    return _float(input) * (180.0 / math.pi)


def logaddexp(input, other):
    """``log(exp(input) + exp(other))`` without overflow: the larger plus
    ``log1p(exp(-|difference|))``."""
    larger = _C.maximum(input, other)
    # Equal infinities: their difference is NaN, and the sum is that infinity.
    gap = (input - other).abs().nan_to_num(nan=0.0, posinf=math.inf, neginf=math.inf)
    return larger + (-gap).exp().log1p()


def hypot(input, other):
    """``sqrt(input**2 + other**2)``."""
    return (input * input + other * other).sqrt()


def rot90(input, k=1, dims=(0, 1)):
    """Rotation by 90 degrees ``k`` times in the plane of ``dims``, from the
    first dim toward the second."""
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.dim() < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.dim()}")
    first, second = (d % input.dim() for d in dims)
    if first == second:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    k %= 4
    if k == 1:
        return input.flip([second]).transpose(first, second)
    if k == 2:
        return input.flip([first, second])
    if k == 3:
        return input.flip([first]).transpose(first, second)
    return input.clone()


def kron(input, other):
    """The Kronecker product: every element of ``input`` times all of ``other``."""
    ndim = max(input.dim(), other.dim())
    a = input.reshape((1,) * (ndim - input.dim()) + tuple(input.shape))
    b = other.reshape((1,) * (ndim - other.dim()) + tuple(other.shape))
    # a's dims interleaved with singletons, b's with singletons the other way round.
    a_shape, b_shape = [], []
    for n, m in zip(a.shape, b.shape):
        a_shape += [n, 1]
        b_shape += [1, m]
    product = a.reshape(a_shape) * b.reshape(b_shape)
    return product.reshape([n * m for n, m in zip(a.shape, b.shape)])


def _moment_mean(var, input, dim, unbiased, keepdim, correction):
    if unbiased is not None and correction is not None:
        # PyTorch's argument parser refuses the pair, naming the function.
        raise TypeError(f"{var.__name__}_mean() received an invalid combination of arguments: both unbiased and correction")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    spread = var(input, dim, correction=correction, keepdim=keepdim)
    return spread, input.mean(dim, keepdim=keepdim) if dim is not None else input.mean()


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over ``dim`` (all elements when None)."""
    return _moment_mean(_C.std, input, dim, unbiased, keepdim, correction)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over ``dim`` (all elements when None)."""
    return _moment_mean(_C.var, input, dim, unbiased, keepdim, correction)


def _install(tensor_type):
    """The same functions as Tensor methods, with ``self`` as ``input``."""
    for name in __all__ + _IN_PLACE:
        setattr(tensor_type, name, globals()[name])
