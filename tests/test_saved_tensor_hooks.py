"""autograd.graph.saved_tensors_hooks: what the graph keeps is what the pack
hook returns; backward gets tensors back through the unpack hook."""

import pytest

import ferrograd as torch


def compute(T, x):
    return (x.exp() * x).sin().sum()


def run(T, pack, unpack):
    x = T.tensor([0.5, -1.0, 2.0], dtype=T.float64, requires_grad=True)
    with T.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = compute(T, x)
    y.backward()
    return x.grad.tolist()


def test_hooks_see_every_saved_tensor_and_gradients_are_unchanged():
    packed, unpacked = [], []

    def pack(t):
        packed.append(t.shape)
        return ("box", t)

    def unpack(box):
        unpacked.append(box[0])
        return box[1]

    with_hooks = run(torch, pack, unpack)
    without = run(torch, lambda t: t, lambda t: t)
    assert with_hooks == without
    assert len(packed) >= 3 and len(unpacked) == len(packed)


def test_unpack_may_return_another_tensor():
    # Keeping a copy on "disk" (here: a list) and rebuilding it: backward uses what unpack returns.
    store = []

    def pack(t):
        store.append(t.tolist())
        return len(store) - 1

    def unpack(i):
        return torch.tensor(store[i], dtype=torch.float64)

    assert run(torch, pack, unpack) == pytest.approx(run(torch, lambda t: t, lambda t: t))


def test_hooks_apply_only_inside_the_block():
    calls = []
    x = torch.ones(2, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: calls.append(1) or t, lambda t: t):
        pass
    (x * x).sum().backward()
    assert calls == []


def test_unpack_errors_surface_from_backward():
    x = torch.ones(2, requires_grad=True)

    def unpack(_):
        raise ValueError("lost it")

    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, unpack):
        y = (x * x).sum()
    with pytest.raises(ValueError, match="lost it"):
        y.backward()


def test_unpack_must_return_a_tensor():
    x = torch.ones(2, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 3):
        y = (x * x).sum()
    with pytest.raises(TypeError, match="unpack_hook"):
        y.backward()


def test_second_order_through_hooks():
    x = torch.tensor([1.5], requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = x ** 3
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    (g2,) = torch.autograd.grad(g, x)
    assert g.item() == pytest.approx(6.75) and g2.item() == pytest.approx(9.0)


def test_matches_pytorch_hook_calls(torch_ref):
    def counts(T):
        packed = []
        x = T.tensor([0.5, -1.0, 2.0], requires_grad=True)
        w = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with T.autograd.graph.saved_tensors_hooks(lambda t: packed.append(tuple(t.shape)) or t, lambda t: t):
            y = ((x * w).tanh() + x.exp()).sum()
        y.backward()
        return sorted(packed), x.grad.tolist(), w.grad.tolist()

    ours, theirs = counts(torch), counts(torch_ref)
    assert ours[0] == theirs[0]
    assert ours[1] == pytest.approx(theirs[1], rel=1e-5) and ours[2] == pytest.approx(theirs[2], rel=1e-5)
