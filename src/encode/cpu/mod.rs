//! The CPU backend: the XLM-R / BERT forward pass in candle ops (gemm natively; in wasm our [`dense`] kernel). This is the
//! reference every other path (the WebGPU kernels, quantized files) is tested against, and it is itself tested
//! against Hugging Face transformers (tests/encoder_parity.rs).
//!
//! Our own forward rather than candle-transformers' XLM-R model, for what that model cannot do:
//! - the word table (56 % of the page's model, 82 % of the untrimmed one) stays in the file's q8_0 / q4_0 blocks
//!   and only a batch's rows are decoded — exactly, so the result is the same as a dequantized table and the
//!   page's engine holds ~110 MB less; the blocks are read where they lie in the file (no copy of the table);
//! - [`CpuWeights::Quantized`] keeps the matrices in blocks too (candle's quantized matmul: ggml's, which also
//!   rounds activations to q8), for when memory matters more than speed — measured by `lingbridge bench encode`;
//! - positions are numbered by [`Family`](crate::model::Family) as the GPU pass numbers them, with no shifted
//!   copy of BERT's position table; Q, K and V are one matmul, read in place by [`attention`]'s loops (candle's
//!   op chain for tiny per-head products is mostly overhead); GELU's erf is vectorizable ([`gelu`]).

mod attention;
// Natively candle's gemm is faster (AVX2 / FMA, every core); the page's wasm uses this kernel.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub mod dense;
mod epilogue;
mod gelu;
pub mod packing;

use candle_core::quantized::QMatMul;
use candle_core::{Device, Module, Tensor};

use self::epilogue::Epilogue;
use self::packing::Packing;
use super::backend::CpuWeights;
use crate::error::{Error, Result, candle_message};
use crate::model::config::HiddenAct;
use crate::model::quant::qtensor_from_blocks;
use crate::model::weights::WORD_TABLE;
use crate::model::{EncoderConfig, TokenBatch, Weights};

/// The word table: f32, or the file's blocks with a batch's rows decoded on use.
enum WordTable {
    Dense(Tensor),
    /// q8_0 / q4_0 blocks read where they lie in the model file, which the encoder keeps. A copy of the table
    /// (17 MB for the page's model) would be made while the file is still in memory: in wasm, whose memory never
    /// shrinks, the engine would keep that high-water mark for good.
    InFile(Weights),
}

/// `x · Wᵀ + b`: candle's matmul (the weight in blocks, or natively f32) and the bias, or in the page's wasm the
/// weight packed for [`dense`]'s kernel, which adds the bias itself (so it is held once).
enum Linear {
    Candle { weight: QMatMul, bias: Tensor },
    Packed(dense::PackedDense),
}

/// LayerNorm's scale and shift, applied by [`epilogue`] right after the sum it normalizes.
struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

struct Layer {
    qkv: Linear,
    attention_out: Linear,
    attention_norm: Norm,
    intermediate: Linear,
    output: Linear,
    output_norm: Norm,
}

pub struct CpuEncoder {
    config: EncoderConfig,
    words: WordTable,
    positions: Tensor,
    /// Token type 0's row: every text is one segment.
    token_type: Tensor,
    embeddings_norm: Norm,
    layers: Vec<Layer>,
    device: Device,
    weight_bytes: usize,
}

/// Everything the loader needs, so helpers stay small.
struct Loader<'a> {
    weights: &'a Weights,
    device: &'a Device,
    mode: CpuWeights,
    bytes: usize,
}

