//! `EncoderConfig`: what we read from a Hugging Face `config.json`.
//!
//! Defaults are those of transformers' `XLMRobertaConfig`, so a config that omits a field means the same thing
//! here as in Python. Two families are read: XLM-RoBERTa (XLM-R, RoBERTa) and BERT (mBERT, LaBSE,
//! multilingual-e5, multilingual MiniLM). They share every weight and the whole forward pass; they differ only in
//! how positions are numbered ([`Family::positions`]): BERT from 0, XLM-R from `pad_token_id + 1` with padding at
//! `pad_token_id`. Every backend takes that one difference from here.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::files::{self, ModelFiles};

/// Activation functions the encoder implements (and, later, the GPU kernels too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HiddenAct {
    /// erf form, transformers' "gelu".
    #[serde(rename = "gelu")]
    Gelu,
    /// tanh approximation, transformers' "gelu_new" / "gelu_pytorch_tanh".
    #[serde(rename = "gelu_new", alias = "gelu_pytorch_tanh")]
    GeluTanh,
    #[serde(rename = "relu")]
    Relu,
}

/// Model families, as named by `model_type` in config.json. (DistilBERT has other tensor names and no token
/// types: not one of ours.)
const XLMR_FAMILY: &[&str] = &["xlm-roberta", "roberta", "camembert"];
const BERT_FAMILY: &[&str] = &["bert"];

/// The two encoder families: the same network, positions numbered differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// transformers' `create_position_ids_from_input_ids`: real tokens `pad_token_id + 1, + 2, …`, padding `pad_token_id`.
    XlmRoberta,
    /// transformers' `BertEmbeddings`: `0, 1, 2, …` (padding sits at the end and is masked, so its row is immaterial;
    /// we give it row 0).
    Bert,
}

/// Position rows: a row's k-th real token (k from 0) takes row `first + k`; padding takes row `pad`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Positions {
    pub first: u32,
    pub pad: u32,
}

impl Family {
    pub fn positions(self, pad_token_id: u32) -> Positions {
        match self {
            Family::XlmRoberta => Positions { first: pad_token_id + 1, pad: pad_token_id },
            Family::Bert => Positions { first: 0, pad: 0 },
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::XlmRoberta => "xlm-roberta",
            Family::Bert => "bert",
        }
    }
}

