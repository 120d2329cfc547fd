//! Index ops along one dim: `gather` (GatherBackward0) and its adjoint
//! `scatter_add` (ScatterAddBackward0), `scatter` with a tensor or a number
//! (ScatterBackward0/1), `index_select` (IndexSelectBackward0) and its adjoint
//! `index_add` (IndexAddBackward0), and `take_along_dim` (a broadcast gather).

use super::advanced::{index_plan, DimLabel};
use super::{add_elem, at_least_1d, save_indices};
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result, ShapeList};
use crate::kernels::indexed::put;
use crate::layout::{broadcast_shapes, normalize_dim, Shape};
use crate::ops::binary::{arith, Arith};
use crate::ops::{record, record_plain, BackwardCtx, Grads, Op};
use crate::tensor::Tensor;
use crate::with_any_type;
use smallvec::smallvec;

fn shape_of(t: &Tensor) -> ShapeList {
    ShapeList(t.shape().to_vec())
}

/// Sizes of `t` with 0-d read as one element of one dim.
fn size_at(t: &Tensor, d: usize) -> usize {
    t.shape().get(d).copied().unwrap_or(1)
}

fn dims_of(t: &Tensor) -> usize {
    t.ndim().max(1)
}

/// The index as int64; int32 indices are accepted and widened, as in PyTorch.
fn long_index(index: &Tensor, message: &str) -> Result<Tensor> {
    match index.dtype() {
        DType::I64 => Ok(index.clone()),
        DType::I32 => index.cast(DType::I64),
        _ => Err(Error::runtime(message)),
    }
}

/// gather's shape rule: same number of dims, no larger than self except along `dim`.
fn check_gather_shapes(x: &Tensor, dim: usize, index: &Tensor) -> Result<()> {
    if dims_of(index) != dims_of(x) {
        return Err(Error::runtime("Index tensor must have the same number of dimensions as input tensor"));
    }
    for d in (0..dims_of(x)).filter(|&d| d != dim) {
        if size_at(index, d) > size_at(x, d) {
            return Err(Error::IndexSizeAtDim { at: d, index: shape_of(index), input: shape_of(x), dim });
        }
    }
    Ok(())
}

/// scatter's shape rule: index no larger than self (but along `dim`) nor than src.
fn check_scatter_shapes(x: &Tensor, dim: usize, index: &Tensor, src: Option<&Tensor>) -> Result<()> {
    if dims_of(index) != dims_of(x) {
        return Err(Error::runtime("Index tensor must have the same number of dimensions as self tensor"));
    }
    if let Some(src) = src {
        if dims_of(index) != dims_of(src) {
            return Err(Error::runtime("Index tensor must have the same number of dimensions as src tensor"));
        }
    }
    for d in 0..dims_of(x) {
        let beyond_self = d != dim && size_at(index, d) > size_at(x, d);
        let beyond_src = src.is_some_and(|s| size_at(index, d) > size_at(s, d));
        if beyond_self || beyond_src {
            return Err(Error::IndexLargerThanInput { index: shape_of(index), input: shape_of(x), dim, src: src.map(shape_of) });
        }
    }
    Ok(())
}

/// `self` with `src` (or `value`) scattered along `dim`, assigned or added.
fn scattered(x: &Tensor, dim: usize, index: &Tensor, src: &Tensor, accumulate: bool) -> Result<Tensor> {
    let (x1, index1, src1) = (at_least_1d(x)?, at_least_1d(index)?, at_least_1d(src)?);
    let src1 = if src.ndim() == 0 && index.ndim() > 0 { src.clone() } else { src1 };
    let out = x1.snapshot().scatter(dim, &index1.snapshot(), &src1.snapshot(), accumulate)?;
    Tensor::from_storage(out, &x.shape())
}

/// The wrapped dim and the checks scatter and scatter_add share.
/// Returns the index as int64; scatter_add's messages say `scatter()` too, as PyTorch's do.
fn prepare_scatter(x: &Tensor, dim: i64, index: &Tensor, src: Option<&Tensor>) -> Result<(usize, Tensor)> {
    let dim = normalize_dim(dim, x.ndim())?;
    let index = long_index(index, "scatter(): Expected dtype int32/int64 for index")?;
    if src.is_some_and(|s| s.dtype() != x.dtype()) {
        return Err(Error::runtime("scatter(): Expected self.dtype to be equal to src.dtype"));
    }
    check_scatter_shapes(x, dim, &index, src)?;
    Ok((dim, index))
}

