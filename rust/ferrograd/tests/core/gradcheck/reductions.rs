//! Reductions and scans, over all elements and along dims, with and without keepdim.

use crate::common::{assert_values, case, check_family, signed, tensor, uniform};

#[test]
fn reduction_gradients_match_finite_differences() {
    let s = [2, 3, 4];
    check_family(
        "reductions",
        vec![
            case("sum", |x| x[0].sum(), vec![uniform(&s, -1.0, 1.0)]),
            case("sum_dims", |x| x[0].sum_dims(&[0, 2], false), vec![uniform(&s, -1.0, 1.0)]),
            case("sum_dims keepdim", |x| x[0].sum_dims(&[-1], true), vec![uniform(&s, -1.0, 1.0)]),
            case("sum_to_shape", |x| x[0].sum_to_shape(&[3, 1]), vec![uniform(&s, -1.0, 1.0)]),
            case("mean", |x| x[0].mean(), vec![uniform(&s, -1.0, 1.0)]),
            case("mean_dims", |x| x[0].mean_dims(&[1], false), vec![uniform(&s, -1.0, 1.0)]),
            case("mean_dims keepdim", |x| x[0].mean_dims(&[0, 1], true), vec![uniform(&s, -1.0, 1.0)]),
            case("prod", |x| x[0].prod(), vec![signed(&[2, 3], 0.5, 1.5)]),
            case("prod_dim", |x| x[0].prod_dim(1, false), vec![signed(&s, 0.5, 1.5)]),
            case("prod_dim keepdim", |x| x[0].prod_dim(0, true), vec![signed(&s, 0.5, 1.5)]),
            // One exact zero: PyTorch's prod backward takes a separate path for it.
            case("prod_dim with a zero", |x| x[0].prod_dim(1, false), vec![tensor(&[0.0, 1.5, -2.0, 0.7, 1.1, 0.9], &[2, 3])]),
            case("max_all", |x| x[0].max_all(), vec![uniform(&s, -1.0, 1.0)]),
            case("min_all", |x| x[0].min_all(), vec![uniform(&s, -1.0, 1.0)]),
            case("max_dim", |x| Ok(x[0].max_dim(1, false)?.0), vec![uniform(&s, -1.0, 1.0)]),
            case("min_dim keepdim", |x| Ok(x[0].min_dim(-1, true)?.0), vec![uniform(&s, -1.0, 1.0)]),
            case("amax", |x| x[0].amax(Some(&[0, 2]), false), vec![uniform(&s, -1.0, 1.0)]),
            case("amax all", |x| x[0].amax(None, false), vec![uniform(&s, -1.0, 1.0)]),
            case("amin keepdim", |x| x[0].amin(Some(&[1]), true), vec![uniform(&s, -1.0, 1.0)]),
            case("var", |x| x[0].var_dims(None, 1.0, false), vec![uniform(&s, -1.0, 1.0)]),
            case("var dims", |x| x[0].var_dims(Some(&[1]), 1.0, false), vec![uniform(&s, -1.0, 1.0)]),
            case("var population keepdim", |x| x[0].var_dims(Some(&[0, 2]), 0.0, true), vec![uniform(&s, -1.0, 1.0)]),
            case("std", |x| x[0].std_dims(None, 1.0, false), vec![uniform(&s, -1.0, 1.0)]),
            case("std dims keepdim", |x| x[0].std_dims(Some(&[-1]), 1.0, true), vec![uniform(&s, -1.0, 1.0)]),
            case("logsumexp", |x| x[0].logsumexp(&[1], false), vec![uniform(&s, -2.0, 2.0)]),
            case("logsumexp keepdim", |x| x[0].logsumexp(&[0, 2], true), vec![uniform(&s, -2.0, 2.0)]),
            case("vector_norm 2", |x| x[0].vector_norm(2.0, None, false), vec![uniform(&s, -1.0, 1.0)]),
            case("vector_norm 2 dim", |x| x[0].vector_norm(2.0, Some(&[2]), true), vec![uniform(&s, -1.0, 1.0)]),
            case("vector_norm 1", |x| x[0].vector_norm(1.0, Some(&[1]), false), vec![signed(&s, 0.1, 1.0)]),
            case("vector_norm 3", |x| x[0].vector_norm(3.0, Some(&[0]), false), vec![signed(&s, 0.1, 1.0)]),
            case("vector_norm inf", |x| x[0].vector_norm(f64::INFINITY, Some(&[1]), false), vec![uniform(&s, -1.0, 1.0)]),
            case("cumsum", |x| x[0].cumsum(1), vec![uniform(&s, -1.0, 1.0)]),
            case("cumsum last", |x| x[0].cumsum(-1), vec![uniform(&s, -1.0, 1.0)]),
            case("cumprod", |x| x[0].cumprod(2), vec![signed(&s, 0.5, 1.5)]),
            case("cumprod with a zero", |x| x[0].cumprod(1), vec![tensor(&[1.5, 0.0, -2.0, 0.7, 1.1, 0.9], &[2, 3])]),
        ],
    );
}

#[test]
fn reduction_values_match_hand_computation() {
    let x = tensor(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    assert_values("sum_dims", &x.sum_dims(&[0], false).unwrap(), &[3], &[5.0, 7.0, 9.0]);
    assert_values("mean_dims keepdim", &x.mean_dims(&[1], true).unwrap(), &[2, 1], &[2.0, 5.0]);
    assert_values("prod_dim", &x.prod_dim(1, false).unwrap(), &[2], &[6.0, 120.0]);
    assert_values("amax", &x.amax(Some(&[0]), false).unwrap(), &[3], &[4.0, 5.0, 6.0]);
    // Sample variance of 1..=6 is 3.5; of each row of three consecutive numbers, 1.
    assert_values("var", &x.var_dims(None, 1.0, false).unwrap(), &[], &[3.5]);
    assert_values("std dims", &x.std_dims(Some(&[1]), 1.0, false).unwrap(), &[2], &[1.0, 1.0]);
    assert_values("logsumexp", &tensor(&[0.0, 0.0], &[2]).logsumexp(&[0], false).unwrap(), &[], &[2f64.ln()]);
    assert_values("vector_norm", &tensor(&[3.0, -4.0], &[2]).vector_norm(2.0, None, false).unwrap(), &[], &[5.0]);
    assert_values("cumsum", &x.cumsum(1).unwrap(), &[2, 3], &[1.0, 3.0, 6.0, 4.0, 9.0, 15.0]);
    assert_values("cumprod", &x.cumprod(0).unwrap(), &[2, 3], &[1.0, 2.0, 3.0, 4.0, 10.0, 18.0]);
}
