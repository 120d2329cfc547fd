"""Anomaly detection and inference mode."""

import math

import pytest

import ferrograd as torch


def nan_backward(T):
    # sqrt'(0) is inf and 0 * inf is NaN: the NaN first appears in MulBackward0's output.
    x = T.tensor([0.0, 1.0], requires_grad=True)
    y = x.sqrt() * 0.0
    return x, y.sum()


def test_nan_passes_silently_without_anomaly_detection():
    x, loss = nan_backward(torch)
    loss.backward()
    assert math.isnan(x.grad[0].item())


def test_anomaly_detection_names_the_backward_function():
    x, loss = nan_backward(torch)
    with torch.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values in its 0th output."):
            loss.backward()
    assert not torch.is_anomaly_enabled()


def test_anomaly_message_matches_pytorch(torch_ref):
    x, loss = nan_backward(torch_ref)
    with pytest.warns(UserWarning), torch_ref.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as theirs:
            loss.backward()
    x, loss = nan_backward(torch)
    with torch.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as ours:
            loss.backward()
    assert str(ours.value) == str(theirs.value)


def test_set_detect_anomaly_works_as_a_call_and_a_context():
    torch.autograd.set_detect_anomaly(True)
    try:
        assert torch.is_anomaly_enabled()
    finally:
        torch.autograd.set_detect_anomaly(False)
    with torch.autograd.set_detect_anomaly(True):
        assert torch.is_anomaly_enabled()
    assert not torch.is_anomaly_enabled()


def test_inference_mode_records_nothing_and_still_bumps_versions():
    x = torch.ones(3, requires_grad=True)
    buf = torch.zeros(3)
    with torch.inference_mode():
        assert torch.is_inference_mode_enabled() and not torch.is_grad_enabled()
        y = x * 2
        buf.add_(1)
    assert y.grad_fn is None and not y.requires_grad
    # As in PyTorch: a tensor made outside inference mode keeps counting
    # in-place changes, since it may have been saved for backward.
    assert buf._version == 1 and buf.tolist() == [1.0, 1.0, 1.0]
    assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()


def test_inference_mode_as_decorator_and_disabled():
    @torch.inference_mode()
    def f(x):
        return x * 2

    x = torch.ones(1, requires_grad=True)
    assert f(x).grad_fn is None
    with torch.inference_mode(False):
        assert (x * 2).grad_fn is not None


def test_version_bumps_outside_inference_mode():
    buf = torch.zeros(2)
    buf.add_(1)
    buf.mul_(2)
    assert buf._version == 2


def inference_inplace_then_backward(T):
    """Save `b` for backward, change it in place under inference mode, then
    run backward: (version after the change, error text or x.grad)."""
    x = T.ones(3, requires_grad=True)
    b = T.full((3,), 2.0)
    y = x * b
    with T.inference_mode():
        b.add_(1)
        b.mul_(2)
    try:
        y.sum().backward()
    except RuntimeError as e:
        return b._version, str(e)
    return b._version, x.grad.tolist()


def test_inplace_under_inference_mode_bumps_the_version_like_pytorch(torch_ref):
    theirs = inference_inplace_then_backward(torch_ref)
    ours = inference_inplace_then_backward(torch)
    assert theirs[0] == 2
    assert ours == theirs
