"""Shape ops, views, joining and basic indexing.

One table row per expression, in the style of test_ops_grad.py: forward values
against a numpy reference, gradients against finite differences (float64,
through the views), and both against PyTorch when it is installed. Then:
storage sharing where PyTorch shares (checked with in-place writes through the
view and through the base), grad_fn names against PyTorch's, errors with
PyTorch's exception types and phrases, and the special rules (cat's empty
tensors, multi-output nodes, reshape copying only when it must).
"""

import random
import types
import warnings
import zlib

import numpy as np
import pytest

import ferrograd as torch
from gradcheck import check_grad, flatten, nest, numel


class t:
    """A non-contiguous input of the given (seen) shape: a leaf of the reversed shape seen through `.T`."""

    def __init__(self, *shape):
        self.shape = shape


def T(x):
    """Reverse all dims (what `.T` does), without the deprecation warning for non-2-d tensors."""
    return x.permute(*reversed(range(x.dim())))


ROWS = [
    # reshape / view / flatten / unflatten
    ("reshape", lambda L, a: a.reshape(4, 6), [(2, 3, 4)]),
    ("reshape_infer", lambda L, a: a.reshape(-1, 3), [(2, 3, 2)]),
    ("reshape_tuple", lambda L, a: a.reshape((3, 4)), [(2, 6)]),
    ("reshape_noncontig_copy", lambda L, a: a.reshape(-1), [t(3, 4)]),
    ("reshape_noncontig_view", lambda L, a: a.reshape(2, 2, 3), [t(4, 3)]),
    ("reshape_to_0d", lambda L, a: a.reshape(()), [(1, 1)]),
    ("view", lambda L, a: a.view(3, 2, 2), [(2, 6)]),
    ("view_infer", lambda L, a: a.view(2, -1), [(2, 3, 2)]),
    ("view_split_noncontig", lambda L, a: a.view(3, 2, 4), [t(6, 4)]),
    ("view_as", lambda L, a, b: a.view_as(b) * b, [(2, 6), (3, 4)]),
    ("reshape_as", lambda L, a, b: a.reshape_as(b) * b, [t(2, 6), (3, 4)]),
    ("flatten", lambda L, a: a.flatten(), [(2, 3, 2)]),
    ("flatten_start", lambda L, a: a.flatten(1), [(2, 3, 2)]),
    ("flatten_range", lambda L, a: a.flatten(0, 1), [(2, 3, 2)]),
    ("flatten_negative", lambda L, a: a.flatten(start_dim=-2, end_dim=-1), [(2, 3, 2)]),
    ("flatten_noncontig", lambda L, a: a.flatten(), [t(3, 4)]),
    ("flatten_0d", lambda L, a: a.flatten(), [()]),
    ("torch_flatten", lambda L, a: L.flatten(a, 1), [(2, 2, 3)]),
    ("ravel", lambda L, a: a.ravel(), [t(2, 3)]),
    ("unflatten", lambda L, a: a.unflatten(1, (2, 3)), [(2, 6)]),
    ("unflatten_infer", lambda L, a: a.unflatten(-1, (-1, 2)), [(3, 4)]),
    ("unflatten_noncontig", lambda L, a: a.unflatten(0, (2, 2)), [t(4, 3)]),
    # expand / broadcast
    ("expand", lambda L, a: a.expand(3, 4), [(3, 1)]),
    ("expand_new_dims", lambda L, a: a.expand(2, 3, 4), [(4,)]),
    ("expand_minus_one", lambda L, a: a.expand(2, -1, 4), [(3, 1)]),
    ("expand_size_arg", lambda L, a: a.expand((2, 3)), [(1, 3)]),
    ("expand_0d", lambda L, a: a.expand(2, 3), [()]),
    ("expand_noncontig", lambda L, a: a.expand(2, 3, 2), [t(3, 1)]),
    ("expand_as", lambda L, a, b: a.expand_as(b) * b, [(1, 4), (3, 4)]),
    ("broadcast_to", lambda L, a: a.broadcast_to((2, 3, 4)), [(3, 1)]),
    ("broadcast_to_minus_one", lambda L, a: L.broadcast_to(a, (2, -1)), [(3,)]),
    # transposes and permutes
    ("transpose", lambda L, a: a.transpose(0, 2), [(2, 3, 4)]),
    ("transpose_negative", lambda L, a: a.transpose(-1, -2), [(2, 3, 4)]),
    ("transpose_fn", lambda L, a: L.transpose(a, 0, 1), [t(2, 3)]),
    ("t", lambda L, a: a.t(), [(2, 3)]),
    ("t_1d", lambda L, a: a.t(), [(3,)]),
    ("T", lambda L, a: a.T, [(2, 3)]),
    ("mT", lambda L, a: a.mT, [(2, 3, 4)]),
    ("permute", lambda L, a: a.permute(2, 0, 1), [(2, 3, 4)]),
    ("permute_tuple_negative", lambda L, a: a.permute((-1, 0, 1)), [t(4, 3, 2)]),
    ("movedim", lambda L, a: a.movedim(0, -1), [(2, 3, 4)]),
    ("movedim_multi", lambda L, a: a.movedim((0, 1), (2, 0)), [(2, 3, 4)]),
    ("swapaxes", lambda L, a: a.swapaxes(0, 1), [(2, 3, 4)]),
    # squeeze / unsqueeze
    ("squeeze", lambda L, a: a.squeeze(), [(2, 1, 3, 1)]),
    ("squeeze_dim", lambda L, a: a.squeeze(1), [(2, 1, 3)]),
    ("squeeze_dim_not_one", lambda L, a: a.squeeze(0), [(2, 1, 3)]),
    ("squeeze_tuple", lambda L, a: a.squeeze((1, -1)), [(2, 1, 3, 1)]),
    ("squeeze_noncontig", lambda L, a: a.squeeze(1), [t(3, 1, 2)]),
    ("unsqueeze", lambda L, a: a.unsqueeze(1), [(2, 3)]),
    ("unsqueeze_negative", lambda L, a: a.unsqueeze(-1), [t(2, 3)]),
    ("unsqueeze_0d", lambda L, a: a.unsqueeze(0), [()]),
    # picking views
    ("select", lambda L, a: a.select(1, -1), [(2, 3, 2)]),
    ("narrow", lambda L, a: a.narrow(1, 1, 2), [(2, 4)]),
    ("narrow_negative_start", lambda L, a: a.narrow(-1, -3, 2), [t(4, 3)]),
    ("torch_narrow", lambda L, a: L.narrow(a, 0, 0, 1), [(3, 2)]),
    ("diagonal", lambda L, a: a.diagonal(), [(3, 4)]),
    ("diagonal_offset", lambda L, a: a.diagonal(1), [(3, 4)]),
    ("diagonal_negative_offset", lambda L, a: a.diagonal(offset=-1), [t(4, 3)]),
    ("diagonal_dims", lambda L, a: a.diagonal(0, 2, 0), [(3, 2, 4)]),
    ("diagonal_empty", lambda L, a: a.diagonal(5) + a.sum(), [(2, 3)]),
    # several outputs
    ("unbind_all", lambda L, a: a.unbind(1)[0] * 2 + a.unbind(1)[1] - a.unbind(1)[2], [(2, 3)]),
    ("unbind_one_used", lambda L, a: a.unbind()[1], [(3, 2)]),
    ("unbind_noncontig", lambda L, a: a.unbind(-1)[1], [t(3, 2)]),
    ("chunk", lambda L, a: a.chunk(3, 1)[1] * 2, [(2, 5)]),
    ("chunk_last", lambda L, a: a.chunk(2)[1], [(5, 2)]),
    ("split_int", lambda L, a: a.split(2, 1)[2] * 3 + a.split(2, 1)[0][:, :1], [(2, 5)]),
    ("split_sizes", lambda L, a: a.split([1, 3], dim=0)[1], [(4, 2)]),
    ("split_sizes_noncontig", lambda L, a: a.split((2, 1), -1)[0], [t(3, 3)]),
    ("torch_split", lambda L, a: L.split(a, 2)[0], [(3, 2)]),
    ("torch_chunk", lambda L, a: L.chunk(a, 2, dim=1)[0], [(2, 4)]),
    ("torch_unbind", lambda L, a: L.unbind(a, 1)[1], [(2, 3)]),
    # copies in a new order
    ("flip", lambda L, a: a.flip(0), [(3, 2)]),
    ("flip_many", lambda L, a: a.flip(0, 2), [(2, 3, 2)]),
    ("flip_list_noncontig", lambda L, a: a.flip([-1]), [t(3, 4)]),
    ("torch_flip", lambda L, a: L.flip(a, (0, 1)), [(2, 3)]),
    ("roll", lambda L, a: a.roll(1, 0), [(3, 2)]),
    ("roll_negative", lambda L, a: a.roll(-2, -1), [(2, 5)]),
    ("roll_flat", lambda L, a: a.roll(4), [(2, 3)]),
    ("roll_many", lambda L, a: a.roll((1, -1), (0, 1)), [t(3, 4)]),
    ("torch_roll", lambda L, a: L.roll(a, shifts=2, dims=1), [(2, 3)]),
    ("repeat", lambda L, a: a.repeat(2, 3), [(2, 3)]),
    ("repeat_new_dims", lambda L, a: a.repeat(2, 1, 2), [(3,)]),
    ("repeat_noncontig", lambda L, a: a.repeat(1, 2), [t(3, 2)]),
    ("repeat_0d", lambda L, a: a.repeat(3), [()]),
    ("tile", lambda L, a: a.tile((2,)), [(2, 3)]),
    ("tile_more", lambda L, a: L.tile(a, (2, 1, 2)), [(2, 3)]),
    ("repeat_interleave", lambda L, a: a.repeat_interleave(2, dim=1), [(2, 3)]),
    ("repeat_interleave_flat", lambda L, a: a.repeat_interleave(3), [t(2, 2)]),
    ("repeat_interleave_fn", lambda L, a: L.repeat_interleave(a, 2, 0), [(2, 3)]),
    ("tril", lambda L, a: a.tril(), [(3, 4)]),
    ("tril_offset", lambda L, a: a.tril(-1), [t(4, 3)]),
    ("tril_batched", lambda L, a: L.tril(a, diagonal=1), [(2, 3, 3)]),
    ("triu", lambda L, a: a.triu(), [(4, 3)]),
    ("triu_offset", lambda L, a: a.triu(diagonal=2), [(3, 5)]),
    ("triu_negative", lambda L, a: L.triu(a, -1), [t(3, 3)]),
    # joining
    ("cat", lambda L, a, b: L.cat([a, b]), [(2, 3), (1, 3)]),
    ("cat_dim1", lambda L, a, b: L.cat((a, b), 1), [(2, 3), (2, 1)]),
    ("cat_negative_dim", lambda L, a, b, c: L.cat([a, b, c], dim=-1), [(2, 1), t(2, 3), (2, 2)]),
    ("cat_same_input", lambda L, a: L.cat([a, a * 2], 0), [(2, 2)]),
    ("concat", lambda L, a, b: L.concat([a, b], 1), [(2, 2), (2, 1)]),
    ("concatenate", lambda L, a, b: L.concatenate([a, b], axis=0), [(1, 2), (2, 2)]),
    ("stack", lambda L, a, b: L.stack([a, b]), [(2, 3), (2, 3)]),
    ("stack_last", lambda L, a, b: L.stack((a, b), dim=-1), [t(2, 3), (2, 3)]),
    ("stack_middle", lambda L, a, b, c: L.stack([a, b, c], 1), [(2, 2), (2, 2), (2, 2)]),
    ("stack_0d", lambda L, a, b: L.stack([a, b]), [(), ()]),
    ("hstack", lambda L, a, b: L.hstack([a, b]), [(2, 1), (2, 3)]),
    ("hstack_1d", lambda L, a, b: L.hstack([a, b]), [(2,), (3,)]),
    ("vstack", lambda L, a, b: L.vstack([a, b]), [(3,), (2, 3)]),
    ("vstack_0d", lambda L, a, b: L.vstack([a, b]), [(), ()]),
    ("row_stack", lambda L, a, b: L.row_stack((a, b)), [(1, 2), (2, 2)]),
    ("dstack", lambda L, a, b: L.dstack([a, b]), [(2, 3), (2, 3)]),
    ("column_stack", lambda L, a, b: L.column_stack([a, b]), [(3,), (3, 2)]),
    # basic indexing
    ("index_int", lambda L, a: a[1], [(3, 2)]),
    ("index_negative_int", lambda L, a: a[-1, 0], [(3, 2)]),
    ("index_slice", lambda L, a: a[1:3], [(4, 2)]),
    ("index_slice_step", lambda L, a: a[::2, 1:], [(5, 3)]),
    ("index_slice_negative", lambda L, a: a[-3:-1, :-1], [(4, 3)]),
    ("index_slice_clamped", lambda L, a: a[1:100, -100:2], [(3, 4)]),
    ("index_slice_empty", lambda L, a: a[3:1].sum(0) + a[1], [(4, 2)]),
    ("index_none", lambda L, a: a[None], [(2, 3)]),
    ("index_none_middle", lambda L, a: a[:, None, 1], [(2, 3)]),
    ("index_ellipsis", lambda L, a: a[..., 1], [(2, 3, 2)]),
    ("index_ellipsis_only", lambda L, a: a[...], [(2, 3)]),
    ("index_empty_tuple", lambda L, a: a[()], [(2, 3)]),
    ("index_mixed", lambda L, a: a[1:3, ::2, None, ..., -1], [(4, 5, 2, 3)]),
    ("index_noncontig", lambda L, a: a[1:, ::2], [t(4, 5)]),
    ("index_chain", lambda L, a: a[1][::2][None, ..., 0:1], [(3, 4, 2)]),
    ("index_0d_none", lambda L, a: a[None, ...], [()]),
    ("index_numpy_int", lambda L, a: a[np.int64(1), 1:], [(2, 3)]),
    # compositions
    ("views_then_math", lambda L, a, b: (a.t()[1:] * b.unsqueeze(0)).flatten().reshape(2, -1), [(3, 3), (3,)]),
    ("cat_of_views", lambda L, a: L.cat([a[:, :1], a.flip(1), a.narrow(1, 1, 1)], 1).sum(0), [(2, 3)]),
    ("stack_of_chunks", lambda L, a: L.stack(a.chunk(2, 1), 0).transpose(0, 2), [(2, 4)]),
    ("split_and_cat_back", lambda L, a: L.cat(a.split(1, 0)[::-1], 0) * a, [(3, 2)]),
    ("diag_of_repeat", lambda L, a: a.repeat(2, 2).diagonal(1) * 2, [(2, 3)]),
    ("tril_of_expand", lambda L, a: a.expand(3, 3).tril(), [(3,)]),
]

