"""Shared pytest configuration.

Test modules import the library under test themselves (``import ferrograd as
torch``).  The only things defined here are the import path for the helper
module ``gradcheck.py`` and a fixture giving the real PyTorch, for the tests
that compare side by side; those tests are skipped when PyTorch is absent.
"""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)


@pytest.fixture(scope="session")
def torch_ref():
    """The real PyTorch, or a skip when it is not installed."""
    return pytest.importorskip("torch")
