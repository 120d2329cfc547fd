"""The host buffer cache: large buffers freed by one step are reused by the
next, the cache stays under its limit, and reused memory never leaks old
values into results."""

import ferrograd as torch
import ferrograd.nn.functional as F
import pytest

LARGE = 100_000  # float32 elements: 400 KB, above the cache's 64 KiB floor


@pytest.fixture(autouse=True)
def fresh_cache():
    torch.empty_cache()
    limit = torch.memory_stats()["limit_bytes"]
    yield
    torch.set_cache_limit(limit)
    torch.empty_cache()


def test_a_freed_large_buffer_is_reused():
    before = torch.memory_stats()
    x = torch.ones(LARGE)
    del x
    parked = torch.memory_stats()
    assert parked["cached_blocks"] == before["cached_blocks"] + 1
    assert parked["cached_bytes"] >= LARGE * 4
    y = torch.ones(LARGE)
    after = torch.memory_stats()
    assert after["hits"] == parked["hits"] + 1
    assert after["cached_blocks"] == before["cached_blocks"]
    assert y.sum().item() == LARGE


def test_reused_memory_shows_no_old_values():
    x = torch.full((LARGE,), 7.0)
    del x
    z = torch.zeros(LARGE)
    assert torch.memory_stats()["hits"] >= 1
    assert z.abs().max().item() == 0.0
    a = torch.arange(LARGE, dtype=torch.float32)
    del a
    b = torch.arange(LARGE, dtype=torch.float32) * 2
    assert b[LARGE - 1].item() == 2 * (LARGE - 1)


def test_small_buffers_are_left_to_malloc():
    x = torch.ones(100)
    del x
    assert torch.memory_stats()["cached_blocks"] == 0


def test_empty_cache_frees_everything():
    xs = [torch.ones(LARGE + i * 1000) for i in range(4)]
    del xs
    assert torch.memory_stats()["cached_blocks"] == 4
    torch.empty_cache()
    stats = torch.memory_stats()
    assert (stats["cached_blocks"], stats["cached_bytes"]) == (0, 0)


def test_the_cache_stays_under_its_limit():
    torch.set_cache_limit(2_000_000)
    xs = [torch.ones(LARGE + i * 5000) for i in range(20)]
    del xs
    stats = torch.memory_stats()
    assert stats["limit_bytes"] == 2_000_000
    assert 0 < stats["cached_bytes"] <= 2_000_000
    torch.set_cache_limit(0)
    assert torch.memory_stats()["cached_bytes"] == 0
    y = torch.ones(LARGE)
    del y
    assert torch.memory_stats()["cached_blocks"] == 0


def test_steady_state_training_allocates_no_new_large_buffers():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 3, 32, 32, generator=g)
    w = torch.randn(8, 3, 3, 3, generator=g, requires_grad=True)
    head = torch.randn(10, 8 * 16 * 16, generator=g, requires_grad=True)
    y = torch.randint(0, 10, (16,), generator=g)

    def step():
        h = F.max_pool2d(F.relu(F.conv2d(x, w, padding=1)), 2)
        loss = F.cross_entropy(h.flatten(1) @ head.t(), y)
        loss.backward()
        with torch.no_grad():
            for p in (w, head):
                p -= 0.01 * p.grad
                p.grad.zero_()

    # On one thread the steady state is exact: after warm-up no step misses.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(3):
            step()
        misses, hits = torch.memory_stats()["misses"], torch.memory_stats()["hits"]
        for _ in range(5):
            step()
        stats = torch.memory_stats()
        assert stats["misses"] == misses
        assert stats["hits"] > hits
    finally:
        torch.set_num_threads(threads)
    # On the pool, each thread allocates its GEMM packing scratch the first
    # time a task lands on it, which may be many steps in; beyond that,
    # nothing: a long run misses at most once per thread.
    for _ in range(3):
        step()
    misses = torch.memory_stats()["misses"]
    for _ in range(40):
        step()
    assert torch.memory_stats()["misses"] - misses <= threads
