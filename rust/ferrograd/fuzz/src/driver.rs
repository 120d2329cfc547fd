//! Turns fuzzer bytes into calls on ferrograd's shape, view, indexing,
//! broadcasting and matmul API, runs each call on the real core and on the
//! naive model in `reference.rs`, and panics (which the fuzzer and proptest
//! report as a failure) when they disagree.
//!
//! The contract checked for every call:
//! * if the model accepts the arguments, the core returns `Ok` with the same
//!   shape and the same values;
//! * if the model rejects them, the core returns `Err`;
//! * the core never panics or aborts, whatever the sizes.
//!
//! Shared by the fuzz targets and by `tests/prop_*.rs` (included by path).

#![allow(dead_code)]

use crate::reference::{self, broadcast_shapes, checked_numel, overflow_hidden_by_zero, RefResult, RefView};
use ferrograd::{DType, Tensor};

/// Views up to this many elements are read back in full; larger ones only
/// by sampling a few elements.
pub const READ_LIMIT: usize = 4096;

/// Ops that allocate their result run only below `READ_LIMIT` elements, or at
/// or above this many, where no allocator can succeed (2^48 elements is at
/// least 2^48 bytes): there the only correct answer is an `Err`. Sizes in
/// between could really allocate gigabytes, so they are left alone.
pub const HOPELESS_NUMEL: usize = 1 << 48;

/// Whether an allocation that cannot succeed returns `Err`. Today it aborts
/// the process instead, e.g.
/// `Tensor::from_vec(vec![1i64], &[1]).unwrap().expand_sizes(&[1 << 50]).unwrap().contiguous()`
/// aborts with "memory allocation of 9007199254740992 bytes failed" (PyTorch
/// raises RuntimeError "not enough memory"). Turn this on once that returns
/// `Err`, or set FERROGRAD_FUZZ_HUGE_ALLOC=1 to try.
const HUGE_ALLOCATIONS_RETURN_ERR: bool = true;

/// Whether the known overflow bugs are fixed; each guarded case names its
/// reproduction. One: shapes with a zero size whose other sizes overflow
/// int64 (numel 0, e.g. `[2^62, 2, 0]`). Today the numel and stride computations
/// overflow: `Tensor::from_vec(Vec::<i64>::new(), &[0]).unwrap().reshape(&[1 << 62, 2, 0])`
/// panics with "attempt to multiply with overflow" in
/// `layout::contiguous_strides` (PyTorch returns an empty tensor of that
/// shape). Turn this on once that is fixed, or set
/// FERROGRAD_FUZZ_OVERFLOW=1 to try.
const KNOWN_OVERFLOW_BUGS_FIXED: bool = true;

fn check_known_overflow_bugs() -> bool {
    KNOWN_OVERFLOW_BUGS_FIXED || std::env::var_os("FERROGRAD_FUZZ_OVERFLOW").is_some()
}

fn check_huge_allocations() -> bool {
    HUGE_ALLOCATIONS_RETURN_ERR || std::env::var_os("FERROGRAD_FUZZ_HUGE_ALLOC").is_some()
}

// ---- reading the input ------------------------------------------------

/// A cursor over the fuzzer's bytes; reads past the end yield zeros, so every
/// input decodes to some program.
pub struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
    /// Whether sizes and indices may be hostile (huge, negative, overflowing).
    pub hostile: bool,
}

const HOSTILE_SIZES: [usize; 6] = [1 << 31, 1 << 32, 1 << 48, 1 << 62, i64::MAX as usize, 1 << 63];
const HOSTILE_INTS: [i64; 8] = [i64::MIN, i64::MIN + 1, -(1 << 62), -(1 << 32), 1 << 32, 1 << 48, 1 << 62, i64::MAX];

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8], hostile: bool) -> Self {
        Bytes { data, pos: 0, hostile }
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.u8() as usize % n.max(1)
    }

    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }

    /// A dim size: mostly 0..=4, in hostile mode sometimes huge.
    pub fn size(&mut self) -> usize {
        let b = self.u8();
        if self.hostile && b >= 240 {
            return HOSTILE_SIZES[b as usize % HOSTILE_SIZES.len()];
        }
        b as usize % 5
    }

    /// A size argument as callers pass it (may be -1 or negative).
    pub fn size_arg(&mut self) -> i64 {
        let b = self.u8();
        match b {
            0..=199 => (b % 5) as i64,
            200..=229 => -1,
            _ if self.hostile => HOSTILE_INTS[b as usize % HOSTILE_INTS.len()],
            _ => (b % 7) as i64 - 2,
        }
    }

    /// A dim argument, sometimes out of range.
    pub fn dim(&mut self) -> i64 {
        (self.u8() % 11) as i64 - 5
    }

    /// An index or start/end argument around `0..=size`.
    pub fn int_near(&mut self, size: usize) -> i64 {
        let b = self.u8();
        if self.hostile && b >= 240 {
            return HOSTILE_INTS[b as usize % HOSTILE_INTS.len()];
        }
        let span = (size as i64).saturating_mul(2).saturating_add(3).min(250);
        (b as i64 % span) - (size as i64).min(125) - 1
    }
}

