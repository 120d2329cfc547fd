"""ferrograd.optim against torch.optim: trajectories of a small MLP built
from raw tensors, state_dict layout and round trips, and error messages."""

import numpy as np
import pytest

import ferrograd as fg
from ferrograd import _ferrograd

STEPS = 20

# (optimizer name, constructor options) for every option listed for each optimizer.
CONFIGS = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, weight_decay=0.01)),
    ("SGD", dict(lr=0.01, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.05)),
    ("Adam", dict(lr=0.01, maximize=True)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.05, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.05, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.005, momentum=0.9)),
    ("RMSprop", dict(lr=0.005, momentum=0.9, centered=True, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, weight_decay=0.01, maximize=True)),
    ("Adagrad", dict(lr=0.05)),
    ("Adagrad", dict(lr=0.05, lr_decay=0.01)),
    ("Adagrad", dict(lr=0.05, weight_decay=0.01)),
    ("Adagrad", dict(lr=0.05, initial_accumulator_value=0.1, eps=1e-6)),
    ("Adagrad", dict(lr=0.05, maximize=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.01)),
    ("Adamax", dict(lr=0.01, maximize=True)),
]


def config_id(config):
    name, options = config
    return name + "-" + "-".join(f"{k}={v}" for k, v in options.items())


class MLP:
    """4-8-3 ReLU network from raw leaf tensors, trained on fixed data."""

    def __init__(self, lib, dtype, loss="mse", seed=0):
        rng = np.random.default_rng(seed)
        self.lib, self.loss = lib, loss
        np_dtype = np.float32 if dtype == "float32" else np.float64
        arrays = [rng.standard_normal(s) * 0.5 for s in [(8, 4), (8,), (3, 8), (3,)]]
        self.params = [lib.from_numpy(a.astype(np_dtype)).requires_grad_() for a in arrays]
        self.x = lib.from_numpy(rng.standard_normal((16, 4)).astype(np_dtype))
        if loss == "mse":
            self.y = lib.from_numpy(rng.standard_normal((16, 3)).astype(np_dtype))
        else:
            self.y = lib.from_numpy(rng.integers(0, 3, size=16).astype(np.int64))

    def forward_loss(self):
        F = self.lib.nn.functional
        w1, b1, w2, b2 = self.params
        h = (self.x @ w1.t() + b1).relu()
        out = h @ w2.t() + b2
        return F.mse_loss(out, self.y) if self.loss == "mse" else F.cross_entropy(out, self.y)

    def train(self, opt, steps):
        """Param values after each step."""
        history = []
        for _ in range(steps):
            opt.zero_grad()
            self.forward_loss().backward()
            opt.step()
            history.append([p.detach().numpy().copy() for p in self.params])
        return history


def trajectory(lib, name, options, dtype="float32", loss="mse", steps=STEPS):
    model = MLP(lib, dtype, loss)
    opt = getattr(lib.optim, name)(model.params, **options)
    return model.train(opt, steps)


def assert_same_trajectory(ours, theirs, tol):
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for i, (pa, pb) in enumerate(zip(a, b)):
            np.testing.assert_allclose(pa, pb, rtol=tol, atol=tol, err_msg=f"step {step + 1}, param {i}")


@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_float32_trajectory_matches_pytorch(torch_ref, config):
    name, options = config
    assert_same_trajectory(trajectory(fg, name, options), trajectory(torch_ref, name, options), 1e-4)


@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_float64_trajectory_matches_pytorch(torch_ref, config):
    name, options = config
    ours = trajectory(fg, name, options, dtype="float64", loss="cross_entropy")
    theirs = trajectory(torch_ref, name, options, dtype="float64", loss="cross_entropy")
    assert_same_trajectory(ours, theirs, 1e-10)


def test_param_groups_with_their_own_options(torch_ref):
    def run(lib):
        model = MLP(lib, "float32")
        w1, b1, w2, b2 = model.params
        opt = lib.optim.Adam([{"params": [w1, b1]}, {"params": [w2, b2], "lr": 0.05, "amsgrad": True}], lr=0.01)
        return model.train(opt, 10), opt

    (ours, opt), (theirs, topt) = run(fg), run(torch_ref)
    assert_same_trajectory(ours, theirs, 1e-4)
    assert opt.param_groups[1]["lr"] == 0.05 and opt.param_groups[0]["amsgrad"] is False
    assert opt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]


