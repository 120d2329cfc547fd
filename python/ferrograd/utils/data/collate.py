"""Turning lists of samples into batches (``default_collate``) and numpy into tensors
(``default_convert``), with PyTorch's type rules."""

import collections.abc
import copy
import re

import numpy as np

import ferrograd

__all__ = ["default_collate", "default_convert"]

# numpy dtypes that are not numbers: bytes, str, unicode, object.
_NON_NUMERIC_NUMPY_DTYPE = re.compile(r"[SaUO]")

_UNSUPPORTED_ELEMENT = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _is_numpy_value(value):
    name = type(value).__name__
    return type(value).__module__ == "numpy" and name not in ("str_", "string_", "bytes_")


def default_convert(data):
    """Numpy arrays and scalars inside ``data`` become tensors; everything else stays."""
    if isinstance(data, ferrograd.Tensor):
        return data
    if _is_numpy_value(data):
        if isinstance(data, np.ndarray) and _NON_NUMERIC_NUMPY_DTYPE.search(data.dtype.str):
            return data
        # Through np.asarray so a float64 scalar stays float64.
        return ferrograd.as_tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(item) for item in data))
    if isinstance(data, tuple):
        return [default_convert(item) for item in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(item) for item in data])
    return data


def _rebuild_mapping(original, converted):
    """``converted`` in the mapping type of ``original`` when that type allows it."""
    try:
        if isinstance(original, collections.abc.MutableMapping):
            clone = copy.copy(original)
            clone.update(converted)
            return clone
        return type(original)(converted)
    except TypeError:
        return converted


def _rebuild_sequence(original, items):
    try:
        if isinstance(original, collections.abc.MutableSequence):
            clone = copy.copy(original)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(original)(items)
    except TypeError:
        return items


def _collate_numpy_arrays(batch):
    dtype = batch[0].dtype
    if _NON_NUMERIC_NUMPY_DTYPE.search(dtype.str):
        raise TypeError(_UNSUPPORTED_ELEMENT.format(dtype))
    return default_collate([ferrograd.as_tensor(array) for array in batch])


def _collate_numpy_scalars(batch):
    # Through one numpy array, so float64 scalars stay float64.
    return ferrograd.as_tensor(np.asarray(batch))


def default_collate(batch):
    """Stack a list of samples into a batch.

    tensors -> ``stack``; numpy arrays -> tensors, stacked; numpy scalars ->
    a tensor; float -> float64 tensor; int -> int64 tensor; bool -> bool
    tensor; str and bytes -> the list itself; mappings -> collated per key;
    namedtuples -> the same namedtuple of collated fields; other sequences ->
    transposed and collated position by position (tuples come back as lists).
    """
    elem = batch[0]
    if isinstance(elem, ferrograd.Tensor):
        return ferrograd.stack(batch, 0)
    if isinstance(elem, (np.ndarray, np.memmap)):
        return _collate_numpy_arrays(batch)
    if isinstance(elem, (np.bool_, np.number, np.object_)):
        return _collate_numpy_scalars(batch)
    if isinstance(elem, float):
        return ferrograd.tensor(batch, dtype=ferrograd.float64)
    if isinstance(elem, int):  # bool too: ``tensor`` gives bools a bool tensor
        return ferrograd.tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {key: default_collate([sample[key] for sample in batch]) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))  # tuples: str fields come back as tuples, as in PyTorch
        collated = [default_collate(samples) for samples in transposed]
        if isinstance(elem, tuple):
            return collated
        return _rebuild_sequence(elem, collated)
    raise TypeError(_UNSUPPORTED_ELEMENT.format(type(elem)))
