//! Kernels that read or write elements chosen by index tensors.
//!
//! Advanced indexing, index_select/index_add/index_fill and index_put share
//! one plan: the result is `outer x picked x inner`, where `outer` and `inner`
//! are strided walks over the dims no index names and `picked` holds one
//! storage offset per position of the broadcast index tensors. Each element is
//! then one addition of three precomputed offsets, so a kernel is O(output)
//! however many dims are indexed. gather/scatter walk the index tensor once
//! with the dim's stride left out and add `index * stride` per element.

use crate::dtype::Category;
use crate::error::{Error, Result};
use crate::layout::{walk, Layout, Shape};
use crate::storage::{vec_with_capacity, Element};
use crate::strided::Strided;

fn data<'a, T: Element>(buffer: &'a crate::storage::Buffer, t: &Strided) -> Result<&'a [T]> {
    T::slice(buffer).ok_or(Error::DTypeMismatch { op: "index", lhs: t.dtype(), rhs: T::DTYPE })
}

fn data_mut<'a, T: Element>(buffer: &'a mut crate::storage::Buffer, t: &Strided) -> Result<&'a mut [T]> {
    let dtype = t.dtype();
    T::slice_mut(buffer).ok_or(Error::DTypeMismatch { op: "index", lhs: dtype, rhs: T::DTYPE })
}

/// The offsets (relative to 0) of every index of `shape` under `strides`, row-major.
pub fn offsets(shape: &[usize], strides: &[isize]) -> Result<Vec<isize>> {
    let mut out = vec_with_capacity(crate::layout::numel(shape)?)?;
    // `walk` works on unsigned offsets; start from a base that keeps them positive.
    let base = strides.iter().zip(shape).map(|(&s, &n)| if s < 0 { (-s) as usize * n } else { 0 }).sum::<usize>();
    walk(shape, &[strides], &[base], |[o]| out.push(o as isize - base as isize));
    Ok(out)
}

/// Where the elements of an indexing result live in the indexed tensor's storage.
pub struct Plan {
    pub base: usize,
    pub outer: Vec<isize>,
    pub picked: Vec<isize>,
    pub inner: Vec<isize>,
    /// The result's shape: outer dims, the index shape, inner dims.
    pub shape: Shape,
}

impl Plan {
    /// Applies `f(storage offset, position in the result)` in row-major order.
    #[inline]
    pub fn for_each(&self, mut f: impl FnMut(usize, usize)) {
        let mut k = 0;
        for &o in &self.outer {
            for &p in &self.picked {
                let row = self.base as isize + o + p;
                for &i in &self.inner {
                    f((row + i) as usize, k);
                    k += 1;
                }
            }
        }
    }
}

/// A tensor's index values along a dim of `size`, negative ones wrapped;
/// out of range gives PyTorch's message naming `dim_label`.
pub fn wrapped_indices(index: &Strided, size: usize, dim_label: usize) -> Result<Vec<usize>> {
    index
        .to_vec::<i64>()?
        .into_iter()
        .map(|i| {
            let wrapped = if i < 0 { i + size as i64 } else { i };
            if wrapped < 0 || wrapped >= size as i64 {
                return Err(Error::index(format!("index {i} is out of bounds for dimension {dim_label} with size {size}")));
            }
            Ok(wrapped as usize)
        })
        .collect()
}

/// The plan for `layout` indexed by `picked` (offsets, already checked) over
/// `index_shape` placed at dim `at` of the result, the dims in `indexed`
/// removed; the other dims split into those before `at` and those after.
pub fn plan(layout: &Layout, indexed: &[usize], at: usize, index_shape: &[usize], picked: Vec<isize>) -> Result<Plan> {
    let rest: Vec<usize> = (0..layout.ndim()).filter(|d| !indexed.contains(d)).collect();
    let (before, after) = rest.split_at(at.min(rest.len()));
    let sizes = |dims: &[usize]| dims.iter().map(|&d| layout.shape()[d]).collect::<Shape>();
    let strides = |dims: &[usize]| dims.iter().map(|&d| layout.strides()[d]).collect::<Vec<isize>>();
    let (before_shape, after_shape) = (sizes(before), sizes(after));
    let mut shape = before_shape.clone();
    shape.extend_from_slice(index_shape);
    shape.extend_from_slice(&after_shape);
    if crate::layout::numel(&shape)? == 0 {
        // Nothing is visited; an empty result may still have a huge dim,
        // whose offset table must not be built.
        return Ok(Plan { base: layout.offset(), outer: vec![], picked: vec![], inner: vec![], shape });
    }
    Ok(Plan {
        base: layout.offset(),
        outer: offsets(&before_shape, &strides(before))?,
        picked,
        inner: offsets(&after_shape, &strides(after))?,
        shape,
    })
}

