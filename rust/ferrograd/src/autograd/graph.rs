//! The graph arena. Nodes live in contiguous slots addressed by index and are
//! reused through a free list, so steady-state graph building allocates no
//! node memory. A slot counts its strong references (tensors' `grad_fn`,
//! other nodes' edges); when the count reaches zero the slot is freed, and
//! freeing cascades through edges with a work list, never recursion.

use super::saved::SavedTensor;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::layout::Shape;
use crate::ops::Op;
use parking_lot::Mutex;
use smallvec::SmallVec;
use std::cell::{Cell, RefCell};

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct NodeId {
    index: u32,
    generation: u32,
}

impl NodeId {
    pub fn index(self) -> u32 {
        self.index
    }
}

/// Where a gradient goes: output `input_nr` of `node` (PyTorch's Edge).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    pub node: NodeId,
    pub input_nr: u32,
}

/// What backward needs to know of an input to shape its gradient.
#[derive(Clone, Debug)]
pub struct InputMeta {
    pub shape: Shape,
    pub dtype: DType,
    /// Where the input lives: its gradient is brought there.
    pub device: crate::device::Device,
}

pub struct Node {
    pub op: Op,
    /// One entry per differentiable input; `None` when that input needs no gradient.
    pub next: SmallVec<[Option<Edge>; 2]>,
    pub input_meta: SmallVec<[InputMeta; 2]>,
    pub saved: SmallVec<[Option<SavedTensor>; 2]>,
    /// Saved tensors were freed by a backward without `retain_graph`.
    pub released: bool,
    pub num_outputs: u32,
    /// Creation order; later nodes run first when both are ready.
    pub sequence_nr: u64,
    /// Hooks on this node's outputs' gradients (empty for almost every node).
    pub hooks: Vec<super::hooks::GradHook>,
}

struct Slot {
    generation: u32,
    refs: u32,
    node: Option<Node>,
    /// Scratch for graph walks (valid while the walk holds the lock): the walk
    /// that last visited this slot, and the node's position in that walk.
    visit_epoch: u64,
    visit_index: u32,
}

struct Arena {
    slots: Vec<Slot>,
    free: Vec<u32>,
    next_sequence_nr: u64,
    next_epoch: u64,
}

static GRAPH: Mutex<Arena> = Mutex::new(Arena { slots: Vec::new(), free: Vec::new(), next_sequence_nr: 0, next_epoch: 1 });

impl Arena {
    fn slot(&self, id: NodeId) -> Option<&Slot> {
        self.slots.get(id.index as usize).filter(|s| s.generation == id.generation && s.node.is_some())
    }

    fn slot_mut(&mut self, id: NodeId) -> Option<&mut Slot> {
        self.slots.get_mut(id.index as usize).filter(|s| s.generation == id.generation && s.node.is_some())
    }

    fn incref(&mut self, id: NodeId) {
        if let Some(slot) = self.slot_mut(id) {
            slot.refs += 1;
        }
    }

    /// Drops one reference; frees the slot and cascades when it was the last.
    /// Freed nodes are moved into `garbage` so their tensors drop outside the lock.
    fn decref(&mut self, id: NodeId, garbage: &mut Vec<Node>) {
        let mut work: SmallVec<[NodeId; 8]> = SmallVec::new();
        work.push(id);
        while let Some(id) = work.pop() {
            let Some(slot) = self.slot_mut(id) else { continue };
            slot.refs -= 1;
            if slot.refs > 0 {
                continue;
            }
            let Some(node) = slot.node.take() else { continue };
            slot.generation = slot.generation.wrapping_add(1);
            self.free.push(id.index);
            work.extend(node.next.iter().flatten().map(|e| e.node));
            garbage.push(node);
        }
    }
}

/// A strong reference to a node: a tensor's `grad_fn`, or a handle held by the engine.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct NodeRef {
    id: NodeId,
}

impl NodeRef {
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// A new strong reference to a node known to be alive (e.g. reached through an edge).
    pub fn from_live_id(id: NodeId) -> Option<NodeRef> {
        let mut g = GRAPH.lock();
        g.slot(id)?;
        g.incref(id);
        Some(NodeRef { id })
    }
}

impl Clone for NodeRef {
    fn clone(&self) -> Self {
        GRAPH.lock().incref(self.id);
        NodeRef { id: self.id }
    }
}

thread_local! {
    static RELEASING: Cell<bool> = const { Cell::new(false) };
    static PENDING: RefCell<Vec<NodeId>> = const { RefCell::new(Vec::new()) };
}

impl Drop for NodeRef {
    fn drop(&mut self) {
        release(self.id);
    }
}

/// Drops one reference. Dropping a freed node's saved tensors can release
/// more nodes; while that happens, further releases on this thread are queued
/// and drained here, so a chain of any length is freed in constant stack depth.
fn release(id: NodeId) {
    if RELEASING.with(|r| r.get()) {
        PENDING.with(|p| p.borrow_mut().push(id));
        return;
    }
    let mut garbage = Vec::new();
    GRAPH.lock().decref(id, &mut garbage);
    if garbage.is_empty() {
        return;
    }
    RELEASING.with(|r| r.set(true));
    loop {
        drop(std::mem::take(&mut garbage));
        let batch = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
        if batch.is_empty() {
            break;
        }
        let mut g = GRAPH.lock();
        for id in batch {
            g.decref(id, &mut garbage);
        }
    }
    RELEASING.with(|r| r.set(false));
}

