"""Bad arguments to convolution, pooling, padding, normalization and
embedding raise PyTorch's exception type with its message (checked against
PyTorch itself when it is installed)."""

import re

import pytest

import ferrograd as torch


def F(L):
    return L.nn.functional


def w4(L):
    return L.ones(4, 3, 3, 3)


CASES = [
    ("conv2d_rank", lambda L: F(L).conv2d(L.ones(2, 3), w4(L)), RuntimeError,
     "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]"),
    ("conv1d_rank", lambda L: F(L).conv1d(L.ones(1, 3, 5, 5), L.ones(4, 3, 3)), RuntimeError,
     "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: [1, 3, 5, 5]"),
    ("conv2d_channels", lambda L: F(L).conv2d(L.ones(1, 2, 5, 5), w4(L)), RuntimeError,
     "Given groups=1, weight of size [4, 3, 3, 3], expected input[1, 2, 5, 5] to have 3 channels, but got 2 channels instead"),
    ("conv2d_groups_channels", lambda L: F(L).conv2d(L.ones(1, 3, 5, 5), w4(L), groups=2), RuntimeError,
     "Given groups=2, weight of size [4, 3, 3, 3], expected input[1, 3, 5, 5] to have 6 channels, but got 3 channels instead"),
    ("conv2d_kernel_too_large", lambda L: F(L).conv2d(L.ones(1, 3, 2, 2), w4(L)), RuntimeError,
     "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel size can't be greater than actual input size"),
    ("conv2d_padding_string", lambda L: F(L).conv2d(L.ones(1, 3, 5, 5), w4(L), padding="foo"), RuntimeError,
     "Invalid padding string: 'foo'"),
    ("conv2d_negative_padding", lambda L: F(L).conv2d(L.ones(1, 3, 5, 5), w4(L), padding=-1), RuntimeError,
     "negative padding is not supported"),
    ("conv2d_same_strided", lambda L: F(L).conv2d(L.ones(1, 3, 5, 5), w4(L), padding="same", stride=2), RuntimeError,
     "padding='same' is not supported for strided convolutions"),
    ("conv2d_zero_stride", lambda L: F(L).conv2d(L.ones(1, 3, 5, 5), w4(L), stride=0), RuntimeError,
     "non-positive stride is not supported"),
    ("conv2d_bias_size", lambda L: F(L).conv2d(L.ones(1, 3, 5, 5), w4(L), L.ones(3)), RuntimeError,
     "Given weight of size [4, 3, 3, 3], expected bias to be 1-dimensional with 4 elements, but got bias of size [3] instead"),
    ("conv2d_weight_rank", lambda L: F(L).conv2d(L.ones(1, 3, 5, 5), L.ones(4, 3, 3)), RuntimeError,
     "expected stride to be a single integer value or a list of 1 values to match the convolution dimensions, but got stride=[1, 1]"),
    ("conv2d_dtype", lambda L: F(L).conv2d(L.ones(1, 3, 5, 5, dtype=L.float64), w4(L)), RuntimeError,
     "expected scalar type Double but found Float"),
    ("max_pool2d_output_too_small", lambda L: F(L).max_pool2d(L.ones(1, 3, 5, 5), 7), RuntimeError,
     "Given input size: (3x5x5). Calculated output size: (3x0x0). Output size is too small"),
    ("max_pool2d_pad_too_large", lambda L: F(L).max_pool2d(L.ones(1, 3, 5, 5), 2, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1"),
    ("max_pool2d_rank", lambda L: F(L).max_pool2d(L.ones(3, 5), 2), RuntimeError,
     "non-empty 3D or 4D (batch mode) tensor expected for input"),
    ("avg_pool2d_output_too_small", lambda L: F(L).avg_pool2d(L.ones(1, 3, 5, 5), 7), RuntimeError,
     "Given input size: (3x5x5). Calculated output size: (3x0x0). Output size is too small"),
    ("avg_pool2d_pad_too_large", lambda L: F(L).avg_pool2d(L.ones(1, 3, 5, 5), 2, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1"),
    ("avg_pool2d_rank", lambda L: F(L).avg_pool2d(L.ones(3, 5), 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    ("adaptive_avg_pool2d_rank", lambda L: F(L).adaptive_avg_pool2d(L.ones(3, 5), 2), RuntimeError,
     "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [3, 5]"),
    ("pad_odd_length", lambda L: F(L).pad(L.ones(1, 3, 5, 5), (1,)), RuntimeError,
     "Padding length must be divisible by 2"),
    ("pad_too_long", lambda L: F(L).pad(L.ones(1, 3, 5, 5), (1,) * 10), RuntimeError,
     "Padding length should be less than or equal to two times the input dimension but got padding length 10 and input of dimension 4"),
    ("pad_crops_below_zero", lambda L: F(L).pad(L.ones(1, 3, 5, 5), (-3, -3)), RuntimeError,
     "narrow(): length must be non-negative."),
    ("pad_unknown_mode", lambda L: F(L).pad(L.ones(1, 3, 5, 5), (1, 1), mode="foo"), NotImplementedError,
     "Unrecognised padding mode foo"),
    ("layer_norm_shape", lambda L: F(L).layer_norm(L.ones(1, 3, 5, 5), (4,)), RuntimeError,
     "Given normalized_shape=[4], expected input with shape [*, 4], but got input of size[1, 3, 5, 5]"),
    ("layer_norm_int_shape", lambda L: F(L).layer_norm(L.ones(2, 3), 3), TypeError,
     "layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not int"),
    ("layer_norm_weight", lambda L: F(L).layer_norm(L.ones(1, 3, 5, 5), (5,), weight=L.ones(4)), RuntimeError,
     "Expected weight to be of same shape as normalized_shape, but got weight of shape [4] and normalized_shape = [5]"),
    ("batch_norm_stats_size", lambda L: F(L).batch_norm(L.ones(1, 3, 5, 5), L.zeros(4), L.ones(4)), RuntimeError,
     "running_mean should contain 3 elements not 4"),
    ("batch_norm_one_value", lambda L: F(L).batch_norm(L.ones(1, 3), None, None, training=True), ValueError,
     "Expected more than 1 value per channel when training, got input size torch.Size([1, 3])"),
    ("batch_norm_eval_no_stats", lambda L: F(L).batch_norm(L.ones(2, 3), None, None), RuntimeError,
     "running_mean must be defined in evaluation mode"),
    ("group_norm_groups", lambda L: F(L).group_norm(L.ones(1, 3, 5, 5), 2), RuntimeError,
     "Expected number of channels in input to be divisible by num_groups, but got input of shape [1, 3, 5, 5] and num_groups=2"),
    ("embedding_float_indices", lambda L: F(L).embedding(L.tensor([1.0]), L.ones(5, 3)), RuntimeError,
     "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got torch.FloatTensor instead (while checking arguments for embedding)"),
    ("embedding_index_out_of_range", lambda L: F(L).embedding(L.tensor([7]), L.ones(5, 3)), IndexError,
     "index out of range in self"),
    ("embedding_negative_index", lambda L: F(L).embedding(L.tensor([-1]), L.ones(5, 3)), IndexError,
     "index out of range in self"),
    ("embedding_padding_idx", lambda L: F(L).embedding(L.tensor([1]), L.ones(5, 3), padding_idx=9), AssertionError,
     "Padding_idx must be within num_embeddings"),
]


@pytest.mark.parametrize("fn, exc, phrase", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_type_and_phrase(fn, exc, phrase):
    with pytest.raises(exc, match=re.escape(phrase)):
        fn(torch)


@pytest.mark.parametrize("fn, exc, phrase", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_pytorch_raises_the_same(torch_ref, fn, exc, phrase):
    with pytest.raises(exc, match=re.escape(phrase)):
        fn(torch_ref)


NOT_IMPLEMENTED = [
    ("pad_reflect", lambda: F(torch).pad(torch.ones(1, 2, 4), (1, 1), mode="reflect")),
    ("pad_replicate", lambda: F(torch).pad(torch.ones(1, 2, 4), (1, 1), mode="replicate")),
    ("embedding_max_norm", lambda: F(torch).embedding(torch.tensor([0]), torch.ones(2, 2), max_norm=1.0)),
    ("embedding_sparse", lambda: F(torch).embedding(torch.tensor([0]), torch.ones(2, 2), sparse=True)),
]


@pytest.mark.parametrize("fn", [c[1] for c in NOT_IMPLEMENTED], ids=[c[0] for c in NOT_IMPLEMENTED])
def test_unsupported_options_raise_not_implemented(fn):
    with pytest.raises(NotImplementedError):
        fn()


def test_errors_do_not_leave_a_graph_or_panic():
    x = torch.ones(1, 3, 5, 5, requires_grad=True)
    with pytest.raises(RuntimeError):
        F(torch).conv2d(x, torch.ones(4, 2, 3, 3))
    y = F(torch).conv2d(x, torch.ones(4, 3, 3, 3))
    y.sum().backward()
    assert x.grad.shape == x.shape
