"""Every public name of ferrograd and of ferrograd.Tensor is exercised by some
test that compares with PyTorch.

"Exercised" is decided statically, from the syntax trees of the comparing test
files: a namespace name counts when it is read off a library (``L.exp``,
``torch.exp``, ``getattr(L, "exp")``), a Tensor name when it is read off
anything else (``x.exp``), an operator method when its operator is written
(``a + b`` for ``__add__``).  A string naming a name counts for both, since the
one-row-per-op tables reach functions through ``getattr``.
"""

import ast
import importlib
import os
import pkgutil

import ferrograd

# A submodule becomes a name of the package once anything imports it; importing
# them all keeps the walk independent of which tests ran before.
for module in pkgutil.iter_modules(ferrograd.__path__):
    if not module.name.startswith("_"):
        importlib.import_module(f"ferrograd.{module.name}")

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = sorted([os.path.join(HERE, name) for name in os.listdir(HERE) if name.endswith(".py")]
                 + [os.path.join(HERE, "corpus", name) for name in os.listdir(os.path.join(HERE, "corpus"))
                    if name.endswith(".py")])

# Names a test module uses for the library under test, or for PyTorch.
LIBRARY_NAMES = {"torch", "torch_ref", "ferrograd", "L", "lib", "T"}
# Receivers that are other modules, whose attributes say nothing about Tensor.
OTHER_MODULES = {"np", "numpy", "math", "pytest", "os", "sys", "F", "nn", "optim", "random", "json", "re",
                 "zlib", "warnings", "subprocess", "io", "pickle", "struct", "textwrap", "time", "gc",
                 "threading", "functools", "itertools", "operator", "contextlib", "tempfile", "types"}

BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "truediv", ast.FloorDiv: "floordiv",
          ast.Mod: "mod", ast.Pow: "pow", ast.MatMult: "matmul", ast.BitAnd: "and", ast.BitOr: "or",
          ast.BitXor: "xor", ast.LShift: "lshift", ast.RShift: "rshift"}
UNARY = {ast.USub: "__neg__", ast.UAdd: "__pos__", ast.Invert: "__invert__", ast.Not: "__bool__"}
COMPARE = {ast.Eq: "__eq__", ast.NotEq: "__ne__", ast.Lt: "__lt__", ast.LtE: "__le__", ast.Gt: "__gt__",
           ast.GtE: "__ge__"}
SUBSCRIPT = {ast.Load: "__getitem__", ast.Store: "__setitem__", ast.Del: "__delitem__"}
BUILTINS = {"len": "__len__", "iter": "__iter__", "list": "__iter__", "tuple": "__iter__", "bool": "__bool__",
            "float": "__float__", "int": "__int__", "abs": "__abs__", "repr": "__repr__", "str": "__str__",
            "print": "__str__", "format": "__format__", "hash": "__hash__", "range": "__index__"}
# Methods every Python object has, which say nothing about the library.
OBJECT_PROTOCOL = {"__class__", "__delattr__", "__dir__", "__doc__", "__getattribute__", "__getstate__",
                   "__init__", "__init_subclass__", "__module__", "__new__", "__reduce__", "__reduce_ex__",
                   "__setattr__", "__sizeof__", "__subclasshook__", "__dict__", "__weakref__"}

# Public names that no comparison with PyTorch can exercise, each with the reason.
ALLOWED = {
    "AutogradError": "ferrograd's own exception class; PyTorch raises RuntimeError",
    "DTypeError": "ferrograd's own exception class; PyTorch raises RuntimeError",
    "DimensionError": "ferrograd's own exception class; PyTorch raises IndexError",
    "ShapeError": "ferrograd's own exception class; PyTorch raises RuntimeError",
    "grad_mode": "not in PyTorch's namespace (torch.autograd.grad_mode); its context managers are compared as no_grad etc.",
    "safetensors": "not in PyTorch's namespace; test_safetensors compares it with the safetensors package",
    "empty_cache": "ferrograd's host buffer cache (PyTorch's CPU allocator has none); test_buffer_cache",
    "memory_stats": "ferrograd's host buffer cache statistics; test_buffer_cache",
    "set_cache_limit": "ferrograd's host buffer cache bound; test_buffer_cache",
}


