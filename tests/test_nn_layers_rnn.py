"""Recurrent layers of ferrograd.nn against PyTorch: RNN (tanh/relu), LSTM and
GRU, single and multi-layer, bidirectional, batch_first, unbatched, with and
without initial states; the cells; outputs and every gradient with PyTorch's
weights; finite differences in float64; default init, reprs, state_dict keys
and PyTorch's errors."""

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



def build(lib, text):
    return eval("lib.nn." + text, {"lib": lib})


def with_seed(lib, text, seed=0):
    lib.manual_seed(seed)
    return build(lib, text)


# (constructor, input shape, initial state shapes or None); time-major unless batch_first
SEQUENCE_CASES = [
    ("RNN(3, 4)", (5, 2, 3), None),
    ("RNN(3, 4, nonlinearity='relu', num_layers=2)", (4, 2, 3), [(2, 2, 4)]),
    ("RNN(3, 4, bias=False, batch_first=True, bidirectional=True)", (2, 5, 3), [(2, 2, 4)]),
    ("RNN(3, 4, num_layers=2, bidirectional=True)", (6, 3), [(4, 4)]),  # unbatched
    ("GRU(3, 5)", (4, 2, 3), [(1, 2, 5)]),
    ("GRU(3, 4, num_layers=3, batch_first=True)", (2, 4, 3), None),
    ("GRU(2, 3, bias=False, bidirectional=True, num_layers=2)", (5, 2, 2), [(4, 2, 3)]),
    ("GRU(3, 4)", (6, 3), None),  # unbatched
    ("LSTM(3, 4)", (5, 2, 3), None),
    ("LSTM(3, 4, num_layers=2, batch_first=True)", (2, 5, 3), [(2, 2, 4), (2, 2, 4)]),
    ("LSTM(3, 5, bidirectional=True, bias=False)", (4, 3, 3), [(2, 3, 5), (2, 3, 5)]),
    ("LSTM(3, 5, proj_size=2, num_layers=2, bidirectional=True)", (4, 2, 3), [(4, 2, 2), (4, 2, 5)]),
    ("LSTM(3, 4, num_layers=2)", (5, 3), [(2, 4), (2, 4)]),  # unbatched
]


def sequence_call(states):
    def call(module, x, *hidden):
        if not hidden:
            return module(x)
        return module(x, tuple(hidden) if len(hidden) == 2 else hidden[0])
    return call


@pytest.mark.parametrize("text, shape, states", SEQUENCE_CASES, ids=[c[0] + str(c[1]) for c in SEQUENCE_CASES])
def test_sequence_output_states_and_gradients_match_pytorch(torch_ref, text, shape, states):
    inputs = random_inputs(1, shape, *(states or []))
    theirs = with_seed(torch_ref, text)
    compare_layer(build(torch, text), theirs, inputs, call=sequence_call(states), rtol=1e-5, atol=2e-5)


CELL_CASES = [
    ("RNNCell(3, 4)", (2, 3), [(2, 4)]),
    ("RNNCell(3, 4, nonlinearity='relu', bias=False)", (3,), None),
    ("GRUCell(3, 4)", (2, 3), None),
    ("GRUCell(3, 4, bias=False)", (3,), [(4,)]),
    ("LSTMCell(3, 4)", (2, 3), [(2, 4), (2, 4)]),
    ("LSTMCell(3, 4, bias=False)", (3,), None),
]


@pytest.mark.parametrize("text, shape, states", CELL_CASES, ids=[c[0] + str(c[1]) for c in CELL_CASES])
def test_cell_output_and_gradients_match_pytorch(torch_ref, text, shape, states):
    inputs = random_inputs(2, shape, *(states or []))
    theirs = with_seed(torch_ref, text)
    compare_layer(build(torch, text), theirs, inputs, call=sequence_call(states))


def test_dropout_between_layers_only_in_training(torch_ref):
    text = "LSTM(3, 4, num_layers=3, dropout=0.5)"
    ours, theirs = build(torch, text), with_seed(torch_ref, text)
    (x,) = random_inputs(3, (5, 2, 3))
    ours.eval()
    theirs.eval()
    compare_layer(ours, theirs, [x])
    ours.train()
    torch.manual_seed(0)
    a = ours(torch.tensor(x))[0]
    b = ours(torch.tensor(x))[0]
    assert not np.allclose(to_numpy(a), to_numpy(b)), "training-mode dropout should draw new masks"


@pytest.mark.parametrize("text", ["LSTM(3, 4, num_layers=2, dropout=1.0)", "GRU(3, 4, num_layers=3, dropout=1.0, "
                                  "bidirectional=True)"])
def test_dropout_of_one_between_layers_matches_pytorch_in_training(torch_ref, text):
    # p = 1 zeroes every element, so training mode is deterministic and comparable.
    inputs = random_inputs(12, (5, 2, 3))
    compare_layer(build(torch, text), with_seed(torch_ref, text), inputs)


