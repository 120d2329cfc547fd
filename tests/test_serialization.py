"""ferrograd.save / ferrograd.load against PyTorch's own checkpoint format.

Expected values come from PyTorch: checkpoints written here must load with
``torch.load(weights_only=True)`` and equal what torch builds from the same
numbers; checkpoints written by ``torch.save`` must load here.  Hostile files
(forbidden globals, windows past their storage, truncation, corruption) must
raise clean exceptions without running anything.
"""

import collections
import io
import os
import pathlib
import pickle
import random
import struct
import zipfile

import numpy as np
import pytest

import ferrograd as fg

CLEAN_ERRORS = (RuntimeError, pickle.UnpicklingError, ValueError)
FLOAT_DTYPES = ("float32", "float64", "float16", "bfloat16")
ALL_DTYPES = FLOAT_DTYPES + ("int64", "bool")


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def sample_array(dtype_name, shape, seed=0):
    """Values exactly representable in every float dtype (small integers and halves)."""
    rng = np.random.default_rng(seed)
    if dtype_name == "bool":
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if dtype_name == "int64":
        return rng.integers(-(2**40), 2**40, size=shape).astype(np.int64)
    return (rng.integers(-64, 64, size=shape) / 2).astype(np.float64)


def fg_tensor(array, dtype_name):
    return fg.from_numpy(np.ascontiguousarray(array)).to(getattr(fg, dtype_name))


def torch_tensor(torch, array, dtype_name):
    return torch.from_numpy(np.ascontiguousarray(array)).to(getattr(torch, dtype_name))


def fg_values(tensor):
    """float64 (or int64/bool) numpy copy of a ferrograd tensor's values."""
    tensor = tensor.detach()
    if tensor.is_floating_point():
        return tensor.double().numpy().copy()
    return tensor.numpy().copy()


def torch_values(tensor):
    tensor = tensor.detach()
    if tensor.is_floating_point():
        return tensor.double().numpy().copy()
    return tensor.numpy().copy()


def save_bytes(obj):
    buffer = io.BytesIO()
    fg.save(obj, buffer)
    return buffer.getvalue()


def torch_save_bytes(torch, obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def load_bytes(data, **kwargs):
    return fg.load(io.BytesIO(data), **kwargs)


# ---------------------------------------------------------------------------
# ferrograd.save -> torch.load
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype_name", ALL_DTYPES)
def test_every_dtype_loads_in_torch(torch_ref, dtype_name):
    torch = torch_ref
    array = sample_array(dtype_name, (3, 4))
    scalar = sample_array(dtype_name, ())
    state = {
        "matrix": fg_tensor(array, dtype_name),
        "scalar": fg_tensor(scalar, dtype_name),
        "empty": fg.zeros(0, 3, dtype=getattr(fg, dtype_name)),
    }
    loaded = torch.load(io.BytesIO(save_bytes(state)), weights_only=True)
    expected = {
        "matrix": torch_tensor(torch, array, dtype_name),
        "scalar": torch_tensor(torch, scalar, dtype_name),
        "empty": torch.zeros(0, 3, dtype=getattr(torch, dtype_name)),
    }
    assert loaded.keys() == expected.keys()
    for key, want in expected.items():
        got = loaded[key]
        assert got.dtype == want.dtype
        assert got.shape == want.shape
        assert torch.equal(got, want), key


def test_views_share_one_storage_in_torch(torch_ref):
    torch = torch_ref
    array = sample_array("float32", (4, 5))
    base = fg_tensor(array, "float32")
    state = {"base": base, "corner": base[1:, 2:], "transposed": base.t(), "row": base[3]}
    loaded = torch.load(io.BytesIO(save_bytes(state)), weights_only=True)

    reference = torch_tensor(torch, array, "float32")
    expected = {"base": reference, "corner": reference[1:, 2:], "transposed": reference.t(), "row": reference[3]}
    pointers = set()
    for key, want in expected.items():
        got = loaded[key]
        assert torch.equal(got, want), key
        assert got.stride() == want.stride(), key
        assert got.storage_offset() == want.storage_offset(), key
        pointers.add(got.untyped_storage().data_ptr())
    assert len(pointers) == 1
    loaded["corner"].zero_()  # shared storage: the base sees the write
    assert loaded["base"][1, 2].item() == 0


def test_nested_optimizer_like_dict_loads_in_torch(torch_ref):
    torch = torch_ref
    w = sample_array("float32", (2, 3), seed=1)
    m = sample_array("float32", (2, 3), seed=2)
    state = {
        "model": collections.OrderedDict([("layer.weight", fg_tensor(w, "float32")), ("layer.bias", fg.zeros(3))]),
        "optimizer": {
            "state": {0: {"step": fg.tensor(7.0), "exp_avg": fg_tensor(m, "float32")}},
            "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8, "params": [0, 1], "amsgrad": False,
                              "foreach": None, "name": "adam"}],
        },
        "epoch": 12,
        "shape": fg.Size([2, 3]),
        "dtype": fg.float16,
        "blob": b"\x00\xffbytes",
        "tags": {"a", "b"},
    }
    loaded = torch.load(io.BytesIO(save_bytes(state)), weights_only=True)
    assert isinstance(loaded["model"], collections.OrderedDict)
    assert list(loaded["model"]) == ["layer.weight", "layer.bias"]
    assert torch.equal(loaded["model"]["layer.weight"], torch.from_numpy(w.astype(np.float32)))
    assert torch.equal(loaded["model"]["layer.bias"], torch.zeros(3))
    opt = loaded["optimizer"]
    assert torch.equal(opt["state"][0]["step"], torch.tensor(7.0))
    assert torch.equal(opt["state"][0]["exp_avg"], torch.from_numpy(m.astype(np.float32)))
    assert opt["param_groups"] == state["optimizer"]["param_groups"]
    assert loaded["epoch"] == 12
    assert loaded["shape"] == torch.Size([2, 3]) and type(loaded["shape"]) is torch.Size
    assert loaded["dtype"] is torch.float16
    assert loaded["blob"] == b"\x00\xffbytes"
    assert loaded["tags"] == {"a", "b"}


