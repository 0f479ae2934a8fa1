//! The whole XLM-R encoder on the GPU: weights uploaded once, then each batch is one command submission of
//! embeddings → layers (fused QKV projection, attention, output projection + residual LayerNorm, FFN with GELU +
//! residual LayerNorm) → pooling + L2 normalisation, with a single read-back of batch × hidden values.
//!
//! Not wired into `Encoder` yet (that is the backend switch of `encode/mod.rs`); tests compare it with the CPU
//! encoder on the tiny fixture.

use candle_core::{Device, Tensor};

use super::device::{GpuContext, Needs};
use super::ops::{AddLayerNorm, Attention, Gelu, Matmul, Pool, TokenEmbeddings, check_ids};
use super::pipelines::{BufferPool, Pipelines, read_staged, stage_read, storage};
use crate::error::{Error, Result, candle_message};
use crate::model::{EncoderConfig, HiddenAct, Pooling, TokenBatch, Weights};

/// One linear layer on the device: weight [out, in], bias [out].
struct Linear {
    weight: wgpu::Buffer,
    bias: wgpu::Buffer,
    out: usize,
    inp: usize,
}

struct Layer {
    qkv: Linear,
    attn_out: Linear,
    ln1: (wgpu::Buffer, wgpu::Buffer),
    ffn_in: Linear,
    ffn_out: Linear,
    ln2: (wgpu::Buffer, wgpu::Buffer),
}

pub struct GpuForward {
    p: Pipelines,
    config: EncoderConfig,
    word: wgpu::Buffer,
    position: wgpu::Buffer,
    token_type: wgpu::Buffer,
    emb_ln: (wgpu::Buffer, wgpu::Buffer),
    layers: Vec<Layer>,
    /// Activations, reused across batches.
    pool: BufferPool,
}

/// Reads named f32 tensors of the checked expected shapes (candle names the tensor and the shapes on mismatch).
struct Reader {
    vb: candle_nn::VarBuilder<'static>,
    file: String,
}

impl Reader {
    fn get(&self, shape: &[usize], name: &str) -> Result<Vec<f32>> {
        self.vb
            .get(shape, name)
            .and_then(|t: Tensor| t.flatten_all())
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| Error::invalid(&self.file, candle_message(&e)))
    }
}

impl GpuForward {
    /// The limits a model needs: its largest weight and the activations of `max_batch` sequences of the longest
    /// length, as a single binding each.
    pub fn needs(config: &EncoderConfig, max_batch: usize) -> Needs {
        let h = config.hidden_size as u64;
        let tokens = (max_batch.max(1) * config.max_tokens()) as u64;
        let weights = [config.vocab_size as u64 * h, config.max_position_embeddings as u64 * h, 3 * h * h, config.intermediate_size as u64 * h];
        let activations = tokens * (3 * h).max(config.intermediate_size as u64);
        let largest = weights.into_iter().chain([activations]).max().unwrap_or(0) * 4;
        Needs { max_binding_bytes: Some(largest), max_buffer_bytes: Some(largest) }
    }

