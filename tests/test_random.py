"""Random generators and samplers, compared value for value with PyTorch.

Every comparison runs the same script of calls against PyTorch and against
ferrograd after the same seed and checks that all outputs agree exactly
(dtype, shape and every bit of every value). Where PyTorch is absent those
tests skip and the statistical checks at the end still run.
"""

import math
import threading
import warnings

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


ALL_DTYPES = ["float32", "float64", "int64"]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_random_in_place_matches_torch(torch_ref, seed, n, dtype):
    def script(m):
        m.manual_seed(seed)
        d = getattr(m, dtype)
        return [
            m.empty(n, dtype=d).random_(),
            m.empty(n, dtype=d).random_(10),
            m.empty(n, dtype=d).random_(-5, 2**30),  # 64-bit draws from 2^28 on
            m.empty(n, dtype=d).random_(3, None),
            m.empty(n, dtype=d).random_(-(2**63), None),
            m.empty(n, dtype=d).random_(**{"from": 4, "to": 9}),
            m.empty(n, dtype=d).random_(to=7),
            m.empty(n, dtype=d).random_(2, to=7),
        ]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns on float bounds past 2^24
        same_as_torch(torch_ref, script)


def test_random_bounds_snap_to_float_values(torch_ref):
    def script(m):
        m.manual_seed(9)
        return [
            m.empty(50).random_(2**25 - 3, 2**25 + 9),
            m.empty(50).random_(-(2**60), 2**60),
            m.empty(9, dtype=m.bool).random_(),
            m.empty(9, dtype=m.bool).random_(0, 2),
            m.empty(9, dtype=m.float64).random_(2**53 - 4, None),
        ]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_as_torch(torch_ref, script)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
def test_randint_matches_torch(torch_ref, seed, n):
    def script(m):
        m.manual_seed(seed)
        g = m.Generator().manual_seed(seed)
        return [
            m.randint(3, 10, (n,)),
            m.randint(10, (2, n)),
            m.randint(-(2**40), 2**40, (n,)),
            m.randint(5, (n,), dtype=m.float32),
            m.randint(low=2, high=9, size=(n,)),
            m.randint(9, size=(n,), generator=g),
            m.randint(0, 2**31, (n,), generator=g, dtype=m.float64),
        ]

    same_as_torch(torch_ref, script)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_exponential_and_bernoulli_in_place_match_torch(torch_ref, seed, n, dtype):
    def script(m):
        m.manual_seed(seed)
        d = getattr(m, dtype)
        p = m.rand(n, dtype=d)
        return [
            m.empty(n, dtype=d).exponential_(),
            m.empty(n, dtype=d).exponential_(3.5),
            m.empty(n, dtype=d).bernoulli_(),
            m.empty(n, dtype=d).bernoulli_(0.3),
            m.empty(n, dtype=d).bernoulli_(p),
            m.empty(n, dtype=d).bernoulli_(p.double()),
            m.empty(n, dtype=m.int64).bernoulli_(0.7),
            m.empty(n, dtype=m.bool).bernoulli_(p),
            m.empty(3, n, dtype=d).bernoulli_(p),  # p broadcast over rows
        ]

    same_as_torch(torch_ref, script)


