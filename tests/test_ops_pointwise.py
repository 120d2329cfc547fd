"""Pointwise math, activations, clamp, maximum/minimum, where, lerp, rounding
and NaN handling: one table row per op (forward against numpy, gradient by
finite differences in float64, both against PyTorch when installed), then
explicit checks at ties and kinks, dtypes, grad_fn names and errors.

Rows are ``(name, fn, ref, inputs, domain)``: ``fn(L, *tensors)`` is written
once for ferrograd and PyTorch (``L`` is the library, ``F`` its
``nn.functional``), ``ref(*arrays)`` is the numpy reference.  Inputs and
domains are as in test_ops_grad.py; "small" is [-1, 1].
"""

import math
import re
import zlib

import numpy as np
import pytest

import ferrograd as torch
import ferrograd.nn.functional as F
from gradcheck import check_grad, flatten, nest
from op_table import apply, assert_grads_close, input_data, run_grad, t


def nnf(L):
    return L.nn.functional


_erf = np.vectorize(math.erf)


def ref_gelu(x):
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def ref_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def ref_softplus(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.log1p(np.exp(x * beta)) / beta)


def ref_lerp(s, e, w):
    return np.where(np.abs(w) < 0.5, s + w * (e - s), e - (e - s) * (1 - w))


ROWS = [
    ("exp2", lambda L, a: a.exp2(), np.exp2, [(2, 3)], "any"),
    ("torch_exp2", lambda L, a: L.exp2(a), np.exp2, [t(3, 2)], "any"),
    ("expm1", lambda L, a: a.expm1(), np.expm1, [(2, 3)], "any"),
    ("log2", lambda L, a: a.log2(), np.log2, [(2, 3)], "pos"),
    ("log10", lambda L, a: L.log10(a), np.log10, [t(2, 3)], "pos"),
    ("log1p", lambda L, a: a.log1p(), np.log1p, [(2, 3)], "pos"),
    ("rsqrt", lambda L, a: a.rsqrt(), lambda a: 1 / np.sqrt(a), [(2, 3)], "pos"),
    ("square", lambda L, a: a.square(), np.square, [(2, 3)], "any"),
    ("torch_square", lambda L, a: L.square(a), np.square, [t(3, 4)], "any"),
    ("sin", lambda L, a: a.sin(), np.sin, [(2, 3)], "any"),
    ("cos", lambda L, a: L.cos(a), np.cos, [t(2, 3)], "any"),
    ("tan", lambda L, a: a.tan(), np.tan, [(2, 3)], "small"),
    ("erf", lambda L, a: a.erf(), _erf, [(2, 3)], "any"),
    ("trig_chain", lambda L, a, b: (a.sin() * b.cos()).tan(), lambda a, b: np.tan(np.sin(a) * np.cos(b)),
     [(2, 3), (3,)], "small"),
    ("leaky_relu", lambda L, a: nnf(L).leaky_relu(a), lambda a: np.where(a > 0, a, 0.01 * a), [(2, 3)], "nz"),
    ("leaky_relu_slope", lambda L, a: nnf(L).leaky_relu(a, negative_slope=0.2),
     lambda a: np.where(a > 0, a, 0.2 * a), [t(3, 4)], "nz"),
    ("elu", lambda L, a: nnf(L).elu(a), lambda a: np.where(a > 0, a, np.expm1(a)), [(2, 3)], "nz"),
    ("elu_alpha", lambda L, a: nnf(L).elu(a, alpha=0.5), lambda a: np.where(a > 0, a, 0.5 * np.expm1(a)),
     [t(3, 4)], "nz"),
    ("gelu", lambda L, a: nnf(L).gelu(a), ref_gelu, [(2, 3)], "any"),
    ("gelu_noncontig", lambda L, a: nnf(L).gelu(a), ref_gelu, [t(3, 4)], "any"),
    ("gelu_tanh", lambda L, a: nnf(L).gelu(a, approximate="tanh"), ref_gelu_tanh, [(2, 3)], "any"),
    ("silu", lambda L, a: nnf(L).silu(a), lambda a: a / (1 + np.exp(-a)), [(2, 3)], "any"),
    ("silu_noncontig", lambda L, a: nnf(L).silu(a), lambda a: a / (1 + np.exp(-a)), [t(3, 4)], "any"),
    ("softplus", lambda L, a: nnf(L).softplus(a), ref_softplus, [(2, 3)], "any"),
    ("softplus_beta_threshold", lambda L, a: nnf(L).softplus(a, beta=2.0, threshold=3.0),
     lambda a: ref_softplus(a, 2.0, 3.0), [(3, 4)], "any"),
    ("functional_relu", lambda L, a: nnf(L).relu(a), lambda a: np.maximum(a, 0), [(2, 3)], "nz"),
    ("functional_sigmoid", lambda L, a: nnf(L).sigmoid(a), lambda a: 1 / (1 + np.exp(-a)), [(2, 3)], "any"),
    ("functional_tanh", lambda L, a: nnf(L).tanh(a), np.tanh, [(2, 3)], "any"),
    ("clamp", lambda L, a: a.clamp(-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5), [(3, 4)], "any"),
    ("clamp_min", lambda L, a: a.clamp(min=0.3), lambda a: np.maximum(a, 0.3), [(3, 4)], "any"),
    ("clamp_max", lambda L, a: L.clamp(a, max=-0.3), lambda a: np.minimum(a, -0.3), [t(3, 4)], "any"),
    ("clip", lambda L, a: L.clip(a, -1, 1), lambda a: np.clip(a, -1, 1), [(3, 4)], "any"),
    ("clamp_tensor", lambda L, a, lo, hi: a.clamp(lo - 1, hi + 1),
     lambda a, lo, hi: np.minimum(np.maximum(a, lo - 1), hi + 1), [(3, 4), (3, 1), (4,)], "any"),
    ("clamp_tensor_min", lambda L, a, lo: a.clamp(min=lo), lambda a, lo: np.maximum(a, lo),
     [t(3, 4), (4,)], "any"),
    ("clamp_tensor_max", lambda L, a, hi: L.clamp(a, max=hi), lambda a, hi: np.minimum(a, hi),
     [(3, 4), (3, 1)], "any"),
    ("maximum", lambda L, a, b: L.maximum(a, b), np.maximum, [(3, 4), (3, 4)], "any"),
    ("maximum_bcast", lambda L, a, b: a.maximum(b), np.maximum, [(3, 1), t(3, 4)], "any"),
    ("minimum", lambda L, a, b: L.minimum(a, b), np.minimum, [(3, 4), (4,)], "any"),
    ("where", lambda L, c, a, b: L.where(c > 0, a, b), lambda c, a, b: np.where(c > 0, a, b),
     [(3, 4), (3, 4), (3, 4)], "any"),
    ("where_bcast", lambda L, c, a, b: L.where(c > 0, a, b), lambda c, a, b: np.where(c > 0, a, b),
     [(3, 1), t(3, 4), (4,)], "any"),
    ("where_scalar_other", lambda L, a: L.where(a > 0, a, 0.5), lambda a: np.where(a > 0, a, 0.5), [(2, 3)], "any"),
    ("where_scalar_input", lambda L, a: L.where(a > 0, -1.0, a), lambda a: np.where(a > 0, -1.0, a), [(2, 3)], "any"),
    ("where_method", lambda L, a, b: a.where(b > 0, b), lambda a, b: np.where(b > 0, a, b), [(2, 3), (3,)], "any"),
    ("lerp", lambda L, a, b: a.lerp(b, 0.3), lambda a, b: ref_lerp(a, b, 0.3), [(2, 3), (3,)], "any"),
    ("lerp_high_weight", lambda L, a, b: L.lerp(a, b, 0.8), lambda a, b: ref_lerp(a, b, 0.8), [t(2, 3), (2, 3)], "any"),
    ("lerp_tensor", lambda L, a, b, w: a.lerp(b, w), ref_lerp, [(3, 4), (3, 1), (4,)], "any"),
    ("floor", lambda L, a: a.floor() * a, lambda a: np.floor(a) * a, [(2, 3)], "any"),
    ("ceil", lambda L, a: L.ceil(a) * a, lambda a: np.ceil(a) * a, [(2, 3)], "any"),
    ("round", lambda L, a: a.round() + a, lambda a: np.round(a) + a, [(2, 3)], "any"),
    ("round_decimals", lambda L, a: a.round(decimals=1) + a, lambda a: np.round(a, 1) + a, [(2, 3)], "any"),
    ("trunc", lambda L, a: L.trunc(a) - a, lambda a: np.trunc(a) - a, [t(2, 3)], "any"),
    ("nan_to_num", lambda L, a: a.nan_to_num(), lambda a: a, [(2, 3)], "any"),
    ("div_floor", lambda L, a, b: a.div(b, rounding_mode="floor") + a * b,
     lambda a, b: np.floor_divide(a, b) + a * b, [(2, 3), (3,)], ("any", "nz")),
    ("div_trunc", lambda L, a, b: L.div(a, b, rounding_mode="trunc") + b,
     lambda a, b: np.trunc(a / b) + b, [(2, 3), (2, 3)], ("any", "nz")),
    ("remainder", lambda L, a, b: a.remainder(b) * b, lambda a, b: np.mod(a, b) * b, [(2, 3), (3,)], ("any", "nz")),
    ("remainder_operator_number", lambda L, a: (a % 0.7) + a, lambda a: np.mod(a, 0.7) + a, [(2, 3)], "any"),
    ("remainder_negative_divisor", lambda L, a, b: L.remainder(a, -b.abs()), lambda a, b: np.mod(a, -np.abs(b)), [(3, 1), (1, 4)], ("any", "nz")),
    ("fmod", lambda L, a, b: L.fmod(a, b) * b, lambda a, b: np.fmod(a, b) * b, [(2, 3), t(2, 3)], ("any", "nz")),
    ("fmod_number", lambda L, a: a.fmod(-0.6) - a, lambda a: np.fmod(a, -0.6) - a, [t(2, 3)], "any"),
    ("activation_mix", lambda L, x, w: nnf(L).gelu(x * w).clamp(-0.1, 1.0) + nnf(L).silu(x).sin(),
     lambda x, w: np.clip(ref_gelu(x * w), -0.1, 1.0) + np.sin(x / (1 + np.exp(-x))), [(2, 3), (3,)], "any"),
]

