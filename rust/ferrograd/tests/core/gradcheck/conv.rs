//! Convolutions (1-D and 2-D) and the im2col/col2im windows under them.

use crate::common::{assert_values, case, check_family, tensor, uniform};
use ferrograd::kernels::window::Window2d;
use ferrograd::ops::conv::ConvParams;

fn params(stride: &[usize], padding: &[usize], dilation: &[usize], groups: usize) -> ConvParams {
    ConvParams { stride: stride.to_vec(), padding_lo: padding.to_vec(), padding_hi: padding.to_vec(), dilation: dilation.to_vec(), groups }
}

#[test]
fn conv_gradients_match_finite_differences() {
    let conv = |p: ConvParams| move |x: &[ferrograd::Tensor]| x[0].convolution(&x[1], x.get(2), &p);
    let window = Window2d { kernel: [2, 2], stride: [1, 2], dilation: [1, 1], pad_lo: [1, 0], pad_hi: [0, 1] };
    check_family(
        "conv",
        vec![
            case("conv1d", conv(params(&[1], &[0], &[1], 1)), vec![uniform(&[2, 2, 5], -1.0, 1.0), uniform(&[3, 2, 3], -1.0, 1.0), uniform(&[3], -1.0, 1.0)]),
            case("conv1d stride padding dilation", conv(params(&[2], &[2], &[2], 1)), vec![uniform(&[1, 2, 6], -1.0, 1.0), uniform(&[2, 2, 2], -1.0, 1.0)]),
            case("conv1d groups", conv(params(&[1], &[1], &[1], 2)), vec![uniform(&[2, 4, 4], -1.0, 1.0), uniform(&[2, 2, 3], -1.0, 1.0), uniform(&[2], -1.0, 1.0)]),
            case("conv2d", conv(params(&[1, 1], &[0, 0], &[1, 1], 1)), vec![uniform(&[2, 2, 4, 4], -1.0, 1.0), uniform(&[3, 2, 2, 2], -1.0, 1.0), uniform(&[3], -1.0, 1.0)]),
            case("conv2d stride padding", conv(params(&[2, 1], &[1, 2], &[1, 1], 1)), vec![uniform(&[1, 2, 5, 4], -1.0, 1.0), uniform(&[2, 2, 3, 2], -1.0, 1.0), uniform(&[2], -1.0, 1.0)]),
            case("conv2d dilation", conv(params(&[1, 1], &[0, 0], &[2, 1], 1)), vec![uniform(&[1, 1, 5, 4], -1.0, 1.0), uniform(&[2, 1, 2, 2], -1.0, 1.0)]),
            case("conv2d groups", conv(params(&[1, 1], &[1, 1], &[1, 1], 2)), vec![uniform(&[1, 4, 3, 3], -1.0, 1.0), uniform(&[4, 2, 2, 2], -1.0, 1.0), uniform(&[4], -1.0, 1.0)]),
            case("conv2d asymmetric padding", |x| {
                let p = ConvParams { stride: vec![1, 1], padding_lo: vec![1, 0], padding_hi: vec![0, 1], dilation: vec![1, 1], groups: 1 };
                x[0].convolution(&x[1], None, &p)
            }, vec![uniform(&[1, 1, 3, 3], -1.0, 1.0), uniform(&[1, 1, 2, 2], -1.0, 1.0)]),
            case("im2col", move |x| x[0].im2col(window), vec![uniform(&[1, 2, 3, 4], -1.0, 1.0)]),
            // 2 channels x 4 kernel positions, over the 3 x 2 positions `window` has on a 3 x 4 image.
            case("col2im", move |x| x[0].col2im([3, 4], window), vec![uniform(&[1, 8, 6], -1.0, 1.0)]),
        ],
    );
}

#[test]
fn conv_values_match_hand_computation() {
    // A moving sum of pairs, and a difference filter with one zero of padding.
    let x = tensor(&[1.0, 2.0, 4.0, 8.0], &[1, 1, 4]);
    let sum_pairs = x.convolution(&tensor(&[1.0, 1.0], &[1, 1, 2]), None, &params(&[1], &[0], &[1], 1)).unwrap();
    assert_values("conv1d", &sum_pairs, &[1, 1, 3], &[3.0, 6.0, 12.0]);
    let diff = x.convolution(&tensor(&[-1.0, 1.0], &[1, 1, 2]), Some(&tensor(&[0.5], &[1])), &params(&[2], &[1], &[1], 1)).unwrap();
    assert_values("conv1d stride padding bias", &diff, &[1, 1, 3], &[1.5, 2.5, -7.5]);
    let image = tensor(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0], &[1, 1, 3, 3]);
    let corners = image.convolution(&tensor(&[1.0, 0.0, 0.0, 1.0], &[1, 1, 2, 2]), None, &params(&[1, 1], &[0, 0], &[2, 2], 1)).unwrap();
    // Dilation 2 spreads the 2 x 2 kernel over the 3 x 3 image: its corners.
    assert_values("conv2d dilation", &corners, &[1, 1, 1, 1], &[1.0 + 9.0]);
}
