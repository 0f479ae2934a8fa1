//! The files of a model in Hugging Face layout, as bytes keyed by their path inside the model directory.
//!
//! The browser hands us files picked from disk or fetched by URL, the CLI reads a directory: both end up here,
//! so everything downstream (config, tokenizer, weights, pooling) parses bytes and never touches a file system.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// Files that make up a model. Required ones are checked by the readers that need them.
pub const CONFIG: &str = "config.json";
pub const WEIGHTS: &str = "model.safetensors";
pub const TOKENIZER: &str = "tokenizer.json";
/// sentence-transformers: the module list (points at the pooling folder).
pub const ST_MODULES: &str = "modules.json";
/// sentence-transformers: prompts (query/passage prefixes).
pub const ST_CONFIG: &str = "config_sentence_transformers.json";
/// sentence-transformers: max_seq_length.
pub const ST_BERT_CONFIG: &str = "sentence_bert_config.json";
/// sentence-transformers' usual pooling folder, used when modules.json is absent but the folder exists.
pub const ST_DEFAULT_POOLING: &str = "1_Pooling/config.json";

#[derive(Clone, Default)]
pub struct ModelFiles {
    /// Where the files came from, for messages ("models/tiny", "browser upload").
    pub source: String,
    files: BTreeMap<String, Vec<u8>>,
}

impl std::fmt::Debug for ModelFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sizes: Vec<_> = self.files.iter().map(|(k, v)| format!("{k} ({} B)", v.len())).collect();
        f.debug_struct("ModelFiles").field("source", &self.source).field("files", &sizes).finish()
    }
}

impl ModelFiles {
    pub fn new(source: impl Into<String>) -> Self {
        Self { source: source.into(), files: BTreeMap::new() }
    }

    /// Adds a file under its path relative to the model directory (`1_Pooling/config.json`).
    pub fn insert(&mut self, name: impl Into<String>, bytes: Vec<u8>) {
        self.files.insert(name.into().replace('\\', "/"), bytes);
    }

    pub fn with(mut self, name: impl Into<String>, bytes: Vec<u8>) -> Self {
        self.insert(name, bytes);
        self
    }

    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(Vec::as_slice)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The path shown in messages: `source/name`.
    pub fn display(&self, name: &str) -> String {
        if self.source.is_empty() { name.to_string() } else { format!("{}/{}", self.source.trim_end_matches('/'), name) }
    }

    /// A file that must be present.
    pub fn require(&self, name: &str, why: &str) -> Result<&[u8]> {
        self.get(name).ok_or_else(|| Error::MissingFile { file: self.display(name), why: why.to_string() })
    }

    /// Parses a JSON file that must be present.
    pub fn json<T: serde::de::DeserializeOwned>(&self, name: &str, why: &str) -> Result<T> {
        let bytes = self.require(name, why)?;
        serde_json::from_slice(bytes).map_err(|e| Error::json(self.display(name), e))
    }

    /// Parses a JSON file if present.
    pub fn json_opt<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        match self.get(name) {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(bytes).map(Some).map_err(|e| Error::json(self.display(name), e)),
        }
    }

    /// Reads a model directory: the required files and every optional sentence-transformers file present.
    /// Pooling folders named in modules.json are read too.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_dir(dir: impl AsRef<std::path::Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let source = dir.display().to_string();
        if !dir.is_dir() {
            return Err(Error::MissingFile {
                file: source,
                why: "expected a model directory holding config.json, model.safetensors and tokenizer.json".into(),
            });
        }
        let mut files = ModelFiles::new(source);
        let read = |files: &mut ModelFiles, name: &str| -> Result<()> {
            let path = dir.join(name);
            if path.is_file() {
                let bytes = std::fs::read(&path)
                    .map_err(|e| Error::Io { file: path.display().to_string(), message: e.to_string() })?;
                files.insert(name, bytes);
            }
            Ok(())
        };
        for name in [CONFIG, WEIGHTS, TOKENIZER, ST_MODULES, ST_CONFIG, ST_BERT_CONFIG, ST_DEFAULT_POOLING] {
            read(&mut files, name)?;
        }
        for folder in crate::model::pooling::module_folders(&files)? {
            read(&mut files, &format!("{folder}/config.json"))?;
        }
        Ok(files)
    }
}
