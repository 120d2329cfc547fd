"""Reading PyTorch zip checkpoints without trusting them.

The file is hostile until proven otherwise:

* the pickle is run by the pure-Python unpickler (its memo is a dict, so a
  huge memo index cannot force a huge allocation), and ``find_class`` resolves
  only an explicit allowlist of globals;
* a storage record must be stored uncompressed and hold exactly
  ``numel * itemsize`` bytes, so nothing is allocated beyond the file's size;
* every tensor's offset, sizes and strides are checked, in Python integers,
  against its storage before numpy is asked for a view.
"""

import _compat_pickle
import collections
import io
import os
import pickle
import struct
import zipfile

import numpy as np

import ferrograd
from . import _tensor_bytes
from ._tensor_bytes import BY_DTYPE_NAME

__all__ = ["load"]

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
# Largest element count a view with zero strides may reach beyond its storage.
_MAX_EXPANDED_NUMEL = 1 << 24
# Errors the zip and struct layers raise on damaged archives.
_ZIP_ERRORS = (
    zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, struct.error, OverflowError, ValueError, NotImplementedError,
    OSError,
)
# Errors a damaged pickle provokes in the unpickler's own machinery (a wrong
# opcode argument, a short stack, a bad memo reference, ...).
_PICKLE_DAMAGE_ERRORS = (
    EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, struct.error,
    UnicodeDecodeError, MemoryError,
)


def _corrupt(message):
    return RuntimeError(f"ferrograd.load: {message}")


# ---------------------------------------------------------------------------
# The archive
# ---------------------------------------------------------------------------


class _Archive:
    """Records of a checkpoint zip, found under its single ``<name>/`` prefix."""

    def __init__(self, file, file_size):
        try:
            self._zip = zipfile.ZipFile(file, mode="r")
            names = self._zip.namelist()
        except _ZIP_ERRORS as exc:
            raise _corrupt(f"not a readable zip archive ({exc})") from exc
        self._file_size = file_size
        pickles = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise _corrupt("archive has no single '<name>/data.pkl' record; not a torch.save checkpoint")
        self._prefix = pickles[0][: -len("data.pkl")]
        self._infos = {}
        for info in self._zip.infolist():
            self._infos.setdefault(info.filename, info)
        self.big_endian = self._read_byteorder()

    def _read_byteorder(self):
        if not self.has("byteorder"):
            return False
        order = self.read("byteorder")
        if order not in (b"little", b"big"):
            raise _corrupt(f"unknown byteorder record {bytes(order[:20])!r}")
        return order == b"big"

    def has(self, name):
        return self._prefix + name in self._infos

    def read(self, name, expected_size=None):
        info = self._infos.get(self._prefix + name)
        if info is None:
            raise _corrupt(f"record '{self._prefix + name}' is missing from the archive")
        if info.compress_type != zipfile.ZIP_STORED:
            raise _corrupt(f"record '{info.filename}' is compressed; checkpoints store records uncompressed")
        if info.file_size > self._file_size or info.compress_size != info.file_size:
            raise _corrupt(f"record '{info.filename}' claims {info.file_size} bytes, more than the file holds")
        if expected_size is not None and info.file_size != expected_size:
            raise _corrupt(
                f"record '{info.filename}' holds {info.file_size} bytes but its storage needs {expected_size}"
            )
        data = bytearray(info.file_size)  # writable, so tensors can share it without a copy
        try:
            with self._zip.open(info) as record:
                filled = record.readinto(data)
                # reading on to the end makes zipfile check the CRC
                trailing = record.read(1)
        except _ZIP_ERRORS as exc:
            raise _corrupt(f"record '{info.filename}' cannot be read ({exc})") from exc
        if filled != info.file_size or trailing:
            raise _corrupt(f"record '{info.filename}' is truncated")
        return data

    def close(self):
        self._zip.close()


# ---------------------------------------------------------------------------
# Storages and tensors
# ---------------------------------------------------------------------------


class _StorageKind:
    """What ``torch.FloatStorage`` and friends unpickle to: just a dtype."""

    __slots__ = ("info",)

    def __init__(self, info):
        self.info = info


class _LoadedStorage:
    """A storage record's elements as a flat numpy array (uint16 for bfloat16)."""

    __slots__ = ("info", "array")

    def __init__(self, info, array):
        self.info = info
        self.array = array


