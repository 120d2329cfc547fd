"""Averages gradients across ranks while backward is still running.

The engine runs backward nodes newest first, and a parameter's gradient
accumulator is as old as the parameter, so the parameters' own (leaf) hooks
all fire at the very end of backward. To learn earlier that a gradient is
complete, each module's parameters are replaced, for the duration of that
module's forward, by aliases (``p.view_as(p)``) created right then: an alias's
hook fires as soon as backward has gone through that module. The alias hooks
copy gradients into their buckets; once a bucket is complete, and every
bucket before it has been started, its all-reduce starts without blocking, so
communication overlaps the rest of backward. Buckets start in the same order
on every rank, as MPI requires of collectives on one communicator.

A parameter also used outside its own module's forward (read directly by a
parent, say) is found by walking the graph after forward; its leaf hook, which
sees its whole gradient, fills its bucket instead.

The leaf hook of the last parameter to arrive finishes the iteration: it
waits for every bucket, writes the averages into the ``.grad`` of the
parameters the engine has already accumulated, and returns the average as its
own parameter's gradient (after clearing that ``.grad``, whose local value is
already in the bucket).
"""

import weakref

import numpy as np

import ferrograd

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


def _array(tensor):
    return tensor.detach().numpy()


def _walk(outputs, alias_nodes):
    """(leaves reached, leaves some non-alias node uses), by ``data_ptr``."""
    stack = [t.grad_fn for t in outputs if t.grad_fn is not None]
    seen, reached, direct = set(), set(), set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if node.name() == "AccumulateGrad":
            reached.add(node.variable.data_ptr())
            continue
        is_alias = node in alias_nodes
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            if not is_alias and nxt.name() == "AccumulateGrad":
                direct.add(nxt.variable.data_ptr())
            stack.append(nxt)
    return reached, direct


class Reducer:
    def __init__(self, module, params, process_group, bucket_cap_bytes, find_unused_parameters):
        self.params = params
        self.pg = process_group
        self.find_unused_parameters = find_unused_parameters
        self.buckets = assign_buckets(params, bucket_cap_bytes)
        self.bucket_of = {i: b for b, bucket in enumerate(self.buckets) for i in bucket.indices}
        self._index = {id(p): i for i, p in enumerate(params)}
        self._capturing = False
        self._armed = False
        self._handles = []
        self._swapped = {}
        this = weakref.ref(self)
        for i, p in enumerate(params):
            self._handles.append(p.register_hook(lambda g, i=i: this() and this()._on_leaf_grad(i, g)))
        for m in module.modules():
            if any(id(p) in self._index for p in m._parameters.values() if p is not None):
                self._handles.append(m.register_forward_pre_hook(lambda m, args: this() and this()._swap_in(m)))
                self._handles.append(m.register_forward_hook(lambda m, args, out: this() and this()._swap_out(m), always_call=True))
        self._reset()

    def _reset(self):
        n = len(self.params)
        self._ready = set()
        self._backward_started = False
        self._leaf_seen = 0
        self._expected_leaves = n
        self._aliases_expected = [0] * n
        self._aliases_seen = [0] * n
        self._alias_nodes = set()
        self._direct = set()
        self._locally_used = np.ones(n, dtype=np.int64)
        self._unready_in = [len(b.indices) for b in self.buckets]
        self._started = 0
        self._requests = []

    # ---- forward --------------------------------------------------------

    def begin_forward(self, sync):
        """Called before the module's forward; ``sync`` when this backward reduces."""
        if self._armed and self._backward_started:
            missing = [i for i in range(len(self.params)) if i not in self._ready]
            raise RuntimeError(_UNFINISHED.format(rank=self.pg.rank(), missing=missing))
        self._armed = False
        self._reset()
        self._capturing = sync

    def end_forward(self, outputs):
        """Called with the forward's output tensors: arms the hooks for their backward."""
        if not self._capturing:
            return
        self._capturing = False
        self._armed = True
        reached, direct = _walk(outputs, self._alias_nodes)
        self._alias_nodes = set()
        for i, p in enumerate(self.params):
            key = p.data_ptr()
            if key in direct:
                self._direct.add(i)
            if key not in reached:
                if not self.find_unused_parameters:
                    continue
                # Unused here but maybe used elsewhere: it still takes part,
                # with zeros, or the other ranks would wait for it forever.
                self._locally_used[i] = 0
                self._expected_leaves -= 1
                self.buckets[self.bucket_of[i]].views[i][...] = 0
                self._mark_ready(i)

    def _swap_in(self, module):
        if not self._capturing:
            return
        swapped = []
        for name, p in module._parameters.items():
            i = self._index.get(id(p)) if p is not None else None
            if i is None:
                continue
            alias = p.view_as(p)
            self._alias_nodes.add(alias.grad_fn)
            self._aliases_expected[i] += 1
            alias.register_hook(lambda g, i=i: self._on_alias_grad(i, g))
            module._parameters[name] = alias
            swapped.append((name, p))
        # A module called again before it returns (recursion) stacks its swaps.
        self._swapped.setdefault(id(module), []).append(swapped)

    def _swap_out(self, module):
        stack = self._swapped.get(id(module))
        if not stack:
            return
        for name, p in stack.pop():
            module._parameters[name] = p
        if not stack:
            del self._swapped[id(module)]

    # ---- backward -------------------------------------------------------

    def _fill(self, i, grad, first):
        """Copy (or add) ``grad`` into parameter i's bucket slot. Returns the
        gradient the engine should carry on with: a contiguous copy when
        ``grad`` is strided (a transposed weight gradient, typically), so the
        slow strided read happens once instead of again when the engine
        stores ``.grad``; None to keep ``grad``."""
        replacement = None
        if not grad.is_contiguous():
            grad = replacement = grad.contiguous()
        view = self.buckets[self.bucket_of[i]].views[i]
        if first:
            view[...] = _array(grad)
            p = self.params[i]
            if p.grad is not None:
                # Gradients accumulated under no_sync() are reduced with this one.
                view += _array(p.grad)
        else:
            view += _array(grad)
        return replacement

    def _on_alias_grad(self, i, grad):
        if not self._armed or i in self._direct or i in self._ready:
            return None
        self._backward_started = True
        replacement = self._fill(i, grad, first=self._aliases_seen[i] == 0)
        self._aliases_seen[i] += 1
        if self._aliases_seen[i] == self._aliases_expected[i]:
            self._mark_ready(i)
        if self._requests:
            # Lets MPI move the buckets already in flight along.
            _mpi.mpi().Request.Testall(self._requests)
        return replacement

    def _on_leaf_grad(self, i, grad):
        if not self._armed:
            return None
        self._backward_started = True
        if i not in self._ready:
            # Used outside its module's forward, or by no module at all.
            replacement = self._fill(i, grad, first=True)
            self._mark_ready(i)
        else:
            replacement = None
        self._leaf_seen += 1
        if self._leaf_seen < self._expected_leaves:
            return replacement
        return self._finish(current=i)

    def _mark_ready(self, i):
        self._ready.add(i)
        self._unready_in[self.bucket_of[i]] -= 1
        MPI = _mpi.mpi()
        while self._started < len(self.buckets) and self._unready_in[self._started] == 0:
            bucket = self.buckets[self._started]
            self._requests.append(self.pg.comm.Iallreduce(MPI.IN_PLACE, bucket.buffer, MPI.SUM))
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
                _array(p.grad)[...] = averaged
        self._armed = False
        self._reset()
        return result

    def disarm(self):
        self._capturing = False
        self._armed = False

    def remove_hooks(self):
        for handle in self._handles:
            handle.remove()
        self._handles = []
