"""Collectives on the default group, as ``torch.distributed``'s functions.

Tensors are updated in place through numpy views of their own memory, so
``all_reduce``, ``broadcast``, ``all_gather_into_tensor`` and
``reduce_scatter_tensor`` copy nothing. The list forms (``all_gather``,
``reduce_scatter``) go through one flat staging buffer because MPI wants the
ranks' pieces adjacent in memory; PyTorch's MPI backend does the same.
"""

import numpy as np

from . import _mpi
from .process_group import default_group
from .reduce_op import ReduceOp
from .work import Work

__all__ = [
    "all_gather",
    "all_gather_into_tensor",
    "all_reduce",
    "barrier",
    "broadcast",
    "reduce_scatter",
    "reduce_scatter_tensor",
]


def _run(blocking, nonblocking, args, async_op, finish=None, keep_alive=()):
    """One collective, blocking or as a ``Work``; ``finish`` runs after it completes."""
    if async_op:
        return Work(nonblocking(*args), finish, keep_alive)
    blocking(*args)
    if finish is not None:
        finish()
    return None


def _divider(array, world_size):
    def finish():
        np.divide(array, world_size, out=array)

    return finish


def _check_same(tensors, reference, name):
    for t in tensors:
        if t.dtype != reference.dtype:
            raise RuntimeError(f"All tensor operands to scatter/gather must have the same dtype: `{name}` holds {t.dtype}, expected {reference.dtype}")
        if t.shape != reference.shape:
            raise RuntimeError(
                f"All tensor operands to scatter/gather must have the same size: `{name}` holds {tuple(t.shape)}, expected {tuple(reference.shape)}"
            )


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` across ranks; every rank ends with the result in ``tensor``."""
    _mpi.check_tensor(tensor)
    pg = default_group(group)
    mpi_op = _mpi.mpi_op(op, tensor.dtype)
    array = _mpi.buffer(tensor)
    MPI = _mpi.mpi()
    finish = _divider(array, pg.size()) if op is ReduceOp.AVG else None
    return _run(pg.comm.Allreduce, pg.comm.Iallreduce, (MPI.IN_PLACE, array, mpi_op), async_op, finish, (tensor, array))


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Overwrite ``tensor`` on every rank with rank ``src``'s."""
    if src is not None and group_src is not None:
        raise ValueError("Can not specify both src and group_src")
    root = group_src if src is None else src
    if root is None:
        raise ValueError("Must specify src or group_src")
    _mpi.check_tensor(tensor)
    pg = default_group(group)
    if not 0 <= root < pg.size():
        raise ValueError(f"Invalid src rank {root}: the group has {pg.size()} ranks")
    array = _mpi.buffer(tensor)
    return _run(pg.comm.Bcast, pg.comm.Ibcast, (array, root), async_op, None, (tensor, array))


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Rank ``r``'s ``input_tensor`` lands in the ``r``-th slice of ``output_tensor``."""
    _mpi.check_tensor(output_tensor, "output_tensor")
    _mpi.check_tensor(input_tensor, "input_tensor")
    pg = default_group(group)
    if output_tensor.dtype != input_tensor.dtype:
        raise RuntimeError(f"output tensor must have the same type as input tensor ({output_tensor.dtype} vs {input_tensor.dtype})")
    if output_tensor.numel() != input_tensor.numel() * pg.size():
        raise ValueError(
            f"output tensor size must be equal to world_size times input tensor size "
            f"({output_tensor.numel()} != {pg.size()} * {input_tensor.numel()})"
        )
    out, inp = _mpi.buffer(output_tensor), _mpi.buffer(input_tensor)
    return _run(pg.comm.Allgather, pg.comm.Iallgather, (inp, out), async_op, None, (output_tensor, input_tensor, out, inp))


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """``tensor_list[r]`` receives rank ``r``'s ``tensor``."""
    _mpi.check_tensor_list(tensor_list, "tensor_list")
    _mpi.check_tensor(tensor)
    pg = default_group(group)
    if len(tensor_list) != pg.size():
        raise ValueError(
            f"Tensor list input to scatter/gather must match number of collective participants "
            f"but got {len(tensor_list)} inputs with world_size {pg.size()}."
        )
    _check_same(tensor_list, tensor, "tensor_list")
    inp = _mpi.buffer(tensor)
    staging = np.empty((pg.size(),) + inp.shape, dtype=inp.dtype)

    def finish():
        for out, piece in zip(tensor_list, staging):
            _mpi.buffer(out)[...] = piece

    return _run(pg.comm.Allgather, pg.comm.Iallgather, (inp, staging), async_op, finish, (tensor, inp, staging))


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input`` across ranks; rank ``r`` keeps the ``r``-th slice in ``output``."""
    _mpi.check_tensor(output, "output")
    _mpi.check_tensor(input, "input")
    pg = default_group(group)
    if output.dtype != input.dtype:
        raise RuntimeError(f"input tensor must be the same type as the output tensor ({input.dtype} vs {output.dtype})")
    if input.numel() != output.numel() * pg.size():
        raise ValueError(
            f"input tensor must be the same size as output size times world size ({input.numel()} != {output.numel()} * {pg.size()})"
        )
    mpi_op = _mpi.mpi_op(op, output.dtype)
    out, inp = _mpi.buffer(output), _mpi.buffer(input)
    finish = _divider(out, pg.size()) if op is ReduceOp.AVG else None
    return _run(pg.comm.Reduce_scatter_block, pg.comm.Ireduce_scatter_block, (inp, out, mpi_op), async_op, finish, (output, input, out, inp))


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input_list[r]`` across ranks into rank ``r``'s ``output``."""
    _mpi.check_tensor(output, "output")
    _mpi.check_tensor_list(input_list, "input_list")
    pg = default_group(group)
    if len(input_list) != pg.size():
        raise ValueError(
            f"Tensor list input to scatter/gather must match number of collective participants "
            f"but got {len(input_list)} inputs with world_size {pg.size()}."
        )
    _check_same(input_list, output, "input_list")
    mpi_op = _mpi.mpi_op(op, output.dtype)
    out = _mpi.buffer(output)
    staging = np.stack([_mpi.buffer(t) for t in input_list]) if input_list else np.empty(0, out.dtype)
    finish = _divider(out, pg.size()) if op is ReduceOp.AVG else None
    return _run(pg.comm.Reduce_scatter_block, pg.comm.Ireduce_scatter_block, (staging, out, mpi_op), async_op, finish, (output, out, staging))


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Block until every rank has reached this call."""
    pg = default_group(group)
    return _run(pg.comm.Barrier, pg.comm.Ibarrier, (), async_op)
