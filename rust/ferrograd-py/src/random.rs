//! Random numbers for Python: the `Generator` class, seeding and state
//! functions, the random factories (`rand`, `randn`, `randint`,
//! `randperm`) and the in-place samplers on `Tensor`.
//!
//! A generator is shared (`Arc<Mutex<_>>`); the core locks it for one whole
//! call. Arguments are converted before any call, so no Python object is
//! created or dropped while a generator is locked, and large fills run with
//! the interpreter detached.

use crate::convert::{check_device, opt_dtype, scalar_from, shape_from_args, shape_from_obj};
use crate::errors::IntoPyResult;
use crate::functions::{finish, refuse_negative_sizes};
use crate::gil::run_detached_if_large;
use crate::tensor::{type_name, wrap, PyTensor};
use ferrograd::ops::distributions::NormalParam;
use ferrograd::ops::sampling::Sampler;
use ferrograd::random::{default_generator, new_shared, Generator, SharedGenerator, STATE_SIZE};
use ferrograd::{DType, Tensor};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyByteArray, PyDict, PyFloat, PyInt, PyTuple};

/// `torch.Generator`: a CPU random generator with its own stream.
#[pyclass(name = "Generator", module = "ferrograd", frozen)]
pub struct PyGenerator {
    pub(crate) inner: SharedGenerator,
}

/// The Python object for the default generator, made once, so that
/// `manual_seed(0) is default_generator`.
static DEFAULT_OBJECT: PyOnceLock<Py<PyGenerator>> = PyOnceLock::new();

fn default_object(py: Python<'_>) -> PyResult<&Py<PyGenerator>> {
    DEFAULT_OBJECT.get_or_try_init(py, || Py::new(py, PyGenerator { inner: default_generator().clone() }))
}

/// A seed as PyTorch takes it: an int in [-2^63, 2^64); negatives wrap.
fn seed_arg(seed: &Bound<'_, PyAny>) -> PyResult<u64> {
    if !seed.is_instance_of::<PyInt>() {
        return Err(PyRuntimeError::new_err(format!("manual_seed expected a long, but got {}", type_name(seed))));
    }
    if let Ok(v) = seed.extract::<u64>() {
        return Ok(v);
    }
    match seed.extract::<i64>() {
        Ok(v) => Ok(v as u64),
        Err(_) => Err(PyValueError::new_err("Overflow when unpacking long long")),
    }
}

/// The bytes of a state given as `get_state` returns it (an integer tensor
/// of byte values) or as Python bytes.
fn state_bytes_arg(state: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = state.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = state.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    let t = match state.cast::<PyTensor>() {
        Ok(t) if t.get().inner.dtype() == DType::U8 => t.get().inner.clone(),
        _ => return Err(PyTypeError::new_err("RNG state must be a torch.ByteTensor")),
    };
    if t.numel() != STATE_SIZE {
        return Err(PyRuntimeError::new_err(format!(
            "Expected a CPUGeneratorImplState of size {STATE_SIZE} but found the input RNG state size to be {}",
            t.numel()
        )));
    }
    t.to_vec::<u8>().py()
}

fn state_tensor(py: Python<'_>, g: &SharedGenerator) -> PyResult<Py<PyAny>> {
    let bytes = g.lock().state_bytes();
    wrap(py, Tensor::from_vec(bytes, &[STATE_SIZE]).py()?)
}

fn set_state_from(g: &SharedGenerator, state: &Bound<'_, PyAny>) -> PyResult<()> {
    let bytes = state_bytes_arg(state)?;
    g.lock().set_state_bytes(&bytes).py()
}

#[pymethods]
impl PyGenerator {
    #[new]
    #[pyo3(signature = (device=None))]
    fn py_new(device: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        check_device(device)?;
        Ok(PyGenerator { inner: new_shared(Generator::default()) })
    }

