"""Devices: every tensor reports where it lives; the wgpu device is named
and refused with a clear error until it can hold tensors."""

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
def test_wgpu_is_refused_with_a_clear_error(target):
    with pytest.raises(RuntimeError, match="wgpu"):
        ferrograd.ones(2).to(target)
    with pytest.raises(RuntimeError, match="wgpu"):
        ferrograd.zeros(2, device=target)


def test_unknown_device_types_are_refused_as_pytorch_words_it(torch_ref):
    for L in (torch_ref, ferrograd):
        with pytest.raises(RuntimeError, match="Expected one of cpu"):
            L.ones(2).to("tpu")
