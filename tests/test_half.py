"""float16 / bfloat16: storage, casting both ways, printing, numpy, and their
arithmetic against PyTorch, which on CPU computes each op in float32 and
rounds the result to the half type once (reductions accumulate in float32).

Elementwise results must be bit-identical to PyTorch's. Reductions and
matrix products may add in another order, so they are compared within a
couple of units in the last place of the half type (HALF_RTOL)."""

import struct

import math

import numpy as np
import pytest

import ferrograd as torch

VALUES = [1.0, 2.5, -3.25, 1e-3, 65504.0, 1e5, -0.0, 3.14159]


def bfloat16_round(v):
    """Round-to-nearest-even of a float32 to its top 16 bits."""
    bits = struct.unpack("<I", struct.pack("<f", v))[0]
    bits += 0x7FFF + ((bits >> 16) & 1)
    return struct.unpack("<f", struct.pack("<I", (bits >> 16) << 16))[0]


def test_float16_values_round_like_numpy():
    h = torch.tensor(VALUES).half()
    assert h.dtype is torch.float16 and torch.half is torch.float16
    with np.errstate(over="ignore"):  # 1e5 is past float16's range: inf, as in PyTorch
        expected = np.array(VALUES, dtype=np.float32).astype(np.float16).astype(np.float64)
    assert h.tolist() == expected.tolist()
    assert h.float().tolist() == expected.tolist()


def test_bfloat16_values_round_to_nearest_even():
    b = torch.tensor(VALUES).bfloat16()
    assert b.dtype is torch.bfloat16
    assert b.tolist() == [bfloat16_round(v) for v in np.array(VALUES, dtype=np.float32).tolist()]


def test_dtype_objects_and_creation():
    assert torch.float16.itemsize == 2 and torch.bfloat16.is_floating_point
    assert torch.zeros(2, dtype=torch.float16).tolist() == [0.0, 0.0]
    assert torch.ones(2, dtype=torch.bfloat16).dtype is torch.bfloat16
    assert torch.arange(3, dtype=torch.float16).tolist() == [0.0, 1.0, 2.0]
    assert torch.tensor([0.5], dtype=torch.float16).to(torch.float64).dtype is torch.float64
    assert torch.tensor([1.0], dtype=torch.float16).type_as(torch.zeros(1)).dtype is torch.float32


def test_promotion_between_halves_goes_to_float32():
    h = torch.ones(2, dtype=torch.float16)
    b = torch.ones(2, dtype=torch.bfloat16)
    assert (h.float() + b).dtype is torch.float32
    assert (torch.ones(2, dtype=torch.float64) + h).dtype is torch.float64
    # Comparisons cast both sides to the common type first: neither 16-bit format holds the other.
    assert (h == b).tolist() == [True, True] and (h > 0.5).tolist() == [True, True]


def test_numpy_round_trip():
    h = torch.tensor([1.5, 2.25, -0.125]).half()
    arr = h.numpy()
    assert arr.dtype == np.float16 and arr.tolist() == [1.5, 2.25, -0.125]
    back = torch.from_numpy(np.array([1.5, 2.25], dtype=np.float16))
    assert back.dtype is torch.float16 and back.tolist() == [1.5, 2.25]
    with pytest.raises(TypeError):
        torch.ones(1, dtype=torch.bfloat16).numpy()


def test_gradient_flows_through_casts():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    h = w.half()
    assert type(h.grad_fn).__name__ == "ToCopyBackward0"
    (h.float() * torch.tensor([3.0, 4.0])).sum().backward()
    assert w.grad.dtype is torch.float32 and w.grad.tolist() == [3.0, 4.0]


def test_sums_accumulate_in_float32():
    h = torch.full((4096,), 0.1).half()
    expected = np.float16(np.float32(np.float16(0.1)) * 4096)
    assert h.sum().item() == float(expected)


