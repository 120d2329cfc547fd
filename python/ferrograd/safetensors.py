"""The safetensors format, with the API of ``safetensors.torch``.

Layout: an 8-byte little-endian header length ``n``; ``n`` bytes of JSON
(padded with spaces to a multiple of 8) mapping each tensor name to its
``dtype``, ``shape`` and ``data_offsets`` ``[begin, end)`` in the data that
follows, plus an optional ``"__metadata__"`` of string pairs; then the raw
little-endian tensor data.  Tensors are laid out by decreasing dtype
alignment, then by name, as the reference implementation does, so the bytes
equal ``safetensors.torch.save``'s.

Like ``safetensors.torch``, saving refuses non-contiguous tensors and tensors
whose memory overlaps.  Loading validates the header completely before any
tensor is built; a malformed file raises :class:`SafetensorError`.
"""

import json
import os
import struct

import numpy as np

import ferrograd
from . import _tensor_bytes
from ._tensor_bytes import BY_SAFETENSORS_CODE

__all__ = ["SafetensorError", "save", "save_file", "load", "load_file"]

# The reference implementation refuses headers above this size.
MAX_HEADER_SIZE = 100_000_000
_HEADER_LENGTH_BYTES = 8
_METADATA_KEY = "__metadata__"
# Layout order: larger (more aligned) dtypes first, as the reference sorts.
_LAYOUT_RANK = {"I64": 0, "F64": 1, "F32": 2, "I32": 3, "BF16": 4, "F16": 5, "I16": 6, "I8": 7, "U8": 8, "BOOL": 9}
# Dtypes of the format that ferrograd has no tensor type for.
_FOREIGN_DTYPES = {"F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "U16", "U32",
                   "U64", "C64"}


class SafetensorError(Exception):
    """A safetensors buffer that cannot be read."""


# ---------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------


def _check_tensors_for_save(tensors):
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, torch.Tensor] but received {type(tensors)}")
    for name, tensor in tensors.items():
        if not isinstance(tensor, ferrograd.Tensor):
            raise ValueError(f"Key `{name}` is invalid, expected torch.Tensor but received {type(tensor)}")
    overlapping = _overlapping_groups(tensors)
    if overlapping:
        raise RuntimeError(
            "Some tensors share memory, this will lead to duplicate memory on disk and potential differences "
            f"when loading them again: {overlapping}.\n"
            "Save each shared tensor once (for example the full tensor) and reslice at load time."
        )
    for name, tensor in tensors.items():
        if tensor.numel() > 0 and not tensor.is_contiguous():
            raise ValueError(
                f"You are trying to save a non contiguous tensor: `{name}` which is not allowed. It either means you"
                " are trying to save tensors which are reference of each other in which case it's recommended to save"
                " only the full tensors, and reslice at load time, or simply call `.contiguous()` on your tensor to"
                " pack it before saving."
            )


def _storage_key(tensor):
    """Equal for tensors on one storage.

    ``data_ptr`` identifies a storage (plus the element offset), but it is not
    a memory address comparable across storages, so spans are compared only
    among tensors sharing a base.
    """
    base = tensor._base if tensor._base is not None else tensor
    return base.data_ptr()


def _memory_span(tensor):
    """``[start, stop)`` in ``data_ptr`` units: byte positions within the tensor's storage."""
    start = tensor.data_ptr()
    itemsize = tensor.element_size()
    last = sum((n - 1) * s for n, s in zip(tensor.shape, tensor.stride()))
    return start, start + (last + 1) * itemsize


def _overlapping_groups(tensors):
    """Sets of names whose tensors overlap in memory (views of one another)."""
    by_storage = {}
    for name, tensor in tensors.items():
        if tensor.numel() > 0:
            by_storage.setdefault(_storage_key(tensor), []).append((*_memory_span(tensor), name))
    groups = []
    for spans in by_storage.values():
        current, current_stop = None, None
        for start, stop, name in sorted(spans):
            if current is not None and start < current_stop:
                current.add(name)
                current_stop = max(current_stop, stop)
            else:
                current, current_stop = {name}, stop
                groups.append(current)
    return [group for group in groups if len(group) > 1]


def _check_metadata(metadata):
    if metadata is None:
        return
    if not isinstance(metadata, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in metadata.items()
    ):
        raise TypeError("metadata must be a dict of str to str")


def save(tensors, metadata=None):
    """The safetensors bytes of ``tensors`` (a dict of name to tensor)."""
    _check_tensors_for_save(tensors)
    _check_metadata(metadata)
    entries = []
    for name, tensor in tensors.items():
        info = _tensor_bytes.dtype_info(tensor.dtype)
        entries.append((_LAYOUT_RANK[info.safetensors_code], name, info, tensor))
    entries.sort(key=lambda entry: (entry[0], entry[1]))

    header = {}
    if metadata is not None:
        header[_METADATA_KEY] = metadata
    chunks, offset = [], 0
    for _, name, info, tensor in entries:
        data = _tensor_bytes.contiguous_bytes(tensor).reshape(-1).view(np.uint8)
        header[name] = {
            "dtype": info.safetensors_code,
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + data.nbytes],
        }
        chunks.append(data)
        offset += data.nbytes

    header_bytes = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    return b"".join([struct.pack("<Q", len(header_bytes)), header_bytes, *(bytes(chunk) for chunk in chunks)])


