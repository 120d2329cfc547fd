"""Advanced indexing and the index ops, one row per op: forward values against
a numpy reference, gradients against finite differences (float64), and
values, gradients and grad_fn names against PyTorch when it is installed.

Each row is ``(name, fn, ref, inputs, domain)``. ``fn(lib, *tensors)`` is the
expression for ferrograd or PyTorch (index tensors are built inside it with
``lib.tensor``); ``ref(*arrays)`` computes the same on float64 numpy arrays.
An input is a shape, or ``t(shape)`` for a non-contiguous input (a leaf of the
transposed shape passed through ``.t()``). Rows with repeated indices check
that the gradients of every duplicate accumulate.
"""

import random
import warnings
import zlib

import numpy as np
import pytest

import ferrograd as torch
from gradcheck import check_grad, flatten, nest
from op_table import apply, input_data, run_grad, t

MASK = [[True, False, True, False], [False, False, True, True], [True, True, False, False]]


def setitem(y, index, value):
    """``y[index] = value`` on a copy (so the leaf itself is never written)."""
    y = y * 1
    y[index] = value
    return y


def np_setitem(a, index, value):
    a = np.array(a)
    a[index] = value
    return a


def ref_scatter(a, dim, index, src, add=False):
    out = np.array(a)
    index = np.asarray(index)
    src = np.broadcast_to(src, index.shape) if np.ndim(src) == 0 else src
    for pos in np.ndindex(*index.shape):
        target = list(pos)
        target[dim] = index[pos]
        if add:
            out[tuple(target)] += src[pos]
        else:
            out[tuple(target)] = src[pos]
    return out


def ref_index_add(a, dim, index, src, alpha=1.0):
    out = np.array(a)
    moved, src = np.moveaxis(out, dim, 0), np.moveaxis(src, dim, 0)
    np.add.at(moved, np.asarray(index), alpha * src)
    return out


def ref_index_put(a, index, v, accumulate=False):
    out = np.array(a)
    index = tuple(np.asarray(i) for i in index)
    if accumulate:
        np.add.at(out, index, np.broadcast_to(v, out[index].shape))
    else:
        out[index] = v
    return out