    /// Restarts the stream from `seed`; returns this generator.
    fn manual_seed<'py>(slf: Bound<'py, Self>, seed: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let seed = seed_arg(seed)?;
        slf.get().inner.lock().manual_seed(seed);
        Ok(slf)
    }

    /// Reseeds from a nondeterministic source and returns the seed.
    fn seed(&self) -> u64 {
        self.inner.lock().seed()
    }

    fn initial_seed(&self) -> u64 {
        self.inner.lock().initial_seed()
    }

    /// The whole state as a uint8 tensor of 5056 bytes, laid out as
    /// PyTorch's CPU generator state.
    fn get_state(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        state_tensor(py, &self.inner)
    }

    /// Restores a state from `get_state` (a tensor of byte values, or bytes).
    fn set_state<'py>(slf: Bound<'py, Self>, new_state: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        set_state_from(&slf.get().inner, new_state)?;
        Ok(slf)
    }

    #[getter]
    fn device<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("ferrograd._device")?.getattr("CPU")
    }
}

/// The generator a `generator=` argument names (None: the default one).
pub fn generator_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<SharedGenerator> {
    match obj {
        Some(o) if !o.is_none() => match o.cast::<PyGenerator>() {
            Ok(g) => Ok(g.get().inner.clone()),
            Err(_) => Err(PyTypeError::new_err(format!("generator must be a ferrograd.Generator, not {}", type_name(o)))),
        },
        _ => Ok(default_generator().clone()),
    }
}

/// Samples into `t` in place, detached from the interpreter when large.
fn sample_into(py: Python<'_>, t: &Tensor, sampler: Sampler, generator: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    let g = generator_arg(generator)?;
    run_detached_if_large(py, t.numel(), || t.sample_(sampler, &g)).py()
}

/// A new tensor of `shape` filled by `sampler`, detached when large.
fn sampled(py: Python<'_>, shape: &[usize], dtype: DType, sampler: Sampler, generator: Option<&Bound<'_, PyAny>>) -> PyResult<Tensor> {
    let g = generator_arg(generator)?;
    let n = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).unwrap_or(usize::MAX);
    run_detached_if_large(py, n, || Tensor::sampled(shape, dtype, sampler, &g)).py()
}

// ---- module functions -------------------------------------------------------

/// Seeds the default generator and returns it.
#[pyfunction]
fn manual_seed(py: Python<'_>, seed: &Bound<'_, PyAny>) -> PyResult<Py<PyGenerator>> {
    let seed = seed_arg(seed)?;
    default_generator().lock().manual_seed(seed);
    Ok(default_object(py)?.clone_ref(py))
}

/// Seeds the default generator nondeterministically; returns the seed.
#[pyfunction]
fn seed() -> u64 {
    default_generator().lock().seed()
}

#[pyfunction]
fn initial_seed() -> u64 {
    default_generator().lock().initial_seed()
}

#[pyfunction]
fn get_rng_state(py: Python<'_>) -> PyResult<Py<PyAny>> {
    state_tensor(py, default_generator())
}

#[pyfunction]
fn set_rng_state(new_state: &Bound<'_, PyAny>) -> PyResult<()> {
    set_state_from(default_generator(), new_state)
}

macro_rules! sampling_factory {
    ($name:ident, $sampler:expr) => {
        #[pyfunction]
        #[pyo3(signature = (*size, generator=None, out=None, dtype=None, layout=None, device=None, pin_memory=false, requires_grad=false))]
        #[allow(clippy::too_many_arguments)]
        pub fn $name(
            py: Python<'_>,
            size: &Bound<'_, PyTuple>,
            generator: Option<&Bound<'_, PyAny>>,
            out: Option<&Bound<'_, PyAny>>,
            dtype: Option<&Bound<'_, PyAny>>,
            layout: Option<&Bound<'_, PyAny>>,
            device: Option<&Bound<'_, PyAny>>,
            pin_memory: bool,
            requires_grad: bool,
        ) -> PyResult<Py<PyAny>> {
            crate::shape::no_out(out, stringify!($name))?;
            let _ = (layout, pin_memory);
            refuse_negative_sizes(size)?;
            let shape = shape_from_args(size)?;
            let dtype = opt_dtype(dtype)?.unwrap_or(DType::default_float());
            let t = sampled(py, &shape, dtype, $sampler, generator)?;
            finish(py, t, device, requires_grad)
        }
    };
}

