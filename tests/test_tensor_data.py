"""`Tensor.data` assignment and the `Tensor.__new__` subclass pattern.

ferrograd cannot swap a tensor's storage, so `t.data = x` supports the
cases that need no swap: `x` already being `t`'s data (as after
`t.data -= lr * t.grad`) and `x` of the same shape and dtype (values copied).
"""

import pytest

import ferrograd as torch


class Parameter(torch.Tensor):
    """The shape of nn.Parameter: a leaf Tensor subclass made by __new__."""

    def __new__(cls, data=None, requires_grad=True):
        return super().__new__(cls, data, requires_grad)


def test_subclass_new_makes_a_leaf_sharing_the_data():
    data = torch.randn(3)
    p = Parameter(data)
    assert type(p) is Parameter
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    assert p.data_ptr() == data.data_ptr()
    with torch.no_grad():
        data.add_(1)
    assert p.tolist() == data.tolist()
    assert not Parameter(torch.ones(2), requires_grad=False).requires_grad


def test_subclass_identity_survives_methods_that_return_self():
    p = Parameter(torch.zeros(4))
    assert p.requires_grad_() is p
    assert p.requires_grad_(False) is p and not p.requires_grad
    p.requires_grad_()
    with torch.no_grad():
        assert p.uniform_(-1, 1) is p
        assert p.normal_() is p
        assert p.zero_() is p


def test_subclass_identity_is_kept_through_the_graph():
    p = Parameter(torch.randn(3))
    seen = []
    p.register_hook(lambda g: seen.append(g))
    loss = (p * 2).sum()
    accumulate = loss.grad_fn.next_functions[0][0].next_functions[0][0]
    assert accumulate.variable is p
    loss.backward()
    assert p.grad.tolist() == [2.0, 2.0, 2.0]
    assert len(seen) == 1
    y = p[1:]
    assert y._base is p


def test_in_place_update_assigned_back_is_a_no_op():
    p = Parameter(torch.randn(3))
    (p * 3).sum().backward()
    before = p.tolist()
    version = p._version
    ptr = p.data_ptr()
    p.data -= 0.1 * p.grad  # mutates p's data in place, then assigns it back
    assert p._version == version + 1  # the subtraction, nothing more
    assert p.data_ptr() == ptr
    assert p.tolist() == pytest.approx([b - 0.3 for b in before])
    assert p.is_leaf and p.requires_grad
    p.data = p.data
    assert p._version == version + 1


def test_same_shape_and_dtype_assignment_copies_values():
    p = Parameter(torch.zeros(2, 3))
    src = torch.arange(6.0).reshape(2, 3)
    version = p._version
    p.data = src
    assert p.tolist() == src.tolist()
    assert p.data_ptr() != src.data_ptr()  # copied, not shared
    assert p._version == version + 1
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    p.data = src.t().contiguous().t()  # a non-contiguous source of the same shape
    assert p.tolist() == src.tolist()
    # Overlapping source: the old values are read before any write.
    t = torch.arange(4.0)
    t.data = t.flip(0)
    assert t.tolist() == [3.0, 2.0, 1.0, 0.0]


def test_other_assignments_are_refused_with_both_shapes_and_dtypes():
    p = Parameter(torch.zeros(3))
    with pytest.raises(RuntimeError, match=r"cannot swap a tensor's storage.*shape \[4\].*float32.*shape \[3\].*float32.*copy_"):
        p.data = torch.zeros(4)
    with pytest.raises(RuntimeError, match=r"shape \[3\] and dtype torch.float64 to a tensor of shape \[3\] and dtype torch.float32"):
        p.data = torch.zeros(3, dtype=torch.float64)
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got int"):
        p.data = 3
    with pytest.raises(AttributeError):
        del p.data
    assert p.tolist() == [0.0, 0.0, 0.0]


def test_plain_tensor_constructor_still_works():
    t = torch.Tensor([1.0, 2.0])
    assert type(t) is torch.Tensor and t.tolist() == [1.0, 2.0]
    assert t.requires_grad_() is t
    s = torch.Tensor(t)
    assert s.data_ptr() == t.data_ptr() and s.is_leaf
