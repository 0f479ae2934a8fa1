//! `Encoder`: the one type callers use to turn texts into L2-normalised embeddings (encoder → the model's
//! sentence head: pooling, sentence-transformers' Dense layers, normalisation).
//! The backend is chosen here and nowhere else; callers never branch on it.

pub mod backend;
pub mod cpu;
pub mod gpu;

use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::model::{EncoderConfig, ModelFiles, Pooling, PoolingMode, Prefixes, SentenceHead, TextKind, TextTokenizer, TokenBatch};

pub use backend::{BackendChoice, BackendInfo, CpuWeights, WordTablePlacement};
pub use cpu::CpuEncoder;
use gpu::GpuForward;

/// Overrides for what the model files say.
#[derive(Debug, Clone)]
pub struct EncoderOptions {
    /// Pooling; `None` = as the model's sentence-transformers files say (mean when absent). The model's Dense
    /// layers, if any, still follow.
    pub pooling: Option<Pooling>,
    /// Query/passage prefixes; `None` = the model's sentence-transformers prompts (none when absent).
    pub prefixes: Option<Prefixes>,
    /// Texts per forward pass. Texts are sorted by length first, so batches carry little padding.
    pub batch_size: usize,
    /// Where the forward pass runs (see [`backend`]).
    pub backend: BackendChoice,
    /// GPU backend only: where the word-embedding table lives.
    pub word_table: WordTablePlacement,
    /// CPU backend only: a quantized file's matrices as f32 or in their blocks.
    pub cpu_weights: CpuWeights,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        Self { pooling: None, prefixes: None, batch_size: 32, backend: BackendChoice::Cpu, word_table: WordTablePlacement::Auto, cpu_weights: CpuWeights::F32 }
    }
}

/// Row-major `len × dim` matrix of unit vectors, one row per input text in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct Embeddings {
    pub dim: usize,
    pub data: Vec<f32>,
}

impl Embeddings {
    pub fn len(&self) -> usize {
        if self.dim == 0 { 0 } else { self.data.len() / self.dim }
    }
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }
    pub fn rows(&self) -> impl Iterator<Item = &[f32]> {
        self.data.chunks_exact(self.dim.max(1))
    }
}

pub struct Encoder {
    config: EncoderConfig,
    tokenizer: TextTokenizer,
    head: SentenceHead,
    batch_size: usize,
    cpu_weights: CpuWeights,
    state: Mutex<State>,
}

/// The running backend. Handles are `Arc`s so a forward pass clones them out of the lock instead of holding it
/// across an `await`.
struct State {
    gpu: Option<Arc<GpuForward>>,
    cpu: Option<Arc<CpuEncoder>>,
    /// Kept while the GPU runs, so a lost device can fall back to a CPU encoder built from the same bytes.
    files: Option<ModelFiles>,
    fallback: Option<String>,
}

impl Encoder {
    /// Loads a model (Hugging Face layout or a LingBridge GGUF file, as bytes) on the backend `options` asks for.
    /// Native: blocks on the GPU's setup. In wasm, use [`Encoder::load_async`] for `gpu`/`auto`.
    pub fn load(files: &ModelFiles, options: &EncoderOptions) -> Result<Self> {
        if options.backend == BackendChoice::Cpu {
            let mut enc = Self::load_common(files, options)?;
            enc.state.get_mut().map_err(poisoned)?.cpu = Some(Arc::new(backend::load_cpu(&enc.config, files, enc.cpu_weights)?));
            return Ok(enc);
        }
        #[cfg(not(target_arch = "wasm32"))]
        return pollster::block_on(Self::load_async(files, options));
        #[cfg(target_arch = "wasm32")]
        Err(Error::input("the GPU backend loads asynchronously in the browser: use Encoder::load_async"))
    }

    /// Loads on the requested backend; `gpu`/`auto` fall back to the CPU (recording why) when no suitable GPU
    /// device can be had or the model does not fit it.
    pub async fn load_async(files: &ModelFiles, options: &EncoderOptions) -> Result<Self> {
        let mut enc = Self::load_common(files, options)?;
        let state = enc.state.get_mut().map_err(poisoned)?;
        if options.backend != BackendChoice::Cpu {
            let gpu = backend::load_gpu(options.backend, &enc.config, files, options.batch_size, options.word_table).await;
            match gpu.and_then(|g| with_head(g, &enc.head)) {
                Ok(gpu) => {
                    state.gpu = Some(Arc::new(gpu));
                    state.files = Some(files.clone());
                    return Ok(enc);
                }
                Err(e) => state.fallback = Some(e.to_string()),
            }
        }
        state.cpu = Some(Arc::new(backend::load_cpu(&enc.config, files, enc.cpu_weights)?));
        Ok(enc)
    }

