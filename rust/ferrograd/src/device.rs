//! Where a tensor's elements live. Every storage has a device; ops refuse
//! operands on different devices with PyTorch's error.

use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Device {
    Cpu,
    /// A GPU reached through wgpu, by adapter index.
    Wgpu(u16),
}

impl Device {
    /// Parses PyTorch-style device strings: `cpu`, `wgpu`, `wgpu:1`.
    pub fn parse(text: &str) -> Result<Device> {
        let (kind, index) = match text.split_once(':') {
            Some((kind, index)) => (kind, Some(index)),
            None => (text, None),
        };
        let index = index
            .map(|i| i.parse::<u16>().map_err(|_| Error::InvalidDeviceString(text.to_string())))
            .transpose()?;
        match (kind, index) {
            ("cpu", None | Some(0)) => Ok(Device::Cpu),
            ("wgpu", i) => Ok(Device::Wgpu(i.unwrap_or(0))),
            _ => Err(Error::UnknownDeviceType(text.to_string())),
        }
    }

    pub fn type_name(self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            Device::Wgpu(_) => "wgpu",
        }
    }

    /// The devices this build can put tensors on.
    pub fn check_available(self) -> Result<()> {
        match self {
            Device::Cpu => Ok(()),
            Device::Wgpu(index) => crate::backend::wgpu::check_device(index),
        }
    }
}

/// Why a build without the `wgpu` feature cannot compute on a wgpu device.
pub fn wgpu_unavailable() -> Error {
    Error::runtime("ferrograd was built without wgpu support: rebuild the ferrograd crate with its `wgpu` feature to use the wgpu device")
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Device::Cpu => write!(f, "cpu"),
            Device::Wgpu(i) => write!(f, "wgpu:{i}"),
        }
    }
}

/// PyTorch's refusal of operands on different devices.
pub fn check_same_device(devices: impl IntoIterator<Item = Device>) -> Result<Device> {
    let mut devices = devices.into_iter();
    let first = devices.next().unwrap_or(Device::Cpu);
    match devices.find(|&d| d != first) {
        None => Ok(first),
        Some(other) => Err(Error::DeviceMismatch(first, other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pytorch_style_strings() {
        assert_eq!(Device::parse("cpu").ok(), Some(Device::Cpu));
        assert_eq!(Device::parse("wgpu:1").ok(), Some(Device::Wgpu(1)));
        assert!(Device::parse("cuda").is_err());
        assert!(Device::parse("wgpu:x").is_err());
    }

    #[test]
    fn mixed_devices_are_refused_naming_both() {
        let err = check_same_device([Device::Cpu, Device::Wgpu(0)]).unwrap_err().to_string();
        assert_eq!(err, "Expected all tensors to be on the same device, but found at least two devices, cpu and wgpu:0!");
        assert_eq!(check_same_device([Device::Cpu, Device::Cpu]).ok(), Some(Device::Cpu));
    }
}
