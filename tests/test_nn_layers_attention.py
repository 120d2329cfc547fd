"""MultiheadAttention, TransformerEncoderLayer and TransformerEncoder against
PyTorch: outputs, attention weights and every gradient with PyTorch's weights,
masks of each kind, PyTorch's inference fast paths, finite differences in
float64, default init, reprs and state_dict keys."""

import re

import numpy as np
import pytest

import ferrograd as torch
from ferrograd.autograd import gradcheck
from nn_reference import NEEDS_RNG, constant_init  # noqa: F401  (fixture)
from layer_compare import compare_layer, recorded_draws, random_inputs, to_numpy

nn = torch.nn

# Layers draw their default weights on construction; until Tensor.uniform_ exists
# the draws become constants (every comparison loads PyTorch's weights anyway).
pytestmark = pytest.mark.usefixtures("constant_init")



def build(lib, text):
    return eval("lib.nn." + text, {"lib": lib})


def with_seed(lib, text, seed=0):
    lib.manual_seed(seed)
    return build(lib, text)


def randomize(torch_ref, module, seed):
    """Non-zero biases and LayerNorm affines in a PyTorch module (defaults are zeros and ones)."""
    rng = np.random.default_rng(seed)
    with torch_ref.no_grad():
        for p in module.parameters():
            p.copy_(torch_ref.tensor(rng.uniform(-0.6, 0.6, tuple(p.shape)).astype(np.float32)))
    return module


def causal_bool(n, m=None):
    return np.triu(np.ones((n, m or n), dtype=bool), 1)


def padding_bool(batch, length, kept):
    mask = np.zeros((batch, length), dtype=bool)
    for row, count in enumerate(kept):
        mask[row, count:] = True
    return mask


# ---- MultiheadAttention --------------------------------------------------------------------

def mha_call(**options):
    """Calls ``m(q, k, v, ...)``; numpy masks among the inputs are named by ``options``."""
    def call(module, query, key, value, *masks):
        named = dict(zip(options.get("masks", ()), masks))
        kwargs = {k: v for k, v in options.items() if k != "masks"}
        return module(query, key, value, **named, **kwargs)
    return call


L, S, N, E = 4, 5, 3, 8

MHA_CASES = [
    # (id, constructor, input shapes (q, k, v), extra numpy inputs, call options)
    ("self", "MultiheadAttention(8, 2)", [(L, N, E)] * 3, [], {}),
    ("cross-batch-first", "MultiheadAttention(8, 4, batch_first=True)", [(N, L, E), (N, S, E), (N, S, E)], [], {}),
    ("unbatched", "MultiheadAttention(8, 2)", [(L, E), (S, E), (S, E)], [], {}),
    ("kdim-vdim", "MultiheadAttention(8, 2, kdim=3, vdim=5)", [(L, N, E), (S, N, 3), (S, N, 5)], [], {}),
    ("no-bias", "MultiheadAttention(8, 2, bias=False)", [(L, N, E), (S, N, E), (S, N, E)], [], {}),
    ("bias-kv-zero-attn", "MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True)",
     [(L, N, E), (S, N, E), (S, N, E)], [padding_bool(N, S, [5, 3, 1])], {"masks": ["key_padding_mask"]}),
    ("per-head-weights", "MultiheadAttention(8, 2)", [(L, N, E), (S, N, E), (S, N, E)], [],
     {"average_attn_weights": False}),
    ("no-weights", "MultiheadAttention(8, 2, batch_first=True)", [(N, L, E), (N, S, E), (N, S, E)], [],
     {"need_weights": False}),
    ("bool-attn-mask", "MultiheadAttention(8, 2)", [(L, N, E)] * 3, [causal_bool(L)], {"masks": ["attn_mask"]}),
    ("bool-causal-hint", "MultiheadAttention(8, 2)", [(L, N, E)] * 3, [causal_bool(L)],
     {"masks": ["attn_mask"], "is_causal": True, "need_weights": False}),
    ("float-attn-mask", "MultiheadAttention(8, 2)", [(L, N, E), (S, N, E), (S, N, E)],
     [np.linspace(-2, 1, L * S).reshape(L, S).astype(np.float32)], {"masks": ["attn_mask"]}),
    ("3d-mask-and-padding", "MultiheadAttention(8, 2)", [(L, N, E), (S, N, E), (S, N, E)],
     [np.tile(causal_bool(L, S), (N * 2, 1, 1)), padding_bool(N, S, [5, 4, 2])],
     {"masks": ["attn_mask", "key_padding_mask"]}),
    ("float-padding-no-weights", "MultiheadAttention(8, 2)", [(L, N, E), (S, N, E), (S, N, E)],
     [np.where(padding_bool(N, S, [5, 2, 3]), -1e4, 0.0).astype(np.float32)],
     {"masks": ["key_padding_mask"], "need_weights": False}),
    ("unbatched-padding", "MultiheadAttention(8, 4)", [(L, E), (S, E), (S, E)],
     [padding_bool(1, S, [3])[0]], {"masks": ["key_padding_mask"]}),
]


