//! Shared by the test files: the fixture model (embedded with include_bytes!, so the very same bytes are used
//! natively and in the browser), its Hugging Face reference outputs, comparisons, and a macro that runs one
//! test body as a native #[test] and as a #[wasm_bindgen_test] in headless Chrome.
#![allow(dead_code)]

use lingbridge::ModelFiles;
use serde::Deserialize;

/// Declares tests that run natively and in the browser.
#[macro_export]
macro_rules! everywhere {
    ($($(#[$meta:meta])* fn $name:ident() $body:block)*) => {$(
        $(#[$meta])*
        #[cfg_attr(not(target_arch = "wasm32"), test)]
        #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
        fn $name() $body
    )*};
}

/// Declares async tests that run natively (blocking on the future) and in the browser (awaited), for the GPU
/// paths whose results come back asynchronously in WebGPU.
#[macro_export]
macro_rules! everywhere_async {
    ($($(#[$meta:meta])* async fn $name:ident() $body:block)*) => {$(
        #[cfg(not(target_arch = "wasm32"))]
        $(#[$meta])*
        #[test]
        fn $name() {
            pollster::block_on(async $body)
        }
        #[cfg(target_arch = "wasm32")]
        $(#[$meta])*
        #[wasm_bindgen_test::wasm_bindgen_test]
        async fn $name() $body
    )*};
}

pub mod gpu;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny-xlmr/", $name)).to_vec()
    };
}

/// The tiny XLM-R checkpoint of scripts/make_fixture.py, as the browser would hand it over.
pub fn tiny_xlmr() -> ModelFiles {
    ModelFiles::new("tiny-xlmr")
        .with("config.json", fixture!("config.json"))
        .with("model.safetensors", fixture!("model.safetensors"))
        .with("tokenizer.json", fixture!("tokenizer.json"))
        .with("modules.json", fixture!("modules.json"))
        .with("1_Pooling/config.json", fixture!("1_Pooling/config.json"))
        .with("config_sentence_transformers.json", fixture!("config_sentence_transformers.json"))
        .with("sentence_bert_config.json", fixture!("sentence_bert_config.json"))
}

#[derive(Deserialize)]
pub struct Reference {
    pub max_tokens: usize,
    pub dim: usize,
    pub sentences: Vec<RefSentence>,
}

#[derive(Deserialize)]
pub struct RefSentence {
    pub text: String,
    pub ids: Vec<u32>,
    pub mean: Vec<f32>,
    pub cls: Vec<f32>,
    pub query_mean: Vec<f32>,
}

/// Token ids and embeddings computed by Hugging Face tokenizers + transformers (PyTorch).
pub fn reference() -> Reference {
    let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny-xlmr-reference.json"));
    serde_json::from_str(text).expect("reference JSON parses")
}

/// The tiny BERT fixtures of scripts/make_bert_fixtures.py, byte for byte as on disk.
macro_rules! bert_fixture {
    ($dir:literal, $name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/", $dir, "/", $name)).to_vec()
    };
}

/// Random BERT, uncased WordPiece, mean pooling, query/passage prompts (multilingual-e5-small's shape).
pub fn tiny_bert_wordpiece() -> ModelFiles {
    ModelFiles::new("tiny-bert-wordpiece")
        .with("config.json", bert_fixture!("tiny-bert-wordpiece", "config.json"))
        .with("model.safetensors", bert_fixture!("tiny-bert-wordpiece", "model.safetensors"))
        .with("tokenizer.json", bert_fixture!("tiny-bert-wordpiece", "tokenizer.json"))
        .with("modules.json", bert_fixture!("tiny-bert-wordpiece", "modules.json"))
        .with("1_Pooling/config.json", bert_fixture!("tiny-bert-wordpiece", "1_Pooling/config.json"))
        .with("config_sentence_transformers.json", bert_fixture!("tiny-bert-wordpiece", "config_sentence_transformers.json"))
        .with("sentence_bert_config.json", bert_fixture!("tiny-bert-wordpiece", "sentence_bert_config.json"))
}

/// LaBSE's shape: random BERT with pooler, cased WordPiece, CLS pooling → Dense(32 → 32, tanh) → Normalize.
pub fn tiny_labse() -> ModelFiles {
    ModelFiles::new("tiny-labse")
        .with("config.json", bert_fixture!("tiny-labse", "config.json"))
        .with("model.safetensors", bert_fixture!("tiny-labse", "model.safetensors"))
        .with("tokenizer.json", bert_fixture!("tiny-labse", "tokenizer.json"))
        .with("modules.json", bert_fixture!("tiny-labse", "modules.json"))
        .with("1_Pooling/config.json", bert_fixture!("tiny-labse", "1_Pooling/config.json"))
        .with("2_Dense/config.json", bert_fixture!("tiny-labse", "2_Dense/config.json"))
        .with("2_Dense/model.safetensors", bert_fixture!("tiny-labse", "2_Dense/model.safetensors"))
        .with("sentence_bert_config.json", bert_fixture!("tiny-labse", "sentence_bert_config.json"))
}

/// A BERT fixture's reference: ids from the `tokenizers` library, embeddings from transformers /
/// sentence-transformers on exactly those ids.
#[derive(Deserialize)]
pub struct BertReference {
    pub max_tokens: usize,
    pub dim: usize,
    pub sentences: Vec<BertRefSentence>,
}

#[derive(Deserialize)]
pub struct BertRefSentence {
    pub text: String,
    pub ids: Vec<u32>,
    /// The model's own head (wordpiece: mean; labse: CLS → Dense → Normalize).
    pub embedding: Vec<f32>,
    /// The "query: "-prefixed text (fixtures with prompts).
    #[serde(default)]
    pub query_embedding: Option<Vec<f32>>,
    /// sentence-transformers' max pooling + Normalize (wordpiece only).
    #[serde(default)]
    pub max: Option<Vec<f32>>,
}

pub fn bert_wordpiece_reference() -> BertReference {
    let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny-bert-wordpiece-reference.json"));
    serde_json::from_str(text).expect("reference JSON parses")
}

pub fn labse_reference() -> BertReference {
    let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny-labse-reference.json"));
    serde_json::from_str(text).expect("reference JSON parses")
}

pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "vector lengths differ");
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

/// Asserts HF parity for one sentence: max abs difference ≤ 1e-5 and cosine ≥ 0.99999.
pub fn assert_close(got: &[f32], want: &[f32], what: &str) {
    let diff = max_abs_diff(got, want);
    let cos = cosine(got, want);
    assert!(diff <= 1e-5 && cos >= 0.99999, "{what}: max abs diff {diff:e}, cosine {cos}");
}
