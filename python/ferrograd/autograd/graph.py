"""Graph node type: every ``grad_fn`` is an instance of a subclass of ``Node``
named after its op (``AddBackward0``, ``AccumulateGrad``, ...). Also the
saved-tensor hooks that decide what the graph keeps for backward."""

from .._ferrograd import Node, _pop_saved_tensors_hooks, _push_saved_tensors_hooks

__all__ = ["Node", "saved_tensors_hooks"]


class saved_tensors_hooks:
    """Context manager: while active, every tensor an op saves for backward
    is passed to ``pack_hook`` and what it returns is kept instead; backward
    calls ``unpack_hook`` on that to get the tensor back.

    The hooks apply to tensors saved on this thread while the block runs,
    whenever backward happens later. Ops run inside ``pack_hook`` save their
    tensors as they are.
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        _push_saved_tensors_hooks(self.pack_hook, self.unpack_hook)
        return self

    def __exit__(self, *exc_info):
        _pop_saved_tensors_hooks()
        return False
