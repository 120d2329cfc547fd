"""ferrograd.optim.lr_scheduler against torch.optim.lr_scheduler: the
learning rates each scheduler sets, step by step, and its state_dict."""

import math
import warnings

import pytest

import ferrograd as fg

EPOCHS = 30


def flat(rows):
    return [x for row in rows for x in row]


def optimizer(lib, name="SGD", groups=2):
    """An optimizer over `groups` param groups with different base rates."""
    params = [{"params": [lib.ones(2, requires_grad=True)], "lr": 0.1 * (i + 1)} for i in range(groups)]
    if name == "SGD":
        return lib.optim.SGD(params, lr=0.1, momentum=0.9)
    return getattr(lib.optim, name)(params, lr=0.1)


def warmup(epoch):
    return 0.95 ** epoch if epoch > 3 else (epoch + 1) / 4


class Halving:
    """A callable object: LambdaLR saves its __dict__ in the state_dict."""

    def __init__(self):
        self.factor = 0.5

    def __call__(self, epoch):
        return self.factor ** (epoch // 5)


# (name, constructor) where constructor(lib, opt) builds the scheduler.
SCHEDULERS = [
    ("StepLR", lambda lib, opt: lib.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)),
    ("MultiStepLR", lambda lib, opt: lib.optim.lr_scheduler.MultiStepLR(opt, milestones=[3, 7, 7, 20], gamma=0.3)),
    ("ExponentialLR", lambda lib, opt: lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)),
    ("CosineAnnealingLR", lambda lib, opt: lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=7, eta_min=0.001)),
    ("CosineAnnealingLR-no-min", lambda lib, opt: lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)),
    ("LambdaLR", lambda lib, opt: lib.optim.lr_scheduler.LambdaLR(opt, lr_lambda=warmup)),
    ("LambdaLR-per-group", lambda lib, opt: lib.optim.lr_scheduler.LambdaLR(opt, lr_lambda=[warmup, lambda e: 1 / (e + 1)])),
    ("LinearLR", lambda lib, opt: lib.optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=8)),
    ("LinearLR-decay", lambda lib, opt: lib.optim.lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=12)),
    ("OneCycleLR", lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=EPOCHS + 1)),
    ("OneCycleLR-linear-3phase", lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=[0.5, 2.0], epochs=4, steps_per_epoch=8, anneal_strategy="linear", three_phase=True, pct_start=0.25)),
    ("SequentialLR", lambda lib, opt: lib.optim.lr_scheduler.SequentialLR(opt, schedulers=[
        lib.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5),
        lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9),
        lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6),
    ], milestones=[5, 15])),
    ("MultiplicativeLR", lambda lib, opt: lib.optim.lr_scheduler.MultiplicativeLR(opt, lr_lambda=lambda e: 0.9 if e % 2 else 1.0)),
    ("ConstantLR", lambda lib, opt: lib.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=6)),
    ("PolynomialLR", lambda lib, opt: lib.optim.lr_scheduler.PolynomialLR(opt, total_iters=12, power=2.0)),
    ("ChainedScheduler", lambda lib, opt: lib.optim.lr_scheduler.ChainedScheduler([
        lib.optim.lr_scheduler.ConstantLR(opt, factor=0.2, total_iters=4),
        lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9),
    ])),
]


def lr_sequence(lib, make, optimizer_name="SGD", epochs=EPOCHS):
    """The lrs (get_last_lr and the groups' own) after construction and each step,
    with the momentum or betas OneCycleLR cycles."""
    opt = optimizer(lib, optimizer_name)
    sched = make(lib, opt)
    seq = []

    def record():
        seq.append((sched.get_last_lr(), [g["lr"] for g in opt.param_groups],
                    [g.get("momentum", g.get("betas")) for g in opt.param_groups], getattr(sched, "last_epoch", None)))

    record()
    for _ in range(epochs):
        opt.step()
        sched.step()
        record()
    return seq


def assert_same_sequence(ours, theirs):
    assert len(ours) == len(theirs)
    for epoch, (a, b) in enumerate(zip(ours, theirs)):
        assert a[3] == b[3], f"last_epoch at step {epoch}"
        for x, y in zip(a[0] + a[1], b[0] + b[1]):
            assert x == pytest.approx(y, rel=1e-12, abs=1e-15), f"step {epoch}: {a} vs {b}"
        assert a[2] == pytest.approx(b[2]) if not isinstance(a[2][0], tuple) else a[2] == b[2]


@pytest.mark.parametrize("name,make", SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_lr_sequence_matches_pytorch(torch_ref, name, make):
    assert_same_sequence(lr_sequence(fg, make), lr_sequence(torch_ref, make))


def test_one_cycle_cycles_adams_beta1(torch_ref):
    def make(lib, opt):
        return lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.01, total_steps=EPOCHS + 1)

    assert_same_sequence(lr_sequence(fg, make, "Adam"), lr_sequence(torch_ref, make, "Adam"))


def test_one_cycle_refuses_to_step_past_the_end(torch_ref):
    for lib in (fg, torch_ref):
        opt = optimizer(lib)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
        for _ in range(3):
            opt.step()
            sched.step()
        with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
            sched.step()


