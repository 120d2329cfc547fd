//! Activation functions and softmax.

use crate::common::{assert_values, case, check_family, signed, tensor, uniform};
use ferrograd::ops::activation::GeluApproximation;

#[test]
fn activation_gradients_match_finite_differences() {
    let s = [2, 4];
    check_family(
        "activations",
        vec![
            case("leaky_relu", |x| x[0].leaky_relu(0.1), vec![signed(&s, 0.1, 2.0)]),
            case("leaky_relu_saving_result", |x| x[0].leaky_relu_saving_result(0.1), vec![signed(&s, 0.1, 2.0)]),
            case("elu", |x| x[0].elu(1.3), vec![signed(&s, 0.1, 2.0)]),
            case("elu_saving_result", |x| x[0].elu_saving_result(1.3), vec![signed(&s, 0.1, 2.0)]),
            case("gelu", |x| x[0].gelu(GeluApproximation::None), vec![uniform(&s, -3.0, 3.0)]),
            case("gelu tanh", |x| x[0].gelu(GeluApproximation::Tanh), vec![uniform(&s, -3.0, 3.0)]),
            case("silu", |x| x[0].silu(), vec![uniform(&s, -3.0, 3.0)]),
            // beta * x on both sides of the threshold (2), away from it.
            case("softplus", |x| x[0].softplus(2.0, 2.0), vec![tensor(&[-3.0, -1.0, -0.2, 0.3, 0.8, 0.95, 1.2, 2.5], &s)]),
            case("softmax last dim", |x| x[0].softmax(-1, None), vec![uniform(&[2, 3, 4], -2.0, 2.0)]),
            case("softmax dim 1", |x| x[0].softmax(1, None), vec![uniform(&[2, 3, 4], -2.0, 2.0)]),
            case("log_softmax last dim", |x| x[0].log_softmax(-1, None), vec![uniform(&[2, 3, 4], -2.0, 2.0)]),
            case("log_softmax dim 0", |x| x[0].log_softmax(0, None), vec![uniform(&[2, 3, 4], -2.0, 2.0)]),
        ],
    );
}

#[test]
fn activation_values_match_hand_computation() {
    let x = tensor(&[-1.0, 0.0, 1.0], &[3]);
    let e = std::f64::consts::E;
    assert_values("leaky_relu", &x.leaky_relu(0.1).unwrap(), &[3], &[-0.1, 0.0, 1.0]);
    assert_values("elu", &x.elu(2.0).unwrap(), &[3], &[2.0 * (1.0 / e - 1.0), 0.0, 1.0]);
    assert_values("silu", &x.silu().unwrap(), &[3], &[-1.0 / (1.0 + e), 0.0, 1.0 / (1.0 + 1.0 / e)]);
    // Φ(1) = 0.8413447460685429 (normal CDF).
    assert_values("gelu", &x.gelu(GeluApproximation::None).unwrap(), &[3], &[-(1.0 - 0.841_344_746_068_542_9), 0.0, 0.841_344_746_068_542_9]);
    assert_values("softplus", &x.softplus(1.0, 20.0).unwrap(), &[3], &[(1.0 + 1.0 / e).ln(), 2f64.ln(), (1.0 + e).ln()]);
    let z = e * e + e + 1.0;
    assert_values("softmax", &tensor(&[0.0, 1.0, 2.0], &[3]).softmax(0, None).unwrap(), &[3], &[1.0 / z, e / z, e * e / z]);
    assert_values("log_softmax", &tensor(&[0.0, 1.0, 2.0], &[3]).log_softmax(0, None).unwrap(), &[3], &[-z.ln(), 1.0 - z.ln(), 2.0 - z.ln()]);
}
