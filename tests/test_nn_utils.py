"""nn.utils against PyTorch: gradient clipping by total norm and by value, and
flattening parameters to a vector and back."""

import warnings

import numpy as np
import pytest

import ferrograd
import ferrograd.nn as nn
from nn_reference import constant_init, copy_state, same_exception, to_numpy, torch_typenames  # noqa: F401

SHAPES = [(3, 4), (4,), (2, 2, 2)]


def grads_for(lib, scale, dtype_name="float32"):
    """Parameters of SHAPES whose .grad is a fixed pattern times ``scale``; the
    last one has no grad."""
    rng = np.random.default_rng(3)
    dtype = getattr(lib, dtype_name)
    params = []
    for shape in SHAPES:
        p = lib.nn.Parameter(lib.zeros(shape, dtype=dtype))
        p.grad = lib.tensor(rng.standard_normal(shape) * scale, dtype=dtype)
        params.append(p)
    params.append(lib.nn.Parameter(lib.zeros(2, dtype=dtype)))
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
def test_clip_grad_norm_matches_pytorch(torch_ref, norm_type, max_norm, dtype_name):
    ours = grads_for(ferrograd, 2.0, dtype_name)
    ref = grads_for(torch_ref, 2.0, dtype_name)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    ref_total = torch_ref.nn.utils.clip_grad_norm_(ref, max_norm, norm_type=norm_type)
    assert isinstance(total, ferrograd.Tensor) and total.shape == () and total.dtype == getattr(ferrograd, dtype_name)
    rtol = 1e-6 if dtype_name == "float32" else 1e-12
    np.testing.assert_allclose(to_numpy(total), to_numpy(ref_total), rtol=rtol)
    for p, q in zip(ours, ref):
        assert (p.grad is None) == (q.grad is None)
        if q.grad is not None:
            np.testing.assert_allclose(to_numpy(p.grad), to_numpy(q.grad), rtol=rtol, atol=1e-7)


def test_clip_grad_norm_single_tensor_generator_and_no_grads(torch_ref):
    p = nn.Parameter(ferrograd.tensor([3.0, 4.0]))
    p.grad = ferrograd.tensor([3.0, 4.0])
    total = nn.utils.clip_grad_norm_(p, 1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(to_numpy(p.grad), [0.6, 0.8], rtol=1e-5)
    q = nn.Parameter(ferrograd.ones(2))
    q.grad = ferrograd.ones(2)
    nn.utils.clip_grad_norm_((x for x in [q]), 10.0)
    assert q.grad.tolist() == [1.0, 1.0]
    empty = nn.utils.clip_grad_norm_([nn.Parameter(ferrograd.ones(1))], 1.0)
    assert repr(empty) == repr(torch_ref.nn.utils.clip_grad_norm_([torch_ref.nn.Parameter(torch_ref.ones(1))], 1.0))


def test_clip_grad_norm_nonfinite(torch_ref):
    def clip(lib):
        p = lib.nn.Parameter(lib.ones(2))
        p.grad = lib.tensor([float("inf"), 1.0])
        lib.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)

    same_exception(clip, ferrograd, torch_ref)
    p = nn.Parameter(ferrograd.ones(2))
    p.grad = ferrograd.tensor([float("nan"), 1.0])
    assert np.isnan(nn.utils.clip_grad_norm_([p], 1.0).item())


def test_clip_grad_value_matches_pytorch(torch_ref):
    ours, ref = grads_for(ferrograd, 3.0), grads_for(torch_ref, 3.0)
    assert nn.utils.clip_grad_value_(ours, 1.5) is None
    torch_ref.nn.utils.clip_grad_value_(ref, 1.5)
    for p, q in zip(ours, ref):
        if q.grad is not None:
            np.testing.assert_array_equal(to_numpy(p.grad), to_numpy(q.grad))


def test_clipping_does_not_record_a_graph():
    p = nn.Parameter(ferrograd.ones(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reference-cycle advice for create_graph with .grad
        (p * p).sum().backward(create_graph=True)
    nn.utils.clip_grad_norm_([p], 0.1)
    assert p.grad.grad_fn is not None  # still the create_graph result, scaled in place under no_grad
    assert np.allclose(np.linalg.norm(to_numpy(p.grad)), 0.1, rtol=1e-5)


@pytest.mark.usefixtures("constant_init")
def test_parameters_to_vector_and_back(torch_ref):
    def build(L):
        return L.nn.Sequential(L.nn.Linear(3, 2), L.nn.Linear(2, 1, bias=False))

    reference = build(torch_ref)
    vector = torch_ref.nn.utils.parameters_to_vector(reference.parameters())
    model = build(ferrograd)
    copy_state(model, reference)
    ours_vector = nn.utils.parameters_to_vector(model.parameters())
    np.testing.assert_array_equal(to_numpy(ours_vector), to_numpy(vector))
    assert ours_vector.requires_grad
    ours_vector.sum().backward()
    assert all(p.grad.tolist() == ferrograd.ones_like(p).tolist() for p in model.parameters())

    fresh = np.arange(vector.numel(), dtype=np.float32)
    nn.utils.vector_to_parameters(ferrograd.from_numpy(fresh), model.parameters())
    torch_ref.nn.utils.vector_to_parameters(torch_ref.from_numpy(fresh.copy()), reference.parameters())
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_array_equal(to_numpy(p), to_numpy(q))
        assert p.is_leaf and p.requires_grad
    same_exception(lambda L: L.nn.utils.vector_to_parameters([1.0], []), ferrograd, torch_ref, adapt=torch_typenames)
