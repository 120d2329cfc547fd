"""Graph node type: every ``grad_fn`` is an instance of a subclass of ``Node``
named after its op (``AddBackward0``, ``AccumulateGrad``, ...)."""

from .._ferrograd import Node

__all__ = ["Node"]
