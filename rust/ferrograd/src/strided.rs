//! What a backend computes on: a storage seen through a layout, with the
//! dtype of its elements. Kernels take these, never tensors, so autograd
//! and the tensor handle stay above the backend line.

use crate::device::Device;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::storage::{Element, Storage};

/// A storage and the layout that reads it. Built only where the layout has
/// been checked to address elements of the storage, so kernels may trust it.
/// Cloning shares the storage.
#[derive(Clone)]
pub struct Strided {
    storage: Storage,
    layout: Layout,
    dtype: DType,
}

impl Strided {
    /// Checks that `layout` addresses only elements of `storage`.
    pub fn new(storage: Storage, layout: Layout, dtype: DType) -> Result<Strided> {
        layout.check_fits(storage.len(), dtype.size_in_bytes())?;
        Ok(Strided { storage, layout, dtype })
    }

    /// A fresh storage read whole, in row-major order, as an array of `shape`.
    pub fn contiguous(storage: Storage, shape: &[usize]) -> Result<Strided> {
        let dtype = storage.dtype();
        Strided::new(storage, Layout::contiguous(shape)?, dtype)
    }

    /// For callers that have checked the layout against the storage.
    pub(crate) fn trusted(storage: Storage, layout: Layout, dtype: DType) -> Strided {
        Strided { storage, layout, dtype }
    }

    #[inline]
    pub fn storage(&self) -> &Storage {
        &self.storage
    }
    #[inline]
    pub fn layout(&self) -> &Layout {
        &self.layout
    }
    #[inline]
    pub fn shape(&self) -> &[usize] {
        self.layout.shape()
    }
    #[inline]
    pub fn ndim(&self) -> usize {
        self.layout.ndim()
    }
    #[inline]
    pub fn numel(&self) -> usize {
        self.layout.numel()
    }
    #[inline]
    pub fn dtype(&self) -> DType {
        self.dtype
    }
    #[inline]
    pub fn device(&self) -> Device {
        self.storage.device()
    }

    /// The one element of a single-element array.
    pub fn item(&self) -> Result<crate::dtype::Scalar> {
        if self.numel() != 1 {
            return Err(Error::NotAScalar(self.numel()));
        }
        self.storage.read()?.scalar_at(self.layout.offset())
    }

    /// The device an op on `operands` runs on. They must agree, except that
    /// a CPU scalar (0-d) goes with any device, as in PyTorch.
    pub fn common_device(operands: &[&Strided]) -> Result<Device> {
        let placed = operands.iter().filter(|s| !(s.ndim() == 0 && s.device() == Device::Cpu)).map(|s| s.device());
        crate::device::check_same_device(placed)
    }

    /// Elements in logical row-major order.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        let buffer = self.storage.read()?;
        let data = T::slice(&buffer).ok_or(Error::DTypeMismatch { op: "to_vec", lhs: self.dtype, rhs: T::DTYPE })?;
        if let Some(r) = self.layout.contiguous_range() {
            return crate::storage::collect_vec(r.len(), data[r].iter().copied());
        }
        let mut out = crate::storage::vec_with_capacity(self.layout.numel())?;
        let (shape, strides) = (self.layout.shape(), self.layout.strides());
        match (shape.split_last(), strides.split_last()) {
            // Rows with unit stride (a permuted view's heads, say) copy a run at a time.
            (Some((&len, outer)), Some((&1, outer_strides))) if len >= 8 => {
                crate::layout::walk(outer, &[outer_strides], &[self.layout.offset()], |[o]| out.extend_from_slice(&data[o..o + len]));
            }
            _ => self.layout.for_each_offset(|o| out.push(data[o])),
        }
        Ok(out)
    }

    /// A contiguous array of `values` (kernel tests build their inputs so).
    #[cfg(test)]
    pub(crate) fn from_vec<T: Element>(values: Vec<T>, shape: &[usize]) -> Result<Strided> {
        Strided::new(Storage::new(T::into_buffer(values)), Layout::contiguous(shape)?, T::DTYPE)
    }

    /// The same elements with the first two dims swapped (a strided input for kernel tests).
    #[cfg(test)]
    pub(crate) fn transposed(&self) -> Result<Strided> {
        Strided::new(self.storage.clone(), self.layout.transpose(0, 1), self.dtype)
    }
}
