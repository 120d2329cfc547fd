//! Differentiable operations. Each module holds a family of ops with every
//! forward beside its backward; this file is the table the engine dispatches
//! on: one `Op` variant per recorded function, its PyTorch name, and which
//! backward formula runs it.

pub mod binary;
pub mod cast;
pub mod compare;
pub mod closeness;
pub mod creation;
pub mod indexing;
pub mod inplace;
pub mod linalg;
pub mod losses;
pub mod pointwise;
pub mod activation;
pub mod reduce;
pub mod remainder;
pub mod reductions;
pub mod shape;
pub mod unary;
pub mod views;
pub mod conv;
pub mod embedding;
pub mod norm;
pub(crate) mod opmath;
pub mod pad;
pub mod pool;
pub mod sampling;
pub mod distributions;
pub mod metadata;

use crate::autograd::graph::{create_node, InputMeta};
use crate::autograd::mode::is_grad_enabled;
use crate::autograd::saved::SavedTensor;
use crate::error::{Error, Result};
use crate::layout::Shape;
use crate::tensor::{Tensor, WeakTensor};
use smallvec::SmallVec;

/// One gradient per differentiable input; `None` where no gradient is needed.
pub type Grads = SmallVec<[Option<Tensor>; 2]>;
/// Tensors an op keeps for backward, by position; `None` where not needed.
pub type Saved = SmallVec<[Option<SavedTensor>; 2]>;