sampling_factory!(rand, Sampler::Uniform { from: 0.0, to: 1.0 });
sampling_factory!(randn, Sampler::Normal { mean: 0.0, std: 1.0 });

/// `randint(high, size)` or `randint(low, high, size)`; int64 unless `dtype`.
#[pyfunction]
#[pyo3(signature = (*args, size=None, low=None, high=None, generator=None, out=None, dtype=None, layout=None, device=None, pin_memory=false, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
fn randint(
    py: Python<'_>,
    args: &Bound<'_, PyTuple>,
    size: Option<&Bound<'_, PyAny>>,
    low: Option<i64>,
    high: Option<i64>,
    generator: Option<&Bound<'_, PyAny>>,
    out: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    pin_memory: bool,
    requires_grad: bool,
) -> PyResult<Py<PyAny>> {
    crate::shape::no_out(out, "randint")?;
    let _ = (layout, pin_memory);
    let mut positional: Vec<Bound<'_, PyAny>> = args.iter().collect();
    let size = match size {
        Some(s) => s.clone(),
        // Without `size=`, the last positional argument is the size.
        None => match positional.pop() {
            Some(last) if !last.is_instance_of::<PyInt>() => last,
            _ => return Err(PyTypeError::new_err("randint() missing required argument 'size'")),
        },
    };
    let ints: Vec<i64> = positional
        .iter()
        .map(|a| a.extract::<i64>().map_err(|_| PyTypeError::new_err(format!("randint(): low and high must be ints, not {}", type_name(a)))))
        .collect::<PyResult<_>>()?;
    let (low, high) = match (ints.as_slice(), low, high) {
        ([], low, Some(high)) => (low.unwrap_or(0), high),
        ([high], None, None) => (0, *high),
        ([low], None, Some(high)) => (*low, high),
        ([low, high], None, None) => (*low, *high),
        _ => return Err(PyTypeError::new_err("randint() takes (high, size) or (low, high, size)")),
    };
    if let Ok(t) = size.cast::<PyTuple>() {
        refuse_negative_sizes(t)?;
    }
    let shape = shape_from_obj(&size)?;
    let dtype = opt_dtype(dtype)?.unwrap_or(DType::I64);
    let t = sampled(py, &shape, dtype, Sampler::Random { from: low, to: Some(high) }, generator)?;
    finish(py, t, device, requires_grad)
}

/// A random permutation of 0..n; int64 unless `dtype`.
#[pyfunction]
#[pyo3(signature = (n, *, generator=None, out=None, dtype=None, layout=None, device=None, pin_memory=false, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
fn randperm(
    py: Python<'_>,
    n: i64,
    generator: Option<&Bound<'_, PyAny>>,
    out: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    pin_memory: bool,
    requires_grad: bool,
) -> PyResult<Py<PyAny>> {
    crate::shape::no_out(out, "randperm")?;
    let _ = (layout, pin_memory);
    let n = usize::try_from(n).map_err(|_| PyRuntimeError::new_err(format!("Trying to create tensor with negative dimension {n}: [{n}]")))?;
    let dtype = opt_dtype(dtype)?.unwrap_or(DType::I64);
    let g = generator_arg(generator)?;
    let t = run_detached_if_large(py, n, || Tensor::randperm(n, dtype, &g)).py()?;
    finish(py, t, device, requires_grad)
}

/// A `normal` parameter: a tensor, or a number (`name` for the error).
fn normal_param(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<NormalParam> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        return Ok(NormalParam::Tensor(t.get().inner.clone()));
    }
    match scalar_from(obj)? {
        Some(s) => Ok(NormalParam::Number(s.to_f64())),
        None => Err(PyTypeError::new_err(format!("normal(): argument '{name}' must be Tensor or float, not {}", type_name(obj)))),
    }
}

