"""The boundary with mpi4py: importing it, and handing tensors' memory to MPI.

mpi4py is imported on first use only: importing ``mpi4py.MPI`` initialises MPI,
which a script that never calls ``init_process_group`` should not pay for.
"""

import importlib.util

import ferrograd

from .reduce_op import ReduceOp

# Element types MPI reduces natively and that a numpy view maps onto exactly.
SUPPORTED_DTYPES = (ferrograd.float32, ferrograd.float64, ferrograd.int64)
_INTEGER_ONLY_OPS = (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR)


def installed():
    """Whether mpi4py can be imported, without initialising MPI."""
    return importlib.util.find_spec("mpi4py") is not None


_MPI = None
_OPS = None


def mpi():
    """The ``mpi4py.MPI`` module (initialises MPI on first call)."""
    global _MPI
    if _MPI is None:
        from mpi4py import MPI

        _MPI = MPI
    return _MPI


def _ops():
    global _OPS
    if _OPS is None:
        MPI = mpi()
        _OPS = {
            ReduceOp.SUM: MPI.SUM,
            ReduceOp.AVG: MPI.SUM,
            ReduceOp.PRODUCT: MPI.PROD,
            ReduceOp.MIN: MPI.MIN,
            ReduceOp.MAX: MPI.MAX,
            ReduceOp.BAND: MPI.BAND,
            ReduceOp.BOR: MPI.BOR,
            ReduceOp.BXOR: MPI.BXOR,
        }
    return _OPS


def mpi_op(op, dtype):
    """The MPI operation for ``op``; AVG is a SUM the caller divides afterwards."""
    result = _ops().get(op)
    if result is None:
        raise ValueError(f"Cannot use {op!r} with MPI")
    if op in _INTEGER_ONLY_OPS and dtype.is_floating_point:
        raise RuntimeError(f"Cannot use {op!r} with floating-point tensors (dtype {dtype})")
    if op is ReduceOp.AVG and not dtype.is_floating_point:
        raise RuntimeError(f"Cannot use ReduceOp.AVG with integer tensors (dtype {dtype}): the mean would be truncated")
    return result


def check_tensor(tensor, name="tensor"):
    """PyTorch's checks on a collective's tensor argument, in its phrasing."""
    if not isinstance(tensor, ferrograd.Tensor):
        raise TypeError(
            f"Invalid function argument. Expected parameter `{name}` of type ferrograd.Tensor\n"
            f"             but got {type(tensor)} instead."
        )
    if tensor.device.type != "cpu":
        raise RuntimeError(f"the MPI backend takes CPU tensors only, but `{name}` is on {tensor.device}")
    if tensor.dtype not in SUPPORTED_DTYPES:
        raise RuntimeError(
            f"Invalid scalar type: the MPI backend supports float32, float64 and int64, but `{name}` is {tensor.dtype}"
        )
    if not tensor.is_contiguous():
        raise RuntimeError(f"input tensor has to be contiguous (`{name}` has shape {tuple(tensor.shape)} and strides {tensor.stride()})")


def check_tensor_list(tensors, name):
    if not isinstance(tensors, (list, tuple)) or not all(isinstance(t, ferrograd.Tensor) for t in tensors):
        raise TypeError(
            f"Invalid function argument. Expected parameter `{name}` of type List[ferrograd.Tensor]\n"
            f"             but got {type(tensors)} instead."
        )
    for t in tensors:
        check_tensor(t, name)


def buffer(tensor):
    """A numpy array over ``tensor``'s memory: MPI reads and writes the tensor itself.

    ``detach`` shares the storage and lets a leaf that requires grad be written
    in place, as PyTorch's collectives do (they bypass autograd).
    """
    return tensor.detach().numpy()
