//! Element types every instruction set has vectors of, so a kernel generic
//! over the element type can name its vectors: `T::vectors(s)`.

use super::{Isa, Lanes, Of};

pub trait SimdElement: Copy + Default + Send + Sync + 'static {
    /// `S`'s vectors of this type.
    type Vectors<S: Isa>: Lanes<Self> + Send + Sync;
    fn vectors<S: Isa>(s: S) -> Self::Vectors<S>;
}

impl SimdElement for f32 {
    type Vectors<S: Isa> = Of<S, f32>;
    #[inline(always)]
    fn vectors<S: Isa>(s: S) -> Of<S, f32> {
        s.of::<f32>()
    }
}

impl SimdElement for f64 {
    type Vectors<S: Isa> = Of<S, f64>;
    #[inline(always)]
    fn vectors<S: Isa>(s: S) -> Of<S, f64> {
        s.of::<f64>()
    }
}
