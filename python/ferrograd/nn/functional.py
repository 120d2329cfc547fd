"""Functional forms of neural-network operations, as ``torch.nn.functional``."""

# ---- pointwise activations ------------------------------------------------------
# Each is the compiled function itself: one Python call, one Rust call.
from .._ferrograd import _nn as _activations

relu = _activations.relu
leaky_relu = _activations.leaky_relu
elu = _activations.elu
gelu = _activations.gelu
silu = _activations.silu
softplus = _activations.softplus
sigmoid = _activations.sigmoid
tanh = _activations.tanh
from ._losses import *  # noqa: E402,F401,F403

from ._conv import *  # noqa: E402,F401,F403  convolution, pooling, padding, normalization, embedding
from ._attention import multi_head_attention_forward  # noqa: E402,F401

from ._feature_dropout import dropout1d, dropout2d  # noqa: E402,F401


def bilinear(input1, input2, weight, bias=None):
    """``y[..., o] = input1[..., i] · weight[o, i, j] · input2[..., j] + bias[o]``.

    The batch dimensions are flattened into one so a single einsum does the work.
    """
    from .. import einsum

    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    for d in range(input1.dim() - 1):
        if input1.size(d) != input2.size(d):
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {d}: got {input1.size(d)} and {input2.size(d)}"
            )
    if input1.size(-1) != weight.size(1):
        raise RuntimeError(
            f"bilinear(): input1 size does not match weight size: got {input1.size(-1)} but expected {weight.size(1)}"
        )
    if weight.dim() != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-dimensional, got {weight.dim()} dimensions")
    if input2.size(-1) != weight.size(2):
        raise RuntimeError(
            f"bilinear(): input2 size does not match weight size: got {input2.size(-1)} but expected {weight.size(2)}"
        )
    if bias is not None and (bias.dim() != 1 or bias.size(0) != weight.size(0)):
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {bias.size(0)} but expected {weight.size(0)}"
        )
    batch_shape = tuple(input1.shape[:-1])
    flat1 = input1.reshape(-1, input1.size(-1))
    flat2 = input2.reshape(-1, input2.size(-1))
    output = einsum("ni,oij,nj->no", flat1, weight, flat2)
    if bias is not None:
        output = output + bias
    return output.reshape(*batch_shape, weight.size(0))
