"""Copies, casts, joins, indexing, where and fills of large tensors run with
the interpreter released: another Python thread makes progress meanwhile,
and the results are those numpy gives. The same calls on tensors below the
release threshold keep the interpreter, so the counting thread stays still:
that negative control shows the counter can only move when a call releases.

Progress is observed structurally, as in test_gil_release.py: the switch
interval is raised so the main thread is never preempted while it holds the
interpreter, so the counting thread can only advance while a call has
released it."""

import numpy as np
import pytest

import ferrograd as torch
from test_gil_release import counted_during

# 1536 * 1536 elements: far above the release threshold (2**16 elements).
BIG = 1536
# 255 * 255 = 65025 elements: just below the threshold.
SMALL = 255


def data(*shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def clone_of_transposed(n):
    x_np = data(n, n, seed=0)
    x = torch.tensor(x_np).t()
    return lambda: x.clone(), x_np.T


def contiguous_of_transposed(n):
    x_np = data(n, n, seed=1)
    x = torch.tensor(x_np).t()
    return lambda: x.contiguous(), x_np.T


def cast_to_float32(n):
    x_np = data(n, n, seed=2)
    x = torch.tensor(x_np)
    return lambda: x.float(), x_np.astype(np.float32)


def cast_with_to(n):
    x_np = data(n, n, seed=3) * 100
    x = torch.tensor(x_np)
    return lambda: x.to(torch.int64), x_np.astype(np.int64)


def cast_with_type(n):
    x_np = data(n, n, seed=4)
    x = torch.tensor(x_np, dtype=torch.float32)
    return lambda: x.type(torch.float64), x_np.astype(np.float32).astype(np.float64)


def cat(n):
    a_np, b_np = data(n // 2, n, seed=5), data(n // 2, n, seed=6)
    a, b = torch.tensor(a_np), torch.tensor(b_np)
    return lambda: torch.cat([a, b], dim=1), np.concatenate([a_np, b_np], axis=1)


def stack(n):
    a_np, b_np = data(n // 2, n, seed=7), data(n // 2, n, seed=8)
    a, b = torch.tensor(a_np), torch.tensor(b_np)
    return lambda: torch.stack([a, b]), np.stack([a_np, b_np])


def getitem_with_index_tensor(n):
    x_np = data(n, n, seed=9)
    rows = np.random.default_rng(10).integers(0, n, size=n)
    x, idx = torch.tensor(x_np), torch.tensor(rows)
    return lambda: x[idx], x_np[rows]


def getitem_with_mask(n):
    x_np = data(n, n, seed=11)
    x = torch.tensor(x_np)
    mask = x > 0
    return lambda: x[mask], x_np[x_np > 0]


def setitem_with_index_tensor(n):
    x_np = data(n, n, seed=12)
    rows = np.arange(0, n, 3)
    v_np = data(len(rows), n, seed=13)
    x, idx, v = torch.tensor(x_np), torch.tensor(rows), torch.tensor(v_np)

    def call():
        x[idx] = v
        return x

    expected = x_np.copy()
    expected[rows] = v_np
    return call, expected


def setitem_with_mask(n):
    x_np = data(n, n, seed=14)
    x = torch.tensor(x_np)
    mask = torch.tensor(x_np < 0)

    def call():
        x[mask] = 0.5
        return x

    return call, np.where(x_np < 0, 0.5, x_np)


def index_put_(n):
    x_np = data(n, n, seed=15)
    rows = np.arange(1, n, 2)
    v_np = data(len(rows), n, seed=16)
    x, idx, v = torch.tensor(x_np), torch.tensor(rows), torch.tensor(v_np)

    def call():
        return x.index_put_((idx,), v)

    expected = x_np.copy()
    expected[rows] = v_np
    return call, expected


def where(n):
    a_np, b_np = data(n, n, seed=17), data(n, n, seed=18)
    a, b = torch.tensor(a_np), torch.tensor(b_np)
    cond = a > b
    return lambda: torch.where(cond, a, b), np.maximum(a_np, b_np)


def fill_(n):
    x = torch.tensor(data(n, n, seed=19))
    return lambda: x.fill_(2.5), np.full((n, n), 2.5)


def zero_(n):
    x = torch.tensor(data(n, n, seed=20))
    return lambda: x.zero_(), np.zeros((n, n))


CASES = [
    clone_of_transposed,
    contiguous_of_transposed,
    cast_to_float32,
    cast_with_to,
    cast_with_type,
    cat,
    stack,
    getitem_with_index_tensor,
    getitem_with_mask,
    setitem_with_index_tensor,
    setitem_with_mask,
    index_put_,
    where,
    fill_,
    zero_,
]


def run_counted(case, n, repeats):
    call, expected = case(n)
    results = []
    during = counted_during(lambda: results.append(call()), repeats=repeats)
    for r in results:
        np.testing.assert_array_equal(r.numpy(), expected)
    return during


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_large_call_lets_other_threads_run(case):
    # A fast call (an in-place fill takes about a millisecond) can end before
    # a busy machine schedules the counting thread at all, so the calls are
    # tried a few times over; a call that holds the interpreter never lets
    # the counter move, however often it runs.
    for _ in range(10):
        during = run_counted(case, BIG, repeats=3)
        if during > 0:
            break
    assert during > 0, f"no other thread ran during {case.__name__}: the interpreter was held"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_call_below_the_threshold_keeps_the_interpreter(case):
    during = run_counted(case, SMALL, repeats=20)
    assert during == 0, f"another thread ran during a small {case.__name__}: it released the interpreter"