IDS = [row[0] for row in ROWS]
ROW_ARGS = [row[1:] for row in ROWS]


def input_data(name, specs):
    """[(flat values, stored shape, transposed)] drawn reproducibly for a row."""
    rng = random.Random(zlib.crc32(name.encode()))
    data = []
    for spec in specs:
        transposed = isinstance(spec, t)
        seen = spec.shape if transposed else spec
        stored = tuple(reversed(seen)) if transposed else tuple(seen)
        data.append(([rng.uniform(-2.0, 2.0) for _ in range(numel(stored))], stored, transposed))
    return data


def apply(fn, lib, data, tensors):
    return fn(lib, *[T(x) if tr else x for x, (_, _, tr) in zip(tensors, data)])


def upstream(name, n):
    rng = random.Random(zlib.crc32(name.encode()) + 1)
    return [rng.uniform(-1.5, 1.5) for _ in range(n)]


# --- numpy reference ---------------------------------------------------------------------

def _ints(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _axis(d, ndim):
    return d + ndim if d < 0 else d


class Ref:
    """The tensor API of the rows, over a float64 numpy array."""

    def __init__(self, a):
        self.a = np.asarray(a, dtype=np.float64)

    @property
    def shape(self):
        return self.a.shape

    def dim(self):
        return self.a.ndim

    @staticmethod
    def _v(o):
        return o.a if isinstance(o, Ref) else o

    def __add__(self, o): return Ref(self.a + self._v(o))
    def __sub__(self, o): return Ref(self.a - self._v(o))
    def __mul__(self, o): return Ref(self.a * self._v(o))
    def __rmul__(self, o): return Ref(self._v(o) * self.a)
    def __getitem__(self, index): return Ref(self.a[index])

    def sum(self, dim=None): return Ref(self.a.sum(axis=dim))
    def reshape(self, *s): return Ref(self.a.reshape(_ints(s)))
    view = reshape
    def view_as(self, o): return Ref(self.a.reshape(o.shape))
    reshape_as = view_as
    def ravel(self): return Ref(self.a.ravel())

    def flatten(self, start_dim=0, end_dim=-1):
        if self.a.ndim == 0:
            return Ref(self.a.reshape(1))
        s, e = _axis(start_dim, self.a.ndim), _axis(end_dim, self.a.ndim)
        sh = self.a.shape
        return Ref(self.a.reshape(sh[:s] + (-1,) + sh[e + 1:]))

    def unflatten(self, dim, sizes):
        d = _axis(dim, self.a.ndim)
        return Ref(self.a.reshape(self.a.shape[:d] + tuple(sizes) + self.a.shape[d + 1:]))

    def expand(self, *s):
        sizes = _ints(s)
        lead = len(sizes) - self.a.ndim
        target = tuple(self.a.shape[i - lead] if v == -1 else v for i, v in enumerate(sizes))
        return Ref(np.broadcast_to(self.a, target))

    broadcast_to = expand
    def expand_as(self, o): return Ref(np.broadcast_to(self.a, o.shape))
    def transpose(self, d0, d1): return Ref(np.swapaxes(self.a, d0, d1))
    swapaxes = transpose
    def t(self): return Ref(self.a.T)

    @property
    def T(self): return Ref(self.a.T)

    @property
    def mT(self): return Ref(np.swapaxes(self.a, -1, -2))

    def permute(self, *d): return Ref(np.transpose(self.a, [_axis(x, self.a.ndim) for x in _ints(d)]))
    def movedim(self, s, d): return Ref(np.moveaxis(self.a, s, d))
    def unsqueeze(self, d): return Ref(np.expand_dims(self.a, _axis(d, self.a.ndim + 1)))

    def squeeze(self, dim=None):
        if dim is None:
            return Ref(np.squeeze(self.a))
        dims = dim if isinstance(dim, tuple) else (dim,)
        axes = tuple(_axis(d, self.a.ndim) for d in dims)
        return Ref(np.squeeze(self.a, axis=tuple(d for d in axes if self.a.shape[d] == 1)))

    def select(self, dim, i): return Ref(np.take(self.a, i, axis=dim))
    def narrow(self, dim, start, length):
        d = _axis(dim, self.a.ndim)
        start = start + self.a.shape[d] if start < 0 else start
        return Ref(np.take(self.a, range(start, start + length), axis=d))

    def diagonal(self, offset=0, dim1=0, dim2=1): return Ref(np.diagonal(self.a, offset, dim1, dim2))
    def unbind(self, dim=0): return tuple(Ref(p) for p in np.moveaxis(self.a, dim, 0))

    def split(self, size, dim=0):
        n = self.a.shape[dim]
        if isinstance(size, int):
            cuts = list(range(size, n, size))
        else:
            cuts = list(np.cumsum(size)[:-1])
        return tuple(Ref(p) for p in np.split(self.a, cuts, axis=dim))

    def chunk(self, chunks, dim=0): return self.split(-(-self.a.shape[dim] // chunks), dim)

    def flip(self, *dims): return Ref(np.flip(self.a, axis=_ints(dims)))
    def roll(self, shifts, dims=None): return Ref(np.roll(self.a, shifts, axis=dims))
    def repeat(self, *r): return Ref(np.tile(self.a, _ints(r)))
    def tile(self, *r): return Ref(np.tile(self.a, _ints(r)))
    def repeat_interleave(self, r, dim=None): return Ref(np.repeat(self.a, r, axis=dim))
    def tril(self, diagonal=0): return Ref(np.tril(self.a, diagonal))
    def triu(self, diagonal=0): return Ref(np.triu(self.a, diagonal))


def _arrays(tensors):
    return [x.a for x in tensors]


class RefLib:
    cat = staticmethod(lambda ts, dim=0: Ref(np.concatenate(_arrays(ts), axis=dim)))
    concat = cat
    concatenate = staticmethod(lambda ts, axis=0: Ref(np.concatenate(_arrays(ts), axis=axis)))
    stack = staticmethod(lambda ts, dim=0: Ref(np.stack(_arrays(ts), axis=dim)))
    hstack = staticmethod(lambda ts: Ref(np.hstack(_arrays(ts))))
    vstack = staticmethod(lambda ts: Ref(np.vstack(_arrays(ts))))
    row_stack = vstack
    dstack = staticmethod(lambda ts: Ref(np.dstack(_arrays(ts))))
    column_stack = staticmethod(lambda ts: Ref(np.column_stack(_arrays(ts))))
    flatten = staticmethod(lambda a, *args: a.flatten(*args))
    broadcast_to = staticmethod(lambda a, s: a.expand(s))
    transpose = staticmethod(lambda a, d0, d1: a.transpose(d0, d1))
    narrow = staticmethod(lambda a, *args: a.narrow(*args))
    split = staticmethod(lambda a, *args: a.split(*args))
    chunk = staticmethod(lambda a, chunks, dim=0: a.chunk(chunks, dim))
    unbind = staticmethod(lambda a, dim=0: a.unbind(dim))
    flip = staticmethod(lambda a, dims: a.flip(dims))
    roll = staticmethod(lambda a, shifts, dims=None: a.roll(shifts, dims))
    tile = staticmethod(lambda a, dims: a.tile(dims))
    repeat_interleave = staticmethod(lambda a, r, dim=None: a.repeat_interleave(r, dim))
    tril = staticmethod(lambda a, diagonal=0: a.tril(diagonal))
    triu = staticmethod(lambda a, diagonal=0: a.triu(diagonal))


# --- the three checks per row ----------------------------------------------------------------

@pytest.mark.parametrize("fn, specs", ROW_ARGS, ids=IDS)
def test_forward_matches_numpy(request, fn, specs):
    name = request.node.callspec.id
    data = input_data(name, specs)
    ours = apply(fn, torch, data, [torch.tensor(nest(v, s), dtype=torch.float64) for v, s, _ in data])
    ref = apply(fn, RefLib, data, [Ref(np.reshape(v, s)) for v, s, _ in data])
    assert tuple(ours.shape) == ref.a.shape
    assert ours.dtype == torch.float64
    np.testing.assert_array_equal(np.array(flatten(ours.tolist())), ref.a.ravel())


@pytest.mark.parametrize("fn, specs", ROW_ARGS, ids=IDS)
def test_gradient_matches_finite_differences(request, fn, specs):
    name = request.node.callspec.id
    data = input_data(name, specs)
    inputs = [torch.tensor(nest(v, s), dtype=torch.float64, requires_grad=True) for v, s, _ in data]
    check_grad(lambda *xs: apply(fn, torch, data, xs), inputs, seed=zlib.crc32(name.encode()))


def run_float32(lib, fn, data, name):
    leaves = [lib.tensor(nest(v, s), dtype=lib.float32, requires_grad=True) for v, s, _ in data]
    out = apply(fn, lib, data, leaves)
    v = upstream(name, out.numel())
    out.backward(lib.tensor(nest(v, tuple(out.shape)), dtype=lib.float32))
    grads = [flatten(leaf.grad.tolist()) for leaf in leaves]
    return tuple(out.shape), flatten(out.tolist()), grads, type(out.grad_fn).__name__


@pytest.mark.parametrize("fn, specs", ROW_ARGS, ids=IDS)
def test_matches_pytorch(request, torch_ref, fn, specs):
    name = request.node.callspec.id
    data = input_data(name, specs)
    shape, out, grads, grad_fn = run_float32(torch, fn, data, name)
    ref_shape, ref_out, ref_grads, ref_grad_fn = run_float32(torch_ref, fn, data, name)
    assert shape == ref_shape
    assert grad_fn == ref_grad_fn
    np.testing.assert_allclose(out, ref_out, rtol=1e-6, atol=1e-6)
    for g, rg in zip(grads, ref_grads):
        np.testing.assert_allclose(g, rg, rtol=1e-6, atol=1e-6)


# --- grad_fn names, one per op (names are what PyTorch reports) ---------------------------------

NAMES = [
    ("view", lambda L, x: x.view(4, 6), "ViewBackward0"),
    ("reshape_contiguous", lambda L, x: x.reshape(4, 6), "ViewBackward0"),
    ("reshape_same_shape", lambda L, x: x.reshape(2, 3, 4), "ViewBackward0"),
    ("reshape_alias", lambda L, x: x.transpose(0, 1).reshape(3, 2, 2, 2), "ReshapeAliasBackward0"),
    ("reshape_copy", lambda L, x: x.transpose(0, 1).reshape(-1), "UnsafeViewBackward0"),
    ("flatten_copy", lambda L, x: x.transpose(0, 1).flatten(), "UnsafeViewBackward0"),
    ("unflatten", lambda L, x: x.unflatten(2, (2, 2)), "ViewBackward0"),
    ("expand", lambda L, x: x[:, :1].expand(2, 3, 4), "ExpandBackward0"),
    ("expand_same_shape", lambda L, x: x.expand(2, 3, 4), "ExpandBackward0"),
    ("broadcast_to", lambda L, x: x.broadcast_to((5, 2, 3, 4)), "ExpandBackward0"),
    ("transpose", lambda L, x: x.transpose(0, 2), "TransposeBackward0"),
    ("transpose_same_dim", lambda L, x: x.transpose(1, 1), "TransposeBackward0"),
    ("t", lambda L, x: x[0].t(), "TBackward0"),
    ("t_1d", lambda L, x: x[0, 0].t(), "TBackward0"),
    ("T", lambda L, x: x[0].T, "PermuteBackward0"),
    ("mT", lambda L, x: x.mT, "TransposeBackward0"),
    ("permute", lambda L, x: x.permute(1, 2, 0), "PermuteBackward0"),
    ("movedim", lambda L, x: x.movedim(0, 1), "PermuteBackward0"),
    ("squeeze_all", lambda L, x: x.squeeze(), "SqueezeBackward0"),
    ("squeeze_dim", lambda L, x: x.squeeze(0), "SqueezeBackward1"),
    ("squeeze_dims", lambda L, x: x.squeeze((0, 1)), "SqueezeBackward2"),
    ("unsqueeze", lambda L, x: x.unsqueeze(1), "UnsqueezeBackward0"),
    ("select", lambda L, x: x.select(1, 0), "SelectBackward0"),
    ("narrow", lambda L, x: x.narrow(2, 1, 2), "SliceBackward0"),
    ("diagonal", lambda L, x: x.diagonal(), "DiagonalBackward0"),
    ("unbind", lambda L, x: x.unbind(1)[2], "UnbindBackward0"),
    ("iter", lambda L, x: list(x)[1], "UnbindBackward0"),
    ("chunk", lambda L, x: x.chunk(2, 2)[1], "SplitBackward0"),
    ("chunk_empty_dim", lambda L, x: x[:, :0].chunk(2, 1)[1], "SplitWithSizesBackward0"),
    ("split", lambda L, x: x.split(3, 2)[1], "SplitBackward0"),
    ("split_sizes", lambda L, x: x.split([1, 2], 1)[1], "SplitWithSizesBackward0"),
    ("flip", lambda L, x: x.flip(0), "FlipBackward0"),
    ("roll", lambda L, x: x.roll(1), "RollBackward0"),
    ("repeat", lambda L, x: x.repeat(1, 2, 1), "RepeatBackward0"),
    ("tile", lambda L, x: x.tile(2), "RepeatBackward0"),
    ("repeat_interleave", lambda L, x: x.repeat_interleave(2, 1), "ViewBackward0"),
    ("tril", lambda L, x: x.tril(), "TrilBackward0"),
    ("triu", lambda L, x: x.triu(1), "TriuBackward0"),
    ("cat", lambda L, x: L.cat([x, x], 1), "CatBackward0"),
    ("stack", lambda L, x: L.stack([x, x]), "StackBackward0"),
    ("hstack", lambda L, x: L.hstack([x, x]), "CatBackward0"),
    ("vstack", lambda L, x: L.vstack([x, x]), "CatBackward0"),
    ("atleast_2d", lambda L, x: L.atleast_2d(x[0, 0, 0]), "ViewBackward0"),
    ("atleast_3d", lambda L, x: L.atleast_3d(x[0, 0]), "UnsqueezeBackward0"),
    ("index_int", lambda L, x: x[1], "SelectBackward0"),
    ("index_slice", lambda L, x: x[:, 1:], "SliceBackward0"),
    ("index_full_slice", lambda L, x: x[:], "SliceBackward0"),
    ("index_none", lambda L, x: x[None], "UnsqueezeBackward0"),
    ("index_ellipsis", lambda L, x: x[...], "AliasBackward0"),
    ("index_empty_tuple", lambda L, x: x[()], "AliasBackward0"),
    ("contiguous_copy", lambda L, x: x.transpose(0, 1).contiguous(), "CloneBackward0"),
    ("clone", lambda L, x: x.clone(), "CloneBackward0"),
]


def grad_fn_chain(y):
    names, f = [], y.grad_fn
    while f is not None and type(f).__name__ != "AccumulateGrad":
        names.append(type(f).__name__)
        f = f.next_functions[0][0]
    return names


@pytest.mark.parametrize("fn, expected", [r[1:] for r in NAMES], ids=[r[0] for r in NAMES])
def test_grad_fn_name(fn, expected):
    x = torch.randn(2, 3, 4, requires_grad=True)
    assert type(fn(torch, x).grad_fn).__name__ == expected


@pytest.mark.parametrize("fn", [r[1] for r in NAMES], ids=[r[0] for r in NAMES])
def test_grad_fn_chain_matches_pytorch(torch_ref, fn):
    ours = fn(torch, torch.randn(2, 3, 4, requires_grad=True))
    theirs = fn(torch_ref, torch_ref.randn(2, 3, 4, requires_grad=True))
    assert grad_fn_chain(ours) == grad_fn_chain(theirs)


INDEX_CHAINS = [
    lambda x: x[1:3, ::2, None, ..., -1],
    lambda x: x[None, 0, ..., 1:],
    lambda x: x[..., None],
    lambda x: x[0][1][2],
    lambda x: x[:, :, ::3],
]


@pytest.mark.parametrize("fn", INDEX_CHAINS)
def test_index_grad_fn_chain_matches_pytorch(torch_ref, fn):
    ours = fn(torch.randn(3, 4, 5, requires_grad=True))
    theirs = fn(torch_ref.randn(3, 4, 5, requires_grad=True))
    assert grad_fn_chain(ours) == grad_fn_chain(theirs)
    assert tuple(ours.shape) == tuple(theirs.shape)


# --- storage: views share it, copies do not -----------------------------------------------------

VIEWS = [
    ("view", lambda x: x.view(6, 4)),
    ("reshape_contiguous", lambda x: x.reshape(4, 6)),
    ("reshape_viewable_noncontig", lambda x: x.transpose(1, 2).reshape(2, 2, 2, 3)),
    ("flatten", lambda x: x.flatten(1)),
    ("unflatten", lambda x: x.unflatten(-1, (2, 2))),
    ("transpose", lambda x: x.transpose(0, 2)),
    ("t", lambda x: x[0].t()),
    ("mT", lambda x: x.mT),
    ("permute", lambda x: x.permute(2, 0, 1)),
    ("squeeze", lambda x: x[:, :1].squeeze(1)),
    ("unsqueeze", lambda x: x.unsqueeze(0)),
    ("select", lambda x: x.select(2, 1)),
    ("narrow", lambda x: x.narrow(1, 1, 2)),
    ("diagonal", lambda x: x.diagonal(1, 1, 2)),
    ("unbind", lambda x: x.unbind(2)[3]),
    ("chunk", lambda x: x.chunk(2, 2)[1]),
    ("split", lambda x: x.split([1, 2], 1)[1]),
    ("index", lambda x: x[1, ::2, None, 1:]),
    ("index_ellipsis", lambda x: x[...]),
    ("contiguous_of_contiguous", lambda x: x.contiguous()),
]

COPIES = [
    ("reshape_not_viewable", lambda x: x.transpose(0, 1).reshape(-1)),
    ("contiguous_of_transpose", lambda x: x.transpose(0, 1).contiguous()),
    ("clone", lambda x: x.clone()),
    ("flip", lambda x: x.flip(1)),
    ("roll", lambda x: x.roll(1, 0)),
    ("repeat", lambda x: x.repeat(1, 1, 1)),
    ("tile", lambda x: x.tile(1)),
    ("repeat_interleave", lambda x: x.repeat_interleave(1, 0)),
    ("tril", lambda x: x.tril(5)),
    ("triu", lambda x: x.triu(-5)),
    ("cat", lambda x: torch.cat([x])),
    ("stack", lambda x: torch.stack([x])),
]

EXPANDS = [
    ("expand", lambda x: x[:, :1].expand(2, 3, 4)),
    ("broadcast_to", lambda x: x.broadcast_to((2, 2, 3, 4))),
    ("expand_as", lambda x: x[:1].expand_as(x)),
]


def base(lib=torch):
    """1..24 in a (2, 3, 4) tensor: no zero, so a sign flip always shows."""
    return lib.arange(1, 25, dtype=lib.float64).reshape(2, 3, 4)


def with_lib(fn, lib):
    """The same row with its global `torch` bound to `lib`."""
    return types.FunctionType(fn.__code__, {**fn.__globals__, "torch": lib}, fn.__name__, fn.__defaults__, fn.__closure__)


@pytest.mark.parametrize("fn", [r[1] for r in VIEWS + EXPANDS], ids=[r[0] for r in VIEWS + EXPANDS])
def test_view_sees_writes_to_its_base(fn):
    x = base()
    v = fn(x)
    before = np.array(v.tolist())
    x.add_(100.0)
    np.testing.assert_array_equal(np.array(v.tolist()), before + 100.0)


@pytest.mark.parametrize("fn", [r[1] for r in VIEWS], ids=[r[0] for r in VIEWS])
def test_writes_through_view_reach_base(fn):
    x = base()
    v = fn(x)
    v.mul_(-1.0)
    # The view covers distinct elements: exactly those turned negative in the base.
    assert (np.array(v.tolist()) < 0).all()
    assert (np.array(x.tolist()) < 0).sum() == v.numel()


@pytest.mark.parametrize("fn", [r[1] for r in COPIES], ids=[r[0] for r in COPIES])
def test_copies_do_not_share(fn):
    x = base()
    c = fn(x)
    before = c.tolist()
    x.add_(100.0)
    assert c.tolist() == before


@pytest.mark.parametrize("fn", [r[1] for r in VIEWS + EXPANDS + COPIES], ids=[r[0] for r in VIEWS + EXPANDS + COPIES])
def test_sharing_matches_pytorch(torch_ref, fn):
    def shares(lib):
        x = base(lib)
        v = with_lib(fn, lib)(x)
        before = v.tolist()
        x.add_(1.0)
        return v.tolist() != before
    assert shares(torch) == shares(torch_ref)


def test_view_keeps_offset_and_strides():
    x = torch.arange(24.0).reshape(4, 6)
    v = x[1:, 2::2]
    assert v.stride() == (6, 2)
    assert not v.is_contiguous()
    assert v.data_ptr() == x.data_ptr() + (6 + 2) * x.element_size()
    d = x.diagonal(1)
    assert d.stride() == (7,)


def test_view_splits_noncontiguous_dims_like_pytorch():
    x = torch.arange(24.0).reshape(4, 6).t()
    v = x.view(3, 2, 4)
    assert v.stride() == (2, 1, 6)
    x.add_(1.0)
    assert v.tolist() == np.arange(1.0, 25.0).reshape(4, 6).T.reshape(3, 2, 4).tolist()


def test_version_counter_is_shared_with_views():
    x = torch.ones(3, 4, requires_grad=True)
    y = x.exp()
    v = y.detach()[1:]
    v.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# --- multi-output nodes ------------------------------------------------------------------------

def test_unbind_outputs_share_one_node():
    x = torch.randn(3, 4, requires_grad=True)
    parts = x.unbind(0)
    assert [p.output_nr for p in parts] == [0, 1, 2]
    assert parts[0].grad_fn.next_functions == parts[2].grad_fn.next_functions
    parts[1].sum().backward()
    assert x.grad.tolist() == [[0.0] * 4, [1.0] * 4, [0.0] * 4]


def test_split_unused_pieces_get_zero_gradient():
    x = torch.randn(2, 5, dtype=torch.float64, requires_grad=True)
    a, b, c = x.split(2, 1)
    (c * 3).sum().backward()
    assert x.grad.tolist() == [[0.0] * 4 + [3.0]] * 2


def test_split_output_nrs_match_pytorch(torch_ref):
    for lib in (torch, torch_ref):
        x = lib.randn(5, 2, requires_grad=True)
        assert [p.output_nr for p in x.split([2, 1, 2])] == [0, 1, 2]
        assert [tuple(p.shape) for p in x.chunk(3)] == [(2, 2), (2, 2), (1, 2)]


def test_double_backward_through_views_and_joins(torch_ref):
    def second_order(lib):
        x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64, requires_grad=True)
        y = lib.cat([x[:, 1:] ** 2, x.unbind(1)[0].unsqueeze(1) ** 3, x.diagonal().unsqueeze(0).t() ** 2], 1)
        z = lib.stack([y, y.flip(0)]).sum()
        (g,) = lib.autograd.grad(z, x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        return g.tolist(), gg.tolist(), type(g.grad_fn).__name__
    ours = second_order(torch)
    theirs = second_order(torch_ref)
    np.testing.assert_allclose(ours[0], theirs[0])
    np.testing.assert_allclose(ours[1], theirs[1])


@pytest.mark.parametrize("fn, name", [
    (lambda x: x[1:], "SliceBackwardBackward0"),
    (lambda x: x[1], "SelectBackwardBackward0"),
    (lambda x: x.diagonal(), "DiagonalBackwardBackward0"),
    (lambda x: x.unbind()[0], "StackBackward0"),
    (lambda x: x.split(2)[0], "CatBackward0"),
    (lambda x: x.flip(0), "FlipBackward0"),
    (lambda x: x.roll(1, 0), "RollBackward0"),
    (lambda x: x.tril(), "TrilBackward0"),
    (lambda x: x.t(), "TBackward0"),
], ids=["slice", "select", "diagonal", "unbind", "split", "flip", "roll", "tril", "t"])
def test_gradient_graph_names(fn, name):
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    y = fn(x)
    g = torch.randn(*y.shape, dtype=torch.float64, requires_grad=True)
    (gx,) = torch.autograd.grad(y, x, g, create_graph=True)
    assert type(gx.grad_fn).__name__ == name


def test_second_order_gradcheck_through_views():
    x = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]], dtype=torch.float64, requires_grad=True)

    def first_derivative(x):
        # Finite differences evaluate under no_grad on plain tensors: take the gradient of a fresh leaf then.
        with torch.enable_grad():
            leaf = x if x.requires_grad else x.detach().requires_grad_()
            y = (leaf.t()[1:].flip(0).repeat(1, 2) ** 3).sum() + (torch.cat([leaf, leaf.roll(1, 1)]).tril() ** 2).sum()
            (g,) = torch.autograd.grad(y, leaf, create_graph=True)
        return g

    check_grad(first_derivative, [x])


