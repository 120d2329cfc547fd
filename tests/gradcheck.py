"""Finite-difference gradient checks for ferrograd (a helper, not a test module).

Everything runs in float64 on ferrograd tensors.  Values are read with
``.tolist()`` and inputs are rebuilt with ``torch.tensor(nested_list)``, so the
numerical side needs nothing beyond tensor creation, the operations under test
and ``no_grad``.

* ``numerical_jacobian(fn, inputs, eps)`` -- one matrix per input, rows indexed
  by the flattened output, columns by the flattened input, built from central
  differences ``(f(x + eps) - f(x - eps)) / (2 eps)``.
* ``check_grad(fn, inputs, ...)`` -- draws a random upstream gradient ``v`` and
  compares ``J^T v`` with the analytic vector-Jacobian product computed twice:
  by ``torch.autograd.grad`` and by ``.backward(v)`` into fresh leaves.  Raises
  ``AssertionError`` describing every mismatch.
"""

import math
import random

import ferrograd as torch


def flatten(value):
    """Flatten the nested lists returned by ``Tensor.tolist()`` into floats."""
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            out.extend(flatten(item))
        return out
    return [float(value)]


def numel(shape):
    n = 1
    for size in shape:
        n *= size
    return n


def nest(flat, shape):
    """Inverse of ``flatten`` for a given shape (``()`` gives a bare float)."""
    shape = tuple(shape)
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    step = numel(shape[1:])
    return [nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def make_tensor(flat, shape, requires_grad=False, dtype=None):
    """A fresh float64 (or ``dtype``) ferrograd leaf holding ``flat`` in ``shape``."""
    return torch.tensor(nest(flat, shape), dtype=dtype or torch.float64,
                        requires_grad=requires_grad)


def values_and_shapes(inputs):
    values = [flatten(t.detach().tolist()) for t in inputs]
    shapes = [tuple(t.shape) for t in inputs]
    return values, shapes


def evaluate(fn, values, shapes):
    """``fn`` on fresh tensors built from ``values``; flat output and its shape."""
    with torch.no_grad():
        out = fn(*[make_tensor(v, s) for v, s in zip(values, shapes)])
    return flatten(out.tolist()), tuple(out.shape)


def numerical_jacobian(fn, inputs, eps=1e-6):
    """Central-difference Jacobians of ``fn`` at ``inputs`` (list of matrices)."""
    values, shapes = values_and_shapes(inputs)
    out0, _ = evaluate(fn, values, shapes)
    jacobians = []
    for i, base in enumerate(values):
        columns = []
        for j in range(len(base)):
            plus = [list(v) for v in values]
            minus = [list(v) for v in values]
            plus[i][j] = base[j] + eps
            minus[i][j] = base[j] - eps
            f_plus, _ = evaluate(fn, plus, shapes)
            f_minus, _ = evaluate(fn, minus, shapes)
            columns.append([(a - b) / (2.0 * eps) for a, b in zip(f_plus, f_minus)])
        # columns[j][k] = d out_k / d in_j  ->  rows indexed by the output.
        jacobians.append([[columns[j][k] for j in range(len(base))]
                          for k in range(len(out0))])
    return jacobians


def close(actual, expected, atol, rtol):
    return (math.isfinite(actual) and math.isfinite(expected)
            and abs(actual - expected) <= atol + rtol * abs(expected))


def mismatches(actual, expected, atol, rtol):
    """Positions (flat index, actual, expected) where two flat lists differ."""
    if len(actual) != len(expected):
        return [("length", len(actual), len(expected))]
    return [(k, a, e) for k, (a, e) in enumerate(zip(actual, expected))
            if not close(a, e, atol, rtol)]


def jacobians_match(numerical, analytic, atol=1e-5, rtol=1e-3):
    """True when two Jacobians (lists of row lists) agree everywhere."""
    if len(numerical) != len(analytic):
        return False
    return all(not mismatches(flatten(a), flatten(n), atol, rtol)
               for n, a in zip(numerical, analytic))


def analytic_vjp_grad(fn, values, shapes, v):
    """``v^T J`` for every input through ``torch.autograd.grad``."""
    leaves = [make_tensor(val, s, requires_grad=True) for val, s in zip(values, shapes)]
    out = fn(*leaves)
    upstream = make_tensor(v, tuple(out.shape))
    grads = torch.autograd.grad([out], leaves, grad_outputs=[upstream],
                                allow_unused=True)
    assert isinstance(grads, tuple) and len(grads) == len(leaves)
    for leaf in leaves:
        assert leaf.grad is None, "autograd.grad must not write .grad"
    return [[0.0] * len(val) if g is None else flatten(g.tolist())
            for g, val in zip(grads, values)]


def analytic_vjp_backward(fn, values, shapes, v):
    """``v^T J`` for every input through ``out.backward(v)`` into fresh leaves."""
    leaves = [make_tensor(val, s, requires_grad=True) for val, s in zip(values, shapes)]
    out = fn(*leaves)
    out.backward(make_tensor(v, tuple(out.shape)))
    return [[0.0] * len(val) if leaf.grad is None else flatten(leaf.grad.tolist())
            for leaf, val in zip(leaves, values)]


def check_grad(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Assert the analytic gradients of ``fn`` at ``inputs`` match finite differences.

    ``fn`` takes ``len(inputs)`` tensors and returns one tensor.  ``inputs``
    are ferrograd tensors (their values are copied; they are not modified).
    """
    values, shapes = values_and_shapes(inputs)
    out0, out_shape = evaluate(fn, values, shapes)
    rng = random.Random(seed)
    v = [rng.uniform(0.5, 1.5) * rng.choice((-1.0, 1.0)) for _ in out0]

    jacobians = numerical_jacobian(fn, inputs, eps)
    numerical = [[sum(v[k] * jac[k][j] for k in range(len(v))) for j in range(len(val))]
                 for jac, val in zip(jacobians, values)]

    problems = []
    for how, compute in (("autograd.grad", analytic_vjp_grad),
                         ("backward", analytic_vjp_backward)):
        analytic = compute(fn, values, shapes, v)
        for i, (a, n) in enumerate(zip(analytic, numerical)):
            bad = mismatches(a, n, atol, rtol)
            if bad:
                problems.append(f"input {i} (shape {shapes[i]}) via {how}: "
                                f"(index, analytic, numerical) {bad[:6]}")
    if problems:
        raise AssertionError(f"gradient check failed for output shape {out_shape}:\n"
                             + "\n".join(problems))