impl Loader<'_> {
    fn err(&self, e: candle_core::Error) -> Error {
        Error::invalid(&self.weights.file, candle_message(&e))
    }

    fn tensor(&mut self, name: &str, shape: &[usize]) -> Result<Tensor> {
        let data = self.weights.f32(name, shape)?;
        self.bytes += data.len() * 4;
        Tensor::from_vec(data, shape, self.device).map_err(|e| self.err(e))
    }

    fn norm(&mut self, prefix: &str, h: usize) -> Result<Norm> {
        let gamma = self.weights.f32(&format!("{prefix}.LayerNorm.weight"), &[h])?;
        let beta = self.weights.f32(&format!("{prefix}.LayerNorm.bias"), &[h])?;
        self.bytes += (gamma.len() + beta.len()) * 4;
        Ok(Norm { gamma, beta })
    }

    /// The layers `names` stacked along the output dimension (Q, K and V as one matmul), each `[out, inp]`.
    fn linear(&mut self, names: &[String], out: usize, inp: usize) -> Result<Linear> {
        let rows = out * names.len();
        let mut bias = Vec::with_capacity(rows);
        for n in names {
            bias.extend(self.weights.f32(&format!("{n}.bias"), &[out])?);
        }
        let mut stored = Vec::with_capacity(names.len());
        for n in names {
            stored.push(match self.mode {
                CpuWeights::Quantized => self.weights.blocks(&format!("{n}.weight"), &[out, inp])?,
                CpuWeights::F32 => None,
            });
        }
        // Stacked matrices stay in blocks only when all of them are, in one scheme (a file may mix q4_0 and q8_0).
        let scheme = stored.first().copied().flatten().map(|(s, _)| s);
        let weight = match scheme.filter(|&s| stored.iter().all(|b| b.is_some_and(|(t, _)| t == s))) {
            Some(s) => {
                let blocks: Vec<u8> = stored.iter().flatten().flat_map(|(_, raw)| raw.iter().copied()).collect();
                self.bytes += blocks.len();
                let name = names.first().map(String::as_str).unwrap_or_default();
                QMatMul::from_qtensor(qtensor_from_blocks(s, &blocks, &[rows, inp], name)?).map_err(|e| self.err(e))?
            }
            None => {
                let mut dense = Vec::with_capacity(rows * inp);
                for n in names {
                    dense.extend(self.weights.f32(&format!("{n}.weight"), &[out, inp])?);
                }
                if cfg!(target_arch = "wasm32") {
                    let packed = dense::PackedDense::new(&dense, &bias, rows, inp);
                    self.bytes += packed.bytes();
                    return Ok(Linear::Packed(packed));
                }
                self.bytes += dense.len() * 4;
                QMatMul::Tensor(Tensor::from_vec(dense, (rows, inp), self.device).map_err(|e| self.err(e))?)
            }
        };
        self.bytes += bias.len() * 4;
        let bias = Tensor::from_vec(bias, rows, self.device).map_err(|e| self.err(e))?;
        Ok(Linear::Candle { weight, bias })
    }
}

