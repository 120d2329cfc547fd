//! WGSL for every wgpu kernel: one template per family (elementwise,
//! reduction, matrix product) and, per named kernel, the expression the
//! elementwise template wraps. A kernel absent from these tables has no
//! wgpu form and is refused by name. Templates name their element types
//! through the prelude's aliases: `elem` in, `out_elem` out, `real` for
//! arithmetic.

use super::element::{number_reader, Element, NUMBER_WORDS};
use super::prelude::prelude;

/// Dims a kernel's shape and stride tables hold.
pub const MAX_DIMS: usize = 8;
/// Threads per workgroup of the elementwise and reduction kernels.
pub const GROUP: u32 = 256;

/// Where the elementwise parameter words sit (see `elementwise`).
pub mod slot {
    pub const COUNT: usize = 0;
    pub const START: usize = 1;
    pub const NDIM: usize = 2;
    pub const OUT_OFF: usize = 3;
    pub const A_OFF: usize = 4;
    pub const B_OFF: usize = 5;
    pub const SHAPE: usize = 8;
    pub const OUT_STRIDES: usize = 16;
    pub const A_STRIDES: usize = 24;
    pub const B_STRIDES: usize = 32;
    /// The two kernel numbers, `NUMBER_WORDS` each.
    pub const S0: usize = 40;
    pub const S1: usize = 44;
    pub const LEN: usize = 48;
}

/// `f(x)` of a unary kernel, by its name; `s0`, `s1` are its number
/// arguments (`UnaryKernel::scalars`).
pub fn unary_expr(name: &str, element: Element) -> Option<&'static str> {
    if element == Element::F64 && float32_only(name) {
        return None;
    }
    Some(match name {
        "copy" => "x",
        "exp" => "exp_(x)",
        "log" => "log_(x)",
        "sqrt" => "sqrt(x)",
        "tanh" => "tanh_(x)",
        "sigmoid" => "sigmoid_(x)",
        "reciprocal" => "1.0 / x",
        "exp2" => "exp2_(x)",
        "expm1" => "expm1_(x)",
        "log2" => "log2_(x)",
        "log10" => "log_(x) * 0.4342944819032518",
        "log1p" => "log1p_(x)",
        "rsqrt" => "1.0 / sqrt(x)",
        "sin" => "sin_(x)",
        "cos" => "cos_(x)",
        "tan" => "tan_(x)",
        "erf" => "erf_(x)",
        "floor" => "floor(x)",
        "ceil" => "ceil(x)",
        // WGSL's round is half to even, as the CPU kernel.
        "round" => "round(x)",
        "trunc" => "trunc(x)",
        "silu" => "x * sigmoid_(x)",
        "gelu" => "x * 0.5 * (1.0 + erf_(x * 0.7071067811865476))",
        "gelu_tanh" => "0.5 * x * (1.0 + tanh_(0.7978845608028654 * (x + 0.044715 * x * x * x)))",
        "neg" => "-x",
        "relu" => "select(x, 0.0, x < 0.0)",
        "abs" => "abs(x)",
        "sign" => "select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0)",
        "clamp" => "clamp_(x, s0, s1)",
        "pow_scalar" => "pow_number_(x, s0)",
        "leaky_relu" => "select(x * s0, x, x > 0.0)",
        "elu" => "select(expm1_(x) * s0, x, x > 0.0)",
        "softplus" => "select(log1p_(exp_(x * s0)) / s0, x, x * s0 > s1)",
        _ => return None,
    })
}

/// `f(a, b)` of a binary kernel, by its name.
pub fn binary_expr(name: &str, element: Element) -> Option<&'static str> {
    if element == Element::F64 && float32_only(name) {
        return None;
    }
    Some(match name {
        "add" => "a + b",
        "sub" => "a - b",
        "overwrite" => "b",
        "mul" => "a * b",
        "maximum" => "max_nan_(a, b)",
        "minimum" => "min_nan_(a, b)",
        "div" => "a / b",
        "pow" => "pow_(a, b)",
        "tanh_backward" => "a * (1.0 - b * b)",
        "sigmoid_backward" => "a * (1.0 - b) * b",
        "threshold_backward" => "select(a, 0.0, b <= 0.0)",
        "clamp_min" => "clamp_(a, b, inf_())",
        "clamp_max" => "clamp_(a, -inf_(), b)",
        "gelu_backward" => "a * gelu_slope_(b)",
        "gelu_tanh_backward" => "a * gelu_tanh_slope_(b)",
        "silu_backward" => "a * sigmoid_(b) * (1.0 + b * (1.0 - sigmoid_(b)))",
        "div_trunc" => "trunc(a / b)",
        "div_floor" => "div_floor_(a, b)",
        "leaky_relu_backward" => "select(a * s0, a, b > 0.0)",
        "elu_backward" => "select(a, a * s0 * exp_(b), b <= 0.0)",
        "elu_result_backward" => "select(a, a * (b + s0), b <= 0.0)",
        "softplus_backward" => "softplus_backward_(a, b, s0, s1)",
        "lerp_scalar" => "lerp_(a, b, s0)",
        _ => return None,
    })
}

