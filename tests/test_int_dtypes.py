"""int8, int16, int32 and uint8 compared with PyTorch: creation, casts,
printing, promotion, arithmetic, reductions, indexing, numpy and files."""

import io
import itertools

import numpy as np
import pytest

import ferrograd

INT_DTYPES = ["int8", "int16", "int32", "uint8"]
# Dtypes whose arithmetic ferrograd computes (16-bit floats only convert).
ARITH_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64"]
ALL_DTYPES = ARITH_DTYPES + ["float16", "bfloat16"]


def outcome(L, build):
    """`repr` of what `build(L)` returns, or the error's message."""
    try:
        return "ok", repr(build(L))
    except Exception as e:  # noqa: BLE001 - the message is what is compared
        return "error", str(e)


def agree(torch_ref, build):
    ours, theirs = outcome(ferrograd, build), outcome(torch_ref, build)
    assert ours == theirs


# ---- dtype objects ------------------------------------------------------------


@pytest.mark.parametrize("name", INT_DTYPES)
def test_dtype_attributes(torch_ref, name):
    ours, theirs = getattr(ferrograd, name), getattr(torch_ref, name)
    assert repr(ours) == repr(theirs) == f"torch.{name}"
    assert ours.itemsize == theirs.itemsize
    assert ours.is_signed == theirs.is_signed
    assert ours.is_floating_point == theirs.is_floating_point is False


@pytest.mark.parametrize("alias,name", [("int", "int32"), ("short", "int16")])
def test_aliases(alias, name):
    assert getattr(ferrograd, alias) is getattr(ferrograd, name)


@pytest.mark.parametrize("name", INT_DTYPES)
def test_iinfo(torch_ref, name):
    ours, theirs = ferrograd.iinfo(getattr(ferrograd, name)), torch_ref.iinfo(getattr(torch_ref, name))
    assert (ours.bits, ours.min, ours.max, ours.dtype) == (theirs.bits, theirs.min, theirs.max, theirs.dtype)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name,legacy", [("int32", "IntTensor"), ("int16", "ShortTensor"), ("int8", "CharTensor"), ("uint8", "ByteTensor")])
def test_legacy_types(torch_ref, name, legacy):
    agree(torch_ref, lambda L: getattr(L, legacy)([1, 2]))
    agree(torch_ref, lambda L: getattr(L, legacy)(2, 3).dtype)
    agree(torch_ref, lambda L: L.tensor([1], dtype=getattr(L, name)).type())
    agree(torch_ref, lambda L: isinstance(L.tensor([1], dtype=getattr(L, name)), getattr(L, legacy)))
    agree(torch_ref, lambda L: L.tensor([1.5, -2.5]).type("torch." + legacy))


# ---- creation and printing ------------------------------------------------------

