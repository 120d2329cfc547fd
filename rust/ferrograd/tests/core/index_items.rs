//! Python-style index expressions through the core: the views, the one
//! `index` call and the assignment dispatch, checked against values worked
//! out by hand and PyTorch's grad_fn names and errors.

use ferrograd::ops::indexing::assign::IndexValue;
use ferrograd::ops::indexing::items::IndexItem;
use ferrograd::{Error, Scalar, Tensor};

fn arange(n: usize, shape: &[usize]) -> Tensor {
    Tensor::from_vec((0..n).map(|i| i as f64).collect(), shape).unwrap()
}

fn longs(values: Vec<i64>) -> IndexItem {
    let n = values.len();
    IndexItem::Tensor(Tensor::from_vec(values, &[n]).unwrap())
}

fn values(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>().unwrap()
}

fn slice(start: Option<i64>, stop: Option<i64>, step: Option<i64>) -> IndexItem {
    IndexItem::Slice { start, stop, step }
}

#[test]
fn basic_items_build_views_left_to_right() {
    let t = arange(24, &[2, 3, 4]);
    let y = t.index_items(&[IndexItem::Int(1), slice(Some(1), None, None), IndexItem::NewAxis]).unwrap();
    assert_eq!(y.shape().to_vec(), vec![2, 1, 4]);
    assert_eq!(values(&y), (16..24).map(f64::from).collect::<Vec<_>>());
    let last = t.index_items(&[IndexItem::Ellipsis, IndexItem::Int(0)]).unwrap();
    assert_eq!(values(&last), vec![0.0, 4.0, 8.0, 12.0, 16.0, 20.0]);
    let strided = arange(5, &[5]).index_item(&slice(None, None, Some(2))).unwrap();
    assert_eq!(values(&strided), vec![0.0, 2.0, 4.0]);
    let from_end = arange(5, &[5]).index_items(&[slice(Some(-2), Some(99), None)]).unwrap();
    assert_eq!(values(&from_end), vec![3.0, 4.0]);
}

#[test]
fn recorded_views_have_pytorch_grad_fns() {
    let x = arange(6, &[2, 3]).with_requires_grad(true).unwrap();
    let name = |items: &[IndexItem]| x.index_items(items).unwrap().grad_fn_name();
    assert_eq!(name(&[IndexItem::Int(0)]), Some("SelectBackward0"));
    assert_eq!(name(&[IndexItem::Ellipsis, slice(Some(1), None, None)]), Some("SliceBackward0"));
    assert_eq!(name(&[IndexItem::NewAxis]), Some("UnsqueezeBackward0"));
    assert_eq!(name(&[]), Some("AliasBackward0"));
    // In a tuple a full slice is skipped; alone it is applied.
    assert_eq!(name(&[slice(None, None, None)]), Some("AliasBackward0"));
    assert_eq!(x.index_item(&slice(None, None, None)).unwrap().grad_fn_name(), Some("SliceBackward0"));
    assert_eq!(name(&[longs(vec![1])]), Some("IndexBackward0"));
}

#[test]
fn advanced_items_index_the_view_once() {
    let t = arange(24, &[2, 3, 4]);
    let y = t.index_items(&[longs(vec![1, 0]), IndexItem::Ellipsis, IndexItem::Int(3)]).unwrap();
    assert_eq!(y.shape().to_vec(), vec![2, 3]);
    assert_eq!(values(&y), vec![15.0, 19.0, 23.0, 3.0, 7.0, 11.0]);

    let mask = Tensor::from_vec(vec![true, false, true, false], &[4]).unwrap();
    assert_eq!(values(&arange(4, &[4]).index_items(&[IndexItem::Tensor(mask)]).unwrap()), vec![0.0, 2.0]);
    assert_eq!(arange(4, &[4]).index_item(&IndexItem::Bool(true)).unwrap().shape().to_vec(), vec![1, 4]);
    assert_eq!(arange(4, &[4]).index_items(&[IndexItem::Bool(false)]).unwrap().shape().to_vec(), vec![0, 4]);
}

#[test]
fn repeated_indices_accumulate_gradient() {
    let x = arange(3, &[3]).with_requires_grad(true).unwrap();
    let y = x.index_items(&[longs(vec![2, 0, 2])]).unwrap();
    y.sum().unwrap().backward(None, None, false).unwrap();
    assert_eq!(values(&x.grad().unwrap()), vec![1.0, 0.0, 2.0]);
}