    /// The GPU backend on one given adapter, without falling back: tests and benchmarks use it to run every adapter.
    pub async fn load_on_adapter(files: &ModelFiles, options: &EncoderOptions, adapter: &wgpu::Adapter) -> Result<Self> {
        let mut enc = Self::load_common(files, options)?;
        let gpu = backend::load_on_adapter(adapter, &enc.config, files, options.batch_size, options.word_table).await?;
        let gpu = with_head(gpu, &enc.head)?;
        let state = enc.state.get_mut().map_err(poisoned)?;
        state.gpu = Some(Arc::new(gpu));
        state.files = Some(files.clone());
        Ok(enc)
    }

    /// Native: [`Encoder::load_on_adapter`], blocking.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn load_on_adapter_blocking(files: &ModelFiles, options: &EncoderOptions, adapter: &wgpu::Adapter) -> Result<Self> {
        pollster::block_on(Self::load_on_adapter(files, options, adapter))
    }

    fn load_common(files: &ModelFiles, options: &EncoderOptions) -> Result<Self> {
        if options.batch_size == 0 {
            return Err(Error::input("batch size must be at least 1"));
        }
        let config = EncoderConfig::from_files(files)?;
        let mut tokenizer = TextTokenizer::from_files(files, &config)?;
        if let Some(prefixes) = &options.prefixes {
            tokenizer.prefixes = prefixes.clone();
        }
        let mut head = SentenceHead::from_files(files, config.hidden_size)?;
        if let Some(p) = options.pooling {
            head.pooling = p.into();
        }
        let state = State { gpu: None, cpu: None, files: None, fallback: None };
        Ok(Self { config, tokenizer, head, batch_size: options.batch_size, cpu_weights: options.cpu_weights, state: Mutex::new(state) })
    }

    /// Native convenience: load a model directory (or model file).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_dir(dir: impl AsRef<std::path::Path>, options: &EncoderOptions) -> Result<Self> {
        Self::load(&ModelFiles::from_dir(dir)?, options)
    }

    /// Embeds `texts` (with the prefix for `kind`): one unit vector per text, in input order.
    /// Native: any backend (GPU work is awaited by blocking). In wasm: CPU only — use [`Encoder::embed_async`].
    pub fn embed<S: AsRef<str>>(&self, texts: &[S], kind: TextKind) -> Result<Embeddings> {
        #[cfg(not(target_arch = "wasm32"))]
        return pollster::block_on(self.embed_async(texts, kind));
        #[cfg(target_arch = "wasm32")]
        futures_now(self.embed_async(texts, kind))
    }

    /// Embeds `texts` on whichever backend runs; a GPU failure mid-way moves this and later calls to the CPU.
    pub async fn embed_async<S: AsRef<str>>(&self, texts: &[S], kind: TextKind) -> Result<Embeddings> {
        let rows = self.tokenizer.encode_all(texts, kind)?;
        // Longest first, so each batch pads to a length close to its members' own.
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(rows[i].len()));
        let dim = self.dim();
        let mut data = vec![0f32; rows.len() * dim];
        // On the CPU in wasm a batch also stops at CPU_BATCH_TOKENS real tokens: its activations are what the
        // engine's memory grows by (wasm memory never shrinks), and past a few hundred rows the kernel gains nothing.
        // Batches are cut as they run, so after a GPU failure the rest (the failed batch included) is cut as the
        // CPU cuts it: the same numbers as a CPU encoder from the start.
        let mut start = 0;
        while start < order.len() {
            let on_gpu = self.lock()?.gpu.is_some();
            let budget = if on_gpu { usize::MAX } else { CPU_BATCH_TOKENS };
            let chunk = &order[start..start + batch_len(&order[start..], |i| rows[i].len(), self.batch_size, budget)];
            let batch = self.tokenizer.pad(&chunk.iter().map(|&i| rows[i].as_slice()).collect::<Vec<_>>());
            let pooled = if on_gpu {
                match self.try_gpu(&batch).await? {
                    Some(pooled) => pooled,
                    None => continue, // fell back to the CPU: cut this batch again
                }
            } else {
                self.cpu_embed(&batch)?
            };
            for (k, &i) in chunk.iter().enumerate() {
                data[i * dim..(i + 1) * dim].copy_from_slice(&pooled[k * dim..(k + 1) * dim]);
            }
            start += chunk.len();
        }
        Ok(Embeddings { dim, data })
    }

    /// Embeds an already padded batch: batch × dim unit vectors. Native: any backend; wasm: CPU only.
    pub fn embed_tokens(&self, batch: &TokenBatch) -> Result<Vec<f32>> {
        #[cfg(not(target_arch = "wasm32"))]
        return pollster::block_on(self.embed_tokens_async(batch));
        #[cfg(target_arch = "wasm32")]
        futures_now(self.embed_tokens_async(batch))
    }

    /// Embeds an already padded batch on the running backend.
    pub async fn embed_tokens_async(&self, batch: &TokenBatch) -> Result<Vec<f32>> {
        match self.try_gpu(batch).await? {
            Some(pooled) => Ok(pooled),
            None => self.cpu_embed(batch),
        }
    }

    /// The batch on the GPU; `None` when no GPU runs, or when it just failed and the encoder moved to the CPU.
    async fn try_gpu(&self, batch: &TokenBatch) -> Result<Option<Vec<f32>>> {
        let gpu = self.lock()?.gpu.clone();
        let Some(gpu) = gpu else { return Ok(None) };
        match gpu.embed(batch, self.head.pooling).await {
            Ok(v) => Ok(Some(v)),
            // Input errors would fail on the CPU too; anything else means the device cannot be trusted.
            Err(e @ Error::Input(_)) => Err(e),
            Err(e) => self.fall_back(e).map(|()| None),
        }
    }

    fn cpu_embed(&self, batch: &TokenBatch) -> Result<Vec<f32>> {
        let cpu = self.lock()?.cpu.clone().ok_or_else(|| Error::backend("encoder", "no backend is loaded"))?;
        backend::cpu_pooled(&cpu, batch, self.config.hidden_size, &self.head)
    }

    /// Switches to the CPU for good after a GPU failure, keeping the reason for [`Encoder::backend_info`].
    fn fall_back(&self, why: Error) -> Result<()> {
        let mut state = self.lock()?;
        let files = state.files.take().ok_or_else(|| Error::backend("encoder", "GPU failed and no model bytes are kept"))?;
        let cpu = backend::load_cpu(&self.config, &files, self.cpu_weights)?;
        state.gpu = None;
        state.cpu = Some(Arc::new(cpu));
        state.fallback = Some(format!("the GPU failed during a forward pass: {why}"));
        Ok(())
    }

    /// Tests only: destroys the GPU device as a driver reset would, to exercise the fallback.
    #[doc(hidden)]
    pub fn destroy_gpu_device_for_tests(&self) {
        if let Ok(state) = self.state.lock()
            && let Some(gpu) = &state.gpu
        {
            gpu.context().device.destroy();
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, State>> {
        self.state.lock().map_err(poisoned)
    }

    /// Size of the embeddings: the last Dense layer's output, else the encoder's hidden size.
    pub fn dim(&self) -> usize {
        self.head.dim(self.config.hidden_size)
    }
    pub fn config(&self) -> &EncoderConfig {
        &self.config
    }
    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }
    pub fn pooling(&self) -> PoolingMode {
        self.head.pooling
    }
    /// Pooling → Dense layers → normalisation, as the model's files describe it.
    pub fn head(&self) -> &SentenceHead {
        &self.head
    }

    /// Bytes the CPU backend's weights take (`None` while the GPU runs): f32 matrices, or blocks with
    /// [`CpuWeights::Quantized`].
    pub fn cpu_weight_bytes(&self) -> Option<usize> {
        self.state.lock().ok()?.cpu.as_ref().map(|c| c.weight_bytes())
    }

    /// "cpu" or "gpu": the backend the next forward pass will use.
    pub fn backend_name(&self) -> &'static str {
        self.backend_info().name
    }

    /// What runs, on which device, and why the CPU runs when a GPU was asked for.
    pub fn backend_info(&self) -> BackendInfo {
        let Ok(state) = self.state.lock() else {
            return BackendInfo { name: "cpu", device: backend::CPU_DEVICE.into(), fallback: None, word_table_on_host: false };
        };
        match &state.gpu {
            Some(gpu) => BackendInfo {
                name: "gpu",
                device: gpu.context().adapter.to_string(),
                fallback: None,
                word_table_on_host: !gpu.word_table_on_device(),
            },
            None => BackendInfo {
                name: "cpu",
                device: backend::CPU_DEVICE.into(),
                fallback: state.fallback.clone(),
                word_table_on_host: false,
            },
        }
    }
}

