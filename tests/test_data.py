"""ferrograd.utils.data against torch.utils.data.

Batches, collation and argument errors are compared with PyTorch's.  Shuffle
orders are compared twice: with ferrograd's own random generator (when the
build has one), and with the draws routed to PyTorch's generator, which
checks that the samplers make PyTorch's calls in PyTorch's order.
"""

import collections
import warnings

import numpy as np
import pytest

import ferrograd as fg
from ferrograd.utils import data as fdata
from ferrograd.utils.data import _random

FgGenerator = fg.Generator


def as_plain(value):
    """Nested structure with tensors replaced by (dtype name, values) for comparison."""
    if hasattr(value, "dtype") and hasattr(value, "shape") and not isinstance(value, np.ndarray):
        tensor = value.detach()
        return ("tensor", str(tensor.dtype).rsplit(".", 1)[-1], tuple(tensor.shape), tensor.tolist())
    if isinstance(value, dict):
        return (type(value).__name__, {key: as_plain(item) for key, item in value.items()})
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return (type(value).__name__, tuple(as_plain(item) for item in value))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [as_plain(item) for item in value])
    return value


class Squares(fdata.Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, index):
        return index * index

    def __len__(self):
        return self.n


class Counting(fdata.IterableDataset):
    def __init__(self, n, with_len=True):
        self.n = n
        self.with_len = with_len

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        if not self.with_len:
            raise TypeError("no length")
        return self.n


def torch_tensor_dataset(torch, n=10):
    return torch.utils.data.TensorDataset(torch.arange(2.0 * n).reshape(n, 2), torch.arange(n))


def fg_tensor_dataset(n=10):
    return fdata.TensorDataset(fg.arange(2.0 * n).reshape(n, 2), fg.arange(n))


# ---------------------------------------------------------------------------
# datasets
# ---------------------------------------------------------------------------


def test_tensor_dataset_rows():
    dataset = fg_tensor_dataset(4)
    assert len(dataset) == 4
    x, y = dataset[2]
    assert x.tolist() == [4.0, 5.0] and y.item() == 2


def test_tensor_dataset_size_mismatch_matches_torch(torch_ref):
    torch = torch_ref
    with pytest.raises(AssertionError) as theirs:
        torch.utils.data.TensorDataset(torch.zeros(3), torch.zeros(4))
    with pytest.raises(AssertionError) as ours:
        fdata.TensorDataset(fg.zeros(3), fg.zeros(4))
    assert str(ours.value) == str(theirs.value)


def test_subset_and_concat():
    subset = fdata.Subset(Squares(10), [7, 2, 5])
    assert [subset[i] for i in range(3)] == [49, 4, 25] and len(subset) == 3
    assert fdata.Subset([10, 11, 12], [2, 0])[1] == 10
    concat = fdata.ConcatDataset([Squares(3), Squares(2)])
    assert len(concat) == 5
    assert [concat[i] for i in range(5)] == [0, 1, 4, 0, 1]
    assert concat[-1] == 1 and concat[-5] == 0
    with pytest.raises(ValueError, match="absolute value of index"):
        concat[-6]
    assert len(Squares(3) + Squares(4)) == 7


def test_concat_refuses_iterable_and_empty(torch_ref):
    torch = torch_ref
    for ours, theirs in (([], []), ([Counting(3)], [TorchCounting(torch)(3)])):
        with pytest.raises(AssertionError) as expected:
            torch.utils.data.ConcatDataset(theirs)
        with pytest.raises(AssertionError) as got:
            fdata.ConcatDataset(ours)
        assert str(got.value) == str(expected.value)