impl CpuEncoder {
    pub fn load(config: &EncoderConfig, weights: Weights, mode: CpuWeights) -> Result<Self> {
        let device = Device::Cpu;
        let (h, c) = (config.hidden_size, config);
        let mut l = Loader { weights: &weights, device: &device, mode, bytes: 0 };
        let dense_words = match weights.blocks(WORD_TABLE, &[c.vocab_size, h])? {
            Some((_, blocks)) => {
                l.bytes += blocks.len();
                None
            }
            None => {
                let v = weights.f32(WORD_TABLE, &[c.vocab_size, h])?;
                l.bytes += v.len() * 4;
                Some(Tensor::from_vec(v, (c.vocab_size, h), &device).map_err(|e| l.err(e))?)
            }
        };
        let positions = l.tensor("embeddings.position_embeddings.weight", &[c.max_position_embeddings, h])?;
        let types = l.tensor("embeddings.token_type_embeddings.weight", &[c.type_vocab_size, h])?;
        let token_type = types.get(0).map_err(|e| l.err(e))?;
        let embeddings_norm = l.norm("embeddings", h)?;
        let mut layers = Vec::with_capacity(c.num_hidden_layers);
        for i in 0..c.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            let qkv: Vec<String> = ["query", "key", "value"].iter().map(|m| format!("{p}.attention.self.{m}")).collect();
            layers.push(Layer {
                qkv: l.linear(&qkv, h, h)?,
                attention_out: l.linear(&[format!("{p}.attention.output.dense")], h, h)?,
                attention_norm: l.norm(&format!("{p}.attention.output"), h)?,
                intermediate: l.linear(&[format!("{p}.intermediate.dense")], c.intermediate_size, h)?,
                output: l.linear(&[format!("{p}.output.dense")], h, c.intermediate_size)?,
                output_norm: l.norm(&format!("{p}.output"), h)?,
            });
        }
        let weight_bytes = l.bytes;
        let words = match dense_words {
            Some(table) => WordTable::Dense(table),
            None => WordTable::InFile(weights),
        };
        Ok(Self { config: config.clone(), words, positions, token_type, embeddings_norm, layers, device, weight_bytes })
    }

    /// Bytes the weights take in memory (f32 tensors, or blocks).
    pub fn weight_bytes(&self) -> usize {
        self.weight_bytes
    }

    /// Last hidden states for a padded batch, row-major batch × seq × hidden.
    pub fn hidden_states(&self, batch: &TokenBatch) -> Result<Vec<f32>> {
        let c = &self.config;
        if batch.ids.len() != batch.batch * batch.seq || batch.mask.len() != batch.ids.len() {
            return Err(Error::input(format!("a batch of {} × {} needs as many ids and mask values", batch.batch, batch.seq)));
        }
        if let Some(&id) = batch.ids.iter().find(|&&id| id as usize >= c.vocab_size) {
            return Err(Error::input(format!("token id {id} is out of range for a vocabulary of {} pieces", c.vocab_size)));
        }
        let positions = c.positions().ids(&batch.ids, batch.seq, c.pad_token_id);
        if let Some(&p) = positions.iter().max().filter(|&&p| p as usize >= c.max_position_embeddings) {
            return Err(Error::input(format!("position {p} is past the model's {} positions: the text is too long", c.max_position_embeddings)));
        }
        let out = self.forward(batch, &positions).map_err(|e| Error::backend("CPU encoder forward pass", candle_message(&e)))?;
        debug_assert_eq!(out.len(), batch.batch * batch.seq * c.hidden_size);
        Ok(out)
    }

    /// The forward pass on the batch's real tokens only ([`packing`]): matrices, LayerNorm and GELU on the `T`
    /// unpadded rows, attention text by text on the same rows ([`attention`]). The result is scattered back to `b × s × h` with
    /// zero rows where the mask is 0 (pooling never reads them).
    fn forward(&self, batch: &TokenBatch, positions: &[u32]) -> candle_core::Result<Vec<f32>> {
        let (b, s, h) = (batch.batch, batch.seq, self.config.hidden_size);
        let dev = &self.device;
        let packing = Packing::new(&batch.mask, b, s);
        let (real, t) = (&packing.real, packing.rows());
        let mut out = vec![0f32; b * s * h];
        if t == 0 {
            return Ok(out);
        }
        let ids: Vec<u32> = real.iter().map(|&i| batch.ids[i as usize]).collect();
        let words = match &self.words {
            WordTable::Dense(table) => table.index_select(&Tensor::from_slice(&ids, t, dev)?, 0)?,
            WordTable::InFile(w) => {
                let rows = w.embedding_rows(WORD_TABLE, &ids, h).map_err(|e| candle_core::Error::Msg(e.to_string()))?;
                Tensor::from_vec(rows, (t, h), dev)?
            }
        };
        let at: Vec<u32> = real.iter().map(|&i| positions[i as usize]).collect();
        let pos = self.positions.index_select(&Tensor::from_vec(at, t, dev)?, 0)?;
        // LayerNorm(words + token type + positions), the token type's row taking the place of a bias.
        let mut x = with_slice(&pos, |pos| finish(&words, Some(&self.token_type), |y, b| self.embeddings_norm.after(y, b, pos, h, self.config.layer_norm_eps)))??;
        for layer in &self.layers {
            x = layer.forward(&x, &packing, &self.config)?;
        }
        let rows = x.flatten_all()?.to_vec1::<f32>()?;
        for (row, &i) in real.iter().enumerate() {
            out[i as usize * h..(i as usize + 1) * h].copy_from_slice(&rows[row * h..(row + 1) * h]);
        }
        Ok(out)
    }
}