fn invalid_index(result: ferrograd::Result<Tensor>) -> String {
    match result {
        Err(Error::InvalidIndex(msg)) => msg,
        other => panic!("expected an invalid index, got {other:?}"),
    }
}

#[test]
fn bad_items_give_pytorch_errors() {
    let t = arange(4, &[4]);
    assert_eq!(invalid_index(t.index_items(&[IndexItem::Int(0), IndexItem::Int(0)])), "too many indices for tensor of dimension 1");
    assert_eq!(invalid_index(t.index_items(&[IndexItem::Int(4)])), "index 4 is out of bounds for dimension 0 with size 4");
    let scalar = Tensor::from_vec(vec![1.0], &[]).unwrap();
    assert_eq!(invalid_index(scalar.index_item(&slice(None, None, None))), "slice() cannot be applied to a 0-dim tensor.");
    assert!(invalid_index(scalar.index_items(&[IndexItem::Int(0)])).starts_with("invalid index of a 0-dim tensor."));
    assert!(matches!(t.index_items(&[slice(None, None, Some(-1))]), Err(Error::Value(m)) if m == "step must be greater than zero"));
    assert!(matches!(scalar.index_item(&slice(None, None, Some(0))), Err(Error::Value(m)) if m == "slice step cannot be zero"));
}

#[test]
fn zero_dim_tensors_index_like_numbers() {
    let i = Tensor::from_vec(vec![2i64], &[]).unwrap();
    assert!(matches!(IndexItem::from_tensor(&i), Ok(IndexItem::Int(2))));
    let b = Tensor::from_vec(vec![true], &[]).unwrap();
    assert!(matches!(IndexItem::from_tensor(&b), Ok(IndexItem::Bool(true))));
    let f = Tensor::from_vec(vec![1.0f32], &[1]).unwrap();
    assert!(matches!(IndexItem::from_tensor(&f), Err(Error::InvalidIndex(_))));
}

#[test]
fn assignment_writes_through_views_and_indices() {
    let seven = || IndexValue::Number(Scalar::Int(7));
    let t = Tensor::zeros(&[4], ferrograd::DType::F64).unwrap();
    t.index_put_items(&[slice(Some(1), Some(3), None)], seven()).unwrap();
    assert_eq!(values(&t), vec![0.0, 7.0, 7.0, 0.0]);

    let mask = Tensor::from_vec(vec![true, false, false, true], &[4]).unwrap();
    t.index_put_items(&[IndexItem::Tensor(mask)], IndexValue::Number(Scalar::Int(5))).unwrap();
    assert_eq!(values(&t), vec![5.0, 7.0, 7.0, 5.0]);

    t.index_put_item(&longs(vec![2]), IndexValue::Number(Scalar::Int(1))).unwrap();
    assert_eq!(values(&t), vec![5.0, 7.0, 1.0, 5.0]);

    // Leading dims of size 1 in the value are dropped, as numpy does.
    let v = Tensor::from_vec(vec![8.0, 9.0], &[1, 2]).unwrap();
    t.index_put_items(&[longs(vec![0, 3])], IndexValue::Tensor(v)).unwrap();
    assert_eq!(values(&t), vec![8.0, 7.0, 1.0, 9.0]);

    t.index_put_item(&IndexItem::Bool(false), seven()).unwrap();
    assert_eq!(values(&t), vec![8.0, 7.0, 1.0, 9.0]);
    t.index_put_item(&IndexItem::Bool(true), IndexValue::Number(Scalar::Int(0))).unwrap();
    assert_eq!(values(&t), vec![0.0; 4]);
}

#[test]
fn a_mask_of_the_wrong_shape_is_refused() {
    let t = Tensor::zeros(&[2, 2], ferrograd::DType::F64).unwrap();
    let mask = Tensor::from_vec(vec![true, false, true], &[3]).unwrap();
    match t.index_put_items(&[IndexItem::Tensor(mask)], IndexValue::Number(Scalar::Int(1))) {
        Err(Error::InvalidIndex(msg)) => {
            assert_eq!(msg, "The shape of the mask [3] at index 0 does not match the shape of the indexed tensor [2, 2] at index 0")
        }
        other => panic!("unexpected {other:?}"),
    }
}
