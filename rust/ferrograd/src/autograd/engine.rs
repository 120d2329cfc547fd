//! The backward pass. Discovery walks the graph with an explicit stack under
//! the arena lock and copies out what each reachable node needs; execution
//! then runs nodes in decreasing creation order (a node is always created
//! after the nodes of its inputs, so that order is topological) with no lock
//! held, so formulas may build new graph when `create_graph` is on, and so
//! user callbacks (hooks, custom functions) may run any code, including
//! code that waits for a lock another thread holds while it waits for them.

use super::graph::{with_graph, Edge, InputMeta, NodeId};
use super::mode::GradModeGuard;
use super::saved::SavedTensor;
use crate::error::{Error, Result, ShapeList};
use crate::ops::views::has_internal_overlap;
use crate::ops::{BackwardCtx, Op};
use crate::tensor::Tensor;
use smallvec::SmallVec;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// One reachable node, copied out of the arena for execution.
/// Tasks name nodes by id without holding references: every node reachable
/// from the roots stays alive through the edges while the roots are held.
struct Task {
    node: NodeId,
    op: Op,
    next: SmallVec<[Option<(usize, u32)>; 2]>,
    input_meta: SmallVec<[InputMeta; 2]>,
    saved: SmallVec<[Option<SavedTensor>; 2]>,
    released: bool,
    /// Leads to no requested input (autograd.grad): not run.
    skip: bool,
    /// The requested inputs (indices into the targets) this node's outputs are.
    captures: SmallVec<[usize; 1]>,
    num_outputs: u32,
    hooks: Vec<super::hooks::GradHook>,
}

pub struct BackwardOptions {
    pub retain_graph: bool,
    pub create_graph: bool,
}

/// Where `autograd.grad` wants a gradient captured: output `input_nr` of a node.
type Target = Edge;

/// Asks whether the user wants the backward stopped (a binding checks for
/// Ctrl-C); an error aborts the backward with it.
pub type InterruptCheck = fn() -> Result<()>;

static INTERRUPT_CHECK: OnceLock<InterruptCheck> = OnceLock::new();

/// Installs the interrupt check every backward consults between nodes. The
/// first one installed stays.
pub fn set_interrupt_check(check: InterruptCheck) {
    let _ = INTERRUPT_CHECK.set(check);
}

/// Consults the interrupt check between nodes, at most every `INTERVAL`,
/// reading the clock only every `NODES` nodes, so a fast graph pays nearly
/// nothing and a slow one still stops promptly.
struct InterruptPoll {
    check: Option<InterruptCheck>,
    nodes: u32,
    last: Instant,
}

impl InterruptPoll {
    const NODES: u32 = 32;
    const INTERVAL: Duration = Duration::from_millis(20);

    fn new() -> Self {
        InterruptPoll { check: INTERRUPT_CHECK.get().copied(), nodes: 0, last: Instant::now() }
    }

    fn poll(&mut self) -> Result<()> {
        let Some(check) = self.check else { return Ok(()) };
        self.nodes += 1;
        if self.nodes < Self::NODES {
            return Ok(());
        }
        self.nodes = 0;
        if self.last.elapsed() < Self::INTERVAL {
            return Ok(());
        }
        self.last = Instant::now();
        check()
    }
}

