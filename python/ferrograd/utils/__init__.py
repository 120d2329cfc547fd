"""Utilities: pictures of the autograd graph; datasets and data loading."""

from .graph_pictures import DotGraph, make_dot, to_dot
from . import data

__all__ = ["DotGraph", "make_dot", "to_dot"]
