"""Hostile sizes: shape arithmetic that would overflow, buffers too large to
allocate, layouts reaching outside their storage, and tensors with very many
dims. Each must raise PyTorch's error (or give the right answer), never
crash, hang or read memory it does not own.

Probes that crashed the process before run in a fresh interpreter, so a
regression fails the test instead of killing pytest. Where PyTorch raises
too, its message is the oracle.
"""

import os
import subprocess
import sys

import pytest

import ferrograd as torch

CHILD_TIMEOUT = 120


def run_child(code):
    """Runs `code` (with `torch` bound to this library) in a fresh
    interpreter; returns its stdout, failing on a crash or hang."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    script = f"import {torch.__name__} as torch\n{code}"
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=CHILD_TIMEOUT, env=env)
    assert proc.returncode == 0, f"child exited with {proc.returncode}\nstdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}"
    return proc.stdout


def outcome_in_child(expr):
    """`type: message` of the exception `expr` raises in a fresh interpreter, or `ok: repr`."""
    code = (
        "try:\n"
        f"    r = {expr}\n"
        "    print('ok:', r)\n"
        "except Exception as e:\n"
        "    print(type(e).__name__ + ':', e)\n"
    )
    return run_child(code).strip()


def reference_outcome(torch_ref, expr):
    """The same, from real PyTorch in this process (it raises cleanly on all of these)."""
    try:
        return "ok: " + repr(eval(expr, {"torch": torch_ref}))
    except Exception as e:  # noqa: BLE001 - the oracle's exception is the data
        return f"{type(e).__name__}: {e}"


# Expressions PyTorch rejects before touching memory, with its exact message.
SIZE_OVERFLOWS = {
    "ones_numel_wraps": "torch.ones(2**62 + 1, 4)",
    "ones_numel_is_2_pow_64": "torch.ones(2**32, 2**32)",
    "full_bytes_overflow": "torch.full((2**31, 2**31), 1.0)",
    "expand_numel_overflow_then_sum": "torch.ones(1).expand(2**62, 4).sum()",
    "expand_numel_overflow_then_max": "torch.ones(3).expand(2**62 + 2, 3).max()",
    "repeat_interleave_overflow": "torch.tensor([1, 2]).repeat_interleave(2**62)",
    "one_hot_bytes_overflow": "torch.nn.functional.one_hot(torch.tensor([0, 1]), num_classes=2**62)",
    "arange_size_overflow": "torch.arange(0, 1e20)",
    "arange_bytes_overflow": "torch.arange(0, 2**62)",
    "empty_with_huge_sizes_and_a_zero": "torch.zeros(2**40, 2**40, 0)",
}


@pytest.mark.parametrize("name", sorted(SIZE_OVERFLOWS))
def test_size_overflow_raises_pytorch_error(name, torch_ref):
    expr = SIZE_OVERFLOWS[name]
    expected = reference_outcome(torch_ref, expr)
    assert expected.startswith("RuntimeError:")
    assert outcome_in_child(expr) == expected


# Sizes that compute fine but cannot be allocated: PyTorch's allocator error.
TOO_LARGE = {
    "empty": "torch.empty(10**12)",
    "zeros": "torch.zeros(2**40)",
    "linspace": "torch.linspace(0, 1, 10**12)",
    "expanded_contiguous": "torch.ones(1).expand(2**40, 2**10).contiguous()",
    "expanded_plus_one": "torch.ones(1).expand(2**40, 2**10) + 1",
    "pad": "torch.nn.functional.pad(torch.ones(2, 2), (2**40, 0))",
    "conv1d_padding": "torch.nn.functional.conv1d(torch.ones(1, 1, 2), torch.ones(1, 1, 1), padding=2**40)",
    "one_hot": "torch.nn.functional.one_hot(torch.tensor([0, 1]), num_classes=2**40)",
}


@pytest.mark.parametrize("name", sorted(TOO_LARGE))
def test_failed_allocation_raises_instead_of_aborting(name, torch_ref):
    expr = TOO_LARGE[name]
    ours = outcome_in_child(expr)
    assert ours.startswith("RuntimeError: DefaultCPUAllocator: can't allocate memory: you tried to allocate ")
    expected = reference_outcome(torch_ref, expr)
    if "DefaultCPUAllocator" in expected:
        # PyTorch prefixes the C++ assertion; the phrase and byte count are the same.
        assert ours.removeprefix("RuntimeError: ") in expected


@pytest.mark.parametrize("expr", [
    "torch.nn.functional.conv2d(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 1, 1), padding=2**40)",
    "torch.nn.functional.unfold(torch.ones(1, 1, 2, 2), 1, padding=2**40)",
])
def test_window_outputs_too_large_to_count_raise(expr):
    # (2**41 + 2)**2 windows: PyTorch's int64 product wraps here; ours refuses.
    assert outcome_in_child(expr) == "RuntimeError: numel: integer multiplication overflow"


def test_negative_size_names_the_whole_shape(torch_ref):
    expected = reference_outcome(torch_ref, "torch.ones(3, -1)")
    assert outcome_in_child("torch.ones(3, -1)") == expected


def test_huge_expanded_views_read_the_right_elements():
    # Offsets far beyond 2**32 into a broadcast view still name the one element.
    out = run_child(
        "x = torch.arange(4.0).expand(2**40, 4)\n"
        "print((x[2**40 - 2:2**40 - 1] @ torch.ones(4, 1)).item())\n"
        "print(x.numpy()[10**9].tolist())\n"
        "print(x[2**39].tolist())\n"
    ).split("\n")
    assert out[0] == "6.0"
    assert out[1] == "[0.0, 1.0, 2.0, 3.0]"
    assert out[2] == "[0.0, 1.0, 2.0, 3.0]"


def test_max_pool_backward_rejects_indices_changed_by_a_hook():
    out = run_child(
        "x = torch.randn(1, 1, 4, 4, requires_grad=True)\n"
        "def unpack(t):\n"
        "    return t + 1000 if t.dtype == torch.int64 else t\n"
        "with torch.autograd.graph.saved_tensors_hooks(lambda t: t, unpack):\n"
        "    y = torch.nn.functional.max_pool2d(x, 2)\n"
        "try:\n"
        "    y.sum().backward()\n"
        "    print('ok')\n"
        "except RuntimeError as e:\n"
        "    print('RuntimeError:', e)\n"
    )
    assert out.startswith("RuntimeError: Found an invalid max index: 100")


def test_100k_dims_print_and_convert_without_recursion():
    out = run_child(
        "x = torch.ones([1] * 100000)\n"
        "text = repr(x)\n"
        "print(text == 'tensor(' + '[' * 100000 + '1.' + ']' * 100000 + ')')\n"
        "nested = x.tolist()\n"
        "depth = 0\n"
        "while isinstance(nested, list):\n"
        "    assert len(nested) == 1\n"
        "    nested, depth = nested[0], depth + 1\n"
        "print(depth, nested)\n"
        "y = x.reshape(-1)\n"
        "for _ in range(1000):\n"
        "    y = y.unsqueeze(0)\n"
        "print(y.dim(), len(repr(y)))\n"
    ).split("\n")
    assert out[0] == "True"
    assert out[1] == "100000 1.0"
    assert out[2] == f"1001 {len('tensor(') + 2 * 1001 + len('1.') + 1}"


def test_many_dims_print_like_pytorch(torch_ref):
    shape = [2] + [1] * 70 + [3]
    ours = torch.arange(6.0).reshape(shape)
    theirs = torch_ref.arange(6.0).reshape(shape)
    assert repr(ours) == repr(theirs)
    assert ours.tolist() == theirs.tolist()


def test_numpy_refuses_more_dims_than_numpy_supports():
    x = torch.ones([1] * 65)
    with pytest.raises(ValueError, match=r"number of dimensions must be within \[0, 64\]"):
        x.numpy()
    y = torch.zeros([1] * 63 + [3])
    a = y.numpy()
    assert a.shape == (1,) * 63 + (3,)
    a[(0,) * 63 + (2,)] = 5.0  # a view: the tensor sees the write
    assert y.sum().item() == 5.0


@pytest.mark.parametrize("expr", ["x.sum(0)", "x.amax(dim=(0, 1))", "x.squeeze((0,))"])
def test_dim_lists_on_more_than_64_dims_raise_like_pytorch(expr, torch_ref):
    shape = [1] * 65
    with pytest.raises(RuntimeError) as theirs:
        eval(expr, {"x": torch_ref.ones(shape)})
    with pytest.raises(RuntimeError) as ours:
        eval(expr, {"x": torch.ones(shape)})
    assert str(ours.value) == str(theirs.value)
