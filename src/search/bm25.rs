//! BM25 over the model's tokenizer pieces: a lexical baseline that needs no language-specific analysis
//! (SentencePiece pieces work for Thai and Chinese, where whitespace words do not), so every results table
//! can carry a lexical reference row.
//!
//! Lucene's formulation (as Anserini/Pyserini): idf = ln(1 + (N − df + 0.5) / (df + 0.5)),
//! term score = idf · tf · (k1 + 1) / (tf + k1 · (1 − b + b · len / avg_len)), with Anserini's defaults
//! k1 = 0.9, b = 0.4. A query piece that occurs twice counts twice, as duplicate clauses do in Lucene.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::search::rank::Ranker;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bm25Params {
    pub k1: f32,
    pub b: f32,
}

impl Default for Bm25Params {
    fn default() -> Self {
        Self { k1: 0.9, b: 0.4 }
    }
}

pub struct Bm25Index {
    params: Bm25Params,
    /// term → (document, term frequency) postings.
    postings: HashMap<u32, Vec<(u32, u32)>>,
    doc_len: Vec<u32>,
    avg_len: f32,
    ranker: Ranker,
}

impl Bm25Index {
    /// Indexes documents given as token-piece ids (special tokens already removed).
    pub fn new(docs: &[Vec<u32>], doc_ids: Vec<String>, params: Bm25Params) -> Result<Self> {
        if docs.len() != doc_ids.len() {
            return Err(Error::input(format!("{} documents but {} document ids", docs.len(), doc_ids.len())));
        }
        let ranker = Ranker::new(doc_ids)?;
        let mut postings: HashMap<u32, Vec<(u32, u32)>> = HashMap::new();
        let mut doc_len = Vec::with_capacity(docs.len());
        let mut tf: HashMap<u32, u32> = HashMap::new();
        for (d, pieces) in docs.iter().enumerate() {
            tf.clear();
            for &p in pieces {
                *tf.entry(p).or_default() += 1;
            }
            for (&term, &count) in &tf {
                postings.entry(term).or_default().push((d as u32, count));
            }
            doc_len.push(pieces.len() as u32);
        }
        let avg_len = (doc_len.iter().map(|&l| l as f64).sum::<f64>() / docs.len() as f64).max(1e-9) as f32;
        Ok(Self { params, postings, doc_len, avg_len, ranker })
    }

    /// Scores of every document for one query's pieces (0 for documents sharing no piece).
    pub fn scores(&self, query: &[u32]) -> Vec<f32> {
        let n = self.doc_len.len() as f32;
        let Bm25Params { k1, b } = self.params;
        let mut scores = vec![0f32; self.doc_len.len()];
        for term in query {
            let Some(list) = self.postings.get(term) else { continue };
            let df = list.len() as f32;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            for &(d, tf) in list {
                let tf = tf as f32;
                let norm = k1 * (1.0 - b + b * self.doc_len[d as usize] as f32 / self.avg_len);
                scores[d as usize] += idf * tf * (k1 + 1.0) / (tf + norm);
            }
        }
        scores
    }

    pub fn ranker(&self) -> &Ranker {
        &self.ranker
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_hand_computed_lucene_score() {
        // Docs: [1,1,2] and [3]; query [1]. N = 2, df(1) = 1, avg_len = 2.
        let idx = Bm25Index::new(&[vec![1, 1, 2], vec![3]], vec!["a".into(), "b".into()], Bm25Params::default()).unwrap();
        let s = idx.scores(&[1]);
        let idf = (1.0f32 + (2.0 - 1.0 + 0.5) / (1.0 + 0.5)).ln();
        let want = idf * 2.0 * 1.9 / (2.0 + 0.9 * (1.0 - 0.4 + 0.4 * 3.0 / 2.0));
        assert!((s[0] - want).abs() < 1e-6, "{} vs {want}", s[0]);
        assert_eq!(s[1], 0.0);
        let top = idx.ranker().top_k(&s, 2);
        assert_eq!(idx.ranker().doc_id(top[0].doc), "a");
        // A repeated query piece counts twice.
        assert!((idx.scores(&[1, 1])[0] - 2.0 * want).abs() < 1e-5);
    }

    #[test]
    fn mismatched_inputs_are_errors() {
        assert!(Bm25Index::new(&[vec![1]], vec![], Bm25Params::default()).is_err());
        assert!(Bm25Index::new(&[], vec![], Bm25Params::default()).is_err());
    }
}
