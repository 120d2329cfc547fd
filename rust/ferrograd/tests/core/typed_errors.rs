//! Shape, dtype, index and device failures come back as typed errors that
//! carry their data and still render PyTorch's exact message.

use ferrograd::error::{IntList, ShapeList};
use ferrograd::{DType, Device, Error, Tensor};

fn floats(values: Vec<f32>, shape: &[usize]) -> Tensor {
    Tensor::from_vec(values, shape).unwrap()
}

fn longs(values: Vec<i64>, shape: &[usize]) -> Tensor {
    Tensor::from_vec(values, shape).unwrap()
}

#[test]
fn transpose_of_a_3d_tensor_names_the_op_and_its_rank() {
    let err = Tensor::zeros(&[2, 2, 2], DType::F32).unwrap().t().unwrap_err();
    assert!(matches!(err, Error::TransposeNdim { op: "t()", ndim: 3 }));
    assert_eq!(err.to_string(), "t() expects a tensor with <= 2 dimensions, but self is 3D");
}

#[test]
fn mm_of_a_vector_reports_the_operand_that_is_not_a_matrix() {
    let (v, m) = (floats(vec![1.0, 2.0], &[2]), floats(vec![1.0; 4], &[2, 2]));
    let err = v.mm(&m).unwrap_err();
    assert!(matches!(err, Error::NotAMatrix { arg: "self", ndim: 1 }));
    assert_eq!(err.to_string(), "self must be a matrix, got 1-D tensor");
    assert_eq!(m.mm(&v).unwrap_err().to_string(), "mat2 must be a matrix, got 1-D tensor");
}

#[test]
fn cat_reports_the_first_size_that_differs_off_the_cat_dim() {
    let (a, b) = (floats(vec![0.0; 6], &[2, 3]), floats(vec![0.0; 8], &[2, 4]));
    let err = Tensor::cat(&[a.clone(), b], 0).unwrap_err();
    assert!(matches!(err, Error::ConcatSizeMismatch { dim: 0, expected: 3, got: 4, index: 1 }));
    assert_eq!(err.to_string(), "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1 in the list.");
    let err = Tensor::cat(&[a, floats(vec![0.0; 2], &[2])], 0).unwrap_err();
    assert_eq!(err.to_string(), "Tensors must have same number of dimensions: got 2 and 1");
}

#[test]
fn stack_reports_both_shapes() {
    let err = Tensor::stack(&[floats(vec![0.0; 2], &[2]), floats(vec![0.0; 3], &[3])], 0).unwrap_err();
    assert!(matches!(&err, Error::StackShapeMismatch { first, other, index: 1 } if first.0 == [2] && other.0 == [3]));
    assert_eq!(err.to_string(), "stack expects each tensor to be equal size, but got [2] at entry 0 and [3] at entry 1");
}

#[test]
fn where_with_a_float_condition_names_the_dtype_as_pytorch_does() {
    let x = floats(vec![1.0, 2.0], &[2]);
    let err = Tensor::where_cond(&x, &x, &x).unwrap_err();
    assert!(matches!(err, Error::UnexpectedDType { got: DType::F32, .. }));
    assert_eq!(err.to_string(), "where expected condition to be a boolean tensor, but got a tensor with dtype Float");
}

#[test]
fn gather_past_the_end_of_a_dim_is_an_index_error_with_its_data() {
    let err = floats(vec![1.0, 2.0, 3.0], &[3]).gather(0, &longs(vec![0, 5], &[2])).unwrap_err();
    assert!(matches!(err, Error::IndexOutOfBounds { index: 5, dim: 0, size: 3 }));
    assert_eq!(err.to_string(), "index 5 is out of bounds for dimension 0 with size 3");
}

#[test]
fn negative_sizes_and_dtype_mismatches_render_as_pytorch() {
    let err = Error::NegativeDimension { dim: -2, sizes: IntList(vec![3, -2]) };
    assert_eq!(err.to_string(), "Trying to create tensor with negative dimension -2: [3, -2]");
    let err = Error::ScalarTypeMismatch { expected: DType::F32, found: DType::F64 };
    assert_eq!(err.to_string(), "expected scalar type Float but found Double");
    let err = Error::DTypesDiffer { what: "m1 and m2", lhs: DType::F32, rhs: DType::F64 };
    assert_eq!(err.to_string(), "expected m1 and m2 to have the same dtype, but got: float != double");
    let err = Error::OutputShapeMismatch { output: ShapeList(vec![1]), broadcast: ShapeList(vec![2, 1]) };
    assert_eq!(err.to_string(), "output with shape [1] doesn't match the broadcast shape [2, 1]");
}

#[test]
fn device_strings_that_do_not_parse_keep_the_text() {
    let err = Device::parse("cpu:x").unwrap_err();
    assert!(matches!(&err, Error::InvalidDeviceString(text) if text == "cpu:x"));
    assert_eq!(err.to_string(), "Invalid device string: 'cpu:x'");
    let err = Device::parse("tpu").unwrap_err();
    assert_eq!(err.to_string(), "Expected one of cpu, wgpu device type at start of device string: tpu");
}
