//! `Encoder`: the one type callers use to turn texts into L2-normalised embeddings.
//! The backend is chosen here and nowhere else; callers never branch on it.

pub mod cpu;
pub mod gpu;

use crate::error::{Error, Result};
use crate::model::{EncoderConfig, ModelFiles, Pooling, Prefixes, TextKind, TextTokenizer, TokenBatch, Weights};

pub use cpu::CpuEncoder;

/// Where the forward pass runs.
pub enum Backend {
    Cpu(CpuEncoder),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Cpu(_) => "cpu",
        }
    }

    fn hidden_states(&self, batch: &TokenBatch) -> Result<Vec<f32>> {
        match self {
            Backend::Cpu(cpu) => cpu.hidden_states(batch),
        }
    }
}

/// Overrides for what the model files say.
#[derive(Debug, Clone)]
pub struct EncoderOptions {
    /// Pooling; `None` = as the model's sentence-transformers files say (mean when absent).
    pub pooling: Option<Pooling>,
    /// Query/passage prefixes; `None` = the model's sentence-transformers prompts (none when absent).
    pub prefixes: Option<Prefixes>,
    /// Texts per forward pass. Texts are sorted by length first, so batches carry little padding.
    pub batch_size: usize,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        Self { pooling: None, prefixes: None, batch_size: 32 }
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
    pooling: Pooling,
    backend: Backend,
    batch_size: usize,
}

impl Encoder {
    /// Loads a model in Hugging Face layout on the CPU backend.
    pub fn load(files: &ModelFiles, options: &EncoderOptions) -> Result<Self> {
        if options.batch_size == 0 {
            return Err(Error::input("batch size must be at least 1"));
        }
        let config = EncoderConfig::from_files(files)?;
        let mut tokenizer = TextTokenizer::from_files(files, &config)?;
        if let Some(prefixes) = &options.prefixes {
            tokenizer.prefixes = prefixes.clone();
        }
        let pooling = match options.pooling {
            Some(p) => p,
            None => Pooling::from_files(files)?,
        };
        let backend = Backend::Cpu(CpuEncoder::load(&config, Weights::from_files(files)?)?);
        Ok(Self { config, tokenizer, pooling, backend, batch_size: options.batch_size })
    }

    /// Native convenience: load a model directory.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_dir(dir: impl AsRef<std::path::Path>, options: &EncoderOptions) -> Result<Self> {
        Self::load(&ModelFiles::from_dir(dir)?, options)
    }

    /// Embeds `texts` (with the prefix for `kind`): one unit vector per text, in input order.
    pub fn embed<S: AsRef<str>>(&self, texts: &[S], kind: TextKind) -> Result<Embeddings> {
        let rows = self.tokenizer.encode_all(texts, kind)?;
        // Longest first, so each batch pads to a length close to its members' own.
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(rows[i].len()));
        let dim = self.dim();
        let mut data = vec![0f32; rows.len() * dim];
        for chunk in order.chunks(self.batch_size) {
            let batch = self.tokenizer.pad(&chunk.iter().map(|&i| rows[i].as_slice()).collect::<Vec<_>>());
            let pooled = self.embed_tokens(&batch)?;
            for (k, &i) in chunk.iter().enumerate() {
                data[i * dim..(i + 1) * dim].copy_from_slice(&pooled[k * dim..(k + 1) * dim]);
            }
        }
        Ok(Embeddings { dim, data })
    }

    /// Embeds an already padded batch: batch × dim unit vectors.
    pub fn embed_tokens(&self, batch: &TokenBatch) -> Result<Vec<f32>> {
        let hidden = self.backend.hidden_states(batch)?;
        let dim = self.dim();
        Ok(crate::model::pooling::pool_and_normalize(&hidden, &batch.mask, batch.batch, batch.seq, dim, self.pooling))
    }

    pub fn dim(&self) -> usize {
        self.config.hidden_size
    }
    pub fn config(&self) -> &EncoderConfig {
        &self.config
    }
    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }
    pub fn pooling(&self) -> Pooling {
        self.pooling
    }
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }
}
