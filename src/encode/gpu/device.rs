//! `GpuContext`: one adapter, its device and queue, and what we asked of them.
//!
//! Getting a GPU can fail in ordinary ways (no WebGPU in this browser, a blocklisted driver, an adapter whose
//! buffers are too small for the model, a device lost to a driver reset). Each of these becomes an
//! [`Error::Backend`] with a sentence a user can act on, so the caller can fall back to the CPU and say why;
//! nothing here panics.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

/// The step named in every error from this module.
const CTX: &str = "WebGPU";

/// Device limits below which none of our kernels can run. The kernels use 256-thread workgroups, at most
/// 16 KiB of workgroup memory and 8 storage buffers per dispatch; these are the WebGPU defaults, so every
/// conforming adapter meets them, but a downlevel (WebGL-class) one may not.
fn minimum_limits() -> wgpu::Limits {
    wgpu::Limits { max_storage_buffers_per_shader_stage: 8, ..wgpu::Limits::defaults() }
}

/// What a model needs beyond the WebGPU defaults: the largest single buffer it binds (the biggest weight
/// matrix or activation) and the largest buffer it allocates. `None` = the WebGPU defaults suffice.
#[derive(Debug, Clone, Copy, Default)]
pub struct Needs {
    pub max_binding_bytes: Option<u64>,
    pub max_buffer_bytes: Option<u64>,
}

/// The adapter as shown to users ("llvmpipe (LLVM 15.0.7, 256 bits) on Vulkan").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
}

impl std::fmt::Display for AdapterSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = if self.name.is_empty() { "unnamed adapter" } else { &self.name };
        write!(f, "{name} on {} ({})", self.backend, self.device_type)?;
        if !self.driver.is_empty() {
            write!(f, ", driver {}", self.driver)?;
        }
        Ok(())
    }
}

impl AdapterSummary {
    pub fn of(adapter: &wgpu::Adapter) -> Self {
        let info = adapter.get_info();
        let backend = match info.backend {
            // The browser hides the native API behind WebGPU.
            wgpu::Backend::BrowserWebGpu => "WebGPU".to_string(),
            other => format!("{other:?}"),
        };
        let device_type = match info.device_type {
            wgpu::DeviceType::DiscreteGpu => "discrete GPU",
            wgpu::DeviceType::IntegratedGpu => "integrated GPU",
            wgpu::DeviceType::VirtualGpu => "virtual GPU",
            wgpu::DeviceType::Cpu => "software",
            wgpu::DeviceType::Other => "unknown kind",
        };
        Self {
            // Browsers may withhold the adapter's name for privacy.
            name: if info.name.is_empty() && info.backend == wgpu::Backend::BrowserWebGpu { "browser adapter".into() } else { info.name },
            backend,
            device_type: device_type.into(),
            driver: [info.driver, info.driver_info].iter().filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>().join(" "),
        }
    }
}

/// A device ready for our kernels. Cheap to clone (wgpu handles are reference counted).
#[derive(Clone)]
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter: AdapterSummary,
    /// Set by wgpu's device-lost callback; checked before each submission and read-back so a lost device
    /// becomes an error instead of a hang or garbage.
    lost: Arc<std::sync::Mutex<Option<String>>>,
    lost_flag: Arc<AtomicBool>,
}

impl std::fmt::Debug for GpuContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuContext").field("adapter", &self.adapter).finish_non_exhaustive()
    }
}

/// A fresh instance with the backends this build has (Vulkan/Metal/DX12 natively, the browser's WebGPU in wasm),
/// honouring wgpu's environment variables (`WGPU_BACKEND`, `WGPU_ADAPTER_NAME`, …) for debugging.
pub fn instance() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env())
}

/// The preferred adapter of a fresh instance (high performance), or an error saying why there is none.
pub async fn request_adapter() -> Result<wgpu::Adapter> {
    let options = wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        force_fallback_adapter: false,
        compatible_surface: None,
        // We are not exposed to untrusted content, and bucketing could only lower the limits we need.
        apply_limit_buckets: false,
    };
    instance().request_adapter(&options).await.map_err(|e| {
        Error::backend(CTX, format!("no GPU adapter is available ({e}); the browser may lack WebGPU or block this GPU"))
    })
}

/// Whether an adapter is a software rasteriser (Mesa llvmpipe/lavapipe, SwiftShader, WARP): it runs on the CPU,
/// where candle's CPU encoder is faster, so `auto` does not pick it (`gpu` still can, e.g. for tests).
pub fn is_software(adapter: &wgpu::Adapter) -> bool {
    adapter.get_info().device_type == wgpu::DeviceType::Cpu
}

impl GpuContext {
    /// The preferred adapter of a fresh instance (high performance), then a device with the limits `needs` asks for.
    pub async fn new(needs: Needs) -> Result<Self> {
        Self::from_adapter(&request_adapter().await?, needs).await
    }

