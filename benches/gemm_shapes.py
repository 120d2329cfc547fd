#!/usr/bin/env python3
"""float32 GEMM throughput per shape: ferrograd, numpy (OpenBLAS) and torch.

    python benches/gemm_shapes.py [--threads 2] [--repeat 20]

Times ``a @ b`` (forward only) for the layer shapes the training workloads
use, from a small MLP layer to 2048^2, and prints GFLOP/s as a Markdown
table for benches/RESULTS.md. numpy's OpenBLAS sgemm is the machine's
practical limit; every library gets the same number of threads.
"""

import argparse
import os
import statistics
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--repeat", type=int, default=20)
args = parser.parse_args()

for var in ("OPENBLAS_NUM_THREADS", "RAYON_NUM_THREADS", "FERROGRAD_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import numpy as np  # noqa: E402

# (m, k, n): batch x in-features x out-features of the layers benchmarked.
SHAPES = [(64, 784, 128), (256, 1024, 2048), (256, 2048, 2048), (1024, 1024, 1024), (2048, 2048, 2048)]


def libraries():
    libs = {}
    import ferrograd
    libs["ferrograd"] = lambda x: ferrograd.from_numpy(x)
    libs["numpy"] = lambda x: x
    try:
        import torch
        torch.set_num_threads(args.threads)
        libs["torch"] = lambda x: torch.from_numpy(x)
    except ImportError:
        print("torch not installed: its column is left out", file=sys.stderr)
    return libs


def gflops(convert, m, k, n):
    rng = np.random.default_rng(0)
    a = convert(rng.standard_normal((m, k), dtype=np.float32))
    b = convert(rng.standard_normal((k, n), dtype=np.float32))
    for _ in range(3):
        a @ b
    # Enough calls per sample that small shapes are not timer noise.
    calls = max(1, int(2e8 // (2 * m * k * n)))
    samples = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        for _ in range(calls):
            a @ b
        samples.append((time.perf_counter() - start) / calls)
    return 2 * m * k * n / statistics.median(samples) / 1e9


def main():
    libs = libraries()
    names = list(libs)
    print("| m x k x n | " + " | ".join(f"{n} GFLOP/s" for n in names) + " |")
    print("| --- |" + " ---: |" * len(names))
    for m, k, n in SHAPES:
        row = [f"{gflops(libs[name], m, k, n):.0f}" for name in names]
        print(f"| {m}x{k}x{n} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
