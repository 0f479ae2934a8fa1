//! The LAReQA protocol over a [`LareqaSet`]: the Mo / Cr / Mul settings with mAP, R@1 and R@10, the
//! language-pair matrix, and language bias — from score rows, whatever produced them (dense or BM25).
//!
//! - **Mo**: queries of language L against L's candidates; per-language means, macro-averaged over languages.
//! - **Cr**: queries of L against another language's candidates; per-pair means, macro-averaged over the
//!   ordered pairs (110 for XQuAD-R, 42 for MLQA-R).
//! - **Mul**: every query against all candidates; the mean over all queries (micro, `mul`) and the mean of the
//!   per-query-language means (macro, `mul_macro`). They coincide when languages have equal question counts
//!   (XQuAD-R) and differ on MLQA-R (1,148 English questions, ~500 in the others).
//!
//! A query counts in a setting only when the pool holds at least one of its relevant candidates (trec_eval
//! averages only queries that have relevant documents). Ranks follow trec_eval's order (see `search::rank`),
//! and one score row per query serves every setting: a language's pool is a slice of the full row.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::eval::bias::{BiasReport, QueryBias, SHARE_CUTOFF, language_bias};
use crate::eval::lareqa::LareqaSet;
use crate::eval::metrics::{ap_from_ranks, recall_at_k_from_ranks};
use crate::search::Ranker;

/// Mean mAP, R@1 and R@10 over a set of queries.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Scores {
    pub map: f64,
    pub recall_1: f64,
    pub recall_10: f64,
    pub queries: usize,
}

#[derive(Default, Clone, Copy)]
struct Sum {
    ap: f64,
    r1: f64,
    r10: f64,
    n: usize,
}

impl Sum {
    fn add(&mut self, ranks: &[usize], num_rel: usize) {
        self.ap += ap_from_ranks(ranks, num_rel);
        self.r1 += recall_at_k_from_ranks(ranks, num_rel, 1);
        self.r10 += recall_at_k_from_ranks(ranks, num_rel, 10);
        self.n += 1;
    }
    fn mean(self) -> Scores {
        let n = self.n.max(1) as f64;
        Scores { map: self.ap / n, recall_1: self.r1 / n, recall_10: self.r10 / n, queries: self.n }
    }
}

/// Macro average of several means (empty ones are left out).
fn macro_average<'a>(parts: impl IntoIterator<Item = &'a Scores>) -> Scores {
    let parts: Vec<&Scores> = parts.into_iter().filter(|s| s.queries > 0).collect();
    let n = parts.len().max(1) as f64;
    Scores {
        map: parts.iter().map(|s| s.map).sum::<f64>() / n,
        recall_1: parts.iter().map(|s| s.recall_1).sum::<f64>() / n,
        recall_10: parts.iter().map(|s| s.recall_10).sum::<f64>() / n,
        queries: parts.iter().map(|s| s.queries).sum(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LareqaScores {
    pub languages: Vec<String>,
    pub mo: Scores,
    pub cr: Scores,
    pub mul: Scores,
    /// Mul macro-averaged over query languages (older reports lack it).
    #[serde(default)]
    pub mul_macro: Scores,
    /// `pairs[q][p]`: queries in language q against language p's candidates (the diagonal is Mo's).
    pub pairs: Vec<Vec<Scores>>,
    /// Mul scores of each query language.
    pub mul_per_language: BTreeMap<String, Scores>,
    pub bias: BiasReport,
}

/// Everything the runner needs to know about one question's Mul ranking, handed to `on_mul_row` so the
/// caller can write run files without a second pass.
pub struct MulRow<'a> {
    pub question: usize,
    pub scores: &'a [f32],
}

/// Runs the protocol. `score_block(range)` returns the scores of questions `range` against every candidate
/// (`range.len() × set.candidates.len()`, row-major); `ranker` ranks the candidates (built from their ids);
/// `block` is how many questions to score at a time; `on_mul_row` sees every question's full row;
/// `progress(done, total)` is called after each block.
pub fn evaluate_lareqa(
    set: &LareqaSet,
    ranker: &Ranker,
    block: usize,
    score_block: &mut dyn FnMut(Range<usize>) -> Result<Vec<f32>>,
    on_mul_row: &mut dyn FnMut(MulRow<'_>) -> Result<()>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<LareqaScores> {
    let langs = set.languages.len();
    let n_cand = set.candidates.len();
    let total = set.questions.len();
    let pools: Vec<Range<usize>> = (0..langs).map(|l| set.candidates_of(l)).collect();
    let mut pair_sums = vec![vec![Sum::default(); langs]; langs];
    let mut mul_sums = vec![Sum::default(); langs];
    let mut mul_all = Sum::default();
    // Per question: Mul ranks of its relevant candidates and the languages of its top 10.
    let mut mul_ranks: Vec<Vec<usize>> = Vec::with_capacity(total);
    let mut top_langs: Vec<Vec<usize>> = Vec::with_capacity(total);
    let mut in_pool: Vec<usize> = Vec::new();

    let block = block.max(1);
    let mut start = 0;
    while start < total {
        let range = start..(start + block).min(total);
        let rows = score_block(range.clone())?;
        debug_assert_eq!(rows.len(), range.len() * n_cand);
        for (k, q) in range.clone().enumerate() {
            let row = &rows[k * n_cand..(k + 1) * n_cand];
            let question = &set.questions[q];
            let relevant = &set.relevant[q];
            for (p, pool) in pools.iter().enumerate() {
                in_pool.clear();
                in_pool.extend(relevant.iter().copied().filter(|c| pool.contains(c)));
                if !in_pool.is_empty() {
                    let ranks = ranker.ranks_within(row, pool.clone(), &in_pool);
                    pair_sums[question.lang][p].add(&ranks, in_pool.len());
                }
            }
            let ranks = ranker.ranks_of(row, relevant);
            if !relevant.is_empty() {
                mul_sums[question.lang].add(&ranks, relevant.len());
                mul_all.add(&ranks, relevant.len());
            }
            let top = ranker.top_k(row, SHARE_CUTOFF);
            top_langs.push(top.iter().map(|h| set.candidates[h.doc].lang).collect());
            mul_ranks.push(ranks);
            on_mul_row(MulRow { question: q, scores: row })?;
        }
        start = range.end;
        progress(start, total);
    }

    let pairs: Vec<Vec<Scores>> = pair_sums.iter().map(|row| row.iter().map(|s| s.mean()).collect()).collect();
    let mo = macro_average((0..langs).map(|l| &pairs[l][l]));
    let cr = macro_average((0..langs).flat_map(|q| (0..langs).filter(move |&p| p != q).map(move |p| (q, p))).map(|(q, p)| &pairs[q][p]));
    let mul_per_language: BTreeMap<String, Scores> =
        (0..langs).map(|l| (set.languages[l].clone(), mul_sums[l].mean())).filter(|(_, s)| s.queries > 0).collect();
    let mul_macro = macro_average(mul_per_language.values());
    let lang_names: Vec<&str> = set.languages.iter().map(String::as_str).collect();
    let top_names: Vec<Vec<&str>> = top_langs.iter().map(|t| t.iter().map(|&l| lang_names[l]).collect()).collect();
    let bias = language_bias((0..total).map(|q| QueryBias {
        lang: lang_names[set.questions[q].lang],
        relevant_ranks: &mul_ranks[q],
        top_langs: &top_names[q],
    }));
    Ok(LareqaScores { languages: set.languages.clone(), mo, cr, mul: mul_all.mean(), mul_macro, pairs, mul_per_language, bias })
}