/// Kernels built on erf's float32 fit, which float64 would see through.
fn float32_only(name: &str) -> bool {
    matches!(name, "erf" | "gelu" | "gelu_backward")
}

/// `(initial value, fold of acc and v)` of a reduction, by its name.
pub fn reduce_fold(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name {
        "sum" => ("0.0", "acc + v"),
        "prod" => ("1.0", "acc * v"),
        "amax" => ("-inf_()", "max_nan_(acc, v)"),
        "amin" => ("inf_()", "min_nan_(acc, v)"),
        _ => return None,
    })
}

/// The flat index of this thread over a 2-D grid of workgroups of `GROUP`.
const FLAT_INDEX: &str = "(wid.y * nwg.x + wid.x) * 256u + lid";

/// The opening of a kernel with one thread per item, through its first
/// line: the thread's flat index as `index`, threads at or past `limit` (a
/// WGSL expression) returning. The caller writes the body and the `}`.
fn flat_main(index: &str, limit: &str) -> String {
    format!(
        "@compute @workgroup_size(256)\nfn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{\n    let {index} = {FLAT_INDEX};\n    if ({index} >= {limit}) {{ return; }}\n"
    )
}

/// An elementwise kernel: `arity` inputs (1 or 2) of `input` elements read
/// through strides broadcast to the output shape, written as `output`
/// elements. In place, the output is the strided first operand itself
/// (bound read-write once: a buffer cannot be bound for reading and
/// writing at the same time). `expr` reads `x` (or `a`, `b`) and the
/// number arguments `s0`, `s1`.
///
/// Parameters (`slot`): element count and first logical index of this
/// dispatch, rank, element offsets into each binding, the shape, then per
/// operand its strides (two's complement, so negative strides wrap back in
/// u32 arithmetic), then the two numbers.
pub fn elementwise(expr: &str, arity: u32, in_place: bool, input: Element, output: Element) -> String {
    let mut s = prelude(input, output);
    s.push_str("@group(0) @binding(0) var<storage, read> p: array<u32>;\n");
    s.push_str(&number_reader(input.wider(output), "p"));
    if in_place {
        s.push_str("@group(0) @binding(1) var<storage, read_write> out: array<out_elem>;\n");
        if arity == 2 {
            s.push_str("@group(0) @binding(2) var<storage, read> b_in: array<elem>;\n");
        }
    } else {
        s.push_str("@group(0) @binding(1) var<storage, read_write> out: array<out_elem>;\n");
        s.push_str("@group(0) @binding(2) var<storage, read> a_in: array<elem>;\n");
        if arity == 2 {
            s.push_str("@group(0) @binding(3) var<storage, read> b_in: array<elem>;\n");
        }
    }
    let main = flat_main("i", &format!("p[{}]", slot::COUNT));
    s.push_str(&format!(
        r#"
{main}{offsets}    let s0 = number_({s0}u);
    let s1 = number_({s1}u);
"#,
        offsets = strided_offsets(
            &format!("p[{}] + i", slot::START),
            (slot::NDIM, slot::SHAPE),
            &[("oo", slot::OUT_OFF, slot::OUT_STRIDES), ("ao", slot::A_OFF, slot::A_STRIDES), ("bo", slot::B_OFF, slot::B_STRIDES)],
        ),
        s0 = slot::S0,
        s1 = slot::S1,
    ));
    let first = if in_place { "out[oo]" } else { "a_in[ao]" };
    if arity == 1 {
        s.push_str(&format!("    let x = real({first});\n"));
    } else {
        s.push_str(&format!("    let a = real({first});\n    let b = real(b_in[bo]);\n"));
    }
    // Unused names would be stripped from the layout and break the binding order.
    s.push_str("    _ = s0; _ = s1; _ = ao; _ = bo;\n");
    let target = if in_place { "out[oo]" } else { "out[i]" };
    s.push_str(&format!("    {target} = out_elem({expr});\n}}\n"));
    s
}

/// Update parameters: element count, first element of this dispatch, each
/// operand's first element in its binding (param, grad, states), then the
/// update's numbers, `NUMBER_WORDS` each.
pub mod update_slot {
    pub const COUNT: usize = 0;
    pub const START: usize = 1;
    pub const FIRST: usize = 2;
    pub const NUMBERS: usize = 8;
    pub const LEN: usize = NUMBERS + crate::optim::MAX_NUMBERS * super::NUMBER_WORDS;
}

