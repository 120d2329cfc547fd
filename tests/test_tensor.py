"""Tensor creation, readers, dtypes and promotion, broadcasting, comparisons
and the printed form.  Expected strings are what PyTorch prints."""

import math

import numpy as np
import pytest

import ferrograd as torch


def shape(t):
    return tuple(t.shape)


# --- torch.tensor and dtype inference ---------------------------------------------

INFERRED = [
    ("int", 3, "int64", ()),
    ("float", 2.5, "float32", ()),
    ("bool", True, "bool", ()),
    ("int_list", [1, 2, 3], "int64", (3,)),
    ("float_list", [1.0, 2.0], "float32", (2,)),
    ("bool_list", [True, False], "bool", (2,)),
    ("mixed_int_float", [1, 2.0], "float32", (2,)),
    ("mixed_nested", [[1], [2.5]], "float32", (2, 1)),
    ("mixed_bool_int", [True, 1], "int64", (2,)),
    ("nested", [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "float32", (2, 3)),
    ("deep", [[[1, 2]], [[3, 4]]], "int64", (2, 1, 2)),
    ("numpy_int64", np.array([1, 2], dtype=np.int64), "int64", (2,)),
    ("numpy_float64", np.array([1.0, 2.0]), "float64", (2,)),
    ("numpy_float32", np.array([[1.0], [2.0]], dtype=np.float32), "float32", (2, 1)),
    ("numpy_bool", np.array([True, False]), "bool", (2,)),
]


@pytest.mark.parametrize("data, dtype, expected_shape", [r[1:] for r in INFERRED],
                         ids=[r[0] for r in INFERRED])
def test_tensor_infers_dtype_and_shape(data, dtype, expected_shape):
    t = torch.tensor(data)
    assert t.dtype == getattr(torch, dtype)
    assert shape(t) == expected_shape
    expected = data.tolist() if isinstance(data, np.ndarray) else data
    assert t.tolist() == expected


def test_tensor_dtype_kwarg_converts():
    assert torch.tensor([1, 2], dtype=torch.float32).tolist() == [1.0, 2.0]
    assert torch.tensor([1, 2], dtype=torch.float32).dtype == torch.float32
    t = torch.tensor([1.5, -2.5], dtype=torch.float64)
    assert t.dtype == torch.float64 and t.tolist() == [1.5, -2.5]
    assert torch.tensor([1.9, -1.9], dtype=torch.int64).tolist() == [1, -1]
    assert torch.tensor([0.0, 2.0], dtype=torch.bool).tolist() == [False, True]


def test_tensor_copies_its_numpy_input():
    a = np.array([1.0, 2.0])
    t = torch.tensor(a)
    a[0] = 100.0
    assert t.tolist() == [1.0, 2.0]


def test_float32_rounds_python_floats():
    assert torch.tensor(0.1).item() == float(np.float32(0.1))
    assert torch.tensor(0.1, dtype=torch.float64).item() == 0.1


def test_tensor_class():
    t = torch.tensor([1.0])
    assert isinstance(t, torch.Tensor)
    assert isinstance(t * 2, torch.Tensor)
    assert isinstance(torch.zeros(2), torch.Tensor)


# --- factories ---------------------------------------------------------------------

@pytest.mark.parametrize("factory", ["zeros", "ones", "empty", "rand", "randn"])
@pytest.mark.parametrize("size_args", [((2, 3),), ([2, 3],), (2, 3)],
                         ids=["tuple", "list", "varargs"])
def test_factory_shape_forms(factory, size_args):
    t = getattr(torch, factory)(*size_args)
    assert shape(t) == (2, 3)
    assert t.dtype == torch.float32
    assert not t.requires_grad


@pytest.mark.parametrize("factory", ["zeros", "ones", "empty", "rand", "randn"])
def test_factory_dtype_kwarg(factory):
    assert getattr(torch, factory)(4, dtype=torch.float64).dtype == torch.float64


def test_zeros_ones_full_values():
    assert torch.zeros(2, 2).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert torch.ones(3).tolist() == [1.0, 1.0, 1.0]
    assert torch.ones(2, dtype=torch.int64).tolist() == [1, 1]
    assert torch.zeros(2, dtype=torch.bool).tolist() == [False, False]
    assert torch.full((2, 2), 1.5).tolist() == [[1.5, 1.5], [1.5, 1.5]]
    assert torch.full([3], 7.0, dtype=torch.float64).tolist() == [7.0, 7.0, 7.0]


def test_full_dtype_follows_fill_value():
    assert torch.full((2,), 3).dtype == torch.int64
    assert torch.full((2,), 3.0).dtype == torch.float32
    assert torch.full((2,), True).dtype == torch.bool


def test_zero_dim_and_empty_shapes():
    assert shape(torch.zeros(())) == ()
    assert torch.zeros(()).dim() == 0
    assert shape(torch.zeros(0)) == (0,)
    assert torch.zeros(0, 3).numel() == 0
    assert torch.zeros(0, 3).tolist() == []


def test_rand_is_in_unit_interval_and_randn_looks_normal():
    torch.manual_seed(0)
    u = np.array(torch.rand(10000).tolist())
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.02
    n = np.array(torch.randn(10000).tolist())
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1.0) < 0.05


