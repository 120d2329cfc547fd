"""Utilities: pictures of the autograd graph."""

from .graph_pictures import DotGraph, make_dot, to_dot

__all__ = ["DotGraph", "make_dot", "to_dot"]