def save_file(tensors, filename, metadata=None):
    """Write ``tensors`` to ``filename`` in the safetensors format."""
    data = save(tensors, metadata)
    with open(filename, "wb") as file:
        file.write(data)


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def _read_header(data):
    """The parsed and fully validated header, and where the tensor data starts."""
    if len(data) < _HEADER_LENGTH_BYTES:
        raise SafetensorError("Error while deserializing header: HeaderTooSmall")
    (header_length,) = struct.unpack_from("<Q", data, 0)
    if header_length > MAX_HEADER_SIZE:
        raise SafetensorError(f"Error while deserializing header: HeaderTooLarge ({header_length} bytes)")
    data_start = _HEADER_LENGTH_BYTES + header_length
    if data_start > len(data):
        raise SafetensorError("Error while deserializing header: InvalidHeaderLength")
    try:
        text = bytes(data[_HEADER_LENGTH_BYTES:data_start]).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SafetensorError(f"Error while deserializing header: InvalidHeader (not UTF-8: {exc})") from None
    if not text.startswith("{"):
        raise SafetensorError("Error while deserializing header: InvalidHeaderStart")
    try:
        header = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SafetensorError(f"Error while deserializing header: InvalidHeaderDeserialization ({exc})") from None
    if not isinstance(header, dict):
        raise SafetensorError("Error while deserializing header: InvalidHeaderDeserialization")
    metadata = header.pop(_METADATA_KEY, None)
    if metadata is not None and not (
        isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())
    ):
        raise SafetensorError("Error while deserializing header: __metadata__ must map strings to strings")
    entries = [_parse_entry(name, entry) for name, entry in header.items()]
    _check_coverage(entries, len(data) - data_start)
    return entries, data_start


def _is_index(value):
    return type(value) is int and value >= 0


def _parse_entry(name, entry):
    if not isinstance(entry, dict):
        raise SafetensorError(f"Error while deserializing header: entry for tensor {name!r} is not an object")
    code, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if code in _FOREIGN_DTYPES:
        raise SafetensorError(f"tensor {name!r} has dtype {code}, which ferrograd does not support")
    info = BY_SAFETENSORS_CODE.get(code) if isinstance(code, str) else None
    if info is None:
        raise SafetensorError(f"Error while deserializing header: tensor {name!r} has unknown dtype {code!r}")
    if not isinstance(shape, list) or not all(_is_index(n) for n in shape):
        raise SafetensorError(f"Error while deserializing header: tensor {name!r} has an invalid shape {shape!r}")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_index(o) for o in offsets):
        raise SafetensorError(f"Error while deserializing header: tensor {name!r} has invalid data_offsets")
    begin, end = offsets
    numel = 1
    for n in shape:
        numel *= n
    if end < begin or (end - begin) != numel * info.itemsize:
        raise SafetensorError(
            f"Error while deserializing header: TensorInvalidInfo (tensor {name!r} of shape {shape} and dtype "
            f"{code} cannot occupy bytes [{begin}, {end}))"
        )
    return name, info, tuple(shape), begin, end


def _check_coverage(entries, data_length):
    """Tensors must tile the data exactly: no gaps, no overlaps, nothing past the end."""
    position = 0
    for name, _, _, begin, end in sorted(entries, key=lambda e: (e[3], e[4])):
        if begin != position:
            raise SafetensorError(f"Error while deserializing header: InvalidOffset(\"{name}\")")
        position = end
    if position != data_length:
        raise SafetensorError("Error while deserializing header: MetadataIncompleteBuffer")


def load(data):
    """Tensors from safetensors bytes, as a dict of name to tensor."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"expected bytes, got {type(data).__name__}")
    entries, data_start = _read_header(data)
    tensors = {}
    for name, info, shape, begin, end in sorted(entries, key=lambda e: e[3]):
        raw = np.frombuffer(bytearray(data[data_start + begin:data_start + end]), dtype=info.numpy_dtype)
        if info.dtype_name == "bool":
            raw = _tensor_bytes.bool_bytes_sanitized(raw.view(np.uint8)).view(np.bool_)
        tensors[name] = _tensor_bytes.tensor_from_numpy(raw.reshape(shape), info)
    return tensors


def load_file(filename, device="cpu"):
    """Tensors from a safetensors file, as a dict of name to tensor."""
    if str(device) != "cpu":
        raise NotImplementedError(f"ferrograd tensors live on the CPU; cannot load to {device}")
    with open(os.fspath(filename), "rb") as file:
        data = file.read()
    return load(data)