/// An optimizer update (`optim::KernelForm`): per element, the param `p`,
/// grad `g` and state `s0`.. are read, `body` runs, and `p` and the state
/// are written back. The numbers are `k0`...
pub fn update(body: &str, states: usize, numbers: usize, element: Element) -> String {
    use update_slot::*;
    let mut s = prelude(element, element);
    s.push_str("@group(0) @binding(0) var<storage, read> q: array<u32>;\n");
    s.push_str(&number_reader(element, "q"));
    s.push_str("@group(0) @binding(1) var<storage, read_write> param_: array<elem>;\n");
    s.push_str("@group(0) @binding(2) var<storage, read> grad_: array<elem>;\n");
    for j in 0..states {
        s.push_str(&format!("@group(0) @binding({}) var<storage, read_write> state{j}_: array<elem>;\n", 3 + j));
    }
    s.push_str(&format!("\n{}    let e = q[{START}] + i;\n", flat_main("i", &format!("q[{COUNT}]"))));
    s.push_str(&format!("    var p = real(param_[q[{FIRST}] + e]);\n    var g = real(grad_[q[{}] + e]);\n", FIRST + 1));
    for j in 0..states {
        s.push_str(&format!("    var s{j} = real(state{j}_[q[{}] + e]);\n", FIRST + 2 + j));
    }
    for k in 0..numbers {
        s.push_str(&format!("    let k{k} = number_({}u);\n", NUMBERS + k * NUMBER_WORDS));
    }
    s.push_str(body);
    s.push_str(&format!("    param_[q[{FIRST}] + e] = elem(p);\n"));
    for j in 0..states {
        s.push_str(&format!("    state{j}_[q[{}] + e] = elem(s{j});\n", FIRST + 2 + j));
    }
    s.push_str("}\n");
    s
}

/// A dropout mask of `element`s. Parameters: element count, first element
/// of this dispatch, the key's low and high words, the keep probability
/// (float32 bits), then the scale (a number at word 8). Element `e` draws
/// from two rounds of a 32-bit integer mixer (Wellons' lowbias32 constants)
/// keyed by the two words: for one key, a bijection of the index, so no two
/// elements share a draw.
pub fn dropout_mask(element: Element) -> String {
    let main = flat_main("i", "p[0]");
    format!(
        r#"{prelude}
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<out_elem>;
{number}
fn mix_(x: u32) -> u32 {{
    var h = x;
    h = h ^ (h >> 16u);
    h = h * 0x21f0aaadu;
    h = h ^ (h >> 15u);
    h = h * 0xd35a2d97u;
    h = h ^ (h >> 15u);
    return h;
}}

{main}    let e = p[1] + i;
    let h = mix_(mix_(e ^ p[2]) + p[3]);
    // 24 bits into [0, 1), as the host generator's float draws.
    let u = f32(h >> 8u) * 5.9604644775390625e-8;
    out[i] = out_elem(select(0.0, number_(8u), u < bitcast<f32>(p[4])));
}}
"#,
        prelude = prelude(element, element),
        number = number_reader(element, "p"),
    )
}

/// Parameters of the mask kernels (`compare`, `select`): element count,
/// rank, each operand's first element (bool operands count bytes), the
/// shape, then per operand its strides broadcast to the shape. Operands
/// are `c` (the condition), `a` and `b`.
pub mod mask_slot {
    pub const COUNT: usize = 0;
    pub const NDIM: usize = 1;
    pub const C_OFF: usize = 2;
    pub const A_OFF: usize = 3;
    pub const B_OFF: usize = 4;
    pub const SHAPE: usize = 8;
    pub const C_STRIDES: usize = 16;
    pub const A_STRIDES: usize = 24;
    pub const B_STRIDES: usize = 32;
    pub const LEN: usize = 40;
}

/// WGSL setting `oc`, `oa`, `ob` to element `i`'s offset in each mask
/// kernel operand.
fn mask_offsets() -> String {
    use mask_slot::*;
    strided_offsets("i", (NDIM, SHAPE), &[("oc", C_OFF, C_STRIDES), ("oa", A_OFF, A_STRIDES), ("ob", B_OFF, B_STRIDES)])
}

/// WGSL declaring, per operand `(name, offset slot, strides slot)`, a `var`
/// holding the element offset of logical index `index` (an expression) in
/// that operand: the index split into coordinates over the shape at
/// `shape` (rank at `ndim`), each coordinate times the operand's stride.
fn strided_offsets(index: &str, (ndim, shape): (usize, usize), operands: &[(&str, usize, usize)]) -> String {
    let mut s = format!("    var rem = {index};\n");
    for (name, off, _) in operands {
        s.push_str(&format!("    var {name} = p[{off}];\n"));
    }
    s.push_str(&format!(
        "    for (var d = i32(p[{ndim}]) - 1; d >= 0; d = d - 1) {{\n        let n = p[{shape}u + u32(d)];\n        let c = rem % n;\n        rem = rem / n;\n"
    ));
    for (name, _, strides) in operands {
        s.push_str(&format!("        {name} = {name} + c * p[{strides}u + u32(d)];\n"));
    }
    s.push_str("    }\n");
    s
}

