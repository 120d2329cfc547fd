"""In-place ops on views: the base's history becomes CopySlices, the view's
becomes AsStrided of the base, and gradients match finite differences and
PyTorch. Also the writes PyTorch refuses, with its phrases."""

import pytest

import ferrograd as torch
from gradcheck import check_grad


def rand(*shape, seed=0):
    torch.manual_seed(seed)
    return torch.randn(*shape, dtype=torch.float64)


# Each case writes through a view of a non-leaf base and returns the base.
# `x` is the base's source, `w` a second input flowing in through the write.
CASES = {
    "select_mul": lambda x, w: _write(x, lambda b: b[1], lambda v: v.mul_(w[0])),
    "slice_add": lambda x, w: _write(x, lambda b: b[:, 1:3], lambda v: v.add_(w[:2])),
    "transpose_relu": lambda x, w: _write(x * w[0], lambda b: b.t()[1:], lambda v: v.relu_()),
    "diagonal_copy": lambda x, w: _write(x, lambda b: b.diagonal(), lambda v: v.copy_(w[:3] * w[:3])),
    "view_of_view_div": lambda x, w: _write(x, lambda b: b[2][::2], lambda v: v.div_(w[1:3] + 3)),
    "twice_same_rows": lambda x, w: _write(_write(x, lambda b: b[0], lambda v: v.mul_(w)),
                                           lambda b: b[0:2], lambda v: v.sub_(w)),
    "fill_part": lambda x, w: _write(x * w, lambda b: b[1:], lambda v: v.fill_(2.0)),
    "zero_then_use": lambda x, w: _write(x, lambda b: b[:, 0], lambda v: v.zero_()) * w,
    "setitem_rows": lambda x, w: _setitem(x, [((0,), w), ((1, slice(1, None)), w[:3] * 2)]),
    "setitem_number_then_tensor": lambda x, w: _setitem(x * x, [((slice(None), 0), 5.0), ((2, slice(None, None, 2)), w[::2])]),
    "setitem_mask_and_list": lambda x, w: _setitem(x, [((x > 0,), 0.5), (([0, 2], 1), w[:2])]),
}


def _setitem(source, writes):
    base = source * 1
    for index, value in writes:
        base[index] = value
    return base


def _write(source, view_of, update):
    base = source * 1
    update(view_of(base))
    return base


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_through_a_view_written_in_place(name):
    check_grad(CASES[name], [rand(3, 4), rand(4, seed=1)])


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(name, torch_ref):
    import numpy as np
    x, w = rand(3, 4), rand(4, seed=1)
    ours = [x.clone().requires_grad_(), w.clone().requires_grad_()]
    theirs = [torch_ref.tensor(t.tolist(), dtype=torch_ref.float64, requires_grad=True) for t in (x, w)]
    out, ref = CASES[name](*ours), CASES[name](*[t for t in theirs])
    np.testing.assert_allclose(out.tolist(), ref.tolist(), rtol=1e-12)
    assert type(out.grad_fn).__name__ == type(ref.grad_fn).__name__
    seed = rand(3, 4, seed=2)
    out.backward(seed)
    ref.backward(torch_ref.tensor(seed.tolist(), dtype=torch_ref.float64))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.tolist(), b.grad.tolist(), rtol=1e-10, atol=1e-12)


def test_second_order_through_copy_into_a_view():
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    buf = torch.zeros(2, 3)
    buf[0].copy_(a * a)
    buf[1].copy_(a ** 3)
    (g,) = torch.autograd.grad(buf.sum(), a, create_graph=True)
    assert g.tolist() == [5.0, 16.0, 33.0]
    (g2,) = torch.autograd.grad(g.sum(), a)
    assert g2.tolist() == [8.0, 14.0, 20.0]


def test_names_and_bases():
    x = torch.ones(3, 4, requires_grad=True)
    b = x * 1
    v, other = b[0], b[1]
    v.mul_(2)
    assert type(b.grad_fn).__name__ == "CopySlices"
    assert type(v.grad_fn).__name__ == "AsStridedBackward0"
    # A sibling view sees the base change and reads the new history.
    assert type(other.grad_fn).__name__ == "AsStridedBackward0"
    assert [type(f).__name__ if f else None for f, _ in b.grad_fn.next_functions] == ["MulBackward0", None]
    assert v._base is b and b.t().t()._base is b and x.t()._base is x
    assert x.detach()._base is None and not x._is_view() and x[0]._is_view()


def test_write_from_a_grad_input_into_a_plain_buffer():
    w = torch.tensor([2.0], requires_grad=True)
    z = torch.zeros(3)
    view = z[1:]
    view.add_(w * 3)
    assert z.tolist() == [0.0, 6.0, 6.0] and not z.is_leaf and view.requires_grad
    (z * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert w.grad.tolist() == [15.0]


def test_parameter_update_under_no_grad_keeps_views_correct():
    p = torch.ones(3, requires_grad=True)
    pv = p[0:2]
    with torch.no_grad():
        p.sub_(0.5)
    assert type(pv.grad_fn).__name__ == "AsStridedBackward0"
    (pv * 2).sum().backward()
    assert p.grad.tolist() == [2.0, 2.0, 0.0]


@pytest.mark.parametrize("write, phrase", [
    (lambda x: x[0].mul_(2), "a view of a leaf Variable that requires grad is being used in an in-place operation."),
    (lambda x: (x * 1).unbind(0)[1].mul_(2), "Output 1 of Unbind is a view and is being modified inplace."),
    (lambda x: (x * 1).chunk(2)[0].add_(1), "Output 0 of Split is a view and is being modified inplace."),
    (lambda x: torch.zeros(3).expand(2, 3).add_(x[0, :3]),
     "unsupported operation: more than one element of the written-to tensor refers to a single memory location."),
])
def test_refused_writes(write, phrase):
    x = torch.ones(3, 4, requires_grad=True)
    before = x.tolist()
    with pytest.raises(RuntimeError, match=phrase.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        write(x)
    assert x.tolist() == before


def test_view_made_under_no_grad_refuses_a_recorded_write():
    b = torch.ones(3, requires_grad=True) * 1
    with torch.no_grad():
        view = b[1:]
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode"):
        view.mul_(torch.ones(2, requires_grad=True))


def test_writes_allowed_under_no_grad_and_broadcast_fill():
    x = torch.ones(3, requires_grad=True)
    with torch.no_grad():
        x[0:2].mul_(3)
    assert x.tolist() == [3.0, 3.0, 1.0] and x.is_leaf
    e = torch.ones(3).expand(2, 3)
    e.zero_()
    assert e.tolist() == [[0.0] * 3] * 2
