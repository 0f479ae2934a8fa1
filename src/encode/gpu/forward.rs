//! The whole XLM-R encoder on the GPU: weights uploaded once, then each batch is one command submission of
//! embeddings → layers (fused QKV projection, attention, output projection + residual LayerNorm, FFN with GELU +
//! residual LayerNorm) → pooling → the sentence head's Dense layers, if any → L2 normalisation (in the pool kernel,
//! or folded into the last Dense layer), with a single read-back of batch × dim values.
//!
//! The word-embedding table is the one tensor that can outgrow a storage binding (XLM-R base: 250k × 768 f32 =
//! 732 MiB, WebGPU's default binding limit is 128 MiB). When it does not fit the adapter, it stays in host memory
//! and each batch uploads just its tokens' rows (batch × seq × hidden values), gathered on the CPU.
//!
//! `encode::Encoder` drives this as its `gpu` backend; tests compare it with the CPU encoder.

use super::device::{GpuContext, Needs};
use super::ops::{AddLayerNorm, Attention, Dense, Gelu, Matmul, Pool, QuantBuffers, QuantMatmul, TokenEmbeddings, WordRows, check_ids, gather_rows};
use super::pipelines::{BufferPool, Pipelines, read_staged, stage_read, storage};
use crate::error::{Error, Result};
use crate::model::quant::PackedQuant;
use crate::model::{DenseActivation, EncoderConfig, HiddenAct, LinearWeight, PoolingMode, SentenceHead, TokenBatch, Weights};

/// A weight matrix on the device: f32, or q8_0/q4_0 blocks that the matmul kernel dequantizes as it loads them.
enum DeviceWeight {
    F32(wgpu::Buffer),
    Quant(QuantBuffers),
}

/// One linear layer on the device: weight [out, in], bias [out].
struct Linear {
    weight: DeviceWeight,
    bias: wgpu::Buffer,
    out: usize,
    inp: usize,
}

impl Linear {
    /// Records `out = input · weightᵀ + bias` for `tokens` rows.
    fn record(&self, p: &Pipelines, enc: &mut wgpu::CommandEncoder, tokens: usize, input: &wgpu::Buffer, out: &wgpu::Buffer) -> Result<()> {
        match &self.weight {
            DeviceWeight::F32(w) => Matmul { m: tokens, n: self.out, k: self.inp }.record(p, enc, input, w, Some(&self.bias), out),
            DeviceWeight::Quant(q) => {
                QuantMatmul { m: tokens, n: self.out, k: self.inp, scheme: q.scheme }.record(p, enc, input, q, Some(&self.bias), out)
            }
        }
    }
}

/// Q, K and V stacked into one [3h, h] weight, so one matmul projects all three and attention reads packed rows.
/// Stored as the parts are: f32, or blocks when all three share a block scheme (blocks are row-local, so stacking
/// rows stacks their scales and words); mixed schemes are dequantized to f32.
fn stack_rows(parts: Vec<LinearWeight>) -> Result<LinearWeight> {
    let blocks: Vec<&PackedQuant> = parts.iter().filter_map(|w| if let LinearWeight::Quant(q) = w { Some(q) } else { None }).collect();
    let one_scheme = blocks.len() == parts.len() && blocks.windows(2).all(|w| w[0].scheme == w[1].scheme && w[0].cols == w[1].cols);
    if let (true, Some(first)) = (one_scheme, blocks.first()) {
        let mut stacked = PackedQuant { scheme: first.scheme, rows: 0, cols: first.cols, scales: Vec::new(), words: Vec::new() };
        for q in blocks {
            stacked.rows += q.rows;
            stacked.scales.extend_from_slice(&q.scales);
            stacked.words.extend_from_slice(&q.words);
        }
        return Ok(LinearWeight::Quant(stacked));
    }
    let mut data = Vec::new();
    for part in parts {
        match part {
            LinearWeight::F32(v) => data.extend(v),
            LinearWeight::Quant(q) => data.extend(q.dequantize()),
        }
    }
    Ok(LinearWeight::F32(data))
}

struct Layer {
    qkv: Linear,
    attn_out: Linear,
    ln1: (wgpu::Buffer, wgpu::Buffer),
    ffn_in: Linear,
    ffn_out: Linear,
    ln2: (wgpu::Buffer, wgpu::Buffer),
}

/// One of the sentence head's Dense layers on the device (f32: small, and its output is the embedding itself).
struct HeadDense {
    weight: wgpu::Buffer,
    bias: wgpu::Buffer,
    inp: usize,
    out: usize,
    activation: DenseActivation,
}

