"""numpy interop that cannot corrupt memory.

`from_numpy` shares the array's memory, so whatever it accepts must be valid
for the tensor's element type, aligned, and writable unless the tensor refuses
writes. `tensor(array)` copies and may convert anything numpy can. Probes that
could crash the interpreter when broken run in a child process.
"""

import sys

import numpy as np
import pytest

import ferrograd as torch
from child_process import run_child


def bool_array_with_bytes(values):
    """A numpy bool array whose bytes are `values`, 0/1 or not."""
    return np.array(values, dtype=np.uint8).view(np.bool_)


# ---- bool arrays whose bytes are not 0/1 ----------------------------------------

def test_tensor_of_bool_array_with_non_0_1_bytes_reads_nonzero_as_true():
    code = """
    import json, numpy as np, ferrograd as torch
    arr = np.frombuffer(bytes([0, 2, 255, 1]), dtype=np.bool_)
    out = {}
    for name, make in [("tensor", torch.tensor), ("as_tensor", torch.as_tensor)]:
        t = make(arr)
        out[name] = [t.tolist(), t.sum().item(), repr(t)]
    print(json.dumps(out))
    """
    out = run_child(code)
    arr = np.frombuffer(bytes([0, 2, 255, 1]), dtype=np.bool_)
    truth = (arr.view(np.uint8) != 0).tolist()
    for name in ("tensor", "as_tensor"):
        values, total, text = out[name]
        assert values == truth
        assert total == sum(truth)
        assert text == repr(torch.tensor(truth))


def test_tensor_of_strided_bool_array_with_non_0_1_bytes():
    arr = bool_array_with_bytes([[0, 7], [9, 1]]).T
    t = torch.tensor(arr)
    assert t.tolist() == (arr.view(np.uint8) != 0).tolist()


def test_from_numpy_refuses_bool_array_with_non_0_1_bytes():
    code = """
    import json, numpy as np, ferrograd as torch
    out = []
    for arr in [np.frombuffer(bytes([0, 2, 255]), dtype=np.bool_),
                np.array([1, 2], np.uint8).view(np.bool_),
                np.frombuffer(bytes([1, 7, 0]), dtype=np.bool_)[::2]]:
        try:
            torch.from_numpy(arr)
            out.append(None)
        except ValueError as e:
            out.append(str(e))
    print(json.dumps(out))
    """
    for message in run_child(code):
        assert message is not None and "bytes other than 0 and 1" in message


def test_from_numpy_shares_a_valid_bool_array():
    arr = np.array([True, False, True])
    t = torch.from_numpy(arr)
    arr[1] = True
    assert t.tolist() == [True, True, True]
    t[0] = False
    assert arr.tolist() == [False, True, True]


# ---- read-only arrays -------------------------------------------------------------

def read_only_sources(tmp_path):
    """Non-writable arrays of every origin: bytes, a read-only memmap, setflags."""
    path = tmp_path / "data.bin"
    np.arange(6, dtype=np.float64).tofile(path)
    return {
        "frombuffer": "np.frombuffer(np.arange(6, dtype=np.float64).tobytes(), dtype=np.float64)",
        "memmap": f"np.memmap({str(path)!r}, dtype=np.float64, mode='r', shape=(6,))",
        "setflags": "np.arange(6, dtype=np.float64); arr.setflags(write=False)",
    }


def warning_from_child(module, source):
    code = f"""
    import json, warnings, numpy as np, {module} as torch
    arr = {source}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.from_numpy(arr)
        torch.from_numpy(arr)
    print(json.dumps([[w.category.__name__, str(w.message), w.filename] for w in caught]))
    """
    return run_child(code)


