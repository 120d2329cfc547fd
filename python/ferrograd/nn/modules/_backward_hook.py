"""Module backward hooks: the gradients with respect to a module's inputs and
outputs, captured by identity autograd nodes placed around its forward call.

The output-side node sees the output gradients first (running the pre-hooks,
which may replace them); the input-side node then sees the input gradients
and runs the full hooks with both. As in PyTorch, the hooks receive one entry
per positional argument / output, ``None`` where that entry is not a tensor
requiring grad.
"""

import warnings

from ..._ferrograd import Tensor, is_grad_enabled
from ...autograd.function import Function


class _Identity(Function):
    """Passes tensors through; its backward hands their gradients to a callback."""

    @staticmethod
    def forward(ctx, on_grads, *tensors):
        ctx.on_grads = on_grads
        # Tensors that did not require grad still pass through (their gradient
        # arrives as zeros, as in PyTorch) but must not start requiring grad.
        outputs = tuple(t.view_as(t) for t in tensors)
        ctx.mark_non_differentiable(*[out for out, t in zip(outputs, tensors) if not t.requires_grad])
        return outputs

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.on_grads(grads))


def _pack(positions, values, size):
    packed = [None] * size
    for position, value in zip(positions, values):
        packed[position] = value
    return tuple(packed)


class BackwardHookRun:
    """The hooks of one forward call of ``module``."""

    def __init__(self, module, hooks, pre_hooks):
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.n_inputs = 0
        self.input_positions = None
        self.n_outputs = 0
        self.output_positions = None
        self.grad_outputs = None

    def _wrap(self, values, on_grads):
        positions = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
        if not any(values[i].requires_grad for i in positions) or not is_grad_enabled():
            return values, None
        wrapped = _Identity.apply(on_grads, *[values[i] for i in positions])
        replaced = list(values)
        for position, tensor in zip(positions, wrapped):
            replaced[position] = tensor
        return tuple(replaced), positions

    def wrap_inputs(self, args):
        self.n_inputs = len(args)
        args, self.input_positions = self._wrap(args, self._input_grads)
        return args

    def wrap_outputs(self, result):
        single = not isinstance(result, tuple)
        outputs = (result,) if single else result
        self.n_outputs = len(outputs)
        outputs, self.output_positions = self._wrap(outputs, self._output_grads)
        return outputs[0] if single else outputs

    def _output_grads(self, grads):
        grad_outputs = _pack(self.output_positions, grads, self.n_outputs)
        for hook in self.pre_hooks:
            replaced = hook(self.module, grad_outputs)
            if replaced is None:
                continue
            if len(replaced) != len(grad_outputs):
                raise RuntimeError(
                    "Backward pre hook returned an invalid number of grad_output, "
                    f"got {len(replaced)}, but expected {len(grad_outputs)}"
                )
            grad_outputs = replaced
        self.grad_outputs = grad_outputs
        if self.input_positions is None and self.hooks:
            # No input requires grad, so there is no input-side node: the full
            # hooks run now, with all-None input gradients.
            warnings.warn(
                "Full backward hook is firing when gradients are computed with respect to module outputs since "
                "no inputs require gradients. See "
                "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                "#torch.nn.Module.register_full_backward_hook for more details.",
                stacklevel=2,
            )
            grad_inputs = (None,) * self.n_inputs
            for hook in self.hooks:
                result = hook(self.module, grad_inputs, grad_outputs)
                if result is not None and not (isinstance(result, tuple) and all(g is None for g in result)):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should always return None "
                        "or None for all gradients."
                    )
        return [grad_outputs[i] for i in self.output_positions]

    def _input_grads(self, grads):
        if self.grad_outputs is None:
            # The gradient reached the inputs without passing through the outputs.
            return grads
        grad_inputs = _pack(self.input_positions, grads, self.n_inputs)
        for hook in self.hooks:
            replaced = hook(self.module, grad_inputs, self.grad_outputs)
            if replaced is None:
                continue
            if len(replaced) != len(grad_inputs):
                raise RuntimeError(
                    "Backward hook returned an invalid number of grad_input, "
                    f"got {len(replaced)}, but expected {len(grad_inputs)}"
                )
            grad_inputs = replaced
        self.grad_outputs = None
        return [grad_inputs[i] for i in self.input_positions]
