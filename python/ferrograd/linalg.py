"""``torch.linalg``: the norms, on the core's vector-norm reduction.

Matrix decompositions and solvers are not part of ferrograd; only the
norms that reduce to vector norms are here."""

__all__ = ["vector_norm", "norm", "matrix_norm"]


def _dims(dim):
    return (dim,) if isinstance(dim, int) else (tuple(dim) if dim is not None else None)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """``sum(|x|^ord)^(1/ord)`` over ``dim`` (every element when None);
    ``inf``/``-inf`` give the largest/smallest ``|x|``, 0 the count of nonzeros."""
    if out is not None:
        raise NotImplementedError("linalg.vector_norm: out= is not supported")
    return x.norm(p=float(ord), dim=_dims(dim), keepdim=keepdim, dtype=dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """The Frobenius norm over the two ``dim`` (the square root of the sum of
    squares). Spectral and nuclear norms need singular values, which
    ferrograd does not compute."""
    if out is not None:
        raise NotImplementedError("linalg.matrix_norm: out= is not supported")
    dim = _dims(dim)
    if dim is None or len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if ord != "fro":
        raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} is not supported; only 'fro' is")
    return A.norm(p=2.0, dim=dim, keepdim=keepdim, dtype=dtype)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """A vector norm, or for two dims (or a 2-D input with ``ord``) a matrix
    norm, as ``torch.linalg.norm`` chooses."""
    dim = _dims(dim)
    if ord is None:
        # Frobenius and the vector 2-norm agree on whatever dims are taken.
        return vector_norm(A, 2, dim, keepdim, dtype=dtype, out=out)
    if (dim is not None and len(dim) == 2) or (dim is None and A.dim() == 2):
        return matrix_norm(A, ord, dim if dim is not None else (-2, -1), keepdim, dtype=dtype, out=out)
    if dim is None and A.dim() != 1:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.dim()}D.")
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord={ord!r} is a matrix norm order; vectors take numbers")
    return vector_norm(A, ord, dim, keepdim, dtype=dtype, out=out)
