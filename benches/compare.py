#!/usr/bin/env python3
"""Side-by-side benchmarks: ferrograd against PyTorch in the same process.

    python benches/compare.py                      # every workload
    python benches/compare.py scalar_chain linreg_seed --repeat 10
    python benches/compare.py --json results.json  # also dump the results
    python benches/compare.py --list
    python benches/compare.py --write-results      # update RESULTS.md, ratios.png

Each workload is one function written against the PyTorch API and run on
every library that imports (ferrograd and, when installed, torch), both
limited to the same number of threads. Warm-up runs come first, then
``--repeat`` timed runs measured with time.perf_counter; the figure reported
is computed from the median run. The ratio column is ferrograd's cost over
torch's (time, or peak memory for memory_soak): below 1 means ferrograd is
faster or smaller.

The table is printed as Markdown so it can be pasted into
benches/RESULTS.md. To add a workload, write a function decorated with
@workload(...) that returns a Measurement; it is picked up by the registry.
"""

import argparse
import gc
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time

THREADS = 2
# ferrograd's thread pool reads this at start-up; set before it is imported.
os.environ.setdefault("RAYON_NUM_THREADS", str(THREADS))

import numpy as np  # noqa: E402

LIBS = ("ferrograd", "torch")


# ---------------------------------------------------------------------------
# Libraries


def import_lib(name):
    """Return (module, None) or (None, reason it cannot be used)."""
    try:
        if name == "ferrograd":
            import ferrograd as lib
        elif name == "torch":
            import torch as lib
        else:
            raise ValueError(f"unknown library {name!r}")
    except Exception as e:  # an import that fails for any reason means "absent"
        return None, f"{type(e).__name__}: {e}"
    if hasattr(lib, "set_num_threads"):
        lib.set_num_threads(THREADS)
    return lib, None


def lib_version(lib):
    return getattr(lib, "__version__", "unknown version")


# ---------------------------------------------------------------------------
# Machine


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def machine_info():
    cpu = platform.processor() or platform.machine()
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_gib = None
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            mem_gib = int(line.split()[1]) / 2**20
            break
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    load = _read("/proc/loadavg").split()[:3]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gib": round(mem_gib, 1) if mem_gib else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "threads": THREADS,
        "load_average": " ".join(load) if load else None,
    }


def machine_lines(info, libs, errors):
    """The machine and library description, as Markdown list items."""
    mem = f", {info['memory_gib']} GiB RAM" if info["memory_gib"] else ""
    lines = [f"- machine: {info['cpu']}, {info['cores']} cores "
             f"({info['usable_cores']} usable){mem}",
             f"- os: {info['os']}",
             f"- python: {info['python']}, numpy {info['numpy']}"]
    for name in LIBS:
        if name in libs:
            lines.append(f"- {name}: {lib_version(libs[name])} ({THREADS} threads)")
        else:
            lines.append(f"- {name}: not measured ({errors.get(name, 'not selected')})")
    if info["load_average"]:
        lines.append(f"- load average at start: {info['load_average']}")
    return lines


def print_machine(info, libs, errors):
    print("# ferrograd vs PyTorch (benches/compare.py)")
    print()
    for line in machine_lines(info, libs, errors):
        print(line)
    print()


# ---------------------------------------------------------------------------
# Measuring


class Measurement:
    """One workload on one library.

    value/unit is the figure shown in the table; cost is what the ratio
    compares (seconds per run, or bytes), lower being better.
    """

    def __init__(self, value, unit, cost, times=None, extra=None):
        self.value = value
        self.unit = unit
        self.cost = cost
        self.times = times or []
        self.extra = extra or {}

    def as_dict(self):
        d = {"value": self.value, "unit": self.unit, "cost": self.cost,
             "extra": self.extra}
        if self.times:
            d["seconds_median"] = statistics.median(self.times)
            d["seconds_best"] = min(self.times)
            d["runs"] = len(self.times)
        return d


# Where ferrograd's tensors live (--device); torch always computes on the CPU.
DEVICE = "cpu"
DEVICE_NAME = "cpu"
# Waits for the device's queued kernels, so a timing covers them; set per
# library by run().
SYNC = None
# The workloads the wgpu device runs without falling back to the CPU.
WGPU_WORKLOADS = ["matmul_bwd", "elementwise_big", "mlp_small", "mlp_large", "cnn_small", "transformer_block", "optimizer_step"]


