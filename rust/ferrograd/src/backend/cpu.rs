//! The CPU backend: every kernel over host memory. Each family of kernels
//! has one generic strided loop (`kernels::elementwise`, `kernels::reduce`)
//! and one dtype match here, so ops never name an element type.

use super::Backend;
use crate::device::Device;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernels::elementwise::{cast, map, zip, zip_assign};
use crate::kernels::indexed::{add_elem, gather, scatter, take, Plan};
use crate::kernels::matmul::matmul;
use crate::kernels::pointwise::{zip3, FloatMath};
use crate::kernels::named::{Accepts, BinaryKernel, Comparison, ReduceKernel, UnaryKernel};
use crate::kernels::reduce::{reduce, sum_all, sum_contiguous};
use crate::kernels::vectorised;
use crate::kernels::window::{col2im, im2col, max_pool, Planes, Window2d};
use crate::storage::{Buffer, Element, Float, Numeric, Storage};
use crate::strided::Strided;
use crate::{with_any_type, with_float_type};

/// Host memory, computed on by the calling thread and rayon's pool.
pub struct Cpu;

impl Backend for Cpu {
    #[inline]
    fn unary<K: UnaryKernel>(k: &K, x: &Strided) -> Result<Storage> {
        unary(k, x).map(Storage::new)
    }

    #[inline]
    fn binary<K: BinaryKernel>(k: &K, a: &Strided, b: &Strided, shape: &[usize]) -> Result<Storage> {
        binary(k, a, b, shape).map(Storage::new)
    }

    #[inline]
    fn binary_assign<K: BinaryKernel>(k: &K, dst: &Strided, src: &Strided) -> Result<()> {
        binary_assign(k, dst, src)
    }

    #[inline]
    fn reduce<K: ReduceKernel>(k: &K, x: &Strided, dims: &[usize]) -> Result<Storage> {
        reduce_dims(k, x, dims).map(Storage::new)
    }

    fn compare(a: &Strided, b: &Strided, cmp: Comparison, shape: &[usize]) -> Result<Storage> {
        let flags = with_any_type!(a.dtype(), T => zip(a, b, shape, |x: T, y: T| cmp.test(x, y))?);
        Ok(Storage::new(bool::into_buffer(flags)))
    }

    fn select(cond: &Strided, a: &Strided, b: &Strided, shape: &[usize]) -> Result<Storage> {
        let buffer = with_any_type!(a.dtype(), T => T::into_buffer(zip3(cond, a, b, shape, |c: bool, u: T, v: T| if c { u } else { v })?));
        Ok(Storage::new(buffer))
    }

    fn matmul(a: &Strided, b: &Strided) -> Result<Storage> {
        matmul(a, b).map(Storage::new)
    }

    fn copy_strided(x: &Strided, dtype: DType) -> Result<Storage> {
        let buffer = if x.dtype() == dtype {
            with_any_type!(dtype, T => T::into_buffer(x.to_vec::<T>()?))
        } else {
            with_any_type!(x.dtype(), S => with_any_type!(dtype, D => D::into_buffer(cast::<S, D>(x)?)))
        };
        Ok(Storage::new(buffer))
    }

    fn take(x: &Strided, plan: &Plan) -> Result<Storage> {
        Ok(Storage::new(with_any_type!(x.dtype(), T => T::into_buffer(take::<T>(x, plan)?))))
    }

    fn gather(x: &Strided, dim: usize, index: &Strided) -> Result<Storage> {
        Ok(Storage::new(with_any_type!(x.dtype(), T => T::into_buffer(gather::<T>(x, dim, index)?))))
    }

    fn scatter(x: &Strided, dim: usize, index: &Strided, src: &Strided, accumulate: bool) -> Result<Storage> {
        Ok(Storage::new(with_any_type!(x.dtype(), T => {
            let mut values = x.to_vec::<T>()?;
            scatter::<T>(&mut values, x.shape(), dim, index, src, accumulate, add_elem)?;
            T::into_buffer(values)
        })))
    }

