"""ferrograd.distributed, DistributedDataParallel and DistributedSampler.

The multi-process checks run worker scripts (tests/distributed_workers/) on two
ranks under ``mpirun ... python -m mpi4py``; mpi4py's runner aborts the whole
job when a rank raises, so a failing check fails the run instead of hanging
it, and every run has a timeout. Without mpirun or mpi4py those tests skip,
except under CI=true, where they fail (``make mpi`` installs Open MPI).
"""

import importlib.util
import os
import shutil
import signal
import subprocess
import sys

import pytest

import ferrograd as torch
import ferrograd.distributed as dist
from ferrograd.utils.data import DistributedSampler

HERE = os.path.dirname(os.path.abspath(__file__))
WORKERS = os.path.join(HERE, "distributed_workers")
PACKAGE_ROOT = os.path.join(os.path.dirname(HERE), "python")
MPIRUN = shutil.which("mpirun")
HAVE_MPI = MPIRUN is not None and importlib.util.find_spec("mpi4py") is not None
TIMEOUT = 120


@pytest.fixture
def mpi():
    if not HAVE_MPI:
        reason = "needs mpirun and mpi4py (make mpi; pip install mpi4py)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires MPI: {reason}")
        pytest.skip(reason)


def run_workers(script, *args, ranks=2):
    """Run ``script`` (a path under tests/distributed_workers/ or absolute) on
    ``ranks`` processes; returns (exit code, stdout + stderr)."""
    cmd = [MPIRUN, "-np", str(ranks), "--oversubscribe"]
    if os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    cmd += [sys.executable, "-m", "mpi4py", os.path.join(WORKERS, script), *args]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
    # Several single-threaded ranks share the cores; more threads only contend.
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("RAYON_NUM_THREADS", "1")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"{script} did not finish within {TIMEOUT} s:\n{out}")
    return proc.returncode, out


@pytest.mark.parametrize("script, done", [("collectives.py", "collectives ok"), ("ddp.py", "ddp ok")])
def test_workers(mpi, script, done):
    code, out = run_workers(script)
    assert code == 0, out
    assert out.count(done) == 2, out


def test_a_failing_rank_fails_the_job(mpi):
    code, out = run_workers("rank_fails.py")
    assert code != 0, out
    assert "rank 1 gives up on purpose" in out, out
    assert "unreachable" not in out, out


def test_ddp_digits_example_trains_and_keeps_replicas_identical(mpi):
    import re

    example = os.path.join(os.path.dirname(HERE), "examples", "ddp_digits.py")
    code, out = run_workers(example, "--epochs", "2")
    assert code == 0, out
    assert out.count("parameters identical to rank 0's") == 2, out
    losses = [float(x) for x in re.findall(r"loss (\d+\.\d+)", out)]
    accuracies = [float(x) for x in re.findall(r"test accuracy (\d+\.\d+)%", out)]
    assert len(losses) == 2 and losses[1] < losses[0], out
    assert accuracies[-1] > 85, out


# ---- in this process: no MPI needed --------------------------------------


def test_use_before_init_is_refused_as_pytorch_does(torch_ref):
    assert not dist.is_initialized()
    for name, args in [("get_rank", ()), ("get_world_size", ()), ("barrier", ()), ("all_reduce", ([1.0],))]:
        fr_args = tuple(torch.tensor(a) for a in args)
        ref_args = tuple(torch_ref.tensor(a) for a in args)
        with pytest.raises(ValueError) as ours:
            getattr(dist, name)(*fr_args)
        with pytest.raises(ValueError) as theirs:
            getattr(torch_ref.distributed, name)(*ref_args)
        assert str(ours.value) == str(theirs.value)


