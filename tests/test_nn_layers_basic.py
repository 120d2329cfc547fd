"""The basic layers of ferrograd.nn against PyTorch's: given the same weights
and inputs, the same outputs, input gradients, parameter gradients, buffers
and printed form; Linear and Bilinear also by finite differences in float64.

Each row is ``(id, build(lib) -> module, inputs)``; an input is a numpy array
(float arrays are differentiated, integer arrays are indices or targets).
"""

import warnings

import numpy as np
import pytest

import ferrograd
import ferrograd.nn as nn
from nn_reference import NEEDS_RNG, constant_init, copy_state, same_exception, to_numpy  # noqa: F401

pytestmark = pytest.mark.usefixtures("constant_init")

RNG = np.random.default_rng(1234)


def normal(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def uniform(low, high, *shape):
    return RNG.uniform(low, high, shape).astype(np.float32)


def classes(high, *shape):
    return RNG.integers(0, high, shape).astype(np.int64)


WEIGHTS = uniform(0.5, 2.0, 5)

ROWS = [
    ("linear", lambda L: L.nn.Linear(4, 3), [normal(2, 5, 4)]),
    ("linear-no-bias", lambda L: L.nn.Linear(4, 3, bias=False), [normal(6, 4)]),
    ("linear-vector", lambda L: L.nn.Linear(4, 2), [normal(4)]),
    ("bilinear", lambda L: L.nn.Bilinear(3, 4, 2), [normal(5, 3), normal(5, 4)]),
    ("bilinear-batched-no-bias", lambda L: L.nn.Bilinear(3, 4, 2, bias=False), [normal(2, 5, 3), normal(2, 5, 4)]),
    ("identity", lambda L: L.nn.Identity(3, unused=True), [normal(2, 3)]),
    ("flatten", lambda L: L.nn.Flatten(), [normal(2, 3, 4)]),
    ("flatten-range", lambda L: L.nn.Flatten(0, 1), [normal(2, 3, 4)]),
    ("unflatten", lambda L: L.nn.Unflatten(1, (2, 3)), [normal(4, 6)]),
    ("embedding", lambda L: L.nn.Embedding(10, 3), [np.array([[1, 2, 4, 5], [4, 3, 2, 9]])]),
    ("embedding-padding", lambda L: L.nn.Embedding(10, 3, padding_idx=2), [np.array([[1, 2, 2, 5], [4, 3, 2, 9]])]),
    ("embedding-negative-padding", lambda L: L.nn.Embedding(6, 2, padding_idx=-1), [np.array([0, 5, 5, 1])]),
    ("embedding-scale-grad", lambda L: L.nn.Embedding(6, 2, scale_grad_by_freq=True), [np.array([0, 5, 5, 1])]),
    ("relu", lambda L: L.nn.ReLU(), [normal(3, 4)]),
    ("relu6", lambda L: L.nn.ReLU6(), [normal(3, 4, scale=5.0)]),
    ("leaky_relu", lambda L: L.nn.LeakyReLU(0.2), [normal(3, 4)]),
    ("gelu", lambda L: L.nn.GELU(), [normal(3, 4)]),
    ("gelu-tanh", lambda L: L.nn.GELU("tanh"), [normal(3, 4)]),
    ("silu", lambda L: L.nn.SiLU(), [normal(3, 4)]),
    ("elu", lambda L: L.nn.ELU(0.5), [normal(3, 4)]),
    ("tanh", lambda L: L.nn.Tanh(), [normal(3, 4)]),
    ("sigmoid", lambda L: L.nn.Sigmoid(), [normal(3, 4)]),
    ("softmax", lambda L: L.nn.Softmax(dim=1), [normal(3, 4)]),
    ("log_softmax", lambda L: L.nn.LogSoftmax(dim=-1), [normal(2, 3, 4)]),
    ("softplus", lambda L: L.nn.Softplus(beta=2, threshold=1), [normal(3, 4)]),
    ("dropout-eval-like-p0", lambda L: L.nn.Dropout(0.0), [normal(3, 4)]),
    ("mse", lambda L: L.nn.MSELoss(), [normal(3, 4), normal(3, 4)]),
    ("mse-sum", lambda L: L.nn.MSELoss(reduction="sum"), [normal(3, 4), normal(3, 4)]),
    ("l1-none", lambda L: L.nn.L1Loss(reduction="none"), [normal(3, 4), normal(3, 4)]),
    ("smooth_l1", lambda L: L.nn.SmoothL1Loss(beta=0.5), [normal(3, 4), normal(3, 4)]),
    ("huber", lambda L: L.nn.HuberLoss(delta=0.7), [normal(3, 4), normal(3, 4)]),
    ("cross_entropy", lambda L: L.nn.CrossEntropyLoss(), [normal(6, 5), classes(5, 6)]),
    (
        "cross_entropy-options",
        lambda L: L.nn.CrossEntropyLoss(weight=L.tensor(WEIGHTS), ignore_index=1, label_smoothing=0.1),
        [normal(6, 5), np.array([0, 1, 2, 3, 4, 1])],
    ),
    ("cross_entropy-probabilities", lambda L: L.nn.CrossEntropyLoss(), [normal(4, 5), uniform(0, 1, 4, 5)]),
    ("nll", lambda L: L.nn.NLLLoss(weight=L.tensor(WEIGHTS)), [normal(6, 5), classes(5, 6)]),
    ("nll-none", lambda L: L.nn.NLLLoss(reduction="none", ignore_index=0), [normal(6, 5), classes(5, 6)]),
    ("bce", lambda L: L.nn.BCELoss(), [uniform(0.05, 0.95, 3, 4), uniform(0, 1, 3, 4)]),
    ("bce-weight", lambda L: L.nn.BCELoss(weight=L.tensor(uniform(0.5, 2, 4))), [uniform(0.05, 0.95, 3, 4),
                                                                                  uniform(0, 1, 3, 4)]),
    (
        "bce_logits",
        lambda L: L.nn.BCEWithLogitsLoss(pos_weight=L.tensor(uniform(0.5, 2, 4)), weight=L.tensor(uniform(0.5, 2, 4))),
        [normal(3, 4), uniform(0, 1, 3, 4)],
    ),
    ("kl_div", lambda L: L.nn.KLDivLoss(reduction="batchmean"), [normal(3, 4), uniform(0.1, 1, 3, 4)]),
    ("kl_div-log_target", lambda L: L.nn.KLDivLoss(reduction="sum", log_target=True), [normal(3, 4), normal(3, 4)]),
]


def run(lib, module, arrays, upstream_seed):
    """Forward on fresh leaves, backward with a fixed upstream gradient;
    returns (output, input grads, {param name: grad}) as numpy."""
    inputs = [lib.tensor(a.copy(), requires_grad=a.dtype.kind == "f") for a in arrays]
    out = module(*inputs)
    upstream = np.random.default_rng(upstream_seed).standard_normal(tuple(out.shape)).astype(np.float32)
    if out.requires_grad:
        out.backward(lib.tensor(upstream))
    input_grads = [None if t.grad is None else to_numpy(t.grad) for t in inputs]
    param_grads = {name: None if p.grad is None else to_numpy(p.grad) for name, p in module.named_parameters()}
    return to_numpy(out), input_grads, param_grads


@pytest.mark.parametrize("name,build,arrays", ROWS, ids=[row[0] for row in ROWS])
def test_layer_matches_pytorch(torch_ref, name, build, arrays):
    reference = build(torch_ref)
    module = build(ferrograd)
    copy_state(module, reference)
    assert repr(module) == repr(reference)
    assert [n for n, _ in module.named_parameters()] == [n for n, _ in reference.named_parameters()]
    assert [n for n, _ in module.named_buffers()] == [n for n, _ in reference.named_buffers()]
    assert list(module.state_dict()) == list(reference.state_dict())

    ours_out, ours_input_grads, ours_param_grads = run(ferrograd, module, arrays, 7)
    ref_out, ref_input_grads, ref_param_grads = run(torch_ref, reference, arrays, 7)
    tol = dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours_out, ref_out, **tol)
    assert ours_out.shape == ref_out.shape
    for ours_g, ref_g in zip(ours_input_grads, ref_input_grads):
        assert (ours_g is None) == (ref_g is None)
        if ref_g is not None:
            np.testing.assert_allclose(ours_g, ref_g, **tol)
    assert ours_param_grads.keys() == ref_param_grads.keys()
    for key, ref_g in ref_param_grads.items():
        np.testing.assert_allclose(ours_param_grads[key], ref_g, err_msg=key, **tol)


