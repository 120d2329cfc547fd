"""Averages gradients across ranks while backward is still running.

Each parameter's gradient hook copies its gradient into its bucket; when a
bucket is complete, and every bucket before it has been started, its
all-reduce is started without blocking, so communication overlaps the rest of
backward. Buckets start in the same order on every rank, as MPI requires of
collectives on one communicator.

The engine runs a leaf's hooks right before adding the gradient into
``.grad``, and it has no end-of-backward callback. So the hook of the last
expected parameter finishes the iteration: it waits for every bucket, writes
the averages into the ``.grad`` of the parameters already accumulated, and
returns the average as its own parameter's gradient (after clearing that
``.grad``, whose local value is already in the bucket).
"""

import weakref

import numpy as np

import ferrograd

from ... import distributed as dist
from ...distributed import _mpi
from ._buckets import assign_buckets

_UNFINISHED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. "
    "This error indicates that your module has parameters that were not used in producing loss. "
    "You can enable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=True` to `ferrograd.nn.parallel.DistributedDataParallel`, and by "
    "making sure all `forward` function outputs participate in calculating loss.\n"
    "Parameter indices which did not receive grad for rank {rank}: {missing}"
)


def _grad_array(tensor):
    return tensor.detach().numpy()


def _leaves_reached_from(outputs):
    """The ``data_ptr`` of every leaf tensor the outputs' graph reaches."""
    stack = [t.grad_fn for t in outputs if t.grad_fn is not None]
    seen, leaves = set(), set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if node.name() == "AccumulateGrad":
            leaves.add(node.variable.data_ptr())
            continue
        stack.extend(n for n, _ in node.next_functions if n is not None)
    return leaves


class Reducer:
    def __init__(self, params, process_group, bucket_cap_bytes, find_unused_parameters):
        self.params = params
        self.pg = process_group
        self.find_unused_parameters = find_unused_parameters
        self.buckets = assign_buckets(params, bucket_cap_bytes)
        self.bucket_of = {i: b for b, bucket in enumerate(self.buckets) for i in bucket.indices}
        self._armed = False
        self._ready = set()
        self._hooks = []
        self._requests = []
        this = weakref.ref(self)
        for i, p in enumerate(params):
            self._hooks.append(p.register_hook(lambda grad, i=i: this()._on_grad(i, grad) if this() else None))

    # ---- per iteration --------------------------------------------------

    def prepare_for_backward(self, outputs):
        """Arm the hooks for the backward of this forward's ``outputs``."""
        if self._armed and self._ready:
            missing = [i for i in range(len(self.params)) if i not in self._ready]
            raise RuntimeError(_UNFINISHED.format(rank=self.pg.rank(), missing=missing))
        self._armed = True
        self._ready = set()
        self._locally_used = np.ones(len(self.params), dtype=np.int64)
        self._started = 0
        self._requests = []
        self._unready_in = [len(b.indices) for b in self.buckets]
        if self.find_unused_parameters:
            reached = _leaves_reached_from(outputs)
            for i, p in enumerate(self.params):
                if p.data_ptr() not in reached:
                    # Unused here but maybe used elsewhere: it still takes part,
                    # with zeros, or the other ranks would wait for it forever.
                    self._locally_used[i] = 0
                    self.buckets[self.bucket_of[i]].views[i][...] = 0
                    self._mark_ready(i)

    def disarm(self):
        self._armed = False
        self._ready = set()

    # ---- hooks ----------------------------------------------------------

    def _on_grad(self, i, grad):
        if not self._armed or i in self._ready:
            return None
        p = self.params[i]
        view = self.buckets[self.bucket_of[i]].views[i]
        view[...] = _grad_array(grad)
        if p.grad is not None:
            # Gradients accumulated under no_sync() are reduced with this one.
            view += _grad_array(p.grad)
        self._mark_ready(i)
        if len(self._ready) < len(self.params):
            # Lets MPI move the buckets already in flight along.
            if self._requests:
                _mpi.mpi().Request.Testall(self._requests)
            return None
        return self._finish(current=i)

    def _mark_ready(self, i):
        self._ready.add(i)
        self._unready_in[self.bucket_of[i]] -= 1
        while self._started < len(self.buckets) and self._unready_in[self._started] == 0:
            bucket = self.buckets[self._started]
            self._requests.append(self.pg.comm.Iallreduce(_mpi.mpi().IN_PLACE, bucket.buffer, _mpi.mpi().SUM))
            self._started += 1

    def _finish(self, current):
        MPI = _mpi.mpi()
        MPI.Request.Waitall(self._requests)
        world = self.pg.size()
        for bucket in self.buckets:
            np.divide(bucket.buffer, world, out=bucket.buffer)
        used = self._locally_used
        if self.find_unused_parameters:
            used = used.copy()
            self.pg.comm.Allreduce(MPI.IN_PLACE, used, MPI.MAX)
        result = None
        for k, p in enumerate(self.params):
            if not used[k]:
                continue  # unused on every rank: .grad stays as it was, as in PyTorch
            averaged = self.buckets[self.bucket_of[k]].views[k]
            if k == current:
                p.grad = None
                result = ferrograd.from_numpy(averaged.copy())
            elif p.grad is None:
                p.grad = ferrograd.from_numpy(averaged.copy())
            else:
                _grad_array(p.grad)[...] = averaged
        self.disarm()
        return result

    def remove_hooks(self):
        for handle in self._hooks:
            handle.remove()
        self._hooks = []
