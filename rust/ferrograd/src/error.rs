//! The one error type of the crate. Each variant carries the data its message
//! needs, and the bindings map each variant to its own Python exception class.

use crate::dtype::DType;
use std::fmt;

pub type Result<T> = std::result::Result<T, Error>;

/// A shape printed the way PyTorch prints it: `[2, 3]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeList(pub Vec<usize>);

impl fmt::Display for ShapeList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{d}")?;
        }
        write!(f, "]")
    }
}

impl From<&[usize]> for ShapeList {
    fn from(s: &[usize]) -> Self {
        ShapeList(s.to_vec())
    }
}

/// Requested sizes, which may be negative, printed as PyTorch prints an
/// int list: `[2, -1]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntList(pub Vec<i64>);

impl fmt::Display for IntList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{d}")?;
        }
        write!(f, "]")
    }
}

impl From<&[i64]> for IntList {
    fn from(s: &[i64]) -> Self {
        IntList(s.to_vec())
    }
}

#[derive(thiserror::Error, Debug, Clone)]
pub enum Error {
    // Shape errors: RuntimeError in PyTorch.
    #[error("Expected all tensors to be on the same device, but found at least two devices, {0} and {1}!")]
    DeviceMismatch(crate::device::Device, crate::device::Device),
    #[error("The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton dimension {dim}")]
    BroadcastMismatch { a: usize, b: usize, dim: usize },
    #[error("mat1 and mat2 shapes cannot be multiplied ({m}x{k1} and {k2}x{n})")]
    MatmulShape { m: usize, k1: usize, k2: usize, n: usize },
    #[error("{op}: expected {expected}, but got shapes {lhs} and {rhs}")]
    ShapeMismatch { op: &'static str, expected: &'static str, lhs: ShapeList, rhs: ShapeList },
    #[error("shape '{shape}' is invalid for input of size {numel}")]
    InvalidReshape { shape: String, numel: usize },
    #[error("The expanded size of the tensor ({target}) must match the existing size ({existing}) at non-singleton dimension {dim}.  Target sizes: {target_shape}.  Tensor sizes: {tensor_shape}")]
    ExpandMismatch { target: i64, existing: usize, dim: usize, target_shape: ShapeList, tensor_shape: ShapeList },