    /// Uploads the encoder's weights (the same safetensors the CPU path reads, with or without `roberta.`).
    pub fn load(ctx: GpuContext, config: &EncoderConfig, weights: Weights) -> Result<Self> {
        if config.hidden_act != HiddenAct::Gelu {
            return Err(Error::unsupported(
                "config.json",
                format!("hidden_act {:?} on the GPU (only the erf GELU has a kernel yet); use the CPU backend", config.hidden_act),
            ));
        }
        let p = Pipelines::new(ctx);
        let file = weights.file.clone();
        let r = Reader { vb: weights.var_builder(&Device::Cpu)?, file };
        let (h, i) = (config.hidden_size, config.intermediate_size);
        let up = |label: &str, data: &[f32]| -> Result<wgpu::Buffer> {
            p.check_binding(label, (data.len() * 4) as u64)?;
            Ok(storage(&p.ctx, label, data))
        };
        let linear = |name: &str, out: usize, inp: usize| -> Result<Linear> {
            Ok(Linear {
                weight: up(name, &r.get(&[out, inp], &format!("{name}.weight"))?)?,
                bias: up(name, &r.get(&[out], &format!("{name}.bias"))?)?,
                out,
                inp,
            })
        };
        let norm = |name: &str| -> Result<(wgpu::Buffer, wgpu::Buffer)> {
            Ok((up(name, &r.get(&[h], &format!("{name}.weight"))?)?, up(name, &r.get(&[h], &format!("{name}.bias"))?)?))
        };
        let word = up("word embeddings", &r.get(&[config.vocab_size, h], "embeddings.word_embeddings.weight")?)?;
        let position =
            up("position embeddings", &r.get(&[config.max_position_embeddings, h], "embeddings.position_embeddings.weight")?)?;
        let token_type =
            up("token type embeddings", &r.get(&[config.type_vocab_size, h], "embeddings.token_type_embeddings.weight")?)?;
        let emb_ln = norm("embeddings.LayerNorm")?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for l in 0..config.num_hidden_layers {
            let base = format!("encoder.layer.{l}");
            // Q, K and V as one [3h, h] projection: one matmul instead of three, and attention reads the packed rows.
            let (mut w, mut b) = (Vec::with_capacity(3 * h * h), Vec::with_capacity(3 * h));
            for part in ["query", "key", "value"] {
                w.extend(r.get(&[h, h], &format!("{base}.attention.self.{part}.weight"))?);
                b.extend(r.get(&[h], &format!("{base}.attention.self.{part}.bias"))?);
            }
            let qkv = Linear { weight: up("qkv weight", &w)?, bias: up("qkv bias", &b)?, out: 3 * h, inp: h };
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
        Ok(Self { p, config: config.clone(), word, position, token_type, emb_ln, layers, pool: BufferPool::new() })
    }

    pub fn context(&self) -> &GpuContext {
        &self.p.ctx
    }

    /// Pooled, L2-normalised embeddings of a padded batch: batch × hidden, row-major.
    pub async fn embed(&self, batch: &TokenBatch, pooling: Pooling) -> Result<Vec<f32>> {
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
        let pooled = take("pooled", b * h);
        let result = self.record_and_read(batch, pooling, &ids, &mask, [&x, &x1, &qkv, &ctx, &tmp, &inter, &act, &pooled]).await;
        // Back to the pool only after the read-back: by then the GPU is done with them. On an error the buffers are
        // dropped instead, since work using them may still be queued.
        if result.is_ok() {
            self.pool.give([x, x1, qkv, ctx, tmp, inter, act, pooled]);
        }
        result
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_and_read(
        &self,
        batch: &TokenBatch,
        pooling: Pooling,
        ids: &wgpu::Buffer,
        mask: &wgpu::Buffer,
        [x, x1, qkv, ctx, tmp, inter, act, pooled]: [&wgpu::Buffer; 8],
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
            eps: c.layer_norm_eps,
        };
        emb.record(p, &mut enc, ids, &self.word, &self.position, &self.token_type, &self.emb_ln.0, &self.emb_ln.1, x)?;
        let ln = AddLayerNorm { rows: t, cols: h, eps: c.layer_norm_eps };
        let attention = Attention::packed(b, s, c.num_attention_heads, c.head_dim());
        let linear = |enc: &mut wgpu::CommandEncoder, l: &Linear, input: &wgpu::Buffer, out: &wgpu::Buffer| {
            Matmul { m: t, n: l.out, k: l.inp }.record(p, enc, input, &l.weight, Some(&l.bias), out)
        };
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
        Pool { batch: b, seq: s, hidden: h, pooling }.record(p, &mut enc, x, mask, pooled)?;
        let staging = stage_read(&p.ctx, &mut enc, pooled, b * h)?;
        p.ctx.check()?;
        // The whole batch, read-back copy included, is this one submission.
        p.ctx.queue.submit([enc.finish()]);
        read_staged(&p.ctx, &staging, b * h).await
    }

    /// Native only: [`GpuForward::embed`], blocking.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn embed_blocking(&self, batch: &TokenBatch, pooling: Pooling) -> Result<Vec<f32>> {
        pollster::block_on(self.embed(batch, pooling))
    }
}
