//! LingBridge's shared core, compiled natively (CLI, trainer) and to wasm32 (the page).
//!
//! The data flow, one module per step:
//! 1. `model`  — a Hugging Face model directory (config, tokenizer, weights, pooling) read from bytes;
//! 2. `model::tokenizer` — text → token ids (prefix, truncation, padding);
//! 3. `encode` — token ids → hidden states on a backend (CPU via candle today) → pooled unit vectors;
//! 4. (next) index and rank, then metrics — the same code in the CLI and the page;
//! 5. `web` — the wasm-bindgen API the page's worker calls (wasm32 only).

#[cfg(not(target_arch = "wasm32"))] pub mod data_paths;
pub mod encode;
pub mod error;
pub mod eval;
#[cfg(not(target_arch = "wasm32"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod model;
pub mod search;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use encode::{Embeddings, Encoder, EncoderOptions};
pub use error::{Error, Result};
pub use model::{ModelFiles, Pooling, Prefixes, TextKind};