IDS = [row[0] for row in ROWS]
ROW_ARGS = [row[1:] for row in ROWS]


@pytest.mark.parametrize("fn, ref, specs, domain", ROW_ARGS, ids=IDS)
def test_forward_matches_numpy(request, fn, ref, specs, domain):
    name = request.node.callspec.id
    data = input_data(name, specs, domain)
    ours = apply(fn, torch, data, [torch.tensor(nest(v, s), dtype=torch.float64) for v, s, _ in data])
    arrays = [np.reshape(v, s).T if tr else np.reshape(v, s) for v, s, tr in data]
    expected = np.asarray(ref(*arrays), dtype=np.float64)
    assert tuple(ours.shape) == expected.shape
    assert ours.dtype == torch.float64
    np.testing.assert_allclose(flatten(ours.tolist()), expected.ravel(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fn, ref, specs, domain", ROW_ARGS, ids=IDS)
def test_gradient_matches_finite_differences(request, fn, ref, specs, domain):
    name = request.node.callspec.id
    data = input_data(name, specs, domain)
    inputs = [torch.tensor(nest(v, s), dtype=torch.float64, requires_grad=True) for v, s, _ in data]
    check_grad(lambda *xs: apply(fn, torch, data, xs), inputs, seed=zlib.crc32(name.encode()))




@pytest.mark.parametrize("fn, ref, specs, domain", ROW_ARGS, ids=IDS)
def test_matches_pytorch(request, torch_ref, fn, ref, specs, domain):
    name = request.node.callspec.id
    data = input_data(name, specs, domain)
    shape, out, grads, dtype, grad_fn = run_grad(torch, fn, data, name)
    ref_shape, ref_out, ref_grads, _, ref_grad_fn = run_grad(torch_ref, fn, data, name)
    assert shape == ref_shape
    assert dtype == torch.float32
    assert grad_fn == ref_grad_fn
    np.testing.assert_allclose(out, ref_out, rtol=1e-5, atol=1e-6)
    assert_grads_close(grads, ref_grads, 1e-5, 1e-6)


@pytest.mark.parametrize("fn, ref, specs, domain", ROW_ARGS, ids=IDS)
def test_differentiable_backward_agrees_with_fused(request, fn, ref, specs, domain):
    """create_graph=True runs the composite formulas; they must agree with the fused kernels."""
    name = request.node.callspec.id
    data = input_data(name, specs, domain)
    _, _, fused, _, _ = run_grad(torch, fn, data, name, "float64")
    _, _, composite, _, _ = run_grad(torch, fn, data, name, "float64", create_graph=True)
    assert_grads_close(composite, fused, 1e-12, 1e-12)


# --- second derivatives (the create_graph formulas), against PyTorch -----------------------

SECOND = [
    ("gelu", lambda L, x: nnf(L).gelu(x)),
    ("gelu_tanh", lambda L, x: nnf(L).gelu(x, approximate="tanh")),
    ("silu", lambda L, x: nnf(L).silu(x)),
    ("softplus", lambda L, x: nnf(L).softplus(x, beta=1.5)),
    ("elu", lambda L, x: nnf(L).elu(x, alpha=0.7)),
    ("leaky_relu", lambda L, x: nnf(L).leaky_relu(x, 0.2) * x),
    ("erf", lambda L, x: x.erf()),
    ("tan", lambda L, x: x.tan()),
    ("rsqrt", lambda L, x: (x * x + 1).rsqrt()),
    ("log1p", lambda L, x: (x * x).log1p()),
    ("exp2", lambda L, x: x.exp2()),
    ("clamp", lambda L, x: x.clamp(-0.5, 0.5) * x),
    ("maximum", lambda L, x: L.maximum(x, x * 0.5) * x),
    ("where", lambda L, x: L.where(x > 0, x * x, x.sin())),
    ("lerp", lambda L, x: x.lerp(x * x, x)),
]
SECOND_X = [-1.7, -0.6, -0.2, 0.3, 0.9, 1.8]


@pytest.mark.parametrize("fn", [r[1] for r in SECOND], ids=[r[0] for r in SECOND])
def test_second_derivative_matches_pytorch(torch_ref, fn):
    def second(L):
        x = L.tensor(SECOND_X, dtype=L.float64, requires_grad=True)
        (g,) = L.autograd.grad(fn(L, x).sum(), [x], create_graph=True)
        (h,) = L.autograd.grad(g.sum(), [x])
        return flatten(g.tolist()), flatten(h.tolist())

    g, h = second(torch)
    rg, rh = second(torch_ref)
    np.testing.assert_allclose(g, rg, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h, rh, rtol=1e-9, atol=1e-12)


# --- subgradients at kinks and ties, as PyTorch chooses them ----------------------------------

KINK_X = [-1.0, -0.0, 0.0, 0.5, 1.0, 2.0]
KINKS = [
    ("relu", lambda L, x: nnf(L).relu(x)),
    ("leaky_relu", lambda L, x: nnf(L).leaky_relu(x, 0.1)),
    ("elu", lambda L, x: nnf(L).elu(x, 0.5)),
    ("softplus_threshold", lambda L, x: nnf(L).softplus(x, beta=2.0, threshold=2.0)),
    ("clamp_both", lambda L, x: x.clamp(0.0, 1.0)),
    ("clamp_min", lambda L, x: x.clamp(min=0.5)),
    ("clamp_max", lambda L, x: x.clamp(max=0.5)),
    ("clamp_min_above_max", lambda L, x: x.clamp(1.0, 0.0)),
    ("maximum_tie", lambda L, x: L.maximum(x, L.tensor([0.0, 0.0, 0.0, 0.5, 3.0, 2.0], dtype=L.float64))),
    ("minimum_tie", lambda L, x: L.minimum(x, L.tensor([-1.0, 0.0, 1.0, 0.5, 0.0, 2.0], dtype=L.float64))),
    ("maximum_self", lambda L, x: L.maximum(x, x)),
    ("round", lambda L, x: x.round()),
    ("floor", lambda L, x: x.floor()),
]


@pytest.mark.parametrize("fn", [r[1] for r in KINKS], ids=[r[0] for r in KINKS])
def test_subgradients_match_pytorch(torch_ref, fn):
    def grad(L):
        x = L.tensor(KINK_X, dtype=L.float64, requires_grad=True)
        y = fn(L, x)
        y.backward(L.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], dtype=L.float64))
        return flatten(y.tolist()), flatten(x.grad.tolist())

    assert grad(torch) == grad(torch_ref)


