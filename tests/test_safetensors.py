"""ferrograd.safetensors against the reference ``safetensors`` package.

Bytes written here must equal ``safetensors.torch.save``'s for the same
tensors, files from ``safetensors.torch`` and ``safetensors.numpy`` must load
here, and every malformed header must raise ``SafetensorError``.
"""

import json
import random
import struct

import numpy as np
import pytest

import ferrograd as fg
from ferrograd.safetensors import SafetensorError, load, load_file, save, save_file

DTYPES = ("float32", "float64", "float16", "bfloat16", "int64", "bool")


def sample_array(dtype_name, shape, seed=0):
    rng = np.random.default_rng(seed)
    if dtype_name == "bool":
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if dtype_name == "int64":
        return rng.integers(-(2**50), 2**50, size=shape).astype(np.int64)
    return (rng.integers(-100, 100, size=shape) / 4).astype(np.float64)


def fg_tensor(array, dtype_name):
    return fg.from_numpy(np.ascontiguousarray(array)).to(getattr(fg, dtype_name))


def fg_values(tensor):
    return tensor.double().numpy() if tensor.is_floating_point() else tensor.numpy()


def sample_set(module, to_tensor):
    """Same tensors for both libraries: every dtype, a 0-d and an empty one, unicode names."""
    tensors = {}
    for i, dtype_name in enumerate(DTYPES):
        tensors[f"layer{i}.{dtype_name}"] = to_tensor(sample_array(dtype_name, (3, 2 + i), seed=i), dtype_name)
    tensors["scalar"] = to_tensor(sample_array("float32", (), seed=9), "float32")
    tensors["empty"] = to_tensor(np.zeros((0, 4)), "float32")
    tensors["zé"] = to_tensor(sample_array("int64", (2,), seed=10), "int64")
    tensors["a"] = to_tensor(sample_array("float16", (5,), seed=11), "float16")
    return tensors


def header_of(data):
    (length,) = struct.unpack_from("<Q", data, 0)
    return json.loads(data[8:8 + length])


def with_header(header, payload=b"", pad=True):
    text = json.dumps(header).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + payload


# ---------------------------------------------------------------------------
# against safetensors.torch
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def st_torch():
    pytest.importorskip("torch")
    return pytest.importorskip("safetensors.torch")


def torch_tensor(array, dtype_name):
    import torch

    return torch.from_numpy(np.ascontiguousarray(array)).to(getattr(torch, dtype_name))


@pytest.mark.parametrize("metadata", [None, {"note": "ünïcode"}])
def test_bytes_equal_safetensors_torch(st_torch, metadata):
    expected = st_torch.save(sample_set(None, torch_tensor), metadata=metadata)
    assert save(sample_set(fg, fg_tensor), metadata=metadata) == expected


def test_several_metadata_entries_equal_safetensors_torch(st_torch):
    # The reference keeps metadata in a hash map, so only the parsed header is comparable.
    metadata = {"format": "pt", "note": "x", "z": "last"}
    expected = st_torch.save(sample_set(None, torch_tensor), metadata=metadata)
    ours = save(sample_set(fg, fg_tensor), metadata=metadata)
    assert header_of(ours) == header_of(expected)
    assert len(ours) == len(expected)
    assert ours[-200:] == expected[-200:]


def test_files_from_safetensors_torch_load(st_torch, tmp_path):
    reference = sample_set(None, torch_tensor)
    path = tmp_path / "model.safetensors"
    st_torch.save_file(reference, str(path), metadata={"format": "pt"})
    loaded = load_file(path)
    assert loaded.keys() == reference.keys()
    for name, want in reference.items():
        got = loaded[name]
        assert str(got.dtype) == str(want.dtype), name
        assert tuple(got.shape) == tuple(want.shape), name
        np.testing.assert_array_equal(fg_values(got), want.double().numpy() if want.is_floating_point() else want.numpy())
        assert got.numel() == 0 or got.is_contiguous()


