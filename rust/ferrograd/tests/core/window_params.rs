//! Sliding-window ops (convolution, unfold/fold, pooling) called from Rust
//! with invalid geometry return PyTorch's errors instead of reaching the
//! kernels; valid geometry gives the values worked out by hand.

use ferrograd::kernels::window::Window2d;
use ferrograd::ops::conv::ConvParams;
use ferrograd::ops::pool::PoolParams;
use ferrograd::{Error, Tensor};

fn tensor(values: Vec<f64>, shape: &[usize]) -> Tensor {
    Tensor::from_vec(values, shape).unwrap()
}

fn runtime_message<T: std::fmt::Debug>(result: ferrograd::Result<T>) -> String {
    match result {
        Err(Error::Runtime(msg)) => msg,
        // Typed geometry failures PyTorch raises as a RuntimeError too.
        Err(
            e @ (Error::ConvParamLength { .. }
            | Error::KernelLargerThanInput { .. }
            | Error::UnfoldNoBlocks { .. }
            | Error::FoldChannels { .. }
            | Error::FoldBlocks { .. }
            | Error::PoolOutputTooSmall { .. }
            | Error::PoolInputShape { .. }
            | Error::InvalidMaxIndex { .. }
            | Error::CountMismatch { .. }
            | Error::ConvInputNdim { .. }
            | Error::ConvWeightGroups { .. }
            | Error::ConvInputChannels { .. }
            | Error::ConvBiasShape { .. }),
        ) => e.to_string(),
        other => panic!("expected a RuntimeError, got {other:?}"),
    }
}

/// 1-D parameters: `x` of shape (1, 1, 4), a (1, 1, 2) kernel.
fn conv1d(stride: usize, dilation: usize, groups: usize) -> ConvParams {
    ConvParams { stride: vec![stride], padding_lo: vec![0], padding_hi: vec![0], dilation: vec![dilation], groups }
}

fn conv1d_inputs() -> (Tensor, Tensor) {
    (tensor(vec![1.0, 2.0, 4.0, 8.0], &[1, 1, 4]), tensor(vec![1.0, -1.0], &[1, 1, 2]))
}

#[test]
fn convolution_rejects_zero_stride_dilation_and_groups() {
    let (x, w) = conv1d_inputs();
    assert_eq!(runtime_message(x.convolution(&w, None, &conv1d(0, 1, 1))), "non-positive stride is not supported");
    assert_eq!(runtime_message(x.convolution(&w, None, &conv1d(1, 0, 1))), "dilation should be greater than zero");
    assert_eq!(runtime_message(x.convolution(&w, None, &conv1d(1, 1, 0))), "non-positive groups is not supported");
}

#[test]
fn convolution_rejects_parameter_lists_of_the_wrong_length() {
    let (x, w) = conv1d_inputs();
    let params = ConvParams { dilation: vec![1, 1], ..conv1d(1, 1, 1) };
    assert_eq!(
        runtime_message(x.convolution(&w, None, &params)),
        "expected dilation to be a single integer value or a list of 1 values to match the convolution dimensions, but got dilation=[1, 1]"
    );
    let empty = ConvParams { stride: vec![], padding_lo: vec![], padding_hi: vec![], dilation: vec![], groups: 1 };
    assert!(matches!(x.convolution(&w, None, &empty), Err(Error::NotImplemented(_))));
}

#[test]
fn convolution_rejects_a_kernel_larger_than_the_padded_input() {
    let x = tensor(vec![1.0, 2.0], &[1, 1, 2]);
    let w = tensor(vec![1.0; 3], &[1, 1, 3]);
    assert_eq!(
        runtime_message(x.convolution(&w, None, &conv1d(1, 1, 1))),
        "Calculated padded input size per channel: (2). Kernel size: (3). Kernel size can't be greater than actual input size"
    );
}

