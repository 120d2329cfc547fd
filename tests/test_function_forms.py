"""Function forms (`torch.X`) with PyTorch's signatures: positional and
keyword calls, `out=`, the numpy-style aliases and the calling conventions
only the functions have, each run under ferrograd and PyTorch and compared."""

import inspect
import re
import warnings

import numpy as np
import pytest

import ferrograd

RNG = np.random.default_rng(7)
DATA = {
    "a": RNG.uniform(-2, 2, (2, 3)),
    "b": RNG.uniform(-2, 2, (2, 3)),
    "p": RNG.uniform(0.5, 2, (2, 3)),
    "s": RNG.uniform(-0.9, 0.9, (2, 3)),
    "m": RNG.uniform(-1, 1, (3, 4)),
    "v": RNG.uniform(-1, 1, (3,)),
    "w": RNG.uniform(-1, 1, (4,)),
    "bm": RNG.uniform(-1, 1, (2, 3, 4)),
    "bn": RNG.uniform(-1, 1, (2, 4, 2)),
    "sq": RNG.uniform(-1, 1, (3, 3)),
}


def inputs(L):
    """The shared inputs as float32 tensors of library `L`, plus index and mask tensors."""
    x = {k: L.tensor(v.tolist(), dtype=L.float32) for k, v in DATA.items()}
    x["idx"] = L.tensor([[0, 2, 1], [1, 0, 0]])
    x["row"] = L.tensor([2, 0])
    x["swap"] = L.tensor([1, 0])
    x["mask"] = L.tensor([[True, False, True], [False, True, False]])
    x["cond"] = L.tensor([[True, False, False], [False, True, True]])
    return x


def plain(r):
    """A result as comparable Python data: arrays with their dtype names, tuples of those."""
    if isinstance(r, (tuple, list)):
        return tuple(plain(e) for e in r)
    if hasattr(r, "detach"):
        return (str(r.dtype), tuple(r.shape), r.detach().double().numpy() if r.is_floating_point() else r.detach().numpy())
    return r


def assert_same(ours, theirs):
    ours, theirs = plain(ours), plain(theirs)
    if isinstance(theirs, tuple) and theirs and isinstance(theirs[0], str):
        assert ours[:2] == theirs[:2]
        np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-5, atol=1e-6)
    elif isinstance(theirs, tuple):
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            assert_same(o, t)
    else:
        assert ours == theirs


