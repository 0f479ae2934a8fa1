//! Choosing where the forward pass runs, and falling back to the CPU when the GPU cannot be had or is lost.
//!
//! `auto` takes a hardware WebGPU/Vulkan adapter when there is one and the CPU otherwise: a software adapter
//! (llvmpipe, SwiftShader) emulates the GPU on the CPU and is slower than candle's CPU encoder. `gpu` takes any
//! adapter, software included. Either way, failing to get a device, an adapter too small for the model, or a device
//! lost mid-session ends on the CPU backend with the reason recorded in [`BackendInfo::fallback`] — the results are
//! the same embeddings (tests/gpu_backend.rs holds both paths to cosine ≥ 0.9999).

use std::fmt;
use std::str::FromStr;

use super::cpu::CpuEncoder;
use super::gpu::{self, GpuContext, GpuForward};
use crate::error::{Error, Result};
use crate::model::{EncoderConfig, ModelFiles, SentenceHead, TokenBatch, Weights};

/// What the caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// candle on the CPU (wasm simd128 in the browser).
    #[default]
    Cpu,
    /// Our WGSL kernels on any WebGPU/Vulkan adapter, software ones included; CPU if none can be had.
    Gpu,
    /// A hardware adapter when there is one, else the CPU.
    Auto,
}

impl FromStr for BackendChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" => Ok(Self::Cpu),
            "gpu" | "webgpu" => Ok(Self::Gpu),
            "auto" => Ok(Self::Auto),
            other => Err(Error::input(format!("unknown backend {other:?}: use cpu, gpu or auto"))),
        }
    }
}

impl fmt::Display for BackendChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Cpu => "cpu",
            Self::Gpu => "gpu",
            Self::Auto => "auto",
        })
    }
}

/// Where the word-embedding table lives on the GPU backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WordTablePlacement {
    /// On the device when it fits one binding of the adapter, else in host memory.
    #[default]
    Auto,
    Device,
    /// In host memory; each batch uploads its tokens' rows (forced in tests to cover the large-vocabulary path).
    Host,
}

/// How the CPU backend holds a quantized file's matrices (the word table always stays in the file's blocks: its
/// rows are decoded exactly, per batch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CpuWeights {
    /// Dequantized to f32 once at load (gemm; the reference, and the faster on every CPU measured here).
    #[default]
    F32,
    /// Kept in q8_0 / q4_0 blocks (candle's quantized matmul, which rounds activations to q8 too): a quarter to an
    /// eighth of the memory, an approximation held to cosine ≥ 0.995 (tests/quantized_model.rs). f32 files stay f32.
    Quantized,
}

impl FromStr for CpuWeights {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "f32" => Ok(Self::F32),
            "quantized" => Ok(Self::Quantized),
            other => Err(Error::input(format!("unknown CPU weight mode {other:?}: use f32 or quantized"))),
        }
    }
}

impl fmt::Display for CpuWeights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::F32 => "f32",
            Self::Quantized => "quantized",
        })
    }
}

/// What ran, for users: shown by the CLI on stderr and by the page's badge.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackendInfo {
    /// "cpu" or "gpu".
    pub name: &'static str,
    /// The adapter ("NVIDIA H200 on Vulkan (discrete GPU)") or the CPU build ("CPU (wasm, relaxed SIMD)").
    pub device: String,
    /// Why a GPU was asked for and the CPU runs instead.
    pub fallback: Option<String>,
    /// Whether the GPU backend keeps the word table in host memory (vocabulary too large for one binding).
    pub word_table_on_host: bool,
}

impl fmt::Display for BackendInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} — {}", self.name, self.device)?;
        if self.word_table_on_host {
            f.write_str(", word table gathered on the host")?;
        }
        if let Some(why) = &self.fallback {
            write!(f, " (fell back to the CPU: {why})")?;
        }
        Ok(())
    }
}

/// The CPU backend as the badge names it: in wasm, which build runs (www/wasm-build.js picks one).
pub(crate) const CPU_DEVICE: &str = if cfg!(all(target_arch = "wasm32", target_feature = "relaxed-simd")) {
    "CPU (wasm, relaxed SIMD)"
} else if cfg!(target_arch = "wasm32") {
    "CPU (wasm, SIMD128)"
} else {
    "CPU (candle)"
};

/// The CPU encoder's sentence embeddings: hidden states, then the sentence head (pooling, Dense layers, L2
/// normalisation).
pub(crate) fn cpu_pooled(cpu: &CpuEncoder, batch: &TokenBatch, hidden: usize, head: &SentenceHead) -> Result<Vec<f32>> {
    let states = cpu.hidden_states(batch)?;
    Ok(head.apply(&states, &batch.mask, batch.batch, batch.seq, hidden))
}

pub(crate) fn load_cpu(config: &EncoderConfig, files: &ModelFiles, mode: CpuWeights) -> Result<CpuEncoder> {
    CpuEncoder::load(config, Weights::from_files(files)?, mode)
}

/// The GPU encoder on the adapter `auto`/`gpu` would use, or the reason there is none to use.
pub(crate) async fn load_gpu(
    choice: BackendChoice,
    config: &EncoderConfig,
    files: &ModelFiles,
    max_batch: usize,
    placement: WordTablePlacement,
) -> Result<GpuForward> {
    let adapter = gpu::device::request_adapter().await?;
    if choice == BackendChoice::Auto && gpu::device::is_software(&adapter) {
        return Err(Error::backend(
            "WebGPU",
            format!("the only adapter is a software one ({}), slower than the CPU encoder", gpu::AdapterSummary::of(&adapter)),
        ));
    }
    load_on_adapter(&adapter, config, files, max_batch, placement).await
}

/// The GPU encoder on a given adapter (tests and benchmarks run every adapter this way).
pub(crate) async fn load_on_adapter(
    adapter: &wgpu::Adapter,
    config: &EncoderConfig,
    files: &ModelFiles,
    max_batch: usize,
    placement: WordTablePlacement,
) -> Result<GpuForward> {
    let on_device = match placement {
        WordTablePlacement::Auto => GpuForward::word_table_fits(config, &adapter.limits()),
        WordTablePlacement::Device => true,
        WordTablePlacement::Host => false,
    };
    let ctx = GpuContext::from_adapter(adapter, GpuForward::needs(config, max_batch, on_device)).await?;
    GpuForward::load(ctx, config, Weights::from_files(files)?, on_device)
}