@pytest.mark.parametrize("build", [lambda L: L.nn.ReLU(inplace=True), lambda L: L.nn.LeakyReLU(0.1, inplace=True),
                                   lambda L: L.nn.ELU(inplace=True), lambda L: L.nn.SiLU(inplace=True),
                                   lambda L: L.nn.ReLU6(inplace=True), lambda L: L.nn.Dropout(0.0, inplace=True)])
def test_inplace_activations_match_pytorch(torch_ref, build):
    x = normal(3, 4, scale=4.0)
    results = []
    for lib in (ferrograd, torch_ref):
        leaf = lib.tensor(x.copy(), requires_grad=True)
        hidden = leaf * 1.5
        out = build(lib)(hidden)
        assert out is hidden
        out.sum().backward()
        results.append((to_numpy(out), to_numpy(leaf.grad), repr(build(lib))))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)
    assert results[0][2] == results[1][2]


def test_linear_and_bilinear_gradients_by_finite_differences():
    rng = np.random.default_rng(5)
    linear = nn.Linear(3, 2).double()
    bilinear = nn.Bilinear(3, 2, 4).double()
    for layer in (linear, bilinear):
        with ferrograd.no_grad():
            for p in layer.parameters():
                p.copy_(ferrograd.from_numpy(rng.standard_normal(tuple(p.shape))))
    x = ferrograd.from_numpy(rng.standard_normal((4, 3))).requires_grad_()
    y = ferrograd.from_numpy(rng.standard_normal((4, 2))).requires_grad_()
    assert ferrograd.autograd.gradcheck(lambda x, w, b: linear(x), (x, linear.weight, linear.bias))
    assert ferrograd.autograd.gradcheck(
        lambda x, y, w, b: bilinear(x, y), (x, y, bilinear.weight, bilinear.bias)
    )