def test_init_arguments_are_checked_before_mpi_starts(torch_ref):
    with pytest.raises(TypeError) as ours:
        dist.init_process_group("mpi", timeout=5)
    with pytest.raises(TypeError) as theirs:
        torch_ref.distributed.init_process_group("gloo", timeout=5)
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(RuntimeError, match="doesn't have NCCL built in"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="Unknown c10d backend type TOFU"):
        dist.init_process_group("tofu")
    with pytest.raises(ValueError, match="Backend name must be a string"):
        dist.init_process_group(3)
    with pytest.raises(ValueError, match="Cannot specify both init_method and store"):
        dist.init_process_group("mpi", init_method="env://", store=object())
    assert not dist.is_initialized()
    assert dist.is_available() == (importlib.util.find_spec("mpi4py") is not None)


def test_reduce_op_names_and_values_match_pytorch(torch_ref):
    for name in ["SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR", "PREMUL_SUM"]:
        ours, theirs = getattr(dist.ReduceOp, name), getattr(torch_ref.distributed.ReduceOp, name)
        assert ours.value == int(theirs.value) and repr(ours) == repr(theirs)


def test_backend_names_match_pytorch(torch_ref):
    assert dist.Backend("MPI") == torch_ref.distributed.Backend("MPI") == "mpi"
    assert dist.Backend.MPI == torch_ref.distributed.Backend.MPI


@pytest.mark.parametrize("n", [1, 7, 10, 23, 64, 101])
@pytest.mark.parametrize("replicas", [1, 2, 3, 8])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("drop_last", [True, False])
def test_sampler_shares_equal_pytorch(torch_ref, n, replicas, shuffle, drop_last):
    RefSampler = torch_ref.utils.data.DistributedSampler

    data = list(range(n))
    for epoch in (0, 3):
        for rank in range(replicas):
            ours = DistributedSampler(data, num_replicas=replicas, rank=rank, shuffle=shuffle, seed=11, drop_last=drop_last)
            theirs = RefSampler(data, num_replicas=replicas, rank=rank, shuffle=shuffle, seed=11, drop_last=drop_last)
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs)
            assert len(ours) == len(theirs)


def test_sampler_partitions_the_dataset():
    n, replicas = 23, 4
    shares = [list(DistributedSampler(range(n), num_replicas=replicas, rank=r, seed=5)) for r in range(replicas)]
    assert len({len(s) for s in shares}) == 1
    everything = sorted(i for s in shares for i in s)
    # Every index appears; the padding repeats the first ones of the permutation.
    assert set(everything) == set(range(n)) and len(everything) == replicas * -(-n // replicas)
    dropped = [list(DistributedSampler(range(n), num_replicas=replicas, rank=r, seed=5, drop_last=True)) for r in range(replicas)]
    flat = [i for s in dropped for i in s]
    assert len(flat) == len(set(flat)) == (n // replicas) * replicas
    first = list(DistributedSampler(range(n), num_replicas=2, rank=0, seed=5))
    sampler = DistributedSampler(range(n), num_replicas=2, rank=0, seed=5)
    sampler.set_epoch(1)
    assert list(sampler) != first


def test_sampler_rejects_a_bad_rank(torch_ref):
    RefSampler = torch_ref.utils.data.DistributedSampler

    with pytest.raises(ValueError) as ours:
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError) as theirs:
        RefSampler(range(4), num_replicas=2, rank=2)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("limits", [[1024 * 1024, 25 * 1024 * 1024], [1024, 4096], [50, 50], [10**9]])
def test_bucket_assignment_equals_pytorch(torch_ref, limits):
    from ferrograd.nn.parallel._buckets import bucket_indices

    shapes = [((1000, 300), "float32"), ((1000,), "float32"), ((300, 300), "float64"), ((100000,), "float32"),
              ((3, 4), "float64"), ((300000,), "float32"), ((10,), "float32"), ((7,), "float64"), ((512, 512), "float32")]
    ours = [torch.zeros(*shape, dtype=getattr(torch, dtype)) for shape, dtype in shapes]
    theirs = [torch_ref.zeros(*shape, dtype=getattr(torch_ref, dtype)) for shape, dtype in shapes]
    expected, _ = torch_ref.distributed._compute_bucket_assignment_by_size(theirs, limits, [False] * len(theirs))
    assert bucket_indices(ours, limits) == expected


def test_ddp_needs_an_initialized_group():
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2))
