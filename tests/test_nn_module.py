"""nn.Module and nn.Parameter against PyTorch: registration, naming and order of
members, modes, hooks, gradients, state_dict round trips and their errors, dtype
conversion and printing. Models are defined once and built with both libraries.
"""

import copy
import warnings
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import ferrograd
import ferrograd.nn as nn
from nn_reference import constant_init, copy_state, same_exception, to_numpy, torch_typenames  # noqa: F401

pytestmark = pytest.mark.usefixtures("constant_init")


# ---- models written once for both libraries ----------------------------------------------------

def make_block(lib):
    class Block(lib.nn.Module):
        def __init__(self, width):
            super().__init__()
            self.fc = lib.nn.Linear(3, width)
            self.register_buffer("running", lib.zeros(width))
            self.register_buffer("scratch", lib.ones(1), persistent=False)
            self.act = lib.nn.ReLU()

        def forward(self, x):
            return self.act(self.fc(x)) + self.running

    return Block


def make_net(lib):
    Block = make_block(lib)
    nn_ = lib.nn

    class Net(nn_.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn_.ModuleList([Block(4), Block(4)])
            self.head = nn_.Sequential(OrderedDict(proj=nn_.Linear(4, 2), drop=nn_.Dropout(0.1)))
            self.heads = nn_.ModuleDict({"b": nn_.Linear(2, 1, bias=False), "a": nn_.Identity()})
            self.scale = nn_.Parameter(lib.ones(1))
            self.register_parameter("unused", None)
            self.register_buffer("empty", None)
            self.alias = self.head  # the same module twice

        def forward(self, x):
            for block in self.blocks:
                x = block(x[..., :3]) if x.shape[-1] != 3 else block(x)
            return self.heads["b"](self.head(x)) * self.scale

    return Net()


def pair(torch, build=make_net):
    """(ferrograd model, torch model) with identical weights."""
    reference = build(torch)
    model = build(ferrograd)
    copy_state(model, reference)
    return model, reference


def names(items):
    return [name for name, _ in items]


# ---- registration ----------------------------------------------------------------------------

def test_members_named_and_ordered_as_pytorch(torch_ref):
    model, reference = pair(torch_ref)
    for method, kwargs in [
        ("named_parameters", {}),
        ("named_parameters", {"prefix": "model"}),
        ("named_parameters", {"recurse": False}),
        ("named_parameters", {"remove_duplicate": False}),
        ("named_buffers", {}),
        ("named_buffers", {"prefix": "m", "remove_duplicate": False}),
        ("named_children", {}),
        ("named_modules", {}),
        ("named_modules", {"prefix": "root", "remove_duplicate": False}),
    ]:
        assert names(getattr(model, method)(**kwargs)) == names(getattr(reference, method)(**kwargs)), method
    assert len(list(model.parameters())) == len(list(reference.parameters()))
    assert len(list(model.parameters(recurse=False))) == 1
    assert len(list(model.buffers())) == len(list(reference.buffers()))
    assert [type(m).__name__ for m in model.modules()] == [type(m).__name__ for m in reference.modules()]
    assert [type(m).__name__ for m in model.children()] == [type(m).__name__ for m in reference.children()]


def test_setattr_routes_values_to_the_right_registry():
    class M(nn.Module):
        pass

    m = M()
    m.w = nn.Parameter(ferrograd.ones(2))
    m.sub = nn.Identity()
    m.plain = 3
    assert list(m._parameters) == ["w"] and list(m._modules) == ["sub"] and m.plain == 3
    assert "w" not in m.__dict__ and "sub" not in m.__dict__
    m.register_buffer("b", ferrograd.zeros(1))
    m.b = ferrograd.ones(1)  # reassigning a buffer name keeps it a buffer
    assert list(m._buffers) == ["b"] and m.b.tolist() == [1.0]
    m.w = None  # None keeps the name registered, with no value
    assert "w" in m._parameters and m.w is None
    m.sub = nn.Identity()
    m.sub = None
    assert m._modules == {"sub": None}
    # A Parameter assigned over a plain attribute moves it into _parameters.
    m.plain = nn.Parameter(ferrograd.ones(1))
    assert "plain" in m._parameters and "plain" not in m.__dict__
    del m.plain, m.b, m.sub
    assert "plain" not in m._parameters and "b" not in m._buffers and "sub" not in m._modules
    m.flagged = nn.Buffer(ferrograd.ones(2), persistent=False)
    assert "flagged" in m._buffers and "flagged" in m._non_persistent_buffers_set
    assert list(m.state_dict()) == []


def test_registration_errors_match_pytorch(torch_ref):
    def module(lib):
        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.weight = lib.nn.Parameter(lib.ones(2))
                self.child = lib.nn.Identity()
                self.register_buffer("buf", lib.zeros(1))
                self.attr = 1

        return M()

    actions = [
        lambda lib: setattr(module(lib), "weight", lib.ones(2)),
        lambda lib: setattr(module(lib), "weight", lib.ones(2, dtype=lib.float64)),
        lambda lib: setattr(module(lib), "child", 3),
        lambda lib: setattr(module(lib), "buf", [1.0]),
        lambda lib: module(lib).register_buffer("a.b", lib.ones(1)),
        lambda lib: module(lib).register_buffer("", lib.ones(1)),
        lambda lib: module(lib).register_buffer("attr", lib.ones(1)),
        lambda lib: module(lib).register_buffer("x", 5),
        lambda lib: module(lib).register_buffer(1, lib.ones(1)),
        lambda lib: module(lib).register_parameter("a.b", None),
        lambda lib: module(lib).register_parameter("", None),
        lambda lib: module(lib).register_parameter("attr", None),
        lambda lib: module(lib).register_parameter("p", lib.ones(1)),
        lambda lib: module(lib).add_module("x", 3),
        lambda lib: module(lib).add_module("a.b", lib.nn.Identity()),
        lambda lib: module(lib).add_module("", lib.nn.Identity()),
        lambda lib: module(lib).add_module("attr", lib.nn.Identity()),
        lambda lib: module(lib).add_module(2, lib.nn.Identity()),
        lambda lib: module(lib).missing,
        lambda lib: module(lib).get_submodule("child.x"),
        lambda lib: module(lib).get_submodule("attr"),
        lambda lib: module(lib).get_parameter("buf"),
        lambda lib: module(lib).get_buffer("weight"),
        lambda lib: lib.nn.Module(3),
        lambda lib: lib.nn.Module(foo=3),
        lambda lib: lib.nn.Module()(1),
        lambda lib: module(lib).train("yes"),
    ]
    for action in actions:
        same_exception(action, ferrograd, torch_ref, adapt=torch_typenames)


def test_assigning_before_init_is_an_error():
    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ferrograd.ones(1))

    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__\(\) call"):
        Early()


