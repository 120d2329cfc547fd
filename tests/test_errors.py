"""Errors: the exception class and the stable part of the message PyTorch
gives, and no Rust panic reaching Python for any bad input."""

import re

import pytest

import ferrograd as torch


def backward_non_scalar():
    x = torch.ones(3, requires_grad=True)
    (x * 2).backward()


def backward_twice():
    x = torch.ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


def inplace_on_leaf():
    w = torch.ones(2, requires_grad=True)
    w += 1


def inplace_method_on_leaf():
    w = torch.ones(2, requires_grad=True)
    w.mul_(2.0)


def backward_without_grad():
    torch.ones(2).sum().backward()


def backward_of_detached():
    x = torch.ones(2, requires_grad=True)
    (x * 2).detach().sum().backward()


def grad_of_unused_input():
    x = torch.ones(2, requires_grad=True)
    z = torch.ones(2, requires_grad=True)
    torch.autograd.grad((x * 2).sum(), [x, z])


def backward_with_wrong_gradient_shape():
    x = torch.ones(3, requires_grad=True)
    (x * 2).backward(torch.ones(4))


def modify_saved_then_backward():
    x = torch.ones(2, requires_grad=True)
    a = x * 2
    b = a * a
    a.add_(1.0)
    b.sum().backward()


CASES = [
    ("backward_non_scalar", backward_non_scalar, RuntimeError,
     "grad can be implicitly created only for scalar outputs"),
    ("backward_twice", backward_twice, RuntimeError,
     "Trying to backward through the graph a second time"),
    ("inplace_on_leaf", inplace_on_leaf, RuntimeError,
     "a leaf Variable that requires grad is being used in an in-place operation."),
    ("inplace_method_on_leaf", inplace_method_on_leaf, RuntimeError,
     "a leaf Variable that requires grad is being used in an in-place operation."),
    ("backward_without_grad", backward_without_grad, RuntimeError,
     "element 0 of tensors does not require grad and does not have a grad_fn"),
    ("backward_of_detached", backward_of_detached, RuntimeError,
     "element 0 of tensors does not require grad and does not have a grad_fn"),
    ("grad_of_unused_input", grad_of_unused_input, RuntimeError,
     "The differentiated Tensor at index 1 appears to not have been used in the graph."),
    ("backward_wrong_gradient_shape", backward_with_wrong_gradient_shape, RuntimeError,
     "Mismatch in shape: grad_output[0] has a shape of torch.Size([4]) "
     "and output[0] has a shape of torch.Size([3])."),
    ("modified_saved_tensor", modify_saved_then_backward, RuntimeError,
     "one of the variables needed for gradient computation has been modified "
     "by an inplace operation"),
    ("broadcast_mismatch", lambda: torch.ones(2, 3) + torch.ones(2, 4), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"),
    ("broadcast_mismatch_1d", lambda: torch.ones(3) * torch.ones(4), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0"),
    ("matmul_shapes", lambda: torch.ones(2, 3) @ torch.ones(4, 5), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    ("matmul_fn_shapes", lambda: torch.matmul(torch.ones(2, 3), torch.ones(4, 5)), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    ("sum_dim_out_of_range", lambda: torch.ones(2, 3).sum(dim=5), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 5)"),
    ("sum_negative_dim_out_of_range", lambda: torch.ones(2, 3).sum(dim=-3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    ("mean_dim_out_of_range", lambda: torch.ones(2, 3).mean(dim=2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("size_dim_out_of_range", lambda: torch.ones(2).size(5), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 5)"),
    ("ragged_list", lambda: torch.tensor([[1, 2], [3]]), ValueError,
     "expected sequence of length 2 at dim 1 (got 1)"),
    ("ragged_float_list", lambda: torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0]]), ValueError,
     "expected sequence of length 3 at dim 1 (got 2)"),
    ("item_multi_element", lambda: torch.ones(2, 3).item(), RuntimeError,
     "a Tensor with 6 elements cannot be converted to Scalar"),
    ("bool_multi_element", lambda: bool(torch.ones(2)), RuntimeError,
     "Boolean value of Tensor with more than one value is ambiguous"),
    ("float_multi_element", lambda: float(torch.ones(2)), ValueError,
     "only one element tensors can be converted to Python scalars"),
    ("numpy_requires_grad", lambda: torch.ones(2, requires_grad=True).numpy(), RuntimeError,
     "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."),
    ("int_requires_grad", lambda: torch.tensor([1, 2], requires_grad=True), RuntimeError,
     "Only Tensors of floating point and complex dtype can require gradients"),
    ("negative_dimension", lambda: torch.ones(-1), RuntimeError,
     "Trying to create tensor with negative dimension -1: [-1]"),
    ("len_of_0d", lambda: len(torch.tensor(1.0)), TypeError, "len() of a 0-d tensor"),
    ("iter_of_0d", lambda: iter(torch.tensor(1.0)), TypeError, "iteration over a 0-d tensor"),
    ("arange_zero_step", lambda: torch.arange(0, 10, 0), RuntimeError, "step must be nonzero"),
    ("t_of_3d", lambda: torch.ones(2, 3, 4).t(), RuntimeError,
     "t() expects a tensor with <= 2 dimensions, but self is 3D"),
    ("tensor_of_str", lambda: torch.tensor("abc"), TypeError, None),
]


@pytest.mark.parametrize("fn, exc_type, phrase", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_type_and_message(fn, exc_type, phrase):
    with pytest.raises(exc_type, match=re.escape(phrase) if phrase else None):
        fn()


@pytest.mark.parametrize("fn, exc_type", [c[1:3] for c in CASES], ids=[c[0] for c in CASES])
def test_error_is_not_a_panic(fn, exc_type):
    with pytest.raises(BaseException) as info:
        fn()
    assert type(info.value).__name__ != "PanicException"
    assert isinstance(info.value, Exception)
    assert isinstance(info.value, exc_type)


SWEEP = [
    ("add_3d", lambda: torch.ones(2, 3, 4) + torch.ones(3, 3)),
    ("sub_scalar_vs_bad", lambda: torch.ones(5) - torch.ones(2, 3)),
    ("div_mismatch", lambda: torch.ones(2, 2) / torch.ones(3)),
    ("pow_mismatch", lambda: torch.ones(2, 3) ** torch.ones(4)),
    ("matmul_vector_mismatch", lambda: torch.ones(2, 3) @ torch.ones(2, 3)),
    ("matmul_grad_mismatch", lambda: torch.ones(2, 3, requires_grad=True) @ torch.ones(2, 2)),
    ("sum_huge_dim", lambda: torch.ones(2).sum(dim=10 ** 6)),
    ("mean_huge_negative_dim", lambda: torch.ones(2).mean(dim=-(10 ** 6))),
    ("sum_dim_of_0d", lambda: torch.tensor(1.0).sum(dim=1)),
    ("size_negative", lambda: torch.ones(2, 3).size(-3)),
    ("zeros_negative", lambda: torch.zeros(2, -3)),
    ("randn_negative", lambda: torch.randn(-2)),
    ("full_negative", lambda: torch.full((-1,), 1.0)),
    ("ragged_deep", lambda: torch.tensor([[[1.0]], [[1.0, 2.0]]])),
    ("linspace_negative_steps", lambda: torch.linspace(0, 1, -1)),
    ("arange_zero_step_float", lambda: torch.arange(0.0, 1.0, 0.0)),
    ("item_empty", lambda: torch.zeros(0).item()),
    ("backward_wrong_gradient_rank", lambda: (torch.ones(2, 2, requires_grad=True) * 2).backward(torch.ones(4))),
    ("backward_of_empty_non_scalar", lambda: (torch.ones(0, requires_grad=True) * 2).backward()),
    ("grad_without_graph", lambda: torch.autograd.grad(torch.ones(2).sum(), [torch.ones(2, requires_grad=True)])),
    ("inplace_broadcast_into_smaller", lambda: torch.zeros(3).add_(torch.ones(2, 3))),
    ("t_of_3d_grad", lambda: torch.ones(2, 2, 2, requires_grad=True).t()),
]


@pytest.mark.parametrize("fn", [s[1] for s in SWEEP], ids=[s[0] for s in SWEEP])
def test_bad_input_raises_an_ordinary_exception(fn):
    with pytest.raises(BaseException) as info:
        fn()
    assert type(info.value).__name__ != "PanicException"
    assert isinstance(info.value, (RuntimeError, ValueError, TypeError, IndexError))


def test_errors_leave_the_library_usable():
    for fn in [c[1] for c in CASES] + [s[1] for s in SWEEP]:
        try:
            fn()
        except Exception:
            pass
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    assert torch.is_grad_enabled()


BROADCAST_MISMATCHES = [((2, 3), (4, 5)), ((2, 3, 4), (5, 6, 4)), ((3,), (2, 4)), ((2, 3, 4), (3, 5)),
                        ((7, 3), (2, 1, 4)), ((2, 1), (3, 4, 5)), ((5, 2, 3), (4, 1, 3))]


@pytest.mark.parametrize("a, b", BROADCAST_MISMATCHES, ids=[f"{a}-{b}" for a, b in BROADCAST_MISMATCHES])
def test_broadcast_mismatch_names_the_innermost_failing_dim_like_pytorch(torch_ref, a, b):
    # PyTorch checks from the last dim inward and reports the first failure it meets.
    with pytest.raises(RuntimeError) as theirs:
        torch_ref.ones(a) + torch_ref.ones(b)
    with pytest.raises(RuntimeError) as ours:
        torch.ones(a) + torch.ones(b)
    assert str(ours.value) == str(theirs.value)
