//! Shape ops: views, reorders, joins and slices.

use crate::common::{assert_values, case, check_family, tensor, uniform};
use ferrograd::{Scalar, Tensor};

/// Joins a list of pieces into one tensor, so ops returning several are checked too.
fn joined(pieces: Vec<Tensor>) -> ferrograd::Result<Tensor> {
    Tensor::cat(&pieces.iter().map(|p| p.flatten_all()).collect::<ferrograd::Result<Vec<_>>>()?, 0)
}

#[test]
fn shape_gradients_match_finite_differences() {
    let s = [2, 3, 4];
    let x = || vec![uniform(&s, -1.0, 1.0)];
    check_family(
        "shape",
        vec![
            case("reshape", |x| x[0].reshape(&[4, -1]), x()),
            case("reshape of a transposed view", |x| x[0].transpose(0, 2)?.reshape(&[-1]), x()),
            case("view", |x| x[0].view(&[6, 4]), x()),
            case("flatten", |x| x[0].flatten(1, 2), x()),
            case("unflatten", |x| x[0].unflatten(2, &[2, 2]), x()),
            case("transpose", |x| x[0].transpose(0, 2), x()),
            case("t", |x| x[0].t(), vec![uniform(&[2, 3], -1.0, 1.0)]),
            case("mt", |x| x[0].mt(), x()),
            case("permute", |x| x[0].permute(&[2, 0, 1]), x()),
            case("movedim", |x| x[0].movedim(&[0], &[2]), x()),
            case("expand", |x| x[0].expand(&[2, 3, 4]), vec![uniform(&[3, 1], -1.0, 1.0)]),
            case("expand_sizes", |x| x[0].expand_sizes(&[2, -1, 4]), vec![uniform(&[1, 3, 1], -1.0, 1.0)]),
            case("squeeze", |x| x[0].squeeze(None), vec![uniform(&[2, 1, 3, 1], -1.0, 1.0)]),
            case("squeeze dim", |x| x[0].squeeze(Some(1)), vec![uniform(&[2, 1, 3, 1], -1.0, 1.0)]),
            case("squeeze_dims", |x| x[0].squeeze_dims(&[1, 3]), vec![uniform(&[2, 1, 3, 1], -1.0, 1.0)]),
            case("unsqueeze", |x| x[0].unsqueeze(-1), x()),
            case("slice", |x| x[0].slice(2, Some(1), None, 2), x()),
            case("slice negative bounds", |x| x[0].slice(1, Some(-2), Some(3), 1), x()),
            case("narrow", |x| x[0].narrow(2, 1, 2), x()),
            case("select", |x| x[0].select(1, -1), x()),
            case("diagonal", |x| x[0].diagonal(0, 1, 2), x()),
            case("diagonal offset", |x| x[0].diagonal(-1, 2, 1), x()),
            case("unbind", |x| joined(x[0].unbind(1)?), x()),
            case("split", |x| joined(x[0].split(3, 2)?), x()),
            case("split_with_sizes", |x| joined(x[0].split_with_sizes(&[1, 3], 2)?), x()),
            case("chunk", |x| joined(x[0].chunk(2, 1)?), x()),
            case("cat", |x| Tensor::cat(&[x[0].clone(), x[1].clone()], 1), vec![uniform(&[2, 3], -1.0, 1.0), uniform(&[2, 2], -1.0, 1.0)]),
            case("stack", |x| Tensor::stack(&[x[0].clone(), x[1].clone()], -1), vec![uniform(&[2, 3], -1.0, 1.0), uniform(&[2, 3], -1.0, 1.0)]),
            case("hstack", |x| Tensor::hstack(&[x[0].clone(), x[1].clone()]), vec![uniform(&[2, 3], -1.0, 1.0), uniform(&[2, 1], -1.0, 1.0)]),
            case("vstack", |x| Tensor::vstack(&[x[0].clone(), x[1].clone()]), vec![uniform(&[3], -1.0, 1.0), uniform(&[2, 3], -1.0, 1.0)]),
            case("flip", |x| x[0].flip(&[0, 2]), x()),
            case("roll", |x| x[0].roll(&[1, -1], &[1, 2]), x()),
            case("roll flat", |x| x[0].roll(&[5], &[]), x()),
            case("repeat", |x| x[0].repeat(&[2, 1, 3]), vec![uniform(&[3, 2], -1.0, 1.0)]),
            case("tile", |x| x[0].tile(&[2]), vec![uniform(&[3, 2], -1.0, 1.0)]),
            case("repeat_interleave", |x| x[0].repeat_interleave(2, Some(0)), vec![uniform(&[3, 2], -1.0, 1.0)]),
            case("tril", |x| x[0].tril(0), vec![uniform(&[3, 4], -1.0, 1.0)]),
            case("triu", |x| x[0].triu(1), vec![uniform(&[3, 4], -1.0, 1.0)]),
            case("tril batched", |x| x[0].tril(-1), x()),
            case("constant_pad_nd", |x| x[0].constant_pad_nd(&[1, 2, 0, 1], Scalar::Float(0.5)), x()),
            case("constant_pad_nd cropping", |x| x[0].constant_pad_nd(&[-1, 1], Scalar::Float(0.0)), x()),
            case("contiguous", |x| x[0].transpose(0, 1)?.contiguous(), x()),
            case("clone_tensor", |x| x[0].clone_tensor(), x()),
        ],
    );
}

#[test]
fn shape_values_match_hand_computation() {
    let x = tensor(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    assert_values("transpose", &x.transpose(0, 1).unwrap(), &[3, 2], &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    assert_values("flip", &x.flip(&[1]).unwrap(), &[2, 3], &[3.0, 2.0, 1.0, 6.0, 5.0, 4.0]);
    assert_values("roll", &x.roll(&[1], &[1]).unwrap(), &[2, 3], &[3.0, 1.0, 2.0, 6.0, 4.0, 5.0]);
    assert_values("tril", &x.tril(0).unwrap(), &[2, 3], &[1.0, 0.0, 0.0, 4.0, 5.0, 0.0]);
    assert_values("triu", &x.triu(1).unwrap(), &[2, 3], &[0.0, 2.0, 3.0, 0.0, 0.0, 6.0]);
    assert_values("diagonal", &x.diagonal(1, 0, 1).unwrap(), &[2], &[2.0, 6.0]);
    assert_values("repeat", &tensor(&[1.0, 2.0], &[2]).repeat(&[2, 2]).unwrap(), &[2, 4], &[1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
    assert_values("slice", &x.slice(1, Some(0), None, 2).unwrap(), &[2, 2], &[1.0, 3.0, 4.0, 6.0]);
    assert_values("cat", &Tensor::cat(&[x.clone(), x.narrow(0, 0, 1).unwrap()], 0).unwrap(), &[3, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 1.0, 2.0, 3.0]);
    assert_values("stack", &Tensor::stack(&[x.select(0, 0).unwrap(), x.select(0, 1).unwrap()], 1).unwrap(), &[3, 2], &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
}
