"""torch.Size, finfo/iinfo, legacy typed constructors, Tensor.type(),
autograd.Variable and numpy interop, each checked against PyTorch."""

import numpy as np
import pytest

import ferrograd

DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "bool"]


def test_size_behaves_as_torch_size(torch_ref):
    for L in (ferrograd, torch_ref):
        s = L.Size([2, 3])
        results = [s + (4,), (1,) + s, s * 2, 2 * s, s[1:], s[::-1], s[0], s.numel(), L.Size([]).numel()]
        assert [type(r).__name__ for r in results] == ["Size"] * 6 + ["int"] * 3
        assert [repr(r) for r in results] == ["torch.Size([2, 3, 4])", "torch.Size([1, 2, 3])", "torch.Size([2, 3, 2, 3])",
                                              "torch.Size([2, 3, 2, 3])", "torch.Size([3])", "torch.Size([3, 2])", "2", "6", "1"]
        assert s == (2, 3) and (2, 3) == s and s != (3, 2) and s == L.zeros(2, 3).shape
        assert str(s) == "torch.Size([2, 3])" and isinstance(s, tuple)
    with pytest.raises(TypeError):
        ferrograd.Size([2]) + [3]
    with pytest.raises(TypeError):
        torch_ref.Size([2]) + [3]


FLOATS = ["float32", "float64", "float16", "bfloat16"]


@pytest.mark.parametrize("dtype", FLOATS)
def test_finfo(torch_ref, dtype):
    ours, theirs = ferrograd.finfo(getattr(ferrograd, dtype)), torch_ref.finfo(getattr(torch_ref, dtype))
    for field in ["bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"]:
        assert getattr(ours, field) == getattr(theirs, field), field
    assert repr(ours) == repr(theirs)
    assert repr(ferrograd.finfo()) == repr(torch_ref.finfo())


def test_iinfo(torch_ref):
    ours, theirs = ferrograd.iinfo(ferrograd.int64), torch_ref.iinfo(torch_ref.int64)
    assert (ours.bits, ours.min, ours.max, ours.dtype, repr(ours)) == (theirs.bits, theirs.min, theirs.max, theirs.dtype, repr(theirs))


@pytest.mark.parametrize("call,dtype", [("finfo", "int64"), ("finfo", "bool"), ("iinfo", "float32"), ("iinfo", "bool")])
def test_info_refuses_wrong_kind(torch_ref, call, dtype):
    with pytest.raises(TypeError) as theirs:
        getattr(torch_ref, call)(getattr(torch_ref, dtype))
    with pytest.raises(TypeError) as ours:
        getattr(ferrograd, call)(getattr(ferrograd, dtype))
    assert str(ours.value) == str(theirs.value)


LEGACY = ["FloatTensor", "DoubleTensor", "LongTensor", "BoolTensor", "HalfTensor", "BFloat16Tensor"]


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_constructors(torch_ref, name):
    for args in [(2, 3), ([1, 0, 2],), ([[1.5], [0.0]],), ((1, 2),), ((),)]:
        ours, theirs = getattr(ferrograd, name)(*args), getattr(torch_ref, name)(*args)
        assert str(ours.dtype) == str(theirs.dtype) and ours.shape == theirs.shape
        if args != (2, 3):
            np.testing.assert_array_equal(np.asarray(ours.float()), theirs.float().numpy())
    for L in (ferrograd, torch_ref):
        assert getattr(L, name)(L.Size([4])).shape == (4,)
        assert getattr(L, name)().shape == (0,)
        t = getattr(L, name)([1])
        assert isinstance(t, getattr(L, name)) and isinstance(t, L.Tensor)
        assert not isinstance(L.zeros(1, dtype=L.float64 if name != "DoubleTensor" else L.int64), getattr(L, name))


@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_type_names(torch_ref, dtype):
    ours, theirs = ferrograd.zeros(2, dtype=getattr(ferrograd, dtype)), torch_ref.zeros(2, dtype=getattr(torch_ref, dtype))
    assert ours.type() == theirs.type()


def test_tensor_type_converts(torch_ref):
    for L in (ferrograd, torch_ref):
        t = L.tensor([1.5, -2.0])
        assert t.type("torch.LongTensor").tolist() == [1, -2]
        assert t.type(L.float64).dtype is L.float64
        assert t.type(L.BoolTensor).dtype is L.bool
        assert t.type("torch.DoubleTensor").type() == "torch.DoubleTensor"
    with pytest.raises(ValueError) as theirs:
        torch_ref.zeros(1).type("torch.Nope")
    with pytest.raises(ValueError) as ours:
        ferrograd.zeros(1).type("torch.Nope")
    assert str(ours.value) == str(theirs.value)


def test_variable_is_a_tensor(torch_ref):
    import torch.autograd as torch_autograd
    for L, Variable in ((ferrograd, ferrograd.autograd.Variable), (torch_ref, torch_autograd.Variable)):
        base = L.ones(2, requires_grad=True)
        v = Variable(base * 2, requires_grad=True)
        assert type(v) is L.Tensor and v.requires_grad and v.is_leaf
        assert isinstance(v, Variable) and isinstance(L.zeros(1), Variable)
        assert not Variable(L.ones(1)).requires_grad
        (v * 3).sum().backward()
        assert v.grad.tolist() == [3.0, 3.0] and base.grad is None


def test_numpy_interop(torch_ref):
    for L in (ferrograd, torch_ref):
        t = L.tensor([1.0, 2.0])
        a = np.asarray(t)
        assert type(a) is np.ndarray and a.dtype == np.float32 and a.tolist() == [1.0, 2.0]
        assert np.asarray(t, dtype=np.float64).dtype == np.float64
        for r in (np.float32(2) * t, t * np.float32(2), np.float64(2) + t):
            assert type(r) is L.Tensor
        assert (np.float32(2) * t).tolist() == [2.0, 4.0]
        assert t.__array_priority__ == 1000
