//! Text → token ids, with the model's prefixes, truncation and per-batch padding.
//!
//! Wraps the `tokenizers` crate (the same code as Python's `tokenizers`, so ids match Hugging Face exactly); a
//! Unigram vocabulary is held by our own model stage ([`unigram`]), which segments as the library does in a
//! fraction of its memory.
//! We pad ourselves rather than through the tokenizer so the pad id always equals the model's `pad_token_id`,
//! which XLM-R's position numbering depends on.

mod unigram;

use serde::Deserialize;
use tokenizers::decoders::DecoderWrapper;
use tokenizers::normalizers::NormalizerWrapper;
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::processors::PostProcessorWrapper;
use tokenizers::{TokenizerImpl, TruncationDirection, TruncationParams, TruncationStrategy};

pub use self::unigram::{CompactUnigram, TextModel};

/// The tokenizers library's pipeline around our model stage.
pub type Tokenizer = TokenizerImpl<TextModel, NormalizerWrapper, PreTokenizerWrapper, PostProcessorWrapper, DecoderWrapper>;

use crate::error::{Error, Result};
use crate::model::config::EncoderConfig;
use crate::model::files::{self, ModelFiles};

/// What a text is, which decides its prefix ("query: " / "passage: " for E5-style models).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    Query,
    Passage,
}

impl std::str::FromStr for TextKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "query" => Ok(TextKind::Query),
            "passage" => Ok(TextKind::Passage),
            other => Err(Error::input(format!("unknown text kind \"{other}\" (expected query or passage)"))),
        }
    }
}

/// Strings put in front of queries and passages before tokenizing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prefixes {
    pub query: String,
    pub passage: String,
}

impl Prefixes {
    pub fn none() -> Self {
        Self::default()
    }
    pub fn e5() -> Self {
        Self { query: "query: ".into(), passage: "passage: ".into() }
    }
    pub fn for_kind(&self, kind: TextKind) -> &str {
        match kind {
            TextKind::Query => &self.query,
            TextKind::Passage => &self.passage,
        }
    }

    /// sentence-transformers' `prompts` (`{"query": "query: ", "passage": "passage: "}`), none when absent.
    pub fn from_files(files: &ModelFiles) -> Result<Self> {
        #[derive(Deserialize)]
        struct StConfig {
            #[serde(default)]
            prompts: std::collections::BTreeMap<String, String>,
        }
        let Some(cfg) = files.json_opt::<StConfig>(files::ST_CONFIG)? else { return Ok(Self::none()) };
        let get = |k: &str| cfg.prompts.get(k).cloned().unwrap_or_default();
        Ok(Self { query: get("query"), passage: get("passage") })
    }
}

/// A padded batch, row-major `batch × seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenBatch {
    pub ids: Vec<u32>,
    /// 1 for real tokens, 0 for padding.
    pub mask: Vec<u32>,
    pub batch: usize,
    pub seq: usize,
}

impl TokenBatch {
    pub fn row(&self, i: usize) -> &[u32] {
        &self.ids[i * self.seq..(i + 1) * self.seq]
    }
    /// Number of real tokens in row `i`.
    pub fn len_of(&self, i: usize) -> usize {
        self.mask[i * self.seq..(i + 1) * self.seq].iter().filter(|&&m| m != 0).count()
    }
}

#[derive(Clone)]
pub struct TextTokenizer {
    inner: Tokenizer,
    pub prefixes: Prefixes,
    pub max_tokens: usize,
    pub pad_id: u32,
}

/// `tokenizer.json` through the tokenizers library, which unwraps one of its own parse errors (found by
/// fuzzing: an invalid escape such as a lone surrogate inside `decoder` panics with "Helper"). So the JSON is
/// checked first — all of it for syntax, the small `decoder` part down to every string — and malformed files get
/// a message everywhere; natively a panic inside the library becomes an error too (wasm has no unwinding).
fn read_tokenizer(bytes: &[u8], file: &str) -> Result<Tokenizer> {
    #[derive(Deserialize)]
    struct DecoderChecked {
        #[serde(rename = "decoder")]
        _decoder: Option<serde_json::Value>,
    }
    serde_json::from_slice::<DecoderChecked>(bytes).map_err(|e| Error::json(file, e))?;
    #[cfg(not(target_arch = "wasm32"))]
    let read = std::panic::catch_unwind(|| serde_json::from_slice::<Tokenizer>(bytes))
        .map_err(|_| Error::invalid(file, "the tokenizers library could not read this tokenizer.json (it panicked)"))?;
    #[cfg(target_arch = "wasm32")]
    let read = serde_json::from_slice::<Tokenizer>(bytes);
    read.map_err(|e| Error::json(file, e))
}

