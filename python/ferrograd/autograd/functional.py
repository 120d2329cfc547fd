"""Functional higher-order derivatives, as ``torch.autograd.functional``:
vjp, jvp, jacobian, hessian, vhp, hvp — built on ``autograd.grad`` with
``create_graph`` (jvp and hvp use the double-backward trick)."""

from .. import _ferrograd as _C

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(x):
    """(the items as a tuple, whether `x` was a single tensor)."""
    return (tuple(x), False) if isinstance(x, (tuple, list)) else ((x,), True)


def _prepare(inputs, create_graph):
    """Fresh leaves (or graph-connected aliases with create_graph) to differentiate at."""
    out = []
    for t in inputs:
        if not isinstance(t, _C.Tensor):
            raise TypeError(f"The inputs given to the function must be Tensors, got {type(t).__name__}")
        out.append(t.view(t.shape) if create_graph and t.requires_grad else t.detach().requires_grad_(True))
    return tuple(out)


def _grad(outputs, inputs, grad_outputs, create_graph, strict, what):
    outputs = [o for o in outputs]
    needs = [o.requires_grad for o in outputs]
    if not any(needs):
        grads = (None,) * len(inputs)
    else:
        pairs = [(o, g) for o, g, n in zip(outputs, grad_outputs, needs) if n]
        grads = _C.grad([o for o, _ in pairs], list(inputs), [g for _, g in pairs], True, create_graph, True, True, False, False)
    if strict and any(g is None for g in grads):
        raise RuntimeError(f"The output of the user-provided function is independent of input {grads.index(None)}. This is not allowed in strict mode when {what}.")
    return tuple(g if g is not None else _C.zeros_like(i) for g, i in zip(grads, inputs))


def _finish(tensors, create_graph):
    return tuple(t if create_graph else t.detach() for t in tensors)


def _check_v(v, like, name):
    v, _ = _as_tuple(v)
    if len(v) != len(like):
        raise RuntimeError(f"The given {name} should contain a single Tensor for each output/input, got {len(v)} for {len(like)}.")
    for a, b in zip(v, like):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(f"Entry in {name} has invalid size: should be {tuple(b.shape)} but got {tuple(a.shape)}")
    return v


def _default_v(like, name):
    if len(like) != 1 or like[0].numel() != 1:
        raise RuntimeError(f"The vector {name} can only be None if the user-provided function returns a single Tensor with a single element.")
    return (_C.ones_like(like[0]),)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), vᵀ·J)``."""
    with _C_enable_grad():
        inputs, single_in = _as_tuple(inputs)
        inputs = _prepare(inputs, create_graph)
        outputs, single_out = _as_tuple(func(*inputs))
        v = _default_v(outputs, "v") if v is None else _check_v(v, outputs, "v")
        grads = _grad(outputs, inputs, v, create_graph, strict, "computing vjp")
    outs = _finish(outputs, create_graph)
    grads = _finish(grads, create_graph)
    return (outs if not single_out else outs[0]), (grads if not single_in else grads[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J·v)``, via the gradient of vᵀ-weighted vjp with respect to a dummy."""
    with _C_enable_grad():
        inputs, single_in = _as_tuple(inputs)
        inputs = _prepare(inputs, create_graph)
        v = _default_v(inputs, "v") if v is None else _check_v(v, inputs, "v")
        outputs, single_out = _as_tuple(func(*inputs))
        dummies = tuple(_C.zeros_like(o).requires_grad_(True) for o in outputs)
        grads = _grad(outputs, inputs, dummies, True, strict, "computing jvp")
        result = _grad(grads, dummies, v, create_graph, strict, "computing jvp")
    outs = _finish(outputs, create_graph)
    result = _finish(result, create_graph)
    return (outs if not single_out else outs[0]), (result if not single_out else result[0])


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """J[i][j] = d output_i / d input_j, each of shape output.shape + input.shape."""
    if strategy != "reverse-mode":
        raise NotImplementedError("only strategy='reverse-mode' is supported")
    with _C_enable_grad():
        inputs, single_in = _as_tuple(inputs)
        inputs = _prepare(inputs, create_graph)
        outputs, single_out = _as_tuple(func(*inputs))
        table = []
        for out in outputs:
            flat = out.reshape(-1)
            rows = [[] for _ in inputs]
            for k in range(flat.numel()):
                grads = _grad([flat[k]], inputs, [_C.ones_like(flat[k])], create_graph, strict, "computing the jacobian")
                for r, g in zip(rows, grads):
                    r.append(g)
            per_input = []
            for r, inp in zip(rows, inputs):
                if r:
                    j = _C_stack(r).reshape(tuple(out.shape) + tuple(inp.shape))
                else:
                    j = _C.zeros(*(tuple(out.shape) + tuple(inp.shape)), dtype=inp.dtype)
                per_input.append(j if create_graph else j.detach())
            table.append(tuple(per_input))
    if single_out and single_in:
        return table[0][0]
    if single_out:
        return table[0]
    if single_in:
        return tuple(row[0] for row in table)
    return tuple(table)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Jacobian of the gradient of a scalar function."""
    inputs_t, single_in = _as_tuple(inputs)

    def gradient(*xs):
        out = func(*xs)
        if not isinstance(out, _C.Tensor) or out.numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a single element")
        return _grad([out], xs, [_C.ones_like(out)], True, strict, "computing the hessian")

    result = jacobian(gradient, inputs_t, create_graph=create_graph, strict=strict)
    if single_in:
        return result[0][0]
    return result


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), vᵀ·H)``."""
    with _C_enable_grad():
        inputs, single_in = _as_tuple(inputs)
        inputs = _prepare(inputs, create_graph)
        v = _default_v(inputs, "v") if v is None else _check_v(v, inputs, "v")
        out = func(*inputs)
        if not isinstance(out, _C.Tensor) or out.numel() != 1:
            raise RuntimeError("The function given to vhp should return a single Tensor with a single element")
        grads = _grad([out], inputs, [_C.ones_like(out)], True, strict, "computing vhp")
        result = _grad(grads, inputs, v, create_graph, strict, "computing vhp")
    out = out if create_graph else out.detach()
    result = _finish(result, create_graph)
    return out, (result if not single_in else result[0])


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H·v)``; equal to vhp for the symmetric Hessians of smooth functions."""
    return vhp(func, inputs, v, create_graph, strict)


class _C_enable_grad:
    def __enter__(self):
        self.prev = _C._set_grad_enabled(True)

    def __exit__(self, *exc):
        _C._set_grad_enabled(self.prev)


def _C_stack(tensors):
    """Stacks 0-d or n-d tensors along a new first dim, keeping the graph."""
    from .. import stack

    return stack(tensors)
