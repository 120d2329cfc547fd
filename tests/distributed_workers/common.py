"""What every worker script shares. Workers run under ``python -m mpi4py``, which
aborts the whole job when any rank raises, so a failed check ends the run on
every rank instead of leaving the others blocked in a collective."""

import re

import numpy as np

import ferrograd as torch
import ferrograd.distributed as dist


def init():
    dist.init_process_group("mpi")
    return dist.get_rank(), dist.get_world_size()


def raises(exc_type, pattern, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc_type as e:
        assert re.search(pattern, str(e)), f"{exc_type.__name__} message {str(e)!r} does not match {pattern!r}"
        return
    raise AssertionError(f"{getattr(fn, '__name__', fn)} did not raise {exc_type.__name__}")


def flat_parameters(module):
    return np.concatenate([p.detach().numpy().ravel() for p in module.parameters()]).astype(np.float64)


def gathered(array):
    """Every rank's copy of ``array`` (float64), stacked by rank."""
    mine = torch.tensor(np.ascontiguousarray(array, dtype=np.float64))
    pieces = [torch.zeros(mine.shape, dtype=torch.float64) for _ in range(dist.get_world_size())]
    dist.all_gather(pieces, mine)
    return np.stack([p.numpy() for p in pieces])


def same_on_every_rank(array):
    copies = gathered(array)
    for r in range(1, len(copies)):
        assert np.array_equal(copies[0], copies[r]), f"rank {r} differs from rank 0 by {np.abs(copies[0] - copies[r]).max()}"
