//! Element formulas shared by several optimizers, written as PyTorch's
//! kernels compute them so results round the same way.

use crate::storage::Float;

/// `start + weight * (end - start)`, evaluated from the nearer end as
/// PyTorch's `lerp` does (more accurate for weights above one half).
#[inline]
pub(crate) fn lerp<T: Float>(start: T, end: T, weight: T) -> T {
    if weight.abs() < T::from_f64(0.5) {
        start + weight * (end - start)
    } else {
        end - (end - start) * (T::ONE - weight)
    }
}

/// The larger of two values; NaN if either is NaN (`torch.maximum`).
#[inline]
pub(crate) fn maximum<T: Float>(a: T, b: T) -> T {
    if is_nan(a) || is_nan(b) {
        a + b
    } else if a > b {
        a
    } else {
        b
    }
}

/// The gradient an update descends along: negated for `maximize`, plus the
/// L2 penalty `weight_decay * param` when one is set.
#[inline]
pub(crate) fn effective_grad<T: Float>(grad: T, param: T, maximize: bool, weight_decay: Option<T>) -> T {
    let g = if maximize { -grad } else { grad };
    match weight_decay {
        Some(wd) => g + wd * param,
        None => g,
    }
}

#[inline]
#[allow(clippy::eq_op)]
fn is_nan<T: Float>(x: T) -> bool {
    x != x
}
