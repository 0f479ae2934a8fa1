//! The WebGPU backend's building blocks (issue 3, part 1): our own WGSL kernels run through wgpu, natively
//! (Vulkan; Mesa lavapipe in tests) and in the browser (WebGPU).
//!
//! - [`device`]: getting an adapter and device with the limits the model needs, and turning every way that can
//!   fail (no adapter, limits too small, device lost) into an [`crate::error::Error`] the caller can fall back on.
//! - [`pipelines`]: each kernel compiled once per specialisation and cached, so a forward pass only binds and
//!   dispatches; plus buffer helpers (upload, zeroed storage, uniforms, read-back that works natively and in wasm)
//!   and a [`BufferPool`] so activations are reused from batch to batch.
//! - `kernels/*.wgsl`: one kernel per file — matmul (tiled, vec4), GELU (erf), fused residual + LayerNorm,
//!   attention, embeddings, pooling. Each file says why it is written the way it is.
//! - [`ops`]: one file per op; `record` puts one dispatch into a caller's command encoder (a whole forward pass
//!   becomes one submission) and `cpu_<op>` is the plain-Rust twin the parity tests compare against.
//! - [`forward`]: the whole XLM-R encoder as one command submission per batch (weights uploaded once), returning
//!   pooled unit vectors; tested against the CPU encoder on the tiny fixture.
//!
//! Nothing here is wired into `Encoder` yet; the CPU backend (`encode::cpu`) stays the reference.

pub mod device;
pub mod forward;
pub mod ops;
pub mod pipelines;

pub use device::{AdapterSummary, GpuContext, Needs};
pub use forward::GpuForward;
pub use pipelines::{BufferPool, Kernel, KernelKey, Pipelines, Spec, grid, read_f32, read_staged, stage_read, storage, storage_zeroed};
#[cfg(not(target_arch = "wasm32"))]
pub use pipelines::read_f32_blocking;
