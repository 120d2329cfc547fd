//! Graph memory: node slots are freed as soon as nothing reaches them and
//! reused afterwards, so repeated graphs keep the arena at a fixed size.
//! The arena is process-wide, so the check runs in a child process of its
//! own while the other tests of this binary run in parallel.

use ferrograd::autograd::graph::arena_stats;
use ferrograd::{Scalar, Tensor};

fn step(x: &Tensor, w: &Tensor, backward: bool) {
    let mut y = x.clone();
    for _ in 0..50 {
        y = y.mul(w).unwrap().add(x).unwrap().tanh().unwrap();
    }
    if backward {
        y.backward(None, None, false).unwrap();
    }
}

const CHILD: &str = "FERROGRAD_ARENA_TEST_CHILD";

#[test]
fn arena_slots_are_freed_and_reused() {
    if std::env::var_os(CHILD).is_none() {
        let exe = std::env::current_exe().expect("test binary path");
        let status = std::process::Command::new(exe)
            .args(["--exact", "arena::arena_slots_are_freed_and_reused", "--test-threads=1"])
            .env(CHILD, "1")
            .status()
            .expect("spawn the test binary");
        assert!(status.success(), "arena check failed in its child process");
        return;
    }
    let x = Tensor::from_vec(vec![0.5f32], &[]).unwrap().with_requires_grad(true).unwrap();
    let w = Tensor::from_vec(vec![0.9f32], &[]).unwrap().with_requires_grad(true).unwrap();
    step(&x, &w, true);
    let (live_after_one, slots_after_one) = arena_stats();
    for i in 0..200 {
        step(&x, &w, i % 2 == 0);
    }
    let (live, slots) = arena_stats();
    // Only the two leaves' AccumulateGrad nodes outlive a step.
    assert_eq!(live, live_after_one);
    assert_eq!(live, 2);
    assert_eq!(slots, slots_after_one, "slots must be reused, not added");

    // Keeping one old output alive keeps only its own graph.
    let kept = x.mul_scalar(Scalar::Int(3)).unwrap();
    step(&x, &w, false);
    assert_eq!(arena_stats().0, 3);
    drop(kept);
    assert_eq!(arena_stats().0, 2);
}
