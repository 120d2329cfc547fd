"""Autograd semantics: leaves, grad accumulation, graph nodes, backward and
autograd.grad, grad modes and threads, in-place operations and versions."""

import re
import threading

import pytest

import ferrograd as torch


def leaf(values, dtype=None):
    return torch.tensor(values, dtype=dtype, requires_grad=True)


# --- leaves and requires_grad -------------------------------------------------

def test_created_tensors_are_leaves():
    x = leaf([1.0, 2.0])
    d = torch.tensor([1.0, 2.0])
    assert x.is_leaf and d.is_leaf
    assert x.requires_grad and not d.requires_grad
    assert x.grad_fn is None and d.grad_fn is None


def test_results_are_not_leaves_and_inherit_requires_grad():
    x = leaf([1.0, 2.0])
    d = torch.tensor([3.0, 4.0])
    for y in (x + d, d + x, x * d, x - 1, (x * d).sum()):
        assert not y.is_leaf
        assert y.requires_grad
        assert y.grad_fn is not None


def test_results_of_tensors_without_grad_are_leaves():
    d = torch.tensor([3.0, 4.0])
    y = d * 2 + d
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None


def test_requires_grad_kwarg_on_factories():
    for t in (torch.zeros(2, requires_grad=True), torch.ones(2, 3, requires_grad=True),
              torch.randn(3, requires_grad=True), torch.rand(3, requires_grad=True),
              torch.full((2,), 1.5, requires_grad=True)):
        assert t.requires_grad and t.is_leaf


def test_requires_grad_underscore_returns_self_and_toggles():
    x = torch.tensor([1.0, 2.0])
    assert x.requires_grad_() is x
    assert x.requires_grad and x.is_leaf
    x.requires_grad_(False)
    assert not x.requires_grad


def test_requires_grad_setter():
    x = torch.tensor([1.0, 2.0])
    x.requires_grad = True
    assert x.requires_grad
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_detach_shares_storage_and_leaves_the_graph():
    x = leaf([1.0, 2.0, 3.0])
    d = x.detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    d.add_(10.0)
    assert x.tolist() == [11.0, 12.0, 13.0]
    with torch.no_grad():
        x.mul_(2.0)
    assert d.tolist() == [22.0, 24.0, 26.0]


def test_detach_of_non_leaf():
    x = leaf([1.0, 2.0])
    y = (x * 3).detach()
    z = y * x
    z.sum().backward()
    assert x.grad.tolist() == [3.0, 6.0]


# --- .grad ----------------------------------------------------------------------

def test_grad_is_none_until_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    assert x.grad is None
    y.backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_grad_accumulates_over_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_grad_is_a_plain_tensor():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    g = x.grad
    assert not g.requires_grad
    assert g.grad_fn is None
    assert g.dtype == x.dtype and tuple(g.shape) == (2,)


def test_grad_can_be_reset_to_none():
    x = leaf([1.0, 2.0])
    (x * 2).sum().backward()
    x.grad = None
    assert x.grad is None
    (x * 5).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]


def test_same_input_twice_sums_both_paths():
    x = leaf([1.0, -2.0])
    (x * x + x).sum().backward()
    assert x.grad.tolist() == [3.0, -3.0]


def test_float64_gradients_stay_float64():
    x = leaf([1.0, 2.0], dtype=torch.float64)
    (x * x).sum().backward()
    assert x.grad.dtype == torch.float64


# --- grad_fn names and next_functions ---------------------------------------------

X = [1.5, 2.0]
Y = [0.5, 3.0]

