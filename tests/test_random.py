"""Random generators and samplers, compared value for value with PyTorch.

Every comparison runs the same script of calls against PyTorch and against
ferrograd after the same seed and checks that all outputs agree exactly
(dtype, shape and every bit of every value). Where PyTorch is absent those
tests skip and the statistical checks at the end still run.
"""

import math
import threading

import pytest

import ferrograd as fg

SEEDS = [0, 1, 42, 2**40 + 3]
SIZES = [0, 1, 15, 16, 17, 1000]
FLOATS = ["float32", "float64"]


def outputs(mod, script):
    """What `script(mod)` returns, as comparable Python data."""
    result = []
    for t in script(mod):
        if isinstance(t, (int, float)):
            result.append(t)
        else:
            result.append((str(t.dtype).replace("torch.", "").replace("ferrograd.", ""), tuple(t.shape), t.tolist()))
    return result


def failure(call):
    """(exception family, message) of `call()`, or None when it succeeds.
    PyTorch's NotImplementedError and ferrograd's DTypeError are both
    RuntimeErrors."""
    try:
        call()
    except Exception as e:  # noqa: BLE001 - the messages are compared
        family = next(k for k in (TypeError, ValueError, IndexError, RuntimeError, Exception) if isinstance(e, k))
        return family.__name__, str(e)
    return None


def same_as_torch(torch_ref, script):
    expected = outputs(torch_ref, script)
    got = outputs(fg, script)
    assert got == expected


# ---- factories ------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_rand_and_randn_match_torch(torch_ref, seed, n, dtype):
    def script(m):
        m.manual_seed(seed)
        d = getattr(m, dtype)
        return [m.rand(n, dtype=d), m.randn(n, dtype=d), m.randn(2, n, dtype=d)]

    same_as_torch(torch_ref, script)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
def test_randperm_matches_torch(torch_ref, seed, n):
    def script(m):
        m.manual_seed(seed)
        g = m.Generator().manual_seed(seed + 1)
        return [m.randperm(n), m.randperm(n, generator=g), m.randperm(n, dtype=m.float32), m.randperm(n, dtype=m.float64, generator=g)]

    same_as_torch(torch_ref, script)


# ---- in-place uniform_ and normal_ ----------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_uniform_and_normal_in_place_match_torch(torch_ref, seed, n, dtype):
    def script(m):
        m.manual_seed(seed)
        d = getattr(m, dtype)
        return [
            m.empty(n, dtype=d).uniform_(),
            m.empty(n, dtype=d).uniform_(-3, 7.5),
            m.empty(n, dtype=d).uniform_(to=2),
            m.empty(n, dtype=d).normal_(),
            m.empty(n, dtype=d).normal_(0.5, 2.5),
            m.empty(n, dtype=d).normal_(std=0.1),
        ]

    same_as_torch(torch_ref, script)


@pytest.mark.parametrize("dtype", FLOATS)
def test_in_place_samplers_on_non_contiguous_tensors(torch_ref, dtype):
    # PyTorch draws in memory order, and a non-contiguous normal_ of 16 or
    # more elements takes the pairwise path, not the blockwise one.
    def script(m):
        m.manual_seed(3)
        d = getattr(m, dtype)
        base = m.zeros(6, 8, dtype=d)
        out = []
        out.append(m.zeros(5, 7, dtype=d).t().uniform_())
        out.append(m.zeros(4, 6, dtype=d).t().normal_(1, 3))
        out.append(m.zeros(3, 2, dtype=d).t().normal_())
        view = base[:, ::2]
        view.uniform_(2, 4)
        out.append(base.clone())
        base[1:5, 1:].normal_()
        out.append(base.clone())
        out.append(m.zeros(2, 3, 4, dtype=d).permute(2, 0, 1).normal_(-1, 0.5))
        return out

    same_as_torch(torch_ref, script)


def test_interleaved_calls_share_one_stream(torch_ref):
    def script(m):
        m.manual_seed(2024)
        return [
            m.randn(5),
            m.empty(17).uniform_(),
            m.randperm(9),
            m.randn(1),
            m.randn(1, dtype=m.float64),
            m.empty(3, dtype=m.float64).normal_(),
            m.rand(33),
            m.randn(16),
            m.randn(3),
        ]

    same_as_torch(torch_ref, script)


# ---- generators -----------------------------------------------------------------


def test_generators_are_independent_of_the_default(torch_ref):
    def script(m):
        m.manual_seed(11)
        g = m.Generator().manual_seed(99)
        h = m.Generator()
        return [
            m.rand(4, generator=g),
            m.randn(3),
            m.randn(20, generator=g),
            m.empty(5).uniform_(generator=h),
            m.empty(5).normal_(generator=g),
            m.randn(3),
            m.randperm(5, generator=h),
            g.initial_seed(),
            h.initial_seed(),
        ]

    same_as_torch(torch_ref, script)