def _check_int(value, what, minimum=0):
    if type(value) is not int:  # bool is not a size
        raise pickle.UnpicklingError(f"{what} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise pickle.UnpicklingError(f"{what} must be >= {minimum}, got {value}")
    return value


def _check_int_tuple(values, what):
    if not isinstance(values, tuple):
        raise pickle.UnpicklingError(f"{what} must be a tuple, got {type(values).__name__}")
    return tuple(_check_int(v, f"{what}[{i}]") for i, v in enumerate(values))


def _check_window(storage_numel, offset, size, stride):
    """Raise unless every element the view can address lies inside the storage."""
    if len(size) != len(stride):
        raise pickle.UnpicklingError(f"tensor has {len(size)} sizes but {len(stride)} strides")
    if any(n == 0 for n in size):
        if offset > storage_numel:
            raise pickle.UnpicklingError(f"storage offset {offset} is past the end of a storage of {storage_numel}")
        return
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= storage_numel:
        raise pickle.UnpicklingError(
            f"tensor of size {list(size)}, stride {list(stride)} and offset {offset} reads element {last} "
            f"of a storage of {storage_numel} elements"
        )


def _check_expansion(storage_numel, size):
    """Refuse a huge tensor made of few stored elements (zero strides).

    Such a view costs nothing to build but any copy of it allocates its full
    size, so a tiny file could demand terabytes.  Modest expansions load.
    """
    numel = 1
    for n in size:
        numel *= n
    if numel > max(storage_numel, _MAX_EXPANDED_NUMEL):
        raise pickle.UnpicklingError(
            f"tensor of size {list(size)} ({numel} elements) repeats a storage of only {storage_numel} elements; "
            "refusing to load it"
        )


def _tensor_from_storage(storage, offset, size, stride):
    array = storage.array
    itemsize = array.dtype.itemsize
    if any(n == 0 for n in size):
        window = np.empty(size, dtype=array.dtype)
    else:
        window = np.lib.stride_tricks.as_strided(
            array[offset:], shape=size, strides=tuple(s * itemsize for s in stride), writeable=True
        )
    return _tensor_bytes.tensor_from_numpy(window, storage.info)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    if not isinstance(storage, _LoadedStorage):
        raise pickle.UnpicklingError("_rebuild_tensor_v2 expects a storage as its first argument")
    offset = _check_int(storage_offset, "storage offset")
    size = _check_int_tuple(tuple(size) if isinstance(size, ferrograd.Size) else size, "size")
    stride = _check_int_tuple(stride, "stride")
    if type(requires_grad) is not bool:
        raise pickle.UnpicklingError("requires_grad must be a bool")
    if backward_hooks:
        raise pickle.UnpicklingError("checkpoints with backward hooks are not supported")
    if metadata:
        raise pickle.UnpicklingError("tensor metadata in checkpoints is not supported")
    _check_window(storage.array.shape[0], offset, size, stride)
    _check_expansion(storage.array.shape[0], size)
    tensor = _tensor_from_storage(storage, offset, size, stride)
    if requires_grad:
        _require_grad(tensor)
    return tensor


def _require_grad(tensor):
    if not tensor.is_floating_point():
        raise pickle.UnpicklingError(f"a {tensor.dtype} tensor cannot require grad")
    tensor.requires_grad_(True)


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    if not isinstance(data, ferrograd.Tensor):
        raise pickle.UnpicklingError("_rebuild_parameter expects a tensor")
    if type(requires_grad) is not bool:
        raise pickle.UnpicklingError("requires_grad must be a bool")
    if backward_hooks or state:
        raise pickle.UnpicklingError("parameters with hooks or extra state are not supported")
    parameter_class = getattr(getattr(ferrograd, "nn", None), "Parameter", None)
    if parameter_class is not None:
        return parameter_class(data, requires_grad=requires_grad)
    if requires_grad:
        _require_grad(data)
    return data


def _size(dims=()):
    return ferrograd.Size(_check_int_tuple(tuple(dims) if isinstance(dims, list) else dims, "torch.Size"))


def _bytes_from_latin1(text, encoding="latin1"):
    # Protocol 2 pickles bytes as _codecs.encode(str, "latin1"); nothing else is allowed.
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("_codecs.encode is allowed only for latin1 bytes")
    return text.encode("latin1")


def _bytearray(source, *encoding):
    # bytearray(n) would allocate n zero bytes; checkpoints only ever pickle contents.
    if not isinstance(source, (str, bytes)):
        raise pickle.UnpicklingError("bytearray is allowed only from bytes or a string")
    return bytearray(source, *encoding)


def _device(*args):
    return ferrograd.device(*args)


_ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("collections", "Counter"): collections.Counter,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch", "Size"): _size,
    ("torch", "device"): _device,
    ("_codecs", "encode"): _bytes_from_latin1,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "bytearray"): _bytearray,
    ("builtins", "complex"): complex,
}
for _info in _tensor_bytes.DTYPES:
    _ALLOWED_GLOBALS[("torch", _info.torch_storage)] = _StorageKind(_info)
del _info


# BUILD (setting state on an object) is how state_dict()'s OrderedDict carries
# its ``_metadata`` attribute; nothing else in a checkpoint needs it.
_BUILDABLE_TYPES = (collections.OrderedDict, collections.Counter)


