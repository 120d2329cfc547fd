"""Comparisons, where and masked_fill on the wgpu device, against the CPU,
and the reductions whose gradients are built on them (amax/amin, max/min
of all elements, vector norms). Bool results are packed four to a word
there, so sizes that do not fill a word, views that start mid-word and
broadcast conditions are covered.

Without a wgpu adapter these skip, except under CI=true, where a missing
adapter fails."""

import numpy as np
import pytest

import ferrograd as torch

pytestmark = pytest.mark.usefixtures("need_wgpu")

COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge"]
SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, 2.5], dtype=np.float32)


@pytest.fixture(autouse=True)
def _no_fallback(monkeypatch):
    monkeypatch.delenv("FERROGRAD_WGPU_FALLBACK", raising=False)


def _values(shape, seed):
    rng = np.random.default_rng(seed)
    # Few distinct values, so equal pairs occur; NaN and infinities among them.
    return rng.choice(SPECIAL, size=shape)


def _both(array):
    cpu = torch.tensor(array)
    return cpu, cpu.to("wgpu")


def _same(gpu, cpu):
    assert gpu.device.type == "wgpu"
    assert gpu.dtype == cpu.dtype
    assert tuple(gpu.shape) == tuple(cpu.shape)
    np.testing.assert_array_equal(gpu.cpu().numpy(), cpu.numpy())


@pytest.mark.parametrize("op", COMPARISONS)
@pytest.mark.parametrize("n", [1, 3, 4, 5, 1023, 4099])
def test_comparison_matches_the_cpu(op, n):
    (a, ga), (b, gb) = _both(_values(n, 1)), _both(_values(n, 2))
    _same(getattr(ga, op)(gb), getattr(a, op)(b))


@pytest.mark.parametrize("op", COMPARISONS)
def test_comparison_broadcasts_and_takes_views_and_numbers(op):
    (a, ga), (b, gb) = _both(_values((6, 7), 3)), _both(_values((7,), 4))
    _same(getattr(ga, op)(gb), getattr(a, op)(b))
    _same(getattr(ga.t(), op)(gb[:, None]), getattr(a.t(), op)(b[:, None]))
    _same(getattr(ga[1:, 2:], op)(1.0), getattr(a[1:, 2:], op)(1.0))
    # A CPU 0-d tensor goes with any device, as in PyTorch.
    _same(getattr(ga, op)(torch.tensor(1.0)), getattr(a, op)(torch.tensor(1.0)))


def test_operators_give_device_bools():
    a, ga = _both(_values((5, 3), 5))
    _same(ga > 0, a > 0)
    _same(ga == ga, a == a)
    _same(ga != 1.0, a != 1.0)


@pytest.mark.parametrize("mask_view", ["whole", "offset", "transposed", "broadcast"])
def test_where_matches_the_cpu(mask_view):
    (x, gx), (y, gy) = _both(_values((9, 7), 6)), _both(_values((9, 7), 7))
    c, gc = _both(_values((10, 9), 8) > 0)
    pick = {
        # A view starting mid-word, a transposed one and a broadcast row.
        "whole": lambda m: m[:9, :7],
        "offset": lambda m: m[1:, 1:8],
        "transposed": lambda m: m.t()[:9, :9][:, :7],
        "broadcast": lambda m: m[3, :7],
    }[mask_view]
    _same(torch.where(pick(gc), gx, gy), torch.where(pick(c), x, y))
    # The condition as a device comparison result, and a number operand.
    _same(torch.where(gx > gy, gx, 0.0), torch.where(x > y, x, 0.0))


def test_where_gradients_stay_on_the_device():
    x = np.random.default_rng(9).normal(size=(4, 5)).astype(np.float32)
    runs = []
    for device in ("cpu", "wgpu"):
        a = torch.tensor(x).to(device).requires_grad_()
        b = torch.tensor(-x).to(device).requires_grad_()
        torch.where(a > 0, a * 2, b * 3).sum().backward()
        assert a.grad.device.type == device
        runs.append((a.grad.cpu().numpy(), b.grad.cpu().numpy()))
    for g, c in zip(runs[1], runs[0]):
        np.testing.assert_array_equal(g, c)


@pytest.mark.parametrize("value", [-1e9, float("-inf"), 0.5])
def test_masked_fill_matches_the_cpu_with_its_gradient(value):
    x = np.random.default_rng(10).normal(size=(3, 4, 6)).astype(np.float32)
    causal = np.triu(np.ones((4, 6), dtype=bool), k=1)
    runs = []
    for device in ("cpu", "wgpu"):
        t = torch.tensor(x).to(device).requires_grad_()
        mask = torch.tensor(causal).to(device)
        filled = t.masked_fill(mask, value)
        scalar_tensor = t.masked_fill(mask, torch.tensor(value))
        assert filled.device.type == device and scalar_tensor.device.type == device
        # Back through masked_fill twice, the outer fill hiding the infinities.
        (filled.masked_fill(mask, 0.0) * 2).sum().backward()
        runs.append((filled.detach().cpu().numpy(), scalar_tensor.detach().cpu().numpy(), t.grad.cpu().numpy()))
    for g, c in zip(runs[1], runs[0]):
        np.testing.assert_array_equal(g, c)