def measure(body, repeat, warmup, setup=None):
    """Run body warmup + repeat times; return the timed seconds.

    setup (untimed) runs before every call of body.
    """
    times = []
    for i in range(warmup + repeat):
        if setup is not None:
            setup()
            if SYNC is not None:
                SYNC()
        gc.collect()
        t0 = time.perf_counter()
        body()
        if SYNC is not None:
            SYNC()
        t1 = time.perf_counter()
        if i >= warmup:
            times.append(t1 - t0)
    return times


def zero_grads(*tensors):
    for t in tensors:
        if t.grad is not None:
            t.grad.zero_()


def placed(T, t):
    """t on --device when T is ferrograd; torch stays on the CPU."""
    return t.to(DEVICE) if DEVICE != "cpu" and T.__name__ == "ferrograd" else t


def leaf(T, array):
    """A float32 leaf tensor that requires grad, from a numpy array."""
    return placed(T, T.from_numpy(np.ascontiguousarray(array, dtype=np.float32))).requires_grad_()


def data(T, array):
    return placed(T, T.from_numpy(np.ascontiguousarray(array, dtype=np.float32)))


# ---------------------------------------------------------------------------
# Workloads

WORKLOADS = {}


def workload(name, repeat, warmup=1, doc=""):
    """Register a workload: fn(T, repeat, warmup) -> Measurement."""

    def register(fn):
        fn.bench_name = name
        fn.default_repeat = repeat
        fn.default_warmup = warmup
        fn.doc = doc
        WORKLOADS[name] = fn
        return fn

    return register


@workload("scalar_chain", repeat=20, warmup=3,
          doc="0-d x, w; 1000 x y = (y*w + x).tanh(); backward")
def scalar_chain(T, repeat, warmup):
    steps = 1000
    x = T.tensor(0.5, requires_grad=True)
    w = T.tensor(0.9, requires_grad=True)

    def body():
        y = x
        for _ in range(steps):
            y = (y * w + x).tanh()
        y.backward()

    times = measure(body, repeat, warmup, setup=lambda: zero_grads(x, w))
    ops = 3 * steps  # mul, add, tanh
    med = statistics.median(times)
    return Measurement(med / ops * 1e6, "µs/op (fwd+bwd)", med, times)


def linreg_data():
    """Tutorial 003's data: y = 1 + 2x + noise, 80 training points."""
    np.random.seed(42)
    x = np.random.rand(100, 1)
    y = 1 + 2 * x + 0.1 * np.random.randn(100, 1)
    idx = np.arange(100)
    np.random.shuffle(idx)
    train_idx = idx[:80]
    return x[train_idx], y[train_idx]


@workload("linreg_seed", repeat=5, warmup=1,
          doc="tutorial 003's linear regression, 1000 epochs, lr 0.1")
def linreg_seed(T, repeat, warmup):
    epochs = 1000
    lr = 0.1
    x_train, y_train = linreg_data()
    x_train_tensor = T.from_numpy(x_train).float()
    y_train_tensor = T.from_numpy(y_train).float()

    def body():
        T.manual_seed(42)
        b = T.randn(1, requires_grad=True, dtype=T.float)
        w = T.randn(1, requires_grad=True, dtype=T.float)
        for _ in range(epochs):
            yhat = b + w * x_train_tensor
            error = y_train_tensor - yhat
            loss = (error ** 2).mean()
            loss.backward()
            with T.no_grad():
                b -= lr * b.grad
                w -= lr * w.grad
            b.grad.zero_(), w.grad.zero_()

    times = measure(body, repeat, warmup)
    med = statistics.median(times)
    return Measurement(med / epochs * 1e6, "µs/epoch", med, times)


