//! The wgpu kernels against the CPU backend. Without an adapter these
//! return early with the reason printed, except under CI=true, where a
//! missing adapter fails.

use super::context::gpu;
use crate::backend::cpu::Cpu;
use crate::backend::Backend;
use crate::device::Device;
use crate::dtype::DType;
use crate::error::Error;
use crate::kernels::named::*;
use crate::storage::{Element, Storage};
use crate::strided::Strided;

pub(super) fn have_device() -> bool {
    match gpu() {
        Ok(_) => true,
        Err(e) => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true requires a wgpu adapter: {e}");
            eprintln!("skipping: {e}");
            false
        }
    }
}

pub(super) fn host<T: Element>(values: Vec<T>, shape: &[usize]) -> Strided {
    Strided::from_vec(values, shape).expect("host tensor")
}

pub(super) fn on_device(x: &Strided) -> Strided {
    Strided::contiguous(x.copy_to(Device::Wgpu(0)).expect("upload"), x.shape()).expect("view")
}

pub(super) fn back<T: Element>(storage: Storage, shape: &[usize]) -> Vec<T> {
    let s = Strided::contiguous(storage, shape).expect("view");
    assert_eq!(s.device(), Device::Wgpu(0));
    let host = Strided::contiguous(s.copy_to(Device::Cpu).expect("read back"), shape).expect("host");
    host.to_vec::<T>().expect("values")
}

fn cpu_values<T: Element>(storage: Storage, shape: &[usize]) -> Vec<T> {
    Strided::contiguous(storage, shape).expect("view").to_vec::<T>().expect("values")
}

fn close(got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let ok = (g - w).abs() <= 1e-5 + 1e-5 * w.abs() || (g.is_nan() && w.is_nan());
        assert!(ok, "element {i}: wgpu {g} vs cpu {w}");
    }
}

fn ramp(n: usize, scale: f32, shift: f32) -> Vec<f32> {
    (0..n).map(|i| i as f32 * scale + shift).collect()
}

