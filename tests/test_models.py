"""Small models end to end: a CNN and a transformer block, forward, backward
and a few SGD steps, against PyTorch with the same weights when installed."""

import numpy as np
import pytest

import ferrograd as torch


def init(shapes, seed):
    rng = np.random.default_rng(seed)
    return {name: (rng.standard_normal(shape) * 0.3).tolist() for name, shape in shapes.items()}


CNN = {"c1": (4, 1, 3, 3), "b1": (4,), "c2": (6, 2, 3, 3), "b2": (6,), "fc": (3, 6 * 2 * 2), "fb": (3,)}


def cnn_loss(L, p, x, y):
    F = L.nn.functional
    h = F.max_pool2d(F.relu(F.conv2d(x, p["c1"], p["b1"], padding=1)), 2)
    h = F.relu(F.conv2d(h, p["c2"], p["b2"], stride=1, padding=1, groups=2))
    h = F.adaptive_avg_pool2d(h, 2).flatten(1)
    return F.cross_entropy(F.linear(h, p["fc"], p["fb"]), y, label_smoothing=0.1)


BLOCK = {"ln": (8,), "lb": (8,), "qkv": (24, 8), "out": (8, 8), "w1": (16, 8), "w2": (8, 16), "head": (5, 8)}


def block_loss(L, p, x, y):
    F = L.nn.functional
    b, t, d = x.shape
    h = F.layer_norm(x, (d,), p["ln"], p["lb"])
    q, k, v = F.linear(h, p["qkv"]).chunk(3, dim=-1)
    split = lambda z: z.reshape(b, t, 2, d // 2).transpose(1, 2)
    a = F.scaled_dot_product_attention(split(q), split(k), split(v), is_causal=True)
    x = x + F.linear(a.transpose(1, 2).reshape(b, t, d), p["out"])
    x = x + F.linear(F.gelu(F.linear(x, p["w1"])), p["w2"])
    logits = F.linear(x, p["head"])
    return F.cross_entropy(logits.reshape(b * t, -1), y.reshape(-1))


def make_inputs(L, kind):
    rng = np.random.default_rng(7)
    if kind == "cnn":
        x = L.tensor(rng.standard_normal((5, 1, 8, 8)).tolist())
        y = L.tensor(rng.integers(0, 3, 5).tolist())
    else:
        x = L.tensor(rng.standard_normal((2, 6, 8)).tolist())
        y = L.tensor(rng.integers(0, 5, (2, 6)).tolist())
    return x, y


def train(L, kind, steps=5, lr=0.2):
    shapes, loss_fn = (CNN, cnn_loss) if kind == "cnn" else (BLOCK, block_loss)
    params = {n: L.tensor(v, requires_grad=True) for n, v in init(shapes, 3).items()}
    x, y = make_inputs(L, kind)
    losses, grads = [], None
    for _ in range(steps):
        loss = loss_fn(L, params, x, y)
        loss.backward()
        losses.append(loss.item())
        if grads is None:
            grads = {n: p.grad.tolist() for n, p in params.items()}
        with L.no_grad():
            for p in params.values():
                p -= lr * p.grad
                p.grad.zero_()
    return losses, grads


@pytest.mark.parametrize("kind", ["cnn", "transformer_block"])
def test_training_lowers_the_loss(kind):
    losses, grads = train(torch, kind, steps=8)
    assert losses[-1] < losses[0]
    assert all(np.isfinite(np.array(g)).all() for g in grads.values())


@pytest.mark.parametrize("kind", ["cnn", "transformer_block"])
def test_matches_pytorch(kind, torch_ref):
    ours, our_grads = train(torch, kind)
    theirs, their_grads = train(torch_ref, kind)
    np.testing.assert_allclose(ours, theirs, rtol=2e-4, atol=1e-5)
    for name in our_grads:
        np.testing.assert_allclose(our_grads[name], their_grads[name], rtol=1e-3, atol=1e-5, err_msg=name)
