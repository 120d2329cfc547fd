//! ferrograd: tensors and reverse-mode autograd with PyTorch's semantics.
//!
//! ```
//! use ferrograd::{Tensor, DType, Scalar};
//! let x = Tensor::from_vec(vec![2.0f32], &[]).unwrap().with_requires_grad(true).unwrap();
//! let y = x.pow_scalar(Scalar::Int(2)).unwrap().mul_scalar(Scalar::Int(3)).unwrap();
//! y.backward(None, None, false).unwrap();
//! assert_eq!(x.grad().unwrap().to_vec::<f32>().unwrap(), vec![12.0]);
//! ```

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
