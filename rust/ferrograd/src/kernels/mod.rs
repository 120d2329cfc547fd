//! CPU kernels. They take tensors with any layout and return fresh contiguous
//! buffers; they know nothing of autograd. Rayon is used only above a size
//! where splitting pays for itself.

pub mod elementwise;
pub mod gather;
pub mod indexed;
pub mod matmul;
pub mod pointwise;
pub mod reduce;
pub mod along;
pub mod softmax;
pub mod window;
pub mod norm;

/// Below this many elements a kernel runs on the calling thread.
pub const PARALLEL_THRESHOLD: usize = 1 << 15;

/// Runs `$body` with `$T` bound to the Rust type of a floating `$dtype`.
#[macro_export]
macro_rules! with_float_type {
    ($dtype:expr, $op:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::dtype::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::dtype::DType::F64 => {
                type $T = f64;
                $body
            }
            other => return Err($crate::error::Error::NotImplementedForDType { op: $op, dtype: other }),
        }
    };
}

/// Runs `$body` with `$T` bound to the Rust type of a numeric (non-bool) `$dtype`.
#[macro_export]
macro_rules! with_numeric_type {
    ($dtype:expr, $op:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::dtype::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::dtype::DType::F64 => {
                type $T = f64;
                $body
            }
            $crate::dtype::DType::I64 => {
                type $T = i64;
                $body
            }
            other => return Err($crate::error::Error::NotImplementedForDType { op: $op, dtype: other }),
        }
    };
}

/// Runs `$body` with `$T` bound to the Rust type of any `$dtype`.
#[macro_export]
macro_rules! with_any_type {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::dtype::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::dtype::DType::F64 => {
                type $T = f64;
                $body
            }
            $crate::dtype::DType::I64 => {
                type $T = i64;
                $body
            }
            $crate::dtype::DType::F16 => {
                type $T = half::f16;
                $body
            }
            $crate::dtype::DType::BF16 => {
                type $T = half::bf16;
                $body
            }
            $crate::dtype::DType::Bool => {
                type $T = bool;
                $body
            }
        }
    };
}
