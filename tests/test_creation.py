"""Creation functions and Tensor.new_* compared with PyTorch: dtypes, shapes
and values bit for bit."""

import numpy as np
import pytest

import ferrograd


def same(ours, theirs):
    """Same dtype name, shape and bits."""
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    a = np.asarray(ours)
    b = theirs.float().numpy() if str(theirs.dtype) == "torch.bfloat16" else theirs.numpy()
    if a.dtype == np.float32 and b.dtype == np.float32 or a.dtype == np.float64:
        assert a.tobytes() == b.tobytes(), (a, b)
    else:
        np.testing.assert_array_equal(a, b)


def both(torch_ref, build):
    """The result of `build` under ferrograd and under PyTorch."""
    return build(ferrograd), build(torch_ref)


@pytest.mark.parametrize("args", [(0.1, 2, 20), (0, 1, 7), (-3.3, 7.1, 101), (5, -5, 64), (1e-3, 1e3, 1000), (2, 2, 1), (0, 1, 0)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linspace_matches_bits(torch_ref, args, dtype):
    ours, theirs = both(torch_ref, lambda L: L.linspace(*args, dtype=getattr(L, dtype)))
    same(ours, theirs)


def test_linspace_integer_dtype(torch_ref):
    ours, theirs = both(torch_ref, lambda L: L.linspace(-2.7, 9.9, 8, dtype=L.int64))
    same(ours, theirs)


@pytest.mark.parametrize("args", [(0, 1, 0.1), (0.0, 1.0, 0.3), (1, 2.5, 0.5), (10, 0, -0.7), (-1.5, 1.5, 0.25), (0, 3.0000001, 1)])
def test_arange_float_steps(torch_ref, args):
    ours, theirs = both(torch_ref, lambda L: L.arange(*args))
    same(ours, theirs)


@pytest.mark.parametrize("args", [(5,), (2, 9), (9, 2, -3)])
def test_arange_integers(torch_ref, args):
    ours, theirs = both(torch_ref, lambda L: L.arange(*args))
    same(ours, theirs)


@pytest.mark.parametrize("args,kwargs", [((0, 2, 5), {}), ((-1, 1, 9), {"base": 2.0}), ((0.5, 3, 17), {"base": 3.3}), ((0, 3, 4), {"dtype": "float64"}),
                                         ((0, 3, 4), {"dtype": "int64"}), ((1, 1, 1), {})])
def test_logspace(torch_ref, args, kwargs):
    def build(L):
        kw = dict(kwargs)
        if "dtype" in kw:
            kw["dtype"] = getattr(L, kw["dtype"])
        return L.logspace(*args, **kw)
    same(*both(torch_ref, build))


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (0,), (3, 0)])
@pytest.mark.parametrize("dtype", [None, "float64", "int64", "bool"])
def test_eye(torch_ref, args, dtype):
    same(*both(torch_ref, lambda L: L.eye(*args, **({} if dtype is None else {"dtype": getattr(L, dtype)}))))


def test_eye_requires_grad_and_errors(torch_ref):
    assert ferrograd.eye(2, requires_grad=True).requires_grad
    for bad in [(-1,), (2, -3)]:
        with pytest.raises(RuntimeError) as theirs:
            torch_ref.eye(*bad)
        with pytest.raises(RuntimeError) as ours:
            ferrograd.eye(*bad)
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("fill", [1, True, 2.5, -7])
def test_full_infers_dtype_from_fill(torch_ref, fill):
    same(*both(torch_ref, lambda L: L.full((2, 3), fill)))


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
@pytest.mark.parametrize("size", [(2, 3), [(2, 3)], [[2, 3]], "Size", [4], [()]])
def test_size_forms(torch_ref, name, size):
    def build(L):
        args = [L.Size([2, 3])] if size == "Size" else size
        return getattr(L, name)(*args)
    ours, theirs = both(torch_ref, build)
    assert ours.shape == theirs.shape and str(ours.dtype) == str(theirs.dtype)
    if name in ("zeros", "ones"):
        same(ours, theirs)


