//! In-place random sampling (`uniform_`, `normal_`, `random_`,
//! `exponential_`, `bernoulli_`) and the factories built on it.
//!
//! Each sampler checks its arguments as ATen does, then draws every value
//! from the generator in ATen's order: the order its TensorIterator visits
//! the elements (memory order for a permuted tensor, see
//! `iteration_dims`). Values are drawn with the generator locked, written
//! after it is released, and the write bumps the version counter. Sampling
//! is never recorded by autograd.

// Argument checks are written `!(x >= bound)` so that NaN fails them too.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::random::{DefaultRange, Generator};
use crate::storage::{filled_vec, vec_with_capacity, Element};
use crate::tensor::Tensor;
use crate::with_any_type;
use parking_lot::Mutex;

/// Elements drawn between two checks of the value buffer when a sampler
/// needs no look-ahead (keeps the scratch space small).
const CHUNK: usize = 4096;

/// What an in-place sampler draws, with PyTorch's arguments.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sampler {
    /// `uniform_(from, to)`: [from, to).
    Uniform { from: f64, to: f64 },
    /// `normal_(mean, std)`.
    Normal { mean: f64, std: f64 },
    /// `random_(from, to)`, `to` exclusive; no `to` means up to the largest
    /// value the dtype holds exactly.
    Random { from: i64, to: Option<i64> },
    /// `random_()`: [0, 2^mantissa] for floats, [0, i64::MAX] for int64.
    RandomDefault,
    /// `exponential_(lambd)`.
    Exponential { lambda: f64 },
    /// `bernoulli_(p)` with one probability for every element.
    Bernoulli { p: f64 },
}

/// A sampler with its arguments checked and resolved for one dtype.
#[derive(Clone, Copy, Debug)]
enum Plan {
    Uniform { from: f64, to: f64 },
    Normal { mean: f64, std: f64 },
    /// `base + draw % range`, `range` >= 1.
    IntFromTo { range: u64, base: i64 },
    IntFullRange,
    IntDefault(DefaultRange),
    Exponential { lambda: f64 },
    Bernoulli { p: f64 },
}

/// A float the way PyTorch's messages print a double.
fn num(v: f64) -> String {
    format!("{v}")
}

/// Mantissa digits (with the implicit bit) of a float dtype.
fn mantissa_digits(dtype: DType) -> Option<u32> {
    match dtype {
        DType::F32 => Some(24),
        DType::F64 => Some(53),
        DType::F16 => Some(11),
        DType::BF16 => Some(8),
        DType::Bool | DType::U8 | DType::I8 | DType::I16 | DType::I32 | DType::I64 => None,
    }
}

/// Largest finite value of a float dtype.
fn float_max(dtype: DType) -> f64 {
    match dtype {
        DType::F32 => f32::MAX as f64,
        DType::F16 => half::f16::MAX.to_f64(),
        DType::BF16 => half::bf16::MAX.to_f64(),
        _ => f64::MAX,
    }
}

/// `value` converted to the dtype and back to int64 (C++ casts; Rust's
/// saturate where C++ leaves the result undefined).
fn through_dtype(value: i64, dtype: DType) -> i64 {
    with_any_type!(dtype, T => T::from_i64(value).to_i64())
}

/// Moves an integer bound inward to the nearest value that survives the
/// round trip through a float dtype (ATen's `update_from`/`update_to`), so
/// a cast sample cannot land outside [from, to).
/// At the ends of the int64 range (where ATen's arithmetic overflows) the
/// bound is kept, and the range checks that follow reject it.
fn snap_bound(bound: i64, towards_higher: bool, dtype: DType, digits: u32) -> i64 {
    let neighbour = if towards_higher { bound.checked_add(1) } else { bound.checked_sub(1) };
    let Some(neighbour) = neighbour else {
        return bound;
    };
    let cast = through_dtype(neighbour, dtype);
    let moved_out = if towards_higher { cast < bound } else { cast >= bound };
    if !moved_out {
        return bound;
    }
    let magnitude_bits = 63 - neighbour.unsigned_abs().max(1).leading_zeros();
    let step = 1i64.checked_shl(magnitude_bits.saturating_sub(digits - 1)).unwrap_or(i64::MAX);
    if towards_higher {
        cast.saturating_add(step)
    } else {
        cast.saturating_sub(step)
    }
}