def TorchCounting(torch):
    class Counting(torch.utils.data.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n

    return Counting


def test_chain_dataset():
    assert list(Counting(2) + Counting(3)) == [0, 1, 0, 1, 2]
    assert len(fdata.ChainDataset([Counting(2), Counting(3)])) == 5


# ---------------------------------------------------------------------------
# collation
# ---------------------------------------------------------------------------

Point = collections.namedtuple("Point", "x y")


def collate_cases(module, np_module=np):
    """The same batches, built with ``module`` (ferrograd or torch)."""
    return [
        [module.tensor([1.0, 2.0]), module.tensor([3.0, 4.0])],
        [1.5, 2.5, 3.5],
        [1, 2, 3],
        [True, False],
        ["a", "b"],
        [b"x", b"y"],
        [np.arange(3, dtype=np.float32), np.arange(3, dtype=np.float32) + 1],
        [np.arange(2, dtype=np.float64), np.arange(2, dtype=np.float64)],
        [np.int64(3), np.int64(4)],
        [np.float64(0.5), np.float64(1.5)],
        [np.float32(0.5), np.float32(1.5)],
        [np.bool_(True), np.bool_(False)],
        [(1, 2.0, "s"), (3, 4.0, "t")],
        [[1, 2], [3, 4]],
        [{"a": 1, "b": [1.0, 2.0]}, {"a": 2, "b": [3.0, 4.0]}],
        [collections.OrderedDict(k=module.zeros(2)), collections.OrderedDict(k=module.ones(2))],
        [Point(1, 2.0), Point(3, 4.0)],
        [(module.zeros(2, dtype=module.int64), {"m": [np.float32(1)]}),
         (module.ones(2, dtype=module.int64), {"m": [np.float32(2)]})],
    ]


@pytest.mark.parametrize("case", range(len(collate_cases(fg))))
def test_default_collate_matches_torch(torch_ref, case):
    torch = torch_ref
    from torch.utils.data import default_collate as torch_collate

    expected = torch_collate(collate_cases(torch)[case])
    got = fdata.default_collate(collate_cases(fg)[case])
    assert as_plain(got) == as_plain(expected)


@pytest.mark.parametrize("case", range(len(collate_cases(fg))))
def test_default_convert_matches_torch(torch_ref, case):
    torch = torch_ref
    from torch.utils.data import default_convert as torch_convert

    for index in range(2):
        expected = torch_convert(collate_cases(torch)[case][index])
        got = fdata.default_convert(collate_cases(fg)[case][index])
        assert as_plain(got) == as_plain(expected)


@pytest.mark.parametrize(
    "batch",
    [
        [object(), object()],
        [None, None],
        [np.array(["a", "b"]), np.array(["c", "d"])],
        [np.array([object()]), np.array([object()])],
    ],
    ids=["object", "none", "numpy-str", "numpy-object"],
)
def test_default_collate_unsupported_types_match_torch(torch_ref, batch):
    from torch.utils.data import default_collate as torch_collate

    with pytest.raises(TypeError) as expected:
        torch_collate(batch)
    with pytest.raises(TypeError) as got:
        fdata.default_collate(batch)
    assert str(got.value) == str(expected.value)


def test_default_collate_ragged_errors_match_torch(torch_ref):
    torch = torch_ref
    from torch.utils.data import default_collate as torch_collate

    with pytest.raises(RuntimeError) as expected:
        torch_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError) as got:
        fdata.default_collate([[1, 2], [3]])
    assert str(got.value) == str(expected.value)
    with pytest.raises(RuntimeError) as expected:
        torch_collate([torch.zeros(2), torch.zeros(3)])
    with pytest.raises(RuntimeError) as got:
        fdata.default_collate([fg.zeros(2), fg.zeros(3)])
    assert str(got.value) == str(expected.value)


# ---------------------------------------------------------------------------
# DataLoader: batches
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (3, False), (3, True), (10, False), (4, True), (12, True)])
def test_sequential_batches_match_torch(torch_ref, batch_size, drop_last):
    torch = torch_ref
    theirs = torch.utils.data.DataLoader(torch_tensor_dataset(torch), batch_size=batch_size, drop_last=drop_last)
    ours = fdata.DataLoader(fg_tensor_dataset(), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert [as_plain(b) for b in ours] == [as_plain(b) for b in theirs]


def test_batch_size_none_converts_samples(torch_ref):
    torch = torch_ref
    theirs = torch.utils.data.DataLoader([np.arange(2), 3, (1.5, "x")], batch_size=None)
    ours = fdata.DataLoader([np.arange(2), 3, (1.5, "x")], batch_size=None)
    assert [as_plain(b) for b in ours] == [as_plain(b) for b in theirs]
    assert len(ours) == 3


def test_custom_collate_and_batch_sampler():
    loader = fdata.DataLoader(Squares(5), batch_sampler=[[4, 0], [1]], collate_fn=lambda samples: sum(samples))
    assert list(loader) == [16, 1]


def test_getitems_is_used_for_batches():
    class Batched(Squares):
        def __getitems__(self, indices):
            return [-i for i in indices]

    assert [b.tolist() for b in fdata.DataLoader(Batched(4), batch_size=2)] == [[0, -1], [-2, -3]]


@pytest.mark.parametrize("batch_size, drop_last", [(None, False), (1, False), (3, False), (3, True), (7, True)])
def test_iterable_dataset_batches_match_torch(torch_ref, batch_size, drop_last):
    torch = torch_ref
    theirs = torch.utils.data.DataLoader(TorchCounting(torch)(7), batch_size=batch_size, drop_last=drop_last)
    ours = fdata.DataLoader(Counting(7), batch_size=batch_size, drop_last=drop_last)
    assert [as_plain(b) for b in ours] == [as_plain(b) for b in theirs]
    assert len(ours) == len(theirs)


def test_iterable_dataset_without_len():
    loader = fdata.DataLoader(Counting(5, with_len=False), batch_size=2)
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3], [4]]
    with pytest.raises(TypeError):
        len(loader)


