"""Devices: every tensor reports where it lives; the wgpu device holds
tensors where an adapter exists and is refused with a clear error elsewhere
(its ops are tested in test_wgpu_ops.py)."""

import pytest

import ferrograd


def test_tensors_live_on_the_cpu(torch_ref):
    for L in (torch_ref, ferrograd):
        t = L.ones(2)
        assert t.device == L.device("cpu") and str(t.device) == "cpu" and not t.is_cuda
        assert repr(t.to("cpu").device) == "device(type='cpu')"


def test_wgpu_device_strings_parse():
    d = ferrograd.device("wgpu:1")
    assert (d.type, d.index, str(d)) == ("wgpu", 1, "wgpu:1")
    assert repr(ferrograd.device("wgpu")) == "device(type='wgpu')"


@pytest.mark.parametrize("target", ["wgpu", "wgpu:0", ferrograd.device("wgpu")])
def test_wgpu_places_tensors_or_is_refused_with_a_clear_error(target):
    if ferrograd.wgpu.is_available():
        assert str(ferrograd.ones(2).to(target).device) == "wgpu:0"
        assert str(ferrograd.zeros(2, device=target).device) == "wgpu:0"
        return
    with pytest.raises(RuntimeError, match="wgpu"):
        ferrograd.ones(2).to(target)
    with pytest.raises(RuntimeError, match="wgpu"):
        ferrograd.zeros(2, device=target)


def test_a_wgpu_index_past_the_devices_is_refused():
    with pytest.raises(RuntimeError, match="wgpu"):
        ferrograd.ones(2).to("wgpu:7")


def test_unknown_device_types_are_refused_as_pytorch_words_it(torch_ref):
    for L in (torch_ref, ferrograd):
        with pytest.raises(RuntimeError, match="Expected one of cpu"):
            L.ones(2).to("tpu")
