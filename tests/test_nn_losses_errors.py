"""Bad arguments to softmax, the losses, one_hot, dropout and attention raise
PyTorch's exception type with its phrase; each row is also checked against
PyTorch itself when it is installed."""

import re
import warnings

import pytest

import ferrograd as torch


def nnf(L):
    return L.nn.functional


def x34(L, dtype=None):
    return L.tensor([[0.1, -0.2, 0.3, 0.4], [1.0, 0.5, -1.0, 0.0], [0.2, 0.2, 0.2, 0.2]], dtype=dtype or L.float32)


ERRORS = [
    # class-index targets
    ("target_out_of_bounds", lambda L: nnf(L).cross_entropy(x34(L), L.tensor([1, 5, 0])), IndexError,
     "Target 5 is out of bounds."),
    ("negative_target", lambda L: nnf(L).nll_loss(x34(L), L.tensor([1, -3, 0])), IndexError, "Target -3 is out of bounds."),
    ("spatial_target_out_of_bounds", lambda L: nnf(L).nll_loss(L.zeros(2, 3, 4, 5), L.full((2, 4, 5), 7)), IndexError,
     "Target 7 is out of bounds."),
    ("unbatched_target_out_of_bounds", lambda L: nnf(L).nll_loss(L.zeros(3), L.tensor(5)), IndexError,
     "Target 5 is out of bounds."),
    ("float_class_target", lambda L: nnf(L).cross_entropy(x34(L), L.tensor([1.0, 2.0, 0.0])), RuntimeError,
     "expected target dtype to be Long or Byte, but got Float"),
    ("batch_size_mismatch", lambda L: nnf(L).cross_entropy(x34(L), L.tensor([1, 2])), ValueError,
     "Expected input batch_size (3) to match target batch_size (2)."),
    ("multi_target", lambda L: nnf(L).cross_entropy(x34(L), L.zeros(3, 5)), RuntimeError,
     "0D or 1D target tensor expected, multi-target not supported"),
    ("spatial_target_shape", lambda L: nnf(L).nll_loss(L.zeros(3, 4, 5), L.zeros(3, 6, dtype=L.int64)), RuntimeError,
     "Expected target size [3, 5], got [3, 6]"),
    ("weight_size", lambda L: nnf(L).cross_entropy(x34(L), L.tensor([1, 2, 0]), weight=L.ones(3)), RuntimeError,
     "weight tensor should be defined either for all 4 classes or no classes but got weight tensor of shape: [3]"),
    ("weight_dtype", lambda L: nnf(L).nll_loss(x34(L, L.float64), L.tensor([1, 2, 0]), weight=L.ones(4)), RuntimeError,
     "expected scalar type Double but found Float"),
    ("weight_requires_grad", lambda L: nnf(L).nll_loss(x34(L), L.tensor([1, 2, 0]), weight=L.ones(4, requires_grad=True)),
     RuntimeError, "The function 'nll_loss_forward' is not differentiable with respect to argument 'weight'."),
    ("bad_reduction", lambda L: nnf(L).cross_entropy(x34(L), L.tensor([1, 2, 0]), reduction="foo"), ValueError,
     "foo is not a valid value for reduction"),
    ("label_smoothing_range", lambda L: nnf(L).cross_entropy(x34(L), L.tensor([1, 2, 0]), label_smoothing=1.5), RuntimeError,
     "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
    ("integer_probability_target", lambda L: nnf(L).cross_entropy(L.zeros(3), L.tensor([1, 2, 0])), RuntimeError,
     "Expected floating point type for target with class probabilities, got Long"),
    # softmax
    ("softmax_integer", lambda L: nnf(L).softmax(L.tensor([1, 2, 3]), 0), NotImplementedError,
     "\"softmax_lastdim_kernel_impl\" not implemented for 'Long'"),
    ("log_softmax_integer_inner_dim", lambda L: nnf(L).log_softmax(L.tensor([[1, 2, 3]]), 0), NotImplementedError,
     "\"log_softmax_kernel_impl\" not implemented for 'Long'"),
    ("softmax_dim_range", lambda L: L.softmax(x34(L), 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("torch_softmax_needs_dim", lambda L: L.softmax(x34(L)), TypeError, "dim"),
    # regression and binary losses
    ("mse_broadcast_fails", lambda L: nnf(L).mse_loss(x34(L), L.zeros(3, 5)), RuntimeError,
     "The size of tensor a (4) must match the size of tensor b (5) at non-singleton dimension 1"),
    ("mse_integer", lambda L: nnf(L).mse_loss(L.tensor([1, 2]), L.tensor([1, 2])), NotImplementedError,
     "\"mse_cpu\" not implemented for 'Long'"),
    ("smooth_l1_negative_beta", lambda L: nnf(L).smooth_l1_loss(x34(L), x34(L), beta=-1.0), RuntimeError,
     "smooth_l1_loss does not support negative values for beta."),
    ("huber_zero_delta", lambda L: nnf(L).huber_loss(x34(L), x34(L), delta=0.0), RuntimeError,
     "huber_loss does not support non-positive values for delta."),
    ("elementwise_weight_size", lambda L: nnf(L).mse_loss(x34(L), x34(L), weight=L.ones(4)), ValueError,
     "Weights and input must have the same size."),
    ("weighted_reduction", lambda L: nnf(L).l1_loss(x34(L), x34(L), weight=x34(L), reduction="foo"), ValueError,
     "Invalid reduction mode: foo. Expected one of 'none', 'mean', 'sum'."),
    ("bce_target_size", lambda L: nnf(L).binary_cross_entropy(L.full((3, 4), 0.5), L.full((4,), 0.5)), ValueError,
     "Using a target size (torch.Size([4])) that is different to the input size (torch.Size([3, 4])) is deprecated. "
     "Please ensure they have the same size."),
    ("bce_input_range", lambda L: nnf(L).binary_cross_entropy(L.tensor([0.5, 1.5]), L.tensor([0.0, 1.0])), RuntimeError,
     "all elements of input should be between 0 and 1"),
    ("bce_integer_target", lambda L: nnf(L).binary_cross_entropy(L.tensor([0.5, 0.5]), L.tensor([0, 1])), RuntimeError,
     "Found dtype Long but expected Float"),
    ("bce_weight_requires_grad", lambda L: nnf(L).binary_cross_entropy(L.tensor([0.5]), L.tensor([1.0]),
                                                                       weight=L.ones(1, requires_grad=True)),
     RuntimeError, "The function 'binary_cross_entropy' is not differentiable with respect to argument 'weight'."),
    ("bce_logits_target_size", lambda L: nnf(L).binary_cross_entropy_with_logits(x34(L), L.zeros(4)), ValueError,
     "Target size (torch.Size([4])) must be the same as input size (torch.Size([3, 4]))"),
    ("bce_logits_pos_weight_requires_grad", lambda L: nnf(L).binary_cross_entropy_with_logits(
        L.zeros(2), L.zeros(2), pos_weight=L.ones(2, requires_grad=True)),
     RuntimeError, "The function 'binary_cross_entropy_with_logits' is not differentiable with respect to argument 'pos_weight'."),
    ("kl_div_reduction", lambda L: nnf(L).kl_div(x34(L), x34(L), reduction="foo"), ValueError,
     "foo is not a valid value for reduction"),
    # one_hot, dropout, attention
    ("one_hot_negative", lambda L: nnf(L).one_hot(L.tensor([1, -1])), RuntimeError, "Class values must be non-negative."),
    ("one_hot_too_large", lambda L: nnf(L).one_hot(L.tensor([1, 5]), 3), RuntimeError,
     "Class values must be smaller than num_classes."),
    ("one_hot_float", lambda L: nnf(L).one_hot(L.tensor([1.0, 2.0])), RuntimeError,
     "one_hot is only applicable to index tensor of type LongTensor."),
    ("one_hot_empty", lambda L: nnf(L).one_hot(L.zeros(0, dtype=L.int64)), RuntimeError,
     "Can not infer total number of classes from empty tensor."),
    ("dropout_above_one", lambda L: nnf(L).dropout(x34(L), 1.5), ValueError,
     "dropout probability has to be between 0 and 1, but got 1.5"),
    ("dropout_negative", lambda L: nnf(L).dropout(x34(L), -0.1), ValueError,
     "dropout probability has to be between 0 and 1, but got -0.1"),
    ("attention_causal_with_mask", lambda L: nnf(L).scaled_dot_product_attention(
        L.zeros(2, 5, 4), L.zeros(2, 5, 4), L.zeros(2, 5, 4), attn_mask=L.ones(5, 5, dtype=L.bool), is_causal=True),
     RuntimeError, "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True"),
]


@pytest.mark.parametrize("call, exc, phrase", [r[1:] for r in ERRORS], ids=[r[0] for r in ERRORS])
def test_error_type_and_phrase(call, exc, phrase):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc, match=re.escape(phrase)):
            call(torch)


@pytest.mark.parametrize("call, exc, phrase", [r[1:] for r in ERRORS], ids=[r[0] for r in ERRORS])
def test_pytorch_raises_the_same(torch_ref, call, exc, phrase):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc, match=re.escape(phrase)):
            call(torch_ref)


def test_saved_output_modified_in_place_is_detected():
    x = torch.tensor([[0.1, 0.2, 0.3]], requires_grad=True)
    y = x.softmax(1)
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