@pytest.mark.parametrize("text, shapes, masks, options", [c[1:] for c in MHA_CASES], ids=[c[0] for c in MHA_CASES])
def test_multihead_attention_matches_pytorch(torch_ref, text, shapes, masks, options):
    theirs = randomize(torch_ref, build(torch_ref, text), 1)
    inputs = random_inputs(2, *shapes) + masks
    outputs = compare_layer(build(torch, text), theirs, inputs, call=mha_call(**options))
    assert (len(outputs) == 1) == (options.get("need_weights") is False)


def test_self_attention_with_one_tensor_for_query_key_value(torch_ref):
    theirs = randomize(torch_ref, build(torch_ref, "MultiheadAttention(8, 2)"), 3)
    (x,) = random_inputs(4, (L, N, E))
    compare_layer(build(torch, "MultiheadAttention(8, 2)"), theirs, [x], call=lambda m, x: m(x, x, x))


def no_grad_call(call):
    """Runs ``call`` under the no_grad of the library the module comes from (PyTorch's fast paths need it)."""
    def run(module, *inputs):
        lib = torch if type(module).__module__.startswith("ferrograd") else __import__("torch")
        with lib.no_grad():
            return call(module, *inputs)
    return run


@pytest.mark.parametrize("masks, options", [([], {}),
                                            ([padding_bool(N, L, [4, 2, 3])], {"masks": ["key_padding_mask"]}),
                                            ([causal_bool(L)], {"masks": ["attn_mask"], "need_weights": False})])
def test_multihead_attention_eval_matches_pytorchs_fast_path(torch_ref, masks, options):
    text = "MultiheadAttention(8, 2, batch_first=True)"
    theirs = randomize(torch_ref, build(torch_ref, text), 5).eval()
    ours = build(torch, text).eval()
    (x,) = random_inputs(6, (N, L, E))
    compare_layer(ours, theirs, [x, x, x] + masks, call=no_grad_call(mha_call(**options)), grads=False)


def test_multihead_attention_finite_differences_in_float64():
    layer = nn.MultiheadAttention(4, 2, kdim=3, vdim=2).double()
    rng = np.random.default_rng(7)
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.tensor(rng.uniform(-0.7, 0.7, tuple(p.shape))))
    q = torch.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    k = torch.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
    v = torch.tensor(rng.standard_normal((4, 2, 2)), requires_grad=True)
    mask = torch.tensor(padding_bool(2, 4, [4, 2]))
    assert gradcheck(lambda q, k, v: layer(q, k, v, key_padding_mask=mask)[0], (q, k, v))
    assert gradcheck(lambda q, k, v: layer(q, k, v)[1], (q, k, v))


MHA_ERRORS = [
    ("MultiheadAttention(8, 3)", None, AssertionError, "embed_dim must be divisible by num_heads"),
    ("MultiheadAttention(0, 2)", None, ValueError, "embed_dim and num_heads must be greater than 0"),
    ("MultiheadAttention(8, 2)", lambda L_, m: m(L_.ones(4, 2, 8), L_.ones(5, 2, 8), L_.ones(5, 8)), AssertionError,
     "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found 3-D and 2-D tensors respectively"),
    ("MultiheadAttention(8, 2)", lambda L_, m: m(L_.ones(4, 2, 6), L_.ones(4, 2, 6), L_.ones(4, 2, 6)),
     AssertionError, "was expecting embedding dimension of 8, but got 6"),
    ("MultiheadAttention(8, 2)", lambda L_, m: m(*[L_.ones(4, 2, 8)] * 3, attn_mask=L_.zeros(3, 4)), RuntimeError,
     "The shape of the 2D attn_mask is torch.Size([3, 4]), but should be (4, 4)."),
    ("MultiheadAttention(8, 2)", lambda L_, m: m(*[L_.ones(4, 2, 8)] * 3, attn_mask=L_.zeros(4, 4, dtype=L_.long)),
     AssertionError, "only bool and floating types of attn_mask are supported"),
    ("MultiheadAttention(8, 2)", lambda L_, m: m(*[L_.ones(4, 2, 8)] * 3, is_causal=True), RuntimeError,
     "Need attn_mask if specifying the is_causal hint."),
    ("TransformerEncoderLayer(8, 2, activation='tanh')", None, RuntimeError,
     "activation should be relu/gelu, not tanh"),
]