/// The elements of `src` the plan names, in result order.
pub fn take<T: Element>(src: &Strided, plan: &Plan) -> Result<Vec<T>> {
    let src_data = src;
    let buffer = src_data.storage().read()?;
    let values = data::<T>(&buffer, src)?;
    let mut out = vec_with_capacity(crate::layout::numel(&plan.shape)?)?;
    plan.for_each(|o, _| out.push(values[o]));
    Ok(out)
}

/// Writes (or adds, with `accumulate`) `values`, in result order, into
/// `dst`'s storage at the places the plan names. Later duplicates win when
/// assigning; every duplicate adds when accumulating.
pub fn put<T: Element>(dst: &Strided, plan: &Plan, values: &[T], accumulate: bool, add: impl Fn(T, T) -> T) -> Result<()> {
    let dst_data = dst;
    let mut buffer = dst_data.storage().write()?;
    let out = data_mut::<T>(&mut buffer, dst)?;
    if accumulate {
        plan.for_each(|o, k| out[o] = add(out[o], values[k]));
    } else {
        plan.for_each(|o, k| out[o] = values[k]);
    }
    Ok(())
}

/// Checks one gather/scatter index value against the size of its dim.
#[inline]
fn along_index(i: i64, size: usize, dim: usize) -> Result<isize> {
    if i < 0 || i >= size as i64 {
        return Err(Error::IndexOutOfBounds { index: i, dim, size });
    }
    Ok(i as isize)
}

/// Strides of `layout` with `dim`'s left out (set to 0), and that dim's stride and size.
fn strides_without(layout: &Layout, dim: usize) -> (Vec<isize>, isize, usize) {
    let mut strides = layout.strides().to_vec();
    let (stride, size) = match strides.get_mut(dim) {
        Some(s) => (std::mem::replace(s, 0), layout.shape()[dim]),
        None => (0, 1),
    };
    (strides, stride, size)
}

/// `out[i][j][k] = src[i][index[i][j][k]][k]` (for dim 1): one element of
/// `src` per element of `index`, read along `dim`.
pub fn gather<T: Element>(src: &Strided, dim: usize, index: &Strided) -> Result<Vec<T>> {
    let offsets = along_offsets(&src.layout(), dim, index)?;
    let buffer = src.storage().read()?;
    let values = data::<T>(&buffer, src)?;
    crate::storage::collect_vec(offsets.len(), offsets.iter().map(|&o| values[o]))
}

/// For each element of `index`, in its logical order, the offset in
/// `layout` of the element it names along `dim`: the index element's own
/// coordinates with the one along `dim` replaced by its value, checked
/// against that dim's size. What gather reads and scatter writes.
pub fn along_offsets(layout: &Layout, dim: usize, index: &Strided) -> Result<Vec<usize>> {
    let buffer = index.storage().read()?;
    let is = data::<i64>(&buffer, index)?;
    let (strides, stride, size) = strides_without(layout, dim);
    let mut out = vec_with_capacity(index.numel())?;
    let mut failure = None;
    walk(index.shape(), &[&strides, index.layout().strides()], &[layout.offset(), index.layout().offset()], |[s, i]| match along_index(is[i], size, dim) {
        Ok(k) => out.push((s as isize + k * stride) as usize),
        Err(e) => {
            failure.get_or_insert(e);
            out.push(0);
        }
    });
    failure.map_or(Ok(out), Err)
}