/// A test of `a` and `b` into bool bytes, four to a word: each thread
/// computes one word, so no two threads write the same one. `test` reads
/// `x` and `y`: `element`s as `real`, or with `bools` the operands' bool bytes.
pub fn compare(test: &str, bools: bool, element: Element) -> String {
    use mask_slot::*;
    let offsets = mask_offsets();
    let prelude = prelude(element, element);
    let (stored, x_type, read_a, read_b) = if bools {
        ("u32", "bool", "flag_a_(oa)", "flag_b_(ob)")
    } else {
        ("elem", "real", "real(a_in[oa])", "real(b_in[ob])")
    };
    let readers = if bools { flag_reader("flag_a_", "a_in") + &flag_reader("flag_b_", "b_in") } else { String::new() };
    format!(
        r#"{prelude}
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<storage, read> a_in: array<{stored}>;
@group(0) @binding(3) var<storage, read> b_in: array<{stored}>;

fn test_(x: {x_type}, y: {x_type}) -> bool {{ return {test}; }}
{readers}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
    let word = {FLAT_INDEX};
    if (word * 4u >= p[{COUNT}]) {{ return; }}
    var bits = 0u;
    for (var j = 0u; j < 4u; j = j + 1u) {{
        let i = word * 4u + j;
        if (i >= p[{COUNT}]) {{ break; }}
{offsets}        _ = oc;
        if (test_({read_a}, {read_b})) {{ bits = bits | (1u << (8u * j)); }}
    }}
    out[word] = bits;
}}
"#
    )
}

/// Whether the bool byte at `at` of a bool buffer is set.
fn flag_reader(name: &str, words: &str) -> String {
    format!("fn {name}(at: u32) -> bool {{ return (({words}[at >> 2u] >> ((at & 3u) * 8u)) & 0xffu) != 0u; }}\n")
}

/// `a` where the bool condition `c` holds, else `b`.
pub fn select(element: Element) -> String {
    use mask_slot::*;
    let offsets = mask_offsets();
    let reader = flag_reader("flag_c_", "c_in");
    let prelude = prelude(element, element);
    let main = flat_main("i", &format!("p[{COUNT}]"));
    format!(
        r#"{prelude}
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<elem>;
@group(0) @binding(2) var<storage, read> c_in: array<u32>;
@group(0) @binding(3) var<storage, read> a_in: array<elem>;
@group(0) @binding(4) var<storage, read> b_in: array<elem>;
{reader}
{main}{offsets}    out[i] = select(b_in[ob], a_in[oa], flag_c_(oc));
}}
"#
    )
}

/// Reduction parameters: output count, reduced count, the input's element
/// offset, kept rank, reduced rank, then shape and strides of the kept
/// dims and of the reduced dims.
pub mod reduce_slot {
    pub const N_OUT: usize = 0;
    pub const N_RED: usize = 1;
    pub const OFF: usize = 2;
    pub const KEEP_NDIM: usize = 3;
    pub const RED_NDIM: usize = 4;
    pub const KEEP_SHAPE: usize = 8;
    pub const KEEP_STRIDES: usize = 16;
    pub const RED_SHAPE: usize = 24;
    pub const RED_STRIDES: usize = 32;
    pub const LEN: usize = 40;
}

/// A reduction: one workgroup per output element, each thread folding a
/// strided share of the reduced elements, then a tree in workgroup memory.
/// Every fold here is associative, so partial results merge with it too.
pub fn reduce(init: &str, fold: &str, element: Element) -> String {
    let (prelude, offsets) = (prelude(element, element), reduce_offsets());
    format!(
        r#"{prelude}
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<out_elem>;
@group(0) @binding(2) var<storage, read> x: array<elem>;
var<workgroup> part: array<real, 256>;

fn fold_(acc: real, v: real) -> real {{ return {fold}; }}
{offsets}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
    let o = wid.y * nwg.x + wid.x;
    let valid = o < p[{n_out}];
    var acc: real = {init};
    if (valid) {{
        let base = group_base_(o);
        for (var r = lid; r < p[{n_red}]; r = r + 256u) {{ acc = fold_(acc, real(x[member_(base, r)])); }}
    }}
    part[lid] = acc;
    workgroupBarrier();
    for (var w = 128u; w > 0u; w = w >> 1u) {{
        if (lid < w) {{ part[lid] = fold_(part[lid], part[lid + w]); }}
        workgroupBarrier();
    }}
    if (valid && lid == 0u) {{ out[o] = out_elem(part[0]); }}
}}
"#,
        n_out = reduce_slot::N_OUT,
        n_red = reduce_slot::N_RED,
    )
}