@pytest.mark.parametrize("text, call, exc, phrase", MHA_ERRORS, ids=[f"{c[0]}-{i}" for i, c in enumerate(MHA_ERRORS)])
def test_errors_match_pytorch(torch_ref, text, call, exc, phrase):
    for lib in (torch, torch_ref):
        with pytest.raises(exc, match=re.escape(phrase)):
            module = build(lib, text)
            call(lib, module)


# ---- TransformerEncoderLayer and TransformerEncoder ----------------------------------------

ENCODER_CASES = [
    ("post-norm", "TransformerEncoderLayer(8, 2, 16, dropout=0.0)", (L, N, E), [], {}),
    ("pre-norm-gelu-batch-first", "TransformerEncoderLayer(8, 4, 12, dropout=0.0, activation='gelu', "
     "norm_first=True, batch_first=True)", (N, L, E), [], {}),
    ("callable-activation-no-bias", "TransformerEncoderLayer(8, 2, 10, dropout=0.0, bias=False, "
     "activation=lib.nn.functional.silu, layer_norm_eps=1e-3)", (L, N, E), [], {}),
    ("module-activation-unbatched", "TransformerEncoderLayer(8, 2, 10, dropout=0.0, activation=lib.nn.GELU())",
     (L, E), [], {}),
    ("masks", "TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)", (N, L, E),
     [causal_bool(L), padding_bool(N, L, [4, 3, 2])], {"masks": ["src_mask", "src_key_padding_mask"]}),
    ("causal-hint", "TransformerEncoderLayer(8, 2, 16, dropout=0.0)", (L, N, E), [causal_bool(L)],
     {"masks": ["src_mask"], "is_causal": True}),
]


def encoder_call(**options):
    def call(module, src, *masks):
        named = dict(zip(options.get("masks", ()), masks))
        kwargs = {k: v for k, v in options.items() if k != "masks"}
        return module(src, **named, **kwargs)
    return call


@pytest.mark.parametrize("text, shape, masks, options", [c[1:] for c in ENCODER_CASES],
                         ids=[c[0] for c in ENCODER_CASES])
def test_encoder_layer_matches_pytorch(torch_ref, text, shape, masks, options):
    theirs = randomize(torch_ref, build(torch_ref, text), 8)
    (x,) = random_inputs(9, shape)
    compare_layer(build(torch, text), theirs, [x] + masks, call=encoder_call(**options), rtol=1e-5, atol=3e-5)


ENCODER_STACK = ("TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0{}), 2, "
                 "norm=lib.nn.LayerNorm(8){})")


@pytest.mark.parametrize("layer_options, stack_options, shape", [
    ("", ", enable_nested_tensor=False", (L, N, E)),
    (", batch_first=True, norm_first=True", ", enable_nested_tensor=False", (N, L, E)),
])
def test_encoder_stack_matches_pytorch(torch_ref, layer_options, stack_options, shape):
    text = ENCODER_STACK.format(layer_options, stack_options)
    theirs = randomize(torch_ref, build(torch_ref, text), 10)
    (x,) = random_inputs(11, shape)
    mask = padding_bool(shape[1] if "batch_first" not in layer_options else shape[0], L, [4, 2, 3])
    compare_layer(build(torch, text), theirs, [x, mask], call=encoder_call(masks=["src_key_padding_mask"]),
                  rtol=1e-5, atol=3e-5)


