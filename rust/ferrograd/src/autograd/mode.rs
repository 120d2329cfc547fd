//! Thread-local grad mode, as in PyTorch: `no_grad` in one thread leaves
//! every other thread recording.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
    static INFERENCE_MODE: Cell<bool> = const { Cell::new(false) };
}

/// Anomaly detection is process-wide, as in PyTorch.
static ANOMALY_DETECTION: AtomicBool = AtomicBool::new(false);

pub fn is_anomaly_enabled() -> bool {
    ANOMALY_DETECTION.load(Ordering::Relaxed)
}

/// Turns checking every backward formula's result for NaN on or off; returns the previous setting.
pub fn set_anomaly_enabled(enabled: bool) -> bool {
    ANOMALY_DETECTION.swap(enabled, Ordering::Relaxed)
}

/// Inference mode: no graph is recorded (in-place updates still bump
/// version counters, as tensors made before may be saved for backward).
pub fn is_inference_mode_enabled() -> bool {
    INFERENCE_MODE.with(|m| m.get())
}

/// Sets inference mode (and grad mode with it) for this thread; returns the previous (inference, grad) modes.
pub fn set_inference_mode(enabled: bool) -> (bool, bool) {
    let previous_grad = if enabled { set_grad_enabled(false) } else { is_grad_enabled() };
    (INFERENCE_MODE.with(|m| m.replace(enabled)), previous_grad)
}

/// Restores both modes, the inverse of `set_inference_mode`.
pub fn restore_inference_mode(previous: (bool, bool)) {
    INFERENCE_MODE.with(|m| m.set(previous.0));
    set_grad_enabled(previous.1);
}

pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

/// Sets grad mode for this thread and returns the previous mode.
pub fn set_grad_enabled(enabled: bool) -> bool {
    GRAD_ENABLED.with(|g| g.replace(enabled))
}

/// Restores the previous grad mode when dropped.
#[must_use]
pub struct GradModeGuard {
    previous: bool,
}

impl GradModeGuard {
    pub fn new(enabled: bool) -> Self {
        GradModeGuard { previous: set_grad_enabled(enabled) }
    }
}

impl Drop for GradModeGuard {
    fn drop(&mut self) {
        set_grad_enabled(self.previous);
    }
}

pub fn no_grad() -> GradModeGuard {
    GradModeGuard::new(false)
}

pub fn enable_grad() -> GradModeGuard {
    GradModeGuard::new(true)
}