# name, positional arguments, the same call by keyword. Strings name inputs.
CASES = [
    *[(n, ["a"], {"input": "a"}) for n in "neg negative exp sqrt tanh sigmoid abs sign reciprocal exp2 expm1 rsqrt square sin cos tan erf floor ceil trunc fix relu isnan isinf isfinite logical_not t ravel clone detach".split()],
    *[(n, ["p"], {"input": "p"}) for n in "log log2 log10 log1p".split()],
    ("round", ["a"], {"input": "a", "decimals": 1}),
    ("nan_to_num", ["a", 0.0, 1.0, -1.0], {"input": "a", "nan": 0.0, "posinf": 1.0, "neginf": -1.0}),
    ("clamp", ["a", -0.5, 0.5], {"input": "a", "min": -0.5, "max": 0.5}),
    ("clip", ["a", -0.5, 0.5], {"input": "a", "min": -0.5, "max": 0.5}),
    *[(n, ["a", "b"], {"input": "a", "other": "b"}) for n in "add sub subtract mul multiply div divide eq ne lt le gt ge greater greater_equal less less_equal not_equal logical_and logical_or logical_xor floor_divide maximum minimum".split()],
    ("add", ["a", "b"], {"input": "a", "other": "b", "alpha": 3}),
    ("sub", ["a", 2], {"input": "a", "other": 2, "alpha": 0.5}),
    ("div", ["a", "p"], {"input": "a", "other": "p", "rounding_mode": "floor"}),
    ("true_divide", ["a", "p"], {"input": "a", "other": "p"}),
    ("pow", ["p", 2], {"input": "p", "exponent": 2}),
    ("lerp", ["a", "b", 0.25], {"input": "a", "end": "b", "weight": 0.25}),
    ("matmul", ["a", "m"], {"input": "a", "other": "m"}),
    ("mm", ["a", "m"], {"input": "a", "mat2": "m"}),
    ("bmm", ["bm", "bn"], {"input": "bm", "mat2": "bn"}),
    ("dot", ["v", "v"], {"input": "v", "tensor": "v"}),
    ("mv", ["m", "w"], {"input": "m", "vec": "w"}),
    ("outer", ["v", "w"], {"input": "v", "vec2": "w"}),
    *[(n, ["a", 1, True], {"input": "a", "dim": 1, "keepdim": True}) for n in "sum mean prod amax amin argmax argmin logsumexp".split()],
    ("sum", ["a", (0, 1)], {"input": "a", "dim": (0, 1), "dtype": "float64"}),
    ("mean", ["a"], {"input": "a", "dtype": "float64"}),
    ("var", ["a", 1, True, True], {"input": "a", "dim": 1, "correction": 0, "keepdim": True}),
    ("std", ["a", 0], {"input": "a", "dim": 0, "unbiased": False}),
    ("all", ["mask", 1], {"input": "mask", "dim": 1, "keepdim": True}),
    ("any", ["mask", 0], {"input": "mask", "dim": 0, "keepdim": False}),
    ("norm", ["a", 2, 1], {"input": "a", "p": 2, "dim": 1, "keepdim": True}),
    ("cumsum", ["a", 1], {"input": "a", "dim": 1, "dtype": "float64"}),
    ("cumprod", ["a", 0], {"input": "a", "dim": 0}),
    ("max", ["a", 1], {"input": "a", "dim": 1, "keepdim": True}),
    ("min", ["a", 0], {"input": "a", "dim": 0}),
    ("max", ["a", "b"], {"input": "a", "other": "b"}),
    ("min", ["a", "b"], {"input": "a", "other": "b"}),
    ("softmax", ["a", 1], {"input": "a", "dim": 1}),
    ("log_softmax", ["a", 0, "float64"], {"input": "a", "dim": 0, "dtype": "float64"}),
    ("transpose", ["a", 0, 1], {"input": "a", "dim0": 0, "dim1": 1}),
    ("swapaxes", ["a", 0, 1], {"input": "a", "axis0": 0, "axis1": 1}),
    ("swapdims", ["a", 0, 1], {"input": "a", "dim0": 0, "dim1": 1}),
    ("reshape", ["a", (3, 2)], {"input": "a", "shape": (3, 2)}),
    ("permute", ["bm", (2, 0, 1)], {"input": "bm", "dims": (2, 0, 1)}),
    ("flip", ["a", (0,)], {"input": "a", "dims": (0,)}),
    ("tile", ["a", (2, 1)], {"input": "a", "dims": (2, 1)}),
    ("broadcast_to", ["v", (2, 3)], {"input": "v", "size": (2, 3)}),
    ("flatten", ["bm", 1], {"input": "bm", "start_dim": 1, "end_dim": -1}),
    ("unflatten", ["m", 1, (2, 2)], {"input": "m", "dim": 1, "sizes": (2, 2)}),
    ("unsqueeze", ["a", 1], {"input": "a", "dim": 1}),
    ("squeeze", ["a"], {"input": "a", "dim": 0}),
    ("movedim", ["bm", 0, 2], {"input": "bm", "source": 0, "destination": 2}),
    ("moveaxis", ["bm", 0, 2], {"input": "bm", "source": 0, "destination": 2}),
    ("select", ["a", 1, 2], {"input": "a", "dim": 1, "index": 2}),
    ("narrow", ["m", 1, 1, 2], {"input": "m", "dim": 1, "start": 1, "length": 2}),
    ("diagonal", ["sq", 1], {"input": "sq", "offset": 1, "dim1": 0, "dim2": 1}),
    ("unbind", ["a", 1], {"input": "a", "dim": 1}),
    ("chunk", ["m", 2, 1], {"input": "m", "chunks": 2, "dim": 1}),
    ("split", ["m", 2, 1], {"tensor": "m", "split_size_or_sections": 2, "dim": 1}),
    ("split_with_sizes", ["m", [1, 3], 1], {"input": "m", "split_sizes": [1, 3], "dim": 1}),
    ("roll", ["a", 1, 1], {"input": "a", "shifts": 1, "dims": 1}),
    ("repeat_interleave", ["v", 2], {"input": "v", "repeats": 2, "dim": 0}),
    ("tril", ["sq", -1], {"input": "sq", "diagonal": -1}),
    ("triu", ["sq", 1], {"input": "sq", "diagonal": 1}),
    ("gather", ["a", 1, "idx"], {"input": "a", "dim": 1, "index": "idx"}),
    ("scatter", ["a", 1, "idx", "b"], {"input": "a", "dim": 1, "index": "idx", "src": "b"}),
    ("scatter_add", ["a", 1, "idx", "b"], {"input": "a", "dim": 1, "index": "idx", "src": "b"}),
    ("index_select", ["m", 1, "row"], {"input": "m", "dim": 1, "index": "row"}),
    ("index_add", ["a", 0, "swap", "b"], {"input": "a", "dim": 0, "index": "swap", "source": "b", "alpha": 2}),
    ("index_fill", ["a", 1, "row", -1.0], {"input": "a", "dim": 1, "index": "row", "value": -1.0}),
    ("masked_fill", ["a", "mask", 0.5], {"input": "a", "mask": "mask", "value": 0.5}),
    ("masked_select", ["a", "mask"], {"input": "a", "mask": "mask"}),
    ("take_along_dim", ["a", "idx", 1], {"input": "a", "indices": "idx", "dim": 1}),
    ("nonzero", ["mask"], {"input": "mask", "as_tuple": True}),
    ("numel", ["bm"], {"input": "bm"}),
]