# --- cat and stack rules ---------------------------------------------------------------------

def test_cat_skips_legacy_empty_tensors(torch_ref):
    for lib in (torch, torch_ref):
        m = lib.ones(2, 3, requires_grad=True)
        e = lib.tensor([], requires_grad=True)
        out = lib.cat([e, m, e], 1)
        assert tuple(out.shape) == (2, 3)
        out.sum().backward()
        assert tuple(e.grad.shape) == (0,) and m.grad.tolist() == [[1.0] * 3] * 2
        assert tuple(lib.cat([lib.tensor([]), lib.tensor([])], 3).shape) == (0,)


def test_cat_empty_2d_tensors_follow_shape_rules():
    out = torch.cat([torch.ones(2, 3), torch.zeros(0, 3)])
    assert tuple(out.shape) == (2, 3)


@pytest.mark.parametrize("a, b", [([1], [1.5]), ([True], [2]), ([1.5], [True])])
def test_cat_promotes_dtypes(torch_ref, a, b):
    ours = torch.cat([torch.tensor(a), torch.tensor(b)])
    theirs = torch_ref.cat([torch_ref.tensor(a), torch_ref.tensor(b)])
    assert str(ours.dtype) == str(theirs.dtype)
    assert ours.tolist() == theirs.tolist()


