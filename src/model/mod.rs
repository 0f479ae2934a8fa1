//! The model as files describe it: config, tokenizer, weights, pooling. No arithmetic on text lives here
//! except pooling, which every backend shares.

pub mod config;
pub mod files;
pub mod gguf;
pub mod pooling;
pub mod quant;
pub mod tokenizer;
pub mod weights;

pub use config::{EncoderConfig, HiddenAct};
pub use files::ModelFiles;
pub use pooling::Pooling;
pub use tokenizer::{Prefixes, TextKind, TextTokenizer, TokenBatch};
pub use quant::{PackedQuant, QuantScheme};
pub use weights::{LinearWeight, Weights};
