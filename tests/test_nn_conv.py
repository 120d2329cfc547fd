"""Convolution, pooling, padding, normalization and embedding of
nn.functional: one table row per case (forward against a plain numpy
reference, gradient by finite differences in float64, both against PyTorch
when installed), then double backward, ties, grad_fn names and running stats.

Rows are ``(name, fn, ref, inputs, domain)``: ``fn(L, *tensors)`` is written
once for ferrograd and PyTorch (``L`` is the library), ``ref(*arrays)`` is the
numpy reference.  An input is a shape, or ``sw(shape)`` for a non-contiguous
input: a leaf with its last two dims swapped, passed through
``.transpose(-1, -2)``.
"""

import random
import zlib

import numpy as np
import pytest

import ferrograd as torch
from ferrograd.autograd import gradgradcheck
from gradcheck import check_grad, flatten, nest
from op_table import draw


def F(L):
    return L.nn.functional


class sw:
    """A non-contiguous input of the given (seen) shape: last two dims swapped in storage."""

    def __init__(self, *shape):
        self.shape = shape


def input_data(name, specs, domain):
    """[(flat values, stored shape, swapped)] drawn reproducibly for a row."""
    rng = random.Random(zlib.crc32(name.encode()))
    domains = domain if isinstance(domain, tuple) else (domain,) * len(specs)
    data = []
    for spec, dom in zip(specs, domains):
        swapped = isinstance(spec, sw)
        seen = spec.shape if swapped else spec
        stored = tuple(seen[:-2]) + (seen[-1], seen[-2]) if swapped else tuple(seen)
        data.append(([draw(rng, dom) for _ in range(int(np.prod(stored)))], stored, swapped))
    return data


def apply(fn, lib, data, tensors):
    return fn(lib, *[x.transpose(-1, -2) if s else x for x, (_, _, s) in zip(tensors, data)])


def ref_inputs(data):
    return [np.swapaxes(np.reshape(v, s), -1, -2) if sw_ else np.reshape(v, s) for v, s, sw_ in data]


# ---- numpy references -------------------------------------------------------------------

def np_conv2d(x, w, b=None, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1):
    x = np.pad(x, ((0, 0), (0, 0)) + tuple(padding))
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh = (h - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for i in range(oh):
        for j in range(ow):
            ys = i * stride[0] + dilation[0] * np.arange(kh)
            xs = j * stride[1] + dilation[1] * np.arange(kw)
            patch = x[:, :, ys][:, :, :, xs]  # (n, c, kh, kw)
            for g in range(groups):
                out[:, g * og:(g + 1) * og, i, j] = np.einsum(
                    "nckl,ockl->no", patch[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og])
    return out if b is None else out + b.reshape(1, -1, 1, 1)


def np_conv1d(x, w, b=None, stride=1, padding=(0, 0), dilation=1, groups=1):
    out = np_conv2d(x[:, :, None], w[:, :, None], b, (1, stride), ((0, 0), padding), (1, dilation), groups)
    return out[:, :, 0]


def np_windows(x, k, s, p, d=(1, 1), ceil=False, fill=0.0):
    """Yields (i, j, window array over the last two dims, count with pad, count without pad)."""
    h, w = x.shape[-2:]

    def out_len(n, k_, s_, p_, d_):
        num = n + 2 * p_ - d_ * (k_ - 1) - 1 + (s_ - 1 if ceil else 0)
        o = num // s_ + 1
        if ceil and (o - 1) * s_ >= n + p_:
            o -= 1
        return o
    oh, ow = out_len(h, k[0], s[0], p[0], d[0]), out_len(w, k[1], s[1], p[1], d[1])
    for i in range(oh):
        for j in range(ow):
            ys = [i * s[0] - p[0] + d[0] * a for a in range(k[0])]
            xs = [j * s[1] - p[1] + d[1] * a for a in range(k[1])]
            vy = [y for y in ys if 0 <= y < h]
            vx = [z for z in xs if 0 <= z < w]
            win = x[..., vy, :][..., vx]
            ph = min(ys[0] + k[0], h + p[0]) - ys[0]
            pw = min(xs[0] + k[1], w + p[1]) - xs[0]
            yield i, j, oh, ow, win, ph * pw


def np_max_pool2d(x, k, s=None, p=(0, 0), d=(1, 1), ceil=False):
    s = s or k
    res = {}
    for i, j, oh, ow, win, _ in np_windows(x, k, s, p, d, ceil):
        res[i, j] = win.max(axis=(-2, -1))
    return np.stack([np.stack([res[i, j] for j in range(ow)], -1) for i in range(oh)], -2)


def np_avg_pool2d(x, k, s=None, p=(0, 0), ceil=False, include_pad=True, divisor=None):
    s = s or k
    res = {}
    for i, j, oh, ow, win, padded in np_windows(x, k, s, p, (1, 1), ceil):
        count = divisor or (padded if include_pad else win.shape[-1] * win.shape[-2])
        res[i, j] = win.sum(axis=(-2, -1)) / count
    return np.stack([np.stack([res[i, j] for j in range(ow)], -1) for i in range(oh)], -2)


def np_adaptive_avg_pool2d(x, size):
    h, w = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + tuple(size))
    for i in range(size[0]):
        for j in range(size[1]):
            y0, y1 = i * h // size[0], -(-(i + 1) * h // size[0])
            x0, x1 = j * w // size[1], -(-(j + 1) * w // size[1])
            out[..., i, j] = x[..., y0:y1, x0:x1].mean(axis=(-2, -1))
    return out