    /// Native only: [`GpuContext::new`], blocking.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new_blocking(needs: Needs) -> Result<Self> {
        pollster::block_on(Self::new(needs))
    }

    /// Native only: [`GpuContext::from_adapter`], blocking (tests run every adapter this way).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_adapter_blocking(adapter: &wgpu::Adapter, needs: Needs) -> Result<Self> {
        pollster::block_on(Self::from_adapter(adapter, needs))
    }

    /// A device on a given adapter. Requests the WebGPU defaults raised to what `needs` asks for, and fails with a
    /// message naming the limit when the adapter cannot give it.
    pub async fn from_adapter(adapter: &wgpu::Adapter, needs: Needs) -> Result<Self> {
        let summary = AdapterSummary::of(adapter);
        let limits = required_limits(&adapter.limits(), needs).map_err(|m| Error::backend(CTX, format!("{summary}: {m}")))?;
        let desc = wgpu::DeviceDescriptor {
            label: Some("lingbridge encoder"),
            required_features: wgpu::Features::empty(),
            required_limits: limits,
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        };
        let (device, queue) = adapter
            .request_device(&desc)
            .await
            .map_err(|e| Error::backend(CTX, format!("{summary}: could not open the device ({e})")))?;
        let lost = Arc::new(std::sync::Mutex::new(None));
        let lost_flag = Arc::new(AtomicBool::new(false));
        {
            let (lost, flag) = (lost.clone(), lost_flag.clone());
            device.set_device_lost_callback(move |reason, message| {
                if let Ok(mut slot) = lost.lock() {
                    *slot = Some(format!("{reason:?}: {message}"));
                }
                flag.store(true, Ordering::SeqCst);
            });
        }
        // Validation errors we do not capture with an error scope would otherwise panic inside wgpu's default
        // handler; we record them as a lost device instead, so the next check reports them.
        {
            let (lost, flag) = (lost.clone(), lost_flag.clone());
            device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
                if let Ok(mut slot) = lost.lock() {
                    slot.get_or_insert_with(|| format!("uncaptured GPU error: {e}"));
                }
                flag.store(true, Ordering::SeqCst);
            }));
        }
        Ok(Self { device, queue, adapter: summary, lost, lost_flag })
    }

    /// `Err` once the device has been lost (or an uncaptured validation error occurred): its results cannot be trusted.
    pub fn check(&self) -> Result<()> {
        if !self.lost_flag.load(Ordering::SeqCst) {
            return Ok(());
        }
        let why = self.lost.lock().ok().and_then(|s| s.clone()).unwrap_or_else(|| "unknown reason".into());
        Err(Error::backend(CTX, format!("{}: the GPU device was lost ({why}); use the CPU backend", self.adapter)))
    }

    /// The limits the device was created with (what the kernels may rely on).
    pub fn limits(&self) -> wgpu::Limits {
        self.device.limits()
    }
}

/// WebGPU defaults, raised to `needs` within what the adapter allows; an error names the first limit that fails.
fn required_limits(adapter: &wgpu::Limits, needs: Needs) -> std::result::Result<wgpu::Limits, String> {
    let mut limits = minimum_limits();
    let mut failure = None;
    limits.check_limits_with_fail_fn(adapter, true, |name, wanted, allowed| {
        failure.get_or_insert_with(|| format!("the adapter's {name} is {allowed}, below the {wanted} our kernels need"));
    });
    if let Some(f) = failure {
        return Err(f);
    }
    let raise = |name: &str, current: u64, wanted: Option<u64>, allowed: u64| -> std::result::Result<u64, String> {
        match wanted {
            None => Ok(current),
            Some(w) if w <= current => Ok(current),
            Some(w) if w <= allowed => Ok(w),
            Some(w) => Err(format!(
                "the model needs {name} of {} MiB but the adapter allows {} MiB",
                w.div_ceil(1 << 20),
                allowed >> 20
            )),
        }
    };
    limits.max_buffer_size = raise("max_buffer_size", limits.max_buffer_size, needs.max_buffer_bytes, adapter.max_buffer_size)?;
    let binding = raise(
        "max_storage_buffer_binding_size",
        limits.max_storage_buffer_binding_size,
        needs.max_binding_bytes,
        adapter.max_storage_buffer_binding_size,
    )?;
    limits.max_storage_buffer_binding_size = binding;
    // A binding can never exceed its buffer.
    limits.max_buffer_size = limits.max_buffer_size.max(binding);
    if limits.max_buffer_size > adapter.max_buffer_size {
        return Err(format!(
            "the model needs buffers of {} MiB but the adapter allows {} MiB",
            limits.max_buffer_size >> 20,
            adapter.max_buffer_size >> 20
        ));
    }
    Ok(limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_raised_within_the_adapter() {
        let adapter = wgpu::Limits { max_storage_buffer_binding_size: 1 << 30, max_buffer_size: 1 << 31, ..wgpu::Limits::defaults() };
        let got = required_limits(&adapter, Needs { max_binding_bytes: Some(300 << 20), max_buffer_bytes: None }).unwrap();
        assert_eq!(got.max_storage_buffer_binding_size, 300 << 20);
        assert!(got.max_buffer_size >= 300 << 20);
        let err = required_limits(&adapter, Needs { max_binding_bytes: Some(2 << 30), max_buffer_bytes: None }).unwrap_err();
        assert!(err.contains("max_storage_buffer_binding_size"), "{err}");
        let weak = wgpu::Limits::downlevel_webgl2_defaults();
        assert!(required_limits(&weak, Needs::default()).is_err());
    }
}