// ---- building tensors ---------------------------------------------------

/// Element `i` of every base tensor holds the value `i`, so a view's values
/// name the base elements it reads.
pub fn base_tensor(shape: &[usize], dtype: DType) -> Tensor {
    let n: usize = shape.iter().product();
    let t = match dtype {
        DType::F32 => Tensor::from_vec((0..n).map(|i| i as f32).collect::<Vec<_>>(), shape),
        DType::F64 => Tensor::from_vec((0..n).map(|i| i as f64).collect::<Vec<_>>(), shape),
        _ => Tensor::from_vec((0..n).map(|i| i as i64).collect::<Vec<_>>(), shape),
    };
    t.expect("a small base tensor")
}

/// A small base tensor (at most 4 dims of size ≤ 4) and its model.
pub fn small_base(b: &mut Bytes) -> (Tensor, RefView) {
    let ndim = b.below(5);
    let shape: Vec<usize> = (0..ndim).map(|_| b.u8() as usize % 5).collect();
    let dtype = [DType::I64, DType::F32, DType::F64][b.below(3)];
    (base_tensor(&shape, dtype), RefView::base(&shape).expect("at most 4 dims of size at most 4: the numel fits"))
}

/// The values of `t` as i64 (every dtype used here holds integers exactly).
pub fn values_i64(t: &Tensor) -> Vec<i64> {
    let t = t.cast(DType::F64).expect("cast to f64");
    t.to_vec::<f64>().expect("to_vec").into_iter().map(|v| v as i64).collect()
}

pub fn values_f64(t: &Tensor) -> Vec<f64> {
    t.cast(DType::F64).expect("cast to f64").to_vec::<f64>().expect("to_vec")
}

/// Panics unless `t` has the model's shape and reads the model's elements.
/// Large views are checked at a few elements picked from the input.
pub fn check_view(t: &Tensor, r: &RefView, what: &str, b: &mut Bytes) {
    assert_eq!(t.shape(), &r.shape[..], "{what}: shape");
    assert_eq!(Some(t.numel()), checked_numel(&r.shape), "{what}: numel");
    let n = r.numel();
    if n <= READ_LIMIT {
        let got = values_i64(t);
        let want: Vec<i64> = r.indices().into_iter().map(|i| i as i64).collect();
        assert_eq!(got, want, "{what}: values of a {:?} view", r.shape);
        return;
    }
    for _ in 0..3 {
        let idx: Vec<usize> = r.shape.iter().map(|&s| (b.u8() as usize * 7919 + s / 3) % s).collect();
        let mut e = t.clone();
        for &i in &idx {
            e = e.select(0, i as i64).unwrap_or_else(|err| panic!("{what}: select {i} of {:?}: {err}", e.shape()));
        }
        let got = values_i64(&e)[0];
        assert_eq!(got, r.at(&idx) as i64, "{what}: element {idx:?} of a {:?} view", r.shape);
    }
}

/// Compares a core result with the model's verdict: both `Err`, or both `Ok`
/// and equal. `lenient` accepts a core `Err` where the model says `Ok` (for
/// calls such as `view` that PyTorch may refuse depending on strides).
pub fn agree(core: ferrograd::Result<Tensor>, model: RefResult<RefView>, what: &str, lenient: bool, b: &mut Bytes) -> Option<(Tensor, RefView)> {
    match (core, model) {
        (Ok(t), Ok(r)) => {
            check_view(&t, &r, what, b);
            Some((t, r))
        }
        (Err(_), Err(_)) => None,
        (Err(_), Ok(_)) if lenient => None,
        (Err(e), Ok(r)) => panic!("{what}: core refused ({e}) but the result is defined, shape {:?}", r.shape),
        (Ok(t), Err(why)) => panic!("{what}: core returned shape {:?} but PyTorch refuses: {why}", t.shape()),
    }
}

fn numel_allows_copy(numel: usize) -> bool {
    numel <= READ_LIMIT || (numel >= HOPELESS_NUMEL && check_huge_allocations())
}

