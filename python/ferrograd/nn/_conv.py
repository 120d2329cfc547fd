"""Convolution, pooling, padding, normalization and embedding functions of
``torch.nn.functional``. Each parses PyTorch's flexible arguments (an int or a
tuple, ``'same'``, unbatched inputs) and makes one call into the compiled
``_nn_conv`` module, which records one graph node per op."""

import math

from .._ferrograd import _nn_conv as _C
from .._linalg import linear

__all__ = [
    "linear", "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold", "max_pool1d", "max_pool2d",
    "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "pad",
    "layer_norm", "batch_norm", "group_norm", "embedding",
]


def _ntuple(value, n, name, what="convolution"):
    """``value`` as an ``n``-tuple of ints: an int is repeated, a 1-sequence too."""
    if isinstance(value, (list, tuple)):
        items = tuple(value)
        if len(items) == 1:
            items = items * n
        if len(items) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match "
                               f"the {what} dimensions, but got {name}={list(value)}")
        return tuple(int(v) for v in items)
    return (int(value),) * n


def _size_list(t):
    return list(t.shape)


# ---- convolution -------------------------------------------------------------------------

def _conv_padding(padding, n, stride, dilation, kernel):
    """(before, after) padding per spatial dim; 'same' may be asymmetric."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * n, (0,) * n
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        total = [d * (k - 1) for d, k in zip(dilation, kernel)]
        lo = tuple(t // 2 for t in total)
        return lo, tuple(t - l for t, l in zip(total, lo))
    pads = _ntuple(padding, n, "padding")
    if any(p < 0 for p in pads):
        raise RuntimeError("negative padding is not supported")
    return pads, pads


def _conv(input, weight, bias, stride, padding, dilation, groups, n, name):
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {name}, "
                           f"but got input of size: {_size_list(input)}")
    if weight.dim() != n + 2:
        spatial = max(weight.dim() - 2, 0)
        raise RuntimeError(f"expected stride to be a single integer value or a list of {spatial} values to match "
                           f"the convolution dimensions, but got stride={list(_ntuple(stride, n, 'stride'))}")
    batched = input.dim() == n + 2
    if not batched:
        input = input.unsqueeze(0)
    stride = _ntuple(stride, n, "stride")
    dilation = _ntuple(dilation, n, "dilation")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    lo, hi = _conv_padding(padding, n, stride, dilation, tuple(weight.shape[2:]))
    out = _C.convolution(input, weight, bias, list(stride), list(lo), list(hi), list(dilation), int(groups))
    return out if batched else out.squeeze(0)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over ``(N, C, L)`` or unbatched ``(C, L)`` input."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over ``(N, C, H, W)`` or unbatched ``(C, H, W)`` input."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def _conv_transpose_checks(input, weight, bias, stride, padding, output_padding, groups, dilation, n, name):
    """PyTorch's argument checks for a transposed convolution; returns the int tuples."""
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {name}, "
                           f"but got input of size: {_size_list(input)}")
    if weight.dim() != n + 2:
        spatial = max(weight.dim() - 2, 0)
        raise RuntimeError(f"expected stride to be a single integer value or a list of {spatial} values to match "
                           f"the convolution dimensions, but got stride={list(_ntuple(stride, n, 'stride'))}")
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    stride, padding, output_padding, dilation = (_ntuple(v, n, label) for v, label in (
        (stride, "stride"), (padding, "padding"), (output_padding, "output_padding"), (dilation, "dilation")))
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.shape[0] % groups != 0:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size [{_size_list(weight)}] instead")
    channels = input.shape[1] if input.dim() == n + 2 else input.shape[0]
    if channels != weight.shape[0]:
        shape = _size_list(input) if input.dim() == n + 2 else [1] + _size_list(input)
        raise RuntimeError(f"Given transposed=1, weight of size {_size_list(weight)}, expected input{shape} to have "
                           f"{weight.shape[0]} channels, but got {channels} channels instead")
    out_channels = weight.shape[1] * groups
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_channels):
        raise RuntimeError(f"Given transposed=1, weight of size {_size_list(weight)}, expected bias to be "
                           f"1-dimensional with {out_channels} elements, but got bias of size {_size_list(bias)} "
                           "instead")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        if n == 2:
            detail = (f"output_padding_height: {output_padding[0]} output_padding_width: {output_padding[1]} "
                      f"stride_height: {stride[0]} stride_width: {stride[1]} "
                      f"dilation_height: {dilation[0]} dilation_width: {dilation[1]}")
        else:
            detail = f"output_padding: {output_padding} stride: {stride} dilation: {dilation}"
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got {detail}")
    in_sizes = tuple(input.shape[-n:])
    out_sizes = tuple((i - 1) * s - 2 * p + d * (k - 1) + 1 + op for i, s, p, d, k, op in
                      zip(in_sizes, stride, padding, dilation, weight.shape[2:], output_padding))
    if any(o <= 0 for o in out_sizes):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, in_sizes))}). Calculated output size "
                           f"per channel: ({' x '.join(map(str, out_sizes))}). Output size is too small")
    return stride, padding, output_padding, dilation


