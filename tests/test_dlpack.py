"""DLPack both ways: shared memory, views, dtypes, errors and lifetimes."""

import gc
import weakref

import numpy as np
import pytest

import ferrograd
import ferrograd.utils.dlpack

NUMPY_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
ALL_DTYPES = [ferrograd.bool, ferrograd.uint8, ferrograd.int8, ferrograd.int16, ferrograd.int32, ferrograd.int64,
              ferrograd.float16, ferrograd.bfloat16, ferrograd.float32, ferrograd.float64]


def numpy_values(dtype, shape=(2, 3)):
    n = int(np.prod(shape))
    if dtype == "bool":
        return (np.arange(n) % 2 == 0).reshape(shape)
    return np.arange(n).astype(dtype).reshape(shape)


def shares_memory(a, b):
    """Whether zeroing ``a`` zeroes ``b`` (whose elements are not all zero)."""
    a.zero_()
    return not b.to(ferrograd.bool).any().item()


class Released:
    """Counts how often an object's memory owner was finalised."""

    def __init__(self, obj):
        self.count = 0
        weakref.finalize(obj, self._bump)

    def _bump(self):
        self.count += 1


def test_dlpack_device_is_cpu():
    assert ferrograd.zeros(2).__dlpack_device__() == (1, 0)


def test_numpy_from_ferrograd_shares_memory():
    t = ferrograd.arange(6, dtype=ferrograd.float32).reshape(2, 3)
    a = np.from_dlpack(t)
    a[0, 1] = 42.0
    assert t[0, 1].item() == 42.0
    t.add_(1)
    assert a[1, 2] == 6.0


def test_ferrograd_from_numpy_shares_memory():
    a = np.arange(6.0).reshape(2, 3)
    t = ferrograd.from_dlpack(a)
    assert t.dtype == ferrograd.float64 and tuple(t.shape) == (2, 3)
    a[1, 2] = -1.0
    assert t[1, 2].item() == -1.0
    t.mul_(2)
    assert a[0, 1] == 2.0


@pytest.mark.parametrize("dtype", NUMPY_DTYPES)
def test_every_numpy_dtype_both_ways(dtype):
    a = numpy_values(dtype)
    t = ferrograd.from_dlpack(a)
    assert t.tolist() == a.tolist()
    back = np.from_dlpack(t)
    assert back.dtype == a.dtype
    np.testing.assert_array_equal(back, a)
    assert np.shares_memory(back, a)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_every_dtype_round_trips_through_a_capsule(dtype):
    capsules = [lambda t: t.__dlpack__(), lambda t: t.__dlpack__(max_version=(1, 0)), ferrograd.utils.dlpack.to_dlpack]
    for make_capsule in capsules:
        t = ferrograd.arange(6).reshape(2, 3).to(dtype)
        back = ferrograd.from_dlpack(make_capsule(t))
        assert back.dtype == dtype
        assert back.tolist() == t.tolist()
        assert shares_memory(back, t)


def test_versioned_capsule_only_when_asked():
    t = ferrograd.zeros(3)
    assert "dltensor_versioned" in repr(t.__dlpack__(max_version=(1, 0)))
    assert '"dltensor"' in repr(t.__dlpack__())
    assert '"dltensor"' in repr(t.__dlpack__(max_version=(0, 8)))


def test_non_contiguous_views_both_ways():
    t = ferrograd.arange(12, dtype=ferrograd.float64).reshape(3, 4)
    view = t.t()[1:, ::2]
    a = np.from_dlpack(view)
    np.testing.assert_array_equal(a, np.arange(12.0).reshape(3, 4).T[1:, ::2])
    a[0, 0] = 100.0
    assert t[0, 1].item() == 100.0

    base = np.arange(24, dtype=np.int32).reshape(4, 6)
    sliced = base[1:, ::3].T
    u = ferrograd.from_dlpack(sliced)
    assert u.tolist() == sliced.tolist()
    assert not u.is_contiguous()
    base[3, 3] = -7
    assert u[1, 2].item() == -7


def test_zero_size_and_zero_dim():
    empty = ferrograd.from_dlpack(np.zeros((0, 3), dtype=np.float32))
    assert tuple(empty.shape) == (0, 3)
    scalar = ferrograd.from_dlpack(np.array(2.5))
    assert scalar.dim() == 0 and scalar.item() == 2.5
    assert np.from_dlpack(ferrograd.tensor(4)).item() == 4
    assert np.from_dlpack(ferrograd.zeros(0, 2)).shape == (0, 2)


def test_requires_grad_is_refused():
    t = ferrograd.ones(2, requires_grad=True)
    with pytest.raises(BufferError, match=r"Can't export tensors that require gradient, use tensor\.detach\(\)"):
        t.__dlpack__()
    with pytest.raises(BufferError, match="require gradient"):
        np.from_dlpack(t)
    assert np.from_dlpack(t.detach()).tolist() == [1.0, 1.0]


