"""Convolution and pooling layers of ferrograd.nn against PyTorch: outputs and
every gradient with PyTorch's weights loaded, default initialisation after the
same seed, reprs and state_dict keys; finite differences for the transposed
convolutions."""

import re

import numpy as np
import pytest

import ferrograd as torch
from ferrograd.autograd import gradcheck
from nn_reference import NEEDS_RNG, constant_init  # noqa: F401  (fixture)
from layer_compare import compare_layer, recorded_draws, random_inputs, to_numpy

nn = torch.nn

# Layers draw their default weights on construction; until Tensor.uniform_ exists
# the draws become constants (every comparison loads PyTorch's weights anyway).
pytestmark = pytest.mark.usefixtures("constant_init")



# (constructor text evaluated against either library, input shape)
CONV_CASES = [
    ("Conv1d(3, 4, 3)", (2, 3, 9)),
    ("Conv1d(4, 6, 2, stride=2, padding=1, dilation=2, groups=2)", (2, 4, 11)),
    ("Conv1d(3, 5, 4, padding='same', bias=False)", (2, 3, 8)),
    ("Conv1d(2, 3, 3)", (2, 7)),  # unbatched
    ("Conv2d(3, 4, 3)", (2, 3, 7, 6)),
    ("Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)", (2, 4, 9, 8)),
    ("Conv2d(3, 3, 3, padding='same', groups=3, bias=False)", (1, 3, 6, 5)),
    ("Conv2d(2, 4, 2, padding='valid')", (2, 5, 5)),  # unbatched
    ("ConvTranspose1d(3, 4, 3)", (2, 3, 6)),
    ("ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=2)", (2, 4, 5)),
    ("ConvTranspose1d(2, 3, 4, stride=3, bias=False)", (2, 5)),  # unbatched
    ("ConvTranspose2d(3, 4, 3)", (2, 3, 4, 5)),
    ("ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2)", (2, 4, 4, 3)),
    ("ConvTranspose2d(2, 2, 3, stride=2, padding=2, output_padding=2, dilation=3, bias=False)", (1, 2, 4, 4)),
    ("ConvTranspose2d(3, 2, 2, stride=2)", (3, 3, 4)),  # unbatched
]


def build(lib, text):
    return eval("lib.nn." + text, {"lib": lib})


@pytest.mark.parametrize("text, shape", CONV_CASES, ids=[c[0] for c in CONV_CASES])
def test_conv_output_and_gradients_match_pytorch(torch_ref, text, shape):
    torch_ref.manual_seed(0)
    (x,) = random_inputs(1, shape)
    compare_layer(build(torch, text), build(torch_ref, text), [x])


@pytest.mark.parametrize("output_size", [[9, 7], [10, 8], [1, 4, 10, 7]])
def test_conv_transpose_output_size_argument(torch_ref, output_size):
    text = "ConvTranspose2d(4, 4, 3, stride=2, padding=1)"
    torch_ref.manual_seed(0)
    (x,) = random_inputs(2, (1, 4, 5, 4))
    out = compare_layer(build(torch, text), build(torch_ref, text), [x], call=lambda m, x: m(x, output_size))
    assert list(out[0].shape[-2:]) == list(output_size[-2:])


def test_conv_transpose_bad_output_size_is_pytorchs_error(torch_ref):
    for lib in (torch, torch_ref):
        layer = build(lib, "ConvTranspose2d(2, 2, 3, stride=2)")
        with pytest.raises(ValueError, match=r"requested an output size of \[20, 20\], but valid sizes range from "
                                             r"\[9, 9\] to \[10, 10\]"):
            layer(lib.ones(1, 2, 4, 4), [20, 20])


def test_conv_transpose_functional_finite_differences():
    rng = np.random.default_rng(3)
    x = torch.tensor(rng.standard_normal((2, 4, 3, 3)), requires_grad=True)
    w = torch.tensor(rng.standard_normal((4, 3, 2, 3)), requires_grad=True)
    b = torch.tensor(rng.standard_normal(6), requires_grad=True)
    fn = lambda x, w, b: nn.functional.conv_transpose2d(x, w, b, stride=(2, 1), padding=(1, 1),  # noqa: E731
                                                        output_padding=(1, 0), groups=2, dilation=(1, 2))
    assert gradcheck(fn, (x, w, b))
    x1 = torch.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    w1 = torch.tensor(rng.standard_normal((3, 2, 3)), requires_grad=True)
    assert gradcheck(lambda x, w: nn.functional.conv_transpose1d(x, w, stride=3, padding=1), (x1, w1))


