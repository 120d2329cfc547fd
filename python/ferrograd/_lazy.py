"""Submodules and names a package loads on first use rather than at import."""

import importlib


def lazy_attributes(package, submodules=(), names=None):
    """A module ``__getattr__`` and ``__dir__`` for ``package``'s globals.

    ``submodules`` are imported when first read as attributes; ``names`` maps
    a name to the submodule that defines it, bound in the package once read.
    """
    submodules = frozenset(submodules)
    names = dict(names or {})
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name):
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        if name in names:
            value = getattr(importlib.import_module(f"{package}.{names[name]}"), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(namespace) | submodules | set(names))

    return __getattr__, __dir__
