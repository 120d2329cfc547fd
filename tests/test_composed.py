"""Functions composed from core ops (addcmul, addcdiv, frac, diff, trace,
nansum, nanmean, count_nonzero, fliplr, flipud, aminmax, deg2rad, rad2deg,
logaddexp, hypot, rot90, kron, std_mean, var_mean):
values and errors against PyTorch, gradients against finite differences."""

import numpy as np
import pytest

import ferrograd as torch
from error_compare import assert_same_error
from gradcheck import check_grad

RNG = np.random.default_rng(1)
A = RNG.standard_normal((3, 4)).astype(np.float32) * 3
B = RNG.standard_normal((3, 4)).astype(np.float32)
C = RNG.uniform(0.5, 2.0, (3, 4)).astype(np.float32)
WITH_NAN = np.array([[1.5, np.nan, -2.25, 0.0], [np.nan, np.nan, 3.0, -1.0]], dtype=np.float32)


def same(ours, theirs):
    if isinstance(theirs, tuple):
        for a, b in zip(ours, theirs):
            same(a, b)
        return
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6, atol=1e-6)


CASES = [
    lambda lib: lib.addcmul(lib.tensor(A), lib.tensor(B), lib.tensor(C), value=0.5),
    lambda lib: lib.tensor(A).addcmul(lib.tensor(B), lib.tensor(C)),
    lambda lib: lib.addcdiv(lib.tensor(A), lib.tensor(B), lib.tensor(C), value=-2),
    lambda lib: lib.tensor(A).addcdiv(lib.tensor(B), lib.tensor(C)),
    lambda lib: lib.tensor(A).clone().addcmul_(lib.tensor(B), lib.tensor(C), value=3),
    lambda lib: lib.tensor(A).clone().addcdiv_(lib.tensor(B), lib.tensor(C), value=0.25),
    lambda lib: lib.frac(lib.tensor(A)),
    lambda lib: lib.tensor(A).frac(),
    lambda lib: lib.diff(lib.tensor(A)),
    lambda lib: lib.diff(lib.tensor(A), n=2, dim=0),
    lambda lib: lib.tensor(A).diff(dim=1, prepend=lib.tensor(B[:, :1]), append=lib.tensor(C[:, :2])),
    lambda lib: lib.diff(lib.tensor(A), n=5),
    lambda lib: lib.trace(lib.tensor(A)),
    lambda lib: lib.tensor(A).trace(),
    lambda lib: lib.nansum(lib.tensor(WITH_NAN)),
    lambda lib: lib.tensor(WITH_NAN).nansum(1, keepdim=True),
    lambda lib: lib.nansum(lib.tensor([1, 2, 3])),
    lambda lib: lib.nanmean(lib.tensor(WITH_NAN)),
    lambda lib: lib.tensor(WITH_NAN).nanmean(0),
    lambda lib: lib.count_nonzero(lib.tensor(WITH_NAN)),
    lambda lib: lib.tensor(WITH_NAN).count_nonzero(1),
    lambda lib: lib.fliplr(lib.tensor(A)),
    lambda lib: lib.tensor(A).fliplr(),
    lambda lib: lib.flipud(lib.tensor(A)),
    lambda lib: lib.tensor(A).flipud(),
    lambda lib: lib.aminmax(lib.tensor(A)),
    lambda lib: lib.tensor(A).aminmax(dim=1),
    lambda lib: lib.aminmax(lib.tensor(A), dim=0, keepdim=True),
    lambda lib: lib.deg2rad(lib.tensor(A)),
    lambda lib: lib.tensor([90, 180]).deg2rad(),
    lambda lib: lib.rad2deg(lib.tensor(A)),
    lambda lib: lib.tensor(A).rad2deg(),
    lambda lib: lib.logaddexp(lib.tensor(A), lib.tensor(B)),
    lambda lib: lib.tensor(A * 40).logaddexp(lib.tensor(B * 40)),
    lambda lib: lib.logaddexp(lib.tensor([float("inf"), -float("inf"), 1.0]), lib.tensor([float("inf"), -float("inf"), -float("inf")])),
    lambda lib: lib.hypot(lib.tensor(A), lib.tensor(B)),
    lambda lib: lib.tensor(A).hypot(lib.tensor(C)),
    lambda lib: lib.rot90(lib.tensor(A)),
    lambda lib: lib.tensor(A).rot90(2),
    lambda lib: lib.rot90(lib.tensor(A), -1, [1, 0]),
    lambda lib: lib.rot90(lib.tensor(A).reshape(3, 2, 2), 3, (0, 2)),
    lambda lib: lib.rot90(lib.tensor(A), 4),
    lambda lib: lib.kron(lib.tensor(A[:2, :2]), lib.tensor(B)),
    lambda lib: lib.tensor(A[0]).kron(lib.tensor(C[:2])),
    lambda lib: lib.kron(lib.tensor([1, 2]), lib.tensor([[3], [4]])),
    lambda lib: lib.std_mean(lib.tensor(A)),
    lambda lib: lib.std_mean(lib.tensor(A), 1, keepdim=True),
    lambda lib: lib.std_mean(lib.tensor(A), 0, unbiased=False),
    lambda lib: lib.var_mean(lib.tensor(A)),
    lambda lib: lib.var_mean(lib.tensor(A), dim=1, correction=0),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_values_match_pytorch(torch_ref, case):
    same(CASES[case](torch), CASES[case](torch_ref))


@pytest.mark.parametrize("call", [
    lambda lib: lib.trace(lib.ones(3)),
    lambda lib: lib.diff(lib.tensor(1.0)),
    lambda lib: lib.fliplr(lib.ones(3)),
    lambda lib: lib.flipud(lib.tensor(1.0)),
    lambda lib: lib.nanmean(lib.tensor([1, 2])),
    lambda lib: lib.rot90(lib.ones(3)),
    lambda lib: lib.rot90(lib.ones(3, 3), 1, (0, 0)),
    lambda lib: lib.rot90(lib.ones(3, 3), 1, (0, 1, 2)),
])
def test_bad_arguments_raise_pytorch_errors(torch_ref, call):
    assert_same_error(torch_ref, torch, call)


@pytest.mark.parametrize("fn", [
    lambda x, y, z: torch.addcmul(x, y, z, value=0.5),
    lambda x, y, z: torch.addcdiv(x, y, z, value=-2),
    lambda x, y, z: torch.diff(x, n=2, dim=1, append=y),
    lambda x, y, z: torch.trace(x[:, :3]) * z,
    lambda x, y, z: torch.nanmean(x, 1) + torch.nansum(y, 0).sum(),
    lambda x, y, z: torch.fliplr(x) * torch.flipud(y),
    lambda x, y, z: torch.aminmax(x, dim=1).max - torch.aminmax(y).min,
    lambda x, y, z: torch.deg2rad(x) + torch.rad2deg(z),
    lambda x, y, z: torch.frac(x * 3.7),
    lambda x, y, z: torch.logaddexp(x, y) * torch.hypot(y, z),
    lambda x, y, z: (torch.rot90(x, 1) * torch.rot90(y, 3, (1, 0))).sum() + (torch.kron(y[:2, :2], z[:1, :3]) ** 2).sum(),
    lambda x, y, z: torch.std_mean(x, 1)[0] * torch.var_mean(y, 1)[1] + torch.var_mean(z)[0],
])
def test_gradients_match_finite_differences(fn):
    # Distinct values, none near an integer after the scaling above.
    x = (RNG.permutation(12).reshape(3, 4) + 0.31).astype(np.float64)
    y = (RNG.permutation(12).reshape(3, 4) * 1.1 + 0.17).astype(np.float64)
    z = (RNG.permutation(12).reshape(3, 4) * 0.5 + 1.13).astype(np.float64)
    check_grad(fn, [torch.tensor(v, requires_grad=True) for v in (x, y, z)])


def test_moment_means_refuse_unbiased_with_correction():
    with pytest.raises(TypeError, match="var_mean"):
        torch.var_mean(torch.ones(3, 3), 1, unbiased=True, correction=0)
    with pytest.raises(TypeError, match="std_mean"):
        torch.std_mean(torch.ones(3, 3), 1, unbiased=False, correction=1)