/// `out[i][index[i][j][k]][k] = src[i][j][k]` (for dim 1) into `values`, a
/// contiguous buffer of `shape`: assigned, or added with `accumulate`. `src`
/// is read over the index's shape through its own strides (it may be larger).
pub fn scatter<T: Element>(values: &mut [T], shape: &[usize], dim: usize, index: &Strided, src: &Strided, accumulate: bool, add: impl Fn(T, T) -> T) -> Result<()> {
    let targets = along_offsets(&Layout::contiguous(shape)?, dim, index)?;
    let source = scatter_source(src, index.shape())?;
    let buffer = src.storage().read()?;
    let ss = data::<T>(&buffer, src)?;
    let mut targets = targets.into_iter();
    source.for_each_offset(|s| {
        if let Some(at) = targets.next() {
            values[at] = if accumulate { add(values[at], ss[s]) } else { ss[s] };
        }
    });
    Ok(())
}

/// How scatter reads `src` over the index's shape `walk`: through its own
/// strides when it is at least as large in every dim, else broadcast.
pub fn scatter_source(src: &Strided, walk: &[usize]) -> Result<Layout> {
    let covers = src.shape().len() == walk.len() && src.shape().iter().zip(walk).all(|(s, w)| s >= w);
    if covers {
        Layout::new(walk.into(), src.layout().strides().into(), src.layout().offset())
    } else {
        src.layout().broadcast_to(walk)
    }
}

/// The coordinates of the nonzero (true) elements of `x`, row-major: `count x ndim`.
pub fn nonzero<T: Element>(x: &Strided) -> Result<(Vec<i64>, usize)> {
    let shape = x.shape().to_vec();
    let x_data = x;
    let buffer = x_data.storage().read()?;
    let values = data::<T>(&buffer, x)?;
    let mut coords = Vec::new();
    let mut count = 0;
    let mut at: Vec<i64> = vec![0; shape.len()];
    x_data.layout().for_each_offset(|o| {
        if values[o].to_bool() {
            coords.extend_from_slice(&at);
            count += 1;
        }
        // Advance the row-major counter.
        for d in (0..at.len()).rev() {
            at[d] += 1;
            if (at[d] as usize) < shape[d] {
                break;
            }
            at[d] = 0;
        }
    });
    Ok((coords, count))
}

/// `a + b` for any element type (logical or for bool), used when accumulating.
#[inline]
pub fn add_elem<T: Element>(a: T, b: T) -> T {
    match T::DTYPE.category() {
        // Wrapping in int64 wraps in every narrower type too.
        Category::Integral => T::from_i64(a.to_i64().wrapping_add(b.to_i64())),
        Category::Bool => T::from_bool(a.to_bool() || b.to_bool()),
        Category::Floating => T::from_f64(a.to_f64() + b.to_f64()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_takes_rows_and_columns() {
        let x = Strided::from_vec((0..12).map(|v| v as f64).collect(), &[3, 4]).unwrap();
        // x[:, [3, 0]]: one outer dim (rows), picked columns.
        let p = plan(&x.layout(), &[1], 1, &[2], vec![3, 0]).unwrap();
        assert_eq!(take::<f64>(&x, &p).unwrap(), vec![3.0, 0.0, 7.0, 4.0, 11.0, 8.0]);
        assert_eq!(p.shape.as_slice(), &[3, 2]);
        // On the transpose the same plan logic follows the strides.
        let xt = x.transposed().unwrap();
        let p = plan(&xt.layout(), &[0], 0, &[1], vec![2 * xt.layout().strides()[0]]).unwrap();
        assert_eq!(take::<f64>(&xt, &p).unwrap(), vec![2.0, 6.0, 10.0]);
    }

    #[test]
    fn gather_scatter_and_nonzero() {
        let x = Strided::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
        let index = Strided::from_vec(vec![1i64, 1, 0, 1], &[2, 2]).unwrap();
        assert_eq!(gather::<f64>(&x, 1, &index).unwrap(), vec![2.0, 2.0, 3.0, 4.0]);
        let mut out = vec![0.0f64; 4];
        scatter(&mut out, &[2, 2], 1, &index, &x, true, |a, b| a + b).unwrap();
        assert_eq!(out, vec![0.0, 3.0, 3.0, 4.0]);
        let bad = Strided::from_vec(vec![2i64], &[1, 1]).unwrap();
        assert!(gather::<f64>(&x, 1, &bad).is_err());
        let (coords, n) = nonzero::<f64>(&Strided::from_vec(vec![0.0f64, 1.0, 2.0, 0.0], &[2, 2]).unwrap()).unwrap();
        assert_eq!((coords, n), (vec![0, 1, 1, 0], 2));
    }
}
