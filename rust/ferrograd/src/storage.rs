//! Reference-counted CPU buffers. Views share one `Storage`; in-place ops bump
//! its version counter so autograd can detect a saved tensor that changed.

use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub enum Buffer {
    Bool(Data<bool>),
    I64(Data<i64>),
    F32(Data<f32>),
    F64(Data<f64>),
    F16(Data<half::f16>),
    BF16(Data<half::bf16>),
}

/// Elements a storage holds: its own vector, or memory owned by someone else
/// (a numpy array) that `keep_alive` keeps valid. Either way it is a slice.
pub enum Data<T> {
    Owned(Vec<T>),
    Foreign { ptr: *mut T, len: usize, keep_alive: Arc<dyn std::any::Any + Send + Sync> },
}

// SAFETY: foreign memory is only reached through the storage's lock, like an
// owned vector; its owner is Send + Sync and outlives every use.
unsafe impl<T: Send> Send for Data<T> {}
unsafe impl<T: Sync> Sync for Data<T> {}

impl<T> Data<T> {
    /// Borrows `len` elements at `ptr` owned by `keep_alive`.
    ///
    /// # Safety
    /// `ptr` must be valid, aligned and initialized for `len` elements of `T`
    /// for as long as `keep_alive` lives, and not freed or moved before then.
    pub unsafe fn foreign(ptr: *mut T, len: usize, keep_alive: Arc<dyn std::any::Any + Send + Sync>) -> Self {
        Data::Foreign { ptr, len, keep_alive }
    }
}

impl<T> std::ops::Deref for Data<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        match self {
            Data::Owned(v) => v,
            // SAFETY: see `Data::foreign`.
            Data::Foreign { ptr, len, .. } => unsafe { std::slice::from_raw_parts(*ptr, *len) },
        }
    }
}

impl<T> std::ops::DerefMut for Data<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        match self {
            Data::Owned(v) => v,
            // SAFETY: see `Data::foreign`; `&mut self` means the storage's write lock is held.
            Data::Foreign { ptr, len, .. } => unsafe { std::slice::from_raw_parts_mut(*ptr, *len) },
        }
    }
}

impl<T> From<Vec<T>> for Data<T> {
    fn from(v: Vec<T>) -> Self {
        Data::Owned(v)
    }
}

impl<T> FromIterator<T> for Data<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Data::Owned(iter.into_iter().collect())
    }
}

