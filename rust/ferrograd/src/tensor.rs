//! The tensor handle users hold: storage + layout + autograd metadata.
//! Cloning a `Tensor` clones the handle (same tensor), as Python references do.

use crate::autograd::graph::{create_node, Edge, NodeRef};
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::layout::{numel, Layout};
use crate::ops::Op;
use crate::storage::{Access, Buffer, Element, Storage};
use crate::with_any_type;
use parking_lot::{Mutex, RwLock, RwLockReadGuard};
use smallvec::smallvec;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use crate::strided::Strided;

#[derive(Clone)]
pub struct Tensor(pub(crate) Arc<TensorInner>);

pub(crate) struct TensorInner {
    /// Storage, layout and dtype, replaced whole by the ops that change a
    /// tensor's metadata in place (`resize_`, `t_`, `.data =`): a reader's
    /// snapshot always pairs a layout with the storage it was checked against.
    /// Readers hold the read lock for one op at most, never across user
    /// code; a metadata change takes the write lock without waiting, so it
    /// can never deadlock against a reader (see `replace_data`). A read is
    /// two uncontended atomics; an `ArcSwap` cost a heap cell per tensor and
    /// a thread-local lookup per read, a fifth of a small op.
    data: RwLock<Strided>,
    /// `data`'s numel, ndim and dtype, readable without its lock: nearly
    /// every call asks for them (size thresholds, promotion, checks), and
    /// two lock operations cost more than the rest of a small op's checks.
    summary: Summary,
    /// Counts in-place changes (PyTorch's `_version`), shared with views and
    /// `detach()`ed aliases so autograd sees a saved tensor that changed
    /// through any of them.
    version: VersionCounter,
    /// A Python number turned into a 0-d tensor: it promotes like a number.
    wrapped_number: bool,
    requires_grad: AtomicBool,
    autograd: Mutex<AutogradMeta>,
    /// An opaque handle a language binding may attach (the Python object that
    /// wraps this tensor), so the same tensor keeps one identity there.
    binding: Mutex<Option<BindingHandle>>,
    /// Set for views made by view ops (not `detach`): what they look into.
    /// Boxed: most tensors are not views, and every op copies a new handle.
    view: Option<Box<ViewBase>>,
}

/// A copy of a `Strided`'s numel, ndim and dtype in atomics, written with
/// the data under its write lock. A reader racing a metadata change may see
/// the old values or the new, as it would by reading before or after it.
struct Summary {
    numel: AtomicUsize,
    /// The dtype's index in `DType::ALL`, and the ndim above it.
    dtype_ndim: AtomicU64,
}

impl Summary {
    fn of(data: &Strided) -> Summary {
        let s = Summary { numel: AtomicUsize::new(0), dtype_ndim: AtomicU64::new(0) };
        s.set(data);
        s
    }
    fn set(&self, data: &Strided) {
        self.numel.store(data.numel(), Ordering::Relaxed);
        self.dtype_ndim.store(data.dtype() as u64 | (data.ndim() as u64) << 8, Ordering::Relaxed);
    }
    fn numel(&self) -> usize {
        self.numel.load(Ordering::Relaxed)
    }
    fn dtype(&self) -> DType {
        DType::ALL[(self.dtype_ndim.load(Ordering::Relaxed) & 0xff) as usize]
    }
    fn ndim(&self) -> usize {
        (self.dtype_ndim.load(Ordering::Relaxed) >> 8) as usize
    }
}

/// PyTorch's `_version`. The shared cell is made on first need (a view, an
/// alias or a bump), so the many tensors that are never viewed nor changed
/// in place cost no allocation for it.
#[derive(Default)]
struct VersionCounter(std::sync::OnceLock<Arc<AtomicU32>>);

impl VersionCounter {
    fn sharing(counter: Arc<AtomicU32>) -> VersionCounter {
        VersionCounter(std::sync::OnceLock::from(counter))
    }
    fn shared(&self) -> Arc<AtomicU32> {
        self.0.get_or_init(Arc::default).clone()
    }
    fn get(&self) -> u32 {
        self.0.get().map_or(0, |c| c.load(Ordering::Acquire))
    }
    fn bump(&self) {
        self.0.get_or_init(Arc::default).fetch_add(1, Ordering::AcqRel);
    }
}

/// A consistent view of a tensor's data, for the span of one op: while it
/// is held the tensor's metadata cannot change (`resize_` and the like
/// refuse instead of waiting). Hold it briefly and never across user code;
/// `Tensor::detached_data` gives a copy that outlives such changes.
pub struct Snapshot<'a>(RwLockReadGuard<'a, Strided>);

