//! Compute pipelines built once per kernel name, variant and dtype.

use crate::error::{Error, Result};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Default)]
pub struct Pipelines {
    cache: Mutex<HashMap<String, Arc<wgpu::ComputePipeline>>>,
}

impl Pipelines {
    /// The pipeline cached under `key`, compiling `source()` on first use.
    pub fn get(&self, device: &wgpu::Device, key: &str, source: impl FnOnce() -> Result<String>) -> Result<Arc<wgpu::ComputePipeline>> {
        if let Some(found) = self.cache.lock().get(key) {
            return Ok(Arc::clone(found));
        }
        // Compiled outside the lock: other kernels keep launching meanwhile.
        let built = Arc::new(compile(device, key, &source()?)?);
        let (kept, duplicate) = {
            let mut cache = self.cache.lock();
            match cache.get(key) {
                Some(existing) => (Arc::clone(existing), Some(built)),
                None => {
                    cache.insert(key.to_string(), Arc::clone(&built));
                    (built, None)
                }
            }
        };
        drop(duplicate);
        Ok(kept)
    }
}

fn compile(device: &wgpu::Device, key: &str, source: &str) -> Result<wgpu::ComputePipeline> {
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some(key), source: wgpu::ShaderSource::Wgsl(source.into()) });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(key),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    match pollster::block_on(scope.pop()) {
        None => Ok(pipeline),
        Some(e) => Err(Error::runtime(format!("the wgpu kernel '{key}' failed to compile: {e}"))),
    }
}