ROWS = [
    # __getitem__ with tensors, lists and masks
    ("getitem_list", lambda L, x: x[[0, 2, 2]], lambda x: x[[0, 2, 2]], [(3, 4)], "any"),
    ("getitem_negative", lambda L, x: x[[-1, 0, -1]], lambda x: x[[-1, 0, -1]], [t(3, 4)], "any"),
    ("getitem_tensor_2d", lambda L, x: x[L.tensor([[0, 1], [2, 2]])], lambda x: x[np.array([[0, 1], [2, 2]])], [(3, 4)], "any"),
    ("getitem_columns", lambda L, x: x[:, [3, 0, 3]], lambda x: x[:, [3, 0, 3]], [t(3, 4)], "any"),
    ("getitem_pairs", lambda L, x: x[[0, 1, 1], [2, 0, 2]], lambda x: x[[0, 1, 1], [2, 0, 2]], [(3, 4)], "any"),
    ("getitem_broadcast", lambda L, x: x[L.tensor([[0], [2]]), L.tensor([1, 3, -4])],
     lambda x: x[np.array([[0], [2]]), np.array([1, 3, -4])], [(3, 4)], "any"),
    ("getitem_mask", lambda L, x: x[L.tensor(MASK)], lambda x: x[np.array(MASK)], [t(3, 4)], "any"),
    ("getitem_mask_rows", lambda L, x: x[L.tensor([True, False, True])], lambda x: x[np.array([True, False, True])], [(3, 4)], "any"),
    ("getitem_mask_columns", lambda L, x: x[:, L.tensor([True, False, True, True])],
     lambda x: x[:, np.array([True, False, True, True])], [(3, 4)], "any"),
    ("getitem_bool_list", lambda L, x: x[[False, True, True]], lambda x: x[np.array([False, True, True])], [(3, 4)], "any"),
    ("getitem_python_true", lambda L, x: x[True], lambda x: x[None], [(3, 4)], "any"),
    ("getitem_ellipsis", lambda L, x: x[..., [0, 3]], lambda x: x[..., [0, 3]], [(2, 3, 4)], "any"),
    ("getitem_separated", lambda L, x: x[[0, 1], :, [1, 3]], lambda x: x[[0, 1], :, [1, 3]], [(2, 3, 4)], "any"),
    ("getitem_slice_then_list", lambda L, x: x[1:, [2, 0]], lambda x: x[1:, [2, 0]], [(3, 4)], "any"),
    ("getitem_none_and_list", lambda L, x: x[None, [1, 2]], lambda x: x[None, [1, 2]], [(3, 4)], "any"),
    ("getitem_int_and_list", lambda L, x: x[1, [0, 0, 2]], lambda x: x[1, [0, 0, 2]], [(3, 4)], "any"),
    ("getitem_repeated", lambda L, x: x[[1, 1, 1]] * x[[1, 0, 1]], lambda x: x[[1, 1, 1]] * x[[1, 0, 1]], [(3, 4)], "any"),
    # index_select / index_add
    ("index_select", lambda L, x: x.index_select(1, L.tensor([3, 0, 3])), lambda x: np.take(x, [3, 0, 3], axis=1), [t(3, 4)], "any"),
    ("index_select_fn", lambda L, x: L.index_select(x, 0, L.tensor([2, 2, 0])), lambda x: np.take(x, [2, 2, 0], axis=0), [(3, 4)], "any"),
    ("index_add", lambda L, x, s: x.index_add(0, L.tensor([2, 0, 2]), s),
     lambda x, s: ref_index_add(x, 0, [2, 0, 2], s), [(3, 4), (3, 4)], "any"),
    ("index_add_alpha", lambda L, x, s: L.index_add(x, 1, L.tensor([1, 1]), s, alpha=-2.0),
     lambda x, s: ref_index_add(x, 1, [1, 1], s, -2.0), [t(3, 4), (3, 2)], "any"),
    # gather / scatter / scatter_add / take_along_dim
    ("gather", lambda L, x: x.gather(1, L.tensor([[0, 3], [1, 1], [2, 0]])),
     lambda x: np.take_along_axis(x, np.array([[0, 3], [1, 1], [2, 0]]), 1), [(3, 4)], "any"),
    ("gather_fn_repeated", lambda L, x: L.gather(x, 0, L.tensor([[0, 0, 2, 2], [0, 0, 0, 0]])),
     lambda x: np.take_along_axis(x, np.array([[0, 0, 2, 2], [0, 0, 0, 0]]), 0), [t(3, 4)], "any"),
    ("scatter", lambda L, x, s: x.scatter(1, L.tensor([[0, 2], [3, 1], [1, 0]]), s),
     lambda x, s: ref_scatter(x, 1, [[0, 2], [3, 1], [1, 0]], s), [(3, 4), (3, 2)], "any"),
    ("scatter_value", lambda L, x: x.scatter(0, L.tensor([[2, 0, 1, 2]]), -1.5),
     lambda x: ref_scatter(x, 0, [[2, 0, 1, 2]], -1.5), [t(3, 4)], "any"),
    ("scatter_add", lambda L, x, s: x.scatter_add(1, L.tensor([[0, 0], [3, 3], [1, 0]]), s),
     lambda x, s: ref_scatter(x, 1, [[0, 0], [3, 3], [1, 0]], s, add=True), [(3, 4), (3, 2)], "any"),
    ("scatter_add_fn_repeated", lambda L, x, s: L.scatter_add(x, 0, L.tensor([[0, 0, 0, 0], [0, 2, 0, 2]]), s),
     lambda x, s: ref_scatter(x, 0, [[0, 0, 0, 0], [0, 2, 0, 2]], s, add=True), [(3, 4), t(2, 4)], "any"),
    ("take_along_dim", lambda L, x: x.take_along_dim(L.tensor([[0, 3], [1, 1], [2, 0]]), 1),
     lambda x: np.take_along_axis(x, np.array([[0, 3], [1, 1], [2, 0]]), 1), [(3, 4)], "any"),
    ("take_along_dim_broadcast", lambda L, x: L.take_along_dim(x, L.tensor([[2, 0, 2, 1]]), 0),
     lambda x: np.take_along_axis(np.broadcast_to(x, (3, 4)), np.array([[2, 0, 2, 1]]), 0), [(3, 1)], "any"),
    ("take_along_dim_flat", lambda L, x: L.take_along_dim(x, L.tensor([0, 5, 5, 11])),
     lambda x: x.ravel()[[0, 5, 5, 11]], [(3, 4)], "any"),
    # masked_fill / masked_select
    ("masked_fill", lambda L, x: x.masked_fill(L.tensor(MASK), 0.5), lambda x: np.where(MASK, 0.5, x), [t(3, 4)], "any"),
    ("masked_fill_broadcast", lambda L, x: x.masked_fill(L.tensor([True, False, True, False]), -1.0),
     lambda x: np.where([True, False, True, False], -1.0, x), [(3, 1)], "any"),
    ("masked_fill_tensor", lambda L, x, v: L.masked_fill(x, L.tensor(MASK), v), lambda x, v: np.where(MASK, v, x), [(3, 4), ()], "any"),
    ("masked_select", lambda L, x: x.masked_select(L.tensor(MASK)), lambda x: x[np.array(MASK)], [t(3, 4)], "any"),
    ("masked_select_broadcast", lambda L, x: L.masked_select(x, L.tensor([True, False, True, True])),
     lambda x: np.broadcast_to(x, (3, 4))[np.broadcast_to([True, False, True, True], (3, 4))], [(3, 1)], "any"),
    # index_put and __setitem__ with advanced indices
    ("index_put", lambda L, x, v: x.index_put((L.tensor([0, 2]),), v), lambda x, v: ref_index_put(x, ([0, 2],), v), [(3, 4), (4,)], "any"),
    ("index_put_accumulate_repeated", lambda L, x, v: x.index_put((L.tensor([1, 1, 0]), L.tensor([2, 2, 3])), v, accumulate=True),
     lambda x, v: ref_index_put(x, ([1, 1, 0], [2, 2, 3]), v, True), [t(3, 4), (3,)], "any"),
    ("index_put_fn_mask", lambda L, x, v: L.index_put(x, (L.tensor(MASK),), v), lambda x, v: ref_index_put(x, (np.array(MASK),), v), [(3, 4), ()], "any"),
    ("setitem_list", lambda L, x, v: setitem(x, [0, 2], v), lambda x, v: np_setitem(x, [0, 2], v), [(3, 4), (4,)], "any"),
    ("setitem_pairs_broadcast", lambda L, x, v: setitem(x, ([0, 1], [3, 1]), v), lambda x, v: np_setitem(x, ([0, 1], [3, 1]), v), [t(3, 4), ()], "any"),
    ("setitem_mask_number", lambda L, x: setitem(x, L.tensor(MASK), 2.0), lambda x: np_setitem(x, np.array(MASK), 2.0), [(3, 4)], "any"),
    ("setitem_columns_number", lambda L, x: setitem(x, (slice(None), [1, 3]), -2.0), lambda x: np_setitem(x, (slice(None), [1, 3]), -2.0), [(3, 4)], "any"),
    ("setitem_mask_tensor", lambda L, x, v: setitem(x, L.tensor(MASK), v), lambda x, v: np_setitem(x, np.array(MASK), v), [(3, 4), ()], "any"),
]

