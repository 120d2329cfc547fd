//! WGSL for every wgpu kernel: one template per family (elementwise,
//! reduction, matrix product) and, per named kernel, the expression the
//! elementwise template wraps. A kernel absent from these tables has no
//! wgpu form and is refused by name.

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
    pub const S0: usize = 6;
    pub const S1: usize = 7;
    pub const SHAPE: usize = 8;
    pub const OUT_STRIDES: usize = 16;
    pub const A_STRIDES: usize = 24;
    pub const B_STRIDES: usize = 32;
    pub const LEN: usize = 40;
}

/// `f(x)` of a unary kernel, by its name; `s0`, `s1` are its number
/// arguments (`UnaryKernel::scalars`).
pub fn unary_expr(name: &str) -> Option<&'static str> {
    Some(match name {
        "copy" => "x",
        "exp" => "exp(x)",
        "log" => "log(x)",
        "sqrt" => "sqrt(x)",
        "tanh" => "tanh_(x)",
        "sigmoid" => "sigmoid_(x)",
        "reciprocal" => "1.0 / x",
        "exp2" => "exp2(x)",
        "expm1" => "expm1_(x)",
        "log2" => "log2(x)",
        "log10" => "log(x) * 0.4342944819032518",
        "log1p" => "log1p_(x)",
        "rsqrt" => "1.0 / sqrt(x)",
        "sin" => "sin(x)",
        "cos" => "cos(x)",
        "tan" => "tan(x)",
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
        "softplus" => "select(log1p_(exp(x * s0)) / s0, x, x * s0 > s1)",
        _ => return None,
    })
}

/// `f(a, b)` of a binary kernel, by its name.
pub fn binary_expr(name: &str) -> Option<&'static str> {
    Some(match name {
        "add" => "a + b",
        "sub" => "a - b",
        "overwrite" => "b",
        "mul" => "a * b",
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
        "elu_backward" => "select(a, a * s0 * exp(b), b <= 0.0)",
        "elu_result_backward" => "select(a, a * (b + s0), b <= 0.0)",
        "softplus_backward" => "softplus_backward_(a, b, s0, s1)",
        "lerp_scalar" => "lerp_(a, b, s0)",
        _ => return None,
    })
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

