//! The encoder's weights, from `model.safetensors` (Hugging Face) or `model.gguf` (`lingbridge quantize`, layout in
//! [`crate::model::gguf`]), after checks that turn the usual ways a weights file goes wrong (truncated download,
//! int8 export, masked-LM prefix, a GGUF from another tool) into messages that name the file and tensor.
//!
//! Two views: a candle `VarBuilder` of f32 tensors for the trainer, and per-tensor access for the CPU and GPU
//! forward passes ([`Weights::linear`] keeps q8_0 / q4_0 matrices packed, [`Weights::blocks`] gives their GGML
//! bytes, [`Weights::embedding_rows`] gathers rows).

use std::collections::HashMap;
use std::sync::Arc;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use half::{bf16, f16};
use safetensors::{Dtype, SafeTensors};

use crate::error::{Error, Result, candle_message};
use crate::model::files::{self, ModelFiles};
use crate::model::gguf;
use crate::model::quant::{PackedQuant, QuantScheme};

/// Masked-LM / pre-training checkpoints (e.g. `xlm-roberta-base`, `bert-base-multilingual-cased`) keep the encoder
/// under one of these prefixes.
const MLM_PREFIXES: [&str; 2] = ["roberta", "bert"];
/// The word-embedding table (HF's name without a model prefix); every XLM-R / BERT encoder has it, so it also
/// tells where the encoder's weights start.
pub const WORD_TABLE: &str = "embeddings.word_embeddings.weight";

enum Source {
    Safetensors(Arc<Vec<u8>>),
    Gguf { bytes: Arc<Vec<u8>>, content: candle_core::quantized::gguf_file::Content, scheme: QuantScheme },
}

/// Checked weights bytes plus where the encoder's tensors live inside them.
pub struct Weights {
    source: Source,
    /// "", "roberta" or "bert" (safetensors only; GGUF files never have the prefix).
    pub prefix: &'static str,
    pub file: String,
}

/// A linear layer's weight `[out, in]` as the GPU forward pass uploads it.
#[derive(Debug, Clone, PartialEq)]
pub enum LinearWeight {
    /// Row-major f32 (from f32, f16 or bf16 storage).
    F32(Vec<f32>),
    /// q8_0 / q4_0 blocks, repacked for 32-bit loads.
    Quant(PackedQuant),
}

/// How one stored tensor's values are encoded.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    F32,
    F16,
    BF16,
    Block(QuantScheme),
}

impl Kind {
    /// Bytes of one row of `cols` values.
    fn row_bytes(self, cols: usize) -> usize {
        match self {
            Kind::F32 => cols.saturating_mul(4),
            Kind::F16 | Kind::BF16 => cols.saturating_mul(2),
            Kind::Block(s) => s.ggml_bytes(cols),
        }
    }
}

/// One tensor as stored: shape, encoding, bytes.
struct Stored<'a> {
    shape: Vec<usize>,
    kind: Kind,
    bytes: &'a [u8],
}

