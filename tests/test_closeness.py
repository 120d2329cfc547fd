"""isclose, allclose and equal, run side by side with PyTorch: values,
dtypes, broadcasting, infinities and NaN, argument forms and errors."""

import math

import pytest

import ferrograd as torch

INF, NAN = math.inf, math.nan


def _outcome(f, lib):
    """What `f(lib)` gives: a comparable value, or the exception's type and text."""
    try:
        r = f(lib)
    except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
        # Compared by the builtin class, as ferrograd raises subclasses of it.
        builtin = next(c for c in type(e).__mro__ if c.__module__ == "builtins")
        return ("raises", builtin.__name__, str(e))
    if isinstance(r, bool):
        return ("bool", r)
    return ("tensor", str(r.dtype).split(".")[-1], tuple(r.shape), r.tolist(), r.requires_grad, r.grad_fn is None)


# Each case takes the library and returns the call's result.
CASES = {
    "basic": lambda t: t.isclose(t.tensor([1.0, 1.0, 1.0]), t.tensor([1.0 + 0.9e-5, 1.0 + 1.1e-5, 1.0 + 1e-9])),
    "method": lambda t: t.tensor([1.0, 2.0]).isclose(t.tensor([1.0, 2.1])),
    "keywords": lambda t: t.isclose(input=t.tensor([1.0, 2.0]), other=t.tensor([1.05, 2.5]), rtol=0.0, atol=0.1),
    "positional_tolerances": lambda t: t.isclose(t.tensor([1.0, NAN]), t.tensor([1.001, NAN]), 1e-3, 1e-3, True),
    "method_keywords": lambda t: t.ones(1).isclose(other=t.ones(1) * 3, rtol=1, atol=0, equal_nan=False),
    "infinities": lambda t: t.isclose(t.tensor([INF, -INF, INF, NAN, 1.0]), t.tensor([INF, -INF, -INF, NAN, INF])),
    "equal_nan": lambda t: t.isclose(t.tensor([INF, NAN, 1.0]), t.tensor([INF, NAN, NAN]), equal_nan=True),
    "infinite_rtol": lambda t: t.isclose(t.tensor([INF, 1.0, 5.0]), t.tensor([INF, INF, 1.0]), rtol=INF),
    "infinite_atol": lambda t: t.isclose(t.tensor([1.0, -3.0]), t.tensor([INF, 1e30]), atol=INF),
    "zero_tolerances": lambda t: t.isclose(t.tensor([1.0, 1.0]), t.tensor([1.0, 1.0 + 1e-7]), rtol=0, atol=0),
    "int_tolerance": lambda t: t.isclose(t.tensor([3, 1, -7]), t.tensor([5, 3, -5]), rtol=0.5),
    "int_atol": lambda t: t.isclose(t.tensor([1, 2]), t.tensor([2, 4]), rtol=0, atol=1),
    "int_exact": lambda t: t.isclose(t.tensor([10**18]), t.tensor([10**18 + 1]), rtol=0, atol=0),
    "bool_default": lambda t: t.isclose(t.tensor([True, False]), t.tensor([True, True])),
    "bool_atol": lambda t: t.isclose(t.tensor([True, False]), t.tensor([True, True]), atol=1),
    "float64_boundary": lambda t: t.isclose(t.tensor([1.0, 100.0], dtype=t.float64), t.tensor([1.0 + 1e-5, 100.001], dtype=t.float64)),
    "broadcast": lambda t: t.isclose(t.tensor([[1.0], [2.0]]), t.tensor([1.0, 2.0, 2.00001])),
    "zero_dim_other": lambda t: t.isclose(t.tensor([1.0, 1.00001, 1.1]), t.tensor(1.0)),
    "empty": lambda t: t.isclose(t.empty(0, 3), t.empty(0, 3)),
    "requires_grad": lambda t: t.isclose(t.ones(2, requires_grad=True) * 2, t.ones(2) * 2),
    "non_contiguous": lambda t: t.isclose(t.arange(6.0).reshape(2, 3).t(), t.arange(6.0).reshape(3, 2) * 0 + t.tensor([[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]])),
    "float16": lambda t: t.isclose(t.tensor([1.0, 2.0, INF], dtype=t.float16), t.tensor([1.001, 2.01, INF], dtype=t.float16), rtol=1e-3),
    "bfloat16_nan": lambda t: t.isclose(t.tensor([NAN, 1.0], dtype=t.bfloat16), t.tensor([NAN, 1.0], dtype=t.bfloat16), equal_nan=True),
    "float16_rounded_atol": lambda t: t.isclose(t.tensor([0.0, 0.0], dtype=t.float16), t.tensor([6e-8, 1.2e-7], dtype=t.float16), rtol=0, atol=5e-8),
    "float16_rounded_rtol": lambda t: t.isclose(t.tensor([1001.0, 1000.5, 1002.0], dtype=t.float16), t.tensor([1000.0, 1000.0, 1000.0], dtype=t.float16), rtol=1e-3, atol=0),
    "bfloat16_tolerances": lambda t: t.isclose(t.tensor([0.0, 1.0, 3.0], dtype=t.bfloat16), t.tensor([1e-3, 1.01, 3.1], dtype=t.bfloat16), rtol=0.01, atol=1e-3),
    "bool_equal_nan": lambda t: t.isclose(t.tensor([True, False]), t.tensor([True, True]), equal_nan=True),
    "int_default_tolerances": lambda t: t.isclose(t.tensor([100000, 7]), t.tensor([100001, 8])),
    "rtol_true": lambda t: t.isclose(t.ones(2), t.ones(2) * 1.5, rtol=True),
    # allclose
    "allclose_true": lambda t: t.allclose(t.ones(3), t.ones(3) + 1e-6),
    "allclose_false": lambda t: t.allclose(t.ones(3), t.tensor([1.0, 1.0, 1.1])),
    "allclose_method": lambda t: t.ones(2).allclose(t.ones(2), 1e-5, 1e-8, False),
    "allclose_broadcast": lambda t: t.allclose(t.ones(2, 1), t.ones(3)),
    "allclose_nan": lambda t: t.allclose(t.tensor([NAN]), t.tensor([NAN])),
    "allclose_equal_nan": lambda t: t.allclose(t.tensor([NAN]), t.tensor([NAN]), equal_nan=True),
    "allclose_empty": lambda t: t.allclose(t.empty(0), t.empty(0)),
    # equal
    "equal_same": lambda t: t.equal(t.tensor([1.0, 2.0]), t.tensor([1.0, 2.0])),
    "equal_method": lambda t: t.tensor([1.0, 2.0]).equal(t.tensor([1.0, 2.5])),
    "equal_keywords": lambda t: t.equal(input=t.ones(1), other=t.ones(1)),
    "equal_shapes_differ": lambda t: t.equal(t.ones(2), t.ones(3)),
    "equal_broadcastable_shapes": lambda t: t.equal(t.ones(2, 1), t.ones(2)),
    "equal_zero_dim_vs_one": lambda t: t.equal(t.tensor(1.0), t.tensor([1.0])),
    "equal_dtypes_promote": lambda t: t.equal(t.tensor([0.5]), t.tensor([0.5], dtype=t.float64)),
    "equal_float32_rounding": lambda t: t.equal(t.tensor([0.1]), t.tensor([0.1], dtype=t.float64)),
    "equal_int_float": lambda t: t.equal(t.ones(2), t.ones(2, dtype=t.int64)),
    "equal_int_bool": lambda t: t.equal(t.tensor([2]), t.tensor([True])),
    "equal_nan_self": lambda t: (lambda x: t.equal(x, x))(t.tensor([NAN, 1.0])),
    "equal_signed_zero": lambda t: t.equal(t.tensor([-0.0]), t.tensor([0.0])),
    "equal_transposed": lambda t: t.equal(t.ones(2, 3).t(), t.ones(3, 2)),
    "equal_half": lambda t: t.equal(t.tensor([1.5, 2.0], dtype=t.float16), t.tensor([1.5, 2.0], dtype=t.bfloat16)),
    "equal_half_rounding": lambda t: t.equal(t.tensor([0.1], dtype=t.float16), t.tensor([0.1])),
    "equal_empty": lambda t: t.equal(t.empty(0), t.empty(0, dtype=t.int64)),
    # errors
    "dtype_mismatch": lambda t: t.isclose(t.ones(2), t.ones(2, dtype=t.float64)),
    "dtype_mismatch_long": lambda t: t.isclose(t.ones(2), t.ones(2, dtype=t.int64)),
    "dtype_mismatch_half": lambda t: t.isclose(t.ones(2, dtype=t.bfloat16), t.ones(2, dtype=t.float16)),
    "allclose_dtype_mismatch": lambda t: t.allclose(t.ones(2), t.ones(2, dtype=t.float64)),
    "negative_rtol": lambda t: t.isclose(t.ones(2), t.ones(2), rtol=-1),
    "negative_small_atol": lambda t: t.isclose(t.ones(2), t.ones(2), atol=-1e-5),
    "both_negative": lambda t: t.isclose(t.ones(2), t.ones(2), rtol=-1.5, atol=-1),
    "allclose_negative": lambda t: t.allclose(t.ones(2), t.ones(2), rtol=-123456789.0),
    "nan_rtol": lambda t: t.isclose(t.ones(2), t.ones(2), rtol=NAN),
    "shape_mismatch": lambda t: t.isclose(t.ones(2, 3), t.ones(4)),
    "allclose_shape_mismatch": lambda t: t.allclose(t.ones(2), t.ones(3)),
    "other_number": lambda t: t.isclose(t.ones(2), 1.0),
    "method_other_number": lambda t: t.ones(2).isclose(1.0),
    "allclose_other_number": lambda t: t.allclose(t.ones(2), 1.0),
    "equal_other_number": lambda t: t.equal(t.ones(2), 1.0),
    "method_equal_other_int": lambda t: t.ones(2).equal(1),
    "input_number": lambda t: t.isclose(1.0, t.ones(2)),
    "rtol_string": lambda t: t.isclose(t.ones(2), t.ones(2), rtol="a"),
    "equal_nan_int": lambda t: t.allclose(t.ones(1), t.ones(1), equal_nan=1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(name, torch_ref):
    assert _outcome(CASES[name], torch) == _outcome(CASES[name], torch_ref)


# Expected values from the definition |a - b| <= atol + rtol * |b|, so these
# run without PyTorch too.
def test_values_from_the_definition():
    a = torch.tensor([1.0, 2.0, 10.0, -INF, NAN])
    b = torch.tensor([1.5, 2.0, 11.0, -INF, 0.0])
    assert a.isclose(b, rtol=0.1, atol=0.0).tolist() == [False, True, True, True, False]
    assert torch.isclose(a, b, rtol=0.0, atol=0.5).tolist() == [True, True, False, True, False]
    assert torch.allclose(a[:4], b[:4], rtol=0.5) is True
    assert torch.equal(a[1:2], b[1:2]) is True
    assert torch.equal(a, a) is False  # NaN equals nothing


def test_result_is_a_new_bool_tensor_outside_autograd():
    x = torch.ones(3, requires_grad=True)
    r = torch.isclose(x * 2, x + 1)
    assert r.dtype == torch.bool and not r.requires_grad and r.grad_fn is None
    assert r.tolist() == [True, True, True]


def test_errors_are_python_exceptions():
    with pytest.raises(RuntimeError, match="^Float did not match Double$"):
        torch.isclose(torch.ones(2), torch.ones(2, dtype=torch.float64))
    with pytest.raises(RuntimeError, match=r"^atol must be greater than or equal to zero, but got -1e-05$"):
        torch.ones(1).allclose(torch.ones(1), atol=-1e-5)
    with pytest.raises(TypeError, match=r"^isclose\(\): argument 'other' \(position 2\) must be Tensor, not float$"):
        torch.isclose(torch.ones(2), 1.0)