def resolve(L, x, value):
    """A case's argument for library `L`: a named input, a dtype name, or the value itself."""
    if isinstance(value, str) and value in x:
        return x[value]
    if value in ("float64", "float32"):
        return getattr(L, value)
    return value


def call(L, name, args, kwargs):
    x = inputs(L)
    return getattr(L, name)(*[resolve(L, x, a) for a in args], **{k: resolve(L, x, v) for k, v in kwargs.items()})


IDS = [f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)]


@pytest.mark.parametrize("name,args,kwargs", CASES, ids=IDS)
def test_positional_call_matches_pytorch(torch_ref, name, args, kwargs):
    assert_same(call(ferrograd, name, args, {}), call(torch_ref, name, args, {}))


@pytest.mark.parametrize("name,args,kwargs", CASES, ids=IDS)
def test_keyword_call_matches_pytorch(torch_ref, name, args, kwargs):
    assert_same(call(ferrograd, name, [], kwargs), call(torch_ref, name, [], kwargs))


def test_function_forms_are_compiled_with_text_signatures():
    for name in {n for n, _, _ in CASES}:
        f = getattr(ferrograd, name)
        assert type(f).__name__ == "builtin_function_or_method", name
        assert f.__text_signature__, name


# Where the documented names are not the ones PyTorch's parser accepts (the
# keyword tests above call these with the accepted names).
DOCUMENTED_OTHERWISE = {"broadcast_to", "true_divide"}


def torch_doc_params(torch_ref, name):
    """The parameter names of torch.X's documented signature line, when it has one."""
    line = (getattr(torch_ref, name).__doc__ or "").strip().split("\n")[0]
    while re.search(r"\[[^\[\]]*\]", line):
        line = re.sub(r"\[[^\[\]]*\]", "", line)
    m = re.match(rf"{name}\((.*?)\)\s*(->|$)", line)
    if not m or name in DOCUMENTED_OTHERWISE:
        return None
    params = [p.split(":")[0].split("=")[0].strip() for p in m.group(1).split(",")]
    return [p for p in params if p and p not in ("*", "self")]


@pytest.mark.parametrize("name", sorted({n for n, _, _ in CASES}))
def test_parameter_names_include_pytorchs(torch_ref, name):
    documented = torch_doc_params(torch_ref, name)
    if documented is None:
        pytest.skip(f"torch.{name} documents no signature line")
    ours = list(inspect.signature(getattr(ferrograd, name)).parameters)
    assert [p for p in documented if p not in ours] == []


