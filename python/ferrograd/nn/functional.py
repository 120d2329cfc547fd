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