/// WGSL of the reduction parameters' walk: `group_base_(o)`, the offset of
/// output `o`'s first element, and `member_(base, r)`, the offset of the
/// group's `r`-th element (row-major over the reduced dims).
fn reduce_offsets() -> String {
    use reduce_slot::*;
    format!(
        r#"
fn group_base_(o: u32) -> u32 {{
    var base = p[{OFF}];
    var rem = o;
    for (var d = i32(p[{KEEP_NDIM}]) - 1; d >= 0; d = d - 1) {{
        let n = p[{KEEP_SHAPE}u + u32(d)];
        base = base + (rem % n) * p[{KEEP_STRIDES}u + u32(d)];
        rem = rem / n;
    }}
    return base;
}}

fn member_(base: u32, r: u32) -> u32 {{
    var off = base;
    var k = r;
    for (var d = i32(p[{RED_NDIM}]) - 1; d >= 0; d = d - 1) {{
        let n = p[{RED_SHAPE}u + u32(d)];
        off = off + (k % n) * p[{RED_STRIDES}u + u32(d)];
        k = k / n;
    }}
    return off;
}}
"#
    )
}

/// The largest (with `max`, else smallest) element of each group and its
/// position in the group, as a two-word int64: the reduction's parameters
/// and walk, over (value, position) pairs. A NaN beats every number (the
/// first NaN wins), and equal values keep the earlier position.
pub fn reduce_indexed(max: bool, element: Element) -> String {
    let (prelude, offsets) = (prelude(element, element), reduce_offsets());
    let better = if max { ">" } else { "<" };
    format!(
        r#"{prelude}
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<out_elem>;
@group(0) @binding(2) var<storage, read_write> at: array<u32>;
@group(0) @binding(3) var<storage, read> x: array<elem>;
var<workgroup> part_v: array<real, 256>;
var<workgroup> part_i: array<u32, 256>;
{offsets}
const NONE: u32 = 0xffffffffu;

// Whether (v, i) replaces the pick (w, j); NONE marks no pick yet.
fn beats_(v: real, i: u32, w: real, j: u32) -> bool {{
    if (i == NONE) {{ return false; }}
    if (j == NONE) {{ return true; }}
    let vn = is_nan_(v);
    let wn = is_nan_(w);
    if (vn || wn) {{
        if (vn && wn) {{ return i < j; }}
        return vn;
    }}
    if (v == w) {{ return i < j; }}
    return v {better} w;
}}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
    let o = wid.y * nwg.x + wid.x;
    let valid = o < p[{n_out}];
    var best: real = 0.0;
    var pick = NONE;
    if (valid) {{
        let base = group_base_(o);
        for (var r = lid; r < p[{n_red}]; r = r + 256u) {{
            let v = real(x[member_(base, r)]);
            if (beats_(v, r, best, pick)) {{ best = v; pick = r; }}
        }}
    }}
    part_v[lid] = best;
    part_i[lid] = pick;
    workgroupBarrier();
    for (var w = 128u; w > 0u; w = w >> 1u) {{
        if (lid < w && beats_(part_v[lid + w], part_i[lid + w], part_v[lid], part_i[lid])) {{
            part_v[lid] = part_v[lid + w];
            part_i[lid] = part_i[lid + w];
        }}
        workgroupBarrier();
    }}
    if (valid && lid == 0u) {{
        out[o] = out_elem(part_v[0]);
        at[2u * o] = part_i[0];
        at[2u * o + 1u] = 0u;
    }}
}}
"#,
        n_out = reduce_slot::N_OUT,
        n_red = reduce_slot::N_RED,
    )
}

/// Row-kernel parameters: row count, row length, kept rank, element
/// offsets of the two operands, the stride along the row of each operand
/// and of the output, then the kept dims' sizes and each one's strides.
pub mod rows_slot {
    pub const ROWS: usize = 0;
    pub const LEN: usize = 1;
    pub const NDIM: usize = 2;
    pub const A_OFF: usize = 3;
    pub const B_OFF: usize = 4;
    pub const A_STEP: usize = 5;
    pub const B_STEP: usize = 6;
    pub const OUT_STEP: usize = 7;
    pub const SHAPE: usize = 8;
    pub const A_STRIDES: usize = 16;
    pub const B_STRIDES: usize = 24;
    pub const OUT_STRIDES: usize = 32;
    /// The output's first element: always 0, the output being fresh.
    pub const OUT_OFF: usize = 40;
    pub const WORDS: usize = 41;
}

/// What a row kernel computes along each row of `a` (and `b`): the
/// reductions it needs first, then the value each element gets from them.
/// `va`, `vb` are an element's operands; `m`, `s` the reductions.
pub fn rows_body(name: &str) -> Option<(u32, &'static str, &'static str)> {
    // (operands, reductions, element value)
    Some(match name {
        // Forward: the row's maximum, then the sum of exp(x - max).
        "softmax" => (1, ROWS_MAX_THEN_SUM_EXP, "exp_(va - m) / s"),
        "log_softmax" => (1, ROWS_MAX_THEN_SUM_EXP, "va - m - log_(s)"),
        // Backward, a = the output's gradient g, b = the saved output y:
        // softmax: y * (g - sum(g * y)); log-softmax: g - exp(y) * sum(g).
        "softmax_backward" => (2, "    let m: real = 0.0;\n    let s = row_sum_(ab, bb, len, sa, sb, lid, true);\n", "vb * (va - s)"),
        "log_softmax_backward" => (2, "    let m: real = 0.0;\n    let s = row_sum_(ab, bb, len, sa, sb, lid, false);\n", "va - exp_(vb) * s"),
        _ => return None,
    })
}

const ROWS_MAX_THEN_SUM_EXP: &str = "    let m = row_max_(ab, len, sa, lid);\n    let s = row_sum_exp_(ab, len, sa, m, lid);\n";

/// A row kernel: one workgroup per row along one dim, its threads taking
/// a strided share of the row and merging through workgroup memory; the
/// output is contiguous in the input's logical order. `name` picks the
/// body (`rows_body`).
pub fn rows(name: &str, element: Element) -> Option<String> {
    use rows_slot::*;
    let (arity, reductions, value) = rows_body(name)?;
    let b_binding = if arity == 2 { "@group(0) @binding(3) var<storage, read> b_in: array<elem>;" } else { "" };
    let vb = if arity == 2 { "real(b_in[bb + j * sb])" } else { "0.0" };
    let b_reads = if arity == 2 {
        r#"fn row_sum_(ab: u32, bb: u32, len: u32, sa: u32, sb: u32, lid: u32, times_b: bool) -> real {
    var acc: real = 0.0;
    for (var j = lid; j < len; j = j + 256u) {
        let g = real(a_in[ab + j * sa]);
        acc = acc + select(g, g * real(b_in[bb + j * sb]), times_b);
    }
    return merge_(acc, lid, false);
}"#
    } else {
        ""
    };
    let prelude = prelude(element, element);
    let offsets = strided_offsets("o", (NDIM, SHAPE), &[("ab", A_OFF, A_STRIDES), ("bb", B_OFF, B_STRIDES), ("ob", OUT_OFF, OUT_STRIDES)]);
    Some(format!(
        r#"{prelude}
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<out_elem>;
@group(0) @binding(2) var<storage, read> a_in: array<elem>;
{b_binding}
var<workgroup> part: array<real, 256>;

// Every thread of the workgroup calls this with its partial value; all get the total.
fn merge_(v: real, lid: u32, is_max: bool) -> real {{
    part[lid] = v;
    workgroupBarrier();
    for (var w = 128u; w > 0u; w = w >> 1u) {{
        if (lid < w) {{ part[lid] = select(part[lid] + part[lid + w], max_nan_(part[lid], part[lid + w]), is_max); }}
        workgroupBarrier();
    }}
    let total = part[0];
    workgroupBarrier();
    return total;
}}

fn row_max_(ab: u32, len: u32, sa: u32, lid: u32) -> real {{
    var acc = -inf_();
    for (var j = lid; j < len; j = j + 256u) {{ acc = max_nan_(acc, real(a_in[ab + j * sa])); }}
    return merge_(acc, lid, true);
}}

fn row_sum_exp_(ab: u32, len: u32, sa: u32, m: real, lid: u32) -> real {{
    var acc: real = 0.0;
    for (var j = lid; j < len; j = j + 256u) {{ acc = acc + exp_(real(a_in[ab + j * sa]) - m); }}
    return merge_(acc, lid, false);
}}

{b_reads}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
    let o = wid.y * nwg.x + wid.x;
    // A workgroup past the last row walks an empty row, so every thread still meets every barrier.
    let len = select(0u, p[{LEN}], o < p[{ROWS}]);
{offsets}    let sa = p[{A_STEP}];
    let sb = p[{B_STEP}];
    let so = p[{OUT_STEP}];
    _ = sb; _ = bb;
{reductions}    _ = m;
    for (var j = lid; j < len; j = j + 256u) {{
        let va = real(a_in[ab + j * sa]);
        let vb: real = {vb};
        _ = vb;
        out[ob + j * so] = out_elem({value});
    }}
}}
"#
    ))
}

