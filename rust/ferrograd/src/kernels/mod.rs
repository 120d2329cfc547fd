//! CPU kernels. They take tensors with any layout and return fresh contiguous
//! buffers; they know nothing of autograd. Rayon is used only above a size
//! where splitting pays for itself.

pub mod elementwise;
pub mod gather;
pub mod indexed;
pub mod gemm;
pub mod matmul;
pub mod named;
pub mod pointwise;
pub mod reduce;
pub mod along;
pub mod softmax;
mod softmax_rows;
pub mod vectorised;
pub mod window;
pub mod norm;

/// Below this many elements a kernel runs on the calling thread.
pub const PARALLEL_THRESHOLD: usize = 1 << 15;

/// One match arm per listed dtype, running `$body` with `$T` bound to its
/// Rust type; dtypes not listed run `$fallback` with the dtype as `$other`.
#[doc(hidden)]
#[macro_export]
macro_rules! dispatch_dtype {
    ($dtype:expr, $T:ident => $body:expr, [$($variant:ident => $ty:ty),*] $(, $other:ident => $fallback:expr)?) => {
        match $dtype {
            $($crate::dtype::DType::$variant => {
                type $T = $ty;
                $body
            })*
            $($other => $fallback,)?
        }
    };
}

/// Runs `$body` with `$T` bound to the Rust type of a floating `$dtype`.
#[macro_export]
macro_rules! with_float_type {
    ($dtype:expr, $op:expr, $T:ident => $body:expr) => {
        $crate::dispatch_dtype!($dtype, $T => $body, [F32 => f32, F64 => f64],
            other => return Err($crate::error::Error::NotImplementedForDType { op: $op, dtype: other }))
    };
}

/// Runs `$body` with `$T` bound to the Rust type of an integer (non-bool) `$dtype`.
#[macro_export]
macro_rules! with_int_type {
    ($dtype:expr, $op:expr, $T:ident => $body:expr) => {
        $crate::dispatch_dtype!($dtype, $T => $body, [I64 => i64, I32 => i32, I16 => i16, I8 => i8, U8 => u8],
            other => return Err($crate::error::Error::NotImplementedForDType { op: $op, dtype: other }))
    };
}

/// Runs `$body` with `$T` bound to the Rust type of a numeric (non-bool) `$dtype`.
#[macro_export]
macro_rules! with_numeric_type {
    ($dtype:expr, $op:expr, $T:ident => $body:expr) => {
        $crate::dispatch_dtype!($dtype, $T => $body, [F32 => f32, F64 => f64, I64 => i64, I32 => i32, I16 => i16, I8 => i8, U8 => u8],
            other => return Err($crate::error::Error::NotImplementedForDType { op: $op, dtype: other }))
    };
}

/// Runs `$body` with `$T` bound to the Rust type of any `$dtype`.
#[macro_export]
macro_rules! with_any_type {
    ($dtype:expr, $T:ident => $body:expr) => {
        $crate::dispatch_dtype!($dtype, $T => $body, [
            F32 => f32, F64 => f64, F16 => half::f16, BF16 => half::bf16,
            I64 => i64, I32 => i32, I16 => i16, I8 => i8, U8 => u8, Bool => bool
        ])
    };
}
