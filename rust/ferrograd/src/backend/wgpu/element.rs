//! The float dtypes kernels compute in, and how each is held and computed
//! on the device: float32 everywhere; float16 stored as f16 and computed in
//! f32 (as the CPU computes halves) where the adapter has `shader-f16`;
//! float64 stored and computed in f64 where it has `shader-f64`.

use super::context::Gpu;
use super::fallback::unsupported_dtype;
use crate::dtype::DType;
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Element {
    F16,
    F32,
    F64,
}

impl Element {
    /// The element kernels use for `dtype`, or the error naming what is missing.
    pub fn of(gpu: &Gpu, op: &str, dtype: DType) -> Result<Element> {
        let (element, feature, name) = match dtype {
            DType::F32 => return Ok(Element::F32),
            DType::F16 => (Element::F16, wgpu::Features::SHADER_F16, "shader-f16"),
            DType::F64 => (Element::F64, wgpu::Features::SHADER_F64, "shader-f64"),
            _ => return Err(unsupported_dtype(op, dtype)),
        };
        if !gpu.features.contains(feature) {
            return Err(Error::NotImplemented(format!(
                "The operator '{op}' is not currently implemented for the wgpu device with dtype {dtype}: the adapter ({}) lacks the {name} feature",
                gpu.name
            )));
        }
        Ok(element)
    }

    /// The one element of several operands, which must share a dtype.
    pub fn common(gpu: &Gpu, op: &str, dtypes: &[DType]) -> Result<Element> {
        let first = dtypes.first().copied().unwrap_or(DType::F32);
        if let Some(&other) = dtypes.iter().find(|&&d| d != first) {
            return Err(Error::DTypeMismatch { op: "wgpu kernel", lhs: first, rhs: other });
        }
        Element::of(gpu, op, first)
    }

    pub fn dtype(self) -> DType {
        match self {
            Element::F16 => DType::F16,
            Element::F32 => DType::F32,
            Element::F64 => DType::F64,
        }
    }

    /// Bytes per stored element.
    pub fn bytes(self) -> u64 {
        match self {
            Element::F16 => 2,
            Element::F32 => 4,
            Element::F64 => 8,
        }
    }

    /// The WGSL type of a stored element.
    pub fn stored(self) -> &'static str {
        match self {
            Element::F16 => "f16",
            Element::F32 => "f32",
            Element::F64 => "f64",
        }
    }

    /// The WGSL type arithmetic runs in.
    pub fn real(self) -> &'static str {
        match self {
            Element::F64 => "f64",
            _ => "f32",
        }
    }

    /// The wider of two elements' arithmetic, for conversions.
    pub fn wider(self, other: Element) -> Element {
        if self == Element::F64 || other == Element::F64 {
            Element::F64
        } else {
            Element::F32
        }
    }

    /// A byte count of `n` elements, checked.
    pub fn size_of(self, op: &str, n: usize) -> Result<u64> {
        (n as u64).checked_mul(self.bytes()).ok_or_else(|| Error::runtime(format!("{op}: {n} elements overflow a byte count")))
    }
}

/// Parameter words a kernel number takes (`number_words`).
pub const NUMBER_WORDS: usize = 4;

/// A kernel number as parameter words: its float32 bits, then, for float64
/// kernels (WGSL cannot bitcast to f64), the exact value as a sign and
/// 53-bit integer mantissa in two words and a power-of-two exponent.
/// Infinities and NaN carry an exponent word of `i32::MAX` and are read from
/// the float32 bits.
pub fn number_words(v: f64) -> [u32; NUMBER_WORDS] {
    let bits32 = (v as f32).to_bits();
    if !v.is_finite() {
        return [bits32, 0, 0, i32::MAX as u32];
    }
    if v == 0.0 {
        return [bits32, u32::from(v.is_sign_negative()) << 31, 0, 0];
    }
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    // value = mantissa * 2^exponent with an integer mantissa below 2^53.
    let (mantissa, exponent) = if biased == 0 { (fraction, -1074) } else { (fraction | (1u64 << 52), biased - 1075) };
    let sign = u32::from(v.is_sign_negative()) << 31;
    [bits32, sign | (mantissa >> 32) as u32, mantissa as u32, exponent as u32]
}

/// WGSL `number_(at)`: the kernel number whose words start at `p[at]`, as
/// `real`. `params` names the parameter array.
pub fn number_reader(element: Element, params: &str) -> String {
    if element.real() == "f64" {
        format!(
            r#"fn number_(at: u32) -> real {{
    if ({params}[at + 3u] == 0x7fffffffu) {{ return real(bitcast<f32>({params}[at])); }}
    let m = real({params}[at + 1u] & 0x7fffffffu) * 4294967296.0 + real({params}[at + 2u]);
    let e = bitcast<i32>({params}[at + 3u]);
    // Two steps, so a subnormal result's exponent never leaves ldexp's range.
    let v = ldexp(ldexp(m, e / 2), e - e / 2);
    return select(v, -v, ({params}[at + 1u] >> 31u) == 1u);
}}
"#
        )
    } else {
        format!("fn number_(at: u32) -> real {{ return bitcast<f32>({params}[at]); }}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The WGSL decoding, replayed on the host.
    fn decode(w: [u32; NUMBER_WORDS]) -> f64 {
        if w[3] == 0x7fff_ffff {
            return f64::from(f32::from_bits(w[0]));
        }
        let m = f64::from(w[1] & 0x7fff_ffff) * 4294967296.0 + f64::from(w[2]);
        let e = w[3] as i32;
        let v = m * 2f64.powi(e / 2) * 2f64.powi(e - e / 2);
        if w[1] >> 31 == 1 {
            -v
        } else {
            v
        }
    }

    #[test]
    fn numbers_survive_the_word_encoding_exactly() {
        for v in [0.1, -0.1, 1.0 / 3.0, 1e-300, -5e-324, 1.7976931348623157e308, 0.0, -0.0, 1e-8, 0.999, 123456789.123] {
            let got = decode(number_words(v));
            assert_eq!(got.to_bits(), v.to_bits(), "{v}");
        }
        assert!(decode(number_words(f64::NAN)).is_nan());
        assert_eq!(decode(number_words(f64::NEG_INFINITY)), f64::NEG_INFINITY);
        assert_eq!(f32::from_bits(number_words(0.1)[0]), 0.1f32);
    }
}
