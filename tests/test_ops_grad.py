"""One row per differentiable operation: forward values against a numpy
reference, gradients against finite differences (float64), and both against
PyTorch when it is installed (float32).

Each row is ``(name, fn, inputs, domain)``.  ``fn(lib, *tensors)`` writes the
expression once for every library (``lib`` is ferrograd, PyTorch or the numpy
reference, for the function forms such as ``lib.matmul``).  An input is a
shape, or ``t(shape)`` for a non-contiguous input: a leaf of the transposed
shape passed through ``.t()``.  ``domain`` keeps inputs away from poles and
kinks: "any" in [-2, 2], "pos" in [0.5, 2], "nz" in +-[0.5, 2]; a tuple gives
one domain per input.
"""

import zlib

import numpy as np
import pytest

import ferrograd as torch
from gradcheck import check_grad, flatten, nest
from op_table import apply, input_data, run_float32, t, v


ROWS = [
    # add
    ("add", lambda L, a, b: a + b, [(3, 4), (3, 4)], "any"),
    ("add_bcast_col_row", lambda L, a, b: a + b, [(3, 1), (1, 4)], "any"),
    ("add_bcast_vec", lambda L, a, b: a + b, [(2, 3), (3,)], "any"),
    ("add_bcast_0d", lambda L, a, b: a + b, [(), (2, 3)], "any"),
    ("add_noncontig", lambda L, a, b: a + b, [t(3, 4), (3, 4)], "any"),
    ("add_scalar", lambda L, a: a + 1.5, [(2, 3)], "any"),
    ("radd_scalar", lambda L, a: 1.5 + a, [(2, 3)], "any"),
    ("torch_add", lambda L, a, b: L.add(a, b), [(2, 3), (3,)], "any"),
    ("torch_add_scalar", lambda L, a: L.add(a, 2.0), [(2, 3)], "any"),
    # sub
    ("sub", lambda L, a, b: a - b, [(3, 4), (3, 4)], "any"),
    ("sub_bcast_col_row", lambda L, a, b: a - b, [(3, 1), (1, 4)], "any"),
    ("sub_bcast_vec", lambda L, a, b: a - b, [(2, 3), (3,)], "any"),
    ("sub_noncontig", lambda L, a, b: a - b, [(3, 4), t(3, 4)], "any"),
    ("sub_scalar", lambda L, a: a - 2.0, [(2, 3)], "any"),
    ("rsub_scalar", lambda L, a: 2.0 - a, [(2, 3)], "any"),
    # mul
    ("mul", lambda L, a, b: a * b, [(3, 4), (3, 4)], "any"),
    ("mul_bcast_col_row", lambda L, a, b: a * b, [(3, 1), (1, 4)], "any"),
    ("mul_bcast_vec", lambda L, a, b: a * b, [(2, 3), (3,)], "any"),
    ("mul_noncontig_both", lambda L, a, b: a * b, [t(3, 4), t(3, 4)], "any"),
    ("mul_scalar", lambda L, a: a * 3.0, [(2, 3)], "any"),
    ("rmul_scalar", lambda L, a: 3.0 * a, [(2, 3)], "any"),
    ("mul_self", lambda L, a: a * a, [(2, 3)], "any"),
    ("torch_mul", lambda L, a, b: L.mul(a, b), [(3, 1), (1, 4)], "any"),
    ("torch_mul_scalar", lambda L, a: L.mul(a, -0.5), [(2, 3)], "any"),
    # div
    ("div", lambda L, a, b: a / b, [(3, 4), (3, 4)], ("any", "nz")),
    ("div_bcast_col_row", lambda L, a, b: a / b, [(3, 1), (1, 4)], ("any", "nz")),
    ("div_bcast_vec", lambda L, a, b: a / b, [(2, 3), (3,)], ("any", "nz")),
    ("div_noncontig", lambda L, a, b: a / b, [t(3, 4), (3, 4)], ("any", "nz")),
    ("div_scalar", lambda L, a: a / 2.0, [(2, 3)], "any"),
    ("rdiv_scalar", lambda L, a: 2.0 / a, [(2, 3)], "nz"),
    # pow
    ("pow_2", lambda L, a: a ** 2, [(2, 3)], "any"),
    ("pow_3", lambda L, a: a ** 3, [(2, 3)], "any"),
    ("pow_half", lambda L, a: a ** 0.5, [(2, 3)], "pos"),
    ("pow_negative", lambda L, a: a ** -1.5, [(2, 3)], "pos"),
    ("pow_tensor", lambda L, a, b: a ** b, [(2, 3), (2, 3)], ("pos", "any")),
    ("pow_tensor_bcast", lambda L, a, b: a ** b, [(2, 3), (3,)], ("pos", "any")),
    ("rpow_scalar", lambda L, a: 2.0 ** a, [(2, 3)], "any"),
    ("pow_noncontig", lambda L, a: a ** 2, [t(3, 4)], "any"),
    # Tensor exponents at zero and negative bases (integer exponents, where x ** y is smooth in x).
    ("pow_tensor_negative_bases", lambda L, a: a ** L.tensor([2.0, 3.0, -1.0, -2.0, 0.0, 1.0]),
     [v([-1.5, -2.0, -0.5, -1.25, -0.75, -3.0])], "any"),
    ("pow_tensor_zero_bases", lambda L, a: a ** L.tensor([2.0, 3.0, 1.0, 0.0, 4.0, 2.0]),
     [v([0.0, 0.0, 0.0, 0.0, -0.0, 1.5])], "any"),
    # unary
    ("neg", lambda L, a: -a, [(2, 3)], "any"),
    ("exp", lambda L, a: a.exp(), [(2, 3)], "any"),
    ("exp_noncontig", lambda L, a: a.exp(), [t(3, 4)], "any"),
    ("log", lambda L, a: a.log(), [(2, 3)], "pos"),
    ("sqrt", lambda L, a: a.sqrt(), [(2, 3)], "pos"),
    ("tanh", lambda L, a: a.tanh(), [(2, 3)], "any"),
    ("tanh_noncontig", lambda L, a: a.tanh(), [t(3, 4)], "any"),
    ("sigmoid", lambda L, a: a.sigmoid(), [(2, 3)], "any"),
    ("relu", lambda L, a: a.relu(), [(2, 3)], "nz"),
    ("abs", lambda L, a: a.abs(), [(2, 3)], "nz"),
    ("unary_0d", lambda L, a: a.tanh().exp(), [()], "any"),
    # sum
    ("sum", lambda L, a: a.sum(), [(2, 3)], "any"),
    ("sum_dim0", lambda L, a: a.sum(dim=0), [(2, 3)], "any"),
    ("sum_dim1_keepdim", lambda L, a: a.sum(dim=1, keepdim=True), [(2, 3)], "any"),
    ("sum_negative_dim", lambda L, a: a.sum(dim=-1), [(2, 3)], "any"),
    ("sum_positional_dim_keepdim", lambda L, a: a.sum(-2, True), [(2, 3)], "any"),
    ("sum_3d_middle", lambda L, a: a.sum(dim=1), [(2, 3, 4)], "any"),
    ("sum_noncontig", lambda L, a: a.sum(dim=0), [t(3, 4)], "any"),
    ("torch_sum", lambda L, a: L.sum(a), [(2, 3)], "any"),
    ("torch_sum_dim", lambda L, a: L.sum(a, dim=1), [(2, 3)], "any"),
    # mean
    ("mean", lambda L, a: a.mean(), [(2, 3)], "any"),
    ("mean_dim0", lambda L, a: a.mean(dim=0), [(2, 3)], "any"),
    ("mean_dim1_keepdim", lambda L, a: a.mean(dim=1, keepdim=True), [(2, 3)], "any"),
    ("mean_negative_dim", lambda L, a: a.mean(dim=-1), [(2, 3, 4)], "any"),
    ("mean_negative_dim_keepdim", lambda L, a: a.mean(-3, keepdim=True), [(2, 3, 4)], "any"),
    ("mean_noncontig", lambda L, a: a.mean(dim=1), [t(3, 4)], "any"),
    ("torch_mean", lambda L, a: L.mean(a), [(2, 3)], "any"),
    # matmul
    ("matmul", lambda L, a, b: a @ b, [(2, 3), (3, 4)], "any"),
    ("matmul_fn", lambda L, a, b: L.matmul(a, b), [(2, 3), (3, 4)], "any"),
    ("matmul_outer", lambda L, a, b: a @ b, [(4, 1), (1, 3)], "any"),
    ("matmul_inner", lambda L, a, b: a @ b, [(1, 5), (5, 1)], "any"),
    ("matmul_noncontig_left", lambda L, a, b: a @ b, [t(2, 3), (3, 4)], "any"),
    ("matmul_noncontig_right", lambda L, a, b: a @ b, [(2, 3), t(3, 4)], "any"),
    ("matmul_noncontig_both", lambda L, a, b: L.matmul(a, b), [t(2, 3), t(3, 4)], "any"),
    ("matmul_t_method", lambda L, a, b: a @ b.t(), [(2, 3), (4, 3)], "any"),
    ("matmul_T_property", lambda L, a, b: a.T @ b, [(3, 2), (3, 4)], "any"),
    # compositions
    ("mse", lambda L, b, w, x: ((x * 2 + 1 - (b + w * x)) ** 2).mean(), [(1,), (1,), (5, 1)], "any"),
    ("mlp_layer", lambda L, x, w, b: ((x @ w + b).tanh() * 2 + 1).sigmoid().sum(),
     [(3, 4), (4, 2), (2,)], "any"),
    ("polynomial", lambda L, x: 2 * x ** 4 + x ** 3 + 3 * x ** 2 + 5 * x + 1, [(3,)], "any"),
    ("softplus_like", lambda L, x: (x.exp() + 1).log().sum(dim=1), [(2, 3)], "any"),
    ("normalize", lambda L, x: x / (x * x + 1).sqrt(), [(2, 3)], "any"),
    ("shared_subexpression", lambda L, x, y: (x * y).exp() * (x * y) - x / (y * y + 1),
     [(2, 3), (3,)], "any"),
    ("relu_abs_mix", lambda L, x, y: (x.relu() - y.abs()).sum(dim=0, keepdim=True) * x,
     [(2, 3), (2, 3)], "nz"),
    ("mean_of_matmul_noncontig", lambda L, a, b: (a @ b).mean(dim=0) - a.sum(), [t(3, 2), (2, 3)], "any"),
]