# ---- out= --------------------------------------------------------------------

OUT_CASES = [
    ("exp", ["a"], (2, 3), "float32"),
    ("add", ["a", "b"], (2, 3), "float32"),
    ("add", [2, "a"], (2, 3), "float64"),
    ("mul", ["a", 3], (2, 3), "float32"),
    ("eq", ["a", "a"], (2, 3), "bool"),
    ("lt", ["a", "b"], (2, 3), "float32"),
    ("clamp", ["a", -1, 1], (2, 3), "float32"),
    ("round", ["a"], (2, 3), "float32"),
    ("sum", ["a", 1], (2,), "float32"),
    ("sum", ["a", 1], (2,), "int64"),
    ("prod", ["a", 1], (2,), "float64"),
    ("cumsum", ["a", 1], (2, 3), "int64"),
    ("mean", ["a", 0], (3,), "float64"),
    ("amax", ["a", 1], (2,), "float32"),
    ("argmax", ["a", 1], (2,), "int64"),
    ("logsumexp", ["a", 1], (2,), "float32"),
    ("cumsum", ["a", 1], (2, 3), "float32"),
    ("matmul", ["a", "m"], (2, 4), "float32"),
    ("mm", ["a", "m"], (2, 4), "float32"),
    ("tril", ["sq"], (3, 3), "float32"),
    ("gather", ["a", 1, "idx"], (2, 3), "float32"),
    ("index_select", ["m", 1, "row"], (3, 2), "float32"),
    ("masked_select", ["a", "mask"], (3,), "float32"),
    ("max", ["a"], (), "float32"),
]


def run_out(L, name, args, shape, dtype):
    x = inputs(L)
    out = L.full(shape, 7.0, dtype=getattr(L, dtype)) if dtype != "bool" else L.zeros(shape, dtype=L.bool)
    before = out._version
    result = getattr(L, name)(*[resolve(L, x, a) for a in args], out=out)
    return result is out, out._version - before, out


@pytest.mark.parametrize("name,args,shape,dtype", OUT_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(OUT_CASES)])
def test_out_writes_into_and_returns_the_same_object(torch_ref, name, args, shape, dtype):
    ours, theirs = run_out(ferrograd, name, args, shape, dtype), run_out(torch_ref, name, args, shape, dtype)
    assert ours[:2] == theirs[:2] == (True, 1)
    assert_same(ours[2], theirs[2])


def test_cat_and_stack_write_into_out(torch_ref):
    for fn, shape in (("cat", (4, 3)), ("stack", (2, 2, 3)), ("hstack", (2, 6)), ("vstack", (4, 3))):
        results = []
        for L in (ferrograd, torch_ref):
            x, out = inputs(L), L.zeros(shape)
            r = getattr(L, fn)([x["a"], x["b"]], out=out)
            results.append((r is out, out))
        assert results[0][0] and results[1][0]
        assert_same(results[0][1], results[1][1])


def raised(L, f):
    with pytest.raises(Exception) as info:
        f(L, inputs(L))
    return type(info.value), str(info.value)


OUT_ERRORS = [
    # a floating result into an integral or bool out, a non-bool into a bool out
    lambda L, x: L.exp(x["a"], out=L.zeros(2, 3, dtype=L.int64)),
    lambda L, x: L.mean(x["a"], 1, out=L.zeros(2, dtype=L.int64)),
    lambda L, x: L.add(x["a"], 1, out=L.zeros(2, 3, dtype=L.bool)),
    lambda L, x: L.add(x["idx"], 1, out=L.zeros(2, 3, dtype=L.bool)),
    lambda L, x: L.cat([x["a"], x["b"]], out=L.zeros(4, 3, dtype=L.int64)),
    # autograd through out= is refused, for inputs and for out itself
    lambda L, x: L.exp(x["a"].requires_grad_(), out=L.zeros(2, 3)),
    lambda L, x: L.sign(x["a"].requires_grad_(), out=L.zeros(2, 3)),
    lambda L, x: L.add(x["a"], x["b"], out=L.zeros(2, 3, requires_grad=True)),
    lambda L, x: L.sum(x["a"].requires_grad_(), 1, out=L.zeros(2)),
    lambda L, x: L.matmul(x["a"].requires_grad_(), x["m"], out=L.zeros(2, 4)),
    lambda L, x: L.stack([x["a"].requires_grad_(), x["b"]], out=L.zeros(2, 2, 3)),
    # out must be a tensor
    lambda L, x: L.exp(x["a"], out=5),
    lambda L, x: L.sum(x["a"], 0, out=[1.0]),
    # an explicit dtype that is not out's
    lambda L, x: L.sum(x["a"], 1, dtype=L.float64, out=L.zeros(2)),
]


