"""Instructions per iteration of tiny-tensor loops, under callgrind.

Counts are independent of machine load, so they compare builds where
wall-clock timings of sub-microsecond ops drown in noise. Each loop runs
twice, with N and 3N iterations; the difference divided by 2N removes
start-up and import costs.

    python benches/per_op_instructions.py [add|fwdbwd|linreg ...]

Needs valgrind. Run with PYTHONPATH pointing at the build to measure.
"""

import os
import re
import subprocess
import sys

N = 20000


def loop(which, n):
    import ferrograd as torch

    a = torch.tensor([1.0, 2.0, 3.0, 4.0])
    b = torch.tensor([0.5, 0.5, 0.5, 0.5])
    if which == "add":
        for _ in range(n):
            a.add(b)
    elif which == "fwdbwd":
        x = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        for _ in range(n):
            (x * 2 + 1).sum().backward()
    elif which == "linreg":
        # One epoch of a 10-point linear regression counts as 10 iterations.
        w = torch.tensor(0.0, requires_grad=True)
        c = torch.tensor(0.0, requires_grad=True)
        xs = torch.tensor([float(i) for i in range(10)])
        ys = xs * 3 + 2
        for _ in range(n // 10):
            loss = ((w * xs + c - ys) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                w -= 0.01 * w.grad
                c -= 0.01 * c.grad
                w.grad.zero_()
                c.grad.zero_()
    else:
        raise SystemExit(f"unknown loop {which!r}")


def instructions(which, n):
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__, "--child", which, str(n)],
        capture_output=True, text=True, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"}, check=True,
    )
    return int(re.search(r"Collected : (\d+)", out.stderr).group(1))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        loop(sys.argv[2], int(sys.argv[3]))
    else:
        for which in sys.argv[1:] or ["add", "fwdbwd", "linreg"]:
            per_iter = (instructions(which, 3 * N) - instructions(which, N)) / (2 * N)
            print(f"{which}: {per_iter:.0f} instructions per iteration")