/// Backpropagates from `roots` seeded with `grads`. With `inputs`, returns the
/// gradients flowing into those tensors and leaves every `.grad` untouched;
/// without, accumulates into the leaves' `.grad`.
pub fn run_backward(roots: &[Tensor], grads: &[Option<Tensor>], inputs: Option<&[Tensor]>, opts: &BackwardOptions) -> Result<Vec<Option<Tensor>>> {
    let mut seeds: Vec<(Edge, Tensor)> = Vec::with_capacity(roots.len());
    for (i, root) in roots.iter().enumerate() {
        let edge = root.gradient_edge().ok_or(Error::NoGradFn(i))?;
        let output = root.snapshot();
        let grad = match grads.get(i).and_then(|g| g.as_ref()) {
            Some(g) => {
                if g.shape() != output.shape() {
                    return Err(Error::GradShapeMismatch { index: i, grad_shape: ShapeList(g.shape().to_vec()), output_shape: ShapeList(output.shape().to_vec()) });
                }
                g.cast(output.dtype())?
            }
            None => {
                if output.numel() != 1 {
                    return Err(Error::ImplicitGradNonScalar);
                }
                let ones = Tensor::ones(output.shape(), output.dtype())?;
                match output.device() {
                    crate::device::Device::Cpu => ones,
                    device => ones.to_device(device)?,
                }
            }
        };
        seeds.push((edge, grad));
    }
    let targets: Option<Vec<Target>> = match inputs {
        Some(inputs) => Some(inputs.iter().map(|t| t.gradient_edge().ok_or(Error::InputDoesNotRequireGrad)).collect::<Result<_>>()?),
        None => None,
    };

    let root_ids: Vec<NodeId> = seeds.iter().map(|(e, _)| e.node).collect();
    let (mut tasks, root_index) = discover(&root_ids, !opts.retain_graph, targets.as_deref());

    let mut buffers: Vec<SmallVec<[Option<Tensor>; 1]>> = tasks.iter().map(|t| SmallVec::from_elem(None, t.num_outputs as usize)).collect();
    let _mode = GradModeGuard::new(opts.create_graph);
    for ((edge, grad), index) in seeds.into_iter().zip(root_index) {
        if let Some(i) = index {
            add_to_buffer(&mut buffers[i], edge.input_nr, grad)?;
        }
    }
    let mut captured: Vec<Option<Tensor>> = vec![None; targets.as_ref().map_or(0, |t| t.len())];
    let mut interrupt = InterruptPoll::new();

    for i in 0..tasks.len() {
        interrupt.poll()?;
        let mut incoming = std::mem::take(&mut buffers[i]);
        if tasks[i].skip || incoming.iter().all(|g| g.is_none()) {
            continue;
        }
        let task = &mut tasks[i];
        if !task.hooks.is_empty() {
            super::hooks::run_hooks(&task.hooks, &mut incoming)?;
        }
        if let Some(targets) = &targets {
            for &k in &task.captures {
                let grad = incoming.get(targets[k].input_nr as usize).cloned().flatten();
                captured[k] = accumulate_capture(captured[k].take(), grad)?;
            }
        }
        if let Op::AccumulateGrad(leaf) = &task.op {
            if targets.is_none() {
                if let (Some(leaf), Some(Some(g))) = (leaf.upgrade(), incoming.into_iter().next()) {
                    accumulate_into_leaf(&leaf, g, opts.create_graph)?;
                }
            }
            continue;
        }
        if task.next.iter().all(|e| e.is_none()) {
            continue;
        }
        let grads_in = run_task(task, incoming, opts.create_graph)?;
        if super::mode::is_anomaly_enabled() {
            check_no_nan(task.op.name(), &grads_in)?;
        }
        for (slot, grad) in grads_in.into_iter().enumerate() {
            let (Some(grad), Some(Some((target, input_nr)))) = (grad, task.next.get(slot).copied()) else { continue };
            let grad = conform(grad, &task.input_meta[slot], task.op.name(), slot)?;
            add_to_buffer(&mut buffers[target], input_nr, grad)?;
        }
    }
    if !opts.retain_graph {
        for task in tasks.iter().filter(|t| !t.skip) {
            if let Op::Custom(f) = &task.op {
                f.backward.release();
            }
        }
    }
    drop(tasks);
    Ok(captured)
}

/// Walks everything reachable from `roots` and returns the tasks in
/// execution order plus each root's task index. With `release`, saved
/// tensors are moved out of the arena (freed after this backward). With
/// `targets`, nodes that lead to no target are marked to be skipped.
fn discover(roots: &[NodeId], release: bool, targets: Option<&[Target]>) -> (Vec<Task>, Vec<Option<usize>>) {
    with_graph(|g| {
        let walk = g.begin_walk();
        let mut found: Vec<(u64, NodeId)> = Vec::new();
        let mut stack: Vec<NodeId> = roots.to_vec();
        while let Some(id) = stack.pop() {
            if !g.mark_visited(id, walk) {
                continue;
            }
            let Some(node) = g.node(id) else { continue };
            found.push((node.sequence_nr, id));
            stack.extend(node.next.iter().flatten().map(|e| e.node));
        }
        // Later-created nodes first: topological for this graph.
        found.sort_unstable_by(|a, b| b.0.cmp(&a.0));
        for (i, &(_, id)) in found.iter().enumerate() {
            g.set_walk_index(id, i);
        }

        let mut tasks: Vec<Task> = Vec::with_capacity(found.len());
        for &(_, id) in &found {
            let Some(node) = g.node(id) else { continue };
            let next = node.next.iter().map(|e| e.and_then(|e| g.walk_index(e.node, walk).map(|i| (i, e.input_nr)))).collect();
            tasks.push(Task {
                node: id,
                op: node.op.clone(),
                next,
                input_meta: node.input_meta.clone(),
                saved: SmallVec::new(),
                released: false,
                skip: false,
                captures: SmallVec::new(),
                num_outputs: node.num_outputs,
                hooks: node.hooks.clone(),
            });
        }
        if let Some(targets) = targets {
            for (k, t) in targets.iter().enumerate() {
                if let Some(i) = g.walk_index(t.node, walk) {
                    tasks[i].captures.push(k);
                }
            }
            mark_skipped(&mut tasks);
        }
        for task in tasks.iter_mut().filter(|t| !t.skip) {
            let Some(node) = g.node_mut(task.node) else { continue };
            task.saved = if release && !node.saved.is_empty() {
                node.released = true;
                std::mem::take(&mut node.saved)
            } else {
                node.saved.clone()
            };
            task.released = node.released && task.saved.is_empty();
        }
        let root_index = roots.iter().map(|&id| g.walk_index(id, walk)).collect();
        (tasks, root_index)
    })
}

