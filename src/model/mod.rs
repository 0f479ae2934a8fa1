//! The model as files describe it: config, tokenizer, weights, pooling. No arithmetic on text lives here
//! except pooling, which every backend shares.

pub mod config;
pub mod e5s1;
pub mod files;
pub mod gguf;
pub mod head;
pub mod pooling;
pub mod quant;
pub mod rounding;
pub mod st_modules;
pub mod tokenizer;
pub mod trim;
pub mod weights;

pub use config::{EncoderConfig, Family, HiddenAct, Positions};
pub use files::ModelFiles;
pub use head::{DenseActivation, DenseLayer, SentenceHead};
pub use pooling::{Pooling, PoolingMode};
pub use tokenizer::{Prefixes, TextKind, TextTokenizer, TokenBatch};
pub use quant::{PackedQuant, QuantScheme};
pub use weights::{LinearWeight, Weights};