class MLP:
    """A ReLU MLP trained with plain SGD on fixed random data.

    The loss is the mean negative log-likelihood of log_softmax, written
    with exp/sum/log so it needs only the most basic ops.
    """

    def __init__(self, T, sizes, batch, lr=0.01, seed=0):
        rng = np.random.default_rng(seed)
        self.T = T
        self.sizes = sizes
        self.batch = batch
        self.lr = lr
        self.params = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            scale = np.sqrt((2.0 if i < len(sizes) - 2 else 1.0) / n_in)
            self.params.append(leaf(T, rng.standard_normal((n_in, n_out)) * scale))
            self.params.append(leaf(T, np.zeros(n_out)))
        self.x = data(T, rng.standard_normal((batch, sizes[0])))
        labels = rng.integers(0, sizes[-1], size=batch)
        self.onehot = data(T, np.eye(sizes[-1])[labels])

    def step(self):
        T = self.T
        h = self.x
        n_layers = len(self.params) // 2
        for i in range(n_layers):
            weight, bias = self.params[2 * i], self.params[2 * i + 1]
            h = h @ weight + bias
            if i < n_layers - 1:
                h = h.relu()
        logp = h - h.exp().sum(dim=1, keepdim=True).log()
        loss = (logp * self.onehot).sum() * (-1.0 / self.batch)
        loss.backward()
        with T.no_grad():
            for p in self.params:
                p.sub_(p.grad * self.lr)
                p.grad.zero_()
        return loss

    def flops_per_step(self):
        """Matmul FLOPs of one step: forward, then backward (weight grads
        for every layer, input grads for all but the first)."""
        total = 0
        for i, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            mm = 2 * self.batch * n_in * n_out
            total += mm * (2 if i == 0 else 3)
        return total


@workload("mlp_small", repeat=30, warmup=3,
          doc="784-128-10 ReLU MLP, batch 64, log_softmax loss, SGD")
def mlp_small(T, repeat, warmup):
    steps = 20
    model = MLP(T, [784, 128, 10], batch=64)

    def body():
        for _ in range(steps):
            model.step()

    times = measure(body, repeat, warmup)
    med = statistics.median(times)
    return Measurement(med / steps * 1e3, "ms/step", med, times)


@workload("mlp_large", repeat=5, warmup=1,
          doc="1024-2048-2048-10 ReLU MLP, batch 256, SGD")
def mlp_large(T, repeat, warmup):
    model = MLP(T, [1024, 2048, 2048, 10], batch=256)
    times = measure(model.step, repeat, warmup)
    med = statistics.median(times)
    gflops = model.flops_per_step() / med / 1e9
    return Measurement(med * 1e3, "ms/step", med, times,
                       {"GFLOP/s": round(gflops, 1)})


class SmallCNN:
    """conv(1->8, 3x3) - relu - maxpool 2 - conv(8->16, 3x3) - relu - maxpool 2
    - linear(16*7*7 -> 10), cross-entropy, plain SGD, on fixed random 28x28 data."""

    def __init__(self, T, batch, lr=0.01, seed=0):
        rng = np.random.default_rng(seed)
        self.T, self.lr = T, lr
        shapes = [(8, 1, 3, 3), (8,), (16, 8, 3, 3), (16,), (10, 16 * 7 * 7), (10,)]
        self.params = [leaf(T, rng.standard_normal(s) * 0.1) for s in shapes]
        self.x = data(T, rng.standard_normal((batch, 1, 28, 28)))
        self.y = placed(T, T.tensor(rng.integers(0, 10, size=batch).tolist()))

    def step(self):
        F = self.T.nn.functional
        c1, b1, c2, b2, w, b = self.params
        h = F.max_pool2d(F.relu(F.conv2d(self.x, c1, b1, padding=1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, c2, b2, padding=1)), 2)
        loss = F.cross_entropy(F.linear(h.flatten(1), w, b), self.y)
        loss.backward()
        with self.T.no_grad():
            for p in self.params:
                p.sub_(p.grad * self.lr)
                p.grad.zero_()
        return loss


@workload("cnn_small", repeat=30, warmup=3,
          doc="two 3x3 conv + max-pool layers and a linear head, 28x28 batch 32, cross-entropy, SGD")
def cnn_small(T, repeat, warmup):
    model = SmallCNN(T, batch=32)
    times = measure(model.step, repeat, warmup)
    med = statistics.median(times)
    return Measurement(med * 1e3, "ms/step", med, times)