CREATION = [
    lambda L, d: L.tensor([1, 2], dtype=d),
    lambda L, d: L.tensor([-1, 0, 100], dtype=d),
    lambda L, d: L.tensor(5, dtype=d),
    lambda L, d: L.tensor([], dtype=d),
    lambda L, d: L.tensor([[1, 2], [3, 4]], dtype=d),
    lambda L, d: L.tensor([2.7, -2.7], dtype=d),
    lambda L, d: L.tensor([True, False], dtype=d),
    lambda L, d: L.tensor([100000], dtype=d),
    lambda L, d: L.tensor([-255], dtype=d),
    lambda L, d: L.tensor([1e12], dtype=d),
    lambda L, d: L.tensor([float("nan")], dtype=d),
    lambda L, d: L.zeros(2, 3, dtype=d),
    lambda L, d: L.ones(4, dtype=d),
    lambda L, d: L.full((2,), 7, dtype=d),
    lambda L, d: L.full((2,), 2.5, dtype=d),
    lambda L, d: L.full((2,), 100000, dtype=d),
    lambda L, d: L.full((2,), -255, dtype=d),
    lambda L, d: L.ones(2, dtype=d).fill_(100000),
    lambda L, d: L.arange(5, dtype=d),
    lambda L, d: L.arange(250, 260, dtype=d),
    lambda L, d: L.arange(0, 300, 100, dtype=d),
    lambda L, d: L.arange(2000, dtype=d),
    lambda L, d: L.linspace(0, 10, 5, dtype=d),
    lambda L, d: L.logspace(0, 2, 3, dtype=d),
    lambda L, d: L.eye(2, dtype=d),
    lambda L, d: L.empty(3, dtype=d).shape,
    lambda L, d: L.zeros_like(L.ones(2), dtype=d),
    lambda L, d: L.ones_like(L.ones(2, dtype=d)),
    lambda L, d: L.full_like(L.ones(2, dtype=d), 3),
    lambda L, d: L.ones(2, dtype=d).new_zeros(3),
    lambda L, d: L.ones(2, dtype=d).new_tensor([5]),
    lambda L, d: L.randint(0, 10, (5,), dtype=d, generator=L.Generator().manual_seed(0)),
    lambda L, d: L.randint(-5, 5, (2, 3), dtype=d, generator=L.Generator().manual_seed(3)),
    lambda L, d: L.empty(5, dtype=d).random_(generator=L.Generator().manual_seed(0)),
    lambda L, d: L.empty(5, dtype=d).random_(0, 1000, generator=L.Generator().manual_seed(0)),
    lambda L, d: L.randperm(5, dtype=d, generator=L.Generator().manual_seed(0)),
    lambda L, d: L.randint(0, 10, (3,), dtype=d, generator=L.Generator().manual_seed(1)).element_size(),
    lambda L, d: L.tensor([[1, 200], [3, 4]], dtype=d).t(),
    lambda L, d: L.arange(24, dtype=d).reshape(2, 3, 4),
    lambda L, d: L.tensor([1, 2], dtype=d).tolist(),
    lambda L, d: L.tensor([1, 2], dtype=d)[1].item(),
    lambda L, d: L.tensor([1], dtype=d).is_floating_point(),
]


@pytest.mark.parametrize("case", range(len(CREATION)))
@pytest.mark.parametrize("name", INT_DTYPES)
def test_creation_and_printing(torch_ref, name, case):
    agree(torch_ref, lambda L: CREATION[case](L, getattr(L, name)))


# ---- casts -------------------------------------------------------------------------

# Values every float dtype holds exactly, including ones beyond each integer range.
FLOAT_VALUES = [0.0, 2.9, -2.9, 127.0, -128.0, 128.0, 255.0, 256.0, 300.7, -1.5, -129.7, 40000.0, -40000.0, 70000.0]
INT_VALUES = [0, 1, -1, 127, -128, 128, 255, 256, 300, -300, 32767, -32768, 40000, 70000, 2**31 - 1, -2**31, 2**31, 2**40 + 5]


@pytest.mark.parametrize("src,dst", itertools.product(ALL_DTYPES, INT_DTYPES))
def test_cast_into_integers(torch_ref, src, dst):
    def build(L):
        if src in ("float32", "float64"):
            values = L.tensor(FLOAT_VALUES, dtype=getattr(L, src))
        elif src in ("float16", "bfloat16"):
            values = L.tensor([0.0, 2.5, -2.5, 127.0, -128.0, 200.0, 300.0, -1.0], dtype=getattr(L, src))
        elif src == "bool":
            values = L.tensor([True, False])
        else:
            values = L.tensor(INT_VALUES).to(getattr(L, src))
        return values.to(getattr(L, dst))
    agree(torch_ref, build)


@pytest.mark.parametrize("src,dst", itertools.product(INT_DTYPES, ALL_DTYPES))
def test_cast_out_of_integers(torch_ref, src, dst):
    agree(torch_ref, lambda L: L.tensor([0, 1, 2, 100, 127, 255, -1, -128]).to(getattr(L, src)).to(getattr(L, dst)))


@pytest.mark.parametrize("method", ["int", "short", "char", "byte", "long", "float", "double", "bool"])
def test_conversion_methods(torch_ref, method):
    agree(torch_ref, lambda L: getattr(L.tensor([300.5, -1.5, 0.0]), method)())
    agree(torch_ref, lambda L: getattr(L.tensor([300, -1, 0], dtype=L.int16), method)())