/// A running sum (with `product`, product) along each row, from the row's
/// end with `reverse`, with the row kernels' parameters: one workgroup per
/// row, each thread folding a contiguous chunk; the chunk totals are scanned
/// in workgroup memory, and each chunk then runs on from the total before it.
pub fn scan(product: bool, reverse: bool, element: Element) -> String {
    use rows_slot::*;
    let prelude = prelude(element, element);
    let offsets = strided_offsets("o", (NDIM, SHAPE), &[("ab", A_OFF, A_STRIDES), ("ob", OUT_OFF, OUT_STRIDES)]);
    let (identity, op) = if product { ("1.0", "*") } else { ("0.0", "+") };
    let at = if reverse { "(len - 1u - j)" } else { "j" };
    format!(
        r#"{prelude}
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<out_elem>;
@group(0) @binding(2) var<storage, read> a_in: array<elem>;
var<workgroup> part: array<real, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
    let o = wid.y * nwg.x + wid.x;
    // A workgroup past the last row scans an empty row, so every thread still meets every barrier.
    let len = select(0u, p[{LEN}], o < p[{ROWS}]);
{offsets}    let sa = p[{A_STEP}];
    let so = p[{OUT_STEP}];
    let chunk = (len + 255u) / 256u;
    let start = min(lid * chunk, len);
    let end = min(start + chunk, len);
    var acc: real = {identity};
    for (var j = start; j < end; j = j + 1u) {{ acc = acc {op} real(a_in[ab + {at} * sa]); }}
    part[lid] = acc;
    workgroupBarrier();
    for (var w = 1u; w < 256u; w = w * 2u) {{
        var before: real = {identity};
        if (lid >= w) {{ before = part[lid - w]; }}
        workgroupBarrier();
        part[lid] = before {op} part[lid];
        workgroupBarrier();
    }}
    acc = {identity};
    if (lid > 0u) {{ acc = part[lid - 1u]; }}
    for (var j = start; j < end; j = j + 1u) {{
        acc = acc {op} real(a_in[ab + {at} * sa]);
        out[ob + {at} * so] = out_elem(acc);
    }}
}}
"#
    )
}

/// A gather, `out[i] = src[offsets[i]]` (advanced indexing,
/// `index_select`), or with `scatter` its converse, `out[offsets[i]] =
/// src[i]`; the element offsets are computed on the host from an index
/// plan. Parameters: the element count.
pub fn indexed_copy(element: Element, scatter: bool) -> String {
    let prelude = prelude(element, element);
    let copy = if scatter { "out[offsets[i]] = src[i];" } else { "out[i] = src[offsets[i]];" };
    let main = flat_main("i", "p[0]");
    format!(
        r#"{prelude}
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<out_elem>;
@group(0) @binding(2) var<storage, read> src: array<elem>;
@group(0) @binding(3) var<storage, read> offsets: array<u32>;

{main}    {copy}
}}
"#
    )
}

/// `out[targets[r]] += v[order[j]]` for each run `r < p[0]` and its
/// `j` in `starts[r]..starts[r + 1]`: the host groups the values by target,
/// so one thread owns each target and adds its values in index order, as
/// the CPU kernel does, with no atomics (which WGSL lacks for floats).
pub fn put_add(element: Element) -> String {
    let prelude = prelude(element, element);
    let main = flat_main("r", "p[0]");
    format!(
        r#"{prelude}
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<out_elem>;
@group(0) @binding(2) var<storage, read> v: array<elem>;
@group(0) @binding(3) var<storage, read> order: array<u32>;
@group(0) @binding(4) var<storage, read> starts: array<u32>;
@group(0) @binding(5) var<storage, read> targets: array<u32>;

{main}    let at = targets[r];
    var acc = real(out[at]);
    for (var j = starts[r]; j < starts[r + 1u]; j = j + 1u) {{ acc = acc + real(v[order[j]]); }}
    out[at] = out_elem(acc);
}}
"#
    )
}

/// im2col, or with `fold` col2im, over planes of `element`s. Parameter
/// words: element count, the input's first element, H, W, OH, OW, KH, KW,
/// stride, dilation and low padding (each rows then columns).
pub fn window(fold: bool, element: Element) -> String {
    let body = if fold {
        // One input element: the sum of every column entry that reads it,
        // tap by tap in row-major order, as the CPU kernel adds them.
        r#"let plane = i / (h * w);
    let at = i % (h * w);
    let iy = i32(at / w) + i32(p[12]);
    let ix = i32(at % w) + i32(p[13]);
    let cols = x_first + plane * kh * kw * oh * ow;
    var acc: real = 0.0;
    for (var ki = 0u; ki < kh; ki = ki + 1u) {
        let ty = iy - i32(ki * p[10]);
        if (ty < 0 || ty % i32(p[8]) != 0) { continue; }
        let oy = u32(ty) / p[8];
        if (oy >= oh) { continue; }
        for (var kj = 0u; kj < kw; kj = kj + 1u) {
            let tx = ix - i32(kj * p[11]);
            if (tx < 0 || tx % i32(p[9]) != 0) { continue; }
            let ox = u32(tx) / p[9];
            if (ox >= ow) { continue; }
            acc = acc + real(x[cols + ((ki * kw + kj) * oh + oy) * ow + ox]);
        }
    }
    out[i] = out_elem(acc);"#
    } else {
        // One column entry: the input element its tap reads, or a padding zero.
        r#"let block = kh * kw * oh * ow;
    let plane = i / block;
    let r = i % block;
    let tap = r / (oh * ow);
    let l = r % (oh * ow);
    let iy = i32((l / ow) * p[8] + (tap / kw) * p[10]) - i32(p[12]);
    let ix = i32((l % ow) * p[9] + (tap % kw) * p[11]) - i32(p[13]);
    if (iy < 0 || ix < 0 || u32(iy) >= h || u32(ix) >= w) {
        out[i] = 0.0;
    } else {
        out[i] = x[x_first + plane * h * w + u32(iy) * w + u32(ix)];
    }"#
    };
    let prelude = prelude(element, element);
    let main = flat_main("i", "p[0]");
    format!(
        r#"{prelude}
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<out_elem>;
@group(0) @binding(2) var<storage, read> x: array<elem>;

{main}    let x_first = p[1];
    let h = p[2];
    let w = p[3];
    let oh = p[4];
    let ow = p[5];
    let kh = p[6];
    let kw = p[7];
    {body}
}}
"#
    )
}

