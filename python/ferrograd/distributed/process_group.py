"""The default process group: set up from the MPI launcher, queried, torn down."""

import datetime
import warnings

from . import _mpi

__all__ = [
    "Backend",
    "GroupMember",
    "ProcessGroup",
    "group",
    "default_group",
    "destroy_process_group",
    "get_backend",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
    "is_gloo_available",
    "is_nccl_available",
]

_NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."


class Backend(str):
    """Backend names, as ``torch.distributed.Backend``; only MPI exists here."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    MPI = "mpi"

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError(f"Backend name must be a string, but got: {name}")
        return str.__new__(cls, name.lower())


class ProcessGroup:
    """The ranks that take part in collectives, over their own communicator so
    that a script's own mpi4py traffic on COMM_WORLD never mixes with ours."""

    def __init__(self, comm, backend):
        self.comm = comm
        self._backend = backend

    def rank(self):
        return self.comm.Get_rank()

    def size(self):
        return self.comm.Get_size()

    def name(self):
        return self._backend.upper()

    def __repr__(self):
        return f"<ProcessGroup {self._backend} rank={self.rank()} size={self.size()}>"


class GroupMember:
    WORLD = None
    NON_GROUP_MEMBER = -100


class group:
    """``dist.group.WORLD`` is the default group once initialised."""

    WORLD = None


def is_available():
    """Whether distributed training can run here: mpi4py is importable."""
    return _mpi.installed()


def is_mpi_available():
    return _mpi.installed()


def is_gloo_available():
    return False


def is_nccl_available():
    return False


def is_initialized():
    return GroupMember.WORLD is not None


def default_group(group=None):
    """``group`` or the default group, checked as PyTorch checks it."""
    if GroupMember.WORLD is None:
        raise ValueError(_NOT_INITIALIZED)
    if group is None or group is GroupMember.WORLD:
        return GroupMember.WORLD
    if isinstance(group, ProcessGroup):
        return group
    raise TypeError(f"group must be a ProcessGroup or None, but got {type(group).__name__}")


def _check_valid_timeout(timeout):
    if not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {timeout}")


def _check_backend(backend):
    backend = Backend(backend)
    if backend == Backend.GLOO:
        raise RuntimeError("Distributed package doesn't have Gloo built in")
    if backend == Backend.NCCL:
        raise RuntimeError("Distributed package doesn't have NCCL built in")
    if backend != Backend.MPI:
        raise ValueError(f"Unknown c10d backend type {backend.upper()}")
    return backend


def _check_launcher_value(name, given, actual):
    if given == -1:
        return
    if not isinstance(given, int) or isinstance(given, bool):
        raise TypeError(f"{name} must be an int, but got {type(given).__name__}")
    if given != actual:
        raise ValueError(
            f"{name}={given} was passed, but the MPI launcher assigned {name}={actual}: "
            f"with the MPI backend the launcher (mpirun -np N) decides the ranks"
        )


def init_process_group(
    backend=None,
    init_method=None,
    timeout=None,
    world_size=-1,
    rank=-1,
    store=None,
    group_name="",
    pg_options=None,
    device_id=None,
):
    """Join the job started by ``mpirun``; rank and world size come from MPI.

    ``world_size`` and ``rank``, when given, must agree with the launcher's.
    ``init_method`` is checked and otherwise unused: MPI has its own rendezvous.
    ``timeout`` is checked only: MPI collectives cannot time out, so a rank that
    never joins is caught by the launcher (or a wrapper's timeout), not here.
    """
    if GroupMember.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    backend = _check_backend(Backend.MPI if backend is None else backend)
    if store is not None and init_method is not None:
        raise ValueError("Cannot specify both init_method and store.")
    if store is not None:
        raise ValueError("the MPI backend does not use a store: the MPI launcher does the rendezvous")
    if init_method is not None and (not isinstance(init_method, str) or "://" not in init_method):
        raise ValueError(f"init_method must be a URL such as 'env://', but got {init_method!r}")
    if timeout is not None:
        _check_valid_timeout(timeout)
    if device_id is not None:
        warnings.warn("device_id is ignored: the MPI backend runs on CPU tensors", stacklevel=2)
    if not _mpi.installed():
        raise RuntimeError("Distributed package doesn't have MPI built in: pip install mpi4py (and an MPI such as Open MPI)")

    MPI = _mpi.mpi()
    world = MPI.COMM_WORLD
    _check_launcher_value("world_size", world_size, world.Get_size())
    _check_launcher_value("rank", rank, world.Get_rank())
    pg = ProcessGroup(world.Dup(), backend)
    GroupMember.WORLD = pg
    group.WORLD = pg


def destroy_process_group(group=None):
    """Free the default group's communicator; MPI itself stays up (mpi4py
    finalises it at exit), so a later ``init_process_group`` works."""
    pg = default_group(group)
    if pg is GroupMember.WORLD:
        GroupMember.WORLD = None
        globals()["group"].WORLD = None
    pg.comm.Free()


def get_rank(group=None):
    return default_group(group).rank()


def get_world_size(group=None):
    return default_group(group).size()


def get_backend(group=None):
    return Backend(default_group(group)._backend)
