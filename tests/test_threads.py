"""set_num_threads / get_num_threads: PyTorch's names, errors and effect."""

import os

import ferrograd
import pytest

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


@pytest.fixture(autouse=True)
def restore_threads():
    before = ferrograd.get_num_threads()
    yield
    ferrograd.set_num_threads(before)


def pool_thread_names():
    names = set()
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                names.add(f.read().strip())
        except OSError:
            continue
    return {n for n in names if n.startswith("ferrograd-")}


@needs_torch
@pytest.mark.parametrize("lib", ["ferrograd", "torch"])
def test_get_returns_what_set_gave(lib):
    L = ferrograd if lib == "ferrograd" else torch
    before = L.get_num_threads()
    try:
        L.set_num_threads(3)
        assert L.get_num_threads() == 3
        L.set_num_threads(1)
        assert L.get_num_threads() == 1
    finally:
        L.set_num_threads(before)


@needs_torch
@pytest.mark.parametrize("bad", [0, -1, 1.5])
def test_bad_counts_raise_as_pytorch_does(bad):
    with pytest.raises(RuntimeError) as theirs:
        torch.set_num_threads(bad)
    with pytest.raises(RuntimeError) as ours:
        ferrograd.set_num_threads(bad)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs /proc to list threads")
def test_large_kernels_run_on_a_pool_of_the_size_set():
    ferrograd.set_num_threads(3)
    x = ferrograd.ones(1 << 20)
    assert (x * 2).sum().item() == 2 * (1 << 20)
    assert {"ferrograd-0", "ferrograd-1", "ferrograd-2"} <= pool_thread_names()
    assert "ferrograd-3" not in pool_thread_names()


def test_results_do_not_depend_on_the_thread_count():
    g = ferrograd.Generator().manual_seed(0)
    x = ferrograd.randn(300_000, generator=g, dtype=ferrograd.float64)
    results = []
    for n in (1, 2, 3):
        ferrograd.set_num_threads(n)
        results.append(((x * 3).exp().sum().item(), x.softmax(0)[:5].tolist()))
    # Work is split by size, not by thread, and combined in order.
    assert results[0] == results[1] == results[2]
