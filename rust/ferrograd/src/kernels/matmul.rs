//! Matrix products. Floats go to the packed GEMM in `gemm`, which reads
//! any strides, so transposed views (as in every matmul backward) cost no
//! copy. Batched products run one GEMM per batch entry over strided views.

use crate::error::{Error, Result, ShapeList};
use crate::storage::{vec_with_capacity, Buffer, Element, Numeric};
use std::mem::MaybeUninit;
use crate::with_numeric_type;
use crate::layout::Layout;
use crate::strided::Strided;
use super::gemm::{gemm, MatRef};
use rayon::prelude::*;

/// One strided matrix inside a buffer: element (i, j) is at `offset + i*rs + j*cs`.
#[derive(Copy, Clone)]
struct Matrix {
    offset: usize,
    rs: isize,
    cs: isize,
}

impl Matrix {
    /// The matrix inside the buffer starting at `base`.
    ///
    /// # Safety
    /// `offset` must lie inside that buffer.
    unsafe fn at<T>(self, base: *const T) -> MatRef<T> {
        // SAFETY: the caller guarantees the offset is inside the buffer.
        MatRef { ptr: unsafe { base.add(self.offset) }, rs: self.rs, cs: self.cs }
    }
}

/// Element types with a GEMM `c = a @ b` over strided matrices.
trait Gemm: Element {
    /// # Safety
    /// `m`, `k` and `n` are non-zero, every element of `a` (`m x k`) and `b`
    /// (`k x n`) addresses an element of its buffer, and `c` holds m*n.
    unsafe fn gemm(m: usize, k: usize, n: usize, a: *const Self, am: Matrix, b: *const Self, bm: Matrix, c: &mut [MaybeUninit<Self>], threaded: bool) -> Result<()>;
}

/// Floats take the packed SIMD GEMM.
macro_rules! float_gemm {
    ($($t:ty),*) => {$(
        impl Gemm for $t {
            // SAFETY: callers uphold `Gemm::gemm`'s contract: every element the shapes and strides name lies inside `a` / `b`, and `c` holds m*n elements.
            unsafe fn gemm(m: usize, k: usize, n: usize, a: *const $t, am: Matrix, b: *const $t, bm: Matrix, c: &mut [MaybeUninit<$t>], threaded: bool) -> Result<()> {
                // SAFETY: m, k, n > 0 (callers return early otherwise), so each offset is an element's, inside its buffer (the trait contract).
                let (a, b) = unsafe { (am.at(a), bm.at(b)) };
                // SAFETY: the trait contract bounds every (i, j) the shapes name inside `a` / `b`, and `c` holds m*n.
                unsafe { gemm(m, k, n, a, b, c, threaded) }
            }
        }
    )*};
}
float_gemm!(f32, f64);

/// Integer products wrap in the element type, as PyTorch's do.
macro_rules! int_gemm {
    ($($t:ty),*) => {$(
        impl Gemm for $t {
            // SAFETY: callers uphold `Gemm::gemm`'s contract, as for f32.
            unsafe fn gemm(m: usize, k: usize, n: usize, a: *const $t, am: Matrix, b: *const $t, bm: Matrix, c: &mut [MaybeUninit<$t>], _: bool) -> Result<()> {
                c.iter_mut().for_each(|x| {
                    x.write(0);
                });
                // SAFETY: every element was just initialised, and MaybeUninit<T> has T's layout.
                let c = unsafe { &mut *(c as *mut [MaybeUninit<$t>] as *mut [$t]) };
                // SAFETY: i < m, j < k (and p < k, j < n below) stay inside the matrices the trait contract says are in bounds.
                let at = |i: usize, j: usize| unsafe { *a.offset(am.offset as isize + i as isize * am.rs + j as isize * am.cs) };
                // SAFETY: as for `at`.
                let bt = |i: usize, j: usize| unsafe { *b.offset(bm.offset as isize + i as isize * bm.rs + j as isize * bm.cs) };
                for i in 0..m {
                    for p in 0..k {
                        let x = at(i, p);
                        for j in 0..n {
                            c[i * n + j] = c[i * n + j].add(x.mul(bt(p, j)));
                        }
                    }
                }
                Ok(())
            }
        }
    )*};
}
int_gemm!(i64, i32, i16, i8, u8);

/// Below this many multiply-adds per product, a batch of products is split
/// over threads by product rather than within each.
const BATCH_PARALLEL_MACS: usize = 1 << 20;