def test_bernoulli_with_tensor_probabilities_follows_memory_order(torch_ref):
    def script(m):
        m.manual_seed(21)
        probs = m.rand(3, 4)
        return [
            m.empty(4, 3).t().bernoulli_(probs),
            m.empty(3, 4).bernoulli_(probs.t().contiguous().t()),
            m.empty(5, 2).t().exponential_(),
            m.empty(5, 2).t().random_(100),
        ]

    same_as_torch(torch_ref, script)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_normal_function_matches_torch(torch_ref, seed, dtype):
    def script(m):
        m.manual_seed(seed)
        d = getattr(m, dtype)
        mean = m.arange(20, dtype=d)
        std = m.tensor([0.1 + 0.1 * i for i in range(20)], dtype=d)
        g = m.Generator().manual_seed(seed)
        return [
            m.normal(mean, 2.0),
            m.normal(mean),
            m.normal(3.0, std),
            m.normal(mean, std),
            m.normal(mean[:5], std.reshape(4, 5)),
            m.normal(1.0, 2.0, (3, 4), dtype=d),
            m.normal(1.0, 2.0, size=(17,)),
            m.normal(mean[:3], 1.0, generator=g),
            m.normal(0.5, 0.25, (16,), generator=g),
        ]

    same_as_torch(torch_ref, script)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_bernoulli_function_matches_torch(torch_ref, seed, dtype):
    def script(m):
        m.manual_seed(seed)
        p = m.rand(4, 6, dtype=getattr(m, dtype))
        g = m.Generator().manual_seed(1)
        return [m.bernoulli(p), m.bernoulli(p, 0.3), p.bernoulli(), m.bernoulli(p.t()), m.bernoulli(p.t(), 0.6), m.bernoulli(p, generator=g)]

    same_as_torch(torch_ref, script)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_multinomial_matches_torch(torch_ref, seed, dtype):
    def script(m):
        m.manual_seed(seed)
        d = getattr(m, dtype)
        w = m.rand(5, 12, dtype=d) + 0.01
        g = m.Generator().manual_seed(seed)
        return [
            m.multinomial(w, 1),
            m.multinomial(w, 4),
            m.multinomial(w, 12),
            m.multinomial(w, 30, True),
            m.multinomial(w[0], 7, replacement=True),
            m.multinomial(w[0], 1, True),
            w.multinomial(3),
            m.multinomial(w.t(), 2),
            m.multinomial(m.tensor([0.0, 1, 0, 2, 0], dtype=d), 2),
            m.multinomial(m.tensor([0.0, 1, 0, 2, 0], dtype=d), 50, True),
            m.multinomial(m.ones(1000, dtype=d), 999, generator=g),
            m.multinomial(m.zeros(0, 3, dtype=d), 2),
        ]

    same_as_torch(torch_ref, script)


def test_everything_interleaved(torch_ref):
    def script(m):
        m.manual_seed(31337)
        g = m.Generator().manual_seed(5)
        return [
            m.randn(3),
            m.empty(17).uniform_(generator=g),
            m.randperm(9),
            m.randint(0, 100, (5,)),
            m.empty(4).exponential_(),
            m.randn(1),
            m.multinomial(m.rand(6), 3),
            m.bernoulli(m.rand(7), generator=g),
            m.normal(m.zeros(3), 1.0),
            m.empty(2, dtype=m.float64).normal_(),
            m.empty(5, dtype=m.int64).random_(),
            m.randn(1, dtype=m.float64),
        ]

    same_as_torch(torch_ref, script)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("n", [5, 16, 33])
