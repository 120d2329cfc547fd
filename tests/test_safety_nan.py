"""NaN, ±inf and signed-zero propagation against PyTorch: one table row per op,
each run on inputs holding NaN, +inf, -inf, 0, -0.0 and ordinary values, in
float32 and float64, forward and backward.  Values, NaN positions and the sign
of every infinity must match the oracle."""

import math

import numpy as np
import pytest

import ferrograd as torch

NAN, INF = math.nan, math.inf
SPECIAL = [NAN, INF, -INF, 0.0, -0.0, 0.5, -0.5, 1.5, -2.0, 3.0]
TOLERANCE = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-11, atol=1e-12)}


class Row:
    """An op `fn(L, *tensors)`, written once for both libraries, and its inputs:
    lists of values, each differentiated.  `signed_zeros` checks the sign of
    zero results too; `oracle_float64` computes the oracle in float64 (then
    rounds to the dtype under test) where PyTorch's float32 kernels differ from
    its own float64 ones."""

    def __init__(self, name, fn, *inputs, signed_zeros=True, oracle_float64=False):
        self.name, self.fn, self.inputs = name, fn, inputs
        self.signed_zeros, self.oracle_float64 = signed_zeros, oracle_float64


def F(L):
    return L.nn.functional


def rows_per_value(name, fn, values, **kw):
    """One row per input vector, so a mismatch names the vector."""
    return [Row(f"{name}[{i}]", fn, v, **kw) for i, v in enumerate(values)]


# Vectors for reductions: zeros in several places, NaN alone or with a zero,
# infinities with zeros and with ordinary values.
REDUCE_VECTORS = [
    [1.5, -2.0, 3.0, 0.5],
    [1.5, 0.0, 3.0, 0.5],
    [0.0, -2.0, 0.0, 0.5],
    [0.0, 0.0, 0.0, 0.0],
    [0.0, -0.0, 0.0, 0.0],
    [NAN, -2.0, 3.0, 0.5],
    [NAN, 0.0, 3.0, 0.5],
    [NAN, 0.0, 0.0, 0.5],
    [INF, -2.0, 3.0, 0.5],
    [INF, 0.0, 3.0, 0.5],
    [-INF, -2.0, INF, 0.5],
    [INF, NAN, 0.0, -INF],
]
MATRIX = [[1.5, NAN, -2.0], [0.0, INF, -INF], [0.5, -0.0, 3.0], [0.0, 0.0, -1.0], [NAN, NAN, 1.0], [INF, INF, -INF]]

ROWS = [
    Row("relu", lambda L, a: L.relu(a), SPECIAL),
    Row("abs", lambda L, a: L.abs(a), SPECIAL),
    Row("sign", lambda L, a: L.sign(a), SPECIAL),
    Row("sqrt", lambda L, a: L.sqrt(a), SPECIAL),
    Row("rsqrt", lambda L, a: L.rsqrt(a), SPECIAL),
    Row("log", lambda L, a: L.log(a), SPECIAL),
    Row("sigmoid", lambda L, a: L.sigmoid(a), SPECIAL),
    Row("tanh", lambda L, a: L.tanh(a), SPECIAL),
    Row("softplus", lambda L, a: F(L).softplus(a), SPECIAL),
    # PyTorch's vectorized float32 erf gives gelu(+inf) = NaN; float64 gives inf.
    Row("gelu", lambda L, a: F(L).gelu(a), SPECIAL, oracle_float64=True),
    Row("gelu_tanh", lambda L, a: F(L).gelu(a, approximate="tanh"), SPECIAL),
    *[Row(f"pow_{p}", lambda L, a, p=p: a ** p, SPECIAL) for p in (0.5, 1.5, -0.5, -1, -2, 0, 2, 3, 1)],
    Row("pow_tensor", lambda L, a, b: a ** b, [0.0, 0.0, -2.0, -2.0, 0.0, NAN, 1.0, INF, -INF, 4.0],
        [0.5, -1.0, 0.5, 2.0, 0.0, 0.0, NAN, -1.0, 3.0, 0.5]),
    Row("div_by_zero", lambda L, a, b: a / b, SPECIAL, [0.0, -0.0, 0.0, -0.0, 0.0, 0.0, -0.0, 0.0, 2.0, INF]),
    Row("mul_inf_zero", lambda L, a, b: a * b, SPECIAL, [0.0, 0.0, -0.0, INF, -INF, NAN, 0.0, 1.0, -1.0, 2.0]),
    Row("clamp_min_nan", lambda L, a: L.clamp(a, min=NAN), SPECIAL),
    Row("clamp_max_nan", lambda L, a: L.clamp(a, max=NAN), SPECIAL),
    Row("clamp_min_gt_max", lambda L, a: L.clamp(a, min=1.0, max=-1.0), SPECIAL),
    Row("clamp_scalar", lambda L, a: L.clamp(a, min=-1.0, max=1.0), SPECIAL),
    Row("clamp_tensor_bounds", lambda L, a, lo, hi: L.clamp(a, min=lo, max=hi), SPECIAL,
        [NAN, 0.0, NAN, -1.0, 0.0, NAN, 0.0, 2.0, -3.0, 1.0],
        [1.0, NAN, 1.0, NAN, NAN, 1.0, -1.0, 1.0, -2.5, 0.0]),
    # max(0.0, -0.0) has a different sign in PyTorch's vectorized and scalar loops.
    Row("maximum", lambda L, a, b: L.maximum(a, b), SPECIAL, [1.0, NAN, 0.0, -0.0, 0.0, NAN, 0.0, 1.5, -2.0, INF],
        signed_zeros=False),
    Row("minimum", lambda L, a, b: L.minimum(a, b), SPECIAL, [1.0, NAN, 0.0, -0.0, 0.0, NAN, 0.0, 1.5, -2.0, INF],
        signed_zeros=False),
    Row("mse_loss", lambda L, a, b: F(L).mse_loss(a, b), SPECIAL, [1.0, 2.0, INF, 0.0, NAN, 0.5, INF, -INF, -2.0, 0.0]),
    Row("mse_loss_none", lambda L, a, b: F(L).mse_loss(a, b, reduction="none"), SPECIAL,
        [1.0, INF, -INF, 0.0, NAN, 0.5, INF, -INF, -2.0, 0.0]),
    Row("l1_loss", lambda L, a, b: F(L).l1_loss(a, b), SPECIAL, [1.0, 2.0, INF, 0.0, NAN, 0.5, INF, -INF, -2.0, 0.0]),
    Row("l1_loss_none", lambda L, a, b: F(L).l1_loss(a, b, reduction="none"), SPECIAL,
        [1.0, INF, -INF, 0.0, NAN, 0.5, INF, -INF, -2.0, 0.0]),
    Row("softmax", lambda L, a: L.softmax(a, dim=1), MATRIX),
    Row("log_softmax", lambda L, a: L.log_softmax(a, dim=1), MATRIX),
    Row("max_dim", lambda L, a: L.max(a, dim=1).values, MATRIX),
    Row("min_dim", lambda L, a: L.min(a, dim=1).values, MATRIX),
    Row("max_dim_indices", lambda L, a: L.max(a, dim=1).indices, MATRIX),
    Row("min_dim_indices", lambda L, a: L.min(a, dim=1).indices, MATRIX),
    Row("amax", lambda L, a: L.amax(a, dim=1), MATRIX),
    Row("amin", lambda L, a: L.amin(a, dim=1), MATRIX),
    Row("argmax", lambda L, a: L.argmax(a, dim=1), MATRIX),
    Row("argmin", lambda L, a: L.argmin(a, dim=1), MATRIX),
    Row("prod_dim", lambda L, a: L.prod(a, dim=1), REDUCE_VECTORS),
    Row("cumprod", lambda L, a: L.cumprod(a, dim=1), REDUCE_VECTORS),
    *rows_per_value("max_all", lambda L, a: L.max(a), REDUCE_VECTORS),
    *rows_per_value("min_all", lambda L, a: L.min(a), REDUCE_VECTORS),
    *rows_per_value("argmax_all", lambda L, a: L.argmax(a), REDUCE_VECTORS),
    *rows_per_value("prod_all", lambda L, a: L.prod(a), REDUCE_VECTORS),
    *rows_per_value("cumprod_1d", lambda L, a: L.cumprod(a, dim=0), REDUCE_VECTORS),
    *[row for p in (1, 2, 3, INF, -INF, 0)
      for row in rows_per_value(f"norm_p{p}", lambda L, a, p=p: L.norm(a, p=p), REDUCE_VECTORS)],
    *[Row(f"norm_dim_p{p}", lambda L, a, p=p: a.norm(p=p, dim=1), REDUCE_VECTORS) for p in (1, 2, INF, -INF, 0)],
]


