//! Python bindings for the ferrograd core: conversions, the Tensor class,
//! error mapping. No math lives here.

#![deny(unsafe_op_in_unsafe_fn)]

mod autograd;
mod closeness;
mod conv;
mod convert;
mod dlpack;
mod errors;
mod function;
mod function_forms;
mod functions;
mod gil;
mod hooks;
mod linalg;
mod indexing;
mod index_ops;
mod inplace_math;
mod keep_alive;
mod shape;
mod reduce;
mod saved_hooks;
mod pointwise;
mod random;
mod losses;
mod memory;
mod optim;
mod tensor;
mod tensor_new;
mod threads;
mod wgpu;

use pyo3::prelude::*;

#[pymodule]
fn _ferrograd(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<tensor::PyTensor>()?;
    m.add_class::<convert::PyDType>()?;
    for d in ferrograd::DType::ALL {
        m.add(d.name(), convert::dtype_object(m.py(), d)?)?;
    }
    errors::register(m)?;
    autograd::register(m)?;
    functions::register(m)?;
    function_forms::register(m)?;
    hooks::register(m)?;
    function::register(m)?;
    linalg::register(m)?;
    shape::register(m)?;
    pointwise::register(m)?;
    index_ops::register(m)?;
    losses::register(m)?;
    conv::register(m)?;
    closeness::register(m)?;
    saved_hooks::register(m)?;
    random::register(m)?;
    optim::register(m)?;
    memory::register(m)?;
    threads::register(m)?;
    dlpack::register(m)?;
    wgpu::register(m)?;
    Ok(())
}