impl std::ops::Deref for Snapshot<'_> {
    type Target = Strided;
    fn deref(&self) -> &Strided {
        &self.0
    }
}

/// A tensor's shape, read in place; reads as a `&[usize]`. Like a
/// `Snapshot`, it holds the metadata still while it lives: keep it short.
pub struct ShapeRef<'a>(Snapshot<'a>);

impl std::ops::Deref for ShapeRef<'_> {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        self.0.shape()
    }
}

impl PartialEq for ShapeRef<'_> {
    fn eq(&self, other: &ShapeRef<'_>) -> bool {
        **self == **other
    }
}

impl PartialEq<[usize]> for ShapeRef<'_> {
    fn eq(&self, other: &[usize]) -> bool {
        **self == *other
    }
}

impl PartialEq<&[usize]> for ShapeRef<'_> {
    fn eq(&self, other: &&[usize]) -> bool {
        **self == **other
    }
}

impl<const N: usize> PartialEq<[usize; N]> for ShapeRef<'_> {
    fn eq(&self, other: &[usize; N]) -> bool {
        **self == other[..]
    }
}

impl<const N: usize> PartialEq<&[usize; N]> for ShapeRef<'_> {
    fn eq(&self, other: &&[usize; N]) -> bool {
        **self == other[..]
    }
}

impl PartialEq<ShapeRef<'_>> for [usize] {
    fn eq(&self, other: &ShapeRef<'_>) -> bool {
        *self == **other
    }
}

impl PartialEq<ShapeRef<'_>> for &[usize] {
    fn eq(&self, other: &ShapeRef<'_>) -> bool {
        **self == **other
    }
}

impl std::fmt::Debug for ShapeRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl From<ShapeRef<'_>> for crate::layout::Shape {
    fn from(shape: ShapeRef<'_>) -> Self {
        crate::layout::Shape::from_slice(&shape)
    }
}

/// A tensor's layout, read in place (see `ShapeRef`).
pub struct LayoutRef<'a>(Snapshot<'a>);

impl std::ops::Deref for LayoutRef<'_> {
    type Target = Layout;
    fn deref(&self) -> &Layout {
        self.0.layout()
    }
}

/// What a view remembers of the tensor it looks into (PyTorch's ViewInfo):
/// the root base, so an in-place write through the view is recorded on the
/// base (CopySlices), and the storage version at which the view's history
/// was last valid, so a history made stale by an in-place change anywhere
/// in the storage is regenerated from the base on next use.
pub(crate) struct ViewBase {
    pub(crate) base: Tensor,
    /// Made under no_grad: an in-place change recorded through it is refused.
    pub(crate) made_without_grad: bool,
    /// One of several views one op returned (unbind, split): which one, and
    /// the op. Recorded in-place changes through such views are refused.
    pub(crate) multi_output: Option<(usize, &'static str)>,
    pub(crate) history_version: AtomicU32,
}

/// What a binding stores: a key that identifies the owner, and its object.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct BindingHandle {
    pub owner: usize,
    pub object: usize,
}

#[derive(Default)]
pub(crate) struct AutogradMeta {
    grad_fn: Option<NodeRef>,
    output_nr: u32,
    grad: Option<Tensor>,
    /// The AccumulateGrad node of a leaf that requires grad, made on first use.
    accumulator: Option<NodeRef>,
    retains_grad: bool,
}

/// A weak handle, held by a leaf's AccumulateGrad node.
#[derive(Clone)]
pub struct WeakTensor(Weak<TensorInner>);

impl WeakTensor {
    pub fn upgrade(&self) -> Option<Tensor> {
        self.0.upgrade().map(Tensor)
    }
}

impl std::fmt::Debug for WeakTensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WeakTensor")
    }
}

impl Tensor {
    // ---- construction -------------------------------------------------

    /// A tensor over `storage` through `layout`, checked to address only
    /// elements of the storage: with `make_view`, the only way a new layout
    /// meets a storage, so kernels can trust every tensor's layout.
    pub(crate) fn from_parts(storage: Storage, layout: Layout, dtype: DType) -> Result<Tensor> {
        layout.check_fits(storage.len(), dtype.size_in_bytes())?;
        Ok(Tensor::assemble(storage, layout, dtype, false, None))
    }