def run(L, row, dtype_name, create_graph=False):
    """(outputs, grads) as numpy arrays; grads hold None for an input the
    output does not depend on, and are empty when the output has no gradient.
    `create_graph` takes the differentiable backward formulas."""
    dtype = getattr(L, dtype_name)
    leaves = [L.tensor(v, dtype=dtype, requires_grad=True) for v in row.inputs]
    out = row.fn(L, *leaves)
    forward = np.array(out.tolist(), dtype=np.float64)
    if not out.requires_grad:
        return forward, []
    upstream = L.ones_like(out)
    grads = L.autograd.grad([out], leaves, grad_outputs=[upstream], allow_unused=True, create_graph=create_graph)
    return forward, [None if g is None else np.array(g.tolist(), dtype=np.float64) for g in grads]


def assert_same(got, want, what, tolerance, signed_zeros=False):
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{what}: NaN positions differ")
    np.testing.assert_array_equal(np.isposinf(got), np.isposinf(want), err_msg=f"{what}: +inf positions differ")
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(want), err_msg=f"{what}: -inf positions differ")
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], err_msg=f"{what}: finite values differ", **tolerance)
    if signed_zeros:
        zeros = want == 0
        np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(want[zeros]), err_msg=f"{what}: signs of zeros differ")


@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_special_values_match_pytorch(row, dtype_name, torch_ref):
    check_row(row, dtype_name, torch_ref, create_graph=False)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_special_values_match_pytorch_with_create_graph(row, torch_ref):
    check_row(row, "float64", torch_ref, create_graph=True)


def check_row(row, dtype_name, torch_ref, create_graph):
    got_out, got_grads = run(torch, row, dtype_name, create_graph)
    want_out, want_grads = run(torch_ref, row, "float64" if row.oracle_float64 else dtype_name, create_graph)
    if row.oracle_float64:
        rounded = lambda a: None if a is None else a.astype(dtype_name).astype(np.float64)  # noqa: E731
        want_out, want_grads = rounded(want_out), [rounded(w) for w in want_grads]
    tolerance = TOLERANCE[dtype_name]
    assert_same(got_out, want_out, "forward", tolerance, signed_zeros=row.signed_zeros)
    assert len(got_grads) == len(want_grads), "one library records a gradient, the other does not"
    for i, (g, w) in enumerate(zip(got_grads, want_grads)):
        if g is None or w is None:
            assert g is None and w is None or not np.any(g if w is None else w), f"grad of input {i}: presence differs"
            continue
        assert_same(g, w, f"grad of input {i}", tolerance)