impl Positions {
    /// Position row of every token of a padded batch (`seq` ids a row), counting real tokens (id ≠ `pad_id`) as
    /// transformers does for XLM-R; for BERT this is the plain index wherever tokens are real.
    pub fn ids(self, ids: &[u32], seq: usize, pad_id: u32) -> Vec<u32> {
        let mut out = Vec::with_capacity(ids.len());
        for row in ids.chunks(seq.max(1)) {
            let mut real = 0u32;
            for &id in row {
                if id != pad_id {
                    out.push(self.first + real);
                    real += 1;
                } else {
                    out.push(self.pad);
                }
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncoderConfig {
    #[serde(default)]
    pub model_type: Option<String>,
    #[serde(default)]
    pub architectures: Option<Vec<String>>,
    #[serde(default = "d::vocab_size")]
    pub vocab_size: usize,
    #[serde(default = "d::hidden_size")]
    pub hidden_size: usize,
    #[serde(default = "d::num_hidden_layers")]
    pub num_hidden_layers: usize,
    #[serde(default = "d::num_attention_heads")]
    pub num_attention_heads: usize,
    #[serde(default = "d::intermediate_size")]
    pub intermediate_size: usize,
    #[serde(default = "d::hidden_act")]
    pub hidden_act: HiddenAct,
    #[serde(default = "d::max_position_embeddings")]
    pub max_position_embeddings: usize,
    #[serde(default = "d::type_vocab_size")]
    pub type_vocab_size: usize,
    #[serde(default = "d::layer_norm_eps")]
    pub layer_norm_eps: f64,
    #[serde(default = "d::pad_token_id")]
    pub pad_token_id: u32,
    #[serde(default = "d::position_embedding_type")]
    pub position_embedding_type: String,
    #[serde(default = "d::initializer_range")]
    pub initializer_range: f64,
}

/// transformers' `XLMRobertaConfig` defaults.
mod d {
    use super::HiddenAct;
    pub fn vocab_size() -> usize { 30522 }
    pub fn hidden_size() -> usize { 768 }
    pub fn num_hidden_layers() -> usize { 12 }
    pub fn num_attention_heads() -> usize { 12 }
    pub fn intermediate_size() -> usize { 3072 }
    pub fn hidden_act() -> HiddenAct { HiddenAct::Gelu }
    pub fn max_position_embeddings() -> usize { 512 }
    pub fn type_vocab_size() -> usize { 2 }
    pub fn layer_norm_eps() -> f64 { 1e-12 }
    pub fn pad_token_id() -> u32 { 1 }
    pub fn position_embedding_type() -> String { "absolute".into() }
    pub fn initializer_range() -> f64 { 0.02 }
}

impl EncoderConfig {
    /// Reads and checks `config.json`.
    pub fn from_files(files: &ModelFiles) -> Result<Self> {
        let file = files.display(files::CONFIG);
        let bytes = files.require(files::CONFIG, "every model needs its config.json")?;
        Self::from_json(bytes, &file)
    }

    /// Parses and checks config.json bytes; `file` names it in errors.
    pub fn from_json(bytes: &[u8], file: &str) -> Result<Self> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| Error::json(file, e))?;
        // hidden_act first, so an unknown activation gets a message that lists the supported ones.
        if let Some(act) = value.get("hidden_act") {
            if serde_json::from_value::<HiddenAct>(act.clone()).is_err() {
                return Err(Error::unsupported(
                    file,
                    format!("hidden_act {act} (supported: \"gelu\", \"gelu_new\", \"gelu_pytorch_tanh\", \"relu\")"),
                ));
            }
        }
        // serde_path_to_error names the offending field ("hidden_size: invalid type …").
        let config: EncoderConfig = serde_path_to_error::deserialize(value)
            .map_err(|e| Error::json(file, format!("{}: {}", e.path(), e.inner())))?;
        config.check(file)?;
        Ok(config)
    }

    fn check(&self, file: &str) -> Result<()> {
        let family = self.family_name();
        match family.as_deref() {
            Some(t) if XLMR_FAMILY.contains(&t) || BERT_FAMILY.contains(&t) => {}
            Some(t) => {
                return Err(Error::unsupported(
                    file,
                    format!(
                        "model_type \"{t}\"; this version loads the XLM-RoBERTa family ({}) and the BERT family ({})",
                        XLMR_FAMILY.join(", "),
                        BERT_FAMILY.join(", ")
                    ),
                ));
            }
            None => {
                return Err(Error::invalid(
                    file,
                    "neither model_type nor architectures says what model this is (expected model_type \"xlm-roberta\" or \"bert\")",
                ));
            }
        }
        let positive = [
            ("vocab_size", self.vocab_size),
            ("hidden_size", self.hidden_size),
            ("num_hidden_layers", self.num_hidden_layers),
            ("num_attention_heads", self.num_attention_heads),
            ("intermediate_size", self.intermediate_size),
            ("type_vocab_size", self.type_vocab_size),
        ];
        for (name, v) in positive {
            if v == 0 {
                return Err(Error::invalid(file, format!("{name} must be positive")));
            }
        }
        if self.hidden_size % self.num_attention_heads != 0 {
            return Err(Error::invalid(
                file,
                format!(
                    "hidden_size {} is not a multiple of num_attention_heads {}",
                    self.hidden_size, self.num_attention_heads
                ),
            ));
        }
        if self.position_embedding_type != "absolute" {
            return Err(Error::unsupported(
                file,
                format!("position_embedding_type \"{}\" (only \"absolute\")", self.position_embedding_type),
            ));
        }
        let first = self.positions().first as usize;
        if self.max_position_embeddings < first + 2 {
            return Err(Error::invalid(
                file,
                format!(
                    "max_position_embeddings {} leaves no room for two tokens after the position offset {first} \
                     ({} numbers positions from {})",
                    self.max_position_embeddings,
                    self.family().name(),
                    if first == 0 { "0" } else { "pad_token_id + 1" }
                ),
            ));
        }
        if !(self.layer_norm_eps.is_finite() && self.layer_norm_eps > 0.0) {
            return Err(Error::invalid(file, "layer_norm_eps must be a positive number"));
        }
        Ok(())
    }

    /// `model_type`, or the family implied by `architectures` when model_type is absent.
    fn family_name(&self) -> Option<String> {
        if let Some(t) = &self.model_type {
            return Some(t.to_ascii_lowercase().replace('_', "-"));
        }
        let arch = self.architectures.as_ref()?.first()?;
        let lower = arch.to_ascii_lowercase();
        Some(if lower.starts_with("xlmroberta") {
            "xlm-roberta".into()
        } else if lower.starts_with("roberta") {
            "roberta".into()
        } else if lower.starts_with("bert") || lower.starts_with("labse") {
            "bert".into()
        } else {
            arch.clone()
        })
    }

    /// The family (checked in `from_json`; a config built in code that names neither is taken as XLM-R).
    pub fn family(&self) -> Family {
        match self.family_name().as_deref() {
            Some(t) if BERT_FAMILY.contains(&t) => Family::Bert,
            _ => Family::XlmRoberta,
        }
    }

    /// How this model numbers positions.
    pub fn positions(&self) -> Positions {
        self.family().positions(self.pad_token_id)
    }

    /// `general.architecture` of a GGUF file of this model.
    pub fn gguf_architecture(&self) -> &'static str {
        self.family().name()
    }

    /// Longest token sequence the position table allows. XLM-R's positions start at pad_token_id + 1,
    /// so 514 positions with pad 1 give 512 tokens; BERT's 512 positions give 512.
    pub fn max_tokens(&self) -> usize {
        self.max_position_embeddings - self.positions().first as usize
    }

    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }
}
