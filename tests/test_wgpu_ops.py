"""The wgpu device against the CPU backend: the same op on both must agree.

Without a wgpu adapter these skip, except under CI=true, where a missing
adapter fails (CI installs Mesa's lavapipe driver, a software GPU)."""


import copy

import numpy as np
import pytest

import ferrograd as torch
import ferrograd.nn.functional as F



pytestmark = pytest.mark.usefixtures("need_wgpu")


def _data(shape, low=-2.0, high=2.0, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=shape).astype(np.float32)


def _both(array, requires_grad=False):
    cpu = torch.tensor(array, requires_grad=requires_grad)
    gpu = torch.tensor(array).to("wgpu")
    if requires_grad:
        gpu.requires_grad_(True)
    return cpu, gpu


def _same(gpu_result, cpu_result, rtol=1e-5, atol=1e-5):
    assert gpu_result.device == torch.device("wgpu:0"), gpu_result.device
    assert gpu_result.shape == cpu_result.shape
    np.testing.assert_allclose(gpu_result.cpu().numpy(), cpu_result.numpy(), rtol=rtol, atol=atol)


def test_device_queries_and_placement():
    assert torch.wgpu.device_count() == 1
    assert isinstance(torch.wgpu.get_device_name(), str) and torch.wgpu.get_device_name(0)
    assert not torch.cuda.is_available()
    x = torch.ones(2, 3, device="wgpu")
    assert str(x.device) == "wgpu:0" and x.device.type == "wgpu" and not x.is_cuda
    assert repr(x.device) == "device(type='wgpu', index=0)"
    back = x.cpu()
    assert back.device == torch.device("cpu") and back.tolist() == [[1.0] * 3] * 2
    assert torch.zeros(3, device=torch.device("wgpu")).device.type == "wgpu"
    assert torch.ones(2).to("wgpu:0").to("cpu").device.type == "cpu"
    assert x.to("wgpu") is x
    torch.wgpu.synchronize()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.int32, torch.uint8, torch.bool, torch.float16])
def test_every_dtype_round_trips(dtype):
    values = torch.tensor([[0, 1, 2], [3, 4, 5]]).to(dtype)
    on = values.to("wgpu")
    assert on.dtype == dtype
    assert torch.equal(on.cpu(), values)
    assert torch.equal(on.t().cpu(), values.t())
    assert torch.equal(on[:, 1:].cpu(), values[:, 1:])


UNARY = {
    "exp": torch.exp,
    "log": lambda x: torch.log(x.abs() + 0.1),
    "sqrt": lambda x: torch.sqrt(x.abs()),
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "reciprocal": lambda x: torch.reciprocal(x + 3.0),
    "expm1": torch.expm1,
    "log1p": lambda x: torch.log1p(x.abs()),
    "log2": lambda x: torch.log2(x.abs() + 0.1),
    "log10": lambda x: torch.log10(x.abs() + 0.1),
    "rsqrt": lambda x: torch.rsqrt(x.abs() + 0.1),
    "sin": torch.sin,
    "cos": torch.cos,
    "erf": torch.erf,
    "floor": torch.floor,
    "ceil": torch.ceil,
    "round": torch.round,
    "trunc": torch.trunc,
    "neg": torch.neg,
    "abs": torch.abs,
    "sign": torch.sign,
    "relu": torch.relu,
    "silu": F.silu,
    "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "elu": F.elu,
    "softplus": F.softplus,
    "clamp": lambda x: torch.clamp(x, -0.5, 0.75),
    "pow_scalar": lambda x: x ** 3,
    "pow_fraction": lambda x: x.abs() ** 1.7,
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops_match_the_cpu(name):
    f = UNARY[name]
    cpu, gpu = _both(_data((5, 7)))
    _same(f(gpu), f(cpu), rtol=2e-5, atol=2e-5)
    # Through a transposed view: strided reads need no copy.
    _same(f(gpu.t()), f(cpu.t()), rtol=2e-5, atol=2e-5)


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b.abs() + 0.5),
    "pow": lambda a, b: a.abs() ** b,
    "floor_divide": lambda a, b: torch.floor_divide(a, b.abs() + 0.5),
    "python_number": lambda a, b: a * 2.5 - 1.0,
    "rsub": lambda a, b: 1.0 - a,
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((4, 6), (4, 6)), ((4, 6), (6,)), ((3, 1, 5), (4, 1))])
def test_binary_ops_broadcast_like_the_cpu(name, shapes):
    f = BINARY[name]
    a_cpu, a_gpu = _both(_data(shapes[0], seed=1))
    b_cpu, b_gpu = _both(_data(shapes[1], seed=2))
    _same(f(a_gpu, b_gpu), f(a_cpu, b_cpu))