def test_num_workers_warns_and_loads_in_process():
    loader = fdata.DataLoader(Squares(5), batch_size=2, num_workers=2)
    with pytest.warns(UserWarning, match="num_workers=2"):
        batches = [b.tolist() for b in loader]
    assert batches == [[0, 1], [4, 9], [16]]
    assert fdata.get_worker_info() is None


def test_pin_memory_warns_without_effect():
    with pytest.warns(UserWarning, match="pin_memory"):
        assert [b.tolist() for b in fdata.DataLoader(Squares(2), batch_size=2, pin_memory=True)] == [[0, 1]]


def test_frozen_attributes_match_torch(torch_ref):
    torch = torch_ref
    theirs = torch.utils.data.DataLoader(torch_tensor_dataset(torch))
    ours = fdata.DataLoader(fg_tensor_dataset())
    for name, value in (("batch_size", 4), ("sampler", None), ("drop_last", True), ("dataset", None)):
        with pytest.raises(ValueError) as expected:
            setattr(theirs, name, value)
        with pytest.raises(ValueError) as got:
            setattr(ours, name, value)
        assert str(got.value) == str(expected.value)
    ours.collate_fn = list  # other attributes stay settable, as in PyTorch


CONFLICTS = [
    dict(num_workers=-1),
    dict(timeout=-1),
    dict(prefetch_factor=2),
    dict(persistent_workers=True),
    dict(shuffle=True, sampler=[0, 1]),
    dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], sampler=[0]),
    dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True),
    dict(batch_size=0),
    dict(batch_size=-2),
    dict(batch_size=2.0),
    dict(drop_last=1),
]


@pytest.mark.parametrize("kwargs", CONFLICTS, ids=[",".join(k) for k in CONFLICTS])
def test_argument_conflicts_match_torch(torch_ref, kwargs):
    torch = torch_ref
    with pytest.raises(ValueError) as expected:
        torch.utils.data.DataLoader(torch_tensor_dataset(torch), **kwargs)
    with pytest.raises(ValueError) as got:
        fdata.DataLoader(fg_tensor_dataset(), **kwargs)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("kwargs", [dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])])
def test_iterable_dataset_conflicts_match_torch(torch_ref, kwargs):
    torch = torch_ref
    with pytest.raises(ValueError) as expected:
        torch.utils.data.DataLoader(TorchCounting(torch)(3), **kwargs)
    with pytest.raises(ValueError) as got:
        fdata.DataLoader(Counting(3), **kwargs)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(replacement=1), TypeError),
        (dict(num_samples=0), ValueError),
        (dict(num_samples=-3), ValueError),
        (dict(num_samples=2.5), ValueError),
    ],
)
def test_random_sampler_argument_errors_match_torch(torch_ref, kwargs, error):
    torch = torch_ref
    with pytest.raises(error) as expected:
        torch.utils.data.RandomSampler(range(4), **kwargs)
    with pytest.raises(error) as got:
        fdata.RandomSampler(range(4), **kwargs)
    assert str(got.value) == str(expected.value)


def test_sampler_lengths():
    assert len(fdata.SequentialSampler(range(7))) == 7
    assert len(fdata.RandomSampler(range(7))) == 7
    assert len(fdata.RandomSampler(range(7), replacement=True, num_samples=40)) == 40
    assert len(fdata.SubsetRandomSampler([3, 4])) == 2
    assert len(fdata.BatchSampler(range(7), 3, False)) == 3
    assert len(fdata.BatchSampler(range(7), 3, True)) == 2
    assert list(fdata.BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]