ARANGE = [
    ("stop_int", (5,), {}, "int64", [0, 1, 2, 3, 4]),
    ("start_stop_step_int", (1, 8, 3), {}, "int64", [1, 4, 7]),
    ("negative_step", (5, 0, -2), {}, "int64", [5, 3, 1]),
    ("stop_float", (3.0,), {}, "float32", [0.0, 1.0, 2.0]),
    ("float_step", (0, 1, 0.25), {}, "float32", [0.0, 0.25, 0.5, 0.75]),
    ("int_with_dtype", (1, 4), {"dtype": "float32"}, "float32", [1.0, 2.0, 3.0]),
    ("float64", (0, 3), {"dtype": "float64"}, "float64", [0.0, 1.0, 2.0]),
]


@pytest.mark.parametrize("args, kwargs, dtype, expected", [r[1:] for r in ARANGE],
                         ids=[r[0] for r in ARANGE])
def test_arange(args, kwargs, dtype, expected):
    kwargs = {k: getattr(torch, v) for k, v in kwargs.items()}
    t = torch.arange(*args, **kwargs)
    assert t.dtype == getattr(torch, dtype)
    assert t.tolist() == expected


def test_linspace():
    t = torch.linspace(0, 1, 5)
    assert t.dtype == torch.float32
    assert t.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert torch.linspace(-1, 1, steps=3).tolist() == [-1.0, 0.0, 1.0]
    assert torch.linspace(2, 2, 1).tolist() == [2.0]
    assert torch.linspace(0, 1, 3, dtype=torch.float64).dtype == torch.float64


LIKE = ["zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"]


@pytest.mark.parametrize("name", LIKE)
def test_like_factories_copy_shape_and_dtype(name):
    src = torch.ones(2, 3, dtype=torch.float64, requires_grad=True)
    t = getattr(torch, name)(src)
    assert shape(t) == (2, 3)
    assert t.dtype == torch.float64
    assert not t.requires_grad
    assert getattr(torch, name)(src, dtype=torch.float32).dtype == torch.float32


def test_like_factory_values():
    src = torch.tensor([[1, 2], [3, 4]])
    assert torch.zeros_like(src).tolist() == [[0, 0], [0, 0]]
    assert torch.zeros_like(src).dtype == torch.int64
    assert torch.ones_like(src, dtype=torch.float32).tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert torch.full_like(src, 7).tolist() == [[7, 7], [7, 7]]
    assert torch.full_like(torch.zeros(2), 2.5).tolist() == [2.5, 2.5]
    assert torch.ones_like(src, requires_grad=False).requires_grad is False
    assert torch.zeros_like(torch.zeros(2), requires_grad=True).requires_grad is True


def test_manual_seed_reproduces_sequences():
    torch.manual_seed(123)
    a = torch.randn(3, 4).tolist() + torch.rand(5).tolist()
    torch.manual_seed(123)
    b = torch.randn(3, 4).tolist() + torch.rand(5).tolist()
    torch.manual_seed(124)
    c = torch.randn(3, 4).tolist() + torch.rand(5).tolist()
    assert a == b
    assert a != c