def test_maximum_tie_splits_gradient_half_and_half():
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = torch.tensor([1.0, 5.0, 0.0], requires_grad=True)
    torch.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 0.0, 1.0]
    assert b.grad.tolist() == [0.5, 1.0, 0.0]


def test_clamp_tensor_bounds_gradients_match_pytorch(torch_ref):
    xs, los, his = [-1.0, 0.0, 0.5, 1.0, 2.0, 0.7], [0.0, 0.0, 0.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0, 1.0, 0.5]

    def grads(L, use_min, use_max):
        x, lo, hi = (L.tensor(v, dtype=L.float64, requires_grad=True) for v in (xs, los, his))
        y = x.clamp(min=lo if use_min else None, max=hi if use_max else None)
        y.sum().backward()
        return [flatten(y.tolist())] + [None if t.grad is None else flatten(t.grad.tolist()) for t in (x, lo, hi)]

    for use_min, use_max in ((True, True), (True, False), (False, True)):
        assert grads(torch, use_min, use_max) == grads(torch_ref, use_min, use_max)


def test_where_backward_matches_pytorch_through_an_undefined_branch(torch_ref):
    def grad(L):
        x = L.tensor([1.0, -1.0, 4.0], requires_grad=True)
        L.where(x > 0, x.sqrt(), L.zeros(3)).sum().backward()
        return [repr(v) for v in x.grad.tolist()]

    assert grad(torch) == grad(torch_ref)


