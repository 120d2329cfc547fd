//! ferrograd: tensors and reverse-mode autograd with PyTorch's semantics.
//!
//! The crate is the core of the `ferrograd` Python package, and works on its
//! own as a Rust library: the same tensors, ops, autograd engine and
//! optimizer updates, with no Python involved.
//!
//! # A forward and backward pass
//!
//! ```
//! use ferrograd::{Tensor, Scalar};
//!
//! # fn main() -> ferrograd::Result<()> {
//! // y = sum(3 * x²): dy/dx = 6x.
//! let x = Tensor::from_vec(vec![1.0f32, 2.0, -0.5], &[3])?.with_requires_grad(true)?;
//! let y = x.pow_scalar(Scalar::Int(2))?.mul_scalar(Scalar::Int(3))?.sum()?;
//! y.backward(None, None, false)?;
//! let grad = x.grad().ok_or_else(|| ferrograd::Error::runtime("x has no gradient"))?;
//! assert_eq!(grad.to_vec::<f32>()?, vec![6.0, 12.0, -3.0]);
//! # Ok(())
//! # }
//! ```
//!
//! # Where things are
//!
//! - [`Tensor`] is a cheap handle (an `Arc`) to a [`storage::Storage`] seen
//!   through a [`layout::Layout`]; views share the storage. Ops are methods
//!   (`add`, `matmul`, `sum_dims`, ...) returning [`Result`], and record
//!   themselves for autograd when an input requires a gradient.
//! - [`autograd`] runs `backward` and keeps the no-grad and anomaly modes.
//! - [`optim`] holds the optimizers' update steps (SGD, Adam, ...), each a
//!   function over a group's parameters, gradients and state tensors.
//! - [`random`] is the seeded generator behind `rand`/`randn` and dropout.
//! - [`dlpack`] shares memory with other array libraries without copying.
//! - [`threads`] sizes the thread pool kernels run on.
//!
//! Errors are values: bad shapes or dtypes come back as an [`Error`] whose
//! message is PyTorch's, never as a panic.
//!
//! `examples/train_mlp.rs` trains a small network end to end:
//! `cargo run --release -p ferrograd --example train_mlp`.

#![deny(unsafe_op_in_unsafe_fn)]

pub mod autograd;
pub mod backend;
pub mod buffer_cache;
pub mod device;
pub mod dlpack;
pub mod dtype;
pub mod error;
pub mod format;
pub mod kernels;
pub mod layout;
pub mod ops;
pub mod optim;
pub mod random;
pub mod simd;
pub mod storage;
pub mod strided;
pub mod tensor;
pub mod threads;

pub use device::Device;
pub use dtype::{Category, DType, Scalar};
pub use error::{Error, Result};
pub use tensor::Tensor;
