//! Evaluation: metrics with trec_eval's conventions, TREC files, and dataset readers (LAReQA, BEIR, MIRACL).
//! Everything here compiles to wasm32 too: the page runs the very same evaluation as `lingbridge eval`.