@pytest.mark.parametrize("f", OUT_ERRORS, ids=[str(i) for i in range(len(OUT_ERRORS))])
def test_out_refusals_match_pytorch(torch_ref, f):
    assert raised(ferrograd, f) == raised(torch_ref, f)


def test_out_allowed_casts_match_pytorch(torch_ref):
    for f in (
        lambda L, x: L.eq(x["a"], x["b"], out=L.zeros(2, 3)),
        lambda L, x: L.add(x["idx"], 1, out=L.zeros(2, 3, dtype=L.float64)),
    ):
        assert_same(f(ferrograd, inputs(ferrograd)), f(torch_ref, inputs(torch_ref)))


def test_sum_into_bool_out(torch_ref):
    f = lambda L, x: L.sum(x["a"], 1, out=L.zeros(2, dtype=L.bool))
    assert_same(f(ferrograd, inputs(ferrograd)), f(torch_ref, inputs(torch_ref)))


def test_out_under_no_grad_takes_inputs_that_require_grad(torch_ref):
    results = []
    for L in (ferrograd, torch_ref):
        x, out = inputs(L), L.zeros(2, 3)
        with L.no_grad():
            r = L.mul(x["a"].requires_grad_(), 2, out=out)
        results.append((r is out, out.requires_grad, out.grad_fn is None, out))
    assert results[0][:3] == results[1][:3] == (True, False, True)
    assert_same(results[0][3], results[1][3])


def test_out_may_be_an_input(torch_ref):
    results = []
    for L in (ferrograd, torch_ref):
        x = inputs(L)
        r = L.add(x["a"], x["b"], alpha=2, out=x["a"])
        results.append((r is x["a"], x["a"]))
    assert results[0][0] and results[1][0]
    assert_same(results[0][1], results[1][1])


def test_out_of_another_shape_is_resized(torch_ref):
    for L in (torch_ref, ferrograd):
        x, out = inputs(L), L.zeros(5)
        with pytest.warns(UserWarning, match=re.escape("had shape [5], which does not match the required output shape [2, 3]")):
            r = L.exp(x["a"], out=out)
        assert r is out and tuple(out.shape) == (2, 3)


# ---- numpy-style aliases -----------------------------------------------------

ALIAS_OPS = "sum mean prod amax amin argmax argmin logsumexp std var max min".split()


@pytest.mark.parametrize("op", ALIAS_OPS + ["all", "any"])
@pytest.mark.parametrize("form", ["function", "method"])
@pytest.mark.parametrize("kwargs", [{"axis": 1}, {"axis": 0, "keepdims": True}, {"dim": 1, "keepdims": True}])
def test_axis_and_keepdims_aliases_match_pytorch(torch_ref, op, form, kwargs):
    def f(L):
        x = inputs(L)["mask" if op in ("all", "any") else "a"]
        return getattr(L, op)(x, **kwargs) if form == "function" else getattr(x, op)(**kwargs)

    assert_same(f(ferrograd), f(torch_ref))