def test_requires_grad_survives_into_torch(torch_ref):
    torch = torch_ref
    weight = fg.ones(2, 2, requires_grad=True)
    loaded = torch.load(io.BytesIO(save_bytes({"w": weight, "frozen": fg.ones(2)})), weights_only=True)
    assert loaded["w"].requires_grad and not loaded["frozen"].requires_grad


def test_parameters_save_as_torch_parameters(torch_ref):
    parameter_class = getattr(fg.nn, "Parameter", None)
    if parameter_class is None:
        pytest.skip("ferrograd.nn.Parameter is not available in this build")
    torch = torch_ref
    loaded = torch.load(io.BytesIO(save_bytes({"p": parameter_class(fg.ones(3))})), weights_only=True)
    assert isinstance(loaded["p"], torch.nn.Parameter) and loaded["p"].requires_grad


def test_archive_layout_matches_torch(torch_ref):
    torch = torch_ref
    ours = zipfile.ZipFile(io.BytesIO(save_bytes({"a": fg.ones(3), "b": fg.zeros(2, dtype=fg.int64)})))
    theirs = zipfile.ZipFile(io.BytesIO(torch_save_bytes(torch, {"a": torch.ones(3), "b": torch.zeros(2, dtype=torch.int64)})))

    def records(archive):
        return {info.filename.split("/", 1)[1] for info in archive.infolist()}

    assert records(ours) == records(theirs)
    for name in ("byteorder", "version", ".format_version", ".storage_alignment"):
        assert ours.read(f"archive/{name}") == theirs.read(theirs.namelist()[0].split("/")[0] + f"/{name}")
    assert all(info.compress_type == zipfile.ZIP_STORED for info in ours.infolist())
    assert len(ours.read("archive/.data/serialization_id")) == 40


def test_record_data_is_64_byte_aligned(tmp_path):
    path = tmp_path / "aligned.pt"
    fg.save({"a": fg.ones(3), "b": fg.arange(5.0), "c": fg.tensor([True])}, path)
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name_length, extra_length = struct.unpack_from("<HH", raw, info.header_offset + 26)
            data_start = info.header_offset + 30 + name_length + extra_length
            if "/data/" in info.filename:
                assert data_start % 64 == 0, info.filename


def test_archive_name_follows_the_file_name(tmp_path):
    path = tmp_path / "model_weights.pt"
    fg.save({"a": fg.ones(1)}, str(path))
    with zipfile.ZipFile(path) as archive:
        assert "model_weights/data.pkl" in archive.namelist()