def test_in_place_arithmetic_updates_the_device_tensor():
    cpu, gpu = _both(_data((3, 4)))
    b_cpu, b_gpu = _both(_data((4,), seed=3))
    cpu.add_(b_cpu)
    gpu.add_(b_gpu)
    cpu.t().mul_(2.0)
    gpu.t().mul_(2.0)
    _same(gpu, cpu)


@pytest.mark.parametrize("dims", [None, 0, 1, (0, 2), -1])
def test_sums_match_the_cpu(dims):
    cpu, gpu = _both(_data((6, 5, 300)))
    if dims is None:
        _same(gpu.sum(), cpu.sum(), rtol=1e-4, atol=1e-3)
    else:
        _same(gpu.sum(dims), cpu.sum(dims), rtol=1e-4, atol=1e-3)
        _same(gpu.sum(dims, keepdim=True), cpu.sum(dims, keepdim=True), rtol=1e-4, atol=1e-3)


def test_mean_matches_the_cpu():
    cpu, gpu = _both(_data((8, 33)))
    _same(gpu.mean(1), cpu.mean(1), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (7, 5, 3), (33, 17, 65), (64, 64, 64)])
def test_matmul_matches_the_cpu(m, k, n):
    a_cpu, a_gpu = _both(_data((m, k), seed=4))
    b_cpu, b_gpu = _both(_data((k, n), seed=5))
    _same(a_gpu @ b_gpu, a_cpu @ b_cpu, rtol=1e-4, atol=1e-4)
    # Transposed operands are read through their strides.
    _same(b_gpu.t() @ a_gpu.t(), b_cpu.t() @ a_cpu.t(), rtol=1e-4, atol=1e-4)


def test_batched_matmul_matches_the_cpu():
    a_cpu, a_gpu = _both(_data((3, 9, 20), seed=6))
    b_cpu, b_gpu = _both(_data((3, 20, 11), seed=7))
    _same(torch.bmm(a_gpu, b_gpu), torch.bmm(a_cpu, b_cpu), rtol=1e-4, atol=1e-4)
    _same(a_gpu @ b_gpu, a_cpu @ b_cpu, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("shape,dim", [((5, 7), 1), ((5, 7), 0), ((3, 4, 300), -1), ((3, 300, 2), 1), ((1,), 0)])
def test_softmax_rows_match_the_cpu_forward_and_backward(log, shape, dim):
    f = F.log_softmax if log else F.softmax
    cpu, gpu = _both(_data(shape, low=-6.0, high=6.0, seed=11), requires_grad=True)
    want, got = f(cpu, dim), f(gpu, dim)
    _same(got.detach(), want.detach())
    # Through a transposed view: rows read with the view's strides.
    if len(shape) > 1:
        _same(f(gpu.transpose(0, -1), dim).detach(), f(cpu.transpose(0, -1), dim).detach())
    weights = _data(shape, seed=12)
    (want * torch.tensor(weights)).sum().backward()
    (got * torch.tensor(weights).to("wgpu")).sum().backward()
    _same(gpu.grad, cpu.grad, rtol=1e-4, atol=1e-5)


def test_softmax_of_extreme_rows_matches_the_cpu():
    values = np.array([[1e4, -1e4, 0.0], [-np.inf, 0.0, 1.0], [np.inf, 1.0, 2.0], [np.nan, 1.0, 2.0]], np.float32)
    cpu, gpu = _both(values)
    for f in (F.softmax, F.log_softmax):
        np.testing.assert_allclose(f(gpu, 1).cpu().numpy(), f(cpu, 1).numpy(), rtol=1e-5, atol=1e-6, equal_nan=True)


BACKWARD = {
    "mul_sum": lambda x: (x * x).sum(),
    "tanh": lambda x: torch.tanh(x).sum(),
    "sigmoid": lambda x: torch.sigmoid(x).sum(),
    "relu": lambda x: torch.relu(x).sum(),
    "exp_div": lambda x: (torch.exp(x) / 3.0).sum(),
    "gelu": lambda x: F.gelu(x).sum(),
    "silu": lambda x: F.silu(x).sum(),
    "matmul": lambda x: (x @ x.t()).sum(),
    "mean": lambda x: (x * 2.0 + 1.0).mean(),
}


@pytest.mark.parametrize("name", sorted(BACKWARD))
def test_backward_matches_the_cpu(name):
    f = BACKWARD[name]
    cpu, gpu = _both(_data((4, 6), seed=8), requires_grad=True)
    f(cpu).backward()
    f(gpu).backward()
    assert gpu.grad is not None
    _same(gpu.grad, cpu.grad, rtol=1e-4, atol=1e-5)


def test_a_leaf_moved_to_the_device_gets_its_gradient_on_the_cpu():
    x = torch.tensor(_data((3, 3)), requires_grad=True)
    (x.to("wgpu") * 3.0).sum().backward()
    assert x.grad.device.type == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 3), 3.0, np.float32))


