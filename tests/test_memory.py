"""Memory stays bounded and long graphs are walked without recursion.

Resident set size is read from /proc/self/statm after a warm-up and a
gc.collect(); loops that must not grow are run long enough that a leak of a
few hundred bytes per iteration would show.  The 100,000-op chains run in a
child process, so a stack overflow fails one test instead of killing the run.
"""

import gc
import os
import subprocess
import sys

import numpy as np
import pytest

import ferrograd as torch

MB = 1024 * 1024

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm"),
                                reason="needs /proc/self/statm")


def rss():
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def regression_data():
    rng = np.random.RandomState(42)
    x = rng.rand(100, 1)
    y = 1 + 2 * x + .1 * rng.randn(100, 1)
    return torch.from_numpy(x).float(), torch.from_numpy(y).float()


def regression_epochs(b, w, x, y, epochs, lr=0.1):
    for _ in range(epochs):
        yhat = b + w * x
        error = (y - yhat)
        loss = (error ** 2).mean()
        loss.backward()
        with torch.no_grad():
            b -= lr * b.grad
            w -= lr * w.grad
        b.grad.zero_(), w.grad.zero_()


def forward_passes(b, w, x, y, n):
    for _ in range(n):
        yhat = b + w * x
        loss = ((y - yhat) ** 2).mean()
    return loss


def test_training_loop_rss_is_flat():
    x, y = regression_data()
    torch.manual_seed(42)
    b = torch.randn(1, requires_grad=True)
    w = torch.randn(1, requires_grad=True)
    regression_epochs(b, w, x, y, 1000)
    before = rss()
    regression_epochs(b, w, x, y, 10_000)
    growth = rss() - before
    assert growth < 2 * MB, f"RSS grew by {growth / MB:.2f} MB over 10,000 epochs"
    assert abs(w.item() - 2.0) < 0.2 and abs(b.item() - 1.0) < 0.2


def test_forward_without_backward_rss_is_flat():
    x, y = regression_data()
    b = torch.zeros(1, requires_grad=True)
    w = torch.ones(1, requires_grad=True)
    forward_passes(b, w, x, y, 1000)
    before = rss()
    last = forward_passes(b, w, x, y, 10_000)
    growth = rss() - before
    assert growth < 2 * MB, f"RSS grew by {growth / MB:.2f} MB over 10,000 forward passes"
    assert last.requires_grad


def test_old_output_kept_alive_does_not_keep_later_graphs():
    x, y = regression_data()
    b = torch.zeros(1, requires_grad=True)
    w = torch.ones(1, requires_grad=True)
    first = forward_passes(b, w, x, y, 1)
    forward_passes(b, w, x, y, 1000)
    before = rss()
    forward_passes(b, w, x, y, 10_000)
    growth = rss() - before
    assert growth < 2 * MB, f"RSS grew by {growth / MB:.2f} MB with an old output alive"
    first.backward()
    assert b.grad is not None and w.grad is not None


CHAIN = """
import gc, sys
import {module} as torch
n, do_backward = int(sys.argv[1]), sys.argv[2] == "1"
x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
y = x
for _ in range(n):
    y = y * 1.0001 + 0.0
value = y.item()
if do_backward:
    y.backward()
    print(value, x.grad.item())
else:
    print(value, "nan")
del y
gc.collect()
print("dropped")
"""


def run_child(script, *args, env=None):
    """Run ``script`` (with ``{module}`` filled in) in a fresh interpreter."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p), **(env or {}))
    proc = subprocess.run(
        [sys.executable, "-c", script.format(module=torch.__name__), *map(str, args)],
        capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, (f"child exited with {proc.returncode}\n"
                                  f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}")
    return proc.stdout.split()


def run_chain(n, do_backward):
    out = run_child(CHAIN, n, int(do_backward))
    assert out[-1] == "dropped"
    return float(out[0]), float(out[1])


def python_chain(n):
    v = 1.0
    for _ in range(n):
        v = v * 1.0001 + 0.0
    return v


def test_chain_of_100k_ops_backwards_and_drops():
    value, grad = run_chain(100_000, True)
    expected = python_chain(100_000)
    assert value == pytest.approx(expected, rel=1e-12)
    assert grad == pytest.approx(1.0001 ** 100_000, rel=1e-9)


def test_chain_of_100k_ops_drops_without_backward():
    value, _ = run_chain(100_000, False)
    assert value == pytest.approx(python_chain(100_000), rel=1e-12)


SAVED = """
import gc, sys
import {module} as torch
n, iters, do_backward = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"

def rss():
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * {page}

w = torch.ones(1, requires_grad=True)
big = torch.ones(n)

def step():
    h = w * big
    loss = (h * h).sum()
    if do_backward:
        loss.backward()
    return loss

kept = [step() for _ in range(5)]
before = rss()
kept += [step() for _ in range(iters)]
print((rss() - before) / 2 ** 20)
"""


def saved_tensor_growth(do_backward, n=250_000, iters=40):
    # A fixed mmap threshold makes freed 1 MB buffers leave the resident set at once.
    out = run_child(SAVED.replace("{page}", str(os.sysconf("SC_PAGE_SIZE"))),
                    n, iters, int(do_backward), env={"MALLOC_MMAP_THRESHOLD_": "65536"})
    return float(out[-1])


def test_backward_frees_saved_tensors_of_outputs_kept_alive():
    # Each graph saves a fresh 1 MB tensor: 40 kept graphs hold ~38 MB until
    # backward runs, and nothing once it has (without retain_graph).
    held = saved_tensor_growth(do_backward=False)
    freed = saved_tensor_growth(do_backward=True)
    assert held > 25, f"kept graphs should hold their saved tensors, RSS grew {held:.1f} MB"
    assert freed < 8, f"backward should free saved tensors, RSS grew {freed:.1f} MB"