# ---------------------------------------------------------------------------
# Random order: the call protocol, checked on PyTorch's generator
# ---------------------------------------------------------------------------


@pytest.fixture
def draws_from_torch(torch_ref, monkeypatch):
    """Route the samplers' random draws to PyTorch's generator.

    With identical draws underneath, equal orders mean the samplers make the
    same calls as PyTorch's, in the same order, with the same arguments.
    """
    torch = torch_ref

    def randperm(n, generator=None):
        return torch.randperm(n, generator=generator).tolist()

    def randint(high, size, generator=None):
        return torch.randint(high=high, size=(size,), dtype=torch.int64, generator=generator).tolist()

    def draw_int64_seed(generator=None):
        return int(torch.empty((), dtype=torch.int64).random_(generator=generator).item())

    def seeded_generator(seed):
        generator = torch.Generator()
        generator.manual_seed(seed)
        return generator

    monkeypatch.setattr(_random, "randperm", randperm)
    monkeypatch.setattr(_random, "randint", randint)
    monkeypatch.setattr(_random, "draw_int64_seed", draw_int64_seed)
    monkeypatch.setattr(_random, "seeded_generator", seeded_generator)
    monkeypatch.setattr(_random, "default_generator", lambda: torch.default_generator)
    return torch


def epochs(loader, count):
    return [[as_plain(batch) for batch in loader] for _ in range(count)]


def test_shuffle_protocol_matches_torch(draws_from_torch):
    torch = draws_from_torch
    torch.manual_seed(7)
    expected = epochs(torch.utils.data.DataLoader(torch_tensor_dataset(torch), batch_size=3, shuffle=True), 3)
    after_expected = torch.rand(2).tolist()
    torch.manual_seed(7)
    got = epochs(fdata.DataLoader(fg_tensor_dataset(), batch_size=3, shuffle=True), 3)
    assert got == expected
    assert torch.rand(2).tolist() == after_expected  # the global stream advanced equally


def test_sequential_loader_advances_the_stream_like_torch(draws_from_torch):
    torch = draws_from_torch
    torch.manual_seed(1)
    epochs(torch.utils.data.DataLoader(torch_tensor_dataset(torch), batch_size=4), 2)
    expected = torch.rand(3).tolist()
    torch.manual_seed(1)
    epochs(fdata.DataLoader(fg_tensor_dataset(), batch_size=4), 2)
    assert torch.rand(3).tolist() == expected


def test_shuffle_with_generator_matches_torch(draws_from_torch):
    torch = draws_from_torch
    expected = epochs(torch.utils.data.DataLoader(
        torch_tensor_dataset(torch), batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(3)), 2)
    got = epochs(fdata.DataLoader(
        fg_tensor_dataset(), batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(3)), 2)
    assert got == expected


@pytest.mark.parametrize("num_samples", [5, 10, 23, 64, 70])
@pytest.mark.parametrize("replacement", [False, True])
def test_random_sampler_matches_torch(draws_from_torch, num_samples, replacement):
    torch = draws_from_torch
    torch.manual_seed(11)
    expected = list(torch.utils.data.RandomSampler(range(10), replacement=replacement, num_samples=num_samples))
    torch.manual_seed(11)
    got = list(fdata.RandomSampler(range(10), replacement=replacement, num_samples=num_samples))
    assert got == expected


def test_subset_random_sampler_matches_torch(draws_from_torch):
    torch = draws_from_torch
    torch.manual_seed(5)
    expected = list(torch.utils.data.SubsetRandomSampler([10, 20, 30, 40, 50]))
    torch.manual_seed(5)
    got = list(fdata.SubsetRandomSampler([10, 20, 30, 40, 50]))
    assert got == expected


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.3, 0.4], [0.5, 0.5], [1, 0, 9], [0.25, 0.75]])
def test_random_split_matches_torch(draws_from_torch, lengths):
    torch = draws_from_torch
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = [list(s.indices) for s in torch.utils.data.random_split(
            range(10), lengths, generator=torch.Generator().manual_seed(42))]
        got = [list(s.indices) for s in fdata.random_split(
            range(10), lengths, generator=torch.Generator().manual_seed(42))]
        assert got == expected
        torch.manual_seed(9)
        expected = [list(s.indices) for s in torch.utils.data.random_split(range(10), lengths)]
        torch.manual_seed(9)
        got = [list(s.indices) for s in fdata.random_split(range(10), lengths)]
    assert got == expected


