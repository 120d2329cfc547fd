"""``save`` and ``load`` in PyTorch's zip checkpoint format.

A checkpoint is an uncompressed zip archive::

    <name>/data.pkl                 pickle (protocol 2) of the object; tensors are
                                    torch._utils._rebuild_tensor_v2(storage, ...)
                                    calls whose storages are persistent ids
    <name>/.format_version          "1"
    <name>/.storage_alignment       "64"
    <name>/byteorder                "little"
    <name>/data/<key>               raw bytes of storage <key>, 64-byte aligned
    <name>/version                  "3"
    <name>/.data/serialization_id   40 decimal digits

Files written here load with ``torch.load(f, weights_only=True)``; files from
``torch.save`` load here.  Loading never runs code named by the file: the
unpickler only resolves the few globals a checkpoint of tensors, containers and
numbers needs, and every size, stride and offset is checked against the bytes
actually present before a tensor is built.
"""

import collections
import io
import os
import pickle
import secrets
import struct
import zipfile

import numpy as np

import ferrograd
from . import _tensor_bytes
from ._tensor_bytes import BY_DTYPE_NAME

__all__ = ["save", "load"]

_STORAGE_ALIGNMENT = 64
_PICKLE_PROTOCOL = 2
_DEFAULT_ARCHIVE_NAME = "archive"


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


class _TorchGlobal:
    """Pickles as the global ``module.name`` without that module being importable.

    The pickler below writes these straight as GLOBAL opcodes, so checkpoints can
    name ``torch._utils._rebuild_tensor_v2`` while torch is not installed.
    """

    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module = module
        self.name = name

    def __repr__(self):
        return f"<global {self.module}.{self.name}>"

    def __call__(self, *args):
        # Only ever pickled; pickle insists that a reduce function be callable.
        raise TypeError(f"{self.module}.{self.name} is a name written into checkpoints, not a function")