IDS = [row[0] for row in ROWS]
ROW_ARGS = [row[1:] for row in ROWS]


@pytest.fixture(autouse=True)
def _quiet_sequence_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.mark.parametrize("fn, ref, specs, domain", ROW_ARGS, ids=IDS)
def test_forward_matches_numpy(request, fn, ref, specs, domain):
    name = request.node.callspec.id
    data = input_data(name, specs, domain)
    ours = apply(fn, torch, data, [torch.tensor(nest(v, s), dtype=torch.float64) for v, s, _ in data])
    arrays = [np.reshape(v, s).T if tr else np.reshape(v, s) for v, s, tr in data]
    expected = np.asarray(ref(*arrays), dtype=np.float64)
    assert tuple(ours.shape) == expected.shape
    assert ours.dtype == torch.float64
    np.testing.assert_allclose(np.reshape(flatten(ours.tolist()), -1), expected.ravel(), rtol=1e-12, atol=1e-12)


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
    shape, out, grads, _, grad_fn = run_grad(torch, fn, data, name)
    ref_shape, ref_out, ref_grads, _, ref_grad_fn = run_grad(torch_ref, fn, data, name)
    assert (shape, grad_fn) == (ref_shape, ref_grad_fn)
    np.testing.assert_allclose(out, ref_out, rtol=1e-6, atol=1e-6)
    for g, rg in zip(grads, ref_grads):
        assert (g is None) == (rg is None) or not any(g or rg)
        if g is not None and rg is not None:
            np.testing.assert_allclose(g, rg, rtol=1e-6, atol=1e-6)