#[derive(Clone, Debug)]
pub enum Op {
    /// A leaf's sink: adds incoming gradients into `.grad`.
    AccumulateGrad(WeakTensor),
    /// A user-defined function (autograd.Function); the engine calls it directly.
    Custom(std::sync::Arc<crate::autograd::function::CustomFunction>),
    // Views written in place (ops/views.rs).
    AsStrided(std::sync::Arc<views::Geometry>),
    AsStridedScatter(std::sync::Arc<views::Geometry>),
    CopySlices(std::sync::Arc<views::CopySlices>),
    // In-place activations that save their result (ops/activation.rs).
    LeakyReluResult(f64),
    EluResult(f64),
    // In-place view ops (ops/metadata.rs).
    TInPlace,
    TransposeInPlace(usize, usize),
    SqueezeInPlace,
    /// `squeeze_(dim)`; also how matmul of a vector by a matrix records its squeeze.
    SqueezeDimInPlace,
    SqueezeDimsInPlace,
    UnsqueezeInPlace,
    Add,
    Sub,
    /// `scalar - tensor`.
    Rsub,
    Mul,
    Div,
    Neg,
    Reciprocal,
    /// `tensor ** number`.
    PowScalarExponent(f64),
    /// `tensor ** tensor`.
    PowTensor,
    /// `number ** tensor`.
    PowScalarBase(f64),
    Exp,
    Log,
    Sqrt,
    Tanh,
    Sigmoid,
    Relu,
    Abs,
    Sign,
    Sum,
    SumDim { dims: Shape, keepdim: bool },
    Mean { numel: usize },
    MeanDim { dims: Shape, keepdim: bool, count: usize },
    Mm,
    Bmm,
    Dot,
    Mv,
    Addmm,
    MaskedFill,
    Fill,
    Zero,
    Copy,
    ToCopy,
    Clone,
    Expand,
    View,
    Transpose(usize, usize),
    Permute(Shape),
    Unsqueeze(usize),
    Squeeze,
    Select { dim: usize, index: usize },
    SelectEmbed { dim: usize, index: usize },
    // Shape family: views, copies that reorder elements, and joining.
    T,
    ReshapeAlias,
    UnsafeView,
    Alias,
    SqueezeDim,
    SqueezeDims,
    Slice { dim: usize, start: usize, end: usize, step: usize },
    SliceEmbed { dim: usize, start: usize, end: usize, step: usize },
    Diagonal { offset: i64, dim1: usize, dim2: usize },
    DiagonalEmbed { offset: i64, dim1: usize, dim2: usize },
    /// One node for all outputs of `unbind`.
    Unbind { dim: usize },
    /// One node for all outputs of `split`/`chunk`; `sizes` along `dim`.
    Split { dim: usize, sizes: Shape, with_sizes: bool },
    Flip(Shape),
    /// `dims` empty: the tensor is rolled as if flattened.
    Roll { shifts: SmallVec<[i64; 4]>, dims: Shape },
    Repeat(Shape),
    Tril(i64),
    Triu(i64),
    Cat { dim: usize },
    Stack { dim: usize },
    // Reductions (ops/reductions): products, extrema, moments, logsumexp, norms, scans.
    Prod,
    ProdDim { dim: usize, keepdim: bool },
    MaxAll,
    MinAll,
    MaxDim { dim: usize, keepdim: bool },
    MinDim { dim: usize, keepdim: bool },
    Amax { dims: Shape, keepdim: bool },
    Amin { dims: Shape, keepdim: bool },
    /// `whole`: no dim was given (PyTorch's gradient differs when no degrees of freedom remain).
    Var { dims: Shape, keepdim: bool, correction: f64, whole: bool },
    Std { dims: Shape, keepdim: bool, correction: f64, whole: bool },
    Logsumexp { dims: Shape, keepdim: bool },
    VectorNorm { ord: f64, dims: Shape, keepdim: bool },
    Cumsum(usize),
    Cumprod(usize),
    /// Sum from each element to the end of its line: cumsum's adjoint.
    ReverseCumsum(usize),
    /// One element per line placed by index into zeros (max/min's gradient).
    ScatterSelected(usize),
    /// One element per line read by index: ScatterSelected's adjoint.
    GatherSelected(usize),
    // Pointwise math and activations (ops/pointwise.rs, ops/activation.rs).
    Exp2,
    Expm1,
    Log2,
    Log10,
    Log1p,
    Rsqrt,
    Sin,
    Cos,
    Tan,
    Erf,
    Floor,
    Ceil,
    Round,
    RoundDecimals,
    Trunc,
    NanToNum,
    /// `clamp` with number bounds.
    ClampScalar { min: Option<f64>, max: Option<f64> },
    /// `clamp` with tensor bounds; inputs are self, then min and max when present.
    ClampTensor { has_min: bool, has_max: bool },
    Maximum,
    Minimum,
    Where,
    LerpScalar(f64),
    LerpTensor,
    /// `div` with a rounding mode.
    DivRounding,
    /// remainder/fmod by a tensor; saves self and other for the divisor's gradient.
    Modulo(remainder::Modulo),
    /// remainder/fmod by a number.
    ModuloScalar(remainder::Modulo),
    /// An op PyTorch records but cannot differentiate (backward raises).
    NotDifferentiable(&'static str),
    LeakyRelu(f64),
    Elu(f64),
    Gelu(activation::GeluApproximation),
    Silu,
    Softplus { beta: f64, threshold: f64 },
    // Advanced indexing and index ops (ops/indexing). Index tensors are saved,
    // in dim order, for the dims listed.
    Index { dims: Shape },
    IndexPut { dims: Shape, accumulate: bool },
    IndexFill { dim: usize },
    IndexSelect { dim: usize },
    IndexAdd { dim: usize, alpha: crate::dtype::Scalar },
    Gather { dim: usize },
    Scatter { dim: usize },
    ScatterValue { dim: usize },
    ScatterAdd { dim: usize },
    /// `masked_fill` with a 0-d tensor value; inputs are self and the value.
    MaskedFillTensor,
    MaskedSelect,
    // Softmax and losses (ops/losses).
    Softmax(usize),
    LogSoftmax(usize),
    /// `spatial`: input of 3 or more dims (NllLoss2DBackward0).
    NllLoss { spatial: bool, reduction: losses::Reduction },
    MseLoss(losses::Reduction),
    SmoothL1Loss { reduction: losses::Reduction, beta: f64 },
    HuberLoss { reduction: losses::Reduction, delta: f64 },
    BinaryCrossEntropy(losses::Reduction),
    BinaryCrossEntropyWithLogits(losses::Reduction),
    /// Division by a number as ATen records it inside composite losses.
    DivByNumber(f64),
    // Convolution, pooling, padding, normalization, embedding (ops/conv.rs, pool.rs, pad.rs, norm.rs, embedding.rs).
    /// Inputs: input, weight, then bias when given.
    Convolution(Box<conv::ConvParams>),
    Im2Col { window: crate::kernels::window::Window2d, input: [usize; 2] },
    Col2Im { window: crate::kernels::window::Window2d, output: [usize; 2] },
    MaxPool2d,
    /// Max pooling's gradient: one value per output position added at its index.
    ScatterPlanes,
    /// ScatterPlanes' adjoint.
    GatherPlanes,
    AvgPool2d(pool::AvgPool),
    AdaptiveAvgPool2d { output: [usize; 2] },
    ConstantPadNd(pad::PadAmounts),
    /// Inputs: input, then weight and bias when given.
    LayerNorm { axes: usize, eps: f64, affine: norm::Affine },
    BatchNorm { training: bool, eps: f64, affine: norm::Affine },
    GroupNorm { groups: usize, eps: f64, affine: norm::Affine },
    /// `adjoint`: the lookup zeroes padding rows (embedding's double backward).
    Embedding { grad: embedding::EmbeddingGrad, adjoint: bool },
    EmbeddingDenseBackward(embedding::EmbeddingGrad),
}

impl Op {
    /// The class name PyTorch gives this node's `grad_fn`.
    pub fn name(&self) -> &'static str {
        match self {
            Op::AccumulateGrad(_) => "AccumulateGrad",
            Op::Custom(f) => f.name,
            Op::AsStrided(_) => "AsStridedBackward0",
            Op::AsStridedScatter(_) => "AsStridedScatterBackward0",
            Op::CopySlices(_) => "CopySlices",
            Op::LeakyReluResult(_) => "LeakyReluBackward1",
            Op::EluResult(_) => "EluBackward1",
            Op::TInPlace => "TBackward1",
            Op::TransposeInPlace(..) => "TransposeBackward1",
            Op::SqueezeInPlace => "SqueezeBackward3",
            Op::SqueezeDimInPlace => "SqueezeBackward4",
            Op::SqueezeDimsInPlace => "SqueezeBackward5",
            Op::UnsqueezeInPlace => "UnsqueezeBackward1",
            Op::Add => "AddBackward0",
            Op::Sub => "SubBackward0",
            Op::Rsub => "RsubBackward1",
            Op::Mul => "MulBackward0",
            Op::Div => "DivBackward0",
            Op::Neg => "NegBackward0",
            Op::Reciprocal => "ReciprocalBackward0",
            Op::PowScalarExponent(_) => "PowBackward0",
            Op::PowTensor => "PowBackward1",
            Op::PowScalarBase(_) => "PowBackward2",
            Op::Exp => "ExpBackward0",
            Op::Log => "LogBackward0",
            Op::Sqrt => "SqrtBackward0",
            Op::Tanh => "TanhBackward0",
            Op::Sigmoid => "SigmoidBackward0",
            Op::Relu => "ReluBackward0",
            Op::Abs => "AbsBackward0",
            Op::Sign => "SignBackward0",
            Op::Sum => "SumBackward0",
            Op::SumDim { .. } => "SumBackward1",
            Op::Mean { .. } => "MeanBackward0",
            Op::MeanDim { .. } => "MeanBackward1",
            Op::Mm => "MmBackward0",
            Op::Bmm => "BmmBackward0",
            Op::Dot => "DotBackward0",
            Op::Mv => "MvBackward0",
            Op::Addmm => "AddmmBackward0",
            Op::MaskedFill => "MaskedFillBackward0",
            Op::Fill => "FillBackward0",
            Op::Zero => "ZeroBackward0",
            Op::Copy => "CopyBackwards",
            Op::ToCopy => "ToCopyBackward0",
            Op::Clone => "CloneBackward0",
            Op::Expand => "ExpandBackward0",
            Op::View => "ViewBackward0",
            Op::Transpose(..) => "TransposeBackward0",
            Op::Permute(_) => "PermuteBackward0",
            Op::Unsqueeze(_) => "UnsqueezeBackward0",
            Op::Squeeze => "SqueezeBackward0",
            Op::Select { .. } => "SelectBackward0",
            Op::SelectEmbed { .. } => "SelectBackwardBackward0",
            // Shape family.
            Op::T => "TBackward0",
            Op::ReshapeAlias => "ReshapeAliasBackward0",
            Op::UnsafeView => "UnsafeViewBackward0",
            Op::Alias => "AliasBackward0",
            Op::SqueezeDim => "SqueezeBackward1",
            Op::SqueezeDims => "SqueezeBackward2",
            Op::Slice { .. } => "SliceBackward0",
            Op::SliceEmbed { .. } => "SliceBackwardBackward0",
            Op::Diagonal { .. } => "DiagonalBackward0",
            Op::DiagonalEmbed { .. } => "DiagonalBackwardBackward0",
            Op::Unbind { .. } => "UnbindBackward0",
            Op::Split { with_sizes: false, .. } => "SplitBackward0",
            Op::Split { with_sizes: true, .. } => "SplitWithSizesBackward0",
            Op::Flip(_) => "FlipBackward0",
            Op::Roll { .. } => "RollBackward0",
            Op::Repeat(_) => "RepeatBackward0",
            Op::Tril(_) => "TrilBackward0",
            Op::Triu(_) => "TriuBackward0",
            Op::Cat { .. } => "CatBackward0",
            Op::Stack { .. } => "StackBackward0",
            // Reductions (ops/reductions).
            Op::Prod => "ProdBackward0",
            Op::ProdDim { .. } => "ProdBackward1",
            Op::MaxAll => "MaxBackward1",
            Op::MinAll => "MinBackward1",
            Op::MaxDim { .. } => "MaxBackward0",
            Op::MinDim { .. } => "MinBackward0",
            Op::Amax { .. } => "AmaxBackward0",
            Op::Amin { .. } => "AminBackward0",
            Op::Var { .. } => "VarBackward0",
            Op::Std { .. } => "StdBackward0",
            Op::Logsumexp { .. } => "LogsumexpBackward0",
            Op::VectorNorm { .. } => "LinalgVectorNormBackward0",
            Op::Cumsum(_) => "CumsumBackward0",
            Op::Cumprod(_) => "CumprodBackward0",
            Op::ReverseCumsum(_) => "FlipBackward0",
            Op::ScatterSelected(_) => "ScatterBackward0",
            Op::GatherSelected(_) => "GatherBackward0",
            // Pointwise math and activations.
            Op::Exp2 => "Exp2Backward0",
            Op::Expm1 => "Expm1Backward0",
            Op::Log2 => "Log2Backward0",
            Op::Log10 => "Log10Backward0",
            Op::Log1p => "Log1PBackward0",
            Op::Rsqrt => "RsqrtBackward0",
            Op::Sin => "SinBackward0",
            Op::Cos => "CosBackward0",
            Op::Tan => "TanBackward0",
            Op::Erf => "ErfBackward0",
            Op::Floor => "FloorBackward0",
            Op::Ceil => "CeilBackward0",
            Op::Round => "RoundBackward0",
            Op::RoundDecimals => "RoundBackward1",
            Op::Trunc => "TruncBackward0",
            Op::NanToNum => "NanToNumBackward0",
            Op::ClampScalar { .. } => "ClampBackward1",
            Op::ClampTensor { .. } => "ClampBackward0",
            Op::Maximum => "MaximumBackward0",
            Op::Minimum => "MinimumBackward0",
            Op::Where => "WhereBackward0",
            Op::LerpScalar(_) => "LerpBackward0",
            Op::LerpTensor => "LerpBackward1",
            Op::DivRounding => "DivBackward2",
            Op::Modulo(remainder::Modulo::Remainder) => "RemainderBackward1",
            Op::Modulo(remainder::Modulo::Fmod) => "FmodBackward1",
            Op::ModuloScalar(remainder::Modulo::Remainder) => "RemainderBackward0",
            Op::ModuloScalar(remainder::Modulo::Fmod) => "FmodBackward0",
            Op::NotDifferentiable(_) => "NotImplemented",
            Op::LeakyRelu(_) => "LeakyReluBackward0",
            Op::Elu(_) => "EluBackward0",
            Op::Gelu(_) => "GeluBackward0",
            Op::Silu => "SiluBackward0",
            Op::Softplus { .. } => "SoftplusBackward0",
            // Advanced indexing and index ops.
            Op::Index { .. } => "IndexBackward0",
            Op::IndexPut { .. } => "IndexPutBackward0",
            Op::IndexFill { .. } => "IndexFillBackward0",
            Op::IndexSelect { .. } => "IndexSelectBackward0",
            Op::IndexAdd { .. } => "IndexAddBackward0",
            Op::Gather { .. } => "GatherBackward0",
            Op::Scatter { .. } => "ScatterBackward0",
            Op::ScatterValue { .. } => "ScatterBackward1",
            Op::ScatterAdd { .. } => "ScatterAddBackward0",
            Op::MaskedFillTensor => "MaskedFillBackward1",
            Op::MaskedSelect => "MaskedSelectBackward0",
            // Softmax and losses.
            Op::Softmax(_) => "SoftmaxBackward0",
            Op::LogSoftmax(_) => "LogSoftmaxBackward0",
            Op::NllLoss { spatial: false, .. } => "NllLossBackward0",
            Op::NllLoss { spatial: true, .. } => "NllLoss2DBackward0",
            Op::MseLoss(_) => "MseLossBackward0",
            Op::SmoothL1Loss { .. } => "SmoothL1LossBackward0",
            Op::HuberLoss { .. } => "HuberLossBackward0",
            Op::BinaryCrossEntropy(_) => "BinaryCrossEntropyBackward0",
            Op::BinaryCrossEntropyWithLogits(_) => "BinaryCrossEntropyWithLogitsBackward0",
            Op::DivByNumber(_) => "DivBackward1",
            // Convolution, pooling, padding, normalization, embedding.
            Op::Convolution(_) => "ConvolutionBackward0",
            Op::Im2Col { .. } => "Im2ColBackward0",
            Op::Col2Im { .. } => "Col2ImBackward0",
            Op::MaxPool2d => "MaxPool2DWithIndicesBackward0",
            Op::ScatterPlanes => "MaxPool2DWithIndicesBackwardBackward0",
            Op::GatherPlanes => "GatherBackward0",
            Op::AvgPool2d(_) => "AvgPool2DBackward0",
            Op::AdaptiveAvgPool2d { .. } => "AdaptiveAvgPool2DBackward0",
            Op::ConstantPadNd(_) => "ConstantPadNdBackward0",
            Op::LayerNorm { .. } => "NativeLayerNormBackward0",
            Op::BatchNorm { .. } => "NativeBatchNormBackward0",
            Op::GroupNorm { .. } => "NativeGroupNormBackward0",
            Op::Embedding { .. } => "EmbeddingBackward0",
            Op::EmbeddingDenseBackward(_) => "EmbeddingDenseBackwardBackward0",
        }
    }

