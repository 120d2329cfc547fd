"""Training on the wgpu device against the same training on the CPU: a small
MLP, started from the same weights, must reach the same loss at every step.

Without a wgpu adapter these skip, except under CI=true, where a missing
adapter fails."""

import copy

import numpy as np
import pytest

import ferrograd as torch
import ferrograd.nn as nn
import ferrograd.nn.functional as F

STEPS = 20


pytestmark = pytest.mark.usefixtures("need_wgpu")


def _mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 5))


def _batch(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(16, 12)).astype(np.float32)
    y = rng.normal(size=(16, 5)).astype(np.float32)
    labels = rng.integers(0, 5, size=16)
    return x, y, labels


def _train(model, make_optimizer, loss_fn, device, dtype=torch.float32):
    model = model.to(dtype).to(device)
    optimizer = make_optimizer(model.parameters())
    losses = []
    for step in range(STEPS):
        x, y, labels = _batch(step)
        x, y = torch.tensor(x, dtype=dtype).to(device), torch.tensor(y, dtype=dtype).to(device)
        labels = torch.tensor(labels).to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y, labels)
        assert loss.device.type == torch.device(device).type and loss.dtype == dtype
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, [p.detach().cpu().numpy() for p in model.parameters()]


def _mse(out, y, labels):
    return F.mse_loss(out, y)


def _cross_entropy(out, y, labels):
    return F.cross_entropy(out, labels)


OPTIMIZERS = {
    "adam": lambda ps: torch.optim.Adam(ps, lr=1e-2),
    "adamw": lambda ps: torch.optim.AdamW(ps, lr=1e-2, weight_decay=0.1),
    "sgd_momentum": lambda ps: torch.optim.SGD(ps, lr=5e-2, momentum=0.9),
    "sgd_nesterov_decay": lambda ps: torch.optim.SGD(ps, lr=5e-2, momentum=0.9, nesterov=True, weight_decay=1e-3),
}


def _compare(make_optimizer, loss_fn):
    model = _mlp()
    cpu_losses, cpu_params = _train(copy.deepcopy(model), make_optimizer, loss_fn, "cpu")
    gpu_losses, gpu_params = _train(copy.deepcopy(model), make_optimizer, loss_fn, "wgpu")
    # The loss must actually move, or matching it would prove nothing.
    assert abs(cpu_losses[-1] - cpu_losses[0]) > 1e-3 * abs(cpu_losses[0])
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-4, atol=1e-6)
    for g, c in zip(gpu_params, cpu_params):
        np.testing.assert_allclose(g, c, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_mlp_with_mse_trains_like_the_cpu(name):
    _compare(OPTIMIZERS[name], _mse)


def test_mlp_with_cross_entropy_trains_like_the_cpu(monkeypatch):
    # log_softmax, the class pick and its gradient all run on the device.
    monkeypatch.delenv("FERROGRAD_WGPU_FALLBACK", raising=False)
    _compare(OPTIMIZERS["adam"], _cross_entropy)


def test_small_cnn_trains_like_the_cpu_without_the_fallback(monkeypatch):
    # conv2d (im2col, product, col2im), max pooling and its indices, the
    # loss and the optimizer all stay on the device.
    monkeypatch.delenv("FERROGRAD_WGPU_FALLBACK", raising=False)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    rng = np.random.default_rng(1)
    # One batch, fitted step after step, so the loss has to fall.
    images = [rng.normal(size=(8, 1, 8, 8)).astype(np.float32)] * STEPS
    labels = [rng.integers(0, 3, size=8)] * STEPS
    runs = []
    for device in ("cpu", "wgpu"):
        net = copy.deepcopy(model).to(device)
        optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
        losses = []
        for x, y in zip(images, labels):
            optimizer.zero_grad()
            loss = F.cross_entropy(net(torch.tensor(x).to(device)), torch.tensor(y).to(device))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        runs.append((losses, [p.detach().cpu().numpy() for p in net.parameters()]))
    (cpu_losses, cpu_params), (gpu_losses, gpu_params) = runs
    assert cpu_losses[-1] < 0.9 * cpu_losses[0]
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-4, atol=1e-5)
    for g, c in zip(gpu_params, cpu_params):
        np.testing.assert_allclose(g, c, rtol=1e-3, atol=1e-5)