def test_16_bit_floats_match_torch(torch_ref, dtype, n):
    # Computed in float32 and rounded; the blockwise normal draws 16
    # uniforms per block here, so the leftover n % 16 are never drawn.
    def script(m):
        m.manual_seed(n)
        d = getattr(m, dtype)
        return [
            m.empty(n, dtype=d).uniform_(-2, 3),
            m.empty(n, dtype=d).normal_(1, 2),
            m.rand(n, dtype=d),
            m.randn(n, dtype=d),
            m.empty(n, dtype=d).random_(),
            m.empty(n, dtype=d).random_(0, 100),
            m.empty(n, dtype=d).exponential_(),
            m.empty(n, dtype=d).bernoulli_(0.4),
            m.empty(n, dtype=d).bernoulli_(m.rand(n)),
            m.multinomial((m.rand(3, 7) + 0.1).to(d), 3),
            m.multinomial((m.rand(3, 7) + 0.1).to(d), 9, True),
            m.randn(2 * n, dtype=d),
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
    assert state.shape == (5056,) and state.dtype == fg.uint8
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
        g.set_state(fg.zeros(10, dtype=fg.uint8))
    for not_bytes in (fg.zeros(5056), fg.zeros(5056, dtype=fg.int64)):
        with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
            g.set_state(not_bytes)
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
        lambda t: t.random_(0, 5),
        lambda t: t.exponential_(),
        lambda t: t.bernoulli_(),
        lambda t: t.bernoulli_(fg.full((3,), 0.5)),
    ],
)
def test_in_place_sampling_rules(sample):
    leaf = fg.zeros(3, requires_grad=True)
    assert sample(fg.zeros(0)).numel() == 0
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        sample(leaf)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        sample(leaf[1:])
    with fg.no_grad():
        v = leaf._version
        assert sample(leaf) is leaf
        assert leaf._version == v + 1
    assert leaf.grad_fn is None and leaf.requires_grad
    t = fg.zeros(3)
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
            lambda: m.zeros(3, dtype=m.int64).exponential_(),
            lambda: m.zeros(3).exponential_(0),
            lambda: m.zeros(3).exponential_(-1),
            lambda: m.zeros(3).bernoulli_(1.5),
            lambda: m.zeros(3).bernoulli_(m.tensor([0.5, 2.0, 0.1])),
            lambda: m.bernoulli(m.tensor([0.5, -2.0, 0.1])),
            lambda: m.bernoulli(m.tensor([1, 0, 1])),
            lambda: m.zeros(3).random_(5, 2),
            lambda: m.zeros(3, dtype=m.bool).random_(0, 3),
            lambda: m.randint(5, 2, (3,)),
            lambda: m.randint(5, (3,), dtype=m.bool),
            lambda: m.multinomial(m.tensor([0.5, 0.5]), 3),
            lambda: m.multinomial(m.tensor([0.0, 0.0]), 1),
            lambda: m.multinomial(m.tensor([0.0, 0.0]), 3, True),
            lambda: m.multinomial(m.tensor([0.5, -1.0]), 1),
            lambda: m.multinomial(m.tensor([0.5, -1.0]), 2, True),
            lambda: m.multinomial(m.tensor([0.5, float("inf")]), 2, True),
            lambda: m.multinomial(m.tensor([[1.0, 1.0], [0.0, 0.0]]), 1),
            lambda: m.multinomial(m.tensor([1, 1]), 1),
            lambda: m.multinomial(m.tensor([1.0, 1]), 0),
            lambda: m.multinomial(m.tensor(1.0), 1),
            lambda: m.multinomial(m.ones(2, 2, 2), 1),
            lambda: m.multinomial(m.ones(3, 0), 2, True),
            lambda: m.multinomial(m.tensor([1.0, float("nan")]), 1),
            lambda: m.normal(0.0, -1.0, (3,)),
            lambda: m.normal(m.zeros(3), m.tensor([1.0, -1.0, 1.0])),
            lambda: m.normal(m.zeros(3), -1.0),
            lambda: m.normal(m.zeros(3, dtype=m.int64), 1.0),
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
    e = fg.empty(n, dtype=fg.float64).exponential_(4)
    assert e.min().item() >= 0 and abs(e.mean().item() - 0.25) < 0.005
    b = fg.empty(n).bernoulli_(0.3)
    assert set(b.tolist()) <= {0.0, 1.0} and abs(b.mean().item() - 0.3) < 0.01
    r = fg.randint(-3, 4, (n,))
    assert r.min().item() == -3 and r.max().item() == 3
    draws = fg.multinomial(fg.tensor([1.0, 2.0, 7.0]), n, True).tolist()
    freq = [draws.count(k) / n for k in range(3)]
    assert all(abs(f - w) < 0.01 for f, w in zip(freq, [0.1, 0.2, 0.7]))
    no_repeat = fg.multinomial(fg.rand(4, 50) + 0.1, 50)
    assert all(sorted(row) == list(range(50)) for row in no_repeat.tolist())
    assert not math.isnan(fg.randn(1).item())


# ---- the interpreter is released during large fills ------------------------------


def ran_during(call, attempts=50):
    """Whether another Python thread ran while `call()` ran, in any of up to
    `attempts` tries. The switch interval is raised so the calling thread is
    never preempted: the other thread can only run if the call releases the
    interpreter (see test_safety_gil.py for the reasoning)."""
    import sys

    for _ in range(attempts):
        ran = [False]
        go = threading.Event()

        def observer():
            go.wait()
            ran[0] = True

        thread = threading.Thread(target=observer)
        thread.start()
        old = sys.getswitchinterval()
        sys.setswitchinterval(60.0)
        try:
            go.set()
            _, seen = call(), ran[0]
        finally:
            sys.setswitchinterval(old)
            thread.join()
        if seen:
            return True
    return False


@pytest.mark.parametrize(
    "fill",
    [
        lambda g: fg.rand(1 << 22, generator=g),
        lambda g: fg.empty(1 << 22).normal_(generator=g),
        lambda g: fg.empty(1 << 22, dtype=fg.int64).random_(generator=g),
        lambda g: fg.randperm(1 << 22, generator=g),
        lambda g: fg.multinomial(fg.ones(1 << 20), 1 << 20, True, generator=g),
    ],
)
def test_large_fills_release_the_interpreter(fill):
    g = fg.Generator().manual_seed(0)
    assert ran_during(lambda: fill(g))
