//! Matrix products. Floats go to `matrixmultiply`, which reads any strides,
//! so transposed views (as in every matmul backward) cost no copy. Batched
//! products run one GEMM per batch entry over strided views.

use crate::error::{Error, Result};
use crate::storage::{filled_vec, Buffer, Element, Numeric};
use crate::with_numeric_type;
use crate::layout::Layout;
use crate::strided::Strided;

/// One strided matrix inside a buffer: element (i, j) is at `offset + i*rs + j*cs`.
#[derive(Copy, Clone)]
struct Matrix {
    offset: usize,
    rs: isize,
    cs: isize,
}

/// Element types with a GEMM `c = a @ b` over strided matrices.
trait Gemm: Element {
    /// # Safety
    /// `a`, `b` must address in-bounds elements for the given shapes; `c` holds m*n.
    unsafe fn gemm(m: usize, k: usize, n: usize, a: *const Self, am: Matrix, b: *const Self, bm: Matrix, c: &mut [Self]);
}

impl Gemm for f32 {
    // SAFETY: callers uphold `Gemm::gemm`'s contract: every element the shapes and strides name lies inside `a` / `b`, and `c` holds m*n elements.
    unsafe fn gemm(m: usize, k: usize, n: usize, a: *const f32, am: Matrix, b: *const f32, bm: Matrix, c: &mut [f32]) {
        // SAFETY: the caller guarantees (trait contract) that every (i, j) the shapes and strides name is in bounds of `a` / `b`, and `c` holds m*n.
        unsafe { matrixmultiply::sgemm(m, k, n, 1.0, a.add(am.offset), am.rs, am.cs, b.add(bm.offset), bm.rs, bm.cs, 0.0, c.as_mut_ptr(), n as isize, 1) }
    }
}

impl Gemm for f64 {
    // SAFETY: callers uphold `Gemm::gemm`'s contract, as for f32.
    unsafe fn gemm(m: usize, k: usize, n: usize, a: *const f64, am: Matrix, b: *const f64, bm: Matrix, c: &mut [f64]) {
        // SAFETY: as for f32 above: the trait contract bounds every access.
        unsafe { matrixmultiply::dgemm(m, k, n, 1.0, a.add(am.offset), am.rs, am.cs, b.add(bm.offset), bm.rs, bm.cs, 0.0, c.as_mut_ptr(), n as isize, 1) }
    }
}

/// Integer products wrap in the element type, as PyTorch's do.
macro_rules! int_gemm {
    ($($t:ty),*) => {$(
        impl Gemm for $t {
            // SAFETY: callers uphold `Gemm::gemm`'s contract, as for f32.
            unsafe fn gemm(m: usize, k: usize, n: usize, a: *const $t, am: Matrix, b: *const $t, bm: Matrix, c: &mut [$t]) {
                // SAFETY: i < m, j < k (and p < k, j < n below) stay inside the matrices the trait contract says are in bounds.
                let at = |i: usize, j: usize| unsafe { *a.offset(am.offset as isize + i as isize * am.rs + j as isize * am.cs) };
                // SAFETY: as for `at`.
                let bt = |i: usize, j: usize| unsafe { *b.offset(bm.offset as isize + i as isize * bm.rs + j as isize * bm.cs) };
                c.fill(0);
                for i in 0..m {
                    for p in 0..k {
                        let x = at(i, p);
                        for j in 0..n {
                            c[i * n + j] = c[i * n + j].add(x.mul(bt(p, j)));
                        }
                    }
                }
            }
        }
    )*};
}
int_gemm!(i64, i32, i16, i8, u8);

/// `batch` products of (m x k) @ (k x n); batch dim 0 of 3-D inputs, or none for 2-D.
fn batched<T: Gemm>(la: &Layout, lb: &Layout, da: &[T], db: &[T]) -> Result<Vec<T>> {
    // The raw-pointer product below relies on these; they are cheap to check.
    la.check_fits(da.len(), 1)?;
    lb.check_fits(db.len(), 1)?;
    let nd = la.ndim();
    let (m, k, n) = (la.shape()[nd - 2], la.shape()[nd - 1], lb.shape()[nd - 1]);
    let batch = if nd == 3 { la.shape()[0] } else { 1 };
    let mut c = filled_vec(batch * m * n, T::default())?;
    if m == 0 || n == 0 {
        return Ok(c);
    }
    for i in 0..batch {
        let step = |l: &crate::layout::Layout| if nd == 3 { i as isize * l.strides()[0] } else { 0 };
        let am = Matrix { offset: (la.offset() as isize + step(la)) as usize, rs: la.strides()[nd - 2], cs: la.strides()[nd - 1] };
        let bm = Matrix { offset: (lb.offset() as isize + step(lb)) as usize, rs: lb.strides()[nd - 2], cs: lb.strides()[nd - 1] };
        let out = &mut c[i * m * n..(i + 1) * m * n];
        if k == 0 {
            continue;
        }
        // SAFETY: `la` and `lb` were checked above to address only elements of `da` and `db`, so each (i, j) of both matrices lies inside them.
        unsafe { T::gemm(m, k, n, da.as_ptr(), am, db.as_ptr(), bm, out) };
    }
    Ok(c)
}

/// C = A @ B for 2-D (m x k, k x n) or 3-D (batch x m x k, batch x k x n) inputs of
/// one dtype; shapes are checked by the caller.
pub fn matmul(a: &Strided, b: &Strided) -> Result<Buffer> {
    const OP: &str = "addmm_impl_cpu_";
    let unsupported = Error::NotImplementedForDType { op: OP, dtype: a.dtype() };
    let (a_data, b_data) = (a, b);
    let (ga, gb) = (a_data.storage().read(), b_data.storage().read());
    Ok(with_numeric_type!(a_data.dtype(), OP, T => {
        let (Some(da), Some(db)) = (T::slice(&ga), T::slice(&gb)) else { return Err(unsupported) };
        T::into_buffer(batched(a_data.layout(), b_data.layout(), da, db)?)
    }))
}