def np_pad(x, pads, value=0.0):
    for i in range(len(pads) // 2):
        d = x.ndim - 1 - i
        lo, hi = pads[2 * i], pads[2 * i + 1]
        if lo < 0:
            x = np.take(x, range(-lo, x.shape[d]), axis=d)
        if hi < 0:
            x = np.take(x, range(0, x.shape[d] + hi), axis=d)
        widths = [(0, 0)] * x.ndim
        widths[d] = (max(lo, 0), max(hi, 0))
        x = np.pad(x, widths, constant_values=value)
    return x


def np_normalize(x, axes, eps=1e-5):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def np_group_norm(x, groups, w=None, b=None, eps=1e-5):
    n = x.shape[0]
    y = np_normalize(x.reshape(n, groups, -1), (2,), eps).reshape(x.shape)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if w is not None:
        y = y * w.reshape(shape)
    if b is not None:
        y = y + b.reshape(shape)
    return y


def np_unfold(x, k, d=(1, 1), p=(0, 0), s=(1, 1)):
    x = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    n, c, h, w = x.shape
    oh = (h - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w - d[1] * (k[1] - 1) - 1) // s[1] + 1
    cols = np.zeros((n, c, k[0], k[1], oh * ow))
    for i in range(oh):
        for j in range(ow):
            ys = i * s[0] + d[0] * np.arange(k[0])
            xs = j * s[1] + d[1] * np.arange(k[1])
            cols[..., i * ow + j] = x[:, :, ys][:, :, :, xs]
    return cols.reshape(n, c * k[0] * k[1], oh * ow)


def np_fold(cols, size, k, d=(1, 1), p=(0, 0), s=(1, 1)):
    n, ck, L = cols.shape
    c = ck // (k[0] * k[1])
    h, w = size[0] + 2 * p[0], size[1] + 2 * p[1]
    oh = (h - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.zeros((n, c, h, w))
    blocks = cols.reshape(n, c, k[0], k[1], L)
    for i in range(oh):
        for j in range(ow):
            for a in range(k[0]):
                for b in range(k[1]):
                    out[:, :, i * s[0] + d[0] * a, j * s[1] + d[1] * b] += blocks[:, :, a, b, i * ow + j]
    return out[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]]


IDX = [[1, 3, 3], [0, 2, 1]]

ROWS = [
    # conv2d
    ("conv2d", lambda L, x, w: F(L).conv2d(x, w), lambda x, w: np_conv2d(x, w), [(2, 3, 5, 5), (4, 3, 3, 3)], "any"),
    ("conv2d_bias", lambda L, x, w, b: F(L).conv2d(x, w, b), lambda x, w, b: np_conv2d(x, w, b), [(1, 2, 4, 5), (3, 2, 2, 3), (3,)], "any"),
    ("conv2d_stride_pad", lambda L, x, w, b: F(L).conv2d(x, w, b, stride=2, padding=1),
     lambda x, w, b: np_conv2d(x, w, b, (2, 2), ((1, 1), (1, 1))), [(2, 2, 5, 6), (3, 2, 3, 3), (3,)], "any"),
    ("conv2d_tuple_args", lambda L, x, w: F(L).conv2d(x, w, stride=(1, 2), padding=(2, 0), dilation=(2, 1)),
     lambda x, w: np_conv2d(x, w, None, (1, 2), ((2, 2), (0, 0)), (2, 1)), [(1, 2, 5, 6), (2, 2, 2, 3)], "any"),
    ("conv2d_groups", lambda L, x, w, b: F(L).conv2d(x, w, b, padding=1, groups=2),
     lambda x, w, b: np_conv2d(x, w, b, (1, 1), ((1, 1), (1, 1)), (1, 1), 2), [(2, 4, 4, 4), (6, 2, 3, 3), (6,)], "any"),
    ("conv2d_depthwise", lambda L, x, w: F(L).conv2d(x, w, groups=3),
     lambda x, w: np_conv2d(x, w, groups=3), [(1, 3, 4, 4), (3, 1, 2, 2)], "any"),
    ("conv2d_same_even_kernel", lambda L, x, w: F(L).conv2d(x, w, padding="same"),
     lambda x, w: np_conv2d(x, w, None, (1, 1), ((0, 1), (0, 1))), [(1, 2, 4, 5), (2, 2, 2, 2)], "any"),
    ("conv2d_same_dilated", lambda L, x, w: F(L).conv2d(x, w, padding="same", dilation=2),
     lambda x, w: np_conv2d(x, w, None, (1, 1), ((2, 2), (2, 2)), (2, 2)), [(1, 1, 5, 5), (2, 1, 3, 3)], "any"),
    ("conv2d_valid", lambda L, x, w: F(L).conv2d(x, w, padding="valid"), lambda x, w: np_conv2d(x, w), [(1, 2, 4, 4), (1, 2, 3, 3)], "any"),
    ("conv2d_noncontig", lambda L, x, w: F(L).conv2d(x, w, stride=2), lambda x, w: np_conv2d(x, w, stride=(2, 2)),
     [sw(2, 2, 5, 4), sw(3, 2, 3, 2)], "any"),
    ("conv2d_unbatched", lambda L, x, w: F(L).conv2d(x, w, padding=1), lambda x, w: np_conv2d(x[None], w, padding=((1, 1), (1, 1)))[0],
     [(2, 4, 4), (3, 2, 3, 3)], "any"),
    # conv1d
    ("conv1d", lambda L, x, w, b: F(L).conv1d(x, w, b), lambda x, w, b: np_conv1d(x, w, b), [(2, 3, 7), (4, 3, 3), (4,)], "any"),
    ("conv1d_stride_pad_dil", lambda L, x, w: F(L).conv1d(x, w, stride=2, padding=2, dilation=2),
     lambda x, w: np_conv1d(x, w, None, 2, (2, 2), 2), [(2, 2, 8), (3, 2, 3)], "any"),
    ("conv1d_groups_same", lambda L, x, w: F(L).conv1d(x, w, padding="same", groups=2),
     lambda x, w: np_conv1d(x, w, None, 1, (1, 2), 1, 2), [(1, 4, 6), (4, 2, 4)], "any"),
    ("conv1d_unbatched", lambda L, x, w: F(L).conv1d(x, w), lambda x, w: np_conv1d(x[None], w)[0], [(2, 6), (3, 2, 2)], "any"),
    ("conv1d_noncontig", lambda L, x, w: F(L).conv1d(x, w), lambda x, w: np_conv1d(x, w), [sw(2, 3, 5), (2, 3, 2)], "any"),
    # unfold / fold
    ("unfold", lambda L, x: F(L).unfold(x, 2), lambda x: np_unfold(x, (2, 2)), [(2, 2, 4, 3)], "any"),
    ("unfold_args", lambda L, x: F(L).unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
     lambda x: np_unfold(x, (2, 3), (1, 2), (1, 1), (2, 1)), [sw(1, 2, 4, 5)], "any"),
    ("unfold_unbatched", lambda L, x: F(L).unfold(x, (3, 2), stride=2), lambda x: np_unfold(x[None], (3, 2), s=(2, 2))[0], [(2, 5, 4)], "any"),
    ("fold_unbatched", lambda L, c: F(L).fold(c, (3, 4), (2, 3), dilation=(1, 1)), lambda c: np_fold(c[None], (3, 4), (2, 3))[0],
     [sw(12, 4)], "any"),
    ("fold", lambda L, c: F(L).fold(c, (4, 5), 2), lambda c: np_fold(c, (4, 5), (2, 2)), [(2, 8, 12)], "any"),
    ("fold_args", lambda L, c: F(L).fold(c, (5, 4), (3, 2), padding=1, stride=2),
     lambda c: np_fold(c, (5, 4), (3, 2), (1, 1), (1, 1), (2, 2)), [(1, 6, 9)], "any"),
    # max pooling
    ("max_pool2d", lambda L, x: F(L).max_pool2d(x, 2), lambda x: np_max_pool2d(x, (2, 2)), [(2, 3, 4, 4)], "any"),
    ("max_pool2d_overlap_pad", lambda L, x: F(L).max_pool2d(x, 3, stride=2, padding=1),
     lambda x: np_max_pool2d(x, (3, 3), (2, 2), (1, 1)), [(1, 2, 5, 6)], "any"),
    ("max_pool2d_dilation_ceil", lambda L, x: F(L).max_pool2d(x, (2, 3), stride=(2, 1), dilation=(1, 2), ceil_mode=True),
     lambda x: np_max_pool2d(x, (2, 3), (2, 1), (0, 0), (1, 2), True), [(1, 2, 5, 7)], "any"),
    ("max_pool2d_unbatched_noncontig", lambda L, x: F(L).max_pool2d(x, 2, 1), lambda x: np_max_pool2d(x, (2, 2), (1, 1)),
     [sw(2, 3, 4)], "any"),
    ("max_pool1d", lambda L, x: F(L).max_pool1d(x, 3, 2, padding=1), lambda x: np_max_pool2d(x[:, :, None], (1, 3), (1, 2), (0, 1))[:, :, 0],
     [(2, 3, 7)], "any"),
    # average pooling
    ("avg_pool2d", lambda L, x: F(L).avg_pool2d(x, 2), lambda x: np_avg_pool2d(x, (2, 2)), [(2, 3, 4, 4)], "any"),
    ("avg_pool2d_pad", lambda L, x: F(L).avg_pool2d(x, 3, 2, 1), lambda x: np_avg_pool2d(x, (3, 3), (2, 2), (1, 1)), [(1, 2, 5, 6)], "any"),
    ("avg_pool2d_exclude_pad", lambda L, x: F(L).avg_pool2d(x, 3, 2, 1, count_include_pad=False),
     lambda x: np_avg_pool2d(x, (3, 3), (2, 2), (1, 1), include_pad=False), [(1, 2, 5, 6)], "any"),
    ("avg_pool2d_ceil", lambda L, x: F(L).avg_pool2d(x, (2, 3), (2, 2), (1, 1), ceil_mode=True),
     lambda x: np_avg_pool2d(x, (2, 3), (2, 2), (1, 1), ceil=True), [(1, 2, 6, 6)], "any"),
    ("avg_pool2d_ceil_exclude", lambda L, x: F(L).avg_pool2d(x, 3, 2, ceil_mode=True, count_include_pad=False),
     lambda x: np_avg_pool2d(x, (3, 3), (2, 2), ceil=True, include_pad=False), [(1, 1, 6, 6)], "any"),
    ("avg_pool2d_divisor", lambda L, x: F(L).avg_pool2d(x, 2, 1, 1, divisor_override=3),
     lambda x: np_avg_pool2d(x, (2, 2), (1, 1), (1, 1), divisor=3), [(1, 2, 3, 4)], "any"),
    ("avg_pool2d_unbatched_noncontig", lambda L, x: F(L).avg_pool2d(x, 2), lambda x: np_avg_pool2d(x, (2, 2)), [sw(2, 4, 4)], "any"),
    ("avg_pool1d", lambda L, x: F(L).avg_pool1d(x, 3, 2, 1), lambda x: np_avg_pool2d(x[:, :, None], (1, 3), (1, 2), (0, 1))[:, :, 0],
     [(2, 3, 7)], "any"),
    ("adaptive_avg_pool2d", lambda L, x: F(L).adaptive_avg_pool2d(x, (2, 3)), lambda x: np_adaptive_avg_pool2d(x, (2, 3)),
     [(2, 3, 5, 7)], "any"),
    ("adaptive_avg_pool2d_global", lambda L, x: F(L).adaptive_avg_pool2d(x, 1), lambda x: np_adaptive_avg_pool2d(x, (1, 1)),
     [sw(2, 3, 4, 5)], "any"),
    ("adaptive_avg_pool2d_none_unbatched", lambda L, x: F(L).adaptive_avg_pool2d(x, (None, 2)),
     lambda x: np_adaptive_avg_pool2d(x, (4, 2)), [(3, 4, 5)], "any"),
    ("adaptive_avg_pool1d", lambda L, x: F(L).adaptive_avg_pool1d(x, 3), lambda x: np_adaptive_avg_pool2d(x[:, :, None], (1, 3))[:, :, 0],
     [(2, 2, 7)], "any"),
    # padding
    ("pad_last", lambda L, x: F(L).pad(x, (1, 2)), lambda x: np_pad(x, (1, 2)), [(2, 3, 4)], "any"),
    ("pad_two_dims_value", lambda L, x: F(L).pad(x, (1, 0, 2, 1), value=1.5), lambda x: np_pad(x, (1, 0, 2, 1), 1.5), [sw(2, 3, 4)], "any"),
    ("pad_negative_crops", lambda L, x: F(L).pad(x, (-1, 2, 1, -2)), lambda x: np_pad(x, (-1, 2, 1, -2)), [(3, 4, 5)], "any"),
    ("pad_all_dims", lambda L, x: F(L).pad(x, (1, 1, 0, 1)), lambda x: np_pad(x, (1, 1, 0, 1)), [(2, 3)], "any"),
    # normalization
    ("layer_norm", lambda L, x: F(L).layer_norm(x, (4,)), lambda x: np_normalize(x, (-1,)), [(3, 4)], "any"),
    ("layer_norm_affine", lambda L, x, w, b: F(L).layer_norm(x, (3, 4), w, b),
     lambda x, w, b: np_normalize(x, (-2, -1)) * w + b, [(2, 3, 4), (3, 4), (3, 4)], "any"),
    ("layer_norm_weight_noncontig", lambda L, x, w: F(L).layer_norm(x, [4], w, eps=1e-3),
     lambda x, w: np_normalize(x, (-1,), 1e-3) * w, [sw(2, 3, 4), (4,)], "any"),
    ("layer_norm_whole", lambda L, x, b: F(L).layer_norm(x, (2, 3), bias=b), lambda x, b: np_normalize(x, (0, 1)) + b,
     [(2, 3), (2, 3)], "any"),
    ("batch_norm_train", lambda L, x, w, b: F(L).batch_norm(x, L.zeros(3, dtype=x.dtype), L.ones(3, dtype=x.dtype), w, b, training=True),
     lambda x, w, b: np_normalize(x, (0, 2, 3)) * w.reshape(1, 3, 1, 1) + b.reshape(1, 3, 1, 1), [(2, 3, 2, 2), (3,), (3,)], "any"),
    ("batch_norm_train_2d_no_stats", lambda L, x: F(L).batch_norm(x, None, None, training=True, eps=1e-3),
     lambda x: np_normalize(x, (0,), 1e-3), [(4, 3)], "any"),
    ("batch_norm_train_1d_noncontig", lambda L, x, w: F(L).batch_norm(x, None, None, w, training=True),
     lambda x, w: np_normalize(x, (0, 2)) * w.reshape(1, 2, 1), [sw(2, 2, 3), (2,)], "any"),
    ("batch_norm_eval", lambda L, x, w, b: F(L).batch_norm(x, L.tensor([0.5, -0.25, 0.0], dtype=x.dtype), L.tensor([2.0, 0.5, 1.0], dtype=x.dtype), w, b),
     lambda x, w, b: ((x - np.array([0.5, -0.25, 0.0]).reshape(1, 3, 1)) / np.sqrt(np.array([2.0, 0.5, 1.0]).reshape(1, 3, 1) + 1e-5)
                      * w.reshape(1, 3, 1) + b.reshape(1, 3, 1)), [(2, 3, 2), (3,), (3,)], "any"),
    ("group_norm", lambda L, x, w, b: F(L).group_norm(x, 2, w, b), lambda x, w, b: np_group_norm(x, 2, w, b),
     [(2, 4, 3), (4,), (4,)], "any"),
    ("group_norm_plain_noncontig", lambda L, x: F(L).group_norm(x, 3), lambda x: np_group_norm(x, 3), [sw(2, 3, 2, 3)], "any"),
    # embedding
    ("embedding", lambda L, w: F(L).embedding(L.tensor(IDX), w), lambda w: w[np.array(IDX)], [(4, 3)], "any"),
    ("embedding_padding_idx", lambda L, w: F(L).embedding(L.tensor(IDX), w, padding_idx=3), lambda w: w[np.array(IDX)], [(5, 2)], "any"),
    ("embedding_negative_padding_scale", lambda L, w: F(L).embedding(L.tensor(IDX), w, padding_idx=-4, scale_grad_by_freq=True),
     lambda w: w[np.array(IDX)], [(4, 3)], "any"),
    ("embedding_noncontig", lambda L, w: F(L).embedding(L.tensor([2, 0, 2]), w), lambda w: w[np.array([2, 0, 2])], [sw(3, 4)], "any"),
    # linear (exported from nn.functional)
    ("linear", lambda L, x, w, b: F(L).linear(x, w, b), lambda x, w, b: x @ w.T + b, [(2, 3), (4, 3), (4,)], "any"),
]

IDS = [row[0] for row in ROWS]
# PyTorch's gradient deliberately differs from the derivative of the forward
# here (no gradient into padding_idx, gradients divided by frequency), so these
# rows are checked against PyTorch and the explicit tests below instead.
NOT_A_DERIVATIVE = {"embedding_padding_idx", "embedding_negative_padding_scale"}
ROW_ARGS = [row[1:] for row in ROWS]


def upstream(name, n):
    rng = random.Random(zlib.crc32(name.encode()) + 1)
    return [rng.uniform(-1.5, 1.5) for _ in range(n)]


@pytest.mark.parametrize("fn, ref, specs, domain", ROW_ARGS, ids=IDS)
def test_forward_matches_numpy(request, fn, ref, specs, domain):
    name = request.node.callspec.id
    data = input_data(name, specs, domain)
    ours = apply(fn, torch, data, [torch.tensor(nest(v, s), dtype=torch.float64) for v, s, _ in data])
    expected = np.asarray(ref(*ref_inputs(data)))
    assert tuple(ours.shape) == expected.shape
    assert ours.dtype == torch.float64
    np.testing.assert_allclose(flatten(ours.tolist()), expected.ravel(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("fn, ref, specs, domain", ROW_ARGS, ids=IDS)
def test_gradient_matches_finite_differences(request, fn, ref, specs, domain):
    name = request.node.callspec.id
    if name in NOT_A_DERIVATIVE:
        pytest.skip("PyTorch's gradient is not the forward's derivative for this row")
    data = input_data(name, specs, domain)
    inputs = [torch.tensor(nest(v, s), dtype=torch.float64, requires_grad=True) for v, s, _ in data]
    check_grad(lambda *xs: apply(fn, torch, data, xs), inputs, seed=zlib.crc32(name.encode()))


def run_float32(lib, fn, data, name):
    leaves = [lib.tensor(nest(v, s), dtype=lib.float32, requires_grad=True) for v, s, _ in data]
    out = apply(fn, lib, data, leaves)
    v = upstream(name, out.numel())
    out.backward(lib.tensor(nest(v, tuple(out.shape)), dtype=lib.float32))
    grads = [flatten(leaf.grad.tolist()) for leaf in leaves]
    return tuple(out.shape), flatten(out.tolist()), grads, type(out.grad_fn).__name__


@pytest.mark.parametrize("fn, ref, specs, domain", ROW_ARGS, ids=IDS)
def test_matches_pytorch(request, torch_ref, fn, ref, specs, domain):
    name = request.node.callspec.id
    data = input_data(name, specs, domain)
    shape, out, grads, grad_fn = run_float32(torch, fn, data, name)
    ref_shape, ref_out, ref_grads, ref_grad_fn = run_float32(torch_ref, fn, data, name)
    assert shape == ref_shape
    assert grad_fn == ref_grad_fn
    np.testing.assert_allclose(out, ref_out, rtol=1e-4, atol=1e-5)
    for g, rg in zip(grads, ref_grads):
        np.testing.assert_allclose(g, rg, rtol=1e-4, atol=1e-5)


# ---- double backward -------------------------------------------------------------------------

def dbl(*shape, seed=0):
    torch.manual_seed(seed)
    return torch.randn(*shape, dtype=torch.float64).requires_grad_()


SECOND_ORDER = [
    ("conv2d", lambda x, w, b: F(torch).conv2d(x, w, b, stride=(2, 1), padding=1, groups=2),
     lambda: (dbl(1, 4, 4, 3), dbl(4, 2, 2, 2, seed=1), dbl(4, seed=2))),
    ("conv1d_dilated", lambda x, w: F(torch).conv1d(x, w, padding="same", dilation=2), lambda: (dbl(2, 2, 5), dbl(3, 2, 2, seed=1))),
    ("unfold", lambda x: F(torch).unfold(x, 2, padding=1) ** 2, lambda: (dbl(1, 2, 3, 3),)),
    ("fold", lambda c: F(torch).fold(c, (3, 3), 2) ** 2, lambda: (dbl(1, 4, 4),)),
    ("max_pool2d", lambda x: F(torch).max_pool2d(x, 2, 1) ** 2, lambda: (dbl(1, 2, 3, 3),)),
    ("avg_pool2d", lambda x: F(torch).avg_pool2d(x, 2, 1, 1, count_include_pad=False) ** 2, lambda: (dbl(1, 2, 3, 3),)),
    ("adaptive_avg_pool2d", lambda x: F(torch).adaptive_avg_pool2d(x, (2, 2)) ** 2, lambda: (dbl(1, 2, 3, 5),)),
    ("pad", lambda x: F(torch).pad(x, (1, -1, 2, 0)) ** 2, lambda: (dbl(2, 3, 3),)),
    ("layer_norm", lambda x, w, b: F(torch).layer_norm(x, (3,), w, b), lambda: (dbl(2, 3), dbl(3, seed=1), dbl(3, seed=2))),
    ("batch_norm_train", lambda x, w: F(torch).batch_norm(x, None, None, w, training=True), lambda: (dbl(3, 2, 2), dbl(2, seed=1))),
    ("batch_norm_eval", lambda x, w: F(torch).batch_norm(x, torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64), w) ** 2,
     lambda: (dbl(3, 2), dbl(2, seed=1))),
    ("group_norm", lambda x, w: F(torch).group_norm(x, 2, w), lambda: (dbl(2, 4, 2), dbl(4, seed=1))),
    ("embedding", lambda w: F(torch).embedding(torch.tensor([[0, 2], [2, 1]]), w) ** 2, lambda: (dbl(3, 2),)),
]


@pytest.mark.parametrize("fn, make", [r[1:] for r in SECOND_ORDER], ids=[r[0] for r in SECOND_ORDER])
def test_double_backward(fn, make):
    assert gradgradcheck(fn, make())


# ---- ties, grad_fn names, indices, running statistics ------------------------------------------

def test_max_pool_gradient_goes_to_first_maximum_on_ties(torch_ref):
    values = [[[[1.0, 3.0, 3.0], [3.0, 0.0, 3.0], [2.0, 3.0, 1.0]]]]
    results = []
    for lib in (torch, torch_ref):
        x = lib.tensor(values, requires_grad=True)
        out, idx = F(lib).max_pool2d(x, 2, 1, return_indices=True)
        out.sum().backward()
        results.append((x.grad.tolist(), idx.tolist()))
    assert results[0] == results[1]


def test_max_pool_indices_match_pytorch(torch_ref):
    data = input_data("indices", [(2, 2, 5, 6)], "any")
    out = []
    for lib in (torch, torch_ref):
        x = lib.tensor(nest(*data[0][:2]))
        out.append(F(lib).max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True)[1].tolist())
    assert out[0] == out[1]


def test_max_pool_without_torch_picks_first_of_equal_values():
    x = torch.tensor([[[[2.0, 2.0], [2.0, 2.0]]]], requires_grad=True)
    F(torch).max_pool2d(x, 2).sum().backward()
    assert x.grad.tolist() == [[[[1.0, 0.0], [0.0, 0.0]]]]


def test_embedding_padding_row_gets_no_gradient_and_repeats_accumulate():
    w = torch.ones(4, 2, requires_grad=True)
    F(torch).embedding(torch.tensor([1, 1, 0, 2]), w, padding_idx=0).sum().backward()
    assert w.grad.tolist() == [[0.0, 0.0], [2.0, 2.0], [1.0, 1.0], [0.0, 0.0]]


def test_embedding_double_backward_with_padding_and_scaling_matches_pytorch(torch_ref):
    results = []
    for lib in (torch, torch_ref):
        w = lib.tensor([[0.5, -1.0], [2.0, 0.25], [1.5, -0.75]], dtype=lib.float64, requires_grad=True)
        out = F(lib).embedding(lib.tensor([[0, 2], [2, 1]]), w, padding_idx=1, scale_grad_by_freq=True) ** 2
        (g,) = lib.autograd.grad(out.sum(), w, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), w)
        results.append((g.tolist(), gg.tolist()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_batch_norm_updates_running_stats_like_pytorch(torch_ref):
    data = input_data("running", [(4, 3, 2)], "any")
    stats = []
    for lib in (torch, torch_ref):
        x = lib.tensor(nest(*data[0][:2]))
        rm, rv = lib.zeros(3), lib.ones(3)
        F(lib).batch_norm(x, rm, rv, training=True, momentum=0.3)
        stats.append(rm.tolist() + rv.tolist())
    np.testing.assert_allclose(stats[0], stats[1], rtol=1e-6, atol=1e-7)


def test_batch_norm_running_var_is_unbiased():
    x = torch.tensor([[1.0], [3.0]])
    rm, rv = torch.zeros(1), torch.zeros(1)
    F(torch).batch_norm(x, rm, rv, training=True, momentum=1.0)
    assert rm.tolist() == [2.0] and rv.tolist() == [2.0]


GRAD_FN_CASES = [
    ("conv2d_unbatched", lambda L: F(L).conv2d(L.ones(2, 4, 4, requires_grad=True), L.ones(1, 2, 3, 3))),
    ("max_pool2d_unbatched", lambda L: F(L).max_pool2d(L.ones(2, 4, 4, requires_grad=True), 2)),
    ("avg_pool1d", lambda L: F(L).avg_pool1d(L.ones(2, 4, 4, requires_grad=True), 2)),
    ("pad", lambda L: F(L).pad(L.ones(2, 4, requires_grad=True), (1, 1))),
    ("fold", lambda L: F(L).fold(L.ones(1, 4, 4, requires_grad=True), (3, 3), 2)),
]


@pytest.mark.parametrize("make", [c[1] for c in GRAD_FN_CASES], ids=[c[0] for c in GRAD_FN_CASES])
def test_grad_fn_names_match_pytorch(torch_ref, make):
    assert type(make(torch).grad_fn).__name__ == type(make(torch_ref).grad_fn).__name__


def test_float32_conv_stays_float32():
    out = F(torch).conv2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 2, 2))
    assert out.dtype == torch.float32 and out.tolist() == [[[[4.0, 4.0], [4.0, 4.0]]]]