def test_copy_into_integer_tensor_casts(torch_ref):
    agree(torch_ref, lambda L: L.tensor([1, 1], dtype=L.int8).copy_(L.tensor([300.0, -1.0])))


@pytest.mark.parametrize("name", INT_DTYPES)
def test_integers_cannot_require_grad(torch_ref, name):
    agree(torch_ref, lambda L: L.ones(2, dtype=getattr(L, name)).requires_grad_())
    agree(torch_ref, lambda L: L.tensor([1, 2], dtype=getattr(L, name), requires_grad=True))


# ---- promotion -------------------------------------------------------------------


@pytest.mark.parametrize("a,b", itertools.product(ALL_DTYPES, ALL_DTYPES))
def test_promote_types(torch_ref, a, b):
    agree(torch_ref, lambda L: L.promote_types(getattr(L, a), getattr(L, b)))


@pytest.mark.parametrize("a,b", itertools.product(ARITH_DTYPES, ARITH_DTYPES))
def test_promotion_of_tensor_pairs(torch_ref, a, b):
    agree(torch_ref, lambda L: (L.ones(2, dtype=getattr(L, a)) + L.ones(2, dtype=getattr(L, b))).dtype)
    agree(torch_ref, lambda L: (L.ones(2, dtype=getattr(L, a)) * L.ones((), dtype=getattr(L, b))).dtype)
    agree(torch_ref, lambda L: (L.ones((), dtype=getattr(L, a)) * L.ones((), dtype=getattr(L, b))).dtype)


@pytest.mark.parametrize("name", INT_DTYPES)
@pytest.mark.parametrize("other", [3, 2.5, True, 1000])
def test_promotion_with_numbers(torch_ref, name, other):
    agree(torch_ref, lambda L: L.tensor([1, 2], dtype=getattr(L, name)) + other)
    agree(torch_ref, lambda L: other * L.tensor([1, 2], dtype=getattr(L, name)))


# ---- operations ----------------------------------------------------------------------

OPS = [
    lambda L, x: x + 300,
    lambda L, x: x + 1000,
    lambda L, x: x - 2,
    lambda L, x: x * 2.5,
    lambda L, x: x * 20,
    lambda L, x: -x,
    lambda L, x: x.abs(),
    lambda L, x: ~x,
    lambda L, x: x.bitwise_not(),
    lambda L, x: x & 6,
    lambda L, x: x | L.tensor([1], dtype=L.int8),
    lambda L, x: x ^ x,
    lambda L, x: x // 2,
    lambda L, x: x // -3,
    lambda L, x: x / 2,
    lambda L, x: x.div(3, rounding_mode="trunc"),
    lambda L, x: x.div(3, rounding_mode="floor"),
    lambda L, x: x // 0,
    lambda L, x: x // L.zeros(1, dtype=x.dtype),
    lambda L, x: x.div(0, rounding_mode="trunc"),
    lambda L, x: x.floor_divide(3),
    lambda L, x: x ** 2,
    lambda L, x: x.pow(-1),
    lambda L, x: x.square(),
    lambda L, x: x.exp(),
    lambda L, x: x.sqrt_(),
    lambda L, x: x.sigmoid(),
    lambda L, x: x.reciprocal(),
    lambda L, x: x.floor(),
    lambda L, x: x.round(),
    lambda L, x: x.relu(),
    lambda L, x: x.sign(),
    lambda L, x: x.clamp(0, 50),
    lambda L, x: x.mul_(20),
    lambda L, x: x.mul_(2.5),
    lambda L, x: x.add_(1000),
    lambda L, x: x == 5,
    lambda L, x: x < 1.5,
    lambda L, x: x > L.tensor([0], dtype=L.uint8),
    lambda L, x: x.maximum(L.tensor([3], dtype=L.uint8)),
    lambda L, x: x.sum(),
    lambda L, x: x.sum(0, keepdim=True),
    lambda L, x: x.sum(dtype=L.int8),
    lambda L, x: x.prod(),
    lambda L, x: x.cumsum(0),
    lambda L, x: x.cumprod(0),
    lambda L, x: x.max(),
    lambda L, x: x.min(0),
    lambda L, x: x.argmax(),
    lambda L, x: x.argmin(),
    lambda L, x: x.amax(0),
    lambda L, x: x.mean(),
    lambda L, x: x.std(),
    lambda L, x: x.norm(),
    lambda L, x: x.any(),
    lambda L, x: x.all(),
    lambda L, x: x.nonzero(),
    lambda L, x: x.bool(),
    lambda L, x: x.flip(0),
    lambda L, x: x.repeat(2),
    lambda L, x: x.clone(),
    lambda L, x: x.masked_fill(x > 3, 9),
    lambda L, x: x.masked_fill(x > 3, 100000),
    lambda L, x: x.index_fill(0, L.tensor([0]), 100000),
    lambda L, x: x.index_fill(0, L.tensor([0]), -255),
    lambda L, x: L.where(x > 3, x, L.zeros(1, dtype=x.dtype)),
    lambda L, x: L.cat([x, x]),
    lambda L, x: L.cat([x, L.tensor([7], dtype=L.int32)]),
    lambda L, x: L.stack([x, x]),
    lambda L, x: x.reshape(2, 2) @ x.reshape(2, 2),
    lambda L, x: x.reshape(1, 2, 2) @ x.reshape(1, 2, 2),
    lambda L, x: x.dot(x),
    lambda L, x: x.reshape(2, 2) @ L.ones(2, 2),
    lambda L, x: x[L.tensor([0, 2], dtype=L.int32)],
    lambda L, x: x[x > 3],
    lambda L, x: x[1:3],
]