def test_a_tensor_larger_than_one_binding_round_trips_and_computes():
    # 200 MiB of float32: more than lavapipe's 128 MiB storage binding, so
    # the elementwise kernel runs in several dispatches.
    n = 200 * 2**20 // 4
    host = np.arange(n, dtype=np.float32) % 1000.0
    x = torch.from_numpy(host).to("wgpu")
    assert np.array_equal(x.cpu().numpy(), host)
    y = (x * 2.0 + 1.0).cpu().numpy()
    assert y.shape == (n,)
    np.testing.assert_array_equal(y[:5], host[:5] * 2.0 + 1.0)
    np.testing.assert_array_equal(y[-5:], host[-5:] * 2.0 + 1.0)
    np.testing.assert_array_equal(y, host * 2.0 + 1.0)


def test_missing_kernels_raise_not_implemented_naming_the_op():
    x = torch.ones(3, 4, device="wgpu")
    with pytest.raises(NotImplementedError, match="'cumprod' is not currently implemented for the wgpu device"):
        torch.cumprod(x, 1)


GATHERS = {
    "index_select": lambda x: torch.index_select(x, 0, torch.tensor([2, 0, 2]).to(x.device)),
    "index_select_columns": lambda x: torch.index_select(x.t(), 1, torch.tensor([2, 0, 2])),
    "advanced_index": lambda x: x[torch.tensor([1, 0, 1]).to(x.device)],
    "advanced_index_pairs": lambda x: x[torch.tensor([2, 0]), torch.tensor([-1, 1])],
    "boolean_mask": lambda x: x[torch.tensor([[True, False, True, False], [False, False, True, True], [True, True, False, False]])],
    "gather": lambda x: torch.gather(x, 1, torch.tensor([[0, 2, 2], [1, 1, 3], [3, 0, 0]]).to(x.device)),
    "gather_rows_of_a_view": lambda x: torch.gather(x.t(), 0, torch.tensor([[0, 2, 2], [1, 1, 0]]).to(x.device)),
    "take_along_dim": lambda x: torch.take_along_dim(x, torch.tensor([[3], [0], [1]]).to(x.device), dim=1),
    "scatter": lambda x: x.scatter(1, torch.tensor([[2, 0], [1, 3], [0, 1]]).to(x.device), x[:, :2] * 2.0),
    "scatter_add_repeated": lambda x: x.scatter_add(0, torch.tensor([[0, 0, 2, 1], [0, 0, 0, 1]]).to(x.device), x[:2] * 3.0),
    "embedding": lambda x: F.embedding(torch.tensor([[0, 2], [1, 2]]).to(x.device), x),
    "embedding_padding_scaled": lambda x: F.embedding(torch.tensor([2, 1, 2, 0, 2]).to(x.device), x, padding_idx=1, scale_grad_by_freq=True),
    "cat": lambda x: torch.cat([x, x * 2.0, x[:1]], 0),
    "cat_of_views": lambda x: torch.cat([x[:, :2], x.t()[1:].t()], 1),
    "stack": lambda x: torch.stack([x, x.exp(), x.t().t()], 1),
}


