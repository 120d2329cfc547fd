//! `index` (IndexBackward0), `index_put` (IndexPutBackward0), `index_fill`
//! (IndexFillBackward0) and `nonzero`. Bool masks become the long indices of
//! their true elements, one per mask dim; the index tensors broadcast
//! together; their result dims replace them in place when they are adjacent
//! and go first otherwise, as in PyTorch.

use crate::ops::host::host_only;
use super::{add_elem, at_least_1d, save_indices, saved_indices, Indices};
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result, ShapeList};
use crate::kernels::indexed::{nonzero as nonzero_kernel, plan, put, wrapped_indices, Plan};
use crate::layout::{broadcast_shapes, normalize_dim, Layout, Shape};
use crate::ops::{record, should_record, BackwardCtx, Grads, Op};
use crate::storage::Element;
use crate::tensor::Tensor;
use crate::with_any_type;
use smallvec::smallvec;

fn too_many_indices(ndim: usize) -> Error {
    Error::index(format!("too many indices for tensor of dimension {ndim}"))
}

/// Checks the index dtypes and replaces each bool mask by long indices, one
/// per dim it covers (checked against the indexed tensor's `shape`).
pub(crate) fn expand_masks(shape: &[usize], indices: &[Option<Tensor>]) -> Result<Indices> {
    let mut out: Indices = Vec::with_capacity(indices.len());
    for index in indices {
        let Some(t) = index else {
            out.push(None);
            continue;
        };
        // int32 indices widen; uint8 ones are masks (deprecated in PyTorch, still accepted).
        let t = &match t.dtype() {
            DType::I32 => t.cast(DType::I64)?,
            DType::U8 => t.cast(DType::Bool)?,
            _ => t.clone(),
        };
        match t.dtype() {
            DType::I64 => out.push(Some(t.clone())),
            DType::Bool => {
                let start = out.len();
                if t.ndim() == 0 {
                    return Err(Error::index("a 0-dim bool index is only supported in Python indexing (t[True])"));
                }
                if start + t.ndim() > shape.len() {
                    return Err(too_many_indices(shape.len()));
                }
                for (j, &size) in t.shape().iter().enumerate() {
                    if shape[start + j] != size {
                        return Err(Error::index(format!(
                            "The shape of the mask {} at index {j} does not match the shape of the indexed tensor {} at index {}",
                            ShapeList(t.shape().to_vec()),
                            ShapeList(shape.to_vec()),
                            start + j
                        )));
                    }
                }
                out.extend(t.nonzero_tuple()?.into_iter().map(Some));
            }
            _ => return Err(Error::index("tensors used as indices must be long, int, byte or bool tensors")),
        }
    }
    if out.len() > shape.len() {
        return Err(too_many_indices(shape.len()));
    }
    Ok(out)
}

/// How an out-of-range index names its dim: by its place among the index
/// tensors (advanced indexing) or by the dim itself (index_fill).
#[derive(Copy, Clone)]
pub(crate) enum DimLabel {
    Ordinal,
    Dim,
}

/// The kernel plan for `layout` indexed by long `indices`.
pub(crate) fn index_plan(layout: &Layout, indices: &[Option<Tensor>], label: DimLabel) -> Result<Plan> {
    let present: Vec<(usize, &Tensor)> = indices.iter().enumerate().filter_map(|(d, t)| t.as_ref().map(|t| (d, t))).collect();
    if present.is_empty() {
        return Err(Error::index("at least one index tensor is needed"));
    }
    let mut index_shape: Shape = present[0].1.shape().into();
    for (_, t) in &present[1..] {
        index_shape = broadcast_shapes(&index_shape, &t.shape()).map_err(|_| {
            let shapes: Vec<String> = present.iter().map(|(_, t)| ShapeList(t.shape().to_vec()).to_string()).collect();
            Error::index(format!("shape mismatch: indexing tensors could not be broadcast together with shapes {}", shapes.join(", ")))
        })?;
    }
    let mut picked = vec![0isize; index_shape.iter().product()];
    for (k, &(d, t)) in present.iter().enumerate() {
        let expanded = t.view_with_layout(t.layout().broadcast_to(&index_shape)?)?;
        let (size, stride) = (layout.shape()[d], layout.strides()[d]);
        let name = match label {
            DimLabel::Ordinal => k,
            DimLabel::Dim => d,
        };
        for (p, i) in picked.iter_mut().zip(wrapped_indices(&expanded.snapshot(), size, name)?) {
            *p += i as isize * stride;
        }
    }
    let dims: Vec<usize> = present.iter().map(|&(d, _)| d).collect();
    let adjacent = dims.windows(2).all(|w| w[1] == w[0] + 1);
    plan(layout, &dims, if adjacent { dims[0] } else { 0 }, &index_shape, picked)
}

