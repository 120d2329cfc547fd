//! Differentiable operations. Each module holds a family of ops with every
//! forward beside its backward; this file is the table the engine dispatches
//! on: one line per recorded function giving its `Op` variant, its PyTorch
//! name and the backward formula that runs it (grammar: `define_ops!` in
//! table.rs).

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
pub(crate) mod host;
pub mod pad;
pub mod pool;
pub mod sampling;
pub mod distributions;
pub mod metadata;
mod table;

use crate::autograd::graph::{create_node, InputMeta};
use crate::autograd::mode::is_grad_enabled;
use crate::autograd::saved::SavedTensor;
use crate::error::{Error, Result};
use crate::layout::Shape;
use crate::tensor::{Tensor, WeakTensor};
use smallvec::SmallVec;
use table::define_ops;

/// One gradient per differentiable input; `None` where no gradient is needed.
pub type Grads = SmallVec<[Option<Tensor>; 2]>;
/// Tensors an op keeps for backward, by position; `None` where not needed.
pub type Saved = SmallVec<[Option<SavedTensor>; 2]>;

define_ops! { ctx =>
    /// A leaf's sink: adds incoming gradients into `.grad`.
    AccumulateGrad(leaf: WeakTensor) => "AccumulateGrad", Err(run_by_engine("AccumulateGrad"));
    /// A user-defined function (autograd.Function); the engine calls it directly.
    Custom(function: std::sync::Arc<crate::autograd::function::CustomFunction>) => function.name, Err(run_by_engine(function.name));
    // Views written in place (ops/views.rs).
    AsStrided(geometry: std::sync::Arc<views::Geometry>) => "AsStridedBackward0", views::as_strided_backward(ctx, geometry);
    AsStridedScatter(geometry: std::sync::Arc<views::Geometry>) => "AsStridedScatterBackward0", views::as_strided_scatter_backward(ctx, geometry);
    CopySlices(spec: std::sync::Arc<views::CopySlices>) => "CopySlices", views::copy_slices_backward(ctx, spec);
    // In-place activations that save their result (ops/activation.rs).
    // A positive slope keeps the sign, so the result tells where x > 0.
    LeakyReluResult(slope: f64) => "LeakyReluBackward1", activation::leaky_relu_backward(ctx, *slope);
    EluResult(alpha: f64) => "EluBackward1", activation::elu_result_backward(ctx, *alpha);
    // Arithmetic, sums and means, products of matrices, fills and copies, basic views
    // (ops/binary.rs, unary.rs, reduce.rs, linalg.rs, inplace.rs, cast.rs, shape).
    Add => "AddBackward0", binary::add_backward(ctx);
    Sub => "SubBackward0", binary::sub_backward(ctx);
    /// `scalar - tensor`.
    Rsub => "RsubBackward1", binary::rsub_backward(ctx);
    Mul => "MulBackward0", binary::mul_backward(ctx);
    Div => "DivBackward0", binary::div_backward(ctx);
    /// The unary elementwise ops: neg, exp, tanh, ... (their own table, ops/unary.rs).
    Unary(op: unary::UnaryOp) => op.name(), op.backward(ctx);
    /// `tensor ** number`.
    PowScalarExponent(e: f64) => "PowBackward0", binary::pow_scalar_exponent_backward(ctx, *e);
    /// `tensor ** tensor`.
    PowTensor => "PowBackward1", binary::pow_tensor_backward(ctx);
    /// `number ** tensor`.
    PowScalarBase(b: f64) => "PowBackward2", binary::pow_scalar_base_backward(ctx, *b);
    Sum => "SumBackward0", reduce::sum_backward(ctx);
    SumDim { dims: Shape, keepdim: bool } => "SumBackward1", reduce::sum_dim_backward(ctx, dims, *keepdim);
    Mean { numel: usize } => "MeanBackward0", reduce::mean_backward(ctx, *numel);
    MeanDim { dims: Shape, keepdim: bool, count: usize } => "MeanBackward1", reduce::mean_dim_backward(ctx, dims, *keepdim, *count);
    Mm => "MmBackward0", linalg::mm_backward(ctx);
    Bmm => "BmmBackward0", linalg::bmm_backward(ctx);
    Dot => "DotBackward0", linalg::dot_backward(ctx);
    Mv => "MvBackward0", linalg::mv_backward(ctx);
    Addmm => "AddmmBackward0", linalg::addmm_backward(ctx);
    MaskedFill => "MaskedFillBackward0", compare::masked_fill_backward(ctx);
    Fill => "FillBackward0", inplace::fill_backward(ctx);
    Zero => "ZeroBackward0", inplace::fill_backward(ctx);
    Copy => "CopyBackwards", inplace::copy_backward(ctx);
    ToCopy => "ToCopyBackward0", cast::identity_backward(ctx);
    Clone => "CloneBackward0", cast::identity_backward(ctx);
    Expand => "ExpandBackward0", shape::expand_backward(ctx);
    View => "ViewBackward0", shape::view_backward(ctx);
    Transpose(d0: usize, d1: usize) => "TransposeBackward0", shape::transpose_backward(ctx, *d0, *d1);
    Permute(dims: Shape) => "PermuteBackward0", shape::permute_backward(ctx, dims);
    Unsqueeze(dim: usize) => "UnsqueezeBackward0", shape::view_backward(ctx);
    Squeeze => "SqueezeBackward0", shape::view_backward(ctx);
    Select { dim: usize, index: usize } => "SelectBackward0", shape::select_backward(ctx, *dim, *index);
    SelectEmbed { dim: usize, index: usize } => "SelectBackwardBackward0", shape::select_embed_backward(ctx, *dim, *index);
    // Shape family: views, copies that reorder elements, and joining.
    T => "TBackward0", shape::t_backward(ctx);
    ReshapeAlias => "ReshapeAliasBackward0", shape::view_backward(ctx);
    UnsafeView => "UnsafeViewBackward0", shape::view_backward(ctx);
    Alias => "AliasBackward0", cast::identity_backward(ctx);
    SqueezeDim => "SqueezeBackward1", shape::view_backward(ctx);
    SqueezeDims => "SqueezeBackward2", shape::view_backward(ctx);
    // In-place view ops (ops/metadata.rs), differentiated as their out-of-place forms.
    TInPlace => "TBackward1", shape::t_backward(ctx);
    TransposeInPlace(d0: usize, d1: usize) => "TransposeBackward1", shape::transpose_backward(ctx, *d0, *d1);
    SqueezeInPlace => "SqueezeBackward3", shape::view_backward(ctx);
    /// `squeeze_(dim)`; also how matmul of a vector by a matrix records its squeeze.
    SqueezeDimInPlace => "SqueezeBackward4", shape::view_backward(ctx);
    SqueezeDimsInPlace => "SqueezeBackward5", shape::view_backward(ctx);
    UnsqueezeInPlace => "UnsqueezeBackward1", shape::view_backward(ctx);
    Slice { dim: usize, start: usize, end: usize, step: usize } => "SliceBackward0", shape::slicing::slice_backward(ctx, *dim, *start, *end, *step);
    SliceEmbed { dim: usize, start: usize, end: usize, step: usize } => "SliceBackwardBackward0", shape::slicing::slice_embed_backward(ctx, *dim, *start, *end, *step);
    Diagonal { offset: i64, dim1: usize, dim2: usize } => "DiagonalBackward0", shape::slicing::diagonal_backward(ctx, *offset, *dim1, *dim2);
    DiagonalEmbed { offset: i64, dim1: usize, dim2: usize } => "DiagonalBackwardBackward0", shape::slicing::diagonal_embed_backward(ctx, *offset, *dim1, *dim2);
    /// One node for all outputs of `unbind`.
    Unbind { dim: usize } => "UnbindBackward0", shape::slicing::unbind_backward(ctx, *dim);
    /// One node for all outputs of `split`/`chunk`; `sizes` along `dim`.
    Split { dim: usize, sizes: Shape, with_sizes: bool } => if *with_sizes { "SplitWithSizesBackward0" } else { "SplitBackward0" }, shape::slicing::split_backward(ctx, *dim);
    Flip(dims: Shape) => "FlipBackward0", shape::reorder::flip_backward(ctx, dims);
    /// `dims` empty: the tensor is rolled as if flattened.
    Roll { shifts: SmallVec<[i64; 4]>, dims: Shape } => "RollBackward0", shape::reorder::roll_backward(ctx, shifts, dims);
    Repeat(repeats: Shape) => "RepeatBackward0", shape::reorder::repeat_backward(ctx, repeats);
    Tril(k: i64) => "TrilBackward0", shape::reorder::tril_backward(ctx, *k);
    Triu(k: i64) => "TriuBackward0", shape::reorder::triu_backward(ctx, *k);
    Cat { dim: usize } => "CatBackward0", shape::joining::cat_backward(ctx, *dim);
    Stack { dim: usize } => "StackBackward0", shape::joining::stack_backward(ctx, *dim);
    // Reductions (ops/reductions): products, extrema, moments, logsumexp, norms, scans.
    Prod => "ProdBackward0", reductions::prod::prod_backward(ctx, None);
    ProdDim { dim: usize, keepdim: bool } => "ProdBackward1", reductions::prod::prod_backward(ctx, Some((*dim, *keepdim)));
    MaxAll => "MaxBackward1", reductions::extrema::extreme_all_backward(ctx);
    MinAll => "MinBackward1", reductions::extrema::extreme_all_backward(ctx);
    MaxDim { dim: usize, keepdim: bool } => "MaxBackward0", reductions::extrema::extreme_dim_backward(ctx, *dim, *keepdim);
    MinDim { dim: usize, keepdim: bool } => "MinBackward0", reductions::extrema::extreme_dim_backward(ctx, *dim, *keepdim);
    Amax { dims: Shape, keepdim: bool } => "AmaxBackward0", reductions::extrema::extreme_values_backward(ctx, dims, *keepdim);
    Amin { dims: Shape, keepdim: bool } => "AminBackward0", reductions::extrema::extreme_values_backward(ctx, dims, *keepdim);
    /// `whole`: no dim was given (PyTorch's gradient differs when no degrees of freedom remain).
    Var { dims: Shape, keepdim: bool, correction: f64, whole: bool } => "VarBackward0", reductions::moments::var_backward(ctx, dims, *keepdim, *correction, *whole);
    Std { dims: Shape, keepdim: bool, correction: f64, whole: bool } => "StdBackward0", reductions::moments::std_backward(ctx, dims, *keepdim, *correction, *whole);
    Logsumexp { dims: Shape, keepdim: bool } => "LogsumexpBackward0", reductions::logsumexp::logsumexp_backward(ctx, dims, *keepdim);
    VectorNorm { ord: f64, dims: Shape, keepdim: bool } => "LinalgVectorNormBackward0", reductions::norm::vector_norm_backward(ctx, *ord, dims, *keepdim);
    Cumsum(dim: usize) => "CumsumBackward0", reductions::cumulative::cumsum_backward(ctx, *dim);
    Cumprod(dim: usize) => "CumprodBackward0", reductions::cumulative::cumprod_backward(ctx, *dim);
    /// Sum from each element to the end of its line: cumsum's adjoint.
    ReverseCumsum(dim: usize) => "FlipBackward0", reductions::cumulative::reverse_cumsum_backward(ctx, *dim);
    /// One element per line placed by index into zeros (max/min's gradient).
    ScatterSelected(dim: usize) => "ScatterBackward0", reductions::extrema::scatter_selected_backward(ctx, *dim);
    /// One element per line read by index: ScatterSelected's adjoint.
    GatherSelected(dim: usize) => "GatherBackward0", reductions::extrema::gather_selected_backward(ctx, *dim);
    // Pointwise math and activations (ops/pointwise.rs, ops/activation.rs).
    Floor => "FloorBackward0", pointwise::zero_backward(ctx);
    Ceil => "CeilBackward0", pointwise::zero_backward(ctx);
    Round => "RoundBackward0", pointwise::zero_backward(ctx);
    RoundDecimals => "RoundBackward1", pointwise::zero_backward(ctx);
    Trunc => "TruncBackward0", pointwise::zero_backward(ctx);
    NanToNum => "NanToNumBackward0", pointwise::nan_to_num_backward(ctx);
    /// `clamp` with number bounds.
    ClampScalar { min: Option<f64>, max: Option<f64> } => "ClampBackward1", pointwise::clamp_scalar_backward(ctx, *min, *max);
    /// `clamp` with tensor bounds; inputs are self, then min and max when present.
    ClampTensor { has_min: bool, has_max: bool } => "ClampBackward0", pointwise::clamp_tensor_backward(ctx, *has_min, *has_max);
    Maximum => "MaximumBackward0", pointwise::extremum_backward(ctx, true);
    Minimum => "MinimumBackward0", pointwise::extremum_backward(ctx, false);
    Where => "WhereBackward0", pointwise::where_backward(ctx);
    LerpScalar(w: f64) => "LerpBackward0", pointwise::lerp_scalar_backward(ctx, *w);
    LerpTensor => "LerpBackward1", pointwise::lerp_tensor_backward(ctx);
    /// `div` with a rounding mode.
    DivRounding => "DivBackward2", pointwise::zero_backward(ctx);
    /// remainder/fmod by a tensor; saves self and other for the divisor's gradient.
    Modulo(kind: remainder::Modulo) => match kind { remainder::Modulo::Remainder => "RemainderBackward1", remainder::Modulo::Fmod => "FmodBackward1" }, remainder::modulo_backward(ctx, *kind);
    /// remainder/fmod by a number.
    ModuloScalar(kind: remainder::Modulo) => match kind { remainder::Modulo::Remainder => "RemainderBackward0", remainder::Modulo::Fmod => "FmodBackward0" }, remainder::modulo_scalar_backward(ctx);
    /// An op PyTorch records but cannot differentiate (backward raises).
    NotDifferentiable(name: &'static str) => "NotImplemented", pointwise::not_differentiable_backward(name);
    LeakyRelu(slope: f64) => "LeakyReluBackward0", activation::leaky_relu_backward(ctx, *slope);
    Elu(alpha: f64) => "EluBackward0", activation::elu_backward(ctx, *alpha);
    Gelu(approx: activation::GeluApproximation) => "GeluBackward0", activation::gelu_backward(ctx, *approx);
    Silu => "SiluBackward0", activation::silu_backward(ctx);
    Softplus { beta: f64, threshold: f64 } => "SoftplusBackward0", activation::softplus_backward(ctx, *beta, *threshold);
    // Advanced indexing and index ops (ops/indexing). Index tensors are saved,
    // in dim order, for the dims listed.
    Index { dims: Shape } => "IndexBackward0", indexing::advanced::index_backward(ctx, dims);
    IndexPut { dims: Shape, accumulate: bool } => "IndexPutBackward0", indexing::advanced::index_put_backward(ctx, dims, *accumulate);
    IndexFill { dim: usize } => "IndexFillBackward0", indexing::advanced::index_fill_backward(ctx, *dim);
    IndexSelect { dim: usize } => "IndexSelectBackward0", indexing::along::index_select_backward(ctx, *dim);
    IndexAdd { dim: usize, alpha: crate::dtype::Scalar } => "IndexAddBackward0", indexing::along::index_add_backward(ctx, *dim, *alpha);
    Gather { dim: usize } => "GatherBackward0", indexing::along::gather_backward(ctx, *dim);
    Scatter { dim: usize } => "ScatterBackward0", indexing::along::scatter_backward(ctx, *dim);
    ScatterValue { dim: usize } => "ScatterBackward1", indexing::along::scatter_value_backward(ctx, *dim);
    ScatterAdd { dim: usize } => "ScatterAddBackward0", indexing::along::scatter_add_backward(ctx, *dim);
    /// `masked_fill` with a 0-d tensor value; inputs are self and the value.
    MaskedFillTensor => "MaskedFillBackward1", indexing::masked::masked_fill_tensor_backward(ctx);
    MaskedSelect => "MaskedSelectBackward0", indexing::masked::masked_select_backward(ctx);
    // Softmax and losses (ops/losses).
    Softmax(dim: usize) => "SoftmaxBackward0", losses::softmax::softmax_backward_formula(ctx, *dim);
    LogSoftmax(dim: usize) => "LogSoftmaxBackward0", losses::softmax::log_softmax_backward_formula(ctx, *dim);
    /// `spatial`: input of 3 or more dims (NllLoss2DBackward0).
    NllLoss { spatial: bool, reduction: losses::Reduction } => if *spatial { "NllLoss2DBackward0" } else { "NllLossBackward0" }, losses::nll::nll_loss_backward(ctx, *reduction);
    MseLoss(reduction: losses::Reduction) => "MseLossBackward0", losses::pointwise::mse_loss_backward(ctx, *reduction);
    SmoothL1Loss { reduction: losses::Reduction, beta: f64 } => "SmoothL1LossBackward0", losses::pointwise::smooth_l1_loss_backward(ctx, *reduction, *beta);
    HuberLoss { reduction: losses::Reduction, delta: f64 } => "HuberLossBackward0", losses::pointwise::huber_loss_backward(ctx, *reduction, *delta);
    BinaryCrossEntropy(reduction: losses::Reduction) => "BinaryCrossEntropyBackward0", losses::pointwise::binary_cross_entropy_backward(ctx, *reduction);
    BinaryCrossEntropyWithLogits(reduction: losses::Reduction) => "BinaryCrossEntropyWithLogitsBackward0", losses::pointwise::binary_cross_entropy_with_logits_backward(ctx, *reduction);
    /// Division by a number as ATen records it inside composite losses.
    DivByNumber(number: f64) => "DivBackward1", losses::div_by_number_backward(ctx, *number);
    // Convolution, pooling, padding, normalization, embedding (ops/conv.rs, pool.rs, pad.rs, norm.rs, embedding.rs).
    /// Inputs: input, weight, then bias when given.
    Convolution(params: Box<conv::ConvParams>) => "ConvolutionBackward0", conv::convolution_backward(ctx, params);
    Im2Col { window: crate::kernels::window::Window2d, input: [usize; 2] } => "Im2ColBackward0", conv::im2col_backward(ctx, *window, *input);
    Col2Im { window: crate::kernels::window::Window2d, output: [usize; 2] } => "Col2ImBackward0", conv::col2im_backward(ctx, *window);
    MaxPool2d => "MaxPool2DWithIndicesBackward0", pool::max_pool2d_backward(ctx);
    /// Max pooling's gradient: one value per output position added at its index.
    ScatterPlanes => "MaxPool2DWithIndicesBackwardBackward0", pool::scatter_planes_backward(ctx);
    /// ScatterPlanes' adjoint.
    GatherPlanes => "GatherBackward0", pool::gather_planes_backward(ctx);
    AvgPool2d(avg: pool::AvgPool) => "AvgPool2DBackward0", pool::avg_pool2d_backward(ctx, avg);
    AdaptiveAvgPool2d { output: [usize; 2] } => "AdaptiveAvgPool2DBackward0", pool::adaptive_avg_pool2d_backward(ctx, *output);
    ConstantPadNd(pad: pad::PadAmounts) => "ConstantPadNdBackward0", pad::constant_pad_nd_backward(ctx, pad);
    /// Inputs: input, then weight and bias when given.
    LayerNorm { axes: usize, eps: f64, affine: norm::Affine } => "NativeLayerNormBackward0", norm::layer_norm_backward(ctx, *axes, *eps, *affine);
    BatchNorm { training: bool, eps: f64, affine: norm::Affine } => "NativeBatchNormBackward0", norm::batch_norm_backward(ctx, *training, *eps, *affine);
    GroupNorm { groups: usize, eps: f64, affine: norm::Affine } => "NativeGroupNormBackward0", norm::group_norm_backward(ctx, *groups, *eps, *affine);
    /// `adjoint`: the lookup zeroes padding rows (embedding's double backward).
    Embedding { grad: embedding::EmbeddingGrad, adjoint: bool } => "EmbeddingBackward0", embedding::embedding_backward(ctx, *grad);
    EmbeddingDenseBackward(grad: embedding::EmbeddingGrad) => "EmbeddingDenseBackwardBackward0", embedding::embedding_dense_backward_backward(ctx, *grad);
}

/// The error for a node the engine runs itself, never through `Op::backward`.
fn run_by_engine(name: &str) -> Error {
    Error::Autograd(format!("{name} is run by the engine itself"))
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
        self.saved.get(i).and_then(|s| s.as_ref()).ok_or(Error::GraphFreed)
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
    let meta = inputs.iter().map(|t| InputMeta { shape: t.shape().into(), dtype: t.dtype(), device: t.device() }).collect();
    let saved = save(&needs, &out);
    let node = create_node(op, next, meta, saved, 1);
    out.set_history(node, 0);
    out
}

/// `record` for ops that save nothing.
pub(crate) fn record_plain(op: Op, inputs: &[&Tensor], out: Tensor) -> Tensor {
    record(op, inputs, out, |_, _| SmallVec::new())
}