@pytest.mark.parametrize("name", sorted(GATHERS))
def test_gathers_run_on_the_device_forward_and_backward(name, monkeypatch):
    monkeypatch.delenv("FERROGRAD_WGPU_FALLBACK", raising=False)
    f = GATHERS[name]
    cpu, gpu = _both(_data((3, 4), seed=13), requires_grad=True)
    want, got = f(cpu), f(gpu)
    _same(got.detach(), want.detach())
    weights = _data(tuple(want.shape), seed=14)
    (want * torch.tensor(weights)).sum().backward()
    (got * torch.tensor(weights).to("wgpu")).sum().backward()
    _same(gpu.grad, cpu.grad, rtol=1e-5, atol=1e-6)


def test_gathers_check_their_indices_on_the_device():
    x = torch.ones(3, 4, device="wgpu")
    with pytest.raises(IndexError, match="out of bounds|out of range"):
        torch.index_select(x, 0, torch.tensor([3]))
    with pytest.raises(IndexError, match="out of bounds|out of range"):
        x[torch.tensor([-4])]


FALLBACK = {
    "cumprod": lambda x: torch.cumprod(x, 0),
    "prod": lambda x: torch.prod(x, 1),
}


@pytest.mark.parametrize("name", sorted(FALLBACK))
def test_ops_without_kernels_run_on_the_cpu_under_the_fallback(name, monkeypatch):
    monkeypatch.setenv("FERROGRAD_WGPU_FALLBACK", "1")
    f = FALLBACK[name]
    cpu, gpu = _both(_data((3, 4), seed=9), requires_grad=True)
    want = f(cpu)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = f(gpu)
    _same(got.detach(), want.detach())
    weights = _data(tuple(want.shape), seed=10)
    (want * torch.tensor(weights)).sum().backward()
    (got * torch.tensor(weights).to("wgpu")).sum().backward()
    assert gpu.grad is not None
    _same(gpu.grad, cpu.grad, rtol=1e-4, atol=1e-5)