/// `from` and `to - 1` must be values of the dtype (ATen's `check_from_to_in_range`).
fn check_bounds_fit(from: i64, to_inc: i64, dtype: DType) -> Result<()> {
    let (min, max) = match dtype {
        DType::Bool => (0.0, 1.0),
        DType::I64 => (i64::MIN as f64, i64::MAX as f64),
        int if !int.is_floating_point() => {
            let (min, max) = int.integer_range();
            (min as f64, max as f64)
        }
        float => (-float_max(float), float_max(float)),
    };
    for (value, name) in [(from, "from"), (to_inc, "to - 1")] {
        if !(min..=max).contains(&(value as f64)) {
            return Err(Error::runtime(format!("{name} is out of bounds for {}", dtype.c_type_name())));
        }
    }
    Ok(())
}

impl Sampler {
    /// Checks the arguments against `dtype`, in ATen's order of checks.
    fn plan(self, dtype: DType) -> Result<Plan> {
        let float = dtype.is_floating_point();
        match self {
            Sampler::Uniform { from, to } => {
                if !float {
                    return Err(Error::NotImplementedForDType { op: "check_uniform_bounds", dtype });
                }
                if !(from <= to) {
                    return Err(Error::runtime(format!("uniform_ expects to return a [from, to) range, but found from={} > to={}", num(from), num(to))));
                }
                if !(to - from <= float_max(dtype)) {
                    return Err(Error::runtime(format!(
                        "uniform_ expects to-from <= std::numeric_limits<{}>::max(), but found to={} and from={} which result in to-from to exceed the limit",
                        dtype.c_type_name(),
                        num(to),
                        num(from)
                    )));
                }
                Ok(Plan::Uniform { from, to })
            }
            Sampler::Normal { mean, std } => {
                if !(std >= 0.0) {
                    return Err(Error::runtime(format!("normal expects std >= 0.0, but found std {}", num(std))));
                }
                if !float {
                    return Err(Error::NotImplementedForDType { op: "normal_kernel_cpu", dtype });
                }
                Ok(Plan::Normal { mean, std })
            }
            Sampler::Exponential { lambda } => {
                if !(lambda > 0.0) {
                    return Err(Error::runtime(format!("exponential_ expects lambda > 0.0, but found lambda={}", num(lambda))));
                }
                if !float {
                    return Err(Error::UnexpectedDType {
                        expected: "Exponential distribution is a continuous probability distribution. dtype must be a floating point but you specified ",
                        got: dtype,
                    });
                }
                Ok(Plan::Exponential { lambda })
            }
            Sampler::Bernoulli { p } => {
                if !(0.0..=1.0).contains(&p) {
                    return Err(Error::runtime(format!("bernoulli_ expects p to be in [0, 1], but got p={}", num(p))));
                }
                Ok(Plan::Bernoulli { p })
            }
            Sampler::RandomDefault => Ok(Plan::IntDefault(match dtype {
                DType::Bool => DefaultRange::Bool,
                DType::I64 => DefaultRange::Int64,
                DType::U8 | DType::I8 | DType::I16 | DType::I32 => DefaultRange::Narrow { max: dtype.integer_range().1 as u32 },
                DType::F64 => DefaultRange::Mantissa { digits: 53, wide: true },
                other => DefaultRange::Mantissa { digits: mantissa_digits(other).unwrap_or(24), wide: false },
            })),
            Sampler::Random { from, to: Some(to) } => {
                if from >= to {
                    return Err(Error::runtime(format!("random_ expects 'from' to be less than 'to', but got from={from} >= to={to}")));
                }
                let (mut from, mut to) = (from, to);
                if let Some(digits) = mantissa_digits(dtype) {
                    from = snap_bound(from, true, dtype, digits);
                    to = snap_bound(to, false, dtype, digits);
                    if from >= to {
                        return Err(Error::runtime(format!(
                            "random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, but got from={from} >= to={to}"
                        )));
                    }
                }
                check_bounds_fit(from, to - 1, dtype)?;
                Ok(Plan::IntFromTo { range: (to as u64).wrapping_sub(from as u64), base: from })
            }
            Sampler::Random { from, to: None } if from != i64::MIN => {
                let mut from = from;
                let to_inc = match (dtype, mantissa_digits(dtype)) {
                    (_, Some(digits)) => {
                        let to_inc = 1i64 << digits;
                        from = snap_bound(from, true, dtype, digits);
                        if from >= to_inc {
                            return Err(Error::runtime(format!(
                                "random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' casted to dtype, but got from={from} > to_inc={to_inc}"
                            )));
                        }
                        to_inc
                    }
                    (DType::Bool, None) => 1,
                    _ => dtype.integer_range().1,
                };
                check_bounds_fit(from, to_inc, dtype)?;
                // Wraps to 0 only for the full 2^64 span, which from != MIN rules out.
                Ok(Plan::IntFromTo { range: (to_inc as u64).wrapping_sub(from as u64).wrapping_add(1), base: from })
            }
            Sampler::Random { .. } => match dtype {
                DType::I64 | DType::F64 | DType::F32 | DType::BF16 => Ok(Plan::IntFullRange),
                _ => Err(Error::runtime("random_full_64_bits_range_kernel_cpu handles only int64, double, float and bfloat16")),
            },
        }
    }
}