def test_manual_seed_42_randn_prints_like_pytorch():
    torch.manual_seed(42)
    assert str(torch.randn(5)) == "tensor([ 0.3367,  0.1288,  0.2345,  0.2303, -1.1229])"
    torch.manual_seed(0)
    assert str(torch.rand(4)) == "tensor([0.4963, 0.7682, 0.0885, 0.1320])"


SEEDED = [
    ("randn_1", 42, "randn", (1,), "float32"),
    ("randn_5", 0, "randn", (5,), "float32"),
    ("randn_2x3", 7, "randn", (2, 3), "float32"),
    ("randn_4x5", 42, "randn", (4, 5), "float32"),
    ("randn_float64", 3, "randn", (3,), "float64"),
    ("rand_7", 0, "rand", (7,), "float32"),
    ("rand_20", 1, "rand", (20,), "float32"),
]


@pytest.mark.parametrize("seed, factory, size, dtype", [r[1:] for r in SEEDED],
                         ids=[r[0] for r in SEEDED])
def test_seeded_values_match_pytorch(torch_ref, seed, factory, size, dtype):
    torch.manual_seed(seed)
    ours = getattr(torch, factory)(*size, dtype=getattr(torch, dtype)).tolist()
    torch_ref.manual_seed(seed)
    theirs = getattr(torch_ref, factory)(*size, dtype=getattr(torch_ref, dtype)).tolist()
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


# --- readers ---------------------------------------------------------------------------

def test_item():
    assert torch.tensor(2.5).item() == 2.5
    assert torch.tensor([[3]]).item() == 3
    assert type(torch.tensor(3).item()) is int
    assert type(torch.tensor(3.0).item()) is float
    assert type(torch.tensor(True).item()) is bool
    assert torch.tensor(1.5, requires_grad=True).item() == 1.5


def test_tolist():
    assert torch.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert torch.tensor(3.0).tolist() == 3.0
    assert torch.tensor([True, False]).tolist() == [True, False]
    assert all(type(v) is int for v in torch.tensor([1, 2]).tolist())
    assert all(type(v) is float for v in torch.tensor([1.0, 2.0]).tolist())
    assert torch.tensor([1.0], requires_grad=True).tolist() == [1.0]


def test_numpy():
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).numpy()
    assert isinstance(a, np.ndarray)
    assert a.dtype == np.float32 and a.shape == (2, 2)
    assert a.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert torch.tensor([1, 2]).numpy().dtype == np.int64
    assert torch.tensor([1.0], dtype=torch.float64).numpy().dtype == np.float64
    assert torch.tensor([True]).numpy().dtype == np.bool_


def test_numpy_shares_memory():
    t = torch.tensor([1.0, 2.0, 3.0])
    a = t.numpy()
    a[0] = 10.0
    assert t.tolist() == [10.0, 2.0, 3.0]
    t.add_(1.0)
    assert a.tolist() == [11.0, 3.0, 4.0]


def test_from_numpy_shares_memory_and_keeps_dtype():
    a = np.array([1.0, 2.0])
    t = torch.from_numpy(a)
    assert t.dtype == torch.float64
    a[1] = 5.0
    assert t.tolist() == [1.0, 5.0]
    assert torch.from_numpy(np.array([[1, 2]])).dtype == torch.int64
    assert shape(torch.from_numpy(np.zeros((3, 1), dtype=np.float32))) == (3, 1)


def test_numpy_of_tensor_requiring_grad_is_refused():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=(
            r"Can't call numpy\(\) on Tensor that requires grad\. "
            r"Use tensor\.detach\(\)\.numpy\(\) instead\.")):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 2.0]


def test_conversions():
    i = torch.tensor([1, 2])
    assert i.float().dtype == torch.float32 and i.float().tolist() == [1.0, 2.0]
    assert i.double().dtype == torch.float64
    assert torch.tensor([1.7, -1.7]).long().tolist() == [1, -1]
    assert torch.tensor([1.7]).long().dtype == torch.int64
    assert torch.tensor([1.0]).to('cpu').tolist() == [1.0]
    assert torch.tensor([1, 2]).to(torch.float64).dtype == torch.float64
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = x.float()
    assert y.dtype == torch.float32 and y.requires_grad
    y.sum().backward()
    assert x.grad.dtype == torch.float64 and x.grad.tolist() == [1.0, 1.0]