/// Writes `values` (broadcast to the indexing result) into `target` at `indices`.
fn write_indexed(target: &Tensor, indices: &[Option<Tensor>], values: &Tensor, accumulate: bool, label: DimLabel) -> Result<()> {
    let plan = index_plan(&target.layout(), indices, label)?;
    let mismatch = || {
        Error::ShapesDiffer { expected: "shape mismatch: value tensor of shape ", lhs: ShapeList(values.shape().to_vec()), sep: " cannot be broadcast to indexing result of shape ", rhs: ShapeList(plan.shape.to_vec()), tail: "" }
    };
    if values.ndim() > plan.shape.len() {
        return Err(mismatch());
    }
    let values = values.cast(target.dtype())?;
    let expanded = values.view_with_layout(values.layout().broadcast_to(&plan.shape).map_err(|_| mismatch())?)?;
    // Read the values before taking the write lock: they may share storage with the target.
    with_any_type!(target.dtype(), T => {
        let v = expanded.to_vec::<T>()?;
        put::<T>(&target.snapshot(), &plan, &v, accumulate, add_elem)?;
    });
    Ok(())
}

fn indexed_dims(indices: &[Option<Tensor>]) -> Shape {
    indices.iter().enumerate().filter(|(_, t)| t.is_some()).map(|(d, _)| d).collect()
}

fn check_put_dtypes(target: &Tensor, values: &Tensor) -> Result<()> {
    if target.dtype() != values.dtype() {
        return Err(Error::ScalarTypesDiffer { expected: "Index put requires the source and destination dtypes match, got ", lhs: target.dtype(), sep: " for the destination and ", rhs: values.dtype(), tail: " for the source." });
    }
    Ok(())
}

impl Tensor {
    /// `self[indices]` for index tensors (None keeps a dim whole).
    pub fn index(&self, indices: &[Option<Tensor>]) -> Result<Tensor> {
        let indices = expand_masks(&self.shape(), indices)?;
        let plan = index_plan(&self.layout(), &indices, DimLabel::Ordinal)?;
        let out = Tensor::from_storage(self.snapshot().take(&plan)?, &plan.shape)?;
        Ok(record(Op::Index { dims: indexed_dims(&indices) }, &[self], out, |_, _| save_indices(&indices)))
    }

    /// A copy of `self` with `values` written (or added) at `indices`.
    pub fn index_put(&self, indices: &[Option<Tensor>], values: &Tensor, accumulate: bool) -> Result<Tensor> {
        check_put_dtypes(self, values)?;
        let indices = expand_masks(&self.shape(), indices)?;
        let out = self.plain_copy()?;
        write_indexed(&out, &indices, values, accumulate, DimLabel::Ordinal)?;
        let op = Op::IndexPut { dims: indexed_dims(&indices), accumulate };
        Ok(record(op, &[self, values], out, |_, _| save_indices(&indices)))
    }

    /// `index_put` into `self`; without a graph to record it writes in place directly.
    pub fn index_put_(&self, indices: &[Option<Tensor>], values: &Tensor, accumulate: bool) -> Result<()> {
        check_put_dtypes(self, values)?;
        if should_record(&[self, values]) {
            return self.apply_in_place(false, |before| before.index_put(indices, values, accumulate));
        }
        let indices = expand_masks(&self.shape(), indices)?;
        write_indexed(self, &indices, values, accumulate, DimLabel::Ordinal)?;
        self.bump_version();
        Ok(())
    }

    /// A copy of `self` with `value` at `index` along `dim`.
    pub fn index_fill(&self, dim: i64, index: &Tensor, value: Scalar) -> Result<Tensor> {
        let dim = check_index_fill(self, dim, index)?;
        let out = self.plain_copy()?;
        fill_along(&out, dim, index, value)?;
        Ok(record(Op::IndexFill { dim }, &[self], out, |_, _| save_indices(&[Some(index.clone())])))
    }