/// Marks tasks from which no target is reachable. Tasks are in topological
/// order, so walking backwards sees every task's inputs before the task.
fn mark_skipped(tasks: &mut [Task]) {
    for i in (0..tasks.len()).rev() {
        let is_target = !tasks[i].captures.is_empty();
        let leads = tasks[i].next.iter().flatten().any(|&(j, _)| !tasks[j].skip);
        tasks[i].skip = !(is_target || leads);
        if !tasks[i].skip {
            // Edges into skipped tasks carry nothing.
            let skipped: SmallVec<[bool; 2]> = tasks[i].next.iter().map(|e| e.is_some_and(|(j, _)| tasks[j].skip)).collect();
            for (edge, skip) in tasks[i].next.iter_mut().zip(skipped) {
                if skip {
                    *edge = None;
                }
            }
        }
    }
}

/// Runs one node's formula on its incoming gradients.
fn run_task(task: &mut Task, incoming: SmallVec<[Option<Tensor>; 1]>, create_graph: bool) -> Result<crate::ops::Grads> {
    if task.released {
        return Err(Error::GraphFreed);
    }
    let name = task.op.name();
    if let Op::Custom(f) = &task.op {
        let needs: SmallVec<[bool; 2]> = task.next.iter().map(|e| e.is_some()).collect();
        let grads = f.backward.backward(&incoming, &needs)?;
        if grads.len() != task.next.len() {
            return Err(Error::runtime(format!(
                "function {name} returned an incorrect number of gradients (expected {}, got {})",
                task.next.len(),
                grads.len()
            )));
        }
        return Ok(grads.into_iter().collect());
    }
    let saved: SmallVec<[Option<Tensor>; 2]> = task
        .saved
        .iter()
        .map(|s| s.as_ref().map(|s| s.unpack(task.node, name, create_graph)).transpose())
        .collect::<Result<_>>()?;
    let grads: SmallVec<[Tensor; 1]> = incoming
        .into_iter()
        .enumerate()
        .map(|(k, g)| g.or_else(|| task.op.zero_output_grad(k, &task.input_meta)).ok_or_else(|| Error::Autograd(format!("{name}: missing gradient for an output"))))
        .collect::<Result<_>>()?;
    let needs: SmallVec<[bool; 2]> = task.next.iter().map(|e| e.is_some()).collect();
    let ctx = BackwardCtx { saved: &saved, grads: &grads, needs: &needs, inputs: &task.input_meta, create_graph };
    task.op.backward(&ctx)
}

/// Sums a broadcast gradient down to the input's shape and casts it to its dtype.
fn conform(grad: Tensor, meta: &InputMeta, name: &str, slot: usize) -> Result<Tensor> {
    let conforms = {
        let data = grad.snapshot();
        data.shape() == meta.shape.as_slice() && data.dtype() == meta.dtype && data.device() == meta.device
    };
    if conforms {
        return Ok(grad);
    }
    let grad = if grad.shape() != meta.shape.as_slice() { grad.sum_to_shape(&meta.shape)? } else { grad };
    if grad.shape() != meta.shape.as_slice() {
        return Err(Error::Autograd(format!(
            "Function {name} returned an invalid gradient at index {slot} - got {} but expected shape compatible with {}",
            ShapeList(grad.shape().to_vec()),
            ShapeList(meta.shape.to_vec())
        )));
    }
    let grad = if grad.dtype() != meta.dtype { grad.to_dtype(meta.dtype)? } else { grad };
    if grad.device() != meta.device {
        // As PyTorch: a 0-d gradient moves; any other on the wrong device
        // means its formula computed off the input's device.
        if grad.ndim() != 0 {
            return Err(Error::Autograd(format!(
                "Function {name} returned an invalid gradient at index {slot} - expected device {} but got {}",
                meta.device,
                grad.device()
            )));
        }
        return grad.to_device(meta.device);
    }
    Ok(grad)
}

/// Anomaly detection: a backward formula that produced NaN names itself.
fn check_no_nan(name: &str, grads: &[Option<Tensor>]) -> Result<()> {
    for (i, g) in grads.iter().enumerate() {
        if let Some(g) = g {
            if g.has_nan()? {
                return Err(Error::Autograd(format!("Function '{name}' returned nan values in its {i}th output.")));
            }
        }
    }
    Ok(())
}