def test_from_numpy_of_read_only_array_warns_once_like_pytorch(torch_ref):
    source = "np.frombuffer(bytes(16), dtype=np.float64)"
    ours = warning_from_child("ferrograd", source)
    theirs = warning_from_child("torch", source)
    assert len(ours) == len(theirs) == 1
    assert ours[0][0] == theirs[0][0] == "UserWarning"
    # PyTorch appends where in its C++ sources the warning was raised.
    assert theirs[0][1].startswith(ours[0][1])
    assert ours[0][2] == "<string>"


@pytest.mark.parametrize("origin", ["frombuffer", "memmap", "setflags"])
def test_in_place_writes_into_read_only_array_are_refused(tmp_path, origin):
    source = read_only_sources(tmp_path)[origin]
    code = f"""
    import json, warnings, numpy as np, ferrograd as torch
    warnings.simplefilter("ignore")
    arr = {source}
    t = torch.from_numpy(arr).view(2, 3)
    writes = {{
        "add_": lambda: t.add_(1),
        "mul_ view": lambda: t[1].mul_(2),
        "setitem": lambda: t.__setitem__(0, 5.0),
        "setitem index": lambda: t.__setitem__(torch.tensor([0, 1]), 5.0),
        "fill_": lambda: t.fill_(1.0),
        "zero_ detach": lambda: t.detach().zero_(),
        "copy_": lambda: t.copy_(torch.ones(2, 3, dtype=torch.float64)),
        "clamp_ transpose": lambda: t.t().clamp_(min=3.0),
        "index_put_": lambda: t.index_put_((torch.tensor([0]),), torch.tensor(9.0, dtype=torch.float64)),
        "index_fill_": lambda: t.index_fill_(1, torch.tensor([0]), 9.0),
        "relu_": lambda: t.sub_(10).relu_(),
        "iadd": lambda: t.__iadd__(1),
    }}
    out = {{}}
    for name, write in writes.items():
        try:
            write()
            out[name] = None
        except RuntimeError as e:
            out[name] = str(e)
    out["values"] = t.flatten().tolist()
    out["clone writable"] = t.clone().add_(1).flatten().tolist()
    print(json.dumps(out))
    """
    out = run_child(code)
    values = list(map(float, range(6)))
    assert out.pop("values") == values
    assert out.pop("clone writable") == [v + 1 for v in values]
    for name, message in out.items():
        assert message is not None and "not writable" in message, name


def test_numpy_of_read_only_tensor_is_read_only(tmp_path):
    source = read_only_sources(tmp_path)["memmap"]
    code = f"""
    import json, warnings, numpy as np, ferrograd as torch
    warnings.simplefilter("ignore")
    arr = {source}
    t = torch.from_numpy(arr)
    out = {{}}
    for name, view in [("tensor", t.numpy()), ("view", t[2:].numpy()), ("detached", t.detach().numpy())]:
        try:
            view.setflags(write=True)
        except ValueError:
            pass
        out[name] = [bool(view.flags.writeable), view.tolist()]
    out["copy"] = bool(t.clone().numpy().flags.writeable)
    print(json.dumps(out))
    """
    out = run_child(code)
    assert out.pop("copy") is True
    for name, (writeable, values) in out.items():
        assert writeable is False, name
    assert out["view"][1] == list(map(float, range(2, 6)))


def test_writable_array_still_shares_both_ways():
    arr = np.zeros(4)
    t = torch.from_numpy(arr)
    t.add_(1)
    assert arr.tolist() == [1.0] * 4
    assert t.numpy().flags.writeable


# ---- which arrays from_numpy shares ----------------------------------------------

SHARED_DTYPES = [np.float64, np.float32, np.float16, np.int64, np.bool_]


@pytest.mark.parametrize("dtype", SHARED_DTYPES)
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "strided"])
def test_from_numpy_shares_memory_for_every_supported_dtype(dtype, layout):
    base = np.zeros((4, 6), dtype=dtype)
    arr = {"contiguous": base, "transposed": base.T, "strided": base[::2, 1::3]}[layout]
    t = torch.from_numpy(arr)
    assert list(t.shape) == list(arr.shape)
    arr[...] = 1
    assert t.tolist() == arr.tolist()
    t.zero_()
    assert not arr.any()


