"""Neural-network building blocks, as ``torch.nn``."""

from . import functional
