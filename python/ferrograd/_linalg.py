"""einsum and linear, composed from the core's matrix products and views."""

from . import _ferrograd as _C

__all__ = ["einsum", "linear"]


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``: one fused addmm for 2-D input, as PyTorch."""
    if bias is not None and input.dim() == 2:
        return _C.addmm(bias, input, weight.t())
    out = input.matmul(weight.t())
    return out if bias is None else out + bias


def _parse(equation, count):
    equation = equation.replace(" ", "")
    if "..." in equation:
        raise NotImplementedError("einsum(): ellipsis ('...') is not supported yet")
    lhs, arrow, rhs = equation.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != count:
        raise ValueError(f"einsum(): more operands were provided than specified in the equation" if count > len(inputs)
                         else "einsum(): fewer operands were provided than specified in the equation")
    for term in inputs:
        if not term.isalpha() and term:
            raise ValueError(f"einsum(): invalid subscript given at index {equation.index(next(c for c in term if not c.isalpha()))} in the equation string, subscripts must be in [a-zA-Z]")
    if not arrow:
        letters = "".join(inputs)
        rhs = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return inputs, rhs


def _sum_out(t, labels, keep):
    """Sums away labels that no later step needs."""
    dims = [i for i, c in enumerate(labels) if c not in keep]
    if not dims:
        return t, labels
    return t.sum(dim=dims), "".join(c for c in labels if c in keep)


def _contract(a, la, b, lb, keep):
    """Pairwise contraction as one batched matrix product."""
    a, la = _sum_out(a, la, set(lb) | keep)
    b, lb = _sum_out(b, lb, set(la) | keep)
    batch = [c for c in la if c in lb and c in keep]
    summed = [c for c in la if c in lb and c not in keep]
    left = [c for c in la if c not in lb]
    right = [c for c in lb if c not in la]
    size = {c: n for c, n in zip(la, a.shape)}
    size.update({c: n for c, n in zip(lb, b.shape)})

    def prod(cs):
        n = 1
        for c in cs:
            n *= size[c]
        return n

    a3 = a.permute(*[la.index(c) for c in batch + left + summed]).reshape(prod(batch), prod(left), prod(summed))
    b3 = b.permute(*[lb.index(c) for c in batch + summed + right]).reshape(prod(batch), prod(summed), prod(right))
    out = a3.bmm(b3).reshape(*[size[c] for c in batch + left + right])
    return out, "".join(batch + left + right)


def einsum(equation, *operands):
    """Einstein summation over one or more operands (no ellipsis, no repeated index within one operand)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    inputs, output = _parse(equation, len(operands))
    for term, t in zip(inputs, operands):
        if len(term) != t.dim():
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(term)}) does not match the number of dimensions ({t.dim()}) for operand {inputs.index(term)} and no ellipsis was given")
        if len(set(term)) != len(term):
            raise NotImplementedError("einsum(): a repeated subscript within one operand (a diagonal) is not supported yet")
    result, labels = operands[0], inputs[0]
    for k in range(1, len(operands)):
        keep = set(output).union(*inputs[k + 1:])
        result, labels = _contract(result, labels, operands[k], inputs[k], keep)
    result, labels = _sum_out(result, labels, set(output))
    if labels != output:
        result = result.permute(*[labels.index(c) for c in output])
    return result
