//! A read-only storage (memory shared with a non-writable numpy array) refuses
//! every in-place write, through the tensor itself and through its views, and
//! keeps its values; copies of it are writable.

use ferrograd::layout::Layout;
use ferrograd::storage::{Access, Buffer};
use ferrograd::{Scalar, Tensor};

fn read_only(values: Vec<f64>) -> Tensor {
    let layout = Layout::contiguous(&[values.len()]).unwrap();
    Tensor::from_buffer_with_layout(Buffer::F64(values.into()), layout, Access::ReadOnly).unwrap()
}

#[test]
fn in_place_writes_are_refused_and_leave_the_values() {
    let t = read_only(vec![1.0, 2.0, 3.0, 4.0]);
    let ones = Tensor::from_vec(vec![1.0f64; 4], &[4]).unwrap();
    let view = t.narrow(0, 1, 2).unwrap();
    let index = Tensor::from_vec(vec![0i64], &[1]).unwrap();
    let attempts = [
        ("add_", t.add_(&ones)),
        ("mul_ of a view", view.mul_(&view.clone_tensor().unwrap())),
        ("fill_", t.fill_(Scalar::Float(0.0))),
        ("zero_ of a view", view.zero_()),
        ("copy_", t.copy_(&ones)),
        ("index_put_", t.index_put_(&[Some(index.clone())], &ones.narrow(0, 0, 1).unwrap(), false)),
        ("index_fill_", t.index_fill_(0, &index, Scalar::Float(9.0))),
    ];
    for (name, result) in attempts {
        let err = result.expect_err(name);
        assert!(err.to_string().contains("not writable"), "{name}: {err}");
    }
    assert_eq!(t.to_vec::<f64>().unwrap(), vec![1.0, 2.0, 3.0, 4.0]);
    assert!(view.storage().is_read_only());
}

#[test]
fn copies_are_writable() {
    let t = read_only(vec![1.0, 2.0]);
    let copy = t.clone_tensor().unwrap();
    assert!(!copy.storage().is_read_only());
    copy.fill_(Scalar::Float(5.0)).unwrap();
    assert_eq!(copy.to_vec::<f64>().unwrap(), vec![5.0, 5.0]);
    assert_eq!(t.to_vec::<f64>().unwrap(), vec![1.0, 2.0]);
}