def test_clamp_tensor_bounds_at_ties_and_nan_match_pytorch(torch_ref):
    nan = float("nan")
    cases = [(1, 1, 1), (0, 1, 1), (2, 1, 1), (1, 2, 1), (2, 2, 1), (0.7, 1, 0.5), (nan, 0, 1), (0.3, nan, 1),
             (0.3, 0, nan), (1, nan, 1), (0, 0, nan), (-0.0, 0, 1), (1, 0, 1), (0.5, 0, 1)]

    def grads(L):
        x, lo, hi = (L.tensor([float(c[k]) for c in cases], requires_grad=True) for k in range(3))
        y = x.clamp(lo, hi)
        y.backward(L.ones(len(cases)))
        return [[repr(v) for v in t.tolist()] for t in (y, x.grad, lo.grad, hi.grad)]

    assert grads(torch) == grads(torch_ref)


# --- values that need exact agreement -------------------------------------------------------

def test_round_half_to_even_matches_pytorch(torch_ref):
    vals = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, 1234.5, -0.0]
    for dtype in ("float32", "float64"):
        ours = torch.tensor(vals, dtype=getattr(torch, dtype)).round()
        ref = torch_ref.tensor(vals, dtype=getattr(torch_ref, dtype)).round()
        assert ours.tolist() == ref.tolist()
        assert [math.copysign(1, v) for v in ours.tolist()] == [math.copysign(1, v) for v in ref.tolist()]


