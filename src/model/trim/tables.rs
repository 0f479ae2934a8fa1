//! The token-indexed tensors of a trimmed model: rows of the kept ids, in the new order, copied as stored bytes —
//! safetensors rows in their dtype, GGUF rows as their q8_0 / q4_0 blocks, bit for bit (a row of a `[rows, cols]`
//! block tensor is `cols / 32` whole blocks, so rows can be gathered without re-quantizing). Every other tensor is
//! carried unchanged.

use std::borrow::Cow;
use std::collections::BTreeMap;

use candle_core::Device;
use candle_core::quantized::gguf_file::Content;
use candle_core::quantized::{GgmlDType, QTensor, ggml_file};
use safetensors::SafeTensors;
use safetensors::tensor::TensorView;

use super::{Plan, rewrite_config, rewrite_tokenizer, rewrite_tokenizer_config};
use crate::error::{Error, Result, candle_message};
use crate::model::files::{self, ModelFiles};
use crate::model::gguf;

/// transformers' tokenizer settings, whose `added_tokens_decoder` is keyed by id.
pub const TOKENIZER_CONFIG: &str = "tokenizer_config.json";

/// One token-indexed tensor before and after.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableInfo {
    pub file: String,
    pub tensor: String,
    pub rows_before: usize,
    pub rows_after: usize,
    pub bytes_before: usize,
    pub bytes_after: usize,
}

/// The trimmed model's files by path: a whole Hugging Face directory, or just `model.gguf` for a GGUF input.
#[derive(Debug, Default)]
pub struct TrimmedModel {
    pub files: BTreeMap<String, Vec<u8>>,
    pub tables: Vec<TableInfo>,
}

/// Tensors indexed by token id: the word table and, in masked-LM checkpoints, the (tied) output layer.
fn is_vocab_tensor(name: &str) -> bool {
    ["embeddings.word_embeddings.weight", "lm_head.decoder.weight", "lm_head.decoder.bias", "lm_head.bias", "cls.predictions.bias", "cls.predictions.decoder.weight", "cls.predictions.decoder.bias"]
        .iter()
        .any(|s| name == *s || name.ends_with(&format!(".{s}")))
}

/// Rows `kept` of a tensor of `rows` equal rows.
fn gather(bytes: &[u8], rows: usize, kept: &[u32], file: &str, name: &str) -> Result<Vec<u8>> {
    if rows == 0 || bytes.len() % rows != 0 {
        return Err(Error::invalid(file, format!("tensor {name}: {} bytes do not split into {rows} rows", bytes.len())));
    }
    let row = bytes.len() / rows;
    if let Some(&max) = kept.last().filter(|&&m| m as usize >= rows) {
        return Err(Error::invalid(file, format!("tensor {name} has {rows} rows but the tokenizer uses id {max}")));
    }
    let mut out = Vec::with_capacity(kept.len() * row);
    for &id in kept {
        out.extend_from_slice(&bytes[id as usize * row..(id as usize + 1) * row]);
    }
    Ok(out)
}

/// A safetensors file with its token-indexed tensors trimmed (dtype, other tensors and `__metadata__` kept).
pub fn trim_safetensors(bytes: &[u8], file: &str, kept: &[u32]) -> Result<(Vec<u8>, Vec<TableInfo>)> {
    let bad = |e: safetensors::SafeTensorError| Error::invalid(file, format!("not a readable safetensors file ({e})"));
    let st = SafeTensors::deserialize(bytes).map_err(bad)?;
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(bad)?;
    let mut tensors = Vec::new();
    let mut infos = Vec::new();
    for (name, view) in st.tensors() {
        let mut shape = view.shape().to_vec();
        let data: Cow<[u8]> = if is_vocab_tensor(&name) && !shape.is_empty() {
            let trimmed = gather(view.data(), shape[0], kept, file, &name)?;
            infos.push(TableInfo {
                file: file.into(),
                tensor: name.clone(),
                rows_before: shape[0],
                rows_after: kept.len(),
                bytes_before: view.data().len(),
                bytes_after: trimmed.len(),
            });
            shape[0] = kept.len();
            Cow::Owned(trimmed)
        } else {
            Cow::Borrowed(view.data())
        };
        tensors.push((name, view.dtype(), shape, data));
    }
    if !infos.iter().any(|t| t.tensor.ends_with("word_embeddings.weight")) {
        return Err(Error::invalid(file, "no tensor embeddings.word_embeddings.weight to trim"));
    }
    let mut views = Vec::new();
    for (name, dtype, shape, data) in &tensors {
        let view = TensorView::new(*dtype, shape.clone(), data).map_err(|e| Error::invalid(file, format!("tensor {name}: {e}")))?;
        views.push((name.clone(), view));
    }
    let out = safetensors::serialize(views, metadata.metadata().clone()).map_err(|e| Error::backend("writing safetensors", e))?;
    Ok((out, infos))
}

/// The stored bytes of one tensor of a LingBridge GGUF file, with its GGML type and shape (`[rows, cols]`).
pub fn tensor_bytes<'a>(gguf_bytes: &'a [u8], file: &str, name: &str) -> Result<(GgmlDType, Vec<usize>, &'a [u8])> {
    let content = gguf::read_header(gguf_bytes).map_err(|m| Error::invalid(file, m))?;
    raw(&content, gguf_bytes, file, name)
}

