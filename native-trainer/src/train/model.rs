//! The trainable encoder: the XLM-R / BERT forward pass (the families differ only in position numbering) over
//! the tensors of a `VarMap`, plus mask-aware pooling and L2 normalisation as tensor ops so gradients reach every
//! weight.
//!
//! Why not the inference encoder (`src/encode/cpu/`)? Its attention softmax (`softmax_last_dim`) and LayerNorm
//! (`candle_nn::ops::layer_norm`) are candle's fused custom ops without a backward pass, so `loss.backward()`
//! would fail with `BackwardNotSupported`. This file computes the same function with differentiable ops, under the
//! same tensor names, and the export round-trip test (native-trainer/tests/train_cli.rs) holds it to
//! `lingbridge::Encoder` within 1e-5.
//!
//! Dropout: none at train time, as at inference; the config's dropout probabilities are
//! ignored, which keeps the CPU run bit-for-bit reproducible and resumable.

use anyhow::Context;
use candle_core::{D, DType, Device, Tensor, Var};
use candle_nn::{Linear, Module, VarBuilder, VarMap};
use lingbridge::model::{EncoderConfig, Pooling, TokenBatch};
use lingbridge::encode::cpu::packing::Packing;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use lingbridge::model::weights::WORD_TABLE;

/// How a tensor is initialised from scratch (transformers' `XLMRobertaPreTrainedModel._init_weights`).
#[derive(Clone, Copy)]
enum Init {
    /// Linear weight: N(0, initializer_range).
    Normal,
    /// Embedding table: N(0, initializer_range) with the padding row zeroed.
    NormalPadZero,
    Zeros,
    Ones,
}

/// Every tensor of the encoder (and HF's pooler, which we never train but export so `AutoModel` loads without
/// "newly initialized" warnings), in HF's names.
fn parameters(c: &EncoderConfig) -> Vec<(String, Vec<usize>, Init)> {
    let (h, i) = (c.hidden_size, c.intermediate_size);
    let mut out: Vec<(String, Vec<usize>, Init)> = vec![
        (WORD_TABLE.into(), vec![c.vocab_size, h], Init::NormalPadZero),
        ("embeddings.position_embeddings.weight".into(), vec![c.max_position_embeddings, h], Init::NormalPadZero),
        ("embeddings.token_type_embeddings.weight".into(), vec![c.type_vocab_size, h], Init::Normal),
    ];
    let norm = |out: &mut Vec<_>, p: &str| {
        out.push((format!("{p}.LayerNorm.weight"), vec![h], Init::Ones));
        out.push((format!("{p}.LayerNorm.bias"), vec![h], Init::Zeros));
    };
    norm(&mut out, "embeddings");
    let linear = |out: &mut Vec<_>, p: &str, rows: usize, cols: usize| {
        out.push((format!("{p}.weight"), vec![rows, cols], Init::Normal));
        out.push((format!("{p}.bias"), vec![rows], Init::Zeros));
    };
    for l in 0..c.num_hidden_layers {
        let p = format!("encoder.layer.{l}");
        for m in ["query", "key", "value"] {
            linear(&mut out, &format!("{p}.attention.self.{m}"), h, h);
        }
        linear(&mut out, &format!("{p}.attention.output.dense"), h, h);
        norm(&mut out, &format!("{p}.attention.output"));
        linear(&mut out, &format!("{p}.intermediate.dense"), i, h);
        linear(&mut out, &format!("{p}.output.dense"), h, i);
        norm(&mut out, &format!("{p}.output"));
    }
    linear(&mut out, "pooler.dense", h, h);
    out
}

/// Where the weights come from.
pub enum Source {
    /// An HF checkpoint or one of our checkpoints (encoder tensors with or without the `roberta.` prefix; see
    /// `lingbridge::model::Weights`). A missing pooler is initialised as from scratch.
    Weights(VarBuilder<'static>),
    /// HF's initialisation, drawn from a ChaCha8 stream so a seed gives the same model on every machine.
    Scratch { seed: u64 },
}

struct Norm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl Norm {
    /// LayerNorm from plain ops (the fused op has no backward).
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let centred = x.broadcast_sub(&x.mean_keepdim(D::Minus1)?)?;
        let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
        centred.broadcast_div(&(var + self.eps)?.sqrt()?)?.broadcast_mul(&self.weight)?.broadcast_add(&self.bias)
    }
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: Norm,
    intermediate: Linear,
    output: Linear,
    output_norm: Norm,
}