def test_files_from_ferrograd_load_in_safetensors_torch(st_torch, tmp_path):
    path = tmp_path / "ours.safetensors"
    save_file(sample_set(fg, fg_tensor), path, metadata={"k": "v"})
    loaded = st_torch.load_file(str(path))
    reference = sample_set(None, torch_tensor)
    import torch

    assert loaded.keys() == reference.keys()
    for name, want in reference.items():
        assert torch.equal(loaded[name], want), name


def test_overlapping_tensors_refused_like_safetensors_torch(st_torch):
    import torch

    base = torch.arange(6.0)
    with pytest.raises(RuntimeError, match="share memory"):
        st_torch.save({"a": base, "b": base[1:]})
    ours = fg.arange(6.0)
    with pytest.raises(RuntimeError, match="share memory"):
        save({"a": ours, "b": ours[1:]})
    # Disjoint slices of one tensor are fine in both.
    assert save({"a": ours[:3], "b": ours[3:]}) == st_torch.save({"a": base[:3], "b": base[3:]})


def test_non_contiguous_refused_like_safetensors_torch(st_torch):
    import torch

    with pytest.raises(ValueError) as expected:
        st_torch.save({"t": torch.zeros(2, 3).t()})
    with pytest.raises(ValueError) as got:
        save({"t": fg.zeros(2, 3).t()})
    assert str(got.value) == str(expected.value)


def test_bad_inputs_refused_like_safetensors_torch(st_torch):
    for bad in ([("a", 1)], {"a": [1.0]}):
        with pytest.raises(ValueError) as expected:
            st_torch.save(bad)
        with pytest.raises(ValueError) as got:
            save(bad)
        assert str(got.value).replace("torch.Tensor", "") == str(expected.value).replace("torch.Tensor", "")


# ---------------------------------------------------------------------------
# against safetensors.numpy
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def st_numpy():
    return pytest.importorskip("safetensors.numpy")


def test_numpy_files_load(st_numpy, tmp_path):
    arrays = {"f": np.arange(6, dtype=np.float32).reshape(2, 3), "d": np.array(2.5), "i": np.arange(3),
              "b": np.array([True, False]), "h": np.ones(2, dtype=np.float16)}
    path = tmp_path / "np.safetensors"
    st_numpy.save_file(arrays, str(path))
    loaded = load_file(str(path))
    for name, array in arrays.items():
        assert loaded[name].numpy().dtype == array.dtype
        np.testing.assert_array_equal(loaded[name].numpy(), array)


def test_ferrograd_bytes_load_in_safetensors_numpy(st_numpy):
    tensors = {"x": fg.arange(4.0), "y": fg.tensor([[1, 2], [3, 4]]), "z": fg.tensor([True])}
    loaded = st_numpy.load(save(tensors))
    for name, tensor in tensors.items():
        np.testing.assert_array_equal(loaded[name], tensor.numpy())


# ---------------------------------------------------------------------------
# round trips and validation (no reference package needed)
# ---------------------------------------------------------------------------


def test_round_trip_every_dtype():
    tensors = sample_set(fg, fg_tensor)
    loaded = load(save(tensors))
    for name, want in tensors.items():
        assert str(loaded[name].dtype) == str(want.dtype)
        np.testing.assert_array_equal(fg_values(loaded[name]), fg_values(want))


def test_layout_orders_by_dtype_then_name():
    header = header_of(save({"b": fg.zeros(1), "a": fg.zeros(1), "c": fg.zeros(1, dtype=fg.int64),
                             "d": fg.zeros(1, dtype=fg.bool)}))
    by_offset = sorted(header, key=lambda name: header[name]["data_offsets"][0])
    assert by_offset == ["c", "a", "b", "d"]


def test_loaded_tensors_are_independent_of_the_buffer():
    data = bytearray(save({"x": fg.ones(2)}))
    loaded = load(bytes(data))
    data[-1] = 0
    assert loaded["x"].tolist() == [1.0, 1.0]


