//! Ops that compute only on the host. On a wgpu tensor they run through the
//! wgpu fallback: refused (NotImplementedError) unless it is turned on, else
//! the operands are moved to the CPU and the result back, both as recorded
//! copies, so autograd carries the gradient across as for any `to`.
//!
//! Every such op starts with `host_only!`: without it, a host kernel would
//! read a device tensor back and hand out a CPU result, silently moving the
//! caller's computation off the device.

use crate::device::Device;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// The device other than the CPU that `inputs` are on, if any.
pub(crate) fn off_host(inputs: &[Option<&Tensor>]) -> Option<Device> {
    inputs.iter().flatten().map(|t| t.device()).find(|d| *d != Device::Cpu)
}

/// `off_host` for operands that must share a device: a CPU scalar (0-d)
/// goes with any device, as in PyTorch; other mixes are refused.
pub(crate) fn off_host_checked(inputs: &[Option<&Tensor>]) -> Result<Option<Device>> {
    let Some(device) = off_host(inputs) else { return Ok(None) };
    let placed = inputs.iter().flatten().filter(|t| !(t.ndim() == 0 && t.device() == Device::Cpu)).map(|t| t.device());
    crate::device::check_same_device(placed)?;
    Ok(Some(device))
}

/// What a host op returns, moved to the device its operands came from.
pub(crate) trait Placed: Sized {
    fn placed_on(self, device: Device) -> Result<Self>;
}

impl Placed for Tensor {
    fn placed_on(self, device: Device) -> Result<Self> {
        self.to_device(device)
    }
}

impl Placed for (Tensor, Tensor) {
    fn placed_on(self, device: Device) -> Result<Self> {
        Ok((self.0.to_device(device)?, self.1.to_device(device)?))
    }
}

impl Placed for Vec<Tensor> {
    fn placed_on(self, device: Device) -> Result<Self> {
        self.into_iter().map(|t| t.to_device(device)).collect()
    }
}

/// `op` run on the CPU by `cpu`, which receives the host copy of each of
/// `inputs`, its result placed on `device`.
pub(crate) fn fallback<const N: usize, R: Placed>(op: &str, device: Device, inputs: [&Tensor; N], cpu: impl FnOnce([Tensor; N]) -> Result<R>) -> Result<R> {
    fallback_all(op, device, &inputs, |host| {
        let host: [Tensor; N] = host.try_into().map_err(|_| Error::runtime(format!("{op}: lost an operand moving it to the cpu")))?;
        cpu(host)
    })
}

/// `fallback` for a list of operands of any length (cat, stack).
pub(crate) fn fallback_all<R: Placed>(op: &str, device: Device, inputs: &[&Tensor], cpu: impl FnOnce(Vec<Tensor>) -> Result<R>) -> Result<R> {
    crate::backend::wgpu::fallback::on_cpu(op, || {
        let host = inputs.iter().map(|t| t.to_device(Device::Cpu)).collect::<Result<Vec<_>>>()?;
        cpu(host)?.placed_on(device)
    })
}

/// A recorded copy of an optional operand on the CPU.
pub(crate) fn to_host(t: Option<&Tensor>) -> Result<Option<Tensor>> {
    t.map(|t| t.to_device(Device::Cpu)).transpose()
}

/// Returns early from a host-only op whose operands are off the host: the
/// op named `$name` runs through `fallback` with `$body`, which sees the
/// host copies under the names given. Operands on different devices are
/// refused as PyTorch refuses them. Optional operands go in the `?` list;
/// the body reaches their host copies with `to_host`.
///
/// `host_only!("cumsum", [self] => |[x]| x.cumsum(dim));`
macro_rules! host_only {
    ($name:expr, [$($t:expr),+] $(? [$($opt:expr),+])? => |[$($h:ident),+]| $body:expr) => {
        if let Some(device) = $crate::ops::host::off_host_checked(&[$(Some($t)),+ $($(, $opt)+)?])? {
            return $crate::ops::host::fallback($name, device, [$($t),+], |[$($h),+]| $body);
        }
    };
}
pub(crate) use host_only;
