//! Dense retrieval under the LAReQA protocol from embeddings already computed: the one path that both
//! `lingbridge eval` and the page take, so both report the same numbers for the same vectors.
//!
//! Also the per-question view the page's language-bias tab draws: where each language's correct answer lands
//! in the multilingual (Mul) ranking of one question; and ad hoc retrieval runs (BEIR, MIRACL) from embeddings.

use serde::Serialize;

use crate::encode::Embeddings;
use crate::error::{Error, Result};
use crate::eval::bias::rank_distance;
use crate::eval::lareqa::LareqaSet;
use crate::eval::metrics::Run;
use crate::eval::protocol::{LareqaScores, MulRow, evaluate_lareqa};
use crate::search::DenseIndex;

/// The candidates' index, after checking there is one vector per candidate.
pub fn candidate_index(set: &LareqaSet, candidates: &Embeddings) -> Result<DenseIndex> {
    if candidates.len() != set.candidates.len() {
        return Err(Error::input(format!(
            "{} candidate vectors for {} candidates",
            candidates.len(),
            set.candidates.len()
        )));
    }
    DenseIndex::new(candidates, set.candidates.iter().map(|c| c.id.clone()).collect())
}

/// Runs the protocol with the dot products of `questions` (one vector per question, in the set's order)
/// against `index` (from [`candidate_index`]); `block`, `on_mul_row` and `progress` as in [`evaluate_lareqa`].
pub fn evaluate_dense(
    set: &LareqaSet,
    index: &DenseIndex,
    questions: &Embeddings,
    block: usize,
    on_mul_row: &mut dyn FnMut(MulRow<'_>) -> Result<()>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<LareqaScores> {
    if questions.len() != set.questions.len() {
        return Err(Error::input(format!("{} question vectors for {} questions", questions.len(), set.questions.len())));
    }
    let dim = questions.dim;
    let mut score_block =
        |r: std::ops::Range<usize>| index.scores(&Embeddings { dim, data: questions.data[r.start * dim..r.end * dim].to_vec() });
    evaluate_lareqa(set, index.ranker(), block, &mut score_block, on_mul_row, progress)
}

/// Where one relevant candidate lands in a question's Mul ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnswerRank {
    pub candidate: usize,
    pub lang: String,
    /// 1-based.
    pub rank: usize,
}

/// One candidate of a question's top list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedCandidate {
    pub rank: usize,
    pub candidate: usize,
    pub lang: String,
    pub score: f32,
    pub relevant: bool,
}

/// A question's Mul ranking as the bias view shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionRanking {
    pub question: usize,
    /// Every relevant candidate (one per language for XQuAD-R / MLQA-R), best rank first.
    pub answers: Vec<AnswerRank>,
    /// Max − min of the answers' ranks, as in `eval::bias`.
    pub rank_distance: Option<usize>,
    pub top: Vec<RankedCandidate>,
}

/// The Mul ranking of question `question` (its vector is row `question` of `questions`), with the first `k`.
pub fn question_ranking(
    set: &LareqaSet,
    index: &DenseIndex,
    questions: &Embeddings,
    question: usize,
    k: usize,
) -> Result<QuestionRanking> {
    if question >= set.questions.len() || question >= questions.len() {
        return Err(Error::input(format!("question {question} does not exist (the set has {})", set.questions.len())));
    }
    let row = index.scores(&Embeddings { dim: questions.dim, data: questions.row(question).to_vec() })?;
    let ranker = index.ranker();
    let relevant = &set.relevant[question];
    let ranks = ranker.ranks_of(&row, relevant);
    let lang = |c: usize| set.languages[set.candidates[c].lang].clone();
    let mut answers: Vec<AnswerRank> =
        relevant.iter().zip(&ranks).map(|(&c, &rank)| AnswerRank { candidate: c, lang: lang(c), rank }).collect();
    answers.sort_by_key(|a| a.rank);
    let top = ranker
        .top_k(&row, k)
        .iter()
        .enumerate()
        .map(|(i, h)| RankedCandidate {
            rank: i + 1,
            candidate: h.doc,
            lang: lang(h.doc),
            score: h.score,
            relevant: set.is_relevant(question, h.doc),
        })
        .collect();
    Ok(QuestionRanking { question, answers, rank_distance: rank_distance(&ranks), top })
}

/// Ad hoc retrieval (BEIR, MIRACL): the run of the best `depth` documents of `index` for each query (`queries`
/// holds one vector per id of `query_ids`), scored `block` queries per matrix product, in trec_eval's order.
pub fn dense_run(index: &DenseIndex, queries: &Embeddings, query_ids: &[String], depth: usize, block: usize) -> Result<Run> {
    if queries.len() != query_ids.len() {
        return Err(Error::input(format!("{} query vectors for {} queries", queries.len(), query_ids.len())));
    }
    let (dim, block) = (queries.dim, block.max(1));
    let mut run = Run::new();
    for (ids, chunk) in query_ids.chunks(block).zip(queries.data.chunks(block * dim.max(1))) {
        let rows = index.scores(&Embeddings { dim, data: chunk.to_vec() })?;
        for (id, row) in ids.iter().zip(rows.chunks(index.len())) {
            let hits = index.ranker().top_k(row, depth);
            run.insert(id.clone(), hits.iter().map(|h| (index.doc_id(h.doc).to_string(), h.score as f64)).collect());
        }
    }
    Ok(run)
}