pub struct TrainModel {
    pub varmap: VarMap,
    pub config: EncoderConfig,
    pub pooling: Pooling,
    device: Device,
    word: Tensor,
    position: Tensor,
    token_type: Tensor,
    embed_norm: Norm,
    layers: Vec<Layer>,
    /// See [`TrainModel::freeze_word_table`].
    word_frozen: bool,
}

impl TrainModel {
    pub fn new(config: &EncoderConfig, pooling: Pooling, source: Source, device: &Device) -> anyhow::Result<Self> {
        let varmap = VarMap::new();
        let std = config.initializer_range;
        let mut rng = match &source {
            Source::Scratch { seed } => ChaCha8Rng::seed_from_u64(*seed),
            Source::Weights(_) => ChaCha8Rng::seed_from_u64(0),
        };
        {
            let mut vars = varmap.data().lock().expect("fresh VarMap");
            for (name, shape, init) in parameters(config) {
                let tensor = match &source {
                    // Only the pooler may be missing (encoder-only checkpoints like the fixture have none).
                    Source::Weights(vb) if !name.starts_with("pooler.") || vb.contains_tensor(&name) => {
                        vb.get(shape.as_slice(), &name).with_context(|| format!("loading {name}"))?
                    }
                    _ => initial(&shape, init, std, config.pad_token_id as usize, &mut rng, device)?,
                };
                vars.insert(name, Var::from_tensor(&tensor.to_dtype(DType::F32)?.to_device(device)?)?);
            }
        }
        let get = |name: &str| -> Tensor {
            varmap.data().lock().expect("VarMap lock")[name].as_tensor().clone()
        };
        let linear = |p: &str| Linear::new(get(&format!("{p}.weight")), Some(get(&format!("{p}.bias"))));
        let norm = |p: &str| Norm {
            weight: get(&format!("{p}.LayerNorm.weight")),
            bias: get(&format!("{p}.LayerNorm.bias")),
            eps: config.layer_norm_eps,
        };
        let layers = (0..config.num_hidden_layers)
            .map(|l| {
                let p = format!("encoder.layer.{l}");
                Layer {
                    query: linear(&format!("{p}.attention.self.query")),
                    key: linear(&format!("{p}.attention.self.key")),
                    value: linear(&format!("{p}.attention.self.value")),
                    attention_out: linear(&format!("{p}.attention.output.dense")),
                    attention_norm: norm(&format!("{p}.attention.output")),
                    intermediate: linear(&format!("{p}.intermediate.dense")),
                    output: linear(&format!("{p}.output.dense")),
                    output_norm: norm(&format!("{p}.output")),
                }
            })
            .collect();
        Ok(Self {
            word: get(WORD_TABLE),
            position: get("embeddings.position_embeddings.weight"),
            token_type: get("embeddings.token_type_embeddings.weight"),
            embed_norm: norm("embeddings"),
            layers,
            word_frozen: false,
            varmap,
            config: config.clone(),
            pooling,
            device: device.clone(),
        })
    }

    /// Trainable tensors sorted by name (a HashMap's order would make updates, and so results, vary by run).
    pub fn named_vars(&self) -> Vec<(String, Var)> {
        let mut vars: Vec<(String, Var)> =
            self.varmap.data().lock().expect("VarMap lock").iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        vars
    }

    /// Keeps the word table out of training: the forward pass reads a detached copy of its storage (so no
    /// gradient is computed for it) and [`TrainModel::trainable_vars`] leaves it out (so AdamW keeps no moments
    /// for it). It stays in the `VarMap`, so checkpoints and exports still carry it, unchanged.
    pub fn freeze_word_table(&mut self) {
        self.word = self.word.detach();
        self.word_frozen = true;
    }

    /// What the optimizer updates: [`TrainModel::named_vars`] without a frozen word table.
    pub fn trainable_vars(&self) -> Vec<(String, Var)> {
        let mut vars = self.named_vars();
        if self.word_frozen {
            vars.retain(|(name, _)| name != WORD_TABLE);
        }
        vars
    }