@pytest.mark.parametrize("case", range(len(OPS)))
@pytest.mark.parametrize("name", INT_DTYPES)
def test_operations(torch_ref, name, case):
    agree(torch_ref, lambda L: OPS[case](L, L.tensor([7, 100, 5, 1], dtype=getattr(L, name))))


@pytest.mark.parametrize("name", ["int8", "int16", "int32"])
def test_signed_edge_values(torch_ref, name):
    info = np.iinfo(name)
    agree(torch_ref, lambda L: L.tensor([info.min], dtype=getattr(L, name)) // -1)
    agree(torch_ref, lambda L: L.tensor([info.min], dtype=getattr(L, name)).abs())
    agree(torch_ref, lambda L: -L.tensor([info.min, -7, 7], dtype=getattr(L, name)))
    agree(torch_ref, lambda L: L.tensor([-7, 7], dtype=getattr(L, name)) // 2)
    agree(torch_ref, lambda L: L.tensor([info.max, info.max], dtype=getattr(L, name)).sum())


@pytest.mark.parametrize("name", ["int8", "int16", "int32", "uint8", "float32", "bool"])
def test_index_tensor_dtypes(torch_ref, name):
    def index(L):
        return L.tensor([0, 2], dtype=getattr(L, name)) if name != "bool" else L.tensor([True, False, True])
    x = lambda L: L.arange(12.0).reshape(3, 4)  # noqa: E731
    agree(torch_ref, lambda L: x(L)[:, index(L)] if name != "uint8" else x(L)[index(L)].shape)
    agree(torch_ref, lambda L: x(L).index_select(0, index(L)))
    agree(torch_ref, lambda L: x(L).gather(1, index(L).reshape(1, -1)))
    agree(torch_ref, lambda L: L.zeros(3, 4).scatter(1, index(L).reshape(1, -1), 1.0))
    agree(torch_ref, lambda L: L.zeros(3, 4).scatter_add(1, index(L).reshape(1, -1), L.ones(1, index(L).numel())))
    agree(torch_ref, lambda L: L.zeros(3, 4).index_add(0, index(L), L.ones(index(L).numel(), 4)))
    agree(torch_ref, lambda L: L.nn.functional.embedding(index(L), L.eye(3)))


@pytest.mark.parametrize("name", INT_DTYPES + ["int64"])
def test_zero_dim_and_mask_indices(torch_ref, name):
    agree(torch_ref, lambda L: L.arange(6).reshape(2, 3)[L.tensor(1, dtype=getattr(L, name))])
    agree(torch_ref, lambda L: L.arange(6).reshape(2, 3)[L.tensor([1, 0], dtype=getattr(L, name))])


@pytest.mark.parametrize("name", INT_DTYPES + ["int64"])
def test_nll_loss_target_dtypes(torch_ref, name):
    agree(torch_ref, lambda L: L.nn.functional.nll_loss(L.tensor([[0.5, 1.0, 2.0], [1.0, 2.0, 3.0]]), L.tensor([0, 2], dtype=getattr(L, name))))


def test_integer_index_gradient_flows(torch_ref):
    def build(L):
        w = L.ones(3, 2, requires_grad=True)
        w[L.tensor([0, 0, 2], dtype=L.int32)].sum().backward()
        return w.grad
    agree(torch_ref, build)


# ---- numpy -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", INT_DTYPES)
def test_numpy_round_trip_keeps_dtype(torch_ref, name):
    arr = np.array([[1, 2, 3], [100, 0, 7]], dtype=name)
    for convert in (ferrograd.tensor, ferrograd.from_numpy, ferrograd.as_tensor):
        t = convert(arr)
        assert t.dtype is getattr(ferrograd, name)
        back = t.numpy()
        assert back.dtype == arr.dtype and (back == arr).all()
        assert np.asarray(t).dtype == arr.dtype
    assert repr(ferrograd.from_numpy(arr)) == repr(torch_ref.from_numpy(arr))


@pytest.mark.parametrize("name", INT_DTYPES)
def test_from_numpy_shares_memory(name):
    arr = np.array([1, 2, 3], dtype=name)
    t = ferrograd.from_numpy(arr)
    t[0] = 9
    assert arr[0] == 9
    arr[1] = 8
    assert t[1].item() == 8
    view = t.numpy()
    view[2] = 5
    assert arr[2] == 5


@pytest.mark.parametrize("name", INT_DTYPES)
def test_numpy_of_strided_view(name):
    t = ferrograd.arange(12, dtype=getattr(ferrograd, name)).reshape(3, 4).t()
    np.testing.assert_array_equal(t.numpy(), np.arange(12, dtype=name).reshape(3, 4).T)


# ---- files -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", INT_DTYPES)
def test_save_load_with_pytorch(torch_ref, name):
    values = [1, 2, 100, 0]
    buffer = io.BytesIO()
    ferrograd.save({"x": ferrograd.tensor(values, dtype=getattr(ferrograd, name))}, buffer)
    buffer.seek(0)
    theirs = torch_ref.load(buffer)["x"]
    assert theirs.dtype == getattr(torch_ref, name) and theirs.tolist() == values
    buffer = io.BytesIO()
    torch_ref.save({"x": torch_ref.tensor(values, dtype=getattr(torch_ref, name))}, buffer)
    buffer.seek(0)
    ours = ferrograd.load(buffer)["x"]
    assert ours.dtype is getattr(ferrograd, name) and ours.tolist() == values


def test_safetensors_with_reference():
    st_numpy = pytest.importorskip("safetensors.numpy")
    from ferrograd import safetensors as st

    tensors = {name: ferrograd.tensor([1, 2, 3], dtype=getattr(ferrograd, name)) for name in INT_DTYPES}
    tensors["f"] = ferrograd.ones(1)
    tensors["l"] = ferrograd.ones(1, dtype=ferrograd.int64)
    tensors["b"] = ferrograd.ones(1, dtype=ferrograd.bool)
    data = st.save(tensors)
    expected = st_numpy.save({k: v.numpy() for k, v in tensors.items()})
    assert data == expected
    loaded = st.load(expected)
    for name in INT_DTYPES:
        assert loaded[name].dtype is getattr(ferrograd, name) and loaded[name].tolist() == [1, 2, 3]
