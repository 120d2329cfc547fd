"""A training run checkpointed with ferrograd.save continues where it stopped,
in ferrograd and in PyTorch."""

import numpy as np
import pytest

import ferrograd

STEPS = 5


def make_model(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(6, 8), lib.nn.Tanh(), lib.nn.BatchNorm1d(8), lib.nn.Linear(8, 3))


def make_optimizer(lib, model):
    return lib.optim.AdamW(model.parameters(), lr=0.05, weight_decay=0.1, amsgrad=True)


def batches(lib):
    rng = np.random.RandomState(1)
    for _ in range(2 * STEPS):
        x = rng.randn(16, 6).astype(np.float32)
        y = rng.randint(0, 3, size=16).astype(np.int64)
        yield lib.from_numpy(x), lib.from_numpy(y)


def train(lib, model, optimizer, data, steps):
    for _ in range(steps):
        x, y = next(data)
        loss = lib.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def weights(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def assert_same_weights(a, b, atol=1e-5):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-5, atol=atol, err_msg=k)


@pytest.fixture
def checkpoint(tmp_path):
    """Five steps, saved; and the weights ten uninterrupted steps reach."""
    model = make_model(ferrograd)
    optimizer = make_optimizer(ferrograd, model)
    data = batches(ferrograd)
    train(ferrograd, model, optimizer, data, STEPS)
    path = tmp_path / "run.pt"
    ferrograd.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": STEPS}, path)
    train(ferrograd, model, optimizer, data, STEPS)
    return path, weights(model)


def test_ferrograd_resumes_from_its_checkpoint(checkpoint):
    path, uninterrupted = checkpoint
    saved = ferrograd.load(path)
    assert saved["step"] == STEPS
    model = make_model(ferrograd)
    optimizer = make_optimizer(ferrograd, model)
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    data = batches(ferrograd)
    for _ in range(STEPS):
        next(data)
    train(ferrograd, model, optimizer, data, STEPS)
    assert_same_weights(weights(model), uninterrupted)


def test_pytorch_resumes_from_a_ferrograd_checkpoint(checkpoint, torch_ref):
    torch = torch_ref
    path, uninterrupted = checkpoint
    saved = torch.load(path, weights_only=True)
    model = make_model(torch)
    optimizer = make_optimizer(torch, model)
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    data = batches(torch)
    for _ in range(STEPS):
        next(data)
    train(torch, model, optimizer, data, STEPS)
    assert_same_weights(weights(model), uninterrupted, atol=1e-4)


def test_ferrograd_resumes_from_a_pytorch_checkpoint(tmp_path, torch_ref):
    torch = torch_ref
    model = make_model(torch)
    optimizer = make_optimizer(torch, model)
    data = batches(torch)
    train(torch, model, optimizer, data, STEPS)
    path = tmp_path / "torch_run.pt"
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)
    train(torch, model, optimizer, data, STEPS)

    saved = ferrograd.load(path)
    ours = make_model(ferrograd)
    our_optimizer = make_optimizer(ferrograd, ours)
    ours.load_state_dict(saved["model"])
    our_optimizer.load_state_dict(saved["optimizer"])
    our_data = batches(ferrograd)
    for _ in range(STEPS):
        next(our_data)
    train(ferrograd, ours, our_optimizer, our_data, STEPS)
    assert_same_weights(weights(ours), weights(model), atol=1e-4)
