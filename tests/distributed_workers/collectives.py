"""Every collective's values, checked against numpy on all ranks' inputs
(each rank can regenerate the others' inputs from their seeds)."""

import datetime

import numpy as np

import ferrograd as torch
import ferrograd.distributed as dist
from common import raises

# Before init: PyTorch's errors.
assert dist.is_available() and not dist.is_initialized()
raises(ValueError, "Default process group has not been initialized", dist.all_reduce, torch.ones(2))
raises(ValueError, "Default process group has not been initialized", dist.get_rank)
raises(TypeError, "Expected timeout argument to be of type datetime.timedelta", dist.init_process_group, "mpi", timeout=30)
raises(ValueError, "world_size=7", dist.init_process_group, "mpi", world_size=7)
raises(ValueError, "init_method", dist.init_process_group, "mpi", init_method="nowhere")
assert not dist.is_initialized()
dist.init_process_group(backend="mpi", init_method="env://", timeout=datetime.timedelta(seconds=60))
rank, world = dist.get_rank(), dist.get_world_size()
assert dist.is_initialized() and dist.get_backend() == "mpi" and world == 2
raises(ValueError, "twice", dist.init_process_group, "mpi")

DTYPES = {torch.float32: np.float32, torch.float64: np.float64, torch.int64: np.int64}


def data(r, dtype, shape=(3, 5)):
    rng = np.random.default_rng(100 + r)
    if dtype == np.int64:
        return rng.integers(-9, 10, size=shape).astype(dtype)
    return rng.uniform(0.5, 2.0, size=shape).astype(dtype)


everyone = lambda dtype, shape=(3, 5): np.stack([data(r, dtype, shape) for r in range(world)])

# all_reduce, every op and dtype, blocking and not, in place on the tensor's memory.
REFERENCE = {
    dist.ReduceOp.SUM: lambda a: a.sum(0),
    dist.ReduceOp.PRODUCT: lambda a: a.prod(0),
    dist.ReduceOp.MIN: lambda a: a.min(0),
    dist.ReduceOp.MAX: lambda a: a.max(0),
    dist.ReduceOp.AVG: lambda a: a.mean(0),
}
for dtype, np_dtype in DTYPES.items():
    for op, reference in REFERENCE.items():
        if op is dist.ReduceOp.AVG and np_dtype == np.int64:
            raises(RuntimeError, "AVG", dist.all_reduce, torch.zeros(2, dtype=dtype), op=op)
            continue
        for async_op in (False, True):
            t = torch.tensor(data(rank, np_dtype))
            address = t.data_ptr()
            work = dist.all_reduce(t, op=op, async_op=async_op)
            if async_op:
                assert isinstance(work, dist.Work) and work.wait() is True and work.is_completed()
            else:
                assert work is None
            assert t.data_ptr() == address and t.dtype == dtype
            np.testing.assert_allclose(t.numpy(), reference(everyone(np_dtype)).astype(np_dtype), rtol=1e-6)
    if np_dtype == np.int64:
        t = torch.tensor(data(rank, np_dtype))
        dist.all_reduce(t, op=dist.ReduceOp.BXOR)
        np.testing.assert_array_equal(t.numpy(), np.bitwise_xor.reduce(everyone(np_dtype), axis=0))

# A view into a bigger tensor: only its own elements change.
base = torch.zeros(4, 5)
row = base[1]
row.copy_(torch.full((5,), float(rank + 1)))
dist.all_reduce(row)
expected = np.zeros((4, 5), np.float32)
expected[1] = sum(range(1, world + 1))
np.testing.assert_array_equal(base.numpy(), expected)

# A leaf that requires grad is written in place, as PyTorch's collectives do
# (they act on the tensor's memory, outside autograd); it stays a leaf.
# PyTorch's collectives leave the version counter alone too, so a tensor saved
# for backward can be reduced without tripping the saved-tensor check.
p = torch.nn.Parameter(torch.tensor(data(rank, np.float32)))
version = p._version
dist.all_reduce(p)
assert p.requires_grad and p.is_leaf and p.grad_fn is None and p._version == version
np.testing.assert_allclose(p.detach().numpy(), everyone(np.float32).sum(0), rtol=1e-6)
(p * p).sum().backward()
np.testing.assert_allclose(p.grad.numpy(), 2 * everyone(np.float32).sum(0), rtol=1e-6)