def test_generator_api():
    g = fg.Generator()
    assert g.manual_seed(5) is g
    assert g.initial_seed() == 5
    assert str(g.device) == "cpu"
    assert fg.Generator(device="cpu").initial_seed() == 67280421310721
    s = g.seed()
    assert isinstance(s, int) and g.initial_seed() == s
    assert g.manual_seed(-1).initial_seed() == 2**64 - 1
    assert fg.manual_seed(7) is fg.default_generator
    assert fg.initial_seed() == 7 and fg.default_generator.initial_seed() == 7
    s = fg.seed()
    assert fg.initial_seed() == s
    with pytest.raises(RuntimeError, match="manual_seed expected a long, but got float"):
        g.manual_seed(1.5)
    with pytest.raises(ValueError, match="Overflow"):
        g.manual_seed(2**64)
    with pytest.raises(TypeError, match="generator must be a ferrograd.Generator"):
        fg.rand(3, generator=5)
    with pytest.raises(TypeError, match="generator must be a ferrograd.Generator"):
        fg.empty(3).uniform_(generator="g")


def test_state_round_trip_and_bytes_match_torch(torch_ref):
    def script(m):
        g = m.Generator().manual_seed(123)
        m.randn(1, generator=g)  # leaves a cached normal in the state
        m.rand(700, generator=g)  # crosses a twist of the 624-word block
        state = g.get_state()
        a = m.randn(3, generator=g)
        g.set_state(state)
        b = m.randn(3, generator=g)
        return [state.long() if hasattr(state, "long") else state, a, b]

    same_as_torch(torch_ref, script)
    # A PyTorch state restores into ferrograd and continues the same stream.
    tg = torch_ref.Generator().manual_seed(8)
    torch_ref.randn(5, generator=tg)
    raw = bytes(tg.get_state().numpy())
    g = fg.Generator().set_state(raw)
    assert g.initial_seed() == 8
    assert fg.randn(40, generator=g).tolist() == torch_ref.randn(40, generator=tg).tolist()


def test_global_rng_state_round_trip():
    fg.manual_seed(5)
    fg.randn(1)
    state = fg.get_rng_state()
    assert state.shape == (5056,) and state.dtype == fg.int64
    a = fg.rand(10).tolist()
    fg.randn(100)
    fg.set_rng_state(state)
    assert fg.rand(10).tolist() == a
    g = fg.Generator().set_state(state)
    fg.set_rng_state(state)
    assert fg.randn(7, generator=g).tolist() == fg.randn(7).tolist()


def test_bad_states_are_refused():
    g = fg.Generator().manual_seed(1)
    before = g.get_state().tolist()
    with pytest.raises(RuntimeError, match="Expected a CPUGeneratorImplState of size 5056 but found the input RNG state size to be 10"):
        g.set_state(fg.zeros(10, dtype=fg.int64))
    with pytest.raises(TypeError, match="int64 tensor of byte values"):
        g.set_state(fg.zeros(5056))
    with pytest.raises(ValueError, match=r"bytes in \[0, 255\]"):
        g.set_state(fg.full((5056,), 300, dtype=fg.int64))
    bad_position = bytearray(bytes(x for x in before))
    bad_position[8:12] = (5000).to_bytes(4, "little")
    with pytest.raises(RuntimeError, match="stream position"):
        g.set_state(bytes(bad_position))
    with pytest.raises(TypeError):
        g.set_state([1, 2, 3])
    assert g.get_state().tolist() == before


def test_one_generator_from_many_threads():
    # Each call holds the generator for all of its draws, so every chunk a
    # thread gets is one of the chunks a sequential run produces.
    n_threads, calls, size = 4, 25, 5000
    g = fg.Generator().manual_seed(77)
    sequential = [tuple(fg.rand(size, generator=g).tolist()) for _ in range(n_threads * calls)]
    g.manual_seed(77)
    got, errors = [], []

    def work():
        try:
            for _ in range(calls):
                got.append(tuple(fg.rand(size, generator=g).tolist()))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(got) == sorted(sequential)


# ---- in-place rules -----------------------------------------------------------------


@pytest.mark.parametrize(
    "sample",
    [
        lambda t: t.uniform_(),
        lambda t: t.normal_(),
    ],
)
def test_in_place_sampling_rules(sample):
    leaf = fg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        sample(leaf)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        sample(leaf[1:])
    with fg.no_grad():
        v = leaf._version
        assert sample(leaf) is leaf
        assert leaf._version == v + 1
    assert leaf.grad_fn is None and leaf.requires_grad
    t = fg.zeros(4)
    v = t._version
    assert sample(t) is t and t._version == v + 1
    assert t.grad_fn is None and not t.requires_grad


def test_sampler_argument_errors(torch_ref):
    def errors(m):
        cases = [
            lambda: m.zeros(3).uniform_(2, 1),
            lambda: m.zeros(3, dtype=m.int64).uniform_(),
            lambda: m.zeros(3).normal_(0, -1),
            lambda: m.zeros(3, dtype=m.int64).normal_(),
            lambda: m.randperm(-1),
            lambda: m.randn(-2, 3),
        ]
        return [failure(c) for c in cases]

    assert errors(fg) == errors(torch_ref)


# ---- statistics (run without PyTorch too) ----------------------------------------


def test_uniform_and_normal_statistics():
    fg.manual_seed(0)
    n = 200_000
    u = fg.empty(n).uniform_(-1, 3)
    assert -1 <= u.min().item() and u.max().item() < 3
    assert abs(u.mean().item() - 1) < 0.02
    z = fg.empty(n, dtype=fg.float64).normal_(2, 0.5)
    assert abs(z.mean().item() - 2) < 0.01
    assert abs(((z - 2) ** 2).mean().sqrt().item() - 0.5) < 0.01
    p = fg.randperm(1000)
    assert sorted(p.tolist()) == list(range(1000))
    assert not math.isnan(fg.randn(1).item())
