//! The files of a model in Hugging Face layout, as bytes keyed by their path inside the model directory.
//!
//! The browser hands us files picked from disk or fetched by URL, the CLI reads a directory: both end up here,
//! so everything downstream (config, tokenizer, weights, pooling) parses bytes and never touches a file system.
//!
//! A `model.gguf` written by `lingbridge quantize` carries the other files in its metadata (see
//! [`crate::model::gguf`]): when the map holds one, [`ModelFiles::get`] answers from it for every file not given
//! explicitly, so the readers of config, tokenizer, pooling and prefixes work unchanged on a single file.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use crate::error::{Error, Result};

/// Files that make up a model. Required ones are checked by the readers that need them.
pub const CONFIG: &str = "config.json";
pub const WEIGHTS: &str = "model.safetensors";
/// The single-file alternative to the directory: weights + every other file in its metadata (`lingbridge quantize`).
pub const GGUF: &str = "model.gguf";
pub const TOKENIZER: &str = "tokenizer.json";
/// sentence-transformers: the module list (points at the pooling folder).
pub const ST_MODULES: &str = "modules.json";
/// sentence-transformers: prompts (query/passage prefixes).
pub const ST_CONFIG: &str = "config_sentence_transformers.json";
/// sentence-transformers: max_seq_length.
pub const ST_BERT_CONFIG: &str = "sentence_bert_config.json";
/// sentence-transformers' usual pooling folder, used when modules.json is absent but the folder exists.
pub const ST_DEFAULT_POOLING: &str = "1_Pooling/config.json";

/// The files embedded in a `model.gguf`, or why its header cannot be read.
type Embedded = std::result::Result<BTreeMap<String, Vec<u8>>, String>;

#[derive(Clone, Default)]
pub struct ModelFiles {
    /// Where the files came from, for messages ("models/tiny", "browser upload").
    pub source: String,
    /// Shared, so the weights reader can keep a file without copying it (the page's model is ~30 MB, and
    /// wasm memory never shrinks after a peak).
    files: BTreeMap<String, Arc<Vec<u8>>>,
    /// The files embedded in `model.gguf`, parsed on first use (or why they cannot be read).
    embedded: OnceLock<Arc<Embedded>>,
    /// `source` is the GGUF file itself ([`ModelFiles::from_path`] on a file).
    single_file: bool,
}

impl std::fmt::Debug for ModelFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sizes: Vec<_> = self.files.iter().map(|(k, v)| format!("{k} ({} B)", v.len())).collect();
        f.debug_struct("ModelFiles").field("source", &self.source).field("files", &sizes).finish()
    }
}

impl ModelFiles {
    pub fn new(source: impl Into<String>) -> Self {
        Self { source: source.into(), files: BTreeMap::new(), embedded: OnceLock::new(), single_file: false }
    }

    /// Adds a file under its path relative to the model directory (`1_Pooling/config.json`).
    pub fn insert(&mut self, name: impl Into<String>, bytes: Vec<u8>) {
        self.files.insert(name.into().replace('\\', "/"), Arc::new(bytes));
        self.embedded = OnceLock::new();
    }

    pub fn with(mut self, name: impl Into<String>, bytes: Vec<u8>) -> Self {
        self.insert(name, bytes);
        self
    }

    /// A file given explicitly, else one embedded in `model.gguf`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        if let Some(bytes) = self.files.get(name) {
            return Some(bytes.as_slice());
        }
        match self.embedded()? {
            Ok(files) => files.get(name).map(Vec::as_slice),
            Err(_) => None,
        }
    }

    /// A file given explicitly, shared rather than copied.
    pub fn shared(&self, name: &str) -> Option<Arc<Vec<u8>>> {
        self.files.get(name).cloned()
    }

    /// Every file name: those given explicitly and those embedded in `model.gguf`.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        let embedded = match self.embedded() {
            Some(Ok(files)) => Some(files.keys().filter(|k| !self.files.contains_key(*k))),
            _ => None,
        };
        self.files.keys().chain(embedded.into_iter().flatten()).map(String::as_str)
    }

    fn embedded(&self) -> Option<&Embedded> {
        let gguf = self.files.get(GGUF)?;
        let parsed = self.embedded.get_or_init(|| Arc::new(crate::model::gguf::read_header(gguf).and_then(|c| crate::model::gguf::embedded_files(&c))));
        Some(parsed.as_ref())
    }

    /// The path shown in messages: `source/name` (just `source` for the GGUF file itself when it was opened as one).
    pub fn display(&self, name: &str) -> String {
        if name == GGUF && self.single_file {
            return self.source.clone();
        }
        if self.source.is_empty() { name.to_string() } else { format!("{}/{}", self.source.trim_end_matches('/'), name) }
    }

    /// A file that must be present. When a `model.gguf` that should have held it cannot be read, the error says why.
    pub fn require(&self, name: &str, why: &str) -> Result<&[u8]> {
        if let Some(bytes) = self.get(name) {
            return Ok(bytes);
        }
        if let Some(Err(message)) = self.embedded() {
            return Err(Error::invalid(self.display(GGUF), message.clone()));
        }
        Err(Error::MissingFile { file: self.display(name), why: why.to_string() })
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

    /// A model directory ([`ModelFiles::from_dir`]) or a single `.gguf` file written by `lingbridge quantize`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_path(path: impl AsRef<std::path::Path>) -> Result<Self> {
        let path = path.as_ref();
        if path.is_dir() {
            return Self::from_dir(path);
        }
        let source = path.display().to_string();
        if !path.is_file() {
            return Err(Error::MissingFile {
                file: source,
                why: "expected a model directory (config.json, model.safetensors, tokenizer.json) or a .gguf file".into(),
            });
        }
        let bytes = std::fs::read(path).map_err(|e| Error::Io { file: source.clone(), message: e.to_string() })?;
        if !crate::model::gguf::is_gguf(&bytes) {
            return Err(Error::invalid(source, "not a GGUF file (expected a model directory or a file from `lingbridge quantize`)"));
        }
        // Named after the file, so messages read `tiny.q8_0.gguf/config.json` for an embedded file.
        let mut files = ModelFiles::new(source).with(GGUF, bytes);
        files.single_file = true;
        Ok(files)
    }

    /// Reads a model directory: the required files and every optional sentence-transformers file present.
    /// The module folders named in modules.json (Pooling, Dense) are read too.
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
        for name in [CONFIG, WEIGHTS, GGUF, TOKENIZER, ST_MODULES, ST_CONFIG, ST_BERT_CONFIG, ST_DEFAULT_POOLING] {
            read(&mut files, name)?;
        }
        for folder in crate::model::st_modules::module_folders(&files)? {
            read(&mut files, &format!("{folder}/config.json"))?;
            // A Dense module's weights (a pickle is read only to be refused by name in `model::head`).
            read(&mut files, &format!("{folder}/model.safetensors"))?;
            read(&mut files, &format!("{folder}/pytorch_model.bin"))?;
        }
        Ok(files)
    }
}
