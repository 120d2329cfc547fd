//! Element types a tensor can hold, and PyTorch's type-promotion rules.

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};

/// Declared in promotion order: of two types, `promote` takes the later one
/// (with two exceptions it names).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bool,
    U8,
    I8,
    I16,
    I32,
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
    /// Every dtype, in declaration order.
    pub const ALL: [DType; 10] = [DType::Bool, DType::U8, DType::I8, DType::I16, DType::I32, DType::I64, DType::F16, DType::BF16, DType::F32, DType::F64];

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

    /// Whether the type holds negative values (`dtype.is_signed`).
    pub fn is_signed(self) -> bool {
        !matches!(self, DType::Bool | DType::U8)
    }

    /// The least and greatest value of an integer type (bool: 0 and 1); the
    /// int64 range for floating types, which have no integer range of their own.
    pub fn integer_range(self) -> (i64, i64) {
        match self {
            DType::Bool => (0, 1),
            DType::U8 => (0, u8::MAX.into()),
            DType::I8 => (i8::MIN.into(), i8::MAX.into()),
            DType::I16 => (i16::MIN.into(), i16::MAX.into()),
            DType::I32 => (i32::MIN.into(), i32::MAX.into()),
            DType::I64 | DType::F16 | DType::BF16 | DType::F32 | DType::F64 => (i64::MIN, i64::MAX),
        }
    }

    /// Refuses a number an integer type narrower than int64 cannot hold, by
    /// c10's overflow rule: integers within the type's range (for uint8 down
    /// to -255, which wraps), floats within it and not NaN. `fill` names the
    /// type as fill ops do (`int8_t`), otherwise as `torch.tensor` does (`int8`).
    pub fn check_fits(self, v: Scalar, fill: bool) -> crate::error::Result<()> {
        if !matches!(self, DType::U8 | DType::I8 | DType::I16 | DType::I32) {
            return Ok(());
        }
        let (min, max) = self.integer_range();
        let fits = match v {
            Scalar::Bool(_) => true,
            Scalar::Int(i) if self == DType::U8 => (-max..=max).contains(&i),
            Scalar::Int(i) => (min..=max).contains(&i),
            Scalar::Float(f) => (min as f64..=max as f64).contains(&f),
        };
        if fits {
            return Ok(());
        }
        let name = match (fill, self) {
            (false, _) => self.name(),
            (true, DType::I32) => "int",
            (true, DType::U8) => "uint8_t",
            (true, DType::I8) => "int8_t",
            (true, _) => "int16_t",
        };
        Err(crate::error::Error::runtime(format!("value cannot be converted to type {name} without overflow")))
    }

    pub fn category(self) -> Category {
        match self {
            DType::Bool => Category::Bool,
            DType::U8 | DType::I8 | DType::I16 | DType::I32 | DType::I64 => Category::Integral,
            DType::F16 | DType::BF16 | DType::F32 | DType::F64 => Category::Floating,
        }
    }

    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::Bool | DType::U8 | DType::I8 => 1,
            DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::I32 | DType::F32 => 4,
            DType::I64 | DType::F64 => 8,
        }
    }

    /// The name after `torch.`, e.g. `float32`.
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "uint8",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
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
            DType::U8 => "Byte",
            DType::I8 => "Char",
            DType::I16 => "Short",
            DType::I32 => "Int",
            DType::I64 => "Long",
            DType::F16 => "Half",
            DType::BF16 => "BFloat16",
            DType::F32 => "Float",
            DType::F64 => "Double",
        }
    }

    /// The C++ type name ATen prints for a dtype in some kernel checks (`long int`).
    pub fn c_type_name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "unsigned char",
            DType::I8 => "signed char",
            DType::I16 => "short int",
            DType::I32 => "int",
            DType::I64 => "long int",
            DType::F16 => "c10::Half",
            DType::BF16 => "c10::BFloat16",
            DType::F32 => "float",
            DType::F64 => "double",
        }
    }

    /// The legacy tensor type name PyTorch prints in version-counter errors.
    pub fn legacy_type_name(self) -> &'static str {
        match self {
            DType::Bool => "torch.BoolTensor",
            DType::U8 => "torch.ByteTensor",
            DType::I8 => "torch.CharTensor",
            DType::I16 => "torch.ShortTensor",
            DType::I32 => "torch.IntTensor",
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
            // The narrowest type holding both 0..=255 and -128..=127.
            (DType::U8, DType::I8) | (DType::I8, DType::U8) => DType::I16,
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
        assert_eq!(result_type(&[Dimensioned(DType::U8), Dimensioned(DType::I8)]), DType::I16);
        assert_eq!(result_type(&[Dimensioned(DType::I32), Dimensioned(DType::I64)]), DType::I64);
        assert_eq!(result_type(&[Dimensioned(DType::I32), Number(Category::Integral)]), DType::I32);
        assert_eq!(result_type(&[Dimensioned(DType::I32), ZeroDim(DType::I64)]), DType::I32);
        assert_eq!(result_type(&[Dimensioned(DType::U8), Dimensioned(DType::F16)]), DType::F16);
    }
}