@pytest.mark.parametrize("decimals", [-2, -1, 0, 1, 2, 3])
def test_round_decimals_matches_pytorch(torch_ref, decimals):
    vals = [1.2345, 2.5, -0.125, 1234.5, 1250.0, -1350.0, 0.005, 7.77777]
    for dtype in ("float32", "float64"):
        ours = torch.tensor(vals, dtype=getattr(torch, dtype)).round(decimals=decimals)
        ref = torch_ref.tensor(vals, dtype=getattr(torch_ref, dtype)).round(decimals=decimals)
        assert ours.tolist() == ref.tolist()


def test_rounding_functions_match_pytorch(torch_ref):
    vals = [-2.7, -2.5, -0.2, -0.0, 0.0, 0.2, 2.5, 2.7, float("inf"), float("-inf")]
    for name in ("floor", "ceil", "round", "trunc", "fix"):
        ours = getattr(torch, name)(torch.tensor(vals)).tolist()
        ref = getattr(torch_ref, name)(torch_ref.tensor(vals)).tolist()
        assert ours == ref, name
    ints = torch.tensor([3, -4])
    for name in ("floor", "ceil", "round", "trunc"):
        out = getattr(ints, name)()
        assert out.dtype == torch.int64 and out.tolist() == [3, -4]
        assert out is not ints


DIV_CASES = [
    ([7, -7, 7, -7, 0, 9], [2, 2, -2, -2, 3, -3]),
    ([7.0, -7.0, 7.0, -7.0, 0.0, -0.0, 1.0, 5.5], [2.0, 2.0, -2.0, -2.0, 3.0, 3.0, 0.0, 0.7]),
]


@pytest.mark.parametrize("mode", ["trunc", "floor"])
@pytest.mark.parametrize("a, b", DIV_CASES, ids=["int", "float"])
def test_div_rounding_mode_matches_pytorch(torch_ref, a, b, mode):
    ours = torch.tensor(a).div(torch.tensor(b), rounding_mode=mode)
    ref = torch_ref.tensor(a).div(torch_ref.tensor(b), rounding_mode=mode)
    assert str(ours.dtype) == str(ref.dtype)
    assert ours.tolist() == ref.tolist()
    signs = lambda v: [math.copysign(1, x) for x in v]
    assert signs(ours.tolist()) == signs(ref.tolist())


