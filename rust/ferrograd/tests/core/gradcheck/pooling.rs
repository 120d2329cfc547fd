//! 2-D pooling: max (values distinct, so no ties), average and adaptive average.

use crate::common::{assert_values, case, check_family, tensor, uniform};
use ferrograd::ops::pool::PoolParams;

fn params(kernel: [usize; 2], stride: [usize; 2], padding: [usize; 2], dilation: [usize; 2], ceil_mode: bool) -> PoolParams {
    PoolParams { kernel, stride, padding, dilation, ceil_mode }
}

#[test]
fn pooling_gradients_match_finite_differences() {
    let image = || vec![uniform(&[2, 2, 5, 5], -1.0, 1.0)];
    let max = |p: PoolParams| move |x: &[ferrograd::Tensor]| Ok(x[0].max_pool2d_with_indices(&p)?.0);
    check_family(
        "pooling",
        vec![
            case("max_pool2d", max(params([2, 2], [2, 2], [0, 0], [1, 1], false)), image()),
            case("max_pool2d overlapping", max(params([3, 3], [1, 1], [0, 0], [1, 1], false)), image()),
            case("max_pool2d padding dilation ceil", max(params([2, 3], [2, 2], [1, 1], [2, 1], true)), image()),
            case("max_pool2d unbatched", max(params([2, 2], [1, 2], [0, 0], [1, 1], false)), vec![uniform(&[2, 4, 5], -1.0, 1.0)]),
            case("avg_pool2d", |x| x[0].avg_pool2d(&params([2, 2], [2, 2], [0, 0], [1, 1], false), true, None), image()),
            case("avg_pool2d padding excluded", |x| x[0].avg_pool2d(&params([3, 3], [2, 2], [1, 1], [1, 1], false), false, None), image()),
            case("avg_pool2d padding included ceil", |x| x[0].avg_pool2d(&params([2, 2], [2, 2], [1, 1], [1, 1], true), true, None), image()),
            case("avg_pool2d divisor_override", |x| x[0].avg_pool2d(&params([2, 3], [1, 2], [0, 1], [1, 1], false), true, Some(5)), image()),
            case("adaptive_avg_pool2d", |x| x[0].adaptive_avg_pool2d([2, 3]), image()),
            case("adaptive_avg_pool2d global", |x| x[0].adaptive_avg_pool2d([1, 1]), image()),
            case("adaptive_avg_pool2d unbatched", |x| x[0].adaptive_avg_pool2d([3, 2]), vec![uniform(&[2, 4, 5], -1.0, 1.0)]),
        ],
    );
}

#[test]
fn pooling_values_match_hand_computation() {
    let x = tensor(&(1..=16).map(f64::from).collect::<Vec<_>>(), &[1, 1, 4, 4]);
    let (max, indices) = x.max_pool2d_with_indices(&params([2, 2], [2, 2], [0, 0], [1, 1], false)).unwrap();
    assert_values("max_pool2d", &max, &[1, 1, 2, 2], &[6.0, 8.0, 14.0, 16.0]);
    assert_eq!(indices.to_vec::<i64>().unwrap(), vec![5, 7, 13, 15]);
    assert_values("avg_pool2d", &x.avg_pool2d(&params([2, 2], [2, 2], [0, 0], [1, 1], false), true, None).unwrap(), &[1, 1, 2, 2], &[3.5, 5.5, 11.5, 13.5]);
    // With one padded row and column, the corner window holds only x[0, 0] = 1.
    let padded = x.avg_pool2d(&params([2, 2], [2, 2], [1, 1], [1, 1], false), false, None).unwrap();
    assert_values("avg_pool2d padding excluded", &padded.narrow(3, 0, 1).unwrap().narrow(2, 0, 1).unwrap(), &[1, 1, 1, 1], &[1.0]);
    assert_values("adaptive_avg_pool2d", &x.adaptive_avg_pool2d([1, 1]).unwrap(), &[1, 1, 1, 1], &[8.5]);
}