def test_get_submodule_parameter_buffer():
    model = make_net(ferrograd)
    assert model.get_submodule("") is model
    assert model.get_submodule("blocks.1.fc") is model.blocks[1].fc
    assert model.get_parameter("blocks.0.fc.bias") is model.blocks[0].fc.bias
    assert model.get_buffer("blocks.1.running") is model.blocks[1].running


def test_dir_lists_members_and_hides_numeric_names():
    model = make_net(ferrograd)
    listing = dir(model)
    for name in ("blocks", "scale", "head", "forward", "training"):
        assert name in listing
    assert listing == sorted(listing)
    assert "0" not in dir(model.blocks)


# ---- modes, gradients, apply -------------------------------------------------------------------

def test_train_and_eval_reach_every_module():
    model = make_net(ferrograd)
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.head.train(False)
    assert model.training and not model.head.drop.training


def test_zero_grad_and_requires_grad(torch_ref):
    model, _ = pair(torch_ref)
    model(ferrograd.ones(5, 3)).sum().backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None for g in grads)
    model.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.any().item() for p, g in zip(model.parameters(), grads))
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())


def test_apply_visits_children_first():
    order = []
    model = make_net(ferrograd)
    assert model.apply(lambda m: order.append(type(m).__name__)) is model
    assert order[-1] == "Net" and order[:4] == ["Linear", "ReLU", "Block", "Linear"]


def test_forward_and_backward_match_pytorch(torch_ref):
    model, reference = pair(torch_ref)
    model.eval(), reference.eval()
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    ours_out = model(ferrograd.from_numpy(x))
    ref_out = reference(torch_ref.from_numpy(x))
    np.testing.assert_allclose(to_numpy(ours_out), to_numpy(ref_out), rtol=1e-5, atol=1e-6)
    ours_out.sum().backward()
    ref_out.sum().backward()
    for (name, p), (_, q) in zip(model.named_parameters(), reference.named_parameters()):
        np.testing.assert_allclose(to_numpy(p.grad), to_numpy(q.grad), rtol=1e-5, atol=1e-6, err_msg=name)


