//! Elementwise maps over one or two strided, broadcast inputs.

use super::PARALLEL_THRESHOLD;
use crate::error::{Error, Result};
use crate::layout::{walk, Layout};
use crate::storage::{collect_vec, par_collect_vec, vec_with_capacity, Buffer, Element};
use crate::strided::Strided;
use rayon::prelude::*;

fn typed<'a, T: Element>(buffer: &'a Buffer, t: &Strided) -> Result<&'a [T]> {
    T::slice(buffer).ok_or_else(|| Error::DTypeMismatch { op: "kernel", lhs: t.dtype(), rhs: T::DTYPE })
}

/// `f` applied to every element of `x`, in logical order.
pub fn map<T: Element, U: Element>(x: &Strided, f: impl Fn(T) -> U + Sync + Send) -> Result<Vec<U>> {
    let x_data = x;
    let buffer = x_data.storage().read()?;
    let data = typed::<T>(&buffer, x)?;
    let layout = x_data.layout();
    if let Some(range) = layout.contiguous_range() {
        let src = &data[range];
        if src.len() >= PARALLEL_THRESHOLD {
            return par_collect_vec(src.par_iter().map(|&v| f(v)));
        }
        return collect_vec(src.len(), src.iter().map(|&v| f(v)));
    }
    let mut out = vec_with_capacity(layout.numel())?;
    layout.for_each_offset(|o| out.push(f(data[o])));
    Ok(out)
}

/// `f` applied pairwise after broadcasting both inputs to `shape`.
pub fn zip<T: Element, U: Element>(a: &Strided, b: &Strided, shape: &[usize], f: impl Fn(T, T) -> U + Sync + Send) -> Result<Vec<U>> {
    let (a_data, b_data) = (a, b);
    // Same shape, both contiguous: the common case needs no layout work.
    if a_data.shape() == shape && b_data.shape() == shape {
        if let (Some(ra), Some(rb)) = (a_data.layout().contiguous_range(), b_data.layout().contiguous_range()) {
            let (ga, gb) = (a_data.storage().read()?, b_data.storage().read()?);
            let (sa, sb) = (&typed::<T>(&ga, a)?[ra], &typed::<T>(&gb, b)?[rb]);
            if sa.len() >= PARALLEL_THRESHOLD {
                return par_collect_vec(sa.par_iter().zip(sb.par_iter()).map(|(&x, &y)| f(x, y)));
            }
            return collect_vec(sa.len(), sa.iter().zip(sb.iter()).map(|(&x, &y)| f(x, y)));
        }
    }
    let la = a_data.layout().broadcast_to(shape)?;
    let lb = b_data.layout().broadcast_to(shape)?;
    let (ga, gb) = (a_data.storage().read()?, b_data.storage().read()?);
    let (da, db) = (typed::<T>(&ga, a)?, typed::<T>(&gb, b)?);
    zip_slices(da, &la, db, &lb, f)
}

fn zip_slices<T: Element, U: Element>(da: &[T], la: &Layout, db: &[T], lb: &Layout, f: impl Fn(T, T) -> U + Sync + Send) -> Result<Vec<U>> {
    let n = la.numel();
    match (la.contiguous_range(), lb.contiguous_range()) {
        (Some(ra), Some(rb)) => {
            let (sa, sb) = (&da[ra], &db[rb]);
            if n >= PARALLEL_THRESHOLD {
                return par_collect_vec(sa.par_iter().zip(sb.par_iter()).map(|(&x, &y)| f(x, y)));
            }
            collect_vec(n, sa.iter().zip(sb.iter()).map(|(&x, &y)| f(x, y)))
        }
        // A broadcast scalar against a contiguous operand: the common `x * 2` case.
        (Some(ra), None) if lb.strides().iter().all(|&s| s == 0) => {
            let y = db[lb.offset()];
            let sa = &da[ra];
            if n >= PARALLEL_THRESHOLD {
                return par_collect_vec(sa.par_iter().map(|&x| f(x, y)));
            }
            collect_vec(n, sa.iter().map(|&x| f(x, y)))
        }
        (None, Some(rb)) if la.strides().iter().all(|&s| s == 0) => {
            let x = da[la.offset()];
            let sb = &db[rb];
            if n >= PARALLEL_THRESHOLD {
                return par_collect_vec(sb.par_iter().map(|&y| f(x, y)));
            }
            collect_vec(n, sb.iter().map(|&y| f(x, y)))
        }
        _ => {
            let mut out = vec_with_capacity(n)?;
            walk(la.shape(), &[la.strides(), lb.strides()], &[la.offset(), lb.offset()], |[i, j]| out.push(f(da[i], db[j])));
            Ok(out)
        }
    }
}