def test_params_without_grad_are_skipped(torch_ref):
    def run(lib):
        model = MLP(lib, "float32")
        unused = lib.ones(3, requires_grad=True)
        opt = lib.optim.Adam(model.params + [unused], lr=0.01)
        model.train(opt, 3)
        return unused, opt

    (unused, opt), (tunused, topt) = run(fg), run(torch_ref)
    np.testing.assert_array_equal(unused.detach().numpy(), tunused.detach().numpy())
    assert sorted(opt.state_dict()["state"]) == sorted(topt.state_dict()["state"]) == [0, 1, 2, 3]


def test_non_contiguous_param_matches_pytorch(torch_ref):
    def run(lib):
        base = lib.from_numpy(np.arange(12, dtype=np.float32).reshape(4, 3) / 10)
        p = base.t().detach().requires_grad_()  # a leaf whose storage is transposed
        assert not p.is_contiguous()
        opt = lib.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1)
        weights = lib.from_numpy(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4))
        for _ in range(5):
            opt.zero_grad()
            (p * weights).pow(2).sum().backward()
            opt.step()
        return p.detach().numpy()

    np.testing.assert_allclose(run(fg), run(torch_ref), rtol=1e-5, atol=1e-6)


def test_closure_loss_is_returned(torch_ref):
    model = MLP(fg, "float32")
    opt = fg.optim.SGD(model.params, lr=0.1)

    def closure():
        opt.zero_grad()
        loss = model.forward_loss()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert isinstance(loss, fg.Tensor) and loss.grad_fn is not None


def test_zero_grad(torch_ref):
    model = MLP(fg, "float32")
    opt = fg.optim.SGD(model.params, lr=0.1)
    model.forward_loss().backward()
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in model.params)
    opt.zero_grad()
    assert all(p.grad is None for p in model.params)


def test_step_bumps_versions_so_stale_saved_tensors_are_caught(torch_ref):
    p = fg.ones(3, requires_grad=True)
    opt = fg.optim.Adam([p])
    (p * 2).sum().backward()
    before = p._version
    saved = (p * p).sum()  # p saved for backward
    opt.step()
    assert p._version > before
    assert opt.state[p]["exp_avg"]._version > 0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        saved.backward()


# ---- state_dict ----------------------------------------------------------------

STATEFUL = [c for c in CONFIGS if c[0] != "SGD" or c[1].get("momentum")]


def numpy_state(sd):
    return {k: {n: (v.detach().numpy().copy() if hasattr(v, "detach") else v) for n, v in s.items()}
            for k, s in sd["state"].items()}


