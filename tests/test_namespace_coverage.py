"""Functions and Tensor methods that no other test compares with PyTorch: each
runs the same code under ferrograd and under PyTorch and compares values,
dtypes, shapes and, for differentiable ops, the gradients of the inputs."""

import io
import math
import warnings

import numpy as np
import pytest

import ferrograd


def summary(value):
    """A flat list describing a result: dtype, shape and values of each tensor."""
    if isinstance(value, (ferrograd.Tensor, np.ndarray)) or type(value).__name__ == "Tensor":
        if isinstance(value, np.ndarray):
            return ["ndarray", str(value.dtype), value.shape] + value.ravel().tolist()
        return ["tensor", str(value.dtype), tuple(value.shape)] + np.ravel(value.detach().tolist()).tolist()
    if isinstance(value, (tuple, list)):
        return [type(value).__name__, len(value)] + [item for v in value for item in summary(v)]
    return [value]


def assert_same(ours, theirs):
    assert len(ours) == len(theirs), (ours, theirs)
    for a, b in zip(ours, theirs):
        if isinstance(a, float) and isinstance(b, float):
            assert a == b or math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-7) or (math.isnan(a) and math.isnan(b)), (ours, theirs)
        else:
            assert a == b, (ours, theirs)


FLOATS = ("float32", "float64")


def outcome(L, fn, inputs):
    """`fn(L, *tensors)` on tensors made from `inputs` ((values, dtype name) or
    float32 values); when the result carries a gradient, it is backpropagated
    with fixed weights.  Returns the result's summary and the input gradients."""
    inputs = [i if isinstance(i, tuple) else (i, "float32") for i in inputs]
    xs = [L.tensor(v, dtype=getattr(L, d), requires_grad=d in FLOATS) for v, d in inputs]
    out = fn(L, *xs)
    grads = []
    if isinstance(out, L.Tensor) and out.requires_grad:
        weights = L.linspace(-1.0, 1.5, out.numel(), dtype=out.dtype).reshape(out.shape)
        out.backward(weights)
        grads = [summary(x.grad) if x.grad is not None else None for x in xs]
    return summary(out), grads


def compare(torch_ref, fn, *inputs):
    ours, our_grads = outcome(ferrograd, fn, inputs)
    theirs, their_grads = outcome(torch_ref, fn, inputs)
    assert_same(ours, theirs)
    assert len(our_grads) == len(their_grads)
    for a, b in zip(our_grads, their_grads):
        assert (a is None) == (b is None)
        if a is not None:
            assert_same(a, b)


A = [[0.5, -1.25, 2.0], [-0.75, 1.5, 3.0]]
B = [[1.5, 0.25, -2.0], [0.75, -1.5, 3.0]]
M = [[1.0, -2.0], [0.5, 3.0], [-1.5, 0.25]]
SPECIAL = [1.0, float("inf"), -float("inf"), float("nan"), 0.0, -2.5]

BINARY = {
    "divide": lambda L, a, b: L.divide(a, b),
    "multiply": lambda L, a, b: L.multiply(a, b),
    "subtract": lambda L, a, b: L.subtract(a, b, alpha=2),
    "true_divide": lambda L, a, b: L.true_divide(a, b),
    "greater": lambda L, a, b: L.greater(a, b),
    "greater_equal": lambda L, a, b: L.greater_equal(a, b),
    "less": lambda L, a, b: L.less(a, b),
    "less_equal": lambda L, a, b: L.less_equal(a, b),
    "not_equal": lambda L, a, b: L.not_equal(a, b),
    "pow": lambda L, a, b: L.pow(a.abs() + 0.5, b),
    "logical_xor": lambda L, a, b: (a > 0).logical_xor(b > 0),
}


@pytest.mark.parametrize("name", BINARY)
def test_binary(torch_ref, name):
    compare(torch_ref, BINARY[name], A, B)


