//! Retrieval metrics with trec_eval's conventions, to the last bit where it matters: pure functions over a run
//! and qrels, f64 throughout, no I/O (so the page computes exactly what `lingbridge trec-eval` prints).
//!
//! The conventions, each checked against pytrec_eval (pytrec-eval-terrier 0.5.11, which embeds trec_eval 9.0.8;
//! the golden fixtures of scripts/make_trec_golden.py pin them down):
//! - **Order.** Per query, documents are sorted by score descending; equal scores are broken by document id
//!   *descending* in plain byte order (C `strcmp`, so "d9" ranks before "d10", "a" before "B"). The rank column of
//!   a run file is ignored.
//! - **Scores are compared as f32.** trec_eval up to 9.0.8 — and hence pytrec_eval — stores scores in a C `float`,
//!   so scores that differ only beyond single precision tie (and fall back to the document id). That is
//!   [`ScorePrecision::F32`], the default; trec_eval 10 (2023, "Convert float to double") compares doubles:
//!   [`ScorePrecision::F64`]. Scores that are already f32 (cosine similarities) rank the same either way.
//! - **Relevance.** A qrel value ≥ 1 is relevant ([`RELEVANCE_LEVEL`]); 0 and negative values are not. Negative
//!   values mean "in the pool but unjudged" to trec_eval: they never count as relevant and add no nDCG gain,
//!   exactly like documents missing from the qrels.
//! - **Duplicates.** A document listed twice for one query (in a run or in qrels) is an error, as in trec_eval
//!   ("duplicate docs"); pytrec_eval's dict input cannot even express it and its file parser asserts.
//! - **Which queries.** Only queries present in both the qrels and the run are evaluated and averaged. A query
//!   whose qrels hold no relevant document still counts, with map, recall, nDCG … all 0 (trec_eval and
//!   pytrec_eval both do this; it pulls the mean down). A query with an empty ranking in the run also counts.
//! - **Aggregation.** The "all" value of a measure is the arithmetic mean over evaluated queries; for the counts
//!   (num_q, num_ret, num_rel, num_rel_ret) it is their sum, as trec_eval's "all" line and pytrec_eval's
//!   `compute_aggregated_measure` do.
//! - **No depth cap.** Every retrieved document is used (trec_eval's `-M` defaults to unlimited; pytrec_eval too).
//!
//! The rank-based functions (`ap_from_ranks`, `rr_from_ranks`, …) are the definitions; the run-based evaluation
//! feeds them, so dense retrieval (which knows the ranks of the relevant items directly) shares one definition.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Relevance judgments: query id → document id → graded relevance (trec_eval qrels).
pub type Qrels = BTreeMap<String, BTreeMap<String, i32>>;

/// A run: query id → retrieved (document id, score) pairs, in any order (evaluation sorts them).
pub type Run = BTreeMap<String, Vec<(String, f64)>>;

/// A judged document is relevant when its qrel value is at least this (trec_eval's default `-l 1`).
pub const RELEVANCE_LEVEL: i32 = 1;

/// trec_eval's default cutoffs for `P`, `recall` and `ndcg_cut` given without one.
pub const DEFAULT_CUTOFFS: [usize; 9] = [5, 10, 15, 20, 30, 100, 200, 500, 1000];

/// What `lingbridge trec-eval` reports unless told otherwise.
pub const DEFAULT_MEASURES: [&str; 9] =
    ["num_q", "num_ret", "num_rel", "num_rel_ret", "map", "recip_rank", "P_10", "recall_100", "ndcg_cut_10"];

/// How scores are compared when ranking (see the module comment).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ScorePrecision {
    /// Round each score to f32 first: trec_eval ≤ 9.0.8 and pytrec_eval, which produced most published numbers.
    #[default]
    F32,
    /// Compare the f64 scores as given: trec_eval ≥ 10.0.
    F64,
}

/// One per-query measure, named as trec_eval prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    /// Number of evaluated queries (1 per query; the sum over queries in "all").
    NumQ,
    /// Retrieved documents.
    NumRet,
    /// Relevant documents in the qrels, retrieved or not.
    NumRel,
    /// Relevant documents retrieved.
    NumRelRet,
    /// Average precision (mean over queries: MAP).
    Map,
    /// 1 / rank of the first relevant document; 0 when none is retrieved.
    RecipRank,
    /// Precision at k: relevant in the top k / k (missing ranks count as non-relevant).
    P(usize),
    /// Recall at k: relevant in the top k / all relevant.
    Recall(usize),
    /// nDCG at k with the qrel value as gain and 1/log2(rank + 1) as discount.
    NdcgCut(usize),
}