    /// Runs this op's derivative formula.
    pub(crate) fn backward(&self, ctx: &BackwardCtx) -> Result<Grads> {
        match self {
            Op::AccumulateGrad(_) | Op::Custom(_) => Err(Error::Autograd(format!("{} is run by the engine itself", self.name()))),
            Op::AsStrided(geometry) => views::as_strided_backward(ctx, geometry),
            Op::AsStridedScatter(geometry) => views::as_strided_scatter_backward(ctx, geometry),
            Op::CopySlices(spec) => views::copy_slices_backward(ctx, spec),
            // A positive slope keeps the sign, so the result tells where x > 0.
            Op::LeakyReluResult(slope) => activation::leaky_relu_backward(ctx, *slope),
            Op::EluResult(alpha) => activation::elu_result_backward(ctx, *alpha),
            // The in-place view ops differentiate as their out-of-place forms.
            Op::TInPlace => shape::t_backward(ctx),
            Op::TransposeInPlace(d0, d1) => shape::transpose_backward(ctx, *d0, *d1),
            Op::SqueezeInPlace | Op::SqueezeDimInPlace | Op::SqueezeDimsInPlace | Op::UnsqueezeInPlace => shape::view_backward(ctx),
            Op::Add => binary::add_backward(ctx),
            Op::Sub => binary::sub_backward(ctx),
            Op::Rsub => binary::rsub_backward(ctx),
            Op::Mul => binary::mul_backward(ctx),
            Op::Div => binary::div_backward(ctx),
            Op::PowScalarExponent(e) => binary::pow_scalar_exponent_backward(ctx, *e),
            Op::PowTensor => binary::pow_tensor_backward(ctx),
            Op::PowScalarBase(b) => binary::pow_scalar_base_backward(ctx, *b),
            Op::Neg => unary::neg_backward(ctx),
            Op::Reciprocal => unary::reciprocal_backward(ctx),
            Op::Exp => unary::exp_backward(ctx),
            Op::Log => unary::log_backward(ctx),
            Op::Sqrt => unary::sqrt_backward(ctx),
            Op::Tanh => unary::tanh_backward(ctx),
            Op::Sigmoid => unary::sigmoid_backward(ctx),
            Op::Relu => unary::relu_backward(ctx),
            Op::Abs => unary::abs_backward(ctx),
            Op::Sign => unary::sign_backward(ctx),
            Op::Sum => reduce::sum_backward(ctx),
            Op::SumDim { dims, keepdim } => reduce::sum_dim_backward(ctx, dims, *keepdim),
            Op::Mean { numel } => reduce::mean_backward(ctx, *numel),
            Op::MeanDim { dims, keepdim, count } => reduce::mean_dim_backward(ctx, dims, *keepdim, *count),
            Op::Mm => linalg::mm_backward(ctx),
            Op::Bmm => linalg::bmm_backward(ctx),
            Op::Dot => linalg::dot_backward(ctx),
            Op::Mv => linalg::mv_backward(ctx),
            Op::Addmm => linalg::addmm_backward(ctx),
            Op::MaskedFill => compare::masked_fill_backward(ctx),
            Op::Fill | Op::Zero => inplace::fill_backward(ctx),
            Op::Copy => inplace::copy_backward(ctx),
            Op::ToCopy | Op::Clone => cast::identity_backward(ctx),
            Op::Expand => shape::expand_backward(ctx),
            Op::View | Op::Squeeze | Op::Unsqueeze(_) => shape::view_backward(ctx),
            Op::Transpose(d0, d1) => shape::transpose_backward(ctx, *d0, *d1),
            Op::Permute(dims) => shape::permute_backward(ctx, dims),
            Op::Select { dim, index } => shape::select_backward(ctx, *dim, *index),
            Op::SelectEmbed { dim, index } => shape::select_embed_backward(ctx, *dim, *index),
            // Shape family.
            Op::T => shape::t_backward(ctx),
            Op::ReshapeAlias | Op::UnsafeView | Op::SqueezeDim | Op::SqueezeDims => shape::view_backward(ctx),
            Op::Alias => cast::identity_backward(ctx),
            Op::Slice { dim, start, end, step } => shape::slicing::slice_backward(ctx, *dim, *start, *end, *step),
            Op::SliceEmbed { dim, start, end, step } => shape::slicing::slice_embed_backward(ctx, *dim, *start, *end, *step),
            Op::Diagonal { offset, dim1, dim2 } => shape::slicing::diagonal_backward(ctx, *offset, *dim1, *dim2),
            Op::DiagonalEmbed { offset, dim1, dim2 } => shape::slicing::diagonal_embed_backward(ctx, *offset, *dim1, *dim2),
            Op::Unbind { dim } => shape::slicing::unbind_backward(ctx, *dim),
            Op::Split { dim, .. } => shape::slicing::split_backward(ctx, *dim),
            Op::Flip(dims) => shape::reorder::flip_backward(ctx, dims),
            Op::Roll { shifts, dims } => shape::reorder::roll_backward(ctx, shifts, dims),
            Op::Repeat(repeats) => shape::reorder::repeat_backward(ctx, repeats),
            Op::Tril(k) => shape::reorder::tril_backward(ctx, *k),
            Op::Triu(k) => shape::reorder::triu_backward(ctx, *k),
            Op::Cat { dim } => shape::joining::cat_backward(ctx, *dim),
            Op::Stack { dim } => shape::joining::stack_backward(ctx, *dim),
            // Reductions (ops/reductions).
            Op::Prod => reductions::prod::prod_backward(ctx, None),
            Op::ProdDim { dim, keepdim } => reductions::prod::prod_backward(ctx, Some((*dim, *keepdim))),
            Op::MaxAll | Op::MinAll => reductions::extrema::extreme_all_backward(ctx),
            Op::MaxDim { dim, keepdim } | Op::MinDim { dim, keepdim } => reductions::extrema::extreme_dim_backward(ctx, *dim, *keepdim),
            Op::Amax { dims, keepdim } | Op::Amin { dims, keepdim } => reductions::extrema::extreme_values_backward(ctx, dims, *keepdim),
            Op::Var { dims, keepdim, correction, whole } => reductions::moments::var_backward(ctx, dims, *keepdim, *correction, *whole),
            Op::Std { dims, keepdim, correction, whole } => reductions::moments::std_backward(ctx, dims, *keepdim, *correction, *whole),
            Op::Logsumexp { dims, keepdim } => reductions::logsumexp::logsumexp_backward(ctx, dims, *keepdim),
            Op::VectorNorm { ord, dims, keepdim } => reductions::norm::vector_norm_backward(ctx, *ord, dims, *keepdim),
            Op::Cumsum(dim) => reductions::cumulative::cumsum_backward(ctx, *dim),
            Op::Cumprod(dim) => reductions::cumulative::cumprod_backward(ctx, *dim),
            Op::ReverseCumsum(dim) => reductions::cumulative::reverse_cumsum_backward(ctx, *dim),
            Op::ScatterSelected(dim) => reductions::extrema::scatter_selected_backward(ctx, *dim),
            Op::GatherSelected(dim) => reductions::extrema::gather_selected_backward(ctx, *dim),
            // Pointwise math and activations.
            Op::Exp2 => pointwise::exp2_backward(ctx),
            Op::Expm1 => pointwise::expm1_backward(ctx),
            Op::Log2 => pointwise::log_base_backward(ctx, std::f64::consts::LN_2),
            Op::Log10 => pointwise::log_base_backward(ctx, std::f64::consts::LN_10),
            Op::Log1p => pointwise::log1p_backward(ctx),
            Op::Rsqrt => pointwise::rsqrt_backward(ctx),
            Op::Sin => pointwise::sin_backward(ctx),
            Op::Cos => pointwise::cos_backward(ctx),
            Op::Tan => pointwise::tan_backward(ctx),
            Op::Erf => activation::erf_backward(ctx),
            Op::Floor | Op::Ceil | Op::Round | Op::RoundDecimals | Op::Trunc | Op::DivRounding => pointwise::zero_backward(ctx),
            Op::NanToNum => pointwise::nan_to_num_backward(ctx),
            Op::Modulo(kind) => remainder::modulo_backward(ctx, *kind),
            Op::ModuloScalar(_) => remainder::modulo_scalar_backward(ctx),
            Op::ClampScalar { min, max } => pointwise::clamp_scalar_backward(ctx, *min, *max),
            Op::ClampTensor { has_min, has_max } => pointwise::clamp_tensor_backward(ctx, *has_min, *has_max),
            Op::Maximum => pointwise::extremum_backward(ctx, true),
            Op::Minimum => pointwise::extremum_backward(ctx, false),
            Op::Where => pointwise::where_backward(ctx),
            Op::LerpScalar(w) => pointwise::lerp_scalar_backward(ctx, *w),
            Op::LerpTensor => pointwise::lerp_tensor_backward(ctx),
            Op::NotDifferentiable(name) => pointwise::not_differentiable_backward(name),
            Op::LeakyRelu(slope) => activation::leaky_relu_backward(ctx, *slope),
            Op::Elu(alpha) => activation::elu_backward(ctx, *alpha),
            Op::Gelu(approx) => activation::gelu_backward(ctx, *approx),
            Op::Silu => activation::silu_backward(ctx),
            Op::Softplus { beta, threshold } => activation::softplus_backward(ctx, *beta, *threshold),
            // Advanced indexing and index ops.
            Op::Index { dims } => indexing::advanced::index_backward(ctx, dims),
            Op::IndexPut { dims, accumulate } => indexing::advanced::index_put_backward(ctx, dims, *accumulate),
            Op::IndexFill { dim } => indexing::advanced::index_fill_backward(ctx, *dim),
            Op::IndexSelect { dim } => indexing::along::index_select_backward(ctx, *dim),
            Op::IndexAdd { dim, alpha } => indexing::along::index_add_backward(ctx, *dim, *alpha),
            Op::Gather { dim } => indexing::along::gather_backward(ctx, *dim),
            Op::Scatter { dim } => indexing::along::scatter_backward(ctx, *dim),
            Op::ScatterValue { dim } => indexing::along::scatter_value_backward(ctx, *dim),
            Op::ScatterAdd { dim } => indexing::along::scatter_add_backward(ctx, *dim),
            Op::MaskedFillTensor => indexing::masked::masked_fill_tensor_backward(ctx),
            Op::MaskedSelect => indexing::masked::masked_select_backward(ctx),
            // Softmax and losses.
            Op::Softmax(dim) => losses::softmax::softmax_backward_formula(ctx, *dim),
            Op::LogSoftmax(dim) => losses::softmax::log_softmax_backward_formula(ctx, *dim),
            Op::NllLoss { reduction, .. } => losses::nll::nll_loss_backward(ctx, *reduction),
            Op::MseLoss(reduction) => losses::pointwise::mse_loss_backward(ctx, *reduction),
            Op::SmoothL1Loss { reduction, beta } => losses::pointwise::smooth_l1_loss_backward(ctx, *reduction, *beta),
            Op::HuberLoss { reduction, delta } => losses::pointwise::huber_loss_backward(ctx, *reduction, *delta),
            Op::BinaryCrossEntropy(reduction) => losses::pointwise::binary_cross_entropy_backward(ctx, *reduction),
            Op::BinaryCrossEntropyWithLogits(reduction) => losses::pointwise::binary_cross_entropy_with_logits_backward(ctx, *reduction),
            Op::DivByNumber(number) => losses::div_by_number_backward(ctx, *number),
            // Convolution, pooling, padding, normalization, embedding.
            Op::Convolution(params) => conv::convolution_backward(ctx, params),
            Op::Im2Col { window, input } => conv::im2col_backward(ctx, *window, *input),
            Op::Col2Im { window, .. } => conv::col2im_backward(ctx, *window),
            Op::MaxPool2d => pool::max_pool2d_backward(ctx),
            Op::ScatterPlanes => pool::scatter_planes_backward(ctx),
            Op::GatherPlanes => pool::gather_planes_backward(ctx),
            Op::AvgPool2d(avg) => pool::avg_pool2d_backward(ctx, avg),
            Op::AdaptiveAvgPool2d { output } => pool::adaptive_avg_pool2d_backward(ctx, *output),
            Op::ConstantPadNd(pad) => pad::constant_pad_nd_backward(ctx, pad),
            Op::LayerNorm { axes, eps, affine } => norm::layer_norm_backward(ctx, *axes, *eps, *affine),
            Op::BatchNorm { training, eps, affine } => norm::batch_norm_backward(ctx, *training, *eps, *affine),
            Op::GroupNorm { groups, eps, affine } => norm::group_norm_backward(ctx, *groups, *eps, *affine),
            Op::Embedding { grad, .. } => embedding::embedding_backward(ctx, *grad),
            Op::EmbeddingDenseBackward(grad) => embedding::embedding_dense_backward_backward(ctx, *grad),
        }
    }
}

