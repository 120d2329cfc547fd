//! Ops that compute only on the host. On a wgpu tensor they run through the
//! wgpu fallback: refused (NotImplementedError) unless it is turned on, else
//! the operands are moved to the CPU and the result back, both as recorded
//! copies, so autograd carries the gradient across as for any `to`.

use crate::device::Device;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// The device other than the CPU that `inputs` are on, if any.
pub(crate) fn off_host(inputs: &[Option<&Tensor>]) -> Option<Device> {
    inputs.iter().flatten().map(|t| t.device()).find(|d| *d != Device::Cpu)
}

/// `op` run on the CPU by `cpu`, which receives the host copy of each of
/// `inputs`, its result placed on `device`.
pub(crate) fn fallback<const N: usize>(op: &str, device: Device, inputs: [&Tensor; N], cpu: impl FnOnce([Tensor; N]) -> Result<Tensor>) -> Result<Tensor> {
    crate::backend::wgpu::fallback::on_cpu(op, || {
        let host = inputs.map(|t| t.to_device(Device::Cpu)).into_iter().collect::<Result<Vec<_>>>()?;
        let host: [Tensor; N] = host.try_into().map_err(|_| Error::runtime(format!("{op}: lost an operand moving it to the cpu")))?;
        cpu(host)?.to_device(device)
    })
}

/// A recorded copy of an optional operand on the CPU.
pub(crate) fn to_host(t: Option<&Tensor>) -> Result<Option<Tensor>> {
    t.map(|t| t.to_device(Device::Cpu)).transpose()
}