/// The dims of a tensor in the order ATen's TensorIterator walks them,
/// outermost first: dims with larger strides go outside; for equal strides
/// the larger dim goes outside; zero strides (broadcast) give no
/// preference. `strides` holds one stride list per operand, the output first.
pub(crate) fn iteration_dims(shape: &[usize], strides: &[&[isize]]) -> Vec<usize> {
    let ndim = shape.len();
    // `perm[0]` is the innermost dim, as in TensorIterator's `perm_`.
    let mut perm: Vec<usize> = (0..ndim).rev().collect();
    // Whether dim `a` should be iterated outside dim `b` (Some(true)),
    // inside it (Some(false)), or no operand decides (None).
    let outside = |a: usize, b: usize| -> Option<bool> {
        for s in strides {
            let (sa, sb) = (s[a], s[b]);
            if sa == 0 || sb == 0 {
                continue;
            }
            if sa != sb {
                return Some(sa > sb);
            }
            if shape[a] > shape[b] {
                return Some(true);
            }
        }
        None
    };
    for i in 1..ndim {
        let mut moving = i;
        for j in (0..i).rev() {
            match outside(perm[j], perm[moving]) {
                Some(true) => {
                    perm.swap(j, moving);
                    moving = j;
                }
                Some(false) => break,
                None => {}
            }
        }
    }
    perm.reverse();
    perm
}

/// Draws `n` values of `plan` as `T`, in draw order. `contiguous` selects
/// the blockwise normal path, which ATen takes only for contiguous tensors.
fn draw<T: Element>(g: &mut Generator, plan: Plan, n: usize, contiguous: bool) -> Result<Vec<T>> {
    let mut out: Vec<T> = vec_with_capacity(n)?;
    // Doubles draw 64 bits per sample; float32 and 16-bit floats draw 32
    // bits and compute in float32, as ATen's `opmath` types do.
    let wide = T::DTYPE == DType::F64;
    match plan {
        Plan::Uniform { from, to } => {
            // A value that rounds up to `to` in the element type becomes `from`.
            let (from_t, to_t) = (T::from_f64(from), T::from_f64(to));
            let clamp = |v: T| if v == to_t { from_t } else { v };
            let mut remaining = n;
            while remaining > 0 {
                let m = remaining.min(CHUNK);
                if wide {
                    let mut buf = [0f64; CHUNK];
                    g.fill_uniform_f64(&mut buf[..m], from, to);
                    out.extend(buf[..m].iter().map(|&x| clamp(T::from_f64(x))));
                } else {
                    let mut buf = [0f32; CHUNK];
                    g.fill_uniform_f32(&mut buf[..m], from as f32, to as f32);
                    out.extend(buf[..m].iter().map(|&x| clamp(T::from_f64(x as f64))));
                }
                remaining -= m;
            }
        }
        Plan::Normal { mean, std } if contiguous && n >= 16 => {
            // The blockwise path revisits the last 16 values: it needs them all.
            if wide {
                let mut buf = filled_vec(n, 0f64)?;
                g.fill_normal_f64(&mut buf, mean, std);
                out.extend(buf.into_iter().map(T::from_f64));
            } else {
                let mut buf = filled_vec(n, 0f32)?;
                if T::DTYPE.is_half() {
                    g.fill_normal_f32_for_16bit(&mut buf, mean, std);
                } else {
                    g.fill_normal_f32(&mut buf, mean, std);
                }
                out.extend(buf.into_iter().map(|x| T::from_f64(x as f64)));
            }
        }
        Plan::Normal { mean, std } => out.extend((0..n).map(|_| T::from_f64(g.normal_f64(mean, std)))),
        Plan::Exponential { lambda } => out.extend((0..n).map(|_| T::from_f64(g.exponential_f64(lambda)))),
        Plan::Bernoulli { p } => out.extend((0..n).map(|_| T::from_bool(g.bernoulli_f64(p)))),
        Plan::IntFromTo { range, base } => out.extend((0..n).map(|_| T::from_i64(g.int_from_to(range, base)))),
        Plan::IntFullRange => out.extend((0..n).map(|_| T::from_i64(g.int_full_range()))),
        Plan::IntDefault(kind) => out.extend((0..n).map(|_| T::from_i64(g.int_default_range(kind)))),
    }
    Ok(out)
}

