"""Utilities: pictures of the autograd graph; datasets and data loading; DLPack."""

from .._lazy import lazy_attributes as _lazy_attributes

__all__ = ["DotGraph", "make_dot", "to_dot"]

# Loaded on first use, like the package's heavy submodules: layers import
# `utils.hooks`, which should not bring data loading and graph pictures along.
__getattr__, __dir__ = _lazy_attributes(
    __name__,
    submodules=("data", "dlpack", "graph_pictures", "hooks"),
    names={"DotGraph": "graph_pictures", "make_dot": "graph_pictures", "to_dot": "graph_pictures"},
)
