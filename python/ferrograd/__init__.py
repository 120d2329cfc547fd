"""ferrograd: tensors and autograd with PyTorch's API, computed by a Rust core.

``import ferrograd as torch`` runs PyTorch-style autograd code unchanged.
"""

from . import _ferrograd as _C
from ._ferrograd import (
    Tensor,
    ShapeError,
    DimensionError,
    AutogradError,
    DTypeError,
    tensor,
    as_tensor,
    from_numpy,
    zeros,
    ones,
    empty,
    full,
    rand,
    randn,
    zeros_like,
    ones_like,
    empty_like,
    full_like,
    rand_like,
    randn_like,
    arange,
    linspace,
    logspace,
    eye,
    get_default_dtype,
    set_default_dtype,
    manual_seed,
    initial_seed,
    seed,
    get_rng_state,
    set_rng_state,
    Generator,
    default_generator,
    randint,
    randperm,
    normal,
    bernoulli,
    multinomial,
    set_printoptions,
    is_grad_enabled,
)
from ._ferrograd import dtype
from ._size import Size
from ._dtype_info import finfo, iinfo
from ._legacy_types import FloatTensor, DoubleTensor, HalfTensor, BFloat16Tensor, LongTensor, BoolTensor
from ._device import device
from .grad_mode import no_grad, enable_grad, set_grad_enabled, inference_mode, is_inference_mode_enabled
from . import autograd, cuda
from .autograd.anomaly_mode import is_anomaly_enabled, set_detect_anomaly

__version__ = "0.1.0"

# Function forms are the Tensor methods themselves: `torch.exp(x)` calls
# straight into Rust with no Python wrapper in between.
add, sub, mul, div, neg = Tensor.add, Tensor.sub, Tensor.mul, Tensor.div, Tensor.neg
exp, log, sqrt, tanh, sigmoid = Tensor.exp, Tensor.log, Tensor.sqrt, Tensor.tanh, Tensor.sigmoid
relu, abs, sign, reciprocal = Tensor.relu, Tensor.abs, Tensor.sign, Tensor.reciprocal
sum, mean, matmul, mm = Tensor.sum, Tensor.mean, Tensor.matmul, Tensor.mm
t, transpose, reshape, permute, flatten = Tensor.t, Tensor.transpose, Tensor.reshape, Tensor.permute, Tensor.flatten
unsqueeze, squeeze, clone, detach, numel = Tensor.unsqueeze, Tensor.squeeze, Tensor.clone, Tensor.detach, Tensor.numel
eq, ne, lt, le, gt, ge = Tensor.eq, Tensor.ne, Tensor.lt, Tensor.le, Tensor.gt, Tensor.ge
bmm, dot, mv, outer = Tensor.bmm, Tensor.dot, Tensor.mv, Tensor.outer
from ._ferrograd import addmm
from ._ferrograd import isclose, allclose, equal
from ._linalg import einsum

subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def pow(input, exponent):
    """``input ** exponent``; ``input`` may be a Python number."""
    if isinstance(input, Tensor):
        return input.pow(exponent)
    return exponent.__rpow__(input)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


# Shape, views and joining. The Tensor methods double as function forms; the
# joining functions are module-level in the compiled module.
from ._ferrograd import (
    cat,
    concat,
    concatenate,
    stack,
    hstack,
    vstack,
    row_stack,
    dstack,
    column_stack,
    atleast_1d,
    atleast_2d,
    atleast_3d,
)

view_as, reshape_as, expand_as, broadcast_to = Tensor.view_as, Tensor.reshape_as, Tensor.expand_as, Tensor.broadcast_to
swapaxes, swapdims, movedim, moveaxis, ravel = Tensor.swapaxes, Tensor.swapdims, Tensor.movedim, Tensor.moveaxis, Tensor.ravel
unflatten, select, narrow, diagonal = Tensor.unflatten, Tensor.select, Tensor.narrow, Tensor.diagonal
unbind, chunk, split, split_with_sizes = Tensor.unbind, Tensor.chunk, Tensor.split, Tensor.split_with_sizes
flip, roll, tile, repeat_interleave = Tensor.flip, Tensor.roll, Tensor.tile, Tensor.repeat_interleave
tril, triu = Tensor.tril, Tensor.triu
# Reductions beyond sum and mean: the Tensor methods themselves, as above.
# `max`, `min`, `all` and `any` shadow the builtins here, as in torch.
from . import return_types
prod, amax, amin, argmax, argmin = Tensor.prod, Tensor.amax, Tensor.amin, Tensor.argmax, Tensor.argmin
var, std, logsumexp, norm = Tensor.var, Tensor.std, Tensor.logsumexp, Tensor.norm
cumsum, cumprod = Tensor.cumsum, Tensor.cumprod
max, min, all, any = Tensor.max, Tensor.min, Tensor.all, Tensor.any
# ---- pointwise math, rounding, logical ops, clamp, where, lerp ----------------
from ._ferrograd import where
exp2, expm1, log2, log10, log1p = Tensor.exp2, Tensor.expm1, Tensor.log2, Tensor.log10, Tensor.log1p
rsqrt, square, sin, cos, tan, erf = Tensor.rsqrt, Tensor.square, Tensor.sin, Tensor.cos, Tensor.tan, Tensor.erf
floor, ceil, round, trunc, fix = Tensor.floor, Tensor.ceil, Tensor.round, Tensor.trunc, Tensor.fix
nan_to_num, isnan, isinf, isfinite = Tensor.nan_to_num, Tensor.isnan, Tensor.isinf, Tensor.isfinite
logical_and, logical_or, logical_xor, logical_not = Tensor.logical_and, Tensor.logical_or, Tensor.logical_xor, Tensor.logical_not
bitwise_not, floor_divide = Tensor.bitwise_not, Tensor.floor_divide
clamp, clip, clamp_, clip_, relu_ = Tensor.clamp, Tensor.clip, Tensor.clamp_, Tensor.clip_, Tensor.relu_
maximum, minimum, lerp = Tensor.maximum, Tensor.minimum, Tensor.lerp
from . import nn
from .serialization import save, load
from . import utils
from . import optim
# ---- advanced indexing and index ops ---------------------------------------------
from ._ferrograd import index_put
gather, scatter, scatter_add, index_select = Tensor.gather, Tensor.scatter, Tensor.scatter_add, Tensor.index_select
index_add, index_fill, masked_fill, masked_select = Tensor.index_add, Tensor.index_fill, Tensor.masked_fill, Tensor.masked_select
take_along_dim, nonzero = Tensor.take_along_dim, Tensor.nonzero
# ---- softmax ----------------------------------------------------------------
softmax, log_softmax = Tensor.softmax, Tensor.log_softmax


# dtype objects and their aliases. They shadow builtins (`bool`, `float`) in
# this module's namespace, so they are bound last.
float32 = _C.float32
float64 = _C.float64
float16 = _C.float16
bfloat16 = _C.bfloat16
int64 = _C.int64
half = float16
float = float32
double = float64
long = int64
bool = _C.bool