/// An empty tensor with a huge dim, such as shape [0, 2^34]. Known: some
/// kernels allocate per-dim tables of the huge size and abort, e.g.
/// `Tensor::from_vec(Vec::<i64>::new(), &[0, 1]).unwrap().expand_sizes(&[0, 1 << 34]).unwrap()
///  .index(&[Some(Tensor::from_vec(Vec::<bool>::new(), &[0]).unwrap())])`
/// aborts with "memory allocation of 137438953472 bytes failed" in
/// kernels::indexed::offsets. Such tensors are skipped until that is fixed.
fn empty_with_huge_dim(r: &RefView) -> bool {
    r.shape.iter().any(|&s| s > READ_LIMIT) && !check_huge_allocations()
}

/// Size arguments as a shape (negatives as 0), for `overflow_hidden_by_zero`.
fn as_sizes(sizes: &[i64]) -> Vec<usize> {
    sizes.iter().map(|&s| s.max(0) as usize).collect()
}

fn sizes_arg(b: &mut Bytes) -> Vec<i64> {
    let n = b.below(6);
    (0..n).map(|_| b.size_arg()).collect()
}

fn dims_arg(b: &mut Bytes, ndim: usize) -> Vec<i64> {
    let n = if b.below(4) == 0 { b.below(6) } else { ndim };
    (0..n).map(|_| b.dim()).collect()
}

/// Applies one view op decoded from `b` to `t` and its model. Returns the new
/// pair, or `None` when the op (rightly) failed.
pub fn view_step(t: &Tensor, r: &RefView, b: &mut Bytes) -> Option<(Tensor, RefView)> {
    let big = r.numel() > READ_LIMIT || empty_with_huge_dim(r);
    match b.below(15) {
        0 => {
            let sizes = sizes_arg(b);
            let what = format!("{:?}.reshape({sizes:?})", r.shape);
            let model = r.reshape(&sizes);
            if overflow_hidden_by_zero(&as_sizes(&sizes)) {
                // PyTorch's answer varies here; only the absence of a panic is checked.
                return check_known_overflow_bugs().then(|| t.reshape(&sizes).ok().zip(model.ok())).flatten();
            }
            // reshape copies when no view fits; only do that when it is cheap.
            if big && !numel_allows_copy(r.numel()) {
                return agree(t.view(&sizes), model, &format!("{:?}.view({sizes:?})", r.shape), true, b);
            }
            agree(t.reshape(&sizes), model, &what, false, b)
        }
        1 => {
            let sizes = sizes_arg(b);
            let model = r.reshape(&sizes);
            if overflow_hidden_by_zero(&as_sizes(&sizes)) {
                if check_known_overflow_bugs() {
                    let _ = t.view(&sizes);
                }
                return None;
            }
            agree(t.view(&sizes), model, &format!("{:?}.view({sizes:?})", r.shape), true, b)
        }
        2 => {
            let sizes: Vec<i64> = (0..b.below(6)).map(|_| b.size_arg()).collect();
            let sizes: Vec<i64> = sizes.into_iter().map(|s| if s >= 0 && b.bool() { b.size() as i64 } else { s }).collect();
            if overflow_hidden_by_zero(&as_sizes(&sizes)) {
                if check_known_overflow_bugs() {
                    let _ = t.expand_sizes(&sizes);
                }
                return None;
            }
            let model = r.expand(&sizes);
            if model.as_ref().err() == Some(&"expand: numel overflows int64") && !check_known_overflow_bugs() {
                // Known: expand to a numel past int64 is accepted, e.g.
                // Tensor::from_vec(vec![0i64], &[]).unwrap().expand_sizes(&[1 << 62, 1, 2]) returns Ok
                // (PyTorch: RuntimeError "numel: integer multiplication overflow").
                return None;
            }
            agree(t.expand_sizes(&sizes), model, &format!("{:?}.expand({sizes:?})", r.shape), false, b)
        }
        3 => {
            let dims = dims_arg(b, r.ndim());
            agree(t.permute(&dims), r.permute(&dims), &format!("{:?}.permute({dims:?})", r.shape), false, b)
        }
        4 => {
            let (d0, d1) = (b.dim(), b.dim());
            agree(t.transpose(d0, d1), r.transpose(d0, d1), &format!("{:?}.transpose({d0}, {d1})", r.shape), false, b)
        }
        5 => {
            let dim = b.dim();
            let size = wrap(dim, r).map_or(3, |d| r.shape[d]);
            let start = b.bool().then(|| b.int_near(size));
            let end = b.bool().then(|| b.int_near(size));
            let step = if b.below(8) == 0 { b.int_near(2) } else { 1 + b.below(3) as i64 };
            let what = format!("{:?}.slice({dim}, {start:?}, {end:?}, {step})", r.shape);
            agree(t.slice(dim, start, end, step), r.slice(dim, start, end, step), &what, false, b)
        }
        6 => {
            let dim = b.dim();
            let size = wrap(dim, r).map_or(3, |d| r.shape[d]);
            let (start, len) = (b.int_near(size), b.int_near(size));
            let what = format!("{:?}.narrow({dim}, {start}, {len})", r.shape);
            agree(t.narrow(dim, start, len), r.narrow(dim, start, len), &what, false, b)
        }
        7 => {
            let dim = b.dim();
            let size = wrap(dim, r).map_or(3, |d| r.shape[d]);
            let index = b.int_near(size);
            agree(t.select(dim, index), r.select(dim, index), &format!("{:?}.select({dim}, {index})", r.shape), false, b)
        }
        8 => {
            let dim = b.dim();
            agree(t.unsqueeze(dim), r.unsqueeze(dim), &format!("{:?}.unsqueeze({dim})", r.shape), false, b)
        }
        9 => {
            let dim = b.dim();
            agree(t.squeeze(Some(dim)), r.squeeze(dim), &format!("{:?}.squeeze({dim})", r.shape), false, b)
        }
        10 => {
            let nd = b.below(3);
            let dims = dims_arg(b, nd);
            if !numel_allows_copy(r.numel()) || (r.numel() == 0 && empty_with_huge_dim(r)) {
                return Some((t.clone(), r.clone()));
            }
            let what = format!("{:?}.flip({dims:?})", r.shape);
            if big {
                return expect_err(t.flip(&dims), &what);
            }
            agree(t.flip(&dims), r.flip(&dims), &what, false, b)
        }
        11 => {
            if !numel_allows_copy(r.numel()) || (r.numel() == 0 && empty_with_huge_dim(r)) {
                return Some((t.clone(), r.clone()));
            }
            let what = format!("{:?}.contiguous()", r.shape);
            if big {
                return expect_err(t.contiguous(), &what);
            }
            agree(t.contiguous(), Ok(r.clone()), &what, false, b)
        }
        12 => agree(t.t(), r.t(), &format!("{:?}.t()", r.shape), false, b),
        13 => {
            let (s, e) = (b.dim(), b.dim());
            let what = format!("{:?}.flatten({s}, {e})", r.shape);
            if big {
                // flatten may copy; keep to view-only checks on large inputs.
                return None;
            }
            agree(t.flatten(s, e), r.flatten(s, e), &what, false, b)
        }
        _ => {
            let (off, d1, d2) = (b.int_near(3), b.dim(), b.dim());
            let what = format!("{:?}.diagonal({off}, {d1}, {d2})", r.shape);
            agree(t.diagonal(off, d1, d2), r.diagonal(off, d1, d2), &what, false, b)
        }
    }
}

