"""Writes the three graph pictures of the linear-regression tutorial:
yhat = b + w*x; the same with b not requiring grad; and the control-flow
branch. DOT files always; SVG too when graphviz's `dot` program is installed.

    python examples/graph_pictures.py [output_dir]
"""

import os
import shutil
import sys

import numpy as np

import ferrograd as torch
from ferrograd.utils import make_dot, to_dot


def data():
    np.random.seed(42)
    x = np.random.rand(100, 1)
    y = 1 + 2 * x + .1 * np.random.randn(100, 1)
    idx = np.arange(100)
    np.random.shuffle(idx)
    train_idx = idx[:80]
    return torch.from_numpy(x[train_idx]).float(), torch.from_numpy(y[train_idx]).float()


def pictures():
    x_train_tensor, y_train_tensor = data()
    torch.manual_seed(42)
    b = torch.randn(1, requires_grad=True, dtype=torch.float)
    w = torch.randn(1, requires_grad=True, dtype=torch.float)

    yhat = b + w * x_train_tensor
    yield "yhat", yhat, dict(b=b, w=w)

    b_nograd = torch.randn(1, requires_grad=False, dtype=torch.float)
    yhat = b_nograd + w * x_train_tensor
    yield "yhat_b_nograd", yhat, dict(w=w)

    yhat = b + w * x_train_tensor
    error = y_train_tensor - yhat
    loss = (error ** 2).mean()
    if loss > 0:
        yhat2 = w * x_train_tensor
        error2 = y_train_tensor - yhat2
        loss += error2.mean()
    yield "control_flow", loss, dict(b=b, w=w)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    can_render = shutil.which("dot") is not None
    for name, output, params in pictures():
        path = os.path.join(out_dir, name + ".dot")
        with open(path, "w") as f:
            f.write(to_dot(output, params=params))
        print("wrote", path)
        if can_render:
            graph = make_dot(output, params=params)
            rendered = graph.render(os.path.join(out_dir, name), format="svg")
            print("wrote", rendered)
    if not can_render:
        print("graphviz's `dot` program is not installed: SVG files were not written")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join("examples", "graphs"))