    /// The handle itself; callers have checked `layout` against `storage`.
    fn assemble(storage: Storage, layout: Layout, dtype: DType, wrapped_number: bool, view: Option<Box<ViewBase>>) -> Tensor {
        Tensor::assemble_counted(storage, layout, dtype, wrapped_number, view, VersionCounter::default())
    }

    /// `assemble` with the version counter given: shared by views and aliases.
    fn assemble_counted(storage: Storage, layout: Layout, dtype: DType, wrapped_number: bool, view: Option<Box<ViewBase>>, version: VersionCounter) -> Tensor {
        let data = Strided::trusted(storage, layout, dtype);
        Tensor(Arc::new(TensorInner {
            summary: Summary::of(&data),
            data: RwLock::new(data),
            version,
            wrapped_number,
            requires_grad: AtomicBool::new(false),
            autograd: Mutex::new(AutogradMeta::default()),
            binding: Mutex::new(None),
            view,
        }))
    }

    pub fn from_buffer(buffer: Buffer, shape: &[usize]) -> Result<Tensor> {
        if buffer.len() != numel(shape)? {
            return Err(Error::InvalidReshape { shape: crate::error::ShapeList(shape.to_vec()).to_string(), numel: buffer.len() });
        }
        let dtype = buffer.dtype();
        Tensor::from_parts(Storage::new(buffer), Layout::contiguous(shape)?, dtype)
    }

    /// A tensor reading all of a fresh storage in row-major order, as `shape`.
    pub fn from_storage(storage: Storage, shape: &[usize]) -> Result<Tensor> {
        if storage.len() != numel(shape)? {
            return Err(Error::InvalidReshape { shape: crate::error::ShapeList(shape.to_vec()).to_string(), numel: storage.len() });
        }
        let dtype = storage.dtype();
        Ok(Tensor::assemble(storage, Layout::contiguous(shape)?, dtype, false, None))
    }

    /// A tensor over an existing buffer with any layout that stays inside it
    /// (used to share memory with numpy arrays, which may be read-only).
    pub fn from_buffer_with_layout(buffer: Buffer, layout: Layout, access: Access) -> Result<Tensor> {
        if layout.strides().iter().any(|&s| s < 0) {
            return Err(Error::value("negative strides are not supported"));
        }
        let dtype = buffer.dtype();
        Tensor::from_parts(Storage::with_access(buffer, access), layout, dtype)
    }

    pub fn from_vec<T: Element>(values: Vec<T>, shape: &[usize]) -> Result<Tensor> {
        Tensor::from_buffer(T::into_buffer(values), shape)
    }

    pub fn scalar_tensor(value: Scalar, dtype: DType) -> Tensor {
        Tensor::scalar_with(value, dtype, false)
    }

    /// A 0-d tensor: one element, which its layout (offset 0) always fits.
    fn scalar_with(value: Scalar, dtype: DType, wrapped_number: bool) -> Tensor {
        let buffer = with_any_type!(dtype, T => T::into_buffer(vec![T::from_scalar(value)]));
        Tensor::assemble(Storage::new(buffer), Layout::scalar(), dtype, wrapped_number, None)
    }

    /// A Python number used as an operand. Floats are held in f64 so no
    /// precision is lost before promotion picks the result type.
    pub fn wrapped_number(value: Scalar) -> Tensor {
        let storage_dtype = match value {
            Scalar::Float(_) => DType::F64,
            other => other.default_dtype(),
        };
        Tensor::scalar_with(value, storage_dtype, true)
    }

    pub fn binding_handle(&self) -> Option<BindingHandle> {
        *self.0.binding.lock()
    }

    /// Attaches `handle` unless another one is attached; returns the one in place.
    pub fn attach_binding_handle(&self, handle: BindingHandle) -> BindingHandle {
        *self.0.binding.lock().get_or_insert(handle)
    }

    /// Detaches the handle owned by `owner`, if it is the one attached.
    pub fn release_binding_handle(&self, owner: usize) {
        let mut slot = self.0.binding.lock();
        if slot.is_some_and(|h| h.owner == owner) {
            *slot = None;
        }
    }

    /// A new contiguous tensor of `shape` filled with `value`.
    pub(crate) fn filled(shape: &[usize], value: Scalar, dtype: DType) -> Result<Tensor> {
        crate::layout::contiguous_storage_bytes(shape, dtype.size_in_bytes())?;
        Tensor::from_buffer(Buffer::full(dtype, numel(shape)?, value)?, shape)
    }