impl Measure {
    /// The counts are summed, not averaged, over queries and print as integers.
    pub fn is_count(self) -> bool {
        matches!(self, Measure::NumQ | Measure::NumRet | Measure::NumRel | Measure::NumRelRet)
    }

    /// Parses one measure name; a family with several cutoffs ("P.5,10", or "P" for trec_eval's defaults)
    /// expands to one measure per cutoff. Accepts trec_eval's output names ("ndcg_cut_10") and its `-m`
    /// syntax ("ndcg_cut.10").
    pub fn parse_family(name: &str) -> Result<Vec<Measure>> {
        let simple = match name {
            "num_q" => Some(Measure::NumQ),
            "num_ret" => Some(Measure::NumRet),
            "num_rel" => Some(Measure::NumRel),
            "num_rel_ret" => Some(Measure::NumRelRet),
            "map" => Some(Measure::Map),
            "recip_rank" => Some(Measure::RecipRank),
            _ => None,
        };
        if let Some(m) = simple {
            return Ok(vec![m]);
        }
        // No family name is a prefix of another one, so the order of this list does not matter.
        type Make = fn(usize) -> Measure;
        let families: [(&str, Make); 3] =
            [("ndcg_cut", Measure::NdcgCut), ("recall", Measure::Recall), ("P", Measure::P)];
        for (family, make) in families {
            let Some(rest) = name.strip_prefix(family) else { continue };
            let cutoffs: Vec<usize> = if rest.is_empty() {
                DEFAULT_CUTOFFS.to_vec()
            } else if let Some(k) = rest.strip_prefix('_') {
                vec![parse_cutoff(name, k)?]
            } else if let Some(list) = rest.strip_prefix('.') {
                list.split(',').map(|k| parse_cutoff(name, k)).collect::<Result<_>>()?
            } else {
                continue;
            };
            return Ok(cutoffs.into_iter().map(make).collect());
        }
        Err(Error::input(format!(
            "unknown measure '{name}' (known: map, recip_rank, P_k, recall_k, ndcg_cut_k, num_q, num_ret, num_rel, \
             num_rel_ret; k a positive integer, or trec_eval's 'P.5,10' form)"
        )))
    }
}

fn parse_cutoff(name: &str, k: &str) -> Result<usize> {
    match k.parse::<usize>() {
        Ok(k) if k > 0 => Ok(k),
        _ => Err(Error::input(format!("measure '{name}': cutoff '{k}' is not a positive integer"))),
    }
}