def test_lstm_and_gru_finite_differences_in_float64():
    rng = np.random.default_rng(4)
    for layer in (nn.LSTM(2, 3, num_layers=2, bidirectional=True).double(), nn.GRU(2, 3).double(),
                  nn.RNN(2, 3, nonlinearity="relu").double()):
        with torch.no_grad():
            for p in layer.parameters():
                p.copy_(torch.tensor(rng.uniform(-0.8, 0.8, tuple(p.shape))))
        x = torch.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
        assert gradcheck(lambda x: layer(x)[0], (x,))


def test_flat_weights_follow_registration_order(torch_ref):
    text = "LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)"
    assert build(torch, text)._flat_weights_names == build(torch_ref, text)._flat_weights_names


LAYERS = [c[0] for c in SEQUENCE_CASES] + [c[0] for c in CELL_CASES] + [
    "RNN(3, 4, 2, 'relu', True, True, 0.25, True)",
    "GRU(3, 4, dropout=0.3, num_layers=2)",
]


@pytest.mark.parametrize("text", LAYERS)
def test_repr_and_state_dict_keys_match_pytorch(torch_ref, text):
    ours, theirs = build(torch, text), build(torch_ref, text)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [tuple(p.shape) for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]


@NEEDS_RNG
@pytest.mark.parametrize("text", [c[0] for c in SEQUENCE_CASES + CELL_CASES])
def test_default_init_matches_pytorch_after_the_same_seed(torch_ref, text):
    ours, theirs = with_seed(torch, text, 11), with_seed(torch_ref, text, 11)
    for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-6, atol=1e-7, err_msg=name)


ERRORS = [
    ("RNN(3, 4, nonlinearity='sigmoid')", None, ValueError,
     "Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'."),
    ("GRU(3, 4, proj_size=2)", None, ValueError, "proj_size argument is only supported for LSTM, not RNN or GRU"),
    ("LSTM(3, 4, proj_size=4)", None, ValueError, "proj_size has to be smaller than hidden_size"),
    ("LSTM(3, 4, dropout=1.5)", None, ValueError, "dropout should be a number in range [0, 1]"),
    ("RNN(3, 0)", None, ValueError, "hidden_size must be greater than zero"),
    ("GRU(3, 4)", lambda L, m: m(L.ones(2, 3, 3, 3)), ValueError,
     "GRU: Expected input to be 2D or 3D, got 4D instead"),
    ("RNN(3, 4)", lambda L, m: m(L.ones(3)), ValueError,
     "RNN: Expected input to be 2D or 3D, got 1D tensor instead"),
    ("LSTM(3, 4)", lambda L, m: m(L.ones(2, 3, 5)), RuntimeError,
     "input.size(-1) must be equal to input_size. Expected 3, got 5"),
    ("RNN(3, 4)", lambda L, m: m(L.ones(5, 2, 3), L.zeros(1, 3, 4)), RuntimeError,
     "Expected hidden size (1, 2, 4), got [1, 3, 4]"),
    ("LSTM(3, 4)", lambda L, m: m(L.ones(5, 2, 3), (L.zeros(1, 2, 4), L.zeros(1, 2, 5))), RuntimeError,
     "Expected hidden[1] size (1, 2, 4), got [1, 2, 5]"),
    ("LSTM(3, 4)", lambda L, m: m(L.ones(5, 3), (L.zeros(1, 1, 4), L.zeros(1, 1, 4))), RuntimeError,
     "For unbatched 2-D input, hx and cx should also be 2-D but got (3-D, 3-D) tensors"),
    ("RNN(3, 4)", lambda L, m: m(L.ones(5, 2, 3), L.zeros(2, 4)), RuntimeError,
     "For batched 3-D input, hx should also be 3-D but got 2-D tensor"),
    ("GRU(3, 4)", lambda L, m: m(L.ones(5, 2, 3, dtype=L.float64)), ValueError,
     "RNN input dtype (torch.float64) does not match weight dtype (torch.float32)"),
    ("GRUCell(3, 4)", lambda L, m: m(L.ones(2, 2, 3)), ValueError,
     "GRUCell: Expected input to be 1D or 2D, got 3D instead"),
]


@pytest.mark.parametrize("text, call, exc, phrase", ERRORS, ids=[f"{c[0]}-{i}" for i, c in enumerate(ERRORS)])
def test_errors_match_pytorch(torch_ref, text, call, exc, phrase):
    import re
    for lib in (torch, torch_ref):
        with pytest.raises(exc, match=re.escape(phrase)):
            module = build(lib, text)
            call(lib, module)


@pytest.mark.parametrize("text", [c[0] for c in SEQUENCE_CASES + CELL_CASES])
def test_init_draws_in_pytorchs_order_with_pytorchs_arguments(torch_ref, text):
    ours = recorded_draws(torch, lambda: build(torch, text))
    theirs = recorded_draws(torch_ref, lambda: build(torch_ref, text))
    assert ours == theirs and ours
