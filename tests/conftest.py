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


@pytest.fixture
def need_wgpu():
    """Skips a test without a wgpu adapter; under CI=true that is a failure,
    so a machine missing its Vulkan driver cannot pass by skipping."""
    import ferrograd

    if not ferrograd.wgpu.is_available():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true requires a wgpu adapter (apt-get install mesa-vulkan-drivers libvulkan1)")
        pytest.skip("no wgpu adapter on this machine")
