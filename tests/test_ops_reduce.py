"""Reductions beyond sum and mean: prod, max/min, amax/amin, argmax/argmin,
var/std, logsumexp, norm, cumsum/cumprod, all/any.

One row per differentiable case: forward values against numpy (float64),
gradients against finite differences (float64), and both against PyTorch
when it is installed (float32).  Rows are ``(name, fn, inputs, domain, ref)``:
``fn(lib, *tensors)`` is written once for ferrograd and PyTorch, ``ref(*arrays)``
is the numpy reference.  An input is a shape, ``t(shape)`` for a non-contiguous
input (a leaf of the transposed shape passed through ``.t()``), or ``v(values)``
for fixed values (ties, zeros).  Domains: "any" in [-2, 2], "pos" in [0.5, 2],
"nz" in +-[0.5, 2].

Then: forward-only rows for the integer and bool results, PyTorch's choices at
ties, zeros, NaN and infinities, double backward, grad_fn names, the named
tuple results, dtype handling, inputs large enough for the parallel path, and
bad arguments raising PyTorch's exception with its phrase.
"""

import math
import zlib

import numpy as np
import pytest

import ferrograd as torch
from gradcheck import check_grad, flatten, nest
from op_table import apply, input_data, run_float32, t, v


INF = float("inf")
NAN = float("nan")
def np_var(a, axis=None, ddof=1, keepdims=False):
    return np.var(a, axis=axis, ddof=ddof, keepdims=keepdims)