def test_cat_gradient_casts_back_to_input_dtype():
    a = torch.ones(2, requires_grad=True)
    b = torch.ones(2, dtype=torch.float64, requires_grad=True)
    out = torch.cat([a, b])
    assert out.dtype == torch.float64
    (out * 2).sum().backward()
    assert a.grad.dtype == torch.float32 and a.grad.tolist() == [2.0, 2.0]
    assert b.grad.dtype == torch.float64


def test_cat_and_stack_of_integers_and_bools():
    assert torch.cat([torch.tensor([1, 2]), torch.tensor([3])]).tolist() == [1, 2, 3]
    assert torch.stack([torch.tensor([True]), torch.tensor([False])]).tolist() == [[True], [False]]
    assert torch.tensor([[1, 2], [3, 4]]).flip(0).tolist() == [[3, 4], [1, 2]]
    assert torch.tensor([[True, True], [True, True]]).tril().tolist() == [[True, False], [True, True]]


def test_large_cat_and_unbind():
    parts = [torch.full((3, 2), float(i)) for i in range(2000)]
    out = torch.cat(parts, 1)
    assert tuple(out.shape) == (3, 4000)
    x = torch.randn(2000, 3, requires_grad=True)
    rows = x.unbind(0)
    torch.stack(rows[::2], 0).sum().backward()
    assert x.grad.sum().item() == 3000.0