impl Linear {
    /// `x` is `[T, inp]`.
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Linear::Candle { weight, bias } => weight.forward(x)?.broadcast_add(bias),
            Linear::Packed(d) => {
                let (rows, inp) = x.dims2()?;
                if inp != d.inp() {
                    candle_core::bail!("a linear layer of {} inputs was given rows of {inp}", d.inp())
                }
                let y = with_slice(x, |x| d.forward(x, rows))?;
                Tensor::from_vec(y, (rows, d.out()), x.device())
            }
        }
    }
}

/// Runs `f` on a CPU tensor's values in row-major order, without copying them when the tensor is contiguous.
fn with_slice<R>(x: &Tensor, f: impl FnOnce(&[f32]) -> R) -> candle_core::Result<R> {
    let x = x.contiguous()?;
    let (storage, layout) = x.storage_and_layout();
    let candle_core::Storage::Cpu(cpu) = &*storage else {
        candle_core::bail!("the CPU encoder's own kernels run on the CPU only")
    };
    let start = layout.start_offset();
    Ok(f(&cpu.as_slice::<f32>()?[start..start + x.elem_count()]))
}

impl Linear {
    /// `x · Wᵀ`, and the bias when the kernel adds it itself (ours); candle's matmul leaves it to the epilogue.
    fn product(&self, x: &Tensor) -> candle_core::Result<(Tensor, Option<&Tensor>)> {
        match self {
            Linear::Candle { weight, bias } => Ok((weight.forward(x)?, Some(bias))),
            Linear::Packed(_) => Ok((self.forward(x)?, None)),
        }
    }

    /// `GELU(x · Wᵀ + b)`, bias and GELU in one pass.
    fn forward_gelu(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (y, bias) = self.product(x)?;
        let width = y.dim(1)?;
        finish(&y, bias, |y, b| epilogue::apply(y, b, width, &Epilogue::Gelu))
    }

    /// `LayerNorm(x · Wᵀ + b + residual)`, bias, residual and norm in one pass.
    fn forward_norm(&self, x: &Tensor, residual: &Tensor, norm: &Norm, eps: f64) -> candle_core::Result<Tensor> {
        let (y, bias) = self.product(x)?;
        let width = y.dim(1)?;
        with_slice(residual, |r| finish(&y, bias, |y, b| norm.after(y, b, r, width, eps)))?
    }
}

/// The epilogue `f` over a matmul's `[T, width]` result and its bias, as a new `[T, width]` tensor.
fn finish(y: &Tensor, bias: Option<&Tensor>, f: impl FnOnce(&[f32], Option<&[f32]>) -> Vec<f32>) -> candle_core::Result<Tensor> {
    let (rows, width) = y.dims2()?;
    let out = with_slice(y, |y| match bias {
        Some(b) => with_slice(b, |b| f(y, Some(b))),
        None => Ok(f(y, None)),
    })??;
    Tensor::from_vec(out, (rows, width), y.device())
}

impl Norm {
    /// `LayerNorm(y + b + residual)` row by row.
    fn after(&self, y: &[f32], b: Option<&[f32]>, residual: &[f32], width: usize, eps: f64) -> Vec<f32> {
        let norm = Epilogue::ResidualNorm { residual, gamma: &self.gamma, beta: &self.beta, eps: eps as f32 };
        epilogue::apply(y, b, width, &norm)
    }
}

impl Layer {
    /// One encoder layer over `x`: `[T, h]` packed rows in, the same shape out.
    fn forward(&self, x: &Tensor, packing: &Packing, c: &EncoderConfig) -> candle_core::Result<Tensor> {
        let h = c.hidden_size;
        let qkv = self.qkv.forward(x)?;
        let context = with_slice(&qkv, |qkv| attention::attention(qkv, &packing.lengths, h, c.num_attention_heads))?;
        let context = Tensor::from_vec(context, (packing.rows(), h), x.device())?;
        let x = self.attention_out.forward_norm(&context, x, &self.attention_norm, c.layer_norm_eps)?;
        let inner = match c.hidden_act {
            HiddenAct::Gelu => self.intermediate.forward_gelu(&x)?,
            HiddenAct::GeluTanh => self.intermediate.forward(&x)?.gelu()?,
            HiddenAct::Relu => self.intermediate.forward(&x)?.relu()?,
        };
        self.output.forward_norm(&inner, &x, &self.output_norm, c.layer_norm_eps)
    }
}