def np_logsumexp(a, axis, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def np_norm(a, p=2, axis=None, keepdims=False):
    a = np.abs(a)
    if p == INF:
        return np.max(a, axis=axis, keepdims=keepdims)
    if p == -INF:
        return np.min(a, axis=axis, keepdims=keepdims)
    if p == 0:
        return np.sum(a != 0, axis=axis, keepdims=keepdims).astype(np.float64)
    return np.sum(a ** p, axis=axis, keepdims=keepdims) ** (1.0 / p)


ROWS = [
    # prod
    ("prod", lambda L, a: a.prod(), [(2, 3)], "any", lambda a: np.prod(a)),
    ("prod_dim1", lambda L, a: a.prod(1), [(2, 3)], "any", lambda a: np.prod(a, axis=1)),
    ("prod_neg_dim_keepdim", lambda L, a: a.prod(-2, keepdim=True), [(3, 2, 2)], "any",
     lambda a: np.prod(a, axis=-2, keepdims=True)),
    ("prod_noncontig", lambda L, a: a.prod(0), [t(3, 4)], "any", lambda a: np.prod(a, axis=0)),
    ("prod_0d", lambda L, a: a.prod(), [()], "any", lambda a: np.prod(a)),
    ("torch_prod_dim", lambda L, a: L.prod(a, 1), [(2, 3)], "nz", lambda a: np.prod(a, axis=1)),
    ("prod_one_zero", lambda L, a: a.prod(), [v([2.0, 0.0, 3.0, -1.5])], None, lambda a: np.prod(a)),
    ("prod_two_zeros", lambda L, a: a.prod(), [v([[2.0, 0.0], [0.0, 3.0]])], None, lambda a: np.prod(a)),
    ("prod_dim_zeros", lambda L, a: a.prod(1), [v([[2.0, 0.0, 3.0], [0.0, 0.0, 1.5], [1.0, 2.0, -1.0]])], None,
     lambda a: np.prod(a, axis=1)),
    ("prod_bcast", lambda L, a, b: a.prod(0) * b, [(3, 4), (4,)], "any", lambda a, b: np.prod(a, axis=0) * b),
    # max / min over everything
    ("max", lambda L, a: a.max(), [(3, 4)], "any", lambda a: np.max(a)),
    ("min", lambda L, a: a.min(), [(3, 4)], "any", lambda a: np.min(a)),
    ("max_noncontig", lambda L, a: a.max(), [t(3, 4)], "any", lambda a: np.max(a)),
    ("torch_min", lambda L, a: L.min(a), [(2, 3)], "any", lambda a: np.min(a)),
    ("max_two_way_tie", lambda L, a: a.max(), [v([[1.0, 3.0], [3.0, -2.0]])], None, lambda a: np.max(a)),
    # max / min along a dim (values)
    ("max_dim", lambda L, a: a.max(1).values, [(3, 4)], "any", lambda a: np.max(a, axis=1)),
    ("max_dim_neg_keepdim", lambda L, a: a.max(dim=-2, keepdim=True).values, [(3, 4)], "any",
     lambda a: np.max(a, axis=-2, keepdims=True)),
    ("min_dim_unpacked", lambda L, a: a.min(0)[0], [(3, 4)], "any", lambda a: np.min(a, axis=0)),
    ("max_dim_noncontig", lambda L, a: a.max(0).values, [t(3, 4)], "any", lambda a: np.max(a, axis=0)),
    ("max_dim_3d", lambda L, a: a.max(1).values, [(2, 3, 4)], "any", lambda a: np.max(a, axis=1)),
    ("torch_max_dim", lambda L, a: L.max(a, 1).values, [(2, 3)], "any", lambda a: np.max(a, axis=1)),
    ("torch_min_dim_keepdim", lambda L, a: L.min(a, dim=0, keepdim=True)[0], [(2, 3)], "any",
     lambda a: np.min(a, axis=0, keepdims=True)),
    ("max_dim_0d", lambda L, a: a.max(0).values, [()], "any", lambda a: a),
    # amax / amin
    ("amax", lambda L, a: a.amax(), [(3, 4)], "any", lambda a: np.max(a)),
    ("amax_dim", lambda L, a: a.amax(1), [(3, 4)], "any", lambda a: np.max(a, axis=1)),
    ("amax_tuple_keepdim", lambda L, a: a.amax((0, 2), keepdim=True), [(2, 3, 4)], "any",
     lambda a: np.max(a, axis=(0, 2), keepdims=True)),
    ("amin_neg_dim", lambda L, a: a.amin(-1), [(3, 4)], "any", lambda a: np.min(a, axis=-1)),
    ("amin_noncontig", lambda L, a: a.amin(1), [t(3, 4)], "any", lambda a: np.min(a, axis=1)),
    ("torch_amax_list", lambda L, a: L.amax(a, [0, 1]), [(2, 3)], "any", lambda a: np.max(a)),
    ("amax_two_way_ties", lambda L, a: a.amax(1), [v([[1.0, 3.0, 3.0], [2.0, 2.0, 0.5]])], None,
     lambda a: np.max(a, axis=1)),
    ("amin_two_way_ties", lambda L, a: a.amin(0), [v([[1.0, -3.0], [1.0, -3.0], [2.0, 5.0]])], None,
     lambda a: np.min(a, axis=0)),
    # var / std
    ("var", lambda L, a: a.var(), [(3, 4)], "any", lambda a: np_var(a)),
    ("var_dim", lambda L, a: a.var(1), [(3, 4)], "any", lambda a: np_var(a, 1)),
    ("var_unbiased_false", lambda L, a: a.var(1, unbiased=False), [(3, 4)], "any", lambda a: np_var(a, 1, 0)),
    ("var_positional_unbiased_keepdim", lambda L, a: a.var(0, False, True), [(3, 4)], "any",
     lambda a: np_var(a, 0, 0, True)),
    ("var_lone_bool_is_unbiased", lambda L, a: a.var(False), [(3, 4)], "any", lambda a: np_var(a, None, 0)),
    ("var_tuple_correction_keepdim", lambda L, a: a.var(dim=(0, 2), correction=0, keepdim=True), [(2, 3, 4)],
     "any", lambda a: np_var(a, (0, 2), 0, True)),
    ("var_noncontig", lambda L, a: a.var(0), [t(3, 4)], "any", lambda a: np_var(a, 0)),
    ("torch_var", lambda L, a: L.var(a, 1, keepdim=True), [(3, 4)], "any", lambda a: np_var(a, 1, 1, True)),
    ("std", lambda L, a: a.std(), [(3, 4)], "any", lambda a: np.sqrt(np_var(a))),
    ("std_neg_dim", lambda L, a: a.std(-1), [(3, 4)], "any", lambda a: np.sqrt(np_var(a, -1))),
    ("std_correction_2", lambda L, a: a.std(0, correction=2), [(5, 3)], "any", lambda a: np.sqrt(np_var(a, 0, 2))),
    ("std_noncontig_keepdim", lambda L, a: a.std(1, keepdim=True), [t(3, 4)], "any",
     lambda a: np.sqrt(np_var(a, 1, 1, True))),
    ("torch_std_unbiased_false", lambda L, a: L.std(a, unbiased=False), [(2, 3)], "any",
     lambda a: np.sqrt(np_var(a, None, 0))),
    # logsumexp
    ("logsumexp", lambda L, a: a.logsumexp(1), [(3, 4)], "any", lambda a: np_logsumexp(a, 1)),
    ("logsumexp_tuple_keepdim", lambda L, a: a.logsumexp((0, 2), keepdim=True), [(2, 3, 4)], "any",
     lambda a: np_logsumexp(a, (0, 2), True)),
    ("logsumexp_large_values", lambda L, a: (a * 400).logsumexp(0), [(3, 4)], "any",
     lambda a: np_logsumexp(a * 400, 0)),
    ("logsumexp_noncontig", lambda L, a: a.logsumexp(-1), [t(3, 4)], "any", lambda a: np_logsumexp(a, -1)),
    ("torch_logsumexp", lambda L, a: L.logsumexp(a, 0), [(3, 4)], "any", lambda a: np_logsumexp(a, 0)),
    ("logsumexp_0d", lambda L, a: a.logsumexp(0), [()], "any", lambda a: a),
    # norm
    ("norm", lambda L, a: a.norm(), [(3, 4)], "any", lambda a: np_norm(a)),
    ("norm_fro_dim", lambda L, a: a.norm("fro", dim=1), [(3, 4)], "any", lambda a: np_norm(a, 2, 1)),
    ("norm_p2_dim_keepdim", lambda L, a: a.norm(2, dim=0, keepdim=True), [(3, 4)], "any",
     lambda a: np_norm(a, 2, 0, True)),
    ("norm_p1", lambda L, a: a.norm(1), [(3, 4)], "nz", lambda a: np_norm(a, 1)),
    ("norm_inf_dim", lambda L, a: a.norm(INF, dim=1), [(3, 4)], "nz", lambda a: np_norm(a, INF, 1)),
    ("norm_neg_inf", lambda L, a: a.norm(-INF), [(3, 4)], "nz", lambda a: np_norm(a, -INF)),
    ("norm_p3_tuple", lambda L, a: a.norm(3, dim=(0, 2)), [(2, 3, 2)], "any", lambda a: np_norm(a, 3, (0, 2))),
    ("norm_p1_5", lambda L, a: a.norm(1.5, dim=-1), [(3, 4)], "nz", lambda a: np_norm(a, 1.5, -1)),
    ("norm_p_half", lambda L, a: a.norm(0.5), [(2, 3)], "nz", lambda a: np_norm(a, 0.5)),
    ("norm_noncontig", lambda L, a: a.norm(dim=0), [t(3, 4)], "any", lambda a: np_norm(a, 2, 0)),
    ("torch_norm", lambda L, a: L.norm(a, 2, 1), [(3, 4)], "any", lambda a: np_norm(a, 2, 1)),
    ("torch_norm_fro_tuple", lambda L, a: L.norm(a, p="fro", dim=(0, 1)), [(3, 4)], "any", lambda a: np_norm(a)),
    ("norm_inf_two_way_tie", lambda L, a: a.norm(INF), [v([[1.0, -3.0], [3.0, 0.5]])], None,
     lambda a: np_norm(a, INF)),
    # cumsum / cumprod
    ("cumsum", lambda L, a: a.cumsum(1), [(3, 4)], "any", lambda a: np.cumsum(a, axis=1)),
    ("cumsum_neg_dim", lambda L, a: a.cumsum(-2), [(2, 3, 4)], "any", lambda a: np.cumsum(a, axis=-2)),
    ("cumsum_noncontig", lambda L, a: a.cumsum(0), [t(3, 4)], "any", lambda a: np.cumsum(a, axis=0)),
    ("torch_cumsum", lambda L, a: L.cumsum(a, dim=1), [(2, 3)], "any", lambda a: np.cumsum(a, axis=1)),
    ("cumsum_0d", lambda L, a: a.cumsum(0), [()], "any", lambda a: a),
    ("cumprod", lambda L, a: a.cumprod(1), [(3, 4)], "any", lambda a: np.cumprod(a, axis=1)),
    ("cumprod_noncontig", lambda L, a: a.cumprod(1), [t(3, 4)], "nz", lambda a: np.cumprod(a, axis=1)),
    ("torch_cumprod", lambda L, a: L.cumprod(a, 0), [(4, 2)], "any", lambda a: np.cumprod(a, axis=0)),
    ("cumprod_zeros", lambda L, a: a.cumprod(0), [v([2.0, 0.0, 3.0, 0.0, 5.0])], None,
     lambda a: np.cumprod(a, axis=0)),
    ("cumprod_zeros_2d", lambda L, a: a.cumprod(1), [v([[0.0, 2.0, 3.0], [1.0, 0.0, 4.0], [2.0, -3.0, 0.0]])], None,
     lambda a: np.cumprod(a, axis=1)),
    # compositions
    ("log_softmax_via_logsumexp", lambda L, a: a - a.logsumexp(1, keepdim=True), [(3, 4)], "any",
     lambda a: a - np_logsumexp(a, 1, True)),
    ("standardize", lambda L, a: (a - a.mean(0)) / a.std(0), [(4, 3)], "any",
     lambda a: (a - a.mean(0)) / np.sqrt(np_var(a, 0))),
    ("range_per_row", lambda L, a: a.amax(1) - a.amin(1), [(3, 4)], "any",
     lambda a: np.max(a, axis=1) - np.min(a, axis=1)),
    ("normalize_rows", lambda L, a, b: a / a.norm(dim=1, keepdim=True) * b, [(3, 4), (4,)], "any",
     lambda a, b: a / np_norm(a, 2, 1, True) * b),
]

IDS = [row[0] for row in ROWS]
ROW_ARGS = [row[1:] for row in ROWS]



@pytest.mark.parametrize("fn, specs, domain, ref", ROW_ARGS, ids=IDS)
def test_forward_matches_numpy(request, fn, specs, domain, ref):
    data = input_data(request.node.callspec.id, specs, domain)
    ours = apply(fn, torch, data, [torch.tensor(nest(vals, s), dtype=torch.float64) for vals, s, _ in data])
    expected = np.asarray(ref(*[np.reshape(vals, s).T if tr else np.reshape(vals, s) for vals, s, tr in data]))
    assert tuple(ours.shape) == expected.shape
    assert ours.dtype == torch.float64
    np.testing.assert_allclose(flatten(ours.tolist()), expected.ravel(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fn, specs, domain, ref", ROW_ARGS, ids=IDS)
def test_gradient_matches_finite_differences(request, fn, specs, domain, ref):
    name = request.node.callspec.id
    data = input_data(name, specs, domain)
    inputs = [torch.tensor(nest(vals, s), dtype=torch.float64, requires_grad=True) for vals, s, _ in data]
    check_grad(lambda *xs: apply(fn, torch, data, xs), inputs, seed=zlib.crc32(name.encode()))



@pytest.mark.parametrize("fn, specs, domain, ref", ROW_ARGS, ids=IDS)
def test_matches_pytorch(request, torch_ref, fn, specs, domain, ref):
    name = request.node.callspec.id
    data = input_data(name, specs, domain)
    shape, out, grads, grad_fn = run_float32(torch, fn, data, name)
    ref_shape, ref_out, ref_grads, ref_grad_fn = run_float32(torch_ref, fn, data, name)
    assert shape == ref_shape
    assert grad_fn == ref_grad_fn
    np.testing.assert_allclose(out, ref_out, rtol=1e-5, atol=1e-6)
    for g, rg in zip(grads, ref_grads):
        np.testing.assert_allclose(g, rg, rtol=1e-5, atol=1e-5)


# --- results that are not differentiable: indices, int and bool ------------------------------

X = [[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 0.0, 2.0], [-4.0, 5.0, 5.0, 0.0]]
XI = [[1, 7, 7, -2], [0, 3, 3, 1]]
XB = [[True, False, True], [True, True, True]]

FORWARD_ROWS = [
    ("argmax", X, lambda L, a: a.argmax(), lambda a: np.argmax(a)),
    ("argmax_dim_ties_first", X, lambda L, a: a.argmax(1), lambda a: np.argmax(a, axis=1)),
    ("argmin_dim0", X, lambda L, a: a.argmin(0), lambda a: np.argmin(a, axis=0)),
    ("argmax_neg_dim_keepdim", X, lambda L, a: a.argmax(-1, keepdim=True), lambda a: np.argmax(a, -1)[:, None]),
    ("argmin_none_keepdim", X, lambda L, a: a.argmin(dim=None, keepdim=True),
     lambda a: np.reshape(np.argmin(a), (1, 1))),
    ("argmax_noncontig", X, lambda L, a: a.t().argmax(1), lambda a: np.argmax(a.T, axis=1)),
    ("torch_argmin", X, lambda L, a: L.argmin(a, dim=1), lambda a: np.argmin(a, axis=1)),
    ("argmax_nan_first", [1.0, NAN, 5.0, NAN], lambda L, a: a.argmax(), lambda a: np.argmax(a)),
    ("argmin_nan_first", [1.0, -2.0, NAN, NAN], lambda L, a: a.argmin(), lambda a: np.argmin(a)),
    ("max_dim_indices_ties_first", X, lambda L, a: a.max(1).indices, lambda a: np.argmax(a, axis=1)),
    ("min_dim_indices", X, lambda L, a: a.min(0)[1], lambda a: np.argmin(a, axis=0)),
    ("argmax_int", XI, lambda L, a: a.argmax(1), lambda a: np.argmax(a, axis=1)),
    ("max_int", XI, lambda L, a: a.max(), lambda a: np.max(a)),
    ("amin_int_dim", XI, lambda L, a: a.amin(0), lambda a: np.min(a, axis=0)),
    ("prod_int", XI, lambda L, a: a.prod(1), lambda a: np.prod(a, axis=1)),
    ("prod_bool", XB, lambda L, a: a.prod(), lambda a: np.prod(a.astype(np.int64))),
    ("cumsum_int", XI, lambda L, a: a.cumsum(1), lambda a: np.cumsum(a, axis=1)),
    ("cumsum_bool", XB, lambda L, a: a.cumsum(0), lambda a: np.cumsum(a.astype(np.int64), axis=0)),
    ("cumprod_int", XI, lambda L, a: a.cumprod(1), lambda a: np.cumprod(a, axis=1)),
    ("max_bool_dim_values", XB, lambda L, a: a.max(1).values, lambda a: np.max(a, axis=1)),
    ("all", X, lambda L, a: a.all(), lambda a: np.all(a)),
    ("all_dim", X, lambda L, a: a.all(1), lambda a: np.all(a, axis=1)),
    ("any_tuple_keepdim", X, lambda L, a: a.any((0, 1), keepdim=True), lambda a: np.any(a, axis=(0, 1), keepdims=True)),
    ("any_neg_dim", [[0.0, 0.0], [0.0, NAN]], lambda L, a: a.any(-1), lambda a: np.any(a, axis=-1)),
    ("all_int", XI, lambda L, a: a.all(0), lambda a: np.all(a, axis=0)),
    ("torch_any_bool", XB, lambda L, a: L.any(a, 0), lambda a: np.any(a, axis=0)),
    ("all_noncontig", X, lambda L, a: a.t().all(1), lambda a: np.all(a.T, axis=1)),
    ("all_empty", np.zeros((0,)), lambda L, a: a.all(), lambda a: np.all(a)),
    ("any_empty", np.zeros((0,)), lambda L, a: a.any(), lambda a: np.any(a)),
]


@pytest.mark.parametrize("values, fn, ref", [r[1:] for r in FORWARD_ROWS], ids=[r[0] for r in FORWARD_ROWS])
def test_discrete_results_match_numpy(values, fn, ref):
    ours = fn(torch, torch.tensor(np.asarray(values).tolist()))
    expected = np.asarray(ref(np.asarray(values)))
    assert tuple(ours.shape) == expected.shape
    assert ours.numpy().dtype == expected.dtype
    np.testing.assert_array_equal(ours.numpy(), expected)


@pytest.mark.parametrize("values, fn, ref", [r[1:] for r in FORWARD_ROWS], ids=[r[0] for r in FORWARD_ROWS])
def test_discrete_results_match_pytorch(torch_ref, values, fn, ref):
    ours = fn(torch, torch.tensor(np.asarray(values).tolist()))
    theirs = fn(torch_ref, torch_ref.tensor(np.asarray(values).tolist()))
    assert str(ours.dtype) == str(theirs.dtype)
    assert ours.tolist() == theirs.tolist()


def test_discrete_results_have_no_history():
    x = torch.tensor(X, requires_grad=True)
    for out in (x.argmax(), x.argmin(1), x.max(1).indices, x.all(), x.any(0)):
        assert not out.requires_grad and out.grad_fn is None


# --- PyTorch's choices at ties, zeros, NaN and infinities -------------------------------------

def grad_of(lib, fn, values, dtype_name="float64"):
    x = lib.tensor(values, dtype=getattr(lib, dtype_name), requires_grad=True)
    out = fn(x)
    out.backward(lib.ones_like(out))
    return out.tolist(), x.grad.tolist() if x.grad is not None else None


def same(a, b):
    """Equal nested lists, NaN equal to NaN."""
    np.testing.assert_array_equal(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))


TIES = [
    ("max_all_three_way", lambda x: x.max(), [[3.0, 1.0, 3.0], [3.0, 0.0, -1.0]]),
    ("min_all_two_way", lambda x: x.min(), [[1.0, 1.0, 2.0]]),
    ("max_dim_ties_to_first_index", lambda x: x.max(1).values, [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]),
    ("min_dim_ties_to_first_index", lambda x: x.min(0).values, [[1.0, 3.0], [1.0, 3.0], [4.0, 3.0]]),
    ("amax_three_way_split", lambda x: x.amax(1), [[3.0, 3.0, 3.0, 1.0], [2.0, 2.0, 0.0, 1.0]]),
    ("amin_all_split", lambda x: x.amin(), [[0.0, 1.0], [0.0, 0.0]]),
    ("norm_inf_ties_signed", lambda x: x.norm(INF, dim=1), [[1.0, -3.0, 3.0], [2.0, 2.0, 0.0]]),
    ("norm_neg_inf_ties", lambda x: x.norm(-INF), [[1.0, -1.0, 3.0]]),
    ("norm_2_at_zero", lambda x: x.norm(dim=1), [[0.0, 0.0], [3.0, 4.0]]),
    ("norm_1_at_zero", lambda x: x.norm(1), [[0.0, 1.0], [-3.0, 4.0]]),
    ("norm_p3_at_zero", lambda x: x.norm(3, dim=1), [[0.0, 0.0], [1.0, -2.0]]),
    ("norm_half_at_zero", lambda x: x.norm(0.5), [[0.0, 1.0, 4.0]]),
    ("prod_one_zero", lambda x: x.prod(), [2.0, 0.0, 3.0]),
    ("prod_two_zeros", lambda x: x.prod(), [2.0, 0.0, 0.0]),
    ("prod_dim_zeros", lambda x: x.prod(1), [[2.0, 0.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, 4.0]]),
    ("cumprod_zeros", lambda x: x.cumprod(0), [2.0, 0.0, 3.0, 0.0, 5.0]),
    ("std_zero_spread", lambda x: x.std(), [1.0, 1.0]),
    ("std_dim_zero_spread", lambda x: x.std(1), [[1.0, 1.0], [1.0, 2.0]]),
    ("var_no_dof_whole", lambda x: x.var(correction=3), [1.0, 2.0, 1.5]),
    ("var_no_dof_dim", lambda x: x.var(0, correction=3), [1.0, 2.0, 1.5]),
    ("var_dof_zero_dim", lambda x: x.var(0, correction=2), [1.0, 2.0]),
    ("var_single_element", lambda x: x.var(), [1.0]),
    ("std_no_dof", lambda x: x.std(correction=2), [1.0, 2.0]),
    ("max_nan", lambda x: x.max(), [1.0, NAN, 5.0]),
    ("max_dim_nan", lambda x: x.max(0).values, [1.0, NAN, 5.0, NAN]),
    ("amax_nan", lambda x: x.amax(1), [[1.0, NAN], [2.0, 3.0]]),
    ("logsumexp_inf", lambda x: x.logsumexp(0), [INF, 1.0]),
    ("logsumexp_all_neg_inf", lambda x: x.logsumexp(0), [-INF, -INF]),
    ("logsumexp_neg_inf_mixed", lambda x: x.logsumexp(1), [[-INF, 0.0], [-INF, -INF]]),
    ("logsumexp_nan", lambda x: x.logsumexp(0), [NAN, INF]),
    ("norm_0_has_no_gradient", lambda x: x.norm(0), [1.0, 0.0, 2.0]),
]


@pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0")
@pytest.mark.parametrize("fn, values", [r[1:] for r in TIES], ids=[r[0] for r in TIES])
def test_special_points_match_pytorch(torch_ref, fn, values):
    ours = grad_of(torch, fn, values)
    theirs = grad_of(torch_ref, fn, values)
    same(ours[0], theirs[0])
    if theirs[1] is None:
        assert ours[1] is None
    else:
        same(ours[1], theirs[1])


def test_gradient_at_ties_without_pytorch():
    """The rules above, spelled out with values PyTorch gives."""
    assert grad_of(torch, lambda x: x.max(), [[3.0, 1.0, 3.0], [3.0, 0.0, -1.0]])[1] == [[1 / 3, 0, 1 / 3], [1 / 3, 0, 0]]
    assert grad_of(torch, lambda x: x.max(1).values, [[1.0, 3.0, 3.0]])[1] == [[0.0, 1.0, 0.0]]
    assert grad_of(torch, lambda x: x.amax(1), [[2.0, 2.0, 0.0]])[1] == [[0.5, 0.5, 0.0]]
    assert grad_of(torch, lambda x: x.prod(), [2.0, 0.0, 3.0])[1] == [0.0, 6.0, 0.0]
    assert grad_of(torch, lambda x: x.cumprod(0), [2.0, 0.0, 3.0, 0.0, 5.0])[1] == [1.0, 8.0, 0.0, 0.0, 0.0]


def test_max_with_nan_picks_first_nan():
    r = torch.tensor([1.0, NAN, 5.0, NAN]).max(0)
    assert math.isnan(r.values.item()) and r.indices.item() == 1


# --- double backward (create_graph) -----------------------------------------------------------

HESSIANS = [
    ("prod_no_zero", lambda x: x.prod(), [2.0, -1.5, 3.0, 0.5]),
    ("prod_with_zero", lambda x: x.prod(), [2.0, 0.0, 3.0]),
    ("prod_dim_two_zeros", lambda x: x.prod(1), [[2.0, 0.0, 0.0], [1.0, 2.0, 3.0]]),
    ("cumprod_no_zero", lambda x: x.cumprod(0), [2.0, -1.5, 3.0, 0.5]),
    ("cumprod_with_zero", lambda x: x.cumprod(0), [2.0, 0.0, 3.0, 0.5]),
    ("cumprod_2d_zeros", lambda x: x.cumprod(1), [[0.0, 2.0, 3.0], [1.0, 0.0, 4.0]]),
    ("cumsum_sq", lambda x: (x * x).cumsum(1), [[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]),
    ("var", lambda x: x.var(1), [[1.0, 2.0, 4.0], [0.5, -1.0, 2.0]]),
    ("std", lambda x: x.std(), [1.0, 2.0, 4.0, 0.5]),
    ("logsumexp", lambda x: x.logsumexp(1), [[1.0, 2.0, 4.0], [0.5, -1.0, 2.0]]),
    ("norm_2", lambda x: x.norm(dim=0), [[1.0, 2.0], [0.5, -1.0]]),
    ("norm_3", lambda x: x.norm(3), [1.0, -2.0, 0.5]),
    ("max_dim_times_x", lambda x: x.max(1).values * x.sum(1), [[1.0, 3.0, 2.0], [4.0, -1.0, 0.5]]),
    ("amax_squared", lambda x: x.amax(0) ** 2, [[1.0, 3.0], [4.0, -1.0]]),
    ("max_all_squared", lambda x: x.max() ** 2, [1.0, 3.0, 2.0]),
]


def hessian_vector(lib, fn, values):
    x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
    out = fn(x)
    upstream_grad = lib.ones_like(out) * 0.75
    (g,) = lib.autograd.grad(out, x, upstream_grad, create_graph=True)
    (h,) = lib.autograd.grad((g * g).sum(), x, allow_unused=True)
    return g.tolist(), None if h is None else h.tolist()


@pytest.mark.parametrize("fn, values", [r[1:] for r in HESSIANS], ids=[r[0] for r in HESSIANS])
def test_double_backward_matches_pytorch(torch_ref, fn, values):
    ours = hessian_vector(torch, fn, values)
    theirs = hessian_vector(torch_ref, fn, values)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, atol=1e-12)
    if theirs[1] is None:
        assert ours[1] is None or not np.any(ours[1])
    else:
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fn, values", [r[1:] for r in HESSIANS], ids=[r[0] for r in HESSIANS])
def test_double_backward_matches_finite_differences(fn, values):
    """The first gradient (built with create_graph) is itself differentiable."""
    base = torch.tensor(values, dtype=torch.float64)
    shape = tuple(base.shape)

    def first_gradient(x):
        with torch.enable_grad():
            leaf = x.detach().requires_grad_(True) if not x.requires_grad else x
            out = fn(leaf)
            (g,) = torch.autograd.grad(out, leaf, torch.ones_like(out) * 0.75, create_graph=True)
        return g

    check_grad(first_gradient, [torch.tensor(nest(flatten(base.tolist()), shape), dtype=torch.float64)])


# --- grad_fn names and the named-tuple results ------------------------------------------------

GRAD_FNS = [
    ("prod", lambda L, x: x.prod(), "ProdBackward0"),
    ("prod_dim", lambda L, x: x.prod(1), "ProdBackward1"),
    ("max", lambda L, x: x.max(), "MaxBackward1"),
    ("max_dim", lambda L, x: x.max(1).values, "MaxBackward0"),
    ("min", lambda L, x: x.min(), "MinBackward1"),
    ("min_dim", lambda L, x: x.min(0)[0], "MinBackward0"),
    ("amax", lambda L, x: x.amax(1), "AmaxBackward0"),
    ("amin", lambda L, x: x.amin(), "AminBackward0"),
    ("var", lambda L, x: x.var(), "VarBackward0"),
    ("std_dim", lambda L, x: x.std(1), "StdBackward0"),
    ("logsumexp", lambda L, x: x.logsumexp(1), "LogsumexpBackward0"),
    ("norm", lambda L, x: x.norm(), "LinalgVectorNormBackward0"),
    ("norm_inf_dim", lambda L, x: L.norm(x, INF, 1), "LinalgVectorNormBackward0"),
    ("cumsum", lambda L, x: x.cumsum(0), "CumsumBackward0"),
    ("cumprod", lambda L, x: x.cumprod(1), "CumprodBackward0"),
    # Gradients built with create_graph, from a differentiable upstream gradient.
    ("max_dim_gradient", lambda L, x: differentiable_gradient(L, x, x.max(1).values), "ScatterBackward0"),
    ("cumsum_gradient", lambda L, x: differentiable_gradient(L, x, x.cumsum(1)), "FlipBackward0"),
]


def differentiable_gradient(lib, x, y):
    return lib.autograd.grad(y, x, lib.ones_like(y).requires_grad_(True), create_graph=True)[0]


@pytest.mark.parametrize("fn, name", [r[1:] for r in GRAD_FNS], ids=[r[0] for r in GRAD_FNS])
def test_grad_fn_names(fn, name):
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 6.0, 5.0]], requires_grad=True)
    assert type(fn(torch, x).grad_fn).__name__ == name