    // Shape checks PyTorch raises as a plain RuntimeError (not ShapeError).
    #[error("Trying to create tensor with negative dimension {dim}: {sizes}")]
    NegativeDimension { dim: i64, sizes: IntList },
    #[error("output with shape {output} doesn't match the broadcast shape {broadcast}")]
    OutputShapeMismatch { output: ShapeList, broadcast: ShapeList },
    #[error("zero-dimensional tensor (at position {index}) cannot be concatenated")]
    ConcatZeroDim { index: usize },
    #[error("Tensors must have same number of dimensions: got {expected} and {got}")]
    ConcatNdimMismatch { expected: usize, got: usize },
    #[error("Sizes of tensors must match except in dimension {dim}. Expected size {expected} but got size {got} for tensor number {index} in the list.")]
    ConcatSizeMismatch { dim: usize, expected: usize, got: usize, index: usize },
    #[error("stack expects each tensor to be equal size, but got {first} at entry 0 and {other} at entry {index}")]
    StackShapeMismatch { first: ShapeList, other: ShapeList, index: usize },
    /// `t()` and `t_()` on a tensor of more than two dims.
    #[error("{op} expects a tensor with <= 2 dimensions, but self is {ndim}D")]
    TransposeNdim { op: &'static str, ndim: usize },
    /// A matrix operand (`mm`'s `self` or `mat2`) of another rank.
    #[error("{arg} must be a matrix, got {ndim}-D tensor")]
    NotAMatrix { arg: &'static str, ndim: usize },
    /// An input whose rank or shape the op cannot take; `expected` is the
    /// op's own wording up to the shape it prints.
    #[error("{expected}{got}")]
    InputShape { expected: &'static str, got: ShapeList },
    #[error("assigned grad has data of a different size: grad {grad} and tensor {tensor}")]
    GradSizeMismatch { grad: ShapeList, tensor: ShapeList },
    /// An index value past its dim in a RuntimeError-raising op (gather, index_add).
    #[error("index {index} is out of bounds for dimension {dim} with size {size}")]
    IndexOutOfBounds { index: i64, dim: usize, size: usize },

    // Index errors: IndexError in PyTorch.
    #[error("Dimension out of range (expected to be in range of [{min}, {max}], but got {dim})")]
    DimOutOfRange { dim: i64, min: i64, max: i64 },
    #[error("{0}")]
    Index(String),
    /// An index expression (`t[...]`) that cannot apply to the tensor; the
    /// plain IndexError PyTorch raises from its indexing front end.
    #[error("{0}")]
    InvalidIndex(String),

    // Autograd errors: RuntimeError in PyTorch.
    #[error("grad can be implicitly created only for scalar outputs")]
    ImplicitGradNonScalar,
    #[error("Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.")]
    GraphFreed,
    #[error("a leaf Variable that requires grad is being used in an in-place operation.")]
    LeafInPlace,
    #[error("a view of a leaf Variable that requires grad is being used in an in-place operation.")]
    ViewOfLeafInPlace,
    #[error("unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.")]
    InternalOverlap,
    /// A metadata change (`resize_`, `t_`, `.data =`) while another thread
    /// runs an op on the same tensor.
    #[error("cannot change a tensor's size, strides or storage while another operation is reading it")]
    MetadataInUse,
    #[error("A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the view and the inplace either both inside the no_grad block (if you don't want the inplace to be tracked) or both outside (if you want the inplace to be tracked).")]
    NoGradViewInPlace,
    #[error("Output {0} of {1} is a view and is being modified inplace. This view is the output of a function that returns multiple views. Such functions do not allow the output views to be modified inplace. You should replace the inplace operation by an out-of-place one.")]
    MultiOutputViewInPlace(usize, &'static str),
    #[error("element {0} of tensors does not require grad and does not have a grad_fn")]
    NoGradFn(usize),
    /// `producer` is ", which is output N of Op" when the tensor has a history.
    #[error("one of the variables needed for gradient computation has been modified by an inplace operation: [{type_name} [{shape}]]{producer} is at version {found}; expected version {expected} instead. Hint: {}", if *.anomaly_mode { "the backtrace further above shows the operation that failed to compute its gradient. The variable in question was changed in there or anywhere later. Good luck!" } else { "enable anomaly detection to find the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False)." })]
    SavedTensorModified { type_name: &'static str, shape: String, producer: String, found: u32, expected: u32, anomaly_mode: bool },
    #[error("The differentiated Tensor at index {0} appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.")]
    UnusedInput(usize),
    #[error("One of the differentiated Tensors does not require grad")]
    InputDoesNotRequireGrad,
    #[error("only Tensors of floating point dtype can require gradients")]
    NonFloatRequiresGrad,
    #[error("you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")]
    NonLeafRequiresGrad,
    #[error("Mismatch in shape: grad_output[{index}] has a shape of torch.Size({grad_shape}) and output[{index}] has a shape of torch.Size({output_shape}).")]
    GradShapeMismatch { index: usize, grad_shape: ShapeList, output_shape: ShapeList },
    #[error("{0}")]
    Autograd(String),
    /// A user callback (a hook) failed; the binding keeps the original exception.
    #[error("{0}")]
    Callback(String),

    // Type errors: RuntimeError in PyTorch for kernels, TypeError for arguments.
    #[error("\"{op}\" not implemented for '{}'", .dtype.scalar_type_name())]
    NotImplementedForDType { op: &'static str, dtype: DType },
    #[error("{op}: expected both inputs to have the same dtype, but got {lhs} and {rhs}")]
    DTypeMismatch { op: &'static str, lhs: DType, rhs: DType },
    #[error("result type {} can't be cast to the desired output type {}", .from.scalar_type_name(), .to.scalar_type_name())]
    CastInPlace { from: DType, to: DType },
    /// An operand whose dtype must equal the input's (a weight, a bias).
    #[error("expected scalar type {} but found {}", .expected.scalar_type_name(), .found.scalar_type_name())]
    ScalarTypeMismatch { expected: DType, found: DType },
    /// An argument of a dtype the op does not accept; `expected` is the op's
    /// own wording up to the dtype name it prints.
    #[error("{expected}{}", .got.scalar_type_name())]
    UnexpectedDType { expected: &'static str, got: DType },
    /// Two operands that must share a dtype, named as C types.
    #[error("expected {what} to have the same dtype, but got: {} != {}", .lhs.c_type_name(), .rhs.c_type_name())]
    DTypesDiffer { what: &'static str, lhs: DType, rhs: DType },
    #[error("a Tensor with {0} elements cannot be converted to Scalar")]
    NotAScalar(usize),
    #[error("{0}")]
    Type(String),

    // Device strings: RuntimeError in PyTorch.
    #[error("Invalid device string: '{0}'")]
    InvalidDeviceString(String),
    #[error("Expected one of cpu, wgpu device type at start of device string: {0}")]
    UnknownDeviceType(String),

    /// An operation PyTorch declares but does not implement for these arguments (NotImplementedError).
    #[error("{0}")]
    NotImplemented(String),

    // Argument values: ValueError.
    #[error("{0}")]
    Value(String),
    // Anything else PyTorch reports as a RuntimeError.
    #[error("{0}")]
    Runtime(String),
}

impl Error {
    pub fn runtime(msg: impl Into<String>) -> Self {
        Error::Runtime(msg.into())
    }
    pub fn value(msg: impl Into<String>) -> Self {
        Error::Value(msg.into())
    }
    pub fn type_error(msg: impl Into<String>) -> Self {
        Error::Type(msg.into())
    }
    pub fn index(msg: impl Into<String>) -> Self {
        Error::Index(msg.into())
    }
}