/// `dst[i] = f(dst[i], src[i])` in place, `src` broadcast to `dst`'s shape.
/// The caller guarantees the two do not share storage.
pub fn zip_assign<T: Element>(dst: &Strided, src: &Strided, f: impl Fn(T, T) -> T + Sync + Send) -> Result<()> {
    let (src_data, dst_data) = (src, dst);
    let ls = src_data.layout().broadcast_to(dst_data.shape())?;
    let gs = src_data.storage().read()?;
    let ds = typed::<T>(&gs, src)?;
    let mut gd = dst_data.storage().write()?;
    let dd = T::slice_mut(&mut gd).ok_or_else(|| Error::DTypeMismatch { op: "kernel", lhs: dst_data.dtype(), rhs: T::DTYPE })?;
    let ld = dst_data.layout();
    match (ld.contiguous_range(), ls.contiguous_range()) {
        (Some(rd), Some(rs)) => {
            let (od, os) = (&mut dd[rd], &ds[rs]);
            if od.len() >= PARALLEL_THRESHOLD {
                crate::threads::parallel(|| od.par_iter_mut().zip(os.par_iter()).for_each(|(x, &y)| *x = f(*x, y)));
            } else {
                od.iter_mut().zip(os.iter()).for_each(|(x, &y)| *x = f(*x, y));
            }
        }
        _ => walk(ld.shape(), &[ld.strides(), ls.strides()], &[ld.offset(), ls.offset()], |[i, j]| dd[i] = f(dd[i], ds[j])),
    }
    Ok(())
}

/// Writes `values` (logical order) into `dst`'s storage through its layout.
pub fn write_into<T: Element>(dst: &Strided, values: &[T]) -> Result<()> {
    let dst_data = dst;
    let mut buffer = dst_data.storage().write()?;
    let data = T::slice_mut(&mut buffer).ok_or_else(|| Error::DTypeMismatch { op: "copy_", lhs: dst_data.dtype(), rhs: T::DTYPE })?;
    let layout = dst_data.layout();
    if let Some(range) = layout.contiguous_range() {
        data[range].copy_from_slice(values);
        return Ok(());
    }
    let mut i = 0;
    layout.for_each_offset(|o| {
        data[o] = values[i];
        i += 1;
    });
    Ok(())
}

/// Sets every element of `dst` to `value`, through its layout.
pub fn fill_into<T: Element>(dst: &Strided, value: T) -> Result<()> {
    let mut buffer = dst.storage().write()?;
    let data = T::slice_mut(&mut buffer).ok_or_else(|| Error::DTypeMismatch { op: "fill_", lhs: dst.dtype(), rhs: T::DTYPE })?;
    let layout = dst.layout();
    match layout.contiguous_range() {
        Some(range) => data[range].fill(value),
        None => layout.for_each_offset(|o| data[o] = value),
    }
    Ok(())
}

/// Converts every element to another element type (PyTorch's cast semantics:
/// float -> int truncates, int -> narrower int wraps, nonzero -> true).
pub fn cast<T: Element, U: Element>(x: &Strided) -> Result<Vec<U>> {
    use crate::dtype::Category;
    match (T::DTYPE.category(), U::DTYPE.category()) {
        (_, Category::Bool) => map::<T, U>(x, |v| U::from_bool(v.to_bool())),
        (Category::Floating, _) | (_, Category::Floating) => map::<T, U>(x, |v| U::from_f64(v.to_f64())),
        _ => map::<T, U>(x, |v| U::from_i64(v.to_i64())),
    }
}
