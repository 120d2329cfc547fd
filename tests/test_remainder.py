"""remainder, fmod and the % operators against PyTorch: values and dtypes over
signs, zeros, infinities, integers and broadcasting; PyTorch's errors;
gradients (finite differences live in test_ops_pointwise.py's table); the
in-place forms."""

import math

import numpy as np
import pytest

import ferrograd as torch

FLOATS_A = [5.0, -5.0, 5.5, -5.5, 0.0, -0.0, 7.0, 1e-3, math.inf, -math.inf, math.nan, 3.0]
FLOATS_B = [3.0, 3.0, -2.0, -2.0, 3.0, -3.0, 0.0, 0.7, 2.0, 2.0, 1.0, math.inf]
INTS_A = [5, -5, 5, -5, 0, 7, -7, 9223372036854775807, -9223372036854775807 - 1]
INTS_B = [3, 3, -3, -3, 4, 7, 2, 10, 3]


def _same(ours, theirs):
    """Same dtype, shape and values, NaN in the same places, signed zeros alike."""
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert tuple(ours.shape) == tuple(theirs.shape)
    a, b = ours.tolist(), theirs.tolist()
    if ours.dtype.is_floating_point:
        np.testing.assert_array_equal(np.array(a), np.array(b))
        assert np.array_equal(np.signbit(np.array(a)), np.signbit(np.array(b)))
    else:
        assert a == b


CASES = [
    ("float_tensors", lambda L: L.tensor(FLOATS_A) % L.tensor(FLOATS_B)),
    ("float_tensors_fmod", lambda L: L.tensor(FLOATS_A).fmod(L.tensor(FLOATS_B))),
    ("float_number", lambda L: L.tensor(FLOATS_A) % -0.75),
    ("float_number_fmod", lambda L: L.fmod(L.tensor(FLOATS_A), -0.75)),
    ("float_by_zero", lambda L: L.remainder(L.tensor(FLOATS_A), 0.0)),
    ("int_tensors", lambda L: L.tensor(INTS_A) % L.tensor(INTS_B)),
    ("int_tensors_fmod", lambda L: L.tensor(INTS_A).fmod(L.tensor(INTS_B))),
    ("int_number", lambda L: L.tensor(INTS_A) % -4),
    ("int_number_fmod", lambda L: L.tensor(INTS_A).fmod(-4)),
    ("int_by_float_number", lambda L: L.tensor([5, -5, 7]) % 2.5),
    ("int_by_float_tensor", lambda L: L.tensor([5, -5, 7]).fmod(L.tensor([2.5, 2.5, -3.0]))),
    ("float64_with_float32", lambda L: L.tensor([5.5, -1.25], dtype=L.float64) % L.tensor([2.0, 0.5])),
    ("zero_dim_divisor", lambda L: L.tensor([5, -5, 7]) % L.tensor(3.0)),
    ("zero_dim_float_keeps_dimensioned_type", lambda L: L.tensor([5.5, -5.5]) % L.tensor(2.0, dtype=L.float64)),
    ("broadcast", lambda L: L.arange(-6.0, 6.0).reshape(3, 4) % L.tensor([[1.5], [-2.5], [4.0]])),
    ("broadcast_fmod", lambda L: L.fmod(L.arange(-6, 6).reshape(3, 4), L.tensor([5, -5, 3, 2]))),
    ("rmod_number", lambda L: 5 % L.tensor([3, -3, 2, -7])),
    ("rmod_float_number", lambda L: 5.5 % L.tensor([3.0, -3.0, 0.0, -0.5])),
    ("function_number_input", lambda L: L.remainder(7, L.tensor([3.0, -4.0]))),
    ("keywords", lambda L: L.remainder(input=L.tensor([7.0]), other=L.tensor([-4.0]))),
    ("keywords_fmod", lambda L: L.fmod(input=L.tensor([-7]), other=3)),
    ("empty_by_zero", lambda L: L.tensor([], dtype=L.int64) % 0),
    ("float16", lambda L: L.tensor([5.3, -5.3, 100.7, -0.1], dtype=L.float16) % L.tensor([0.3, 0.3, -7.1, 0.7], dtype=L.float16)),
    ("bfloat16_number", lambda L: L.tensor([5.3, -5.3, 100.7, -0.1], dtype=L.bfloat16).fmod(0.3)),
]


