//! Evaluation: metrics with trec_eval's conventions, TREC files, dataset readers (LAReQA, BEIR, MIRACL), the
//! LAReQA protocol, language bias, query perturbations and the report type.
//! Everything here compiles to wasm32 too: the page runs the very same evaluation as `lingbridge eval`.

pub mod beir;
pub mod bias;
pub mod dense;
pub mod heatmap;
pub mod lareqa;
pub mod metrics;
pub mod miracl;
pub mod perturb;
pub mod protocol;
pub mod report;
pub mod trec;