# --- basic indexing -------------------------------------------------------------------------

INDICES = [
    1, -1, slice(None), slice(1, None), slice(None, None, 2), slice(-3, None), slice(5, 1),
    slice(-100, 100, 3), None, Ellipsis, (), (1, 2), (slice(None), 1), (Ellipsis, 0),
    (None, Ellipsis, None), (1, None, slice(None, 2)), (slice(1, 3), slice(None, None, 2), None, Ellipsis, -1),
    (Ellipsis, slice(1, 2), None),
]


@pytest.mark.parametrize("index", INDICES, ids=[repr(i) for i in INDICES])
def test_basic_indexing_matches_numpy(index):
    a = np.arange(60.0).reshape(3, 4, 5)
    x = torch.tensor(a.tolist(), dtype=torch.float64)
    got = x[index]
    expected = a[index]
    assert tuple(got.shape) == expected.shape
    np.testing.assert_array_equal(np.array(got.tolist()).reshape(expected.shape), expected)


@pytest.mark.parametrize("index", INDICES, ids=[repr(i) for i in INDICES])
def test_indexing_gradient(index):
    x = torch.tensor(np.linspace(-1, 1, 24).reshape(2, 3, 4).tolist(), dtype=torch.float64, requires_grad=True)
    # (The finite-difference helper cannot rebuild empty outputs; sum them into a scalar.)
    check_grad(lambda x: x[index] * 2 if x[index].numel() else x[index].sum() + x.sum(), [x])