def test_masks_read_nothing_back():
    gx = torch.randn(64, 64).to("wgpu")
    mask = torch.ones(64, 64).tril().to("wgpu") == 0
    torch.wgpu.synchronize()
    before = torch.wgpu.readback_count()
    out = torch.where(gx > 0, gx, gx * 0.1).masked_fill(mask, float("-inf"))
    torch.wgpu.synchronize()
    assert torch.wgpu.readback_count() == before
    assert out.device.type == "wgpu"


def test_comparison_of_a_device_and_a_cpu_tensor_is_refused():
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        torch.ones(3).to("wgpu") > torch.ones(3)


def _grad_pair(x, f):
    """f's value and the gradient of its sum, on the CPU and on the device."""
    runs = []
    for device in ("cpu", "wgpu"):
        t = torch.tensor(x).to(device).requires_grad_()
        out = f(t)
        assert out.device.type == device
        (out * torch.arange(1.0, out.numel() + 1).reshape(out.shape).to(device)).sum().backward()
        assert t.grad.device.type == device
        runs.append((out.detach().cpu().numpy(), t.grad.cpu().numpy()))
    return runs


@pytest.mark.parametrize("reduce", ["amax", "amin", "amax_keepdim", "max_all", "min_all"])
def test_extreme_values_and_their_tied_gradients_match_the_cpu(reduce):
    # Ties along the reduced dim share the gradient.
    x = np.array([[1.0, 3.0, 3.0, -2.0], [0.5, 0.5, 0.5, 0.5], [-1.0, 7.0, 2.0, 7.0]], dtype=np.float32)
    f = {
        "amax": lambda t: t.amax(dim=1),
        "amin": lambda t: t.amin(dim=0),
        "amax_keepdim": lambda t: t.amax(dim=(0, 1), keepdim=True),
        "max_all": lambda t: t.max(),
        "min_all": lambda t: t.min(),
    }[reduce]
    (cv, cg), (gv, gg) = _grad_pair(x, f)
    np.testing.assert_array_equal(gv, cv)
    np.testing.assert_allclose(gg, cg, rtol=1e-6)


@pytest.mark.parametrize("ord", [2, 1, 3, 0.5])
@pytest.mark.parametrize("dim", [None, 1])
def test_vector_norm_matches_the_cpu_with_a_zero_row(ord, dim):
    x = np.random.default_rng(11).normal(size=(4, 6)).astype(np.float32)
    x[2] = 0.0  # a zero vector: the gradient there is zero, not NaN
    (cv, cg), (gv, gg) = _grad_pair(x, lambda t: torch.linalg.vector_norm(t, ord=ord, dim=dim))
    np.testing.assert_allclose(gv, cv, rtol=1e-5)
    np.testing.assert_allclose(gg, cg, rtol=1e-4, atol=1e-6)
    if ord in (2, 1, 3) and dim is not None:
        assert np.all(np.isfinite(gg))


def test_clip_grad_norm_runs_on_the_device():
    params = []
    for device in ("cpu", "wgpu"):
        p = torch.tensor(np.arange(12, dtype=np.float32).reshape(3, 4)).to(device).requires_grad_()
        (p * p).sum().backward()
        total = torch.nn.utils.clip_grad_norm_([p], max_norm=1.0)
        params.append((float(total), p.grad.cpu().numpy()))
    np.testing.assert_allclose(params[1][0], params[0][0], rtol=1e-5)
    np.testing.assert_allclose(params[1][1], params[0][1], rtol=1e-5)


@pytest.mark.parametrize("op", ["logical_and", "logical_or", "logical_xor", "and", "or", "xor"])
@pytest.mark.parametrize("n", [1, 5, 4099])
def test_logical_ops_of_device_bools_match_the_cpu(op, n):
    (a, ga), (b, gb) = _both(_values(n, 12) > 0), _both(_values(n, 13) > 0)
    f = {
        "and": lambda x, y: x & y,
        "or": lambda x, y: x | y,
        "xor": lambda x, y: x ^ y,
    }.get(op, lambda x, y: getattr(torch, op)(x, y))
    _same(f(ga, gb), f(a, b))
    # Broadcast against a row, and an offset view.
    _same(f(ga[1:], gb[:1]), f(a[1:], b[:1]))


def test_not_and_casts_of_device_bools_match_the_cpu():
    x, gx = _both(_values((5, 7), 14))
    m, gm = x > 0, gx > 0
    _same(~gm, ~m)
    _same(gm.logical_not(), m.logical_not())
    _same(gm.t().logical_not(), m.t().logical_not())
    _same(gm.float(), m.float())
    _same(gx.bool(), x.bool())
    _same(torch.logical_and(gx, gx > 1), torch.logical_and(x, x > 1))
    torch.wgpu.synchronize()
    before = torch.wgpu.readback_count()
    kept = ((gx > 0) & ~(gx > 1)).float() * gx
    torch.wgpu.synchronize()
    assert torch.wgpu.readback_count() == before and kept.device.type == "wgpu"


def test_clamp_gradient_runs_on_the_device():
    x = np.random.default_rng(15).normal(size=(6, 5)).astype(np.float32)
    (cv, cg), (gv, gg) = _grad_pair(x, lambda t: t.clamp(-0.5, 0.7))
    np.testing.assert_array_equal(gv, cv)
    np.testing.assert_array_equal(gg, cg)
