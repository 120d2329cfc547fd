//! Losses, each with gradients to the input and, where PyTorch has them, to the target.

use crate::common::{assert_values, case, check_family, longs, tensor, uniform};
use ferrograd::ops::losses::Reduction;

#[test]
fn loss_gradients_match_finite_differences() {
    let s = [3, 4];
    let pair = || vec![uniform(&s, -1.0, 1.0), uniform(&s, -1.0, 1.0)];
    // Differences of magnitude 0.1..0.4 and 1.1..1.9: clear of the kinks at |d| = 0, beta and delta.
    let straddling = || vec![tensor(&[0.1, -0.3, 1.5, -1.9, 0.2, 1.2, -1.1, 0.4, -0.25, 1.7, 0.35, -1.4], &s), tensor(&[0.0; 12], &s)];
    let probabilities = || vec![uniform(&s, 0.1, 0.9), uniform(&s, 0.0, 1.0)];
    let classes = longs(&[3, 0, 1], &[3]);
    let (c1, c2, c3, c4) = (classes.clone(), classes.clone(), classes.clone(), classes.clone());
    let class_weight = tensor(&[0.5, 1.0, 2.0, 1.5], &[4]);
    let (w1, w2) = (class_weight.clone(), class_weight.clone());
    let logits = || vec![uniform(&s, -2.0, 2.0)];
    check_family(
        "losses",
        vec![
            case("mse_loss mean", |x| x[0].mse_loss(&x[1], Reduction::Mean), pair()),
            case("mse_loss none", |x| x[0].mse_loss(&x[1], Reduction::None), pair()),
            case("mse_loss broadcast", |x| x[0].mse_loss(&x[1], Reduction::Sum), vec![uniform(&s, -1.0, 1.0), uniform(&[4], -1.0, 1.0)]),
            case("l1_loss", |x| x[0].l1_loss(&x[1], Reduction::Mean), straddling()),
            case("smooth_l1_loss", |x| x[0].smooth_l1_loss(&x[1], Reduction::Mean, 1.0), straddling()),
            case("smooth_l1_loss none", |x| x[0].smooth_l1_loss(&x[1], Reduction::None, 0.5), straddling()),
            case("huber_loss", |x| x[0].huber_loss(&x[1], Reduction::Sum, 1.0), straddling()),
            case("huber_loss none", |x| x[0].huber_loss(&x[1], Reduction::None, 0.5), straddling()),
            case("binary_cross_entropy", |x| x[0].binary_cross_entropy(&x[1], None, Reduction::Mean), probabilities()),
            case("binary_cross_entropy weighted", |x| x[0].binary_cross_entropy(&x[1], Some(&tensor(&[1.0, 2.0, 0.5, 1.5], &[4])), Reduction::None), probabilities()),
            case("binary_cross_entropy_with_logits", |x| x[0].binary_cross_entropy_with_logits(&x[1], None, Reduction::Mean, None), vec![uniform(&s, -3.0, 3.0), uniform(&s, 0.0, 1.0)]),
            case("binary_cross_entropy_with_logits pos_weight", |x| {
                let pos_weight = tensor(&[1.0, 2.0, 0.5, 3.0], &[4]);
                x[0].binary_cross_entropy_with_logits(&x[1], Some(&tensor(&[0.5, 1.0, 1.5], &[3, 1])), Reduction::Sum, Some(&pos_weight))
            }, vec![uniform(&s, -3.0, 3.0), uniform(&s, 0.0, 1.0)]),
            case("kl_div", |x| x[0].kl_div(&x[1], "batchmean", false), vec![uniform(&s, -2.0, 0.0), uniform(&s, 0.1, 1.0)]),
            case("kl_div log_target", |x| x[0].kl_div(&x[1], "sum", true), vec![uniform(&s, -2.0, 0.0), uniform(&s, -2.0, 0.0)]),
            case("nll_loss", move |x| x[0].log_softmax(1, None)?.nll_loss(&c1, None, Reduction::Mean, -100), logits()),
            case("nll_loss weighted none", move |x| x[0].nll_loss(&c2, Some(&w1), Reduction::None, -100), logits()),
            case("nll_loss ignore_index", |x| x[0].nll_loss(&longs(&[3, 1, 1], &[3]), None, Reduction::Mean, 1), logits()),
            case("nll_loss 2d", |x| x[0].log_softmax(1, None)?.nll_loss(&longs(&[0, 2, 1, 1, 0, 2, 2, 0], &[2, 2, 2]), None, Reduction::Sum, -100), vec![uniform(&[2, 3, 2, 2], -2.0, 2.0)]),
            case("cross_entropy", move |x| x[0].cross_entropy(&c3, None, Reduction::Mean, -100, 0.0), logits()),
            case("cross_entropy weighted smoothed", move |x| x[0].cross_entropy(&c4, Some(&w2), Reduction::Mean, -100, 0.2), logits()),
            case("cross_entropy probabilities", |x| x[0].cross_entropy(&x[1].softmax(1, None)?, None, Reduction::Mean, -100, 0.0), vec![uniform(&s, -2.0, 2.0), uniform(&s, -2.0, 2.0)]),
        ],
    );
}

#[test]
fn loss_values_match_hand_computation() {
    let (x, t) = (tensor(&[0.0, 2.0, -1.0], &[3]), tensor(&[0.5, 0.0, -1.0], &[3]));
    assert_values("mse_loss", &x.mse_loss(&t, Reduction::Mean).unwrap(), &[], &[(0.25 + 4.0) / 3.0]);
    assert_values("l1_loss", &x.l1_loss(&t, Reduction::Sum).unwrap(), &[], &[2.5]);
    // |d| < beta: d²/(2 beta); otherwise |d| - beta/2.
    assert_values("smooth_l1_loss", &x.smooth_l1_loss(&t, Reduction::None, 1.0).unwrap(), &[3], &[0.125, 1.5, 0.0]);
    // |d| < delta: d²/2; otherwise delta (|d| - delta/2).
    assert_values("huber_loss", &x.huber_loss(&t, Reduction::None, 0.5).unwrap(), &[3], &[0.125, 0.875, 0.0]);
    let p = tensor(&[0.5, 0.8], &[2]);
    assert_values("binary_cross_entropy", &p.binary_cross_entropy(&tensor(&[1.0, 0.0], &[2]), None, Reduction::None).unwrap(), &[2], &[2f64.ln(), -(0.2f64.ln())]);
    let logit = tensor(&[0.0], &[1]);
    assert_values("binary_cross_entropy_with_logits", &logit.binary_cross_entropy_with_logits(&tensor(&[1.0], &[1]), None, Reduction::Sum, None).unwrap(), &[], &[2f64.ln()]);
    // Uniform logits over 4 classes: every class has probability 1/4.
    let uniform_logits = tensor(&[0.0; 8], &[2, 4]);
    assert_values("cross_entropy", &uniform_logits.cross_entropy(&longs(&[1, 3], &[2]), None, Reduction::Mean, -100, 0.0).unwrap(), &[], &[4f64.ln()]);
    let log_probs = tensor(&[-1.0, -2.0, -3.0, -4.0, -5.0, -6.0], &[2, 3]);
    assert_values("nll_loss", &log_probs.nll_loss(&longs(&[2, 0], &[2]), None, Reduction::Mean, -100).unwrap(), &[], &[3.5]);
    assert_values("nll_loss weighted", &log_probs.nll_loss(&longs(&[2, 0], &[2]), Some(&tensor(&[1.0, 1.0, 3.0], &[3])), Reduction::Mean, -100).unwrap(), &[], &[(9.0 + 4.0) / 4.0]);
}
