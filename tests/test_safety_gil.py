"""Large kernels run with the interpreter released, so other Python threads
make progress meanwhile, and their results are unchanged.

The check is structural, not a timing: the switch interval is raised so a
thread that holds the interpreter is never preempted during the call.  A
second thread is woken just before the call and records that it ran; the
main thread reads that record in the same expression as the call, before any
point where it could hand the interpreter over.  The record can therefore
only show progress if the call itself released the interpreter.  Whether the
woken thread is scheduled before a short kernel ends is up to the OS, so a
call is tried a few times: one observed run proves the release."""

import sys
import threading

import numpy as np
import pytest

import ferrograd as torch


ATTEMPTS = 50


def run_with_observer(call, attempts=ATTEMPTS):
    """(call(), whether another thread ran while call() was running in any
    of up to `attempts` tries)."""
    for _ in range(attempts):
        result, ran_during_call = observe_once(call)
        if ran_during_call:
            break
    return result, ran_during_call


def observe_once(call):
    """(call(), whether another thread ran while call() was running)."""
    ran = [False]
    go = threading.Event()

    def observer():
        go.wait()
        ran[0] = True
        # Some core work too: the graph and storage locks must not deadlock.
        small = torch.ones(3, requires_grad=True)
        (small * 2).sum().backward()

    thread = threading.Thread(target=observer)
    thread.start()
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(60.0)
    try:
        go.set()
        result, ran_during_call = call(), ran[0]
    finally:
        sys.setswitchinterval(old_interval)
        thread.join()
    return result, ran_during_call


def matrices(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape)


N = 768
CASES = {
    "matmul": (lambda a, b: a @ b, lambda a, b: a @ b, [(N, N), (N, N)]),
    "Tensor.matmul": (lambda a, b: a.matmul(b), lambda a, b: a @ b, [(N, N), (N, N)]),
    "mm": (lambda a, b: torch.mm(a, b), lambda a, b: a @ b, [(N, N), (N, N)]),
    "bmm": (lambda a, b: torch.bmm(a, b), lambda a, b: a @ b, [(4, 192, 192), (4, 192, 192)]),
    "addmm": (lambda c, a, b: torch.addmm(c, a, b, beta=0.5), lambda c, a, b: 0.5 * c + a @ b, [(N,), (N, N), (N, N)]),
    "softmax": (lambda a: torch.softmax(a, dim=1), lambda a: np.exp(a) / np.exp(a).sum(1, keepdims=True), [(1024, 1024)]),
    "amax": (lambda a: torch.amax(a, dim=0), lambda a: a.max(0), [(1024, 1024)]),
    "cumprod": (lambda a: torch.cumprod(a, dim=1), lambda a: np.cumprod(a, 1), [(1024, 1024)]),
    "exp2": (lambda a: a.exp2(), np.exp2, [(1024, 1024)]),
    "clamp": (lambda a: a.clamp(-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5), [(1024, 1024)]),
    "mse_loss": (lambda a, b: torch.nn.functional.mse_loss(a, b, reduction="none"), lambda a, b: (a - b) ** 2,
                 [(1024, 1024), (1024, 1024)]),
    # Cheap per element: large enough that a call outlasts a thread wake-up.
    "add": (lambda a, b: a + b, lambda a, b: a + b, [(2048, 2048), (2048, 2048)]),
    "mul by a number": (lambda a: a * 3.0, lambda a: a * 3.0, [(2048, 2048)]),
    "sum over a dim": (lambda a: a.sum(1), lambda a: a.sum(1), [(2048, 2048)]),
    "mean": (lambda a: a.mean(), lambda a: a.mean(), [(2048, 2048)]),
    "conv2d": (lambda x, w: torch.nn.functional.conv2d(x, w), lambda x, w: np.einsum("nchw,oc->nohw", x, w[:, :, 0, 0]),
               [(4, 8, 64, 64), (8, 8, 1, 1)]),
    "avg_pool2d": (lambda x: torch.nn.functional.avg_pool2d(x, 2),
                   lambda x: x.reshape(4, 8, 32, 2, 32, 2).mean(axis=(3, 5)), [(4, 8, 64, 64)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_large_kernel_lets_other_threads_run(name):
    fn, ref, shapes = CASES[name]
    arrays = [matrices(*s, seed=i) for i, s in enumerate(shapes)]
    tensors = [torch.from_numpy(a) for a in arrays]
    result, ran_during_call = run_with_observer(lambda: fn(*tensors))
    assert ran_during_call, "another thread could not run during the call: the interpreter was not released"
    np.testing.assert_allclose(np.array(result.tolist()), ref(*arrays), rtol=1e-10, atol=1e-9)


def test_small_kernel_result_unchanged_and_attached():
    """Below the size threshold the call stays attached (nothing to gain)."""
    a = torch.tensor(matrices(4, 4).tolist(), dtype=torch.float64)
    result, ran_during_call = run_with_observer(lambda: a @ a, attempts=1)
    assert not ran_during_call
    np.testing.assert_allclose(np.array(result.tolist()), matrices(4, 4) @ matrices(4, 4), rtol=1e-12)


def assert_square_gradient(a, square):
    """d sum(a @ a) / da = 1 a^T + a^T 1."""
    square.sum().backward()
    x, ones = np.array(a.tolist()), np.ones((N, N))
    np.testing.assert_allclose(np.array(a.grad.tolist()), ones @ x.T + x.T @ ones, rtol=1e-10, atol=1e-9)


def test_large_matmul_records_gradient_while_detached():
    a = torch.tensor(matrices(N, N).tolist(), dtype=torch.float64, requires_grad=True)
    result, ran_during_call = run_with_observer(lambda: a @ a)
    assert ran_during_call
    assert_square_gradient(a, result)


def test_pack_hook_runs_from_a_released_kernel():
    """A saved-tensor pack hook is Python called while the forward op is
    recorded, inside the released section: it must take the interpreter back."""
    a = torch.tensor(matrices(N, N).tolist(), dtype=torch.float64, requires_grad=True)
    packed = []

    def pack(t):
        packed.append(tuple(t.shape))
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        result, ran_during_call = run_with_observer(lambda: a @ a)
    assert ran_during_call
    assert (N, N) in packed
    assert_square_gradient(a, result)