def test_repr_matches_pytorch(torch_ref):
    for dtype, ref_dtype in ((torch.float16, torch_ref.float16), (torch.bfloat16, torch_ref.bfloat16)):
        ours = torch.tensor(VALUES).to(dtype)
        theirs = torch_ref.tensor(VALUES).to(ref_dtype)
        assert repr(ours) == repr(theirs)
        assert ours.tolist() == theirs.tolist()


# ---- arithmetic -------------------------------------------------------------------

HALVES = ["float16", "bfloat16"]
# Two units in the last place: 2**-10 and 2**-7 relative spacing, doubled.
HALF_RTOL = {"float16": 2 * 2.0**-10, "bfloat16": 2 * 2.0**-7}


def _data(L, dtype, n=64, seed=0, low=-4.0, high=4.0):
    """The same float32 values on both libraries, rounded to `dtype`."""
    values = np.random.default_rng(seed).uniform(low, high, n).astype(np.float32).tolist()
    return L.tensor(values).to(getattr(L, dtype))


def _bits_equal(ours, theirs):
    """Same dtype, shape and elements, NaN and the sign of zero included."""
    assert ours.dtype.itemsize == theirs.dtype.itemsize and str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert tuple(ours.shape) == tuple(theirs.shape)
    a, b = np.array(ours.tolist(), dtype=np.float64), np.array(theirs.tolist(), dtype=np.float64)
    np.testing.assert_array_equal(a, b)
    assert np.array_equal(np.signbit(a), np.signbit(b))


