//! Shared by the family tests: the finite-difference checker and
//! deterministic inputs.
#![allow(dead_code)]

pub mod gradcheck;

pub use gradcheck::{case, check_family};

use ferrograd::{Scalar, Tensor};
use std::cell::Cell;

/// A tiny LCG (Knuth's MMIX constants): reproducible values without a rand crate.
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// Uniform in [0, 1).
    pub fn next_unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_unit()
    }
}

thread_local! {
    /// Each test runs on its own thread, so its inputs do not depend on test order.
    static INPUT_SEED: Cell<u64> = const { Cell::new(1) };
}

fn next_generator() -> Lcg {
    INPUT_SEED.with(|s| {
        let seed = s.get();
        s.set(seed + 1);
        Lcg::new(seed)
    })
}

/// A float64 tensor with elements uniform in [lo, hi).
pub fn uniform(shape: &[usize], lo: f64, hi: f64) -> Tensor {
    let mut g = next_generator();
    let values = (0..shape.iter().product()).map(|_| g.uniform(lo, hi)).collect();
    Tensor::from_vec::<f64>(values, shape).unwrap()
}

/// A float64 tensor with magnitudes in [lo, hi) and random signs: inputs that
/// keep clear of kinks at zero (relu, abs, leaky_relu, ...).
pub fn signed(shape: &[usize], lo: f64, hi: f64) -> Tensor {
    let mut g = next_generator();
    let values = (0..shape.iter().product())
        .map(|_| {
            let magnitude = g.uniform(lo, hi);
            if g.next_unit() < 0.5 {
                -magnitude
            } else {
                magnitude
            }
        })
        .collect();
    Tensor::from_vec::<f64>(values, shape).unwrap()
}

/// A float64 tensor from explicit values.
pub fn tensor(values: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(values.to_vec(), shape).unwrap()
}

/// An int64 tensor (indices, class targets).
pub fn longs(values: &[i64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(values.to_vec(), shape).unwrap()
}

pub fn float(v: f64) -> Scalar {
    Scalar::Float(v)
}

/// Asserts a forward result's shape and values (to 1e-9, for hand-computed expectations).
pub fn assert_values(name: &str, t: &Tensor, shape: &[usize], expected: &[f64]) {
    assert_eq!(t.shape().to_vec(), shape.to_vec(), "{name}: shape");
    let got = t.to_vec::<f64>().unwrap();
    assert_eq!(got.len(), expected.len(), "{name}: element count");
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        assert!((g - e).abs() <= 1e-9 * (1.0 + e.abs()), "{name}: element {i} is {g}, expected {e}");
    }
}
