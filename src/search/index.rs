//! `DenseIndex`: L2-normalised passage embeddings and dot-product scores; ranking is `rank::Ranker`'s.
//!
//! Scores for a block of queries come from one matrix product (candle's CPU matmul, also in wasm), so a
//! 13k × 13k pool is a handful of GEMMs.

use candle_core::{Device, Tensor};

use crate::encode::Embeddings;
use crate::error::{Error, Result, candle_message};
use crate::search::rank::Ranker;

pub struct DenseIndex {
    dim: usize,
    /// n × dim, row-major, on the CPU.
    matrix: Tensor,
    ranker: Ranker,
}

/// Queries scored per matrix product: bounds memory at block × n floats.
const QUERY_BLOCK: usize = 256;

impl DenseIndex {
    /// Builds an index over `embeddings` (one row per document) named by `doc_ids`.
    pub fn new(embeddings: &Embeddings, doc_ids: Vec<String>) -> Result<Self> {
        if embeddings.len() != doc_ids.len() {
            return Err(Error::input(format!(
                "{} embeddings but {} document ids",
                embeddings.len(),
                doc_ids.len()
            )));
        }
                let matrix = Tensor::from_slice(&embeddings.data, (doc_ids.len(), embeddings.dim), &Device::Cpu)
            .map_err(|e| Error::backend("building the index", candle_message(&e)))?;
        Ok(Self { dim: embeddings.dim, matrix, ranker: Ranker::new(doc_ids)? })
    }

    pub fn len(&self) -> usize {
        self.ranker.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ranker.len() == 0
    }
    pub fn dim(&self) -> usize {
        self.dim
    }
    pub fn doc_id(&self, doc: usize) -> &str {
        self.ranker.doc_id(doc)
    }

    /// Scores of every document for each query: `queries.len() × self.len()`, row-major.
    pub fn scores(&self, queries: &Embeddings) -> Result<Vec<f32>> {
        if queries.dim != self.dim {
            return Err(Error::input(format!("query dimension {} differs from the index's {}", queries.dim, self.dim)));
        }
        let ctx = "scoring queries against the index";
        let t = self.matrix.t().map_err(|e| Error::backend(ctx, candle_message(&e)))?;
        let mut out = Vec::with_capacity(queries.len() * self.len());
        for block in queries.data.chunks(QUERY_BLOCK * self.dim) {
            let q = Tensor::from_slice(block, (block.len() / self.dim, self.dim), &Device::Cpu)
                .and_then(|q| q.matmul(&t))
                .and_then(|s| s.flatten_all())
                .and_then(|s| s.to_vec1::<f32>())
                .map_err(|e| Error::backend(ctx, candle_message(&e)))?;
            out.extend_from_slice(&q);
        }
        Ok(out)
    }

    /// Ranking over this index's documents (top-k, ranks of given documents) in trec_eval's order.
    pub fn ranker(&self) -> &Ranker {
        &self.ranker
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(rows: &[[f32; 2]], ids: &[&str]) -> DenseIndex {
        let data = rows.iter().flatten().copied().collect();
        DenseIndex::new(&Embeddings { dim: 2, data }, ids.iter().map(|s| s.to_string()).collect()).unwrap()
    }

    #[test]
    fn ranks_follow_trec_eval_ties_by_descending_id() {
        // Three documents tie on score; "d9" > "d10" > "d1" in string order, so d9 ranks first.
        let idx = index(&[[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], &["d1", "d10", "d9", "d2"]);
        let q = Embeddings { dim: 2, data: vec![1.0, 0.0] };
        let scores = idx.scores(&q).unwrap();
        let top: Vec<&str> = idx.ranker().top_k(&scores, 4).iter().map(|h| idx.doc_id(h.doc)).collect();
        assert_eq!(top, ["d9", "d10", "d1", "d2"]);
        assert_eq!(idx.ranker().ranks_of(&scores, &[0, 1, 2, 3]), vec![3, 2, 1, 4]);
        let top2: Vec<&str> = idx.ranker().top_k(&scores, 2).iter().map(|h| idx.doc_id(h.doc)).collect();
        assert_eq!(top2, ["d9", "d10"]);
    }

    #[test]
    fn ranks_agree_with_a_full_sort() {
        // Pseudo-random vectors with repeated values so ties occur.
        let n = 300;
        let mut s = 7u32;
        let mut next = || {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            ((s >> 16) % 5) as f32 - 2.0
        };
        let rows: Vec<[f32; 2]> = (0..n).map(|_| [next(), next()]).collect();
        let ids: Vec<String> = (0..n).map(|i| format!("doc{i}")).collect();
        let data = rows.iter().flatten().copied().collect();
        let idx = DenseIndex::new(&Embeddings { dim: 2, data }, ids.clone()).unwrap();
        let scores = idx.scores(&Embeddings { dim: 2, data: vec![0.6, 0.8] }).unwrap();
        let full = idx.ranker().top_k(&scores, n);
        let docs: Vec<usize> = (0..n).step_by(7).collect();
        for (d, r) in docs.iter().zip(idx.ranker().ranks_of(&scores, &docs)) {
            assert_eq!(full[r - 1].doc, *d);
        }
        for w in full.windows(2) {
            assert!(w[0].score > w[1].score || (w[0].score == w[1].score && ids[w[0].doc] > ids[w[1].doc]));
        }
    }

    #[test]
    fn bad_shapes_are_errors() {
        let e = DenseIndex::new(&Embeddings { dim: 2, data: vec![1.0, 0.0] }, vec!["a".into(), "b".into()]);
        assert!(e.err().unwrap().to_string().contains("1 embeddings but 2 document ids"));
        let e = DenseIndex::new(&Embeddings { dim: 1, data: vec![1.0, 0.5] }, vec!["a".into(), "a".into()]);
        assert!(e.err().unwrap().to_string().contains("appears twice"));
        let idx = index(&[[1.0, 0.0]], &["a"]);
        assert!(idx.scores(&Embeddings { dim: 3, data: vec![0.0; 3] }).is_err());
    }
}
