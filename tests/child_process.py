"""Running a probe in a fresh interpreter, so a crash or a hang fails one
test instead of taking pytest down with it."""

import json
import os
import subprocess
import sys
import textwrap


def run_child(code, timeout=120):
    """Runs `code` in a fresh interpreter; returns the JSON it prints last."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, (f"child exited with {proc.returncode}\n"
                                  f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
