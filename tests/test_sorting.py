"""sort, argsort, msort, topk, kthvalue and median: values, indices, ties,
NaN placement, errors and gradients, against PyTorch and finite differences."""

import numpy as np
import pytest

import ferrograd as torch
from error_compare import assert_same_error
from gradcheck import check_grad

RNG = np.random.default_rng(0)
SHAPES = [(5,), (3, 4), (2, 3, 4), ()]
# Ties, NaN in several places, negative zero against zero.
AWKWARD = np.array([[3.0, 1.0, np.nan, 1.0, 2.0, 3.0], [np.nan, 0.0, np.nan, 5.0, 5.0, -1.0], [-0.0, 0.0, 2.0, -0.0, 1.0, 0.0]], dtype=np.float32)


def same(ours, theirs):
    if isinstance(theirs, tuple):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            same(a, b)
        return
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


def dims(shape):
    return [-1, 0] if shape else [0]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_and_argsort_match_pytorch(torch_ref, shape, descending):
    a = RNG.standard_normal(shape).astype(np.float32)
    for dim in dims(shape):
        same(torch.sort(torch.tensor(a), dim=dim, descending=descending), torch_ref.sort(torch_ref.tensor(a), dim=dim, descending=descending))
        same(torch.tensor(a).argsort(dim, descending=descending), torch_ref.tensor(a).argsort(dim, descending=descending))
        same(torch.argsort(torch.tensor(a), dim, descending=descending), torch_ref.argsort(torch_ref.tensor(a), dim, descending=descending))
    same(torch.msort(torch.tensor(a)), torch_ref.msort(torch_ref.tensor(a)))
    same(torch.tensor(a).msort(), torch_ref.tensor(a).msort())


@pytest.mark.parametrize("descending", [False, True])
def test_stable_sort_keeps_ties_in_order_and_places_nan_as_pytorch(torch_ref, descending):
    same(torch.sort(torch.tensor(AWKWARD), descending=descending, stable=True),
         torch_ref.sort(torch_ref.tensor(AWKWARD), descending=descending, stable=True))
    ints = np.array([4, 1, 3, 1, 2, 4])
    same(torch.tensor(ints).sort(descending=descending, stable=True), torch_ref.tensor(ints).sort(descending=descending, stable=True))


@pytest.mark.parametrize("shape", [s for s in SHAPES if s])
def test_topk_kthvalue_and_median_along_a_dim_match_pytorch(torch_ref, shape):
    a = RNG.standard_normal(shape).astype(np.float32)
    x, t = torch.tensor(a), torch_ref.tensor(a)
    for dim in dims(shape):
        k = min(2, shape[dim])
        for largest in (True, False):
            same(x.topk(k, dim, largest=largest), t.topk(k, dim, largest=largest))
        for keepdim in (False, True):
            same(torch.kthvalue(x, k, dim, keepdim=keepdim), torch_ref.kthvalue(t, k, dim, keepdim=keepdim))
            same(torch.median(x, dim, keepdim=keepdim), torch_ref.median(t, dim, keepdim=keepdim))


def test_median_of_all_elements_and_with_nan(torch_ref):
    for a in (RNG.standard_normal((4, 5)).astype(np.float32), np.arange(6.0), AWKWARD):
        same(torch.median(torch.tensor(a)), torch_ref.median(torch_ref.tensor(a)))
    same(torch.median(torch.tensor(AWKWARD), 1), torch_ref.median(torch_ref.tensor(AWKWARD), 1))


def test_results_print_as_pytorch_named_tuples(torch_ref):
    assert repr(torch.sort(torch.tensor([2.0, 1.0]))) == repr(torch_ref.sort(torch_ref.tensor([2.0, 1.0])))
    values, indices = torch.topk(torch.tensor([1.0, 3.0, 2.0]), 2)
    assert values.tolist() == [3.0, 2.0] and indices.tolist() == [1, 2]


@pytest.mark.parametrize("call", [
    lambda m: m.topk(m.ones(3), 4),
    lambda m: m.kthvalue(m.ones(3), 0),
    lambda m: m.kthvalue(m.ones(3), 4),
    lambda m: m.sort(m.ones(3), dim=2),
    lambda m: m.median(m.ones(2, 0), 1),
])
def test_bad_arguments_raise_pytorch_errors(torch_ref, call):
    assert_same_error(torch_ref, torch, call)


@pytest.mark.parametrize("fn", [
    lambda x: torch.sort(x, 1, descending=True).values,
    lambda x: x.topk(3, 0).values,
    lambda x: torch.kthvalue(x, 2, 1).values,
    lambda x: torch.median(x, 0).values,
    lambda x: torch.median(x),
    lambda x: torch.msort(x),
])
def test_gradients_match_finite_differences(fn):
    # Distinct values, far apart: a finite step never reorders them.
    values = RNG.permutation(20).reshape(4, 5).astype(np.float64)
    check_grad(fn, [torch.tensor(values, requires_grad=True)])


def test_gradients_match_pytorch(torch_ref):
    a = RNG.standard_normal((3, 5))
    x, t = torch.tensor(a, requires_grad=True), torch_ref.tensor(a, requires_grad=True)
    (torch.sort(x, 1, descending=True).values * torch.arange(5.0)).sum().backward()
    (torch_ref.sort(t, 1, descending=True).values * torch_ref.arange(5.0)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())