/// `batch` products of (m x k) @ (k x n); batch dim 0 of 3-D inputs, or none for 2-D.
fn batched<T: Gemm>(la: &Layout, lb: &Layout, da: &[T], db: &[T]) -> Result<Vec<T>> {
    // The raw-pointer product below relies on these; they are cheap to check.
    la.check_fits(da.len(), 1)?;
    lb.check_fits(db.len(), 1)?;
    let nd = la.ndim();
    if !(nd == 2 || nd == 3) || lb.ndim() != nd {
        return Err(Error::CountMismatch { expected: "matmul: expected two 2-D or two 3-D operands, but got ", lhs: nd, sep: "-D and ", rhs: lb.ndim(), tail: "-D" });
    }
    let (m, k, n) = (la.shape()[nd - 2], la.shape()[nd - 1], lb.shape()[nd - 1]);
    // Every (i, p) of A and (p, j) of B is read below: the shapes must agree.
    if nd == 3 && lb.shape()[..2] != [la.shape()[0], k] {
        return Err(Error::ShapesDiffer { expected: "Expected size for first two dimensions of batch2 tensor to be: ", lhs: ShapeList(vec![la.shape()[0], k]), sep: " but got: ", rhs: ShapeList(lb.shape()[..2].to_vec()), tail: "." });
    }
    if lb.shape()[nd - 2] != k {
        return Err(Error::MatmulShape { m, k1: k, k2: lb.shape()[nd - 2], n });
    }
    let batch = if nd == 3 { la.shape()[0] } else { 1 };
    let total = batch.checked_mul(m).and_then(|x| x.checked_mul(n)).ok_or_else(|| Error::runtime("matmul: the output has more elements than memory can address"))?;
    let mut c = vec_with_capacity::<T>(total)?;
    if m == 0 || n == 0 {
        return Ok(c);
    }
    if k == 0 || batch == 0 {
        // Nothing to read: an empty operand's offset and strides need not
        // lie inside its buffer, so no pointer is formed from them.
        c.resize(total, T::default());
        return Ok(c);
    }
    let matrix = |l: &Layout, i: usize| {
        let step = if nd == 3 { i as isize * l.strides()[0] } else { 0 };
        Matrix { offset: (l.offset() as isize + step) as usize, rs: l.strides()[nd - 2], cs: l.strides()[nd - 1] }
    };
    // Many small products (attention heads): one thread per product.
    let macs = m.saturating_mul(n).saturating_mul(k);
    let batch_parallel = batch > 1 && macs < BATCH_PARALLEL_MACS && batch.saturating_mul(macs) >= BATCH_PARALLEL_MACS;
    let one = |(i, out): (usize, &mut [MaybeUninit<T>])| -> Result<()> {
        // SAFETY: `la` and `lb` were checked above to address only elements of `da` and `db` and to agree on k (and the batch), and m, k, n > 0, so each (i, j) of both matrices lies inside them.
        unsafe { T::gemm(m, k, n, da.as_ptr(), matrix(la, i), db.as_ptr(), matrix(lb, i), out, !batch_parallel) }
    };
    // Each product writes every element of its chunk, so C is not zeroed first.
    let out = &mut c.spare_capacity_mut()[..total];
    if batch_parallel {
        crate::threads::parallel(|| out.par_chunks_mut(m * n).enumerate().try_for_each(one))?;
    } else {
        out.chunks_mut(m * n).enumerate().try_for_each(one)?;
    }
    // SAFETY: the capacity is at least `total`, and every product succeeded, so each of its m*n elements was written.
    unsafe { c.set_len(total) };
    Ok(c)
}

/// C = A @ B for 2-D (m x k, k x n) or 3-D (batch x m x k, batch x k x n) inputs of
/// one dtype; shapes are checked by the caller.
pub fn matmul(a: &Strided, b: &Strided) -> Result<Buffer> {
    const OP: &str = "addmm_impl_cpu_";
    let unsupported = Error::NotImplementedForDType { op: OP, dtype: a.dtype() };
    let (a_data, b_data) = (a, b);
    let (ga, gb) = (a_data.storage().read()?, b_data.storage().read()?);
    Ok(with_numeric_type!(a_data.dtype(), OP, T => {
        let (Some(da), Some(db)) = (T::slice(&ga), T::slice(&gb)) else { return Err(unsupported) };
        T::into_buffer(batched(a_data.layout(), b_data.layout(), da, db)?)
    }))
}
