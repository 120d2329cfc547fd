"""``DistributedDataParallel``: one model replica per process, gradients averaged."""

import contextlib

import ferrograd

from ... import distributed as dist
from ..modules.module import Module
from ._reducer import Reducer

__all__ = ["DistributedDataParallel"]

_DEFAULT_BUCKET_CAP_MB = 25


def _tensors_in(value):
    """Every tensor in a forward's output (nested tuples, lists and dicts)."""
    if isinstance(value, ferrograd.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _tensors_in(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tensors_in(v)


class DistributedDataParallel(Module):
    """Wraps ``module`` so that ``loss.backward()`` leaves every rank with the
    gradients averaged over all ranks' batches.

    At construction rank 0's parameters and buffers are copied to every rank.
    During backward the gradients are all-reduced in buckets of about
    ``bucket_cap_mb`` megabytes while backward continues (see ``_reducer``).
    Inside ``no_sync()`` gradients only accumulate locally; the next backward
    outside it reduces the accumulated sum.

    Buckets are assigned as PyTorch assigns them with
    ``find_unused_parameters=True``: limits of 1 MB then ``bucket_cap_mb`` over
    the parameters in registration order, reduced last bucket first. (Without
    it PyTorch starts from a single bucket and re-buckets after the first
    iteration in the order gradients arrived; that re-bucketing is not done
    here.)

    ``device_ids``, ``output_device`` and ``dim`` concern GPUs and are accepted
    and ignored, as are ``check_reduction``, ``gradient_as_bucket_view`` and
    ``static_graph``; ``process_group`` must be the default group (or None).
    """

    def __init__(
        self,
        module,
        device_ids=None,
        output_device=None,
        dim=0,
        broadcast_buffers=True,
        process_group=None,
        bucket_cap_mb=None,
        find_unused_parameters=False,
        check_reduction=False,
        gradient_as_bucket_view=False,
        static_graph=False,
    ):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel expects a Module, but got {type(module).__name__}")
        self.module = module
        self.process_group = dist.process_group.default_group(process_group)
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((_DEFAULT_BUCKET_CAP_MB if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)

        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter that requires a gradient.")
        self._sync_module_states()
        self.reducer = Reducer(module, params, self.process_group, self.bucket_bytes_cap, find_unused_parameters)

    def _sync_module_states(self):
        """Every rank starts from rank 0's parameters and buffers."""
        for tensor in list(self.module.parameters()) + list(self.module.buffers()):
            dist.broadcast(tensor, src=0, group=self.process_group)

    def _sync_buffers(self):
        for buffer in self.module.buffers():
            dist.broadcast(buffer, src=0, group=self.process_group)

    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and ferrograd.is_grad_enabled():
            self._sync_buffers()
        self.reducer.begin_forward(sync=ferrograd.is_grad_enabled() and self.require_backward_grad_sync)
        output = self.module(*inputs, **kwargs)
        self.reducer.end_forward(list(_tensors_in(output)))
        return output

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes inside only accumulate gradients locally."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous
