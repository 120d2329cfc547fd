//! Tensor printing that reproduces PyTorch's `repr(tensor)` byte for byte.
//!
//! The logic mirrors `torch/_tensor_str.py`: a single `Formatter` is built
//! from the (possibly summarized) data to pick int/fixed/scientific mode and
//! a common column width, then the nested bracket layout is produced with
//! the same line-wrapping, indentation and `...` rules, and finally the
//! `tensor(` wrapper receives its suffixes (`size=`, `dtype=`, `grad_fn=`,
//! `requires_grad=`).
//!
//! Floating values are always formatted as the `f64` they convert to, which
//! is what PyTorch does through `.item()` / `.tolist()`. Rust's `{:.N}` and
//! `{:.Ne}` round the exact binary value with ties to even, exactly like
//! Python's `format`, so only the exponent spelling and non-finite names
//! need translating. Reduced-precision floats (float16, bfloat16) go through
//! the same path once widened (see `Elements`).

use std::sync::RwLock;

/// Element values in row-major (logical) order.
///
/// float16/bfloat16 tensors print exactly like their values widened to `f32`,
/// and integer tensors like theirs widened to `i64` (pass those plus a `dtype`
/// suffix), since PyTorch formats them via `.item()`.
pub enum Elements<'a> {
    F32(&'a [f32]),
    F64(&'a [f64]),
    I64(&'a [i64]),
    Bool(&'a [bool]),
}

/// Printing knobs with the meaning of `torch.set_printoptions`.
/// `threshold: usize::MAX` corresponds to `threshold=inf` (the "full" profile).
#[derive(Clone, Debug)]
pub struct PrintOptions {
    pub precision: usize,
    pub threshold: usize,
    pub edgeitems: usize,
    pub linewidth: usize,
    pub sci_mode: Option<bool>,
}

const DEFAULT_OPTIONS: PrintOptions = PrintOptions {
    precision: 4,
    threshold: 1000,
    edgeitems: 3,
    linewidth: 80,
    sci_mode: None,
};

impl Default for PrintOptions {
    fn default() -> Self {
        DEFAULT_OPTIONS
    }
}

/// The optional trailing parts of a repr.
pub struct Suffixes<'a> {
    /// Dtype name such as `"torch.float64"`; pass `Some` only when the dtype is
    /// not one of the defaults (float32, int64, bool). For empty int64/bool
    /// tensors `None` still prints the dtype, as PyTorch does; an empty float64
    /// tensor needs `Some` like any other.
    pub dtype: Option<&'a str>,
    /// Backward node name, e.g. `"AddBackward0"`; takes precedence over `requires_grad`.
    pub grad_fn: Option<&'a str>,
    pub requires_grad: bool,
}

static PRINT_OPTIONS: RwLock<PrintOptions> = RwLock::new(DEFAULT_OPTIONS);

/// Current global print options (see `set_print_options`).
pub fn print_options() -> PrintOptions {
    PRINT_OPTIONS
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// Replaces the global print options, like `torch.set_printoptions`.
pub fn set_print_options(opts: PrintOptions) {
    *PRINT_OPTIONS
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = opts;
}

/// The bracketed data part only, e.g. `"[[1., 2.],\n        [3., 4.]]"` for indent 7.
///
/// `indent` is the column where the data starts (the length of `"tensor("`).
/// Precondition: the product of `shape` equals the number of elements; when it
/// does not, the elements are laid out as a flat 1-d tensor instead.
pub fn format_data(
    shape: &[usize],
    elems: &Elements,
    opts: &PrintOptions,
    indent: usize,
) -> String {
    let shape = effective_shape(shape, elems);
    if elems.len() == 0 {
        return "[]".to_string();
    }
    let layout = Layout::new(&shape, elems, opts);
    let formatter = Formatter::new(elems.kind(), opts, |f| layout.visit_summarized(f));
    layout.tensor_str(indent, &formatter)
}

/// Full repr: `"tensor([1., 2.], grad_fn=<AddBackward0>)"`.
///
/// Same shape precondition as `format_data`.
pub fn tensor_repr(
    shape: &[usize],
    elems: &Elements,
    suffixes: &Suffixes,
    opts: &PrintOptions,
) -> String {
    const PREFIX: &str = "tensor(";
    let indent = PREFIX.len();
    let shape = effective_shape(shape, elems);
    let mut parts = Vec::new();
    let data = if elems.len() == 0 {
        // Empty tensors carry no values to hint the dtype, so it is always spelled out.
        if shape.len() != 1 {
            parts.push(format!("size={}", py_tuple(&shape)));
        }
        if let Some(dtype) = suffixes.dtype.or(elems.implied_empty_dtype()) {
            parts.push(format!("dtype={dtype}"));
        }
        "[]".to_string()
    } else {
        // With edgeitems=0 the data shows nothing but "...", so the size is printed.
        if opts.edgeitems == 0 {
            parts.push(format!("size={}", py_tuple(&shape)));
        }
        if let Some(dtype) = suffixes.dtype {
            parts.push(format!("dtype={dtype}"));
        }
        format_data(&shape, elems, opts, indent)
    };
    if let Some(name) = suffixes.grad_fn {
        parts.push(format!("grad_fn=<{name}>"));
    } else if suffixes.requires_grad {
        parts.push("requires_grad=True".to_string());
    }
    add_suffixes(format!("{PREFIX}{data}"), &parts, indent, opts.linewidth)
}

/// A single element widened to the type Python sees after `.item()`.
#[derive(Clone, Copy)]
enum Scalar {
    Float(f64),
    Int(i64),
    Bool(bool),
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Float,
    Int,
    Bool,
}

impl Elements<'_> {
    fn len(&self) -> usize {
        match self {
            Elements::F32(v) => v.len(),
            Elements::F64(v) => v.len(),
            Elements::I64(v) => v.len(),
            Elements::Bool(v) => v.len(),
        }
    }

    fn kind(&self) -> Kind {
        match self {
            Elements::F32(_) | Elements::F64(_) => Kind::Float,
            Elements::I64(_) => Kind::Int,
            Elements::Bool(_) => Kind::Bool,
        }
    }

    /// Callers only pass in-bounds indices (guaranteed by `effective_shape`).
    fn get(&self, i: usize) -> Scalar {
        match self {
            Elements::F32(v) => Scalar::Float(f64::from(v[i])),
            Elements::F64(v) => Scalar::Float(v[i]),
            Elements::I64(v) => Scalar::Int(v[i]),
            Elements::Bool(v) => Scalar::Bool(v[i]),
        }
    }

    /// Default dtypes that PyTorch nevertheless names for empty tensors
    /// (it only omits the default floating dtype there).
    fn implied_empty_dtype(&self) -> Option<&'static str> {
        match self {
            Elements::I64(_) => Some("torch.int64"),
            Elements::Bool(_) => Some("torch.bool"),
            Elements::F32(_) | Elements::F64(_) => None,
        }
    }
}

/// The shape to lay out: the given one when consistent with the data,
/// otherwise a flat vector so that printing never indexes out of bounds.
fn effective_shape(shape: &[usize], elems: &Elements) -> Vec<usize> {
    let numel = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if numel == Some(elems.len()) {
        shape.to_vec()
    } else {
        vec![elems.len()]
    }
}

/// Python's `str(tuple(shape))`.
fn py_tuple(shape: &[usize]) -> String {
    let items: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    match items.len() {
        1 => format!("({},)", items[0]),
        _ => format!("({})", items.join(", ")),
    }
}

/// Decides how every element is rendered and the common column width,
/// from the values that will actually be shown.
struct Formatter {
    int_mode: bool,
    sci_mode: bool,
    max_width: usize,
    precision: usize,
}

/// Statistics over the finite nonzero floats, which alone drive the mode choice.
struct FloatStats {
    count: usize,
    min_abs: f64,
    max_abs: f64,
    all_integral: bool,
}

impl FloatStats {
    fn collect(visit: &impl Fn(&mut dyn FnMut(Scalar))) -> Self {
        let mut s = FloatStats {
            count: 0,
            min_abs: f64::INFINITY,
            max_abs: 0.0,
            all_integral: true,
        };
        visit(&mut |x| {
            if let Some(v) = nonzero_finite(x) {
                s.count += 1;
                s.min_abs = s.min_abs.min(v.abs());
                s.max_abs = s.max_abs.max(v.abs());
                s.all_integral &= v == v.ceil();
            }
        });
        s
    }

    fn wants_sci(&self) -> bool {
        self.max_abs / self.min_abs > 1000.0 || self.max_abs > 1.0e8 || self.min_abs < 1.0e-4
    }
}

fn nonzero_finite(x: Scalar) -> Option<f64> {
    match x {
        Scalar::Float(v) if v.is_finite() && v != 0.0 => Some(v),
        _ => None,
    }
}

impl Formatter {
    /// `visit` feeds every displayed element; it may be called more than once.
    fn new(kind: Kind, opts: &PrintOptions, visit: impl Fn(&mut dyn FnMut(Scalar))) -> Self {
        let mut f = Formatter {
            int_mode: true,
            sci_mode: false,
            max_width: 1,
            precision: opts.precision,
        };
        if kind != Kind::Float {
            visit(&mut |x| f.max_width = f.max_width.max(f.plain(x).len()));
            return f;
        }
        let stats = FloatStats::collect(&visit);
        if stats.count == 0 {
            // Only zeros and non-finite values: keep the "0." style even when sci_mode is forced.
            return f;
        }
        f.int_mode = stats.all_integral;
        f.sci_mode = opts.sci_mode.unwrap_or_else(|| stats.wants_sci());
        visit(&mut |x| {
            if let Some(v) = nonzero_finite(x) {
                f.max_width = f.max_width.max(f.measure(v));
            }
        });
        f
    }

    /// Width a nonzero finite value contributes (int mode reserves one for the dot).
    fn measure(&self, v: f64) -> usize {
        if self.sci_mode {
            py_sci(v, self.precision).len()
        } else if self.int_mode {
            py_fixed(v, 0).len() + 1
        } else {
            py_fixed(v, self.precision).len()
        }
    }

    fn width(&self) -> usize {
        self.max_width
    }

    /// The element text, right-aligned to the common width.
    fn format(&self, x: Scalar) -> String {
        let text = self.plain(x);
        let pad = self.max_width.saturating_sub(text.len());
        format!("{}{}", " ".repeat(pad), text)
    }

    /// The element text before alignment.
    fn plain(&self, x: Scalar) -> String {
        match x {
            Scalar::Float(v) => self.float_text(v),
            Scalar::Int(v) => v.to_string(),
            Scalar::Bool(v) => if v { "True" } else { "False" }.to_string(),
        }
    }

    fn float_text(&self, v: f64) -> String {
        if self.sci_mode {
            py_sci(v, self.precision)
        } else if self.int_mode && v.is_finite() {
            // The trailing dot marks an integral value as floating point.
            py_fixed(v, 0) + "."
        } else if self.int_mode {
            py_fixed(v, 0)
        } else {
            py_fixed(v, self.precision)
        }
    }
}

/// Python's spelling of non-finite floats (the sign of NaN is never shown).
fn py_non_finite(v: f64) -> Option<String> {
    if v.is_nan() {
        Some("nan".to_string())
    } else if v.is_infinite() {
        Some(if v > 0.0 { "inf" } else { "-inf" }.to_string())
    } else {
        None
    }
}

/// Python's `format(v, ".{precision}f")`.
fn py_fixed(v: f64, precision: usize) -> String {
    py_non_finite(v).unwrap_or_else(|| format!("{v:.precision$}"))
}

/// Python's `format(v, ".{precision}e")`: Rust writes `1.0000e8`, Python
/// `1.0000e+08` (explicit sign, at least two exponent digits).
fn py_sci(v: f64, precision: usize) -> String {
    if let Some(s) = py_non_finite(v) {
        return s;
    }
    let rust = format!("{v:.precision$e}");
    let (mantissa, exp) = rust.split_once('e').unwrap_or((rust.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
}

/// What the depth-first walk over the displayed part meets.
enum Step {
    /// A sub-tensor (or the whole tensor) begins.
    Open,
    Close,
    /// Between two entries of dim `.0`.
    Separator(usize),
    /// The "..." entry of a cut dim (above the innermost one).
    Ellipsis,
    /// An innermost row, by the offset of its first element.
    Row(usize),
}

/// Row-major view over the elements with the summarization rules applied.
struct Layout<'a> {
    shape: &'a [usize],
    strides: Vec<usize>,
    elems: &'a Elements<'a>,
    opts: &'a PrintOptions,
    summarize: bool,
}

impl<'a> Layout<'a> {
    /// `shape` must be consistent with `elems` (see `effective_shape`).
    fn new(shape: &'a [usize], elems: &'a Elements<'a>, opts: &'a PrintOptions) -> Self {
        let mut strides = vec![1usize; shape.len()];
        for d in (0..shape.len().saturating_sub(1)).rev() {
            strides[d] = strides[d + 1] * shape[d + 1];
        }
        let summarize = elems.len() > opts.threshold;
        Layout {
            shape,
            strides,
            elems,
            opts,
            summarize,
        }
    }

    /// Whether dimension `dim` is cut down to its first and last `edgeitems`.
    fn is_cut(&self, dim: usize) -> bool {
        self.summarize && self.shape[dim] > self.opts.edgeitems.saturating_mul(2)
    }

    /// How many entries dim `dim` displays (the "..." of a cut dim included).
    fn entry_count(&self, dim: usize) -> usize {
        if self.is_cut(dim) {
            2 * self.opts.edgeitems + 1
        } else {
            self.shape[dim]
        }
    }

    /// The index along `dim` of displayed entry `k`, or `None` for the "...".
    fn entry(&self, dim: usize, k: usize) -> Option<usize> {
        let e = self.opts.edgeitems;
        match k {
            _ if !self.is_cut(dim) || k < e => Some(k),
            _ if k == e => None,
            _ => Some(self.shape[dim] - e + (k - e - 1)),
        }
    }

    /// Walks the displayed part depth first with an explicit stack, so any
    /// number of dims prints without recursion; the innermost rows are
    /// reported by the offset of their first element.
    fn walk(&self, mut on: impl FnMut(Step)) {
        let Some(last) = self.shape.len().checked_sub(1) else { return };
        // (offset of the sub-tensor, next entry) for each open dim.
        let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
        on(Step::Open);
        while let Some(&(offset, k)) = stack.last() {
            let dim = stack.len() - 1;
            if dim == last || k == self.entry_count(dim) {
                if dim == last {
                    on(Step::Row(offset));
                }
                stack.pop();
                on(Step::Close);
                continue;
            }
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            if k > 0 {
                on(Step::Separator(dim));
            }
            match self.entry(dim, k) {
                None => on(Step::Ellipsis),
                Some(i) => {
                    on(Step::Open);
                    stack.push((offset + i * self.strides[dim], 0));
                }
            }
        }
    }

    /// Feeds the displayed elements to `f`; these are what size the columns.
    fn visit_summarized(&self, f: &mut dyn FnMut(Scalar)) {
        let Some(last) = self.shape.len().checked_sub(1) else {
            f(self.elems.get(0));
            return;
        };
        self.walk(|step| {
            if let Step::Row(offset) = step {
                (0..self.entry_count(last)).filter_map(|k| self.entry(last, k)).for_each(|i| f(self.elems.get(offset + i * self.strides[last])));
            }
        });
    }

    /// The bracketed text; `indent` is the column where it starts.
    fn tensor_str(&self, indent: usize, fmt: &Formatter) -> String {
        let Some(last) = self.shape.len().checked_sub(1) else {
            return fmt.format(self.elems.get(0));
        };
        let mut out = String::new();
        self.walk(|step| match step {
            Step::Open => out.push('['),
            Step::Close => out.push(']'),
            Step::Ellipsis => out.push_str("..."),
            // Sub-tensors of dim `dim` sit one column right of its bracket,
            // apart by as many blank lines as they have dims less one.
            Step::Separator(dim) => {
                out.push(',');
                out.push_str(&"\n".repeat(self.shape.len() - dim - 1));
                out.push_str(&" ".repeat(indent.saturating_add(dim + 1)));
            }
            Step::Row(offset) => self.write_row(&mut out, last, offset, indent.saturating_add(last), fmt),
        });
        out
    }

    /// The innermost dimension's entries, wrapped to fit the line width.
    fn write_row(&self, out: &mut String, dim: usize, offset: usize, indent: usize, fmt: &Formatter) {
        let per_line = elements_per_line(self.opts.linewidth, indent, fmt.width() + 2);
        let items = self.vector_items(dim, offset, fmt);
        let sep = format!(",\n{}", " ".repeat(indent.saturating_add(1)));
        for (i, line) in items.chunks(per_line).enumerate() {
            if i > 0 {
                out.push_str(&sep);
            }
            out.push_str(&line.join(", "));
        }
    }

    /// Formatted entries of one row, with the ellipsis entry when cut.
    fn vector_items(&self, dim: usize, offset: usize, fmt: &Formatter) -> Vec<String> {
        let n = self.shape[dim];
        let e = self.opts.edgeitems;
        let item = |i: usize| fmt.format(self.elems.get(offset + i * self.strides[dim]));
        if self.summarize && e == 0 {
            return vec!["...".to_string()];
        }
        if self.is_cut(dim) {
            // The ellipsis is not width-aligned; its leading space is PyTorch's.
            let head = (0..e).map(item);
            let tail = (n - e..n).map(item);
            return head
                .chain(std::iter::once(" ...".to_string()))
                .chain(tail)
                .collect();
        }
        (0..n).map(item).collect()
    }
}

/// `max(1, floor((linewidth - indent) / element_length))`, where each element
/// takes its width plus ", ".
fn elements_per_line(linewidth: usize, indent: usize, element_length: usize) -> usize {
    (linewidth.saturating_sub(indent) / element_length.max(1)).max(1)
}

/// Appends `, suffix` entries, moving one to its own line when it would
/// overflow the line width, then closes the parenthesis.
fn add_suffixes(mut text: String, suffixes: &[String], indent: usize, linewidth: usize) -> String {
    // PyTorch measures `len - rfind('\n') + 1`, i.e. the last line's length plus two.
    let last_line = text.rsplit('\n').next().unwrap_or("");
    let mut last_line_len = last_line.chars().count() as i64 + 2;
    for suffix in suffixes {
        let suffix_len = suffix.chars().count() as i64;
        if last_line_len + suffix_len + 2 > i64::try_from(linewidth).unwrap_or(i64::MAX) {
            text.push_str(",\n");
            text.push_str(&" ".repeat(indent));
            last_line_len = indent as i64 + suffix_len;
        } else {
            text.push_str(", ");
            last_line_len += suffix_len + 2;
        }
        text.push_str(suffix);
    }
    text.push(')');
    text
}

#[cfg(test)]
mod tests {
    //! Expected strings are `repr(tensor)` output of PyTorch 2.15.0 (CPU) for
    //! the same data and print options.
    use super::*;

    fn sfx<'a>(
        dtype: Option<&'a str>,
        grad_fn: Option<&'a str>,
        requires_grad: bool,
    ) -> Suffixes<'a> {
        Suffixes {
            dtype,
            grad_fn,
            requires_grad,
        }
    }

    #[test]
    fn python_float_spelling() {
        assert_eq!(py_sci(1.0e8, 4), "1.0000e+08");
        assert_eq!(py_sci(-1.23456e-5, 4), "-1.2346e-05");
        assert_eq!(py_sci(1.0e-300, 4), "1.0000e-300");
        assert_eq!(py_fixed(0.125, 2), "0.12");
        assert_eq!(py_fixed(0.375, 2), "0.38");
        assert_eq!(py_fixed(2.5, 0), "2");
        assert_eq!(py_fixed(3.5, 0), "4");
        assert_eq!(py_fixed(f64::from(0.3f32), 4), "0.3000");
        assert_eq!(py_fixed(f64::from(0.3f32), 17), "0.30000001192092896");
        assert_eq!(py_fixed(-0.0, 0), "-0");
        assert_eq!(py_fixed(f64::NAN, 4), "nan");
        assert_eq!(py_sci(f64::NEG_INFINITY, 4), "-inf");
    }

    #[test]
    fn format_data_uses_given_indent() {
        let data = [1.0f32, 2.0, 3.0, 4.0];
        let got = format_data(&[2, 2], &Elements::F32(&data), &PrintOptions::default(), 7);
        assert_eq!(got, "[[1., 2.],\n        [3., 4.]]");
        assert_eq!(
            format_data(&[0, 2], &Elements::I64(&[]), &PrintOptions::default(), 7),
            "[]"
        );
    }

    #[test]
    fn inconsistent_shape_prints_flat() {
        let data = [1i64, 2, 3];
        let got = tensor_repr(
            &[2, 2],
            &Elements::I64(&data),
            &sfx(None, None, false),
            &PrintOptions::default(),
        );
        assert_eq!(got, "tensor([1, 2, 3])");
        let huge = [usize::MAX, 3];
        let got = tensor_repr(
            &huge,
            &Elements::I64(&data),
            &sfx(None, None, false),
            &PrintOptions::default(),
        );
        assert_eq!(got, "tensor([1, 2, 3])");
    }

    #[test]
    fn global_options_round_trip() {
        let d = PrintOptions::default();
        assert_eq!(
            (
                d.precision,
                d.threshold,
                d.edgeitems,
                d.linewidth,
                d.sci_mode
            ),
            (4, 1000, 3, 80, None)
        );
        // Re-storing the current value keeps concurrently running tests unaffected.
        let current = print_options();
        set_print_options(current.clone());
        assert_eq!(print_options().precision, current.precision);
    }

    #[test]
    fn tutorial_leaf_requires_grad() {
        let data = [1.0, 1.0, 1.0, 1.0];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[2, 2], &elems, &sfx(None, None, true), &opts);
        assert_eq!(
            got,
            "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"
        );
    }

    #[test]
    fn tutorial_matrix_grad_fn() {
        let data = [5.0, 8.0, 11.0, 11.0, 8.0, 5.0];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(
            &[2, 3],
            &elems,
            &sfx(None, Some("AddBackward0"), true),
            &opts,
        );
        assert_eq!(
            got,
            "tensor([[ 5.,  8., 11.],\n        [11.,  8.,  5.]], grad_fn=<AddBackward0>)"
        );
    }

    #[test]
    fn tutorial_scalar_grad_fn() {
        let data = [63.0];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[], &elems, &sfx(None, Some("AddBackward0"), true), &opts);
        assert_eq!(got, "tensor(63., grad_fn=<AddBackward0>)");
    }

    #[test]
    fn plain_vector() {
        let data = [2.0, 2.0];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[2], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([2., 2.])");
    }

    #[test]
    fn random_scalar() {
        let data = [0.33669037];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor(0.3367)");
    }

    #[test]
    fn random_matrix() {
        #[rustfmt::skip]
        let data = [
            -1.3985955, 0.40334684, 0.83802634, -0.7192576, -0.40334353, -0.59663534, 0.18203649,
            -0.8566746, 1.1006042, -1.0711874, 0.12270124, -0.5663175,
        ];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[3, 4], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([[-1.3986,  0.4033,  0.8380, -0.7193],\n        [-0.4033, -0.5966,  0.1820, -0.8567],\n        [ 1.1006, -1.0712,  0.1227, -0.5663]])");
    }

    #[test]
    fn random_3d() {
        #[rustfmt::skip]
        let data = [
            0.43969584, 0.112411186, 0.64079237, 0.44115627, -0.21586326, -0.74254817, 0.5627214,
            0.2596274, 0.59432304, 1.5419426, 0.5073344, -0.59103316, -0.5692481, 0.9199714,
            1.1108161, 1.2898741, -1.4959149, -0.19383712, 0.44551218, 1.3252748, -1.629326,
            -0.54974365, -0.47983426, -0.49968153,
        ];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[2, 3, 4], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([[[ 0.4397,  0.1124,  0.6408,  0.4412],\n         [-0.2159, -0.7425,  0.5627,  0.2596],\n         [ 0.5943,  1.5419,  0.5073, -0.5910]],\n\n        [[-0.5692,  0.9200,  1.1108,  1.2899],\n         [-1.4959, -0.1938,  0.4455,  1.3253],\n         [-1.6293, -0.5497, -0.4798, -0.4997]]])");
    }

    #[test]
    fn random_4d() {
        #[rustfmt::skip]
        let data = [
            -1.1256016, -0.3169981, -1.0924683, -0.0851943, -0.093348235, 0.6870502, -0.83831537,
            0.00089182175, -2.6133225, -1.6964744, -0.22824179, 0.279955, 0.07324605, 1.1133184,
            0.28226724, 0.43422565, 0.45694014, -0.86537135, 0.78130794, -0.9267894, 0.20641631,
            -0.33344787, -0.42883, 0.23291829,
        ];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[2, 2, 2, 3], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([[[[-1.1256e+00, -3.1700e-01, -1.0925e+00],\n          [-8.5194e-02, -9.3348e-02,  6.8705e-01]],\n\n         [[-8.3832e-01,  8.9182e-04, -2.6133e+00],\n          [-1.6965e+00, -2.2824e-01,  2.7995e-01]]],\n\n\n        [[[ 7.3246e-02,  1.1133e+00,  2.8227e-01],\n          [ 4.3423e-01,  4.5694e-01, -8.6537e-01]],\n\n         [[ 7.8131e-01, -9.2679e-01,  2.0642e-01],\n          [-3.3345e-01, -4.2883e-01,  2.3292e-01]]]])");
    }

    #[test]
    fn float64_dtype_suffix() {
        #[rustfmt::skip]
        let data = [
            0.7679574501836557, 0.05711299767083105, 0.22395839309678037, 0.5519642948757691,
            -0.5787979784221456, 0.017722116219818538,
        ];
        let elems = Elements::F64(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(
            &[2, 3],
            &elems,
            &sfx(Some("torch.float64"), None, false),
            &opts,
        );
        assert_eq!(got, "tensor([[ 0.7680,  0.0571,  0.2240],\n        [ 0.5520, -0.5788,  0.0177]], dtype=torch.float64)");
    }

    #[test]
    fn float64_with_grad_fn() {
        let data = [2.0, 2.0];
        let elems = Elements::F64(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(
            &[2],
            &elems,
            &sfx(Some("torch.float64"), Some("MulBackward0"), true),
            &opts,
        );
        assert_eq!(
            got,
            "tensor([2., 2.], dtype=torch.float64, grad_fn=<MulBackward0>)"
        );
    }

    #[test]
    fn sci_for_tiny_values() {
        let data = [1e-05, 2e-05, -3.5e-06];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[3], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([ 1.0000e-05,  2.0000e-05, -3.5000e-06])");
    }

    #[test]
    fn sci_for_huge_values() {
        let data = [1e+09, 2.5e+10, -3e+08];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[3], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([ 1.0000e+09,  2.5000e+10, -3.0000e+08])");
    }

    #[test]
    fn sci_for_integral_ratio() {
        let data = [1.0, 2000.0];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[2], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([1.0000e+00, 2.0000e+03])");
    }

    #[test]
    fn integral_ratio_at_limit() {
        let data = [1.0, 1000.0];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[2], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([   1., 1000.])");
    }

    #[test]
    fn sci_mixed_magnitudes() {
        let data = [1e-10, 1.0, 1e+10, -5.0];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[4], &elems, &sfx(None, None, false), &opts);
        assert_eq!(
            got,
            "tensor([ 1.0000e-10,  1.0000e+00,  1.0000e+10, -5.0000e+00])"
        );
    }

    #[test]
    fn three_digit_exponents() {
        let data = [1e-300, 1e+300];
        let elems = Elements::F64(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(
            &[2],
            &elems,
            &sfx(Some("torch.float64"), None, false),
            &opts,
        );
        assert_eq!(
            got,
            "tensor([1.0000e-300, 1.0000e+300], dtype=torch.float64)"
        );
    }

    #[test]
    fn f32_printed_via_f64() {
        let data = [0.3, 0.1, 0.7];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[3], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([0.3000, 0.1000, 0.7000])");
    }

    #[test]
    fn ties_round_to_even() {
        let data = [0.125, 0.375, 2.5, 0.625];
        let elems = Elements::F64(&data);
        let opts = PrintOptions {
            precision: 2,
            threshold: 1000,
            edgeitems: 3,
            linewidth: 80,
            sci_mode: None,
        };
        let got = tensor_repr(
            &[4],
            &elems,
            &sfx(Some("torch.float64"), None, false),
            &opts,
        );
        assert_eq!(got, "tensor([0.12, 0.38, 2.50, 0.62], dtype=torch.float64)");
    }

    #[test]
    fn negative_zero_int_mode() {
        let data = [-0.0, 0.0, 1.0];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[3], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([-0., 0., 1.])");
    }

    #[test]
    fn negative_rounding_to_zero() {
        let data = [-1e-05, 0.5, 100.0];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[3], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([-1.0000e-05,  5.0000e-01,  1.0000e+02])");
    }

    #[test]
    fn nan_inf_fixed() {
        let data = [f32::NAN, 1.5, f32::NEG_INFINITY];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[3], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([   nan, 1.5000,   -inf])");
    }

    #[test]
    fn nan_int_mode() {
        let data = [f32::NAN, 1.0, 2.0];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[3], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([nan, 1., 2.])");
    }

    #[test]
    fn nan_inf_sci() {
        let data = [f32::NAN, 1e-07, f32::INFINITY];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[3], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([       nan, 1.0000e-07,        inf])");
    }

    #[test]
    fn nan_with_zero() {
        let data = [0.0, f32::NAN];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[2], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([0., nan])");
    }

    #[test]
    fn nan_scalar() {
        let data = [f32::NAN];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor(nan)");
    }

    #[test]
    fn all_zeros() {
        let data = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[2, 3], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([[0., 0., 0.],\n        [0., 0., 0.]])");
    }

    #[test]
    fn all_zeros_ignore_forced_sci() {
        let data = [0.0, 0.0, 0.0];
        let elems = Elements::F32(&data);
        let opts = PrintOptions {
            precision: 4,
            threshold: 1000,
            edgeitems: 3,
            linewidth: 80,
            sci_mode: Some(true),
        };
        let got = tensor_repr(&[3], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([0., 0., 0.])");
    }

    #[test]
    fn int_negative_alignment() {
        let data = [-1, 20, -300, 4];
        let elems = Elements::I64(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[4], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([  -1,   20, -300,    4])");
    }

    #[test]
    fn int_extremes() {
        let data = [4611686018427387904, -9223372036854775808];
        let elems = Elements::I64(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[2], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([ 4611686018427387904, -9223372036854775808])");
    }

    #[test]
    fn int_scalar() {
        let data = [5];
        let elems = Elements::I64(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor(5)");
    }

    #[test]
    fn bool_vector() {
        let data = [true, false, true];
        let elems = Elements::Bool(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[3], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([ True, False,  True])");
    }

    #[test]
    fn bool_matrix() {
        let data = [true, false];
        let elems = Elements::Bool(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[2, 1], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([[ True],\n        [False]])");
    }

    #[test]
    fn bool_scalar() {
        let data = [false];
        let elems = Elements::Bool(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor(False)");
    }

    #[test]
    fn empty_1d() {
        let data = [0.0_f32; 0];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[0], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([])");
    }

    #[test]
    fn empty_0x3() {
        let data = [0.0_f32; 0];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[0, 3], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([], size=(0, 3))");
    }

    #[test]
    fn empty_3d() {
        let data = [0.0_f32; 0];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[2, 0, 4], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([], size=(2, 0, 4))");
    }

    #[test]
    fn empty_int_names_dtype() {
        let data = [0_i64; 0];
        let elems = Elements::I64(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[0], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([], dtype=torch.int64)");
    }

    #[test]
    fn empty_bool_names_dtype() {
        let data = [false; 0];
        let elems = Elements::Bool(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[0], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([], dtype=torch.bool)");
    }

    #[test]
    fn empty_float64() {
        let data = [0.0_f64; 0];
        let elems = Elements::F64(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(
            &[3, 0],
            &elems,
            &sfx(Some("torch.float64"), None, false),
            &opts,
        );
        assert_eq!(got, "tensor([], size=(3, 0), dtype=torch.float64)");
    }

    #[test]
    fn empty_requires_grad() {
        let data = [0.0_f32; 0];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[0, 3], &elems, &sfx(None, None, true), &opts);
        assert_eq!(got, "tensor([], size=(0, 3), requires_grad=True)");
    }

    #[test]
    fn arange_3d_blank_lines() {
        #[rustfmt::skip]
        let data = [
            0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0,
            16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0,
        ];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[2, 3, 4], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([[[ 0.,  1.,  2.,  3.],\n         [ 4.,  5.,  6.,  7.],\n         [ 8.,  9., 10., 11.]],\n\n        [[12., 13., 14., 15.],\n         [16., 17., 18., 19.],\n         [20., 21., 22., 23.]]])");
    }

    #[test]
    fn int_4d() {
        let data = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
        let elems = Elements::I64(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[2, 2, 2, 2], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([[[[ 0,  1],\n          [ 2,  3]],\n\n         [[ 4,  5],\n          [ 6,  7]]],\n\n\n        [[[ 8,  9],\n          [10, 11]],\n\n         [[12, 13],\n          [14, 15]]]])");
    }

    #[test]
    fn long_row_wraps() {
        #[rustfmt::skip]
        let data = [
            -0.51107377, -1.7137278, -0.5100648, -0.47489312, -0.6334038, -1.4677203, -0.87848496,
            -2.0783968, -1.1004796, -0.7201275, 0.011930507, 0.3397729, -0.26345232, 1.2804661,
            -0.28129023, -1.3298751, -0.6537996, 1.7198241, -0.9609554, -0.6375025, 0.07472499,
            0.5599695, 1.1528951, -1.7610981, -1.1070389, -1.7173612, 1.534561, -0.0032062111,
            -1.603419, 0.058098484,
        ];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[30], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([-0.5111, -1.7137, -0.5101, -0.4749, -0.6334, -1.4677, -0.8785, -2.0784,\n        -1.1005, -0.7201,  0.0119,  0.3398, -0.2635,  1.2805, -0.2813, -1.3299,\n        -0.6538,  1.7198, -0.9610, -0.6375,  0.0747,  0.5600,  1.1529, -1.7611,\n        -1.1070, -1.7174,  1.5346, -0.0032, -1.6034,  0.0581])");
    }

    #[test]
    fn long_int_row_wraps() {
        #[rustfmt::skip]
        let data = [
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
            24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45,
            46, 47, 48, 49,
        ];
        let elems = Elements::I64(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[50], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n        36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49])");
    }

    #[test]
    fn wrapped_rows_in_matrix() {
        #[rustfmt::skip]
        let data = [
            -0.6837295, 0.51635766, 0.5588033, 0.7917585, -0.18467577, -0.7317725, -0.08065192,
            -0.98006076, 0.5835969, 1.3481555, -0.81373125, 0.8199948, -0.6331734, 1.2947547,
            0.4200803, 1.1290358, 0.4263594, -1.1361163, -0.12923042, -0.054594755, 0.40834674,
            1.1263659, -0.6079286, -0.36248323, -1.5072073, -0.50869864, -1.2425977, 1.2845501,
            0.24377228, 0.5303686,
        ];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[2, 15], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([[-0.6837,  0.5164,  0.5588,  0.7918, -0.1847, -0.7318, -0.0807, -0.9801,\n          0.5836,  1.3482, -0.8137,  0.8200, -0.6332,  1.2948,  0.4201],\n        [ 1.1290,  0.4264, -1.1361, -0.1292, -0.0546,  0.4083,  1.1264, -0.6079,\n         -0.3625, -1.5072, -0.5087, -1.2426,  1.2846,  0.2438,  0.5304]])");
    }

    #[test]
    fn wrapped_rows_in_3d() {
        #[rustfmt::skip]
        let data = [
            -2.757534, -0.8323581, 0.48998556, 0.29082173, 0.64423007, 3.930004, -0.12442429,
            0.2953417, 2.4197114, 1.6456112, -0.308694, -1.5147238, 1.9456682, -1.2903639,
            -2.349476, -2.068862, -0.3099396, -0.05606184, 0.5174129, -1.5962368, 0.5411418,
            1.5389583, 1.0860491, 1.246405, 0.56305516, -1.4350673, 0.71939975, -1.3707474,
            0.8732305, 0.0651267, 0.7732411, -0.97013843, 1.2359123, -0.10021023, 2.1364045,
            0.07003041, 0.49895304, 0.87799746, 0.38944435, 1.4625175, 0.54546356, -1.5373888,
            0.31243864, 0.7400597, 0.29768595, -0.6848049, -0.043267682, 1.839319, -0.69897515,
            0.57438636, 1.2380632, -0.6405401, -0.63526, -0.16289255, 0.49300092, -0.47812572,
        ];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[2, 2, 14], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([[[-2.7575, -0.8324,  0.4900,  0.2908,  0.6442,  3.9300, -0.1244,\n           0.2953,  2.4197,  1.6456, -0.3087, -1.5147,  1.9457, -1.2904],\n         [-2.3495, -2.0689, -0.3099, -0.0561,  0.5174, -1.5962,  0.5411,\n           1.5390,  1.0860,  1.2464,  0.5631, -1.4351,  0.7194, -1.3707]],\n\n        [[ 0.8732,  0.0651,  0.7732, -0.9701,  1.2359, -0.1002,  2.1364,\n           0.0700,  0.4990,  0.8780,  0.3894,  1.4625,  0.5455, -1.5374],\n         [ 0.3124,  0.7401,  0.2977, -0.6848, -0.0433,  1.8393, -0.6990,\n           0.5744,  1.2381, -0.6405, -0.6353, -0.1629,  0.4930, -0.4781]]])");
    }

    #[test]
    fn grad_fn_after_wrapped_row() {
        #[rustfmt::skip]
        let data = [
            25378.854, 66383.89, 74569.69, 35473.965, -151594.53, -78433.484, -119437.54, 62049.668,
            -73800.73, -59305.37, -171881.11, 42389.17,
        ];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[12], &elems, &sfx(None, Some("MulBackward0"), true), &opts);
        assert_eq!(got, "tensor([  25378.8535,   66383.8906,   74569.6875,   35473.9648, -151594.5312,\n         -78433.4844, -119437.5391,   62049.6680,  -73800.7266,  -59305.3711,\n        -171881.1094,   42389.1719], grad_fn=<MulBackward0>)");
    }

    #[test]
    fn suffixes_move_to_new_line() {
        #[rustfmt::skip]
        let data = [
            1.9694948426760601, -0.27893732794998805, 0.3686135958069571, -0.5405770721311671,
            2.3936086386049262, 0.3784016836389493, 1.48030812820216, 1.4235300421086967,
            1.1843848221951316, -0.13501660703483864, 2.0726459340092247, 1.8613672523333045,
            1.1517804702793695, 1.4314720581205216, 1.6556459404251052, 0.8526776672176798,
        ];
        let elems = Elements::F64(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(
            &[2, 8],
            &elems,
            &sfx(Some("torch.float64"), Some("AddBackward0"), true),
            &opts,
        );
        assert_eq!(got, "tensor([[ 1.9695, -0.2789,  0.3686, -0.5406,  2.3936,  0.3784,  1.4803,  1.4235],\n        [ 1.1844, -0.1350,  2.0726,  1.8614,  1.1518,  1.4315,  1.6556,  0.8527]],\n       dtype=torch.float64, grad_fn=<AddBackward0>)");
    }

    #[test]
    fn long_grad_fn_name_wraps() {
        #[rustfmt::skip]
        let data = [
            1.2961776, 0.6210935, 0.290481, 0.82663107, 0.83793974, 0.876583, 0.6165443, 0.44216916,
            0.52673244, 0.40463626, 0.4301284, 1.1776085,
        ];
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(
            &[2, 6],
            &elems,
            &sfx(None, Some("BinaryCrossEntropyWithLogitsBackward0"), true),
            &opts,
        );
        assert_eq!(got, "tensor([[1.2962, 0.6211, 0.2905, 0.8266, 0.8379, 0.8766],\n        [0.6165, 0.4422, 0.5267, 0.4046, 0.4301, 1.1776]],\n       grad_fn=<BinaryCrossEntropyWithLogitsBackward0>)");
    }

    #[test]
    fn summarized_vector() {
        let data = (0..2000).map(|i| i as f32).collect::<Vec<f32>>();
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[2000], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])");
    }

    #[test]
    fn summarized_int_vector() {
        let data = (0..2000).collect::<Vec<i64>>();
        let elems = Elements::I64(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[2000], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])");
    }

    #[test]
    fn summarized_matrix() {
        let data = (0..10000).map(|i| i as f32 / 7.0).collect::<Vec<f32>>();
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[100, 100], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([[0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 1.3857e+01, 1.4000e+01,\n         1.4143e+01],\n        [1.4286e+01, 1.4429e+01, 1.4571e+01,  ..., 2.8143e+01, 2.8286e+01,\n         2.8429e+01],\n        [2.8571e+01, 2.8714e+01, 2.8857e+01,  ..., 4.2429e+01, 4.2571e+01,\n         4.2714e+01],\n        ...,\n        [1.3857e+03, 1.3859e+03, 1.3860e+03,  ..., 1.3996e+03, 1.3997e+03,\n         1.3999e+03],\n        [1.4000e+03, 1.4001e+03, 1.4003e+03,  ..., 1.4139e+03, 1.4140e+03,\n         1.4141e+03],\n        [1.4143e+03, 1.4144e+03, 1.4146e+03,  ..., 1.4281e+03, 1.4283e+03,\n         1.4284e+03]])");
    }

    #[test]
    fn summary_width_ignores_hidden_values() {
        let data = (0..10000)
            .map(|i| if i == 5050 { 0.5 } else { i as f32 })
            .collect::<Vec<f32>>();
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[100, 100], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 9.7000e+01, 9.8000e+01,\n         9.9000e+01],\n        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.9700e+02, 1.9800e+02,\n         1.9900e+02],\n        [2.0000e+02, 2.0100e+02, 2.0200e+02,  ..., 2.9700e+02, 2.9800e+02,\n         2.9900e+02],\n        ...,\n        [9.7000e+03, 9.7010e+03, 9.7020e+03,  ..., 9.7970e+03, 9.7980e+03,\n         9.7990e+03],\n        [9.8000e+03, 9.8010e+03, 9.8020e+03,  ..., 9.8970e+03, 9.8980e+03,\n         9.8990e+03],\n        [9.9000e+03, 9.9010e+03, 9.9020e+03,  ..., 9.9970e+03, 9.9980e+03,\n         9.9990e+03]])");
    }

    #[test]
    fn summarized_3d() {
        let data = (0..1100)
            .map(|i| i as f32 * 0.25 - 100.0)
            .collect::<Vec<f32>>();
        let elems = Elements::F32(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[10, 10, 11], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([[[-100.0000,  -99.7500,  -99.5000,  ...,  -98.0000,  -97.7500,\n           -97.5000],\n         [ -97.2500,  -97.0000,  -96.7500,  ...,  -95.2500,  -95.0000,\n           -94.7500],\n         [ -94.5000,  -94.2500,  -94.0000,  ...,  -92.5000,  -92.2500,\n           -92.0000],\n         ...,\n         [ -80.7500,  -80.5000,  -80.2500,  ...,  -78.7500,  -78.5000,\n           -78.2500],\n         [ -78.0000,  -77.7500,  -77.5000,  ...,  -76.0000,  -75.7500,\n           -75.5000],\n         [ -75.2500,  -75.0000,  -74.7500,  ...,  -73.2500,  -73.0000,\n           -72.7500]],\n\n        [[ -72.5000,  -72.2500,  -72.0000,  ...,  -70.5000,  -70.2500,\n           -70.0000],\n         [ -69.7500,  -69.5000,  -69.2500,  ...,  -67.7500,  -67.5000,\n           -67.2500],\n         [ -67.0000,  -66.7500,  -66.5000,  ...,  -65.0000,  -64.7500,\n           -64.5000],\n         ...,\n         [ -53.2500,  -53.0000,  -52.7500,  ...,  -51.2500,  -51.0000,\n           -50.7500],\n         [ -50.5000,  -50.2500,  -50.0000,  ...,  -48.5000,  -48.2500,\n           -48.0000],\n         [ -47.7500,  -47.5000,  -47.2500,  ...,  -45.7500,  -45.5000,\n           -45.2500]],\n\n        [[ -45.0000,  -44.7500,  -44.5000,  ...,  -43.0000,  -42.7500,\n           -42.5000],\n         [ -42.2500,  -42.0000,  -41.7500,  ...,  -40.2500,  -40.0000,\n           -39.7500],\n         [ -39.5000,  -39.2500,  -39.0000,  ...,  -37.5000,  -37.2500,\n           -37.0000],\n         ...,\n         [ -25.7500,  -25.5000,  -25.2500,  ...,  -23.7500,  -23.5000,\n           -23.2500],\n         [ -23.0000,  -22.7500,  -22.5000,  ...,  -21.0000,  -20.7500,\n           -20.5000],\n         [ -20.2500,  -20.0000,  -19.7500,  ...,  -18.2500,  -18.0000,\n           -17.7500]],\n\n        ...,\n\n        [[  92.5000,   92.7500,   93.0000,  ...,   94.5000,   94.7500,\n            95.0000],\n         [  95.2500,   95.5000,   95.7500,  ...,   97.2500,   97.5000,\n            97.7500],\n         [  98.0000,   98.2500,   98.5000,  ...,  100.0000,  100.2500,\n           100.5000],\n         ...,\n         [ 111.7500,  112.0000,  112.2500,  ...,  113.7500,  114.0000,\n           114.2500],\n         [ 114.5000,  114.7500,  115.0000,  ...,  116.5000,  116.7500,\n           117.0000],\n         [ 117.2500,  117.5000,  117.7500,  ...,  119.2500,  119.5000,\n           119.7500]],\n\n        [[ 120.0000,  120.2500,  120.5000,  ...,  122.0000,  122.2500,\n           122.5000],\n         [ 122.7500,  123.0000,  123.2500,  ...,  124.7500,  125.0000,\n           125.2500],\n         [ 125.5000,  125.7500,  126.0000,  ...,  127.5000,  127.7500,\n           128.0000],\n         ...,\n         [ 139.2500,  139.5000,  139.7500,  ...,  141.2500,  141.5000,\n           141.7500],\n         [ 142.0000,  142.2500,  142.5000,  ...,  144.0000,  144.2500,\n           144.5000],\n         [ 144.7500,  145.0000,  145.2500,  ...,  146.7500,  147.0000,\n           147.2500]],\n\n        [[ 147.5000,  147.7500,  148.0000,  ...,  149.5000,  149.7500,\n           150.0000],\n         [ 150.2500,  150.5000,  150.7500,  ...,  152.2500,  152.5000,\n           152.7500],\n         [ 153.0000,  153.2500,  153.5000,  ...,  155.0000,  155.2500,\n           155.5000],\n         ...,\n         [ 166.7500,  167.0000,  167.2500,  ...,  168.7500,  169.0000,\n           169.2500],\n         [ 169.5000,  169.7500,  170.0000,  ...,  171.5000,  171.7500,\n           172.0000],\n         [ 172.2500,  172.5000,  172.7500,  ...,  174.2500,  174.5000,\n           174.7500]]])");
    }

    #[test]
    fn summarized_int_matrix() {
        let data = (0..3000).map(|i| i - 1500).collect::<Vec<i64>>();
        let elems = Elements::I64(&data);
        let opts = PrintOptions::default();
        let got = tensor_repr(&[3, 1000], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([[-1500, -1499, -1498,  ...,  -503,  -502,  -501],\n        [ -500,  -499,  -498,  ...,   497,   498,   499],\n        [  500,   501,   502,  ...,  1497,  1498,  1499]])");
    }

    #[test]
    fn edgeitems_zero() {
        let data = (0..5000).map(|i| i as f32).collect::<Vec<f32>>();
        let elems = Elements::F32(&data);
        let opts = PrintOptions {
            precision: 4,
            threshold: 1000,
            edgeitems: 0,
            linewidth: 80,
            sci_mode: None,
        };
        let got = tensor_repr(&[5000], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([...], size=(5000,))");
    }

    #[test]
    fn low_threshold() {
        let data = (0..10).collect::<Vec<i64>>();
        let elems = Elements::I64(&data);
        let opts = PrintOptions {
            precision: 4,
            threshold: 5,
            edgeitems: 3,
            linewidth: 80,
            sci_mode: None,
        };
        let got = tensor_repr(&[10], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([0, 1, 2,  ..., 7, 8, 9])");
    }

    #[test]
    fn low_threshold_edgeitems_one() {
        let data = (0..12).map(|i| i as f32).collect::<Vec<f32>>();
        let elems = Elements::F32(&data);
        let opts = PrintOptions {
            precision: 4,
            threshold: 5,
            edgeitems: 1,
            linewidth: 80,
            sci_mode: None,
        };
        let got = tensor_repr(&[3, 4], &elems, &sfx(None, None, false), &opts);
        assert_eq!(
            got,
            "tensor([[ 0.,  ...,  3.],\n        ...,\n        [ 8.,  ..., 11.]])"
        );
    }

    #[test]
    fn precision_two() {
        let data = [1.12345, -2.5678];
        let elems = Elements::F32(&data);
        let opts = PrintOptions {
            precision: 2,
            threshold: 1000,
            edgeitems: 3,
            linewidth: 80,
            sci_mode: None,
        };
        let got = tensor_repr(&[2], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([ 1.12, -2.57])");
    }

    #[test]
    fn precision_zero() {
        let data = [1.5, 2.5, 3.7];
        let elems = Elements::F32(&data);
        let opts = PrintOptions {
            precision: 0,
            threshold: 1000,
            edgeitems: 3,
            linewidth: 80,
            sci_mode: None,
        };
        let got = tensor_repr(&[3], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([2, 2, 4])");
    }

    #[test]
    fn sci_mode_forced_on() {
        let data = [1.5, 2.25];
        let elems = Elements::F32(&data);
        let opts = PrintOptions {
            precision: 4,
            threshold: 1000,
            edgeitems: 3,
            linewidth: 80,
            sci_mode: Some(true),
        };
        let got = tensor_repr(&[2], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([1.5000e+00, 2.2500e+00])");
    }

    #[test]
    fn sci_mode_forced_on_integral() {
        let data = [1.0, 20.0];
        let elems = Elements::F32(&data);
        let opts = PrintOptions {
            precision: 4,
            threshold: 1000,
            edgeitems: 3,
            linewidth: 80,
            sci_mode: Some(true),
        };
        let got = tensor_repr(&[2], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([1.0000e+00, 2.0000e+01])");
    }

    #[test]
    fn sci_mode_forced_off() {
        let data = [1e-05, 3.0, 1e+09];
        let elems = Elements::F32(&data);
        let opts = PrintOptions {
            precision: 4,
            threshold: 1000,
            edgeitems: 3,
            linewidth: 80,
            sci_mode: Some(false),
        };
        let got = tensor_repr(&[3], &elems, &sfx(None, None, false), &opts);
        assert_eq!(
            got,
            "tensor([         0.0000,          3.0000, 1000000000.0000])"
        );
    }

    #[test]
    fn narrow_linewidth() {
        #[rustfmt::skip]
        let data = [
            0.072427936, -0.15784958, 0.38414258, -0.012938327, -1.8645235, 0.594271, -0.594965,
            -0.76805955, -0.20738953, 0.64881545, 0.5865778, 0.0931013, -0.72110337, -0.5528573,
            -0.33913243, 0.08259215, -0.86028725, -0.85523653, 1.2241446, 1.1605439, -0.85888064,
            -0.64990246, 0.2800146, 0.5993239, -1.2317879, 0.31929722, -0.3078671, 0.042980824,
            -0.3513848, -2.1902916,
        ];
        let elems = Elements::F32(&data);
        let opts = PrintOptions {
            precision: 4,
            threshold: 1000,
            edgeitems: 3,
            linewidth: 40,
            sci_mode: None,
        };
        let got = tensor_repr(&[3, 10], &elems, &sfx(None, None, false), &opts);
        assert_eq!(got, "tensor([[ 0.0724, -0.1578,  0.3841,\n         -0.0129, -1.8645,  0.5943,\n         -0.5950, -0.7681, -0.2074,\n          0.6488],\n        [ 0.5866,  0.0931, -0.7211,\n         -0.5529, -0.3391,  0.0826,\n         -0.8603, -0.8552,  1.2241,\n          1.1605],\n        [-0.8589, -0.6499,  0.2800,\n          0.5993, -1.2318,  0.3193,\n         -0.3079,  0.0430, -0.3514,\n         -2.1903]])");
    }

    #[test]
    fn linewidth_below_indent() {
        let data = [-0.13501537, 2.5495746, -1.4575508, -0.59868836];
        let elems = Elements::F32(&data);
        let opts = PrintOptions {
            precision: 4,
            threshold: 1000,
            edgeitems: 3,
            linewidth: 5,
            sci_mode: None,
        };
        let got = tensor_repr(&[4], &elems, &sfx(None, None, false), &opts);
        assert_eq!(
            got,
            "tensor([-0.1350,\n         2.5496,\n        -1.4576,\n        -0.5987])"
        );
    }
}
