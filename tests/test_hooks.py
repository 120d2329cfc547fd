"""Tensor.register_hook, retain_grad and retains_grad."""

import warnings

import pytest

import ferrograd as torch


def run(T, use_hooks):
    """A small graph with hooks on a leaf and an intermediate; returns what they saw and the grads."""
    x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    seen = []
    y = x * 2
    y.retain_grad()
    z = y.exp()
    if use_hooks:
        y.register_hook(lambda g: seen.append(g.tolist()))
        x.register_hook(lambda g: g * 10)
    z.sum().backward()
    return seen, y.grad.tolist(), x.grad.tolist()


def test_hook_sees_gradient_and_can_replace_it():
    seen, y_grad, x_grad = run(torch, True)
    expected_y = [v.exp().item() for v in torch.tensor([2.0, 4.0, 6.0])]
    assert seen == [pytest.approx(expected_y)]
    assert y_grad == pytest.approx(expected_y)
    assert x_grad == pytest.approx([20 * e for e in expected_y])


def test_hooks_match_pytorch(torch_ref):
    ours, theirs = run(torch, True), run(torch_ref, True)
    assert len(ours[0]) == len(theirs[0]) == 1
    assert ours[0][0] == pytest.approx(theirs[0][0], rel=1e-6)
    assert ours[1] == pytest.approx(theirs[1], rel=1e-6)
    assert ours[2] == pytest.approx(theirs[2], rel=1e-6)


def test_retained_grad_is_not_changed_by_later_hooks_order():
    # retain_grad always reflects the gradient after the other hooks.
    x = torch.tensor(1.0, requires_grad=True)
    y = x * 3
    y.retain_grad()
    y.register_hook(lambda g: g * 2)
    y.backward()
    assert y.grad.item() == 2.0
    assert x.grad.item() == 6.0


def test_removed_hook_does_not_run():
    x = torch.tensor(2.0, requires_grad=True)
    handle = x.register_hook(lambda g: g * 100)
    handle.remove()
    (x * x).backward()
    assert x.grad.item() == 4.0


def test_hook_exception_propagates_as_itself():
    x = torch.tensor(2.0, requires_grad=True)

    def bad(g):
        raise KeyError("from the hook")

    x.register_hook(bad)
    with pytest.raises(KeyError, match="from the hook"):
        (x * x).backward()


def test_hook_on_tensor_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        torch.ones(2).register_hook(lambda g: g)


def test_retains_grad_flags():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    assert not y.retains_grad and not x.retains_grad
    y.retain_grad()
    x.retain_grad()
    assert y.retains_grad and not x.retains_grad


def test_non_leaf_grad_access_warns_like_pytorch():
    y = torch.ones(2, requires_grad=True) * 2
    with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):
        assert y.grad is None
    y.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert y.grad is None


def test_retained_grads_accumulate_with_retain_graph():
    x = torch.tensor(1.0, requires_grad=True)
    y = x * 2
    y.retain_grad()
    z = y * y
    z.backward(retain_graph=True)
    z.backward()
    assert y.grad.item() == 8.0


def test_backward_inputs_accumulates_only_into_given_tensors():
    def run(T):
        a = T.tensor(2.0, requires_grad=True)
        b = T.tensor(3.0, requires_grad=True)
        (a * b).backward(inputs=[a])
        y = a * b * b
        T.autograd.backward([y], inputs=[b])
        return a.grad.item(), b.grad

    a_grad, b_grad = run(torch)
    assert a_grad == 3.0 and b_grad.item() == 12.0


def test_backward_inputs_matches_pytorch(torch_ref):
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.tensor([3.0, 4.0], requires_grad=True)
        (a * b).sum().backward(inputs=[b])
        return a.grad, b.grad.tolist()

    ours, theirs = run(torch), run(torch_ref)
    assert ours[0] is None and theirs[0] is None
    assert ours[1] == theirs[1]
