"""autograd.Function: custom forward/backward pairs."""

import gc
import weakref

import pytest

import ferrograd as torch
from ferrograd.autograd import Function, gradcheck, once_differentiable


def define(T):
    """The same custom functions written against library T."""

    class Exp(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    class ScaleShift(T.autograd.Function):
        """Non-tensor arguments and two outputs."""

        @staticmethod
        def forward(ctx, x, scale, w):
            ctx.scale = scale
            ctx.save_for_backward(x, w)
            return x * scale + w, x * w

        @staticmethod
        def backward(ctx, g1, g2):
            x, w = ctx.saved_tensors
            return g1 * ctx.scale + g2 * w, None, g1 + g2 * x

    class StraightThroughStep(T.autograd.Function):
        """A non-differentiable step with a custom (identity) backward."""

        @staticmethod
        def forward(ctx, x):
            return (x > 0).float()

        @staticmethod
        def backward(ctx, grad):
            return grad

    return Exp, ScaleShift, StraightThroughStep


def run(T):
    Exp, ScaleShift, Step = define(T)
    x = T.tensor([0.5, -1.0, 2.0], requires_grad=True)
    w = T.tensor([1.5, 2.0, -0.5], requires_grad=True)
    a, b = ScaleShift.apply(x, 3.0, w)
    loss = (Exp.apply(a) * b).sum() + Step.apply(w).sum()
    loss.backward()
    return loss.item(), x.grad.tolist(), w.grad.tolist(), type(a.grad_fn).__name__


def test_custom_functions_compute_gradients():
    value, gx, gw, name = run(torch)
    assert name == "ScaleShiftBackward"
    assert value == pytest.approx(sum(
        __import__("math").exp(xi * 3 + wi) * xi * wi + (wi > 0) for xi, wi in zip([0.5, -1.0, 2.0], [1.5, 2.0, -0.5])))


def test_custom_functions_match_pytorch(torch_ref):
    ours, theirs = run(torch), run(torch_ref)
    assert ours[0] == pytest.approx(theirs[0], rel=1e-6)
    assert ours[1] == pytest.approx(theirs[1], rel=1e-5)
    assert ours[2] == pytest.approx(theirs[2], rel=1e-5)
    assert ours[3] == theirs[3]


def test_gradcheck_through_a_custom_function():
    Exp, ScaleShift, _ = define(torch)
    x = torch.randn(4, dtype=torch.double, requires_grad=True)
    w = torch.randn(4, dtype=torch.double, requires_grad=True)
    assert gradcheck(lambda x, w: ScaleShift.apply(Exp.apply(x), 2.0, w), (x, w))


def test_needs_input_grad_and_non_tensor_arguments():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x, k, y):
            seen["needs"] = ctx.needs_input_grad
            return x * k + y

        @staticmethod
        def backward(ctx, g):
            return g, None, g

    Probe.apply(torch.ones(2, requires_grad=True), 2, torch.ones(2))
    assert seen["needs"] == (True, False, False)


def test_mark_non_differentiable_and_materialize_grads():
    got = {}

    class SortLike(Function):
        @staticmethod
        def forward(ctx, x):
            idx = torch.tensor([1, 0])
            ctx.mark_non_differentiable(idx)
            ctx.set_materialize_grads(False)
            return x * 2, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            got["g_idx"] = g_idx
            return g * 2

    x = torch.ones(2, requires_grad=True)
    y, idx = SortLike.apply(x)
    assert not idx.requires_grad and y.requires_grad
    y.sum().backward()
    assert got["g_idx"] is None
    assert x.grad.tolist() == [2.0, 2.0]


def test_missing_output_gradients_are_zeros_by_default():
    got = {}

    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            got["g2"] = g2.tolist()
            return g1 + 2 * g2

    x = torch.ones(3, requires_grad=True)
    a, _ = Two.apply(x)
    a.sum().backward()
    assert got["g2"] == [0.0, 0.0, 0.0]


def test_wrong_number_of_gradients_is_an_error():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
        Bad.apply(torch.ones(1, requires_grad=True), torch.ones(1)).sum().backward()


def test_exception_in_backward_propagates():
    class Raises(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            raise ValueError("inside backward")

    with pytest.raises(ValueError, match="inside backward"):
        Raises.apply(torch.ones(1, requires_grad=True)).sum().backward()


def test_once_differentiable_backward_records_nothing():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = torch.tensor(3.0, requires_grad=True)
    (g,) = torch.autograd.grad(Square.apply(x), x, create_graph=True)
    assert g.item() == 6.0 and g.grad_fn is None


def test_double_backward_through_a_custom_backward():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g

    x = torch.tensor(2.0, requires_grad=True)
    (g,) = torch.autograd.grad(Cube.apply(x), x, create_graph=True)
    (g2,) = torch.autograd.grad(g, x)
    assert (g.item(), g2.item()) == (12.0, 12.0)


def test_second_backward_needs_retain_graph():
    Exp, _, _ = define(torch)
    x = torch.ones(2, requires_grad=True)
    y = Exp.apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_retain_graph_keeps_saved_tensors():
    Exp, _, _ = define(torch)
    x = torch.ones(2, requires_grad=True)
    y = Exp.apply(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == pytest.approx([2 * 2.718281828] * 2, rel=1e-6)


def test_graph_releases_ctx_and_saved_tensors():
    refs = []

    class Keep(Function):
        @staticmethod
        def forward(ctx, x):
            refs.append(weakref.ref(ctx))
            y = x * 2
            ctx.save_for_backward(x, y)
            return y

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = torch.ones(3, requires_grad=True)
    for _ in range(3):
        Keep.apply(x).sum().backward()
    # Forward only, output dropped without backward.
    Keep.apply(x)
    gc.collect()
    assert all(r() is None for r in refs)


def test_cycle_through_an_output_kept_on_ctx_is_collected():
    """`ctx.y = y` makes y -> grad_fn -> ctx -> y, through the Rust graph; the
    cycle collector must see it."""
    contexts = []

    class Triple(Function):
        @staticmethod
        def forward(ctx, x):
            contexts.append(weakref.ref(ctx))
            return x * 3

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = torch.ones(3, requires_grad=True)
    y = Triple.apply(x)
    contexts[0]().y = y
    y.sum().backward(retain_graph=True)
    output = weakref.ref(y)
    del y
    gc.disable()
    try:
        assert contexts[0]() is not None  # only the collector can free the cycle
        gc.collect()
    finally:
        gc.enable()
    assert contexts[0]() is None and output() is None
    assert x.grad.tolist() == [3.0, 3.0, 3.0]
