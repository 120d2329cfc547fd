"""torch.autograd.functional: vjp, jvp, jacobian, hessian, vhp, hvp."""

import numpy as np
import pytest

import ferrograd as torch
from ferrograd.autograd import functional as F


def f_vec(x, w):
    return (x * w).tanh() * 2 + x ** 2


def f_scalar(x):
    return (x.exp() * x.sin() if hasattr(x, "sin") else x.exp() * x).sum()


def scalar_fn(x):
    return (x ** 3).sum() + (x[0] * x[1])


def inputs(T, seed=0):
    rng = np.random.default_rng(seed)
    x = T.tensor(rng.standard_normal(3).tolist(), dtype=T.float64)
    w = T.tensor(rng.standard_normal(3).tolist(), dtype=T.float64)
    v = T.tensor(rng.standard_normal(3).tolist(), dtype=T.float64)
    return x, w, v


def jacobian_numpy(x, w):
    """d f_vec / dx and / dw in closed form (diagonal)."""
    t = np.tanh(x * w)
    return np.diag(2 * (1 - t ** 2) * w + 2 * x), np.diag(2 * (1 - t ** 2) * x)


def test_vjp_and_jvp_match_closed_form():
    x, w, v = inputs(torch)
    jx, jw = jacobian_numpy(np.array(x.tolist()), np.array(w.tolist()))
    out, (gx, gw) = F.vjp(f_vec, (x, w), v)
    assert np.allclose(gx.tolist(), np.array(v.tolist()) @ jx)
    assert np.allclose(gw.tolist(), np.array(v.tolist()) @ jw)
    out2, jv = F.jvp(lambda a: f_vec(a, w), x, v)
    assert np.allclose(jv.tolist(), jx @ np.array(v.tolist()))
    assert np.allclose(out.tolist(), out2.tolist())
    assert not jv.requires_grad and not out.requires_grad


def test_vhp_and_hvp_of_a_cubic():
    x, _, v = inputs(torch)
    xs, vs = np.array(x.tolist()), np.array(v.tolist())
    hessian = np.diag(6 * xs)
    hessian[0, 1] = hessian[1, 0] = 1.0
    _, hv = F.hvp(scalar_fn, x, v)
    _, vh = F.vhp(scalar_fn, x, v)
    assert np.allclose(hv.tolist(), hessian @ vs)
    assert np.allclose(vh.tolist(), vs @ hessian)


def test_create_graph_keeps_results_differentiable():
    x, _, v = inputs(torch)
    x.requires_grad_()
    _, g = F.vjp(lambda a: (a ** 3).sum(), x, create_graph=True)
    assert g.requires_grad
    (gg,) = torch.autograd.grad(g.sum(), x)
    assert np.allclose(gg.tolist(), 6 * np.array(x.tolist()))


def test_v_must_match_output_shape():
    x, w, _ = inputs(torch)
    with pytest.raises(RuntimeError, match="invalid size"):
        F.vjp(f_vec, (x, w), torch.ones(2, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="can only be None"):
        F.vjp(f_vec, (x, w))


@pytest.mark.parametrize("name", ["vjp", "jvp", "vhp", "hvp"])
def test_products_match_pytorch(name, torch_ref):
    def run(T, mod):
        x, w, v = inputs(T)
        if name in ("vjp", "jvp"):
            return getattr(mod, name)(lambda a: f_vec(a, w), x, v)[1].tolist()
        return getattr(mod, name)(lambda a: (a ** 3).sum() + a[0] * a[1], x, v)[1].tolist()

    assert np.allclose(run(torch, F), run(torch_ref, torch_ref.autograd.functional))


def test_jacobian_and_hessian_match_closed_form():
    x, w, _ = inputs(torch)
    jx, jw = jacobian_numpy(np.array(x.tolist()), np.array(w.tolist()))
    jac = F.jacobian(f_vec, (x, w))
    assert np.allclose(jac[0].tolist(), jx) and np.allclose(jac[1].tolist(), jw)
    single = F.jacobian(lambda a: f_vec(a, w), x)
    assert tuple(single.shape) == (3, 3) and np.allclose(single.tolist(), jx)
    xs = np.array(x.tolist())
    expected = np.diag(6 * xs)
    expected[0, 1] = expected[1, 0] = 1.0
    assert np.allclose(F.hessian(scalar_fn, x).tolist(), expected)


def test_jacobian_shapes_for_tuples_match_pytorch(torch_ref):
    def run(T, mod):
        x, w, _ = inputs(T)
        jac = mod.jacobian(lambda a, b: (a * b, (a + b).sum()), (x, w))
        return [[tuple(j.shape) for j in row] for row in jac], jac[0][1].tolist()

    ours, theirs = run(torch, F), run(torch_ref, torch_ref.autograd.functional)
    assert ours[0] == theirs[0]
    assert np.allclose(ours[1], theirs[1])


def test_hessian_with_create_graph_is_differentiable():
    x, _, _ = inputs(torch)
    h = F.hessian(lambda a: (a ** 3).sum(), x, create_graph=True)
    assert h.requires_grad