/// Functions the expressions call that WGSL lacks, or has with different
/// edge cases than the CPU kernels (tanh of large inputs, pow of negatives).
const PRELUDE: &str = r#"
fn inf_() -> f32 { return bitcast<f32>(0x7f800000u); }
fn nan_() -> f32 { return bitcast<f32>(0x7fc00000u); }
fn is_nan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn max_nan_(a: f32, b: f32) -> f32 { if (is_nan_(a) || is_nan_(b)) { return nan_(); } return max(a, b); }
fn min_nan_(a: f32, b: f32) -> f32 { if (is_nan_(a) || is_nan_(b)) { return nan_(); } return min(a, b); }
fn tanh_(x: f32) -> f32 {
    let e = exp(-2.0 * abs(x));
    let t = (1.0 - e) / (1.0 + e);
    if (abs(x) < 0.0005) { return x - x * x * x / 3.0; }
    return select(t, -t, x < 0.0);
}
fn sigmoid_(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn expm1_(x: f32) -> f32 {
    if (abs(x) < 0.00001) { return x + 0.5 * x * x; }
    return exp(x) - 1.0;
}
fn log1p_(x: f32) -> f32 {
    let u = 1.0 + x;
    if (u == 1.0) { return x; }
    if (u == inf_()) { return u; }
    return log(u) * x / (u - 1.0);
}
// erf through the classic Chebyshev fit of erfc (|error| < 1.2e-7).
fn erf_(x: f32) -> f32 {
    let z = abs(x);
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
        + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    return select(1.0 - r, r - 1.0, x < 0.0);
}
fn clamp_(v: f32, lo: f32, hi: f32) -> f32 {
    if (is_nan_(v)) { return v; }
    if (is_nan_(lo)) { return lo; }
    if (is_nan_(hi)) { return hi; }
    var r = v;
    if (r < lo) { r = lo; }
    if (hi < r) { r = hi; }
    return r;
}
fn pow_(a: f32, b: f32) -> f32 {
    if (b == 0.0) { return 1.0; }
    if (a == 1.0) { return 1.0; }
    if (is_nan_(a) || is_nan_(b)) { return nan_(); }
    if (a == 0.0) { return select(inf_(), 0.0, b > 0.0); }
    if (a < 0.0) {
        if (trunc(b) != b) { return nan_(); }
        let m = pow(-a, b);
        let odd = abs(b) < 16777216.0 && (i32(abs(b)) & 1) == 1;
        return select(m, -m, odd);
    }
    return pow(a, b);
}
fn pow_number_(x: f32, e: f32) -> f32 {
    if (e == 2.0) { return x * x; }
    if (e == 3.0) { return x * x * x; }
    if (e == -2.0) { return 1.0 / (x * x); }
    if (e == 1.0) { return x; }
    if (e == 0.5) { return sqrt(x); }
    if (e == -0.5) { return 1.0 / sqrt(x); }
    if (e == -1.0) { return 1.0 / x; }
    return pow_(x, e);
}
fn gelu_slope_(x: f32) -> f32 {
    let cdf = 0.5 * (1.0 + erf_(x * 0.7071067811865476));
    let pdf = exp(-0.5 * x * x) * 0.3989422804014327;
    return cdf + x * pdf;
}
fn gelu_tanh_slope_(x: f32) -> f32 {
    let x2 = x * x;
    let th = tanh_(0.7978845608028654 * (x + 0.044715 * x2 * x));
    let left = 0.5 * x;
    let right = 1.0 + th;
    return 0.5 * right + left * (1.0 - th * th) * 0.7978845608028654 * (1.0 + 3.0 * 0.044715 * x2);
}
fn div_floor_(a: f32, b: f32) -> f32 {
    if (b == 0.0) { return a / b; }
    let m = a - b * trunc(a / b);
    var d = (a - m) / b;
    if (m != 0.0 && ((b < 0.0) != (m < 0.0))) { d = d - 1.0; }
    if (d == 0.0) { return select(0.0, -0.0, a / b < 0.0); }
    var f = floor(d);
    if (d - f > 0.5) { f = f + 1.0; }
    return f;
}
fn softplus_backward_(g: f32, x: f32, beta: f32, threshold: f32) -> f32 {
    let bx = x * beta;
    if (bx > threshold) { return g; }
    let z = exp(bx);
    return g * z / (z + 1.0);
}
fn lerp_(s: f32, e: f32, w: f32) -> f32 {
    if (abs(w) < 0.5) { return s + w * (e - s); }
    return e - (e - s) * (1.0 - w);
}
"#;

/// The flat index of this thread over a 2-D grid of workgroups of `GROUP`.
const FLAT_INDEX: &str = "(wid.y * nwg.x + wid.x) * 256u + lid";

/// An elementwise kernel: `arity` inputs (1 or 2) read through strides
/// broadcast to the output shape. In place, the output is the strided
/// first operand itself (bound read-write once: a buffer cannot be bound
/// for reading and writing at the same time). `expr` reads `x` (or `a`,
/// `b`) and the number arguments `s0`, `s1`.
///
/// Parameters (`slot`): element count and first logical index of this
/// dispatch, rank, element offsets into each binding, the two numbers
/// (as bits), the shape, then per operand its strides (two's complement,
/// so negative strides wrap back in u32 arithmetic).
pub fn elementwise(expr: &str, arity: u32, in_place: bool) -> String {
    let mut s = String::with_capacity(6000);
    s.push_str(PRELUDE);
    s.push_str("@group(0) @binding(0) var<storage, read> p: array<u32>;\n");
    if in_place {
        s.push_str("@group(0) @binding(1) var<storage, read_write> out: array<f32>;\n");
        if arity == 2 {
            s.push_str("@group(0) @binding(2) var<storage, read> b_in: array<f32>;\n");
        }
    } else {
        s.push_str("@group(0) @binding(1) var<storage, read_write> out: array<f32>;\n");
        s.push_str("@group(0) @binding(2) var<storage, read> a_in: array<f32>;\n");
        if arity == 2 {
            s.push_str("@group(0) @binding(3) var<storage, read> b_in: array<f32>;\n");
        }
    }
    s.push_str(&format!(
        r#"
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
    let i = {FLAT_INDEX};
    if (i >= p[{count}]) {{ return; }}
{offsets}    let s0 = bitcast<f32>(p[{s0}]);
    let s1 = bitcast<f32>(p[{s1}]);
"#,
        count = slot::COUNT,
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
        s.push_str(&format!("    let x = {first};\n"));
    } else {
        s.push_str(&format!("    let a = {first};\n    let b = b_in[bo];\n"));
    }
    // Unused names would be stripped from the layout and break the binding order.
    s.push_str("    _ = s0; _ = s1; _ = ao; _ = bo;\n");
    let target = if in_place { "out[oo]" } else { "out[i]" };
    s.push_str(&format!("    {target} = {expr};\n}}\n"));
    s
}

/// Update parameters: element count, first element of this dispatch, each
/// operand's first element in its binding (param, grad, states), then the
/// update's numbers as float32 bits.
pub mod update_slot {
    pub const COUNT: usize = 0;
    pub const START: usize = 1;
    pub const FIRST: usize = 2;
    pub const NUMBERS: usize = 8;
    pub const LEN: usize = 16;
}

/// An optimizer update (`optim::KernelForm`): per element, the param `p`,
/// grad `g` and state `s0`.. are read, `body` runs, and `p` and the state
/// are written back. The numbers are `k0`...
pub fn update(body: &str, states: usize, numbers: usize) -> String {
    use update_slot::*;
    let mut s = String::with_capacity(4000);
    s.push_str(PRELUDE);
    s.push_str("@group(0) @binding(0) var<storage, read> q: array<u32>;\n");
    s.push_str("@group(0) @binding(1) var<storage, read_write> param_: array<f32>;\n");
    s.push_str("@group(0) @binding(2) var<storage, read> grad_: array<f32>;\n");
    for j in 0..states {
        s.push_str(&format!("@group(0) @binding({}) var<storage, read_write> state{j}_: array<f32>;\n", 3 + j));
    }
    s.push_str(&format!(
        "\n@compute @workgroup_size(256)\nfn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{\n    let i = {FLAT_INDEX};\n    if (i >= q[{COUNT}]) {{ return; }}\n    let e = q[{START}] + i;\n"
    ));
    s.push_str(&format!("    var p = param_[q[{FIRST}] + e];\n    var g = grad_[q[{}] + e];\n", FIRST + 1));
    for j in 0..states {
        s.push_str(&format!("    var s{j} = state{j}_[q[{}] + e];\n", FIRST + 2 + j));
    }
    for k in 0..numbers {
        s.push_str(&format!("    let k{k} = bitcast<f32>(q[{}]);\n", NUMBERS + k));
    }
    s.push_str(body);
    s.push_str(&format!("    param_[q[{FIRST}] + e] = p;\n"));
    for j in 0..states {
        s.push_str(&format!("    state{j}_[q[{}] + e] = s{j};\n", FIRST + 2 + j));
    }
    s.push_str("}\n");
    s
}

/// A dropout mask. Parameters: element count, first element of this
/// dispatch, the key's low and high words, the keep probability and the
/// scale (float32 bits). Element `e` draws from two rounds of a 32-bit
/// integer mixer (Wellons' lowbias32 constants) keyed by the two words:
/// for one key, a bijection of the index, so no two elements share a draw.
pub fn dropout_mask() -> String {
    format!(
        r#"
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

fn mix_(x: u32) -> u32 {{
    var h = x;
    h = h ^ (h >> 16u);
    h = h * 0x21f0aaadu;
    h = h ^ (h >> 15u);
    h = h * 0xd35a2d97u;
    h = h ^ (h >> 15u);
    return h;
}}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
    let i = {FLAT_INDEX};
    if (i >= p[0]) {{ return; }}
    let e = p[1] + i;
    let h = mix_(mix_(e ^ p[2]) + p[3]);
    // 24 bits into [0, 1), as the host generator's float draws.
    let u = f32(h >> 8u) * 5.9604644775390625e-8;
    out[i] = select(0.0, bitcast<f32>(p[5]), u < bitcast<f32>(p[4]));
}}
"#
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
/// `x` and `y`: float32 elements, or with `bools` the operands' bool bytes.
pub fn compare(test: &str, bools: bool) -> String {
    use mask_slot::*;
    let offsets = mask_offsets();
    let (element, x_type, read_a, read_b) = if bools {
        ("u32", "bool", "flag_a_(oa)", "flag_b_(ob)")
    } else {
        ("f32", "f32", "a_in[oa]", "b_in[ob]")
    };
    let readers = if bools { flag_reader("flag_a_", "a_in") + &flag_reader("flag_b_", "b_in") } else { String::new() };
    format!(
        r#"
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<storage, read> a_in: array<{element}>;
@group(0) @binding(3) var<storage, read> b_in: array<{element}>;

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

/// `a` where the bool condition `c` holds, else `b`, float32.
pub fn select() -> String {
    use mask_slot::*;
    let offsets = mask_offsets();
    let reader = flag_reader("flag_c_", "c_in");
    format!(
        r#"
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> c_in: array<u32>;
@group(0) @binding(3) var<storage, read> a_in: array<f32>;
@group(0) @binding(4) var<storage, read> b_in: array<f32>;
{reader}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
    let i = {FLAT_INDEX};
    if (i >= p[{COUNT}]) {{ return; }}
{offsets}    out[i] = select(b_in[ob], a_in[oa], flag_c_(oc));
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
pub fn reduce(init: &str, fold: &str) -> String {
    use reduce_slot::*;
    format!(
        r#"{PRELUDE}
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
var<workgroup> part: array<f32, 256>;

fn fold_(acc: f32, v: f32) -> f32 {{ return {fold}; }}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
    let o = wid.y * nwg.x + wid.x;
    let valid = o < p[{N_OUT}];
    var acc: f32 = {init};
    if (valid) {{
        var base = p[{OFF}];
        var rem = o;
        for (var d = i32(p[{KEEP_NDIM}]) - 1; d >= 0; d = d - 1) {{
            let n = p[{KEEP_SHAPE}u + u32(d)];
            base = base + (rem % n) * p[{KEEP_STRIDES}u + u32(d)];
            rem = rem / n;
        }}
        for (var r = lid; r < p[{N_RED}]; r = r + 256u) {{
            var off = base;
            var k = r;
            for (var d = i32(p[{RED_NDIM}]) - 1; d >= 0; d = d - 1) {{
                let n = p[{RED_SHAPE}u + u32(d)];
                off = off + (k % n) * p[{RED_STRIDES}u + u32(d)];
                k = k / n;
            }}
            acc = fold_(acc, x[off]);
        }}
    }}
    part[lid] = acc;
    workgroupBarrier();
    for (var w = 128u; w > 0u; w = w >> 1u) {{
        if (lid < w) {{ part[lid] = fold_(part[lid], part[lid + w]); }}
        workgroupBarrier();
    }}
    if (valid && lid == 0u) {{ out[o] = part[0]; }}
}}
"#
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
    pub const WORDS: usize = 40;
}

/// What a row kernel computes along each row of `a` (and `b`): the
/// reductions it needs first, then the value each element gets from them.
/// `va`, `vb` are an element's operands; `m`, `s` the reductions.
pub fn rows_body(name: &str) -> Option<(u32, &'static str, &'static str)> {
    // (operands, reductions, element value)
    Some(match name {
        // Forward: the row's maximum, then the sum of exp(x - max).
        "softmax" => (1, ROWS_MAX_THEN_SUM_EXP, "exp(va - m) / s"),
        "log_softmax" => (1, ROWS_MAX_THEN_SUM_EXP, "va - m - log(s)"),
        // Backward, a = the output's gradient g, b = the saved output y:
        // softmax: y * (g - sum(g * y)); log-softmax: g - exp(y) * sum(g).
        "softmax_backward" => (2, "    let m = 0.0;\n    let s = row_sum_(ab, bb, len, sa, sb, lid, true);\n", "vb * (va - s)"),
        "log_softmax_backward" => (2, "    let m = 0.0;\n    let s = row_sum_(ab, bb, len, sa, sb, lid, false);\n", "va - exp(vb) * s"),
        _ => return None,
    })
}

const ROWS_MAX_THEN_SUM_EXP: &str = "    let m = row_max_(ab, len, sa, lid);\n    let s = row_sum_exp_(ab, len, sa, m, lid);\n";

/// A row kernel: one workgroup per row along one dim, its threads taking
/// a strided share of the row and merging through workgroup memory; the
/// output is contiguous in the input's logical order. `name` picks the
/// body (`rows_body`).
pub fn rows(name: &str) -> Option<String> {
    use rows_slot::*;
    let (arity, reductions, value) = rows_body(name)?;
    let b_binding = if arity == 2 { "@group(0) @binding(3) var<storage, read> b_in: array<f32>;" } else { "" };
    let vb = if arity == 2 { "b_in[bb + j * sb]" } else { "0.0" };
    let b_reads = if arity == 2 {
        r#"fn row_sum_(ab: u32, bb: u32, len: u32, sa: u32, sb: u32, lid: u32, times_b: bool) -> f32 {
    var acc = 0.0;
    for (var j = lid; j < len; j = j + 256u) {
        let g = a_in[ab + j * sa];
        acc = acc + select(g, g * b_in[bb + j * sb], times_b);
    }
    return merge_(acc, lid, false);
}"#
    } else {
        ""
    };
    Some(format!(
        r#"{PRELUDE}
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a_in: array<f32>;
{b_binding}
var<workgroup> part: array<f32, 256>;

// Every thread of the workgroup calls this with its partial value; all get the total.
fn merge_(v: f32, lid: u32, is_max: bool) -> f32 {{
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

fn row_max_(ab: u32, len: u32, sa: u32, lid: u32) -> f32 {{
    var acc = -inf_();
    for (var j = lid; j < len; j = j + 256u) {{ acc = max_nan_(acc, a_in[ab + j * sa]); }}
    return merge_(acc, lid, true);
}}

fn row_sum_exp_(ab: u32, len: u32, sa: u32, m: f32, lid: u32) -> f32 {{
    var acc = 0.0;
    for (var j = lid; j < len; j = j + 256u) {{ acc = acc + exp(a_in[ab + j * sa] - m); }}
    return merge_(acc, lid, false);
}}

{b_reads}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
    let o = wid.y * nwg.x + wid.x;
    // A workgroup past the last row walks an empty row, so every thread still meets every barrier.
    let len = select(0u, p[{LEN}], o < p[{ROWS}]);
    var ab = p[{A_OFF}];
    var bb = p[{B_OFF}];
    var ob = 0u;
    var rem = o;
    for (var d = i32(p[{NDIM}]) - 1; d >= 0; d = d - 1) {{
        let n = p[{SHAPE}u + u32(d)];
        let c = rem % n;
        rem = rem / n;
        ab = ab + c * p[{A_STRIDES}u + u32(d)];
        bb = bb + c * p[{B_STRIDES}u + u32(d)];
        ob = ob + c * p[{OUT_STRIDES}u + u32(d)];
    }}
    let sa = p[{A_STEP}];
    let sb = p[{B_STEP}];
    let so = p[{OUT_STEP}];
    _ = sb; _ = bb;
{reductions}    _ = m;
    for (var j = lid; j < len; j = j + 256u) {{
        let va = a_in[ab + j * sa];
        let vb = {vb};
        _ = vb;
        out[ob + j * so] = {value};
    }}
}}
"#
    ))
}

/// A gather: `out[i] = x[offsets[i]]`, the element offsets into `x`'s
/// binding computed on the host from an index plan (advanced indexing,
/// `index_select`). Parameters: the element count.
pub fn take() -> String {
    format!(
        r#"
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> offsets: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
    let i = {FLAT_INDEX};
    if (i >= p[0]) {{ return; }}
    out[i] = x[offsets[i]];
}}
"#
    )
}

/// `out[offsets[i]] = v[i]` for `i < p[0]`; with `add`, `+=` through a
/// compare-and-swap loop on the float's bits (WGSL has no float atomics).
pub fn put(add: bool) -> String {
    let (element, store) = if add {
        (
            "atomic<u32>",
            r#"var old = atomicLoad(&out[at]);
    loop {
        let swapped = atomicCompareExchangeWeak(&out[at], old, bitcast<u32>(bitcast<f32>(old) + v[i]));
        if (swapped.exchanged) { break; }
        old = swapped.old_value;
    }"#,
        )
    } else {
        ("f32", "out[at] = v[i];")
    };
    format!(
        r#"
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<{element}>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> offsets: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
    let i = {FLAT_INDEX};
    if (i >= p[0]) {{ return; }}
    let at = offsets[i];
    {store}
}}
"#
    )
}

