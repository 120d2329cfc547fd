//! Reference-counted element buffers, each on one device. Views share one `Storage`.

use crate::dtype::{Category, DType, Scalar};
use crate::error::{Error, Result};
use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub enum Buffer {
    Bool(Data<bool>),
    U8(Data<u8>),
    I8(Data<i8>),
    I16(Data<i16>),
    I32(Data<i32>),
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

// SAFETY: foreign memory is only reached through the storage's lock, like an owned vector; its owner is Send + Sync and outlives every use.
unsafe impl<T: Send> Send for Data<T> {}
// SAFETY: as for Send: shared access goes through the same lock.
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

/// Runs `$body` with `$T` bound to the element type of `$buffer` and `$v` to its data.
macro_rules! with_data {
    ($buffer:expr, $v:ident : $T:ident => $body:expr) => {
        match $buffer {
            Buffer::Bool($v) => { type $T = bool; $body }
            Buffer::U8($v) => { type $T = u8; $body }
            Buffer::I8($v) => { type $T = i8; $body }
            Buffer::I16($v) => { type $T = i16; $body }
            Buffer::I32($v) => { type $T = i32; $body }
            Buffer::I64($v) => { type $T = i64; $body }
            Buffer::F32($v) => { type $T = f32; $body }
            Buffer::F64($v) => { type $T = f64; $body }
            Buffer::F16($v) => { type $T = half::f16; $body }
            Buffer::BF16($v) => { type $T = half::bf16; $body }
        }
    };
}

impl Buffer {
    pub fn dtype(&self) -> DType {
        with_data!(self, _v: T => T::DTYPE)
    }

    pub fn len(&self) -> usize {
        with_data!(self, v: _T => v.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element at `index` as a Python-style number.
    pub fn scalar_at(&self, index: usize) -> Result<Scalar> {
        with_data!(self, v: _T => match v.get(index) {
            Some(x) => Ok(x.to_scalar()),
            None => Err(Error::index(format!("index {index} out of range for storage of size {}", v.len()))),
        })
    }

    /// A copy of these elements followed by zeros up to `len` (PyTorch leaves
    /// them uninitialized). Memory owned elsewhere (numpy's) is not resized.
    pub fn grown(&self, len: usize) -> Result<Buffer> {
        Ok(with_data!(self, data: T => {
            if let Data::Foreign { .. } = data {
                return Err(Error::runtime("Trying to resize storage that is not resizable"));
            }
            let mut values = vec_with_capacity::<T>(len.max(data.len()))?;
            values.extend_from_slice(data);
            values.resize(len.max(data.len()), T::default());
            T::into_buffer(values)
        }))
    }

    /// `len` copies of `value` converted to `dtype`.
    pub fn full(dtype: DType, len: usize, value: Scalar) -> Result<Buffer> {
        Ok(crate::with_any_type!(dtype, T => T::into_buffer(filled_vec(len, T::from_scalar(value))?)))
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
    if v.try_reserve_exact(len).is_err() {
        // Memory parked in the buffer cache may be what is missing.
        crate::buffer_cache::empty_cache();
        v.try_reserve_exact(len).map_err(|_| out_of_memory(len as u128 * std::mem::size_of::<T>() as u128))?;
    }
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

/// The `len` items of `items` as a buffer of their element type, so ops
/// build a typed result without naming a buffer variant.
pub fn collect_buffer<T: Element>(len: usize, items: impl IntoIterator<Item = T>) -> Result<Buffer> {
    Ok(T::into_buffer(collect_vec(len, items)?))
}

/// The items of a parallel iterator, in order.
pub fn par_collect_vec<T: Send>(items: impl rayon::iter::IndexedParallelIterator<Item = T>) -> Result<Vec<T>> {
    let mut v = vec_with_capacity(items.len())?;
    // Fills the capacity reserved above; it does not allocate again.
    crate::threads::parallel(|| items.collect_into_vec(&mut v));
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

/// Where a storage's elements are.
#[derive(Debug)]
enum Backing {
    /// Host memory, which the CPU backend's kernels read and write.
    Host(RwLock<Buffer>),
    /// Memory of a wgpu device, which the wgpu backend's kernels compute on.
    #[allow(dead_code)]
    Wgpu(DeviceMemory),
}

/// A wgpu buffer, and a host copy of it made when a CPU code path (an op
/// without a wgpu kernel, printing, `item`) reads the storage directly.
#[derive(Debug)]
struct DeviceMemory {
    buffer: crate::backend::wgpu::WgpuBuffer,
    host: RwLock<Buffer>,
    /// Whether `host` holds the buffer's current elements; a kernel that
    /// writes the buffer clears it.
    host_fresh: AtomicBool,
}

#[derive(Debug)]
struct StorageInner {
    backing: Backing,
    /// The buffer's length and element type, which never change: views
    /// check their layout against them without taking the lock.
    len: usize,
    dtype: DType,
    access: Access,
}

#[derive(Clone, Debug)]
pub struct Storage(Arc<StorageInner>);

impl Storage {
    pub fn new(buffer: Buffer) -> Self {
        Storage::with_access(buffer, Access::ReadWrite)
    }

    pub fn with_access(buffer: Buffer, access: Access) -> Self {
        let (len, dtype) = (buffer.len(), buffer.dtype());
        Storage(Arc::new(StorageInner { backing: Backing::Host(RwLock::new(buffer)), len, dtype, access }))
    }

    /// A storage whose `len` elements of `dtype` live in a wgpu buffer.
    pub fn on_wgpu(buffer: crate::backend::wgpu::WgpuBuffer, len: usize, dtype: DType) -> Self {
        let host = RwLock::new(Buffer::full(dtype, 0, Scalar::Int(0)).unwrap_or(Buffer::U8(Data::Owned(Vec::new()))));
        let memory = DeviceMemory { buffer, host, host_fresh: AtomicBool::new(len == 0) };
        Storage(Arc::new(StorageInner { backing: Backing::Wgpu(memory), len, dtype, access: Access::ReadWrite }))
    }

    /// The device buffer of a wgpu storage.
    pub fn wgpu_buffer(&self) -> Option<&crate::backend::wgpu::WgpuBuffer> {
        match &self.0.backing {
            Backing::Host(_) => None,
            Backing::Wgpu(memory) => Some(&memory.buffer),
        }
    }

    /// Records that a kernel wrote the device buffer: a host copy is stale.
    pub fn device_written(&self) {
        if let Backing::Wgpu(memory) = &self.0.backing {
            memory.host_fresh.store(false, Ordering::Release);
        }
    }

    /// The number of elements the buffer holds.
    #[inline]
    pub fn len(&self) -> usize {
        self.0.len
    }

    pub fn is_empty(&self) -> bool {
        self.0.len == 0
    }

    #[inline]
    pub fn dtype(&self) -> DType {
        self.0.dtype
    }

    #[inline]
    pub fn device(&self) -> crate::device::Device {
        match &self.0.backing {
            Backing::Host(_) => crate::device::Device::Cpu,
            Backing::Wgpu(_) => crate::device::Device::Wgpu(0),
        }
    }

    pub fn is_read_only(&self) -> bool {
        self.0.access == Access::ReadOnly
    }

    /// The host buffer, for the CPU backend's kernels. Recursive read: two
    /// operands of one op may share a storage. A wgpu storage is read back
    /// once per device write, so CPU code paths see its elements; a failed
    /// read back is an error, never made-up elements.
    #[inline]
    pub fn read(&self) -> Result<RwLockReadGuard<'_, Buffer>> {
        match &self.0.backing {
            Backing::Host(buffer) => Ok(buffer.read_recursive()),
            Backing::Wgpu(memory) => self.read_device(memory),
        }
    }

    #[cold]
    fn read_device<'a>(&self, memory: &'a DeviceMemory) -> Result<RwLockReadGuard<'a, Buffer>> {
        if !memory.host_fresh.load(Ordering::Acquire) {
            let mut host = memory.host.write();
            if !memory.host_fresh.load(Ordering::Acquire) {
                let fresh = crate::backend::wgpu::download_all(&memory.buffer, self.0.dtype, self.0.len)
                    .map_err(|e| Error::runtime(format!("reading a {} tensor of {} elements back from the wgpu:0 device failed: {e}", self.0.dtype, self.0.len)))?;
                // The stale copy is the caller's to drop, after the lock.
                let stale = std::mem::replace(&mut *host, fresh);
                memory.host_fresh.store(true, Ordering::Release);
                drop(host);
                drop(stale);
            }
        }
        Ok(memory.host.read_recursive())
    }

    /// Exclusive access for an in-place write. Every write to a storage's
    /// elements goes through here, so read-only memory is refused in one
    /// place. A wgpu storage is written through its host copy, which goes
    /// back to the device when the guard is dropped.
    pub fn write(&self) -> Result<WriteGuard<'_>> {
        if self.is_read_only() {
            return Err(Error::runtime(
                "cannot modify this tensor in place: its memory is not writable (it is shared with a read-only NumPy array). Use clone() to get a writable copy.",
            ));
        }
        match &self.0.backing {
            Backing::Host(buffer) => Ok(WriteGuard { guard: buffer.write(), device: None }),
            Backing::Wgpu(memory) => {
                // Bring the host copy up to date first: a write may touch only part of it.
                drop(self.read_device(memory)?);
                Ok(WriteGuard { guard: memory.host.write(), device: Some(&memory.buffer) })
            }
        }
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

/// A storage's elements, writable. For a wgpu storage the writes land in
/// the host copy, and dropping the guard sends that copy to the device.
pub struct WriteGuard<'a> {
    guard: RwLockWriteGuard<'a, Buffer>,
    device: Option<&'a crate::backend::wgpu::WgpuBuffer>,
}

impl std::ops::Deref for WriteGuard<'_> {
    type Target = Buffer;
    fn deref(&self) -> &Buffer {
        &self.guard
    }
}

impl std::ops::DerefMut for WriteGuard<'_> {
    fn deref_mut(&mut self) -> &mut Buffer {
        &mut self.guard
    }
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        if let Some(buffer) = self.device {
            // The host copy stays fresh: it holds what the device will. The
            // queued write cannot fail validation (same buffer, same size);
            // a lost device is reported by the next device operation.
            crate::backend::wgpu::write_back(buffer, &self.guard);
        }
    }
}

