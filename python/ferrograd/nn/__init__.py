"""Neural-network building blocks, as ``torch.nn``."""

from . import functional, init, modules, utils
from .modules import *  # noqa: F401,F403
from .parameter import Buffer, Parameter

__all__ = ["functional", "init", "utils", "Buffer", "Parameter"]
__all__ += modules.__all__