    pub fn index_fill_(&self, dim: i64, index: &Tensor, value: Scalar) -> Result<()> {
        if should_record(&[self]) {
            return self.apply_in_place(false, |before| before.index_fill(dim, index, value));
        }
        let dim = check_index_fill(self, dim, index)?;
        fill_along(self, dim, index, value)?;
        self.bump_version();
        Ok(())
    }

    /// The coordinates of the nonzero elements, one row each (int64, `count x ndim`).
    pub fn nonzero(&self) -> Result<Tensor> {
        host_only!("nonzero", [self] => |[x]| x.nonzero());
        let (coords, count) = with_any_type!(self.dtype(), T => nonzero_kernel::<T>(&self.snapshot())?);
        Tensor::from_vec(coords, &[count, self.ndim()])
    }

    /// `nonzero(as_tuple=True)`: one int64 vector of coordinates per dim (a 0-d tensor counts as 1-d).
    pub fn nonzero_tuple(&self) -> Result<Vec<Tensor>> {
        host_only!("nonzero", [self] => |[x]| x.nonzero_tuple());
        let x = at_least_1d(self)?;
        let (coords, count) = with_any_type!(x.dtype(), T => nonzero_kernel::<T>(&x.snapshot())?);
        let ndim = x.ndim();
        (0..ndim).map(|d| Tensor::from_vec(coords.iter().skip(d).step_by(ndim).copied().collect(), &[count])).collect()
    }
}

fn check_index_fill(x: &Tensor, dim: i64, index: &Tensor) -> Result<usize> {
    let dim = normalize_dim(dim, x.ndim())?;
    if index.dtype() != DType::I64 {
        return Err(Error::index("index_fill_(): Expected dtype int64 for index."));
    }
    if index.ndim() > 1 {
        return Err(Error::runtime("Index has to be a vector/scalar"));
    }
    Ok(dim)
}

/// Writes `value` into `target` at `index` along `dim`.
fn fill_along(target: &Tensor, dim: usize, index: &Tensor, value: Scalar) -> Result<()> {
    target.dtype().check_fits(value, true)?;
    let target = at_least_1d(target)?;
    let mut indices: Indices = vec![None; dim];
    indices.push(Some(at_least_1d(index)?));
    let plan = index_plan(&target.layout(), &indices, DimLabel::Dim)?;
    with_any_type!(target.dtype(), T => {
        let v = vec![T::from_scalar(value); plan.shape.iter().product()];
        put::<T>(&target.snapshot(), &plan, &v, false, add_elem)?;
    });
    Ok(())
}

// ---- derivatives -----------------------------------------------------------

/// IndexBackward0: the gradient added back where each element was read
/// (repeated indices accumulate).
pub(crate) fn index_backward(ctx: &BackwardCtx, dims: &[usize]) -> Result<Grads> {
    let indices = saved_indices(ctx, dims)?;
    let g = ctx.grad();
    Ok(smallvec![ctx.grad_for(0, || Tensor::zeros_on(&ctx.inputs[0].shape, g.dtype(), g.device())?.index_put(&indices, g, true))?])
}

/// IndexPutBackward0: overwritten elements of self get nothing (everything
/// when accumulating); the values get the gradient read at the indices.
pub(crate) fn index_put_backward(ctx: &BackwardCtx, dims: &[usize], accumulate: bool) -> Result<Grads> {
    let indices = saved_indices(ctx, dims)?;
    let g = ctx.grad();
    let self_grad = ctx.grad_for(0, || {
        if accumulate {
            return Ok(g.clone());
        }
        g.index_put(&indices, &Tensor::scalar_tensor(Scalar::Int(0), g.dtype()), false)
    })?;
    Ok(smallvec![self_grad, ctx.grad_for(1, || g.index(&indices))?])
}

/// IndexFillBackward0: filled elements get no gradient.
pub(crate) fn index_fill_backward(ctx: &BackwardCtx, dim: usize) -> Result<Grads> {
    let index = ctx.saved(0)?;
    Ok(smallvec![ctx.grad_for(0, || ctx.grad().index_fill(dim as i64, index, Scalar::Int(0)))?])
}