def test_read_only_numpy_memory_stays_read_only():
    a = np.arange(3.0)
    a.setflags(write=False)
    t = ferrograd.from_dlpack(a)
    assert t.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(RuntimeError, match="not writable"):
        t.add_(1)
    # A legacy capsule cannot say "read-only": its consumer gets a copy.
    legacy = ferrograd.from_dlpack(t.__dlpack__())
    legacy.add_(1)
    assert a.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(RuntimeError, match="copy=False"):
        t.__dlpack__(copy=False)


def test_copy_argument():
    t = ferrograd.arange(3)
    copied = ferrograd.from_dlpack(t.__dlpack__(max_version=(1, 0), copy=True))
    assert copied.tolist() == [0, 1, 2] and not shares_memory(copied, t)
    shared = ferrograd.from_dlpack(t.__dlpack__(copy=False))
    assert shares_memory(shared, t)


def test_bad_arguments_raise_clear_errors():
    t = ferrograd.zeros(2)
    with pytest.raises(BufferError, match="stream must be None"):
        t.__dlpack__(stream=1)
    with pytest.raises(BufferError, match=r"device \(2, 0\)"):
        t.__dlpack__(dl_device=(2, 0))
    with pytest.raises(TypeError, match="max_version"):
        t.__dlpack__(max_version="1.0")
    with pytest.raises(TypeError, match="__dlpack__.*got int"):
        ferrograd.from_dlpack(3)
    with pytest.raises(TypeError, match="from_dlpack: unsupported element type"):
        ferrograd.from_dlpack(np.zeros(2, dtype=np.complex64))
    with pytest.raises(TypeError, match="from_dlpack: unsupported element type"):
        ferrograd.from_dlpack(np.zeros(2, dtype=np.uint32))


def test_a_capsule_is_consumed_once():
    capsule = ferrograd.arange(3).__dlpack__()
    assert ferrograd.from_dlpack(capsule).tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="already consumed"):
        ferrograd.from_dlpack(capsule)


def test_imported_memory_outlives_its_producer_and_is_released_once():
    a = np.arange(5.0)
    released = Released(a)
    t = ferrograd.from_dlpack(a)
    view = t[1:]
    del a
    gc.collect()
    assert released.count == 0
    assert view.tolist() == [1.0, 2.0, 3.0, 4.0]
    del t
    gc.collect()
    assert released.count == 0
    assert view.sum().item() == 10.0
    del view
    gc.collect()
    assert released.count == 1


def test_exported_memory_outlives_the_tensor_and_is_released_once():
    source = np.arange(4, dtype=np.int64)
    released = Released(source)
    t = ferrograd.from_numpy(source)
    del source
    consumer = np.from_dlpack(t * 1)  # a tensor of ferrograd's own memory
    shared = np.from_dlpack(t)  # memory numpy owns, through both libraries
    del t
    gc.collect()
    assert released.count == 0
    assert consumer.tolist() == [0, 1, 2, 3] and shared.tolist() == [0, 1, 2, 3]
    del shared
    gc.collect()
    assert released.count == 1
    assert consumer.tolist() == [0, 1, 2, 3]


def test_an_unclaimed_capsule_releases_the_storage():
    source = np.arange(3.0)
    released = Released(source)
    capsule = ferrograd.from_numpy(source).__dlpack__(max_version=(1, 0))
    del source
    gc.collect()
    assert released.count == 0
    del capsule
    gc.collect()
    assert released.count == 1


# ---- PyTorch -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"])
def test_torch_both_ways_every_dtype(torch_ref, name):
    ours = ferrograd.arange(6).reshape(2, 3).to(getattr(ferrograd, name))
    theirs = torch_ref.from_dlpack(ours)
    assert theirs.dtype == getattr(torch_ref, name)
    assert theirs.tolist() == ours.tolist()
    back = ferrograd.from_dlpack(theirs)
    assert back.dtype == ours.dtype and back.tolist() == ours.tolist()
    theirs.zero_()
    assert not back.to(ferrograd.bool).any().item()


def test_torch_shares_memory_and_views(torch_ref):
    ours = ferrograd.zeros(3, 4)
    theirs = torch_ref.utils.dlpack.from_dlpack(ours.t())
    theirs[1, 0] = 5.0
    assert ours[0, 1].item() == 5.0
    assert theirs.stride() == (1, 4)

    source = torch_ref.arange(12.0).reshape(3, 4)[:, 1::2]
    imported = ferrograd.from_dlpack(torch_ref.utils.dlpack.to_dlpack(source))
    assert imported.tolist() == source.tolist()
    imported.add_(100)
    assert source[0, 0].item() == 101.0
    del source
    gc.collect()
    assert imported[2, 1].item() == 111.0


def test_tensors_requiring_grad_are_refused_as_pytorch_refuses_them(torch_ref):
    with pytest.raises(Exception) as theirs:
        torch_ref.ones(1, requires_grad=True).__dlpack__()
    with pytest.raises(type(theirs.value), match="^Can't export tensors that require gradient, use tensor.detach\\(\\)$"):
        torch_ref.from_dlpack(ferrograd.ones(1, requires_grad=True))
