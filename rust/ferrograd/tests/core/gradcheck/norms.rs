//! Normalization layers, with and without affine parameters.

use crate::common::{assert_values, case, check_family, tensor, uniform};

#[test]
fn norm_gradients_match_finite_differences() {
    let x = || uniform(&[2, 3, 4], -1.0, 1.0);
    let channel = |lo: f64, hi: f64| uniform(&[3], lo, hi);
    check_family(
        "norms",
        vec![
            case("layer_norm", |x| x[0].layer_norm(&[4], None, None, 1e-5), vec![x()]),
            case("layer_norm affine", |x| x[0].layer_norm(&[3, 4], Some(&x[1]), Some(&x[2]), 1e-5), vec![x(), uniform(&[3, 4], 0.5, 1.5), uniform(&[3, 4], -1.0, 1.0)]),
            case("batch_norm training", |x| x[0].batch_norm(None, None, None, None, true, 0.1, 1e-5), vec![x()]),
            case("batch_norm training affine", |x| x[0].batch_norm(None, None, Some(&x[1]), Some(&x[2]), true, 0.1, 1e-5), vec![x(), channel(0.5, 1.5), channel(-1.0, 1.0)]),
            case("batch_norm training 4d", |x| x[0].batch_norm(None, None, Some(&x[1]), None, true, 0.1, 1e-5), vec![uniform(&[2, 3, 2, 2], -1.0, 1.0), channel(0.5, 1.5)]),
            case("batch_norm eval", |x| {
                let (mean, var) = (tensor(&[0.1, -0.2, 0.3], &[3]), tensor(&[0.5, 1.0, 2.0], &[3]));
                x[0].batch_norm(Some(&mean), Some(&var), Some(&x[1]), Some(&x[2]), false, 0.1, 1e-5)
            }, vec![x(), channel(0.5, 1.5), channel(-1.0, 1.0)]),
            case("group_norm", |x| x[0].group_norm(3, None, None, 1e-5), vec![uniform(&[2, 3, 4], -1.0, 1.0)]),
            case("group_norm affine", |x| x[0].group_norm(2, Some(&x[1]), Some(&x[2]), 1e-5), vec![uniform(&[2, 4, 3], -1.0, 1.0), uniform(&[4], 0.5, 1.5), uniform(&[4], -1.0, 1.0)]),
        ],
    );
}

#[test]
fn norm_values_match_hand_computation() {
    // [1, 2, 3] has mean 2 and population variance 2/3: x̂ = ±sqrt(3/2) at the ends.
    let r = 1.5f64.sqrt();
    let eps = 0.0;
    let x = tensor(&[1.0, 2.0, 3.0], &[1, 3]);
    assert_values("layer_norm", &x.layer_norm(&[3], None, None, eps).unwrap(), &[1, 3], &[-r, 0.0, r]);
    let scaled = x.layer_norm(&[3], Some(&tensor(&[2.0, 2.0, 2.0], &[3])), Some(&tensor(&[1.0, 1.0, 1.0], &[3])), eps).unwrap();
    assert_values("layer_norm affine", &scaled, &[1, 3], &[1.0 - 2.0 * r, 1.0, 1.0 + 2.0 * r]);
    let columns = tensor(&[1.0, 10.0, 3.0, 30.0], &[2, 2]);
    assert_values("batch_norm training", &columns.batch_norm(None, None, None, None, true, 0.1, eps).unwrap(), &[2, 2], &[-1.0, -1.0, 1.0, 1.0]);
    let (mean, var) = (tensor(&[1.0, 10.0], &[2]), tensor(&[4.0, 25.0], &[2]));
    assert_values("batch_norm eval", &columns.batch_norm(Some(&mean), Some(&var), None, None, false, 0.1, eps).unwrap(), &[2, 2], &[0.0, 0.0, 1.0, 4.0]);
    let groups = tensor(&[1.0, 3.0, 10.0, 30.0], &[1, 2, 2]);
    assert_values("group_norm", &groups.group_norm(2, None, None, eps).unwrap(), &[1, 2, 2], &[-1.0, 1.0, -1.0, 1.0]);
}