def double_backward(lib, fn, data, name):
    """d/dv of <w, J^T v>: the backward formulas, recorded, differentiated again."""
    leaves = [lib.tensor(nest(v, s), dtype=lib.float64, requires_grad=True) for v, s, _ in data]
    out = apply(fn, lib, data, leaves)
    rng = random.Random(zlib.crc32(name.encode()) + 2)
    v = lib.tensor(nest([rng.uniform(-1.5, 1.5) for _ in range(out.numel())], tuple(out.shape)),
                   dtype=lib.float64, requires_grad=True)
    grads = lib.autograd.grad([out], leaves, grad_outputs=[v], create_graph=True, allow_unused=True)
    total = sum((g * (k + 1.5)).sum() for k, g in enumerate(grads) if g is not None)
    (dv,) = lib.autograd.grad([total], [v])
    return flatten(dv.tolist())


@pytest.mark.parametrize("fn, ref, specs, domain", ROW_ARGS, ids=IDS)
def test_double_backward_matches_pytorch(request, torch_ref, fn, ref, specs, domain):
    name = request.node.callspec.id
    data = input_data(name, specs, domain)
    np.testing.assert_allclose(double_backward(torch, fn, data, name), double_backward(torch_ref, fn, data, name),
                               rtol=1e-12, atol=1e-12)


# --- indexing against numpy, over many index forms ------------------------------------------

INDICES = [
    [1, 0], [-1], [], (slice(None), [0, 0]), ([0, 1], slice(1, None), [2, 3]),
    ([1], Ellipsis, [4, 0]), (Ellipsis, [1, 2]), ([[0], [1]], [[1, 2]]), (1, [0, 2], slice(None, None, 2)),
    ([True, False],), (slice(None), [False, True, True]), (None, [1], None), ([0, 1], [1, 2], [3, 4]),
]


def _as_index(index, lib):
    """Lists inside tuples become tensors of `lib` (so numpy and ferrograd see the same thing)."""
    if isinstance(index, tuple):
        return tuple(lib.tensor(i) if isinstance(i, list) and i else i for i in index)
    return index


@pytest.mark.parametrize("index", INDICES, ids=[repr(i) for i in INDICES])
def test_advanced_indexing_matches_numpy(index):
    a = np.arange(60.0).reshape(2, 3, 10)[:, :, :5].copy()
    x = torch.tensor(a.tolist(), dtype=torch.float64)
    got = x[index] if not isinstance(index, tuple) else x[_as_index(index, torch)]
    expected = a[index] if not isinstance(index, tuple) else a[tuple(np.asarray(i) if isinstance(i, list) and i else i for i in index)]
    assert tuple(got.shape) == expected.shape
    np.testing.assert_array_equal(np.array(got.tolist()).reshape(expected.shape), expected)


@pytest.mark.parametrize("index", INDICES, ids=[repr(i) for i in INDICES])
def test_advanced_indexing_gradient(index):
    x = torch.tensor(np.linspace(-1, 1, 30).reshape(2, 3, 5).tolist(), dtype=torch.float64, requires_grad=True)
    # (The finite-difference helper cannot rebuild empty outputs; sum them into a scalar.)
    check_grad(lambda x: x[_as_index(index, torch)] * 2 if x[_as_index(index, torch)].numel() else x[_as_index(index, torch)].sum() + x.sum(), [x])


@pytest.mark.parametrize("fn", [
    lambda L, x: x[:, [0, 1], :, 0],
    lambda L, x: x[[0, 1], :, 0],
    lambda L, x: x[[1, 0], 0, [0, 2]],
    lambda L, x: x[0, :, [1, 2], [0, 1]],
    lambda L, x: x[L.tensor(1), [0, 2]],
    lambda L, x: x[None, True, 1],
    lambda L, x: x[..., L.tensor([True, False, True, False, True])],
    lambda L, x: x[[[0, 1], [1, 0]]],
    lambda L, x: x[[L.tensor(0), L.tensor(1)]],
    lambda L, x: x[False],
    lambda L, x: x[L.tensor(True)],
], ids=["slice_list_slice_int", "list_slice_int", "list_int_list", "int_slice_list_list", "0d_long_and_list",
        "none_true_int", "ellipsis_mask", "nested_list_as_tuple", "list_of_0d_tensors", "python_false", "0d_bool_tensor"])
