//! The checker itself: it must flag a wrong gradient and name where.

use crate::common::gradcheck::check;
use crate::common::{case, uniform};

#[test]
fn checker_reports_each_wrong_element_with_op_input_and_values() {
    // x * detach(x): the engine sees x' = detach(x) as a constant, so its
    // gradient is x where the true derivative of x² is 2x.
    let wrong = case("half-detached square", |x| x[0].mul(&x[0].detach()), vec![uniform(&[3], 0.5, 1.0)]);
    let mismatches = check(&wrong);
    // Three elements, each with the fused and the create_graph backward.
    assert_eq!(mismatches.len(), 6, "{mismatches:?}");
    assert!(mismatches[0].starts_with("half-detached square: input 0 element 0: numeric "), "{}", mismatches[0]);
    assert!(mismatches[0].contains(" vs analytic "), "{}", mismatches[0]);
}

#[test]
fn checker_accepts_a_right_gradient_and_flags_wrong_dtypes() {
    assert!(check(&case("square", |x| x[0].mul(&x[0]), vec![uniform(&[3], -1.0, 1.0)])).is_empty());
    let single = uniform(&[2], -1.0, 1.0).cast(ferrograd::DType::F32).unwrap();
    let mismatches = check(&case("float32 input", |x| x[0].exp(), vec![single]));
    assert_eq!(mismatches.len(), 1);
    assert!(mismatches[0].contains("gradcheck needs float64"), "{}", mismatches[0]);
}