@pytest.mark.parametrize("kept", [[4, 2, 3], [4, 4, 4]])
def test_encoder_stack_in_inference_matches_pytorchs_nested_tensor_path(torch_ref, kept):
    # PyTorch runs this on nested tensors: padded positions leave the layers as zeros.
    text = ENCODER_STACK.format(", batch_first=True", "")
    theirs = randomize(torch_ref, build(torch_ref, text), 12).eval()
    ours = build(torch, text).eval()
    (x,) = random_inputs(13, (N, L, E))
    compare_layer(ours, theirs, [x, padding_bool(N, L, kept)],
                  call=no_grad_call(encoder_call(masks=["src_key_padding_mask"])), grads=False, atol=3e-5)


@pytest.mark.parametrize("text, shape", [
    ("MultiheadAttention(8, 2, dropout=0.5)", (L, N, E)),
    ("TransformerEncoderLayer(8, 2, 16)", (L, N, E)),
    (ENCODER_STACK.format(", dropout=0.3, batch_first=True", ", enable_nested_tensor=False"), (N, L, E)),
])
def test_dropout_is_off_in_eval_mode(torch_ref, text, shape):
    text = text.replace("dropout=0.0, ", "")
    theirs = randomize(torch_ref, build(torch_ref, text), 14).eval()
    ours = build(torch, text).eval()
    (x,) = random_inputs(15, shape)
    call = (lambda m, x: m(x, x, x)) if text.startswith("Multihead") else (lambda m, x: m(x))
    compare_layer(ours, theirs, [x], call=call, atol=3e-5)


@pytest.mark.parametrize("text, shape", [("MultiheadAttention(8, 2, dropout=1.0)", (L, N, E)),
                                         ("TransformerEncoderLayer(8, 2, 16, dropout=1.0)", (L, N, E))])
def test_dropout_of_one_matches_pytorch_in_training(torch_ref, text, shape):
    # p = 1 zeroes every element, so training mode is deterministic and comparable.
    theirs = randomize(torch_ref, build(torch_ref, text), 17)
    (x,) = random_inputs(18, shape)
    call = (lambda m, x: m(x, x, x)) if text.startswith("Multihead") else (lambda m, x: m(x))
    compare_layer(build(torch, text), theirs, [x], call=call, atol=3e-5)


def test_dropout_in_training_changes_the_output():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    rng = np.random.default_rng(16)
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.tensor(rng.uniform(-0.5, 0.5, tuple(p.shape)).astype(np.float32)))
    x = torch.randn(L, N, E)
    assert not np.allclose(to_numpy(layer(x)), to_numpy(layer(x)))
    layer.eval()
    np.testing.assert_array_equal(to_numpy(layer(x)), to_numpy(layer(x)))


def test_encoder_layers_are_independent_copies():
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    stack = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    weights = [m.linear1.weight for m in stack.layers]
    assert len({id(w) for w in weights}) == 3 and all(w is not layer.linear1.weight for w in weights)
    assert len(list(stack.parameters())) == 3 * len(list(layer.parameters()))


def test_nested_tensor_warning_matches_pytorch(torch_ref):
    messages = []
    for lib in (torch, torch_ref):
        with pytest.warns(UserWarning) as record:
            lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16), 2)
        messages.append([str(w.message) for w in record if "enable_nested_tensor" in str(w.message)])
    assert messages[0] == messages[1] and messages[0]


# ---- TransformerDecoderLayer, TransformerDecoder, Transformer --------------------------------

T_LEN = 3


def decoder_call(**options):
    def call(module, tgt, memory, *masks):
        named = dict(zip(options.get("masks", ()), masks))
        kwargs = {k: v for k, v in options.items() if k != "masks"}
        return module(tgt, memory, **named, **kwargs)
    return call


DECODER_CASES = [
    ("post-norm", "TransformerDecoderLayer(8, 2, 16, dropout=0.0)", [(T_LEN, N, E), (S, N, E)], [], {}),
    ("pre-norm-gelu-batch-first-masks", "TransformerDecoderLayer(8, 4, 12, dropout=0.0, activation='gelu', "
     "norm_first=True, batch_first=True)", [(N, T_LEN, E), (N, S, E)],
     [causal_bool(T_LEN), padding_bool(N, S, [5, 3, 4])], {"masks": ["tgt_mask", "memory_key_padding_mask"]}),
    ("stack-causal-hint", "TransformerDecoder(lib.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 2, "
     "norm=lib.nn.LayerNorm(8))", [(T_LEN, N, E), (S, N, E)], [causal_bool(T_LEN), padding_bool(N, T_LEN, [3, 2, 3])],
     {"masks": ["tgt_mask", "tgt_key_padding_mask"], "tgt_is_causal": True}),
    ("unbatched-no-bias", "TransformerDecoderLayer(8, 2, 10, dropout=0.0, bias=False)", [(T_LEN, E), (S, E)], [], {}),
]