def test_conv_module_finite_differences_in_float64():
    layer = nn.Conv2d(2, 4, 3, stride=2, padding=1, groups=2).double()
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(np.linspace(-1, 1, layer.weight.numel()).reshape(tuple(layer.weight.shape))))
    x = torch.tensor(np.random.default_rng(4).standard_normal((1, 2, 5, 5)), requires_grad=True)
    assert gradcheck(layer, (x,))


CONV_ERRORS = [
    ("Conv2d(3, 4, 3, groups=2)", ValueError, "in_channels must be divisible by groups"),
    ("Conv2d(4, 3, 3, groups=2)", ValueError, "out_channels must be divisible by groups"),
    ("Conv2d(4, 4, 3, groups=0)", ValueError, "groups must be a positive integer"),
    ("Conv2d(4, 4, 3, padding='full')", ValueError, "Invalid padding string 'full', should be one of"),
    ("Conv1d(4, 4, 3, stride=2, padding='same')", ValueError,
     "padding='same' is not supported for strided convolutions"),
    ("Conv2d(4, 4, 3, padding_mode='mirror')", ValueError, "padding_mode must be one of"),
    ("ConvTranspose2d(4, 4, 3, padding_mode='reflect')", ValueError,
     'Only "zeros" padding mode is supported for ConvTranspose2d'),
]


@pytest.mark.parametrize("text, exc, phrase", CONV_ERRORS, ids=[c[0] for c in CONV_ERRORS])
def test_bad_constructor_arguments_raise_pytorchs_error(torch_ref, text, exc, phrase):
    for lib in (torch, torch_ref):
        with pytest.raises(exc, match=re.escape(phrase)):
            build(lib, text)


FUNCTIONAL_TRANSPOSE_ERRORS = [
    (lambda L: L.nn.functional.conv_transpose2d(L.ones(1, 2, 5, 5), L.ones(4, 3, 3, 3)), RuntimeError,
     "Given transposed=1, weight of size [4, 3, 3, 3], expected input[1, 2, 5, 5] to have 4 channels, "
     "but got 2 channels instead"),
    (lambda L: L.nn.functional.conv_transpose2d(L.ones(2, 5, 5, 5, 5), L.ones(4, 3, 3, 3)), RuntimeError,
     "Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of size: [2, 5, 5, 5, 5]"),
    (lambda L: L.nn.functional.conv_transpose1d(L.ones(1, 4, 5, 5), L.ones(4, 3, 3)), RuntimeError,
     "Expected 2D (unbatched) or 3D (batched) input to conv_transpose1d, but got input of size: [1, 4, 5, 5]"),
    (lambda L: L.nn.functional.conv_transpose2d(L.ones(1, 4, 5, 5), L.ones(4, 3, 3, 3), L.ones(4)), RuntimeError,
     "Given transposed=1, weight of size [4, 3, 3, 3], expected bias to be 1-dimensional with 3 elements, "
     "but got bias of size [4] instead"),
    (lambda L: L.nn.functional.conv_transpose2d(L.ones(1, 4, 5, 5), L.ones(4, 3, 3, 3), stride=2,
                                                output_padding=2), RuntimeError,
     "output padding must be smaller than either stride or dilation, but got output_padding_height: 2 "
     "output_padding_width: 2 stride_height: 2 stride_width: 2 dilation_height: 1 dilation_width: 1"),
    (lambda L: L.nn.functional.conv_transpose2d(L.ones(1, 4, 5, 5), L.ones(4, 3, 3, 3), groups=3), RuntimeError,
     "Given groups=3, expected weight to be divisible by 3 at dimension 0, but got weight of size [[4, 3, 3, 3]] "
     "instead"),
    (lambda L: L.nn.functional.conv_transpose2d(L.ones(1, 4, 1, 1), L.ones(4, 3, 3, 3), padding=2), RuntimeError,
     "Given input size per channel: (1 x 1). Calculated output size per channel: (-1 x -1). Output size is too small"),
    (lambda L: L.nn.functional.conv_transpose2d(L.ones(1, 4, 5, 5), L.ones(4, 3, 3, 3), padding=-1), RuntimeError,
     "negative padding is not supported"),
    (lambda L: L.nn.functional.conv_transpose2d(L.ones(1, 4, 5, 5), L.ones(4, 3, 3, 3), stride=0), RuntimeError,
     "non-positive stride is not supported"),
    (lambda L: L.nn.functional.conv_transpose2d(L.ones(1, 4, 5, 5), L.ones(4, 3, 3, 3), padding="same"), TypeError,
     "conv_transpose2d(): argument 'padding' must be tuple of ints, not str"),
]