def test_linear_attributes_and_shapes():
    layer = nn.Linear(5, 3)
    assert (layer.in_features, layer.out_features) == (5, 3)
    assert tuple(layer.weight.shape) == (3, 5) and tuple(layer.bias.shape) == (3,)
    assert isinstance(layer.weight, nn.Parameter) and layer.weight.requires_grad
    no_bias = nn.Linear(5, 3, bias=False, dtype=ferrograd.float64)
    assert no_bias.bias is None and "bias" in no_bias._parameters
    assert no_bias.weight.dtype == ferrograd.float64
    assert [n for n, _ in no_bias.named_parameters()] == ["weight"]


def test_linear_shape_error_names_both_shapes(torch_ref):
    with pytest.raises(RuntimeError) as ref_info:
        torch_ref.nn.Linear(4, 3)(torch_ref.ones(2, 5))
    # PyTorch prefixes the kernel name ("addmm: "); the phrase after it is the contract.
    phrase = str(ref_info.value).rpartition(": ")[2] if "addmm" in str(ref_info.value) else str(ref_info.value)
    with pytest.raises(RuntimeError) as info:
        nn.Linear(4, 3)(ferrograd.ones(2, 5))
    assert phrase in str(info.value)


def test_bilinear_errors_match_pytorch(torch_ref):
    F = lambda L: L.nn.functional  # noqa: E731
    for shapes in [((2, 3), (2, 4, 1), (5, 3, 4), None), ((2, 3), (3, 4), (5, 3, 4), None),
                   ((2, 3), (2, 4), (5, 2, 4), None), ((2, 3), (2, 5), (5, 3, 4), None),
                   ((2, 3), (2, 4), (5, 3, 4), (4,))]:
        a, b, w, bias = shapes
        same_exception(
            lambda L: F(L).bilinear(L.ones(a), L.ones(b), L.ones(w), None if bias is None else L.ones(bias)),
            ferrograd,
            torch_ref,
        )


