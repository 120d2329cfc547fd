//! `FERROGRAD_WGPU_FALLBACK=1`: an op without a wgpu kernel runs on the CPU
//! (operands copied in, result copied back) instead of being refused, with
//! one warning per op name, as PyTorch's MPS fallback does. The warning goes
//! through a hook the Python bindings install; the core itself never prints.

use crate::dtype::DType;
use crate::error::{Error, Result};
use parking_lot::Mutex;
use std::collections::HashSet;
use std::sync::OnceLock;

/// The refusal of an operation this device has no kernel for.
pub fn unsupported(op: &str) -> Error {
    refusal(op, "")
}

/// The refusal of an operation in a dtype no kernel of this device computes in.
pub fn unsupported_dtype(op: &str, dtype: DType) -> Error {
    refusal(op, &format!(" with dtype {dtype} (float32 computes there, and float16 and float64 where the adapter has shader-f16 and shader-f64)"))
}

fn refusal(op: &str, detail: &str) -> Error {
    Error::NotImplemented(format!(
        "The operator '{op}' is not currently implemented for the wgpu device{detail}. Set {FALLBACK_VAR}=1 to run it on the CPU instead (slower)."
    ))
}

/// The environment variable that turns the fallback on.
pub const FALLBACK_VAR: &str = "FERROGRAD_WGPU_FALLBACK";

static WARN: OnceLock<fn(&str)> = OnceLock::new();
static WARNED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// Installs the function that reports a fallback (once per op name).
pub fn set_fallback_warning(hook: fn(&str)) {
    let _ = WARN.set(hook);
}

/// Read on each refusal, so a process may turn it on after start-up.
fn enabled() -> bool {
    std::env::var(FALLBACK_VAR).is_ok_and(|v| v == "1")
}

/// `on_cpu`, refused naming `dtype` when no kernel computes in it.
pub fn on_cpu_for<R>(op: &str, dtype: DType, cpu: impl FnOnce() -> Result<R>) -> Result<R> {
    if !enabled() && !super::computes(dtype) {
        return Err(unsupported_dtype(op, dtype));
    }
    on_cpu(op, cpu)
}

/// `cpu()` for the op `op`, which has no wgpu kernel: refused with
/// NotImplementedError unless the fallback is on.
pub fn on_cpu<R>(op: &str, cpu: impl FnOnce() -> Result<R>) -> Result<R> {
    if !enabled() {
        return Err(unsupported(op));
    }
    let first = WARNED.lock().get_or_insert_with(HashSet::new).insert(op.to_string());
    // The hook runs Python: no lock of ours is held while it does.
    if first {
        if let Some(hook) = WARN.get() {
            hook(&format!(
                "The operator '{op}' is not currently supported on the wgpu device, so it ran on the CPU ({FALLBACK_VAR}=1). This may have performance implications."
            ));
        }
    }
    cpu()
}