IDS = [row[0] for row in ROWS]
ROW_ARGS = [row[1:] for row in ROWS]



# --- numpy reference for forward values -------------------------------------------

class Ref:
    """Just enough of the tensor API over a float64 numpy array."""

    def __init__(self, a):
        self.a = np.asarray(a, dtype=np.float64)

    @staticmethod
    def _v(other):
        return other.a if isinstance(other, Ref) else other

    def __add__(self, o): return Ref(self.a + self._v(o))
    def __radd__(self, o): return Ref(self._v(o) + self.a)
    def __sub__(self, o): return Ref(self.a - self._v(o))
    def __rsub__(self, o): return Ref(self._v(o) - self.a)
    def __mul__(self, o): return Ref(self.a * self._v(o))
    def __rmul__(self, o): return Ref(self._v(o) * self.a)
    def __truediv__(self, o): return Ref(self.a / self._v(o))
    def __rtruediv__(self, o): return Ref(self._v(o) / self.a)
    def __pow__(self, o): return Ref(self.a ** self._v(o))
    def __rpow__(self, o): return Ref(self._v(o) ** self.a)
    def __matmul__(self, o): return Ref(self.a @ self._v(o))
    def __neg__(self): return Ref(-self.a)
    def exp(self): return Ref(np.exp(self.a))
    def log(self): return Ref(np.log(self.a))
    def sqrt(self): return Ref(np.sqrt(self.a))
    def tanh(self): return Ref(np.tanh(self.a))
    def sigmoid(self): return Ref(1.0 / (1.0 + np.exp(-self.a)))
    def relu(self): return Ref(np.maximum(self.a, 0.0))
    def abs(self): return Ref(np.abs(self.a))
    def sum(self, dim=None, keepdim=False): return Ref(self.a.sum(axis=dim, keepdims=keepdim))
    def mean(self, dim=None, keepdim=False): return Ref(self.a.mean(axis=dim, keepdims=keepdim))
    def t(self): return Ref(self.a.T)

    @property
    def T(self):
        return Ref(self.a.T)