# ---------------------------------------------------------------------------
# torch.save -> ferrograd.load
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype_name", ALL_DTYPES)
def test_torch_checkpoint_of_every_dtype_loads(torch_ref, dtype_name):
    torch = torch_ref
    array = sample_array(dtype_name, (2, 3, 4), seed=3)
    base = torch_tensor(torch, array, dtype_name)
    state = {
        "base": base,
        "permuted": base.permute(2, 0, 1),
        "slice": base[1, :, 1:3],
        "strided": base[:, ::2, ::3],
        "scalar": base[1, 2, 3],
        "empty": base[:, 3:],
    }
    loaded = load_bytes(torch_save_bytes(torch, state))
    for key, want in state.items():
        got = loaded[key]
        assert str(got.dtype) == str(want.dtype), key
        assert tuple(got.shape) == tuple(want.shape), key
        np.testing.assert_array_equal(fg_values(got), torch_values(want), err_msg=key)
        if want.numel() > 0 and dtype_name != "bfloat16":
            assert tuple(got.stride()) == want.stride(), key


@pytest.mark.parametrize("dtype_name", ("float32", "float64", "float16", "int64", "bool"))
def test_torch_views_load_sharing_memory(torch_ref, dtype_name):
    torch = torch_ref
    base = torch_tensor(torch, sample_array(dtype_name, (3, 4), seed=4), dtype_name)
    loaded = load_bytes(torch_save_bytes(torch, {"base": base, "view": base[1:, 1:]}))
    loaded["view"].fill_(0)  # one storage: the base sees the write
    assert not fg_values(loaded["base"])[1:, 1:].any()
    assert fg_values(loaded["base"])[0].tolist() == torch_values(base)[0].tolist()


def test_torch_state_dict_and_optimizer_load(torch_ref):
    torch = torch_ref
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.randn(5, 3)).sum().backward()
    optimizer.step()
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3, "loss": 0.25,
                  "note": "adam", "nothing": None, "shape": torch.Size([4, 3])}
    loaded = load_bytes(torch_save_bytes(torch, checkpoint))

    assert isinstance(loaded["model"], collections.OrderedDict)
    assert list(loaded["model"]) == list(checkpoint["model"])
    for key, want in checkpoint["model"].items():
        np.testing.assert_array_equal(fg_values(loaded["model"][key]), torch_values(want))
    want_opt = checkpoint["optimizer"]
    assert loaded["optimizer"]["param_groups"] == want_opt["param_groups"]
    for index, slots in want_opt["state"].items():
        for slot, want in slots.items():
            np.testing.assert_array_equal(fg_values(loaded["optimizer"]["state"][index][slot]), torch_values(want))
    assert (loaded["epoch"], loaded["loss"], loaded["note"], loaded["nothing"]) == (3, 0.25, "adam", None)
    assert isinstance(loaded["shape"], fg.Size) and tuple(loaded["shape"]) == (4, 3)


def test_torch_parameters_load_requiring_grad(torch_ref):
    torch = torch_ref
    loaded = load_bytes(torch_save_bytes(torch, {"p": torch.nn.Parameter(torch.ones(2)), "t": torch.ones(2)}))
    assert loaded["p"].requires_grad and not loaded["t"].requires_grad
    parameter_class = getattr(fg.nn, "Parameter", None)
    if parameter_class is not None:
        assert isinstance(loaded["p"], parameter_class)


def test_unsupported_torch_dtype_is_named(torch_ref):
    torch = torch_ref
    data = torch_save_bytes(torch, {"x": torch.ones(2, dtype=torch.complex64)})
    with pytest.raises(pickle.UnpicklingError, match="complex64"):
        load_bytes(data)


def test_legacy_format_is_refused(torch_ref):
    torch = torch_ref
    buffer = io.BytesIO()
    torch.save({"x": torch.ones(2)}, buffer, _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="legacy"):
        load_bytes(buffer.getvalue())


# ---------------------------------------------------------------------------
# ferrograd round trips (no torch needed)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype_name", ALL_DTYPES)
def test_round_trip_every_dtype(dtype_name):
    array = sample_array(dtype_name, (3, 5), seed=5)
    base = fg_tensor(array, dtype_name)
    state = {"base": base, "t": base.t(), "col": base[:, 2], "empty": base[:0], "scalar": base[1, 1]}
    loaded = load_bytes(save_bytes(state))
    for key, want in state.items():
        assert str(loaded[key].dtype) == str(want.dtype)
        assert tuple(loaded[key].shape) == tuple(want.shape)
        np.testing.assert_array_equal(fg_values(loaded[key]), fg_values(want), err_msg=key)