/// Parses a list of measure names (see [`Measure::parse_family`]); repeated measures are kept once, in first order.
pub fn parse_measures<S: AsRef<str>>(names: &[S]) -> Result<Vec<Measure>> {
    let mut out = Vec::new();
    for name in names {
        for m in Measure::parse_family(name.as_ref().trim())? {
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    if out.is_empty() {
        return Err(Error::input("no measure requested"));
    }
    Ok(out)
}

impl FromStr for Measure {
    type Err = Error;
    /// Exactly one measure ("P_10", "ndcg_cut.10"); a family with several cutoffs is an error here.
    fn from_str(name: &str) -> Result<Self> {
        match Measure::parse_family(name)?.as_slice() {
            [one] => Ok(*one),
            _ => Err(Error::input(format!("'{name}' names several measures; give one cutoff (e.g. {name}_10)"))),
        }
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Measure::NumQ => f.write_str("num_q"),
            Measure::NumRet => f.write_str("num_ret"),
            Measure::NumRel => f.write_str("num_rel"),
            Measure::NumRelRet => f.write_str("num_rel_ret"),
            Measure::Map => f.write_str("map"),
            Measure::RecipRank => f.write_str("recip_rank"),
            Measure::P(k) => write!(f, "P_{k}"),
            Measure::Recall(k) => write!(f, "recall_{k}"),
            Measure::NdcgCut(k) => write!(f, "ndcg_cut_{k}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The definitions, from the 1-based ranks of the relevant retrieved items and |R| (all relevant items).
// `ranks` may come in any order; each rank must be ≥ 1 and appear once.

/// Ranks in increasing order, copying only when the caller's are not sorted already.
fn ascending(ranks: &[usize]) -> std::borrow::Cow<'_, [usize]> {
    debug_assert!(ranks.iter().all(|&r| r >= 1), "ranks are 1-based");
    if ranks.is_sorted() {
        std::borrow::Cow::Borrowed(ranks)
    } else {
        let mut sorted = ranks.to_vec();
        sorted.sort_unstable();
        std::borrow::Cow::Owned(sorted)
    }
}

/// Average precision: Σ over relevant retrieved items of (relevant so far / rank), divided by *all* relevant
/// items `num_rel`, retrieved or not (trec_eval's `map`). 0 when `num_rel` is 0.
pub fn ap_from_ranks(ranks: &[usize], num_rel: usize) -> f64 {
    if num_rel == 0 {
        return 0.0;
    }
    // The same sum, in the same order, as trec_eval: the last bits agree too. (fold from +0.0, not `sum()`,
    // whose empty sum is -0.0 and would print as "-0.0000".)
    let sum = ascending(ranks).iter().enumerate().fold(0.0, |sum, (n, &rank)| sum + (n + 1) as f64 / rank as f64);
    sum / num_rel as f64
}

/// LAReQA's mAP@k: precision summed over relevant items ranked within the top k, divided by min(|R|, k) —
/// *not* trec_eval's convention (which has no map cutoff here); named so the two are never confused.
pub fn map_at_k_lareqa(ranks: &[usize], num_rel: usize, k: usize) -> f64 {
    let denominator = num_rel.min(k);
    if denominator == 0 {
        return 0.0;
    }
    let sum: f64 = ascending(ranks)
        .iter()
        .take_while(|&&rank| rank <= k)
        .enumerate()
        .fold(0.0, |sum, (n, &rank)| sum + (n + 1) as f64 / rank as f64);
    sum / denominator as f64
}

/// Reciprocal rank: 1 / rank of the first relevant item, 0 when none was retrieved.
pub fn rr_from_ranks(ranks: &[usize]) -> f64 {
    ranks.iter().min().map_or(0.0, |&first| 1.0 / first as f64)
}

/// Relevant items within the top k.
fn hits_at_k(ranks: &[usize], k: usize) -> usize {
    ranks.iter().filter(|&&rank| rank <= k).count()
}

/// Recall at k: relevant items in the top k / all relevant items; 0 when `num_rel` is 0.
pub fn recall_at_k_from_ranks(ranks: &[usize], num_rel: usize, k: usize) -> f64 {
    if num_rel == 0 {
        return 0.0;
    }
    hits_at_k(ranks, k) as f64 / num_rel as f64
}

/// Precision at k: relevant items in the top k / k, even when fewer than k items were retrieved (trec_eval's
/// `P`: missing ranks count as non-relevant).
pub fn precision_at_k_from_ranks(ranks: &[usize], k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    hits_at_k(ranks, k) as f64 / k as f64
}

/// DCG over the top k from (rank, gain) pairs in increasing rank: Σ gain / log2(rank + 1). Non-positive gains
/// add nothing (trec_eval skips them). The one DCG definition behind both nDCG functions.
fn dcg_cut(pairs: impl Iterator<Item = (usize, f64)>, k: usize) -> f64 {
    let mut sum = 0.0;
    for (rank, gain) in pairs.take_while(|&(rank, _)| rank <= k) {
        if gain > 0.0 {
            sum += gain / ((rank + 1) as f64).log2();
        }
    }
    sum
}

/// nDCG at k with graded gains (trec_eval's `ndcg_cut`). `ranked_gains[i]` is the gain of the document at rank
/// i + 1 (0 for non-relevant or unjudged ones); `ideal_gains` are the positive judged grades of the query sorted
/// descending — the ideal ranking comes from the qrels, not from what was retrieved. 0 when no grade is positive.
pub fn ndcg_cut_from_gains(ranked_gains: &[f64], ideal_gains: &[f64], k: usize) -> f64 {
    debug_assert!(ideal_gains.windows(2).all(|w| w[0] >= w[1]), "ideal gains must be sorted descending");
    let ideal = dcg_cut(ideal_gains.iter().enumerate().map(|(i, &g)| (i + 1, g)), k);
    if ideal <= 0.0 {
        return 0.0;
    }
    dcg_cut(ranked_gains.iter().enumerate().map(|(i, &g)| (i + 1, g)), k) / ideal
}

/// nDCG at k with binary relevance (gain 1), from the ranks of the relevant retrieved items and |R|.
pub fn ndcg_cut_from_ranks(ranks: &[usize], num_rel: usize, k: usize) -> f64 {
    let ideal = dcg_cut((1..=num_rel).map(|rank| (rank, 1.0)), k);
    if ideal <= 0.0 {
        return 0.0;
    }
    dcg_cut(ascending(ranks).iter().map(|&rank| (rank, 1.0)), k) / ideal
}

// ---------------------------------------------------------------------------------------------------------------
// Runs and qrels.

/// Indices into `docs` in trec_eval's ranking order: score descending (compared at `precision`), ties by
/// document id descending in byte order. Errors on a NaN score or a document listed twice; `query` names the
/// query in those messages.
pub fn trec_order(query: &str, docs: &[(String, f64)], precision: ScorePrecision) -> Result<Vec<usize>> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(docs.len());
    for (i, (doc, score)) in docs.iter().enumerate() {
        if score.is_nan() {
            return Err(Error::input(format!("query {query}: document {doc} has a NaN score")));
        }
        if seen.insert(doc.as_str(), i).is_some() {
            return Err(Error::input(format!(
                "query {query}: document {doc} is listed twice (trec_eval refuses duplicate docs)"
            )));
        }
    }
    // Rounding to f32 and back is exact, so comparing the rounded f64s is comparing the C floats.
    let key = |score: f64| match precision {
        ScorePrecision::F32 => score as f32 as f64,
        ScorePrecision::F64 => score,
    };
    let keys: Vec<f64> = docs.iter().map(|(_, s)| key(*s)).collect();
    let mut order: Vec<usize> = (0..docs.len()).collect();
    // partial_cmp, not total_cmp: C's `>` treats -0.0 and 0.0 as equal, and NaN was refused above.
    order.sort_by(|&a, &b| {
        keys[b]
            .partial_cmp(&keys[a])
            .unwrap_or(Ordering::Equal)
            .then_with(|| docs[b].0.as_bytes().cmp(docs[a].0.as_bytes()))
    });
    Ok(order)
}

/// One query's ranking as the measures see it.
#[derive(Clone, Debug, PartialEq)]
pub struct JudgedRanking {
    /// The qrel value of each retrieved document, best first; `None` for documents absent from the qrels.
    pub rels: Vec<Option<i32>>,
    /// Relevant documents in the qrels (value ≥ [`RELEVANCE_LEVEL`]), retrieved or not.
    pub num_rel: usize,
    /// The positive qrel values of the query, sorted descending: the ideal ranking's gains.
    pub ideal_gains: Vec<f64>,
}

impl JudgedRanking {
    /// Ranks `docs` (see [`trec_order`]) and looks each one up in the query's `judgments`.
    pub fn new(
        query: &str,
        docs: &[(String, f64)],
        judgments: &BTreeMap<String, i32>,
        precision: ScorePrecision,
    ) -> Result<Self> {
        let order = trec_order(query, docs, precision)?;
        let rels = order.iter().map(|&i| judgments.get(&docs[i].0).copied()).collect();
        let num_rel = judgments.values().filter(|&&rel| rel >= RELEVANCE_LEVEL).count();
        let mut ideal_gains: Vec<f64> = judgments.values().filter(|&&rel| rel > 0).map(|&rel| rel as f64).collect();
        ideal_gains.sort_by(|a, b| b.total_cmp(a));
        Ok(JudgedRanking { rels, num_rel, ideal_gains })
    }

    /// 1-based ranks of the relevant retrieved documents, increasing.
    pub fn relevant_ranks(&self) -> Vec<usize> {
        self.rels
            .iter()
            .enumerate()
            .filter(|(_, rel)| rel.is_some_and(|rel| rel >= RELEVANCE_LEVEL))
            .map(|(i, _)| i + 1)
            .collect()
    }

    /// The gain of each retrieved document for nDCG: its qrel value when positive, else 0.
    pub fn gains(&self) -> Vec<f64> {
        self.rels.iter().map(|rel| rel.filter(|&rel| rel > 0).map_or(0.0, |rel| rel as f64)).collect()
    }

    /// Every requested measure for this query, in the order asked.
    pub fn values(&self, measures: &[Measure]) -> Vec<f64> {
        let ranks = self.relevant_ranks();
        let gains = if measures.iter().any(|m| matches!(m, Measure::NdcgCut(_))) { self.gains() } else { Vec::new() };
        measures
            .iter()
            .map(|&m| match m {
                Measure::NumQ => 1.0,
                Measure::NumRet => self.rels.len() as f64,
                Measure::NumRel => self.num_rel as f64,
                Measure::NumRelRet => ranks.len() as f64,
                Measure::Map => ap_from_ranks(&ranks, self.num_rel),
                Measure::RecipRank => rr_from_ranks(&ranks),
                Measure::P(k) => precision_at_k_from_ranks(&ranks, k),
                Measure::Recall(k) => recall_at_k_from_ranks(&ranks, self.num_rel, k),
                Measure::NdcgCut(k) => ndcg_cut_from_gains(&gains, &self.ideal_gains, k),
            })
            .collect()
    }
}

/// A whole run's evaluation: per-query values and the "all" line.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// The measures, in the order asked; every value vector below follows it.
    pub measures: Vec<Measure>,
    /// Query id → one value per measure, for the queries in both qrels and run (byte order of the ids).
    pub per_query: BTreeMap<String, Vec<f64>>,
    /// One value per measure: the mean over `per_query`, or the sum for counts (see [`Measure::is_count`]).
    pub all: Vec<f64>,
}

impl Evaluation {
    fn index(&self, measure: Measure) -> Option<usize> {
        self.measures.iter().position(|&m| m == measure)
    }

    /// One query's value of one measure; `None` when the query was not evaluated or the measure not asked for.
    pub fn query_value(&self, query: &str, measure: Measure) -> Option<f64> {
        Some(self.per_query.get(query)?[self.index(measure)?])
    }

    /// The aggregate ("all") value of one measure.
    pub fn all_value(&self, measure: Measure) -> Option<f64> {
        Some(self.all[self.index(measure)?])
    }

    /// How many queries were evaluated (trec_eval's num_q).
    pub fn num_queries(&self) -> usize {
        self.per_query.len()
    }
}

/// Evaluates `run` against `qrels` for measures named as trec_eval names them ("map", "ndcg_cut_10",
/// "recall_100", "recip_rank", "P_10", …), with pytrec_eval's score precision (f32). See [`evaluate_with`].
pub fn evaluate<S: AsRef<str>>(qrels: &Qrels, run: &Run, measures: &[S]) -> Result<Evaluation> {
    evaluate_with(qrels, run, &parse_measures(measures)?, ScorePrecision::default())
}

/// Evaluates the queries present in both `qrels` and `run`. Errors when there is no such query (as trec_eval
/// does: a mean over nothing would be meaningless), on a duplicate document or a NaN score.
pub fn evaluate_with(
    qrels: &Qrels,
    run: &Run,
    measures: &[Measure],
    precision: ScorePrecision,
) -> Result<Evaluation> {
    if measures.is_empty() {
        return Err(Error::input("no measure requested"));
    }
    let mut per_query = BTreeMap::new();
    for (query, docs) in run {
        let Some(judgments) = qrels.get(query) else { continue };
        let judged = JudgedRanking::new(query, docs, judgments, precision)?;
        per_query.insert(query.clone(), judged.values(measures));
    }
    if per_query.is_empty() {
        return Err(Error::input(format!(
            "no query is in both the qrels ({} queries) and the run ({} queries): check that the query ids match",
            qrels.len(),
            run.len()
        )));
    }
    // Summed in query-id order then divided once, like trec_eval's accumulate-then-average.
    let n = per_query.len() as f64;
    let all = measures
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let sum = per_query.values().fold(0.0, |sum, values: &Vec<f64>| sum + values[i]);
            if m.is_count() { sum } else { sum / n }
        })
        .collect();
    Ok(Evaluation { measures: measures.to_vec(), per_query, all })
}