/// Max pooling over planes of `element`s, with the parameter words of
/// `window`: per output element the first maximum of its window, or its
/// first NaN, and that element's flat in-plane index as an int64 (two words).
pub fn max_pool(element: Element) -> String {
    let prelude = prelude(element, element);
    let main = flat_main("i", "p[0]");
    format!(
        r#"{prelude}
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<out_elem>;
@group(0) @binding(2) var<storage, read_write> at: array<u32>;
@group(0) @binding(3) var<storage, read> x: array<elem>;

{main}    let h = p[2];
    let w = p[3];
    let oh = p[4];
    let ow = p[5];
    let plane = i / (oh * ow);
    let l = i % (oh * ow);
    let base = p[1] + plane * h * w;
    var best: real = 0.0;
    var where_ = 0u;
    var found = false;
    for (var ky = 0u; ky < p[6]; ky = ky + 1u) {{
        let iy = i32((l / ow) * p[8] + ky * p[10]) - i32(p[12]);
        if (iy < 0 || u32(iy) >= h) {{ continue; }}
        for (var kx = 0u; kx < p[7]; kx = kx + 1u) {{
            let ix = i32((l % ow) * p[9] + kx * p[11]) - i32(p[13]);
            if (ix < 0 || u32(ix) >= w) {{ continue; }}
            let v = real(x[base + u32(iy) * w + u32(ix)]);
            if (!found || v > best || (is_nan_(v) && !is_nan_(best))) {{
                best = v;
                where_ = u32(iy) * w + u32(ix);
                found = true;
            }}
        }}
    }}
    out[i] = out_elem(best);
    at[2u * i] = where_;
    at[2u * i + 1u] = 0u;
}}
"#
    )
}

/// Matrix product parameters: M, N, K, then per operand its element
/// offset and batch, row and column strides.
pub mod matmul_slot {
    pub const M: usize = 0;
    pub const N: usize = 1;
    pub const K: usize = 2;
    pub const A: usize = 4;
    pub const B: usize = 8;
    pub const LEN: usize = 12;
}

/// Tile edge of the matrix product: 16x16 threads, each one output.
pub const TILE: u32 = 16;

/// A batched matrix product in 16x16 tiles staged through workgroup
/// memory; operands are read through their strides, so a transposed view
/// needs no copy. The batch is the grid's z.
pub fn matmul(element: Element) -> String {
    use matmul_slot::*;
    let prelude = prelude(element, element);
    format!(
        r#"{prelude}
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<out_elem>;
@group(0) @binding(2) var<storage, read> a: array<elem>;
@group(0) @binding(3) var<storage, read> b: array<elem>;
var<workgroup> ta: array<real, 256>;
var<workgroup> tb: array<real, 256>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {{
    let m = p[{M}];
    let n = p[{N}];
    let k = p[{K}];
    let row = wid.y * 16u + lid.y;
    let col = wid.x * 16u + lid.x;
    let a0 = p[{A}] + wid.z * p[{A}u + 1u];
    let b0 = p[{B}] + wid.z * p[{B}u + 1u];
    var acc: real = 0.0;
    for (var t = 0u; t < k; t = t + 16u) {{
        let ak = t + lid.x;
        var va: real = 0.0;
        if (row < m && ak < k) {{ va = real(a[a0 + row * p[{A}u + 2u] + ak * p[{A}u + 3u]]); }}
        ta[lid.y * 16u + lid.x] = va;
        let bk = t + lid.y;
        var vb: real = 0.0;
        if (bk < k && col < n) {{ vb = real(b[b0 + bk * p[{B}u + 2u] + col * p[{B}u + 3u]]); }}
        tb[lid.y * 16u + lid.x] = vb;
        workgroupBarrier();
        for (var j = 0u; j < 16u; j = j + 1u) {{
            acc = acc + ta[lid.y * 16u + j] * tb[j * 16u + lid.x];
        }}
        workgroupBarrier();
    }}
    if (row < m && col < n) {{ out[(wid.z * m + row) * n + col] = out_elem(acc); }}
}}
"#
    )
}
