"""sort, argsort, msort, topk, kthvalue and median.

The order is found on the host with numpy's stable argsort, outside the
graph; the values are then ``gather``-ed from the input, so autograd
differentiates them through gather (the gradient goes back to the chosen
positions), exactly as PyTorch's SortBackward does.
"""

import numpy as np

from . import _ferrograd as _C
from . import return_types

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median"]


def _dim(input, dim):
    ndim = max(input.dim(), 1)
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})")
    return dim % ndim


def _order(input, dim, descending):
    """Indices that sort ``input`` along ``dim``, ties in their original
    order, NaN above every number (last ascending, first descending)."""
    values = input.detach().cpu().numpy()
    if values.ndim == 0:
        return np.zeros((), dtype=np.int64)
    if not descending:
        return np.argsort(values, axis=dim, kind="stable").astype(np.int64)
    # Descending and stable: sort the reversed line ascending, then reverse
    # the result; ties come out in increasing original position.
    flipped = np.flip(values, axis=dim)
    order = np.flip(np.argsort(flipped, axis=dim, kind="stable"), axis=dim)
    return (values.shape[dim] - 1 - order).astype(np.int64)


def _indices(input, order):
    return _C.tensor(order, dtype=_C.int64, device=input.device)


def _take(input, dim, order):
    indices = _indices(input, order)
    if input.dim() == 0:
        return input.clone(), indices
    return input.gather(dim, indices), indices


def sort(input, dim=-1, descending=False, stable=False):
    """Sorted values and their indices along ``dim``. The sort is always
    stable, which satisfies ``stable=False`` too."""
    dim = _dim(input, dim)
    values, indices = _take(input, dim, _order(input, dim, descending))
    return return_types.sort((values, indices))


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices ``sort`` would return."""
    dim = _dim(input, dim)
    return _indices(input, _order(input, dim, descending))


def msort(input):
    """``sort(input, dim=0).values``."""
    return sort(input, dim=0).values


def _check_k(input, k, dim, low):
    size = input.shape[dim] if input.dim() > 0 else 1
    if not low <= k <= size:
        raise RuntimeError("selected index k out of range" if low == 0 else
                           f"kthvalue(): selected number k out of range for dimension {dim}")


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) values along ``dim`` and their indices,
    in sorted order."""
    dim = _dim(input, dim)
    _check_k(input, k, dim, 0)
    order = _order(input, dim, descending=largest)
    if input.dim() > 0:
        order = np.take(order, np.arange(k), axis=dim)
    values, indices = _take(input, dim, order)
    return return_types.topk((values, indices))


def _select(input, dim, keepdim, position):
    """The value at sorted ``position`` along ``dim``, and its index."""
    order = _order(input, dim, descending=False)
    if input.dim() > 0:
        order = np.take(order, [position], axis=dim)
    values, indices = _take(input, dim, order)
    if not keepdim and input.dim() > 0:
        values, indices = values.squeeze(dim), indices.squeeze(dim)
    return values, indices


def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest value along ``dim`` (counting from 1) and its index."""
    dim = _dim(input, dim)
    _check_k(input, k, dim, 1)
    return return_types.kthvalue(_select(input, dim, keepdim, k - 1))


def median(input, dim=None, keepdim=False):
    """The lower median: of all elements (a 0-d tensor), or along ``dim``
    with its index. A line holding NaN has median NaN, at its first NaN."""
    if dim is None:
        flat = input.reshape(-1)
        if flat.numel() == 0:
            return _C.tensor(float("nan"), dtype=input.dtype, device=input.device)
        return median(flat, 0).values
    dim = _dim(input, dim)
    size = input.shape[dim] if input.dim() > 0 else 1
    if size == 0:
        raise IndexError(f"median(): Expected reduction dim {dim} to have non-zero size.")
    values, indices = _select(input, dim, True, (size - 1) // 2)
    host = input.detach().cpu().numpy()
    if input.dtype.is_floating_point and host.ndim > 0 and np.isnan(host).any():
        nan = np.isnan(host)
        has_nan = nan.any(axis=dim, keepdims=True)
        first_nan = np.argmax(nan, axis=dim, keepdims=True).astype(np.int64)
        order = np.where(has_nan, first_nan, indices.cpu().numpy())
        values, indices = _take(input, dim, order)
    if not keepdim and input.dim() > 0:
        values, indices = values.squeeze(dim), indices.squeeze(dim)
    return return_types.median((values, indices))


def _install(tensor_type):
    """The same functions as Tensor methods (``x.sort(...)``), with ``self``
    as ``input``."""
    for name in __all__:
        setattr(tensor_type, name, globals()[name])