@pytest.mark.parametrize("config", STATEFUL, ids=config_id)
def test_state_dict_layout_matches_pytorch(torch_ref, config):
    name, options = config
    model, tmodel = MLP(fg, "float32"), MLP(torch_ref, "float32")
    opt = getattr(fg.optim, name)(model.params, **options)
    topt = getattr(torch_ref.optim, name)(tmodel.params, **options)
    model.train(opt, 3)
    tmodel.train(topt, 3)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    assert list(sd["state"]) == list(tsd["state"])
    for k in tsd["state"]:
        assert list(sd["state"][k]) == list(tsd["state"][k])
        for key, tv in tsd["state"][k].items():
            v = sd["state"][k][key]
            assert str(v.dtype) == str(tv.dtype) and tuple(v.shape) == tuple(tv.shape), key
            np.testing.assert_allclose(v.numpy(), tv.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("config", STATEFUL, ids=config_id)
def test_state_dict_round_trip_continues_identically(torch_ref, config):
    name, options = config
    straight = MLP(fg, "float32")
    expected = straight.train(getattr(fg.optim, name)(straight.params, **options), 10)

    model = MLP(fg, "float32")
    opt = getattr(fg.optim, name)(model.params, **options)
    model.train(opt, 5)
    saved = opt.state_dict()
    fresh = getattr(fg.optim, name)(model.params, **options)
    fresh.load_state_dict(saved)
    rest = model.train(fresh, 5)
    for a, b in zip(rest[-1], expected[-1]):
        np.testing.assert_array_equal(a, b)


def to_ferrograd_state_dict(tsd):
    """A PyTorch optimizer state_dict with its tensors converted through numpy."""
    state = {k: {n: (fg.from_numpy(v.detach().numpy().copy()) if hasattr(v, "detach") else v) for n, v in s.items()}
             for k, s in tsd["state"].items()}
    return {"state": state, "param_groups": [dict(g) for g in tsd["param_groups"]]}


@pytest.mark.parametrize("config", STATEFUL, ids=config_id)
def test_loading_a_pytorch_state_dict_continues_identically(torch_ref, config):
    name, options = config
    tmodel = MLP(torch_ref, "float32")
    topt = getattr(torch_ref.optim, name)(tmodel.params, **options)
    tmodel.train(topt, 5)

    model = MLP(fg, "float32")
    with fg.no_grad():
        for p, tp in zip(model.params, tmodel.params):
            p.copy_(fg.from_numpy(tp.detach().numpy().copy()))
    opt = getattr(fg.optim, name)(model.params, **options)
    opt.load_state_dict(to_ferrograd_state_dict(topt.state_dict()))
    assert str(opt.state[model.params[0]].get("step", fg.zeros(())).dtype) == "torch.float32"
    assert_same_trajectory(model.train(opt, 5), tmodel.train(topt, 5), 1e-4)


def test_named_parameters_are_kept_in_the_state_dict(torch_ref):
    model = MLP(fg, "float32")
    named = [(f"p{i}", p) for i, p in enumerate(model.params)]
    opt = fg.optim.SGD(named, lr=0.1, momentum=0.9)
    model.train(opt, 2)
    sd = opt.state_dict()
    assert sd["param_groups"][0]["param_names"] == ["p0", "p1", "p2", "p3"]
    assert sd["param_groups"][0]["params"] == [0, 1, 2, 3]
    assert set(sd["state"][0]) == {"momentum_buffer"}


def test_load_state_dict_checks_group_sizes(torch_ref):
    opt = fg.optim.SGD([fg.ones(2, requires_grad=True)], lr=0.1)
    other = fg.optim.SGD([fg.ones(2, requires_grad=True), fg.ones(2, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict(other.state_dict())


# ---- errors ------------------------------------------------------------------

INVALID = [
    ("SGD", dict(lr=-1)),
    ("SGD", dict(lr=0.1, momentum=-0.5)),
    ("SGD", dict(lr=0.1, weight_decay=-1)),
    ("SGD", dict(lr=0.1, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(lr=-1)),
    ("Adam", dict(eps=-1e-8)),
    ("Adam", dict(betas=(1.0, 0.999))),
    ("Adam", dict(betas=(0.9, -0.1))),
    ("Adam", dict(weight_decay=-0.1)),
    ("AdamW", dict(lr=-0.5)),
    ("RMSprop", dict(alpha=-0.1)),
    ("RMSprop", dict(momentum=-0.1)),
    ("RMSprop", dict(eps=-1.0)),
    ("Adagrad", dict(lr_decay=-1)),
    ("Adagrad", dict(initial_accumulator_value=-1)),
    ("Adagrad", dict(eps=-1)),
    ("Adamax", dict(betas=(0.9, 1.5))),
    ("Adamax", dict(lr=-2)),
]


def error_of(fn):
    try:
        fn()
    except Exception as e:  # the class and the message are what is compared
        return type(e), str(e)
    return None


@pytest.mark.parametrize("config", INVALID, ids=config_id)
def test_invalid_hyperparameters_raise_pytorchs_errors(torch_ref, config):
    name, options = config
    ours = error_of(lambda: getattr(fg.optim, name)([fg.ones(2, requires_grad=True)], **options))
    theirs = error_of(lambda: getattr(torch_ref.optim, name)([torch_ref.ones(2, requires_grad=True)], **options))
    assert theirs is not None and ours == theirs


def test_param_list_errors_match_pytorch(torch_ref):
    cases = [
        lambda lib: lib.optim.SGD([], lr=0.1),
        lambda lib: lib.optim.SGD(lib.ones(2, requires_grad=True), lr=0.1),
        lambda lib: lib.optim.SGD([lib.ones(2, requires_grad=True) * 2], lr=0.1),
        lambda lib: lib.optim.SGD([1.0], lr=0.1),
        lambda lib: lib.optim.SGD({"params": [lib.ones(2, requires_grad=True)]}, lr=0.1),
    ]
    for case in cases:
        assert error_of(lambda: case(fg)) == error_of(lambda: case(torch_ref))


def test_a_param_in_two_groups_is_refused(torch_ref):
    for lib in (fg, torch_ref):
        p = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1)
        with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
            opt.add_param_group({"params": [p]})


def test_add_param_group_fills_defaults(torch_ref):
    p, q = fg.ones(2, requires_grad=True), fg.ones(3, requires_grad=True)
    opt = fg.optim.Adam([p], lr=0.01)
    opt.add_param_group({"params": q, "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["betas"] == (0.9, 0.999)
    assert opt.param_groups[1]["params"] == [q]


def adam_lists(params, grads, states=None):
    states = states or [fg.zeros_like(p) for p in params]
    return dict(params=params, grads=grads, exp_avgs=states, exp_avg_sqs=[fg.zeros_like(p) for p in params],
                max_exp_avg_sqs=[], steps=[fg.tensor(0.0) for _ in params])


def call_adam(lists):
    _ferrograd._optim.adam_step(
        lists["params"], lists["grads"], lists["exp_avgs"], lists["exp_avg_sqs"], lists["max_exp_avg_sqs"],
        lists["steps"], lr=0.1, beta1=0.9, beta2=0.999, weight_decay=0.0, eps=1e-8, amsgrad=False,
        maximize=False, decoupled_weight_decay=False)


def test_fused_call_names_mismatched_shapes_and_dtypes():
    p = fg.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"param 0 has shape \[2, 3\] and dtype torch.float32, but its grad has shape \[3, 2\]"):
        call_adam(adam_lists([p], [fg.ones(3, 2)]))
    with pytest.raises(RuntimeError, match=r"its grad has shape \[2, 3\] and dtype torch.float64"):
        call_adam(adam_lists([p], [fg.ones(2, 3, dtype=fg.float64)]))
    with pytest.raises(RuntimeError, match=r"its exp_avg has shape \[2\]"):
        call_adam(adam_lists([p], [fg.ones(2, 3)], states=[fg.zeros(2)]))
    with pytest.raises(RuntimeError, match="expected one tensor in grads per param"):
        call_adam(adam_lists([p, fg.ones(1)], [fg.ones(2, 3)]))
    with pytest.raises(RuntimeError, match="float32 or float64"):
        ints = fg.ones(2, dtype=fg.int64)
        call_adam(adam_lists([ints], [ints.clone()]))
    with pytest.raises(TypeError, match="element 1 is NoneType"):
        call_adam(adam_lists([p, p], [fg.ones(2, 3), None]))
    lists = adam_lists([p], [fg.ones(2, 3)])
    lists["exp_avg_sqs"] = [p]
    with pytest.raises(RuntimeError, match="share memory"):
        call_adam(lists)
    assert p.tolist() == [[1.0] * 3] * 2 and lists["steps"][0].item() == 0.0


def test_broadcast_param_is_refused():
    p = fg.ones(1).expand(4)
    with pytest.raises(RuntimeError, match="several elements at one memory location"):
        call_adam(adam_lists([p], [fg.ones(4)]))


def test_differentiable_is_not_supported():
    with pytest.raises(NotImplementedError):
        fg.optim.Adam([fg.ones(2, requires_grad=True)], differentiable=True)


def test_large_step_releases_the_interpreter():
    from test_safety_gil import run_with_observer

    params = [fg.from_numpy(np.random.default_rng(i).standard_normal(1 << 21).astype(np.float32)) for i in range(2)]
    lists = adam_lists(params, [p * 0.5 for p in params])
    _, ran = run_with_observer(lambda: call_adam(lists))
    assert ran, "no other thread ran while a 4M-element Adam step was computing"


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax"])
def test_repr_and_defaults_match_pytorch(torch_ref, name):
    ours = getattr(fg.optim, name)([fg.ones(2, requires_grad=True)], lr=0.01)
    theirs = getattr(torch_ref.optim, name)([torch_ref.ones(2, requires_grad=True)], lr=0.01)
    assert repr(ours) == repr(theirs)
    assert ours.defaults == theirs.defaults
