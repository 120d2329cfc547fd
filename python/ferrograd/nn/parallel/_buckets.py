"""Which gradients travel together: parameters grouped into flat buffers."""

import numpy as np

_NUMPY_DTYPE = {"float32": np.float32, "float64": np.float64, "float16": np.float16}


def _numpy_dtype(dtype):
    name = str(dtype).rsplit(".", 1)[-1]
    if name not in _NUMPY_DTYPE:
        raise TypeError(f"DistributedDataParallel cannot reduce gradients of dtype {dtype}")
    return _NUMPY_DTYPE[name]


class Bucket:
    """A flat buffer holding the gradients of ``indices`` (positions in the
    parameter list) one after another; ``views[k]`` is shaped like parameter k."""

    def __init__(self, params, indices, np_dtype):
        self.indices = list(indices)
        sizes = [params[i].numel() for i in self.indices]
        self.buffer = np.zeros(sum(sizes), dtype=np_dtype)
        self.views = {}
        offset = 0
        for i, size in zip(self.indices, sizes):
            self.views[i] = self.buffer[offset : offset + size].reshape(tuple(params[i].shape))
            offset += size


def assign_buckets(params, bucket_cap_bytes):
    """Buckets in the order backward is expected to finish them.

    Backward produces gradients roughly in reverse order of registration, so
    the parameters are taken last to first, as PyTorch does; each bucket holds
    one dtype and closes once it reaches ``bucket_cap_bytes``.
    """
    buckets = []
    open_buckets = {}
    for i in reversed(range(len(params))):
        p = params[i]
        np_dtype = _numpy_dtype(p.dtype)
        indices, size = open_buckets.get(np_dtype, ([], 0))
        indices.append(i)
        size += p.numel() * p.element_size()
        if size >= bucket_cap_bytes:
            buckets.append(Bucket(params, indices, np_dtype))
            open_buckets.pop(np_dtype, None)
        else:
            open_buckets[np_dtype] = (indices, size)
    for np_dtype, (indices, _) in open_buckets.items():
        buckets.append(Bucket(params, indices, np_dtype))
    return buckets