/// Where the word-embedding table lives.
enum WordTable {
    /// On the device, read by id inside the embeddings kernel.
    Device(wgpu::Buffer),
    /// In host memory (vocab × hidden, f32 or blocks); each batch uploads its tokens' rows, dequantized.
    Host(LinearWeight),
}

pub struct GpuForward {
    p: Pipelines,
    config: EncoderConfig,
    word: WordTable,
    position: wgpu::Buffer,
    token_type: wgpu::Buffer,
    emb_ln: (wgpu::Buffer, wgpu::Buffer),
    layers: Vec<Layer>,
    /// The sentence head's Dense layers ([`GpuForward::load_head`]); none for most models.
    head: Vec<HeadDense>,
    /// Activations, reused across batches.
    pool: BufferPool,
}

impl GpuForward {
    /// Bytes of the word-embedding table as f32.
    pub fn word_table_bytes(config: &EncoderConfig) -> u64 {
        config.vocab_size as u64 * config.hidden_size as u64 * 4
    }

    /// Whether the word table can be one binding on an adapter with these limits.
    pub fn word_table_fits(config: &EncoderConfig, adapter: &wgpu::Limits) -> bool {
        let bytes = Self::word_table_bytes(config);
        bytes <= adapter.max_storage_buffer_binding_size && bytes <= adapter.max_buffer_size
    }

    /// The limits a model needs: its largest weight and the activations of `max_batch` sequences of the longest
    /// length, as a single binding each. The word table counts only when it is to live on the device.
    pub fn needs(config: &EncoderConfig, max_batch: usize, word_table_on_device: bool) -> Needs {
        let h = config.hidden_size as u64;
        let tokens = (max_batch.max(1) * config.max_tokens()) as u64;
        let word = if word_table_on_device { config.vocab_size as u64 * h } else { 0 };
        let weights = [word, config.max_position_embeddings as u64 * h, 3 * h * h, config.intermediate_size as u64 * h];
        let activations = tokens * (3 * h).max(config.intermediate_size as u64);
        let largest = weights.into_iter().chain([activations]).max().unwrap_or(0) * 4;
        Needs { max_binding_bytes: Some(largest), max_buffer_bytes: Some(largest) }
    }

    /// Uploads the encoder's weights (the same safetensors the CPU path reads, with or without `roberta.`).
    /// `word_table_on_device`: see [`GpuForward::word_table_fits`]; the context must have been created with
    /// [`GpuForward::needs`] for the same choice.
    pub fn load(ctx: GpuContext, config: &EncoderConfig, weights: Weights, word_table_on_device: bool) -> Result<Self> {
        if config.hidden_act != HiddenAct::Gelu {
            return Err(Error::unsupported(
                "config.json",
                format!("hidden_act {:?} on the GPU (only the erf GELU has a kernel yet); use the CPU backend", config.hidden_act),
            ));
        }
        let p = Pipelines::new(ctx);
        let (h, i) = (config.hidden_size, config.intermediate_size);
        let up = |label: &str, data: &[f32]| -> Result<wgpu::Buffer> {
            p.check_binding(label, (data.len() * 4) as u64)?;
            Ok(storage(&p.ctx, label, data))
        };
        let upload = |label: &str, w: LinearWeight| -> Result<DeviceWeight> {
            Ok(match w {
                LinearWeight::F32(data) => DeviceWeight::F32(up(label, &data)?),
                LinearWeight::Quant(q) => {
                    p.check_binding(label, (q.words.len() * 4) as u64)?;
                    DeviceWeight::Quant(QuantBuffers::upload(&p.ctx, &q)?)
                }
            })
        };
        let f32s = |name: &str, shape: &[usize]| weights.f32(name, shape);
        let linear = |name: &str, out: usize, inp: usize| -> Result<Linear> {
            Ok(Linear {
                weight: upload(name, weights.linear(&format!("{name}.weight"), out, inp)?)?,
                bias: up(name, &f32s(&format!("{name}.bias"), &[out])?)?,
                out,
                inp,
            })
        };
        let norm = |name: &str| -> Result<(wgpu::Buffer, wgpu::Buffer)> {
            Ok((up(name, &f32s(&format!("{name}.weight"), &[h])?)?, up(name, &f32s(&format!("{name}.bias"), &[h])?)?))
        };
        let word_name = crate::model::weights::WORD_TABLE;
        let word = if word_table_on_device {
            WordTable::Device(up("word embeddings", &f32s(word_name, &[config.vocab_size, h])?)?)
        } else {
            WordTable::Host(weights.linear(word_name, config.vocab_size, h)?)
        };
        let position =
            up("position embeddings", &f32s("embeddings.position_embeddings.weight", &[config.max_position_embeddings, h])?)?;
        let token_type =
            up("token type embeddings", &f32s("embeddings.token_type_embeddings.weight", &[config.type_vocab_size, h])?)?;
        let emb_ln = norm("embeddings.LayerNorm")?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for l in 0..config.num_hidden_layers {
            let base = format!("encoder.layer.{l}");
            let mut parts = Vec::with_capacity(3);
            let mut bias = Vec::with_capacity(3 * h);
            for part in ["query", "key", "value"] {
                parts.push(weights.linear(&format!("{base}.attention.self.{part}.weight"), h, h)?);
                bias.extend(f32s(&format!("{base}.attention.self.{part}.bias"), &[h])?);
            }
            let qkv = Linear { weight: upload("qkv weight", stack_rows(parts)?)?, bias: up("qkv bias", &bias)?, out: 3 * h, inp: h };
            layers.push(Layer {
                qkv,
                attn_out: linear(&format!("{base}.attention.output.dense"), h, h)?,
                ln1: norm(&format!("{base}.attention.output.LayerNorm"))?,
                ffn_in: linear(&format!("{base}.intermediate.dense"), i, h)?,
                ffn_out: linear(&format!("{base}.output.dense"), h, i)?,
                ln2: norm(&format!("{base}.output.LayerNorm"))?,
            });
        }
        p.ctx.check()?;
        Ok(Self { p, config: config.clone(), word, position, token_type, emb_ln, layers, head: Vec::new(), pool: BufferPool::new() })
    }