@pytest.mark.parametrize("target", ["str", "pathlib", "file"])
def test_paths_and_file_objects(tmp_path, target):
    state = {"x": fg.arange(4.0), "n": [1, 2.5, "three", None, (4,)]}
    path = tmp_path / "ckpt.pt"
    if target == "str":
        fg.save(state, str(path))
        loaded = fg.load(str(path))
    elif target == "pathlib":
        fg.save(state, pathlib.Path(path))
        loaded = fg.load(pathlib.Path(path))
    else:
        with open(path, "wb") as f:
            fg.save(state, f)
        with open(path, "rb") as f:
            loaded = fg.load(f)
    assert loaded["n"] == [1, 2.5, "three", None, (4,)]
    np.testing.assert_array_equal(fg_values(loaded["x"]), np.arange(4.0))


def test_map_location_cpu_only():
    data = save_bytes({"x": fg.ones(1)})
    assert load_bytes(data, map_location="cpu")["x"].item() == 1
    assert load_bytes(data, map_location=fg.device("cpu"))["x"].item() == 1
    with pytest.raises(NotImplementedError):
        load_bytes(data, map_location="cuda:0")


# ---------------------------------------------------------------------------
# hostile files
# ---------------------------------------------------------------------------


def pickle_body(value):
    """Protocol-2 opcodes pushing ``value``, without PROTO and STOP."""
    return pickle.dumps(value, protocol=2)[2:-1]