/// A GPU encoder with the model's Dense layers uploaded.
fn with_head(mut gpu: GpuForward, head: &SentenceHead) -> Result<GpuForward> {
    gpu.load_head(head)?;
    Ok(gpu)
}

/// Real tokens per CPU batch. Measured on the page's model in wasm (SIMD128 build, Node 20, 256 MLQA-R sentences
/// in calls of 32; the engine keeps the model file, 134 MB after load): wasm memory after encoding and
/// passages/s — up to 32 texts a batch 179 MB (before the file was kept); 1,024 tokens 165 MB, 16.7–17.0;
/// **256 tokens 136 MB, 18.0–18.4** (the activations stay in cache); 128 tokens 134 MB, 17.0–17.1.
/// Natively there is no cap: candle's gemm runs both cores on large products, and 256 tokens took `bench encode`
/// (512 MLQA-R sentences, 2 threads) from 57.5 to 42.0 texts/s.
pub const CPU_BATCH_TOKENS: usize = if cfg!(target_arch = "wasm32") { 256 } else { usize::MAX };

/// How many of `order`'s first texts make the next batch: at most `max_texts` texts and, unless one text alone
/// exceeds it, `max_tokens` tokens (0 only when `order` is empty).
fn batch_len(order: &[usize], len: impl Fn(usize) -> usize, max_texts: usize, max_tokens: usize) -> usize {
    let mut tokens = 0;
    for (k, &i) in order.iter().enumerate() {
        let n = len(i);
        if k > 0 && (k == max_texts || tokens + n > max_tokens) {
            return k;
        }
        tokens += n;
    }
    order.len()
}

