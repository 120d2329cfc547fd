"""Backward and autograd.grad run with the interpreter released: another
Python thread makes progress while the engine runs, the gradients are those
of the math, and Python code the engine calls back (tensor hooks, custom
autograd Functions, saved-tensor hooks) takes the interpreter back without
deadlocking against threads running ferrograd ops.

Progress is observed structurally, not timed: the switch interval is raised
so the main thread is never preempted while it holds the interpreter, so the
counting thread can only advance while the call has released it."""

import sys
import threading
import time

import numpy as np

import ferrograd as torch

N = 512
JOIN_TIMEOUT = 120.0


def data(*shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


class Counter:
    """A thread that, once started, counts loop turns until stopped."""

    def __init__(self):
        self.count = 0
        self.go = threading.Event()
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        self.go.wait()
        while not self.stop:
            self.count += 1
            # Hands the interpreter back at once: with the raised switch
            # interval, a spinning thread would keep it for a minute.
            time.sleep(0.0001)

    def __enter__(self):
        self.thread.start()
        self.old_interval = sys.getswitchinterval()
        sys.setswitchinterval(60.0)
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.go.set()
        sys.setswitchinterval(self.old_interval)
        self.thread.join(JOIN_TIMEOUT)
        assert not self.thread.is_alive()


def counted_during(call, repeats=5):
    """How many turns the counting thread made while `call` ran `repeats` times."""
    with Counter() as counter:
        counter.go.set()
        before = counter.count
        for _ in range(repeats):
            call()
        # Read in the same thread run as the calls: no hand-over in between.
        during = counter.count - before
    return during


def two_layer(x, w):
    """loss = sum(tanh(x @ w) @ w) and d loss / dx by hand."""
    y = np.tanh(x @ w)
    dy = np.ones((x.shape[0], w.shape[1])) @ w.T
    return (y @ w).sum(), (dy * (1 - y ** 2)) @ w.T


def test_backward_over_a_large_graph_lets_other_threads_run():
    x_np, w_np = data(N, N, seed=0), data(N, N, seed=1) / np.sqrt(N)
    x = torch.tensor(x_np, requires_grad=True)
    w = torch.tensor(w_np)
    loss = ((x @ w).tanh() @ w).sum()

    during = counted_during(lambda: loss.backward(retain_graph=True))

    assert during > 0, "no other thread ran during backward: the interpreter was held"
    _, dx = two_layer(x_np, w_np)
    np.testing.assert_allclose(x.grad.numpy(), 5 * dx, rtol=1e-10, atol=1e-9)


def test_autograd_grad_lets_other_threads_run():
    x_np, w_np = data(N, N, seed=2), data(N, N, seed=3) / np.sqrt(N)
    x = torch.tensor(x_np, requires_grad=True)
    w = torch.tensor(w_np)
    loss = ((x @ w).tanh() @ w).sum()
    grads = []

    during = counted_during(lambda: grads.append(torch.autograd.grad(loss, x, retain_graph=True)[0]))

    assert during > 0, "no other thread ran during autograd.grad: the interpreter was held"
    _, dx = two_layer(x_np, w_np)
    for g in grads:
        np.testing.assert_allclose(g.numpy(), dx, rtol=1e-10, atol=1e-9)
    assert x.grad is None


def test_large_in_place_updates_let_other_threads_run():
    a_np, b_np = data(2048, 2048, seed=4), data(2048, 2048, seed=5)
    a, b = torch.tensor(a_np), torch.tensor(b_np)

    def updates():
        nonlocal a
        a.mul_(0.5)
        a.add_(b, alpha=2.0)
        a.exp_()
        a.log_()
        a -= b

    during = counted_during(updates, repeats=2)

    assert during > 0, "no other thread ran during the in-place updates: the interpreter was held"
    expected = a_np
    for _ in range(2):
        expected = expected * 0.5 + 2.0 * b_np
        expected = np.log(np.exp(expected)) - b_np
    np.testing.assert_allclose(a.numpy(), expected, rtol=1e-10, atol=1e-9)


class ScaledSquare(torch.autograd.Function):
    """y = c * x**2, backward written in Python with numpy."""

    calls = 0

    @staticmethod
    def forward(ctx, x, c):
        ctx.save_for_backward(x)
        ctx.c = c
        return x * x * c

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        ScaledSquare.calls += 1
        return torch.from_numpy(2.0 * ctx.c * x.detach().numpy() * grad.detach().numpy()), None


def run_threads(*targets):
    """Runs each target in its own thread; returns the errors they raised.
    Fails if any thread is still running after the timeout (a deadlock)."""
    errors = []

    def guarded(target):
        try:
            target()
        except BaseException as exc:  # reported in the calling thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(t,), daemon=True) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a thread did not finish: deadlock"
    return errors


def test_python_callbacks_from_a_released_backward_do_not_deadlock():
    """A backward calling a tensor hook, a custom Function and saved-tensor
    hooks, in one thread, while another thread runs large matmuls and their
    backward."""
    x_np, w_np = data(256, 256, seed=6), data(256, 256, seed=7) / 16.0
    hook_seen, packed, results = [], [], {}

    def with_callbacks():
        for _ in range(20):
            x = torch.tensor(x_np, requires_grad=True)
            w = torch.tensor(w_np)
            with torch.autograd.graph.saved_tensors_hooks(lambda t: packed.append(1) or t, lambda t: t):
                h = x @ w
            h.register_hook(lambda g: hook_seen.append(g.shape) or g * 2.0)
            ScaledSquare.apply(h, 0.5).sum().backward()
            results["callbacks"] = x.grad.numpy().copy()

    def big_ops():
        a_np = data(N, N, seed=8) / np.sqrt(N)
        for _ in range(5):
            a = torch.tensor(a_np, requires_grad=True)
            ((a @ a) @ a).sum().backward()
            results["ops"] = a.grad.numpy().copy()

    errors = run_threads(with_callbacks, big_ops)

    assert errors == []
    assert len(hook_seen) == 20 and ScaledSquare.calls >= 20 and packed
    # d/dx sum(0.5 h**2) with h = x @ w, the hook doubling dL/dh = h.
    np.testing.assert_allclose(results["callbacks"], (2.0 * (x_np @ w_np)) @ w_np.T, rtol=1e-10, atol=1e-9)
    a_np = data(N, N, seed=8) / np.sqrt(N)
    ones = np.ones((N, N))
    # d sum(a a a) / da = 1 (a a)^T + a^T 1 a^T + (a a)^T 1
    expected = ones @ (a_np @ a_np).T + a_np.T @ ones @ a_np.T + (a_np @ a_np).T @ ones
    np.testing.assert_allclose(results["ops"], expected, rtol=1e-9, atol=1e-8)


def test_hooks_in_concurrent_backwards_do_not_deadlock():
    """Two threads each run backwards whose hooks run Python that itself
    calls ferrograd, while their graphs are large enough to release."""
    results = {}

    def work(seed):
        def run():
            x_np = data(N, N, seed=seed) / np.sqrt(N)
            for _ in range(3):
                x = torch.tensor(x_np, requires_grad=True)
                y = x @ x
                y.register_hook(lambda g: (g * 1.0) + torch.zeros(g.shape, dtype=g.dtype))
                y.sum().backward()
            results[seed] = (x_np, x.grad.numpy().copy())
        return run

    errors = run_threads(work(10), work(11))

    assert errors == []
    ones = np.ones((N, N))
    for x_np, grad in results.values():
        np.testing.assert_allclose(grad, ones @ x_np.T + x_np.T @ ones, rtol=1e-9, atol=1e-8)
