"""All-reduce bandwidth and DistributedDataParallel step time over MPI.

    mpirun -np 2 python -m mpi4py benches/distributed.py [--quick]

Part 1 times ``ferrograd.distributed.all_reduce`` on a float32 tensor against
mpi4py's ``Allreduce`` on a numpy array of the same size, both in place on one
communicator, from 1 KB to 64 MB, in alternating blocks so that a busy
machine slows both alike. Bandwidth is the algorithm bandwidth, bytes
per rank divided by time (for 2 ranks the bus bandwidth, 2(n-1)/n times it,
is the same number).

Part 2 times one training step (forward, backward, SGD step) of an MLP on a
total batch B: on every rank with DDP and B / ranks samples each, the same
with the exchange skipped (``no_sync``) to separate computation from
communication, and in one process on all B samples (rank 0 alone, while the
other ranks wait without spinning). Printed as Markdown tables.
"""

import argparse
import statistics
import time

import numpy as np
from mpi4py import MPI

import ferrograd as torch
import ferrograd.distributed as dist
import ferrograd.nn.functional as F
from ferrograd.nn.parallel import DistributedDataParallel as DDP


def _calls_per_repeat(fns, seconds, comm):
    """How many calls of the slowest of ``fns`` fill ``seconds / 5``, agreed by
    all ranks. A fixed number of calibration calls: every rank must make the
    same calls, or their collectives would pair up wrongly."""
    per_call = 0.0
    for fn in fns:
        fn()
        comm.Barrier()
        started = time.perf_counter()
        for _ in range(3):
            fn()
        per_call = max(per_call, (time.perf_counter() - started) / 3)
    return max(1, int(seconds / 5 / comm.allreduce(per_call, op=MPI.MAX)))


def timed_pair(fn_a, fn_b, seconds, comm, repeats=7):
    """Seconds per call of ``fn_a`` and ``fn_b``, timed in alternating blocks so
    both see the same background load: (best a, best b, median of the
    per-block ratios a / b). Times are the slowest rank's."""
    n = _calls_per_repeat((fn_a, fn_b), seconds, comm)
    a_times, b_times = [], []
    for _ in range(repeats):
        for fn, times in ((fn_a, a_times), (fn_b, b_times)):
            comm.Barrier()
            started = time.perf_counter()
            for _ in range(n):
                fn()
            times.append(comm.allreduce((time.perf_counter() - started) / n, op=MPI.MAX))
    ratio = statistics.median(a / b for a, b in zip(a_times, b_times))
    return min(a_times), min(b_times), ratio


def timed(fn, seconds, comm, repeats=5):
    """Best seconds per call over ``repeats`` blocks (the slowest rank's)."""
    n = _calls_per_repeat((fn,), seconds, comm)
    samples = []
    for _ in range(repeats):
        comm.Barrier()
        started = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append(comm.allreduce((time.perf_counter() - started) / n, op=MPI.MAX))
    return min(samples)


def bandwidth_table(comm, seconds):
    pg_comm = dist.group.WORLD.comm
    rows = []
    size = 1024
    while size <= 64 * 1024 * 1024:
        tensor = torch.ones(size // 4)
        array = np.ones(size // 4, dtype=np.float32)
        rows.append((size, *timed_pair(lambda: dist.all_reduce(tensor), lambda: pg_comm.Allreduce(MPI.IN_PLACE, array, MPI.SUM), seconds, comm)))
        size *= 4
    return rows


def human(size):
    return f"{size // 1024 ** 2} MB" if size >= 1024 ** 2 else f"{size // 1024} KB"


def mlp(width, depth):
    torch.manual_seed(0)
    layers = [torch.nn.Linear(256, width), torch.nn.ReLU()]
    for _ in range(depth - 1):
        layers += [torch.nn.Linear(width, width), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers, torch.nn.Linear(width, 10))


def step_fn(model, x, y, sync=True):
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad()
        if sync:
            loss = F.cross_entropy(model(x), y)
            loss.backward()
        else:
            with model.no_sync():
                F.cross_entropy(model(x), y).backward()
        optimizer.step()

    return step


def batch(n, seed):
    rng = np.random.default_rng(seed)
    return torch.tensor(rng.standard_normal((n, 256)).astype(np.float32)), torch.tensor(rng.integers(0, 10, n))


def ddp_table(comm, seconds, configs, total_batch):
    rank, world = comm.Get_rank(), comm.Get_size()
    rows = []
    for width, depth in configs:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # one rank per core
        model = DDP(mlp(width, depth))
        x, y = batch(total_batch // world, rank)
        ddp = timed(step_fn(model, x, y), seconds, comm)
        local = timed(step_fn(model, x, y, sync=False), seconds, comm)
        torch.set_num_threads(threads)
        params = sum(p.numel() for p in model.parameters())
        single = {}
        for n_threads in (1, threads):
            if rank == 0:
                torch.set_num_threads(n_threads)
                plain = mlp(width, depth)
                X, Y = batch(total_batch, 0)
                single[n_threads] = timed(step_fn(plain, X, Y), seconds, MPI.COMM_SELF)
            else:
                # Wait without spinning, so rank 0 has the machine to itself.
                request = comm.Ibarrier()
                while not request.Test():
                    time.sleep(0.01)
                continue
            comm.Ibarrier().Wait()
        torch.set_num_threads(threads)
        rows.append((width, depth, params, ddp, local, single))
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="shorter timings, for a smoke run")
    args = parser.parse_args()
    seconds = 0.2 if args.quick else 1.0
    dist.init_process_group("mpi")
    comm = MPI.COMM_WORLD
    rank, world = comm.Get_rank(), comm.Get_size()

    rows = bandwidth_table(comm, seconds)
    if rank == 0:
        print(f"all_reduce, float32, {world} ranks: best of 7 alternating blocks, slowest rank; "
              f"ratio = median over the blocks\n")
        print("| size | ferrograd µs | mpi4py µs | ferrograd GB/s | mpi4py GB/s | time ratio, bests | time ratio, median block |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for size, ours, raw, ratio in rows:
            print(f"| {human(size)} | {ours * 1e6:.1f} | {raw * 1e6:.1f} | {size / ours / 1e9:.2f} | {size / raw / 1e9:.2f} | "
                  f"{ours / raw:.2f} | {ratio:.2f} |")

    total_batch = 256
    configs = [(128, 2), (1024, 3)] if args.quick else [(128, 2), (512, 3), (1024, 3), (2048, 3)]
    rows = ddp_table(comm, seconds, configs, total_batch)
    if rank == 0:
        threads = torch.get_num_threads()
        print(f"\nTraining step (forward, backward, SGD), MLP 256 -> width x depth -> 10, total batch {total_batch}\n")
        print(f"| MLP | parameters | DDP {world} ranks ms | {world} ranks, no exchange ms | "
              f"1 process, 1 thread ms | 1 process, {threads} threads ms | 1 process ({threads} threads) / DDP |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for width, depth, params, ddp, local, single in rows:
            print(f"| {width} x {depth} | {params / 1e6:.2f} M | {ddp * 1e3:.2f} | {local * 1e3:.2f} | "
                  f"{single[1] * 1e3:.2f} | {single[threads] * 1e3:.2f} | {single[threads] / ddp:.2f}x |")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