# ---- hooks ---------------------------------------------------------------------------------------

def _hook_trace(lib):
    """Register every kind of forward hook on a Linear; return the call log and output."""
    log = []
    layer = lib.nn.Linear(2, 2)
    with lib.no_grad():
        layer.weight.copy_(lib.tensor([[1.0, 2.0], [3.0, 4.0]]))
        layer.bias.fill_(0.5)

    handles = [
        layer.register_forward_pre_hook(lambda m, args: log.append(("pre", len(args))) or (args[0] * 2,)),
        layer.register_forward_pre_hook(lambda m, args: log.append(("pre-first",)), prepend=True),
        layer.register_forward_pre_hook(
            lambda m, args, kwargs: log.append(("pre-kw", sorted(kwargs))) or None, with_kwargs=True
        ),
        layer.register_forward_hook(lambda m, args, out: log.append(("post", tuple(out.shape))) or out + 1),
        layer.register_forward_hook(
            lambda m, args, kwargs, out: log.append(("post-kw", round(float(out.detach().sum()), 4))), with_kwargs=True
        ),
    ]
    first = layer(lib.ones(1, 2))
    handles[0].remove()
    handles[3].remove()
    second = layer(lib.ones(1, 2))
    return log, first.tolist(), second.tolist()


def test_forward_hooks_run_like_pytorch(torch_ref):
    assert _hook_trace(ferrograd) == _hook_trace(torch_ref)