/// `rows × cols` values of `kind` as f32.
fn decode(kind: Kind, rows: usize, cols: usize, bytes: &[u8]) -> Result<Vec<f32>> {
    Ok(match kind {
        Kind::F32 => bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
        Kind::F16 => bytes.chunks_exact(2).map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
        Kind::BF16 => bytes.chunks_exact(2).map(|b| bf16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
        Kind::Block(s) => PackedQuant::from_ggml(s, rows, cols, bytes)?.dequantize(),
    })
}

fn elements(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

impl Weights {
    /// `model.safetensors` when present, else `model.gguf`.
    pub fn from_files(files: &ModelFiles) -> Result<Self> {
        let name = if files.get(files::WEIGHTS).is_none() && files.get(files::GGUF).is_some() { files::GGUF } else { files::WEIGHTS };
        let bytes = files.require(name, "the encoder's weights are needed (safetensors, or a GGUF file from `lingbridge quantize`)")?;
        let bytes = files.shared(name).unwrap_or_else(|| Arc::new(bytes.to_vec()));
        Self::from_shared(bytes, files.display(name))
    }

    /// Safetensors or GGUF bytes (told apart by GGUF's magic).
    pub fn from_bytes(bytes: Vec<u8>, file: String) -> Result<Self> {
        Self::from_shared(Arc::new(bytes), file)
    }

    fn from_shared(bytes: Arc<Vec<u8>>, file: String) -> Result<Self> {
        if gguf::is_gguf(&bytes) {
            return Self::from_gguf(bytes, file);
        }
        let st = SafeTensors::deserialize(&bytes).map_err(|e| {
            Error::invalid(&file, format!("not a readable safetensors file ({e}); is the download truncated?"))
        })?;
        for (name, view) in st.tensors() {
            match view.dtype() {
                Dtype::F32 | Dtype::F16 | Dtype::BF16 => {}
                other => {
                    return Err(Error::unsupported(
                        &file,
                        format!("tensor {name} has dtype {other:?}; expected F32, F16 or BF16 (use `lingbridge quantize` for smaller files)"),
                    ));
                }
            }
        }
        let names: Vec<String> = st.names().into_iter().map(str::to_string).collect();
        let has = |n: &str| names.iter().any(|k| k == n);
        let prefix = if has(WORD_TABLE) {
            ""
        } else if let Some(p) = MLM_PREFIXES.into_iter().find(|p| has(&format!("{p}.{WORD_TABLE}"))) {
            p
        } else {
            let hint = if names.iter().any(|n| n.contains("embeddings.word_embeddings")) {
                " (there is a word table under another prefix: not an XLM-R or BERT encoder as transformers saves it)"
            } else {
                ""
            };
            return Err(Error::invalid(&file, format!("no tensor {WORD_TABLE} (or roberta.{WORD_TABLE}, bert.{WORD_TABLE}){hint}")));
        };
        drop(st);
        Ok(Self { source: Source::Safetensors(bytes), prefix, file })
    }

    /// Checks the header and that every tensor's data lies inside the file, so later reads cannot fail or panic.
    fn from_gguf(bytes: Arc<Vec<u8>>, file: String) -> Result<Self> {
        let content = gguf::read_header(&bytes).map_err(|m| Error::invalid(&file, m))?;
        let scheme = gguf::scheme(&content).map_err(|m| Error::invalid(&file, m))?;
        let data_len = (bytes.len() as u64).saturating_sub(content.tensor_data_offset);
        for (name, info) in &content.tensor_infos {
            let Some(stored) = QuantScheme::from_ggml(info.ggml_dtype) else {
                return Err(Error::unsupported(
                    &file,
                    format!("tensor {name} is {:?}; LingBridge reads f32, f16, q8_0 and q4_0", info.ggml_dtype),
                ));
            };
            let dims = info.shape.dims();
            let elems = elements(dims).ok_or_else(|| Error::invalid(&file, format!("tensor {name}: shape {dims:?} overflows")))?;
            if stored.is_block() && dims.last().is_none_or(|c| c % crate::model::quant::BLOCK != 0) {
                return Err(Error::invalid(&file, format!("tensor {name} ({stored}, shape {dims:?}): rows are not whole blocks")));
            }
            let need = stored.ggml_bytes(elems) as u64;
            if info.offset.checked_add(need).is_none_or(|end| end > data_len) {
                return Err(Error::invalid(
                    &file,
                    format!(
                        "tensor {name} needs {need} bytes at offset {} of the data section, which holds {data_len}; is the download truncated?",
                        info.offset
                    ),
                ));
            }
        }
        if !content.tensor_infos.contains_key(WORD_TABLE) {
            return Err(Error::invalid(&file, format!("no tensor {WORD_TABLE}")));
        }
        Ok(Self { source: Source::Gguf { bytes, content, scheme }, prefix: "", file })
    }

    /// The scheme of the linear layers: what `lingbridge quantize` wrote, f32 for safetensors.
    pub fn scheme(&self) -> QuantScheme {
        match &self.source {
            Source::Safetensors(_) => QuantScheme::F32,
            Source::Gguf { scheme, .. } => *scheme,
        }
    }

    /// The encoder's tensors (names without the `roberta.` prefix; masked-LM heads and a GGUF file's sentence-head
    /// tensors left out) and their shapes, by name.
    pub fn tensors(&self) -> Vec<(String, Vec<usize>)> {
        let mut out: Vec<(String, Vec<usize>)> = match &self.source {
            Source::Safetensors(bytes) => match SafeTensors::deserialize(bytes) {
                Ok(st) => st
                    .tensors()
                    .into_iter()
                    .filter_map(|(name, view)| Some((self.strip(&name)?.to_string(), view.shape().to_vec())))
                    .collect(),
                Err(_) => Vec::new(), // checked in from_bytes
            },
            // The sentence head's Dense tensors (`dense.{i}.*`) are read by `model::head`, not the encoder.
            Source::Gguf { content, .. } => content
                .tensor_infos
                .iter()
                .filter(|(n, _)| !crate::model::head::is_head_tensor(n))
                .map(|(n, i)| (n.clone(), i.shape.dims().to_vec()))
                .collect(),
        };
        out.sort();
        out
    }

    fn strip<'n>(&self, name: &'n str) -> Option<&'n str> {
        if self.prefix.is_empty() { Some(name) } else { name.strip_prefix(self.prefix)?.strip_prefix('.') }
    }

    fn stored(&self, name: &str) -> Result<Stored<'_>> {
        match &self.source {
            Source::Safetensors(bytes) => {
                let st = SafeTensors::deserialize(bytes).map_err(|e| Error::invalid(&self.file, e.to_string()))?;
                let full = if self.prefix.is_empty() { name.to_string() } else { format!("{}.{name}", self.prefix) };
                let view = st.tensor(&full).map_err(|_| Error::invalid(&self.file, format!("no tensor {full}")))?;
                let kind = match view.dtype() {
                    Dtype::F16 => Kind::F16,
                    Dtype::BF16 => Kind::BF16,
                    _ => Kind::F32, // from_bytes admits F32, F16 and BF16 only
                };
                Ok(Stored { shape: view.shape().to_vec(), kind, bytes: view.data() })
            }
            Source::Gguf { bytes, content, .. } => {
                let info = content.tensor_infos.get(name).ok_or_else(|| Error::invalid(&self.file, format!("no tensor {name}")))?;
                // from_gguf checked the dtype and that the data lies inside the file.
                let scheme = QuantScheme::from_ggml(info.ggml_dtype).unwrap_or(QuantScheme::F32);
                let kind = match scheme {
                    QuantScheme::F32 => Kind::F32,
                    QuantScheme::F16 => Kind::F16,
                    s => Kind::Block(s),
                };
                let shape = info.shape.dims().to_vec();
                let start = (content.tensor_data_offset + info.offset) as usize;
                let len = scheme.ggml_bytes(elements(&shape).unwrap_or(0));
                Ok(Stored { shape, kind, bytes: &bytes[start..start + len] })
            }
        }
    }

    fn shaped(&self, name: &str, shape: &[usize]) -> Result<Stored<'_>> {
        let s = self.stored(name)?;
        if s.shape != shape {
            return Err(Error::invalid(&self.file, format!("tensor {name} has shape {:?}, expected {shape:?}", s.shape)));
        }
        Ok(s)
    }

    /// A tensor of the expected shape as f32, row-major (dequantized if stored in blocks).
    pub fn f32(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let s = self.shaped(name, shape)?;
        let cols = shape.last().copied().unwrap_or(1);
        let rows = elements(shape).unwrap_or(0) / cols.max(1);
        decode(s.kind, rows, cols, s.bytes).map_err(|e| Error::invalid(&self.file, format!("tensor {name}: {e}")))
    }

    /// A linear layer's weight `[out, inp]` by its full name (`encoder.layer.0.intermediate.dense.weight`): packed
    /// blocks when the file stores q8_0 / q4_0, else f32.
    pub fn linear(&self, name: &str, out: usize, inp: usize) -> Result<LinearWeight> {
        let s = self.shaped(name, &[out, inp])?;
        Ok(match s.kind {
            Kind::Block(scheme) => LinearWeight::Quant(
                PackedQuant::from_ggml(scheme, out, inp, s.bytes).map_err(|e| Error::invalid(&self.file, format!("tensor {name}: {e}")))?,
            ),
            kind => LinearWeight::F32(decode(kind, out, inp, s.bytes)?),
        })
    }

    /// A matrix's GGML blocks as stored, when the file stores it as q8_0 / q4_0 (`None` for f32 / f16 / bf16).
    pub fn blocks(&self, name: &str, shape: &[usize]) -> Result<Option<(QuantScheme, &[u8])>> {
        let s = self.shaped(name, shape)?;
        Ok(match s.kind {
            Kind::Block(scheme) => Some((scheme, s.bytes)),
            _ => None,
        })
    }

    /// Rows `ids` of a `[rows, cols]` table (the word embeddings) as f32, `ids.len() × cols`, decoding only those
    /// rows: the CPU gather for vocabularies larger than one GPU binding.
    pub fn embedding_rows(&self, name: &str, ids: &[u32], cols: usize) -> Result<Vec<f32>> {
        let s = self.stored(name)?;
        let rows = match s.shape[..] {
            [rows, c] if c == cols => rows,
            _ => return Err(Error::invalid(&self.file, format!("tensor {name} has shape {:?}, expected [_, {cols}]", s.shape))),
        };
        // Ids first: a table with no rows may claim any width (found by fuzzing), and only a valid id proves
        // that a row of that width fits in the file, which bounds the buffer below.
        if let Some(&id) = ids.iter().find(|&&id| id as usize >= rows) {
            return Err(Error::input(format!("token id {id} is out of range for {name} ({rows} rows)")));
        }
        let row_bytes = s.kind.row_bytes(cols);
        let mut gathered = Vec::with_capacity(ids.len() * row_bytes);
        for &id in ids {
            let id = id as usize;
            gathered.extend_from_slice(&s.bytes[id * row_bytes..(id + 1) * row_bytes]);
        }
        decode(s.kind, ids.len(), cols, &gathered)
    }

    /// A VarBuilder over the encoder's tensors, as f32 on `device` (the trainer's start point).
    pub fn var_builder(self, device: &Device) -> Result<VarBuilder<'static>> {
        if let Source::Safetensors(_) = &self.source {
            let Source::Safetensors(bytes) = self.source else { unreachable!() };
            let bytes = Arc::try_unwrap(bytes).unwrap_or_else(|shared| shared.as_ref().clone());
            let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, device)
                .map_err(|e| Error::invalid(&self.file, candle_message(&e)))?;
            return Ok(if self.prefix.is_empty() { vb } else { vb.pp(self.prefix) });
        }
        // GGUF: dequantized to f32.
        let mut map = HashMap::new();
        for (name, shape) in self.tensors() {
            let data = self.f32(&name, &shape)?;
            let t = Tensor::from_vec(data, shape, device).map_err(|e| Error::invalid(&self.file, candle_message(&e)))?;
            map.insert(name, t);
        }
        Ok(VarBuilder::from_tensors(map, DType::F32, device))
    }
}