def test_chained_schedulers_compose_like_pytorch(torch_ref):
    def run(lib):
        opt = optimizer(lib)
        a = lib.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        b = lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.95)
        lrs = []
        for _ in range(15):
            opt.step()
            a.step()
            b.step()
            lrs.append([g["lr"] for g in opt.param_groups])
        return lrs

    assert flat(run(fg)) == pytest.approx(flat(run(torch_ref)), rel=1e-12)


@pytest.mark.parametrize("name,make", [s for s in SCHEDULERS if s[0] in (
    "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "ConstantLR", "PolynomialLR")], ids=lambda s: s if isinstance(s, str) else "")
def test_step_with_an_epoch_uses_the_closed_form(torch_ref, name, make):
    def run(lib):
        opt = optimizer(lib)
        sched = make(lib, opt)
        lrs = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for epoch in [3, 9, 4, 12, 0]:
                opt.step()
                sched.step(epoch)
                lrs.append(sched.get_last_lr())
        assert any("epoch parameter" in str(w.message) for w in caught)
        return lrs

    assert flat(run(fg)) == pytest.approx(flat(run(torch_ref)), rel=1e-12)


def test_reduce_on_plateau_matches_pytorch(torch_ref):
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6]

    def run(lib, **options):
        opt = optimizer(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **options)
        lrs = []
        for m in metrics:
            opt.step()
            sched.step(m)
            lrs.append((sched.get_last_lr(), sched.num_bad_epochs, sched.cooldown_counter, sched.last_epoch))
        return lrs

    for options in [dict(patience=2), dict(mode="max", patience=1, factor=0.5, cooldown=2),
                    dict(patience=0, threshold=0.05, threshold_mode="abs", min_lr=[0.05, 0.01]),
                    dict(patience=1, factor=0.1, min_lr=0.02, eps=1e-3)]:
        assert run(fg, **options) == run(torch_ref, **options), options


def test_reduce_on_plateau_errors_match_pytorch(torch_ref):
    for options in [dict(factor=1.0), dict(mode="middle"), dict(threshold_mode="log"), dict(min_lr=[0.1])]:
        ours = theirs = None
        try:
            fg.optim.lr_scheduler.ReduceLROnPlateau(optimizer(fg), **options)
        except ValueError as e:
            ours = str(e)
        try:
            torch_ref.optim.lr_scheduler.ReduceLROnPlateau(optimizer(torch_ref), **options)
        except ValueError as e:
            theirs = str(e)
        assert ours is not None and ours == theirs


@pytest.mark.parametrize("name,make", SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_state_dict_round_trip(torch_ref, name, make):
    straight = lr_sequence(fg, make, epochs=12)

    opt = optimizer(fg)
    sched = make(fg, opt)
    for _ in range(6):
        opt.step()
        sched.step()
    saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
    assert "optimizer" not in saved_sched and saved_sched.get("last_epoch", 6) == 6

    opt2 = optimizer(fg)
    sched2 = make(fg, opt2)
    sched2.load_state_dict(saved_sched)
    opt2.load_state_dict(saved_opt)
    for _ in range(6):
        opt2.step()
        sched2.step()
    assert sched2.get_last_lr() == pytest.approx(straight[-1][0], rel=1e-12)
    assert getattr(sched2, "last_epoch", None) == straight[-1][3]


def test_state_dict_keys_match_pytorch(torch_ref):
    for name, make in SCHEDULERS:
        ours = make(fg, optimizer(fg)).state_dict()
        theirs = make(torch_ref, optimizer(torch_ref)).state_dict()
        assert set(ours) == set(theirs), name


def test_lambda_state_dict_keeps_callable_objects_only(torch_ref):
    opt = optimizer(fg)
    halving = Halving()
    sched = fg.optim.lr_scheduler.LambdaLR(opt, lr_lambda=[halving, warmup])
    halving.factor = 0.25
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"factor": 0.25}, None]
    other = Halving()
    sched2 = fg.optim.lr_scheduler.LambdaLR(optimizer(fg), lr_lambda=[other, warmup])
    sched2.load_state_dict(state)
    assert other.factor == 0.25


def test_warns_when_the_scheduler_steps_before_the_optimizer(torch_ref):
    opt = optimizer(fg)
    sched = fg.optim.lr_scheduler.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()


def test_scheduler_needs_an_optimizer(torch_ref):
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        fg.optim.lr_scheduler.StepLR([], step_size=2)


def test_resuming_needs_initial_lr(torch_ref):
    with pytest.raises(KeyError, match="initial_lr"):
        fg.optim.lr_scheduler.StepLR(optimizer(fg), step_size=2, last_epoch=3)


def test_cosine_annealing_reaches_eta_min_at_t_max(torch_ref):
    opt = optimizer(fg, groups=1)
    sched = fg.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5, eta_min=0.01)
    for _ in range(5):
        opt.step()
        sched.step()
    assert math.isclose(sched.get_last_lr()[0], 0.01, rel_tol=1e-12)
