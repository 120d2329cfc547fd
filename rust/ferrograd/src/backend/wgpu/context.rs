//! The one wgpu device every wgpu storage lives on, opened on first use.
//! Opening fails softly: a machine without a usable adapter gets an error
//! value each time the device is asked for, never a panic.

use super::pipelines::Pipelines;
use super::pool::Pool;
use crate::error::{Error, Result};
use parking_lot::Mutex;
use std::sync::{Arc, OnceLock};

pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    /// The adapter's name, as `get_device_name` reports it.
    pub name: String,
    /// Bytes one storage binding may span (lavapipe: 128 MiB).
    pub binding_limit: u64,
    /// The alignment of a binding's offset into its buffer.
    pub offset_align: u64,
    /// Workgroups per dispatch dimension (65,535 almost everywhere).
    pub max_groups: u32,
    /// Bytes one buffer may hold.
    pub max_buffer: u64,
    /// The optional features the device was opened with (`shader-f16`, `shader-f64`).
    pub features: wgpu::Features,
    pub pool: Pool,
    pub pipelines: Pipelines,
    /// An error reported outside any error scope (the device was lost).
    uncaptured: Arc<Mutex<Option<String>>>,
}

static GPU: OnceLock<std::result::Result<Gpu, String>> = OnceLock::new();

/// The device, opened on the first call.
pub fn gpu() -> Result<&'static Gpu> {
    match GPU.get_or_init(open) {
        Ok(gpu) => Ok(gpu),
        Err(why) => Err(Error::runtime(format!("the wgpu device is not available: {why}"))),
    }
}

/// The device if it was opened already; dropping a buffer must not open one.
pub fn opened() -> Option<&'static Gpu> {
    GPU.get().and_then(|g| g.as_ref().ok())
}

fn open() -> std::result::Result<Gpu, String> {
    if wgpu::Instance::enabled_backend_features().is_empty() {
        return Err("this build enables no GPU backend for this platform".into());
    }
    // WGPU_BACKEND and friends still choose among the native backends.
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let options = wgpu::RequestAdapterOptions { power_preference: wgpu::PowerPreference::HighPerformance, ..Default::default() };
    let adapter = pollster::block_on(instance.request_adapter(&options))
        .map_err(|e| format!("no GPU adapter was found ({e}); on Debian, `apt-get install mesa-vulkan-drivers libvulkan1` provides a software one"))?;
    // The adapter's own limits: the defaults would cap bindings far below
    // what most drivers grant.
    let limits = adapter.limits();
    // Half and double kernels, where the adapter runs them.
    let features = adapter.features() & (wgpu::Features::SHADER_F16 | wgpu::Features::SHADER_F64);
    let descriptor = wgpu::DeviceDescriptor { label: Some("ferrograd"), required_features: features, required_limits: limits.clone(), ..Default::default() };
    let (device, queue) = pollster::block_on(adapter.request_device(&descriptor)).map_err(|e| format!("the adapter refused a device: {e}"))?;
    let uncaptured = Arc::new(Mutex::new(None));
    let sink = Arc::clone(&uncaptured);
    // The default handler panics; every operation runs inside error scopes,
    // so only a lost device lands here, and the next operation reports it.
    device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
        *sink.lock() = Some(e.to_string());
    }));
    let offset_align = u64::from(limits.min_storage_buffer_offset_alignment).max(4);
    let max_buffer = limits.max_buffer_size;
    let binding_limit = limits.max_storage_buffer_binding_size.min(max_buffer) / offset_align * offset_align;
    Ok(Gpu {
        device,
        queue,
        name: adapter.get_info().name,
        binding_limit,
        offset_align,
        max_groups: limits.max_compute_workgroups_per_dimension.max(1),
        max_buffer,
        features,
        pool: Pool::default(),
        pipelines: Pipelines::default(),
        uncaptured,
    })
}

impl Gpu {
    /// Runs `f` with validation and out-of-memory errors captured, so a
    /// refused buffer or dispatch becomes an error value.
    pub fn scoped<T>(&self, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let memory = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let result = f();
        let invalid = pollster::block_on(validation.pop());
        let oom = pollster::block_on(memory.pop());
        if let Some(e) = oom {
            return Err(Error::runtime(format!("wgpu out of memory in {what}: {e}")));
        }
        if let Some(e) = invalid {
            return Err(Error::runtime(format!("wgpu refused {what}: {e}")));
        }
        if let Some(e) = self.uncaptured.lock().take() {
            return Err(Error::runtime(format!("wgpu device error during {what}: {e}")));
        }
        result
    }

    /// Waits for every submitted command to finish.
    pub fn wait(&self) -> Result<()> {
        self.device.poll(wgpu::PollType::wait_indefinitely()).map(|_| ()).map_err(|e| Error::runtime(format!("waiting for the wgpu device failed: {e}")))
    }
}