fn poisoned<T>(_: std::sync::PoisonError<T>) -> Error {
    Error::backend("encoder", "an earlier call panicked while holding the encoder's state")
}

/// Runs a future that never waits (the CPU path) to completion without an executor; a future that would wait on
/// the GPU (which the browser cannot block on) is an error instead.
#[cfg(target_arch = "wasm32")]
fn futures_now<T>(f: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    use std::task::{Context, Poll, Waker};
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => Err(Error::input("the GPU backend is asynchronous in the browser: use the async calls")),
    }
}

#[cfg(test)]
mod tests {
    use super::batch_len;

    /// `order` cut into batches the way `embed_async` cuts it.
    fn batches(order: &[usize], len: impl Fn(usize) -> usize + Copy, max_texts: usize, max_tokens: usize) -> Vec<&[usize]> {
        let (mut out, mut start) = (Vec::new(), 0);
        while start < order.len() {
            let n = batch_len(&order[start..], len, max_texts, max_tokens);
            out.push(&order[start..start + n]);
            start += n;
        }
        out
    }

    #[test]
    fn batches_stop_at_the_text_count_or_the_token_budget() {
        let lens = [600, 500, 400, 300, 200, 100, 50, 50, 50];
        let order: Vec<usize> = (0..lens.len()).collect();
        let cut = |texts, tokens| batches(&order, |i| lens[i], texts, tokens).iter().map(|b| b.to_vec()).collect::<Vec<_>>();
        assert_eq!(cut(32, 1024), vec![vec![0], vec![1, 2], vec![3, 4, 5, 6, 7, 8]]);
        assert_eq!(cut(2, usize::MAX), vec![vec![0, 1], vec![2, 3], vec![4, 5], vec![6, 7], vec![8]]);
        // One text over the budget still goes, alone.
        assert_eq!(cut(32, 100), vec![vec![0], vec![1], vec![2], vec![3], vec![4], vec![5], vec![6, 7], vec![8]]);
        assert!(batches(&[], |_| 1, 32, 1024).is_empty());
    }
}
