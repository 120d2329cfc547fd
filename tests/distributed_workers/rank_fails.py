"""Rank 1 raises while rank 0 waits in a collective: the job must end with the
error rather than leave rank 0 waiting forever."""

import ferrograd as torch
import ferrograd.distributed as dist
from common import init

rank, world = init()
if rank == 1:
    raise ValueError("rank 1 gives up on purpose")
dist.all_reduce(torch.ones(3))
print("rank 0 was never released: unreachable", flush=True)