def test_index_placement_matches_pytorch(torch_ref, fn):
    """PyTorch applies ints before placing advanced dims, which differs from numpy's rule."""
    a = np.arange(120.0).reshape(2, 3, 4, 5)
    ours = fn(torch, torch.tensor(a.tolist(), requires_grad=True))
    theirs = fn(torch_ref, torch_ref.tensor(a.tolist(), requires_grad=True))
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.tolist() == theirs.tolist()
    assert type(ours.grad_fn).__name__ == type(theirs.grad_fn).__name__


def test_repeated_indices_accumulate_gradient():
    x = torch.zeros(4, requires_grad=True)
    (x[[1, 1, 3, 1]] * torch.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 7.0, 0.0, 3.0]
    s = torch.ones(3, requires_grad=True)
    torch.zeros(2).index_add(0, torch.tensor([0, 0, 1]), s * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert s.grad.tolist() == [1.0, 2.0, 3.0]
    y = torch.zeros(3, requires_grad=True)
    (torch.zeros(2).scatter_add(0, torch.tensor([1, 1, 1]), y) * torch.tensor([5.0, 7.0])).sum().backward()
    assert y.grad.tolist() == [7.0, 7.0, 7.0]


def test_gradient_through_non_contiguous_index():
    x = torch.arange(6.0, requires_grad=True)
    index = torch.tensor([[0, 5], [1, 5]]).t()
    assert not index.is_contiguous()
    out = x[index]
    assert out.tolist() == [[0.0, 1.0], [5.0, 5.0]]
    out.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 0.0, 0.0, 0.0, 2.0]


# --- __setitem__ ------------------------------------------------------------------------------

def test_setitem_number_and_broadcast_tensor():
    x = torch.zeros(3, 4)
    x[0] = 1.5
    x[1:, ::2] = torch.tensor([7.0, 8.0])
    x[[2, 2], [1, 3]] = torch.tensor(-1.0)
    x[x == 0] = 3.0
    assert x.tolist() == [[1.5, 1.5, 1.5, 1.5], [7.0, 3.0, 8.0, 3.0], [7.0, -1.0, 8.0, -1.0]]
    assert x._version == 4


def test_setitem_casts_and_strips_leading_ones():
    x = torch.zeros(2, 3, dtype=torch.int64)
    x[0] = 2.7
    x[[1]] = 5
    assert x.tolist() == [[2, 2, 2], [5, 5, 5]]
    y = torch.zeros(2, 3)
    y[0] = torch.tensor([1, 2, 3])
    y[[1]] = torch.ones(1, 1, 3) * 4
    assert y.tolist() == [[1.0, 2.0, 3.0], [4.0, 4.0, 4.0]]


def test_setitem_on_a_leaf_under_no_grad():
    w = torch.zeros(3, requires_grad=True)
    with torch.no_grad():
        w[0] = 5.0
        w[[1, 2]] = torch.tensor([6.0, 7.0])
    assert w.tolist() == [5.0, 6.0, 7.0]
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    assert w._version == 2


@pytest.mark.parametrize("index, phrase", [
    ([0, 1], "a leaf Variable that requires grad is being used in an in-place operation."),
    (..., "a leaf Variable that requires grad is being used in an in-place operation."),
    (0, "a view of a leaf Variable that requires grad is being used in an in-place operation."),
    ((0, [1]), "a view of a leaf Variable that requires grad is being used in an in-place operation."),
])
def test_setitem_on_a_leaf_requiring_grad_raises(index, phrase):
    w = torch.zeros(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=phrase.replace(".", r"\.")):
        w[index] = 1.0
    assert w._version == 0


def test_setitem_records_like_pytorch(torch_ref):
    """The op PyTorch runs for `y[idx] = v` decides the grad_fn: index_fill, masked_fill or index_put."""
    cases = [
        (lambda L: [0, 1], 1.0), (lambda L: (slice(None), [0, 1]), 1.0), (lambda L: L.tensor([[0, 1]]), 1.0),
        (lambda L: [0, 1], "tensor"), (lambda L: ([0, 1], [1, 2]), 1.0),
        (lambda L: L.tensor([True, False, True]), 1.0), (lambda L: L.tensor([[True, False, True, False]] * 3), "tensor"),
    ]
    for index, value in cases:
        names = []
        for L in (torch, torch_ref):
            y = L.zeros(3, 4, requires_grad=True) * 1
            y[index(L)] = L.tensor(2.0) if value == "tensor" else value
            names.append((type(y.grad_fn).__name__, y.tolist()))
        assert names[0] == names[1]


