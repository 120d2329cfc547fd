//! In-place forms of the pointwise math ops (`x.exp_()`, `x.pow_(2)`,
//! `relu_`, `clamp_`): each runs its out-of-place op and writes the result
//! back through `Tensor::apply_in_place`. Whether an op's backward reads its
//! input decides if the old value must be copied before it is overwritten;
//! that knowledge lives here, next to each op's name, and nowhere else.

use crate::dtype::Scalar;
use crate::error::Result;
use crate::tensor::Tensor;

/// The unary ops with an in-place form, as `name_ => op, saves_input;`
/// rows passed to the macro `$then`. `saves_input`: the op's backward reads
/// its input, so the write must not reach what it saved; the others save
/// their result or nothing. Exported so the bindings expose exactly these
/// methods from this one table.
#[macro_export]
macro_rules! for_each_unary_in_place {
    ($then:ident) => {
        $then! {
            exp_ => exp, false;
            sqrt_ => sqrt, false;
            tanh_ => tanh, false;
            sigmoid_ => sigmoid, false;
            reciprocal_ => reciprocal, false;
            neg_ => neg, false;
            log_ => log, true;
            abs_ => abs, true;
            sin_ => sin, true;
            cos_ => cos, true;
            tan_ => tan, true;
            exp2_ => exp2, true;
            expm1_ => expm1, true;
            log2_ => log2, true;
            log10_ => log10, true;
            log1p_ => log1p, true;
            rsqrt_ => rsqrt, true;
            square_ => square, true;
            sign_ => sign, false;
            floor_ => floor, false;
            ceil_ => ceil, false;
            trunc_ => trunc, false;
            relu_ => relu, false;
        }
    };
}

macro_rules! unary_in_place_methods {
    ($($name:ident => $op:ident, $saves_input:expr;)*) => {
        impl Tensor {
            $(
                #[doc = concat!("`", stringify!($op), "` written into this tensor, which takes its history.")]
                pub fn $name(&self) -> Result<()> {
                    self.apply_in_place($saves_input, Tensor::$op)
                }
            )*
        }
    };
}

for_each_unary_in_place!(unary_in_place_methods);

impl Tensor {
    /// `self ** exponent` written into self (PowBackward0 saves the base).
    pub fn pow_scalar_(&self, exponent: Scalar) -> Result<()> {
        self.apply_in_place(true, |x| x.pow_scalar(exponent))
    }

    /// `self ** exponent` (broadcast to self's shape) written into self (PowBackward1).
    pub fn pow_(&self, exponent: &Tensor) -> Result<()> {
        self.apply_in_place(true, |x| x.pow(exponent))
    }

    /// Rounds half to even in place.
    pub fn round_(&self) -> Result<()> {
        self.apply_in_place(false, Tensor::round)
    }

    /// Rounds to `decimals` places in place.
    pub fn round_decimals_(&self, decimals: i64) -> Result<()> {
        self.apply_in_place(false, |x| x.round_decimals(decimals))
    }

    /// Clamps to number bounds in place (ClampBackward1 saves the input).
    pub fn clamp_(&self, min: Option<Scalar>, max: Option<Scalar>) -> Result<()> {
        self.apply_in_place(true, |x| x.clamp(min, max))
    }

    /// Clamps to tensor bounds in place (ClampBackward0 saves the input).
    pub fn clamp_tensor_(&self, min: Option<&Tensor>, max: Option<&Tensor>) -> Result<()> {
        self.apply_in_place(true, |x| x.clamp_tensor(min, max))
    }

    /// `silu` written into self; SiluBackward0 saves the input, so it sees a copy.
    pub fn silu_(&self) -> Result<()> {
        self.apply_in_place(true, Tensor::silu)
    }

    /// `leaky_relu_`: records LeakyReluBackward1, which saves the result,
    /// so a negative slope is refused when the write is recorded.
    pub fn leaky_relu_(&self, negative_slope: f64) -> Result<()> {
        self.apply_in_place(false, |x| x.leaky_relu_saving_result(negative_slope))
    }

    /// `elu_`: records EluBackward1, which saves the result.
    pub fn elu_(&self, alpha: f64) -> Result<()> {
        self.apply_in_place(false, |x| x.elu_saving_result(alpha))
    }

    /// In-place dropout; leaves the tensor (and its history) untouched when
    /// nothing is dropped: not training, `p == 0`, or no elements.
    pub fn dropout_(&self, p: f64, training: bool) -> Result<()> {
        if self.dropout_keeps_all(p, training)? {
            return Ok(());
        }
        self.apply_in_place(false, |x| x.dropout(p, training))
    }
}
