//! float64 and float16 kernels against the CPU backend: float64 to a few
//! units in the last place (its exp, log and sin are this backend's own),
//! float16 to one rounding of the float32 arithmetic it runs in.

use super::context::gpu;
use super::element::Element;
use crate::backend::cpu::Cpu;
use crate::backend::Backend;
use crate::dtype::DType;
use crate::kernels::named::*;
use crate::storage::{Element as Value, Storage};
use crate::strided::Strided;
use half::f16;
use super::tests::{back, have_device, host, on_device};

/// Whether the device computes in `dtype`; without an adapter (outside
/// CI) or without the feature, the test returns early.
fn have(dtype: DType) -> bool {
    if !have_device() {
        return false;
    }
    let ok = gpu().is_ok_and(|gpu| Element::of(gpu, "test", dtype).is_ok());
    if !ok {
        eprintln!("skipping: the adapter does not compute in {dtype}");
    }
    ok
}

fn values<T: Value>(storage: Storage, shape: &[usize]) -> Vec<T> {
    back(storage, shape)
}

/// `got` within `ulps` units in the last place of `want` (or both NaN).
fn ulps_close(what: &str, got: &[f64], want: &[f64], ulps: f64) {
    assert_eq!(got.len(), want.len());
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        if w.is_nan() {
            assert!(g.is_nan(), "{what}[{i}]: {g} for NaN");
            continue;
        }
        if w.is_infinite() || w == 0.0 {
            assert!(g == w || (w == 0.0 && g.abs() < 1e-300), "{what}[{i}]: {g} for {w}");
            continue;
        }
        // Subnormals have a fixed spacing.
        let ulp = (f64::EPSILON * w.abs()).max(f64::from_bits(1));
        assert!((g - w).abs() <= ulps * ulp, "{what}[{i}]: wgpu {g:e} vs cpu {w:e} ({:.1} ulps)", (g - w).abs() / ulp);
    }
}

fn unary_f64<K: UnaryKernel>(k: K, xs: &[f64], ulps: f64) {
    let x = host(xs.to_vec(), &[xs.len()]);
    let want = Strided::contiguous(Cpu::unary(&k, &x).expect("cpu"), &[xs.len()]).expect("v").to_vec::<f64>().expect("cpu values");
    let got = values::<f64>(on_device(&x).unary(&k).expect("wgpu"), &[xs.len()]);
    ulps_close(K::NAME, &got, &want, ulps);
}

fn spread(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n).map(|i| lo + (hi - lo) * (i as f64 + 0.37) / n as f64).collect()
}

#[test]
fn float64_transcendentals_match_the_cpu_to_a_few_ulps() {
    if !have(DType::F64) {
        return;
    }
    let mut wide = spread(-740.0, 709.0, 3001);
    wide.extend([0.0, -0.0, 1e-300, -1e-17, 709.7, -745.0, -800.0, 800.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
    unary_f64(Exp, &wide, 4.0);
    let mut positive: Vec<f64> = spread(-300.0, 300.0, 3001).iter().map(|e| 10f64.powf(*e)).collect();
    positive.extend([1.0, 1.0 + 1e-15, 1.0 - 1e-16, 0.5, 2.0, 4.9e-324, 2.2e-308, 0.0, -1.0, f64::INFINITY, f64::NAN]);
    unary_f64(Log, &spread(0.5, 2.0, 1001), 4.0);
    unary_f64(Log, &positive, 4.0);
    unary_f64(Log2, &positive, 4.0);
    unary_f64(Log10, &positive, 4.0);
    let angles = spread(-100.0, 100.0, 4001);
    unary_f64(Sin, &angles, 4.0);
    unary_f64(Cos, &angles, 4.0);
    unary_f64(Tan, &angles, 8.0);
    let small: Vec<f64> = spread(-30.0, 30.0, 2001).into_iter().chain(spread(-1e-3, 1e-3, 201)).chain([1e-20, -1e-10, 1e-6]).collect();
    unary_f64(Expm1, &small, 6.0);
    unary_f64(Tanh, &small, 6.0);
    unary_f64(Sigmoid, &small, 6.0);
    unary_f64(Exp2, &spread(-1000.0, 1000.0, 2001), 4.0);
    let above: Vec<f64> = spread(-0.999, 30.0, 2001).into_iter().chain([1e-18, -1e-12]).collect();
    unary_f64(Log1p, &above, 6.0);
    unary_f64(PowByNumber(2.7), &spread(0.01, 50.0, 1001), 16.0);
    unary_f64(Softplus { beta: 1.5, threshold: 20.0 }, &small, 8.0);
    unary_f64(Elu(0.7), &small, 8.0);
    unary_f64(Sqrt, &positive, 1.0);
}

#[test]
fn float64_kernel_numbers_keep_every_bit() {
    if !have(DType::F64) {
        return;
    }
    let xs = spread(-1.0, 1.0, 101);
    unary_f64(Clamp { min: Some(-0.1), max: Some(1.0 / 3.0) }, &xs, 0.0);
    unary_f64(LeakyRelu(0.01), &xs, 0.0);
}

#[test]
fn float64_products_sums_and_softmax_match_the_cpu() {
    if !have(DType::F64) {
        return;
    }
    let a = host(spread(-1.0, 1.0, 37 * 53), &[37, 53]);
    let b = host(spread(-2.0, 0.5, 53 * 29), &[53, 29]);
    let want = Strided::contiguous(Cpu::matmul(&a, &b).expect("cpu"), &[37, 29]).expect("v").to_vec::<f64>().expect("v");
    let got = values::<f64>(on_device(&a).matmul(&on_device(&b)).expect("wgpu"), &[37, 29]);
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() <= 1e-13 * (1.0 + w.abs()), "{g} vs {w}");
    }
    let sums = values::<f64>(on_device(&a).reduce(&Sum, &[1]).expect("sum"), &[37]);
    let want = Strided::contiguous(Cpu::reduce(&Sum, &a, &[1]).expect("cpu"), &[37]).expect("v").to_vec::<f64>().expect("v");
    for (g, w) in sums.iter().zip(&want) {
        assert!((g - w).abs() <= 1e-13 * (1.0 + w.abs()), "{g} vs {w}");
    }
    let soft = values::<f64>(super::softmax(&on_device(&a), 1, false).expect("softmax"), &[37, 53]);
    let row: Vec<f64> = a.to_vec::<f64>().expect("a")[..53].to_vec();
    let m = row.iter().cloned().fold(f64::MIN, f64::max);
    let total: f64 = row.iter().map(|v| (v - m).exp()).sum();
    for (j, v) in row.iter().enumerate() {
        let want = (v - m).exp() / total;
        assert!((soft[j] - want).abs() <= 4.0 * f64::EPSILON * want, "{} vs {want}", soft[j]);
    }
}