@pytest.mark.parametrize("fn, name", [r[1:] for r in GRAD_FNS], ids=[r[0] for r in GRAD_FNS])
def test_grad_fn_names_are_pytorchs(torch_ref, fn, name):
    x = torch_ref.tensor([[1.0, 2.0, 3.0], [4.0, 6.0, 5.0]], requires_grad=True)
    assert type(fn(torch_ref, x).grad_fn).__name__ == name


@pytest.mark.parametrize("op", ["max", "min"])
def test_values_and_indices_result_behaves_like_named_tuple(op):
    x = torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    r = getattr(x, op)(1)
    assert isinstance(r, tuple) and len(r) == 2
    assert type(r).__name__ == op and type(r) is getattr(torch.return_types, op)
    values, indices = r
    assert values is r.values and indices is r.indices and r[0] is values
    assert indices.dtype == torch.int64 and not indices.requires_grad
    assert r.n_fields == 2 and r.n_sequence_fields == 2 and r.n_unnamed_fields == 0
    assert getattr(torch, op)(x, 1).indices.tolist() == indices.tolist()


@pytest.mark.parametrize("op", ["max", "min"])
def test_named_tuple_prints_like_pytorch(torch_ref, op):
    data = [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]
    ours = getattr(torch.tensor(data, requires_grad=True), op)(1, keepdim=True)
    theirs = getattr(torch_ref.tensor(data, requires_grad=True), op)(1, keepdim=True)
    assert repr(ours) == repr(theirs)
    assert str(ours) == str(theirs)


