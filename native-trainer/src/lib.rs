//! The trainer's library part: training records and their sources (`data`), the batch sampler, and training
//! itself (`train`). The `lingbridge` binary (main.rs) uses it, as fuzz/ does for the parsers of training files.

pub mod data;
#[doc(hidden)]
pub mod fuzzing;
pub mod sampler;
pub mod train;
