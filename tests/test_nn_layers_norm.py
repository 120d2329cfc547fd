"""Normalization layers of ferrograd.nn against PyTorch: LayerNorm, GroupNorm,
BatchNorm1d/2d outputs and gradients with the same weights, BatchNorm running
statistics over several training steps and eval output, reprs, state_dict
keys and default values."""

import numpy as np
import pytest

import ferrograd as torch
from ferrograd.autograd import gradcheck
from layer_compare import assert_same_state, compare_layer, load_from_torch, random_inputs, to_numpy

nn = torch.nn


def build(lib, text):
    return eval("lib.nn." + text, {"lib": lib})


def randomize_affine(torch_ref, theirs, seed):
    """Non-trivial weight and bias in the PyTorch layer (its defaults are ones and zeros)."""
    rng = np.random.default_rng(seed)
    with torch_ref.no_grad():
        for p in theirs.parameters():
            p.copy_(torch_ref.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))


NORM_CASES = [
    ("LayerNorm(6)", (3, 6)),
    ("LayerNorm([4, 5], eps=1e-3)", (2, 3, 4, 5)),
    ("LayerNorm(5, bias=False)", (2, 4, 5)),
    ("LayerNorm((3, 4), elementwise_affine=False)", (2, 3, 4)),
    ("GroupNorm(2, 6)", (3, 6, 5)),
    ("GroupNorm(3, 6, eps=1e-4)", (2, 6, 4, 3)),
    ("GroupNorm(1, 4, affine=False)", (2, 4, 5, 5)),
    ("GroupNorm(2, 4, bias=False)", (2, 4, 7)),
    ("BatchNorm1d(4)", (8, 4)),
    ("BatchNorm1d(3, affine=False)", (4, 3, 5)),
    ("BatchNorm1d(3, bias=False, momentum=None)", (4, 3, 5)),
    ("BatchNorm2d(3)", (4, 3, 5, 6)),
    ("BatchNorm2d(2, track_running_stats=False)", (3, 2, 4, 4)),
]


@pytest.mark.parametrize("text, shape", NORM_CASES, ids=[c[0] for c in NORM_CASES])
def test_output_and_gradients_match_pytorch(torch_ref, text, shape):
    theirs = build(torch_ref, text)
    randomize_affine(torch_ref, theirs, 1)
    (x,) = random_inputs(2, shape)
    compare_layer(build(torch, text), theirs, [x * 2 + 0.5])


@pytest.mark.parametrize("text, shape", [c for c in NORM_CASES if c[0].startswith("BatchNorm")],
                         ids=[c[0] for c in NORM_CASES if c[0].startswith("BatchNorm")])
def test_batch_norm_running_stats_after_training_steps_and_eval_output(torch_ref, text, shape):
    ours, theirs = build(torch, text), build(torch_ref, text)
    randomize_affine(torch_ref, theirs, 3)
    load_from_torch(ours, theirs)
    batches = random_inputs(4, *[shape] * 4)
    for step, x in enumerate(batches):
        x = x * (step + 1) + step  # statistics that move from batch to batch
        compare_layer(ours, theirs, [x], load=False)
        assert_same_state(ours, theirs, rtol=1e-5, atol=1e-6)
    ours.eval()
    theirs.eval()
    (x,) = random_inputs(5, shape)
    compare_layer(ours, theirs, [x * 3 - 1], load=False)
    assert_same_state(ours, theirs, rtol=1e-5, atol=1e-6)


def test_momentum_none_is_a_cumulative_average():
    # The blend factor 1/n makes the first batch replace the initial values and
    # every later one count equally.
    ours = nn.BatchNorm1d(2, momentum=None)
    batches = random_inputs(6, (5, 2), (5, 2), (5, 2))
    with torch.no_grad():
        for x in batches:
            ours(torch.tensor(x))
    np.testing.assert_allclose(to_numpy(ours.running_mean), np.mean([b.mean(0) for b in batches], 0), rtol=1e-5)
    np.testing.assert_allclose(to_numpy(ours.running_var), np.mean([b.var(0, ddof=1) for b in batches], 0),
                               rtol=1e-5)
    assert ours.num_batches_tracked.item() == 3


def test_eval_without_running_stats_uses_batch_statistics(torch_ref):
    text = "BatchNorm2d(3, track_running_stats=False)"
    ours, theirs = build(torch, text).eval(), build(torch_ref, text).eval()
    (x,) = random_inputs(7, (2, 3, 4, 4))
    compare_layer(ours, theirs, [x])
    assert ours.running_mean is None and ours.num_batches_tracked is None


def test_batch_norm_in_eval_does_not_touch_the_buffers():
    layer = nn.BatchNorm1d(3).eval()
    layer(torch.randn(4, 3) * 5)
    assert layer.running_mean.tolist() == [0.0, 0.0, 0.0]
    assert layer.running_var.tolist() == [1.0, 1.0, 1.0]
    assert layer.num_batches_tracked.item() == 0


def test_batch_norm_rejects_wrong_rank_and_single_values(torch_ref):
    for lib in (torch, torch_ref):
        with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
            lib.nn.BatchNorm2d(3)(lib.ones(2, 3, 4))
        with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
            lib.nn.BatchNorm1d(3)(lib.ones(2, 3, 4, 4))
        with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
            lib.nn.BatchNorm1d(3)(lib.ones(1, 3))
        with pytest.raises(ValueError, match=r"num_channels \(5\) must be divisible by num_groups \(2\)"):
            lib.nn.GroupNorm(2, 5)


def test_layer_norm_and_group_norm_finite_differences_in_float64():
    rng = np.random.default_rng(8)
    ln = nn.LayerNorm([3, 4]).double()
    gn = nn.GroupNorm(2, 4).double()
    with torch.no_grad():
        for layer in (ln, gn):
            for p in layer.parameters():
                p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape))))
    x = torch.tensor(rng.standard_normal((2, 4, 3, 4)), requires_grad=True)
    assert gradcheck(ln, (x,))
    assert gradcheck(gn, (x,))


LAYERS = [c[0] for c in NORM_CASES] + ["BatchNorm2d(4, eps=1e-3, momentum=0.3)", "LayerNorm(7, eps=1e-6)"]


@pytest.mark.parametrize("text", LAYERS)
def test_repr_state_dict_and_defaults_match_pytorch(torch_ref, text):
    ours, theirs = build(torch, text), build(torch_ref, text)
    assert repr(ours) == repr(theirs)
    assert_same_state(ours, theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    if "num_batches_tracked" in theirs.state_dict():
        assert ours.num_batches_tracked.dtype == torch.int64


def test_state_dict_without_num_batches_tracked_still_loads(torch_ref):
    # Older PyTorch checkpoints have no num_batches_tracked; both libraries accept them.
    state = {"weight": [1.5, 2.0], "bias": [0.1, -0.2], "running_mean": [0.3, 0.4], "running_var": [2.0, 3.0]}
    for lib in (torch, torch_ref):
        layer = lib.nn.BatchNorm1d(2)
        result = layer.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
        assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
        assert layer.running_var.tolist() == [2.0, 3.0] and layer.num_batches_tracked.item() == 0
