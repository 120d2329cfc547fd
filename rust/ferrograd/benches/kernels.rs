//! Per-kernel timings of the core through its public API, each at a small
//! size (where per-call overhead dominates) and a large one (where the
//! kernel's throughput does):
//!
//!     cargo bench -p ferrograd --bench kernels
//!     cargo bench -p ferrograd --bench kernels -- matmul --quick
//!
//! No input requires grad, so each call is the forward kernel plus the
//! op's bookkeeping, without graph recording.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ferrograd::ops::conv::ConvParams;
use ferrograd::optim::{adam_step, AdamOptions, AdamState};
use ferrograd::{DType, Tensor};

fn randn(shape: &[usize]) -> Tensor {
    Tensor::randn(shape, DType::F32).unwrap()
}

/// Element counts for the pointwise benches: 1K and 1M floats.
const SIZES: [usize; 2] = [1 << 10, 1 << 20];

fn binary(c: &mut Criterion) {
    let mut group = c.benchmark_group("binary");
    for n in SIZES {
        let (a, b) = (randn(&[n]), randn(&[n]));
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("add", n), &n, |bench, _| bench.iter(|| black_box(a.add(&b).unwrap())));
        group.bench_with_input(BenchmarkId::new("mul", n), &n, |bench, _| bench.iter(|| black_box(a.mul(&b).unwrap())));
    }
    group.finish();
}

fn unary(c: &mut Criterion) {
    let mut group = c.benchmark_group("unary");
    for n in SIZES {
        let a = randn(&[n]);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("tanh", n), &n, |bench, _| bench.iter(|| black_box(a.tanh().unwrap())));
        group.bench_with_input(BenchmarkId::new("exp", n), &n, |bench, _| bench.iter(|| black_box(a.exp().unwrap())));
    }
    group.finish();
}

fn reductions(c: &mut Criterion) {
    let mut group = c.benchmark_group("sum");
    let a = randn(&[256, 4096]);
    group.throughput(Throughput::Elements(a.numel() as u64));
    group.bench_function("all/256x4096", |bench| bench.iter(|| black_box(a.sum().unwrap())));
    // Over dim 0: a strided reduction down the columns.
    group.bench_function("dim0/256x4096", |bench| bench.iter(|| black_box(a.sum_dims(&[0], false).unwrap())));
    group.finish();
}

fn softmax(c: &mut Criterion) {
    let mut group = c.benchmark_group("softmax_last_dim");
    // A classifier's logits, then a wide activation map.
    for (rows, cols) in [(64, 10), (256, 4096)] {
        let a = randn(&[rows, cols]);
        group.throughput(Throughput::Elements((rows * cols) as u64));
        group.bench_function(format!("{rows}x{cols}"), |bench| bench.iter(|| black_box(a.softmax(-1, None).unwrap())));
    }
    group.finish();
}

fn matmul(c: &mut Criterion) {
    let mut group = c.benchmark_group("matmul");
    // mlp_small's first layer, then a square GEMM; throughput in FLOPs.
    for (m, k, n) in [(64, 784, 128), (1024, 1024, 1024)] {
        let (a, b) = (randn(&[m, k]), randn(&[k, n]));
        group.throughput(Throughput::Elements((2 * m * k * n) as u64));
        group.bench_function(format!("{m}x{k}x{n}"), |bench| bench.iter(|| black_box(a.matmul(&b).unwrap())));
    }
    group.finish();
}

fn conv2d(c: &mut Criterion) {
    let mut group = c.benchmark_group("conv2d");
    // cnn_small's first layer: batch 32, 1 -> 8 channels, 3x3, padding 1.
    let x = randn(&[32, 1, 28, 28]);
    let w = randn(&[8, 1, 3, 3]);
    let bias = randn(&[8]);
    let params = ConvParams { stride: vec![1, 1], padding_lo: vec![1, 1], padding_hi: vec![1, 1], dilation: vec![1, 1], groups: 1 };
    group.bench_function("b32_1to8_3x3_28x28", |bench| bench.iter(|| black_box(x.convolution(&w, Some(&bias), &params).unwrap())));
    group.finish();
}

fn adam(c: &mut Criterion) {
    let mut group = c.benchmark_group("adam_step");
    let n = 1 << 20;
    let params = vec![randn(&[n])];
    let grads = vec![randn(&[n])];
    let exp_avgs = vec![Tensor::zeros(&[n], DType::F32).unwrap()];
    let exp_avg_sqs = vec![Tensor::zeros(&[n], DType::F32).unwrap()];
    let steps = vec![Tensor::zeros(&[], DType::F32).unwrap()];
    let state = AdamState { exp_avgs: &exp_avgs, exp_avg_sqs: &exp_avg_sqs, max_exp_avg_sqs: &[], steps: &steps };
    let options = AdamOptions {
        lr: 1e-3,
        beta1: 0.9,
        beta2: 0.999,
        weight_decay: 0.0,
        eps: 1e-8,
        amsgrad: false,
        maximize: false,
        decoupled_weight_decay: false,
    };
    group.throughput(Throughput::Elements(n as u64));
    // The step count keeps growing across iterations; the cost per element does not depend on it.
    group.bench_function("1M", |bench| bench.iter(|| adam_step(&params, &grads, &state, &options).unwrap()));
    group.finish();
}

criterion_group!(benches, binary, unary, reductions, softmax, matmul, conv2d, adam);
criterion_main!(benches);