def test_the_fallback_warns_once_per_op(monkeypatch):
    import warnings

    monkeypatch.setenv("FERROGRAD_WGPU_FALLBACK", "1")
    values = np.array([1.0, np.nan, np.inf, -2.0], np.float32)
    cpu, gpu = _both(values)
    # nan_to_num has no wgpu kernel and no other test runs it there: its first use warns.
    with pytest.warns(UserWarning, match="'nan_to_num'.*wgpu.*CPU.*FERROGRAD_WGPU_FALLBACK=1"):
        first = torch.nan_to_num(gpu, posinf=7.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        second = torch.nan_to_num(gpu * 2.0, posinf=7.0)
    assert not [w for w in caught if "nan_to_num" in str(w.message)]
    _same(first, torch.nan_to_num(cpu, posinf=7.0))
    _same(second, torch.nan_to_num(cpu * 2.0, posinf=7.0))


def test_without_the_fallback_ops_without_kernels_refuse(monkeypatch):
    monkeypatch.delenv("FERROGRAD_WGPU_FALLBACK", raising=False)
    x = torch.ones(3, 4, device="wgpu")
    with pytest.raises(NotImplementedError, match="'cumprod' is not currently implemented for the wgpu device"):
        torch.cumprod(x, 0)
    with pytest.raises(NotImplementedError, match="'max_pool2d' is not currently implemented for the wgpu device"):
        F.max_pool2d(x.to(torch.bfloat16).reshape(1, 1, 3, 4), 2)
    with pytest.raises(NotImplementedError, match="'index'.*wgpu"):
        x.long()[torch.tensor([0, 1])]
    with pytest.raises(NotImplementedError, match="'log_softmax'.*wgpu"):
        F.log_softmax(x.to(torch.bfloat16), 1)


def test_other_dtypes_name_op_dtype_and_device(monkeypatch):
    monkeypatch.delenv("FERROGRAD_WGPU_FALLBACK", raising=False)
    with pytest.raises(NotImplementedError, match="'neg'.*wgpu.*int32"):
        -torch.ones(3, dtype=torch.int32, device="wgpu")
    with pytest.raises(NotImplementedError, match="'mul'.*wgpu.*int64"):
        torch.ones(3, dtype=torch.int64, device="wgpu") * 2


def test_bfloat16_computes_in_float32_on_the_device():
    # Half ops compute in float32 ("opmath"); bfloat16's conversions run on the host.
    x = torch.tensor([0.5, -1.25, 3.0], dtype=torch.bfloat16)
    y = torch.exp(x.to("wgpu"))
    assert y.device.type == "wgpu" and y.dtype == torch.bfloat16
    assert y.cpu().tolist() == torch.exp(x).tolist()


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16])
def test_float64_and_float16_compute_where_the_adapter_has_them(monkeypatch, dtype):
    monkeypatch.delenv("FERROGRAD_WGPU_FALLBACK", raising=False)
    if not torch.wgpu.supports_dtype(dtype):
        with pytest.raises(NotImplementedError, match=f"'exp'.*wgpu.*{str(dtype)[6:]}"):
            torch.exp(torch.ones(3, dtype=dtype, device="wgpu"))
        return
    x = torch.linspace(-2, 2, 9, dtype=dtype).to("wgpu").requires_grad_()
    before = torch.wgpu.readback_count()
    y = (x.exp() * x.sin() + x.tanh()).sum()
    y.backward()
    assert y.dtype == dtype and x.grad.dtype == dtype and x.grad.device.type == "wgpu"
    assert torch.wgpu.readback_count() == before
    ref = torch.linspace(-2, 2, 9, dtype=dtype).requires_grad_()
    (ref.exp() * ref.sin() + ref.tanh()).sum().backward()
    tol = 1e-12 if dtype == torch.float64 else 1e-2
    np.testing.assert_allclose(x.grad.cpu().tolist(), ref.grad.tolist(), rtol=tol, atol=tol)


def test_mixed_devices_are_refused_as_pytorch_words_it():
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        torch.ones(3, device="wgpu") + torch.ones(3)


def test_cpu_scalars_meet_device_tensors():
    x = torch.ones(3, device="wgpu")
    y = x * torch.tensor(4.0)
    assert y.device.type == "wgpu" and y.cpu().tolist() == [4.0, 4.0, 4.0]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_runs_on_the_device_forward_and_backward(reduction, weighted, monkeypatch):
    monkeypatch.delenv("FERROGRAD_WGPU_FALLBACK", raising=False)
    cpu, gpu = _both(_data((6, 5), low=-3.0, high=3.0, seed=15), requires_grad=True)
    labels = [4, 0, 2, 2, -100, 1]
    weight = _data((5,), low=0.5, high=2.0, seed=16) if weighted else None
    results = []
    for x in (cpu, gpu):
        w = None if weight is None else torch.tensor(weight).to(x.device)
        loss = F.cross_entropy(x, torch.tensor(labels).to(x.device), weight=w, reduction=reduction)
        assert loss.device == x.device and type(loss.grad_fn).__name__ == "NllLossBackward0"
        upstream = torch.tensor(_data(tuple(loss.shape), seed=17)).to(x.device)
        (loss * upstream).sum().backward()
        results.append(loss.detach())
    _same(results[1], results[0], rtol=1e-5, atol=1e-6)
    _same(gpu.grad, cpu.grad, rtol=1e-5, atol=1e-6)


def test_cross_entropy_of_one_unbatched_sample_runs_on_the_device():
    cpu, gpu = _both(_data((7,), seed=18), requires_grad=True)
    for x in (cpu, gpu):
        F.cross_entropy(x, torch.tensor(3).to(x.device)).backward()
    _same(gpu.grad, cpu.grad, rtol=1e-5, atol=1e-6)


