"""Python inputs that used to overflow the stack, and integer arithmetic at
the edges of int64: PyTorch's errors, wrapping where PyTorch wraps, no panics.
Probes that could crash the interpreter when broken run in a child process.
"""


import numpy as np
import pytest

import ferrograd as torch
from child_process import run_child

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def nested(depth, leaf=1.0, wrap=list):
    value = leaf
    for _ in range(depth):
        value = wrap([value])
    return value


def outcome(make):
    """`(exception type name, message)` of `make()`, or `("ok", ndim)`."""
    try:
        return "ok", make().ndim
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e).__name__, str(e)


# ---- nested sequences -----------------------------------------------------------

CYCLIC_AND_DEEP = """
def nested(depth, wrap=list):
    value = 1.0
    for _ in range(depth):
        value = wrap([value])
    return value

own_first = []; own_first.append(own_first)
own_second = [1]; own_second.append(own_second)
indirect = [[1]]; indirect[0].append(indirect)
inputs = {
    "deep list": nested(200000),
    "deep tuple": nested(200000, tuple),
    "own first element": own_first,
    "own second element": own_second,
    "indirect cycle": indirect,
    "1000 dims": nested(1000),
}
"""


def outcomes_in_child(module, names):
    code = CYCLIC_AND_DEEP + f"""
import json, {module} as torch

def outcome(make):
    try:
        return ["ok", make().ndim]
    except Exception as e:
        return [type(e).__name__, str(e)]

print(json.dumps({{name: outcome(lambda: torch.tensor(inputs[name])) for name in {names!r}}}))
"""
    return run_child(code)


def test_deep_and_cyclic_lists_raise_instead_of_overflowing_the_stack():
    out = outcomes_in_child("ferrograd", ["deep list", "deep tuple", "own first element", "own second element", "indirect cycle"])
    assert out["deep list"] == ["ValueError", "too many dimensions 'list'"]
    assert out["deep tuple"] == ["ValueError", "too many dimensions 'tuple'"]
    assert out["own first element"] == ["ValueError", "too many dimensions 'list'"]
    assert out["own second element"] == ["TypeError", "new(): self-referential lists are incompatible"]
    # PyTorch itself overflows its stack here; any clear error will do.
    assert out["indirect cycle"][0] in ("TypeError", "ValueError")


def test_cyclic_and_deep_lists_fail_like_pytorch(torch_ref):
    names = ["deep list", "own first element", "own second element", "1000 dims"]
    assert outcomes_in_child("ferrograd", names) == outcomes_in_child("torch", names)


@pytest.mark.parametrize("depth", [127, 128, 129])
def test_dimension_limit_matches_pytorch(torch_ref, depth):
    data = nested(depth)
    assert outcome(lambda: torch.tensor(data)) == outcome(lambda: torch_ref.tensor(data))


# ---- int64 at its edges -----------------------------------------------------------

def int_ops():
    """Integer expressions at the edges of int64, by name; `t` is the module."""
    return {
        "MIN // -1": lambda t: t.tensor([INT64_MIN]) // -1,
        "MIN // tensor(-1)": lambda t: t.tensor([INT64_MIN, 7]) // t.tensor([-1, -2]),
        "div floor MIN / -1": lambda t: t.div(t.tensor([INT64_MIN]), -1, rounding_mode="floor"),
        "floor_divide MIN, -1": lambda t: t.floor_divide(t.tensor([INT64_MIN, -7]), t.tensor([-1, 2])),
        "abs MIN": lambda t: abs(t.tensor([INT64_MIN])),
        "abs_ MIN": lambda t: t.tensor([INT64_MIN]).abs(),
        "neg MIN": lambda t: -t.tensor([INT64_MIN]),
        "MIN * -1": lambda t: t.tensor([INT64_MIN]) * -1,
        "MAX + 1": lambda t: t.tensor([INT64_MAX]) + 1,
        "MIN - 1": lambda t: t.tensor([INT64_MIN]) - 1,
        "MIN + MIN": lambda t: t.tensor([INT64_MIN]) + t.tensor([INT64_MIN]),
        "2**62 * 4": lambda t: t.tensor([2**62]) * 4,
        "sum wraps": lambda t: t.tensor([INT64_MIN, INT64_MIN, 5]).sum(),
        "MIN / -1": lambda t: t.tensor([INT64_MIN]) / -1,
        "// 0": lambda t: t.tensor([5]) // 0,
        "// tensor(0)": lambda t: t.tensor([5, 1]) // t.tensor([1, 0]),
        "div floor 0": lambda t: t.div(t.tensor([5]), 0, rounding_mode="floor"),
        "div trunc 0": lambda t: t.div(t.tensor([5]), t.tensor(0), rounding_mode="trunc"),
        "true div 0": lambda t: t.tensor([5, 0, -5]) / 0,
        "empty // 0": lambda t: t.zeros(0, dtype=t.int64) // 0,
        "empty // tensor(0)": lambda t: t.zeros((2, 0), dtype=t.int64) // t.tensor([0]),
    }


def evaluate(module, op):
    try:
        result = op(module)
        return "ok", str(result.dtype).split(".")[-1], result.tolist()
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e).__name__, str(e)


def test_int64_edges_do_not_panic():
    for name, op in int_ops().items():
        kind = evaluate(torch, op)[0]
        assert kind in ("ok", "RuntimeError"), (name, evaluate(torch, op))


@pytest.mark.parametrize("name", list(int_ops()))
def test_int64_edges_match_pytorch(torch_ref, name):
    op = int_ops()[name]
    ours, theirs = evaluate(torch, op), evaluate(torch_ref, op)
    if theirs[0] == "ok" and isinstance(theirs[2], list) and any(isinstance(v, float) for v in theirs[2]):
        assert ours[:2] == theirs[:2]
        np.testing.assert_allclose(ours[2], theirs[2])
    else:
        assert ours == theirs


def test_in_place_floor_divide_by_zero_leaves_the_tensor_alone():
    x = torch.tensor([5, 6])
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        x //= torch.tensor([1, 0])
    assert x.tolist() == [5, 6]


def test_trunc_division_of_min_by_minus_one_wraps():
    # PyTorch itself traps (SIGFPE) here; wrapping is what its other integer ops do.
    code = """
    import json, ferrograd as torch
    t = torch.div(torch.tensor([-2**63, 7]), torch.tensor([-1, -2]), rounding_mode="trunc")
    print(json.dumps(t.tolist()))
    """
    assert run_child(code) == [INT64_MIN, -3]


@pytest.mark.parametrize("data", [2**63, [2**63], [1, -(2**63) - 1], [[1], [2**64]]])
def test_python_ints_beyond_int64_fail_like_pytorch(torch_ref, data):
    with pytest.raises(Exception) as theirs:
        torch_ref.tensor(data)
    with pytest.raises(theirs.type) as ours:
        torch.tensor(data)
    assert str(ours.value) == str(theirs.value)
