"""Every row of the op tables on the wgpu device.

A tensor on the device must never come back from an op as a CPU tensor. For
each row of the pointwise, reduction, shape, indexing and gradient tables:

- without the fallback, the op either runs on the device and agrees with the
  CPU backend, or raises NotImplementedError naming the op and the device;
- with FERROGRAD_WGPU_FALLBACK=1, it always runs, its result and the
  gradients of its inputs stay on the device and agree with the CPU backend.

Without a wgpu adapter these skip, except under CI=true."""

import warnings

import numpy as np
import pytest

import ferrograd as torch
import test_ops_grad
import test_ops_indexing
import test_ops_pointwise
import test_ops_reduce
import test_ops_shape
from gradcheck import flatten, nest
from op_table import input_data, t, upstream

pytestmark = pytest.mark.usefixtures("need_wgpu")

WGPU = torch.device("wgpu:0")


def _spec(spec):
    """A table's input spec in op_table's terms (the shape table has its own `t`)."""
    return t(*spec.shape) if hasattr(spec, "shape") and not isinstance(spec, t) else spec


def _rows():
    """(id, fn, specs, domain) from each table, whatever its column order."""
    for table in (test_ops_grad, test_ops_pointwise, test_ops_reduce, test_ops_shape, test_ops_indexing):
        for row in table.ROWS:
            name, fn, rest = row[0], row[1], row[2:]
            specs = [_spec(x) for x in next(x for x in rest if isinstance(x, list))]
            domain = next((x for x in rest if isinstance(x, (str, tuple))), "any")
            yield pytest.param(table.apply, fn, specs, domain, id=f"{table.__name__[9:]}-{name}")


ROWS = list(_rows())


class _Placing:
    """ferrograd, with the tensors a row makes itself (indices, masks,
    bounds) made on `device` like its inputs."""

    FACTORIES = {"tensor", "as_tensor", "zeros", "ones", "full", "empty", "arange", "eye", "linspace"}

    def __init__(self, device):
        self._device = device

    def __getattr__(self, name):
        attr = getattr(torch, name)
        if name in self.FACTORIES:
            return lambda *args, **kwargs: attr(*args, **kwargs).to(self._device)
        return attr


def _run(apply, fn, data, name, device, dtype=torch.float32):
    """Forward and backward in `dtype` with inputs on `device`: (output, grads)."""
    leaves = [torch.tensor(nest(vals, s), dtype=dtype).to(device).requires_grad_() for vals, s, _ in data]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = apply(fn, _Placing(device), data, leaves)
        if not out.is_floating_point():
            return out, []
        upstream_grad = torch.tensor(nest(upstream(name, out.numel()), tuple(out.shape)), dtype=out.dtype).to(device)
        grads = torch.autograd.grad([out], leaves, grad_outputs=[upstream_grad], allow_unused=True)
    return out, grads


# Agreement with the CPU backend per dtype: float32 and float16 to their
# rounding (the device adds in another order), float64 to a few ulps of
# its own exp, log and sin, times the growth of composed ops.
TOLERANCE = {torch.float32: 2e-5, torch.float64: 1e-10, torch.float16: 1e-2}


def _agrees(name, gpu, cpu, tol=2e-5):
    out, grads = gpu
    ref_out, ref_grads = cpu
    assert out.device == WGPU, f"{name}: a wgpu input gave a result on {out.device}"
    assert out.shape == ref_out.shape and out.dtype == ref_out.dtype
    np.testing.assert_allclose(flatten(out.cpu().tolist()), flatten(ref_out.tolist()), rtol=tol, atol=tol)
    for g, rg in zip(grads, ref_grads):
        assert (g is None) == (rg is None)
        if g is not None:
            assert g.device == WGPU, f"{name}: a gradient of a wgpu input landed on {g.device}"
            assert g.dtype == rg.dtype
            np.testing.assert_allclose(flatten(g.cpu().tolist()), flatten(rg.tolist()), rtol=tol, atol=tol)


@pytest.mark.parametrize("apply, fn, specs, domain", ROWS)
def test_on_the_device_or_refused(request, monkeypatch, apply, fn, specs, domain):
    monkeypatch.delenv("FERROGRAD_WGPU_FALLBACK", raising=False)
    name = request.node.callspec.id.split("-", 1)[1]
    data = input_data(name, specs, domain)
    cpu = _run(apply, fn, data, name, "cpu")
    try:
        gpu = _run(apply, fn, data, name, "wgpu")
    except NotImplementedError as e:
        assert "wgpu" in str(e) and "FERROGRAD_WGPU_FALLBACK" in str(e), str(e)
        return
    _agrees(name, gpu, cpu)


@pytest.mark.parametrize("apply, fn, specs, domain", ROWS)
def test_runs_under_the_fallback(request, monkeypatch, apply, fn, specs, domain):
    monkeypatch.setenv("FERROGRAD_WGPU_FALLBACK", "1")
    name = request.node.callspec.id.split("-", 1)[1]
    data = input_data(name, specs, domain)
    _agrees(name, _run(apply, fn, data, name, "wgpu"), _run(apply, fn, data, name, "cpu"))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16], ids=["float64", "float16"])
@pytest.mark.parametrize("apply, fn, specs, domain", ROWS)
def test_other_float_dtypes_on_the_device_or_refused(request, monkeypatch, apply, fn, specs, domain, dtype):
    """float64 and float16 rows: on the device, agreeing with the CPU in the
    same dtype, or refused naming the op (float16 rows the CPU itself does
    not compute are left out)."""
    monkeypatch.delenv("FERROGRAD_WGPU_FALLBACK", raising=False)
    name = request.node.callspec.id.split("-", 1)[1]
    data = input_data(name, specs, domain)
    try:
        cpu = _run(apply, fn, data, name, "cpu", dtype)
    except (RuntimeError, NotImplementedError, TypeError) as e:
        assert dtype == torch.float16, f"{name}: the CPU refused float64: {e}"
        pytest.skip(f"the CPU does not compute {name} in float16: {e}")
    try:
        gpu = _run(apply, fn, data, name, "wgpu", dtype)
    except NotImplementedError as e:
        assert "wgpu" in str(e), str(e)
        return
    _agrees(name, gpu, cpu, TOLERANCE[dtype])
