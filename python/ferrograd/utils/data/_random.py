"""The random draws the data utilities make, spelled exactly as PyTorch spells them.

Shuffles and splits equal PyTorch's for the same seed only if the same
generator calls happen in the same order, so each PyTorch call site has one
function here.  ``Generator``, ``randperm``, ``randint`` and ``Tensor.random_``
are looked up at call time (on ``ferrograd``, then on the compiled module):
this package imports, and sequential loading works, even in a build without
them.
"""

import ferrograd


def _lookup(name):
    """``ferrograd.<name>``, or the compiled module's when the package does not re-export it."""
    found = getattr(ferrograd, name, None)
    if found is None:
        found = getattr(ferrograd._ferrograd, name, None)
    return found


def _require(owner, name, spelled):
    found = _lookup(name) if owner is ferrograd else getattr(owner, name, None)
    if found is None:
        raise NotImplementedError(
            f"{spelled} is not available in this ferrograd build; shuffling and random splits need it"
        )
    return found


def randperm(n, generator=None):
    """``torch.randperm(n, generator=generator).tolist()``."""
    return _require(ferrograd, "randperm", "ferrograd.randperm")(n, generator=generator).tolist()


def randint(high, size, generator=None):
    """``torch.randint(high=high, size=(size,), dtype=torch.int64, generator=generator).tolist()``."""
    draw = _require(ferrograd, "randint", "ferrograd.randint")
    return draw(high, (size,), dtype=ferrograd.int64, generator=generator).tolist()


def draw_int64_seed(generator=None):
    """``torch.empty((), dtype=torch.int64).random_(generator=generator).item()``."""
    scalar = ferrograd.empty((), dtype=ferrograd.int64)
    random_ = _require(type(scalar), "random_", "Tensor.random_")
    if generator is None:
        return int(random_(scalar).item())
    return int(random_(scalar, generator=generator).item())


def can_draw_seed():
    return getattr(ferrograd.Tensor, "random_", None) is not None


def seeded_generator(seed):
    """A fresh ``Generator`` seeded with ``seed``."""
    generator = _require(ferrograd, "Generator", "ferrograd.Generator")()
    generator.manual_seed(seed)
    return generator


def default_generator():
    """``torch.default_generator``, or None (the global stream) when the build has none."""
    return _lookup("default_generator")
