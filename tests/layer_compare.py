"""Side-by-side runs of a ferrograd layer and the same PyTorch layer (a helper, not a test module).

``compare_layer`` copies the PyTorch layer's state into ours, feeds both the
same inputs, backpropagates the same weighted sum of every output and checks
outputs, input gradients and parameter gradients (matched by name).
"""

import numpy as np

import ferrograd


def flat_tensors(value):
    """The tensors in a nested tuple/list output, in order (``None`` skipped)."""
    if value is None:
        return []
    if isinstance(value, (tuple, list)):
        out = []
        for item in value:
            out.extend(flat_tensors(item))
        return out
    return [value]


def to_numpy(t):
    return t.detach().numpy()


def load_from_torch(ours, theirs):
    """Copies every parameter and buffer of the PyTorch module into ours through numpy."""
    state = {name: ferrograd.tensor(to_numpy(value)) for name, value in theirs.state_dict().items()}
    ours.load_state_dict(state)


def _upstream(shape, index):
    """A fixed, non-uniform upstream gradient so every output element matters differently."""
    n = int(np.prod(shape)) if shape else 1
    return (np.cos(np.arange(n) * 0.7 + index) + 0.5).reshape(shape).astype(np.float64)


def _run(lib, module, inputs, call, requires_grad):
    leaves = [lib.tensor(x, requires_grad=requires_grad and np.issubdtype(x.dtype, np.floating))
              if isinstance(x, np.ndarray) else x for x in inputs]
    outputs = flat_tensors(call(module, *leaves))
    loss = None
    for i, out in enumerate(outputs):
        if not out.is_floating_point():
            continue
        weight = lib.tensor(_upstream(tuple(out.shape), i)).to(out.dtype)
        term = (out * weight).sum()
        loss = term if loss is None else loss + term
    if requires_grad and loss is not None and loss.requires_grad:
        loss.backward()
    grads = [leaf.grad for leaf in leaves if hasattr(leaf, "grad") and getattr(leaf, "requires_grad", False)]
    params = {name: p.grad for name, p in module.named_parameters()}
    return outputs, grads, params


def compare_layer(ours, theirs, inputs, call=lambda m, *xs: m(*xs), rtol=1e-5, atol=1e-5, grads=True,
                  load=True):
    """Asserts equal outputs and gradients; ``inputs`` are numpy arrays (or other arguments passed as is)."""
    if load:
        load_from_torch(ours, theirs)
    import torch
    their_out, their_grads, their_params = _run(torch, theirs, inputs, call, grads)
    our_out, our_grads, our_params = _run(ferrograd, ours, inputs, call, grads)
    assert len(our_out) == len(their_out), (len(our_out), len(their_out))
    for i, (a, b) in enumerate(zip(our_out, their_out)):
        assert tuple(a.shape) == tuple(b.shape), f"output {i}: {tuple(a.shape)} vs {tuple(b.shape)}"
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=rtol, atol=atol, err_msg=f"output {i}")
    if not grads:
        return our_out
    for i, (a, b) in enumerate(zip(our_grads, their_grads)):
        assert (a is None) == (b is None), f"input {i} gradient presence differs"
        if a is not None:
            np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=rtol, atol=atol, err_msg=f"input {i} grad")
    assert list(our_params) == list(their_params)
    for name in their_params:
        a, b = our_params[name], their_params[name]
        assert (a is None) == (b is None), f"{name}: gradient presence differs"
        if a is not None:
            np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=rtol, atol=atol, err_msg=f"{name} grad")
    return our_out


def assert_same_state(ours, theirs, rtol=1e-6, atol=1e-6):
    """Same state_dict keys in the same order, and equal values."""
    a, b = ours.state_dict(), theirs.state_dict()
    assert list(a) == list(b)
    for name in b:
        np.testing.assert_allclose(to_numpy(a[name]), to_numpy(b[name]), rtol=rtol, atol=atol, err_msg=name)


def random_inputs(seed, *shapes, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


def recorded_draws(lib, construct):
    """The random fills (kind, shape, rounded bounds or moments) that ``construct()`` makes, in order.

    PyTorch's init functions end in ``tensor.uniform_``/``tensor.normal_``, ours in
    ``nn.init.uniform_``/``nn.init.normal_``; recording those calls shows the draw
    order and arguments without drawing, so equal initialisation is checked even
    where our RNG is not built.
    """
    import pytest

    calls = []

    def record(kind, tensor, args):
        calls.append((kind, tuple(tensor.shape), tuple(round(float(a), 6) for a in args)))
        return tensor

    with pytest.MonkeyPatch.context() as patch:
        if lib.__name__ == "torch":
            patch.setattr(lib.Tensor, "uniform_", lambda self, *args, **kw: record("uniform_", self, args))
            patch.setattr(lib.Tensor, "normal_", lambda self, *args, **kw: record("normal_", self, args))
        else:
            patch.setattr(lib.nn.init, "uniform_", lambda t, *args, **kw: record("uniform_", t, args))
            patch.setattr(lib.nn.init, "normal_", lambda t, *args, **kw: record("normal_", t, args))
        construct()
    return calls