def test_shape_is_torch_size():
    t = torch.zeros(2, 3)
    assert isinstance(t.shape, torch.Size)
    assert isinstance(t.shape, tuple)
    assert t.shape == (2, 3)
    assert t.shape == torch.Size([2, 3])
    assert repr(t.shape) == "torch.Size([2, 3])"
    assert str(t.shape) == "torch.Size([2, 3])"
    assert repr(torch.tensor(1.0).shape) == "torch.Size([])"
    assert list(t.shape) == [2, 3]
    assert t.shape[1] == 3 and t.shape[-1] == 3


def test_size_dim_numel():
    t = torch.zeros(2, 3, 4)
    assert t.size() == (2, 3, 4)
    assert isinstance(t.size(), torch.Size)
    assert t.size(0) == 2 and t.size(2) == 4 and t.size(-1) == 4 and t.size(-3) == 2
    assert t.size(dim=1) == 3
    assert t.dim() == 3 and t.ndim == 3
    assert t.numel() == 24
    assert torch.tensor(5.0).dim() == 0 and torch.tensor(5.0).numel() == 1


def test_dtype_and_device():
    t = torch.zeros(2)
    assert t.dtype == torch.float32
    assert repr(t.dtype) == "torch.float32"
    assert str(torch.tensor([1]).dtype) == "torch.int64"
    assert str(torch.tensor([True]).dtype) == "torch.bool"
    assert str(torch.zeros(1, dtype=torch.float64).dtype) == "torch.float64"
    assert str(t.device) == "cpu"


def test_dtype_aliases():
    assert torch.float == torch.float32
    assert torch.double == torch.float64
    assert torch.long == torch.int64
    assert torch.float32 != torch.float64
    assert torch.zeros(1, dtype=torch.double).dtype == torch.float64
    assert torch.zeros(1, dtype=torch.long).dtype == torch.int64


def test_len_and_iteration_over_first_dimension():
    t = torch.tensor([[1, 2], [3, 4], [5, 6]])
    assert len(t) == 3
    rows = list(t)
    assert len(rows) == 3
    assert [r.tolist() for r in rows] == [[1, 2], [3, 4], [5, 6]]
    assert all(shape(r) == (2,) for r in rows)
    assert [e.item() for e in torch.tensor([7.0, 8.0])] == [7.0, 8.0]


def test_one_element_conversions():
    assert float(torch.tensor([2.5])) == 2.5
    assert int(torch.tensor([[3.7]])) == 3
    assert int(torch.tensor(-3.7)) == -3
    assert bool(torch.tensor([0.0])) is False
    assert bool(torch.tensor(2)) is True
    if torch.tensor([1.0]) > 0:
        passed = True
    assert passed


def test_bool_of_multi_element_tensor_is_ambiguous():
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(torch.tensor([1.0, 2.0]))


@pytest.mark.parametrize("convert", [float, int], ids=["float", "int"])
def test_number_of_multi_element_tensor_is_refused(convert):
    with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
        convert(torch.tensor([1.0, 2.0]))


# --- comparisons -----------------------------------------------------------------------

A = [1.0, 2.0, 3.0]
B = [3.0, 2.0, 1.0]

COMPARISONS = [
    ("eq", lambda a, b: a == b, [False, True, False]),
    ("ne", lambda a, b: a != b, [True, False, True]),
    ("lt", lambda a, b: a < b, [True, False, False]),
    ("le", lambda a, b: a <= b, [True, True, False]),
    ("gt", lambda a, b: a > b, [False, False, True]),
    ("ge", lambda a, b: a >= b, [False, True, True]),
]


@pytest.mark.parametrize("op, expected", [r[1:] for r in COMPARISONS], ids=[r[0] for r in COMPARISONS])
def test_comparison_with_tensor(op, expected):
    r = op(torch.tensor(A, requires_grad=True), torch.tensor(B))
    assert r.dtype == torch.bool
    assert r.tolist() == expected
    assert not r.requires_grad


