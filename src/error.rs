//! One error type for the whole core. Every variant names the file (or input item) and the problem,
//! because the people who see these messages are loading their own models in a browser tab.

use std::fmt;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file the model needs is not there.
    #[error("{file}: missing ({why})")]
    MissingFile { file: String, why: String },

    /// Reading a file failed (permissions, a directory instead of a file, …).
    #[error("{file}: cannot read: {message}")]
    Io { file: String, message: String },

    /// A JSON file does not parse or lacks a field; serde's message carries line and column.
    #[error("{file}: invalid JSON: {message}")]
    Json { file: String, message: String },

    /// A well-formed file describes something we do not support (architecture, pooling mode, dtype …).
    #[error("{file}: unsupported: {message}")]
    Unsupported { file: String, message: String },

    /// A well-formed file whose content is inconsistent (tensor shapes, vocabulary sizes …).
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },

    /// The caller's input (texts, options) cannot be processed.
    #[error("bad input: {0}")]
    Input(String),

    /// The tokenizer failed on an input.
    #[error("tokenizer: {0}")]
    Tokenizer(String),

    /// A numerical backend failed; `context` says which step.
    #[error("{context}: {message}")]
    Backend { context: String, message: String },
}

impl Error {
    pub fn json(file: impl Into<String>, err: impl fmt::Display) -> Self {
        Error::Json { file: file.into(), message: err.to_string() }
    }
    pub fn unsupported(file: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Unsupported { file: file.into(), message: message.into() }
    }
    pub fn invalid(file: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid { file: file.into(), message: message.into() }
    }
    pub fn input(message: impl Into<String>) -> Self {
        Error::Input(message.into())
    }
    pub fn backend(context: impl Into<String>, err: impl fmt::Display) -> Self {
        Error::Backend { context: context.into(), message: err.to_string() }
    }
}

/// candle's message without the backtrace it attaches when RUST_BACKTRACE is set: users need the
/// sentence ("shape mismatch for encoder.layer.0…"), not fifty frames.
pub fn candle_message(err: &candle_core::Error) -> String {
    match err {
        candle_core::Error::WithBacktrace { inner, .. } => candle_message(inner),
        candle_core::Error::Context { inner, context } => format!("{context}: {}", candle_message(inner)),
        other => other.to_string(),
    }
}