#[test]
fn strided_and_dilated_convolutions_take_the_right_taps() {
    let (x, w) = conv1d_inputs();
    // stride 2: x0 - x1, x2 - x3; dilation 2: x0 - x2, x1 - x3.
    assert_eq!(x.convolution(&w, None, &conv1d(2, 1, 1)).unwrap().to_vec::<f64>().unwrap(), vec![-1.0, -4.0]);
    assert_eq!(x.convolution(&w, None, &conv1d(1, 2, 1)).unwrap().to_vec::<f64>().unwrap(), vec![-3.0, -6.0]);
}

fn window(kernel: usize, stride: usize, dilation: usize) -> Window2d {
    Window2d { kernel: [kernel, kernel], stride: [stride, stride], dilation: [dilation, dilation], pad_lo: [0, 0], pad_hi: [0, 0] }
}

#[test]
fn unfold_and_fold_reject_zero_kernel_dilation_and_stride() {
    let image = tensor(vec![0.0; 16], &[1, 1, 4, 4]);
    let cols = tensor(vec![0.0; 16], &[1, 4, 4]);
    for (w, label, got) in [(window(0, 1, 1), "kernel", "[0, 0]"), (window(2, 1, 0), "dilation", "[0, 0]"), (window(2, 0, 1), "stride", "[0, 0]")] {
        assert_eq!(runtime_message(image.im2col(w)), format!("im2col(): expected {label} to be greater than zero, but got {label}={got}"));
        assert_eq!(runtime_message(cols.col2im([4, 4], w)), format!("col2im(): expected {label} to be greater than zero, but got {label}={got}"));
    }
}

#[test]
fn unfold_rejects_a_window_larger_than_the_input() {
    let image = tensor(vec![0.0; 4], &[1, 1, 2, 2]);
    assert!(runtime_message(image.im2col(window(3, 1, 1))).contains("but its components must be at least one"));
}

#[test]
fn strided_unfold_reads_every_other_window() {
    // A 1x4 row, 1x2 kernel with stride 2: windows (0, 1) and (2, 3).
    let row = tensor(vec![1.0, 2.0, 3.0, 4.0], &[1, 1, 1, 4]);
    let w = Window2d { kernel: [1, 2], stride: [1, 2], dilation: [1, 1], pad_lo: [0, 0], pad_hi: [0, 0] };
    let cols = row.im2col(w).unwrap();
    assert_eq!(cols.shape().to_vec(), vec![1, 2, 2]);
    assert_eq!(cols.to_vec::<f64>().unwrap(), vec![1.0, 3.0, 2.0, 4.0]);
}

fn pool(kernel: usize, stride: usize, padding: usize, dilation: usize) -> PoolParams {
    PoolParams { kernel: [kernel; 2], stride: [stride; 2], padding: [padding; 2], dilation: [dilation; 2], ceil_mode: false }
}

#[test]
fn pooling_rejects_zero_stride_dilation_kernel_and_wide_padding() {
    let x = tensor(vec![0.0; 16], &[1, 4, 4]);
    assert_eq!(runtime_message(x.max_pool2d_with_indices(&pool(2, 0, 0, 1))), "stride should be greater than zero, but got dH: 0 dW: 0");
    assert_eq!(runtime_message(x.max_pool2d_with_indices(&pool(2, 1, 0, 0))), "dilation should be greater than zero, but got dilationH: 0 dilationW: 0");
    assert_eq!(runtime_message(x.max_pool2d_with_indices(&pool(0, 1, 0, 1))), "kernel size should be greater than zero, but got kH: 0 kW: 0");
    assert_eq!(
        runtime_message(x.avg_pool2d(&pool(2, 1, 2, 1), true, None)),
        "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1"
    );
    assert_eq!(runtime_message(x.avg_pool2d(&pool(2, 0, 0, 1), true, None)), "stride should be greater than zero, but got dH: 0 dW: 0");
}

#[test]
fn adaptive_pooling_to_an_uncountable_size_is_an_error() {
    let x = tensor(vec![0.0; 4], &[1, 2, 2]);
    assert!(x.adaptive_avg_pool2d([usize::MAX / 2, 3]).is_err());
}
