"""Neural-network building blocks, as ``torch.nn``."""

from . import functional, init, modules, parallel, utils
from .modules import *  # noqa: F401,F403
from .parameter import Buffer, Parameter

__all__ = ["functional", "init", "parallel", "utils", "Buffer", "Parameter"]
__all__ += modules.__all__
