//! The wasm-bindgen API the page's Web Worker calls (wasm32 only). Thin on purpose: it converts JS values
//! to the core's types and back, and turns every error into a JS exception carrying the core's message.
//!
//! `Engine` loads a model and embeds text; `SearchIndex` (search.rs) and `LareqaEvaluation` (evaluation.rs) rank
//! the vectors it returns. Loading and embedding return Promises: on the WebGPU backend the read-back of results is asynchronous.

mod evaluation;
mod search;

pub use evaluation::{BeirEvaluation, LareqaEvaluation, LareqaRun};
pub use search::SearchIndex;

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::encode::BackendChoice;
use crate::{Encoder, EncoderOptions, ModelFiles, Pooling, TextKind};

fn js_err(e: crate::Error) -> JsError {
    JsError::new(&e.to_string())
}

/// A loaded model ready to embed text.
#[wasm_bindgen]
pub struct Engine {
    // Shared with the futures of pending `embed` calls, which outlive the `&self` borrow of the call.
    encoder: Rc<Encoder>,
}

/// The `{name: Uint8Array}` object the worker passes for a set of files, as (name, bytes) pairs.
fn file_entries(files: &js_sys::Object) -> Result<Vec<(String, Vec<u8>)>, JsError> {
    js_sys::Object::entries(files)
        .iter()
        .map(|entry| {
            let pair = js_sys::Array::from(&entry);
            let name = pair.get(0).as_string().ok_or_else(|| JsError::new("file names must be strings"))?;
            let value = pair.get(1);
            if !value.is_instance_of::<js_sys::Uint8Array>() {
                return Err(JsError::new(&format!("{name}: expected a Uint8Array of the file's bytes")));
            }
            Ok((name, js_sys::Uint8Array::new(&value).to_vec()))
        })
        .collect()
}

fn model_files(files: &js_sys::Object, source: Option<String>) -> Result<ModelFiles, JsError> {
    let mut model = ModelFiles::new(source.unwrap_or_else(|| "model".into()));
    for (name, bytes) in file_entries(files)? {
        model.insert(name, bytes);
    }
    Ok(model)
}

#[wasm_bindgen]
impl Engine {
    /// Loads a model from its files: `files` maps paths inside a Hugging Face model directory
    /// (`"config.json"`, `"model.safetensors"`, `"tokenizer.json"`, optionally `"modules.json"`,
    /// `"1_Pooling/config.json"`, `"config_sentence_transformers.json"`, `"sentence_bert_config.json"`) — or
    /// `"model.gguf"` alone, a file written by `lingbridge quantize` — to `Uint8Array`s. `source` names the model
    /// in error messages. `pooling` ("mean" | "cls") overrides the model's own choice. `backend` is "cpu",
    /// "gpu" or "auto" (default): the GPU is WebGPU, and when it cannot be had the engine runs on the CPU and
    /// `backendInfo()` says why.
    pub async fn create(
        files: js_sys::Object,
        source: Option<String>,
        pooling: Option<String>,
        backend: Option<String>,
    ) -> Result<Engine, JsError> {
        console_error_panic_hook::set_once();
        let model = model_files(&files, source)?;
        let pooling = pooling.map(|p| p.parse::<Pooling>()).transpose().map_err(js_err)?;
        let backend = match backend {
            Some(b) => b.parse::<BackendChoice>().map_err(js_err)?,
            None => BackendChoice::Auto,
        };
        let options = EncoderOptions { pooling, backend, ..EncoderOptions::default() };
        let encoder = Encoder::load_async(&model, &options).await.map_err(js_err)?;
        Ok(Engine { encoder: Rc::new(encoder) })
    }

    /// Embeds `texts` as `kind` ("query" | "passage"): a Promise of a Float32Array of `texts.length × dim` unit
    /// vectors, row-major, in input order.
    pub fn embed(&self, texts: Vec<String>, kind: String) -> js_sys::Promise {
        let encoder = self.encoder.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let kind: TextKind = kind.parse().map_err(js_err)?;
            let emb = encoder.embed_async(&texts, kind).await.map_err(js_err)?;
            Ok(js_sys::Float32Array::from(emb.data.as_slice()).into())
        })
    }

    /// Token ids of one text (no prefix), for inspection.
    #[wasm_bindgen(js_name = tokenIds)]
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>, JsError> {
        self.encoder.tokenizer().ids(text).map_err(js_err)
    }

    /// Embedding width.
    #[wasm_bindgen(getter)]
    pub fn dim(&self) -> usize {
        self.encoder.dim()
    }

    /// Which backend runs the next forward pass: "gpu" or "cpu".
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.encoder.backend_name().to_string()
    }

    /// JSON: `{name, device, fallback, word_table_on_host}` — the adapter, and why the CPU runs if a GPU was asked for.
    #[wasm_bindgen(js_name = backendInfo)]
    pub fn backend_info(&self) -> String {
        serde_json::to_string(&self.encoder.backend_info()).unwrap_or_default()
    }

    /// A JSON description of the model (sizes, pooling, prefixes, max tokens, backend) for the page to show.
    pub fn info(&self) -> String {
        let c = self.encoder.config();
        let t = self.encoder.tokenizer();
        serde_json::json!({
            "model_type": c.model_type,
            "layers": c.num_hidden_layers,
            "hidden": c.hidden_size,
            "heads": c.num_attention_heads,
            "vocab": c.vocab_size,
            "max_tokens": t.max_tokens,
            "pooling": self.encoder.pooling(),
            "query_prefix": t.prefixes.query,
            "passage_prefix": t.prefixes.passage,
            "backend": self.encoder.backend_info(),
        })
        .to_string()
    }
}