    fn im2col(x: &Strided, planes: Planes, window: &Window2d) -> Result<Storage> {
        let buffer = with_float_type!(x.dtype(), "im2col", T => T::into_buffer(with_slice::<T, _>(x, |x| im2col(x, planes, window))??));
        Ok(Storage::new(buffer))
    }

    fn col2im(x: &Strided, planes: Planes, window: &Window2d) -> Result<Storage> {
        let buffer = with_float_type!(x.dtype(), "col2im", T => T::into_buffer(with_slice::<T, _>(x, |x| col2im(x, planes, window))??));
        Ok(Storage::new(buffer))
    }

    fn max_pool(x: &Strided, planes: Planes, window: &Window2d) -> Result<(Storage, Storage)> {
        let (values, indices) = with_float_type!(x.dtype(), "max_pool2d", T => {
            let (v, i) = with_slice::<T, _>(x, |x| max_pool(x, planes, window))??;
            (T::into_buffer(v), i64::into_buffer(i))
        });
        Ok((Storage::new(values), Storage::new(indices)))
    }

    fn to_cpu(x: &Strided) -> Result<Storage> {
        Cpu::copy_strided(x, x.dtype())
    }

    fn from_cpu(x: &Strided, _device: Device) -> Result<Storage> {
        Cpu::copy_strided(x, x.dtype())
    }
}

/// `f` over `x`'s elements as one contiguous slice, copying only when the
/// layout is not already contiguous.
fn with_slice<T: Element, R>(x: &Strided, f: impl FnOnce(&[T]) -> R) -> Result<R> {
    if let Some(range) = x.layout().contiguous_range() {
        let buffer = x.storage().read()?;
        let data = T::slice(&buffer).ok_or(Error::DTypeMismatch { op: "kernel", lhs: x.dtype(), rhs: T::DTYPE })?;
        return Ok(f(&data[range]));
    }
    Ok(f(&x.to_vec::<T>()?))
}

fn refuse(op: &'static str, dtype: DType) -> Error {
    Error::NotImplementedForDType { op, dtype }
}

/// Runs a unary kernel over `x`, any layout, into a contiguous buffer of
/// `x`'s dtype.
fn unary<K: UnaryKernel>(k: &K, x: &Strided) -> Result<Buffer> {
    fn floats<T: FloatMath + Numeric, K: UnaryKernel>(k: &K, x: &Strided) -> Result<Buffer> {
        Ok(T::into_buffer(map::<T, T>(x, |v| k.float(v))?))
    }
    fn ints<T: Numeric, K: UnaryKernel>(k: &K, x: &Strided) -> Result<Buffer> {
        if K::ACCEPTS != Accepts::Numeric {
            return Err(refuse(K::NAME, x.dtype()));
        }
        Ok(T::into_buffer(map::<T, T>(x, |v| k.int(v))?))
    }
    if K::VECTOR {
        let done = match x.dtype() {
            DType::F32 => vectorised::map::<K, f32>(k, x).map(|r| r.map(f32::into_buffer)),
            DType::F64 => vectorised::map::<K, f64>(k, x).map(|r| r.map(f64::into_buffer)),
            _ => None,
        };
        if let Some(result) = done {
            return result;
        }
    }
    match x.dtype() {
        DType::F32 => floats::<f32, K>(k, x),
        DType::F64 => floats::<f64, K>(k, x),
        DType::I64 => ints::<i64, K>(k, x),
        DType::I32 => ints::<i32, K>(k, x),
        DType::I16 => ints::<i16, K>(k, x),
        DType::I8 => ints::<i8, K>(k, x),
        DType::U8 => ints::<u8, K>(k, x),
        other @ (DType::F16 | DType::BF16 | DType::Bool) => Err(refuse(K::NAME, other)),
    }
}