    /// Last hidden states, batch × seq × hidden; rows where the mask is 0 hold copies of a real token's (pooling
    /// masks them). Computed on the batch's real tokens only (`lingbridge::encode::cpu::packing`, the encoder's
    /// packing): a batch pads to its longest text, and training spent most of its time on padding.
    pub fn hidden_states(&self, batch: &TokenBatch) -> candle_core::Result<Tensor> {
        let (b, s, h) = (batch.batch, batch.seq, self.config.hidden_size);
        // candle's fused softmax has no backward pass: attention's gradients need the plain one.
        let packing = Packing::with_softmax(&batch.mask, b, s, &self.device, |t| candle_nn::ops::softmax(t, D::Minus1))?;
        let t = packing.rows();
        if t == 0 {
            return Tensor::zeros((b, s, h), DType::F32, &self.device);
        }
        // The family's numbering (XLM-R: pad_token_id + 1, + 2, … over non-pad tokens; BERT: 0, 1, …), the one
        // definition every backend uses.
        let positions = self.config.positions().ids(&batch.ids, s, self.config.pad_token_id);
        // Rows stay 2-D (T × hidden) between attention blocks: a Linear on a 3-D input broadcasts its weight over
        // the batch, and that matmul's backward materialises one weight-sized gradient per text (batch × in × out
        // floats) before summing — 10× slower and gigabytes at base size.
        let lookup = |table: &Tensor, all: &[u32]| -> candle_core::Result<Tensor> {
            let ids: Vec<u32> = packing.real.iter().map(|&i| all[i as usize]).collect();
            table.index_select(&Tensor::from_vec(ids, t, &self.device)?, 0)
        };
        let x = (lookup(&self.word, &batch.ids)? + lookup(&self.position, &positions)?)?;
        let x = x.broadcast_add(&self.token_type.get(0)?)?;
        let mut x = self.embed_norm.forward(&x)?;
        let heads = self.config.num_attention_heads;
        for layer in &self.layers {
            let (q, k, v) = (layer.query.forward(&x)?, layer.key.forward(&x)?, layer.value.forward(&x)?);
            let context = packing.attention(&q, &k, &v, heads)?;
            x = layer.attention_norm.forward(&(layer.attention_out.forward(&context)? + &x)?)?;
            let inner = layer.intermediate.forward(&x)?;
            let inner = match self.config.hidden_act {
                lingbridge::model::HiddenAct::Gelu => inner.gelu_erf()?,
                lingbridge::model::HiddenAct::GeluTanh => inner.gelu()?,
                lingbridge::model::HiddenAct::Relu => inner.relu()?,
            };
            x = layer.output_norm.forward(&(layer.output.forward(&inner)? + &x)?)?;
        }
        packing.unpack(&x)
    }

    /// Pooled, L2-normalised embeddings (batch × hidden): the same definition as
    /// `lingbridge::model::pooling::pool_and_normalize`, as differentiable ops.
    pub fn embed(&self, batch: &TokenBatch) -> candle_core::Result<Tensor> {
        let hidden = self.hidden_states(batch)?;
        let pooled = match self.pooling {
            Pooling::Cls => hidden.narrow(1, 0, 1)?.squeeze(1)?,
            Pooling::Mean => {
                let mask: Vec<f32> = batch.mask.iter().map(|&m| m as f32).collect();
                let mask = Tensor::from_vec(mask, (batch.batch, batch.seq, 1), &self.device)?;
                let count = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
                hidden.broadcast_mul(&mask)?.sum(1)?.broadcast_div(&count)?
            }
        };
        let norm = pooled.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        pooled.broadcast_div(&norm)
    }

    /// Embeddings as plain numbers (evaluation, tests): no graph is kept.
    pub fn embed_values(&self, batch: &TokenBatch) -> anyhow::Result<Vec<f32>> {
        Ok(self.embed(batch)?.detach().flatten_all()?.to_vec1::<f32>()?)
    }

    /// The weights as safetensors bytes (HF names, no prefix): deterministic, so equal models give equal files.
    pub fn save(&self, path: &std::path::Path) -> anyhow::Result<()> {
        let tensors: std::collections::HashMap<String, Tensor> =
            self.named_vars().into_iter().map(|(k, v)| (k, v.as_tensor().clone())).collect();
        candle_core::safetensors::save(&tensors, path).with_context(|| format!("writing {}", path.display()))
    }
}