/// A copy of a tensor no machine can hold must be refused, not attempted.
fn expect_err(result: ferrograd::Result<Tensor>, what: &str) -> Option<(Tensor, RefView)> {
    if let Ok(t) = result {
        panic!("{what}: returned a tensor of shape {:?} that cannot have been allocated", t.shape());
    }
    None
}

fn wrap(dim: i64, r: &RefView) -> Option<usize> {
    reference::wrap_dim(dim, r.ndim()).ok().filter(|_| r.ndim() > 0)
}

/// Sum over everything and over random dims, compared with the model.
pub fn check_reductions(t: &Tensor, r: &RefView, b: &mut Bytes) {
    // An empty tensor with a huge dim can reduce to a huge (real) output,
    // whose allocation the model would have to make too.
    if r.numel() > READ_LIMIT || r.shape.iter().any(|&s| s > READ_LIMIT) {
        return;
    }
    let values: Vec<i64> = r.indices().into_iter().map(|i| i as i64).collect();
    let total = t.sum().unwrap_or_else(|e| panic!("{:?}.sum(): {e}", r.shape));
    assert_eq!(values_i64(&total), vec![values.iter().sum::<i64>()], "{:?}.sum()", r.shape);
    let nd = b.below(3);
            let dims = dims_arg(b, nd);
    let keepdim = b.bool();
    let what = format!("{:?}.sum({dims:?}, keepdim={keepdim})", r.shape);
    match (t.sum_dims(&dims, keepdim), r.sum_dims(&values, &dims, keepdim)) {
        (Ok(s), Ok((shape, sums))) => {
            assert_eq!(s.shape(), &shape[..], "{what}: shape");
            assert_eq!(values_i64(&s), sums, "{what}: values");
        }
        (Err(_), Err(_)) => {}
        (Ok(s), Err(why)) => panic!("{what}: returned shape {:?} but PyTorch refuses: {why}", s.shape()),
        (Err(e), Ok(_)) => panic!("{what}: refused: {e}"),
    }
}

/// Fuzz family (a): a base tensor, a chain of view ops, then reductions.
pub fn run_views(data: &[u8], hostile: bool) {
    let mut b = Bytes::new(data, hostile);
    let (mut t, mut r) = small_base(&mut b);
    for _ in 0..8 {
        if b.is_empty() {
            break;
        }
        match view_step(&t, &r, &mut b) {
            Some((t2, r2)) => (t, r) = (t2, r2),
            None => continue,
        }
    }
    check_reductions(&t, &r, &mut b);
}

// ---- family (b): indexing ----------------------------------------------

fn index_tensor(b: &mut Bytes, shape: &[usize], bound: usize) -> (Tensor, Vec<i64>) {
    let n: usize = shape.iter().product();
    let values: Vec<i64> = (0..n).map(|_| b.int_near(bound)).collect();
    (Tensor::from_vec(values.clone(), shape).expect("`values` holds exactly the shape's elements"), values)
}

fn small_shape(b: &mut Bytes, max_ndim: usize) -> Vec<usize> {
    let nd = b.below(max_ndim + 1);
    (0..nd).map(|_| b.u8() as usize % 4).collect()
}

/// In range for ops that accept only `0..size`.
fn in_range(v: i64, size: usize) -> bool {
    v >= 0 && (v as u64) < size as u64
}

/// In range for ops that wrap negative indices (`-size..size`).
fn in_range_wrapping(v: i64, size: usize) -> bool {
    let s = size as i128;
    (v as i128) >= -s && (v as i128) < s
}

fn wrapped(v: i64, size: usize) -> usize {
    if v < 0 {
        (v as i128 + size as i128) as usize
    } else {
        v as usize
    }
}

/// Fuzz family (b): index_select, gather, scatter_add, advanced indexing with
/// integer tensors and boolean masks, masked_select, against the model.
pub fn run_indexing(data: &[u8], hostile: bool) {
    let mut b = Bytes::new(data, hostile);
    let (mut t, mut r) = small_base(&mut b);
    // A couple of view steps so the indexed tensor has odd strides.
    for _ in 0..b.below(3) {
        if r.numel() > READ_LIMIT {
            break;
        }
        if let Some((t2, r2)) = view_step(&t, &r, &mut b) {
            (t, r) = (t2, r2);
        }
    }
    if r.numel() > READ_LIMIT || empty_with_huge_dim(&r) {
        return;
    }
    let values: Vec<i64> = r.indices().into_iter().map(|i| i as i64).collect();
    let at = |idx: &[usize]| values[reference::ravel(idx, &r.shape)];
    match b.below(6) {
        0 => index_select_case(&t, &r, &at, &mut b),
        1 => gather_case(&t, &r, &at, &mut b),
        2 => scatter_add_case(&t, &r, &at, &mut b),
        3 => advanced_int_case(&t, &r, &at, &mut b),
        4 => advanced_mask_case(&t, &r, &at, &mut b),
        _ => masked_select_case(&t, &r, &at, &mut b),
    }
}

fn index_select_case(t: &Tensor, r: &RefView, at: &dyn Fn(&[usize]) -> i64, b: &mut Bytes) {
    let dim = b.dim();
    let size = wrap(dim, r).map_or(1, |d| r.shape[d]);
    let idx_shape = if b.below(4) == 0 { vec![] } else { vec![b.below(5)] };
    let (index, idx) = index_tensor(b, &idx_shape, size);
    let what = format!("{:?}.index_select({dim}, {idx:?})", r.shape);
    let result = t.index_select(dim, &index);
    let Ok(d) = reference::wrap_dim(dim, r.ndim()) else {
        assert!(result.is_err(), "{what}: dim out of range accepted");
        return;
    };
    if r.ndim() == 0 {
        // A 0-d tensor takes exactly one index, and it must be 0.
        let ok = idx == [0];
        assert_eq!(result.is_ok(), ok, "{what}: 0-d tensor");
        return;
    }
    if !idx.iter().all(|&v| in_range(v, r.shape[d])) {
        assert!(result.is_err(), "{what}: out-of-range index accepted: {:?}", result.map(|t| t.shape().to_vec()));
        return;
    }
    let out = result.unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut shape = r.shape.clone();
    shape[d] = idx.len();
    assert_eq!(out.shape(), &shape[..], "{what}: shape");
    let mut want = Vec::new();
    reference::for_each_index(&shape, |o| {
        let mut src = o.to_vec();
        src[d] = idx[o[d]] as usize;
        want.push(at(&src));
    });
    assert_eq!(values_i64(&out), want, "{what}: values");
}

fn gather_case(t: &Tensor, r: &RefView, at: &dyn Fn(&[usize]) -> i64, b: &mut Bytes) {
    let dim = b.dim();
    let size = wrap(dim, r).map_or(1, |d| r.shape[d]);
    let idx_shape: Vec<usize> = if b.below(4) == 0 { small_shape(b, 4) } else { r.shape.iter().map(|&s| b.below(s + 2)).collect() };
    let (index, idx) = index_tensor(b, &idx_shape, size);
    let what = format!("{:?}.gather({dim}, index{idx_shape:?}={idx:?})", r.shape);
    let result = t.gather(dim, &index);
    let Ok(d) = reference::wrap_dim(dim, r.ndim()) else {
        assert!(result.is_err(), "{what}: dim out of range accepted");
        return;
    };
    let nd = r.ndim();
    if r.ndim() == 0 || idx_shape.len() != nd {
        // PyTorch's rules for 0-d inputs and rank mismatch are loose; only
        // the absence of a crash is checked.
        return;
    }
    let numel_idx: usize = idx_shape.iter().product();
    let shapes_ok = (0..nd).all(|k| k == d || idx_shape[k] <= r.shape[k]);
    if !shapes_ok && numel_idx > 0 {
        assert!(result.is_err(), "{what}: index larger than input accepted");
        return;
    }
    if !idx.iter().all(|&v| in_range(v, r.shape[d])) {
        assert!(result.is_err(), "{what}: out-of-range index accepted");
        return;
    }
    if !shapes_ok {
        return;
    }
    let out = result.unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(out.shape(), &idx_shape[..], "{what}: shape");
    let mut want = Vec::new();
    reference::for_each_index(&idx_shape, |o| {
        let mut src = o.to_vec();
        src[d] = idx[reference::ravel(o, &idx_shape)] as usize;
        want.push(at(&src));
    });
    assert_eq!(values_i64(&out), want, "{what}: values");
}

fn scatter_add_case(t: &Tensor, r: &RefView, at: &dyn Fn(&[usize]) -> i64, b: &mut Bytes) {
    let dim = b.dim();
    let size = wrap(dim, r).map_or(1, |d| r.shape[d]);
    let idx_shape: Vec<usize> = r.shape.iter().map(|&s| b.below(s + 2)).collect();
    let (index, idx) = index_tensor(b, &idx_shape, size);
    let src_shape: Vec<usize> = idx_shape.iter().map(|&s| s + b.below(2)).collect();
    let src = base_tensor(&src_shape, t.dtype());
    let what = format!("{:?}.scatter_add({dim}, index{idx_shape:?}={idx:?}, src{src_shape:?})", r.shape);
    let result = t.scatter_add(dim, &index, &src);
    let Ok(d) = reference::wrap_dim(dim, r.ndim()) else {
        assert!(result.is_err(), "{what}: dim out of range accepted");
        return;
    };
    if r.ndim() == 0 || idx.is_empty() {
        return;
    }
    let shapes_ok = (0..r.ndim()).all(|k| k == d || idx_shape[k] <= r.shape[k]);
    if !shapes_ok || !idx.iter().all(|&v| in_range(v, r.shape[d])) {
        assert!(result.is_err(), "{what}: bad index accepted");
        return;
    }
    let out = result.unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(out.shape(), &r.shape[..], "{what}: shape");
    let mut want = Vec::new();
    reference::for_each_index(&r.shape, |o| want.push(at(o)));
    reference::for_each_index(&idx_shape, |o| {
        let mut dst = o.to_vec();
        dst[d] = idx[reference::ravel(o, &idx_shape)] as usize;
        want[reference::ravel(&dst, &r.shape)] += reference::ravel(o, &src_shape) as i64;
    });
    assert_eq!(values_i64(&out), want, "{what}: values");
}

