//! Element types a tensor can hold, and PyTorch's type-promotion rules.

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bool,
    I64,
    /// Half precision: stored and cast; ops compute in float32 or wider.
    F16,
    BF16,
    F32,
    F64,
}

/// Promotion category: bool < integral < floating.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    Bool,
    Integral,
    Floating,
}

/// The process-wide default floating dtype (`torch.get_default_dtype()`),
/// stored as its index in `DEFAULT_FLOAT_CHOICES`. Atomic, as PyTorch's
/// setting is process-global.
static DEFAULT_FLOAT: AtomicU8 = AtomicU8::new(0);
const DEFAULT_FLOAT_CHOICES: [DType; 4] = [DType::F32, DType::F64, DType::F16, DType::BF16];

impl DType {
    /// The dtype floating numbers and float factories get when none is given.
    pub fn default_float() -> DType {
        DEFAULT_FLOAT_CHOICES[usize::from(DEFAULT_FLOAT.load(Ordering::Relaxed)) % DEFAULT_FLOAT_CHOICES.len()]
    }

    /// Sets the default floating dtype; only floating dtypes qualify.
    pub fn set_default_float(dtype: DType) -> crate::error::Result<()> {
        let index = DEFAULT_FLOAT_CHOICES.iter().position(|&d| d == dtype).ok_or_else(|| crate::error::Error::type_error("only floating-point types are supported as the default type"))?;
        DEFAULT_FLOAT.store(index as u8, Ordering::Relaxed);
        Ok(())
    }

    pub fn is_floating_point(self) -> bool {
        matches!(self, DType::F16 | DType::BF16 | DType::F32 | DType::F64)
    }

    /// A 16-bit float: kept in storage, cast to float32 for arithmetic.
    pub fn is_half(self) -> bool {
        matches!(self, DType::F16 | DType::BF16)
    }

    pub fn category(self) -> Category {
        match self {
            DType::Bool => Category::Bool,
            DType::I64 => Category::Integral,
            DType::F16 | DType::BF16 | DType::F32 | DType::F64 => Category::Floating,
        }
    }

    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::Bool => 1,
            DType::F16 | DType::BF16 => 2,
            DType::F32 => 4,
            DType::I64 | DType::F64 => 8,
        }
    }

    /// The name after `torch.`, e.g. `float32`.
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I64 => "int64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    /// The scalar-type name PyTorch uses in kernel errors, e.g. `'Long'`.
    pub fn scalar_type_name(self) -> &'static str {
        match self {
            DType::Bool => "Bool",
            DType::I64 => "Long",
            DType::F16 => "Half",
            DType::BF16 => "BFloat16",
            DType::F32 => "Float",
            DType::F64 => "Double",
        }
    }

    /// The legacy tensor type name PyTorch prints in version-counter errors.
    pub fn legacy_type_name(self) -> &'static str {
        match self {
            DType::Bool => "torch.BoolTensor",
            DType::I64 => "torch.LongTensor",
            DType::F16 => "torch.HalfTensor",
            DType::BF16 => "torch.BFloat16Tensor",
            DType::F32 => "torch.FloatTensor",
            DType::F64 => "torch.DoubleTensor",
        }
    }

    /// Whether `repr` omits the dtype (PyTorch omits the default float type, int64 and bool).
    pub fn is_repr_default(self) -> bool {
        matches!(self, DType::F32 | DType::I64 | DType::Bool)
    }

    /// The wider of two types of the same tier.
    pub fn promote(a: DType, b: DType) -> DType {
        match (a, b) {
            // Neither 16-bit format holds the other.
            (DType::F16, DType::BF16) | (DType::BF16, DType::F16) => DType::F32,
            _ => a.max(b),
        }
    }

    /// The type a floating op (exp, div, mean, ...) computes in for an input of this type.
    pub fn to_floating(self) -> DType {
        if self.is_floating_point() {
            self
        } else {
            DType::default_float()
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "torch.{}", self.name())
    }
}

/// A Python number used as an operand: it takes part in promotion only by category.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
}

impl Scalar {
    pub fn category(self) -> Category {
        match self {
            Scalar::Bool(_) => Category::Bool,
            Scalar::Int(_) => Category::Integral,
            Scalar::Float(_) => Category::Floating,
        }
    }

    pub fn to_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => b as i64 as f64,
            Scalar::Int(i) => i as f64,
            Scalar::Float(f) => f,
        }
    }

    /// The dtype a tensor made from this number alone gets.
    pub fn default_dtype(self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::Int(_) => DType::I64,
            Scalar::Float(_) => DType::default_float(),
        }
    }
}

/// One operand's contribution to PyTorch's three-tier promotion:
/// dimensioned tensors outrank zero-dim tensors, which outrank Python numbers,
/// unless a lower tier brings a higher category.
#[derive(Copy, Clone, Debug)]
pub enum PromotionInput {
    Dimensioned(DType),
    ZeroDim(DType),
    Number(Category),
}

pub fn result_type(inputs: &[PromotionInput]) -> DType {
    let mut dim: Option<DType> = None;
    let mut zero: Option<DType> = None;
    let mut number: Option<Category> = None;
    for input in inputs {
        match *input {
            PromotionInput::Dimensioned(d) => dim = Some(dim.map_or(d, |x| DType::promote(x, d))),
            PromotionInput::ZeroDim(d) => zero = Some(zero.map_or(d, |x| DType::promote(x, d))),
            PromotionInput::Number(c) => number = Some(number.map_or(c, |x| x.max(c))),
        }
    }
    let mut result = dim;
    if let Some(z) = zero {
        result = Some(match result {
            Some(r) if r.category() >= z.category() => r,
            _ => z,
        });
    }
    if let Some(c) = number {
        let from_number = match c {
            Category::Bool => DType::Bool,
            Category::Integral => DType::I64,
            Category::Floating => DType::default_float(),
        };
        result = Some(match result {
            Some(r) if r.category() >= c => r,
            _ => from_number,
        });
    }
    result.unwrap_or(DType::default_float())
}

#[cfg(test)]
mod tests {
    use super::*;
    use PromotionInput::*;

    #[test]
    fn promotion_follows_pytorch_tiers() {
        assert_eq!(result_type(&[Dimensioned(DType::I64), Dimensioned(DType::F32)]), DType::F32);
        assert_eq!(result_type(&[Dimensioned(DType::F32), Dimensioned(DType::F64)]), DType::F64);
        assert_eq!(result_type(&[Dimensioned(DType::F32), Number(Category::Floating)]), DType::F32);
        assert_eq!(result_type(&[Dimensioned(DType::I64), Number(Category::Floating)]), DType::F32);
        assert_eq!(result_type(&[Dimensioned(DType::I64), Number(Category::Integral)]), DType::I64);
        assert_eq!(result_type(&[Dimensioned(DType::F32), ZeroDim(DType::F64)]), DType::F32);
        assert_eq!(result_type(&[Dimensioned(DType::I64), ZeroDim(DType::F64)]), DType::F64);
        assert_eq!(result_type(&[ZeroDim(DType::F32), ZeroDim(DType::F64)]), DType::F64);
        assert_eq!(result_type(&[Dimensioned(DType::Bool), Number(Category::Integral)]), DType::I64);
    }
}