#[test]
fn float16_kernels_round_their_float32_arithmetic_once() {
    if !have(DType::F16) {
        return;
    }
    // Odd lengths and a view starting mid-word: bindings of halves end and begin inside words.
    for n in [1usize, 3, 5, 1023, 4099] {
        let xs: Vec<f16> = (0..n).map(|i| f16::from_f32((i as f32 * 0.731).sin() * 3.0)).collect();
        let x = host(xs.clone(), &[n]);
        let d = on_device(&x);
        let got = values::<f16>(d.unary(&Exp).expect("exp"), &[n]);
        for (g, v) in got.iter().zip(&xs) {
            assert_eq!(*g, f16::from_f32(v.to_f32().exp()), "exp({v}) at n = {n}");
        }
        let sum = values::<f16>(d.binary(&Add, &d, &[n]).expect("add"), &[n]);
        for (g, v) in sum.iter().zip(&xs) {
            assert_eq!(*g, f16::from_f32(v.to_f32() * 2.0));
        }
    }
    let xs: Vec<f16> = (0..10).map(|i| f16::from_f32(i as f32 - 4.5)).collect();
    let d = on_device(&host(xs.clone(), &[10]));
    let tail = Strided::new(d.storage().clone(), crate::layout::Layout::new(vec![7].into(), vec![1].into(), 3).expect("layout"), DType::F16).expect("view");
    let got = values::<f16>(tail.unary(&Neg).expect("neg"), &[7]);
    assert_eq!(got, xs[3..].iter().map(|v| -*v).collect::<Vec<_>>());
    // Sums accumulate in float32 and round once.
    let total = values::<f16>(d.reduce(&Sum, &[0]).expect("sum"), &[1]);
    assert_eq!(total[0], f16::from_f32(xs.iter().map(|v| v.to_f32()).sum::<f32>()));
}

#[test]
fn conversions_between_float_dtypes_run_on_the_device() {
    if !have(DType::F64) || !have(DType::F16) {
        return;
    }
    let xs = vec![0.1f64, -2.5, 65504.0, 1e-8, 1e300, f64::NAN];
    let d = on_device(&host(xs.clone(), &[6]));
    let halves = values::<f16>(d.copy_strided(DType::F16).expect("to half"), &[6]);
    for (h, v) in halves.iter().zip(&xs) {
        let want = f16::from_f64(*v);
        assert!(*h == want || (h.is_nan() && want.is_nan()), "{v} -> {h}, want {want}");
    }
    let singles = values::<f32>(d.copy_strided(DType::F32).expect("to float"), &[6]);
    assert_eq!(singles[..5], xs[..5].iter().map(|&v| v as f32).collect::<Vec<_>>()[..]);
    let back = values::<f64>(on_device(&host(vec![0.1f32, 3.0], &[2])).copy_strided(DType::F64).expect("to double"), &[2]);
    assert_eq!(back, [f64::from(0.1f32), 3.0]);
}

#[test]
fn scatter_add_sums_repeated_targets_in_index_order() {
    if !have(DType::F64) {
        return;
    }
    // Values whose sum depends on the order of addition.
    let src: Vec<f64> = vec![1e16, 1.0, -1e16, 1.0, 3.0, 0.5];
    let index = host(vec![2i64, 2, 2, 2, 0, 2], &[6]);
    let base = host(vec![0.0f64; 4], &[4]);
    let s = host(src, &[6]);
    let want = Strided::contiguous(Cpu::scatter(&base, 0, &index, &s, true).expect("cpu"), &[4]).expect("v").to_vec::<f64>().expect("v");
    let got = values::<f64>(on_device(&base).scatter(0, &on_device(&index), &on_device(&s), true).expect("wgpu"), &[4]);
    assert_eq!(got, want);
}