@pytest.mark.parametrize("fn", [
    lambda x: x[..., ...],
    lambda x: x[..., 0, ...],
    lambda x: x[:, :],
    lambda x: x[(slice(None),)],
    lambda x: x[0:5],
    lambda x: x[:, 0:3:1],
    lambda x: x[0:2:1, None],
], ids=["two_ellipses", "ellipses_around_int", "full_slices", "full_slice_tuple", "lone_slice", "full_step_slice", "full_slice_none"])
def test_index_edge_cases_match_pytorch(torch_ref, fn):
    ours = fn(torch.ones(2, 3, requires_grad=True))
    theirs = fn(torch_ref.ones(2, 3, requires_grad=True))
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert grad_fn_chain(ours) == grad_fn_chain(theirs)


def test_indexing_with_integer_tensor_and_numpy_int():
    x = torch.arange(12.0).reshape(3, 4)
    assert x[torch.tensor(1)].tolist() == [4.0, 5.0, 6.0, 7.0]
    assert x[np.int64(2), np.int32(-1)].item() == 11.0


def test_indexing_0d():
    z = torch.tensor(3.0, requires_grad=True)
    assert tuple(z[None].shape) == (1,)
    assert tuple(z[...].shape) == ()
    assert type(z[...].grad_fn).__name__ == "AliasBackward0"