    /// A new tensor sharing this one's storage with another layout (no history).
    pub(crate) fn view_with_layout(&self, layout: Layout) -> Result<Tensor> {
        let data = self.snapshot();
        layout.check_fits(data.storage().len(), data.dtype().size_in_bytes())?;
        Ok(Tensor::assemble_counted(data.storage().clone(), layout, data.dtype(), false, None, VersionCounter::sharing(self.0.version.shared())))
    }

    /// A view op's result: shares storage and remembers the root base, so
    /// in-place writes through it reach the base's history. The caller
    /// records the view op itself.
    pub(crate) fn view_of(&self, layout: Layout) -> Result<Tensor> {
        self.make_view(layout, None)
    }

    /// `view_of` for output `output_nr` of an op returning several views.
    pub(crate) fn multi_view_of(&self, layout: Layout, output_nr: usize, op: &'static str) -> Result<Tensor> {
        self.make_view(layout, Some((output_nr, op)))
    }

    fn make_view(&self, layout: Layout, multi_output: Option<(usize, &'static str)>) -> Result<Tensor> {
        let data = self.snapshot();
        layout.check_fits(data.storage().len(), data.dtype().size_in_bytes())?;
        let base = match &self.0.view {
            Some(v) => v.base.clone(),
            None => self.clone(),
        };
        let view = ViewBase {
            base,
            made_without_grad: !crate::autograd::mode::is_grad_enabled(),
            multi_output,
            history_version: AtomicU32::new(self.version()),
        };
        Ok(Tensor::assemble_counted(data.storage().clone(), layout, data.dtype(), false, Some(Box::new(view)), VersionCounter::sharing(self.0.version.shared())))
    }

    /// Points this tensor at `storage` through `layout`, keeping its
    /// identity and autograd metadata: the one way a tensor's metadata
    /// changes. The layout is checked to fit, as wherever a layout meets a
    /// storage.
    pub(crate) fn replace_data(&self, storage: Storage, layout: Layout, dtype: DType) -> Result<()> {
        let data = Strided::new(storage, layout, dtype)?;
        // The old data may hold the last reference to memory a binding owns:
        // released here, with no lock held.
        // Never waits: a reader on this thread (a bug) or a kernel on another
        // thread reading this tensor gets an error here instead of a deadlock
        // or a torn read.
        let mut current = self.0.data.try_write().ok_or(Error::MetadataInUse)?;
        self.0.summary.set(&data);
        let old = std::mem::replace(&mut *current, data);
        drop(current);
        drop(old);
        Ok(())
    }

    /// After a metadata change recorded its own history on a view: that
    /// history is current, not to be rebuilt from the base.
    pub(crate) fn mark_view_history_current(&self) {
        if let Some(view) = &self.0.view {
            view.history_version.store(self.version(), Ordering::Relaxed);
        }
    }

    /// The tensor this one is a view of (PyTorch's `_base`).
    pub fn view_base(&self) -> Option<&Tensor> {
        self.0.view.as_ref().map(|v| &v.base)
    }

    pub(crate) fn view_info(&self) -> Option<&ViewBase> {
        self.0.view.as_deref()
    }

    /// Brings a view's history up to date after an in-place change to its storage.
    #[inline]
    fn refresh_view_history(&self) {
        if let Some(view) = &self.0.view {
            if view.history_version.load(Ordering::Relaxed) != self.version() {
                crate::ops::views::regenerate_view_history(self, view);
            }
        }
    }

    // ---- plain accessors ----------------------------------------------

    /// Storage, layout and dtype as of now, consistent with each other.
    /// Kernels read through one snapshot so a concurrent metadata change
    /// cannot pair one state's layout with another's storage.
    #[inline]
    pub fn snapshot(&self) -> Snapshot<'_> {
        Snapshot(self.0.data.read_recursive())
    }
    /// Storage, layout and dtype as of now, as a value that stays valid
    /// whatever happens to the tensor afterwards.
    pub fn detached_data(&self) -> Strided {
        self.snapshot().clone()
    }
    fn data(&self) -> RwLockReadGuard<'_, Strided> {
        self.0.data.read_recursive()
    }
    pub fn device(&self) -> crate::device::Device {
        self.data().device()
    }

    /// The device an op on `tensors` runs on (see `Strided::common_device`);
    /// ops that hold their operands' snapshots ask those instead.
    pub(crate) fn common_device(tensors: &[&Tensor]) -> Result<crate::device::Device> {
        let snapshots: smallvec::SmallVec<[Snapshot; 4]> = tensors.iter().map(|t| t.snapshot()).collect();
        let operands: smallvec::SmallVec<[&Strided; 4]> = snapshots.iter().map(|s| &**s).collect();
        Strided::common_device(&operands)
    }

    pub fn shape(&self) -> ShapeRef<'_> {
        ShapeRef(self.snapshot())
    }
    pub fn ndim(&self) -> usize {
        self.0.summary.ndim()
    }
    pub fn numel(&self) -> usize {
        self.0.summary.numel()
    }
    pub fn dtype(&self) -> DType {
        self.0.summary.dtype()
    }
    pub fn layout(&self) -> LayoutRef<'_> {
        LayoutRef(self.snapshot())
    }
    /// The storage as of now. Pair it with a layout only through `snapshot()`.
    pub fn storage(&self) -> Storage {
        self.data().storage().clone()
    }
    /// No other tensor, view or snapshot shares this tensor's storage now.
    pub(crate) fn storage_is_exclusive(&self) -> bool {
        self.data().storage().is_unique()
    }
    pub fn is_contiguous(&self) -> bool {
        self.data().layout().is_contiguous()
    }
    pub fn is_wrapped_number(&self) -> bool {
        self.0.wrapped_number
    }
    pub fn version(&self) -> u32 {
        self.0.version.get()
    }

    /// Marks an in-place change. Inference mode is no exception: a tensor
    /// made outside it may have been saved for backward, and backward must
    /// see that it changed.
    pub fn bump_version(&self) {
        self.0.version.bump();
    }
    /// Same tensor object (not merely equal values).
    pub fn is_same(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
    pub fn downgrade(&self) -> WeakTensor {
        WeakTensor(Arc::downgrade(&self.0))
    }

    /// Elements in logical row-major order.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        self.snapshot().to_vec()
    }

    /// The value of a one-element tensor.
    pub fn item(&self) -> Result<Scalar> {
        self.snapshot().item()
    }

    // ---- autograd metadata ----------------------------------------------

    pub fn requires_grad(&self) -> bool {
        self.refresh_view_history();
        self.0.requires_grad.load(Ordering::Relaxed)
    }

    pub fn is_leaf(&self) -> bool {
        self.refresh_view_history();
        self.0.autograd.lock().grad_fn.is_none()
    }

    pub fn grad_fn(&self) -> Option<NodeRef> {
        self.refresh_view_history();
        self.0.autograd.lock().grad_fn.clone()
    }

    /// The grad_fn's id without waiting for the metadata lock.
    pub(crate) fn try_grad_fn_id(&self) -> Option<crate::autograd::graph::NodeId> {
        self.0.autograd.try_lock()?.grad_fn.as_ref().map(|n| n.id())
    }

    /// The node this tensor's hooks live on (its grad_fn, or the
    /// AccumulateGrad node of a leaf if one was made) and which of its
    /// outputs this tensor is; without waiting for the metadata lock and
    /// without making an accumulator.
    pub(crate) fn try_hook_node(&self) -> Option<(crate::autograd::graph::NodeId, u32)> {
        let meta = self.0.autograd.try_lock()?;
        match (&meta.grad_fn, &meta.accumulator) {
            (Some(f), _) => Some((f.id(), meta.output_nr)),
            (None, Some(a)) => Some((a.id(), 0)),
            (None, None) => None,
        }
    }

    pub fn output_nr(&self) -> u32 {
        self.refresh_view_history();
        self.0.autograd.lock().output_nr
    }

    pub fn grad(&self) -> Option<Tensor> {
        self.0.autograd.lock().grad.clone()
    }

    pub fn set_grad(&self, grad: Option<Tensor>) -> Result<()> {
        if let Some(g) = &grad {
            if g.shape() != self.shape() {
                return Err(Error::GradSizeMismatch {
                    grad: crate::error::ShapeList(g.shape().to_vec()),
                    tensor: crate::error::ShapeList(self.shape().to_vec()),
                });
            }
            if g.dtype() != self.dtype() {
                return Err(Error::runtime("assigned grad has data of a different type"));
            }
        }
        // The old grad may be the last handle on a graph whose hooks run user
        // code when dropped: drop it after the lock is released.
        let old = std::mem::replace(&mut self.0.autograd.lock().grad, grad);
        drop(old);
        Ok(())
    }

    pub fn retains_grad(&self) -> bool {
        self.0.autograd.lock().retains_grad
    }

    pub fn set_retains_grad(&self) {
        if !self.is_leaf() {
            self.0.autograd.lock().retains_grad = true;
        }
    }

    /// `requires_grad_()`: only leaves may change it, and only floats may require grad.
    pub fn set_requires_grad(&self, requires_grad: bool) -> Result<()> {
        if !self.is_leaf() {
            if requires_grad {
                return Ok(());
            }
            return Err(Error::NonLeafRequiresGrad);
        }
        if requires_grad && !self.dtype().is_floating_point() {
            return Err(Error::NonFloatRequiresGrad);
        }
        self.0.requires_grad.store(requires_grad, Ordering::Relaxed);
        if !requires_grad {
            // Dropping the accumulator drops its hooks: not under the lock.
            let old = self.0.autograd.lock().accumulator.take();
            drop(old);
        }
        Ok(())
    }

    /// Builder form used by constructors: `requires_grad=True`.
    pub fn with_requires_grad(self, requires_grad: bool) -> Result<Tensor> {
        self.set_requires_grad(requires_grad)?;
        Ok(self)
    }

    /// Shares storage and version counter, with no history.
    pub fn detach(&self) -> Tensor {
        self.handle_with_counter(VersionCounter::sharing(self.0.version.shared()))
    }

    /// `.data`: shares storage, with no history and a version counter of its
    /// own, so changes through it escape autograd's checks, as in PyTorch.
    pub fn untracked_alias(&self) -> Tensor {
        self.handle_with_counter(VersionCounter::default())
    }

    /// Another handle on this tensor's storage and layout, with no history:
    /// the layout is already known to fit, so no check can fail.
    fn handle_with_counter(&self, version: VersionCounter) -> Tensor {
        let data = self.snapshot();
        Tensor::assemble_counted(data.storage().clone(), data.layout().clone(), data.dtype(), false, None, version)
    }

    /// `detach_()`: this tensor becomes a leaf that does not require grad.
    pub fn detach_in_place(&self) {
        self.0.requires_grad.store(false, Ordering::Relaxed);
        let old = {
            let mut meta = self.0.autograd.lock();
            meta.output_nr = 0;
            meta.grad_fn.take()
        };
        drop(old);
    }

    /// The name of this tensor's grad_fn (e.g. `AddBackward0`), if it has one.
    pub fn grad_fn_name(&self) -> Option<&'static str> {
        let node = self.grad_fn()?;
        crate::autograd::graph::with_node(node.id(), |n| n.op.name()).ok()
    }

    /// This tensor's data as output `output_nr` of `node`.
    pub(crate) fn with_grad_fn(&self, node: NodeRef, output_nr: u32) -> Tensor {
        let t = self.detach();
        t.0.requires_grad.store(true, Ordering::Relaxed);
        {
            let mut meta = t.0.autograd.lock();
            meta.grad_fn = Some(node);
            meta.output_nr = output_nr;
        }
        t
    }

    /// Replaces this tensor's history after an in-place op recorded `node`.
    pub(crate) fn set_history(&self, node: NodeRef, output_nr: u32) {
        self.0.requires_grad.store(true, Ordering::Relaxed);
        let old = {
            let mut meta = self.0.autograd.lock();
            meta.output_nr = output_nr;
            meta.grad_fn.replace(node)
        };
        drop(old);
    }

    /// The edge a gradient for this tensor flows along, if it needs one.
    pub(crate) fn gradient_edge(&self) -> Option<Edge> {
        if !self.requires_grad() {
            return None;
        }
        let mut meta = self.0.autograd.lock();
        if let Some(f) = &meta.grad_fn {
            return Some(Edge { node: f.id(), input_nr: meta.output_nr });
        }
        if meta.accumulator.is_none() {
            let op = Op::AccumulateGrad(self.downgrade());
            let meta_in = crate::autograd::graph::InputMeta { shape: self.shape().into(), dtype: self.dtype(), device: self.device() };
            meta.accumulator = Some(create_node(op, smallvec![], smallvec![meta_in], smallvec![], 1));
        }
        meta.accumulator.as_ref().map(|a| Edge { node: a.id(), input_nr: 0 })
    }

    /// The grad_fn, or for a leaf that requires grad its AccumulateGrad node.
    pub fn gradient_node(&self) -> Option<NodeRef> {
        let edge = self.gradient_edge()?;
        NodeRef::from_live_id(edge.node)
    }
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor(shape={:?}, dtype={})", self.shape(), self.dtype())
    }
}