@pytest.mark.parametrize("fn", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_values_and_dtypes_match_pytorch(torch_ref, fn):
    _same(fn(torch), fn(torch_ref))


def test_python_and_c_sign_conventions():
    a, b = torch.tensor([5.0, -5.0, 5.0, -5.0]), torch.tensor([3.0, 3.0, -3.0, -3.0])
    assert (a % b).tolist() == [2.0, 1.0, -1.0, -2.0]  # Python: 5 % 3, -5 % 3, 5 % -3, -5 % -3
    assert a.fmod(b).tolist() == [2.0, -2.0, 2.0, -2.0]  # C: math.fmod
    assert [5 % 3, -5 % 3, 5 % -3, -5 % -3] == [2, 1, -1, -2]
    assert [math.fmod(5, 3), math.fmod(-5, 3)] == [2.0, -2.0]


def test_int64_min_by_minus_one_is_zero():
    # Mathematically 0; C's % would trap. PyTorch is not consulted here.
    x = torch.tensor([-9223372036854775807 - 1])
    assert (x % -1).tolist() == [0] and x.fmod(-1).tolist() == [0]
    assert (x % torch.tensor([-1])).tolist() == [0]


ERRORS = [
    ("int_by_zero_number", lambda L: L.tensor([5, 6]) % 0),
    ("int_by_zero_tensor", lambda L: L.tensor([5, 6]).fmod(L.tensor([1, 0]))),
    ("int_by_zero_broadcast", lambda L: L.remainder(L.tensor([[5], [6]]), L.tensor([0]))),
    ("bool", lambda L: L.tensor([True]) % True),
    ("bool_fmod", lambda L: L.tensor([True]).fmod(L.tensor([True]))),
    ("in_place_int_by_float", lambda L: L.tensor([5]).remainder_(2.5)),
    ("in_place_broadcast", lambda L: L.tensor([5.0]).fmod_(L.tensor([1.0, 2.0]))),
    ("shapes", lambda L: L.tensor([1.0, 2.0]) % L.tensor([1.0, 2.0, 3.0])),
    ("fmod_number_input", lambda L: L.fmod(5, L.tensor([3]))),
    ("bad_operand", lambda L: L.tensor([1.0]).remainder("a")),
]


@pytest.mark.parametrize("fn", [c[1] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_errors_match_pytorch(torch_ref, fn):
    with pytest.raises(Exception) as theirs:
        fn(torch_ref)
    with pytest.raises(Exception) as ours:
        fn(torch)
    assert isinstance(ours.value, type(theirs.value)) or isinstance(theirs.value, type(ours.value))
    if not isinstance(theirs.value, TypeError):
        assert str(ours.value) == str(theirs.value)


def _grads(L, fn, *values):
    leaves = [L.tensor(v, requires_grad=True) for v in values]
    out = fn(*leaves)
    out.backward(L.ones_like(out) * 1.5)
    return type(out.grad_fn).__name__, out.tolist(), [None if x.grad is None else x.grad.tolist() for x in leaves]


A = [5.0, -5.0, 2.5, -7.25, 0.5, 3.0]
B = [3.0, 3.0, -2.0, 0.5, -4.0, 1.0]
GRADS = [
    ("remainder", lambda a, b: a % b),
    ("fmod", lambda a, b: a.fmod(b)),
    ("remainder_number", lambda a, b: (a % 2.0) * b),
    ("fmod_number", lambda a, b: a.fmod(-2.0) * b),
    ("remainder_broadcast", lambda a, b: a.reshape(2, 3) % b[:3]),
    ("fmod_self", lambda a, b: a.fmod(a.abs() + 1)),
]


@pytest.mark.parametrize("fn", [g[1] for g in GRADS], ids=[g[0] for g in GRADS])
def test_gradients_and_grad_fn_match_pytorch(torch_ref, fn):
    ours, theirs = _grads(torch, fn, A, B), _grads(torch_ref, fn, A, B)
    assert ours[0] == theirs[0]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)
    for g, rg in zip(ours[2], theirs[2]):
        assert (g is None) == (rg is None)
        if g is not None:
            np.testing.assert_allclose(g, rg, rtol=1e-6)


def test_divisor_gradient_is_minus_grad_times_quotient():
    # d(a - q*b)/db = -q with q = floor(a/b) (remainder) or trunc(a/b) (fmod).
    a = torch.tensor([7.0, -7.0], requires_grad=True)
    b = torch.tensor([2.0, 2.0], requires_grad=True)
    (a % b).sum().backward()
    assert b.grad.tolist() == [-3.0, 4.0] and a.grad.tolist() == [1.0, 1.0]
    b.grad = None
    a.fmod(b).sum().backward()
    assert b.grad.tolist() == [-3.0, 3.0]


def test_number_dividend_is_not_differentiable(torch_ref):
    def run(L):
        x = L.tensor([3.0, -4.0], requires_grad=True)
        out = 5 % x
        with pytest.raises(RuntimeError) as e:
            out.sum().backward()
        return type(out.grad_fn).__name__, out.tolist(), str(e.value)

    assert run(torch) == run(torch_ref)


IN_PLACE = [
    ("imod", lambda L, x: x.__imod__(L.tensor([3.0, -3.0, 2.0, 0.5]))),
    ("imod_number", lambda L, x: x.__imod__(-1.5)),
    ("remainder_", lambda L, x: x.remainder_(2)),
    ("fmod_", lambda L, x: x.fmod_(L.tensor(-2.0))),
]


@pytest.mark.parametrize("fn", [c[1] for c in IN_PLACE], ids=[c[0] for c in IN_PLACE])
def test_in_place_forms_match_pytorch(torch_ref, fn):
    def run(L):
        leaf = L.tensor([5.5, -5.5, 7.0, -0.25], requires_grad=True)
        x = leaf * 1.0
        version = x._version
        y = fn(L, x)
        assert y is x and x._version > version
        x.backward(L.tensor([1.0, 2.0, 3.0, 4.0]))
        return x.tolist(), type(x.grad_fn).__name__, leaf.grad.tolist()

    assert run(torch) == run(torch_ref)


def test_imod_operator_on_int_tensor(torch_ref):
    def run(L):
        x = L.tensor([7, -7, 9])
        x %= 4
        return x.tolist(), str(x.dtype)

    ours, theirs = run(torch), run(torch_ref)
    assert ours[0] == theirs[0] and ours[1].split(".")[-1] == theirs[1].split(".")[-1]