def test_random_split_errors_match_torch(torch_ref):
    torch = torch_ref
    for lengths in ([3, 3], [1.2, -0.2]):
        with pytest.raises(ValueError) as expected:
            torch.utils.data.random_split(range(10), lengths)
        with pytest.raises(ValueError) as got:
            fdata.random_split(range(10), lengths)
        assert str(got.value) == str(expected.value)


def test_every_sample_once_per_epoch(draws_from_torch):
    loader = fdata.DataLoader(Squares(23), batch_size=4, shuffle=True)
    orders = []
    for _ in range(3):
        seen = [value for batch in loader for value in batch.tolist()]
        assert sorted(seen) == [i * i for i in range(23)]
        orders.append(seen)
    assert orders[0] != orders[1]  # a fresh permutation each epoch


# ---------------------------------------------------------------------------
# Random order with ferrograd's own generator
# ---------------------------------------------------------------------------


def test_shuffle_equals_torch_with_ferrograd_rng(torch_ref):
    torch = torch_ref
    torch.manual_seed(0)
    expected = epochs(torch.utils.data.DataLoader(torch_tensor_dataset(torch), batch_size=3, shuffle=True), 2)
    fg.manual_seed(0)
    got = epochs(fdata.DataLoader(fg_tensor_dataset(), batch_size=3, shuffle=True), 2)
    assert got == expected


def test_shuffle_deterministic_under_seed():
    def run():
        fg.manual_seed(123)
        return epochs(fdata.DataLoader(Squares(17), batch_size=5, shuffle=True), 2)

    first, second = run(), run()
    assert first == second
    for epoch in first:
        values = sorted(v for batch in epoch for v in batch[-1])
        assert values == [i * i for i in range(17)]


def test_random_split_equals_torch_with_ferrograd_rng(torch_ref):
    torch = torch_ref
    expected = [list(s.indices) for s in torch.utils.data.random_split(
        range(30), [0.3, 0.3, 0.4], generator=torch.Generator().manual_seed(42))]
    got = [list(s.indices) for s in fdata.random_split(
        range(30), [0.3, 0.3, 0.4], generator=FgGenerator().manual_seed(42))]
    assert got == expected


def test_random_sampler_with_replacement_equals_torch_with_ferrograd_rng(torch_ref):
    torch = torch_ref
    torch.manual_seed(4)
    expected = list(torch.utils.data.RandomSampler(range(9), replacement=True, num_samples=40))
    fg.manual_seed(4)
    assert list(fdata.RandomSampler(range(9), replacement=True, num_samples=40)) == expected


def test_reachable_as_torch_utils_data():
    import ferrograd as torch

    assert torch.utils.data.DataLoader is fdata.DataLoader
    assert torch.utils.data.dataloader.default_collate is fdata.default_collate


def test_loader_generator_and_global_stream_equal_torch_with_ferrograd_rng(torch_ref):
    torch = torch_ref
    torch.manual_seed(21)
    expected = epochs(torch.utils.data.DataLoader(
        torch_tensor_dataset(torch), batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(8)), 2)
    epochs(torch.utils.data.DataLoader(torch_tensor_dataset(torch), batch_size=4), 1)
    expected_after = torch.rand(3).tolist()
    fg.manual_seed(21)
    got = epochs(fdata.DataLoader(
        fg_tensor_dataset(), batch_size=4, shuffle=True, generator=FgGenerator().manual_seed(8)), 2)
    epochs(fdata.DataLoader(fg_tensor_dataset(), batch_size=4), 1)
    assert got == expected
    assert fg.rand(3).tolist() == expected_after  # every pass drew its seed, as in PyTorch


def test_subset_random_sampler_equals_torch_with_ferrograd_rng(torch_ref):
    torch = torch_ref
    torch.manual_seed(13)
    expected = list(torch.utils.data.SubsetRandomSampler(list(range(100, 120))))
    fg.manual_seed(13)
    assert list(fdata.SubsetRandomSampler(list(range(100, 120)))) == expected
