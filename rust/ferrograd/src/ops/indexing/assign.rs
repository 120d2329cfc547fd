//! Assignment through an index expression, `t[idx] = v`, dispatched as
//! PyTorch dispatches it: with basic items only, the value is written through
//! the view (`fill_`/`copy_`); with advanced ones, a number and one index
//! tensor run `masked_fill_` (a bool mask) or `index_fill_` (a long index),
//! anything else `index_put_`.

use super::items::IndexItem;
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// What is assigned: a number or a tensor.
#[derive(Clone, Debug)]
pub enum IndexValue {
    Number(Scalar),
    Tensor(Tensor),
}

impl Tensor {
    /// `self[items] = value` for a tuple of items.
    pub fn index_put_items(&self, items: &[IndexItem], value: IndexValue) -> Result<()> {
        let sliced = self.sliced(items, true)?;
        let target = &sliced.view;
        let indices = sliced.indices;
        if indices.is_empty() {
            return assign_view(target, value);
        }
        match value {
            IndexValue::Number(s) => {
                if let Some(mask) = fill_mask(target, &indices)? {
                    return target.masked_fill_(&mask, &Tensor::wrapped_number(s));
                }
                if let Some((dim, index)) = fill_index(&indices)? {
                    return target.index_fill_(dim as i64, &index, s);
                }
                target.index_put_(&indices, &Tensor::scalar_tensor(s, target.dtype()), false)
            }
            IndexValue::Tensor(v) => target.index_put_(&indices, &strip_leading_ones(&v)?, false),
        }
    }

    /// `self[item] = value` for a lone item: a lone `false` selects nothing
    /// and a lone `true` only adds a dim.
    pub fn index_put_item(&self, item: &IndexItem, value: IndexValue) -> Result<()> {
        match item {
            IndexItem::Bool(false) => Ok(()),
            IndexItem::Bool(true) => assign_view(&self.unsqueeze(0)?, value),
            _ => self.index_put_items(std::slice::from_ref(item), value),
        }
    }
}

/// Writes `value` through a view made by basic indexing (copy_ semantics).
fn assign_view(view: &Tensor, value: IndexValue) -> Result<()> {
    match value {
        IndexValue::Number(s) => view.fill_(s),
        IndexValue::Tensor(v) => view.copy_(&strip_leading_ones(&v)?),
    }
}

/// numpy's rule for assigned values: leading dims of size 1 are dropped.
fn strip_leading_ones(v: &Tensor) -> Result<Tensor> {
    let lead = v.shape().iter().take_while(|&&s| s == 1).count();
    if lead == 0 {
        return Ok(v.clone());
    }
    let kept: Vec<i64> = v.shape()[lead..].iter().map(|&s| s as i64).collect();
    v.view(&kept)
}

/// The only index present, with its position, when there is exactly one.
fn single_index(indices: &[Option<Tensor>]) -> Option<(usize, &Tensor)> {
    let mut present = indices.iter().enumerate().filter_map(|(p, t)| t.as_ref().map(|t| (p, t)));
    match (present.next(), present.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// The mask `masked_fill_` takes when the only index is one bool mask
/// (unsqueezed over the dims after it), else None.
fn fill_mask(target: &Tensor, indices: &[Option<Tensor>]) -> Result<Option<Tensor>> {
    let Some((before, mask)) = single_index(indices) else { return Ok(None) };
    if mask.dtype() != DType::Bool {
        return Ok(None);
    }
    let shape = target.shape().to_vec();
    for (j, &size) in mask.shape().iter().enumerate() {
        if shape.get(before + j) != Some(&size) {
            return Err(Error::InvalidIndex(format!(
                "The shape of the mask {:?} at index {j} does not match the shape of the indexed tensor {:?} at index {}",
                mask.shape().to_vec(),
                shape,
                before + j
            )));
        }
    }
    let mut mask = mask.clone();
    for _ in before + mask.ndim()..shape.len() {
        mask = mask.unsqueeze(-1)?;
    }
    Ok(Some(mask))
}

/// The dim and flat index `index_fill_` takes when the only index is one long tensor, else None.
fn fill_index(indices: &[Option<Tensor>]) -> Result<Option<(usize, Tensor)>> {
    let Some((dim, index)) = single_index(indices) else { return Ok(None) };
    if index.dtype() != DType::I64 || (index.ndim() > 1 && !index.is_contiguous()) {
        return Ok(None);
    }
    let flat = if index.ndim() > 1 { index.view(&[-1])? } else { index.clone() };
    Ok(Some((dim, flat)))
}
