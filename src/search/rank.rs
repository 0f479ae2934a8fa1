//! `Ranker`: trec_eval's order over a fixed set of documents — score descending, ties broken by document id
//! descending — with top-k by selection and the ranks of chosen documents by counting, never a full sort.
//! Every scorer (dense, BM25) ranks through it, so every run file we write agrees with trec_eval.

use std::cmp::Ordering;

use crate::error::{Error, Result};

/// One retrieved document: its position among the ranker's documents and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub doc: usize,
    pub score: f32,
}

pub struct Ranker {
    doc_ids: Vec<String>,
    /// Each document's place in descending id order: ties go to the smaller value.
    tie_order: Vec<u32>,
}

impl Ranker {
    /// Refuses an empty set and duplicate ids (a duplicate would make trec_eval's order ambiguous).
    pub fn new(doc_ids: Vec<String>) -> Result<Self> {
        if doc_ids.is_empty() {
            return Err(Error::input("cannot rank zero documents"));
        }
        let mut by_id: Vec<usize> = (0..doc_ids.len()).collect();
        by_id.sort_unstable_by(|&a, &b| doc_ids[b].as_bytes().cmp(doc_ids[a].as_bytes()));
        if let Some(w) = by_id.windows(2).find(|w| doc_ids[w[0]] == doc_ids[w[1]]) {
            return Err(Error::input(format!("document id {:?} appears twice", doc_ids[w[0]])));
        }
        let mut tie_order = vec![0u32; doc_ids.len()];
        for (place, &doc) in by_id.iter().enumerate() {
            tie_order[doc] = place as u32;
        }
        Ok(Self { doc_ids, tie_order })
    }

    pub fn len(&self) -> usize {
        self.doc_ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.doc_ids.is_empty()
    }
    pub fn doc_id(&self, doc: usize) -> &str {
        &self.doc_ids[doc]
    }

    /// trec_eval's order between two documents given one query's scores: `Less` means `a` ranks first.
    #[inline]
    fn order(&self, scores: &[f32], a: usize, b: usize) -> Ordering {
        scores[b].total_cmp(&scores[a]).then(self.tie_order[a].cmp(&self.tie_order[b]))
    }

    /// The best `k` documents for one query's `scores` (one row of `DenseIndex::scores`, or BM25 scores), best first.
    pub fn top_k(&self, scores: &[f32], k: usize) -> Vec<Hit> {
        assert_eq!(scores.len(), self.len(), "one score per document");
        let k = k.min(self.len());
        if k == 0 {
            return vec![];
        }
        let mut docs: Vec<usize> = (0..self.len()).collect();
        if k < docs.len() {
            docs.select_nth_unstable_by(k - 1, |&a, &b| self.order(scores, a, b));
            docs.truncate(k);
        }
        docs.sort_unstable_by(|&a, &b| self.order(scores, a, b));
        docs.into_iter().map(|doc| Hit { doc, score: scores[doc] }).collect()
    }

    /// 1-based ranks of `docs` in the full ranking for one query's `scores`, without sorting the pool:
    /// rank(d) = 1 + number of documents that come before d.
    pub fn ranks_of(&self, scores: &[f32], docs: &[usize]) -> Vec<usize> {
        self.ranks_within(scores, 0..self.len(), docs)
    }

    /// Like [`Self::ranks_of`], but in the ranking of the documents in `pool` only (a contiguous slice of
    /// the documents, e.g. one language's candidates): the order among them is unchanged.
    ///
    /// One pass over the pool with a binary search among the targets sorted best-first: a document that comes
    /// before the i-th target also comes before every later one, so it adds 1 to the ranks of a suffix.
    /// O(pool · log |docs|) rather than O(pool · |docs|).
    pub fn ranks_within(&self, scores: &[f32], pool: std::ops::Range<usize>, docs: &[usize]) -> Vec<usize> {
        assert_eq!(scores.len(), self.len(), "one score per document");
        let mut sorted: Vec<usize> = (0..docs.len()).collect();
        sorted.sort_unstable_by(|&a, &b| self.order(scores, docs[a], docs[b]));
        let targets: Vec<usize> = sorted.iter().map(|&i| docs[i]).collect();
        // starts[i]: documents whose first beaten target is targets[i]; a prefix sum turns that into counts.
        let mut starts = vec![0usize; targets.len() + 1];
        for other in pool {
            let first_beaten = targets.partition_point(|&t| self.order(scores, other, t) != Ordering::Less);
            starts[first_beaten] += 1;
        }
        let mut ranks = vec![0usize; docs.len()];
        let mut before = 0;
        for (i, &idx) in sorted.iter().enumerate() {
            before += starts[i];
            ranks[idx] = 1 + before;
        }
        ranks
    }
}
