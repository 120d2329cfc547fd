//! Each update on tiny inputs against values worked out by hand from the
//! formulas in the optimizers' docs, plus the group checks.

use super::*;
use crate::tensor::Tensor;

fn t64(values: &[f64]) -> Tensor {
    Tensor::from_vec(values.to_vec(), &[values.len()]).unwrap()
}

fn step0() -> Tensor {
    Tensor::from_vec(vec![0.0f32], &[]).unwrap()
}

fn values(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>().unwrap()
}

fn close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-9, "got {got:?}, want {want:?}");
    }
}

fn sgd(lr: f64, momentum: f64, dampening: f64, weight_decay: f64, nesterov: bool) -> SgdOptions {
    SgdOptions { lr, momentum, dampening, weight_decay, nesterov, maximize: false }
}

fn adam(lr: f64) -> AdamOptions {
    AdamOptions { lr, beta1: 0.9, beta2: 0.999, weight_decay: 0.0, eps: 1e-8, amsgrad: false, maximize: false, decoupled_weight_decay: false }
}

fn run_adam(p: &Tensor, grads: &[f64], options: &AdamOptions) -> (Tensor, Tensor) {
    let (m, v, v_max, step) = (t64(&[0.0]), t64(&[0.0]), t64(&[0.0]), step0());
    let max_list = if options.amsgrad { vec![v_max] } else { vec![] };
    for &g in grads {
        let state = AdamState { exp_avgs: &[m.clone()], exp_avg_sqs: &[v.clone()], max_exp_avg_sqs: &max_list, steps: &[step.clone()] };
        adam_step(&[p.clone()], &[t64(&[g])], &state, options).unwrap();
    }
    (m, step)
}

#[test]
fn sgd_plain_step() {
    let p = t64(&[1.0, 2.0]);
    sgd_step(&[p.clone()], &[t64(&[0.5, -1.0])], &mut [], &sgd(0.1, 0.0, 0.0, 0.0, false)).unwrap();
    close(&values(&p), &[0.95, 2.1]);
}

#[test]
fn sgd_momentum_starts_from_the_gradient_then_dampens() {
    let p = t64(&[1.0, 2.0]);
    let mut buffers = vec![None];
    let options = sgd(0.1, 0.9, 0.1, 0.01, false);
    for _ in 0..2 {
        sgd_step(&[p.clone()], &[t64(&[0.5, -1.0])], &mut buffers, &options).unwrap();
    }
    // Step 1: g = grad + 0.01 p = [0.51, -0.98] = buf; p = [0.949, 2.098].
    // Step 2: g = [0.50949, -0.97902]; buf = 0.9 [0.51, -0.98] + 0.9 g.
    close(&values(buffers[0].as_ref().unwrap()), &[0.917541, -1.763118]);
    close(&values(&p), &[0.8572459, 2.2743118]);
}

#[test]
fn sgd_nesterov_looks_ahead() {
    let p = t64(&[1.0]);
    sgd_step(&[p.clone()], &[t64(&[0.5])], &mut [None], &sgd(0.1, 0.9, 0.0, 0.0, true)).unwrap();
    // buf = 0.5; direction = 0.5 + 0.9 * 0.5.
    close(&values(&p), &[0.905]);
}

#[test]
fn adam_moves_by_lr_under_a_constant_gradient() {
    let p = t64(&[1.0]);
    let (m, step) = run_adam(&p, &[0.5, 0.5], &adam(0.1));
    // The bias-corrected ratio m̂ / sqrt(v̂) is 1, so each step moves by lr.
    assert!((values(&p)[0] - 0.8).abs() < 1e-7);
    close(&values(&m), &[0.095]);
    assert_eq!(step.to_vec::<f32>().unwrap(), vec![2.0]);
}

#[test]
fn adam_maximize_climbs() {
    let p = t64(&[1.0]);
    run_adam(&p, &[0.5], &AdamOptions { maximize: true, ..adam(0.1) });
    assert!((values(&p)[0] - 1.1).abs() < 1e-7);
}