class TransformerBlock:
    """One nn.TransformerEncoderLayer (post-norm, ReLU, dropout 0, batch_first),
    mean-pooled over the sequence, then a linear head and cross-entropy,
    trained with optim.SGD on fixed random data.

    Parameters are overwritten from a seeded numpy generator in name order,
    so both libraries start from the same weights.
    """

    def __init__(self, T, batch=32, seq=64, width=128, heads=4, ff=512, classes=10, lr=0.01, seed=0):
        rng = np.random.default_rng(seed)
        nn = T.nn
        self.T = T
        # Modules move like tensors (`Module.to` returns the module).
        self.encoder = placed(T, nn.TransformerEncoderLayer(width, heads, dim_feedforward=ff, dropout=0.0,
                                                            batch_first=True))
        self.head = placed(T, nn.Linear(width, classes))
        params = sorted(list(self.encoder.named_parameters()) +
                        [("head." + n, p) for n, p in self.head.named_parameters()],
                        key=lambda item: item[0])
        with T.no_grad():
            for name, p in params:
                shape = tuple(p.shape)
                if "norm" in name:  # LayerNorm: weight 1, bias 0, as initialised
                    values = np.ones(shape) if name.endswith("weight") else np.zeros(shape)
                else:
                    bound = 1 / np.sqrt(shape[-1])
                    values = rng.uniform(-bound, bound, size=shape)
                p.copy_(data(T, values))
        self.opt = T.optim.SGD([p for _, p in params], lr=lr)
        self.x = data(T, rng.standard_normal((batch, seq, width)))
        self.y = placed(T, T.tensor(rng.integers(0, classes, size=batch).tolist()))

    def step(self):
        F = self.T.nn.functional
        self.opt.zero_grad()
        h = self.encoder(self.x).mean(dim=1)
        loss = F.cross_entropy(self.head(h), self.y)
        loss.backward()
        self.opt.step()
        return loss


@workload("transformer_block", repeat=20, warmup=3,
          doc="TransformerEncoderLayer(128, 4 heads, ff 512), batch 32 x seq 64, mean-pool, linear head, cross-entropy, SGD")
def transformer_block(T, repeat, warmup):
    model = TransformerBlock(T)
    times = measure(model.step, repeat, warmup)
    med = statistics.median(times)
    return Measurement(med * 1e3, "ms/step", med, times)


@workload("matmul_bwd", repeat=10, warmup=2,
          doc="(A@B).sum().backward(), 1024x1024 float32")
def matmul_bwd(T, repeat, warmup):
    n = 1024
    rng = np.random.default_rng(0)
    a = leaf(T, rng.standard_normal((n, n)))
    b = leaf(T, rng.standard_normal((n, n)))

    def body():
        (a @ b).sum().backward()

    times = measure(body, repeat, warmup, setup=lambda: zero_grads(a, b))
    med = statistics.median(times)
    flops = 3 * 2 * n ** 3  # A@B forward, then grad_A and grad_B
    return Measurement(flops / med / 1e9, "GFLOP/s", med, times,
                       {"ms": round(med * 1e3, 2)})


@workload("elementwise_big", repeat=10, warmup=2,
          doc="((x*2+1).tanh()*x).sum().backward(), 10M float32")
def elementwise_big(T, repeat, warmup):
    n = 10_000_000
    x = leaf(T, np.random.default_rng(0).random(n))

    def body():
        ((x * 2 + 1).tanh() * x).sum().backward()

    times = measure(body, repeat, warmup, setup=lambda: zero_grads(x))
    med = statistics.median(times)
    return Measurement(med * 1e3, "ms", med, times)


def adam_setup(T, n_tensors=20, size=500_000, **options):
    """Adam over n_tensors float32 params of `size` elements, grads already set."""
    rng = np.random.default_rng(0)
    params = []
    for _ in range(n_tensors):
        # Copies, so each library's own allocator owns the memory (numpy's
        # buffers get no huge pages, which slows torch several-fold here).
        p = data(T, rng.standard_normal(size)).clone().requires_grad_()
        p.grad = data(T, rng.standard_normal(size)).clone()
        params.append(p)
    return T.optim.Adam(params, lr=1e-3, **options)


def time_adam(T, repeat, warmup, **options):
    opt = adam_setup(T, **options)
    return measure(opt.step, repeat, warmup)


@workload("optimizer_step", repeat=10, warmup=2,
          doc="Adam step over 10M float32 params in 20 tensors (torch: foreach=True)")
