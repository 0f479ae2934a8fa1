//! `SearchIndex`: the page's passage index (`search::PassageIndex`) for the worker. The worker embeds the
//! passages with `Engine::embed` (chunk by chunk, for its progress bar) and adds the vectors here; texts stay
//! in JavaScript, results name passages by id and insertion position. The built-in corpus can instead arrive
//! as the precomputed embeddings file shipped with a built-in model (`addEncoded`), checked before it is added.

use wasm_bindgen::prelude::*;

use super::js_err;
use crate::search::PassageIndex;
use crate::search::passages::VectorDtype;

#[wasm_bindgen]
pub struct SearchIndex {
    inner: PassageIndex,
}

#[wasm_bindgen]
impl SearchIndex {
    /// An empty index for vectors of width `dim` (the model's `Engine.dim`).
    #[wasm_bindgen(constructor)]
    pub fn new(dim: usize) -> SearchIndex {
        SearchIndex { inner: PassageIndex::new(dim) }
    }

    /// Adds passages: `vectors` is `ids.length × dim` values from `Engine.embed(…, "passage")`. Refuses the
    /// whole chunk (nothing added) on repeated or empty ids or mismatched lengths.
    pub fn add(&mut self, ids: Vec<String>, langs: Vec<String>, vectors: &[f32]) -> Result<(), JsError> {
        self.inner.add(ids, langs, vectors).map_err(js_err)
    }

    /// Adds passages whose vectors are the bytes of a precomputed embeddings file: `ids.length × dim` values,
    /// little-endian `dtype` ("f32" | "f16"). Refuses the whole file (nothing added) when its size does not fit,
    /// a value is not finite or a row is not a unit vector, and on `add`'s grounds.
    #[wasm_bindgen(js_name = addEncoded)]
    pub fn add_encoded(&mut self, ids: Vec<String>, langs: Vec<String>, bytes: &[u8], dtype: &str) -> Result<(), JsError> {
        let dtype: VectorDtype = dtype.parse().map_err(js_err)?;
        self.inner.add_encoded(ids, langs, bytes, dtype).map_err(js_err)
    }

    pub fn clear(&mut self) {
        self.inner.clear();
    }

    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.inner.len()
    }

    /// JSON `{lang: count}`.
    pub fn languages(&self) -> String {
        serde_json::to_string(&self.inner.languages()).unwrap_or_default()
    }

    /// The best `k` passages for a query vector (`Engine.embed(…, "query")`), only languages in `langs` when
    /// given: JSON `[{rank, doc, id, lang, score}]`.
    pub fn search(&self, query: &[f32], k: usize, langs: Option<Vec<String>>) -> Result<String, JsError> {
        let hits = self.inner.search(query, k, langs.as_deref()).map_err(js_err)?;
        Ok(serde_json::to_string(&hits).unwrap_or_default())
    }
}
