"""`Tensor.data` assignment and the `Tensor.__new__` subclass pattern.

`t.data = x` points `t` at `x`'s memory, shape and dtype, keeping `t`'s
identity and autograd state (more cases against PyTorch in
test_metadata_ops.py).
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


def test_in_place_update_assigned_back_keeps_the_memory():
    p = Parameter(torch.randn(3))
    (p * 3).sum().backward()
    before = p.tolist()
    version = p._version
    ptr = p.data_ptr()
    p.data -= 0.1 * p.grad  # `.data` has its own version counter, as in PyTorch
    assert p._version == version
    assert p.data_ptr() == ptr
    assert p.tolist() == pytest.approx([b - 0.3 for b in before])
    assert p.is_leaf and p.requires_grad


def test_assignment_shares_the_source_and_may_change_shape_and_dtype():
    p = Parameter(torch.zeros(2, 3))
    src = torch.arange(6.0).reshape(2, 3)
    p.data = src
    assert p.tolist() == src.tolist()
    assert p.data_ptr() == src.data_ptr()
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    p.data = torch.zeros(4, dtype=torch.float64)
    assert tuple(p.shape) == (4,) and p.dtype == torch.float64 and type(p) is Parameter
    t = torch.arange(4.0)
    t.data = t.flip(0)
    assert t.tolist() == [3.0, 2.0, 1.0, 0.0]
    with pytest.raises(AttributeError):
        del t.data


def test_plain_tensor_constructor_still_works():
    t = torch.Tensor([1.0, 2.0])
    assert type(t) is torch.Tensor and t.tolist() == [1.0, 2.0]
    assert t.requires_grad_() is t
    s = torch.Tensor(t)
    assert s.data_ptr() == t.data_ptr() and s.is_leaf