/// Cloning foreign data copies it: the copy is owned.
impl<T: Clone> Clone for Data<T> {
    fn clone(&self) -> Self {
        Data::Owned(self.to_vec())
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Data<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Buffer {
    pub fn dtype(&self) -> DType {
        match self {
            Buffer::Bool(_) => DType::Bool,
            Buffer::I64(_) => DType::I64,
            Buffer::F32(_) => DType::F32,
            Buffer::F64(_) => DType::F64,
            Buffer::F16(_) => DType::F16,
            Buffer::BF16(_) => DType::BF16,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Buffer::Bool(v) => v.len(),
            Buffer::I64(v) => v.len(),
            Buffer::F32(v) => v.len(),
            Buffer::F64(v) => v.len(),
            Buffer::F16(v) => v.len(),
            Buffer::BF16(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `len` copies of `value` converted to `dtype`.
    pub fn full(dtype: DType, len: usize, value: Scalar) -> Result<Buffer> {
        Ok(match dtype {
            DType::Bool => Buffer::Bool(filled_vec(len, value.to_f64() != 0.0)?.into()),
            DType::I64 => Buffer::I64(filled_vec(len, scalar_as_i64(value))?.into()),
            DType::F32 => Buffer::F32(filled_vec(len, value.to_f64() as f32)?.into()),
            DType::F64 => Buffer::F64(filled_vec(len, value.to_f64())?.into()),
            DType::F16 => Buffer::F16(filled_vec(len, half::f16::from_f64(value.to_f64()))?.into()),
            DType::BF16 => Buffer::BF16(filled_vec(len, half::bf16::from_f64(value.to_f64()))?.into()),
        })
    }
}

/// A scalar as an int64 element (floats truncate, as in PyTorch).
fn scalar_as_i64(v: Scalar) -> i64 {
    match v {
        Scalar::Bool(b) => b as i64,
        Scalar::Int(i) => i,
        Scalar::Float(f) => f as i64,
    }
}

// ---- allocation ----------------------------------------------------------------
//
// Every output buffer of a creation op or kernel is allocated through these
// functions: a size the machine cannot hold raises PyTorch's error instead
// of aborting the process.

/// PyTorch's message when the allocator refuses `bytes`.
fn out_of_memory(bytes: u128) -> Error {
    Error::runtime(format!("DefaultCPUAllocator: can't allocate memory: you tried to allocate {bytes} bytes. Error code 12 (Cannot allocate memory)"))
}

/// An empty vector with room for `len` elements.
pub fn vec_with_capacity<T>(len: usize) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| out_of_memory(len as u128 * std::mem::size_of::<T>() as u128))?;
    Ok(v)
}

/// `len` copies of `value`.
pub fn filled_vec<T: Clone>(len: usize, value: T) -> Result<Vec<T>> {
    let mut v = vec_with_capacity(len)?;
    v.resize(len, value);
    Ok(v)
}

/// The items of an iterator that yields exactly `len` of them, in order.
pub fn collect_vec<T>(len: usize, items: impl IntoIterator<Item = T>) -> Result<Vec<T>> {
    let mut v = vec_with_capacity(len)?;
    v.extend(items);
    Ok(v)
}

/// The items of a parallel iterator, in order.
pub fn par_collect_vec<T: Send>(items: impl rayon::iter::IndexedParallelIterator<Item = T>) -> Result<Vec<T>> {
    let mut v = vec_with_capacity(items.len())?;
    // Fills the capacity reserved above; it does not allocate again.
    items.collect_into_vec(&mut v);
    Ok(v)
}

/// Whether in-place writes may reach a storage's memory. Fixed when the
/// storage is made, so every view of it agrees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    /// Memory someone else owns and has declared read-only (a non-writable
    /// numpy array, possibly a read-only memory map, where a write faults).
    ReadOnly,
}

#[derive(Debug)]
struct StorageInner {
    buffer: RwLock<Buffer>,
    version: AtomicU32,
    /// The buffer's length, which never changes: views check their layout
    /// against it without taking the lock.
    len: usize,
    access: Access,
}

#[derive(Clone, Debug)]
pub struct Storage(Arc<StorageInner>);

impl Storage {
    pub fn new(buffer: Buffer) -> Self {
        Storage::with_access(buffer, Access::ReadWrite)
    }

    pub fn with_access(buffer: Buffer, access: Access) -> Self {
        let len = buffer.len();
        Storage(Arc::new(StorageInner { buffer: RwLock::new(buffer), version: AtomicU32::new(0), len, access }))
    }

    /// The number of elements the buffer holds.
    pub fn len(&self) -> usize {
        self.0.len
    }

    pub fn is_empty(&self) -> bool {
        self.0.len == 0
    }

    pub fn is_read_only(&self) -> bool {
        self.0.access == Access::ReadOnly
    }

    /// Recursive read: two operands of one op may share a storage.
    pub fn read(&self) -> RwLockReadGuard<'_, Buffer> {
        self.0.buffer.read_recursive()
    }

    /// Exclusive access for an in-place write. Every write to a storage's
    /// elements goes through here, so read-only memory is refused in one place.
    pub fn write(&self) -> Result<RwLockWriteGuard<'_, Buffer>> {
        if self.is_read_only() {
            return Err(Error::runtime(
                "cannot modify this tensor in place: its memory is not writable (it is shared with a read-only NumPy array). Use clone() to get a writable copy.",
            ));
        }
        Ok(self.0.buffer.write())
    }

    pub fn version(&self) -> u32 {
        self.0.version.load(Ordering::Acquire)
    }

    /// Marks an in-place change. Inference mode is no exception: a tensor
    /// made outside it may have been saved for backward, and backward must
    /// see that it changed.
    pub fn bump_version(&self) {
        self.0.version.fetch_add(1, Ordering::AcqRel);
    }

    pub fn same(&self, other: &Storage) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// True when no other tensor or view holds this storage.
    pub fn is_unique(&self) -> bool {
        Arc::strong_count(&self.0) == 1
    }

    pub fn ptr_id(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }
}

/// A type that can live in a `Buffer`. Kernels are generic over it.
pub trait Element: Copy + Send + Sync + PartialOrd + Default + std::fmt::Debug + 'static {
    const DTYPE: DType;
    fn slice(buffer: &Buffer) -> Option<&[Self]>;
    fn slice_mut(buffer: &mut Buffer) -> Option<&mut [Self]>;
    fn into_buffer(values: Vec<Self>) -> Buffer;
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
    fn from_i64(v: i64) -> Self;
    fn to_i64(self) -> i64;
    fn from_bool(v: bool) -> Self;
    fn to_bool(self) -> bool;
}