/// Runs a binary kernel over `a` and `b` (one dtype) broadcast to `shape`,
/// into a contiguous buffer of that dtype.
fn binary<K: BinaryKernel>(k: &K, a: &Strided, b: &Strided, shape: &[usize]) -> Result<Buffer> {
    fn floats<T: FloatMath + Numeric, K: BinaryKernel>(k: &K, a: &Strided, b: &Strided, shape: &[usize]) -> Result<Buffer> {
        Ok(T::into_buffer(zip::<T, T>(a, b, shape, |x, y| k.float(x, y))?))
    }
    fn ints<T: Numeric, K: BinaryKernel>(k: &K, a: &Strided, b: &Strided, shape: &[usize]) -> Result<Buffer> {
        if K::ACCEPTS != Accepts::Numeric {
            return Err(refuse(K::NAME, a.dtype()));
        }
        Ok(T::into_buffer(zip::<T, T>(a, b, shape, |x, y| k.int(x, y))?))
    }
    if a.dtype() != b.dtype() {
        return Err(Error::DTypeMismatch { op: K::NAME, lhs: a.dtype(), rhs: b.dtype() });
    }
    if K::VECTOR {
        let done = match a.dtype() {
            DType::F32 => vectorised::zip::<K, f32>(k, a, b, shape).map(|r| r.map(f32::into_buffer)),
            DType::F64 => vectorised::zip::<K, f64>(k, a, b, shape).map(|r| r.map(f64::into_buffer)),
            _ => None,
        };
        if let Some(result) = done {
            return result;
        }
    }
    match a.dtype() {
        DType::F32 => floats::<f32, K>(k, a, b, shape),
        DType::F64 => floats::<f64, K>(k, a, b, shape),
        DType::I64 => ints::<i64, K>(k, a, b, shape),
        DType::I32 => ints::<i32, K>(k, a, b, shape),
        DType::I16 => ints::<i16, K>(k, a, b, shape),
        DType::I8 => ints::<i8, K>(k, a, b, shape),
        DType::U8 => ints::<u8, K>(k, a, b, shape),
        other @ (DType::F16 | DType::BF16 | DType::Bool) => Err(refuse(K::NAME, other)),
    }
}

/// `dst = f(dst, src)` in place, `src` (of `dst`'s dtype) broadcast to
/// `dst`'s shape. The caller guarantees the two do not share storage.
fn binary_assign<K: BinaryKernel>(k: &K, dst: &Strided, src: &Strided) -> Result<()> {
    fn ints<T: Numeric, K: BinaryKernel>(k: &K, dst: &Strided, src: &Strided) -> Result<()> {
        if K::ACCEPTS != Accepts::Numeric {
            return Err(refuse(K::NAME, dst.dtype()));
        }
        zip_assign::<T>(dst, src, |x, y| k.int(x, y))
    }
    if K::VECTOR && src.dtype() == dst.dtype() {
        let done = match dst.dtype() {
            DType::F32 => vectorised::zip_assign::<K, f32>(k, dst, src),
            DType::F64 => vectorised::zip_assign::<K, f64>(k, dst, src),
            _ => None,
        };
        if let Some(result) = done {
            return result;
        }
    }
    match dst.dtype() {
        DType::F32 => zip_assign::<f32>(dst, src, |x, y| k.float(x, y)),
        DType::F64 => zip_assign::<f64>(dst, src, |x, y| k.float(x, y)),
        DType::I64 => ints::<i64, K>(k, dst, src),
        DType::I32 => ints::<i32, K>(k, dst, src),
        DType::I16 => ints::<i16, K>(k, dst, src),
        DType::I8 => ints::<i8, K>(k, dst, src),
        DType::U8 => ints::<u8, K>(k, dst, src),
        other @ (DType::F16 | DType::BF16 | DType::Bool) => Err(refuse(K::NAME, other)),
    }
}