/// A type that can live in a `Buffer`. Kernels are generic over it.
pub trait Element: Copy + Send + Sync + PartialOrd + Default + std::fmt::Debug + 'static {
    const DTYPE: DType;
    fn slice(buffer: &Buffer) -> Option<&[Self]>;
    fn slice_mut(buffer: &mut Buffer) -> Option<&mut [Self]>;
    fn from_data(data: Data<Self>) -> Buffer;
    #[inline]
    fn into_buffer(values: Vec<Self>) -> Buffer {
        Self::from_data(values.into())
    }
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
    fn from_i64(v: i64) -> Self;
    fn to_i64(self) -> i64;
    fn from_bool(v: bool) -> Self;
    fn to_bool(self) -> bool;

    /// The number as this element type, with the conversion a cast would
    /// make; floating types take integers through double, as PyTorch does.
    #[inline]
    fn from_scalar(v: Scalar) -> Self {
        match (Self::DTYPE.category(), v) {
            (Category::Floating, v) => Self::from_f64(v.to_f64()),
            (_, Scalar::Bool(b)) => Self::from_bool(b),
            (_, Scalar::Int(i)) => Self::from_i64(i),
            (_, Scalar::Float(f)) => Self::from_f64(f),
        }
    }

    /// The element as the kind of Python number `item()` gives.
    #[inline]
    fn to_scalar(self) -> Scalar {
        match Self::DTYPE.category() {
            Category::Bool => Scalar::Bool(self.to_bool()),
            Category::Integral => Scalar::Int(self.to_i64()),
            Category::Floating => Scalar::Float(self.to_f64()),
        }
    }
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
            fn from_data(data: Data<Self>) -> Buffer {
                Buffer::$variant(data)
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
element!(u8, U8, |v: f64| float_to_i32(v) as u8, |x: u8| x as f64, |v: i64| v as u8, |x: u8| x as i64, |b: bool| b as u8, |x: u8| x != 0);
element!(i8, I8, |v: f64| float_to_i32(v) as i8, |x: i8| x as f64, |v: i64| v as i8, |x: i8| x as i64, |b: bool| b as i8, |x: i8| x != 0);
element!(i16, I16, |v: f64| float_to_i32(v) as i16, |x: i16| x as f64, |v: i64| v as i16, |x: i16| x as i64, |b: bool| b as i16, |x: i16| x != 0);
element!(i32, I32, float_to_i32, |x: i32| x as f64, |v: i64| v as i32, |x: i32| x as i64, |b: bool| b as i32, |x: i32| x != 0);
element!(bool, Bool, |v: f64| v != 0.0, |x: bool| x as u8 as f64, |v: i64| v != 0, |x: bool| x as i64, |b: bool| b, |x: bool| x);

/// A float truncated to int32 as PyTorch's CPU cast does (x86's conversion):
/// NaN and values outside int32 become `i32::MIN`. Narrower integer types
/// take the low bits of this, so 300.0 as int8 is 44 and -1.0 as uint8 is 255.
#[inline]
fn float_to_i32(v: f64) -> i32 {
    if v > -2147483649.0 && v < 2147483648.0 {
        v as i32
    } else {
        i32::MIN
    }
}

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

/// Integer element types: bitwise ops and division that rounds.
pub trait Integer:
    Numeric + std::ops::BitAnd<Output = Self> + std::ops::BitOr<Output = Self> + std::ops::BitXor<Output = Self> + std::ops::Not<Output = Self>
{
    const ZERO: Self;
    /// Division rounding toward zero; `MIN / -1` wraps to `MIN` as in PyTorch.
    /// The caller rules out a zero divisor.
    fn trunc_div(self, o: Self) -> Self;
    /// Division rounding toward negative infinity (Python's `//`), wrapping like `trunc_div`.
    fn floor_div(self, o: Self) -> Self;
    /// C's `%`, with the sign of the dividend; `MIN % -1` wraps to 0.
    /// The caller rules out a zero divisor.
    fn trunc_rem(self, o: Self) -> Self;
}

macro_rules! numeric_int {
    ($t:ty, $abs:expr) => {
        impl Integer for $t {
            const ZERO: Self = 0;
            #[inline]
            fn trunc_rem(self, o: Self) -> Self {
                self.wrapping_rem(o)
            }
            #[inline]
            fn trunc_div(self, o: Self) -> Self {
                self.wrapping_div(o)
            }
            #[inline]
            // The sign tests are constant for uint8.
            #[allow(unused_comparisons)]
            fn floor_div(self, o: Self) -> Self {
                let q = self.wrapping_div(o);
                if (self < 0) != (o < 0) && self.wrapping_rem(o) != 0 {
                    q.wrapping_sub(1)
                } else {
                    q
                }
            }
        }

        impl Numeric for $t {
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
                $abs(self)
            }
        }
    };
}
numeric_int!(i64, i64::wrapping_abs);
numeric_int!(i32, i32::wrapping_abs);
numeric_int!(i16, i16::wrapping_abs);
numeric_int!(i8, i8::wrapping_abs);
// Every uint8 is its own absolute value.
numeric_int!(u8, |x: u8| x);