    /// Uploads the sentence head's Dense layers (the pooling mode is chosen per call of [`GpuForward::embed`]).
    pub fn load_head(&mut self, head: &SentenceHead) -> Result<()> {
        let mut dim = self.config.hidden_size;
        let mut layers = Vec::with_capacity(head.dense.len());
        for (i, d) in head.dense.iter().enumerate() {
            if d.in_features != dim || d.weight.len() != d.out_features * d.in_features || d.bias.len() != d.out_features {
                return Err(Error::input(format!("Dense layer {i}: [{}, {}] does not follow a {dim}-value input", d.out_features, d.in_features)));
            }
            self.p.check_binding("dense weight", (d.weight.len() * 4) as u64)?;
            layers.push(HeadDense {
                weight: storage(&self.p.ctx, "dense weight", &d.weight),
                bias: storage(&self.p.ctx, "dense bias", &d.bias),
                inp: d.in_features,
                out: d.out_features,
                activation: d.activation,
            });
            dim = d.out_features;
        }
        self.head = layers;
        self.p.ctx.check()
    }

    /// Size of the vectors [`GpuForward::embed`] returns.
    pub fn dim(&self) -> usize {
        self.head.last().map_or(self.config.hidden_size, |d| d.out)
    }

    pub fn context(&self) -> &GpuContext {
        &self.p.ctx
    }

    /// Whether the word table lives on the device (else rows are gathered on the host per batch).
    pub fn word_table_on_device(&self) -> bool {
        matches!(self.word, WordTable::Device(_))
    }

