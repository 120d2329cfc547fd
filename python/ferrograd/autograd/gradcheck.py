"""gradcheck / gradgradcheck: compare analytical gradients with central
finite differences, with PyTorch's signatures and default tolerances."""

import warnings

import numpy as np

from .. import _ferrograd as _C

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck/gradgradcheck when gradients disagree."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _is_tensor(x):
    return isinstance(x, _C.Tensor)


def _differentiable(inputs):
    return [i for i, t in enumerate(inputs) if _is_tensor(t) and t.requires_grad]


def _outputs(func, inputs):
    return [o for o in _as_tuple(func(*inputs)) if _is_tensor(o)]


def _flat_values(t):
    return np.asarray(t.detach().tolist(), dtype=np.float64).reshape(-1)


def _element(t, flat_index):
    """A 0-d view of one element, whatever the layout."""
    index = []
    for size in reversed(t.shape):
        index.append(flat_index % size)
        flat_index //= size
    view = t
    for i in reversed(index):
        view = view[i]
    return view


def _numerical_jacobians(func, inputs, wrt, eps):
    """J[k] has one row per element of input wrt[k] and one column per output element.
    Inputs are perturbed in place (under no_grad) so func sees them as they are,
    requiring grad, as PyTorch's gradcheck does."""
    jacobians = []
    for k in wrt:
        data = inputs[k].detach()
        rows = []
        for i in range(data.numel()):
            element = _element(data, i)
            original = element.item()
            with _no_grad():
                element.fill_(original + eps)
            plus = [_flat_values(o) for o in _outputs(func, inputs)]
            with _no_grad():
                element.fill_(original - eps)
            minus = [_flat_values(o) for o in _outputs(func, inputs)]
            with _no_grad():
                element.fill_(original)
            rows.append(np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)]) if plus else np.zeros(0))
        jacobians.append(np.array(rows).reshape(data.numel(), -1))
    return jacobians


def _analytical_jacobians(outputs, inputs, wrt):
    total = sum(o.numel() for o in outputs)
    jacobians = [np.zeros((inputs[k].numel(), total)) for k in wrt]
    column = 0
    for o in outputs:
        for j in range(o.numel()):
            onehot = np.zeros(o.numel())
            onehot[j] = 1.0
            seed = _C.tensor(onehot.reshape(o.shape).tolist() if o.dim() else float(onehot[0]), dtype=o.dtype)
            grads = _C.grad([o], [inputs[k] for k in wrt], [seed], True, False, True, True, False, False)
            for col, g in zip(jacobians, grads):
                if g is not None:
                    col[:, column] = _flat_values(g)
            column += 1
    return jacobians


class _no_grad:
    def __enter__(self):
        self.prev = _C._set_grad_enabled(False)

    def __exit__(self, *exc):
        _C._set_grad_enabled(self.prev)


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """True when ``func``'s gradients for every input that requires grad match finite differences."""
    inputs = _as_tuple(inputs)
    wrt = _differentiable(inputs)
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them have requires_grad=True.")
    for k in wrt:
        if inputs[k].dtype is not _C.float64:
            warnings.warn(f"Input #{k} requires gradient and is not a double precision floating point. "
                          "This check will likely fail if all the inputs are not of double precision floating point. ")
    # Analytical first: the numerical pass changes the inputs in place, which
    # would invalidate tensors a graph built earlier saved.
    analytical = _analytical_jacobians(_outputs(func, inputs), inputs, wrt)
    numerical = _numerical_jacobians(func, inputs, wrt, eps)
    for n, (num, ana, k) in enumerate(zip(numerical, analytical, wrt)):
        if not np.allclose(ana, num, rtol=rtol, atol=atol):
            if not raise_exception:
                return False
            raise GradcheckError(f"Jacobian mismatch for output 0 with respect to input {k},\n"
                                 f"numerical:{num}\nanalytical:{ana}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    """gradcheck of the gradients themselves (built with create_graph=True)."""
    inputs = _as_tuple(inputs)
    wrt = _differentiable(inputs)
    outputs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(_C.tensor(rng.standard_normal(o.shape).tolist() if o.dim() else float(rng.standard_normal()),
                                       dtype=o.dtype, requires_grad=True) for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    n_inputs = len(inputs)

    def first_order(*args):
        xs, gs = args[:n_inputs], args[n_inputs:]
        outs = _outputs(func, xs)
        grads = _C.grad(outs, [xs[k] for k in wrt], list(gs), True, True, True, True, False, False)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_order, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)