UNARY = {
    "negative": lambda L, a: L.negative(a),
    "reciprocal": lambda L, a: L.reciprocal(a),
    "Tensor.reciprocal": lambda L, a: a.reciprocal(),
    "pow of a number": lambda L, a: L.pow(2.0, a),
    "Tensor.pow": lambda L, a: a.pow(3),
    "positive operator": lambda L, a: +a * 2,
    "in-place multiply": lambda L, a: in_place_multiply(a),
    "logical_not": lambda L, a: (a > 0).logical_not(),
    "isfinite": lambda L, a: L.isfinite(a),
    "isinf": lambda L, a: L.isinf(a),
    "isnan": lambda L, a: L.isnan(a),
    "atleast_1d of a scalar": lambda L, a: L.atleast_1d(a[0, 0]),
    "atleast_1d of several": lambda L, a: L.atleast_1d(a[0, 0], a, a[1]),
    "moveaxis": lambda L, a: L.moveaxis(a.reshape(1, 2, 3), 0, 2),
    "Tensor.moveaxis": lambda L, a: a.reshape(1, 2, 3).moveaxis((0, 1), (2, 0)),
    "swapdims": lambda L, a: L.swapdims(a, 0, 1),
    "Tensor.swapdims": lambda L, a: a.reshape(1, 2, 3).swapdims(-1, 0),
    "split_with_sizes": lambda L, a: L.split_with_sizes(a, [1, 2], dim=1),
    "Tensor.split_with_sizes": lambda L, a: a.split_with_sizes([2, 0], 0),
    "index_fill": lambda L, a: L.index_fill(a * 1, 1, L.tensor([0, 2]), -1.0),
}


def in_place_multiply(a):
    b = a * 1
    b *= 3
    b *= a
    return b


@pytest.mark.parametrize("name", UNARY)
def test_unary(torch_ref, name):
    compare(torch_ref, UNARY[name], A)


@pytest.mark.parametrize("name", ["isfinite", "isinf", "isnan"])
def test_special_values(torch_ref, name):
    compare(torch_ref, UNARY[name], SPECIAL)


def test_matrix_products(torch_ref):
    compare(torch_ref, lambda L, a, m: L.mm(a, m), A, M)
    compare(torch_ref, lambda L, a, m: a.mm(m), A, M)
    compare(torch_ref, lambda L, a, m: m.__rmatmul__(a), A, M)


def test_reflected_logical_operators(torch_ref):
    compare(torch_ref, lambda L, a: [True & (a > 0), False | (a > 0), True ^ (a > 0)], A)


@pytest.mark.parametrize("dtype", ["bool", "int64"])
def test_bitwise_not(torch_ref, dtype):
    values = [True, False, True] if dtype == "bool" else [0, -3, 7]
    compare(torch_ref, lambda L, x: [L.bitwise_not(x), x.bitwise_not()], (values, dtype))


def test_predicates_and_sizes(torch_ref):
    compare(torch_ref, lambda L, a: [L.is_floating_point(a), L.is_floating_point(a.long()), L.is_tensor(a),
                                     L.is_tensor(A), L.numel(a), a.ndimension(), a[0].ndimension(), a.is_cuda], A)


def test_detach_in_place(torch_ref):
    for L in (ferrograd, torch_ref):
        leaf = L.tensor(A, requires_grad=True)
        y = leaf * 2
        assert y.detach_() is y
        assert (y.requires_grad, y.grad_fn, y.is_leaf) == (False, None, True)
        z = (leaf * 3).sum()
        z.backward()
        assert leaf.grad.tolist() == [[3.0] * 3] * 2


def test_hash_is_identity(torch_ref):
    for L in (ferrograd, torch_ref):
        a, b = L.tensor([1.0]), L.tensor([1.0])
        assert hash(a) == id(a) and hash(a) != hash(b)
        assert {a: "a", b: "b"}[b] == "b"


def test_rng_state_round_trip(torch_ref):
    draws = []
    for L in (ferrograd, torch_ref):
        L.manual_seed(11)
        assert L.initial_seed() == 11
        state = L.get_rng_state()
        first = L.rand(4).tolist()
        L.set_rng_state(state)
        assert L.rand(4).tolist() == first
        draws.append(first + L.bernoulli(L.tensor([0.2, 0.5, 0.9, 0.1] * 4)).tolist())
    assert draws[0] == draws[1]


def test_rng_state_dtype(torch_ref):
    ours, theirs = ferrograd.get_rng_state(), torch_ref.get_rng_state()
    assert (str(ours.dtype), tuple(ours.shape)) == (str(theirs.dtype), tuple(theirs.shape))


