"""Optimizer steps and dropout on the wgpu device: each optimizer's update
runs as a device kernel and must track the CPU update element for element,
reading nothing back; dropout draws its mask on the device.

Without a wgpu adapter these skip, except under CI=true, where a missing
adapter fails."""

import numpy as np
import pytest

import ferrograd as torch
import ferrograd.nn.functional as F
from ferrograd import optim

pytestmark = pytest.mark.usefixtures("need_wgpu")

STEPS = 5
SHAPES = [(7, 5), (5,), (300,)]

CONFIGS = {
    "sgd": (optim.SGD, dict(lr=0.1)),
    "sgd_momentum_dampening": (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1)),
    "sgd_nesterov_decay_maximize": (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)),
    "adam": (optim.Adam, dict(lr=0.01)),
    "adam_decay_amsgrad": (optim.Adam, dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    "adamw_maximize": (optim.AdamW, dict(lr=0.01, weight_decay=0.1, maximize=True)),
    "rmsprop": (optim.RMSprop, dict(lr=0.01)),
    "rmsprop_centered_momentum_decay": (optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.01)),
    "adagrad": (optim.Adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.01)),
    "adamax": (optim.Adamax, dict(lr=0.01, weight_decay=0.01)),
}


@pytest.fixture(autouse=True)
def _no_fallback(monkeypatch):
    monkeypatch.delenv("FERROGRAD_WGPU_FALLBACK", raising=False)


def _params(device, transposed=False, dtype=torch.float32):
    rng = np.random.default_rng(0)
    params = []
    for shape in SHAPES:
        values = torch.tensor(rng.normal(size=shape), dtype=dtype).to(device)
        if transposed and values.ndim == 2:
            # A leaf whose memory is not in row order: the update must follow its strides.
            values = values.t().contiguous().t()
            assert not values.is_contiguous()
        params.append(values.detach().requires_grad_())
    return params


def _grads(step, device, dtype=torch.float32):
    rng = np.random.default_rng(100 + step)
    return [torch.tensor(rng.normal(size=s), dtype=dtype).to(device) for s in SHAPES]


def _run(name, device, transposed=False, dtype=torch.float32):
    cls, kwargs = CONFIGS[name]
    params = _params(device, transposed, dtype)
    optimizer = cls(params, **kwargs)
    for step in range(STEPS):
        for p, g in zip(params, _grads(step, device, dtype)):
            p.grad = g
        optimizer.step()
    state = [{k: v.cpu().numpy() for k, v in sorted(optimizer.state[p].items()) if isinstance(v, torch.Tensor)} for p in params]
    for p in params:
        assert p.device.type == device and p.dtype == dtype
        for v in optimizer.state[p].values():
            if isinstance(v, torch.Tensor) and v.ndim > 0:
                assert v.device.type == device, "optimizer state must stay on the param's device"
    return [p.detach().cpu().numpy() for p in params], state


def _assert_same(got, want, rtol=1e-5, atol=1e-6):
    (gp, gs), (wp, ws) = got, want
    for g, w in zip(gp, wp):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
    for g, w in zip(gs, ws):
        assert sorted(g) == sorted(w)
        for key in w:
            np.testing.assert_allclose(g[key], w[key], rtol=rtol, atol=atol, err_msg=key)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_update_on_the_device_matches_the_cpu(name):
    want = _run(name, "cpu")
    # The params must actually move, or matching would prove nothing.
    assert not np.allclose(want[0][2], _params("cpu")[2].detach().numpy())
    _assert_same(_run(name, "wgpu"), want)


@pytest.mark.parametrize("name", ["adam", "sgd_momentum_dampening"])
def test_update_of_strided_params_on_the_device_matches_the_cpu(name):
    _assert_same(_run(name, "wgpu", transposed=True), _run(name, "cpu"))


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_update_reads_nothing_back(name):
    cls, kwargs = CONFIGS[name]
    params = _params("wgpu")
    optimizer = cls(params, **kwargs)
    grads = _grads(0, "wgpu")
    for p, g in zip(params, grads):
        p.grad = g
    optimizer.step()  # creates the state
    before = torch.wgpu.readback_count()
    for _ in range(3):
        optimizer.step()
    torch.wgpu.synchronize()
    assert torch.wgpu.readback_count() == before


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_float64_update_on_the_device_matches_the_cpu(name):
    if not torch.wgpu.supports_dtype(torch.float64):
        pytest.skip("the adapter has no shader-f64")
    # The kernel numbers (lr, betas) reach the device with all 53 bits.
    _assert_same(_run(name, "wgpu", dtype=torch.float64), _run(name, "cpu", dtype=torch.float64), rtol=1e-12, atol=1e-14)


def test_dropout_mask_is_drawn_on_the_device():
    x = torch.ones(1_000_000).to("wgpu")
    before = torch.wgpu.readback_count()
    y = F.dropout(x, 0.3)
    assert y.device.type == "wgpu"
    torch.wgpu.synchronize()
    assert torch.wgpu.readback_count() == before
    v = y.cpu().numpy()
    kept = v != 0
    # Binomial standard deviation here is 0.00046: 0.005 is about 11 of them.
    assert abs(kept.mean() - 0.7) < 0.005
    np.testing.assert_array_equal(v[kept], np.float32(1 / 0.7))
    # Neighbours are drawn independently: both kept with probability 0.49.
    assert abs((kept[1:] & kept[:-1]).mean() - 0.49) < 0.005


def test_dropout_on_the_device_repeats_under_a_seed_and_varies_without():
    x = torch.ones(4096).to("wgpu")
    torch.manual_seed(7)
    a = F.dropout(x, 0.5).cpu().numpy()
    b = F.dropout(x, 0.5).cpu().numpy()
    torch.manual_seed(7)
    c = F.dropout(x, 0.5).cpu().numpy()
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)


def test_dropout_gradient_on_the_device_is_the_mask():
    x = torch.randn(64, 33).to("wgpu").detach().requires_grad_()
    y = F.dropout(x, 0.25)
    (y * 3).sum().backward()
    assert x.grad.device.type == "wgpu"
    kept = y.detach().cpu().numpy() != 0
    np.testing.assert_allclose(x.grad.cpu().numpy(), np.where(kept, 3 / 0.75, 0.0).astype(np.float32), rtol=1e-6)


@pytest.mark.parametrize("loss_name", ["mse", "cross_entropy"])
def test_training_step_reads_back_only_the_loss(loss_name):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(12, 32), torch.nn.ReLU(), torch.nn.Dropout(0.1), torch.nn.Linear(32, 5)).to("wgpu")
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.normal(size=(16, 12)).astype(np.float32)).to("wgpu")
    y = torch.tensor(rng.normal(size=(16, 5)).astype(np.float32)).to("wgpu")
    labels = torch.tensor(rng.integers(0, 5, size=16)).to("wgpu")

    def step():
        optimizer.zero_grad()
        out = model(x)
        loss = F.mse_loss(out, y) if loss_name == "mse" else F.cross_entropy(out, labels)
        loss.backward()
        optimizer.step()
        return loss.item()

    step()
    torch.wgpu.synchronize()
    before = torch.wgpu.readback_count()
    for _ in range(3):
        step()
    # The loss, and for cross_entropy its class labels too: they are checked
    # on the host, so an out-of-range label raises at once instead of
    # corrupting the step on the device.
    per_step = 1 if loss_name == "mse" else 2
    assert torch.wgpu.readback_count() - before == 3 * per_step