_REBUILD_TENSOR_V2 = _TorchGlobal("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _TorchGlobal("torch._utils", "_rebuild_parameter")
_TORCH_SIZE = _TorchGlobal("torch", "Size")
_STORAGE_CLASS = {info.dtype_name: _TorchGlobal("torch", info.torch_storage) for info in _tensor_bytes.DTYPES}
_TORCH_DTYPE = {name: _TorchGlobal("torch", name) for name in BY_DTYPE_NAME}


class _StorageToWrite:
    """One storage record: its key in the archive and the tensor whose bytes it holds."""

    __slots__ = ("key", "info", "numel", "source")

    def __init__(self, key, info, numel, source):
        self.key = key
        self.info = info
        self.numel = numel
        self.source = source

    def persistent_id(self):
        return ("storage", _STORAGE_CLASS[self.info.dtype_name], self.key, "cpu", self.numel)


class _TensorView:
    """A tensor as torch pickles it: a window (offset, size, stride) on a storage."""

    __slots__ = ("storage", "offset", "size", "stride", "requires_grad")

    def __init__(self, storage, offset, size, stride, requires_grad):
        self.storage = storage
        self.offset = offset
        self.size = size
        self.stride = stride
        self.requires_grad = requires_grad


def _contiguous_strides(size):
    strides, step = [], 1
    for dim in reversed(size):
        strides.append(step)
        step *= max(dim, 1)
    return tuple(reversed(strides))


class _StoragePlanner:
    """Assigns storages to tensors, sharing one record between views of one base."""

    def __init__(self):
        self.storages = []  # in key order
        # (data_ptr, dtype, numel) of a contiguous base -> its record.  data_ptr
        # names a storage and offset, so aliases of one base (detach()) share too.
        self._by_base = {}

    def _new_storage(self, info, numel, source):
        storage = _StorageToWrite(str(len(self.storages)), info, numel, source)
        self.storages.append(storage)
        return storage

    def view_of(self, tensor):
        info = _tensor_bytes.dtype_info(tensor.dtype)
        size = tuple(tensor.shape)
        shared = self._shared_view(tensor, info, size)
        if shared is not None:
            return shared
        storage = self._new_storage(info, tensor.numel(), tensor)
        return _TensorView(storage, 0, size, _contiguous_strides(size), tensor.requires_grad)

    def _shared_view(self, tensor, info, size):
        """The tensor as a window on its base's storage, or None when it is not one."""
        base = tensor._base if tensor._base is not None else tensor
        if tensor.numel() == 0 or base.numel() == 0 or not base.is_contiguous() or base.dtype != tensor.dtype:
            return None
        stride = tuple(tensor.stride())
        if any(s < 0 for s in stride):
            return None
        byte_offset = tensor.data_ptr() - base.data_ptr()
        if byte_offset < 0 or byte_offset % info.itemsize:
            return None
        offset = byte_offset // info.itemsize
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= base.numel():
            return None
        key = (base.data_ptr(), info.dtype_name, base.numel())
        storage = self._by_base.get(key)
        if storage is None:
            storage = self._new_storage(info, base.numel(), base)
            self._by_base[key] = storage
        return _TensorView(storage, offset, size, stride, tensor.requires_grad)


def _parameter_class():
    nn = getattr(ferrograd, "nn", None)
    return getattr(nn, "Parameter", None)


class _CheckpointPickler(pickle._Pickler):
    """The pure-Python pickler, taught to write torch's names for our objects."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, planner):
        super().__init__(file, protocol=_PICKLE_PROTOCOL)
        self._planner = planner
        self._parameter_class = _parameter_class()

    def _save_torch_global(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    dispatch[_TorchGlobal] = _save_torch_global

    def persistent_id(self, obj):
        if isinstance(obj, _StorageToWrite):
            return obj.persistent_id()
        return None

    def reducer_override(self, obj):
        if isinstance(obj, ferrograd.Tensor):
            return self._reduce_tensor(obj)
        if isinstance(obj, _TensorView):
            return _REBUILD_TENSOR_V2, (
                obj.storage, obj.offset, obj.size, obj.stride, obj.requires_grad, collections.OrderedDict()
            )
        if isinstance(obj, ferrograd.Size):
            return _TORCH_SIZE, (tuple(obj),)
        return NotImplemented

    def save(self, obj, save_persistent_id=True):
        # dtypes pickle as the global naming them (``torch.float16``); a reducer
        # cannot say "this global", so swap in the stand-in before saving.
        if isinstance(obj, ferrograd.dtype):
            obj = _TORCH_DTYPE[_tensor_bytes.dtype_info(obj).dtype_name]
        super().save(obj, save_persistent_id)

    def _reduce_tensor(self, tensor):
        if str(tensor.device) != "cpu":
            raise RuntimeError(f"cannot save a tensor on device {tensor.device}")
        view = self._planner.view_of(tensor)
        if self._parameter_class is not None and isinstance(tensor, self._parameter_class):
            # torch pickles a Parameter's data as a tensor that does not require grad
            view.requires_grad = False
            return _REBUILD_PARAMETER, (view, tensor.requires_grad, collections.OrderedDict())
        return _REBUILD_TENSOR_V2, (
            view.storage, view.offset, view.size, view.stride, view.requires_grad, collections.OrderedDict()
        )


class _AlignedZipWriter:
    """Writes stored (uncompressed) records whose data starts on a 64-byte boundary."""

    # Extra-field header id torch uses for its padding ("FB").
    _PADDING_FIELD_ID = 0x4246

    def __init__(self, file, archive_name):
        self._zip = zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True)
        self._start = self._zip.fp.tell()
        self._prefix = archive_name + "/"

    def write_record(self, name, data):
        name = self._prefix + name
        if isinstance(data, np.ndarray):
            data = data.reshape(-1).view(np.uint8)
        data = memoryview(data)
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED
        info.external_attr = 0o600 << 16
        info.file_size = data.nbytes
        info.extra = self._padding_for(name)
        with self._zip.open(info, mode="w", force_zip64=data.nbytes >= zipfile.ZIP64_LIMIT) as out:
            out.write(data)

    def _padding_for(self, name):
        # Local header: 30 fixed bytes, the name, then the extra field.
        header_end = self._zip.fp.tell() - self._start + 30 + len(name.encode("utf-8")) + 4
        pad = -header_end % _STORAGE_ALIGNMENT
        return struct.pack("<HH", self._PADDING_FIELD_ID, pad) + b"Z" * pad

    def close(self):
        self._zip.close()


def _archive_name(f):
    if isinstance(f, (str, os.PathLike)):
        stem = os.path.splitext(os.path.basename(os.fspath(f)))[0]
        if stem and "/" not in stem:
            return stem
    return _DEFAULT_ARCHIVE_NAME


def save(obj, f, pickle_module=None, pickle_protocol=_PICKLE_PROTOCOL, _use_new_zipfile_serialization=True):
    """Save ``obj`` to ``f`` (a path or a writable binary file) as ``torch.save`` does.

    Tensors that are views of one base tensor share one storage record, so they
    come back sharing memory.  Only the zip format is written.
    """
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("ferrograd.save writes only the zip checkpoint format")
    if pickle_module is not None:
        raise NotImplementedError("ferrograd.save uses its own pickler; pickle_module is not supported")
    if pickle_protocol != _PICKLE_PROTOCOL:
        raise NotImplementedError("ferrograd.save writes pickle protocol 2, as torch.save does by default")

    planner = _StoragePlanner()
    pickled = io.BytesIO()
    _CheckpointPickler(pickled, planner).dump(obj)

    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as file:
            _write_archive(file, _archive_name(f), pickled.getvalue(), planner.storages)
    else:
        _write_archive(f, _archive_name(f), pickled.getvalue(), planner.storages)


def _write_archive(file, archive_name, pickled, storages):
    writer = _AlignedZipWriter(file, archive_name)
    try:
        writer.write_record("data.pkl", pickled)
        writer.write_record(".format_version", b"1")
        writer.write_record(".storage_alignment", str(_STORAGE_ALIGNMENT).encode())
        writer.write_record("byteorder", b"little")
        for storage in storages:
            writer.write_record(f"data/{storage.key}", _tensor_bytes.contiguous_bytes(storage.source))
        writer.write_record("version", b"3\n")
        writer.write_record(".data/serialization_id", _serialization_id())
    finally:
        writer.close()


def _serialization_id():
    return "".join(str(secrets.randbelow(10)) for _ in range(40)).encode()


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------

from ._checkpoint_reader import load  # noqa: E402,F401  (reading lives in its own module)