def global_op(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def tensor_pickle(size, stride, offset, numel, storage_class="FloatStorage", key="0", requires_grad=False):
    """A hand-written data.pkl holding one torch._utils._rebuild_tensor_v2 call."""
    persistent_id = (
        b"(" + pickle_body("storage") + global_op("torch", storage_class) + pickle_body(key)
        + pickle_body("cpu") + pickle_body(numel) + b"tQ"
    )
    hooks = global_op("collections", "OrderedDict") + b")R"
    args = (
        b"(" + persistent_id + pickle_body(offset) + pickle_body(size) + pickle_body(stride)
        + (b"\x88" if requires_grad else b"\x89") + hooks + b"t"
    )
    return b"\x80\x02" + global_op("torch._utils", "_rebuild_tensor_v2") + args + b"R."


def make_archive(records):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in records.items():
            archive.writestr(f"archive/{name}", data)
    return buffer.getvalue()


def test_hand_written_tensor_pickle_loads():
    storage = np.arange(12, dtype=np.float32).tobytes()
    data = make_archive({"data.pkl": tensor_pickle((2, 3), (1, 2), 4, 12), "data/0": storage})
    np.testing.assert_array_equal(fg_values(load_bytes(data)), np.arange(4, 10).reshape(3, 2).T)


@pytest.mark.parametrize(
    "size, stride, offset, numel",
    [
        ((3, 4), (4, 1), 1, 12),  # one element past the end
        ((13,), (1,), 0, 12),
        ((2, 2), (100, 1), 0, 12),
        ((2,), (1,), 11, 12),
        ((0,), (1,), 13, 12),  # empty, but its offset lies past the end
        ((-1,), (1,), 0, 12),
        ((2,), (-1,), 5, 12),
        ((2,), (1,), -1, 12),
        ((2, 2), (1,), 0, 12),  # sizes and strides disagree
        ((2**62, 2**62), (0, 0), 0, 12),  # huge view of a tiny storage
        ((1 << 30,), (0,), 0, 12),
        ((2.0,), (1,), 0, 12),
        ((True,), (1,), 0, 12),
    ],
)
def test_windows_outside_their_storage_are_refused(size, stride, offset, numel):
    storage = np.zeros(12, dtype=np.float32).tobytes()
    data = make_archive({"data.pkl": tensor_pickle(size, stride, offset, numel), "data/0": storage})
    with pytest.raises(pickle.UnpicklingError):
        load_bytes(data)


@pytest.mark.parametrize("numel, record", [(1 << 60, 48), (13, 48), (11, 48), (12, 47), (-1, 0)])
def test_storage_record_size_must_match(numel, record):
    data = make_archive({"data.pkl": tensor_pickle((1,), (1,), 0, numel), "data/0": b"\0" * record})
    with pytest.raises(CLEAN_ERRORS):
        load_bytes(data)


def test_missing_storage_record():
    data = make_archive({"data.pkl": tensor_pickle((1,), (1,), 0, 1, key="7"), "data/0": b"\0" * 4})
    with pytest.raises(RuntimeError, match="missing"):
        load_bytes(data)


def test_storage_key_cannot_escape_the_archive():
    data = make_archive({"data.pkl": tensor_pickle((1,), (1,), 0, 1, key="../../etc/passwd")})
    with pytest.raises(RuntimeError):
        load_bytes(data)


def test_compressed_records_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", tensor_pickle((1,), (1,), 0, 1))
        archive.writestr("archive/data/0", b"\0" * 4)
    with pytest.raises(RuntimeError, match="compressed"):
        load_bytes(buffer.getvalue())


class _RunsCode:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


@pytest.mark.parametrize(
    "payload, named",
    [
        (lambda marker: _RunsCode(os.system, f"touch {marker}"), "(os|posix).system"),
        (lambda marker: _RunsCode(eval, f"open({str(marker)!r}, 'w').close()"), "builtins.eval"),
        (lambda marker: _RunsCode(exec, f"open({str(marker)!r}, 'w').close()"), "builtins.exec"),
        (lambda marker: _RunsCode(getattr, "text", "upper"), "builtins.getattr"),
        (lambda marker: {"nested": [_RunsCode(pathlib.Path.touch, pathlib.Path(marker))]}, "(pathlib|builtins.getattr)"),
    ],
)
@pytest.mark.parametrize("weights_only", [True, False])
def test_forbidden_globals_are_refused_and_never_run(tmp_path, payload, named, weights_only):
    marker = tmp_path / "ran"
    data = make_archive({"data.pkl": pickle.dumps(payload(marker), protocol=2)})
    with pytest.raises(pickle.UnpicklingError, match=f"Unsupported global: GLOBAL {named}"):
        load_bytes(data, weights_only=weights_only)
    assert not marker.exists()


def test_protocol_0_instance_opcode_is_refused(tmp_path):
    marker = tmp_path / "ran"
    # INST opcode: 'i' module\nname\n after a MARK and the arguments.
    body = b"(S'touch " + str(marker).encode() + b"'\nios\nsystem\n."
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL os.system"):
        load_bytes(make_archive({"data.pkl": body}))
    assert not marker.exists()


def test_not_a_checkpoint():
    with pytest.raises(RuntimeError):
        load_bytes(b"hello world, not a zip")
    with pytest.raises(RuntimeError):
        load_bytes(b"")
    with pytest.raises(RuntimeError, match="data.pkl"):
        load_bytes(make_archive({"something_else": b"x"}))


def reference_checkpoint():
    base = fg_tensor(sample_array("float32", (4, 4), seed=6), "float32")
    return save_bytes({
        "base": base,
        "view": base[1:, ::2],
        "half": fg.ones(3, dtype=fg.float16),
        "bf": fg.ones(2, dtype=fg.bfloat16),
        "flags": fg.tensor([True, False]),
        "ints": fg.arange(5),
        "meta": {"lr": 0.1, "steps": [1, 2, 3], "name": "x", "shape": fg.Size([2])},
    })


def test_truncated_files_raise_clean_errors():
    data = reference_checkpoint()
    cuts = sorted(set(range(0, len(data), 7)) | {len(data) - 1, len(data) - 22, 1, 4})
    for cut in cuts:
        with pytest.raises(CLEAN_ERRORS):
            load_bytes(data[:cut])


def test_random_byte_corruption_raises_clean_errors_or_loads():
    data = reference_checkpoint()
    rng = random.Random(1234)
    for _ in range(300):
        corrupted = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            corrupted[rng.randrange(len(corrupted))] = rng.randrange(256)
        try:
            load_bytes(bytes(corrupted))
        except CLEAN_ERRORS:
            pass


def test_corrupted_pickles_with_valid_zip_raise_clean_errors_or_load():
    # Re-zipping after corrupting data.pkl gets past the CRC check, so the
    # unpickler itself meets the damage.
    with zipfile.ZipFile(io.BytesIO(reference_checkpoint())) as archive:
        records = {info.filename.split("/", 1)[1]: archive.read(info) for info in archive.infolist()}
    pickled = records["data.pkl"]
    rng = random.Random(99)
    for trial in range(400):
        corrupted = bytearray(pickled)
        if trial % 4 == 0:
            corrupted = corrupted[: rng.randrange(len(corrupted))]
        else:
            for _ in range(rng.randint(1, 3)):
                corrupted[rng.randrange(len(corrupted))] = rng.randrange(256)
        try:
            load_bytes(make_archive({**records, "data.pkl": bytes(corrupted)}))
        except CLEAN_ERRORS:
            pass


def test_bool_storage_bytes_other_than_0_and_1_load_as_true():
    data = make_archive({"data.pkl": tensor_pickle((3,), (1,), 0, 3, storage_class="BoolStorage"),
                         "data/0": b"\x00\x07\x01"})
    assert load_bytes(data).tolist() == [False, True, True]


def test_state_dict_metadata_attribute_survives(torch_ref):
    torch = torch_ref
    state = torch.nn.Linear(2, 2).state_dict()
    loaded = load_bytes(torch_save_bytes(torch, state))
    assert loaded._metadata == state._metadata


def test_setting_state_on_a_tensor_is_refused():
    # BUILD on a rebuilt tensor would call its attribute setters with file data.
    body = tensor_pickle((1,), (1,), 0, 1)[:-1] + pickle_body({"requires_grad": True}) + b"b."
    data = make_archive({"data.pkl": body, "data/0": b"\0" * 4})
    with pytest.raises(pickle.UnpicklingError, match="setting state"):
        load_bytes(data)


def test_bytearray_of_a_huge_length_is_refused():
    body = b"\x80\x02" + global_op("builtins", "bytearray") + pickle_body((1 << 40,)) + b"R."
    with pytest.raises(pickle.UnpicklingError, match="bytearray"):
        load_bytes(make_archive({"data.pkl": body}))


def test_bytearray_contents_load():
    assert load_bytes(save_bytes({"b": bytearray(b"\x00\x01xyz")}))["b"] == bytearray(b"\x00\x01xyz")


def test_detached_alias_shares_the_storage_record(torch_ref):
    torch = torch_ref
    base = fg.arange(4.0, requires_grad=True)
    loaded = torch.load(io.BytesIO(save_bytes({"w": base, "alias": base.detach()[1:]})), weights_only=True)
    assert loaded["alias"].untyped_storage().data_ptr() == loaded["w"].untyped_storage().data_ptr()
    assert loaded["alias"].storage_offset() == 1
    assert torch.equal(loaded["alias"], torch.arange(1.0, 4.0))


def test_big_endian_checkpoint_loads():
    values = np.array([1.5, -2.0, 3.25], dtype=">f8")
    data = make_archive({
        "data.pkl": tensor_pickle((3,), (1,), 0, 3, storage_class="DoubleStorage"),
        "byteorder": b"big",
        "data/0": values.tobytes(),
    })
    assert load_bytes(data).tolist() == [1.5, -2.0, 3.25]


def test_unknown_byteorder_is_refused():
    data = make_archive({"data.pkl": tensor_pickle((1,), (1,), 0, 1), "byteorder": b"middle", "data/0": b"\0" * 4})
    with pytest.raises(RuntimeError, match="byteorder"):
        load_bytes(data)


def test_torch_device_and_counter_load(torch_ref):
    torch = torch_ref
    loaded = load_bytes(torch_save_bytes(torch, {"device": torch.device("cpu"), "count": collections.Counter("aab")}))
    assert str(loaded["device"]) == "cpu"
    assert loaded["count"] == collections.Counter("aab")


def test_damaged_storage_bytes_fail_the_crc_check():
    data = bytearray(save_bytes({"x": fg.ones(1000)}))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("archive/data/0")
    name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
    data[info.header_offset + 30 + name_length + extra_length + 100] ^= 0xFF
    with pytest.raises(RuntimeError, match="CRC"):
        load_bytes(bytes(data))


def test_torch_mmap_load_reads_our_aligned_records(torch_ref, tmp_path):
    torch = torch_ref
    path = tmp_path / "mapped.pt"
    fg.save({"a": fg.arange(10.0), "b": fg.tensor([True, False]), "c": fg.arange(3)}, path)
    loaded = torch.load(path, mmap=True, weights_only=True)
    assert torch.equal(loaded["a"], torch.arange(10.0))
    assert torch.equal(loaded["b"], torch.tensor([True, False]))
    assert torch.equal(loaded["c"], torch.arange(3))