fn raw<'a>(content: &Content, bytes: &'a [u8], file: &str, name: &str) -> Result<(GgmlDType, Vec<usize>, &'a [u8])> {
    let info = content.tensor_infos.get(name).ok_or_else(|| Error::invalid(file, format!("no tensor {name}")))?;
    let dims = info.shape.dims().to_vec();
    let elems = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    let block = info.ggml_dtype.block_size();
    let len = elems.filter(|e| e % block == 0).map(|e| e / block * info.ggml_dtype.type_size());
    let start = content.tensor_data_offset.checked_add(info.offset).map(|s| s as usize);
    match (start, len) {
        (Some(s), Some(l)) if s.checked_add(l).is_some_and(|end| end <= bytes.len()) => Ok((info.ggml_dtype, dims, &bytes[s..s + l])),
        _ => Err(Error::invalid(file, format!("tensor {name} ({:?}, shape {dims:?}) lies outside the file; is it truncated?", info.ggml_dtype))),
    }
}

/// A QTensor over a copy of `data` (candle reads blocks through a typed pointer: the copy is 8-byte aligned).
fn qtensor(dtype: GgmlDType, data: &[u8], dims: Vec<usize>) -> candle_core::Result<QTensor> {
    let mut aligned = vec![0u64; data.len().div_ceil(8)];
    bytemuck::cast_slice_mut::<u64, u8>(&mut aligned)[..data.len()].copy_from_slice(data);
    ggml_file::qtensor_from_ggml(dtype, &bytemuck::cast_slice::<u64, u8>(&aligned)[..data.len()], dims, &Device::Cpu)
}

/// A GGUF file with its token-indexed tensors trimmed and `texts` as its embedded files; the architecture and
/// scheme metadata carried over.
pub fn trim_gguf(bytes: &[u8], file: &str, kept: &[u32], texts: &[(String, String)]) -> Result<(Vec<u8>, Vec<TableInfo>)> {
    let content = gguf::read_header(bytes).map_err(|m| Error::invalid(file, m))?;
    let scheme = gguf::scheme(&content).map_err(|m| Error::invalid(file, m))?;
    let architecture = content.metadata.get("general.architecture").and_then(|v| v.to_string().ok()).cloned().unwrap_or_else(|| "xlm-roberta".into());
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort();
    let mut tensors = Vec::new();
    let mut infos = Vec::new();
    for name in names {
        let (dtype, mut dims, data) = raw(&content, bytes, file, name)?;
        let data: Cow<[u8]> = if is_vocab_tensor(name) && !dims.is_empty() {
            let trimmed = gather(data, dims[0], kept, file, name)?;
            infos.push(TableInfo {
                file: file.into(),
                tensor: name.clone(),
                rows_before: dims[0],
                rows_after: kept.len(),
                bytes_before: data.len(),
                bytes_after: trimmed.len(),
            });
            dims[0] = kept.len();
            Cow::Owned(trimmed)
        } else {
            Cow::Borrowed(data)
        };
        let q = qtensor(dtype, &data, dims).map_err(|e| Error::invalid(file, format!("tensor {name}: {}", candle_message(&e))))?;
        tensors.push((name.clone(), q));
    }
    if infos.is_empty() {
        return Err(Error::invalid(file, "no tensor embeddings.word_embeddings.weight to trim"));
    }
    Ok((gguf::write_parts(&architecture, scheme, texts, &tensors)?, infos))
}

/// The trimmed model: for a Hugging Face directory every file (tokenizer, config, tokenizer_config and weights
/// rewritten, the rest unchanged); for a GGUF model (no safetensors), the new `model.gguf` alone, which embeds the
/// rewritten files (a reader prefers files given beside a GGUF, so stale copies must not travel with it).
pub fn trim_model(model: &ModelFiles, plan: &Plan) -> Result<TrimmedModel> {
    let tokenizer_file = model.display(files::TOKENIZER);
    let tokenizer = model.require(files::TOKENIZER, "the vocabulary to trim")?;
    let config = model.require(files::CONFIG, "its vocab_size changes with the vocabulary")?;
    let has_st = model.get(files::WEIGHTS).is_some();
    let gguf_bytes = model.get(files::GGUF);
    if !has_st && gguf_bytes.is_none() {
        model.require(files::WEIGHTS, "the word table to trim (model.safetensors, or a GGUF file)")?;
    }
    let mut rewritten = BTreeMap::new();
    for name in model.names() {
        let bytes = model.get(name).unwrap_or_default();
        let new = match name {
            files::WEIGHTS | files::GGUF => continue,
            files::TOKENIZER => rewrite_tokenizer(tokenizer, &tokenizer_file, plan)?,
            files::CONFIG => rewrite_config(config, &model.display(files::CONFIG), plan.kept.len())?,
            TOKENIZER_CONFIG => rewrite_tokenizer_config(bytes, &model.display(name), plan)?,
            _ => bytes.to_vec(),
        };
        rewritten.insert(name.to_string(), new);
    }
    let mut out = TrimmedModel::default();
    if let Some(bytes) = gguf_bytes {
        let texts = rewritten
            .iter()
            .map(|(name, b)| match String::from_utf8(b.clone()) {
                Ok(t) => Ok((name.clone(), t)),
                Err(_) => Err(Error::unsupported(model.display(name), "only text files can be embedded in a GGUF file")),
            })
            .collect::<Result<Vec<_>>>()?;
        let (written, infos) = trim_gguf(bytes, &model.display(files::GGUF), &plan.kept, &texts)?;
        out.files.insert(files::GGUF.into(), written);
        out.tables.extend(infos);
    }
    if let Some(bytes) = model.get(files::WEIGHTS) {
        let (written, infos) = trim_safetensors(bytes, &model.display(files::WEIGHTS), &plan.kept)?;
        out.files.insert(files::WEIGHTS.into(), written);
        out.tables.extend(infos);
    }
    // A GGUF model stands alone (its other files live inside it); a directory gets every file.
    if has_st {
        out.files.extend(rewritten);
    }
    Ok(out)
}