# --- errors: PyTorch's exception types and phrases ------------------------------------------------

ERRORS = [
    ("view_not_viewable", lambda L: L.ones(3, 4).t().view(-1), RuntimeError, "view size is not compatible with input tensor's size and stride"),
    ("view_invalid", lambda L: L.ones(3, 4).view(5, -1), RuntimeError, "shape '[5, -1]' is invalid for input of size 12"),
    ("view_two_infer", lambda L: L.ones(3, 4).view(-1, -1), RuntimeError, "only one dimension can be inferred"),
    ("view_negative", lambda L: L.ones(3, 4).view(-2, 6), RuntimeError, "invalid shape dimension -2"),
    ("reshape_ambiguous", lambda L: L.ones(0, 3).reshape(-1, 0), RuntimeError, "cannot reshape tensor of 0 elements into shape [-1, 0]"),
    ("expand_lead_minus_one", lambda L: L.ones(3).expand(-1, 3), RuntimeError, "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 0"),
    ("expand_mismatch", lambda L: L.ones(2, 3).expand(2, 4), RuntimeError, "The expanded size of the tensor (4) must match the existing size (3) at non-singleton dimension 1.  Target sizes: [2, 4].  Tensor sizes: [2, 3]"),
    ("expand_too_few", lambda L: L.ones(2, 3).expand(3), RuntimeError, "the number of sizes provided (1) must be greater or equal to the number of dimensions in the tensor (2)"),
    ("t_3d", lambda L: L.ones(2, 3, 4).t(), RuntimeError, "t() expects a tensor with <= 2 dimensions, but self is 3D"),
    ("mT_1d", lambda L: L.ones(3).mT, RuntimeError, "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor."),
    ("transpose_dim", lambda L: L.ones(2, 3).transpose(0, 2), IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("permute_length", lambda L: L.ones(2, 3).permute(0), RuntimeError, "number of dimensions in the tensor input does not match the length of the desired ordering of dimensions"),
    ("permute_duplicate", lambda L: L.ones(2, 3).permute(1, 1), RuntimeError, "duplicate dims are not allowed."),
    ("squeeze_duplicate", lambda L: L.ones(1, 3).squeeze((0, 0)), RuntimeError, "dim 0 appears multiple times in the list of dims"),
    ("squeeze_dim", lambda L: L.ones(1, 3).squeeze(2), IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("unsqueeze_dim", lambda L: L.ones(2, 3).unsqueeze(3), IndexError, "Dimension out of range (expected to be in range of [-3, 2], but got 3)"),
    ("flatten_order", lambda L: L.ones(2, 3, 4).flatten(2, 1), RuntimeError, "flatten() has invalid args: start_dim cannot come after end_dim"),
    ("unflatten_product", lambda L: L.ones(2, 6).unflatten(1, (4, 2)), RuntimeError, "unflatten: Provided sizes [4, 2] don't multiply up to the size of dim 1 (6) in the input tensor"),
    ("unflatten_empty", lambda L: L.ones(2, 6).unflatten(1, ()), RuntimeError, "unflatten: sizes must be non-empty"),
    ("select_range", lambda L: L.ones(2, 3).select(1, 3), IndexError, "select(): index 3 out of range for tensor of size [2, 3] at dimension 1"),
    ("narrow_length", lambda L: L.ones(2, 4).narrow(1, 3, 2), RuntimeError, "start (3) + length (2) exceeds dimension size (4)."),
    ("narrow_negative_length", lambda L: L.ones(2, 4).narrow(1, 0, -1), RuntimeError, "narrow(): length must be non-negative."),
    ("narrow_start", lambda L: L.ones(2, 4).narrow(1, 5, 0), IndexError, "start out of range (expected to be in range of [-4, 4], but got 5)"),
    ("narrow_0d", lambda L: L.tensor(1.0).narrow(0, 0, 1), RuntimeError, "narrow() cannot be applied to a 0-dim tensor."),
    ("diagonal_same_dims", lambda L: L.ones(2, 3).diagonal(0, 1, -1), RuntimeError, "diagonal dimensions cannot be identical 1, -1"),
    ("unbind_0d", lambda L: L.tensor(1.0).unbind(), IndexError, "Dimension specified as 0 but tensor has no dimensions"),
    ("split_negative", lambda L: L.ones(5).split(-1), RuntimeError, "split expects split_size be non-negative, but got split_size=-1"),
    ("split_zero", lambda L: L.ones(5).split(0), RuntimeError, "split_size can only be 0 if dimension size is 0, but got dimension size of 5"),
    ("split_sizes_sum", lambda L: L.ones(5).split([2, 2]), RuntimeError, "split_with_sizes expects split_sizes to sum exactly to 5 (input tensor's size at dimension 0), but got split_sizes=[2, 2]"),
    ("split_sizes_negative", lambda L: L.ones(5).split([2, -1, 4]), RuntimeError, "split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes=[2, -1, 4]"),
    ("split_0d", lambda L: L.tensor(1.0).split(1), RuntimeError, "split expects at least a 1-dimensional tensor"),
    ("chunk_zero", lambda L: L.ones(5).chunk(0), RuntimeError, "chunk expects `chunks` to be greater than 0, got: 0"),
    ("chunk_0d", lambda L: L.tensor(1.0).chunk(1), RuntimeError, "chunk expects at least a 1-dimensional tensor"),
    ("flip_duplicate", lambda L: L.ones(2, 3).flip(0, 0), RuntimeError, "dim 0 appears multiple times in the list of dims"),
    ("flip_dim", lambda L: L.ones(2, 3).flip(2), IndexError, "Dimension out of range"),
    ("roll_align", lambda L: L.ones(2, 3).roll((1, 2), (0,)), RuntimeError, "shifts and dimensions must align. shifts: 2, dims:1"),
    ("roll_no_shifts", lambda L: L.ones(2, 3).roll(()), RuntimeError, "`shifts` required"),
    ("repeat_too_few", lambda L: L.ones(2, 3).repeat(2), RuntimeError, "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"),
    ("repeat_negative", lambda L: L.ones(2, 3).repeat(2, -1), RuntimeError, "Trying to create tensor with negative dimension -3: [4, -3]"),
    ("repeat_interleave_negative", lambda L: L.ones(2).repeat_interleave(-1), RuntimeError, "Repeats must be non-negative"),
    ("tril_1d", lambda L: L.ones(3).tril(), RuntimeError, "tril: input tensor must have at least 2 dimensions"),
    ("triu_1d", lambda L: L.ones(3).triu(), RuntimeError, "triu: input tensor must have at least 2 dimensions"),
    ("cat_empty_list", lambda L: L.cat([]), ValueError, "torch.cat(): expected a non-empty list of Tensors"),
    ("cat_0d", lambda L: L.cat([L.ones(2), L.tensor(1.0)]), RuntimeError, "zero-dimensional tensor (at position 1) cannot be concatenated"),
    ("cat_sizes", lambda L: L.cat([L.ones(2, 3), L.ones(2, 2)], 0), RuntimeError, "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 2 for tensor number 1 in the list."),
    ("cat_ndim", lambda L: L.cat([L.ones(2, 3), L.ones(3)]), RuntimeError, "Tensors must have same number of dimensions: got 2 and 1"),
    ("cat_dim", lambda L: L.cat([L.ones(2, 3), L.ones(2, 3)], 2), IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("cat_tensor_arg", lambda L: L.cat(L.ones(2, 3)), TypeError, "cat(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor"),
    ("cat_element", lambda L: L.cat([L.ones(2), 1]), TypeError, "expected Tensor as element 1 in argument 0, but got int"),
    ("stack_empty", lambda L: L.stack([]), RuntimeError, "stack expects a non-empty TensorList"),
    ("stack_sizes", lambda L: L.stack([L.ones(2, 3), L.ones(3, 2)]), RuntimeError, "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [3, 2] at entry 1"),
    ("stack_dim", lambda L: L.stack([L.ones(2), L.ones(2)], 2), IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("hstack_empty", lambda L: L.hstack([]), RuntimeError, "hstack expects a non-empty TensorList"),
    ("vstack_empty", lambda L: L.vstack([]), RuntimeError, "vstack expects a non-empty TensorList"),
    ("index_too_many", lambda L: L.ones(2, 3)[0, 1, 2], IndexError, "too many indices for tensor of dimension 2"),
    ("index_out_of_bounds", lambda L: L.ones(2, 3)[2], IndexError, "index 2 is out of bounds for dimension 0 with size 2"),
    ("index_out_of_bounds_dim", lambda L: L.ones(2, 3)[None, 0, -4], IndexError, "index -4 is out of bounds for dimension 2 with size 3"),
    ("index_beyond_ellipses", lambda L: L.ones(2, 3)[..., ..., 0], IndexError, "index 0 is out of bounds for dimension 2 with size 0"),
    ("index_0d", lambda L: L.tensor(1.0)[0], IndexError, "invalid index of a 0-dim tensor. Use `tensor.item()` in Python"),
    ("index_zero_step", lambda L: L.ones(4)[::0], ValueError, "slice step cannot be zero"),
    ("index_negative_step", lambda L: L.ones(4)[::-1], ValueError, "step must be greater than zero"),
    ("index_float", lambda L: L.ones(4)[1.5], IndexError, "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got float)"),
    ("index_float_tensor", lambda L: L.ones(4)[L.tensor(1.0)], IndexError, "tensors used as indices must be long, int, byte or bool tensors"),
]


@pytest.mark.parametrize("fn, exc, phrase", [r[1:] for r in ERRORS], ids=[r[0] for r in ERRORS])
def test_error(fn, exc, phrase):
    with pytest.raises(exc) as info:
        fn(torch)
    assert phrase in str(info.value)


@pytest.mark.parametrize("fn, exc, phrase", [r[1:] for r in ERRORS], ids=[r[0] for r in ERRORS])
def test_error_matches_pytorch(torch_ref, fn, exc, phrase):
    with pytest.raises(exc) as info:
        fn(torch_ref)
    assert phrase in str(info.value)


def test_transpose_property_warns_like_pytorch():
    with pytest.warns(UserWarning, match="The use of `x.T` on tensors of dimension other than 2"):
        torch.ones(2, 3, 4).T
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torch.ones(2, 3).T