def test_scatter_and_gather_check_indices_on_the_device():
    # As on the CPU (and in PyTorch): RuntimeError, naming index, dim and size.
    x = torch.ones(3, 4, device="wgpu")
    with pytest.raises(RuntimeError, match="index 4 is out of bounds for dimension 1 with size 4"):
        torch.gather(x, 1, torch.tensor([[4]]).to("wgpu"))
    with pytest.raises(RuntimeError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x.scatter_add(0, torch.tensor([[3]]).to("wgpu"), x)


CONVOLUTIONS = {
    "plain": {},
    "padded": {"padding": 1},
    "strided_dilated": {"stride": 2, "padding": 2, "dilation": 2},
    "asymmetric": {"stride": (1, 2), "padding": (0, 1)},
    "grouped": {"groups": 3, "padding": 1},
}


@pytest.mark.parametrize("name", sorted(CONVOLUTIONS))
def test_conv2d_runs_on_the_device_forward_and_backward(name, monkeypatch):
    # im2col, the product and col2im (the input's gradient) all on the device.
    monkeypatch.delenv("FERROGRAD_WGPU_FALLBACK", raising=False)
    options = CONVOLUTIONS[name]
    in_per_group = 3 // options.get("groups", 1)
    x_cpu, x_gpu = _both(_data((2, 3, 9, 8), seed=19), requires_grad=True)
    w_cpu, w_gpu = _both(_data((6, in_per_group, 3, 3), seed=20), requires_grad=True)
    b_cpu, b_gpu = _both(_data((6,), seed=21), requires_grad=True)
    want = F.conv2d(x_cpu, w_cpu, b_cpu, **options)
    got = F.conv2d(x_gpu, w_gpu, b_gpu, **options)
    _same(got.detach(), want.detach(), rtol=1e-4, atol=1e-5)
    upstream = _data(tuple(want.shape), seed=22)
    (want * torch.tensor(upstream)).sum().backward()
    (got * torch.tensor(upstream).to("wgpu")).sum().backward()
    for gpu_leaf, cpu_leaf in ((x_gpu, x_cpu), (w_gpu, w_cpu), (b_gpu, b_cpu)):
        _same(gpu_leaf.grad, cpu_leaf.grad, rtol=1e-4, atol=1e-4)


def test_conv2d_of_a_strided_view_runs_on_the_device():
    x_cpu, x_gpu = _both(_data((2, 9, 8, 3), seed=23))
    w_cpu, w_gpu = _both(_data((4, 3, 2, 2), seed=24))
    _same(F.conv2d(x_gpu.permute(0, 3, 1, 2), w_gpu), F.conv2d(x_cpu.permute(0, 3, 1, 2), w_cpu), rtol=1e-4, atol=1e-5)


POOLS = {
    "plain": {"kernel_size": 2},
    "overlapping": {"kernel_size": 3, "stride": 1},
    "padded_dilated": {"kernel_size": 2, "stride": 2, "padding": 1, "dilation": 2},
    "ceil_mode": {"kernel_size": 3, "stride": 2, "ceil_mode": True},
}


@pytest.mark.parametrize("name", sorted(POOLS))
def test_max_pool2d_runs_on_the_device_forward_and_backward(name, monkeypatch):
    monkeypatch.delenv("FERROGRAD_WGPU_FALLBACK", raising=False)
    data = _data((2, 3, 9, 8), seed=25)
    data[0, 1, 2, 3] = np.nan  # the first NaN of a window wins, as on the CPU
    cpu, gpu = _both(data, requires_grad=True)
    want, want_at = F.max_pool2d(cpu, return_indices=True, **POOLS[name])
    got, got_at = F.max_pool2d(gpu, return_indices=True, **POOLS[name])
    assert got_at.device == torch.device("wgpu:0") and got_at.dtype == torch.int64
    assert torch.equal(got_at.cpu(), want_at)
    np.testing.assert_array_equal(got.detach().cpu().numpy(), want.detach().numpy())
    upstream = _data(tuple(want.shape), seed=26)
    (want * torch.tensor(upstream)).sum().backward()
    (got * torch.tensor(upstream).to("wgpu")).sum().backward()
    _same(gpu.grad, cpu.grad, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("factory", ["zeros_like", "ones_like", "empty_like", "rand_like", "randn_like", "full_like"])
def test_like_factories_follow_the_input_device(factory):
    x = torch.ones(2, 3).to("wgpu")
    args = (x, 2.0) if factory == "full_like" else (x,)
    made = getattr(torch, factory)(*args)
    assert made.device == x.device and tuple(made.shape) == (2, 3)
    assert getattr(torch, factory)(*args, device="cpu").device.type == "cpu"
    if factory == "full_like":
        np.testing.assert_array_equal(made.cpu().numpy(), np.full((2, 3), 2.0, dtype=np.float32))


@pytest.mark.parametrize("make, shape", [
    (lambda: torch.nn.LayerNorm(6), (4, 3, 6)),
    (lambda: torch.nn.BatchNorm1d(3), (8, 3, 5)),
    (lambda: torch.nn.BatchNorm2d(3), (4, 3, 2, 5)),
    (lambda: torch.nn.GroupNorm(2, 4), (3, 4, 5)),
], ids=["layer_norm", "batch_norm1d", "batch_norm2d", "group_norm"])
def test_norm_layers_backward_on_the_device(make, shape, monkeypatch):
    # Every gradient, the input's and the affine parameters', stays on the
    # device and matches the CPU's.
    monkeypatch.delenv("FERROGRAD_WGPU_FALLBACK", raising=False)
    x = _data(shape, seed=21)
    torch.manual_seed(0)
    layer = make()
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.tensor(_data(tuple(p.shape), seed=22)))
    runs = []
    for device in ("cpu", "wgpu"):
        module = copy.deepcopy(layer).to(device)
        leaf = torch.tensor(x).to(device).requires_grad_()
        out = module(leaf)
        (out * out).sum().backward()
        grads = [leaf.grad] + [p.grad for p in module.parameters()]
        assert all(g.device.type == device for g in grads)
        runs.append([out.detach().cpu().numpy()] + [g.cpu().numpy() for g in grads])
    for g, c in zip(runs[1], runs[0]):
        np.testing.assert_allclose(g, c, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name, f", [
    ("flip", lambda t: t.flip(0, 2)),
    ("flip_view", lambda t: t.transpose(0, 2).flip(1)),
    ("roll", lambda t: t.roll((1, -2), (1, 2))),
    ("roll_flat", lambda t: t.roll(5)),
    ("repeat", lambda t: t.repeat(2, 1, 1, 3)),
    ("tile", lambda t: t.tile((2,))),
    ("tril", lambda t: t.tril()),
    ("triu_offset", lambda t: t.triu(1)),
    ("tril_negative", lambda t: t[:, 1:].tril(-1)),
])
def test_reordering_copies_run_on_the_device(name, f, monkeypatch):
    monkeypatch.delenv("FERROGRAD_WGPU_FALLBACK", raising=False)
    x = _data((3, 4, 5), seed=31)
    runs = []
    for device in ("cpu", "wgpu"):
        leaf = torch.tensor(x).to(device).requires_grad_()
        out = f(leaf)
        assert out.device.type == device
        (out * torch.arange(float(out.numel())).reshape(out.shape).to(device)).sum().backward()
        assert leaf.grad.device.type == device
        runs.append((out.detach().cpu().numpy(), leaf.grad.cpu().numpy()))
    for g, c in zip(runs[1], runs[0]):
        np.testing.assert_array_equal(g, c)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16])