/// `t[:, ..., idx]`: one integer tensor after `p` full slices.
fn advanced_int_case(t: &Tensor, r: &RefView, at: &dyn Fn(&[usize]) -> i64, b: &mut Bytes) {
    let p = b.below(r.ndim() + 2);
    let size = r.shape.get(p).copied().unwrap_or(1);
    let idx_shape = small_shape(b, 2);
    let (index, idx) = index_tensor(b, &idx_shape, size);
    let mut indices: Vec<Option<Tensor>> = vec![None; p];
    indices.push(Some(index));
    let what = format!("{:?}[{}{idx_shape:?}={idx:?}]", r.shape, ":, ".repeat(p));
    let result = t.index(&indices);
    if p >= r.ndim() || !idx.iter().all(|&v| in_range_wrapping(v, size)) {
        assert!(result.is_err(), "{what}: accepted: {:?}", result.map(|t| t.shape().to_vec()));
        return;
    }
    let out = result.unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut shape = r.shape[..p].to_vec();
    shape.extend(&idx_shape);
    shape.extend(&r.shape[p + 1..]);
    assert_eq!(out.shape(), &shape[..], "{what}: shape");
    let k = idx_shape.len();
    let mut want = Vec::new();
    reference::for_each_index(&shape, |o| {
        let mut src = o[..p].to_vec();
        src.push(wrapped(idx[reference::ravel(&o[p..p + k], &idx_shape)], size));
        src.extend(&o[p + k..]);
        want.push(at(&src));
    });
    assert_eq!(values_i64(&out), want, "{what}: values");
}

/// `t[mask]` with a boolean mask over the first `k` dims (sometimes of the
/// wrong shape).
fn advanced_mask_case(t: &Tensor, r: &RefView, at: &dyn Fn(&[usize]) -> i64, b: &mut Bytes) {
    let k = b.below(r.ndim() + 1);
    let mut mask_shape = r.shape[..k].to_vec();
    let wrong = b.below(6) == 0;
    if wrong {
        mask_shape.push(b.below(3));
    }
    let n: usize = mask_shape.iter().product();
    let mask: Vec<bool> = (0..n).map(|_| b.bool()).collect();
    let mask_t = Tensor::from_vec(mask.clone(), &mask_shape).expect("`mask` holds exactly the mask shape's elements");
    let what = format!("{:?}[mask{mask_shape:?}={mask:?}]", r.shape);
    let result = t.index(&[Some(mask_t)]);
    if mask_shape.is_empty() {
        // A 0-d mask (t[True]) is handled by the bindings, not by the core.
        return;
    }
    if wrong {
        // Ok only when the extra dim happens to match the input's next size.
        if let Ok(out) = result {
            assert!(mask_shape.len() <= r.ndim() && mask_shape[..] == r.shape[..mask_shape.len()], "{what}: accepted {:?}", out.shape());
        }
        return;
    }
    let out = result.unwrap_or_else(|e| panic!("{what}: {e}"));
    let count = mask.iter().filter(|&&m| m).count();
    let mut shape = vec![count];
    shape.extend(&r.shape[k..]);
    assert_eq!(out.shape(), &shape[..], "{what}: shape");
    let mut want = Vec::new();
    reference::for_each_index(&mask_shape, |m| {
        if mask[reference::ravel(m, &mask_shape)] {
            reference::for_each_index(&r.shape[k..], |rest| {
                let src: Vec<usize> = m.iter().chain(rest).copied().collect();
                want.push(at(&src));
            });
        }
    });
    assert_eq!(values_i64(&out), want, "{what}: values");
}

fn masked_select_case(t: &Tensor, r: &RefView, at: &dyn Fn(&[usize]) -> i64, b: &mut Bytes) {
    let mask_shape = if b.bool() { r.shape.clone() } else { small_shape(b, 3) };
    let n: usize = mask_shape.iter().product();
    let mask: Vec<bool> = (0..n).map(|_| b.bool()).collect();
    let mask_t = Tensor::from_vec(mask.clone(), &mask_shape).expect("`mask` holds exactly the mask shape's elements");
    let what = format!("{:?}.masked_select(mask{mask_shape:?}={mask:?})", r.shape);
    let result = t.masked_select(&mask_t);
    let Ok(shape) = broadcast_shapes(&r.shape, &mask_shape) else {
        assert!(result.is_err(), "{what}: shapes do not broadcast but accepted");
        return;
    };
    let out = result.unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut want = Vec::new();
    reference::for_each_index(&shape, |o| {
        if mask[reference::ravel(&reference::broadcast_index(o, &mask_shape), &mask_shape)] {
            want.push(at(&reference::broadcast_index(o, &r.shape)));
        }
    });
    assert_eq!(out.shape(), &[want.len()][..], "{what}: shape");
    assert_eq!(values_i64(&out), want, "{what}: values");
}

// ---- family (c): broadcasting binary ops and matmul --------------------

/// An operand: a small base put through a few view steps (in hostile mode
/// possibly expanded to a huge size).
fn operand(b: &mut Bytes) -> (Tensor, RefView) {
    let (mut t, mut r) = small_base(b);
    for _ in 0..b.below(3) {
        if let Some((t2, r2)) = view_step(&t, &r, b) {
            (t, r) = (t2, r2);
        }
    }
    (t, r)
}