#[test]
fn adamw_shrinks_the_param_before_the_step() {
    let p = t64(&[1.0]);
    run_adam(&p, &[0.5], &AdamOptions { weight_decay: 0.1, decoupled_weight_decay: true, ..adam(0.1) });
    // p = 1 · (1 - 0.1 · 0.1) - 0.1.
    assert!((values(&p)[0] - 0.89).abs() < 1e-7);
}

#[test]
fn adam_l2_penalty_joins_the_gradient() {
    let p = t64(&[1.0]);
    let (m, _) = run_adam(&p, &[0.5], &AdamOptions { weight_decay: 0.1, ..adam(0.1) });
    close(&values(&m), &[0.1 * 0.6]);
}

#[test]
fn amsgrad_keeps_the_largest_second_moment() {
    let p = t64(&[1.0]);
    run_adam(&p, &[1.0, 0.0], &AdamOptions { amsgrad: true, ..adam(0.1) });
    // Step 1: p = 0.9. Step 2: m = 0.09, v̂ = max(0.001, 0.000999) = 0.001.
    let denom = (0.001f64).sqrt() / (1.0f64 - 0.999 * 0.999).sqrt() + 1e-8;
    let want = 0.9 - 0.1 / (1.0 - 0.81) * 0.09 / denom;
    assert!((values(&p)[0] - want).abs() < 1e-9, "{:?} vs {want}", values(&p));
}

fn rmsprop(centered: bool, momentum: f64) -> RMSpropOptions {
    RMSpropOptions { lr: 0.01, alpha: 0.99, eps: 1e-8, weight_decay: 0.0, momentum, centered, maximize: false }
}

fn run_rmsprop(options: &RMSpropOptions) -> f64 {
    let p = t64(&[1.0]);
    let grad_avgs = if options.centered { vec![t64(&[0.0])] } else { vec![] };
    let buffers = if options.momentum > 0.0 { vec![t64(&[0.0])] } else { vec![] };
    let state = RMSpropState { square_avgs: &[t64(&[0.0])], grad_avgs: &grad_avgs, momentum_buffers: &buffers, steps: &[step0()] };
    rmsprop_step(&[p.clone()], &[t64(&[0.5])], &state, options).unwrap();
    values(&p)[0]
}

#[test]
fn rmsprop_variants() {
    // sq = 0.01 · 0.25; avg = 0.05.
    assert!((run_rmsprop(&rmsprop(false, 0.0)) - 0.9).abs() < 1e-6);
    // Centered: avg = sqrt(0.0025 - 0.005²).
    let centered = 1.0 - 0.01 * 0.5 / ((0.0025f64 - 0.000025).sqrt() + 1e-8);
    assert!((run_rmsprop(&rmsprop(true, 0.0)) - centered).abs() < 1e-9);
    // Momentum: buf = 0.5 / 0.05 = 10.
    assert!((run_rmsprop(&rmsprop(false, 0.9)) - 0.9).abs() < 1e-6);
    let both = 1.0 - 0.01 * (0.5 / ((0.0025f64 - 0.000025).sqrt() + 1e-8));
    assert!((run_rmsprop(&rmsprop(true, 0.9)) - both).abs() < 1e-9);
}

#[test]
fn adagrad_accumulates_and_decays_the_rate() {
    let (p, sum, step) = (t64(&[1.0]), t64(&[0.1]), step0());
    let options = AdagradOptions { lr: 0.1, lr_decay: 0.5, weight_decay: 0.0, eps: 1e-10, maximize: false };
    for _ in 0..2 {
        let state = AdagradState { state_sums: &[sum.clone()], steps: &[step.clone()] };
        adagrad_step(&[p.clone()], &[t64(&[0.5])], &state, &options).unwrap();
    }
    let p1 = 1.0 - 0.1 * 0.5 / ((0.35f64).sqrt() + 1e-10);
    let p2 = p1 - 0.1 / 1.5 * 0.5 / ((0.6f64).sqrt() + 1e-10);
    close(&values(&sum), &[0.6]);
    close(&values(&p), &[p2]);
}