@pytest.mark.parametrize("op, expected", [r[1:] for r in COMPARISONS], ids=[r[0] for r in COMPARISONS])
def test_comparison_with_python_number(op, expected):
    r = op(torch.tensor(A), 2.0)
    assert r.dtype == torch.bool
    assert r.tolist() == [op(a, 2.0) for a in A]


def test_comparison_broadcasts_and_mixes_dtypes():
    r = torch.tensor([[1.0], [2.0]]) < torch.tensor([1.5, 2.5])
    assert r.tolist() == [[True, True], [False, True]]
    assert (torch.tensor([1, 2]) == torch.tensor([1.0, 2.5])).tolist() == [True, False]
    assert (torch.tensor([1, 2]) < 1.5).tolist() == [True, False]


# --- type promotion and broadcasting ---------------------------------------------------

def i64():
    return torch.tensor([1, 2])


def f32():
    return torch.tensor([1.5, 2.0])


def f64():
    return torch.tensor([1.5, 2.0], dtype=torch.float64)


def bools():
    return torch.tensor([True, False])


PROMOTION = [
    ("int64+float32", lambda: i64() + f32(), "float32"),
    ("float32+int64", lambda: f32() + i64(), "float32"),
    ("float32+float64", lambda: f32() + f64(), "float64"),
    ("float32*float64", lambda: f32() * f64(), "float64"),
    ("float32+pyfloat", lambda: f32() + 1.5, "float32"),
    ("pyfloat*float32", lambda: 1.5 * f32(), "float32"),
    ("float64+pyfloat", lambda: f64() + 1.5, "float64"),
    ("int64+pyfloat", lambda: i64() + 1.5, "float32"),
    ("int64*pyint", lambda: i64() * 2, "int64"),
    ("pyint-int64", lambda: 1 - i64(), "int64"),
    ("int64/pyint", lambda: i64() / 2, "float32"),
    ("int64/int64", lambda: i64() / i64(), "float32"),
    ("int64**pyint", lambda: i64() ** 2, "int64"),
    ("int64**pyfloat", lambda: i64() ** 0.5, "float32"),
    ("-int64", lambda: -i64(), "int64"),
    ("bool+bool", lambda: bools() + bools(), "bool"),
    ("bool+int64", lambda: bools() + i64(), "int64"),
    ("bool+pyint", lambda: bools() + 1, "int64"),
    ("bool+pyfloat", lambda: bools() + 1.5, "float32"),
    ("float32*pybool", lambda: f32() * True, "float32"),
    ("int64.sum", lambda: i64().sum(), "int64"),
    ("bool.sum", lambda: bools().sum(), "int64"),
    ("float64.mean", lambda: f64().mean(), "float64"),
    ("int64@int64", lambda: i64() @ i64(), "int64"),
]


@pytest.mark.parametrize("expr, dtype", [r[1:] for r in PROMOTION], ids=[r[0] for r in PROMOTION])
def test_type_promotion(expr, dtype):
    assert expr().dtype == getattr(torch, dtype)


def test_promoted_values():
    assert (i64() + f32()).tolist() == [2.5, 4.0]
    assert (i64() + 1.5).tolist() == [2.5, 3.5]
    assert (i64() / 2).tolist() == [0.5, 1.0]
    assert (i64() * 3).tolist() == [3, 6]
    assert (bools() + bools()).tolist() == [True, False]
    assert (bools() + i64()).tolist() == [2, 2]
    assert (i64() ** 2).tolist() == [1, 4]
    assert (f32() + f64()).tolist() == [3.0, 4.0]


BROADCAST = [
    ((3, 1), (1, 4), (3, 4)),
    ((2, 3), (3,), (2, 3)),
    ((3,), (2, 3), (2, 3)),
    ((5, 1, 4), (3, 1), (5, 3, 4)),
    ((), (2, 3), (2, 3)),
    ((1,), (2, 3), (2, 3)),
    ((2, 1), (2, 1), (2, 1)),
    ((4, 1), (4,), (4, 4)),
]