fn dense(t: &Tensor, r: &RefView) -> Option<Vec<f64>> {
    (r.numel() <= READ_LIMIT).then(|| values_f64(t))
}

pub fn run_binary(data: &[u8], hostile: bool) {
    let mut b = Bytes::new(data, hostile);
    let (x, rx) = operand(&mut b);
    let (y, ry) = operand(&mut b);
    if empty_with_huge_dim(&rx) || empty_with_huge_dim(&ry) {
        return;
    }
    let op = b.below(8);
    if op >= 5 {
        return matmul_case(&x, &rx, &y, &ry, op);
    }
    let name = ["add", "sub", "mul", "maximum", "eq"][op];
    let what = format!("{:?}.{name}({:?})", rx.shape, ry.shape);
    let shape = match broadcast_shapes(&rx.shape, &ry.shape) {
        Ok(s) => s,
        Err(why) => {
            let result = binary(&x, &y, op);
            assert!(result.is_err(), "{what}: accepted though {why}");
            return;
        }
    };
    let n = checked_numel(&shape).expect("`broadcast_shapes` checked the numel fits");
    if n > READ_LIMIT {
        if n >= HOPELESS_NUMEL && check_huge_allocations() {
            assert!(binary(&x, &y, op).is_err(), "{what}: a result of {n} elements cannot be allocated");
        }
        return;
    }
    let (Some(xv), Some(yv)) = (dense(&x, &rx), dense(&y, &ry)) else { return };
    let out = binary(&x, &y, op).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(out.shape(), &shape[..], "{what}: shape");
    let mut want = Vec::new();
    reference::for_each_index(&shape, |o| {
        let a = xv[reference::ravel(&reference::broadcast_index(o, &rx.shape), &rx.shape)];
        let c = yv[reference::ravel(&reference::broadcast_index(o, &ry.shape), &ry.shape)];
        want.push(match op {
            0 => a + c,
            1 => a - c,
            2 => a * c,
            3 => a.max(c),
            _ => (a == c) as i64 as f64,
        });
    });
    assert_eq!(values_f64(&out), want, "{what}: values");
}

fn binary(x: &Tensor, y: &Tensor, op: usize) -> ferrograd::Result<Tensor> {
    match op {
        0 => x.add(y),
        1 => x.sub(y),
        2 => x.mul(y),
        3 => x.maximum(y),
        _ => x.compare(y, ferrograd::ops::compare::Comparison::Eq),
    }
}

fn matmul_case(x: &Tensor, rx: &RefView, y: &Tensor, ry: &RefView, op: usize) {
    // Every matmul flavour must refuse shapes the model refuses, and match it
    // otherwise; the specialised entry points check their own rank rules.
    let (name, rank_ok) = match op {
        5 => ("matmul", true),
        6 => ("mm", rx.ndim() == 2 && ry.ndim() == 2),
        _ => ("bmm", rx.ndim() == 3 && ry.ndim() == 3 && rx.shape[0] == ry.shape[0]),
    };
    let what = format!("{:?}.{name}({:?})", rx.shape, ry.shape);
    let call = || match op {
        5 => x.matmul(y),
        6 => x.mm(y),
        _ => x.bmm(y),
    };
    if !rank_ok || x.dtype() != y.dtype() {
        // PyTorch's matmul does not promote: mixed dtypes are an error.
        assert!(call().is_err(), "{what}: wrong ranks or mixed dtypes accepted");
        return;
    }
    if (rx.numel() == 0 || ry.numel() == 0) && rx.ndim().max(ry.ndim()) >= 3 && !check_known_overflow_bugs() {
        // Known: Tensor::from_vec(Vec::<f32>::new(), &[0, 0, 2]).unwrap().matmul(&Tensor::from_vec(Vec::<f32>::new(), &[2, 0]).unwrap())
        // returns Err("unsafe_view needs a contiguous tensor"); PyTorch returns shape [0, 0, 0].
        let _ = call();
        return;
    }
    let (Some(xv), Some(yv)) = (dense(x, rx), dense(y, ry)) else { return };
    match reference::matmul(&rx.shape, &xv, &ry.shape, &yv) {
        Err(why) => assert!(call().is_err(), "{what}: accepted though {why}"),
        Ok((shape, want)) => {
            if checked_numel(&shape).expect("`reference::matmul` checked the numel fits") > READ_LIMIT {
                return;
            }
            let out = call().unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(out.shape(), &shape[..], "{what}: shape");
            assert_eq!(values_f64(&out), want, "{what}: values");
        }
    }
}
