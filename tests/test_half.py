"""float16 / bfloat16: storage, casting both ways, printing, numpy, and the
clear error ops raise on them (arithmetic runs after a cast to float32)."""

import struct

import numpy as np
import pytest

import ferrograd as torch

VALUES = [1.0, 2.5, -3.25, 1e-3, 65504.0, 1e5, -0.0, 3.14159]


def bfloat16_round(v):
    """Round-to-nearest-even of a float32 to its top 16 bits."""
    bits = struct.unpack("<I", struct.pack("<f", v))[0]
    bits += 0x7FFF + ((bits >> 16) & 1)
    return struct.unpack("<f", struct.pack("<I", (bits >> 16) << 16))[0]


def test_float16_values_round_like_numpy():
    h = torch.tensor(VALUES).half()
    assert h.dtype is torch.float16 and torch.half is torch.float16
    with np.errstate(over="ignore"):  # 1e5 is past float16's range: inf, as in PyTorch
        expected = np.array(VALUES, dtype=np.float32).astype(np.float16).astype(np.float64)
    assert h.tolist() == expected.tolist()
    assert h.float().tolist() == expected.tolist()


def test_bfloat16_values_round_to_nearest_even():
    b = torch.tensor(VALUES).bfloat16()
    assert b.dtype is torch.bfloat16
    assert b.tolist() == [bfloat16_round(v) for v in np.array(VALUES, dtype=np.float32).tolist()]


def test_dtype_objects_and_creation():
    assert torch.float16.itemsize == 2 and torch.bfloat16.is_floating_point
    assert torch.zeros(2, dtype=torch.float16).tolist() == [0.0, 0.0]
    assert torch.ones(2, dtype=torch.bfloat16).dtype is torch.bfloat16
    assert torch.arange(3, dtype=torch.float16).tolist() == [0.0, 1.0, 2.0]
    assert torch.tensor([0.5], dtype=torch.float16).to(torch.float64).dtype is torch.float64
    assert torch.tensor([1.0], dtype=torch.float16).type_as(torch.zeros(1)).dtype is torch.float32


def test_promotion_between_halves_goes_to_float32():
    h = torch.ones(2, dtype=torch.float16)
    b = torch.ones(2, dtype=torch.bfloat16)
    assert (h.float() + b).dtype is torch.float32
    assert (torch.ones(2, dtype=torch.float64) + h).dtype is torch.float64
    # Comparisons cast both sides to the common type first: neither 16-bit format holds the other.
    assert (h == b).tolist() == [True, True] and (h > 0.5).tolist() == [True, True]


def test_numpy_round_trip():
    h = torch.tensor([1.5, 2.25, -0.125]).half()
    arr = h.numpy()
    assert arr.dtype == np.float16 and arr.tolist() == [1.5, 2.25, -0.125]
    back = torch.from_numpy(np.array([1.5, 2.25], dtype=np.float16))
    assert back.dtype is torch.float16 and back.tolist() == [1.5, 2.25]
    with pytest.raises(TypeError):
        torch.ones(1, dtype=torch.bfloat16).numpy()


def test_gradient_flows_through_casts():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    h = w.half()
    assert type(h.grad_fn).__name__ == "ToCopyBackward0"
    (h.float() * torch.tensor([3.0, 4.0])).sum().backward()
    assert w.grad.dtype is torch.float32 and w.grad.tolist() == [3.0, 4.0]


def test_sums_accumulate_in_float32():
    h = torch.full((4096,), 0.1).half()
    expected = np.float16(np.float32(np.float16(0.1)) * 4096)
    assert h.sum().item() == float(expected)


def test_arithmetic_on_halves_names_the_dtype():
    h = torch.ones(2, dtype=torch.float16)
    with pytest.raises(RuntimeError, match="not implemented for 'Half'"):
        h * h
    with pytest.raises(RuntimeError, match="not implemented for 'BFloat16'"):
        h.bfloat16().exp()
    assert (h.float() * 2).tolist() == [2.0, 2.0]


def test_repr_matches_pytorch(torch_ref):
    for dtype, ref_dtype in ((torch.float16, torch_ref.float16), (torch.bfloat16, torch_ref.bfloat16)):
        ours = torch.tensor(VALUES).to(dtype)
        theirs = torch_ref.tensor(VALUES).to(ref_dtype)
        assert repr(ours) == repr(theirs)
        assert ours.tolist() == theirs.tolist()