POINTWISE = [
    ("neg", lambda L, x, y: -x),
    ("abs", lambda L, x, y: x.abs()),
    ("exp", lambda L, x, y: x.exp()),
    ("log", lambda L, x, y: x.abs().log()),
    ("sqrt", lambda L, x, y: x.abs().sqrt()),
    ("rsqrt", lambda L, x, y: x.abs().rsqrt()),
    ("reciprocal", lambda L, x, y: x.reciprocal()),
    ("tanh", lambda L, x, y: x.tanh()),
    ("sigmoid", lambda L, x, y: x.sigmoid()),
    ("relu", lambda L, x, y: x.relu()),
    ("sin_cos_tan", lambda L, x, y: L.stack([x.sin(), x.cos(), x.tan()])),
    ("exp2_expm1", lambda L, x, y: L.stack([x.exp2(), x.expm1()])),
    ("log2_log10_log1p", lambda L, x, y: L.stack([x.abs().log2(), x.abs().log10(), x.abs().log1p()])),
    ("rounding", lambda L, x, y: L.stack([(x * 3).floor(), (x * 3).ceil(), (x * 3).round(), (x * 3).trunc(), x.round(decimals=1)])),
    ("sign_square", lambda L, x, y: L.stack([x.sign(), x.square()])),
    ("erf", lambda L, x, y: x.erf()),
    ("activations", lambda L, x, y: L.stack([L.nn.functional.silu(x), L.nn.functional.softplus(x),
                                             L.nn.functional.leaky_relu(x, 0.1), L.nn.functional.elu(x),
                                             L.nn.functional.gelu(x, approximate="tanh")])),
    ("clamp", lambda L, x, y: L.stack([x.clamp(-1.3, 0.7), x.clamp(min=y), x.clamp(y, y + 1)])),
    ("add_sub", lambda L, x, y: L.stack([x + y, x - y, x + 0.1, x - 0.3, 0.1 - x, x + 3])),
    ("mul", lambda L, x, y: L.stack([x * y, x * 0.1, 0.1 * x, x * L.tensor(0.1), x * 3])),
    ("div", lambda L, x, y: L.stack([x / y, x / 0.3, 0.3 / x, x / L.tensor(0.3), x / 3])),
    ("div_rounding", lambda L, x, y: L.stack([x.div(y, rounding_mode="floor"), x.div(0.3, rounding_mode="trunc"), x // 0.7])),
    ("pow", lambda L, x, y: L.stack([x ** 2, x ** 3, x.abs() ** 0.5, x.abs() ** -1.5, x.abs() ** y, 2.0 ** x, x ** -1])),
    ("maximum_minimum", lambda L, x, y: L.stack([L.maximum(x, y), L.minimum(x, y)])),
    ("lerp", lambda L, x, y: L.stack([x.lerp(y, 0.3), x.lerp(y, y.sigmoid())])),
    ("where", lambda L, x, y: L.where(x > y, x, y * 2)),
    ("remainder_fmod", lambda L, x, y: L.stack([x % y, x.fmod(y), x % 0.7, x.fmod(-0.7)])),
    ("nan_to_num", lambda L, x, y: (x * 20000).nan_to_num()),
]


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("fn", [p[1] for p in POINTWISE], ids=[p[0] for p in POINTWISE])
def test_pointwise_ops_are_bit_identical_to_pytorch(torch_ref, fn, dtype):
    ours = fn(torch, _data(torch, dtype), _data(torch, dtype, seed=1))
    theirs = fn(torch_ref, _data(torch_ref, dtype), _data(torch_ref, dtype, seed=1))
    _bits_equal(ours, theirs)


@pytest.mark.parametrize("dtype", HALVES)
def test_exact_gelu_is_within_one_rounding_of_pytorch(torch_ref, dtype):
    # ferrograd computes in float32 and rounds once, so it is within one
    # rounding of the exact value. PyTorch's vectorized float32 erf is its own
    # polynomial, and on CPUs with AVX512-FP16 it computes float16 in float16
    # itself, several roundings off where 1 + erf cancels (x near -4): it is
    # checked against the same exact value, within that looser bound.
    x = _data(torch, dtype, n=256)
    ours = torch.nn.functional.gelu(x)
    theirs = torch_ref.nn.functional.gelu(_data(torch_ref, dtype, n=256))
    assert ours.dtype == getattr(torch, dtype)
    exact = [0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x.tolist()]
    np.testing.assert_allclose(ours.tolist(), exact, rtol=HALF_RTOL[dtype] / 2, atol=1e-7)
    np.testing.assert_allclose(theirs.tolist(), exact, rtol=8 * HALF_RTOL[dtype], atol=1e-7)


@pytest.mark.parametrize("dtype", HALVES)
def test_comparisons_and_tests_match_pytorch(torch_ref, dtype):
    def run(L):
        x, y = _data(L, dtype), _data(L, dtype, seed=1)
        big = x * 30000
        return [(x == y).tolist(), (x < y).tolist(), (x >= 0.5).tolist(), (x != x.round()).tolist(),
                big.isinf().tolist(), (big - big).isnan().tolist(), big.isfinite().tolist()]

    assert run(torch) == run(torch_ref)


def test_half_result_prints_like_pytorch(torch_ref):
    for L in (torch, torch_ref):
        assert repr(L.ones(2, dtype=L.float16).exp()) == "tensor([2.7188, 2.7188], dtype=torch.float16)"
    for dtype in HALVES:
        ours = _data(torch, dtype, n=7).exp() * 3
        theirs = _data(torch_ref, dtype, n=7).exp() * 3
        assert repr(ours) == repr(theirs)


PROMOTIONS = [
    ("half_and_float", lambda L: L.ones(2, dtype=L.float16) + L.ones(2)),
    ("half_and_number", lambda L: L.ones(2, dtype=L.float16) * 2.5),
    ("half_and_int_number", lambda L: L.ones(2, dtype=L.bfloat16) - 7),
    ("half_and_bfloat16", lambda L: L.ones(2, dtype=L.float16) + L.ones(2, dtype=L.bfloat16)),
    ("half_and_zero_dim_double", lambda L: L.ones(2, dtype=L.float16) * L.tensor(1.1, dtype=L.float64)),
    ("int_and_zero_dim_half", lambda L: L.arange(3) * L.tensor(1.1, dtype=L.float16)),
    ("int_and_half", lambda L: L.arange(3) / L.tensor([3.0, 3.0, 3.0], dtype=L.bfloat16)),
    ("double_and_half", lambda L: L.ones(2, dtype=L.float64) - L.full((2,), 0.1, dtype=L.float16)),
    ("int_true_division_by_half_number", lambda L: L.arange(3) / L.tensor(0.3, dtype=L.float16)),
]


@pytest.mark.parametrize("fn", [p[1] for p in PROMOTIONS], ids=[p[0] for p in PROMOTIONS])
def test_mixed_operands_promote_as_pytorch(torch_ref, fn):
    _bits_equal(fn(torch), fn(torch_ref))


REDUCTIONS = [
    ("sum", lambda L, x: L.stack([x.sum(), x.mean()])),
    ("sum_dim", lambda L, x: L.cat([x.sum(1), x.mean(0), x.sum((0, 1), keepdim=True).flatten()])),
    ("prod", lambda L, x: L.cat([(x / 2).prod(1), (x / 2).prod().reshape(1)])),
    ("extrema", lambda L, x: L.cat([x.amax(1), x.amin(0), x.max().reshape(1), x.max(1).values])),
    ("var_std", lambda L, x: L.cat([x.var(1), x.std(0), x.var().reshape(1), x.std(correction=0).reshape(1)])),
    ("softmax", lambda L, x: L.cat([x.softmax(1).flatten(), x.log_softmax(0).flatten()])),
    ("cumsum", lambda L, x: L.cat([x.cumsum(1).flatten(), x.cumsum(0).flatten()])),
    ("logsumexp_norm", lambda L, x: L.cat([x.logsumexp(1), x.norm().reshape(1), x.norm(dim=0)])),
    ("matmul", lambda L, x: (x @ x.t()).flatten()),
    ("mm_bmm", lambda L, x: L.cat([x.t().mm(x).flatten(), x.reshape(2, 4, 8).bmm(x.reshape(2, 8, 4)).flatten()])),
    ("mv_dot", lambda L, x: L.cat([x.mv(x[0]), x[1].dot(x[2]).reshape(1)])),
    ("linear", lambda L, x: L.nn.functional.linear(x, x[:3], x[0, :3]).flatten()),
]


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("fn", [r[1] for r in REDUCTIONS], ids=[r[0] for r in REDUCTIONS])
def test_reductions_and_products_match_pytorch(torch_ref, fn, dtype):
    ours = fn(torch, _data(torch, dtype).reshape(8, 8))
    theirs = fn(torch_ref, _data(torch_ref, dtype).reshape(8, 8))
    assert str(ours.dtype) == str(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.tolist(), theirs.tolist(), rtol=HALF_RTOL[dtype], atol=HALF_RTOL[dtype])


@pytest.mark.parametrize("dtype", HALVES)
def test_argmax_and_indices_match_pytorch(torch_ref, dtype):
    def run(L):
        x = _data(L, dtype).reshape(8, 8)
        return x.argmax().item(), x.argmin(1).tolist(), x.max(0).indices.tolist()

    assert run(torch) == run(torch_ref)


def test_sum_of_many_halves_rounds_once(torch_ref):
    # 4096 * fp16(0.1) accumulated in float32 is 409.5; float16 accumulation would stall at 256.
    ours, theirs = torch.full((4096,), 0.1, dtype=torch.float16).sum(), torch_ref.full((4096,), 0.1, dtype=torch_ref.float16).sum()
    assert ours.item() == theirs.item() == float(np.float16(np.float32(np.float16(0.1)) * 4096))


GRADIENTS = [
    ("pointwise_chain", lambda L, x, y: ((x * y).exp() + (x - y).tanh() * x.sigmoid()) / (y.abs() + 1)),
    ("pow_sqrt", lambda L, x, y: x.abs().sqrt() * x ** 2 + x.abs() ** y),
    ("activations", lambda L, x, y: L.nn.functional.gelu(x) + L.nn.functional.silu(y) + x.relu() * L.nn.functional.softplus(y)),
    ("remainder", lambda L, x, y: x % y + x.fmod(y + 5)),
]


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("fn", [g[1] for g in GRADIENTS], ids=[g[0] for g in GRADIENTS])
def test_pointwise_gradients_are_half_and_bit_identical(torch_ref, fn, dtype):
    def run(L):
        x, y = _data(L, dtype, n=16).requires_grad_(), _data(L, dtype, n=16, seed=1).requires_grad_()
        out = fn(L, x, y)
        out.backward(_data(L, dtype, n=16, seed=2))
        return out, x.grad, y.grad

    for ours, theirs in zip(run(torch), run(torch_ref)):
        _bits_equal(ours, theirs)


REDUCTION_GRADIENTS = [
    ("sum_mean", lambda L, x, w: x.sum(1) * w[0] + x.mean(0) * w[1]),
    ("softmax", lambda L, x, w: (x.softmax(1) * w).sum(0) + x.log_softmax(0)[0]),
    ("var_std", lambda L, x, w: x.var(1) + x.std(0) * w[0]),
    ("matmul", lambda L, x, w: (x @ w.t()).sum(0)),
    ("linear", lambda L, x, w: L.nn.functional.linear(x, w, w[0]).amax(1)),
    ("cumsum_prod", lambda L, x, w: x.cumsum(1)[:, -1] * w[0] + (x / 4).prod(0) * w[1]),
]


def _run_with_gradients(L, fn, dtype):
    """`fn(L, x, w)` on two 8x8 half leaves, reduced and backpropagated:
    the result and both gradients."""
    x = _data(L, dtype, n=64).reshape(8, 8).requires_grad_()
    w = _data(L, dtype, n=64, seed=3).reshape(8, 8).requires_grad_()
    out = fn(L, x, w)
    out.sum().backward()
    return out, x.grad, w.grad


def _assert_close_to_pytorch(torch_ref, fn, dtype):
    for ours, theirs in zip(_run_with_gradients(torch, fn, dtype), _run_with_gradients(torch_ref, fn, dtype)):
        assert str(ours.dtype) == str(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
        # Sums of rounded terms through several rounded ops: a few units in the last place.
        scale = max(1.0, float(np.abs(np.array(theirs.tolist())).max()))
        np.testing.assert_allclose(ours.tolist(), theirs.tolist(), rtol=4 * HALF_RTOL[dtype], atol=4 * HALF_RTOL[dtype] * scale)


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("fn", [g[1] for g in REDUCTION_GRADIENTS], ids=[g[0] for g in REDUCTION_GRADIENTS])
def test_reduction_gradients_are_half_and_close_to_pytorch(torch_ref, fn, dtype):
    _assert_close_to_pytorch(torch_ref, fn, dtype)


LOSSES = [
    ("cross_entropy", lambda L, x, w: L.nn.functional.cross_entropy(x * w, L.tensor([0, 3, 7, 2, 5, 1, 1, 6]))),
    ("nll_sum", lambda L, x, w: L.nn.functional.nll_loss((x - w).log_softmax(1), L.tensor([1, 2, 3, 4, 5, 6, 7, 0]), reduction="sum")),
    ("binary_cross_entropy", lambda L, x, w: L.nn.functional.binary_cross_entropy(x.sigmoid(), w.sigmoid())),
    ("mse", lambda L, x, w: L.nn.functional.mse_loss(x, w)),
    ("embedding", lambda L, x, w: (L.nn.functional.embedding(L.tensor([[0, 3], [3, 7]]), x) * w[:2, :8]).sum()),
]


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("fn", [g[1] for g in LOSSES], ids=[g[0] for g in LOSSES])
def test_losses_and_embedding_on_halves_are_close_to_pytorch(torch_ref, fn, dtype):
    _assert_close_to_pytorch(torch_ref, fn, dtype)


def test_in_place_arithmetic_on_halves(torch_ref):
    def run(L):
        x = _data(L, "float16", n=8)
        x += 0.1
        x *= L.tensor(1.7)
        x /= 3
        x.exp_()
        x.clamp_(max=2.0)
        x %= 0.3
        return x

    _bits_equal(run(torch), run(torch_ref))


def test_half_gradients_accumulate_in_half(torch_ref):
    def run(L):
        w = _data(L, "bfloat16", n=8).requires_grad_()
        for _ in range(3):
            (w * w).sum().backward()
        return w.grad

    _bits_equal(run(torch), run(torch_ref))
