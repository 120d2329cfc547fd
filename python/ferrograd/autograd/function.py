"""autograd.Function: differentiable functions with a user-written backward.

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    y = Exp.apply(x)      # y.grad_fn is <ExpBackward>

The forward runs without recording; then one graph node is recorded whose
backward calls ``backward(ctx, *grads)``. The graph holds the ctx, and the
ctx holds only what was saved, with the function's own outputs saved
without their history, so no reference cycle runs through the graph.
"""

import functools

from .. import _ferrograd as _C
from ..grad_mode import no_grad

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx:
    """What forward and backward share: saved tensors and flags."""

    def __init__(self):
        self._saved = ()
        self._outputs_saved_at = ()
        self._released = False
        self._non_differentiable = ()
        self._dirty = ()
        self.materialize_grads = True
        self.needs_input_grad = ()

    def save_for_backward(self, *tensors):
        for t in tensors:
            if t is not None and not isinstance(t, _C.Tensor):
                raise TypeError("save_for_backward can only save variables, but argument 0 is of type " + type(t).__name__)
        self._saved = tensors

    @property
    def saved_tensors(self):
        if self._released:
            raise RuntimeError(_C._graph_freed_message())
        return tuple(self._saved)

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)

    def _release(self):
        self._saved = ()
        self._released = True


class _FunctionMeta(type):
    def __init__(cls, name, bases, namespace):
        super().__init__(name, bases, namespace)
        cls._backward_name = name + "Backward"


def _uses_setup_context(cls):
    return cls.setup_context is not Function.setup_context


class Function(metaclass=_FunctionMeta):
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``; call ``apply``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, _C.Tensor) and a.requires_grad for a in args)
        with no_grad():
            if _uses_setup_context(cls):
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        is_tuple = isinstance(output, tuple)
        outputs = output if is_tuple else (output,)
        tensor_inputs = [a for a in args if isinstance(a, _C.Tensor)]
        positions = [i for i, o in enumerate(outputs) if isinstance(o, _C.Tensor)]
        recorded = [outputs[i] for i in positions]
        if not (_C.is_grad_enabled() and any(t.requires_grad for t in tensor_inputs)):
            return output

        # The function's own outputs are saved as plain data: keeping them with
        # their history would make a cycle (node -> ctx -> output -> node).
        ctx._saved = tuple(t.detach() if any(t is o for o in recorded) else t for t in ctx._saved)
        differentiable = [not any(o is n for n in ctx._non_differentiable) for o in recorded]
        backward = _make_backward(cls, ctx, args, [(o.shape, o.dtype) for o in recorded])
        results = _C._record_function(cls._backward_name, tensor_inputs, recorded, differentiable, backward, ctx._release)
        final = list(outputs)
        for i, r in zip(positions, results):
            final[i] = r
        return tuple(final) if is_tuple else final[0]


def _make_backward(cls, ctx, args, output_meta):
    """The callable the engine runs: user grads in, one gradient per tensor input out."""
    tensor_positions = [i for i, a in enumerate(args) if isinstance(a, _C.Tensor)]
    n_args = len(args)

    def backward(grads, needs_input_grad):
        if ctx._released:
            raise RuntimeError(_C._graph_freed_message())
        if ctx.materialize_grads:
            grads = [g if g is not None else _C.zeros(*shape, dtype=dtype) for g, (shape, dtype) in zip(grads, output_meta)]
        result = cls.backward(ctx, *grads)
        result = result if isinstance(result, tuple) else (result,)
        # Like PyTorch: trailing Nones beyond the inputs are tolerated, any
        # other count is an error rather than gradients silently dropped.
        if len(result) > n_args and all(g is None for g in result[n_args:]):
            result = result[:n_args]
        if len(result) != n_args:
            raise RuntimeError(f"function {cls._backward_name} returned an incorrect number of gradients (expected {n_args}, got {len(result)})")
        return [result[i] for i in tensor_positions]

    return backward


def once_differentiable(fn):
    """Marks a backward that is not itself differentiable: it runs without recording."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            outputs = fn(ctx, *args)
        return outputs

    return wrapper