/// One tensor as HF initialises it.
fn initial(shape: &[usize], init: Init, std: f64, pad: usize, rng: &mut ChaCha8Rng, device: &Device) -> anyhow::Result<Tensor> {
    let n: usize = shape.iter().product();
    let values: Vec<f32> = match init {
        Init::Zeros => vec![0.0; n],
        Init::Ones => vec![1.0; n],
        Init::Normal | Init::NormalPadZero => {
            let mut v: Vec<f32> = (0..n).map(|_| (normal(rng) * std) as f32).collect();
            if matches!(init, Init::NormalPadZero) && pad < shape[0] {
                let cols = shape[1];
                v[pad * cols..(pad + 1) * cols].iter_mut().for_each(|x| *x = 0.0);
            }
            v
        }
    };
    Ok(Tensor::from_vec(values, shape, device)?)
}

/// A standard normal draw (Box–Muller); our own so the draws do not depend on candle's unseedable CPU RNG.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> EncoderConfig {
        let json = br#"{"model_type":"xlm-roberta","vocab_size":50,"hidden_size":16,"num_hidden_layers":2,
            "num_attention_heads":2,"intermediate_size":32,"max_position_embeddings":40,"layer_norm_eps":1e-5}"#;
        EncoderConfig::from_json(json, "config.json").unwrap()
    }

    #[test]
    fn scratch_init_follows_hf() {
        let m = TrainModel::new(&config(), Pooling::Mean, Source::Scratch { seed: 1 }, &Device::Cpu).unwrap();
        let vars: std::collections::HashMap<_, _> = m.named_vars().into_iter().collect();
        let values = |n: &str| vars[n].as_tensor().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let w = values("encoder.layer.0.intermediate.dense.weight");
        let mean = w.iter().sum::<f32>() / w.len() as f32;
        let sd = (w.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / w.len() as f32).sqrt();
        assert!(mean.abs() < 0.004 && (sd - 0.02).abs() < 0.003, "mean {mean} sd {sd}");
        assert!(values("encoder.layer.1.output.dense.bias").iter().all(|&x| x == 0.0));
        assert!(values("embeddings.LayerNorm.weight").iter().all(|&x| x == 1.0));
        let word = values("embeddings.word_embeddings.weight");
        assert!(word[16..32].iter().all(|&x| x == 0.0), "padding row (id 1) is zero");
        assert!(word[..16].iter().any(|&x| x != 0.0));
    }

    #[test]
    fn embeddings_are_unit_vectors_and_gradients_reach_every_encoder_weight() {
        let m = TrainModel::new(&config(), Pooling::Mean, Source::Scratch { seed: 2 }, &Device::Cpu).unwrap();
        let batch = TokenBatch { ids: vec![0, 5, 6, 2, 0, 7, 2, 1], mask: vec![1, 1, 1, 1, 1, 1, 1, 0], batch: 2, seq: 4 };
        let e = m.embed(&batch).unwrap();
        let norms = e.sqr().unwrap().sum(1).unwrap().to_vec1::<f32>().unwrap();
        assert!(norms.iter().all(|n| (n - 1.0).abs() < 1e-5), "{norms:?}");
        let grads = e.sum_all().unwrap().backward().unwrap();
        for (name, var) in m.named_vars() {
            let has = grads.get(var.as_tensor()).is_some();
            assert_eq!(has, !name.starts_with("pooler."), "{name}");
        }
    }

    #[test]
    fn a_frozen_word_table_gets_no_gradient_and_is_not_trained() {
        let mut m = TrainModel::new(&config(), Pooling::Mean, Source::Scratch { seed: 2 }, &Device::Cpu).unwrap();
        let batch = TokenBatch { ids: vec![0, 5, 6, 2, 0, 7, 2, 1], mask: vec![1, 1, 1, 1, 1, 1, 1, 0], batch: 2, seq: 4 };
        let before = m.embed(&batch).unwrap().to_vec2::<f32>().unwrap();
        m.freeze_word_table();
        // The same function: freezing changes what is trained, not what is computed.
        assert_eq!(m.embed(&batch).unwrap().to_vec2::<f32>().unwrap(), before);
        let grads = m.embed(&batch).unwrap().sum_all().unwrap().backward().unwrap();
        for (name, var) in m.named_vars() {
            let has = grads.get(var.as_tensor()).is_some();
            assert_eq!(has, !name.starts_with("pooler.") && name != WORD_TABLE, "{name}");
        }
        let trainable: Vec<String> = m.trainable_vars().into_iter().map(|(n, _)| n).collect();
        assert_eq!(trainable.len(), m.named_vars().len() - 1);
        assert!(!trainable.iter().any(|n| n == WORD_TABLE));
    }
}
