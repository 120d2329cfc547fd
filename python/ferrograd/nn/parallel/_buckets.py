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


# The bucket holding the first-defined parameters is small, as PyTorch's
# (torch.distributed._DEFAULT_FIRST_BUCKET_BYTES): their gradients come last
# in backward, and a small bucket leaves little to send after backward ends.
FIRST_BUCKET_BYTES = 1024 * 1024


def bucket_indices(params, size_limits):
    """PyTorch's ``_compute_bucket_assignment_by_size`` for dense tensors.

    Parameters are taken in registration order and grouped by dtype; a
    dtype's k-th bucket closes once it holds ``size_limits[k]`` bytes or more
    (the last limit repeats). Buckets come out ordered by their first index.
    """
    result = []
    open_buckets = {}
    for i, p in enumerate(params):
        key = str(p.dtype)
        indices, size, k = open_buckets.get(key, ([], 0, 0))
        indices.append(i)
        size += p.numel() * p.element_size()
        if size >= size_limits[min(k, len(size_limits) - 1)]:
            result.append(indices)
            open_buckets[key] = ([], 0, k + 1)
        else:
            open_buckets[key] = (indices, size, k)
    result.extend(indices for indices, _, _ in open_buckets.values() if indices)
    return sorted(result, key=min)


def assign_buckets(params, bucket_cap_bytes):
    """Buckets in the order backward is expected to finish them: PyTorch's
    assignment (limits ``[1 MB, bucket_cap_bytes]``), last bucket first."""
    limits = [min(FIRST_BUCKET_BYTES, bucket_cap_bytes), bucket_cap_bytes]
    return [Bucket(params, indices, _numpy_dtype(params[indices[0]].dtype)) for indices in reversed(bucket_indices(params, limits))]
