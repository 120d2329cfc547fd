"""Shared machinery of the one-row-per-op test tables: input specs, reproducible
input data, and applying a row's function (not a test module)."""

import random
import zlib

import numpy as np

from gradcheck import numel


class t:
    """A non-contiguous input of the given (seen) shape."""

    def __init__(self, *shape):
        self.shape = shape


class v:
    """An input with fixed values."""

    def __init__(self, values):
        self.values = values


def draw(rng, domain):
    """One value: 'any' in [-2, 2], 'small' in [-1, 1], 'pos' in [0.5, 2], 'nz' away from 0."""
    if domain == "any":
        return rng.uniform(-2.0, 2.0)
    if domain == "small":
        return rng.uniform(-1.0, 1.0)
    magnitude = rng.uniform(0.5, 2.0)
    if domain == "pos":
        return magnitude
    if domain == "nz":
        return magnitude * rng.choice((-1.0, 1.0))
    raise ValueError(domain)


def input_data(name, specs, domain):
    """[(flat values, stored shape, transposed)] for a row, drawn reproducibly.
    `domain` is one domain for every input or a tuple with one per input."""
    rng = random.Random(zlib.crc32(name.encode()))
    domains = domain if isinstance(domain, tuple) else (domain,) * len(specs)
    data = []
    for spec, dom in zip(specs, domains):
        if isinstance(spec, v):
            arr = np.asarray(spec.values, dtype=np.float64)
            data.append((arr.ravel().tolist(), arr.shape, False))
            continue
        transposed = isinstance(spec, t)
        seen = spec.shape if transposed else spec
        stored = tuple(reversed(seen)) if transposed else tuple(seen)
        data.append(([draw(rng, dom) for _ in range(numel(stored))], stored, transposed))
    return data


def apply(fn, lib, data, tensors):
    """Calls a row's function, transposing the inputs stored transposed."""
    return fn(lib, *[x.t() if tr else x for x, (_, _, tr) in zip(tensors, data)])