/// Checks `index` against a dim of `size` (index_select: no negative indices).
fn select_offsets(index: &Tensor, size: usize, stride: isize) -> Result<Vec<isize>> {
    index
        .to_vec::<i64>()?
        .into_iter()
        .map(|i| if i < 0 || i >= size as i64 { Err(Error::index("index out of range in self")) } else { Ok(i as isize * stride) })
        .collect()
}

fn check_index_add(x: &Tensor, dim: usize, index: &Tensor, source: &Tensor) -> Result<()> {
    if index.ndim() > 1 {
        return Err(Error::index(format!(
            "index_add_(): Index is supposed to be a vector, but got dim: {} with type: {} and size: {}",
            index.ndim(),
            index.dtype().scalar_type_name(),
            shape_of(index)
        )));
    }
    if source.dtype() != x.dtype() {
        return Err(Error::ScalarTypesDiffer { expected: "index_add_(): self (", lhs: x.dtype(), sep: ") and source (", rhs: source.dtype(), tail: ") must have the same scalar type" });
    }
    if source.ndim() > 0 && index.numel() != size_at(source, dim) {
        return Err(Error::IndexAddCount { indices: index.numel(), size: size_at(source, dim), dim });
    }
    let same_elsewhere = dims_of(source) == dims_of(x) && (0..dims_of(x)).all(|d| d == dim || size_at(source, d) == size_at(x, d));
    if !same_elsewhere {
        return Err(Error::ShapesDiffer { expected: "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = ", lhs: shape_of(x), sep: " source.shape = ", rhs: shape_of(source), tail: "" });
    }
    let size = size_at(x, dim);
    if let Some(bad) = index.to_vec::<i64>()?.into_iter().find(|&i| i < 0 || i >= size as i64) {
        return Err(Error::IndexOutOfBounds { index: bad, dim, size });
    }
    Ok(())
}

/// Adds `alpha * source` into `target` at `index` along `dim`.
fn add_along(target: &Tensor, dim: usize, index: &Tensor, source: &Tensor, alpha: Scalar) -> Result<()> {
    let scaled = if alpha.to_f64() == 1.0 { source.clone() } else { arith(Arith::Mul, source, &Tensor::wrapped_number(alpha))?.cast(target.dtype())? };
    let target = at_least_1d(target)?;
    let mut indices = vec![None; dim];
    indices.push(Some(at_least_1d(index)?));
    let plan = index_plan(&target.layout(), &indices, DimLabel::Dim).map_err(|e| match e {
        Error::Index(m) => Error::Runtime(m),
        other => other,
    })?;
    let scaled = at_least_1d(&scaled)?;
    with_any_type!(target.dtype(), T => {
        let v = scaled.view_with_layout(scaled.layout().broadcast_to(&plan.shape)?)?.to_vec::<T>()?;
        put::<T>(&target.snapshot(), &plan, &v, true, add_elem)?;
    });
    Ok(())
}

impl Tensor {
    /// `out[...][j][...] = self[...][index[...][j][...]][...]` along `dim`.
    pub fn gather(&self, dim: i64, index: &Tensor) -> Result<Tensor> {
        let dim = normalize_dim(dim, self.ndim())?;
        let index = &long_index(index, "gather(): Expected dtype int32/int64 for index")?;
        check_gather_shapes(self, dim, index)?;
        let (src, index1) = (at_least_1d(self)?, at_least_1d(index)?);
        let out = Tensor::from_storage(src.snapshot().gather(dim, &index1.snapshot())?, &index.shape())?;
        Ok(record(Op::Gather { dim }, &[self], out, |_, _| save_indices(&[Some(index.clone())])))
    }

    /// A copy of `self` with `src`'s elements written at `index` along `dim`.
    pub fn scatter(&self, dim: i64, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        let (dim, index) = prepare_scatter(self, dim, index, Some(src))?;
        let out = scattered(self, dim, &index, src, false)?;
        Ok(record(Op::Scatter { dim }, &[self, src], out, |_, _| save_indices(&[Some(index.clone())])))
    }

