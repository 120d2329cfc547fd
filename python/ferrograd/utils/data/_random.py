"""The random draws the data utilities make, spelled exactly as PyTorch spells them.

Shuffles and splits equal PyTorch's for the same seed only if the same
generator calls happen in the same order, so each PyTorch call site has one
function here.
"""

import ferrograd


def randperm(n, generator=None):
    """``torch.randperm(n, generator=generator).tolist()``."""
    return ferrograd.randperm(n, generator=generator).tolist()


def randint(high, size, generator=None):
    """``torch.randint(high=high, size=(size,), dtype=torch.int64, generator=generator).tolist()``."""
    return ferrograd.randint(high, (size,), dtype=ferrograd.int64, generator=generator).tolist()


def draw_int64_seed(generator=None):
    """``torch.empty((), dtype=torch.int64).random_(generator=generator).item()``."""
    return int(ferrograd.empty((), dtype=ferrograd.int64).random_(generator=generator).item())


def seeded_generator(seed):
    """A fresh ``Generator`` seeded with ``seed``."""
    return ferrograd.Generator().manual_seed(seed)


def default_generator():
    """``torch.default_generator``."""
    return ferrograd.default_generator
