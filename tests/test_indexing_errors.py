"""Bad arguments to indexing and the index ops raise PyTorch's exception type
with PyTorch's phrase. Each row runs on ferrograd, and on PyTorch when it is
installed, so the table itself is checked against the reference."""

import re
import warnings

import pytest

import ferrograd as torch


def x(L):
    return L.arange(12.0).reshape(3, 4)


def setitem(t, index, value):
    t[index] = value


ERRORS = [
    # __getitem__
    ("getitem_out_of_range", lambda L: x(L)[L.tensor([5])], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    ("getitem_list_out_of_range", lambda L: x(L)[[0, 5]], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    ("getitem_negative_out_of_range", lambda L: x(L)[[-4]], IndexError, "index -4 is out of bounds for dimension 0 with size 3"),
    ("getitem_second_index_out_of_range", lambda L: x(L)[:, [7]], IndexError, "index 7 is out of bounds for dimension 0 with size 4"),
    ("getitem_float_index", lambda L: x(L)[L.tensor([0.0])], IndexError, "tensors used as indices must be long, int, byte or bool tensors"),
    ("getitem_mask_shape", lambda L: x(L)[L.tensor([True, False])], IndexError,
     "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor [3, 4] at index 0"),
    ("getitem_mask_shape_dim1", lambda L: x(L)[:, L.tensor([True, False])], IndexError,
     "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor [3, 4] at index 1"),
    ("getitem_too_many", lambda L: x(L)[[0], [0], [0]], IndexError, "too many indices for tensor of dimension 2"),
    ("getitem_too_many_mask", lambda L: x(L)[L.ones(3, 4, dtype=L.bool), 0], IndexError, "too many indices for tensor of dimension 2"),
    ("getitem_broadcast", lambda L: x(L)[L.tensor([0, 1]), L.tensor([0, 1, 2])], IndexError,
     "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]"),
    ("getitem_0d_list", lambda L: L.tensor(1.0)[[0]], IndexError, "too many indices for tensor of dimension 0"),
    # __setitem__ and index_put
    ("setitem_value_shape", lambda L: setitem(x(L), [0, 1], L.ones(3)), RuntimeError,
     "shape mismatch: value tensor of shape [3] cannot be broadcast to indexing result of shape [2, 4]"),
    ("setitem_basic_value_shape", lambda L: setitem(x(L), 0, L.ones(3)), RuntimeError,
     "The expanded size of the tensor (4) must match the existing size (3) at non-singleton dimension 0.  Target sizes: [4].  Tensor sizes: [3]"),
    ("setitem_value_dtype", lambda L: setitem(x(L), [0], L.tensor([1, 2, 3, 4])), RuntimeError,
     "Index put requires the source and destination dtypes match, got Float for the destination and Long for the source."),
    ("setitem_out_of_range", lambda L: setitem(x(L), [3], 1.0), IndexError, "index 3 is out of bounds for dimension 0 with size 3"),
    ("setitem_list_value", lambda L: setitem(x(L), 0, [1.0, 2.0]), TypeError, "can't assign a list to a torch.FloatTensor"),
    ("setitem_leaf", lambda L: setitem(L.ones(3, requires_grad=True), [0], 2.0), RuntimeError,
     "a leaf Variable that requires grad is being used in an in-place operation."),
    ("setitem_view_of_leaf", lambda L: setitem(L.ones(2, 3, requires_grad=True), 0, 2.0), RuntimeError,
     "a view of a leaf Variable that requires grad is being used in an in-place operation."),
    ("index_put_out_of_range", lambda L: x(L).index_put_((L.tensor([5]),), L.tensor(1.0)), IndexError,
     "index 5 is out of bounds for dimension 0 with size 3"),
    ("index_put_dtype", lambda L: x(L).index_put((L.tensor([0]),), L.tensor(1)), RuntimeError,
     "Index put requires the source and destination dtypes match, got Float for the destination and Long for the source."),
    ("index_put_float_index", lambda L: x(L).index_put((L.tensor([0.0]),), L.tensor(1.0)), IndexError,
     "tensors used as indices must be long, int, byte or bool tensors"),
    ("index_put_none", lambda L: x(L).index_put((None, L.tensor([0])), L.tensor(1.0)), TypeError,
     "expected Tensor as element 0 in argument 0, but got NoneType"),
    ("index_put_number_values", lambda L: x(L).index_put((L.tensor([0]),), 1.0), TypeError,
     "index_put(): argument 'values' (position 2) must be Tensor, not float"),
    ("index_put_leaf", lambda L: L.ones(3, requires_grad=True).index_put_((L.tensor([0]),), L.tensor(1.0)), RuntimeError,
     "a leaf Variable that requires grad is being used in an in-place operation."),
    # gather / scatter / scatter_add / take_along_dim
    ("gather_index_dtype", lambda L: x(L).gather(1, L.tensor([[0.0]])), RuntimeError, "gather(): Expected dtype int32/int64 for index"),
    ("gather_bool_index", lambda L: x(L).gather(1, L.tensor([[True]])), RuntimeError, "gather(): Expected dtype int32/int64 for index"),
    ("gather_out_of_range", lambda L: x(L).gather(1, L.tensor([[7]])), RuntimeError, "index 7 is out of bounds for dimension 1 with size 4"),
    ("gather_negative", lambda L: x(L).gather(1, L.tensor([[-1]])), RuntimeError, "index -1 is out of bounds for dimension 1 with size 4"),
    ("gather_dim", lambda L: x(L).gather(2, L.tensor([[0]])), IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("gather_ndim", lambda L: x(L).gather(1, L.tensor([0])), RuntimeError, "Index tensor must have the same number of dimensions as input tensor"),
    ("gather_size", lambda L: x(L).gather(1, L.zeros(4, 1, dtype=L.int64)), RuntimeError,
     "Size does not match at dimension 0 expected index [4, 1] to be no larger than self [3, 4] apart from dimension 1"),
    ("scatter_index_dtype", lambda L: x(L).scatter(1, L.tensor([[0.0]]), 1.0), RuntimeError, "scatter(): Expected dtype int32/int64 for index"),
    ("scatter_out_of_range", lambda L: x(L).scatter(1, L.tensor([[7]]), 1.0), RuntimeError, "index 7 is out of bounds for dimension 1 with size 4"),
    ("scatter_src_dtype", lambda L: x(L).scatter(1, L.zeros(2, 1, dtype=L.int64), L.ones(2, 2, dtype=L.float64)), RuntimeError,
     "scatter(): Expected self.dtype to be equal to src.dtype"),
    ("scatter_ndim", lambda L: x(L).scatter(1, L.zeros(2, dtype=L.int64), L.ones(4, 4)), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    ("scatter_src_size", lambda L: x(L).scatter(1, L.zeros(2, 2, dtype=L.int64), L.ones(1, 1)), RuntimeError,
     "Expected index [2, 2] to be no larger than self [3, 4] apart from dimension 1 and to be no larger size than src [1, 1]"),
    ("scatter_add_out_of_range", lambda L: x(L).scatter_add(1, L.tensor([[7]]), x(L)), RuntimeError,
     "index 7 is out of bounds for dimension 1 with size 4"),
    ("scatter_add_src_dtype", lambda L: x(L).scatter_add(1, L.zeros(2, 1, dtype=L.int64), L.ones(2, 2, dtype=L.float64)), RuntimeError,
     "scatter(): Expected self.dtype to be equal to src.dtype"),
    ("take_along_dim_dtype", lambda L: x(L).take_along_dim(L.tensor([[0.0]]), 1), RuntimeError,
     "torch.take_along_dim(): dtype of indices should be Long but got Float"),
    ("take_along_dim_ndim", lambda L: x(L).take_along_dim(L.tensor([0]), 1), RuntimeError,
     "torch.take_along_dim(): input and indices should have the same number of dimensions, but got 2 dimensions for input, and 1 dimensions for indices"),
    # index_select / index_add / index_fill
    ("index_select_out_of_range", lambda L: x(L).index_select(0, L.tensor([7])), IndexError, "index out of range in self"),
    ("index_select_negative", lambda L: x(L).index_select(0, L.tensor([-1])), IndexError, "index out of range in self"),
    ("index_select_dtype", lambda L: x(L).index_select(0, L.tensor([0.0])), RuntimeError, "index_select(): Expected dtype int32 or int64 for index"),
    ("index_select_2d", lambda L: x(L).index_select(0, L.tensor([[0]])), IndexError, "index_select(): Index is supposed to be a vector"),
    ("index_select_dim", lambda L: x(L).index_select(-3, L.tensor([0])), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    ("index_add_out_of_range", lambda L: x(L).index_add(0, L.tensor([7]), L.ones(1, 4)), RuntimeError,
     "index 7 is out of bounds for dimension 0 with size 3"),
    ("index_add_negative", lambda L: x(L).index_add(0, L.tensor([-1]), L.ones(1, 4)), RuntimeError,
     "index -1 is out of bounds for dimension 0 with size 3"),
    ("index_add_dtype", lambda L: x(L).index_add(0, L.tensor([0.0]), L.ones(1, 4)), RuntimeError,
     "index_add_(): Expected dtype int32/int64 for index but got: Float"),
    ("index_add_source_shape", lambda L: x(L).index_add(0, L.tensor([0]), L.ones(1, 3)), RuntimeError,
     "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = [3, 4] source.shape = [1, 3]"),
    ("index_add_count", lambda L: x(L).index_add(0, L.tensor([0]), L.ones(2, 4)), RuntimeError,
     "index_add_(): Number of indices (1) should be equal to source.size(dim): (2), for dim: 0"),
    ("index_add_source_dtype", lambda L: x(L).index_add(0, L.tensor([0]), L.ones(1, 4, dtype=L.float64)), RuntimeError,
     "index_add_(): self (Float) and source (Double) must have the same scalar type"),
    ("index_add_2d_index", lambda L: x(L).index_add(0, L.tensor([[0]]), L.ones(1, 4)), IndexError,
     "index_add_(): Index is supposed to be a vector, but got dim: 2 with type: Long and size: [1, 1]"),
    ("index_fill_out_of_range", lambda L: x(L).index_fill(1, L.tensor([4]), 7.0), IndexError, "index 4 is out of bounds for dimension 1 with size 4"),
    ("index_fill_dtype", lambda L: x(L).index_fill(1, L.tensor([0.0]), 7.0), IndexError, "index_fill_(): Expected dtype int64 for index."),
    ("index_fill_2d", lambda L: x(L).index_fill(1, L.tensor([[0]]), 7.0), RuntimeError, "Index has to be a vector/scalar"),
    # masked_fill / masked_select
    ("masked_fill_long_mask", lambda L: x(L).masked_fill(L.tensor([1, 0, 0, 0]), 1.0), RuntimeError,
     "masked_fill_ only supports boolean masks, but got mask with dtype long int"),
    ("masked_fill_float_mask", lambda L: x(L).masked_fill(L.tensor([1.0, 0, 0, 0]), 1.0), RuntimeError,
     "masked_fill_ only supports boolean masks, but got mask with dtype float"),
    ("masked_fill_value_dims", lambda L: x(L).masked_fill(x(L) > 3, L.tensor([1.0])), RuntimeError,
     "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 dimension(s)."),
    ("masked_fill_shape", lambda L: x(L).masked_fill(L.tensor([True, False]), 1.0), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (4) at non-singleton dimension 1"),
    ("masked_fill_inplace_broadcast", lambda L: x(L)[:, :1].masked_fill_(L.tensor([True, False, True, False]), 1.0), RuntimeError,
     "output with shape [3, 1] doesn't match the broadcast shape [3, 4]"),
    ("masked_select_mask_dtype", lambda L: x(L).masked_select(L.tensor([1])), RuntimeError, "masked_select: expected BoolTensor for mask"),
]

IDS = [row[0] for row in ERRORS]


def raises(lib, fn, exc, phrase):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc, match=re.escape(phrase)):
            fn(lib)


@pytest.mark.parametrize("fn, exc, phrase", [row[1:] for row in ERRORS], ids=IDS)
def test_error_matches_pytorch_phrase(fn, exc, phrase):
    raises(torch, fn, exc, phrase)


@pytest.mark.parametrize("fn, exc, phrase", [row[1:] for row in ERRORS], ids=IDS)
def test_pytorch_raises_the_same(torch_ref, fn, exc, phrase):
    raises(torch_ref, fn, exc, phrase)


def test_failed_index_ops_leave_the_target_unchanged():
    t = torch.zeros(3)
    for bad in (lambda: t.index_put_((torch.tensor([0, 9]),), torch.tensor(1.0)),
                lambda: t.scatter_(0, torch.tensor([0, 9]), 1.0),
                lambda: t.index_add_(0, torch.tensor([0, 9]), torch.ones(2))):
        with pytest.raises((IndexError, RuntimeError)):
            bad()
    assert t.tolist() == [0.0, 0.0, 0.0]
    assert t._version == 0


INVALID_INDICES = [
    ("str", lambda T: T.zeros(3)["a"]),
    ("str_2d", lambda T: T.zeros(3, 3)["ab"]),
    ("str_in_tuple", lambda T: T.zeros(3, 3)[0, "a"]),
    ("str_in_list", lambda T: T.zeros(3, 3)[[0, "a"]]),
    ("float", lambda T: T.zeros(3)[1.5]),
    ("dict", lambda T: T.zeros(3)[{}]),
    ("object", lambda T: T.zeros(3)[object()]),
]


@pytest.mark.parametrize("fn", [r[1] for r in INVALID_INDICES], ids=[r[0] for r in INVALID_INDICES])
def test_invalid_index_type_matches_pytorch(torch_ref, fn):
    with pytest.raises(Exception) as theirs:
        fn(torch_ref)
    with pytest.raises(Exception) as ours:
        fn(torch)
    assert type(theirs.value) in (TypeError, IndexError)
    assert isinstance(ours.value, type(theirs.value))
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("index", [slice(None, None, -1), slice(None, None, 0), slice(None, None, 2), slice(1, None)])
def test_lone_slice_of_a_0d_tensor_fails_like_pytorch(torch_ref, index):
    def outcome(lib):
        try:
            lib.tensor(False)[index]
        except Exception as e:  # noqa: BLE001 - the type and message are what is compared
            return type(e).__name__, str(e)
        return None

    assert outcome(torch) == outcome(torch_ref)


@pytest.mark.parametrize("index", ["[0], ..., ...", "..., [0], ...", "..., 0, ...", "0, ..., ..."])
def test_several_ellipses_with_an_index_list_match_pytorch(torch_ref, index):
    shapes = [tuple(eval(f"lib.zeros(2, 3, 4)[{index}]", {"lib": lib}).shape) for lib in (torch, torch_ref)]
    assert shapes[0] == shapes[1]