    /// A copy of `self` with `value` written at `index` along `dim`.
    pub fn scatter_value(&self, dim: i64, index: &Tensor, value: Scalar) -> Result<Tensor> {
        let (dim, index) = prepare_scatter(self, dim, index, None)?;
        let out = scattered(self, dim, &index, &Tensor::scalar_tensor(value, self.dtype()), false)?;
        Ok(record(Op::ScatterValue { dim }, &[self], out, |_, _| save_indices(&[Some(index.clone())])))
    }

    /// A copy of `self` with `src`'s elements added at `index` along `dim` (duplicates all add).
    pub fn scatter_add(&self, dim: i64, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        let (dim, index) = prepare_scatter(self, dim, index, Some(src))?;
        let out = scattered(self, dim, &index, src, true)?;
        Ok(record(Op::ScatterAdd { dim }, &[self, src], out, |_, _| save_indices(&[Some(index.clone())])))
    }

    pub fn scatter_(&self, dim: i64, index: &Tensor, src: &Tensor) -> Result<()> {
        self.apply_in_place(false, |x| x.scatter(dim, index, src))
    }

    pub fn scatter_value_(&self, dim: i64, index: &Tensor, value: Scalar) -> Result<()> {
        self.apply_in_place(false, |x| x.scatter_value(dim, index, value))
    }

    pub fn scatter_add_(&self, dim: i64, index: &Tensor, src: &Tensor) -> Result<()> {
        self.apply_in_place(false, |x| x.scatter_add(dim, index, src))
    }

    /// The slices `index` names along `dim`, in its order.
    pub fn index_select(&self, dim: i64, index: &Tensor) -> Result<Tensor> {
        let dim = normalize_dim(dim, self.ndim())?;
        let index = &long_index(index, "index_select(): Expected dtype int32 or int64 for index")?;
        if index.ndim() > 1 {
            return Err(Error::index("index_select(): Index is supposed to be a vector"));
        }
        if self.ndim() == 0 && index.numel() != 1 {
            return Err(Error::UnexpectedCount { expected: "index_select(): Index to scalar can have only 1 value, got ", got: index.numel(), tail: " value(s)" });
        }
        let src = at_least_1d(self)?;
        let picked = select_offsets(index, src.shape()[dim], src.layout().strides()[dim])?;
        let plan = crate::kernels::indexed::plan(&src.layout(), &[dim], dim, &[index.numel()], picked)?;
        // Through the backend, so a device tensor is gathered on its device.
        let taken = src.snapshot().take(&plan)?;
        let shape: Shape = if self.ndim() == 0 { Shape::new() } else { plan.shape.clone() };
        let out = Tensor::from_storage(taken, &shape)?;
        Ok(record(Op::IndexSelect { dim }, &[self], out, |_, _| save_indices(&[Some(index.clone())])))
    }

    /// A copy of `self` with `alpha * source` added at `index` along `dim` (duplicates all add).
    pub fn index_add(&self, dim: i64, index: &Tensor, source: &Tensor, alpha: Scalar) -> Result<Tensor> {
        let dim = normalize_dim(dim, self.ndim())?;
        let index = &long_index(index, &format!("index_add_(): Expected dtype int32/int64 for index but got: {}", index.dtype().scalar_type_name()))?;
        check_index_add(self, dim, index, source)?;
        let out = self.plain_copy()?;
        add_along(&out, dim, index, source, alpha)?;
        Ok(record(Op::IndexAdd { dim, alpha }, &[self, source], out, |_, _| save_indices(&[Some(index.clone())])))
    }

    pub fn index_add_(&self, dim: i64, index: &Tensor, source: &Tensor, alpha: Scalar) -> Result<()> {
        self.apply_in_place(false, |x| x.index_add(dim, index, source, alpha))
    }