def test_bilinear_unbatched_shape(torch_ref):
    layer = nn.Bilinear(3, 4, 5)
    assert tuple(layer(ferrograd.ones(3), ferrograd.ones(4)).shape) == (5,)


def test_embedding_padding_row_and_from_pretrained(torch_ref):
    layer = nn.Embedding(5, 3, padding_idx=1)
    if hasattr(ferrograd.Tensor, "normal_"):
        assert layer.weight[1].tolist() == [0.0, 0.0, 0.0]
    table = ferrograd.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad and frozen.weight.data_ptr() == table.data_ptr()
    assert frozen(ferrograd.tensor([2, 0])).tolist() == [[5.0, 6.0], [1.0, 2.0]]
    trainable = nn.Embedding.from_pretrained(table, freeze=False, padding_idx=0)
    assert trainable.weight.requires_grad
    assert repr(trainable) == repr(torch_ref.nn.Embedding.from_pretrained(torch_ref.ones(3, 2), freeze=False,
                                                                           padding_idx=0))
    same_exception(lambda L: L.nn.Embedding(3, 2, padding_idx=3), ferrograd, torch_ref)
    same_exception(lambda L: L.nn.Embedding(3, 2, padding_idx=-4), ferrograd, torch_ref)
    same_exception(lambda L: L.nn.Embedding.from_pretrained(L.ones(3)), ferrograd, torch_ref)


def test_embedding_max_norm_renormalises_used_rows_like_pytorch(torch_ref):
    table = normal(6, 3, scale=2.0)
    indices = np.array([[0, 2], [2, 5]])
    results = []
    for lib in (ferrograd, torch_ref):
        layer = lib.nn.Embedding.from_pretrained(lib.tensor(table.copy()), freeze=False, max_norm=1.5,
                                                 norm_type=2.0)
        out = layer(lib.tensor(indices))
        out.sum().backward()
        results.append((to_numpy(out), to_numpy(layer.weight), to_numpy(layer.weight.grad), repr(layer)))
    for ours_value, ref_value in zip(results[0][:3], results[1][:3]):
        np.testing.assert_allclose(ours_value, ref_value, rtol=1e-5, atol=1e-6)
    assert results[0][3] == results[1][3]


def test_dropout_modes_and_statistics():
    x = ferrograd.ones(200, 100)
    layer = nn.Dropout(0.3)
    assert layer.eval()(x) is x or layer.eval()(x).tolist() == x.tolist()
    layer.train()
    out = to_numpy(layer(x))
    kept = out[out != 0]
    np.testing.assert_allclose(kept, 1 / 0.7, rtol=1e-6)
    assert abs((out == 0).mean() - 0.3) < 0.02
    assert not to_numpy(nn.Dropout(1.0)(x)).any()


def test_dropout_probability_error_matches_pytorch(torch_ref):
    same_exception(lambda L: L.nn.Dropout(1.5), ferrograd, torch_ref)
    same_exception(lambda L: L.nn.Dropout(-0.1), ferrograd, torch_ref)


def test_unflatten_errors_match_pytorch(torch_ref):
    same_exception(lambda L: L.nn.Unflatten(1, 6), ferrograd, torch_ref)
    same_exception(lambda L: L.nn.Unflatten(1, (2, 3.0)), ferrograd, torch_ref)


