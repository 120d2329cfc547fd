"""Ops that change a tensor's shape, strides or memory in place, keeping the
Python object: `resize_`, `t_`/`transpose_`/`swapdims_`/`swapaxes_`,
`squeeze_`/`unsqueeze_`, `out=` resizing and `tensor.data = other`.
Compared with PyTorch; gradients also by finite differences."""

import warnings

import numpy as np
import pytest

import ferrograd
from gradcheck import check_grad

VIEW_OPS = {
    "t_": (lambda x: x.t_(), (2, 3)),
    "transpose_": (lambda x: x.transpose_(0, -1), (2, 3, 4)),
    "swapdims_": (lambda x: x.swapdims_(1, 2), (2, 3, 4)),
    "swapaxes_": (lambda x: x.swapaxes_(0, 1), (2, 3)),
    "squeeze_": (lambda x: x.squeeze_(), (1, 3, 1)),
    "squeeze_dim": (lambda x: x.squeeze_(-1), (2, 1)),
    "squeeze_dims": (lambda x: x.squeeze_((0, 2)), (1, 3, 1)),
    "unsqueeze_": (lambda x: x.unsqueeze_(1), (2, 3)),
}


def through_view_op(L, name):
    """A non-leaf changed by the op, and the leaf it came from."""
    op, shape = VIEW_OPS[name]
    a = L.arange(float(np.prod(shape)), dtype=L.float64).reshape(shape).requires_grad_()
    x = a * 2
    version = x._version
    returned = op(x)
    return a, x, returned, version


@pytest.mark.parametrize("name", sorted(VIEW_OPS))
def test_view_op_in_place_matches_pytorch(name, torch_ref):
    results = []
    for L in (torch_ref, ferrograd):
        a, x, returned, version = through_view_op(L, name)
        weights = L.arange(float(x.numel()), dtype=L.float64).reshape(x.shape) + 1
        (x * weights).sum().backward()
        results.append((returned is x, tuple(x.shape), x.stride(), x._version - version,
                        x.grad_fn.name(), [f.name() for f, _ in x.grad_fn.next_functions],
                        a.grad.tolist(), x.tolist()))
    assert results[1] == results[0]


@pytest.mark.parametrize("name", sorted(VIEW_OPS))
def test_view_op_in_place_gradient_by_finite_differences(name):
    op, shape = VIEW_OPS[name]

    def fn(a):
        x = a * 1.0
        op(x)
        return x * x.sum()

    check_grad(fn, [ferrograd.randn(*shape, dtype=ferrograd.float64)])


def test_view_op_on_a_view_records_on_the_view(torch_ref):
    results = []
    for L in (torch_ref, ferrograd):
        a = L.ones(2, 3, requires_grad=True)
        v = (a * 2)[0]
        v.unsqueeze_(0)
        names = (v.grad_fn.name(), [f.name() for f, _ in v.grad_fn.next_functions])
        (v * L.tensor([[1.0, 2.0, 3.0]])).sum().backward()
        results.append((names, tuple(v.shape), v._base is not None, a.grad.tolist()))
    assert results[1] == results[0]


def test_view_ops_in_place_refuse_what_pytorch_refuses(torch_ref):
    for L in (torch_ref, ferrograd):
        leaf = L.ones(2, 3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
            leaf.t_()
        with L.no_grad():
            leaf.t_()
        assert tuple(leaf.shape) == (3, 2) and leaf.is_leaf
        with pytest.raises(RuntimeError, match=r"t_\(\) expects a tensor with <= 2 dimensions, but self is 3D"):
            L.ones(2, 2, 2).t_()
        with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 3\)"):
            L.ones(3).transpose_(0, 3)


def test_a_view_changed_in_place_keeps_sharing_memory(torch_ref):
    for L in (torch_ref, ferrograd):
        base = L.zeros(2, 3)
        v = base[0]
        v.unsqueeze_(0)
        v.fill_(5.0)
        assert base.tolist() == [[5.0] * 3, [0.0] * 3]
        assert v._base is base


def resized(L, start_shape, sizes, take=None):
    x = L.arange(float(np.prod(start_shape))).reshape(start_shape)
    if take is not None:
        x = take(x)
    version = x._version
    returned = x.resize_(*sizes)
    return x, returned, version


