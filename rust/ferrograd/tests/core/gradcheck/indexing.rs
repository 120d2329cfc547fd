//! Indexing: along a dim, by mask, by advanced index tensors and by index items.

use crate::common::{assert_values, case, check_family, float, longs, tensor, uniform};
use ferrograd::ops::compare::Comparison;
use ferrograd::ops::embedding::EmbeddingGrad;
use ferrograd::ops::indexing::items::IndexItem;
use ferrograd::{Scalar, Tensor};

fn mask(values: &[f64], shape: &[usize]) -> Tensor {
    tensor(values, shape).compare_scalar(Scalar::Float(0.0), Comparison::Gt).unwrap()
}

#[test]
fn indexing_gradients_match_finite_differences() {
    let s = [3, 4];
    let x = || vec![uniform(&s, -1.0, 1.0)];
    let picks = longs(&[2, 0, 2], &[3]);
    let along = longs(&[0, 2, 1, 1, 2, 0, 0, 1], &[2, 4]);
    let row_mask = mask(&[1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0, -1.0, 1.0, 1.0, -1.0, 1.0], &s);
    let (p, a, m) = (picks.clone(), along.clone(), row_mask.clone());
    let (p2, a2, m2, a3) = (picks.clone(), along.clone(), row_mask.clone(), along.clone());
    let (p3, p4, p5, p6, p7) = (picks.clone(), picks.clone(), picks.clone(), picks.clone(), picks.clone());
    // A permutation along dim 0 per column: scatter without duplicate targets.
    let unique = longs(&[2, 0, 1, 1, 0, 2, 2, 0, 1, 1, 0, 2], &s);
    let u2 = unique.clone();
    check_family(
        "indexing",
        vec![
            case("index_select", move |x| x[0].index_select(0, &p), x()),
            case("index_select dim 1", move |x| x[0].index_select(1, &p2), x()),
            case("gather", move |x| x[0].gather(0, &a), x()),
            case("take_along_dim", move |x| x[0].take_along_dim(&a2, Some(0)), x()),
            case("scatter", move |x| x[0].scatter(0, &unique, &x[1]), vec![uniform(&s, -1.0, 1.0), uniform(&s, -1.0, 1.0)]),
            case("scatter_value", move |x| x[0].scatter_value(0, &u2.narrow(0, 0, 1)?, float(0.5)), x()),
            case("scatter_add", move |x| x[0].scatter_add(0, &a3, &x[1]), vec![uniform(&s, -1.0, 1.0), uniform(&[2, 4], -1.0, 1.0)]),
            case("index_add", move |x| x[0].index_add(0, &p3, &x[1], float(2.0)), vec![uniform(&s, -1.0, 1.0), uniform(&[3, 4], -1.0, 1.0)]),
            case("index_fill", move |x| x[0].index_fill(1, &p4, float(0.5)), x()),
            case("masked_fill tensor value", move |x| x[0].masked_fill(&m, &x[1]), vec![uniform(&s, -1.0, 1.0), uniform(&[], -1.0, 1.0)]),
            case("masked_fill_scalar", move |x| x[0].masked_fill_scalar(&m2, float(3.0)), x()),
            case("masked_select", move |x| x[0].masked_select(&row_mask), x()),
            case("index", move |x| x[0].index(&[None, Some(p5.clone())]), x()),
            case("index two tensors", |x| x[0].index(&[Some(longs(&[0, 2, 2], &[3])), Some(longs(&[1, 3, 0], &[3]))]), x()),
            case("index_put", |x| x[0].index_put(&[Some(longs(&[2, 0], &[2]))], &x[1], false), vec![uniform(&s, -1.0, 1.0), uniform(&[2, 4], -1.0, 1.0)]),
            case("index_put accumulate", move |x| x[0].index_put(&[Some(p6.clone())], &x[1], true), vec![uniform(&s, -1.0, 1.0), uniform(&[3, 4], -1.0, 1.0)]),
            case("index_items basic", |x| x[0].index_items(&[IndexItem::Int(1), IndexItem::NewAxis, IndexItem::Slice { start: Some(1), stop: None, step: Some(2) }]), x()),
            case("index_items ellipsis", |x| x[0].index_items(&[IndexItem::Ellipsis, IndexItem::Int(-1)]), x()),
            case("index_items advanced", move |x| x[0].index_items(&[IndexItem::Slice { start: None, stop: Some(2), step: None }, IndexItem::Tensor(p7.clone())]), x()),
            case("index_items mask", |x| x[0].index_items(&[IndexItem::Tensor(mask(&[1.0, -1.0, 1.0], &[3]))]), x()),
            case("index_item", |x| x[0].index_item(&IndexItem::Slice { start: Some(1), stop: None, step: None }), x()),
            case("embedding", |x| {
                let grad = EmbeddingGrad { num_weights: 3, padding_idx: None, scale_grad_by_freq: false };
                x[0].embedding(&longs(&[2, 0, 2, 1], &[2, 2]), grad)
            }, x()),
        ],
    );
}

#[test]
fn indexing_values_match_hand_computation() {
    let x = tensor(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    assert_values("index_select", &x.index_select(1, &longs(&[2, 0], &[2])).unwrap(), &[2, 2], &[3.0, 1.0, 6.0, 4.0]);
    assert_values("gather", &x.gather(1, &longs(&[1, 1, 0, 2], &[2, 2])).unwrap(), &[2, 2], &[2.0, 2.0, 4.0, 6.0]);
    let zeros = Tensor::zeros(&[2, 3], ferrograd::DType::F64).unwrap();
    assert_values("scatter_add", &zeros.scatter_add(1, &longs(&[0, 0, 2, 1], &[2, 2]), &tensor(&[1.0, 2.0, 3.0, 4.0], &[2, 2])).unwrap(), &[2, 3], &[3.0, 0.0, 0.0, 0.0, 4.0, 3.0]);
    assert_values("masked_fill", &x.masked_fill_scalar(&mask(&[1.0, -1.0, -1.0, -1.0, -1.0, 1.0], &[2, 3]), float(0.0)).unwrap(), &[2, 3], &[0.0, 2.0, 3.0, 4.0, 5.0, 0.0]);
    assert_values("index two tensors", &x.index(&[Some(longs(&[1, 0], &[2])), Some(longs(&[2, 2], &[2]))]).unwrap(), &[2], &[6.0, 3.0]);
    assert_values("index_items", &x.index_items(&[IndexItem::Slice { start: None, stop: None, step: None }, IndexItem::Int(1)]).unwrap(), &[2], &[2.0, 5.0]);
}