/// `normal(mean, std)` with a tensor among them, or `normal(mean, std, size)`
/// with numbers.
#[pyfunction]
#[pyo3(signature = (mean, std=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None, pin_memory=false, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
fn normal(
    py: Python<'_>,
    mean: &Bound<'_, PyAny>,
    std: Option<&Bound<'_, PyAny>>,
    size: Option<&Bound<'_, PyAny>>,
    generator: Option<&Bound<'_, PyAny>>,
    out: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    pin_memory: bool,
    requires_grad: bool,
) -> PyResult<Py<PyAny>> {
    crate::shape::no_out(out, "normal")?;
    let _ = (layout, pin_memory);
    let mean = normal_param(mean, "mean")?;
    let std = match std {
        Some(s) if !s.is_none() => normal_param(s, "std")?,
        _ => NormalParam::Number(1.0),
    };
    if let (NormalParam::Number(mean), NormalParam::Number(std)) = (&mean, &std) {
        let Some(size) = size.filter(|s| !s.is_none()) else {
            return Err(PyTypeError::new_err("normal() with a float mean and a float std needs a size: normal(mean, std, size)"));
        };
        let shape = shape_from_obj(size)?;
        let dtype = opt_dtype(dtype)?.unwrap_or(DType::default_float());
        let t = sampled(py, &shape, dtype, Sampler::Normal { mean: *mean, std: *std }, generator)?;
        return finish(py, t, device, requires_grad);
    }
    if size.is_some_and(|s| !s.is_none()) {
        return Err(PyTypeError::new_err("normal(): size is only taken with a float mean and a float std"));
    }
    let g = generator_arg(generator)?;
    let work = [&mean, &std].iter().map(|p| if let NormalParam::Tensor(t) = p { t.numel() } else { 0 }).max().unwrap_or(0);
    let t = run_detached_if_large(py, work, || Tensor::normal_with(&mean, &std, &g)).py()?;
    finish(py, t, device, requires_grad)
}

/// 0/1 draws: with `input` as the probabilities, or with probability `p`.
#[pyfunction]
#[pyo3(signature = (input, p=None, *, generator=None, out=None))]
fn bernoulli(py: Python<'_>, input: PyRef<'_, PyTensor>, p: Option<&Bound<'_, PyAny>>, generator: Option<&Bound<'_, PyAny>>, out: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let _ = out;
    bernoulli_of(py, &input.inner, p, generator)
}

fn bernoulli_of(py: Python<'_>, input: &Tensor, p: Option<&Bound<'_, PyAny>>, generator: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let g = generator_arg(generator)?;
    let t = match p {
        Some(p) if !p.is_none() => {
            let p = float_arg(p, "bernoulli", "p")?;
            run_detached_if_large(py, input.numel(), || input.bernoulli_scalar(p, &g))
        }
        _ => run_detached_if_large(py, input.numel(), || input.bernoulli(&g)),
    };
    wrap(py, t.py()?)
}

/// Indices drawn from rows of weights.
#[pyfunction]
#[pyo3(signature = (input, num_samples, replacement=false, *, generator=None, out=None))]
fn multinomial(py: Python<'_>, input: PyRef<'_, PyTensor>, num_samples: i64, replacement: bool, generator: Option<&Bound<'_, PyAny>>, out: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let _ = out;
    multinomial_of(py, &input.inner, num_samples, replacement, generator)
}

fn multinomial_of(py: Python<'_>, input: &Tensor, num_samples: i64, replacement: bool, generator: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let g = generator_arg(generator)?;
    let work = input.numel().max(usize::try_from(num_samples).unwrap_or(0));
    wrap(py, run_detached_if_large(py, work, || input.multinomial(num_samples, replacement, &g)).py()?)
}

// ---- in-place samplers on Tensor ----------------------------------------------

