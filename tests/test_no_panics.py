"""Bad and edge-case arguments (0-d and empty tensors, wrong dtypes, dims out
of range, odd sizes) thrown at many functions: each call may succeed or raise
a Python exception, but the Rust core must never panic."""

import random
import warnings

import pytest

import ferrograd as torch
import ferrograd.nn.functional as F


def sample_tensors():
    out = []
    for shape in [(), (0,), (1,), (3,), (2, 3), (3, 0), (2, 0), (1, 1, 1), (2, 1, 4, 4), (1, 2, 3, 3, 3)]:
        out.append(torch.randn(*shape) if shape else torch.tensor(0.5))
        out.append(torch.zeros(*shape, dtype=torch.int64) if shape else torch.tensor(1))
        out.append(torch.ones(*shape, dtype=torch.bool) if shape else torch.tensor(True))
    out.append(torch.randn(2, 3).t())
    return out


VALUES = [None, 0, 1, -1, 2, 5, -7, (1, 1), (2, 0), (0,), [0, 2], 1.5, "same", "valid", True]

FUNCTIONS = [F.conv1d, F.conv2d, F.max_pool2d, F.avg_pool2d, F.adaptive_avg_pool2d, F.pad, F.layer_norm,
             F.batch_norm, F.group_norm, F.embedding, F.softmax, F.log_softmax, F.cross_entropy, F.nll_loss,
             F.mse_loss, F.huber_loss, F.smooth_l1_loss, F.kl_div, F.binary_cross_entropy,
             F.binary_cross_entropy_with_logits, F.one_hot, F.dropout, F.scaled_dot_product_attention,
             F.unfold, F.fold, F.max_pool1d, F.avg_pool1d, torch.gather, torch.index_select, torch.scatter,
             torch.scatter_add, torch.index_add, torch.masked_select, torch.take_along_dim]

METHODS = ["sum", "mean", "prod", "amax", "amin", "argmax", "argmin", "max", "min", "var", "std", "logsumexp",
           "cumsum", "cumprod", "softmax", "log_softmax", "flip", "squeeze", "unsqueeze", "flatten", "unbind",
           "all", "any", "norm", "size", "nonzero", "diagonal", "tril", "triu", "t", "transpose", "narrow",
           "select", "split", "chunk", "roll", "repeat_interleave", "movedim", "unflatten", "expand", "repeat",
           "tile", "view", "reshape", "permute", "index_select", "gather", "take_along_dim"]


def call(f, args):
    try:
        f(*args)
    except Exception as e:  # a Python exception is a fine answer
        assert type(e).__name__ != "PanicException", f"{getattr(f, '__name__', f)}{tuple(args)}: {e}"
    except BaseException as e:  # pyo3 reports a Rust panic as PanicException(BaseException)
        raise AssertionError(f"{getattr(f, '__name__', f)} panicked on {tuple(args)}: {e}") from None


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_functions_never_panic(f):
    rng = random.Random(f.__name__)
    tensors = sample_tensors()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(150):
            args = [rng.choice(tensors) if rng.random() < 0.6 else rng.choice(VALUES) for _ in range(rng.randint(1, 4))]
            call(f, args)


@pytest.mark.parametrize("name", METHODS)
def test_methods_never_panic(name):
    rng = random.Random(name)
    tensors = sample_tensors()
    choices = [0, -1, 1, -2, 2, 5, -5, (0,), (0, 1), (), [0, 0], None, torch.tensor([0]), torch.tensor(0), 3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(150):
            x = rng.choice(tensors)
            call(getattr(x, name), [rng.choice(choices) for _ in range(rng.randint(0, 3))])


def test_indexing_never_panics():
    rng = random.Random(0)
    tensors = sample_tensors()
    indices = tensors + [slice(None, None, 2), None, Ellipsis, [0, 1], [[0], [1]], (0, [1, 0]), -1, 3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(1500):
            x, index = rng.choice(tensors), rng.choice(indices)
            call(lambda: x[index], [])
            value = rng.choice([1.0, torch.ones(1), torch.zeros(2, 2)])

            def assign():
                x[index] = value
            call(assign, [])


def test_edge_cases_found_by_these_calls():
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dimensions"):
        torch.tensor(1.0).size(0)
    assert torch.zeros(2, 0).roll(-1, -2).shape == (2, 0)