    /// `gather` after broadcasting `self` and `indices` over every dim but
    /// `dim`; with no dim, both are flattened first.
    pub fn take_along_dim(&self, indices: &Tensor, dim: Option<i64>) -> Result<Tensor> {
        if indices.dtype() != DType::I64 {
            return Err(Error::UnexpectedDType { expected: "torch.take_along_dim(): dtype of indices should be Long but got ", got: indices.dtype() });
        }
        let Some(dim) = dim else {
            return self.view(&[-1])?.gather(0, &indices.view(&[-1])?);
        };
        if self.ndim() != indices.ndim() {
            return Err(Error::CountMismatch { expected: "torch.take_along_dim(): input and indices should have the same number of dimensions, but got ", lhs: self.ndim(), sep: " dimensions for input, and ", rhs: indices.ndim(), tail: " dimensions for indices" });
        }
        let dim = normalize_dim(dim, self.ndim())?;
        let with_size = |shape: &[usize], size: usize| -> Shape {
            let mut s: Shape = shape.into();
            if let Some(d) = s.get_mut(dim) {
                *d = size;
            }
            s
        };
        let index_shape = broadcast_shapes(&with_size(&self.shape(), size_at(indices, dim)), &indices.shape())?;
        let self_shape = broadcast_shapes(&with_size(&indices.shape(), size_at(self, dim)), &self.shape())?;
        let expand = |t: &Tensor, shape: &[usize]| -> Result<Tensor> {
            if t.shape() == shape {
                return Ok(t.clone());
            }
            Ok(record_plain(Op::Expand, &[t], t.view_with_layout(t.layout().broadcast_to(shape)?)?))
        };
        expand(self, &self_shape)?.gather(dim as i64, &expand(indices, &index_shape)?)
    }
}

// ---- derivatives -----------------------------------------------------------

/// GatherBackward0: each read element's gradient added back where it was read.
pub(crate) fn gather_backward(ctx: &BackwardCtx, dim: usize) -> Result<Grads> {
    let (g, index) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![ctx.grad_for(0, || Tensor::zeros_on(&ctx.inputs[0].shape, g.dtype(), g.device())?.scatter_add(dim as i64, index, g))?])
}

/// ScatterBackward0: overwritten elements of self get nothing; src gets the gradient read back.
pub(crate) fn scatter_backward(ctx: &BackwardCtx, dim: usize) -> Result<Grads> {
    let (g, index) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![
        ctx.grad_for(0, || g.scatter_value(dim as i64, index, Scalar::Int(0)))?,
        ctx.grad_for(1, || g.gather(dim as i64, index))?
    ])
}

/// ScatterBackward1: as ScatterBackward0 for self; the number gets no gradient.
pub(crate) fn scatter_value_backward(ctx: &BackwardCtx, dim: usize) -> Result<Grads> {
    let (g, index) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![ctx.grad_for(0, || g.scatter_value(dim as i64, index, Scalar::Int(0)))?])
}

/// ScatterAddBackward0: self passes the gradient through; src reads it back.
pub(crate) fn scatter_add_backward(ctx: &BackwardCtx, dim: usize) -> Result<Grads> {
    let (g, index) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![ctx.needs(0).then(|| g.clone()), ctx.grad_for(1, || g.gather(dim as i64, index))?])
}

/// IndexSelectBackward0: the gradient added back at the selected slices.
pub(crate) fn index_select_backward(ctx: &BackwardCtx, dim: usize) -> Result<Grads> {
    let (g, index) = (ctx.grad(), ctx.saved(0)?);
    Ok(smallvec![ctx.grad_for(0, || {
        let shape = &ctx.inputs[0].shape;
        Tensor::zeros_on(shape, g.dtype(), g.device())?.index_add(dim as i64, index, g, Scalar::Int(1))
    })?])
}

/// IndexAddBackward0: self passes the gradient through; source reads it at the index, times alpha.
pub(crate) fn index_add_backward(ctx: &BackwardCtx, dim: usize, alpha: Scalar) -> Result<Grads> {
    let (g, index) = (ctx.grad(), ctx.saved(0)?);
    let source_grad = ctx.grad_for(1, || {
        let picked = g.index_select(dim as i64, index)?;
        if alpha.to_f64() == 1.0 {
            return Ok(picked);
        }
        picked.mul_scalar(alpha)
    })?;
    Ok(smallvec![ctx.needs(0).then(|| g.clone()), source_grad])
}