@pytest.mark.parametrize("text, shapes, masks, options", [c[1:] for c in DECODER_CASES],
                         ids=[c[0] for c in DECODER_CASES])
def test_decoder_matches_pytorch(torch_ref, text, shapes, masks, options):
    theirs = randomize(torch_ref, build(torch_ref, text), 19)
    compare_layer(build(torch, text), theirs, random_inputs(20, *shapes) + masks, call=decoder_call(**options),
                  rtol=1e-5, atol=3e-5)


TRANSFORMER = ("Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16, "
               "dropout=0.0{})")


def transformer_call(module, src, tgt, *masks):
    src_padding, tgt_mask = masks
    return module(src, tgt, tgt_mask=module.generate_square_subsequent_mask(tgt_mask.shape[0]),
                  src_key_padding_mask=src_padding, memory_key_padding_mask=src_padding)


@pytest.mark.parametrize("options, shapes", [("", [(S, N, E), (T_LEN, N, E)]),
                                             (", batch_first=True, norm_first=True", [(N, S, E), (N, T_LEN, E)])])
def test_transformer_matches_pytorch(torch_ref, options, shapes):
    text = TRANSFORMER.format(options)
    theirs = randomize(torch_ref, build(torch_ref, text), 21)
    masks = [padding_bool(N, S, [5, 2, 4]), causal_bool(T_LEN)]
    compare_layer(build(torch, text), theirs, random_inputs(22, *shapes) + masks, call=transformer_call,
                  rtol=1e-5, atol=5e-5)


def test_transformer_in_inference_matches_pytorch(torch_ref):
    text = TRANSFORMER.format(", batch_first=True")
    theirs = randomize(torch_ref, build(torch_ref, text), 23).eval()
    ours = build(torch, text).eval()
    masks = [padding_bool(N, S, [5, 2, 4]), causal_bool(T_LEN)]
    compare_layer(ours, theirs, random_inputs(24, (N, S, E), (N, T_LEN, E)) + masks,
                  call=no_grad_call(transformer_call), grads=False, atol=5e-5)


def test_transformer_checks_batch_and_feature_sizes(torch_ref):
    for lib in (torch, torch_ref):
        model = build(lib, TRANSFORMER.format(""))
        with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
            model(lib.ones(S, 2, E), lib.ones(T_LEN, 3, E))
        with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
            model(lib.ones(S, 2, E), lib.ones(T_LEN, 2, 6))


def test_square_subsequent_mask_matches_pytorch(torch_ref):
    ours = nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    theirs = torch_ref.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch_ref.float64)
    np.testing.assert_array_equal(to_numpy(ours), to_numpy(theirs))
    assert ours.dtype == torch.float64


# ---- construction ---------------------------------------------------------------------------

LAYERS = [c[1] for c in MHA_CASES] + [c[1] for c in ENCODER_CASES] + [c[1] for c in DECODER_CASES] + [
    TRANSFORMER.format(""), TRANSFORMER.format(", batch_first=True, norm_first=True, bias=False"),
    ENCODER_STACK.format("", ", enable_nested_tensor=False"),
    "TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 3)",
]


@pytest.mark.parametrize("text", sorted(set(LAYERS)))
def test_repr_and_state_dict_keys_match_pytorch(torch_ref, text):
    ours, theirs = build(torch, text), build(torch_ref, text)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [tuple(p.shape) for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]


@NEEDS_RNG
@pytest.mark.parametrize("text", sorted(set(LAYERS)))
def test_default_init_matches_pytorch_after_the_same_seed(torch_ref, text):
    ours, theirs = with_seed(torch, text, 21), with_seed(torch_ref, text, 21)
    for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-6, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("text", sorted(set(LAYERS)))
def test_init_draws_in_pytorchs_order_with_pytorchs_arguments(torch_ref, text):
    ours = recorded_draws(torch, lambda: build(torch, text))
    theirs = recorded_draws(torch_ref, lambda: build(torch_ref, text))
    assert ours == theirs and ours