    /// Sentence embeddings of a padded batch (pooled, through the head's Dense layers, L2-normalised):
    /// batch × [`GpuForward::dim`], row-major.
    pub async fn embed(&self, batch: &TokenBatch, pooling: PoolingMode) -> Result<Vec<f32>> {
        let c = &self.config;
        let (b, s, h, i) = (batch.batch, batch.seq, c.hidden_size, c.intermediate_size);
        if batch.ids.len() != b * s || batch.mask.len() != b * s {
            return Err(Error::input(format!("token batch of {b}×{s} has {} ids and {} mask values", batch.ids.len(), batch.mask.len())));
        }
        if s > c.max_tokens() {
            return Err(Error::input(format!("sequences of {s} tokens exceed the model's limit of {}", c.max_tokens())));
        }
        check_ids(&batch.ids, c.vocab_size)?;
        if b == 0 {
            return Ok(Vec::new());
        }
        // A lost device fails here, before any allocation on it.
        self.p.ctx.check()?;
        let p = &self.p;
        let t = b * s;
        let ids = storage(&p.ctx, "ids", &batch.ids);
        let mask = storage(&p.ctx, "mask", &batch.mask);
        let take = |label: &str, len: usize| self.pool.take(&p.ctx, label, len);
        let x = take("hidden", t * h);
        let x1 = take("hidden after attention", t * h);
        let qkv = take("qkv", t * 3 * h);
        let ctx = take("attention context", t * h);
        let tmp = take("projection", t * h);
        let inter = take("ffn", t * i);
        let act = take("ffn activation", t * i);
        // The head ping-pongs between two buffers as wide as its widest vector.
        let widest = self.head.iter().map(|d| d.out).fold(h, usize::max);
        let pooled = take("pooled", b * widest);
        let head_out = take("head output", b * widest);
        let bufs = [&x, &x1, &qkv, &ctx, &tmp, &inter, &act, &pooled, &head_out];
        let result = self.record_and_read(batch, pooling, &ids, &mask, bufs).await;
        // Back to the pool only after the read-back: by then the GPU is done with them. On an error the buffers are
        // dropped instead, since work using them may still be queued.
        if result.is_ok() {
            self.pool.give([x, x1, qkv, ctx, tmp, inter, act, pooled, head_out]);
        }
        result
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_and_read(
        &self,
        batch: &TokenBatch,
        pooling: PoolingMode,
        ids: &wgpu::Buffer,
        mask: &wgpu::Buffer,
        [x, x1, qkv, ctx, tmp, inter, act, pooled, head_out]: [&wgpu::Buffer; 9],
    ) -> Result<Vec<f32>> {
        let c = &self.config;
        let p = &self.p;
        let (b, s, h, i) = (batch.batch, batch.seq, c.hidden_size, c.intermediate_size);
        let t = b * s;

        let mut enc = p.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("encoder forward") });
        let emb = TokenEmbeddings {
            batch: b,
            seq: s,
            hidden: h,
            vocab: c.vocab_size,
            positions: c.max_position_embeddings,
            pad_id: c.pad_token_id,
            numbering: c.positions(),
            eps: c.layer_norm_eps,
        };
        // Rows gathered on the host live until the submission below has been recorded.
        let gathered;
        let word = match &self.word {
            WordTable::Device(table) => WordRows::Table(table),
            WordTable::Host(table) => {
                let rows = match table {
                    LinearWeight::F32(t) => gather_rows(t, h, &batch.ids)?,
                    LinearWeight::Quant(q) => q.dequantize_rows(&batch.ids)?,
                };
                gathered = storage(&p.ctx, "gathered word rows", &rows);
                WordRows::Gathered(&gathered)
            }
        };
        emb.record(p, &mut enc, ids, word, &self.position, &self.token_type, &self.emb_ln.0, &self.emb_ln.1, x)?;
        let ln = AddLayerNorm { rows: t, cols: h, eps: c.layer_norm_eps };
        let attention = Attention::packed(b, s, c.num_attention_heads, c.head_dim());
        let linear = |enc: &mut wgpu::CommandEncoder, l: &Linear, input: &wgpu::Buffer, out: &wgpu::Buffer| l.record(p, enc, t, input, out);
        for layer in &self.layers {
            linear(&mut enc, &layer.qkv, x, qkv)?;
            attention.record(p, &mut enc, qkv, mask, ctx)?;
            linear(&mut enc, &layer.attn_out, ctx, tmp)?;
            ln.record(p, &mut enc, tmp, x, &layer.ln1.0, &layer.ln1.1, x1)?;
            linear(&mut enc, &layer.ffn_in, x1, inter)?;
            Gelu { n: t * i }.record(p, &mut enc, inter, act)?;
            linear(&mut enc, &layer.ffn_out, act, tmp)?;
            ln.record(p, &mut enc, tmp, x1, &layer.ln2.0, &layer.ln2.1, x)?;
        }
        // Normalisation happens once, at the end: in the pool kernel when no Dense layer follows, else folded into the
        // last Dense layer (which sees whole rows, so no separate normalise pass is needed).
        Pool { batch: b, seq: s, hidden: h, pooling, normalize: self.head.is_empty() }.record(p, &mut enc, x, mask, pooled)?;
        let (mut from, mut to) = (pooled, head_out);
        for (k, d) in self.head.iter().enumerate() {
            let last = k + 1 == self.head.len();
            Dense { batch: b, inp: d.inp, out: d.out, activation: d.activation, normalize: last }.record(p, &mut enc, from, &d.weight, &d.bias, to)?;
            (from, to) = (to, from);
        }
        let dim = self.dim();
        let staging = stage_read(&p.ctx, &mut enc, from, b * dim)?;
        p.ctx.check()?;
        // The whole batch, read-back copy included, is this one submission.
        p.ctx.queue.submit([enc.finish()]);
        read_staged(&p.ctx, &staging, b * dim).await
    }

    /// Native only: [`GpuForward::embed`], blocking.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn embed_blocking(&self, batch: &TokenBatch, pooling: PoolingMode) -> Result<Vec<f32>> {
        pollster::block_on(self.embed(batch, pooling))
    }
}