/// A float argument (int or float) of a sampler.
pub(crate) fn float_arg(obj: &Bound<'_, PyAny>, op: &str, name: &str) -> PyResult<f64> {
    match scalar_from(obj)? {
        Some(s) => Ok(s.to_f64()),
        None => Err(PyTypeError::new_err(format!("{op}(): argument '{name}' must be float, not {}", type_name(obj)))),
    }
}

/// `random_()`, `random_(to)`, `random_(from, to)` with `to` possibly None,
/// bounds positional or keyword (`from` is a Python keyword, hence the dict).
/// Returns the sampler and the `generator=` argument.
fn random_bounds<'py>(args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<(Sampler, Option<Bound<'py, PyAny>>)> {
    let bound = |o: &Bound<'_, PyAny>| -> PyResult<Option<i64>> {
        if o.is_none() {
            return Ok(None);
        }
        if o.is_instance_of::<PyFloat>() {
            return Err(PyTypeError::new_err(format!("random_(): argument must be int, not {}", type_name(o))));
        }
        o.extract::<i64>().map(Some).map_err(|_| PyTypeError::new_err(format!("random_(): argument must be int, not {}", type_name(o))))
    };
    let (mut kw_from, mut kw_to, mut generator) = (None, None, None);
    if let Some(kw) = kwargs {
        for (k, v) in kw.iter() {
            match k.extract::<String>()?.as_str() {
                "from" => kw_from = Some(v),
                "to" => kw_to = Some(v),
                "generator" => generator = Some(v),
                other => return Err(PyTypeError::new_err(format!("random_() got an unexpected keyword argument '{other}'"))),
            }
        }
    }
    // (from given, from, to given, to): which overload the call names.
    let (from, to): (Option<Option<i64>>, Option<Option<i64>>) = match (args.len(), &kw_from, &kw_to) {
        (0, Some(_), None) => return Err(PyTypeError::new_err("random_(): 'from' needs 'to' as well (pass to=None for no upper bound)")),
        (0, f, t) => (f.as_ref().map(&bound).transpose()?, t.as_ref().map(&bound).transpose()?),
        (1, None, None) => (None, Some(bound(&args.get_item(0)?)?)),
        (1, None, Some(t)) => (Some(bound(&args.get_item(0)?)?), Some(bound(t)?)),
        (2, None, None) => (Some(bound(&args.get_item(0)?)?), Some(bound(&args.get_item(1)?)?)),
        (n, _, _) if n > 2 => return Err(PyTypeError::new_err(format!("random_() takes at most 2 positional arguments ({n} given)"))),
        _ => return Err(PyTypeError::new_err("random_() got multiple values for argument 'from'")),
    };
    let sampler = match (from, to) {
        (None, None | Some(None)) => Sampler::RandomDefault,
        (None, Some(Some(to))) => Sampler::Random { from: 0, to: Some(to) },
        (Some(Some(from)), to) => Sampler::Random { from, to: to.flatten() },
        (Some(None), _) => return Err(PyTypeError::new_err("random_(): argument 'from' must be int, not NoneType")),
    };
    Ok((sampler, generator))
}

