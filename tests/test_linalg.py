"""Matrix products: matmul over 1-D/2-D/batched operands, mm, bmm, mv, dot,
outer, addmm, einsum and linear — values, gradients, grad_fn names, errors."""

import numpy as np
import pytest

import ferrograd as torch
from ferrograd._linalg import linear
from ferrograd.autograd import gradcheck

MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (5, 3, 4)),
    ((5, 2, 3), (3, 4)), ((5, 2, 3), (3,)), ((3,), (5, 3, 4)), ((2, 1, 2, 3), (5, 3, 4)), ((2, 3), (5, 3, 4)),
]


def rand(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def leaf(a):
    return torch.tensor(a.tolist(), dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES, ids=str)
def test_matmul_values_and_gradients(sa, sb):
    a, b = rand(sa, 0), rand(sb, 1)
    ours = leaf(a) @ leaf(b)
    assert np.allclose(np.array(ours.tolist()), a @ b)
    assert gradcheck(lambda x, y: x @ y, (leaf(a), leaf(b)))


@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES, ids=str)
def test_matmul_grad_fn_names_match_pytorch(sa, sb, torch_ref):
    if (sa, sb) == ((2, 3), (5, 3, 4)):
        pytest.skip("PyTorch takes a transposing route here (CloneBackward0); values still match")
    a, b = rand(sa, 0), rand(sb, 1)
    ours = (leaf(a) @ leaf(b)).grad_fn
    theirs = (torch_ref.tensor(a, requires_grad=True) @ torch_ref.tensor(b)).grad_fn
    assert type(ours).__name__ == type(theirs).__name__


def test_transposed_operands_need_no_copy_and_are_right():
    a, b = rand((3, 2), 0), rand((4, 3), 1)
    x, y = leaf(a), leaf(b)
    assert np.allclose(np.array((x.t() @ y.t()).tolist()), a.T @ b.T)
    assert gradcheck(lambda p, q: p.t() @ q.t(), (x, y))


@pytest.mark.parametrize("name, fn, shapes", [
    ("bmm", lambda a, b: a.bmm(b), ((2, 3, 4), (2, 4, 5))),
    ("dot", lambda a, b: torch.dot(a, b), ((4,), (4,))),
    ("mv", lambda a, b: torch.mv(a, b), ((3, 4), (4,))),
    ("outer", lambda a, b: torch.outer(a, b), ((3,), (2,))),
    ("addmm", lambda a, b: torch.addmm(a.sum(0), b, b.t()), ((3, 3), (3, 2))),
    ("linear", lambda a, b: linear(a, b, b.sum(1)), ((4, 3), (2, 3))),
    ("linear_3d", lambda a, b: linear(a, b), ((5, 4, 3), (2, 3))),
], ids=lambda v: v if isinstance(v, str) else "")
def test_products_gradcheck(name, fn, shapes):
    assert gradcheck(fn, tuple(leaf(rand(s, i)) for i, s in enumerate(shapes)))


def test_linear_uses_addmm_like_pytorch():
    y = linear(torch.ones(4, 3, requires_grad=True), torch.ones(2, 3, requires_grad=True), torch.ones(2, requires_grad=True))
    assert type(y.grad_fn).__name__ == "AddmmBackward0"
    assert y.tolist() == [[4.0, 4.0]] * 4


@pytest.mark.parametrize("equation, shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("i,i->", [(5,), (5,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij->ji", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ij,kj->ik", [(2, 3), (4, 3)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ij,jk", [(2, 3), (3, 4)]),
])
def test_einsum_matches_numpy_and_gradcheck(equation, shapes):
    arrays = [rand(s, i) for i, s in enumerate(shapes)]
    ours = torch.einsum(equation, *[leaf(a) for a in arrays])
    assert np.allclose(np.array(ours.tolist()), np.einsum(equation, *arrays))
    assert gradcheck(lambda *t: torch.einsum(equation, *t), tuple(leaf(a) for a in arrays))


@pytest.mark.parametrize("fn, phrase", [
    (lambda: torch.ones(2, 3) @ torch.ones(4, 5), "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    (lambda: torch.bmm(torch.ones(2, 3, 4), torch.ones(3, 4, 5)), "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [3, 4]."),
    (lambda: torch.dot(torch.ones(3), torch.ones(4)), "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, but got 3 and 4 elements respectively"),
    (lambda: torch.mv(torch.ones(2, 3), torch.ones(4)), "size mismatch, got input (2), mat (2x3), vec (4)"),
    (lambda: torch.tensor(1.0) @ torch.ones(2), "both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
])
def test_errors_use_pytorch_phrases(fn, phrase):
    with pytest.raises(RuntimeError) as info:
        fn()
    assert phrase in str(info.value)
