//! 2-D matrix products. Floats go to `matrixmultiply`, which reads any
//! strides, so transposed views (as in every matmul backward) cost no copy.

use crate::error::{Error, Result};
use crate::storage::{Buffer, Element};
use crate::tensor::Tensor;

/// C = A @ B for 2-D `a` (m x k) and `b` (k x n) of the same dtype; shapes are checked by the caller.
pub fn matmul_2d(a: &Tensor, b: &Tensor) -> Result<Buffer> {
    let (m, k, n) = (a.shape()[0], a.shape()[1], b.shape()[1]);
    let (ga, gb) = (a.storage().read(), b.storage().read());
    let (la, lb) = (a.layout(), b.layout());
    let (rsa, csa, rsb, csb) = (la.strides()[0], la.strides()[1], lb.strides()[0], lb.strides()[1]);
    match (&*ga, &*gb) {
        (Buffer::F32(da), Buffer::F32(db)) => {
            let mut c = vec![0f32; m * n];
            if m > 0 && n > 0 && k > 0 {
                // SAFETY: layouts were built by this crate and address in-bounds
                // elements of their buffers; `c` is m*n row-major.
                unsafe {
                    matrixmultiply::sgemm(m, k, n, 1.0, da.as_ptr().add(la.offset()), rsa, csa, db.as_ptr().add(lb.offset()), rsb, csb, 0.0, c.as_mut_ptr(), n as isize, 1);
                }
            }
            Ok(Buffer::F32(c.into()))
        }
        (Buffer::F64(da), Buffer::F64(db)) => {
            let mut c = vec![0f64; m * n];
            if m > 0 && n > 0 && k > 0 {
                // SAFETY: as above.
                unsafe {
                    matrixmultiply::dgemm(m, k, n, 1.0, da.as_ptr().add(la.offset()), rsa, csa, db.as_ptr().add(lb.offset()), rsb, csb, 0.0, c.as_mut_ptr(), n as isize, 1);
                }
            }
            Ok(Buffer::F64(c.into()))
        }
        (Buffer::I64(da), Buffer::I64(db)) => Ok(Buffer::I64(naive(da, la.offset(), rsa, csa, db, lb.offset(), rsb, csb, m, k, n).into())),
        _ => Err(Error::NotImplementedForDType { op: "addmm_impl_cpu_", dtype: a.dtype() }),
    }
}

#[allow(clippy::too_many_arguments)]
fn naive<T: Element + std::ops::Add<Output = T> + std::ops::Mul<Output = T>>(
    a: &[T], oa: usize, rsa: isize, csa: isize, b: &[T], ob: usize, rsb: isize, csb: isize, m: usize, k: usize, n: usize,
) -> Vec<T> {
    let at = |i: usize, j: usize| a[(oa as isize + i as isize * rsa + j as isize * csa) as usize];
    let bt = |i: usize, j: usize| b[(ob as isize + i as isize * rsb + j as isize * csb) as usize];
    let mut c = vec![T::default(); m * n];
    for i in 0..m {
        for p in 0..k {
            let x = at(i, p);
            for j in 0..n {
                c[i * n + j] = c[i * n + j] + x * bt(p, j);
            }
        }
    }
    c
}