@pytest.mark.parametrize("start, sizes", [((2, 3), (4,)), ((2, 3), (3, 2)), ((2, 3), (2, 3)), ((2, 3), (0,)), ((4,), (2, 2, 2)), ((3,), ((2, 5),))])
def test_resize_matches_pytorch(start, sizes, torch_ref):
    results = []
    for L in (torch_ref, ferrograd):
        x, returned, version = resized(L, start, sizes)
        kept = min(int(np.prod(start)), x.numel())
        # Elements past the old storage are uninitialized in PyTorch: only the kept ones compare.
        results.append((returned is x, tuple(x.shape), x.stride(), x.storage_offset(), x._version - version,
                        x.flatten()[:kept].tolist()))
    assert results[1] == results[0]


def test_resize_of_a_view_keeps_its_offset(torch_ref):
    results = []
    for L in (torch_ref, ferrograd):
        base = L.arange(6.0).reshape(2, 3)
        y = base[1]
        y.resize_(5)
        results.append((tuple(y.shape), y.storage_offset(), y[:3].tolist(), base.tolist()))
    assert results[1] == results[0]


def test_resize_as_and_refusals(torch_ref):
    for L in (torch_ref, ferrograd):
        x = L.ones(2, 3)
        assert x.resize_as_(L.ones(6)) is x and tuple(x.shape) == (6,)
        with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
            L.ones(2, requires_grad=True).resize_(3)
        with pytest.raises(RuntimeError, match="Trying to resize storage that is not resizable"):
            L.from_numpy(np.ones(2)).resize_(5)
        with pytest.raises(RuntimeError, match="numel: integer multiplication overflow"):
            L.ones(2).resize_(-1)


def test_numpy_arrays_outlive_the_memory_their_tensor_leaves():
    t = ferrograd.arange(4.0)
    array = t.numpy()
    t.resize_(1000)  # needs a larger storage
    t.data = ferrograd.zeros(2)  # and then another one
    del t
    assert array.tolist() == [0.0, 1.0, 2.0, 3.0]
    array[0] = 7.0
    assert array.tolist() == [7.0, 1.0, 2.0, 3.0]


def out_resize_warnings(L, out_shape):
    x, out = L.ones(2, 3), L.zeros(out_shape)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        returned = L.add(x, 1, out=out)
    messages = [str(w.message).split(" (Triggered internally")[0] for w in caught]
    return returned is out, tuple(out.shape), out.tolist(), [w.category for w in caught], messages


@pytest.mark.parametrize("out_shape", [(5,), (0,), (3, 2), (2, 3)])
def test_out_of_another_shape_is_resized_with_pytorchs_warning(out_shape, torch_ref):
    assert out_resize_warnings(ferrograd, out_shape) == out_resize_warnings(torch_ref, out_shape)


def assign_data(L):
    p = L.zeros(2, 3, requires_grad=True)
    src = L.arange(6.0).reshape(2, 3)
    src.add_(1)
    version = p._version
    p.data = src
    shares = p.data_ptr() == src.data_ptr()
    p.data = L.zeros(4, dtype=L.float64)
    return version, p._version, shares, tuple(p.shape), str(p.dtype).split(".")[-1], p.requires_grad, p.is_leaf


def test_data_assignment_matches_pytorch(torch_ref):
    assert assign_data(ferrograd) == assign_data(torch_ref)


def test_data_assignment_refusals(torch_ref):
    for L in (torch_ref, ferrograd):
        p = L.zeros(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="data set to a tensor that requires gradients must be floating point or complex dtype"):
            p.data = L.zeros(3, dtype=L.int64)
        with pytest.raises(TypeError, match="Variable data has to be a tensor, but got int"):
            p.data = 3
        assert p.tolist() == [0.0, 0.0, 0.0]


def test_data_has_its_own_version_counter(torch_ref):
    results = []
    for L in (torch_ref, ferrograd):
        p = L.ones(3, requires_grad=True)
        (p * 3).sum().backward()
        p.data -= 0.1 * p.grad
        d = p.data
        d.add_(1)
        e = p.detach()
        e.add_(1)
        results.append((p._version, d._version, e._version, p.tolist()))
    assert results[1] == results[0]


def test_backward_after_data_assignment_uses_the_new_values(torch_ref):
    results = []
    for L in (torch_ref, ferrograd):
        q = L.ones(2, requires_grad=True)
        loss = (q * q).sum()
        q.data = L.tensor([3.0, 4.0])
        loss.backward()
        results.append(q.grad.tolist())
    assert results[1] == results[0]