class RefLib:
    tensor = staticmethod(lambda values: np.asarray(values, dtype=np.float64))
    add = staticmethod(lambda a, b: a + b)
    mul = staticmethod(lambda a, b: a * b)
    matmul = staticmethod(lambda a, b: a @ b)
    sum = staticmethod(lambda a, dim=None, keepdim=False: a.sum(dim, keepdim))
    mean = staticmethod(lambda a, dim=None, keepdim=False: a.mean(dim, keepdim))


# --- the three checks per row ---------------------------------------------------------

@pytest.mark.parametrize("fn, specs, domain", ROW_ARGS, ids=IDS)
def test_forward_matches_numpy(request, fn, specs, domain):
    name = request.node.callspec.id
    data = input_data(name, specs, domain)
    ours = apply(fn, torch, data, [torch.tensor(nest(v, s), dtype=torch.float64) for v, s, _ in data])
    ref = apply(fn, RefLib, data, [Ref(np.reshape(v, s)) for v, s, _ in data])
    assert tuple(ours.shape) == ref.a.shape
    assert ours.dtype == torch.float64
    np.testing.assert_allclose(flatten(ours.tolist()), ref.a.ravel(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fn, specs, domain", ROW_ARGS, ids=IDS)
def test_gradient_matches_finite_differences(request, fn, specs, domain):
    name = request.node.callspec.id
    data = input_data(name, specs, domain)
    inputs = [torch.tensor(nest(v, s), dtype=torch.float64, requires_grad=True) for v, s, _ in data]
    check_grad(lambda *xs: apply(fn, torch, data, xs), inputs,
               seed=zlib.crc32(name.encode()))



@pytest.mark.parametrize("fn, specs, domain", ROW_ARGS, ids=IDS)
def test_matches_pytorch(request, torch_ref, fn, specs, domain):
    name = request.node.callspec.id
    data = input_data(name, specs, domain)
    shape, out, grads, grad_fn = run_float32(torch, fn, data, name)
    ref_shape, ref_out, ref_grads, ref_grad_fn = run_float32(torch_ref, fn, data, name)
    assert shape == ref_shape
    assert grad_fn == ref_grad_fn
    np.testing.assert_allclose(out, ref_out, rtol=1e-5, atol=1e-6)
    for g, rg in zip(grads, ref_grads):
        np.testing.assert_allclose(g, rg, rtol=1e-5, atol=1e-6)


# --- subgradients at kinks, as PyTorch chooses them ----------------------------------------

KINKS = [
    ("relu", lambda x: x.relu(), [0.0, 0.0, 1.0, 0.0]),
    ("abs", lambda x: x.abs(), [-1.0, 0.0, 1.0, 0.0]),
]
KINK_X = [-1.5, 0.0, 2.0, -0.0]


@pytest.mark.parametrize("fn, expected", [r[1:] for r in KINKS], ids=[r[0] for r in KINKS])
def test_subgradient_at_zero(fn, expected):
    x = torch.tensor(KINK_X, requires_grad=True)
    fn(x).sum().backward()
    assert x.grad.tolist() == expected


@pytest.mark.parametrize("fn", [r[1] for r in KINKS], ids=[r[0] for r in KINKS])
def test_subgradient_at_zero_matches_pytorch(torch_ref, fn):
    x = torch.tensor(KINK_X, requires_grad=True)
    fn(x).sum().backward()
    r = torch_ref.tensor(KINK_X, requires_grad=True)
    fn(r).sum().backward()
    assert x.grad.tolist() == r.grad.tolist()


def test_pow_2_at_zero_has_zero_gradient():
    x = torch.tensor([0.0, 1.0], requires_grad=True)
    (x ** 2).sum().backward()
    assert x.grad.tolist() == [0.0, 2.0]


# Bases 0, negative and positive against exponents 0, integers and
# non-integers, both signs: the edges where x ** y and its gradients are
# 0, inf or NaN (PyTorch zeroes the exponent term where x == 0 and y >= 0).
POW_BASES = [0.0, -0.0, -2.0, -1.5, 0.5, 3.0]
POW_EXPONENTS = [0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, -0.5, 1.5]


def _pow_grads(L, same):
    pairs = [(b, e) for b in POW_BASES for e in POW_EXPONENTS]
    x = L.tensor([b for b, _ in pairs], requires_grad=True)
    y = L.tensor([e for _, e in pairs], requires_grad=True)
    if same:
        out = x ** x
        out.sum().backward()
        return out.tolist(), x.grad.tolist()
    out = x ** y
    out.sum().backward()
    return out.tolist(), x.grad.tolist(), y.grad.tolist()


@pytest.mark.parametrize("same", [False, True], ids=["x_pow_y", "x_pow_x"])
def test_tensor_pow_at_zero_and_negative_bases_matches_pytorch(torch_ref, same):
    ours, theirs = _pow_grads(torch, same), _pow_grads(torch_ref, same)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-6, equal_nan=True)


def test_integer_pow_edges_match_pytorch(torch_ref):
    def run(L):
        base = L.tensor([0, 1, -1, 2, -2, 5, -1, 1, 3])
        expo = L.tensor([0, -1, -1, -1, -2, -3, -2, -5, 40])
        out = [(base ** expo).tolist(), (base ** 0).tolist(), (base ** 3).tolist(), (L.tensor([2, 3]) ** L.tensor(-1)).tolist()]
        try:
            base ** -1
        except RuntimeError as e:
            out.append(str(e))
        return out

    ours, theirs = run(torch), run(torch_ref)
    assert theirs[-1] == "Integers to negative integer powers are not allowed."
    assert ours == theirs


def test_gradients_keep_leaf_shapes_under_broadcasting():
    a = torch.ones(3, 1, requires_grad=True)
    b = torch.ones(1, 4, requires_grad=True)
    c = torch.ones(4, requires_grad=True)
    (a * b + c).sum().backward()
    assert tuple(a.grad.shape) == (3, 1) and a.grad.tolist() == [[4.0], [4.0], [4.0]]
    assert tuple(b.grad.shape) == (1, 4) and b.grad.tolist() == [[3.0] * 4]
    assert tuple(c.grad.shape) == (4,) and c.grad.tolist() == [3.0] * 4


def test_gradient_of_transposed_leaf_has_leaf_layout():
    a = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    w = torch.tensor([[1.0, 10.0], [100.0, 1000.0], [0.5, 0.25]])
    (a.t() * w).sum().backward()
    assert tuple(a.grad.shape) == (2, 3)
    assert a.grad.tolist() == [[1.0, 100.0, 0.5], [10.0, 1000.0, 0.25]]