@pytest.mark.parametrize("dtype", ["uint16", "uint32", "uint64"])
def test_from_numpy_refuses_integer_dtypes_it_has_no_tensor_type_for(dtype):
    with pytest.raises(TypeError, match=f"numpy.{dtype}.*not supported yet"):
        torch.from_numpy(np.zeros(3, dtype=dtype))


@pytest.mark.parametrize("dtype", ["uint16", "uint32"])
def test_tensor_copies_integer_dtypes_it_has_no_tensor_type_for_to_int64(dtype):
    arr = np.array([1, 2, 100], dtype=dtype)
    t = torch.tensor(arr)
    assert t.dtype == torch.int64
    assert t.tolist() == arr.tolist()


def test_tensor_of_uint64_values_beyond_int64_is_refused():
    small = np.array([0, 2**63 - 1], dtype=np.uint64)
    assert torch.tensor(small).tolist() == small.tolist()
    with pytest.raises(ValueError, match="uint64"):
        torch.tensor(np.array([1, 2**63], dtype=np.uint64))


def expect_same_error(torch_ref, make_array, ours_only=False):
    """from_numpy raises PyTorch's exception type and message for this array."""
    with pytest.raises(Exception) as theirs:
        torch_ref.from_numpy(make_array())
    with pytest.raises(theirs.type) as ours:
        torch.from_numpy(make_array())
    assert str(ours.value) == str(theirs.value)


def test_from_numpy_refuses_foreign_byte_order_like_pytorch(torch_ref):
    expect_same_error(torch_ref, lambda: np.arange(3, dtype=">f8" if sys.byteorder == "little" else "<f8"))


def test_from_numpy_refuses_strides_not_multiple_of_itemsize_like_pytorch(torch_ref):
    expect_same_error(torch_ref, lambda: np.lib.stride_tricks.as_strided(np.zeros(4), shape=(2,), strides=(12,)))


def test_from_numpy_refuses_negative_strides_like_pytorch(torch_ref):
    expect_same_error(torch_ref, lambda: np.arange(4.0)[::-1])


@pytest.mark.parametrize("dtype", [np.longdouble, object, "U3", np.complex64])
def test_from_numpy_refuses_types_it_cannot_hold(dtype):
    if np.dtype(dtype) == np.float64:
        pytest.skip("longdouble is float64 on this platform")
    name = np.dtype(dtype).type.__name__
    with pytest.raises(TypeError, match=f"np.ndarray of type numpy.{name}"):
        torch.from_numpy(np.zeros(2, dtype=dtype))


def test_tensor_of_longdouble_is_refused_like_pytorch(torch_ref):
    if np.dtype(np.longdouble) == np.float64:
        pytest.skip("longdouble is float64 on this platform")
    with pytest.raises(TypeError) as theirs:
        torch_ref.tensor(np.zeros(2, dtype=np.longdouble))
    with pytest.raises(TypeError) as ours:
        torch.tensor(np.zeros(2, dtype=np.longdouble))
    prefix = str(theirs.value).split(" The only")[0]
    assert str(ours.value).startswith(prefix)


def test_from_numpy_refuses_misaligned_memory():
    raw = np.zeros(8 * 4 + 1, dtype=np.uint8)
    misaligned = raw[1:].view(np.float64)
    assert not misaligned.flags.aligned
    with pytest.raises(ValueError, match="not aligned"):
        torch.from_numpy(misaligned)
    # Copying is always possible.
    assert torch.tensor(misaligned).tolist() == [0.0] * 4


def test_from_numpy_of_empty_array():
    for dtype in SHARED_DTYPES:
        t = torch.from_numpy(np.zeros((0, 3), dtype=dtype))
        assert list(t.shape) == [0, 3]