def _conv_transpose2d_batched(x, weight, stride, padding, output_padding, groups, dilation):
    """Transposed convolution of ``(N, C_in, H, W)`` as a matmul scattered by ``fold``.

    Every input pixel contributes ``weight[c_in]`` (a ``C_out/g x kh x kw`` block)
    scaled by its value at ``stride * position``; that is ``W^T @ x`` read as the
    columns of ``fold``.  ``fold`` builds the uncropped output, then the padding
    is cropped away and ``output_padding`` restores rows/columns past the crop.
    """
    n, c_in, h, w = x.shape
    kh, kw = weight.shape[2:]
    per_group_out = weight.shape[1]
    w_groups = weight.reshape(groups, c_in // groups, per_group_out * kh * kw).transpose(1, 2)
    cols = w_groups.matmul(x.reshape(n, groups, c_in // groups, h * w))
    cols = cols.reshape(n, groups * per_group_out * kh * kw, h * w)
    full = tuple((i - 1) * s + d * (k - 1) + 1 for i, s, d, k in zip((h, w), stride, dilation, (kh, kw)))
    image = fold(cols, full, (kh, kw), dilation=dilation, stride=stride)
    (ph, pw), (oph, opw) = padding, output_padding
    if ph == pw == oph == opw == 0:
        return image
    return pad(image, [-pw, opw - pw, -ph, oph - ph])


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, n, name):
    stride, padding, output_padding, dilation = _conv_transpose_checks(
        input, weight, bias, stride, padding, output_padding, groups, dilation, n, name)
    batched = input.dim() == n + 2
    x = input if batched else input.unsqueeze(0)
    if n == 1:
        # A length-L signal is a 1 x L image.
        x, weight = x.unsqueeze(2), weight.unsqueeze(2)
        stride, padding, output_padding, dilation = ((1,) + stride, (0,) + padding, (0,) + output_padding,
                                                     (1,) + dilation)
    out = _conv_transpose2d_batched(x, weight, stride, padding, output_padding, int(groups), dilation)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    if n == 1:
        out = out.squeeze(2)
    return out if batched else out.squeeze(0)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 1-D convolution over ``(N, C_in, L)`` or ``(C_in, L)``; weight ``(C_in, C_out/groups, k)``."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-D convolution over ``(N, C_in, H, W)`` or ``(C_in, H, W)``;
    weight ``(C_in, C_out/groups, kh, kw)``."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")


def _window_args(kernel_size, dilation, padding, stride, name):
    args = [_ntuple(v, 2, label, name) for v, label in
            ((kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"), (stride, "stride"))]
    for values, label in zip(args, ("kernel", "dilation", "padding", "stride")):
        low = 0 if label == "padding" else 1
        if any(v < low for v in values):
            what = "non-negative" if label == "padding" else "greater than zero"
            raise RuntimeError(f"{name}(): expected {label} to be {what}, but got {label}={list(values)}")
    return args


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks as columns: ``(N, C, H, W)`` -> ``(N, C*kh*kw, L)``."""
    if input.dim() not in (3, 4):
        raise RuntimeError("Input Error: Only 3D or 4D input Tensors are supported (got {}D)".format(input.dim()))
    return _C.im2col(input, *_window_args(kernel_size, dilation, padding, stride, "im2col"))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sums columns back into an image: ``(N, C*kh*kw, L)`` -> ``(N, C, H, W)``."""
    if input.dim() not in (2, 3):
        raise RuntimeError("Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got {}D)".format(input.dim()))
    size = _ntuple(output_size, 2, "output_size", "col2im")
    return _C.col2im(input, size, *_window_args(kernel_size, dilation, padding, stride, "col2im"))


# ---- pooling -------------------------------------------------------------------------------

def _pool_stride(stride, kernel_size):
    return kernel_size if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else stride


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Window maxima over ``(N, C, H, W)`` or ``(C, H, W)``; gradient to the first maximum."""
    stride = _pool_stride(stride, kernel_size)
    args = [_ntuple(v, 2, name, "pooling") for v, name in
            ((kernel_size, "kernel_size"), (stride, "stride"), (padding, "padding"), (dilation, "dilation"))]
    if any(p < 0 for p in args[2]):
        raise RuntimeError(f"pad must be non-negative, but got pad: {args[2][0]}")
    values, indices = _C.max_pool2d(input, *args, bool(ceil_mode))
    return (values, indices) if return_indices else values


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Window maxima over ``(N, C, L)`` or ``(C, L)``."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"max_pool1d() Expected 2D or 3D input tensor, but got {_size_list(input)}")
    stride = _pool_stride(stride, kernel_size)
    one = lambda v, name: (1,) + _ntuple(v, 1, name, "pooling")
    values, indices = _C.max_pool2d(input.unsqueeze(-2), one(kernel_size, "kernel_size"), one(stride, "stride"),
                                    (0,) + _ntuple(padding, 1, "padding", "pooling"), one(dilation, "dilation"),
                                    bool(ceil_mode))
    values = values.squeeze(-2)
    return (values, indices.squeeze(-2)) if return_indices else values


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Window means over ``(N, C, H, W)`` or ``(C, H, W)``."""
    stride = _pool_stride(stride, kernel_size)
    args = [_ntuple(v, 2, name, "pooling") for v, name in
            ((kernel_size, "kernel_size"), (stride, "stride"), (padding, "padding"))]
    if any(p < 0 for p in args[2]):
        raise RuntimeError(f"pad must be non-negative, but got pad: {args[2][0]}")
    return _C.avg_pool2d(input, *args, bool(ceil_mode), bool(count_include_pad),
                         None if divisor_override is None else int(divisor_override))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Window means over ``(N, C, L)`` or ``(C, L)``."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"avg_pool1d() Expected 2D or 3D input tensor, but got {_size_list(input)}")
    stride = _pool_stride(stride, kernel_size)
    one = lambda v, name: (1,) + _ntuple(v, 1, name, "pooling")
    out = _C.avg_pool2d(input.unsqueeze(-2), one(kernel_size, "kernel_size"), one(stride, "stride"),
                        (0,) + _ntuple(padding, 1, "padding", "pooling"), bool(ceil_mode),
                        bool(count_include_pad), None)
    return out.squeeze(-2)


def adaptive_avg_pool2d(input, output_size):
    """Means over PyTorch's adaptive windows; ``None`` in ``output_size`` keeps that size."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {_size_list(input)}")
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != 2:
            raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
        size = tuple(input.shape[-2 + i] if s is None else int(s) for i, s in enumerate(output_size))
    else:
        size = (int(output_size),) * 2
    if any(s < 0 for s in size):
        raise RuntimeError(f"adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {{{size[0]}, {size[1]}}}")
    for d in range(1, input.dim()):
        if input.shape[d] == 0:
            raise RuntimeError(f"adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, "
                               f"but input has sizes {_size_list(input)} with dimension {d} being empty")
    if size == (1, 1):
        # PyTorch reduces a 1x1 output to a mean (MeanBackward1).
        return input.mean(dim=(-1, -2), keepdim=True)
    return _C.adaptive_avg_pool2d(input, size)


def adaptive_avg_pool1d(input, output_size):
    """Means over adaptive windows of ``(N, C, L)`` or ``(C, L)``."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d() argument 'input' should have 2 or 3 dimensions, but got {_size_list(input)}")
    size = _ntuple(output_size, 1, "output_size", "pooling")[0]
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


# ---- padding -------------------------------------------------------------------------------

def pad(input, pad, mode="constant", value=None):
    """Pads the last ``len(pad) // 2`` dims; negative amounts crop. Constant mode only."""
    if len(pad) % 2 != 0:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension "
                           f"but got padding length {len(pad)} and input of dimension {input.dim()}")
    if mode != "constant":
        if mode in ("reflect", "replicate", "circular"):
            raise NotImplementedError(f"pad(): mode '{mode}' is not implemented; only mode='constant' is supported")
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    return _C.constant_pad_nd(input, [int(p) for p in pad], 0.0 if value is None else float(value))


# ---- normalization -------------------------------------------------------------------------

def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalizes over the last ``len(normalized_shape)`` dims, then scales and shifts."""
    if not isinstance(normalized_shape, (list, tuple)) and not hasattr(normalized_shape, "__iter__"):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, "
                        f"not {type(normalized_shape).__name__}")
    shape = [int(d) for d in normalized_shape]
    return _C.layer_norm(input, shape, weight, bias, float(eps))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05):
    """Per-channel normalization; in training the running stats are updated in place."""
    if training:
        count = input.shape[0] * math.prod(input.shape[2:]) if input.dim() >= 2 else input.numel()
        if count == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.size()}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    return _C.batch_norm(input, running_mean, running_var, weight, bias, bool(training),
                         0.0 if momentum is None else float(momentum), float(eps))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Normalizes each group of channels per sample, then scales and shifts per channel."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    if num_groups <= 0 or input.shape[1] % num_groups != 0:
        raise RuntimeError("Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {_size_list(input)} and num_groups={num_groups}")
    return _C.group_norm(input, int(num_groups), weight, bias, float(eps))


# ---- embedding -----------------------------------------------------------------------------

def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` at the int64 ``input`` indices."""
    if max_norm is not None:
        raise NotImplementedError("embedding(): max_norm is not supported")
    if sparse:
        raise NotImplementedError("embedding(): sparse gradients are not supported")
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < weight.size(0), "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -weight.size(0), "Padding_idx must be within num_embeddings"
            padding_idx = weight.size(0) + padding_idx
    return _C.embedding(input, weight, padding_idx, bool(scale_grad_by_freq))