@pytest.mark.parametrize("sa, sb, expected", BROADCAST, ids=[f"{a}x{b}" for a, b, _ in BROADCAST])
def test_broadcast_shapes(sa, sb, expected):
    a, b = torch.ones(sa), torch.ones(sb)
    for out in (a + b, a * b, a - b, a / b, b + a):
        assert shape(out) == expected


def test_broadcast_values():
    col = torch.tensor([[1.0], [2.0], [3.0]])
    row = torch.tensor([10.0, 20.0])
    assert (col + row).tolist() == [[11.0, 21.0], [12.0, 22.0], [13.0, 23.0]]
    assert (col * row).tolist() == [[10.0, 20.0], [20.0, 40.0], [30.0, 60.0]]
    assert (torch.tensor(2.0) * torch.tensor([1.0, 2.0])).tolist() == [2.0, 4.0]


def test_transpose_views():
    t = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.t().tolist() == [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]
    assert t.T.tolist() == t.t().tolist()
    assert shape(t.t()) == (3, 2)
    assert (t.t() + torch.tensor([1.0, 1.0])).tolist() == [[2.0, 5.0], [3.0, 6.0], [4.0, 7.0]]


# --- printing ----------------------------------------------------------------------------

REPRS = [
    ("float64", lambda: torch.tensor([1.0, 2.0], dtype=torch.float64),
     "tensor([1., 2.], dtype=torch.float64)"),
    ("float64_0d", lambda: torch.tensor(1.5, dtype=torch.float64),
     "tensor(1.5000, dtype=torch.float64)"),
    ("float64_rounding", lambda: torch.tensor([1.23456789], dtype=torch.float64),
     "tensor([1.2346], dtype=torch.float64)"),
    ("float64_requires_grad", lambda: torch.tensor([0.5, -0.25], dtype=torch.float64, requires_grad=True),
     "tensor([ 0.5000, -0.2500], dtype=torch.float64, requires_grad=True)"),
    ("float64_grad_fn", lambda: torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True) * 2,
     "tensor([2., 4.], dtype=torch.float64, grad_fn=<MulBackward0>)"),
    ("int", lambda: torch.tensor([1, 2, 3]), "tensor([1, 2, 3])"),
    ("int_0d", lambda: torch.tensor(5), "tensor(5)"),
    ("int_width", lambda: torch.tensor([1, 100000]), "tensor([     1, 100000])"),
    ("int_negative", lambda: 1 - torch.tensor([1, 2]), "tensor([ 0, -1])"),
    ("int_matrix", lambda: torch.tensor([[1, -20], [300, 4]]),
     "tensor([[  1, -20],\n        [300,   4]])"),
    ("int_zeros", lambda: torch.zeros(3, dtype=torch.int64), "tensor([0, 0, 0])"),
    ("bool", lambda: torch.tensor([True, False]), "tensor([ True, False])"),
    ("bool_0d", lambda: torch.tensor(True), "tensor(True)"),
    ("bool_matrix", lambda: torch.tensor([[True, False], [False, True]]),
     "tensor([[ True, False],\n        [False,  True]])"),
    ("float_0d_int_valued", lambda: torch.tensor(3.0), "tensor(3.)"),
    ("float_0d_fraction", lambda: torch.tensor(-0.5), "tensor(-0.5000)"),
    ("float_0d_many_digits", lambda: torch.tensor(12345.678), "tensor(12345.6777)"),
    ("negative_zero", lambda: torch.tensor(-0.0), "tensor(-0.)"),
    ("third", lambda: torch.tensor([1 / 3]), "tensor([0.3333])"),
    ("signs_align", lambda: torch.tensor([-1.0, 2.5, 10.0]), "tensor([-1.0000,  2.5000, 10.0000])"),
    ("width_fraction", lambda: torch.tensor([0.1, 100.0]), "tensor([  0.1000, 100.0000])"),
    ("width_int_valued", lambda: torch.tensor([1.0, 1000.0]), "tensor([   1., 1000.])"),
    ("small_fraction", lambda: torch.tensor([0.001, 1.0]), "tensor([0.0010, 1.0000])"),
    ("sci_small", lambda: torch.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    ("sci_1e-4", lambda: torch.tensor([1e-4, 1.0]), "tensor([1.0000e-04, 1.0000e+00])"),
    ("sci_large", lambda: torch.tensor([1e10, 1.0]), "tensor([1.0000e+10, 1.0000e+00])"),
    ("sci_1e8", lambda: torch.tensor([1e8, 1.0]), "tensor([1.0000e+08, 1.0000e+00])"),
    ("sci_range", lambda: torch.tensor([100000.0, 1.5]), "tensor([1.0000e+05, 1.5000e+00])"),
    ("sci_single", lambda: torch.tensor([123456789.0]), "tensor([1.2346e+08])"),
    ("sci_negative", lambda: torch.tensor([-1e-5, 1.0]), "tensor([-1.0000e-05,  1.0000e+00])"),
    ("sci_0d", lambda: torch.tensor(1e-5), "tensor(1.0000e-05)"),
    ("sci_float64", lambda: torch.tensor([1e-5, 1.0], dtype=torch.float64),
     "tensor([1.0000e-05, 1.0000e+00], dtype=torch.float64)"),
    ("sci_grad_fn", lambda: torch.tensor([1e-5, 1.0], requires_grad=True) * 2,
     "tensor([2.0000e-05, 2.0000e+00], grad_fn=<MulBackward0>)"),
    ("nonfinite", lambda: torch.tensor([1.0, float("nan"), float("inf"), -float("inf")]),
     "tensor([1., nan, inf, -inf])"),
    ("nan_width", lambda: torch.tensor([2.5, float("nan")]), "tensor([2.5000,    nan])"),
    ("empty", lambda: torch.tensor([]), "tensor([])"),
    ("empty_int", lambda: torch.tensor([], dtype=torch.int64), "tensor([], dtype=torch.int64)"),
    ("empty_float64", lambda: torch.tensor([], dtype=torch.float64), "tensor([], dtype=torch.float64)"),
    ("empty_2d", lambda: torch.zeros(0, 3), "tensor([], size=(0, 3))"),
    ("empty_2d_other", lambda: torch.zeros(2, 0), "tensor([], size=(2, 0))"),
    ("matrix_requires_grad", lambda: torch.tensor([[0.1, 0.2], [0.3, 0.4]], requires_grad=True),
     "tensor([[0.1000, 0.2000],\n        [0.3000, 0.4000]], requires_grad=True)"),
    ("three_d_int", lambda: torch.tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]),
     "tensor([[[1, 2],\n         [3, 4]],\n\n        [[5, 6],\n         [7, 8]]])"),
    ("three_d_float", lambda: torch.tensor([[[1., 2.], [3., 4.]], [[5., 6.], [7., 8.]]]),
     "tensor([[[1., 2.],\n         [3., 4.]],\n\n        [[5., 6.],\n         [7., 8.]]])"),
    ("sum_0d", lambda: torch.tensor([1.0, 2.0, 3.0], requires_grad=True).sum(),
     "tensor(6., grad_fn=<SumBackward0>)"),
    ("summarized", lambda: torch.ones(2000), "tensor([1., 1., 1.,  ..., 1., 1., 1.])"),
]


@pytest.mark.parametrize("make, expected", [r[1:] for r in REPRS], ids=[r[0] for r in REPRS])
def test_repr(make, expected):
    t = make()
    assert repr(t) == expected
    assert str(t) == expected


def test_repr_of_grad_and_detach_has_no_autograd_suffix():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    assert repr(x.grad) == "tensor([3., 3.])"
    assert repr(x.detach()) == "tensor([1., 2.])"
    with torch.no_grad():
        assert repr(x * 2) == "tensor([2., 4.])"


def test_print_writes_repr(capsys):
    print(torch.tensor([0.5, 1.5]))
    assert capsys.readouterr().out == "tensor([0.5000, 1.5000])\n"


def test_nan_and_inf_values_round_trip():
    vals = torch.tensor([float("nan"), float("inf"), -float("inf")]).tolist()
    assert math.isnan(vals[0]) and vals[1] == math.inf and vals[2] == -math.inf
