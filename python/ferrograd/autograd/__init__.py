"""torch.autograd: backward, grad and the grad-mode switches."""

from .. import _ferrograd as _C
from ..grad_mode import enable_grad, no_grad, set_grad_enabled
from . import functional, graph
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .function import Function, FunctionCtx, once_differentiable
from .anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from ..grad_mode import inference_mode
from .variable import Variable

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "inference_mode", "gradcheck", "gradgradcheck", "GradcheckError", "no_grad", "enable_grad", "set_grad_enabled", "graph", "Variable"]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """Accumulate gradients of ``tensors`` into the leaves' ``.grad``."""
    if grad_variables is not None:
        grad_tensors = grad_variables
    _C.backward(tensors, grad_tensors, retain_graph, create_graph, inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned as a tuple."""
    return _C.grad(outputs, inputs, grad_outputs, retain_graph, create_graph, only_inputs,
                   allow_unused, is_grads_batched, materialize_grads)