/// Writes `values` (in the order of `dims`, outermost first) into `t`.
fn write_in_order<T: Element>(t: &Tensor, dims: &[usize], values: &[T]) -> Result<()> {
    let t_data = t.snapshot();
    let mut buffer = t_data.storage().write()?;
    let data = T::slice_mut(&mut buffer).ok_or(Error::DTypeMismatch { op: "sample", lhs: t_data.dtype(), rhs: T::DTYPE })?;
    let mut next = values.iter();
    t_data.layout().permute(dims).for_each_offset(|o| {
        if let Some(&v) = next.next() {
            data[o] = v;
        }
    });
    Ok(())
}

impl Tensor {
    /// Fills this tensor in place with samples from `generator` (the
    /// in-place samplers). Refuses a leaf that requires grad while grad
    /// mode is on; records nothing.
    pub fn sample_(&self, sampler: Sampler, generator: &Mutex<Generator>) -> Result<()> {
        self.check_inplace_target(&[], false)?;
        let plan = sampler.plan(self.dtype())?;
        if self.numel() == 0 {
            return Ok(());
        }
        let dims = iteration_dims(&self.shape(), &[self.layout().strides()]);
        let (n, contiguous) = (self.numel(), self.is_contiguous());
        with_any_type!(self.dtype(), T => {
            let values = draw::<T>(&mut generator.lock(), plan, n, contiguous)?;
            write_in_order(self, &dims, &values)?;
        });
        self.bump_version();
        Ok(())
    }

    /// `bernoulli_(p)` with one probability per element: `p` broadcasts to
    /// this tensor's shape; each must lie in [0, 1]. Double probabilities
    /// draw 53-bit uniforms, other float probabilities 24-bit ones.
    pub fn bernoulli_tensor_(&self, p: &Tensor, generator: &Mutex<Generator>) -> Result<()> {
        self.check_inplace_target(&[], false)?;
        let _plain = crate::autograd::mode::no_grad();
        if self.numel() == 0 {
            return Ok(());
        }
        if !p.dtype().is_floating_point() {
            return Err(Error::NotImplementedForDType { op: "bernoulli_tensor_cpu_p_", dtype: p.dtype() });
        }
        let p = p.expand(&self.shape())?;
        let dims = iteration_dims(&self.shape(), &[self.layout().strides(), p.layout().strides()]);
        // The probabilities in visiting order, at the precision ATen compares in.
        let p_in_order = p.view_with_layout(p.layout().permute(&dims))?;
        let probs: Vec<f64> = if p.dtype() == DType::F64 {
            p_in_order.to_vec::<f64>()?
        } else {
            p_in_order.cast(DType::F32)?.to_vec::<f32>()?.into_iter().map(f64::from).collect()
        };
        if !probs.iter().all(|q| (0.0..=1.0).contains(q)) {
            return Err(Error::runtime(
                "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be improved?  If so, please report an enhancement request to PyTorch.)",
            ));
        }
        let double = p.dtype() == DType::F64;
        with_any_type!(self.dtype(), T => {
            let values: Vec<T> = {
                let mut g = generator.lock();
                let mut values = vec_with_capacity(probs.len())?;
                values.extend(probs.iter().map(|&q| T::from_bool(if double { g.bernoulli_f64(q) } else { g.bernoulli_f32(q as f32) })));
                values
            };
            write_in_order(self, &dims, &values)?;
        });
        self.bump_version();
        Ok(())
    }

    /// A new contiguous tensor of `shape` filled by `sampler` (`rand`,
    /// `randn`, `randint` with a generator).
    pub fn sampled(shape: &[usize], dtype: DType, sampler: Sampler, generator: &Mutex<Generator>) -> Result<Tensor> {
        let t = Tensor::zeros(shape, dtype)?;
        t.sample_(sampler, generator)?;
        Ok(t)
    }