def test_floor_division_operators_match_pytorch(torch_ref):
    for lib_a, lib_b in ((torch, torch_ref),):
        i, ri = lib_a.tensor([7, -7, 3]), lib_b.tensor([7, -7, 3])
        f, rf = lib_a.tensor([7.0, -7.0, 5.5]), lib_b.tensor([7.0, -7.0, 5.5])
        assert (i // 2).tolist() == (ri // 2).tolist()
        assert (7 // i).tolist() == (7 // ri).tolist()
        assert (f // 0.7).tolist() == (rf // 0.7).tolist()
        assert lib_a.floor_divide(i, -2).tolist() == lib_b.floor_divide(ri, -2).tolist()


def test_integer_true_division_is_float():
    out = torch.tensor([1, -2, 3]) / torch.tensor([2, 4, 0])
    assert out.dtype == torch.float32
    assert out.tolist() == [0.5, -0.5, float("inf")]
    assert torch.div(torch.tensor([3]), 2).tolist() == [1.5]


def test_nan_and_inf_handling_matches_pytorch(torch_ref):
    nan, inf = float("nan"), float("inf")
    vals = [nan, inf, -inf, 1.0, -0.0, 0.5]
    other = [1.0, nan, 0.0, nan, 0.0, 2.0]

    def outputs(L):
        x, y = L.tensor(vals), L.tensor(other)
        return [
            x.nan_to_num().tolist(),
            x.double().nan_to_num(nan=1.0, posinf=2.0).tolist(),
            L.nan_to_num(x, neginf=-5.0).tolist(),
            x.isnan().tolist(), x.isinf().tolist(), x.isfinite().tolist(),
            L.maximum(x, y).tolist(), L.minimum(x, y).tolist(),
            x.clamp(0.0, 0.5).tolist(), x.clamp(min=L.tensor(0.0), max=y).tolist(),
        ]

    as_str = lambda rows: [[repr(v) for v in row] for row in rows]
    assert as_str(outputs(torch)) == as_str(outputs(torch_ref))


def test_nan_to_num_gradient_matches_pytorch(torch_ref):
    def grad(L):
        x = L.tensor([float("nan"), float("inf"), 2.0, -float("inf")], requires_grad=True)
        x.nan_to_num().sum().backward()
        return x.grad.tolist()

    assert grad(torch) == grad(torch_ref)


def test_signed_zero_of_maximum_and_minimum_matches_pytorch(torch_ref):
    def outs(L):
        a, b = L.tensor([-0.0, 0.0]), L.tensor([0.0, -0.0])
        return [math.copysign(1, v) for v in L.maximum(a, b).tolist() + L.minimum(a, b).tolist()]

    assert outs(torch) == outs(torch_ref)


# --- dtypes ---------------------------------------------------------------------------------

DTYPE_CASES = [
    ("exp2_int", lambda L, i, f, b: i.exp2()),
    ("log1p_bool", lambda L, i, f, b: b.log1p()),
    ("sin_int", lambda L, i, f, b: L.sin(i)),
    ("square_int", lambda L, i, f, b: i.square()),
    ("square_bool", lambda L, i, f, b: b.square()),
    ("erf_int", lambda L, i, f, b: i.erf()),
    ("clamp_int_int", lambda L, i, f, b: i.clamp(0, 2)),
    ("clamp_int_float", lambda L, i, f, b: i.clamp(0.5, 2.5)),
    ("clamp_bool", lambda L, i, f, b: b.clamp(0, 1)),
    ("clamp_f32_f64_tensor", lambda L, i, f, b: f.clamp(L.tensor([0.0], dtype=L.float64))),
    ("clamp_f32_0d_f64", lambda L, i, f, b: f.clamp(min=L.tensor(0.0, dtype=L.float64))),
    ("clamp_int_0d_and_number", lambda L, i, f, b: i.clamp(min=L.tensor(1.5), max=3)),
    ("maximum_int_float", lambda L, i, f, b: L.maximum(i, f)),
    ("minimum_bool", lambda L, i, f, b: L.minimum(b, b)),
    ("where_scalars_float", lambda L, i, f, b: L.where(b, 1.0, 0.0)),
    ("where_scalars_int", lambda L, i, f, b: L.where(b, 1, 0)),
    ("where_int_float", lambda L, i, f, b: L.where(b, i, 0.5)),
    ("where_0d_double", lambda L, i, f, b: L.where(b, f, L.tensor(1.0, dtype=L.float64))),
    ("div_floor_int_float", lambda L, i, f, b: i.div(2.0, rounding_mode="floor")),
    ("div_trunc_int", lambda L, i, f, b: i.div(2, rounding_mode="trunc")),
    ("nan_to_num_int", lambda L, i, f, b: i.nan_to_num()),
    ("isnan_int", lambda L, i, f, b: i.isnan()),
    ("isfinite_bool", lambda L, i, f, b: b.isfinite()),
    ("logical_xor_mixed", lambda L, i, f, b: L.logical_xor(f, i)),
    ("logical_or", lambda L, i, f, b: b.logical_or(i)),
    ("logical_not_int", lambda L, i, f, b: L.logical_not(i)),
    ("logical_and", lambda L, i, f, b: L.logical_and(b, f)),
    ("and_bool", lambda L, i, f, b: b & (f > 0)),
    ("or_int", lambda L, i, f, b: i | 4),
    ("xor_bool_int", lambda L, i, f, b: b ^ i),
    ("invert_bool", lambda L, i, f, b: ~b),
    ("invert_int", lambda L, i, f, b: ~i),
    ("eq_scalar", lambda L, i, f, b: L.eq(f, 1.5)),
    ("ne_scalar", lambda L, i, f, b: f.ne(1.5)),
    ("lt_int_float", lambda L, i, f, b: L.lt(i, 1.5)),
    ("le_tensor", lambda L, i, f, b: L.le(i, f)),
    ("gt_method_scalar", lambda L, i, f, b: i.gt(1)),
    ("ge_bcast", lambda L, i, f, b: L.ge(f, f[0])),
    ("relu_int", lambda L, i, f, b: nnf(L).relu(i)),
]


@pytest.mark.parametrize("fn", [c[1] for c in DTYPE_CASES], ids=[c[0] for c in DTYPE_CASES])
def test_dtypes_and_values_match_pytorch(torch_ref, fn):
    def out(L):
        r = fn(L, L.tensor([1, -2, 3]), L.tensor([1.5, -2.5, 0.5]), L.tensor([True, False, True]))
        return str(r.dtype).replace("ferrograd", "torch"), r.tolist()

    ours, ref = out(torch), out(torch_ref)
    assert ours[0] == ref[0]
    np.testing.assert_allclose(np.asarray(ours[1], dtype=float), np.asarray(ref[1], dtype=float), rtol=1e-6)


# --- in place -------------------------------------------------------------------------------

INPLACE = [
    ("clamp_", lambda L, x: x.clamp_(-0.5, 0.5)),
    ("clip_", lambda L, x: x.clip_(min=0.0)),
    ("relu_", lambda L, x: x.relu_()),
    ("torch_relu_", lambda L, x: L.relu_(x)),
    ("relu_inplace", lambda L, x: nnf(L).relu(x, inplace=True)),
    ("leaky_relu_inplace", lambda L, x: nnf(L).leaky_relu(x, 0.1, inplace=True)),
    ("elu_inplace", lambda L, x: nnf(L).elu(x, inplace=True)),
    ("silu_inplace", lambda L, x: nnf(L).silu(x, inplace=True)),
    ("exp_", lambda L, x: x.exp_()),
    ("sqrt_", lambda L, x: x.square_().sqrt_()),
    ("tanh_", lambda L, x: x.tanh_()),
    ("sigmoid_", lambda L, x: x.sigmoid_()),
    ("reciprocal_", lambda L, x: x.reciprocal_()),
    ("neg_", lambda L, x: x.neg_()),
    ("log_", lambda L, x: x.abs_().log_()),
    ("sin_cos_tan_", lambda L, x: x.sin_().cos_().tan_()),
    ("exp2_", lambda L, x: x.exp2_()),
    ("expm1_", lambda L, x: x.expm1_()),
    ("log2_", lambda L, x: x.abs_().log2_()),
    ("log10_", lambda L, x: x.abs_().log10_()),
    ("log1p_", lambda L, x: x.abs_().log1p_()),
    ("rsqrt_", lambda L, x: x.abs_().rsqrt_()),
    ("sign_floor_ceil_", lambda L, x: x.sign_().floor_().ceil_()),
    ("round_trunc_", lambda L, x: x.round_(decimals=1).trunc_()),
    ("pow_number", lambda L, x: x.pow_(3)),
    ("pow_tensor", lambda L, x: x.abs_().pow_(L.tensor([1.0, 2.0, 0.5, 3.0]))),
]


@pytest.mark.parametrize("fn", [c[1] for c in INPLACE], ids=[c[0] for c in INPLACE])
def test_in_place_forms_match_pytorch(torch_ref, fn):
    def go(L):
        x = L.tensor([-1.0, -0.3, 0.2, 0.8], requires_grad=True)
        h = x * 2
        r = fn(L, h)
        assert r is h
        name = type(h.grad_fn).__name__
        (h * L.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
        return h.tolist(), x.grad.tolist(), name

    ours, ref = go(torch), go(torch_ref)
    assert ours[2] == ref[2]
    np.testing.assert_allclose(ours[0], ref[0], rtol=1e-6)
    np.testing.assert_allclose(ours[1], ref[1], rtol=1e-6)


@pytest.mark.parametrize("fn", [c[1] for c in INPLACE], ids=[c[0] for c in INPLACE])
def test_in_place_forms_gradient(fn):
    x = torch.tensor([-1.1, -0.3, 0.2, 0.8], dtype=torch.float64)
    check_grad(lambda t: fn(torch, t * 2), [x])


def test_in_place_on_leaf_requiring_grad_raises():
    x = torch.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x.clamp_(0.0, 0.5)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        F.relu(x, inplace=True)


def test_in_place_under_no_grad_changes_values():
    x = torch.tensor([1.0, -1.0, 3.0], requires_grad=True)
    with torch.no_grad():
        x.clamp_(0.0, 2.0)
    assert x.tolist() == [1.0, 0.0, 2.0] and x.is_leaf and x.requires_grad


# --- grad_fn names ---------------------------------------------------------------------------

NAMED = [
    ("square", lambda L, x, y: x.square()),
    ("clamp_scalar", lambda L, x, y: x.clamp(min=0.0)),
    ("clamp_tensor", lambda L, x, y: x.clamp(y, None)),
    ("round_decimals_0", lambda L, x, y: x.round(decimals=0)),
    ("div_floor_scalar", lambda L, x, y: x.div(2.0, rounding_mode="floor")),
    ("where_scalar", lambda L, x, y: L.where(x > 0, 1.0, x)),
    ("lerp_tensor", lambda L, x, y: L.lerp(x, y, y)),
    ("floor_divide", lambda L, x, y: x // 2),
    ("gelu_tanh", lambda L, x, y: nnf(L).gelu(x, approximate="tanh")),
]


@pytest.mark.parametrize("fn", [c[1] for c in NAMED], ids=[c[0] for c in NAMED])
def test_grad_fn_names_match_pytorch(torch_ref, fn):
    def name(L):
        x = L.tensor([0.5, -1.0], requires_grad=True)
        y = L.tensor([0.0, 0.2], requires_grad=True)
        return type(fn(L, x, y).grad_fn).__name__

    assert name(torch) == name(torch_ref)


def test_floor_divide_backward_raises_like_pytorch(torch_ref):
    for L in (torch, torch_ref):
        x = L.tensor([3.0, -3.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not implemented"):
            (x // 2).sum().backward()


# --- errors -----------------------------------------------------------------------------------

ERRORS = [
    ("clamp_no_bounds", lambda L: L.tensor([1.0]).clamp(), RuntimeError,
     "At least one of 'min' or 'max' must not be None"),
    ("clamp_none_none", lambda L: L.clamp(L.tensor([1.0]), None, None), RuntimeError,
     "At least one of 'min' or 'max' must not be None"),
    ("where_float_condition", lambda L: L.where(L.tensor([1.0]), L.tensor([1.0]), L.tensor([2.0])),
     RuntimeError, "where expected condition to be a boolean tensor, but got a tensor with dtype Float"),
    ("where_shape", lambda L: L.where(L.tensor([True, False]), L.ones(3), 0.0), RuntimeError,
     "must match the size of tensor"),
    ("maximum_number", lambda L: L.tensor([1.0]).maximum(1.0), TypeError, "must be Tensor, not float"),
    ("maximum_shape", lambda L: L.maximum(L.ones(2), L.ones(3)), RuntimeError, "must match the size of tensor"),
    ("logical_and_number", lambda L: L.tensor([True]).logical_and(True), TypeError, "must be Tensor, not bool"),
    ("lerp_end_dtype", lambda L: L.tensor([1.0]).lerp(L.tensor([1.0], dtype=L.float64), 0.5), RuntimeError,
     "expected dtype float for `end` but got dtype double"),
    ("lerp_weight_dtype", lambda L: L.tensor([1.0]).lerp(L.tensor([1.0]), L.tensor([0.5], dtype=L.float64)),
     RuntimeError, "expected dtype float for `weight` but got dtype double"),
    ("div_bad_mode", lambda L: L.tensor([1.0]).div(2.0, rounding_mode="round"), RuntimeError,
     "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'round'"),
    ("div_int_by_zero_floor", lambda L: L.tensor([7, -7]).div(0, rounding_mode="floor"), RuntimeError,
     "ZeroDivisionError"),
    ("div_int_by_zero_trunc", lambda L: L.tensor([7]).div(L.tensor([0]), rounding_mode="trunc"), RuntimeError,
     "ZeroDivisionError"),
    ("floordiv_int_by_zero", lambda L: L.tensor([7]) // 0, RuntimeError, "ZeroDivisionError"),
    ("gelu_bad_approximate", lambda L: nnf(L).gelu(L.tensor([1.0]), approximate="erf"), RuntimeError,
     "approximate argument must be either none or tanh."),
    ("leaky_relu_slope_type", lambda L: nnf(L).leaky_relu(L.tensor([1.0]), "a"), TypeError, "negative_slope"),
    ("clamp_mixed_bounds", lambda L: L.tensor([1.0]).clamp(min=L.tensor([0.0]), max=1.0), TypeError,
     "clamp() received an invalid combination of arguments"),
    ("clamp_bound_type", lambda L: L.tensor([1.0]).clamp("a"), TypeError, "clamp()"),
]


@pytest.mark.parametrize("fn, exc, phrase", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors(fn, exc, phrase):
    with pytest.raises(exc, match=re.escape(phrase)):
        fn(torch)


@pytest.mark.parametrize("fn, exc, phrase", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_match_pytorch(torch_ref, fn, exc, phrase):
    with pytest.raises(exc, match=re.escape(phrase)):
        fn(torch_ref)


DTYPE_ERRORS = [
    ("gelu_int", lambda L: nnf(L).gelu(L.tensor([1, 2])), '"GeluKernelImpl" not implemented for \'Long\''),
    ("silu_int", lambda L: nnf(L).silu(L.tensor([1, 2])), '"silu_cpu" not implemented for \'Long\''),
    ("elu_int", lambda L: nnf(L).elu(L.tensor([1, 2])), '"elu_cpu" not implemented for \'Long\''),
    ("leaky_relu_int", lambda L: nnf(L).leaky_relu(L.tensor([1, 2])), '"leaky_relu_cpu" not implemented for \'Long\''),
    ("softplus_int", lambda L: nnf(L).softplus(L.tensor([1, 2])), '"softplus_cpu" not implemented for \'Long\''),
    ("floor_bool", lambda L: L.tensor([True]).floor(), '"floor_vml_cpu" not implemented for \'Bool\''),
    ("round_decimals_int", lambda L: L.tensor([1]).round(decimals=1), '"round_cpu" not implemented for \'Long\''),
    ("lerp_int", lambda L: L.tensor([1]).lerp(L.tensor([2]), 0.5), '"lerp_kernel_scalar" not implemented for \'Long\''),
    ("div_floor_bool", lambda L: L.tensor([True]).div(L.tensor([True]), rounding_mode="floor"),
     '"div_floor_cpu" not implemented for \'Bool\''),
]


@pytest.mark.parametrize("fn, phrase", [e[1:] for e in DTYPE_ERRORS], ids=[e[0] for e in DTYPE_ERRORS])
def test_dtype_errors_carry_pytorch_phrase(torch_ref, fn, phrase):
    # PyTorch raises NotImplementedError here; ferrograd's class is also a
    # DTypeError so `except ferrograd.DTypeError` stays precise.
    with pytest.raises(NotImplementedError, match=re.escape(phrase)) as theirs:
        fn(torch_ref)
    with pytest.raises(NotImplementedError, match=re.escape(phrase)) as ours:
        fn(torch)
    assert isinstance(ours.value, torch.DTypeError)
    assert str(ours.value) == str(theirs.value)