def optimizer_step(T, repeat, warmup):
    # ferrograd updates a whole group in one fused call; torch is measured
    # with its foreach implementation, its CPU default (a per-tensor loop)
    # and its fused CPU kernel shown in the notes.
    extra = {}
    if T.__name__ == "torch":
        times = time_adam(T, repeat, warmup, foreach=True)
        for label, options in (("default ms", {}), ("fused ms", {"fused": True})):
            extra[label] = round(statistics.median(time_adam(T, repeat, warmup, **options)) * 1e3, 2)
    else:
        times = time_adam(T, repeat, warmup)
    med = statistics.median(times)
    return Measurement(med * 1e3, "ms/step", med, times, extra)


def rss_mib(field="VmRSS"):
    for line in _read("/proc/self/status").splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def soak(T, steps):
    """mlp_small for `steps` steps; memory figures in MiB."""
    after_import = rss_mib()
    model = MLP(T, [784, 128, 10], batch=64)
    settle = max(1, min(200, steps // 10))
    t0 = time.perf_counter()
    for i in range(steps):
        model.step()
        if i + 1 == settle:
            settled = rss_mib()
    seconds = time.perf_counter() - t0
    end = rss_mib()
    return {
        "steps": steps,
        "seconds": seconds,
        "rss_after_import_mib": after_import,
        "rss_after_warmup_mib": settled,
        "rss_end_mib": end,
        "peak_rss_mib": rss_mib("VmHWM"),
        "growth_mib": end - settled,
    }


@workload("memory_soak", repeat=1, warmup=0,
          doc="mlp_small for 2000 steps in a fresh process: peak RSS, growth")
def memory_soak(T, repeat, warmup):
    # RSS is per process, so each library runs alone in a child process.
    steps = 2000
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--soak-child", T.__name__,
         "--soak-steps", str(steps)],
        capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1]
                           if proc.stderr.strip() else f"exit {proc.returncode}")
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    return Measurement(
        r["peak_rss_mib"], "MiB peak RSS", r["peak_rss_mib"] * 2**20, [],
        {"growth MiB": round(r["growth_mib"], 1),
         "after import MiB": round(r["rss_after_import_mib"], 1),
         "ms/step": round(r["seconds"] / steps * 1e3, 3)})


# ---------------------------------------------------------------------------
# Report


def fmt(v):
    if v is None:
        return "—"
    a = abs(v)
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def fmt_extra(extra):
    return ", ".join(f"{k} {fmt(v) if isinstance(v, float) else v}"
                     for k, v in extra.items())


def table_row(name, unit, per_lib):
    fg, th = per_lib.get("ferrograd"), per_lib.get("torch")
    cells = []
    notes = []
    for lib_name, r in (("ferrograd", fg), ("torch", th)):
        if r is None:
            cells.append("—")
        elif "error" in r:
            cells.append("error")
            notes.append(f"{lib_name}: {r['error']}")
        else:
            cells.append(fmt(r["value"]))
            if r["extra"]:
                notes.append(f"{lib_name}: {fmt_extra(r['extra'])}")
    ratio = "—"
    if fg and th and "cost" in fg and "cost" in th and th["cost"]:
        ratio = f"{fg['cost'] / th['cost']:.2f}"
    note = "; ".join(notes).replace("|", "/")
    return f"| {name} | {unit} | {cells[0]} | {cells[1]} | {ratio} | {note} |"


RATIO_NOTE = ("ratio = ferrograd cost / torch cost (time; peak RSS for "
              "memory_soak); below 1 means ferrograd is better.")


def run(names, libs, repeat, warmup):
    """Run the workloads, printing the table as it grows.

    Returns (results, table lines)."""
    global SYNC
    fg = "ferrograd" if DEVICE == "cpu" else f"ferrograd ({DEVICE})"
    lines = [f"| workload | unit | {fg} | torch | ratio | notes |",
             "| --- | --- | ---: | ---: | ---: | --- |"]
    for line in lines:
        print(line)
    results = []
    for name in names:
        fn = WORKLOADS[name]
        n_rep = repeat if repeat is not None else fn.default_repeat
        n_warm = warmup if warmup is not None else fn.default_warmup
        per_lib = {}
        unit = ""
        for lib_name, lib in libs.items():
            on_device = DEVICE != "cpu" and lib_name == "ferrograd"
            SYNC = lib.wgpu.synchronize if on_device else None
            try:
                m = fn(lib, n_rep, n_warm)
            except Exception as e:
                msg = f"{type(e).__name__}: {e}".splitlines()[0][:120]
                per_lib[lib_name] = {"error": msg}
            else:
                per_lib[lib_name] = m.as_dict()
                unit = m.unit
            finally:
                SYNC = None
            results.append({"workload": name, "lib": lib_name,
                            **per_lib[lib_name]})
        lines.append(table_row(name, unit, per_lib))
        print(lines[-1], flush=True)
    print()
    print(RATIO_NOTE)
    return results, lines