GRAD_FN_NAMES = [
    ("add", lambda x, y, a, b: x + y, "AddBackward0"),
    ("add_scalar", lambda x, y, a, b: x + 2, "AddBackward0"),
    ("radd_scalar", lambda x, y, a, b: 2 + x, "AddBackward0"),
    ("torch_add", lambda x, y, a, b: torch.add(x, y), "AddBackward0"),
    ("sub", lambda x, y, a, b: x - y, "SubBackward0"),
    ("sub_scalar", lambda x, y, a, b: x - 2, "SubBackward0"),
    ("rsub_scalar", lambda x, y, a, b: 2 - x, "RsubBackward1"),
    ("mul", lambda x, y, a, b: x * y, "MulBackward0"),
    ("mul_scalar", lambda x, y, a, b: x * 2, "MulBackward0"),
    ("rmul_scalar", lambda x, y, a, b: 2 * x, "MulBackward0"),
    ("torch_mul", lambda x, y, a, b: torch.mul(x, y), "MulBackward0"),
    ("div", lambda x, y, a, b: x / y, "DivBackward0"),
    ("div_scalar", lambda x, y, a, b: x / 2, "DivBackward0"),
    ("neg", lambda x, y, a, b: -x, "NegBackward0"),
    ("pow_scalar", lambda x, y, a, b: x ** 2, "PowBackward0"),
    ("pow_tensor", lambda x, y, a, b: x ** y, "PowBackward1"),
    ("exp", lambda x, y, a, b: x.exp(), "ExpBackward0"),
    ("log", lambda x, y, a, b: x.log(), "LogBackward0"),
    ("sqrt", lambda x, y, a, b: x.sqrt(), "SqrtBackward0"),
    ("tanh", lambda x, y, a, b: x.tanh(), "TanhBackward0"),
    ("sigmoid", lambda x, y, a, b: x.sigmoid(), "SigmoidBackward0"),
    ("relu", lambda x, y, a, b: x.relu(), "ReluBackward0"),
    ("abs", lambda x, y, a, b: x.abs(), "AbsBackward0"),
    ("sum", lambda x, y, a, b: x.sum(), "SumBackward0"),
    ("torch_sum", lambda x, y, a, b: torch.sum(x), "SumBackward0"),
    ("sum_dim", lambda x, y, a, b: a.sum(dim=1), "SumBackward1"),
    ("sum_keepdim", lambda x, y, a, b: a.sum(dim=0, keepdim=True), "SumBackward1"),
    ("mean", lambda x, y, a, b: x.mean(), "MeanBackward0"),
    ("mean_dim", lambda x, y, a, b: a.mean(dim=0), "MeanBackward1"),
    ("matmul_op", lambda x, y, a, b: a @ b, "MmBackward0"),
    ("torch_matmul", lambda x, y, a, b: torch.matmul(a, b), "MmBackward0"),
]


@pytest.mark.parametrize("fn, name", [row[1:] for row in GRAD_FN_NAMES],
                         ids=[row[0] for row in GRAD_FN_NAMES])
def test_grad_fn_name(fn, name):
    x, y = leaf(X), leaf(Y)
    a, b = torch.ones(2, 3, requires_grad=True), torch.ones(3, 4, requires_grad=True)
    out = fn(x, y, a, b)
    node = out.grad_fn
    assert type(node).__name__ == name
    assert node.name() == name
    assert re.fullmatch(f"<{name} object at 0x[0-9a-fA-F]+>", repr(node))
    assert repr(out).endswith(f"grad_fn=<{name}>)")


def test_next_functions_structure():
    x, y = leaf(X), leaf(Y)
    data = torch.tensor([1.0, 1.0])
    z = x * y + x * data
    add = z.grad_fn
    nexts = add.next_functions
    assert isinstance(nexts, tuple) and len(nexts) == 2
    for entry in nexts:
        assert isinstance(entry, tuple) and len(entry) == 2
        assert type(entry[0]).__name__ == "MulBackward0"
        assert entry[1] == 0
    (acc_x, _), (acc_y, _) = nexts[0][0].next_functions
    assert type(acc_x).__name__ == "AccumulateGrad"
    assert acc_x.variable is x and acc_y.variable is y
    (acc_x2, _), (none, idx) = nexts[1][0].next_functions
    assert acc_x2.variable is x
    assert none is None and idx == 0


def test_next_functions_with_a_scalar_operand():
    x = leaf(X)
    nexts = (x * 2).grad_fn.next_functions
    assert nexts[0][0].variable is x
    assert all(node is None for node, _ in nexts[1:])


def test_every_use_of_a_leaf_reaches_its_accumulate_grad():
    x = leaf(X)
    a = (x * 2).grad_fn.next_functions[0][0]
    b = (x + 1).grad_fn.next_functions[0][0]
    assert a.variable is x and b.variable is x


# --- backward ------------------------------------------------------------------

def test_backward_with_gradient_for_non_scalar():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x
    y.backward(torch.tensor([1.0, 0.5, -1.0]))
    assert x.grad.tolist() == [2.0, 2.0, -6.0]


def test_backward_gradient_keyword():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    (x * 3).backward(gradient=torch.ones(2, 2))
    assert x.grad.tolist() == [[3.0, 3.0], [3.0, 3.0]]


def test_backward_of_scalar_with_explicit_gradient():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward(torch.tensor(2.0))
    assert x.grad.tolist() == [4.0, 8.0]