#[test]
fn adamax_divides_by_the_infinity_norm() {
    let (p, m, u) = (t64(&[1.0]), t64(&[0.0]), t64(&[0.0]));
    let state = AdamaxState { exp_avgs: &[m.clone()], exp_infs: &[u.clone()], steps: &[step0()] };
    let options = AdamaxOptions { lr: 0.002, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0, maximize: false };
    adamax_step(&[p.clone()], &[t64(&[-0.5])], &state, &options).unwrap();
    close(&values(&m), &[-0.05]);
    close(&values(&u), &[0.5 + 1e-8]);
    // clr = 0.002 / 0.1.
    close(&values(&p), &[1.0 + 0.02 * 0.05 / (0.5 + 1e-8)]);
}

#[test]
fn every_written_tensor_gets_a_new_version() {
    let (p, m, v, step) = (t64(&[1.0]), t64(&[0.0]), t64(&[0.0]), step0());
    let before = [p.version(), m.version(), v.version(), step.version()];
    let state = AdamState { exp_avgs: &[m.clone()], exp_avg_sqs: &[v.clone()], max_exp_avg_sqs: &[], steps: &[step.clone()] };
    adam_step(&[p.clone()], &[t64(&[0.5])], &state, &adam(0.1)).unwrap();
    let after = [p.version(), m.version(), v.version(), step.version()];
    assert!(before.iter().zip(&after).all(|(b, a)| a > b));
}

#[test]
fn float32_and_strided_params_match_the_float64_result() {
    let data: Vec<f64> = (0..6).map(|i| i as f64 * 0.25 - 0.5).collect();
    let grad: Vec<f64> = (0..6).map(|i| 0.3 - i as f64 * 0.1).collect();
    let p64 = Tensor::from_vec(data.clone(), &[2, 3]).unwrap();
    sgd_step(&[p64.clone()], &[Tensor::from_vec(grad.clone(), &[2, 3]).unwrap()], &mut [None], &sgd(0.1, 0.9, 0.0, 0.01, false)).unwrap();

    let p32 = Tensor::from_vec(data.iter().map(|&x| x as f32).collect(), &[2, 3]).unwrap();
    let g32 = Tensor::from_vec(grad.iter().map(|&x| x as f32).collect(), &[2, 3]).unwrap();
    sgd_step(&[p32.clone()], &[g32], &mut [None], &sgd(0.1, 0.9, 0.0, 0.01, false)).unwrap();
    for (a, b) in p32.to_vec::<f32>().unwrap().iter().zip(values(&p64)) {
        assert!((*a as f64 - b).abs() < 1e-6);
    }

    // The same param stored transposed: updated through its layout.
    let base = Tensor::from_vec(vec![-0.5, 0.25, -0.25, 0.5, 0.0, 0.75], &[3, 2]).unwrap();
    let strided = base.transpose(0, 1).unwrap();
    assert!(!strided.is_contiguous());
    sgd_step(&[strided.clone()], &[Tensor::from_vec(grad, &[2, 3]).unwrap()], &mut [None], &sgd(0.1, 0.9, 0.0, 0.01, false)).unwrap();
    close(&strided.to_vec::<f64>().unwrap(), &values(&p64));
}

