"""Checks an installed ferrograd wheel: run by `make wheel-smoke` (part of
`make test`) with the interpreter of a fresh virtualenv that has only the
wheel and its dependencies, from outside the source tree, as

    python -I tests/wheel_smoke.py <source tree>

Every check raises on failure, so a packaging mistake fails the build. The
name does not start with ``test_``, so pytest does not collect it.
"""

import importlib.metadata
import os
import sys
import sysconfig


def check(condition, message):
    if not condition:
        raise SystemExit(f"wheel smoke test failed: {message}")


def inside(path, directory):
    path, directory = os.path.realpath(path), os.path.realpath(directory)
    return os.path.commonpath([path, directory]) == directory


def main():
    check(len(sys.argv) == 2, "usage: wheel_smoke.py <source tree>")
    source_tree = sys.argv[1]
    site_packages = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}

    import ferrograd
    from ferrograd import _ferrograd

    # Both the package and its compiled module come from this environment's
    # site-packages, not from the source tree's package (the environment
    # itself may live inside the tree, as .venv-wheel does).
    package_source = os.path.join(source_tree, "python")
    for module in (ferrograd, _ferrograd):
        check(any(inside(module.__file__, sp) for sp in site_packages),
              f"{module.__name__} imported from {module.__file__}, not from {sorted(site_packages)}")
        check(not inside(module.__file__, package_source),
              f"{module.__name__} imported from the source tree: {module.__file__}")
    # One binary for every CPython >= 3.9: the stable ABI.
    check(os.path.basename(_ferrograd.__file__).endswith(".abi3.so"),
          f"the compiled module is not built for the stable ABI: {_ferrograd.__file__}")

    package_dir = os.path.dirname(ferrograd.__file__)
    for name in ("py.typed", "_ferrograd.pyi"):
        check(os.path.isfile(os.path.join(package_dir, name)), f"{name} is missing from the wheel")

    check(ferrograd.__version__ == importlib.metadata.version("ferrograd"),
          f"__version__ {ferrograd.__version__!r} differs from the wheel's "
          f"{importlib.metadata.version('ferrograd')!r}")

    # Autograd: d/dx (x^3 + 2x) at x = 2 is 14.
    x = ferrograd.tensor(2.0, requires_grad=True)
    y = x ** 3 + 2 * x
    y.backward()
    check(x.grad is not None and x.grad.item() == 14.0, f"backward gave {x.grad!r}, expected 14")

    # numpy in and out.
    import numpy as np

    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    check(np.array_equal(ferrograd.from_numpy(a).mul(2).numpy(), a * 2), "numpy round trip")

    # A few steps of training with nn and optim lower the loss.
    from ferrograd import nn, optim

    ferrograd.manual_seed(0)
    inputs = ferrograd.randn(32, 3)
    targets = inputs @ ferrograd.tensor([[1.0], [-2.0], [0.5]]) + 0.25
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.MSELoss()
    losses = []
    for _ in range(20):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    check(losses[-1] < 0.5 * losses[0], f"training did not lower the loss: {losses[0]} -> {losses[-1]}")

    # The wgpu device's module loads; whether a GPU exists depends on the machine.
    check(isinstance(ferrograd.wgpu.is_available(), bool), "ferrograd.wgpu.is_available() is not a bool")

    print(f"wheel smoke test passed: ferrograd {ferrograd.__version__} from {package_dir}; "
          f"loss {losses[0]:.3f} -> {losses[-1]:.3f}")


if __name__ == "__main__":
    main()