macro_rules! element {
    ($t:ty, $variant:ident, $from_f64:expr, $to_f64:expr, $from_i64:expr, $to_i64:expr, $from_bool:expr, $to_bool:expr) => {
        impl Element for $t {
            const DTYPE: DType = DType::$variant;
            #[inline]
            fn slice(buffer: &Buffer) -> Option<&[Self]> {
                match buffer {
                    Buffer::$variant(v) => Some(v),
                    _ => None,
                }
            }
            #[inline]
            fn slice_mut(buffer: &mut Buffer) -> Option<&mut [Self]> {
                match buffer {
                    Buffer::$variant(v) => Some(v),
                    _ => None,
                }
            }
            #[inline]
            fn into_buffer(values: Vec<Self>) -> Buffer {
                Buffer::$variant(values.into())
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                $from_f64(v)
            }
            #[inline]
            fn to_f64(self) -> f64 {
                $to_f64(self)
            }
            #[inline]
            fn from_i64(v: i64) -> Self {
                $from_i64(v)
            }
            #[inline]
            fn to_i64(self) -> i64 {
                $to_i64(self)
            }
            #[inline]
            fn from_bool(v: bool) -> Self {
                $from_bool(v)
            }
            #[inline]
            fn to_bool(self) -> bool {
                $to_bool(self)
            }
        }
    };
}

element!(f32, F32, |v: f64| v as f32, |x: f32| x as f64, |v: i64| v as f32, |x: f32| x as i64, |b: bool| b as u8 as f32, |x: f32| x != 0.0);
element!(f64, F64, |v: f64| v, |x: f64| x, |v: i64| v as f64, |x: f64| x as i64, |b: bool| b as u8 as f64, |x: f64| x != 0.0);
element!(i64, I64, |v: f64| v as i64, |x: i64| x as f64, |v: i64| v, |x: i64| x, |b: bool| b as i64, |x: i64| x != 0);
element!(half::f16, F16, half::f16::from_f64, half::f16::to_f64, |v: i64| half::f16::from_f64(v as f64), |x: half::f16| x.to_f64() as i64, |b: bool| half::f16::from_f64(b as u8 as f64), |x: half::f16| x.to_f64() != 0.0);
element!(half::bf16, BF16, half::bf16::from_f64, half::bf16::to_f64, |v: i64| half::bf16::from_f64(v as f64), |x: half::bf16| x.to_f64() as i64, |b: bool| half::bf16::from_f64(b as u8 as f64), |x: half::bf16| x.to_f64() != 0.0);
element!(bool, Bool, |v: f64| v != 0.0, |x: bool| x as u8 as f64, |v: i64| v != 0, |x: bool| x as i64, |b: bool| b, |x: bool| x);

/// Floating element types: the ones math kernels and autograd run on.
pub trait Float:
    Element
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
    + std::iter::Sum
{
    const ZERO: Self;
    const ONE: Self;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn sqrt(self) -> Self;
    fn tanh(self) -> Self;
    fn abs(self) -> Self;
    fn powf(self, e: Self) -> Self;
    fn powi(self, e: i32) -> Self;
}

macro_rules! float {
    ($t:ty) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline]
            fn powf(self, e: Self) -> Self {
                <$t>::powf(self, e)
            }
            #[inline]
            fn powi(self, e: i32) -> Self {
                <$t>::powi(self, e)
            }
        }
    };
}
float!(f32);
float!(f64);

/// Element types with arithmetic. Integer ops wrap on overflow, as PyTorch's do.
pub trait Numeric: Element {
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn neg(self) -> Self;
    fn abs(self) -> Self;
}

macro_rules! numeric_float {
    ($t:ty) => {
        impl Numeric for $t {
            #[inline]
            fn add(self, o: Self) -> Self {
                self + o
            }
            #[inline]
            fn sub(self, o: Self) -> Self {
                self - o
            }
            #[inline]
            fn mul(self, o: Self) -> Self {
                self * o
            }
            #[inline]
            fn neg(self) -> Self {
                -self
            }
            #[inline]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
        }
    };
}
numeric_float!(f32);
numeric_float!(f64);

impl Numeric for i64 {
    #[inline]
    fn add(self, o: Self) -> Self {
        self.wrapping_add(o)
    }
    #[inline]
    fn sub(self, o: Self) -> Self {
        self.wrapping_sub(o)
    }
    #[inline]
    fn mul(self, o: Self) -> Self {
        self.wrapping_mul(o)
    }
    #[inline]
    fn neg(self) -> Self {
        self.wrapping_neg()
    }
    #[inline]
    fn abs(self) -> Self {
        self.wrapping_abs()
    }
}