@pytest.mark.parametrize("call, exc, phrase", FUNCTIONAL_TRANSPOSE_ERRORS,
                         ids=[f"conv_transpose-{i}" for i in range(len(FUNCTIONAL_TRANSPOSE_ERRORS))])
def test_conv_transpose_functional_errors_match_pytorch(torch_ref, call, exc, phrase):
    for lib in (torch, torch_ref):
        with pytest.raises(exc, match=re.escape(phrase)):
            call(lib)


def test_wrong_channel_count_names_the_shapes():
    with pytest.raises(RuntimeError, match=r"expected input\[1, 2, 5, 5\] to have 3 channels, but got 2"):
        nn.Conv2d(3, 4, 3)(torch.ones(1, 2, 5, 5))
    with pytest.raises(RuntimeError, match=r"Given transposed=1, weight of size \[3, 4, 3, 3\], expected "
                                           r"input\[1, 2, 5, 5\] to have 3 channels, but got 2 channels instead"):
        nn.ConvTranspose2d(3, 4, 3)(torch.ones(1, 2, 5, 5))


def test_non_zero_padding_modes_wait_for_pad():
    layer = nn.Conv1d(2, 2, 3, padding=1, padding_mode="circular")
    with pytest.raises(NotImplementedError, match="circular"):
        layer(torch.ones(1, 2, 5))


# ---- pooling -----------------------------------------------------------------------------

POOL_CASES = [
    ("MaxPool1d(3)", (2, 3, 10)),
    ("MaxPool1d(3, stride=2, padding=1, dilation=2, ceil_mode=True)", (2, 3, 11)),
    ("MaxPool2d(2)", (2, 3, 6, 7)),
    ("MaxPool2d((3, 2), stride=(2, 1), padding=1)", (3, 7, 6)),
    ("AvgPool1d(3, stride=2, padding=1, count_include_pad=False)", (2, 3, 9)),
    ("AvgPool1d(2)", (3, 8)),
    ("AvgPool2d(3, stride=2, padding=1, ceil_mode=True)", (2, 3, 7, 8)),
    ("AvgPool2d((2, 3), divisor_override=4)", (2, 2, 6, 6)),
    ("AdaptiveAvgPool1d(4)", (2, 3, 10)),
    ("AdaptiveAvgPool2d((3, None))", (2, 3, 7, 5)),
    ("AdaptiveAvgPool2d(1)", (2, 3, 5, 5)),
]


@pytest.mark.parametrize("text, shape", POOL_CASES, ids=[c[0] for c in POOL_CASES])
def test_pooling_output_and_gradient_match_pytorch(torch_ref, text, shape):
    (x,) = random_inputs(5, shape)
    compare_layer(build(torch, text), build(torch_ref, text), [x])


def test_max_pool_return_indices(torch_ref):
    (x,) = random_inputs(6, (2, 3, 8, 8))
    text = "MaxPool2d(2, return_indices=True)"
    ours, theirs = build(torch, text)(torch.tensor(x)), build(torch_ref, text)(torch_ref.tensor(x))
    np.testing.assert_array_equal(to_numpy(ours[1]), to_numpy(theirs[1]))


# ---- construction: default init, repr, state_dict ---------------------------------------

LAYERS = [c[0] for c in CONV_CASES] + [c[0] for c in POOL_CASES] + [
    "Conv2d(3, 4, 3, padding=1, padding_mode='circular')",
    "Conv1d(3, 4, 3, padding=(2,), padding_mode='reflect', bias=False)",
    "MaxPool2d(kernel_size=(2, 2), stride=1, return_indices=True)",
]


@pytest.mark.parametrize("text", LAYERS)
def test_repr_and_state_dict_keys_match_pytorch(torch_ref, text):
    ours, theirs = build(torch, text), build(torch_ref, text)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [tuple(p.shape) for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]


@NEEDS_RNG
@pytest.mark.parametrize("text", [c[0] for c in CONV_CASES])
def test_default_init_matches_pytorch_after_the_same_seed(torch_ref, text):
    torch.manual_seed(7)
    torch_ref.manual_seed(7)
    ours, theirs = build(torch, text), build(torch_ref, text)
    for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-6, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("text", [c[0] for c in CONV_CASES])
def test_init_draws_in_pytorchs_order_with_pytorchs_arguments(torch_ref, text):
    ours = recorded_draws(torch, lambda: build(torch, text))
    theirs = recorded_draws(torch_ref, lambda: build(torch_ref, text))
    assert ours == theirs and ours