def test_retain_graph_allows_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_second_backward_without_retain_graph_fails():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_backward_through_shared_subgraph():
    x = leaf([2.0])
    h = x * x
    y = h * 3 + h.exp() * 0 + h
    y.backward()
    assert x.grad.tolist() == [16.0]


def test_autograd_backward_function():
    x = leaf([1.0, 2.0])
    y1 = x * 2
    y2 = (x * x).sum()
    torch.autograd.backward([y1, y2], [torch.tensor([1.0, 1.0]), torch.tensor(1.0)])
    assert x.grad.tolist() == [4.0, 6.0]


def test_autograd_backward_scalar_without_grad_tensors():
    x = leaf([1.0, 2.0])
    torch.autograd.backward((x * x).sum())
    assert x.grad.tolist() == [2.0, 4.0]


def test_autograd_backward_grad_tensors_keyword():
    x = leaf([1.0, 2.0])
    torch.autograd.backward([x * 3], grad_tensors=[torch.tensor([1.0, -1.0])])
    assert x.grad.tolist() == [3.0, -3.0]


# --- autograd.grad ---------------------------------------------------------------

def test_grad_returns_tuple_and_leaves_grad_untouched():
    x = leaf([1.0, 2.0])
    w = leaf([3.0, 4.0])
    y = (x * w).sum()
    gs = torch.autograd.grad(y, [x, w])
    assert isinstance(gs, tuple) and len(gs) == 2
    assert gs[0].tolist() == [3.0, 4.0]
    assert gs[1].tolist() == [1.0, 2.0]
    assert x.grad is None and w.grad is None


def test_grad_with_single_tensor_input():
    x = leaf([1.0, 2.0])
    gs = torch.autograd.grad((x * x).sum(), x)
    assert isinstance(gs, tuple) and len(gs) == 1
    assert gs[0].tolist() == [2.0, 4.0]


def test_grad_with_grad_outputs():
    x = leaf([1.0, 2.0])
    (g,) = torch.autograd.grad([x * x], [x], grad_outputs=[torch.tensor([1.0, 10.0])])
    assert g.tolist() == [2.0, 40.0]


def test_grad_keywords():
    x = leaf([1.0, 2.0])
    (g,) = torch.autograd.grad(outputs=(x * 3).sum(), inputs=[x], grad_outputs=None,
                               retain_graph=None, create_graph=False, allow_unused=False)
    assert g.tolist() == [3.0, 3.0]
    assert not g.requires_grad


def test_grad_allow_unused_gives_none():
    x = leaf([1.0, 2.0])
    unused = leaf([5.0])
    gx, gu = torch.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gx.tolist() == [2.0, 2.0]
    assert gu is None


def test_grad_unused_input_is_an_error():
    x = leaf([1.0, 2.0])
    unused = leaf([5.0])
    with pytest.raises(RuntimeError, match=re.escape(
            "appears to not have been used in the graph. "
            "Set allow_unused=True if this is the desired behavior.")):
        torch.autograd.grad((x * 2).sum(), [x, unused])


def test_grad_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    (g1,) = torch.autograd.grad(y, [x], retain_graph=True)
    (g2,) = torch.autograd.grad(y, [x])
    assert g1.tolist() == g2.tolist() == [2.0, 4.0]


def test_grad_create_graph_gives_second_derivative():
    x = leaf([1.0, 2.0])
    y = (x ** 3).sum()
    (g,) = torch.autograd.grad(y, [x], create_graph=True)
    assert g.requires_grad
    assert g.tolist() == [3.0, 12.0]
    (g2,) = torch.autograd.grad(g.sum(), [x])
    assert g2.tolist() == [6.0, 12.0]


