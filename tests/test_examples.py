"""The training examples run on ferrograd and learn what they should."""

import os
import subprocess
import sys

import pytest

import ferrograd

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


@pytest.fixture(scope="module")
def train_digits():
    pytest.importorskip("sklearn", reason="the digits data ship with scikit-learn")
    pytest.importorskip("tqdm")
    sys.path.insert(0, EXAMPLES)
    try:
        import train_digits
    finally:
        sys.path.remove(EXAMPLES)
    return train_digits


def test_digits_mlp_learns_in_two_epochs(train_digits):
    # PyTorch reaches a mean training loss of 0.22 in the second epoch and
    # 95% test accuracy with this script's seeds and schedule.
    data = train_digits.load_split()
    model, history = train_digits.train(ferrograd, train_digits.build_mlp, data, 2, "MLP")
    assert history["loss"][1] < 0.35
    assert history["loss"][1] < history["loss"][0]
    assert history["accuracy"][1] > 0.92
    assert isinstance(model, ferrograd.nn.Module)


def test_linear_regression_recovers_the_line():
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, "linear_regression.py")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    b = float(last.split("b = ")[1].split(",")[0])
    w = float(last.split("w = ")[1].split()[0])
    assert abs(b - 1) < 0.1 and abs(w - 2) < 0.1, last


def test_linear_regression_matches_pytorch(torch_ref):
    # Same seed, same initialisation draws, same updates: the printed lines agree.
    script = os.path.join(EXAMPLES, "linear_regression.py")
    ours = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=300)
    theirs = subprocess.run([sys.executable, script, "--torch"], capture_output=True, text=True, timeout=300)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout
