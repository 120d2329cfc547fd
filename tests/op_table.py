"""Shared machinery of the one-row-per-op test tables: input specs, reproducible
input data, and applying a row's function (not a test module)."""

import random
import warnings
import zlib

import numpy as np

from gradcheck import flatten, nest, numel


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


# ---- running a row the same way on ferrograd and on PyTorch ---------------------------

def upstream(name, n):
    """The row's upstream gradient values, drawn reproducibly from its name."""
    rng = random.Random(zlib.crc32(name.encode()) + 1)
    return [rng.uniform(-1.5, 1.5) for _ in range(n)]


def run_float32(lib, fn, data, name):
    """Forward and `.backward(upstream)` in float32 on `lib` (ferrograd or torch):
    (shape, flat output, flat grads per input, grad_fn class name)."""
    leaves = [lib.tensor(nest(vals, s), dtype=lib.float32, requires_grad=True) for vals, s, _ in data]
    out = apply(fn, lib, data, leaves)
    out.backward(lib.tensor(nest(upstream(name, out.numel()), tuple(out.shape)), dtype=lib.float32))
    grads = [flatten(leaf.grad.tolist()) for leaf in leaves]
    return tuple(out.shape), flatten(out.tolist()), grads, type(out.grad_fn).__name__


def run_grad(lib, fn, data, name, dtype_name="float32", create_graph=False):
    """Forward and `autograd.grad` with the upstream gradient on `lib`:
    (shape, flat output, flat grads or None per input, dtype, grad_fn class name)."""
    dtype = getattr(lib, dtype_name)
    leaves = [lib.tensor(nest(vals, s), dtype=dtype, requires_grad=True) for vals, s, _ in data]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = apply(fn, lib, data, leaves)
    v = lib.tensor(nest(upstream(name, out.numel()), tuple(out.shape)), dtype=dtype)
    grads = lib.autograd.grad([out], leaves, grad_outputs=[v], create_graph=create_graph, allow_unused=True)
    grads = [None if g is None else flatten(g.tolist()) for g in grads]
    return tuple(out.shape), flatten(out.tolist()), grads, out.dtype, type(out.grad_fn).__name__


def assert_grads_close(grads, ref_grads, rtol, atol):
    """Per input: both absent (or all zero where one is absent), else close."""
    for g, rg in zip(grads, ref_grads):
        if rg is None or g is None:
            assert (g is None or not any(g)) and (rg is None or not any(rg))
            continue
        np.testing.assert_allclose(g, rg, rtol=rtol, atol=atol)