def compares_with_pytorch(tree):
    """Whether a module imports PyTorch or takes the torch_ref fixture."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "torch" or a.name.startswith("torch.") for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "torch":
            return True
        if isinstance(node, (ast.Name, ast.arg)) and getattr(node, "id", getattr(node, "arg", None)) == "torch_ref":
            return True
    return False


def receiver(node):
    return node.id if isinstance(node, ast.Name) else None


def used_names(tree):
    """(namespace names, Tensor names) a module exercises."""
    space, tensor = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            owner = receiver(node.value)
            if owner in LIBRARY_NAMES:
                space.add(node.attr)
            elif owner not in OTHER_MODULES:
                tensor.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
            space.add(node.value)
            tensor.add(node.value)
        elif isinstance(node, ast.BinOp) and type(node.op) in BINARY:
            reflected = isinstance(node.left, ast.Constant) or (
                isinstance(node.left, ast.UnaryOp) and isinstance(node.left.operand, ast.Constant))
            tensor.add(f"__{'r' if reflected else ''}{BINARY[type(node.op)]}__")
        elif isinstance(node, ast.AugAssign) and type(node.op) in BINARY:
            tensor.add(f"__i{BINARY[type(node.op)]}__")
        elif isinstance(node, ast.UnaryOp):
            tensor.add(UNARY[type(node.op)])
        elif isinstance(node, ast.Compare):
            tensor.update(COMPARE[type(op)] for op in node.ops if type(op) in COMPARE)
        elif isinstance(node, ast.Subscript):
            tensor.add(SUBSCRIPT[type(node.ctx)])
        elif isinstance(node, ast.JoinedStr):
            tensor.add("__format__")
        elif isinstance(node, (ast.For, ast.comprehension)):
            tensor.add("__iter__")
        elif isinstance(node, ast.Call) and receiver(node.func) in BUILTINS:
            tensor.add(BUILTINS[receiver(node.func)])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("asarray", "array"):
            tensor.add("__array__")
    return space, tensor


def exercised():
    space, tensor = set(), set()
    for path in SOURCES:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        if compares_with_pytorch(tree):
            s, t = used_names(tree)
            space |= s
            tensor |= t
    return space, tensor


def public(names):
    return {n for n in names if not n.startswith("_")}


def tensor_dunders():
    return {n for n in dir(ferrograd.Tensor)
            if n.startswith("__") and n not in OBJECT_PROTOCOL and getattr(ferrograd.Tensor, n) is not getattr(object, n, None)}


def test_every_public_name_is_compared_with_pytorch():
    space, tensor = exercised()
    missing = sorted(public(dir(ferrograd)) - space - set(ALLOWED))
    missing += sorted(f"Tensor.{n}" for n in (public(dir(ferrograd.Tensor)) | tensor_dunders()) - tensor
                      if f"Tensor.{n}" not in ALLOWED)
    assert not missing, f"{len(missing)} public names no comparison test exercises: {', '.join(missing)}"


def test_allowed_names_exist_and_give_reasons():
    for name, reason in ALLOWED.items():
        owner, _, attr = name.rpartition(".")
        assert hasattr(ferrograd.Tensor if owner == "Tensor" else ferrograd, attr), name
        assert reason.strip(), name


def test_the_walk_tells_namespace_from_tensor_names():
    space, tensor = used_names(ast.parse("L.exp(x.log1p()) + 2\n-y[0] @ z\nw *= 3\nfor _ in v: pass"))
    assert space == {"exp"}
    assert tensor == {"log1p", "__add__", "__neg__", "__getitem__", "__matmul__", "__imul__", "__iter__"}
    assert not compares_with_pytorch(ast.parse("import ferrograd as torch"))
    assert compares_with_pytorch(ast.parse("def test(torch_ref): pass"))


def test_all_lists_every_public_name_bound_at_import():
    """`ferrograd.__all__` (what `mypy --strict` takes as the package's names)
    is exactly the public names `import ferrograd` binds, submodules aside;
    the same for `ferrograd.nn`, whose layers come from `nn.modules`."""
    from child_process import run_child

    report = run_child("""
        import json, types
        import ferrograd, ferrograd.nn

        def mismatch(module):
            bound = {n for n, v in vars(module).items()
                     if not n.startswith("_") and not isinstance(v, types.ModuleType)}
            listed = set(module.__all__)
            return {"unlisted": sorted(bound - listed),
                    "absent": sorted(n for n in listed if not hasattr(module, n)),
                    "repeated": sorted(n for n in listed if module.__all__.count(n) > 1)}

        print(json.dumps({m.__name__: mismatch(m) for m in (ferrograd, ferrograd.nn, ferrograd.nn.modules)}))
    """)
    clean = {"unlisted": [], "absent": [], "repeated": []}
    assert report == {"ferrograd": clean, "ferrograd.nn": clean, "ferrograd.nn.modules": clean}
