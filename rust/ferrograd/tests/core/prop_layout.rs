//! Property tests of shapes, layouts, views, broadcasting, reductions,
//! indexing and matmul against the naive model the fuzz targets use.
//!
//! Two kinds of runs per family:
//! * small shapes only: every result is compared element by element;
//! * hostile sizes too (huge, negative, overflowing): additionally, whatever
//!   PyTorch refuses must come back as `Err`, never as a panic or an abort.
//!
//! The programs are decoded from random bytes by the same driver the fuzz
//! targets use (`rust/ferrograd/fuzz/src/driver.rs`), so a failing fuzz input
//! can be replayed here as a byte vector. Case counts keep the whole file
//! well under 30 s in the dev profile; set PROPTEST_CASES to run longer.

use crate::{driver, reference};
use ferrograd::layout::{broadcast_shapes, contiguous_strides, Layout};
use ferrograd::ops::shape::infer_shape;
use ferrograd::Tensor;
use proptest::prelude::*;

fn config(cases: u32) -> ProptestConfig {
    // PROPTEST_CASES overrides the default for longer runs on demand.
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

fn program() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..96)
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn views_match_reference_on_small_shapes(bytes in program()) {
        driver::run_views(&bytes, false);
    }

    #[test]
    fn views_on_hostile_sizes_error_instead_of_panicking(bytes in program()) {
        driver::run_views(&bytes, true);
    }

    #[test]
    fn indexing_matches_reference(bytes in program()) {
        driver::run_indexing(&bytes, false);
    }

    #[test]
    fn indexing_with_hostile_indices_errors(bytes in program()) {
        driver::run_indexing(&bytes, true);
    }

    #[test]
    fn broadcasting_binary_ops_and_matmul_match_reference(bytes in program()) {
        driver::run_binary(&bytes, false);
    }

    #[test]
    fn broadcasting_on_hostile_sizes_errors(bytes in program()) {
        driver::run_binary(&bytes, true);
    }
}

/// Sizes up to 2^63 with a bias toward small ones and the edges.
fn any_size() -> impl Strategy<Value = usize> {
    prop_oneof![
        4 => 0usize..5,
        1 => Just(1usize << 31),
        1 => Just(1usize << 32),
        1 => Just(1usize << 62),
        1 => Just(i64::MAX as usize),
        1 => Just(usize::MAX),
    ]
}

proptest! {
    #![proptest_config(config(1000))]

    /// The layout helpers agree with the model, and overflow is an error.
    #[test]
    fn broadcast_shapes_matches_reference(a in prop::collection::vec(any_size(), 0..5),
                                          b in prop::collection::vec(any_size(), 0..5)) {
        let want = reference::broadcast_shapes(&a, &b);
        let got = broadcast_shapes(&a, &b);
        if reference::overflow_hidden_by_zero(&a) || reference::overflow_hidden_by_zero(&b) {
            return Ok(());
        }
        if want.as_ref().err() == Some(&"broadcast numel overflows int64") {
            // The layout helper only matches sizes; numel limits are checked
            // where a tensor is built.
            return Ok(());
        }
        match (got, want) {
            (Ok(g), Ok(w)) => prop_assert_eq!(g.to_vec(), w),
            (Err(_), Err(_)) => {}
            (g, w) => prop_assert!(false, "broadcast_shapes({:?}, {:?}) = {:?}, PyTorch: {:?}", a, b, g, w),
        }
    }

    /// Contiguous strides describe row-major order on every shape whose
    /// numel fits.
    #[test]
    fn contiguous_strides_are_row_major(shape in prop::collection::vec(0usize..6, 0..5)) {
        let strides = contiguous_strides(&shape).unwrap();
        let layout = Layout::contiguous(&shape).unwrap();
        prop_assert!(layout.is_contiguous());
        let mut offsets = Vec::new();
        layout.for_each_offset(|o| offsets.push(o));
        let n: usize = shape.iter().product();
        prop_assert_eq!(offsets, (0..n).collect::<Vec<_>>(), "strides {:?}", strides);
    }

    /// `infer_shape` never panics and accepts exactly what PyTorch accepts.
    #[test]
    fn infer_shape_matches_reference(numel in 0usize..50,
                                     sizes in prop::collection::vec(prop_oneof![
                                         6 => -1i64..6,
                                         1 => Just(i64::MIN),
                                         1 => Just(-2i64),
                                         1 => Just(1i64 << 32),
                                         1 => Just(1i64 << 62),
                                         1 => Just(i64::MAX),
                                     ], 0..5)) {
        let model = reference::RefView::base(&[numel]).unwrap().infer_shape(&sizes);
        let ambiguous = reference::overflow_hidden_by_zero(&sizes.iter().map(|&s| s.max(0) as usize).collect::<Vec<_>>());
        match (infer_shape(&sizes, numel), model) {
            (Ok(g), Ok(w)) => prop_assert_eq!(g.to_vec(), w),
            (Err(_), Err(_)) => {}
            _ if ambiguous => {}
            (g, w) => prop_assert!(false, "infer_shape({:?}, {}) = {:?}, PyTorch: {:?}", sizes, numel, g, w),
        }
    }
}

/// Creation with a shape whose numel overflows must not wrap around to a
/// small buffer. `from_vec` is the checked entry point: a buffer of 0
/// elements for a shape `[2^63, 2]` (numel wraps to 0 in usize) is an error.
#[test]
fn from_vec_rejects_shapes_whose_numel_wraps() {
    let wraps = [1usize << 63, 2];
    assert!(Tensor::from_vec(Vec::<f32>::new(), &wraps).is_err(), "numel of {wraps:?} wrapped to 0");
    let wraps3 = [1usize << 32, 1 << 32, 0];
    // [2^32, 2^32, 0] has 0 elements in PyTorch as well; either answer is fine,
    // but it must not panic.
    let _ = Tensor::from_vec(Vec::<f32>::new(), &wraps3);
}

/// A shape with a zero size and other sizes whose product passes int64 has
/// 0 elements. PyTorch's answer depends on where the sizes sit (it accepts
/// `[2^62, 2, 0]` and refuses `[2^62, 4, 0]`); ferrograd refuses every such
/// shape, since strides over the nonzero sizes would not fit. Either way the
/// call returns, and an accepted shape names no element.
#[test]
fn reshape_empty_tensor_to_zero_sized_shape_with_huge_sizes() {
    let t = Tensor::from_vec(Vec::<i64>::new(), &[0]).unwrap();
    for shape in [[1i64 << 62, 2, 0], [1 << 62, 4, 0], [0, 1 << 62, 1 << 62]] {
        if let Ok(r) = t.reshape(&shape) {
            assert_eq!(r.numel(), 0, "{shape:?}");
        }
    }
}

/// Replays one byte program on all three families; handy for a crash file
/// from `make fuzz` (paste its bytes here).
#[test]
fn replay_regressions() {
    let programs: &[&[u8]] = &[
        &[],
        &[0],
        &[255; 32],
        // index_select on a 0-d tensor with an empty index
        &[0x00, 0x00, 0x00, 0x00, 0x1a, 0x0a],
        // a 0-d boolean mask
        &[0x32, 0x0a, 0x21, 0x0a, 0x00, 0x0a],
        // reshape of an empty tensor to [2^62, 2, 0]
        &[1, 40, 0, 58, 0, 219, 246, 37],
    ];
    for bytes in programs {
        driver::run_views(bytes, true);
        driver::run_indexing(bytes, true);
        driver::run_binary(bytes, true);
    }
}