def test_named_tuple_construction():
    r = torch.return_types.max((1, 2))
    assert r.values == 1 and r.indices == 2 and tuple(r) == (1, 2)
    with pytest.raises(TypeError, match="takes a 2-sequence"):
        torch.return_types.min((1, 2, 3))


# --- dtypes ---------------------------------------------------------------------------------

DTYPES = [
    ("sum_dtype", lambda L, x: x.sum(dtype=L.float64)),
    ("sum_dim_dtype", lambda L, x: L.sum(x, 1, dtype=L.float64)),
    ("mean_dtype", lambda L, x: x.mean(1, keepdim=True, dtype=L.float64)),
    ("prod_dtype", lambda L, x: x.prod(dtype=L.float64)),
    ("prod_dim_dtype", lambda L, x: x.prod(1, dtype=L.float64)),
    ("cumsum_dtype", lambda L, x: x.cumsum(0, dtype=L.float64)),
    ("cumprod_dtype", lambda L, x: L.cumprod(x, 1, dtype=L.float64)),
    ("norm_dtype", lambda L, x: x.norm(dtype=L.float64)),
    ("int_sum_dtype_float", lambda L, x: x.long().sum(dtype=L.float32)),
    ("int_cumsum_dtype_float", lambda L, x: x.long().cumsum(1, dtype=L.float32)),
    ("int_logsumexp_is_float", lambda L, x: x.long().logsumexp(1)),
    ("max_float64", lambda L, x: x.double().max(0).values),
    ("var_float64", lambda L, x: x.double().var(0)),
]