/// Adds a node whose inputs are `next`; takes a reference on each input node.
pub fn create_node(
    op: Op,
    next: SmallVec<[Option<Edge>; 2]>,
    input_meta: SmallVec<[InputMeta; 2]>,
    saved: SmallVec<[Option<SavedTensor>; 2]>,
    num_outputs: u32,
) -> NodeRef {
    let mut g = GRAPH.lock();
    for e in next.iter().flatten() {
        g.incref(e.node);
    }
    let sequence_nr = g.next_sequence_nr;
    g.next_sequence_nr += 1;
    let node = Node { op, next, input_meta, saved, released: false, num_outputs, sequence_nr, hooks: Vec::new() };
    let index = match g.free.pop() {
        Some(i) => i,
        None => {
            g.slots.push(Slot { generation: 0, refs: 0, node: None, visit_epoch: 0, visit_index: 0 });
            (g.slots.len() - 1) as u32
        }
    };
    let slot = &mut g.slots[index as usize];
    slot.refs = 1;
    slot.node = Some(node);
    NodeRef { id: NodeId { index, generation: slot.generation } }
}

/// Runs `f` on a live node under the graph lock. `f` must not touch the graph.
pub fn with_node<R>(id: NodeId, f: impl FnOnce(&Node) -> R) -> Result<R> {
    let g = GRAPH.lock();
    let slot = g.slot(id).ok_or_else(|| Error::Autograd("graph node was freed".into()))?;
    match &slot.node {
        Some(n) => Ok(f(n)),
        None => Err(Error::Autograd("graph node was freed".into())),
    }
}

pub fn with_node_mut<R>(id: NodeId, f: impl FnOnce(&mut Node) -> R) -> Result<R> {
    let mut g = GRAPH.lock();
    let slot = g.slot_mut(id).ok_or_else(|| Error::Autograd("graph node was freed".into()))?;
    match &mut slot.node {
        Some(n) => Ok(f(n)),
        None => Err(Error::Autograd("graph node was freed".into())),
    }
}

/// Runs `f` with the arena locked, for the engine's graph discovery.
/// Runs `f` on the node when it is held by exactly one reference and the
/// arena is free right now; `None` otherwise. For a garbage collector's
/// traversal, which may not wait for a lock.
pub fn try_with_sole_node<R>(id: NodeId, f: impl FnOnce(&Node) -> R) -> Option<R> {
    let g = GRAPH.try_lock()?;
    let slot = g.slot(id)?;
    if slot.refs != 1 {
        return None;
    }
    slot.node.as_ref().map(f)
}

pub(crate) fn with_graph<R>(f: impl FnOnce(&mut GraphView<'_>) -> R) -> R {
    let mut g = GRAPH.lock();
    f(&mut GraphView { arena: &mut g })
}

pub(crate) struct GraphView<'a> {
    arena: &'a mut Arena,
}

impl GraphView<'_> {
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.arena.slot(id).and_then(|s| s.node.as_ref())
    }
    pub fn node_mut(&mut self, id: NodeId) -> Option<&mut Node> {
        self.arena.slot_mut(id).and_then(|s| s.node.as_mut())
    }
    /// Starts a walk: returns a token no earlier walk used.
    pub fn begin_walk(&mut self) -> u64 {
        self.arena.next_epoch += 1;
        self.arena.next_epoch
    }
    /// Marks a live node visited by `walk`; false if it was already, or is not live.
    pub fn mark_visited(&mut self, id: NodeId, walk: u64) -> bool {
        match self.arena.slot_mut(id) {
            Some(slot) if slot.visit_epoch != walk => {
                slot.visit_epoch = walk;
                true
            }
            _ => false,
        }
    }
    pub fn set_walk_index(&mut self, id: NodeId, index: usize) {
        if let Some(slot) = self.arena.slot_mut(id) {
            slot.visit_index = index as u32;
        }
    }
    /// The position `set_walk_index` gave a node visited by `walk`.
    pub fn walk_index(&self, id: NodeId, walk: u64) -> Option<usize> {
        self.arena.slot(id).filter(|s| s.visit_epoch == walk).map(|s| s.visit_index as usize)
    }
}

/// Arena occupancy, for tests and diagnostics: (live nodes, total slots).
pub fn arena_stats() -> (usize, usize) {
    let g = GRAPH.lock();
    (g.slots.len() - g.free.len(), g.slots.len())
}

#[cfg(test)]
mod size_tests {
    /// Nodes are moved into the arena, out to the backward's task list and
    /// back to be freed: each byte is copied three times per op.
    #[test]
    fn a_node_keeps_its_saved_tensors_narrow() {
        assert!(std::mem::size_of::<super::SavedTensor>() <= 32, "SavedTensor is {} bytes", std::mem::size_of::<super::SavedTensor>());
    }
}
