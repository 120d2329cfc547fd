"""torch.device: names where a tensor lives, the CPU or the wgpu GPU device
(`wgpu`, `wgpu:0`; see ferrograd.wgpu)."""


class device:
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        if ":" in type:
            type, _, idx = type.partition(":")
            index = int(idx)
        if type not in ("cpu", "cuda", "meta", "wgpu"):
            raise RuntimeError(
                "Expected one of cpu, cuda, meta, wgpu device type at start of device string: " + type
            )
        self.type = type
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))


CPU = device("cpu")


def get_default_device():
    """The device factories use when none is given: always the CPU here."""
    return CPU


def set_default_device(device_):
    """Accepts the CPU (or None, PyTorch's reset); any other device is
    refused now, as the factories would refuse it later."""
    if device_ is None or device(device_).type == "cpu":
        return
    if device(device_).type == "cuda":
        raise AssertionError("Torch not compiled with CUDA enabled")
    raise RuntimeError(f"ferrograd computes on the CPU only; cannot default to device '{device(device_)}'")
