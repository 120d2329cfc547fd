"""The finite-difference helper itself: it must accept right gradients and
reject wrong ones, or every test built on it proves nothing."""

import math

import pytest

import ferrograd as torch
from gradcheck import (check_grad, flatten, jacobians_match, nest,
                       numerical_jacobian)

X = [0.3, -1.2, 0.8, 2.0]


def leaf(values):
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def tanh_times_x(x):
    return x.tanh() * x


def diagonal(entries):
    n = len(entries)
    return [[entries[i] if i == j else 0.0 for j in range(n)] for i in range(n)]


def test_flatten_and_nest_round_trip():
    shape = (2, 3, 2)
    flat = [float(i) for i in range(12)]
    nested = nest(flat, shape)
    assert len(nested) == 2 and len(nested[0]) == 3 and len(nested[0][0]) == 2
    assert flatten(nested) == flat
    assert nest([4.0], ()) == 4.0
    assert flatten(torch.tensor(nested).tolist()) == flat


def test_numerical_jacobian_of_square_is_diagonal():
    (jac,) = numerical_jacobian(lambda x: x * x, [leaf(X)])
    assert len(jac) == len(X) and all(len(row) == len(X) for row in jac)
    assert jacobians_match([jac], [diagonal([2 * v for v in X])], atol=1e-7, rtol=1e-7)


def test_numerical_jacobian_shapes_follow_output_and_inputs():
    a = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = leaf([0.5, -0.5, 2.0])
    jac_a, jac_b = numerical_jacobian(lambda p, q: (p * q).sum(dim=1), [a, b])
    assert len(jac_a) == 2 and len(jac_a[0]) == 6
    assert len(jac_b) == 2 and len(jac_b[0]) == 3
    # d out_0 / d b_j = a[0][j]
    assert all(math.isclose(g, e, abs_tol=1e-7) for g, e in zip(jac_b[0], [1.0, 2.0, 3.0]))


def test_numerical_jacobian_accepts_the_right_matrix_and_rejects_a_wrong_one():
    (jac,) = numerical_jacobian(tanh_times_x, [leaf(X)])
    right = diagonal([math.tanh(v) + v * (1 - math.tanh(v) ** 2) for v in X])
    forgot_product_rule = diagonal([1 - math.tanh(v) ** 2 for v in X])
    assert jacobians_match([jac], [right])
    assert not jacobians_match([jac], [forgot_product_rule])


def test_jacobians_match_rejects_small_but_real_errors():
    (jac,) = numerical_jacobian(tanh_times_x, [leaf(X)])
    right = diagonal([math.tanh(v) + v * (1 - math.tanh(v) ** 2) for v in X])
    off = [row[:] for row in right]
    off[2][2] *= 1.01
    assert not jacobians_match([jac], [off])


def test_check_grad_passes_on_correct_graphs():
    a = leaf([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    b = leaf([[1.0, 2.0], [-1.0, 0.5], [0.3, 0.7]])
    check_grad(lambda x: x * x + x, [leaf(X)])
    check_grad(lambda p, q: (p @ q).tanh(), [a, b])


def test_check_grad_rejects_a_gradient_cut_by_detach():
    # autograd sees d/dx [x * const] = const = x, the true derivative is 2x.
    with pytest.raises(AssertionError, match="gradient check failed"):
        check_grad(lambda x: x * x.detach(), [leaf(X)])


def test_check_grad_rejects_an_input_autograd_never_reaches():
    a = leaf([1.0, 2.0, 3.0])
    b = leaf([0.5, 1.5, -2.0])
    with pytest.raises(AssertionError, match="input 1"):
        check_grad(lambda p, q: p * q.detach(), [a, b])


def test_check_grad_does_not_modify_its_inputs():
    x = leaf(X)
    check_grad(lambda t: t.exp(), [x])
    assert x.tolist() == X
    assert x.grad is None