def test_softmax_without_dim_warns_like_pytorch(torch_ref):
    for lib in (ferrograd, torch_ref):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.nn.Softmax()(lib.ones(2, 3))
        assert any("Implicit dimension choice for softmax" in str(w.message) for w in caught)


def test_loss_weight_buffers_follow_dtype_conversion():
    loss = nn.CrossEntropyLoss(weight=ferrograd.ones(3))
    assert [n for n, _ in loss.named_buffers()] == ["weight"]
    loss.double()
    assert loss.weight.dtype == ferrograd.float64
    logits = nn.BCEWithLogitsLoss(pos_weight=ferrograd.ones(2))
    assert list(logits.state_dict()) == ["pos_weight"]
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        assert nn.MSELoss(size_average=False).reduction == "sum"


def test_sequential_model_trains_like_pytorch(torch_ref):
    def build(L):
        return L.nn.Sequential(L.nn.Linear(4, 8), L.nn.Tanh(), L.nn.Linear(8, 3))

    reference = build(torch_ref)
    model = build(ferrograd)
    copy_state(model, reference)
    x, target = normal(16, 4), classes(3, 16)
    for lib, net in ((ferrograd, model), (torch_ref, reference)):
        for _ in range(3):
            net.zero_grad()
            loss = lib.nn.CrossEntropyLoss()(net(lib.tensor(x)), lib.tensor(target))
            loss.backward()
            with lib.no_grad():
                for p in net.parameters():
                    p.sub_(0.1 * p.grad)
    for (name, p), (_, q) in zip(model.named_parameters(), reference.named_parameters()):
        np.testing.assert_allclose(to_numpy(p), to_numpy(q), rtol=1e-5, atol=1e-6, err_msg=name)


def test_channel_dropout_reprs_and_errors_match_pytorch(torch_ref):
    for build in (lambda L: L.nn.Dropout1d(), lambda L: L.nn.Dropout2d(0.1, inplace=True)):
        assert repr(build(ferrograd)) == repr(build(torch_ref))
    same_exception(lambda L: L.nn.Dropout1d(2.0), ferrograd, torch_ref)
    same_exception(lambda L: L.nn.functional.dropout1d(L.ones(2, 3, 4, 5)), ferrograd, torch_ref)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecation warning for 1-D input precedes the error
        same_exception(lambda L: L.nn.functional.dropout2d(L.ones(3), 0.5), ferrograd, torch_ref)
    for lib in (ferrograd, torch_ref):
        x = lib.ones(2, 3, 4)
        assert lib.nn.Dropout1d().eval()(x) is x
        with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
            lib.nn.functional.dropout2d(x, 0.0)
        with pytest.warns(UserWarning, match="Received a 5-D input to dropout2d"):
            lib.nn.functional.dropout2d(lib.ones(1, 1, 1, 1, 1), 0.0)


@NEEDS_RNG
@pytest.mark.parametrize("build,shape", [(lambda L: L.nn.Dropout(0.3), (4, 6)),
                                         (lambda L: L.nn.Dropout1d(0.4), (3, 5, 7)),
                                         (lambda L: L.nn.Dropout1d(0.5), (6, 4)),
                                         (lambda L: L.nn.Dropout2d(0.25), (2, 5, 3, 3)),
                                         (lambda L: L.nn.Dropout2d(1.0), (2, 5, 3, 3))])
def test_dropout_masks_match_pytorch_after_same_seed(torch_ref, build, shape):
    x = normal(*shape)
    results = []
    for lib in (ferrograd, torch_ref):
        lib.manual_seed(11)
        leaf = lib.tensor(x.copy(), requires_grad=True)
        out = build(lib)(leaf)
        out.sum().backward()
        results.append((to_numpy(out), to_numpy(leaf.grad)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)
