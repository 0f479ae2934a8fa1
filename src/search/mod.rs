//! Search: an exact dense index over unit vectors and the BM25 lexical baseline, both ranked by `Ranker`.
//! Ranking follows trec_eval's order everywhere — score descending, ties broken by document id descending —
//! so ranks computed here equal those trec_eval computes from the run files we write.

pub mod bm25;
pub mod index;
pub mod passages;
pub mod rank;

pub use bm25::{Bm25Index, Bm25Params};
pub use index::DenseIndex;
pub use passages::{PassageHit, PassageIndex};
pub use rank::{Hit, Ranker};