#[pymethods]
impl PyTensor {
    /// Fills with uniform samples on [from, to).
    #[pyo3(signature = (r#from=None, to=None, *, generator=None))]
    fn uniform_<'py>(slf: Bound<'py, Self>, r#from: Option<&Bound<'py, PyAny>>, to: Option<&Bound<'py, PyAny>>, generator: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, Self>> {
        let from = r#from.map(|v| float_arg(v, "uniform_", "from")).transpose()?.unwrap_or(0.0);
        let to = to.map(|v| float_arg(v, "uniform_", "to")).transpose()?.unwrap_or(1.0);
        sample_into(slf.py(), &slf.get().inner, Sampler::Uniform { from, to }, generator)?;
        Ok(slf)
    }

    /// Fills with normal samples of the given mean and standard deviation.
    #[pyo3(signature = (mean=None, std=None, *, generator=None))]
    fn normal_<'py>(slf: Bound<'py, Self>, mean: Option<&Bound<'py, PyAny>>, std: Option<&Bound<'py, PyAny>>, generator: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, Self>> {
        let mean = mean.map(|v| float_arg(v, "normal_", "mean")).transpose()?.unwrap_or(0.0);
        let std = std.map(|v| float_arg(v, "normal_", "std")).transpose()?.unwrap_or(1.0);
        sample_into(slf.py(), &slf.get().inner, Sampler::Normal { mean, std }, generator)?;
        Ok(slf)
    }

    /// Fills with integers: `random_()`, `random_(to)`, `random_(from, to)`.
    #[pyo3(signature = (*args, **kwargs))]
    fn random_<'py>(slf: Bound<'py, Self>, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, Self>> {
        let (sampler, generator) = random_bounds(args, kwargs)?;
        sample_into(slf.py(), &slf.get().inner, sampler, generator.as_ref())?;
        Ok(slf)
    }

    /// Fills with exponential samples of rate `lambd`.
    #[pyo3(signature = (lambd=None, *, generator=None))]
    fn exponential_<'py>(slf: Bound<'py, Self>, lambd: Option<&Bound<'py, PyAny>>, generator: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, Self>> {
        let lambda = lambd.map(|v| float_arg(v, "exponential_", "lambd")).transpose()?.unwrap_or(1.0);
        sample_into(slf.py(), &slf.get().inner, Sampler::Exponential { lambda }, generator)?;
        Ok(slf)
    }

    /// Fills with 0/1 draws: probability `p` (a number, or a tensor
    /// broadcast to this shape).
    #[pyo3(signature = (p=None, *, generator=None))]
    fn bernoulli_<'py>(slf: Bound<'py, Self>, p: Option<&Bound<'py, PyAny>>, generator: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        let t = &slf.get().inner;
        match p {
            Some(p) if p.is_instance_of::<PyTensor>() => {
                let probs = p.cast::<PyTensor>()?.get().inner.clone();
                let g = generator_arg(generator)?;
                run_detached_if_large(py, t.numel(), || t.bernoulli_tensor_(&probs, &g)).py()?;
            }
            Some(p) if !p.is_none() => sample_into(py, t, Sampler::Bernoulli { p: float_arg(p, "bernoulli_", "p")? }, generator)?,
            _ => sample_into(py, t, Sampler::Bernoulli { p: 0.5 }, generator)?,
        }
        Ok(slf)
    }

    /// `torch.bernoulli(self, p)` as a method.
    #[pyo3(signature = (p=None, *, generator=None))]
    fn bernoulli(&self, py: Python<'_>, p: Option<&Bound<'_, PyAny>>, generator: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        bernoulli_of(py, &self.inner, p, generator)
    }

    /// `torch.multinomial(self, ...)` as a method.
    #[pyo3(signature = (num_samples, replacement=false, *, generator=None))]
    fn multinomial(&self, py: Python<'_>, num_samples: i64, replacement: bool, generator: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        multinomial_of(py, &self.inner, num_samples, replacement, generator)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyGenerator>()?;
    m.add("default_generator", default_object(m.py())?.clone_ref(m.py()))?;
    for f in [
        wrap_pyfunction!(manual_seed, m)?,
        wrap_pyfunction!(seed, m)?,
        wrap_pyfunction!(initial_seed, m)?,
        wrap_pyfunction!(get_rng_state, m)?,
        wrap_pyfunction!(set_rng_state, m)?,
        wrap_pyfunction!(rand, m)?,
        wrap_pyfunction!(randn, m)?,
        wrap_pyfunction!(randint, m)?,
        wrap_pyfunction!(randperm, m)?,
        wrap_pyfunction!(normal, m)?,
        wrap_pyfunction!(bernoulli, m)?,
        wrap_pyfunction!(multinomial, m)?,
    ] {
        m.add_function(f)?;
    }
    Ok(())
}
