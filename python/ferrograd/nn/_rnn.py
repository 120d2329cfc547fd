"""Recurrent cells and the multi-layer, optionally bidirectional loop over time
behind ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU``, composed from differentiable ops.

Gate layouts follow PyTorch: LSTM rows are (input, forget, cell, output), GRU
rows are (reset, update, new) with the reset gate applied to ``W_hn h + b_hn``.
As in PyTorch's CPU kernels, the input projection of a whole sequence is one
matmul; only the hidden projection runs step by step.
"""

from .._ferrograd import cat, stack
from .._linalg import linear
from ._losses import dropout

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell", "run_recurrent"]


# ---- one time step, given the input projection ``x_proj = x W_ih^T + b_ih`` ----------------

def _tanh_step(x_proj, state, w_hh, b_hh, w_hr=None):
    (h,) = state
    return ((x_proj + linear(h, w_hh, b_hh)).tanh(),)


def _relu_step(x_proj, state, w_hh, b_hh, w_hr=None):
    (h,) = state
    return ((x_proj + linear(h, w_hh, b_hh)).relu(),)


def _lstm_step(x_proj, state, w_hh, b_hh, w_hr=None):
    h, c = state
    gates = x_proj + linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, -1)
    c_next = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h_next = o.sigmoid() * c_next.tanh()
    if w_hr is not None:
        h_next = linear(h_next, w_hr)
    return h_next, c_next


def _gru_step(x_proj, state, w_hh, b_hh, w_hr=None):
    (h,) = state
    x_r, x_z, x_n = x_proj.chunk(3, -1)
    h_r, h_z, h_n = linear(h, w_hh, b_hh).chunk(3, -1)
    reset = (x_r + h_r).sigmoid()
    update = (x_z + h_z).sigmoid()
    new = (x_n + reset * h_n).tanh()
    # n + z (h - n) is PyTorch's arrangement of (1 - z) n + z h.
    return (new + update * (h - new),)


STEPS = {"RNN_TANH": _tanh_step, "RNN_RELU": _relu_step, "LSTM": _lstm_step, "GRU": _gru_step}


# ---- cells: one step including the input projection ----------------------------------------

def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _tanh_step(linear(input, w_ih, b_ih), (hx,), w_hh, b_hh)[0]


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _relu_step(linear(input, w_ih, b_ih), (hx,), w_hh, b_hh)[0]


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """``hx`` is the pair ``(h, c)``; returns the next pair."""
    return _lstm_step(linear(input, w_ih, b_ih), tuple(hx), w_hh, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _gru_step(linear(input, w_ih, b_ih), (hx,), w_hh, b_hh)[0]


# ---- sequences -----------------------------------------------------------------------------

def _run_direction(step, input, state, weights, reverse):
    """Runs ``step`` over the time-major ``input`` (T, B, I); returns outputs (T, B, H) and the final state."""
    w_ih, w_hh, b_ih, b_hh, w_hr = weights
    x_proj = linear(input, w_ih, b_ih)
    times = range(input.shape[0] - 1, -1, -1) if reverse else range(input.shape[0])
    outputs = [None] * input.shape[0]
    for t in times:
        state = step(x_proj[t], state, w_hh, b_hh, w_hr)
        outputs[t] = state[0]
    return stack(outputs, 0), state


def run_recurrent(mode, input, hidden, weights, num_layers, dropout_p, training, bidirectional):
    """The stacked recurrence of PyTorch's RNN modules, time-major.

    ``input`` is (T, B, I); ``hidden`` a tuple of initial states, each
    (num_layers * directions, B, *) (one tensor, or ``(h, c)`` for LSTM);
    ``weights[layer * directions + direction]`` is ``(w_ih, w_hh, b_ih, b_hh, w_hr)``
    with ``None`` for absent tensors.  Returns the last layer's outputs
    (T, B, directions * H) and the final states stacked like ``hidden``.
    """
    step = STEPS[mode]
    directions = 2 if bidirectional else 1
    finals = []
    layer_input = input
    for layer in range(num_layers):
        outputs = []
        for direction in range(directions):
            index = layer * directions + direction
            state = tuple(h[index] for h in hidden)
            out, state = _run_direction(step, layer_input, state, weights[index], reverse=direction == 1)
            outputs.append(out)
            finals.append(state)
        layer_input = outputs[0] if directions == 1 else cat(outputs, -1)
        if dropout_p > 0 and training and layer < num_layers - 1:
            layer_input = dropout(layer_input, dropout_p, True)
    final_states = tuple(stack([s[k] for s in finals], 0) for k in range(len(hidden)))
    return layer_input, final_states