# --- in-place variants --------------------------------------------------------------------------

INPLACE = [
    ("index_put_", lambda L, y: y.index_put_((L.tensor([0, 0]),), L.tensor(1.0), accumulate=True)),
    ("scatter_", lambda L, y: y.scatter_(1, L.tensor([[0], [1], [2]]), L.ones(3, 1) * 2)),
    ("scatter_value_", lambda L, y: y.scatter_(1, L.tensor([[0], [1], [2]]), 3.0)),
    ("scatter_add_", lambda L, y: y.scatter_add_(1, L.tensor([[0, 0]]), L.ones(1, 2))),
    ("index_add_", lambda L, y: y.index_add_(1, L.tensor([0, 0]), L.ones(3, 2), alpha=3)),
    ("index_fill_", lambda L, y: y.index_fill_(0, L.tensor([2]), -1.0)),
    ("masked_fill_", lambda L, y: y.masked_fill_(L.tensor([True, False, False, True]), 4.0)),
    ("masked_fill_tensor_", lambda L, y: y.masked_fill_(L.tensor([True, False, False, True]), L.tensor(4.0))),
]


@pytest.mark.parametrize("fn", [row[1] for row in INPLACE], ids=[row[0] for row in INPLACE])
def test_inplace_variants_match_pytorch(torch_ref, fn):
    results = []
    for L in (torch, torch_ref):
        x = L.arange(12.0).reshape(3, 4).requires_grad_()
        y = x * 1
        returned = fn(L, y)
        assert returned is y
        (y * y).sum().backward()
        results.append((y.tolist(), type(y.grad_fn).__name__, y._version, x.grad.tolist()))
    assert results[0] == results[1]


def test_inplace_variant_on_plain_tensor_bumps_version():
    x = torch.zeros(2, 3)
    x.index_fill_(1, torch.tensor([0, 2]), 1.0).scatter_add_(0, torch.tensor([[1, 1, 1]]), torch.ones(1, 3))
    assert x.tolist() == [[1.0, 0.0, 1.0], [2.0, 1.0, 2.0]]
    assert x._version == 2 and x.grad_fn is None


# --- nonzero and where(condition) ---------------------------------------------------------------

def test_nonzero_and_where_match_numpy():
    a = np.array([[0.0, 1.5, 0.0], [-2.0, 0.0, 3.0]])
    x = torch.tensor(a.tolist())
    nz = x.nonzero()
    assert nz.dtype == torch.int64 and nz.tolist() == np.argwhere(a).tolist()
    assert [t.tolist() for t in torch.nonzero(x, as_tuple=True)] == [i.tolist() for i in np.nonzero(a)]
    assert [t.tolist() for t in torch.where(x > 0)] == [i.tolist() for i in np.nonzero(a > 0)]
    assert torch.where(x > 0, x, -x).tolist() == np.where(a > 0, a, -a).tolist()
    assert tuple(torch.tensor(3.0).nonzero().shape) == (1, 0)
    assert [t.tolist() for t in torch.where(torch.tensor(1.0))] == [[0]]


def test_nonzero_matches_pytorch(torch_ref):
    data = [[0.0, 1.0], [2.0, 0.0]]
    ours = torch.tensor(data).t().nonzero()
    theirs = torch_ref.tensor(data).t().nonzero()
    assert ours.tolist() == theirs.tolist()
    assert not torch.tensor(data, requires_grad=True).nonzero().requires_grad


def test_large_index_ops_are_linear_time():
    """A million-element gather, index and scatter_add finish quickly (no per-element index arithmetic blowup)."""
    n = 1 << 20
    x = torch.arange(float(n)).reshape(1024, 1024)
    index = torch.arange(1024).flip(0)
    assert x[index][0, 0].item() == float(n - 1024)
    assert x.gather(1, index.expand(1024, 1024).contiguous())[1, 0].item() == 2047.0
    assert torch.zeros(1024, 1024).index_add(0, index, x)[0, 5].item() == x[1023, 5].item()
    assert torch.zeros(1024, 1024).scatter_add(1, index.expand(1024, 1024), x)[3, 0].item() == x[3, 1023].item()