@pytest.mark.parametrize("op", ALIAS_OPS)
@pytest.mark.parametrize("form", ["function", "method"])
@pytest.mark.parametrize("kwargs", [{"dim": 0, "axis": 0}, {"dim": 0, "keepdim": True, "keepdims": True}])
def test_alias_given_twice_is_refused_as_pytorch(torch_ref, op, form, kwargs):
    def f(L, x):
        a = x["a"]
        return getattr(L, op)(a, **kwargs) if form == "function" else getattr(a, op)(**kwargs)

    ours, theirs = raised(ferrograd, f), raised(torch_ref, f)
    assert ours[0] is theirs[0] is TypeError
    # Overloaded functions list their overloads instead; that text is not copied.
    if "unexpected keyword" in theirs[1]:
        assert ours[1] == theirs[1]


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("form", ["function", "method"])
def test_cumulative_ops_take_axis(torch_ref, op, form):
    def f(L):
        a = inputs(L)["a"]
        return getattr(L, op)(a, axis=1) if form == "function" else getattr(a, op)(axis=1)

    assert_same(f(ferrograd), f(torch_ref))
    for kwargs in ({}, {"dim": 1, "axis": 1}):
        g = lambda L, x: getattr(L, op)(x["a"], **kwargs) if form == "function" else getattr(x["a"], op)(**kwargs)
        ours, theirs = raised(ferrograd, g), raised(torch_ref, g)
        assert ours[0] is theirs[0] is TypeError
        if "missing" in theirs[1] or "unexpected keyword" in theirs[1]:
            assert ours[1] == theirs[1]


# ---- calling conventions only the functions have ----------------------------------

CONVENTIONS = [
    lambda L, x: L.pow(2, x["a"]),
    lambda L, x: L.pow(2.5, x["idx"]),
    lambda L, x: L.add(x["a"], 2, alpha=3),
    lambda L, x: L.add(2, x["a"]),
    lambda L, x: L.sub(1, x["idx"]),
    lambda L, x: L.mul(0.5, x["idx"]),
    lambda L, x: L.div(1, x["p"]),
    lambda L, x: L.clamp(x["a"], min=-0.5, max=0.5),
    lambda L, x: L.clamp(x["a"], max=x["b"]),
    lambda L, x: L.max(x["a"]),
    lambda L, x: L.max(x["a"], 1),
    lambda L, x: L.min(x["a"], x["b"]),
    lambda L, x: L.sum(x["a"], dtype=L.float64),
    lambda L, x: L.mean(x["a"], (0, 1)),
    lambda L, x: L.transpose(input=x["a"], dim0=0, dim1=1),
    lambda L, x: L.reshape(x["a"], shape=(3, 2)),
    lambda L, x: L.softmax(x["a"], dim=1),
    lambda L, x: L.where(x["cond"]),
    lambda L, x: L.where(x["cond"], x["a"], 0.0),
    lambda L, x: L.numel(x["a"]),
    lambda L, x: L.std(x["a"], 1, True, True),
]


@pytest.mark.parametrize("f", CONVENTIONS, ids=[str(i) for i in range(len(CONVENTIONS))])
def test_function_conventions_match_pytorch(torch_ref, f):
    ours, theirs = f(ferrograd, inputs(ferrograd)), f(torch_ref, inputs(torch_ref))
    assert type(ours).__name__ == type(theirs).__name__
    assert_same(ours, theirs)


WRONG_ARGUMENTS = [
    lambda L, x: L.exp(5),
    lambda L, x: L.exp(x["a"], foo=5),
    lambda L, x: L.sum(x["a"], 0, axes=1),
    lambda L, x: L.transpose(x["a"], 0, 1, dim0=0),
    lambda L, x: L.maximum(x["a"], 2),
    lambda L, x: L.add(x["a"], "x"),
    lambda L, x: L.gather(x["a"], 1, [0]),
    lambda L, x: L.where(x["cond"], x["a"], "x"),
]


@pytest.mark.parametrize("f", WRONG_ARGUMENTS, ids=[str(i) for i in range(len(WRONG_ARGUMENTS))])
def test_wrong_arguments_raise_typeerror_as_pytorch(torch_ref, f):
    ours, theirs = raised(ferrograd, f), raised(torch_ref, f)
    assert ours[0] is theirs[0] is TypeError
    if "unexpected keyword" in theirs[1] or "must be Tensor" in theirs[1]:
        assert ours[1] == theirs[1]


def test_function_forms_keep_autograd(torch_ref):
    grads = []
    for L in (ferrograd, torch_ref):
        x = inputs(L)["a"].requires_grad_()
        L.sum(L.mul(L.exp(x), 2), dim=1, keepdims=True).sum().backward()
        grads.append(x.grad)
    assert_same(grads[0], grads[1])