VALID = {"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x01\x00\x00",
        struct.pack("<Q", 200_000_000) + b"{}",  # header over the size cap
        struct.pack("<Q", 2**64 - 1) + b"{}",
        struct.pack("<Q", 64) + b"{}",  # header length past the end
        struct.pack("<Q", 4) + b"\xff\xfe{}",  # not UTF-8
        struct.pack("<Q", 8) + b"[1,2,3] ",  # not an object
        struct.pack("<Q", 8) + b"{\"a\":   ",  # truncated JSON
        with_header({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4),  # short data
        with_header({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 12),  # data left over
        with_header({"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8),  # shape vs bytes
        with_header({"x": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12),  # gap at start
        with_header({"x": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, b"\0" * 8),  # reversed
        with_header({"x": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, b"\0" * 8),
        with_header({"x": {"dtype": "F32", "shape": [2.0], "data_offsets": [0, 8]}}, b"\0" * 8),
        with_header({"x": {"dtype": "F32", "shape": [True, 2], "data_offsets": [0, 8]}}, b"\0" * 8),
        with_header({"x": {"dtype": "F32", "shape": [2], "data_offsets": [-8, 0]}}, b"\0" * 8),
        with_header({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0]}}, b"\0" * 8),
        with_header({"x": {"dtype": "F33", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8),
        with_header({"x": {"dtype": 7, "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8),
        with_header({"x": {"shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8),
        with_header({"x": [1, 2]}, b""),
        with_header({**VALID, "y": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12),  # overlap
        with_header({**VALID, "y": {"dtype": "F32", "shape": [1], "data_offsets": [12, 16]}}, b"\0" * 16),  # hole
        with_header({**VALID, "__metadata__": {"k": 1}}, b"\0" * 8),
        with_header({**VALID, "__metadata__": [1]}, b"\0" * 8),
        with_header({"x": {"dtype": "F32", "shape": [2**62, 2**62], "data_offsets": [0, 8]}}, b"\0" * 8),
    ],
)
def test_malformed_buffers_raise_safetensor_error(data):
    with pytest.raises(SafetensorError):
        load(data)


def test_malformed_buffers_are_refused_by_the_reference_too(st_numpy):
    # The cases above are invalid for the reference implementation as well.
    for data in test_malformed_buffers_raise_safetensor_error.pytestmark[0].args[1]:
        with pytest.raises(Exception):
            st_numpy.load(data)


def test_dtype_ferrograd_lacks_is_named():
    data = with_header({"x": {"dtype": "U32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8)
    with pytest.raises(SafetensorError, match="U32"):
        load(data)


def test_unpadded_header_still_loads():
    data = with_header(VALID, np.array([1.5, 2.5], dtype=np.float32).tobytes(), pad=False)
    assert load(data)["x"].tolist() == [1.5, 2.5]


def test_bool_bytes_other_than_0_and_1_load_as_true():
    data = with_header({"b": {"dtype": "BOOL", "shape": [3], "data_offsets": [0, 3]}}, b"\x00\x05\x01")
    assert load(data)["b"].tolist() == [False, True, True]


def test_truncations_and_corruptions_raise_cleanly():
    data = save(sample_set(fg, fg_tensor), metadata={"m": "v"})
    (header_length,) = struct.unpack_from("<Q", data, 0)
    for cut in range(0, len(data), 5):
        with pytest.raises(SafetensorError):
            load(data[:cut])
    rng = random.Random(2024)
    for _ in range(500):
        corrupted = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            corrupted[rng.randrange(8 + header_length)] = rng.randrange(256)
        try:
            load(bytes(corrupted))
        except SafetensorError:
            pass


def test_save_rejects_bad_metadata():
    with pytest.raises(TypeError):
        save({"x": fg.ones(1)}, metadata={"k": 1})


def test_load_file_refuses_other_devices(tmp_path):
    path = tmp_path / "x.safetensors"
    save_file({"x": fg.ones(1)}, path)
    with pytest.raises(NotImplementedError):
        load_file(path, device="cuda")


def test_independent_tensors_never_count_as_shared():
    tensors = {f"t{i}": fg.zeros(50 + i) for i in range(200)}
    assert len(load(save(tensors))) == 200


def test_a_detached_alias_counts_as_shared(st_torch):
    import torch

    base = torch.ones(3)
    with pytest.raises(RuntimeError, match="share memory"):
        st_torch.save({"a": base, "b": base.detach()})
    ours = fg.ones(3)
    with pytest.raises(RuntimeError, match="share memory"):
        save({"a": ours, "b": ours.detach()})
