//! The one error type of the crate. Each variant carries the data its message
//! needs, and the bindings map each variant to its own Python exception class.

use crate::dtype::DType;
use std::fmt;

pub type Result<T> = std::result::Result<T, Error>;

/// `[a, b, c]`, as PyTorch prints shapes and int lists.
fn write_list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    write!(f, "[")?;
    for (i, d) in items.iter().enumerate() {
        if i > 0 {
            write!(f, ", ")?;
        }
        write!(f, "{d}")?;
    }
    write!(f, "]")
}

/// A shape printed the way PyTorch prints it: `[2, 3]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeList(pub Vec<usize>);

impl fmt::Display for ShapeList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_list(f, &self.0)
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
        write_list(f, &self.0)
    }
}

impl From<&[i64]> for IntList {
    fn from(s: &[i64]) -> Self {
        IntList(s.to_vec())
    }
}

/// A sliding-window configuration that yields no valid blocks (unfold,
/// fold), boxed in its errors so `Error` stays a few words wide: every
/// `Result` in the crate is as wide as its error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlidingBlocks {
    pub kernel: [usize; 2],
    pub dilation: [usize; 2],
    pub padding: [usize; 2],
    pub stride: [usize; 2],
    /// Blocks per spatial dim, as computed (may be zero or negative).
    pub blocks: [i64; 2],
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

    // Shape, dim and index failures of individual ops.
    /// Two counts (dims, lengths, elements) that do not agree, in the op's
    /// own wording: `expected` up to the first count, `sep` between the two,
    /// `tail` after the second.
    #[error("{expected}{lhs}{sep}{rhs}{tail}")]
    CountMismatch { expected: &'static str, lhs: usize, sep: &'static str, rhs: usize, tail: &'static str },
    /// A rank or count the op cannot take: `expected` is the op's wording up
    /// to the count it prints, `tail` the rest.
    #[error("{expected}{got}{tail}")]
    UnexpectedCount { expected: &'static str, got: usize, tail: &'static str },
    /// Two shapes that do not agree, in the op's own wording around them.
    #[error("{expected}{lhs}{sep}{rhs}{tail}")]
    ShapesDiffer { expected: &'static str, lhs: ShapeList, sep: &'static str, rhs: ShapeList, tail: &'static str },
    /// Two dtypes that must agree, printed as scalar type names.
    #[error("{expected}{}{sep}{}{tail}", .lhs.scalar_type_name(), .rhs.scalar_type_name())]
    ScalarTypesDiffer { expected: &'static str, lhs: DType, sep: &'static str, rhs: DType, tail: &'static str },
    /// An operand whose dtype must equal the input's, printed as C types.
    #[error("expected dtype {} for `{what}` but got dtype {}", .expected.c_type_name(), .got.c_type_name())]
    OperandDType { what: &'static str, expected: DType, got: DType },
    /// A non-boolean mask; `c_name` prints it as a C type, else as `torch.<name>`.
    #[error("masked_fill_ only supports boolean masks, but got mask with dtype {}", if *.c_name { .dtype.c_type_name().to_string() } else { .dtype.to_string() })]
    MaskDType { dtype: DType, c_name: bool },
    /// Types without a legacy tensor name print as ATen's backend type.
    #[error("Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got {} instead (while checking arguments for embedding)", match .dtype { DType::Bool | DType::BF16 => format!("CPU{}Type", .dtype.scalar_type_name()), d => d.legacy_type_name().to_string() })]
    EmbeddingIndicesDType { dtype: DType },
    #[error("data set to a tensor that requires gradients must be floating point or complex dtype (got {dtype} of shape {shape})")]
    DataRequiresGradDType { dtype: DType, shape: ShapeList },
    #[error("{op}: input tensor must have at least {min} dimensions")]
    TooFewDims { op: &'static str, min: usize },
    #[error("{op}(): Expected 3D or 4D tensor, but got {got}")]
    PoolInputShape { op: &'static str, got: ShapeList },
    #[error("Given input size: ({channels}x{h}x{w}). Calculated output size: ({channels}x{oh}x{ow}). Output size is too small")]
    PoolOutputTooSmall { channels: usize, h: usize, w: usize, oh: i64, ow: i64 },
    #[error("Found an invalid max index: {index} (input planes are of size {size})")]
    InvalidMaxIndex { index: i64, size: usize },
    #[error("{op}: the size {size} overflows")]
    SizeOverflow { op: &'static str, size: ShapeList },
    /// A per-spatial-dim convolution parameter with the wrong number of values.
    #[error("expected {label} to be a single integer value or a list of {spatial} values to match the convolution dimensions, but got {label}={values}")]
    ConvParamLength { label: &'static str, spatial: usize, values: ShapeList },
    #[error("Storage size calculation overflowed with sizes={sizes}")]
    StorageSizeOverflow { sizes: ShapeList },
    /// `required` and `available` count elements; `required` is `None` when
    /// the addressed range itself overflows.
    #[error("setStorage: sizes {sizes}, strides {strides}, storage offset {offset}, and itemsize {itemsize} requiring a storage size of {} are out of bounds for storage of size {}", .required.map_or(u128::MAX, |n| n as u128 * *.itemsize as u128), *.available as u128 * *.itemsize as u128)]
    StorageOutOfBounds { sizes: ShapeList, strides: IntList, offset: usize, itemsize: usize, required: Option<usize>, available: usize },
    #[error("dim {dim} appears multiple times in the list of dims")]
    RepeatedDim { dim: usize },
    #[error("movedim: repeated dim in `{what}` ({dims})")]
    MovedimRepeatedDim { what: &'static str, dims: IntList },
    #[error("movedim: Invalid source or destination dims: source ({src_dims} dims) should contain the same number of dims as destination ({dst_dims} dims)")]
    MovedimLengths { src_dims: IntList, dst_dims: IntList },
    #[error("{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.")]
    EmptyReductionNeedsDim { op: &'static str },
    #[error("linalg.vector_norm cannot compute the inf norm on the dimension {dim}because this dimension is empty and the operation does not have an identity")]
    InfNormEmptyDim { dim: usize },
    #[error("{op} expects a non-empty TensorList")]
    EmptyTensorList { op: &'static str },
    #[error("invalid shape dimension {dim} at index {index} of shape {shape}")]
    InvalidShapeDim { dim: i64, index: usize, shape: IntList },
    #[error("cannot reshape tensor of 0 elements into shape {shape} because the unspecified dimension size -1 can be any value and is ambiguous")]
    AmbiguousReshape { shape: IntList },
    #[error("unflatten: Provided sizes {sizes} don't multiply up to the size of dim {dim} ({size}) in the input tensor")]
    UnflattenSizes { sizes: IntList, dim: i64, size: usize },
    #[error("expand({type_name}{{{shape}}}, size={sizes}): the number of sizes provided ({}) must be greater or equal to the number of dimensions in the tensor ({})", .sizes.0.len(), .shape.0.len())]
    ExpandTooFewSizes { type_name: &'static str, shape: ShapeList, sizes: IntList },
    #[error("The expanded size of the tensor ({size}) isn't allowed in a leading, non-existing dimension {dim}")]
    ExpandLeadingDim { size: i64, dim: usize },
    /// ExpandMismatch with target sizes that may hold -1.
    #[error("The expanded size of the tensor ({target}) must match the existing size ({existing}) at non-singleton dimension {dim}.  Target sizes: {sizes}.  Tensor sizes: {tensor_shape}")]
    ExpandSizeMismatch { target: i64, existing: usize, dim: usize, sizes: IntList, tensor_shape: ShapeList },
    #[error("start ({start}) + length ({length}) exceeds dimension size ({size}).")]
    NarrowOutOfRange { start: i64, length: i64, size: i64 },
    #[error("diagonal dimensions cannot be identical {dim1}, {dim2}")]
    DiagonalSameDims { dim1: i64, dim2: i64 },
    #[error("split_size can only be 0 if dimension size is 0, but got dimension size of {size}")]
    SplitSizeZero { size: usize },
    #[error("split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes={sizes}")]
    NegativeSplitSizes { sizes: IntList },
    #[error("split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at dimension {dim}), but got split_sizes={sizes}")]
    SplitSizesSum { size: usize, dim: usize, sizes: IntList },
    #[error("The input size {size}, plus negative padding {lo} and {hi} resulted in a negative output size, which is invalid. Check dimension {dim} of your input.")]
    NegativePaddedSize { size: usize, lo: i64, hi: i64, dim: usize },
    #[error("Size does not match at dimension {at} expected index {index} to be no larger than self {input} apart from dimension {dim}")]
    IndexSizeAtDim { at: usize, index: ShapeList, input: ShapeList, dim: usize },
    /// gather/scatter's index larger than self (or than src, when given).
    #[error("Expected index {index} to be no larger than self {input} apart from dimension {dim}{}", .src.as_ref().map(|s| format!(" and to be no larger size than src {s}")).unwrap_or_default())]
    IndexLargerThanInput { index: ShapeList, input: ShapeList, dim: usize, src: Option<ShapeList> },
    #[error("index_add_(): Number of indices ({indices}) should be equal to source.size(dim): ({size}), for dim: {dim}")]
    IndexAddCount { indices: usize, size: usize, dim: usize },
    #[error("inconsistent tensor size, expected tensor [{lhs}] and src [{rhs}] to have the same number of elements, but got {lhs} and {rhs} elements respectively")]
    InconsistentNumel { lhs: usize, rhs: usize },
    #[error("size mismatch, got input ({input}), mat ({rows}x{cols}), vec ({vec})")]
    AddmvSize { input: usize, rows: usize, cols: usize, vec: usize },
    #[error("scaled_dot_product_attention: number of heads in key and value must divide the number of heads in query (got {query}, {key} and {value})")]
    AttentionHeads { query: usize, key: usize, value: usize },
    #[error("weight tensor should be defined either for all {classes} classes or no classes but got weight tensor of shape: {weight}")]
    ClassWeightShape { classes: usize, weight: ShapeList },
    #[error("Given normalized_shape={normalized_shape}, expected input with shape [*{}], but got input of size{got}", .normalized_shape.0.iter().map(|d| format!(", {d}")).collect::<String>())]
    LayerNormInputShape { normalized_shape: ShapeList, got: ShapeList },
    #[error("Expected {name} to be of same shape as normalized_shape, but got {name} of shape {got} and normalized_shape = {normalized_shape}")]
    LayerNormParamShape { name: &'static str, got: ShapeList, normalized_shape: ShapeList },
    #[error("{name} should contain {channels} elements not {numel}")]
    NormParamNumel { name: &'static str, channels: usize, numel: usize },
    #[error("Expected number of channels in input to be divisible by num_groups, but got input of shape {input} and num_groups={groups}")]
    GroupNormChannels { input: ShapeList, groups: usize },
    #[error("Expected {name} to be a vector of size equal to the number of channels in input, but got {name} of shape {got} and input of shape {input}")]
    GroupNormParamShape { name: &'static str, got: ShapeList, input: ShapeList },
    #[error("Expected {}-dimensional input for {}-dimensional weight {weight}, but got {}-dimensional input of size {input} instead", .weight.0.len(), .weight.0.len(), .input.0.len())]
    ConvInputNdim { weight: ShapeList, input: ShapeList },
    #[error("Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of size {weight} instead")]
    ConvWeightGroups { groups: usize, weight: ShapeList },
    #[error("Given groups={groups}, weight of size {weight}, expected input{input} to have {expected} channels, but got {got} channels instead")]
    ConvInputChannels { groups: usize, weight: ShapeList, input: ShapeList, expected: usize, got: usize },
    #[error("Given weight of size {weight}, expected bias to be 1-dimensional with {out_channels} elements, but got bias of size {bias} instead")]
    ConvBiasShape { weight: ShapeList, out_channels: usize, bias: ShapeList },
    #[error("Calculated padded input size per channel: ({}). Kernel size: ({}). Kernel size can't be greater than actual input size", join_sizes(.padded), join_sizes(.kernel))]
    KernelLargerThanInput { padded: Vec<u128>, kernel: Vec<usize> },
    #[error("Given input with spatial size ({h}, {w}), kernel_size=({}, {}), dilation=({}, {}), padding=({}, {}), calculated shape of the array of sliding blocks as ({}, {}), but its components must be at least one.", .window.kernel[0], .window.kernel[1], .window.dilation[0], .window.dilation[1], .window.padding[0], .window.padding[1], .window.blocks[0], .window.blocks[1])]
    UnfoldNoBlocks { h: usize, w: usize, window: Box<SlidingBlocks> },
    #[error("Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)={rows} and kernel_size=({}, {})", .kernel[0], .kernel[1])]
    FoldChannels { rows: usize, kernel: [usize; 2] },
    #[error("Given output_size=({h}, {w}), kernel_size=({}, {}), dilation=({}, {}), padding=({}, {}), stride=({}, {}), expected size of input's dimension 2 to match the calculated number of sliding blocks {} * {} = {}, but got input.size(2)={got}.", .window.kernel[0], .window.kernel[1], .window.dilation[0], .window.dilation[1], .window.padding[0], .window.padding[1], .window.stride[0], .window.stride[1], .window.blocks[0], .window.blocks[1], .window.blocks[0].saturating_mul(.window.blocks[1]))]
    FoldBlocks { h: usize, w: usize, window: Box<SlidingBlocks>, got: usize },
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

/// Sizes joined the way ATen prints a spatial size: `4 x 4`.
fn join_sizes<T: fmt::Display>(sizes: &[T]) -> String {
    sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(" x ")
}

#[cfg(test)]
mod tests {
    /// Every `Result` is as wide as `Error`, and results are moved on every
    /// op: a rare error's wide payload belongs in a box.
    #[test]
    fn an_error_stays_a_few_words_wide() {
        assert!(std::mem::size_of::<super::Error>() <= 96, "Error is {} bytes", std::mem::size_of::<super::Error>());
    }
}