def test_max_along_a_dim_and_argmax_pick_what_the_cpu_picks(dtype):
    if not torch.wgpu.supports_dtype(dtype):
        pytest.skip(f"the adapter does not compute in {dtype}")
    rng = np.random.default_rng(3)
    # Few distinct values over rows longer than a workgroup: ties everywhere, across threads.
    values = rng.integers(0, 5, size=(3, 1000)).astype(np.float64)
    values[1, 700] = np.nan
    values[1, 900] = np.nan
    values[2, :] = -np.inf
    cpu = torch.tensor(values, dtype=dtype, requires_grad=True)
    gpu = torch.tensor(values, dtype=dtype).to("wgpu").requires_grad_()
    before = torch.wgpu.readback_count()
    results = [gpu.max(1), gpu.min(0), gpu.argmax(1), gpu.argmin(None), gpu.t().argmax(0), gpu.argmax(1, keepdim=True)]
    assert torch.wgpu.readback_count() == before
    wants = [cpu.max(1), cpu.min(0), cpu.argmax(1), cpu.argmin(None), cpu.t().argmax(0), cpu.argmax(1, keepdim=True)]
    for got, want in zip(results, wants):
        if isinstance(want, torch.Tensor):
            assert got.device.type == "wgpu" and got.dtype == torch.int64
            assert got.cpu().tolist() == want.tolist()
        else:
            assert got.values.device.type == "wgpu" and got.indices.dtype == torch.int64
            np.testing.assert_array_equal(got.values.detach().cpu().numpy(), want.values.detach().numpy())
            assert got.indices.cpu().tolist() == want.indices.tolist()
    upstream = np.linspace(-1, 1, 1000)
    gpu.min(0).values.backward(torch.tensor(upstream, dtype=dtype).to("wgpu"))
    cpu.min(0).values.backward(torch.tensor(upstream, dtype=dtype))
    assert gpu.grad.device.type == "wgpu"
    np.testing.assert_array_equal(gpu.grad.cpu().numpy(), cpu.grad.numpy())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_logsumexp_on_the_device_keeps_pytorchs_infinities(dtype):
    if not torch.wgpu.supports_dtype(dtype):
        pytest.skip(f"the adapter does not compute in {dtype}")
    inf, nan = float("inf"), float("nan")
    rows = [[1.0, 2.0, 3.0], [1000.0, 1000.0, -5.0], [-inf, -inf, -inf], [inf, 1.0, -inf], [nan, 1.0, 2.0], [-inf, 0.0, -inf]]
    cpu = torch.tensor(rows, dtype=dtype, requires_grad=True)
    gpu = torch.tensor(rows, dtype=dtype).to("wgpu").requires_grad_()
    got, want = gpu.logsumexp(1), cpu.logsumexp(1)
    assert got.device.type == "wgpu"
    np.testing.assert_allclose(got.detach().cpu().numpy(), want.detach().numpy(), rtol=1e-6)
    finite = torch.tensor([0, 1, 5]).to("wgpu")
    got[finite].sum().backward()
    want[torch.tensor([0, 1, 5])].sum().backward()
    np.testing.assert_allclose(gpu.grad.cpu().numpy(), cpu.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cumsum_runs_along_long_rows_and_either_dim(dtype):
    if not torch.wgpu.supports_dtype(dtype):
        pytest.skip(f"the adapter does not compute in {dtype}")
    # Rows longer than a workgroup (chunks per thread), shorter ones, and a strided dim.
    values = np.random.default_rng(5).uniform(-1, 1, size=(3, 5001))
    cpu = torch.tensor(values, dtype=dtype, requires_grad=True)
    gpu = torch.tensor(values, dtype=dtype).to("wgpu").requires_grad_()
    tol = 1e-4 if dtype == torch.float32 else 1e-11
    for dim in (1, 0, -1):
        got, want = gpu.cumsum(dim), cpu.cumsum(dim)
        assert got.device.type == "wgpu"
        np.testing.assert_allclose(got.detach().cpu().numpy(), want.detach().numpy(), rtol=tol, atol=tol)
    upstream = np.random.default_rng(6).uniform(-1, 1, size=(3, 5001))
    gpu.cumsum(1).backward(torch.tensor(upstream, dtype=dtype).to("wgpu"))
    cpu.cumsum(1).backward(torch.tensor(upstream, dtype=dtype))
    assert gpu.grad.device.type == "wgpu"
    np.testing.assert_allclose(gpu.grad.cpu().numpy(), cpu.grad.numpy(), rtol=tol, atol=tol)
    assert torch.cumsum(torch.ones(0, 4, dtype=dtype).to("wgpu"), 0).shape == (0, 4)
    assert torch.cumsum(torch.tensor(2.5, dtype=dtype).to("wgpu"), 0).item() == 2.5
