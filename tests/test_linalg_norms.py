"""`torch.linalg` norms against PyTorch, and their gradients against
finite differences (they reduce to the core's vector norm)."""

import numpy as np
import pytest

import ferrograd as torch
from gradcheck import check_grad

RNG = np.random.default_rng(4)
M = RNG.standard_normal((3, 4)).astype(np.float32)
T = RNG.standard_normal((2, 3, 4)).astype(np.float32)
V = RNG.standard_normal(5).astype(np.float32)

CASES = {
    "vector_default": lambda lib: lib.linalg.vector_norm(lib.tensor(T)),
    "vector_ord1_dim": lambda lib: lib.linalg.vector_norm(lib.tensor(T), 1, dim=1),
    "vector_inf_dims_keepdim": lambda lib: lib.linalg.vector_norm(lib.tensor(T), float("inf"), dim=(0, 2), keepdim=True),
    "vector_ord3": lambda lib: lib.linalg.vector_norm(lib.tensor(M), 3),
    "vector_ord0": lambda lib: lib.linalg.vector_norm(lib.tensor(M), 0, dim=-1),
    "norm_flattened": lambda lib: lib.linalg.norm(lib.tensor(T)),
    "norm_vector_ord": lambda lib: lib.linalg.norm(lib.tensor(V), 1),
    "norm_matrix_fro": lambda lib: lib.linalg.norm(lib.tensor(M), "fro"),
    "norm_dim_pair": lambda lib: lib.linalg.norm(lib.tensor(T), dim=(1, 2)),
    "norm_dim_int": lambda lib: lib.linalg.norm(lib.tensor(T), 2, dim=2),
    "matrix_norm_batched": lambda lib: lib.linalg.matrix_norm(lib.tensor(T)),
    "matrix_norm_keepdim": lambda lib: lib.linalg.matrix_norm(lib.tensor(T), dim=(0, 2), keepdim=True),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_norms_match_pytorch(name, torch_ref):
    ours, theirs = CASES[name](torch), CASES[name](torch_ref)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("ord", [2, 1, 3, float("inf")])
def test_vector_norm_gradients(ord):
    check_grad(lambda x: torch.linalg.vector_norm(x, ord, dim=1), [torch.tensor(M.astype(np.float64))])


def test_matrix_norm_gradient():
    check_grad(lambda x: torch.linalg.matrix_norm(x), [torch.tensor(T.astype(np.float64))])


def test_refusals_name_what_is_missing(torch_ref):
    x = torch.tensor(M)
    with pytest.raises(NotImplementedError, match="nuc"):
        torch.linalg.matrix_norm(x, "nuc")
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        torch.linalg.matrix_norm(torch.tensor(V))
    with pytest.raises(RuntimeError, match="must be 1D or 2D"):
        torch.linalg.norm(torch.tensor(T), 2)
    with pytest.raises(RuntimeError, match="must be 1D or 2D"):
        torch_ref.linalg.norm(torch_ref.tensor(T), 2)