#[test]
fn every_dtype_round_trips_and_views_read_back_in_logical_order() {
    if !have_device() {
        return;
    }
    let x = host(vec![1i64, -2, 3, 4, 5, 6], &[2, 3]);
    assert_eq!(back::<i64>(x.copy_to(Device::Wgpu(0)).expect("up"), &[2, 3]), [1, -2, 3, 4, 5, 6]);
    let b = host(vec![true, false, true], &[3]);
    assert_eq!(back::<bool>(b.copy_to(Device::Wgpu(0)).expect("up"), &[3]), [true, false, true]);
    let f = on_device(&host(ramp(6, 1.0, 0.0), &[2, 3]));
    let t = f.transposed().expect("transpose");
    let host_t = Strided::contiguous(t.copy_to(Device::Cpu).expect("down"), &[3, 2]).expect("view");
    assert_eq!(host_t.to_vec::<f32>().expect("values"), [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    // A CPU read of a device storage (an op without a kernel) sees its elements.
    assert_eq!(f.to_vec::<f32>().expect("values"), ramp(6, 1.0, 0.0));
}

#[test]
fn unary_kernels_match_the_cpu_through_views() {
    if !have_device() {
        return;
    }
    let x = host(ramp(12, 0.37, -2.0), &[3, 4]);
    let d = on_device(&x);
    let (xt, dt) = (x.transposed().expect("t"), d.transposed().expect("t"));
    fn check<K: UnaryKernel>(k: K, x: &Strided, d: &Strided) {
        let want = cpu_values::<f32>(Cpu::unary(&k, x).expect("cpu"), x.shape());
        let got = back::<f32>(d.unary(&k).expect("wgpu"), d.shape());
        close(&got, &want);
    }
    check(Exp, &xt, &dt);
    check(Tanh, &xt, &dt);
    check(Sigmoid, &xt, &dt);
    check(Relu, &xt, &dt);
    check(Gelu, &xt, &dt);
    check(Erf, &xt, &dt);
    check(Neg, &xt, &dt);
    check(Clamp { min: Some(-0.5), max: None }, &xt, &dt);
    check(LeakyRelu(0.1), &xt, &dt);
    check(PowByNumber(3.0), &xt, &dt);
}

#[test]
fn binary_kernels_broadcast_and_take_cpu_scalars() {
    if !have_device() {
        return;
    }
    let a = host(ramp(12, 0.5, -3.0), &[3, 4]);
    let b = host(ramp(4, 1.5, 0.25), &[4]);
    let (da, db) = (on_device(&a), on_device(&b));
    let want = cpu_values::<f32>(Cpu::binary(&Mul, &a, &b, &[3, 4]).expect("cpu"), &[3, 4]);
    close(&back::<f32>(da.binary(&Mul, &db, &[3, 4]).expect("wgpu"), &[3, 4]), &want);
    let want = cpu_values::<f32>(Cpu::binary(&Sub, &b, &a, &[3, 4]).expect("cpu"), &[3, 4]);
    close(&back::<f32>(db.binary(&Sub, &da, &[3, 4]).expect("wgpu"), &[3, 4]), &want);
    let two = Strided::from_vec(vec![2.0f32], &[]).expect("scalar");
    let got = back::<f32>(da.binary(&Div, &two, &[3, 4]).expect("cpu scalar"), &[3, 4]);
    close(&got, &a.to_vec::<f32>().expect("a").iter().map(|v| v / 2.0).collect::<Vec<_>>());
}

#[test]
fn in_place_updates_through_a_transposed_destination() {
    if !have_device() {
        return;
    }
    let d = on_device(&host(ramp(6, 1.0, 1.0), &[2, 3]));
    let dst = d.transposed().expect("t");
    let src = on_device(&host(vec![10.0f32, 20.0], &[2]));
    dst.binary_assign(&Sub, &src).expect("sub_");
    assert_eq!(back::<f32>(d.storage().clone(), &[2, 3]), [-9.0, -8.0, -7.0, -16.0, -15.0, -14.0]);
}

#[test]
fn sums_over_any_dims_match_the_cpu() {
    if !have_device() {
        return;
    }
    let x = host(ramp(2 * 3 * 300, 0.01, -1.0), &[2, 3, 300]);
    let d = on_device(&x);
    for dims in [&[0usize, 1, 2][..], &[2], &[0, 2], &[1]] {
        let want = cpu_values::<f32>(Cpu::reduce(&Sum, &x, dims).expect("cpu"), &[want_len(&x, dims)]);
        let got = back::<f32>(d.reduce(&Sum, dims).expect("wgpu"), &[want.len()]);
        let scaled: Vec<f32> = want.iter().map(|w| w / 100.0).collect();
        close(&got.iter().map(|g| g / 100.0).collect::<Vec<_>>(), &scaled);
    }
}

fn want_len(x: &Strided, dims: &[usize]) -> usize {
    (0..x.ndim()).filter(|d| !dims.contains(d)).map(|d| x.shape()[d]).product()
}

#[test]
fn matmul_reads_transposed_and_batched_operands() {
    if !have_device() {
        return;
    }
    let a = host(ramp(2 * 17 * 33, 0.01, -0.5), &[2, 17, 33]);
    let b = host(ramp(2 * 19 * 33, 0.02, -0.3), &[2, 19, 33]);
    let bt = b.layout().transpose(1, 2);
    let bt_host = Strided::new(b.storage().clone(), bt.clone(), DType::F32).expect("view");
    let want = cpu_values::<f32>(Cpu::matmul(&a, &bt_host).expect("cpu"), &[2, 17, 19]);
    let (da, db) = (on_device(&a), on_device(&b));
    let db_t = Strided::new(db.storage().clone(), bt, DType::F32).expect("view");
    let got = back::<f32>(da.matmul(&db_t).expect("wgpu"), &[2, 17, 19]);
    close(&got.iter().map(|g| g / 10.0).collect::<Vec<_>>(), &want.iter().map(|w| w / 10.0).collect::<Vec<_>>());
}

#[test]
fn missing_kernels_and_dtypes_are_refused_by_name() {
    if !have_device() {
        return;
    }
    let ints = on_device(&host(vec![1i32, 2], &[2]));
    let index = on_device(&host(vec![0i64, 1], &[2]));
    let err = ints.gather(0, &index).expect_err("no int32 gather kernel");
    assert!(matches!(err, Error::NotImplemented(_)), "{err:?}");
    assert!(err.to_string().starts_with("The operator 'gather' is not currently implemented for the wgpu device with dtype torch.int32"), "{err}");
    assert!(err.to_string().ends_with("Set FERROGRAD_WGPU_FALLBACK=1 to run it on the CPU instead (slower)."), "{err}");
    let err = ints.unary(&Neg).expect_err("int32 has no kernels").to_string();
    assert!(err.contains("'neg'") && err.contains("int32") && err.contains("wgpu"), "{err}");
    let doubles = on_device(&host(vec![1.0f64, 2.0], &[2]));
    if super::computes(DType::F64) {
        let err = doubles.unary(&Erf).expect_err("erf's fit is float32-only").to_string();
        assert!(err.contains("'erf'") && err.contains("wgpu"), "{err}");
    }
    let err = on_device(&host(vec![1.0f32], &[1])).binary(&Add, &host(vec![1.0f32, 2.0], &[2]), &[2]).expect_err("mixed devices").to_string();
    assert!(err.starts_with("Expected all tensors to be on the same device"), "{err}");
}

#[test]
fn conversions_run_through_the_host() {
    if !have_device() {
        return;
    }
    let d = on_device(&host(vec![1.5f32, -2.5, 3.0], &[3]));
    let ints = d.copy_strided(DType::I64).expect("cast");
    assert_eq!(ints.device(), Device::Wgpu(0));
    assert_eq!(back::<i64>(ints, &[3]), [1, -2, 3]);
}

#[test]
fn failed_read_back_is_an_error_not_zeros() {
    if !have_device() {
        return;
    }
    let x = on_device(&host(ramp(6, 1.0, 1.0), &[2, 3]));
    super::buffer::tests_hook::FAIL_READBACK.with(|f| f.set(true));
    let read = x.storage().read().map(|_| ());
    let copied = x.copy_to(Device::Cpu).map(|_| ());
    super::buffer::tests_hook::FAIL_READBACK.with(|f| f.set(false));
    let err = read.expect_err("a failed read back must not yield elements").to_string();
    assert!(err.contains("wgpu:0") && err.contains("injected failure") && err.contains("float32"), "{err}");
    assert!(copied.is_err());
    // The failure left no stale host copy behind: the next read sees the device's elements.
    assert_eq!(x.to_vec::<f32>().expect("read"), ramp(6, 1.0, 1.0));
}

#[test]
fn in_place_host_writes_reach_the_device() {
    if !have_device() {
        return;
    }
    let x = on_device(&host(ramp(5, 1.0, 0.0), &[5]));
    {
        let mut guard = x.storage().write().expect("write");
        let values = f32::slice_mut(&mut guard).expect("float32");
        values[1] = -7.0;
        values[4] = 0.5;
    }
    // A device kernel reads the written elements.
    let doubled = x.binary(&Add, &x, &[5]).expect("add");
    assert_eq!(back::<f32>(doubled, &[5]), vec![0.0, -14.0, 4.0, 6.0, 1.0]);
}

#[test]
fn softmax_rows_match_the_cpu_along_every_dim_forward_and_backward() {
    use crate::kernels::softmax::{softmax_backward_buffer, softmax_buffer};
    if !have_device() {
        return;
    }
    let shape = [3, 5, 300];
    let x = host(ramp(4500, 0.013, -20.0).iter().map(|v| (v * 7.3).sin() * 9.0).collect(), &shape);
    let g = host(ramp(4500, 0.002, -4.0), &shape);
    let (dx, dg) = (on_device(&x), on_device(&g));
    for dim in 0..3 {
        for log in [false, true] {
            let want_y = Strided::new(Storage::new(softmax_buffer(&x, dim, log).expect("cpu")), crate::layout::Layout::contiguous(&shape).expect("layout"), DType::F32).expect("y");
            let got_y = super::softmax(&dx, dim, log).expect("wgpu");
            let got_y = Strided::contiguous(got_y, &shape).expect("view");
            close(&back::<f32>(got_y.storage().clone(), &shape), &want_y.to_vec::<f32>().expect("y"));
            let want = f32::slice(&softmax_backward_buffer(&g, &want_y, dim, log).expect("cpu")).expect("f32").to_vec();
            let got = super::softmax_backward(&dg, &got_y, dim, log).expect("wgpu");
            close(&back::<f32>(got, &shape), &want);
        }
    }
}

#[test]
fn gather_and_scatter_add_match_the_cpu() {
    if !have_device() {
        return;
    }
    let x = host(ramp(12, 1.0, 0.0), &[3, 4]);
    // Row 1 reads and writes column 3 twice: scatter_add must add both.
    let index = host(vec![0i64, 3, 3, 3, 2, 0], &[3, 2]);
    let want = cpu_values::<f32>(Cpu::gather(&x, 1, &index).expect("cpu"), &[3, 2]);
    let got = back::<f32>(on_device(&x).gather(1, &on_device(&index)).expect("wgpu"), &[3, 2]);
    close(&got, &want);
    let src = host(ramp(6, 0.5, 1.0), &[3, 2]);
    let want = cpu_values::<f32>(Cpu::scatter(&x, 1, &index, &src, true).expect("cpu"), &[3, 4]);
    let got = back::<f32>(on_device(&x).scatter(1, &on_device(&index), &on_device(&src), true).expect("wgpu"), &[3, 4]);
    close(&got, &want);
}