def test_hook_handle_as_context_manager_and_always_call():
    layer = nn.Identity()
    seen = []
    with layer.register_forward_hook(lambda m, a, o: seen.append(o)):
        layer(1)
    layer(2)
    assert seen == [1]

    class Failing(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    failing = Failing()
    calls = []
    failing.register_forward_hook(lambda m, a, o: calls.append("always"), always_call=True)
    failing.register_forward_hook(lambda m, a, o: calls.append("normal"))
    with pytest.raises(ValueError, match="boom"):
        failing(1)
    assert calls == ["always"]


def test_pre_hook_with_kwargs_can_replace_arguments():
    class Add(nn.Module):
        def forward(self, x, y=0):
            return x + y

    add = Add()
    add.register_forward_pre_hook(lambda m, args, kwargs: ((args[0] * 10,), {"y": kwargs["y"] + 1}), with_kwargs=True)
    assert add(1, y=2) == 13
    bad = Add()
    bad.register_forward_pre_hook(lambda m, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"forward pre-hook must return None or a tuple of \(new_args, new_kwargs\)"):
        bad(1)


# ---- state_dict ----------------------------------------------------------------------------------

def test_state_dict_keys_metadata_and_values_match_pytorch(torch_ref):
    model, reference = pair(torch_ref)
    ours_sd, ref_sd = model.state_dict(), reference.state_dict()
    assert isinstance(ours_sd, OrderedDict)
    assert list(ours_sd) == list(ref_sd)
    assert dict(ours_sd._metadata) == dict(ref_sd._metadata)
    for key in ref_sd:
        np.testing.assert_array_equal(to_numpy(ours_sd[key]), to_numpy(ref_sd[key]))
        assert not ours_sd[key].requires_grad
    kept = model.state_dict(keep_vars=True)
    assert kept["scale"] is model.scale
    prefixed = model.state_dict(prefix="net.")
    assert list(prefixed) == ["net." + k for k in ref_sd]
    assert list(prefixed._metadata) == list(reference.state_dict(prefix="net.")._metadata)


def test_load_state_dict_copies_in_place(torch_ref):
    model = make_net(ferrograd)
    weight = model.blocks[0].fc.weight
    reference = make_net(torch_ref)
    result = copy_state(model, reference)
    assert repr(result) == "<All keys matched successfully>" == repr(reference.load_state_dict(reference.state_dict()))
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert model.blocks[0].fc.weight is weight and weight.requires_grad and weight.is_leaf
    np.testing.assert_array_equal(to_numpy(weight), to_numpy(reference.blocks[0].fc.weight))


def _corrupted(lib, state):
    state = OrderedDict(state)
    del state["blocks.0.fc.bias"], state["scale"]
    state["blocks.1.extra"] = lib.ones(1)
    state["nothing.here"] = lib.ones(1)
    state["head.proj.weight"] = lib.ones(3, 3)
    state["blocks.1.running"] = lib.ones(2)
    return state


def test_load_state_dict_errors_match_pytorch(torch_ref):
    def strict(lib):
        model = make_net(lib)
        model.load_state_dict(_corrupted(lib, model.state_dict()))

    message = same_exception(strict, ferrograd, torch_ref)
    assert message.startswith("Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: ")

    def lenient(lib):
        model = make_net(lib)
        return model.load_state_dict(_corrupted(lib, model.state_dict()), strict=False)

    same_exception(lenient, ferrograd, torch_ref)  # size mismatches are errors even when not strict

    def keys_only(lib):
        model = make_net(lib)
        state = model.state_dict()
        del state["head.proj.bias"]
        state["heads.b.bias"] = lib.zeros(1)
        return model.load_state_dict(state, strict=False)

    ours_result, ref_result = keys_only(ferrograd), keys_only(torch_ref)
    assert ours_result == tuple(ref_result)
    assert repr(ours_result) == repr(ref_result)


def test_linear_load_errors_match_pytorch_text(torch_ref):
    def missing(lib):
        lib.nn.Linear(3, 2).load_state_dict({"weight": lib.ones(2, 3)})

    assert same_exception(missing, ferrograd, torch_ref) == (
        'Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". '
    )

    def mismatch(lib):
        lib.nn.Linear(3, 3).load_state_dict({"weight": lib.ones(2, 3), "bias": lib.ones(3)})

    assert same_exception(mismatch, ferrograd, torch_ref) == (
        "Error(s) in loading state_dict for Linear:\n\tsize mismatch for weight: copying a param with shape "
        "torch.Size([2, 3]) from checkpoint, the shape in current model is torch.Size([3, 3])."
    )

    def not_tensor(lib):
        lib.nn.Linear(3, 2).load_state_dict({"weight": [1.0], "bias": lib.ones(2)})

    same_exception(not_tensor, ferrograd, torch_ref)

    def not_mapping(lib):
        lib.nn.Linear(3, 2).load_state_dict([1, 2])

    same_exception(not_mapping, ferrograd, torch_ref)


def test_load_state_dict_assign_installs_the_given_tensors():
    layer = nn.Linear(3, 2)
    weight = ferrograd.full((2, 3), 7.0)
    layer.load_state_dict({"weight": weight, "bias": ferrograd.zeros(2)}, assign=True)
    assert isinstance(layer.weight, nn.Parameter) and layer.weight.requires_grad
    assert layer.weight.data_ptr() == weight.data_ptr()


def test_load_state_dict_post_hook_sees_incompatible_keys():
    layer = nn.Linear(3, 2)
    seen = []
    layer.register_load_state_dict_post_hook(lambda m, keys: seen.append(list(keys.missing_keys)))
    layer.load_state_dict({"weight": ferrograd.ones(2, 3)}, strict=False)
    assert seen == [["bias"]]


# ---- conversion ------------------------------------------------------------------------------------

def test_double_converts_parameters_grads_and_buffers():
    model = make_net(ferrograd)
    model(ferrograd.ones(2, 3)).sum().backward()
    frozen = model.blocks[0].fc.bias
    frozen.requires_grad_(False)
    frozen.grad = None
    assert model.double() is model
    for name, p in model.named_parameters():
        assert isinstance(p, nn.Parameter) and p.dtype == ferrograd.float64 and p.is_leaf, name
        if p.grad is not None:
            assert p.grad.dtype == ferrograd.float64, name
    assert not model.blocks[0].fc.bias.requires_grad
    assert model.blocks[0].fc.weight.requires_grad
    assert all(b.dtype == ferrograd.float64 for b in model.buffers())
    out = model(ferrograd.ones(2, 3, dtype=ferrograd.float64))
    assert out.dtype == ferrograd.float64
    model.zero_grad()
    out.sum().backward()
    assert model.blocks[0].fc.weight.grad.dtype == ferrograd.float64
    model.float()
    assert all(p.dtype == ferrograd.float32 for p in model.parameters())


def test_to_same_dtype_and_cpu_keep_the_parameter_objects():
    layer = nn.Linear(2, 2)
    weight = layer.weight
    assert layer.to(ferrograd.float32) is layer and layer.weight is weight
    layer.to("cpu")
    layer.cpu()
    layer.to(ferrograd.device("cpu"), ferrograd.float32)
    layer.to(dtype=ferrograd.float32, device="cpu")
    assert layer.weight is weight


def test_to_tensor_and_keyword_forms():
    layer = nn.Linear(2, 2)
    layer.to(ferrograd.zeros(1, dtype=ferrograd.float64))
    assert layer.weight.dtype == ferrograd.float64
    layer.to(dtype=ferrograd.float16)
    assert layer.bias.dtype == ferrograd.float16
    layer.half().float().type(ferrograd.float64)
    assert layer.weight.dtype == ferrograd.float64


def test_integer_buffers_keep_their_dtype():
    module = nn.Module()
    module.register_buffer("count", ferrograd.zeros(1, dtype=ferrograd.int64))
    module.double()
    assert module.count.dtype == ferrograd.int64


def test_to_errors(torch_ref):
    same_exception(lambda lib: lib.nn.Linear(2, 2).to(lib.int64), ferrograd, torch_ref)
    # A CPU-only PyTorch build raises exactly this for a CUDA device.
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        nn.Linear(2, 2).to("cuda")
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        nn.Linear(2, 2).cuda()
    with pytest.raises(RuntimeError, match="Expected one of cpu"):
        nn.Linear(2, 2).to("tpu")


# ---- printing --------------------------------------------------------------------------------------

def test_repr_matches_pytorch(torch_ref):
    model, reference = pair(torch_ref)
    assert repr(model) == repr(reference)
    assert str(model.blocks) == str(reference.blocks)

    class Empty(ferrograd.nn.Module):
        pass

    class RefEmpty(torch_ref.nn.Module):
        pass

    assert repr(Empty()).replace("Empty", "X") == repr(RefEmpty()).replace("RefEmpty", "X")


def test_multiline_extra_repr_matches_pytorch(torch_ref):
    def build(lib):
        class Multi(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = lib.nn.Sequential(lib.nn.Tanh())

            def extra_repr(self):
                return "first=1\nsecond=2"

        return lib.nn.ModuleList([Multi(), Multi(), lib.nn.Sigmoid()])

    assert repr(build(ferrograd)) == repr(build(torch_ref))


# ---- Parameter ---------------------------------------------------------------------------------------

def test_parameter_repr_and_flags_match_pytorch(torch_ref):
    values = [[1.5, -2.0], [0.25, 3.0]]
    for requires_grad in (True, False):
        ours_p = nn.Parameter(ferrograd.tensor(values), requires_grad=requires_grad)
        ref_p = torch_ref.nn.Parameter(torch_ref.tensor(values), requires_grad=requires_grad)
        assert repr(ours_p) == repr(ref_p)
        assert ours_p.requires_grad == requires_grad and ours_p.is_leaf
    assert repr(nn.Parameter()) == repr(torch_ref.nn.Parameter())
    ours64 = nn.Parameter(ferrograd.zeros(2, dtype=ferrograd.float64))
    assert repr(ours64) == repr(torch_ref.nn.Parameter(torch_ref.zeros(2, dtype=torch_ref.float64)))


def test_parameter_shares_storage_and_is_a_leaf():
    base = ferrograd.ones(3, requires_grad=True)
    derived = base * 2
    p = nn.Parameter(derived)
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    assert p.data_ptr() == derived.data_ptr()
    (p * 3).sum().backward()
    assert p.grad.tolist() == [3.0, 3.0, 3.0] and base.grad is None


def test_parameter_deepcopy_and_pickle():
    p = nn.Parameter(ferrograd.tensor([1.0, 2.0]))
    p.tag = "kept"
    clone = copy.deepcopy(p)
    assert type(clone) is nn.Parameter and clone.tolist() == [1.0, 2.0] and clone.tag == "kept"
    assert clone.data_ptr() != p.data_ptr()
    memo_twice = copy.deepcopy([p, p])
    assert memo_twice[0] is memo_twice[1]
    restored = pickle.loads(pickle.dumps(nn.Parameter(ferrograd.tensor([3.0]), requires_grad=False)))
    assert type(restored) is nn.Parameter and restored.tolist() == [3.0] and not restored.requires_grad
    half = pickle.loads(pickle.dumps(nn.Parameter(ferrograd.tensor([1.0], dtype=ferrograd.bfloat16))))
    assert half.dtype == ferrograd.bfloat16


# ---- containers --------------------------------------------------------------------------------------

def _sequential_story(L):
    """Edit a Sequential the ways users do; record its repr and lookups after each step."""
    nn_ = L.nn
    seq = nn_.Sequential(nn_.Linear(2, 3), nn_.ReLU(), nn_.Linear(3, 1), nn_.Sigmoid())
    log = [repr(seq), len(seq), repr(seq[-1]), repr(seq[1:3]), type(seq[1:3]).__name__, repr(seq[::-2])]
    seq.append(nn_.Tanh())
    seq.insert(1, nn_.GELU())
    seq.insert(-1, nn_.SiLU())
    log.append(repr(seq))
    seq[0] = nn_.Identity()
    del seq[2]
    log.append(repr(seq))
    del seq[1:3]
    log.append(repr(seq))
    log.append(repr(seq.pop(0)))
    seq.extend(nn_.Sequential(nn_.ELU()))
    log.append(repr(seq + nn_.Sequential(nn_.Softplus())))
    seq += nn_.Sequential(nn_.ReLU6())
    log.append(repr(seq))
    log.append(repr(nn_.Sequential(nn_.Tanh(), nn_.ReLU()) * 2))
    named = nn_.Sequential(OrderedDict([("first", nn_.Tanh()), ("second", nn_.ReLU())]))
    log.append(repr(named))
    log.append(repr(named[1:]))
    log.append([type(m).__name__ for m in named])
    log.append(repr(nn_.Sequential()))
    return log


def test_sequential_edits_match_pytorch(torch_ref):
    assert _sequential_story(ferrograd) == _sequential_story(torch_ref)


def test_sequential_errors_match_pytorch(torch_ref):
    def seq(L):
        return L.nn.Sequential(L.nn.ReLU(), L.nn.Tanh())

    for action in [
        lambda L: seq(L)[2],
        lambda L: seq(L)[-3],
        lambda L: seq(L).__setitem__(5, L.nn.ReLU()),
        lambda L: seq(L) + L.nn.ReLU(),
        lambda L: seq(L).insert(5, L.nn.ReLU()),
        lambda L: seq(L).insert(0, 3),
        lambda L: seq(L) * 0,
        lambda L: seq(L)["a"],
    ]:
        same_exception(action, ferrograd, torch_ref, adapt=torch_typenames)


def test_sequential_forward_chains_modules():
    seq = nn.Sequential(nn.Flatten(), nn.ReLU())
    out = seq(ferrograd.tensor([[[-1.0, 2.0]], [[3.0, -4.0]]]))
    assert out.tolist() == [[0.0, 2.0], [3.0, 0.0]]


def _modulelist_story(L):
    nn_ = L.nn
    layers = nn_.ModuleList([nn_.ReLU(), nn_.ReLU(), nn_.Tanh(), nn_.ReLU()])
    log = [repr(layers), len(layers), repr(layers[-1]), repr(layers[1:3])]
    layers.append(nn_.Tanh())
    layers.extend([nn_.Tanh(), nn_.Sigmoid()])
    layers.insert(0, nn_.GELU())
    log.append(repr(layers))
    layers[1] = nn_.SiLU()
    del layers[0]
    del layers[::3]
    log.append(repr(layers))
    log.append(repr(layers.pop(-1)))
    layers += [nn_.ELU()]
    log.append(repr(layers + nn_.ModuleList([nn_.ReLU()])))
    log.append([name for name, _ in layers.named_children()])
    log.append(repr(nn_.ModuleList()))
    return log


def test_modulelist_edits_match_pytorch(torch_ref):
    assert _modulelist_story(ferrograd) == _modulelist_story(torch_ref)
    same_exception(lambda L: L.nn.ModuleList([L.nn.ReLU()])[1], ferrograd, torch_ref)
    same_exception(lambda L: L.nn.ModuleList().extend(3), ferrograd, torch_ref)
    same_exception(lambda L: L.nn.ModuleList([L.nn.ReLU()])(1), ferrograd, torch_ref)


def _moduledict_story(L):
    nn_ = L.nn
    table = nn_.ModuleDict({"z": nn_.ReLU(), "a": nn_.Tanh()})
    log = [repr(table), list(table), list(table.keys()), "a" in table, len(table)]
    table["m"] = nn_.Linear(1, 1)
    table.update([("b", nn_.Sigmoid()), ("z", nn_.GELU())])
    table.update(OrderedDict(c=nn_.Identity()))
    log.append(repr(table))
    log.append(repr(table.pop("a")))
    del table["b"]
    log.append([(k, type(v).__name__) for k, v in table.items()])
    log.append([type(v).__name__ for v in table.values()])
    log.append([n for n, _ in table.named_parameters()])
    table.clear()
    log.append(repr(table))
    return log


def test_moduledict_edits_match_pytorch(torch_ref):
    assert _moduledict_story(ferrograd) == _moduledict_story(torch_ref)
    same_exception(lambda L: L.nn.ModuleDict().update(3), ferrograd, torch_ref)
    same_exception(lambda L: L.nn.ModuleDict().update([("a", L.nn.ReLU(), 1)]), ferrograd, torch_ref)
    same_exception(lambda L: L.nn.ModuleDict().update([3]), ferrograd, torch_ref)
    same_exception(lambda L: L.nn.ModuleDict({"a": 3}), ferrograd, torch_ref)


def _parameter_containers_story(L):
    nn_ = L.nn
    plist = nn_.ParameterList([L.ones(2, 3), nn_.Parameter(L.zeros(1), requires_grad=False)])
    plist.append(L.ones(4, dtype=L.float64))
    plist.append("not a tensor")
    plist.extend([L.ones(1)])
    log = [repr(plist), len(plist), [n for n, _ in plist.named_parameters()],
           [type(p).__name__ for p in plist], plist[1].requires_grad, repr(plist[1:3])]
    plist[0] = L.zeros(5)
    log.append(repr(plist))
    pdict = nn_.ParameterDict({"b": L.ones(2), "a": L.zeros(3, 1)})
    pdict["c"] = nn_.Parameter(L.ones(1, dtype=L.float64))
    pdict.update(OrderedDict(z=L.ones(1), y="text"))
    log += [repr(pdict), list(pdict), [n for n, _ in pdict.named_parameters()], "a" in pdict,
            pdict.get("missing", 5)]
    log.append(repr(pdict.pop("b")))
    log.append(pdict.popitem()[0])
    log.append(list(pdict.keys()))
    log.append(repr(pdict.copy()))
    log.append(repr(pdict | nn_.ParameterDict({"q": L.ones(1)})))
    log.append(repr(pdict.setdefault("s", L.ones(2))))
    log.append(list(reversed(pdict)))
    pdict.clear()
    log.append(repr(pdict))
    return log


def test_parameter_containers_match_pytorch(torch_ref):
    ours = _parameter_containers_story(ferrograd)
    assert ours == [torch_typenames(x) if isinstance(x, str) else x for x in _parameter_containers_story(torch_ref)]
    same_exception(lambda L: L.nn.ParameterList([L.ones(1)])[3], ferrograd, torch_ref)
    same_exception(lambda L: L.nn.ParameterList().extend(L.ones(2)), ferrograd, torch_ref)
    same_exception(lambda L: L.nn.ParameterList()(1), ferrograd, torch_ref)
    same_exception(lambda L: L.nn.ParameterDict()(1), ferrograd, torch_ref)
    same_exception(lambda L: L.nn.ParameterDict()[1], ferrograd, torch_ref)
    same_exception(lambda L: L.nn.ParameterDict().update(3), ferrograd, torch_ref)


def test_parameter_containers_train_and_convert():
    plist = nn.ParameterList([ferrograd.ones(2)])
    pdict = nn.ParameterDict({"w": ferrograd.ones(2)})
    model = nn.ModuleDict({"list": plist, "dict": pdict})
    model.double()
    assert plist[0].dtype == ferrograd.float64 and pdict["w"].dtype == ferrograd.float64
    assert list(model.state_dict()) == ["list.0", "dict.w"]


# ---- copying and state_dict hooks -----------------------------------------------------------------

def test_deepcopy_gives_an_independent_model(torch_ref):
    model, reference = pair(torch_ref)
    model.blocks[0].note = ferrograd.ones(2)
    model(ferrograd.ones(2, 3)).sum().backward()
    clone = copy.deepcopy(model)
    assert repr(clone) == repr(model) and type(clone) is type(model)
    assert clone.alias is clone.head  # shared submodules stay shared
    assert list(clone.state_dict()) == list(model.state_dict())
    for (name, p), (_, q) in zip(model.named_parameters(), clone.named_parameters()):
        assert isinstance(q, nn.Parameter) and q.requires_grad and q.data_ptr() != p.data_ptr(), name
        np.testing.assert_array_equal(to_numpy(p), to_numpy(q))
    for (name, b), (_, c) in zip(model.named_buffers(), clone.named_buffers()):
        assert c.data_ptr() != b.data_ptr(), name
    assert clone.blocks[0].note.data_ptr() != model.blocks[0].note.data_ptr()
    with ferrograd.no_grad():
        clone.blocks[0].fc.weight.add_(1.0)
        clone.blocks[0].running.add_(1.0)
    assert not np.array_equal(to_numpy(clone.blocks[0].fc.weight), to_numpy(model.blocks[0].fc.weight))
    assert not to_numpy(model.blocks[0].running).any()


def test_deepcopy_refuses_non_leaf_tensor_attributes():
    module = nn.Module()
    module.derived = ferrograd.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"Only Tensors created explicitly by the user \(graph leaves\)"):
        copy.deepcopy(module)


def test_state_dict_hooks_run_like_pytorch(torch_ref):
    def trace(L):
        log = []
        layer = L.nn.Linear(2, 1)
        layer.register_state_dict_pre_hook(lambda m, prefix, keep_vars: log.append(("pre", prefix, keep_vars)))
        layer.register_state_dict_post_hook(lambda m, sd, prefix, meta: log.append(("post", sorted(sd), prefix)))
        layer.register_load_state_dict_pre_hook(
            lambda m, sd, prefix, meta, strict, missing, unexpected, errors: log.append(("load-pre", sorted(sd)))
        )
        outer = L.nn.Sequential(layer)
        log.append(list(outer.state_dict(prefix="x.", keep_vars=True)))
        outer.load_state_dict(outer.state_dict())
        return log

    assert trace(ferrograd) == trace(torch_ref)


# ---- backward hooks ---------------------------------------------------------------------------------

def _rounded(grads):
    return tuple(None if g is None else np.round(to_numpy(g), 5).tolist() for g in grads)


def _backward_trace(L, input_requires_grad=True):
    log = []

    class Mix(L.nn.Module):
        def forward(self, x, scale, y):
            return x * y * scale, (x + y).sum()

    mix = Mix()
    mix.register_full_backward_pre_hook(lambda m, g_out: log.append(("pre", _rounded(g_out))))
    mix.register_full_backward_pre_hook(lambda m, g_out: (g_out[0] * 2, g_out[1]))
    mix.register_full_backward_hook(lambda m, g_in, g_out: log.append(("full", _rounded(g_in), _rounded(g_out))))
    mix.register_full_backward_hook(
        lambda m, g_in, g_out: None if g_in[0] is None else (g_in[0] + 1, g_in[1], g_in[2]), prepend=True
    )
    x = L.tensor([1.0, 2.0], requires_grad=input_requires_grad)
    y = L.tensor([3.0, -1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = mix(x, 3.0, y)
        (a.sum() + 2 * b).backward()
    log.append(_rounded([x.grad]) if input_requires_grad else None)
    return log


def test_full_backward_hooks_match_pytorch(torch_ref):
    assert _backward_trace(ferrograd) == _backward_trace(torch_ref)


def test_full_backward_hooks_without_input_grads_match_pytorch(torch_ref):
    def trace(L):
        log = []
        layer = L.nn.Linear(2, 1)
        layer.register_full_backward_hook(lambda m, g_in, g_out: log.append(("full", len(g_in), g_in[0])))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            layer(L.ones(3, 2)).sum().backward()
        log.append(any("Full backward hook is firing" in str(w.message) for w in caught))
        return log

    assert trace(ferrograd) == trace(torch_ref)


def test_backward_hook_errors_and_removal(torch_ref):
    def wrong_count(L):
        layer = L.nn.Tanh()
        layer.register_full_backward_hook(lambda m, g_in, g_out: (g_in[0], g_in[0]))
        layer(L.ones(2, requires_grad=True)).sum().backward()

    same_exception(wrong_count, ferrograd, torch_ref)
    layer = nn.Tanh()
    calls = []
    handle = layer.register_full_backward_hook(lambda m, g_in, g_out: calls.append(1))
    layer(ferrograd.ones(2, requires_grad=True)).sum().backward()
    handle.remove()
    layer(ferrograd.ones(2, requires_grad=True)).sum().backward()
    assert calls == [1]
