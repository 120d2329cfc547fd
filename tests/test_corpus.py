"""Tutorial-level PyTorch programs from tests/corpus, run under PyTorch and under
ferrograd (chosen by the CORPUS_LIBRARY variable each script reads): the printed
output must be the same."""

import json
import math
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
PACKAGE = os.path.join(os.path.dirname(HERE), "python")

# Scripts whose output differs today, each with the reason.  The marks are
# strict: once the reason is gone the test fails until its entry is removed.
KNOWN_DIFFERENCES: dict[str, str] = {}

SCRIPTS = sorted(name for name in os.listdir(CORPUS) if name.endswith(".py") and name != "names.py")

# Importing PyTorch costs seconds, so one interpreter runs every script under
# it, each as __main__ with its own globals; ferrograd gets a fresh interpreter
# per script, so that a crash shows up as that script's failure only.
RUN_ALL = """
import contextlib, io, json, runpy, sys
results = {}
for script in sys.argv[1:]:
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(script, run_name="__main__")
        results[script] = [0, out.getvalue(), ""]
    except BaseException as error:
        results[script] = [1, out.getvalue(), repr(error)]
print(json.dumps(results))
"""


def run(args, library):
    env = dict(os.environ, CORPUS_LIBRARY=library,
               PYTHONPATH=os.pathsep.join([PACKAGE, os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, *args], cwd=CORPUS, env=env, capture_output=True, text=True, timeout=300)


def lines(text):
    return [line.rstrip() for line in text.splitlines()]


NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def same_output_line(theirs, ours):
    """Text must match exactly; numbers to float32 precision. PyTorch's
    vectorised float32 kernels (SLEEF's sin and exp, its blocked summation
    order) may round the last bit differently from ferrograd's, and a script
    that prints `loss.item()` shows all seventeen digits of that bit."""
    if theirs == ours:
        return True
    if NUMBER.sub("#", theirs) != NUMBER.sub("#", ours):
        return False
    pairs = zip(NUMBER.findall(theirs), NUMBER.findall(ours))
    return all(a == b if a.lstrip("+-").isdigit() and b.lstrip("+-").isdigit()
               else math.isclose(float(a), float(b), rel_tol=1e-5, abs_tol=1e-6) for a, b in pairs)


@pytest.fixture(scope="module")
def runs(torch_ref):
    """{script: ((code, lines, error) under torch, the same under ferrograd)}"""
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        theirs = pool.submit(run, ["-c", RUN_ALL, *SCRIPTS], "torch")
        ours = {script: pool.submit(run, [script], "ferrograd") for script in SCRIPTS}
        proc = theirs.result()
        assert proc.returncode == 0, proc.stderr
        expected = json.loads(proc.stdout)
        results = {}
        for script in SCRIPTS:
            code, out, error = expected[script]
            mine = ours[script].result()
            results[script] = ((code, lines(out), error), (mine.returncode, lines(mine.stdout), mine.stderr))
        return results


@pytest.mark.parametrize("script", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_DIFFERENCES[name]))
    if name in KNOWN_DIFFERENCES else name
    for name in SCRIPTS])
def test_prints_what_pytorch_prints(runs, script):
    (code, expected, error), (our_code, printed, our_error) = runs[script]
    assert code == 0, error
    assert our_code == 0, our_error
    assert len(printed) == len(expected), (printed, expected)
    differing = [(theirs, ours) for theirs, ours in zip(expected, printed) if not same_output_line(theirs, ours)]
    assert not differing, differing


def test_output_comparison_is_exact_for_text_and_float32_close_for_numbers():
    assert same_output_line("loss 1559.9361572265625", "loss 1559.936279296875")
    assert same_output_line("y = -5.682655457306396e-10 + 2.0 x", "y = 0.0 + 2.0 x")
    assert not same_output_line("loss 1559.93", "loss 1559.95")
    assert not same_output_line("tensor([1., 2.])", "tensor([1., 2.], dtype=torch.float64)")
    assert not same_output_line("step 10", "step 11")
    assert not same_output_line("count 12345678", "count 12345679")


def test_known_differences_name_existing_scripts():
    assert set(KNOWN_DIFFERENCES) <= set(SCRIPTS)
