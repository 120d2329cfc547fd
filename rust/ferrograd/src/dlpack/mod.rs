//! DLPack: sharing a tensor's memory with other array libraries (numpy,
//! PyTorch, JAX, ...) through dlpack.h's C structs, without copying.
//!
//! Export hands out a managed tensor whose `manager_ctx` holds the tensor's
//! `Storage`, so the memory stays valid until the consumer calls the deleter.
//! Import wraps the producer's memory in a storage whose foreign data keeps
//! the managed tensor and calls its deleter, once, when the last view drops.
//!
//! # Aliasing
//! Shared memory is reached by both libraries. This crate reads and writes it
//! only under the storage's lock, but the other library does not take that
//! lock: as with PyTorch, a program must not write through one side while an
//! operation on the other side is using the same elements. Python code holding
//! the GIL is serialised that way already; kernels that release the GIL on a
//! shared tensor must not run beside a write from another thread.

pub mod abi;
mod export;
mod import;

pub use export::{export_legacy, export_versioned, CopyMode};
pub use import::{import_legacy, import_versioned};

#[cfg(test)]
mod tests;
