"""A helper, not a test module: the same call on PyTorch and on ferrograd
must raise the same exception type with the same message."""

import pytest


def assert_same_error(torch_ref, ferrograd, call):
    with pytest.raises(Exception) as theirs:
        call(torch_ref)
    with pytest.raises(type(theirs.value)) as ours:
        call(ferrograd)
    assert str(ours.value) == str(theirs.value)