@pytest.mark.parametrize("fn", [r[1] for r in DTYPES], ids=[r[0] for r in DTYPES])
def test_dtypes_match_pytorch(torch_ref, fn):
    data = [[1.0, 2.0, 3.0], [4.0, 0.5, 2.0]]
    ours = fn(torch, torch.tensor(data))
    theirs = fn(torch_ref, torch_ref.tensor(data))
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(flatten(ours.tolist()), flatten(theirs.tolist()), rtol=1e-6)


def test_dtype_gradient_returns_in_input_dtype():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x.prod(dtype=torch.float64).backward()
    assert x.grad.dtype == torch.float32 and x.grad.tolist() == [[24.0, 12.0], [8.0, 6.0]]


# --- inputs large enough to run the parallel fold ---------------------------------------------------

def test_large_inputs_match_numpy():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(100_003)
    a[40_000] = a[90_000] = 10.0  # a tie across parallel chunks: the first index wins
    x = torch.tensor(a.tolist(), dtype=torch.float64)
    assert x.argmax().item() == 40_000
    assert x.max().item() == 10.0
    assert x.argmin().item() == int(np.argmin(a))
    np.testing.assert_allclose(x.var().item(), np.var(a, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(x.std(correction=0).item(), np.std(a), rtol=1e-12)
    np.testing.assert_allclose((x * 500).logsumexp(0).item(), np_logsumexp(a * 500, 0), rtol=1e-12)
    np.testing.assert_allclose(x.norm(3).item(), np_norm(a, 3), rtol=1e-12)
    np.testing.assert_allclose(x.norm(INF).item(), 10.0)
    np.testing.assert_allclose(x.cumsum(0).numpy(), np.cumsum(a), rtol=1e-9, atol=1e-9)
    assert x.all().item() and not (x * 0).any().item()
    a[70_000] = np.nan
    y = torch.tensor(a.tolist(), dtype=torch.float64)
    assert y.argmax().item() == 70_000 and math.isnan(y.amax().item())


# --- bad arguments ------------------------------------------------------------------------------

def dim_range(got):
    return f"Dimension out of range (expected to be in range of [-2, 1], but got {got})"


ERRORS = [
    ("prod_bad_dim", lambda L: L.ones(2, 3).prod(2), IndexError, dim_range(2)),
    ("max_bad_dim", lambda L: L.ones(2, 3).max(2), IndexError, dim_range(2)),
    ("min_bad_neg_dim", lambda L: L.ones(2, 3).min(-3), IndexError, dim_range(-3)),
    ("amax_bad_dim", lambda L: L.ones(2, 3).amax((0, 2)), IndexError, dim_range(2)),
    ("amin_bad_dim", lambda L: L.ones(2, 3).amin(-3), IndexError, dim_range(-3)),
    ("argmax_bad_dim", lambda L: L.ones(2, 3).argmax(2), IndexError, dim_range(2)),
    ("argmin_bad_dim", lambda L: L.ones(2, 3).argmin(-3), IndexError, dim_range(-3)),
    ("var_bad_dim", lambda L: L.ones(2, 3).var(2), IndexError, dim_range(2)),
    ("std_bad_dim", lambda L: L.ones(2, 3).std(dim=(0, 5)), IndexError, dim_range(5)),
    ("logsumexp_bad_dim", lambda L: L.ones(2, 3).logsumexp(-3), IndexError, dim_range(-3)),
    ("norm_bad_dim", lambda L: L.ones(2, 3).norm(dim=3), IndexError, dim_range(3)),
    ("cumsum_bad_dim", lambda L: L.ones(2, 3).cumsum(5), IndexError, dim_range(5)),
    ("cumprod_bad_dim", lambda L: L.ones(2, 3).cumprod(-4), IndexError, dim_range(-4)),
    ("all_bad_dim", lambda L: L.ones(2, 3).all(2), IndexError, dim_range(2)),
    ("any_bad_dim", lambda L: L.ones(2, 3).any(-3), IndexError, dim_range(-3)),
    ("max_0d_bad_dim", lambda L: L.tensor(3.0).max(1), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    ("amax_repeated_dim", lambda L: L.ones(2, 3).amax((0, -2)), RuntimeError,
     "dim 0 appears multiple times in the list of dims"),
    ("logsumexp_repeated_dim", lambda L: L.ones(2, 3).logsumexp((1, 1)), RuntimeError,
     "dim 1 appears multiple times in the list of dims"),
    ("max_empty", lambda L: L.zeros(0).max(), RuntimeError,
     "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument."),
    ("amin_empty", lambda L: L.zeros(2, 0).amin(), RuntimeError,
     "amin(): Expected reduction dim to be specified for input.numel() == 0."),
    ("max_dim_empty", lambda L: L.zeros(2, 0).max(-1), IndexError, "max(): Expected reduction dim 1 to have non-zero size."),
    ("amax_dim_empty", lambda L: L.zeros(2, 0).amax(-1), IndexError, "amax(): Expected reduction dim -1 to have non-zero size."),
    ("argmax_empty", lambda L: L.zeros(0).argmax(), IndexError,
     "argmax(): Expected reduction dim to be specified for input.numel() == 0."),
    ("argmin_dim_empty", lambda L: L.zeros(2, 0).argmin(1), IndexError, "argmin(): Expected reduction dim 1 to have non-zero size."),
    ("norm_inf_empty", lambda L: L.zeros(0).norm(INF), RuntimeError,
     "linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation does not have an identity"),
    ("var_int", lambda L: L.tensor([1, 2, 3]).var(), NotImplementedError, "std and var only support floating point and complex dtypes"),
    ("std_int", lambda L: L.tensor([1, 2, 3]).std(0), NotImplementedError, "std and var only support floating point and complex dtypes"),
    ("norm_int", lambda L: L.tensor([1, 2]).norm(), NotImplementedError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    ("norm_unknown_order", lambda L: L.ones(2, 2).norm("abc"), RuntimeError, "linalg.matrix_norm: Order abc not supported."),
    ("norm_fro_three_dims", lambda L: L.ones(2, 2, 2).norm("fro", dim=(0, 1, 2)), RuntimeError,
     "linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2"),
    ("var_unbiased_and_correction", lambda L: L.ones(2, 3).var(1, unbiased=True, correction=0), TypeError,
     "var() received an invalid combination of arguments"),
    ("max_keepdim_without_dim", lambda L: L.ones(2).max(keepdim=True), TypeError,
     "max() received an invalid combination of arguments - got (keepdim=bool, )"),
    ("logsumexp_needs_dim", lambda L: L.ones(2).logsumexp(), TypeError, "missing 1 required positional argument"),
    ("cumsum_needs_dim", lambda L: L.ones(2).cumsum(), TypeError, "missing 1 required positional argument"),
    ("prod_tuple_dim", lambda L: L.ones(2, 3).prod((0, 1)), TypeError, "prod()"),
    ("argmax_tuple_dim", lambda L: L.ones(2, 3).argmax((0,)), TypeError, "argmax(): argument 'dim'"),
    ("max_tuple_dim", lambda L: L.ones(2, 3).max((0,)), TypeError, "max()"),
]


@pytest.mark.parametrize("call, exc, phrase", [r[1:] for r in ERRORS], ids=[r[0] for r in ERRORS])
def test_bad_arguments_raise(call, exc, phrase):
    with pytest.raises(exc) as info:
        call(torch)
    assert phrase in str(info.value)


@pytest.mark.parametrize("call, exc, phrase", [r[1:] for r in ERRORS], ids=[r[0] for r in ERRORS])
def test_bad_arguments_raise_as_in_pytorch(torch_ref, call, exc, phrase):
    with pytest.raises(exc) as info:
        call(torch_ref)
    assert phrase in str(info.value)
