"""ferrograd has no CUDA backend: these answer as PyTorch does on a CPU-only build."""


def is_available():
    return False


def device_count():
    return 0