/// What a backward formula sees.
pub struct BackwardCtx<'a> {
    pub saved: &'a [Option<Tensor>],
    /// Gradient for each output of the node; the engine fills missing ones with zeros.
    pub grads: &'a [Tensor],
    /// Per input: does it need a gradient.
    pub needs: &'a [bool],
    pub inputs: &'a [InputMeta],
    /// Building a differentiable backward (create_graph=True): use composite
    /// tensor ops rather than fused kernels.
    pub create_graph: bool,
}

impl BackwardCtx<'_> {
    pub fn grad(&self) -> &Tensor {
        &self.grads[0]
    }
    pub fn saved(&self, i: usize) -> Result<&Tensor> {
        self.saved.get(i).and_then(|s| s.as_ref()).ok_or_else(|| Error::GraphFreed)
    }
    pub fn needs(&self, i: usize) -> bool {
        self.needs.get(i).copied().unwrap_or(false)
    }
    /// `Some(f())` when input `i` needs a gradient.
    pub fn grad_for(&self, i: usize, f: impl FnOnce() -> Result<Tensor>) -> Result<Option<Tensor>> {
        if self.needs(i) {
            f().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// Does recording an op with these inputs build a graph node?
#[inline]
pub(crate) fn should_record(inputs: &[&Tensor]) -> bool {
    inputs.iter().any(|t| t.requires_grad()) && is_grad_enabled()
}

/// Makes `out` the result of `op` applied to `inputs` in the graph, when
/// grad mode is on and an input requires grad. `save` is told which inputs
/// need gradients so it keeps only what their formulas read.
pub(crate) fn record(op: Op, inputs: &[&Tensor], out: Tensor, save: impl FnOnce(&[bool], &Tensor) -> Saved) -> Tensor {
    if !should_record(inputs) {
        return out;
    }
    let next: SmallVec<[_; 2]> = inputs.iter().map(|t| t.gradient_edge()).collect();
    let needs: SmallVec<[bool; 2]> = next.iter().map(|e| e.is_some()).collect();
    let meta = inputs.iter().map(|t| InputMeta { shape: t.shape().into(), dtype: t.dtype() }).collect();
    let saved = save(&needs, &out);
    let node = create_node(op, next, meta, saved, 1);
    out.set_history(node, 0);
    out
}

/// `record` for ops that save nothing.
pub(crate) fn record_plain(op: Op, inputs: &[&Tensor], out: Tensor) -> Tensor {
    record(op, inputs, out, |_, _| SmallVec::new())
}