# ---------------------------------------------------------------------------
# Writing the results into benches/RESULTS.md

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS_MD = os.path.join(HERE, "RESULTS.md")
RATIOS_PNG = os.path.join(HERE, "ratios.png")
START_MARK = "<!-- latest-run:start -->"
END_MARK = "<!-- latest-run:end -->"
# Runs with --device wgpu go to their own section.
WGPU_START_MARK = "<!-- latest-wgpu-run:start -->"
WGPU_END_MARK = "<!-- latest-wgpu-run:end -->"


def marks():
    return (START_MARK, END_MARK) if DEVICE == "cpu" else (WGPU_START_MARK, WGPU_END_MARK)


def shown(path):
    """path relative to the working directory when below it, else absolute."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def command_line():
    """The command as typed: the interpreter relative to the working
    directory when it lives below it (.venv/bin/python), else absolute."""
    return shlex.join([shown(sys.executable)] + sys.argv)


def ratios(results):
    """{workload: ferrograd cost / torch cost} for workloads both libraries ran."""
    cost = {(r["workload"], r["lib"]): r.get("cost") for r in results}
    out = {}
    for name in dict.fromkeys(r["workload"] for r in results):
        fg, th = cost.get((name, "ferrograd")), cost.get((name, "torch"))
        if fg and th:
            out[name] = fg / th
    return out


def write_chart(by_workload, path):
    """A bar per workload on a log scale, with a line at 1; returns whether
    a chart was written."""
    if not by_workload:
        print("no workload ran on both libraries: no ratio chart")
        return False
    try:
        import matplotlib
        matplotlib.use("Agg")  # files only, no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: skipping the ratio chart")
        return False
    from matplotlib.ticker import FuncFormatter, LogLocator

    names = list(by_workload)
    values = [by_workload[n] for n in names]
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(names) + 2), 4.5))
    colors = ["tab:green" if v < 1 else "tab:red" for v in values]
    # Bars grow from 1 (parity) up or down to the ratio.
    bars = ax.bar(names, [v - 1 for v in values], bottom=1, color=colors)
    ax.set_yscale("log")
    ax.axhline(1.0, color="black", linewidth=1)
    lo, hi = min(values + [1.0]), max(values + [1.0])
    ax.set_ylim(lo / 1.8, hi * 1.8)
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda y, _: ""))
    for bar, v in zip(bars, values):
        above = v >= 1
        ax.annotate(f"{v:.2f}", (bar.get_x() + bar.get_width() / 2, v),
                    ha="center", va="bottom" if above else "top",
                    xytext=(0, 2 if above else -2), textcoords="offset points")
    ax.set_ylabel("ferrograd / torch (log scale)")
    ax.set_title("ferrograd cost relative to PyTorch (below 1: ferrograd better)")
    ax.tick_params(axis="x", labelrotation=30)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"wrote {shown(path)}")
    return True


def marker_span(text):
    start_mark, end_mark = marks()
    start, end = text.find(start_mark), text.find(end_mark)
    if start < 0 or end < start:
        sys.exit(f"{RESULTS_MD} has no {start_mark} ... {end_mark} section to replace")
    return start, end


def check_markers():
    with open(RESULTS_MD) as f:
        marker_span(f.read())


def write_results(machine, table, chart):
    """Replace the text between the latest-run markers of RESULTS.md; the
    rest of the file is left as it is."""
    with open(RESULTS_MD) as f:
        text = f.read()
    start, end = marker_span(text)
    load = _read("/proc/loadavg").split()[:3]
    body = [
        "",
        f"Written by `--write-results` on {time.strftime('%Y-%m-%d %H:%M %Z')}. Command:",
        "",
        "```sh",
        command_line(),
        "```",
        "",
        *machine,
    ]
    if load:
        body.append(f"- load average at end: {' '.join(load)}")
    body += ["", *table, "", RATIO_NOTE, ""]
    if chart:
        body += ["![ferrograd / torch per workload](ratios.png)", ""]
    if DEVICE != "cpu":
        body += [f"ferrograd computed on {DEVICE} ({DEVICE_NAME}), torch on the CPU.", ""]
    new = text[:start + len(marks()[0])] + "\n".join(body) + text[end:]
    with open(RESULTS_MD, "w") as f:
        f.write(new)
    section = "latest-run" if DEVICE == "cpu" else f"latest {DEVICE} run"
    print(f"wrote the {section} section of {shown(RESULTS_MD)}")


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Benchmark ferrograd against PyTorch.",
        epilog="workloads: " + ", ".join(WORKLOADS))
    p.add_argument("workloads", nargs="*", metavar="workload",
                   help="workloads to run (default: all)")
    p.add_argument("--repeat", type=int, default=None, metavar="N",
                   help="timed runs per workload (default: per workload)")
    p.add_argument("--warmup", type=int, default=None, metavar="N",
                   help="untimed runs first (default: per workload)")
    p.add_argument("--only", choices=LIBS, action="append",
                   help="run only this library (may be repeated)")
    p.add_argument("--json", nargs="?", const="-", default=None, metavar="PATH",
                   help="also write the results as JSON to PATH (default: stdout)")
    p.add_argument("--write-results", action="store_true",
                   help="also put the table, machine and command into the latest-run "
                        "section of benches/RESULTS.md and draw benches/ratios.png")
    p.add_argument("--device", choices=["cpu", "wgpu"], default="cpu",
                   help="where ferrograd computes (torch stays on the CPU); with wgpu the "
                        "default workloads are the ones it runs natively: "
                        + ", ".join(WGPU_WORKLOADS))
    p.add_argument("--list", action="store_true", help="list the workloads")
    p.add_argument("--soak-child", choices=LIBS, help=argparse.SUPPRESS)
    p.add_argument("--soak-steps", type=int, default=2000, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.soak_child:
        lib, err = import_lib(args.soak_child)
        if lib is None:
            sys.exit(err)
        print(json.dumps(soak(lib, args.soak_steps)))
        return

    if args.list:
        for name, fn in WORKLOADS.items():
            print(f"{name:16} {fn.doc}")
        return

    unknown = [w for w in args.workloads if w not in WORKLOADS]
    if unknown:
        p.error(f"unknown workload(s): {', '.join(unknown)}; "
                f"choose from {', '.join(WORKLOADS)}")
    global DEVICE, DEVICE_NAME
    DEVICE = args.device
    default = WGPU_WORKLOADS if DEVICE == "wgpu" else list(WORKLOADS)
    names = args.workloads or default
    if args.write_results:
        check_markers()  # before the run, not after minutes of it

    libs, errors = {}, {}
    for name in args.only or LIBS:
        lib, err = import_lib(name)
        if lib is None:
            errors[name] = err
        else:
            libs[name] = lib

    info = machine_info()
    if DEVICE == "wgpu":
        fg = libs.get("ferrograd")
        if fg is None or not fg.wgpu.is_available():
            sys.exit("--device wgpu: no wgpu adapter (on Debian, make gpu-driver installs Mesa's lavapipe)")
        DEVICE_NAME = fg.wgpu.get_device_name()
        info["wgpu_device"] = DEVICE_NAME
    print_machine(info, libs, errors)
    if DEVICE == "wgpu":
        print(f"ferrograd computes on wgpu ({DEVICE_NAME}); torch on the CPU\n")
    if not libs:
        sys.exit("neither ferrograd nor torch can be imported")

    results, table = run(names, libs, args.repeat, args.warmup)
    load = _read("/proc/loadavg").split()[:3]
    if load:
        print(f"load average at end: {' '.join(load)}")

    if args.write_results:
        # The chart tracks the CPU comparison only.
        chart = write_chart(ratios(results), RATIOS_PNG) if DEVICE == "cpu" else False
        write_results(machine_lines(info, libs, errors), table, chart)

    if args.json:
        doc = {
            "machine": info,
            "versions": {n: lib_version(l) for n, l in libs.items()},
            "not_measured": errors,
            "results": results,
        }
        text = json.dumps(doc, indent=2)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w") as f:
                f.write(text + "\n")


if __name__ == "__main__":
    main()