def test_cross_entropy_refusals_name_op_and_device(monkeypatch):
    monkeypatch.delenv("FERROGRAD_WGPU_FALLBACK", raising=False)
    out = torch.ones(4, 3, device="wgpu")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        F.cross_entropy(out, torch.zeros(4, dtype=torch.int64))
    with pytest.raises(NotImplementedError, match="'cross_entropy'.*wgpu"):
        F.cross_entropy(out, torch.zeros(4, dtype=torch.int64), label_smoothing=0.1)


def test_module_to_moves_parameters_and_buffers():
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    moved = model.to("wgpu")
    assert moved is model
    tensors = list(model.parameters()) + list(model.buffers())
    assert len(tensors) == 7
    assert all(t.device.type == "wgpu" for t in tensors)
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())
    back = model.cpu()
    assert all(t.device.type == "cpu" for t in list(back.parameters()) + list(back.buffers()))


def test_zero_grad_and_in_place_fills_reach_the_device():
    p = torch.ones(5, device="wgpu", requires_grad=True)
    (p * 3.0).sum().backward()
    assert p.grad.device.type == "wgpu"
    p.grad.zero_()
    # A device kernel reads the zeroed gradient.
    assert (p.grad + 1.0).cpu().tolist() == [1.0] * 5
    with torch.no_grad():
        p.fill_(2.5)
        p[1:3].fill_(-1.0)
    assert (p * 2.0).cpu().tolist() == [5.0, -2.0, -2.0, 5.0, 5.0]


def test_mlp_trains_in_float64_like_the_cpu(monkeypatch):
    # Every kernel of the step in f64, the optimizer's numbers with all 53 bits.
    monkeypatch.delenv("FERROGRAD_WGPU_FALLBACK", raising=False)
    if not torch.wgpu.supports_dtype(torch.float64):
        pytest.skip("the adapter has no shader-f64")
    model = _mlp()
    for loss_fn in (_mse, _cross_entropy):
        cpu_losses, cpu_params = _train(copy.deepcopy(model), OPTIMIZERS["adam"], loss_fn, "cpu", torch.float64)
        gpu_losses, gpu_params = _train(copy.deepcopy(model), OPTIMIZERS["adam"], loss_fn, "wgpu", torch.float64)
        assert abs(cpu_losses[-1] - cpu_losses[0]) > 1e-3 * abs(cpu_losses[0])
        np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-12)
        for g, c in zip(gpu_params, cpu_params):
            np.testing.assert_allclose(g, c, rtol=1e-10, atol=1e-13)


def test_float16_forward_and_backward_on_the_device_follow_the_cpu(monkeypatch):
    # The optimizers take float32 or float64 params only, as on the CPU; a
    # float16 model's forward and backward run on the device.
    monkeypatch.delenv("FERROGRAD_WGPU_FALLBACK", raising=False)
    if not torch.wgpu.supports_dtype(torch.float16):
        pytest.skip("the adapter has no shader-f16")
    runs = []
    for device in ("cpu", "wgpu"):
        model = _mlp().to(torch.float16).to(device)
        x, _, labels = _batch(0)
        loss = F.cross_entropy(model(torch.tensor(x, dtype=torch.float16).to(device)), torch.tensor(labels).to(device))
        loss.backward()
        assert loss.dtype == torch.float16 and all(p.grad.device.type == device for p in model.parameters())
        runs.append((loss.item(), [p.grad.cpu().float().numpy() for p in model.parameters()]))
    (cpu_loss, cpu_grads), (gpu_loss, gpu_grads) = runs
    np.testing.assert_allclose(gpu_loss, cpu_loss, rtol=2e-3)
    for g, c in zip(gpu_grads, cpu_grads):
        np.testing.assert_allclose(g, c, rtol=1e-2, atol=2e-3)