def test_grad_of_intermediate():
    x = leaf([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    (gh,) = torch.autograd.grad(y, [h])
    assert gh.tolist() == [6.0, 12.0]


# --- grad modes ----------------------------------------------------------------

def test_is_grad_enabled_by_default():
    assert torch.is_grad_enabled() is True


def test_no_grad_context_manager():
    x = leaf([1.0])
    with torch.no_grad():
        assert torch.is_grad_enabled() is False
        y = x * 2
    assert torch.is_grad_enabled() is True
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf


def test_enable_grad_inside_no_grad():
    x = leaf([1.0])
    with torch.no_grad():
        with torch.enable_grad():
            assert torch.is_grad_enabled()
            y = x * 2
        assert not torch.is_grad_enabled()
    assert y.requires_grad


def test_set_grad_enabled_context_manager():
    x = leaf([1.0])
    with torch.set_grad_enabled(False):
        assert not torch.is_grad_enabled()
        y = x * 2
        with torch.set_grad_enabled(True):
            z = x * 2
    assert torch.is_grad_enabled()
    assert not y.requires_grad and z.requires_grad


def test_set_grad_enabled_as_a_call():
    try:
        torch.set_grad_enabled(False)
        assert not torch.is_grad_enabled()
    finally:
        torch.set_grad_enabled(True)
    assert torch.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with torch.no_grad():
            raise ValueError("boom")
    assert torch.is_grad_enabled()


def test_no_grad_decorator():
    @torch.no_grad()
    def double(t):
        assert not torch.is_grad_enabled()
        return t * 2

    y = double(leaf([1.0]))
    assert not y.requires_grad
    assert torch.is_grad_enabled()


def test_enable_grad_decorator():
    @torch.enable_grad()
    def double(t):
        return t * 2

    with torch.no_grad():
        y = double(leaf([1.0]))
        assert not torch.is_grad_enabled()
    assert y.requires_grad


def test_set_grad_enabled_decorator():
    @torch.set_grad_enabled(False)
    def double(t):
        return t * 2

    assert not double(leaf([1.0])).requires_grad
    assert torch.is_grad_enabled()


def run_in_thread(target):
    result = {}

    def wrapper():
        try:
            result["value"] = target()
        except BaseException as exc:  # reported in the calling thread
            result["error"] = exc

    t = threading.Thread(target=wrapper)
    t.start()
    t.join(30)
    assert not t.is_alive()
    if "error" in result:
        raise result["error"]
    return result["value"]


def test_no_grad_in_this_thread_does_not_reach_a_new_thread():
    x = leaf([1.0])
    with torch.no_grad():
        enabled, requires = run_in_thread(lambda: (torch.is_grad_enabled(),
                                                   (x * 2).requires_grad))
        assert not torch.is_grad_enabled()
    assert enabled is True and requires is True


def test_no_grad_in_another_thread_does_not_reach_this_one():
    x = leaf([1.0])
    entered, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with torch.no_grad():
            seen["worker"] = torch.is_grad_enabled()
            entered.set()
            release.wait(10)

    t = threading.Thread(target=worker)
    t.start()
    try:
        assert entered.wait(10)
        assert torch.is_grad_enabled()
        assert (x * 2).requires_grad
    finally:
        release.set()
        t.join(10)
    assert seen["worker"] is False


def test_backward_in_another_thread():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    run_in_thread(y.backward)
    assert x.grad.tolist() == [2.0, 4.0]


def test_independent_graphs_in_parallel_threads():
    def work(k):
        x = leaf([1.0, 2.0, 3.0])
        for _ in range(200):
            (x * k).sum().backward()
        return x.grad.tolist()

    results = {}
    threads = [threading.Thread(target=lambda k=k: results.__setitem__(k, work(float(k))))
               for k in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == {k: [200.0 * k] * 3 for k in range(1, 5)}


# --- in-place operations -----------------------------------------------------------

INPLACE = [
    ("add_tensor", lambda t: t.add_(torch.tensor([1.0, 2.0, 3.0])), [2.0, 4.0, 6.0]),
    ("add_scalar", lambda t: t.add_(1.0), [2.0, 3.0, 4.0]),
    ("sub_tensor", lambda t: t.sub_(torch.tensor([1.0, 1.0, 1.0])), [0.0, 1.0, 2.0]),
    ("sub_scalar", lambda t: t.sub_(0.5), [0.5, 1.5, 2.5]),
    ("mul_tensor", lambda t: t.mul_(torch.tensor([2.0, 0.0, -1.0])), [2.0, 0.0, -3.0]),
    ("mul_scalar", lambda t: t.mul_(3.0), [3.0, 6.0, 9.0]),
    ("div_tensor", lambda t: t.div_(torch.tensor([2.0, 4.0, 0.5])), [0.5, 0.5, 6.0]),
    ("div_scalar", lambda t: t.div_(2.0), [0.5, 1.0, 1.5]),
    ("zero", lambda t: t.zero_(), [0.0, 0.0, 0.0]),
    ("fill", lambda t: t.fill_(7.0), [7.0, 7.0, 7.0]),
]


@pytest.mark.parametrize("op, expected", [r[1:] for r in INPLACE], ids=[r[0] for r in INPLACE])
def test_inplace_method_returns_self_with_new_values(op, expected):
    t = torch.tensor([1.0, 2.0, 3.0])
    assert op(t) is t
    assert t.tolist() == expected


AUGMENTED = [
    ("iadd", lambda t: t.__iadd__(2.0), [3.0, 4.0, 5.0]),
    ("isub", lambda t: t.__isub__(2.0), [-1.0, 0.0, 1.0]),
    ("imul", lambda t: t.__imul__(2.0), [2.0, 4.0, 6.0]),
    ("itruediv", lambda t: t.__itruediv__(2.0), [0.5, 1.0, 1.5]),
]


def test_augmented_assignment_keeps_identity():
    t = torch.tensor([1.0, 2.0, 3.0])
    ident = id(t)
    t += 1
    assert id(t) == ident and t.tolist() == [2.0, 3.0, 4.0]
    t -= torch.tensor([1.0, 1.0, 1.0])
    assert id(t) == ident and t.tolist() == [1.0, 2.0, 3.0]
    t *= 2
    assert id(t) == ident and t.tolist() == [2.0, 4.0, 6.0]
    t /= torch.tensor([2.0, 4.0, 3.0])
    assert id(t) == ident and t.tolist() == [1.0, 1.0, 2.0]


def test_augmented_assignment_does_not_touch_aliases_of_other_tensors():
    a = torch.tensor([1.0, 2.0])
    b = a
    c = a + 0
    b += 1
    assert a.tolist() == [2.0, 3.0]
    assert c.tolist() == [1.0, 2.0]


def test_inplace_broadcasts_the_other_operand():
    t = torch.zeros(2, 3)
    t.add_(torch.tensor([1.0, 2.0, 3.0]))
    assert t.tolist() == [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]


@pytest.mark.parametrize("op", [r[1] for r in INPLACE] + [r[1] for r in AUGMENTED],
                         ids=[r[0] for r in INPLACE] + [r[0] for r in AUGMENTED])
def test_inplace_on_leaf_requiring_grad_is_refused(op):
    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=re.escape(
            "a leaf Variable that requires grad is being used in an in-place operation.")):
        op(x)
    assert x.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("op, expected", [r[1:] for r in INPLACE + AUGMENTED],
                         ids=[r[0] for r in INPLACE + AUGMENTED])
def test_inplace_on_leaf_is_allowed_under_no_grad(op, expected):
    x = leaf([1.0, 2.0, 3.0])
    with torch.no_grad():
        op(x)
    assert x.tolist() == expected
    assert x.is_leaf and x.requires_grad and x.grad_fn is None


def test_inplace_on_non_leaf_is_recorded():
    x = leaf([1.0, 2.0])
    y = x + 1
    y.mul_(3.0)
    assert type(y.grad_fn).__name__ == "MulBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_augmented_add_on_non_leaf_becomes_add_node():
    x = leaf([1.0, 2.0])
    loss = (x * x).sum()
    ident = id(loss)
    loss += (x * 3).sum()
    assert id(loss) == ident
    assert type(loss.grad_fn).__name__ == "AddBackward0"
    loss.backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_inplace_with_a_grad_requiring_operand_tracks_it():
    x = leaf([1.0, 2.0])
    t = torch.tensor([10.0, 20.0])
    t.add_(x * x)
    assert t.requires_grad and not t.is_leaf
    t.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


MODIFIED_SAVED = [
    ("saved_non_leaf_input", lambda x: _modify_saved_input(x)),
    ("saved_output_of_exp", lambda x: _modify_saved_output(x)),
    ("saved_data_tensor", lambda x: _modify_saved_data(x)),
]


def _modify_saved_input(x):
    a = x * 2
    b = a * a
    a.add_(1.0)
    return b


def _modify_saved_output(x):
    y = x.exp()
    y.add_(1.0)
    return y


def _modify_saved_data(x):
    data = torch.tensor([3.0, 4.0])
    y = x * data
    data.mul_(2.0)
    return y


@pytest.mark.parametrize("build", [r[1] for r in MODIFIED_SAVED], ids=[r[0] for r in MODIFIED_SAVED])
def test_inplace_on_saved_tensor_makes_backward_fail(build):
    x = leaf([1.0, 2.0])
    out = build(x)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_inplace_on_unsaved_tensor_is_fine():
    x = leaf([1.0, 2.0])
    data = torch.tensor([3.0, 4.0])
    y = x + data
    data.mul_(2.0)
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