    /// `torch.randperm(n, dtype=...)`: a random permutation of 0..n.
    pub fn randperm(n: usize, dtype: DType, generator: &Mutex<Generator>) -> Result<Tensor> {
        let largest_exact: Option<(u64, &str)> = match dtype {
            DType::F16 => Some(((1 << 11) + 1, "n cannot be greater than 2049 for Half type.")),
            DType::F32 => Some(((1 << 24) + 1, "n cannot be greater than 2^24+1 for Float type.")),
            DType::F64 => Some(((1 << 53) + 1, "n cannot be greater than 2^53+1 for Double type.")),
            DType::U8 | DType::I8 | DType::I16 | DType::I32 | DType::I64 => None,
            DType::Bool | DType::BF16 => return Err(Error::NotImplementedForDType { op: "randperm", dtype }),
        };
        if let Some((limit, message)) = largest_exact {
            if n as u64 > limit {
                return Err(Error::runtime(message));
            }
        }
        crate::layout::contiguous_storage_bytes(&[n], dtype.size_in_bytes())?;
        let perm = generator.lock().randperm(n)?;
        Tensor::from_vec(perm, &[n])?.cast(dtype)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::new_shared;

    #[test]
    fn iteration_follows_memory_order() {
        // Contiguous: row-major. Transposed: the stored order. Equal strides
        // (size-1 dims) and broadcast dims keep the logical order.
        assert_eq!(iteration_dims(&[2, 3], &[&[3, 1]]), [0, 1]);
        assert_eq!(iteration_dims(&[3, 2], &[&[1, 3]]), [1, 0]);
        assert_eq!(iteration_dims(&[4, 2, 3], &[&[1, 12, 4]]), [1, 2, 0]);
        assert_eq!(iteration_dims(&[2, 3], &[&[0, 1]]), [0, 1]);
        // The output decides before the inputs do.
        assert_eq!(iteration_dims(&[3, 2], &[&[2, 1], &[1, 3]]), [0, 1]);
        assert!(iteration_dims(&[], &[&[]]).is_empty());
    }

    #[test]
    fn float_bounds_snap_inward() {
        // 2^25 + 1 is not a float32: `from` moves up, `to` down, to values
        // that survive the cast (ATen's update_from / update_to).
        assert_eq!(snap_bound((1 << 25) - 3, true, DType::F32, 24), (1 << 25) - 3);
        assert_eq!(snap_bound((1 << 25) + 1, true, DType::F32, 24), (1 << 25) + 4);
        assert_eq!(snap_bound((1 << 25) + 9, false, DType::F32, 24), (1 << 25) + 9);
        assert_eq!(snap_bound((1 << 25) + 7, false, DType::F32, 24), (1 << 25) + 4);
        assert_eq!(snap_bound(5, true, DType::F64, 53), 5);
    }

    #[test]
    fn bad_arguments_are_errors_not_panics() {
        let g = new_shared(Generator::new(0));
        let t = Tensor::zeros(&[3], DType::F32).unwrap();
        for s in [
            Sampler::Uniform { from: 1.0, to: 0.0 },
            Sampler::Uniform { from: f64::NAN, to: 1.0 },
            Sampler::Uniform { from: -f64::MAX, to: f64::MAX },
            Sampler::Normal { mean: 0.0, std: -1.0 },
            Sampler::Normal { mean: 0.0, std: f64::NAN },
            Sampler::Exponential { lambda: 0.0 },
            Sampler::Bernoulli { p: 1.5 },
            Sampler::Random { from: 3, to: Some(3) },
            Sampler::Random { from: i64::MAX, to: None },
        ] {
            assert!(t.sample_(s, &g).is_err(), "{s:?}");
        }
        let b = Tensor::zeros(&[3], DType::Bool).unwrap();
        assert!(b.sample_(Sampler::Random { from: 0, to: Some(3) }, &g).is_err());
        assert!(b.sample_(Sampler::Random { from: i64::MIN, to: None }, &g).is_err());
        // Extreme but valid ranges do not overflow.
        let i = Tensor::zeros(&[4], DType::I64).unwrap();
        i.sample_(Sampler::Random { from: i64::MIN, to: Some(i64::MAX) }, &g).unwrap();
        i.sample_(Sampler::Random { from: i64::MIN, to: None }, &g).unwrap();
        i.sample_(Sampler::Random { from: -1, to: None }, &g).unwrap();
        assert!(Tensor::randperm(1 << 25, DType::F32, &g).is_err());
    }

    #[test]
    fn sampling_writes_only_the_view_and_bumps_the_version() {
        let g = new_shared(Generator::new(0));
        let base = Tensor::zeros(&[4, 4], DType::F64).unwrap();
        let column = base.select(1, 2).unwrap();
        let v = base.version();
        column.sample_(Sampler::Uniform { from: 1.0, to: 2.0 }, &g).unwrap();
        assert_eq!(base.version(), v + 1);
        let values = base.to_vec::<f64>().unwrap();
        for (k, x) in values.iter().enumerate() {
            assert_eq!(k % 4 == 2, (1.0..2.0).contains(x), "{k}: {x}");
        }
    }
}