class _RestrictedUnpickler(pickle._Unpickler):
    dispatch = pickle._Unpickler.dispatch.copy()

    def _load_build(self):
        state = self.stack.pop()
        instance = self.stack[-1]
        if type(instance) not in _BUILDABLE_TYPES or not isinstance(state, dict):
            raise pickle.UnpicklingError(
                f"ferrograd.load: setting state on a {type(instance).__name__} is not allowed in a checkpoint"
            )
        for key, value in state.items():
            if not isinstance(key, str):
                raise pickle.UnpicklingError("ferrograd.load: attribute names must be strings")
            instance.__dict__[key] = value

    dispatch[pickle.BUILD[0]] = _load_build

    def __init__(self, file, archive):
        super().__init__(file, encoding="utf-8")
        self._archive = archive
        self._storages = {}

    def find_class(self, module, name):
        if self.proto < 3:
            # Protocol 2 writes Python 2 names (__builtin__.set); read them as Python 3's.
            module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
            module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        found = _ALLOWED_GLOBALS.get((module, name))
        if found is not None:
            return found
        if module == "torch" and name in BY_DTYPE_NAME:
            return getattr(ferrograd, name)
        if module == "torch" and (name in _FOREIGN_STORAGE_DTYPES or name in _FOREIGN_DTYPE_NAMES):
            dtype_name = _FOREIGN_STORAGE_DTYPES.get(name, name)
            raise pickle.UnpicklingError(
                f"ferrograd.load: the checkpoint holds torch.{dtype_name} data, a dtype ferrograd does not support "
                f"(supported: {', '.join(BY_DTYPE_NAME)})"
            )
        raise pickle.UnpicklingError(
            f"Weights only load failed: ferrograd.load never runs code from a checkpoint. "
            f"Unsupported global: GLOBAL {module}.{name} is not an allowed global."
        )

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or len(pid) != 5:
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r:.100}")
        typename, kind, key, _location, numel = pid
        if isinstance(typename, bytes):
            typename = typename.decode("ascii", "replace")
        if typename != "storage" or not isinstance(kind, _StorageKind):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r:.100}")
        if not isinstance(key, str):
            raise pickle.UnpicklingError("storage key must be a string")
        numel = _check_int(numel, "storage size")
        cached = self._storages.get(key)
        if cached is not None:
            if cached.info is not kind.info or cached.array.shape[0] != numel:
                raise pickle.UnpicklingError(f"storage '{key}' is used with two different dtypes or sizes")
            return cached
        storage = self._load_storage(key, kind.info, numel)
        self._storages[key] = storage
        return storage

    def _load_storage(self, key, info, numel):
        raw = self._archive.read(f"data/{key}", expected_size=numel * info.itemsize)
        array = np.frombuffer(raw, dtype=info.numpy_dtype)
        if info.dtype_name == "bool":
            array = _tensor_bytes.bool_bytes_sanitized(array.view(np.uint8)).view(np.bool_)
        elif self._archive.big_endian and info.itemsize > 1:
            array = array.byteswap()
        return _LoadedStorage(info, array)


# Storage classes and dtypes of torch that ferrograd has no tensor type for,
# named in the refusal so the user knows which dtype to convert before saving.
_FOREIGN_STORAGE_DTYPES = {
    "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128",
    "QUInt8Storage": "quint8",
    "QInt8Storage": "qint8",
    "QInt32Storage": "qint32",
    "QUInt4x2Storage": "quint4x2",
    "QUInt2x4Storage": "quint2x4",
}
_FOREIGN_DTYPE_NAMES = {
    "uint16", "uint32", "uint64", "complex32", "complex64", "complex128",
    "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "quint8", "qint8", "qint32",
}


# ---------------------------------------------------------------------------
# load
# ---------------------------------------------------------------------------


def _check_map_location(map_location):
    if map_location is None:
        return
    if callable(map_location):
        raise NotImplementedError("ferrograd.load: a callable map_location is not supported")
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for target in targets:
        if str(target) != "cpu":
            raise NotImplementedError(f"ferrograd.load: ferrograd tensors live on the CPU; cannot map to {target}")


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Load an object saved by ``torch.save`` or ``ferrograd.save``.

    Whatever ``weights_only`` says, only tensors, parameters, ``torch.Size``,
    dtypes, containers and plain Python values are loaded; any other global in
    the pickle raises ``pickle.UnpicklingError`` naming it.  Tensors load on the
    CPU (``map_location`` may only name the CPU).  The legacy non-zip format is
    refused.
    """
    _check_map_location(map_location)
    if pickle_module is not None:
        raise NotImplementedError("ferrograd.load uses its own restricted unpickler; pickle_module is not supported")
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as file:
            return _load_file(file)
    return _load_file(f)


def _load_file(file):
    start = file.tell()
    magic = file.read(4)
    end = file.seek(0, io.SEEK_END)
    file.seek(start)
    if magic not in (_ZIP_MAGIC, _EMPTY_ZIP_MAGIC):
        if magic[:1] == b"\x80":
            raise RuntimeError(
                "ferrograd.load: this is a legacy (pre-zip) torch checkpoint, which ferrograd cannot read; "
                "re-save it with a recent torch.save"
            )
        raise RuntimeError("ferrograd.load: not a torch checkpoint (expected a zip archive)")
    archive = _Archive(file, end - start)
    try:
        pickled = archive.read("data.pkl")
        unpickler = _RestrictedUnpickler(io.BytesIO(pickled), archive)
        try:
            return unpickler.load()
        except _PICKLE_DAMAGE_ERRORS as exc:
            raise pickle.UnpicklingError(
                f"ferrograd.load: corrupt pickle in checkpoint ({type(exc).__name__}: {exc})"
            ) from exc
    finally:
        archive.close()