def test_factories_take_the_default_dtype(torch_ref):
    builds = [lambda L: L.tensor([1.0]), lambda L: L.zeros(2), lambda L: L.ones(2), lambda L: L.rand(2), lambda L: L.randn(2),
              lambda L: L.arange(0, 1, 0.5), lambda L: L.linspace(0, 1, 3), lambda L: L.eye(2), lambda L: L.full((1,), 0.5),
              lambda L: L.tensor([]), lambda L: L.tensor([1, 2]) * 0.5, lambda L: L.arange(3)]
    for L in (ferrograd, torch_ref):
        L.set_default_dtype(L.float64)
    try:
        for build in builds:
            ours, theirs = both(torch_ref, build)
            assert str(ours.dtype) == str(theirs.dtype)
        assert ferrograd.get_default_dtype() is ferrograd.float64
    finally:
        for L in (ferrograd, torch_ref):
            L.set_default_dtype(L.float32)
    assert ferrograd.get_default_dtype() is ferrograd.float32
    assert ferrograd.zeros(1).dtype is ferrograd.float32


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_default_dtype(torch_ref, dtype):
    for L in (ferrograd, torch_ref):
        L.set_default_dtype(getattr(L, dtype))
    try:
        for build in [lambda L: L.tensor([1.5]), lambda L: L.zeros(2), lambda L: L.linspace(0, 1, 3)]:
            ours, theirs = both(torch_ref, build)
            assert str(ours.dtype) == str(theirs.dtype)
            assert ours.float().tolist() == theirs.float().tolist()
    finally:
        for L in (ferrograd, torch_ref):
            L.set_default_dtype(L.float32)


@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_set_default_dtype_refuses_other_dtypes(torch_ref, dtype):
    with pytest.raises(TypeError) as theirs:
        torch_ref.set_default_dtype(getattr(torch_ref, dtype))
    with pytest.raises(TypeError) as ours:
        ferrograd.set_default_dtype(getattr(ferrograd, dtype))
    assert str(ours.value) == str(theirs.value)
    assert ferrograd.get_default_dtype() is ferrograd.float32


# --- Tensor.new_* -----------------------------------------------------------------

NEW = [
    lambda x: x.new_ones(2, 3),
    lambda x: x.new_ones((2, 3)),
    lambda x: x.new_zeros([4]),
    lambda x: x.new_zeros(2, dtype=x.new_zeros(0, dtype=None).dtype),
    lambda x: x.new_full((2, 2), 7),
    lambda x: x.new_full([3], 2.5),
    lambda x: x.new_tensor([1, 2, 3]),
    lambda x: x.new_tensor([[1.5, 2.5]]),
    lambda x: x.new_empty(2, 3).new_zeros(1),
]


@pytest.mark.parametrize("make", range(len(NEW)))
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_new_factories_keep_dtype(torch_ref, make, dtype):
    ours, theirs = both(torch_ref, lambda L: NEW[make](L.zeros(1, dtype=getattr(L, dtype))))
    same(ours, theirs)


def test_new_factories_options(torch_ref):
    for L in (ferrograd, torch_ref):
        x = L.zeros(2, dtype=L.int64)
        assert x.new_ones(2, dtype=L.float64).dtype is L.float64
        assert x.new_empty((3, 1)).shape == (3, 1)
        r = x.new_zeros(2, dtype=L.float32, requires_grad=True)
        assert r.requires_grad and r.is_leaf
        src = L.ones(2, requires_grad=True)
        copy = L.zeros(1).new_tensor(src.detach())
        assert not copy.requires_grad
        assert x.new_tensor([1.5]).dtype is L.int64


def test_byte_sizes_and_strides(torch_ref):
    for dtype in ["float32", "float64", "float16", "bfloat16", "int64", "bool"]:
        ours, theirs = both(torch_ref, lambda L: L.zeros(3, 4, dtype=getattr(L, dtype)))
        assert (ours.element_size(), ours.itemsize, ours.nbytes) == (theirs.element_size(), theirs.itemsize, theirs.nbytes)
    ours, theirs = both(torch_ref, lambda L: L.arange(24.0).reshape(2, 3, 4).transpose(0, 2)[1:])
    assert ours.stride() == theirs.stride()
    assert ours.storage_offset() == theirs.storage_offset()
    assert ours.is_contiguous() == theirs.is_contiguous()
    assert ours.nbytes == theirs.nbytes


def test_data_ptr_of_views(torch_ref):
    for L in (ferrograd, torch_ref):
        base = L.arange(12.0).reshape(3, 4)
        assert base.view(12).data_ptr() == base.data_ptr()
        assert base[0].data_ptr() == base.data_ptr()
        assert base[1].data_ptr() == base.data_ptr() + 4 * base.element_size()
        assert base[:, 1].storage_offset() == 1
        assert base.clone().data_ptr() != base.data_ptr()


@pytest.mark.parametrize("make", [
    lambda out: ferrograd.zeros(2, out=out),
    lambda out: ferrograd.ones(2, out=out),
    lambda out: ferrograd.rand(2, out=out),
    lambda out: ferrograd.randn(2, out=out),
    lambda out: ferrograd.randint(5, (2,), out=out),
    lambda out: ferrograd.randperm(2, out=out),
    lambda out: ferrograd.eye(2, 1, out=out),
])
def test_factories_refuse_out_rather_than_ignore_it(make):
    out = ferrograd.full((2,), 7.0)
    with pytest.raises(NotImplementedError, match=r"\(out=\.\.\.\) is not supported"):
        make(out)
    assert out.tolist() == [7.0, 7.0]