impl TextTokenizer {
    /// Loads `tokenizer.json` and fits it to the model: truncation at the model's length limit (and
    /// sentence-transformers' `max_seq_length` when smaller), padding with the model's pad id.
    pub fn from_files(files: &ModelFiles, config: &EncoderConfig) -> Result<Self> {
        let file = files.display(files::TOKENIZER);
        let bytes = files.require(files::TOKENIZER, "the tokenizer is needed to turn text into token ids")?;
        let mut inner = read_tokenizer(bytes, &file)?;
        let vocab = inner.get_vocab_size(true);
        if vocab > config.vocab_size {
            return Err(Error::invalid(
                &file,
                format!(
                    "the tokenizer has {vocab} tokens but config.json's vocab_size is {}: ids past the embedding table",
                    config.vocab_size
                ),
            ));
        }
        #[derive(Deserialize)]
        struct StBertConfig {
            max_seq_length: Option<usize>,
        }
        let mut max_tokens = config.max_tokens();
        if let Some(st) = files.json_opt::<StBertConfig>(files::ST_BERT_CONFIG)? {
            if let Some(m) = st.max_seq_length.filter(|&m| m > 0) {
                max_tokens = max_tokens.min(m);
            }
        }
        inner
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
                direction: TruncationDirection::Right,
            }))
            .map_err(|e| Error::invalid(&file, format!("cannot truncate to {max_tokens} tokens: {e}")))?;
        inner.with_padding(None);
        Ok(Self { inner, prefixes: Prefixes::from_files(files)?, max_tokens, pad_id: config.pad_token_id })
    }

    /// Token ids of one text exactly as given (no prefix), with special tokens and truncation.
    pub fn ids(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self.inner.encode(text, true).map_err(|e| Error::Tokenizer(e.to_string()))?;
        Ok(enc.get_ids().to_vec())
    }

    /// Token ids of each text with the prefix for `kind`, unpadded.
    /// Empty or whitespace-only texts are refused: they would embed as a vector that matches everything a little.
    pub fn encode_all<S: AsRef<str>>(&self, texts: &[S], kind: TextKind) -> Result<Vec<Vec<u32>>> {
        if texts.is_empty() {
            return Err(Error::input("no texts to tokenize"));
        }
        let prefix = self.prefixes.for_kind(kind);
        texts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let text = text.as_ref();
                if text.trim().is_empty() {
                    return Err(Error::input(format!("text #{} is empty", i + 1)));
                }
                if prefix.is_empty() { self.ids(text) } else { self.ids(&format!("{prefix}{text}")) }
            })
            .collect()
    }

    /// Pads rows to the longest one with the model's pad id.
    pub fn pad<R: AsRef<[u32]>>(&self, rows: &[R]) -> TokenBatch {
        let seq = rows.iter().map(|r| r.as_ref().len()).max().unwrap_or(0);
        let mut ids = Vec::with_capacity(rows.len() * seq);
        let mut mask = Vec::with_capacity(rows.len() * seq);
        for row in rows {
            let row = row.as_ref();
            ids.extend_from_slice(row);
            ids.extend(std::iter::repeat_n(self.pad_id, seq - row.len()));
            mask.extend(std::iter::repeat_n(1, row.len()));
            mask.extend(std::iter::repeat_n(0, seq - row.len()));
        }
        TokenBatch { ids, mask, batch: rows.len(), seq }
    }

    /// Tokenizes `texts` into one batch padded to its longest row.
    pub fn batch<S: AsRef<str>>(&self, texts: &[S], kind: TextKind) -> Result<TokenBatch> {
        Ok(self.pad(&self.encode_all(texts, kind)?))
    }

    /// Token pieces of a text without special tokens or truncation: what lexical models (BM25) index.
    pub fn pieces(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self.inner.encode(text, false).map_err(|e| Error::Tokenizer(e.to_string()))?;
        let mut ids = enc.get_ids().to_vec();
        for o in enc.get_overflowing() {
            ids.extend_from_slice(o.get_ids());
        }
        Ok(ids)
    }

    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// The wrapped tokenizer, for tools (training, BM25) that need pieces rather than ids.
    pub fn inner(&self) -> &Tokenizer {
        &self.inner
    }
}