#[test]
fn large_groups_take_the_parallel_path_with_the_same_result() {
    let n = 3 * crate::kernels::PARALLEL_THRESHOLD + 7;
    let make = |seed: f64| -> Vec<f64> { (0..n).map(|i| (i as f64 * 0.37 + seed).sin()).collect() };
    let (data, grad) = (make(0.0), make(1.0));
    let big = Tensor::from_vec(data.clone(), &[n]).unwrap();
    let other = Tensor::from_vec(data.clone(), &[n]).unwrap();
    let (m1, v1, m2, v2) = (Tensor::zeros(&[n], crate::DType::F64).unwrap(), Tensor::zeros(&[n], crate::DType::F64).unwrap(), Tensor::zeros(&[n], crate::DType::F64).unwrap(), Tensor::zeros(&[n], crate::DType::F64).unwrap());
    let g = Tensor::from_vec(grad.clone(), &[n]).unwrap();
    let state = AdamState { exp_avgs: &[m1, m2], exp_avg_sqs: &[v1, v2], max_exp_avg_sqs: &[], steps: &[step0(), step0()] };
    adam_step(&[big.clone(), other.clone()], &[g.clone(), g], &state, &adam(0.1)).unwrap();
    // One element at a time, as a tiny group.
    for i in [0, 1, n / 2, n - 1] {
        let p = t64(&[data[i]]);
        run_adam(&p, &[grad[i]], &adam(0.1));
        assert!((values(&big)[i] - values(&p)[0]).abs() < 1e-12);
        assert!((values(&other)[i] - values(&p)[0]).abs() < 1e-12);
    }
}

#[test]
fn mismatched_groups_are_refused_before_anything_changes() {
    let p = t64(&[1.0, 2.0]);
    let bad_grad = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    let err = sgd_step(&[p.clone()], &[bad_grad], &mut [], &sgd(0.1, 0.0, 0.0, 0.0, false)).unwrap_err().to_string();
    assert!(err.contains("shape [2] and dtype torch.float64") && err.contains("torch.float32"), "{err}");

    let err = sgd_step(&[p.clone()], &[t64(&[1.0, 2.0, 3.0])], &mut [], &sgd(0.1, 0.0, 0.0, 0.0, false)).unwrap_err().to_string();
    assert!(err.contains("shape [2]") && err.contains("shape [3]"), "{err}");

    let err = sgd_step(&[p.clone(), p.clone()], &[t64(&[1.0, 2.0])], &mut [], &sgd(0.1, 0.0, 0.0, 0.0, false)).unwrap_err().to_string();
    assert!(err.contains("grads"), "{err}");

    let step = step0();
    let state = AdamState { exp_avgs: &[p.clone()], exp_avg_sqs: &[t64(&[0.0, 0.0])], max_exp_avg_sqs: &[], steps: &[step.clone()] };
    let err = adam_step(&[p.clone()], &[t64(&[1.0, 1.0])], &state, &adam(0.1)).unwrap_err().to_string();
    assert!(err.contains("share memory"), "{err}");
    close(&values(&p), &[1.0, 2.0]);
    assert_eq!(step.to_vec::<f32>().unwrap(), vec![0.0]);

    let ints = Tensor::from_vec(vec![1i64], &[1]).unwrap();
    let err = sgd_step(&[ints.clone()], &[ints], &mut [], &sgd(0.1, 0.0, 0.0, 0.0, false)).unwrap_err().to_string();
    assert!(err.contains("float32 or float64") && err.contains("torch.int64"), "{err}");
}

#[test]
fn params_sharing_one_buffer_are_updated_one_after_the_other() {
    let n = crate::kernels::PARALLEL_THRESHOLD;
    let flat = Tensor::from_vec(vec![1.0f64; 4 * n], &[4 * n]).unwrap();
    let views: Vec<Tensor> = (0..4).map(|i| flat.narrow(0, (i * n) as i64, n as i64).unwrap()).collect();
    let grads: Vec<Tensor> = (0..4).map(|i| Tensor::full(&[n], crate::Scalar::Float(i as f64), crate::DType::F64).unwrap()).collect();
    let mut with_duplicate = views.clone();
    with_duplicate.push(views[3].clone());
    let mut grads_dup = grads.clone();
    grads_dup.push(grads[3].clone());
    sgd_step(&with_duplicate, &grads_dup, &mut [], &sgd(0.5, 0.0, 0.0, 0.0, false)).unwrap();
    let v = values(&flat);
    for i in 0..3 {
        assert!(v[i * n..(i + 1) * n].iter().all(|&x| x == 1.0 - 0.5 * i as f64));
    }
    // Listed twice, the last view is stepped twice.
    assert!(v[3 * n..].iter().all(|&x| x == 1.0 - 2.0 * 0.5 * 3.0));
}
