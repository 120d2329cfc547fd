"""Side-by-side utilities for the ``ferrograd.nn`` tests (not a test module).

Models are written once as ``build(lib)`` functions and instantiated with both
``ferrograd`` and ``torch``; weights are carried across as numpy arrays so the
two copies compute from identical parameters.
"""

import numpy as np
import pytest

import ferrograd

HAS_RNG = hasattr(ferrograd.Tensor, "uniform_") and hasattr(ferrograd.Tensor, "normal_")
NEEDS_RNG = pytest.mark.skipif(not HAS_RNG, reason="Tensor.uniform_/normal_ are not in this build of ferrograd yet")


@pytest.fixture
def constant_init(monkeypatch):
    """Lets layers be constructed before ``Tensor.uniform_``/``normal_`` exist:
    the random fills become constant ones. Tests using this fixture overwrite
    the weights with PyTorch's, so the initial values never reach an assertion.
    Once the random fills exist this does nothing."""
    if not HAS_RNG:
        from ferrograd.nn import init

        monkeypatch.setattr(init, "uniform_", lambda t, a=0.0, b=1.0, generator=None: init.constant_(t, (a + b) / 2))
        monkeypatch.setattr(init, "normal_", lambda t, mean=0.0, std=1.0, generator=None: init.constant_(t, mean))


def to_numpy(t):
    return t.detach().numpy().copy()


def ours(array, requires_grad=False):
    """A ferrograd leaf holding a copy of ``array``."""
    return ferrograd.tensor(np.array(array), requires_grad=requires_grad)


def theirs(torch, array, requires_grad=False):
    return torch.tensor(np.array(array), requires_grad=requires_grad)


def copy_state(model, reference):
    """Load ``reference``'s (a torch module's) state_dict into ``model``."""
    state = {k: ferrograd.from_numpy(to_numpy(v)) for k, v in reference.state_dict().items()}
    return model.load_state_dict(state)


def same_exception(action, *libs, adapt=lambda text: text):
    """Run ``action(lib)`` for each lib; assert each raises the same exception
    type and message (after ``adapt`` on PyTorch's text). Returns the message."""
    messages = []
    for lib in libs:
        with pytest.raises(Exception) as info:
            action(lib)
        messages.append((type(info.value).__name__, str(info.value)))
    (ours_type, ours_text), (ref_type, ref_text) = messages
    assert ours_type == ref_type, messages
    assert ours_text == adapt(ref_text), messages
    return ours_text


def torch_typenames(text):
    """PyTorch's classes are ``torch.nn.modules...``, ferrograd's
    ``ferrograd.nn.modules...``; tensor types read ``torch.FloatTensor`` in both."""
    return text.replace("'torch.nn.modules.", "'ferrograd.nn.modules.")
