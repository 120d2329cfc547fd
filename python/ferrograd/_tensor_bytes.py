"""Raw element bytes of tensors, for the file formats (checkpoints, safetensors).

Every dtype is moved through numpy.  numpy has no bfloat16, so bfloat16 data
travels as ``uint16`` bit patterns: the upper half of the float32 with the
same value, which is exact in both directions.
"""

import numpy as np

import ferrograd


class DTypeInfo:
    """How one ferrograd dtype is stored: its numpy twin and its names on disk."""

    __slots__ = ("dtype_name", "numpy_dtype", "itemsize", "torch_storage", "safetensors_code")

    def __init__(self, dtype_name, numpy_dtype, torch_storage, safetensors_code):
        self.dtype_name = dtype_name
        self.numpy_dtype = np.dtype(numpy_dtype)
        self.itemsize = self.numpy_dtype.itemsize
        self.torch_storage = torch_storage
        self.safetensors_code = safetensors_code

    @property
    def dtype(self):
        return getattr(ferrograd, self.dtype_name)


DTYPES = (
    DTypeInfo("float32", "<f4", "FloatStorage", "F32"),
    DTypeInfo("float64", "<f8", "DoubleStorage", "F64"),
    DTypeInfo("float16", "<f2", "HalfStorage", "F16"),
    DTypeInfo("bfloat16", "<u2", "BFloat16Storage", "BF16"),
    DTypeInfo("int64", "<i8", "LongStorage", "I64"),
    DTypeInfo("int32", "<i4", "IntStorage", "I32"),
    DTypeInfo("int16", "<i2", "ShortStorage", "I16"),
    DTypeInfo("int8", "|i1", "CharStorage", "I8"),
    DTypeInfo("uint8", "|u1", "ByteStorage", "U8"),
    DTypeInfo("bool", "|b1", "BoolStorage", "BOOL"),
)
BY_DTYPE_NAME = {info.dtype_name: info for info in DTYPES}
BY_TORCH_STORAGE = {info.torch_storage: info for info in DTYPES}
BY_SAFETENSORS_CODE = {info.safetensors_code: info for info in DTYPES}


def dtype_info(tensor_dtype):
    """The :class:`DTypeInfo` of a ferrograd dtype (``str(dtype)`` is ``torch.<name>``)."""
    name = str(tensor_dtype).rsplit(".", 1)[-1]
    try:
        return BY_DTYPE_NAME[name]
    except KeyError:
        raise TypeError(f"dtype {tensor_dtype} cannot be serialized") from None


def tensor_to_numpy(tensor):
    """A numpy array with the tensor's layout and raw element values.

    For dtypes numpy has, this is a view of the tensor's memory (strides kept);
    bfloat16 comes back as a fresh contiguous ``uint16`` array of bit patterns.
    """
    data = tensor.detach()
    if str(data.dtype) == "torch.bfloat16":
        wide = data.float().numpy().astype(np.float32, order="C")
        # np.asarray: shifting a 0-d array yields a numpy scalar
        return np.asarray((wide.view(np.uint32) >> 16).astype(np.uint16))
    return data.numpy()


def contiguous_bytes(tensor):
    """The tensor's elements in row-major order as a little-endian numpy array."""
    array = tensor_to_numpy(tensor)
    return array if array.flags.c_contiguous else array.copy(order="C")


def tensor_from_numpy(array, info):
    """A ferrograd tensor of dtype ``info`` from raw values ``array``.

    ``array`` holds the on-disk element type (``uint16`` for bfloat16).  For all
    dtypes but bfloat16 the tensor shares ``array``'s memory, so tensors built
    from views of one buffer share storage.
    """
    if array.size == 0:
        # Built by the core so an empty tensor gets row-major strides.
        return ferrograd.empty(array.shape, dtype=info.dtype)
    if info.dtype_name == "bfloat16":
        bits = np.asarray(array.astype(np.uint32, order="C") << 16)
        return ferrograd.from_numpy(bits.view(np.float32)).bfloat16()
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("="))
    return ferrograd.from_numpy(array)


def bool_bytes_sanitized(raw_uint8):
    """Bytes of a bool buffer with every nonzero byte turned into 1.

    numpy and the Rust core assume a bool byte is 0 or 1; files may say otherwise.
    """
    if raw_uint8.size and int(raw_uint8.max()) > 1:
        return (raw_uint8 != 0).astype(np.uint8)
    return raw_uint8