def test_grad_switches(torch_ref):
    for L in (ferrograd, torch_ref):
        x = L.ones(2, requires_grad=True)
        with L.set_grad_enabled(False):
            assert not (x * 2).requires_grad and not L.is_grad_enabled()
        assert L.is_grad_enabled()
        L.set_grad_enabled(False)
        try:
            assert not (x * 2).requires_grad
        finally:
            L.set_grad_enabled(True)
        L.autograd.set_detect_anomaly(True)
        try:
            assert L.is_anomaly_enabled()
        finally:
            L.autograd.set_detect_anomaly(False)
        assert not L.is_anomaly_enabled()


def test_serialization_module_round_trip(torch_ref):
    for L in (ferrograd, torch_ref):
        buffer = io.BytesIO()
        L.serialization.save({"w": L.tensor(A), "step": 3}, buffer)
        buffer.seek(0)
        loaded = L.serialization.load(buffer)
        assert loaded["step"] == 3 and loaded["w"].tolist() == A and loaded["w"].dtype is L.float32


@pytest.mark.parametrize("options", [{"precision": 2}, {"precision": 6, "sci_mode": True}, {"threshold": 5, "edgeitems": 1},
                                     {"sci_mode": False}, {"linewidth": 20}])
def test_set_printoptions(torch_ref, options):
    printed = []
    for L in (ferrograd, torch_ref):
        L.set_printoptions(**options)
        try:
            printed.append([str(L.tensor(A) / 3), str(L.tensor(A) * 1e6), str(L.arange(20.0)), str(L.tensor(2.0 / 3))])
        finally:
            L.set_printoptions(profile="default")
    assert printed[0] == printed[1]
    assert str(ferrograd.tensor([1 / 3])) == str(torch_ref.tensor([1 / 3]))


def test_typename(torch_ref):
    def names(L):
        return [L.typename(L.ones(1)), L.typename(L.ones(1, dtype=L.int32)), L.typename(L.ones(1, dtype=L.bool)),
                L.typename(3), L.typename("s"), L.typename(L.nn.Linear(1, 1)).replace(L.__name__, "lib")]
    assert names(ferrograd) == names(torch_ref)


def _raised(action, L):
    with pytest.raises(Exception) as info:
        action(L)
    return type(info.value).__name__, str(info.value)


@pytest.mark.parametrize("action", [
    lambda L: L.pow(2, 3),
    lambda L: L.pow(2.0, 3),
    lambda L: L.pow(True, 2.5),
    lambda L: L.linspace(0, 1, -1),
    lambda L: L.logspace(0, 1, -2),
], ids=["pow_int_int", "pow_float_int", "pow_bool_float", "linspace_negative_steps", "logspace_negative_steps"])
def test_refusals_match_pytorch(torch_ref, action):
    assert _raised(action, ferrograd) == _raised(action, torch_ref)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_of_zero_losses_prints_as_pytorch(torch_ref, reduction):
    def loss(L):
        x, target = L.zeros(2, 3), L.tensor([0, 1])
        return [repr(L.nn.functional.nll_loss(x, target, reduction=reduction)),
                repr(L.nn.functional.nll_loss(L.zeros(2, 3, 2), L.zeros(2, 2, dtype=L.long), reduction=reduction))]
    assert loss(ferrograd) == loss(torch_ref)


def test_default_device(torch_ref):
    def story(L):
        before = str(L.get_default_device())
        L.set_default_device("cpu")
        during = (str(L.get_default_device()), str(L.ones(2).device))
        L.set_default_device(None)
        return before, during, str(L.get_default_device())
    assert story(ferrograd) == story(torch_ref)


def test_numpy_ufuncs_on_tensors_give_tensors(torch_ref):
    def outcome(action):
        try:
            return repr(action())
        except TypeError:
            # The message names the class: 'Tensor' in PyTorch, 'ferrograd.Tensor' here.
            return "TypeError"

    def results(L):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # PyTorch's __array_wrap__ signature
            # `t * array` falls back to numpy's ufunc, whose result comes back
            # as a tensor; `array * t` is refused, as PyTorch refuses it.
            return [outcome(action) for action in (
                lambda: np.add(np.ones(3), L.ones(3)), lambda: np.exp(L.ones(2)),
                lambda: np.greater(np.ones(3), L.zeros(3)), lambda: L.ones(2) * np.arange(2),
                lambda: np.ones(2) + L.ones(2), lambda: np.arange(2) - L.ones(2),
                lambda: L.ones(1).__array_wrap__(np.arange(3)))]
    assert results(ferrograd) == results(torch_ref)