# broadcast from each root.
for src in range(world):
    for async_op in (False, True):
        t = torch.tensor(data(rank, np.float64))
        work = dist.broadcast(t, src=src, async_op=async_op)
        if async_op:
            work.wait()
        np.testing.assert_array_equal(t.numpy(), data(src, np.float64))
raises(ValueError, "Invalid src rank", dist.broadcast, torch.zeros(2), src=world)

# all_gather / all_gather_into_tensor.
for dtype, np_dtype in DTYPES.items():
    outs = [torch.zeros(3, 5, dtype=dtype) for _ in range(world)]
    dist.all_gather(outs, torch.tensor(data(rank, np_dtype)))
    for r in range(world):
        np.testing.assert_array_equal(outs[r].numpy(), data(r, np_dtype))
    out = torch.zeros(world * 3, 5, dtype=dtype)
    dist.all_gather_into_tensor(out, torch.tensor(data(rank, np_dtype)), async_op=True).wait()
    np.testing.assert_array_equal(out.numpy(), np.concatenate([data(r, np_dtype) for r in range(world)]))
outs = [torch.zeros(2) for _ in range(world)]
work = dist.all_gather(outs, torch.full((2,), float(rank)), async_op=True)
work.wait()
assert [o.tolist() for o in outs] == [[float(r)] * 2 for r in range(world)]

# reduce_scatter / reduce_scatter_tensor: rank r keeps the reduction of piece r.
for op in (dist.ReduceOp.SUM, dist.ReduceOp.MAX, dist.ReduceOp.AVG):
    pieces = [torch.tensor(data(10 * rank + k, np.float32)) for k in range(world)]
    out = torch.zeros(3, 5)
    dist.reduce_scatter(out, pieces, op=op)
    mine = np.stack([data(10 * r + rank, np.float32) for r in range(world)])
    np.testing.assert_allclose(out.numpy(), REFERENCE[op](mine), rtol=1e-6)
    out = torch.zeros(3, 5)
    dist.reduce_scatter_tensor(out, torch.cat(pieces), op=op)
    np.testing.assert_allclose(out.numpy(), REFERENCE[op](mine), rtol=1e-6)

# Errors, in PyTorch's phrasing where it has one.
raises(RuntimeError, "input tensor has to be contiguous", dist.all_reduce, torch.zeros(4, 3).t())
raises(RuntimeError, "Invalid scalar type", dist.all_reduce, torch.zeros(3, dtype=torch.float16))
raises(RuntimeError, "Invalid scalar type", dist.broadcast, torch.zeros(3, dtype=torch.int32), src=0)
raises(TypeError, "Invalid function argument. Expected parameter `tensor`", dist.all_reduce, np.zeros(3))
raises(ValueError, "must match number of collective participants", dist.all_gather, [torch.zeros(2)] * (world + 1), torch.zeros(2))
raises(RuntimeError, "must have the same size", dist.all_gather, [torch.zeros(3)] * world, torch.zeros(2))
raises(RuntimeError, "must have the same dtype", dist.all_gather, [torch.zeros(2, dtype=torch.float64)] * world, torch.zeros(2))
raises(ValueError, "world_size times input tensor size", dist.all_gather_into_tensor, torch.zeros(3), torch.zeros(2))
raises(ValueError, "must match number of collective participants", dist.reduce_scatter, torch.zeros(2), [torch.zeros(2)])

# barrier, blocking and not; then the group can be torn down and made again.
dist.barrier()
dist.barrier(async_op=True).wait()
dist.destroy_process_group()
assert not dist.is_initialized()
raises(ValueError, "Default process group has not been initialized", dist.barrier)
dist.init_process_group("mpi", world_size=world, rank=rank)
t = torch.ones(1)
dist.all_reduce(t)
assert t.item() == world
dist.destroy_process_group()
print(f"rank {rank}: collectives ok", flush=True)
