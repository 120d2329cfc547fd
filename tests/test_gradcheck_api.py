"""ferrograd.autograd.gradcheck / gradgradcheck, and first and second
derivatives of the foundation's ops through them."""

import pytest

import ferrograd as torch
from ferrograd.autograd import GradcheckError, gradcheck, gradgradcheck


def dbl(*shape, positive=False, seed=0):
    torch.manual_seed(seed)
    t = torch.rand(*shape, dtype=torch.double) + 0.5 if positive else torch.randn(*shape, dtype=torch.double)
    return t.requires_grad_()


CASES = [
    ("add", lambda a, b: a + b, lambda: (dbl(3, 1), dbl(1, 4, seed=1))),
    ("sub_scalar_left", lambda a: 2 - a, lambda: (dbl(3),)),
    ("mul", lambda a, b: a * b, lambda: (dbl(2, 3), dbl(3, seed=1))),
    ("div", lambda a, b: a / b, lambda: (dbl(2, 3), dbl(2, 3, positive=True, seed=1))),
    ("rdiv", lambda a: 3 / a, lambda: (dbl(4, positive=True),)),
    ("pow_scalar", lambda a: a ** 3, lambda: (dbl(4),)),
    ("pow_tensor", lambda a, b: a ** b, lambda: (dbl(3, positive=True), dbl(3, seed=1))),
    ("rpow", lambda a: 2 ** a, lambda: (dbl(3),)),
    ("neg", lambda a: -a, lambda: (dbl(3),)),
    ("exp", lambda a: a.exp(), lambda: (dbl(3),)),
    ("log", lambda a: a.log(), lambda: (dbl(3, positive=True),)),
    ("sqrt", lambda a: a.sqrt(), lambda: (dbl(3, positive=True),)),
    ("tanh", lambda a: a.tanh(), lambda: (dbl(2, 2),)),
    ("sigmoid", lambda a: a.sigmoid(), lambda: (dbl(2, 2),)),
    ("abs", lambda a: a.abs(), lambda: (dbl(3, positive=True) - 2.2,)),
    ("sum_dim", lambda a: a.sum(dim=1, keepdim=True), lambda: (dbl(2, 3),)),
    ("mean", lambda a: a.mean(), lambda: (dbl(2, 3),)),
    ("mean_dim", lambda a: a.mean(-1), lambda: (dbl(2, 3),)),
    ("matmul", lambda a, b: a @ b, lambda: (dbl(2, 3), dbl(3, 4, seed=1))),
    ("matmul_transposed", lambda a, b: a.t() @ b, lambda: (dbl(3, 2), dbl(3, 4, seed=1))),
]


def leafs(make):
    return tuple(t.detach().requires_grad_() for t in make())


@pytest.mark.parametrize("fn, make", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_first_derivatives(fn, make):
    assert gradcheck(fn, leafs(make))


@pytest.mark.parametrize("fn, make", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_second_derivatives(fn, make):
    assert gradgradcheck(fn, leafs(make))


def test_third_derivative_of_a_cube():
    x = torch.tensor(2.0, requires_grad=True)
    (g,) = torch.autograd.grad(x ** 3, x, create_graph=True)
    (g2,) = torch.autograd.grad(g, x, create_graph=True)
    (g3,) = torch.autograd.grad(g2, x)
    assert (g.item(), g2.item(), g3.item()) == (12.0, 12.0, 6.0)


def test_a_wrong_gradient_is_reported():
    x = dbl(3)
    wrong = lambda a: a * a.detach()  # noqa: E731 - the detach hides half the derivative
    assert gradcheck(wrong, (x,), raise_exception=False) is False
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradcheck(wrong, (x,))
    assert issubclass(GradcheckError, RuntimeError)


def test_single_precision_inputs_warn():
    x = torch.randn(3, requires_grad=True)
    with pytest.warns(UserWarning, match="not a double precision"):
        gradcheck(lambda a: a * 2, (x,), eps=1e-2, atol=1e-2, rtol=1e-2)


def test_no_input_requiring_grad_is_an_error():
    with pytest.raises(ValueError):
        gradcheck(lambda a: a * 2, (torch.ones(2, dtype=torch.double),))


def test_non_contiguous_leaf_is_checked_in_place():
    x = dbl(3, 2).detach().t().requires_grad_()
    assert not x.is_contiguous()
    assert gradcheck(lambda a: (a * a).sum(), (x,))


def test_agrees_with_pytorch(torch_ref):
    ours = gradcheck(lambda a, b: (a @ b).tanh(), (dbl(2, 3), dbl(3, 2, seed=1)))
    a = torch_ref.randn(2, 3, dtype=torch_ref.double, requires_grad=True)
    b = torch_ref.randn(3, 2, dtype=torch_ref.double, requires_grad=True)
    theirs = torch_ref.autograd.gradcheck(lambda a, b: (a @ b).tanh(), (a, b))
    assert ours == theirs is True
