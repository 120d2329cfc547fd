"""ferrograd: tensors and autograd with PyTorch's API, computed by a Rust core.

``import ferrograd as torch`` runs PyTorch-style autograd code unchanged.
"""

from . import _ferrograd as _C
from ._lazy import lazy_attributes as _lazy_attributes
from ._ferrograd import (
    Tensor,
    ShapeError,
    DimensionError,
    AutogradError,
    DTypeError,
    tensor,
    as_tensor,
    from_numpy,
    from_dlpack,
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
    promote_types,
    set_default_dtype,
    manual_seed,
    initial_seed,
    seed,
    get_rng_state,
    set_rng_state,
    empty_cache,
    memory_stats,
    set_cache_limit,
    set_num_threads,
    get_num_threads,
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
from ._typename import typename
from ._legacy_types import FloatTensor, DoubleTensor, HalfTensor, BFloat16Tensor, LongTensor, IntTensor, ShortTensor, CharTensor, ByteTensor, BoolTensor
from ._device import device, get_default_device, set_default_device
from .grad_mode import no_grad, enable_grad, set_grad_enabled, inference_mode, is_inference_mode_enabled
from . import autograd, cuda, linalg, wgpu
from .autograd.anomaly_mode import is_anomaly_enabled

__version__ = "0.1.0"

# Function forms with PyTorch's signatures (`input=`, `out=`, `dim=`/`axis=`,
# ...) are compiled functions: `torch.exp(x)` calls straight into Rust.
from ._ferrograd import (
    add, sub, subtract, mul, multiply, div, divide, true_divide, pow,
    neg, negative, exp, log, sqrt, tanh, sigmoid, relu, abs, sign, reciprocal,
    sum, mean, matmul, mm, bmm, dot, mv, outer, addmm,
    t, transpose, reshape, permute, flatten, unsqueeze, squeeze, clone, detach, numel,
    eq, ne, lt, le, gt, ge, greater, greater_equal, less, less_equal, not_equal,
)
from ._ferrograd import isclose, allclose, equal
from ._linalg import einsum


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


# Shape, views and joining.
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
from ._ferrograd import (
    broadcast_to, swapaxes, swapdims, movedim, moveaxis, ravel,
    unflatten, select, narrow, diagonal, unbind, chunk, split, split_with_sizes,
    flip, roll, tile, repeat_interleave, tril, triu,
)
# Reductions. `max`, `min`, `all` and `any` shadow the builtins here, as in torch.
from . import return_types
from ._ferrograd import (
    prod, amax, amin, argmax, argmin, var, std, logsumexp, norm, cumsum, cumprod,
    max, min, all, any,
)
# ---- pointwise math, rounding, logical ops, clamp, where, lerp ----------------
from ._ferrograd import (
    where, remainder, fmod, exp2, expm1, log2, log10, log1p, rsqrt, square, sin, cos, tan, erf,
    floor, ceil, round, trunc, fix, nan_to_num, isnan, isinf, isfinite,
    logical_and, logical_or, logical_xor, logical_not, bitwise_not, floor_divide,
    clamp, clip, clamp_, clip_, relu_, maximum, minimum, lerp,
)
# ---- advanced indexing and index ops ---------------------------------------------
from ._ferrograd import (
    index_put, gather, scatter, scatter_add, index_select, index_add, index_fill,
    masked_fill, masked_select, take_along_dim, nonzero,
)
# ---- softmax ----------------------------------------------------------------
from ._ferrograd import softmax, log_softmax
# ---- sorting: orders found by numpy, values gathered (so gradients flow) ----
from ._sorting import sort, argsort, msort, topk, kthvalue, median
from . import _sorting
_sorting._install(Tensor)
del _sorting
# ---- short compositions of core ops (autograd differentiates them) ----------
from ._composed import (
    addcmul, addcdiv, frac, diff, trace, nansum, nanmean, count_nonzero,
    fliplr, flipud, aminmax, deg2rad, rad2deg, logaddexp, hypot, rot90, kron,
    std_mean, var_mean,
)
from . import _composed
_composed._install(Tensor)
del _composed


# dtype objects and their aliases. They shadow builtins (`bool`, `float`) in
# this module's namespace, so they are bound last.
float32 = _C.float32
float64 = _C.float64
float16 = _C.float16
bfloat16 = _C.bfloat16
int64 = _C.int64
int32 = _C.int32
int16 = _C.int16
int8 = _C.int8
uint8 = _C.uint8
half = float16
float = float32
double = float64
long = int64
int = int32
short = int16
bool = _C.bool


# The public names bound above. Type checkers take only these (and the
# submodules) as the package's own names, so `from ferrograd import Tensor`
# type-checks under mypy --strict; tests/test_public_names.py keeps the list
# complete. The lazily loaded submodules are left out so that
# `from ferrograd import *` does not load them.
__all__ = [
    "Tensor", "ShapeError", "DimensionError", "AutogradError", "DTypeError", "tensor", "as_tensor",
    "from_numpy", "from_dlpack", "zeros", "ones", "empty", "full", "rand", "randn", "zeros_like",
    "ones_like", "empty_like", "full_like", "rand_like", "randn_like", "arange", "linspace",
    "logspace", "eye", "get_default_dtype", "promote_types", "set_default_dtype", "manual_seed",
    "initial_seed", "seed", "get_rng_state", "set_rng_state", "empty_cache", "memory_stats",
    "set_cache_limit", "set_num_threads", "get_num_threads", "Generator", "default_generator",
    "randint", "randperm", "normal", "bernoulli", "multinomial", "set_printoptions",
    "is_grad_enabled", "dtype", "Size", "finfo", "iinfo", "typename", "FloatTensor", "DoubleTensor",
    "HalfTensor", "BFloat16Tensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
    "ByteTensor", "BoolTensor", "device", "get_default_device", "set_default_device", "no_grad",
    "enable_grad", "set_grad_enabled", "inference_mode", "is_inference_mode_enabled", "autograd",
    "cuda", "linalg", "wgpu", "is_anomaly_enabled", "add", "sub", "subtract", "mul", "multiply", "div",
    "divide", "true_divide", "pow", "neg", "negative", "exp", "log", "sqrt", "tanh", "sigmoid",
    "relu", "abs", "sign", "reciprocal", "sum", "mean", "matmul", "mm", "bmm", "dot", "mv", "outer",
    "addmm", "t", "transpose", "reshape", "permute", "flatten", "unsqueeze", "squeeze", "clone",
    "detach", "numel", "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
    "less_equal", "not_equal", "isclose", "allclose", "equal", "einsum", "is_tensor",
    "is_floating_point", "cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack",
    "dstack", "column_stack", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_to", "swapaxes",
    "swapdims", "movedim", "moveaxis", "ravel", "unflatten", "select", "narrow", "diagonal",
    "unbind", "chunk", "split", "split_with_sizes", "flip", "roll", "tile", "repeat_interleave",
    "tril", "triu", "return_types", "prod", "amax", "amin", "argmax", "argmin", "var", "std",
    "logsumexp", "norm", "cumsum", "cumprod", "max", "min", "all", "any", "where", "remainder",
    "fmod", "exp2", "expm1", "log2", "log10", "log1p", "rsqrt", "square", "sin", "cos", "tan",
    "erf", "floor", "ceil", "round", "trunc", "fix", "nan_to_num", "isnan", "isinf", "isfinite",
    "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_not", "floor_divide",
    "clamp", "clip", "clamp_", "clip_", "relu_", "maximum", "minimum", "lerp", "index_put",
    "gather", "scatter", "scatter_add", "index_select", "index_add", "index_fill", "masked_fill",
    "masked_select", "take_along_dim", "nonzero", "softmax", "log_softmax", "float32", "float64",
    "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "half", "float", "double",
    "long", "int", "short", "bool", "sort", "argsort", "msort", "topk", "kthvalue", "median",
    "addcmul", "addcdiv", "frac", "diff", "trace", "nansum", "nanmean", "count_nonzero", "fliplr",
    "flipud", "aminmax", "deg2rad", "rad2deg", "logaddexp", "hypot", "rot90", "kron", "std_mean",
    "var_mean",
]

# Submodules a script may never touch (layers, optimizers, checkpoint files,
# data loading) are imported on first use instead of with the package: they
# would more than double the package's import time. `ferrograd.nn`,
# `from ferrograd import save` and `import ferrograd.nn` all work as if they
# were bound above.
__getattr__, __dir__ = _lazy_attributes(
    __name__,
    submodules=("nn", "optim", "utils", "serialization", "distributed"),
    names={"save": "serialization", "load": "serialization"},
)