fn add_to_buffer(buffer: &mut SmallVec<[Option<Tensor>; 1]>, input_nr: u32, grad: Tensor) -> Result<()> {
    let Some(slot) = buffer.get_mut(input_nr as usize) else {
        return Err(Error::Autograd(format!("gradient for output {input_nr} of a node that has {} outputs", buffer.len())));
    };
    *slot = Some(match slot.take() {
        None => grad,
        // A buffer only this backward can see is summed into without a new tensor.
        Some(old) if is_exclusively_owned(&old) && !grad.requires_grad() => {
            old.accumulate_(&grad)?;
            old
        }
        Some(old) => old.add(&grad)?,
    });
    Ok(())
}

fn accumulate_capture(old: Option<Tensor>, new: Option<Tensor>) -> Result<Option<Tensor>> {
    Ok(match (old, new) {
        (Some(a), Some(b)) => Some(a.add(&b)?),
        (a, b) => a.or(b),
    })
}

/// `leaf.grad += g`, in place when the existing grad is plain data, keeping
/// `.grad` the same tensor across backward calls as PyTorch does.
fn accumulate_into_leaf(leaf: &Tensor, grad: Tensor, create_graph: bool) -> Result<()> {
    match leaf.grad() {
        None => {
            let owned = if create_graph || is_exclusively_owned(&grad) { grad } else { grad.detach().clone_tensor()? };
            leaf.set_grad(Some(owned))
        }
        Some(old) if !create_graph && !old.requires_grad() => {
            // A grad with several positions on one element (an expanded
            // tensor) cannot be summed into; PyTorch refuses it the same way.
            let layout = old.layout();
            if has_internal_overlap(layout.shape(), layout.strides()) {
                return Err(Error::InternalOverlap);
            }
            old.accumulate_(&grad)
        }
        Some(old) => leaf.set_grad(Some(old.add(&grad)?)),
    }
}

/// A gradient nobody else can see or mutate: safe to become `.grad` as is.
fn is_exclusively_owned(t: &Tensor) -> bool {
    std::sync::Arc::strong_count(&t.0) == 1 && !t.requires_grad() && t.storage_is_exclusive() && t.is_contiguous()
}

// ---- public entry points ----------------------------------------------------

impl Tensor {
    /// `tensor.backward(gradient=None, retain_graph=None, create_graph=False)`.
    pub fn backward(&self, gradient: Option<&Tensor>, retain_graph: Option<bool>, create_graph: bool) -> Result<()> {
        let opts = BackwardOptions { retain_graph: retain_graph.unwrap_or(create_graph), create_graph };
        run_backward(std::slice::from_ref(self), &[gradient.cloned()], None, &opts).map(|_| ())
    }
}

/// `torch.autograd.backward(tensors, grad_tensors, retain_graph, create_graph)`.
pub fn backward(tensors: &[Tensor], grad_tensors: &[Option<Tensor>], retain_graph: Option<bool>, create_graph: bool) -> Result<()> {
    let opts = BackwardOptions { retain_graph: retain_graph.unwrap_or(create_graph), create_graph };
    run_backward(tensors, grad_tensors, None, &opts).map(|_| ())
}

/// `backward(..., inputs=...)`: accumulates only into the given tensors' `.grad`.
pub fn backward_into(tensors: &[Tensor], grad_tensors: &[Option<Tensor>], inputs: &[Tensor], retain_graph: Option<bool>, create_graph: bool) -> Result<()> {
    let opts = BackwardOptions { retain_graph: retain_graph.unwrap_or(create_graph), create_graph };
    let grads = run_backward(tensors, grad_tensors, Some(inputs), &opts)?;
    for (input, grad) in inputs.iter().zip(grads) {
        if let Some(g) = grad {
            accumulate_into_leaf(input, g, create_graph)?;
        }
    }
    Ok(())
}

/// `torch.autograd.grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused)`.
pub fn grad(
    outputs: &[Tensor],
    inputs: &[Tensor],
    grad_outputs: &[Option<Tensor>],
    retain_graph: Option<bool>,
    create_graph: bool,
    allow_unused: bool,
) -> Result<Vec<Option<Tensor>>> {
    let opts = BackwardOptions { retain_graph: retain_graph.unwrap_or(create_graph), create_graph };
    let result = run_backward(outputs, grad_outputs, Some(inputs), &opts)?;
    if !allow_unused {
        if let Some(i) = result.iter().position(|g| g.is_none()) {
            return Err(Error::UnusedInput(i));
        }
    }
    Ok(result)
}
