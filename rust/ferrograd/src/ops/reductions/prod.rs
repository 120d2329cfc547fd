//! Products over all elements or along one dim. The gradient of a product is
//! the product of the other elements, computed without division so inputs
//! holding zeros get PyTorch's exact gradient.

use crate::ops::host::host_only;
use super::{contains_zero, count_zeros, line_rows, square_mask, unsqueeze_reduced};
use crate::autograd::saved::SavedTensor;
use crate::dtype::{DType, Scalar};
use crate::error::Result;
use crate::kernels::along;
use crate::kernels::reduce::reduce;
use crate::layout::{normalize_dim, Shape};
use crate::ops::reduce::reduced_shape;
use crate::ops::{record, BackwardCtx, Grads, Op, Saved};
use crate::storage::{Element, Numeric};
use crate::tensor::Tensor;
use crate::with_float_type;
use smallvec::smallvec;

/// Product over `dims` (sorted). Floats multiply in f64; bool and int in int64.
fn prod_kernel(x: &Tensor, dims: &[usize], keepdim: bool) -> Result<Tensor> {
    let shape = reduced_shape(&x.shape(), dims, keepdim);
    let dims: Shape = super::real_dims(dims, x.ndim());
    let buffer = match x.dtype() {
        DType::F32 => f32::into_buffer(reduce::<f32, f64>(&x.snapshot(), &dims, 1.0, |a, v| a * v as f64, |a, b| a * b, |a| a as f32)?),
        DType::F64 => f64::into_buffer(reduce::<f64, f64>(&x.snapshot(), &dims, 1.0, |a, v| a * v, |a, b| a * b, |a| a)?),
        DType::I64 => i64::into_buffer(reduce::<i64, i64>(&x.snapshot(), &dims, 1, |a, v| a.mul(v), |a, b| a.mul(b), |a| a)?),
        DType::Bool | DType::U8 | DType::I8 | DType::I16 | DType::I32 => return prod_kernel(&x.cast(DType::I64)?, &dims, keepdim),
        DType::F16 | DType::BF16 => return prod_kernel(&x.cast(DType::F32)?, &dims, keepdim)?.cast(x.dtype()),
    };
    Tensor::from_buffer(buffer, &shape)
}

/// The gradient needs the input, and the result for the division form.
fn save_input_and_result(x: &Tensor, out: &Tensor) -> Saved {
    smallvec![Some(SavedTensor::input(x)), Some(SavedTensor::output(out))]
}

impl Tensor {
    /// Product of all elements (ProdBackward0).
    pub fn prod(&self) -> Result<Tensor> {
        host_only!("prod", [self] => |[x]| x.prod());
        let all: Shape = (0..self.ndim()).collect();
        let out = prod_kernel(self, &all, false)?;
        Ok(record(Op::Prod, &[self], out, |_, out| save_input_and_result(self, out)))
    }

    /// Product along `dim` (ProdBackward1).
    pub fn prod_dim(&self, dim: i64, keepdim: bool) -> Result<Tensor> {
        host_only!("prod", [self] => |[x]| x.prod_dim(dim, keepdim));
        let dim = normalize_dim(dim, self.ndim())?;
        let out = prod_kernel(self, &[dim], keepdim)?;
        Ok(record(Op::ProdDim { dim, keepdim }, &[self], out, |_, out| save_input_and_result(self, out)))
    }
}

/// d(prod x)/dx_i = product of the other elements, over the whole tensor
/// (`dim` None) or along `dim`.
pub(crate) fn prod_backward(ctx: &BackwardCtx, dim: Option<(usize, bool)>) -> Result<Grads> {
    Ok(smallvec![ctx.grad_for(0, || {
        let (x, result) = (ctx.saved(0)?, ctx.saved(1)?);
        if x.ndim() == 0 {
            return Ok(ctx.grad().clone());
        }
        match dim {
            None => {
                // As PyTorch: with two zeros every partial product is zero, NaN or
                // not; the differentiable form still multiplies them out.
                if !ctx.create_graph && count_zeros(x)? >= 2 {
                    return Tensor::zeros_on(&x.shape(), x.dtype(), x.device());
                }
                // The whole product is the product along the flattened tensor.
                let shape: Vec<i64> = x.shape().iter().map(|&s| s as i64).collect();
                let one = [1i64];
                let g = prod_grad_along(&x.reshape(&[-1])?, &ctx.grad().reshape(&one)?, &result.reshape(&one)?, 0, ctx.create_graph)?;
                g.reshape(&shape)
            }
            Some((d, keepdim)) => {
                let g = unsqueeze_reduced(ctx.grad(), x.ndim(), &[d], keepdim)?;
                let result = unsqueeze_reduced(result, x.ndim(), &[d], keepdim)?;
                prod_grad_along(x, &g, &result, d, ctx.create_graph)
            }
        }
    })?])
}

/// `g` times the product of the other elements of each line along `dim`;
/// `g` and `result` have size 1 at `dim`. As PyTorch: `result / x` while no
/// element is zero (so NaN and inf spread as that division spreads them),
/// else the product of the others, without division.
fn prod_grad_along(x: &Tensor, g: &Tensor, result: &Tensor, dim: usize, create_graph: bool) -> Result<Tensor> {
    if !contains_zero(x)? {
        return g.mul(&result.div(x)?);
    }
    if !create_graph {
        let g = g.cast(x.dtype())?;
        let buffer = with_float_type!(x.dtype(), "prod_backward", T => T::into_buffer(along::prod_backward::<T>(&x.snapshot(), &g.snapshot(), dim)?));
        return Tensor::from_buffer(buffer, &x.shape());
    }
    g.mul(&products_of_others(x, dim)?)
}

/// `out[i] = prod over j != i of x[j]` along `dim`, in tensor ops: each line
/// copied once per element with that element replaced by one. Quadratic in
/// the line length; only double backward through a zero takes it.
fn products_of_others(x: &Tensor, dim: usize) -> Result<Tensor> {
    let n = x.shape()[dim];
    let rows = line_rows(x, dim)?.masked_fill_scalar(&square_mask(n, |i, j| i == j)?, Scalar::Int(1))?;
    rows.prod_dim(-1, false)?.transpose(dim as i64, -1)
}
