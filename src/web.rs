//! The wasm-bindgen API the page's Web Worker calls (wasm32 only). Thin on purpose: it converts JS values
//! to the core's types and back, and turns every error into a JS exception carrying the core's message.

use wasm_bindgen::prelude::*;

use crate::{Encoder, EncoderOptions, ModelFiles, Pooling, TextKind};

fn js_err(e: crate::Error) -> JsError {
    JsError::new(&e.to_string())
}

/// A loaded model ready to embed text.
#[wasm_bindgen]
pub struct Engine {
    encoder: Encoder,
}

#[wasm_bindgen]
impl Engine {
    /// Loads a model from its files: `files` maps paths inside a Hugging Face model directory
    /// (`"config.json"`, `"model.safetensors"`, `"tokenizer.json"`, optionally `"modules.json"`,
    /// `"1_Pooling/config.json"`, `"config_sentence_transformers.json"`, `"sentence_bert_config.json"`) to
    /// `Uint8Array`s. `source` names the model in error messages. `pooling` ("mean" | "cls") overrides the
    /// model's own choice.
    #[wasm_bindgen(constructor)]
    pub fn new(files: js_sys::Object, source: Option<String>, pooling: Option<String>) -> Result<Engine, JsError> {
        console_error_panic_hook::set_once();
        let mut model = ModelFiles::new(source.unwrap_or_else(|| "model".into()));
        for entry in js_sys::Object::entries(&files).iter() {
            let pair = js_sys::Array::from(&entry);
            let name = pair.get(0).as_string().ok_or_else(|| JsError::new("file names must be strings"))?;
            let value = pair.get(1);
            if !value.is_instance_of::<js_sys::Uint8Array>() {
                return Err(JsError::new(&format!("{name}: expected a Uint8Array of the file's bytes")));
            }
            model.insert(name, js_sys::Uint8Array::new(&value).to_vec());
        }
        let pooling = pooling.map(|p| p.parse::<Pooling>()).transpose().map_err(js_err)?;
        let options = EncoderOptions { pooling, ..EncoderOptions::default() };
        Ok(Engine { encoder: Encoder::load(&model, &options).map_err(js_err)? })
    }

    /// Embeds `texts` as `kind` ("query" | "passage"): a Float32Array of `texts.length × dim` unit vectors,
    /// row-major, in input order.
    pub fn embed(&self, texts: Vec<String>, kind: &str) -> Result<js_sys::Float32Array, JsError> {
        let kind: TextKind = kind.parse().map_err(js_err)?;
        let emb = self.encoder.embed(&texts, kind).map_err(js_err)?;
        Ok(js_sys::Float32Array::from(emb.data.as_slice()))
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

    /// Which backend runs the forward pass ("cpu" today).
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.encoder.backend_name().to_string()
    }

    /// A JSON description of the model (sizes, pooling, prefixes, max tokens) for the page to show.
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
            "backend": self.encoder.backend_name(),
        })
        .to_string()
    }
}
