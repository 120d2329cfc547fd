"""The wgpu GPU device: `tensor.to("wgpu")`, `device="wgpu"`.

One device, `wgpu:0`, on the adapter wgpu prefers (any Vulkan, Metal or
DX12 GPU; on Linux without one, Mesa's lavapipe software driver).

An op without a wgpu kernel raises NotImplementedError naming it; with the
environment variable FERROGRAD_WGPU_FALLBACK=1 it runs on the CPU instead
(operands copied there, the result copied back), with one UserWarning per
op name."""

from . import _ferrograd as _C


def is_available():
    """Whether a wgpu adapter can be opened (the first call opens it)."""
    return _C._wgpu_is_available()


def device_count():
    return _C._wgpu_device_count()


def get_device_name(device=None):
    """The adapter's name; `device` is an index, a string or a device object."""
    return _C._wgpu_get_device_name(_index(device))


def synchronize(device=None):
    """Waits for every kernel launched so far to finish."""
    _index(device)
    _C._wgpu_synchronize()


def empty_cache():
    """Frees the device buffers kept for reuse."""
    _C._wgpu_empty_cache()


def memory_reserved(device=None):
    """Bytes of idle device buffers kept for reuse."""
    _index(device)
    return _C._wgpu_cached_bytes()


def supports_dtype(dtype):
    """Whether the device computes in `dtype`: float32 always, float16 and
    float64 where the adapter has the shader-f16 and shader-f64 features.
    Tensors of other dtypes live on the device, but ops on them raise
    NotImplementedError (or, with FERROGRAD_WGPU_FALLBACK=1, run on the CPU)."""
    return _C._wgpu_supports_dtype(dtype)


def readback_count():
    """How many reads from device memory to the host have run in this
    process. Only values the caller asks for are read back (`.item()`,
    `.tolist()`, `.numpy()`, `.cpu()`, printing), so a training loop that
    reads its loss adds one per step."""
    return _C._wgpu_readback_count()


def _index(device):
    if device is None:
        return 0
    if isinstance(device, int):
        return device
    from ._device import device as _device

    d = _device(device)
    if d.type != "wgpu":
        raise ValueError(f"Expected a wgpu device, but got: {d}")
    return d.index or 0