/// Reduces `x` over `dims` (sorted, unique, in range) into a contiguous
/// buffer of `x`'s dtype, in output order.
fn reduce_dims<K: ReduceKernel>(k: &K, x: &Strided, dims: &[usize]) -> Result<Buffer> {
    fn floats<T: Float + Numeric, K: ReduceKernel>(k: &K, x: &Strided, dims: &[usize]) -> Result<Buffer> {
        let values = reduce::<T, f64>(x, dims, k.init(), |a, v| k.fold(a, v.to_f64()), |a, b| k.combine(a, b), T::from_f64)?;
        Ok(T::into_buffer(values))
    }
    fn ints<T: Numeric, K: ReduceKernel>(k: &K, x: &Strided, dims: &[usize]) -> Result<Buffer> {
        if K::ACCEPTS != Accepts::Numeric {
            return Err(refuse(K::NAME, x.dtype()));
        }
        let values = reduce::<T, i64>(x, dims, k.init(), |a, v| k.fold(a, v.to_i64()), |a, b| k.combine(a, b), T::from_i64)?;
        Ok(T::into_buffer(values))
    }
    // The sum of a whole contiguous float tensor: vector blocks, f64 total.
    if K::IS_SUM && dims.len() == x.ndim() {
        if let Some(range) = x.layout().contiguous_range() {
            let buffer = x.storage().read()?;
            if let Some(data) = f32::slice(&buffer) {
                return Ok(f32::into_buffer(vec![sum_all(&data[range]) as f32]));
            }
            if let Some(data) = f64::slice(&buffer) {
                return Ok(f64::into_buffer(vec![sum_all(&data[range])]));
            }
        }
    }
    // Partial sums of contiguous floats: vectorised runs, no index walk.
    if K::IS_SUM && dims.len() < x.ndim() {
        if let Some(range) = x.layout().contiguous_range() {
            let buffer = x.storage().read()?;
            if let Some(data) = f32::slice(&buffer) {
                return Ok(f32::into_buffer(sum_contiguous(&data[range], x.shape(), dims)?));
            }
            if let Some(data) = f64::slice(&buffer) {
                return Ok(f64::into_buffer(sum_contiguous(&data[range], x.shape(), dims)?));
            }
        }
    }
    match x.dtype() {
        DType::F32 => floats::<f32, K>(k, x, dims),
        DType::F64 => floats::<f64, K>(k, x, dims),
        DType::I64 => ints::<i64, K>(k, x, dims),
        DType::I32 => ints::<i32, K>(k, x, dims),
        DType::I16 => ints::<i16, K>(k, x, dims),
        DType::I8 => ints::<i8, K>(k, x, dims),
        DType::U8 => ints::<u8, K>(k, x, dims),
        other @ (DType::F16 | DType::BF16 | DType::Bool) => Err(refuse(K::NAME, other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::kernels::named::*;
    use crate::layout::Layout;

    fn strided<T: Element>(values: Vec<T>, shape: &[usize]) -> Strided {
        let layout = Layout::contiguous(shape).expect("layout");
        Strided::new(Storage::new(T::into_buffer(values)), layout, T::DTYPE).expect("strided")
    }

    /// The 2x3 values, stored as their 3x2 transpose and viewed transposed.
    fn transposed<T: Element>(values: &[T]) -> Strided {
        let (rows, cols) = (2, 3);
        let mut stored = Vec::new();
        for c in 0..cols {
            for r in 0..rows {
                stored.push(values[r * cols + c]);
            }
        }
        let s = strided(stored, &[cols, rows]);
        let layout = s.layout().transpose(0, 1);
        Strided::new(s.storage().clone(), layout, T::DTYPE).expect("view")
    }

    fn values<T: Element>(storage: Storage) -> Vec<T> {
        T::slice(&storage.read().expect("host read")).expect("dtype").to_vec()
    }

    fn same_f64(a: f64, b: f64) -> bool {
        a == b && a.is_sign_negative() == b.is_sign_negative() || a.is_nan() && b.is_nan()
    }

    fn check_unary_f64<K: UnaryKernel>(k: K, input: [f64; 6], formula: impl Fn(f64) -> f64) {
        let got = values::<f64>(transposed(&input).unary(&k).expect("f64"));
        for (x, y) in input.iter().zip(&got) {
            assert!(same_f64(*y, formula(*x)), "{} f64 {x}: {y}", K::NAME);
        }
        let input32: Vec<f32> = input.iter().map(|&v| v as f32).collect();
        let got = values::<f32>(transposed(&input32).unary(&k).expect("f32"));
        for (x, y) in input32.iter().zip(&got) {
            let want = formula(f64::from(*x)) as f32;
            assert!((y - want).abs() <= 1e-6 * want.abs().max(1.0) || (y.is_nan() && want.is_nan()), "{} f32 {x}: {y} vs {want}", K::NAME);
        }
    }

    #[test]
    fn float_unary_kernels_match_their_formulas() {
        let xs = [0.5, 1.0, 2.0, 3.5, 0.25, 9.0];
        let signed = [-2.0, -0.5, 0.0, 0.5, 1.5, 3.0];
        check_unary_f64(Exp, signed, f64::exp);
        check_unary_f64(Log, xs, f64::ln);
        check_unary_f64(Sqrt, xs, f64::sqrt);
        check_unary_f64(Tanh, signed, f64::tanh);
        check_unary_f64(Sigmoid, signed, |v| 1.0 / (1.0 + (-v).exp()));
        check_unary_f64(Reciprocal, xs, |v| 1.0 / v);
        check_unary_f64(PowByNumber(2.0), signed, |v| v * v);
        check_unary_f64(PowByNumber(-0.5), xs, |v| 1.0 / v.sqrt());
        check_unary_f64(PowByNumber(1.7), xs, |v| v.powf(1.7));
    }

    #[test]
    fn numeric_unary_kernels_match_their_formulas() {
        let xs = [-3.0, -0.0, 0.0, f64::NAN, 2.5, -1.0];
        check_unary_f64(Neg, xs, |v| -v);
        check_unary_f64(Relu, xs, |v| if v < 0.0 { 0.0 } else { v });
        check_unary_f64(Abs, xs, f64::abs);
        check_unary_f64(Sign, xs, |v| if v > 0.0 { 1.0 } else if v < 0.0 { -1.0 } else { 0.0 });
        let ints = [i64::MIN, -2, 0, 3, -1, 7];
        let run = |buffer| values::<i64>(buffer);
        assert_eq!(run(transposed(&ints).unary(&Neg).expect("neg")), [i64::MIN, 2, 0, -3, 1, -7]);
        assert_eq!(run(transposed(&ints).unary(&Abs).expect("abs")), [i64::MIN, 2, 0, 3, 1, 7]);
        assert_eq!(run(transposed(&ints).unary(&Relu).expect("relu")), [0, 0, 0, 3, 0, 7]);
        assert_eq!(run(transposed(&ints).unary(&Sign).expect("sign")), [-1, -1, 0, 1, -1, 1]);
    }

    #[test]
    fn binary_kernels_match_their_formulas() {
        let a = [1.5, -2.0, 3.0, 0.5, 4.0, -1.0];
        let b = [2.0, 0.5, -1.5, 4.0, 0.25, 3.0];
        let check = |storage: Storage, f: fn(f64, f64) -> f64| {
            let got = values::<f64>(storage);
            for i in 0..6 {
                assert!(same_f64(got[i], f(a[i], b[i])), "{i}: {}", got[i]);
            }
        };
        let (ta, tb) = (transposed(&a), strided(b.to_vec(), &[2, 3]));
        check(ta.binary(&Add, &tb, &[2, 3]).expect("add"), |x, y| x + y);
        check(ta.binary(&Sub, &tb, &[2, 3]).expect("sub"), |x, y| x - y);
        check(ta.binary(&Mul, &tb, &[2, 3]).expect("mul"), |x, y| x * y);
        check(ta.binary(&Div, &tb, &[2, 3]).expect("div"), |x, y| x / y);
        check(ta.binary(&TanhBackward, &tb, &[2, 3]).expect("tanh_backward"), |g, y| g * (1.0 - y * y));
        check(ta.binary(&ThresholdBackward, &tb, &[2, 3]).expect("threshold"), |g, y| if y <= 0.0 { 0.0 } else { g });
        let a32: Vec<f32> = a.iter().map(|&v| v as f32).collect();
        let b32 = vec![2.0f32];
        let got = values::<f32>(transposed(&a32).binary(&Mul, &strided(b32, &[1]), &[2, 3]).expect("broadcast"));
        assert_eq!(got, a32.iter().map(|v| v * 2.0).collect::<Vec<_>>());
        let ints = [2i64, -3, 0, 5, -1, 10];
        let exps = strided(vec![3i64, 2, 0, -1, -3, 2], &[2, 3]);
        assert_eq!(values::<i64>(transposed(&ints).binary(&Pow, &exps, &[2, 3]).expect("pow")), [8, 9, 1, 0, -1, 100]);
        assert_eq!(values::<i64>(transposed(&[i64::MAX, 0, 0, 0, 0, 0]).binary(&Add, &exps, &[2, 3]).expect("add")), [i64::MIN + 2, 2, 0, -1, -3, 2]);
    }

    #[test]
    fn binary_assign_updates_through_the_layout() {
        let dst = transposed(&[1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let src = strided(vec![10.0f64, 20.0, 30.0], &[3]);
        dst.binary_assign(&Sub, &src).expect("sub_");
        assert_eq!(dst.to_vec::<f64>().expect("read"), [-9.0, -18.0, -27.0, -6.0, -15.0, -24.0]);
        let ints = strided(vec![7i64, -8], &[2]);
        ints.binary_assign(&Mul, &strided(vec![3i64], &[1])).expect("mul_");
        assert_eq!(ints.to_vec::<i64>().expect("read"), [21, -24]);
        assert!(matches!(ints.binary_assign(&Div, &ints), Err(Error::NotImplementedForDType { op: "div", .. })));
    }

    #[test]
    fn sum_reduces_strided_input() {
        let x = transposed(&[1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(values::<f64>(x.reduce(&Sum, &[0, 1]).expect("all")), [21.0]);
        assert_eq!(values::<f64>(x.reduce(&Sum, &[1]).expect("rows")), [6.0, 15.0]);
        assert_eq!(values::<f64>(x.reduce(&Sum, &[0]).expect("cols")), [5.0, 7.0, 9.0]);
        // float32 accumulates in float64: each 1 added to 2^24 alone would round away.
        let x = strided(vec![16777216.0f32, 1.0, 1.0, 1.0, 1.0, 0.0], &[6]);
        assert_eq!(values::<f32>(x.reduce(&Sum, &[0]).expect("f32")), [16777220.0]);
        let x = transposed(&[i64::MAX, 1, 0, 0, 2, 3]);
        assert_eq!(values::<i64>(x.reduce(&Sum, &[1]).expect("i64")), [i64::MIN, 5]);
    }

    #[test]
    fn bad_dtypes_are_errors() {
        let ints = strided(vec![1i64, 2], &[2]);
        let bools = strided(vec![true, false], &[2]);
        let halves = strided(vec![half::f16::ONE; 2], &[2]);
        assert!(matches!(ints.unary(&Exp), Err(Error::NotImplementedForDType { op: "exp", dtype: DType::I64 })));
        assert!(matches!(bools.unary(&Neg), Err(Error::NotImplementedForDType { op: "neg", dtype: DType::Bool })));
        assert!(matches!(halves.unary(&Sqrt), Err(Error::NotImplementedForDType { .. })));
        assert!(matches!(ints.binary(&Div, &ints, &[2]), Err(Error::NotImplementedForDType { op: "div", .. })));
        assert!(matches!(bools.binary(&Add, &bools, &[2]), Err(Error::NotImplementedForDType { .. })));
        let floats = strided(vec![1.0f64, 2.0], &[2]);
        assert!(matches!(ints.binary(&Add, &floats, &[2]), Err(Error::DTypeMismatch { .. })));
        assert!(matches!(bools.reduce(&Sum, &[0]), Err(Error::NotImplementedForDType { op: "sum", .. })));
    }
}