/// im2col, or with `fold` col2im, over float32 planes. Parameter words:
/// element count, the input's first element, H, W, OH, OW, KH, KW, stride,
/// dilation and low padding (each rows then columns).
pub fn window(fold: bool) -> String {
    let body = if fold {
        // One input element: the sum of every column entry that reads it,
        // tap by tap in row-major order, as the CPU kernel adds them.
        r#"let plane = i / (h * w);
    let at = i % (h * w);
    let iy = i32(at / w) + i32(p[12]);
    let ix = i32(at % w) + i32(p[13]);
    let cols = x_first + plane * kh * kw * oh * ow;
    var acc = 0.0;
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
            acc = acc + x[cols + ((ki * kw + kj) * oh + oy) * ow + ox];
        }
    }
    out[i] = acc;"#
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
    format!(
        r#"
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
    let i = {FLAT_INDEX};
    if (i >= p[0]) {{ return; }}
    let x_first = p[1];
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

/// Max pooling over float32 planes, with the parameter words of `window`:
/// per output element the first maximum of its window, or its first NaN,
/// and that element's flat in-plane index as an int64 (two words).
pub fn max_pool() -> String {
    format!(
        r#"
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> at: array<u32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;

fn nan_bits(v: f32) -> bool {{ return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
    let i = {FLAT_INDEX};
    if (i >= p[0]) {{ return; }}
    let h = p[2];
    let w = p[3];
    let oh = p[4];
    let ow = p[5];
    let plane = i / (oh * ow);
    let l = i % (oh * ow);
    let base = p[1] + plane * h * w;
    var best = 0.0;
    var where_ = 0u;
    var found = false;
    for (var ky = 0u; ky < p[6]; ky = ky + 1u) {{
        let iy = i32((l / ow) * p[8] + ky * p[10]) - i32(p[12]);
        if (iy < 0 || u32(iy) >= h) {{ continue; }}
        for (var kx = 0u; kx < p[7]; kx = kx + 1u) {{
            let ix = i32((l % ow) * p[9] + kx * p[11]) - i32(p[13]);
            if (ix < 0 || u32(ix) >= w) {{ continue; }}
            let v = x[base + u32(iy) * w + u32(ix)];
            if (!found || v > best || (nan_bits(v) && !nan_bits(best))) {{
                best = v;
                where_ = u32(iy) * w + u32(ix);
                found = true;
            }}
        }}
    }}
    out[i] = best;
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
pub fn matmul() -> String {
    use matmul_slot::*;
    format!(
        r#"
@group(0) @binding(0) var<storage, read> p: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
var<workgroup> ta: array<f32, 256>;
var<workgroup> tb: array<f32, 256>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {{
    let m = p[{M}];
    let n = p[{N}];
    let k = p[{K}];
    let row = wid.y * 16u + lid.y;
    let col = wid.x * 16u + lid.x;
    let a0 = p[{A}] + wid.z * p[{A}u + 1u];
    let b0 = p[{B}] + wid.z * p[{B}u + 1u];
    var acc = 0.0;
    for (var t = 0u; t < k; t = t + 16u) {{
        let ak = t + lid.x;
        var va = 0.0;
        if (row < m && ak < k) {{ va = a[a0 + row * p[{A}u + 2u] + ak * p[{A}u + 3u]]; }}
        ta[lid.y * 16u + lid.x] = va;
        let bk = t + lid.y;
        var vb = 0.0;
        if (bk < k && col < n) {{ vb = b[b0 + bk * p[{B}u + 2u] + col * p[{B}u + 3u]]; }}
        tb[lid.y * 16u + lid.x] = vb;
        workgroupBarrier();
        for (var j = 0u; j < 16u; j = j + 1u) {{
            acc = acc + ta[lid.y * 16u + j] * tb[j * 16u + lid.x];
        }}
        workgroupBarrier();
    }}
    if (row < m && col < n) {{ out[(wid.z * m + row) * n + col] = acc; }}
}}
"#
    )
}
