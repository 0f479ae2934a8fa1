//! The report of one evaluation: what was run (model, data, settings) and each system's scores. One type,
//! serialised as `report.json`, rendered as Markdown by the CLI and as tables and charts by the page.

use serde::{Deserialize, Serialize};

use crate::eval::protocol::LareqaScores;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// Model directory or name.
    pub model: String,
    /// Dataset name ("xquad-r", "mlqa-r", a path …).
    pub dataset: String,
    /// "sentence" or "sentence+context".
    pub candidates: String,
    /// The query perturbations scored (systems `dense+KIND:RATE`), e.g. "typo:0.1,script:0.3", and their seed.
    pub perturbation: Option<String>,
    pub seed: u64,
    pub questions: usize,
    pub candidate_count: usize,
    pub systems: Vec<SystemReport>,
}

/// Scores under the protocol the dataset calls for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "protocol", rename_all = "lowercase")]
pub enum SystemScores {
    /// XQuAD-R / MLQA-R: Mo / Cr / Mul and language bias.
    Lareqa(LareqaScores),
    /// BEIR / MIRACL / Mr.TyDi: trec_eval measures of one run (monolingual ad hoc retrieval).
    Trec(TrecScores),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrecScores {
    pub queries: usize,
    /// (trec_eval measure name, mean over queries), in display order.
    pub measures: Vec<(String, f64)>,
}

/// The measures reported for ad hoc retrieval (BEIR's headline is nDCG@10).
pub const TREC_MEASURES: [&str; 5] = ["ndcg_cut_10", "map", "recall_100", "recip_rank", "P_10"];

impl TrecScores {
    /// [`TREC_MEASURES`] of `run` against `qrels`, as trec_eval computes them over the judged queries.
    pub fn evaluate(qrels: &crate::eval::metrics::Qrels, run: &crate::eval::metrics::Run) -> crate::Result<Self> {
        let e = crate::eval::metrics::evaluate(qrels, run, &TREC_MEASURES)?;
        Ok(Self { queries: e.num_queries(), measures: TREC_MEASURES.iter().zip(&e.all).map(|(m, v)| (m.to_string(), *v)).collect() })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemReport {
    /// "dense" (the model) or "bm25".
    pub name: String,
    pub scores: SystemScores,
    /// Seconds spent encoding (0 for BM25) and scoring + ranking.
    pub encode_seconds: f64,
    pub rank_seconds: f64,
}

fn f3(x: f64) -> String {
    format!("{x:.3}")
}

impl EvalReport {
    /// The summary table (one row per system) and, for LAReQA, a per-language table per system.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let lareqa: Vec<(&str, &LareqaScores)> = self
            .systems
            .iter()
            .filter_map(|s| match &s.scores {
                SystemScores::Lareqa(c) => Some((s.name.as_str(), c)),
                SystemScores::Trec(_) => None,
            })
            .collect();
        let trec: Vec<(&str, &TrecScores)> = self
            .systems
            .iter()
            .filter_map(|s| match &s.scores {
                SystemScores::Trec(t) => Some((s.name.as_str(), t)),
                SystemScores::Lareqa(_) => None,
            })
            .collect();
        let pert = self.perturbation.as_deref().map(|p| format!(", queries perturbed {p} (seed {})", self.seed)).unwrap_or_default();
        out.push_str(&format!(
            "**{}** on **{}** ({} questions, {} candidates as {}{})\n\n",
            self.model, self.dataset, self.questions, self.candidate_count, self.candidates, pert
        ));
        if let Some((_, first)) = trec.first() {
            let names: Vec<&str> = first.measures.iter().map(|(m, _)| m.as_str()).collect();
            out.push_str(&format!("| system | {} | queries |\n|---|{}---|\n", names.join(" | "), "---|".repeat(names.len())));
            for (name, t) in &trec {
                let values: Vec<String> = t.measures.iter().map(|(_, v)| format!("{v:.4}")).collect();
                out.push_str(&format!("| {name} | {} | {} |\n", values.join(" | "), t.queries));
            }
        }
        if lareqa.is_empty() {
            return out;
        }
        // Mul twice: micro (the mean over all questions) and macro (the mean of the query languages' means).
        out.push_str("| system | Mo mAP | Cr mAP | Mul mAP | Mul R@1 | Mul R@10 | Mul mAP (macro) | Mul R@1 (macro) | Mul R@10 (macro) | rank distance | same-lang@10 |\n");
        out.push_str("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (name, c) in &lareqa {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {} |\n",
                name,
                f3(c.mo.map),
                f3(c.cr.map),
                f3(c.mul.map),
                f3(c.mul.recall_1),
                f3(c.mul.recall_10),
                f3(c.mul_macro.map),
                f3(c.mul_macro.recall_1),
                f3(c.mul_macro.recall_10),
                c.bias.rank_distance,
                f3(c.bias.same_language_top10)
            ));
        }
        for (name, c) in &lareqa {
            out.push_str(&format!("\n{name} per query language:\n\n"));
            out.push_str("| lang | Mo mAP | Cr mAP (as query) | Mul mAP | Mul R@10 | rank distance | same-lang@10 |\n");
            out.push_str("|---|---|---|---|---|---|---|\n");
            for (l, lang) in c.languages.iter().enumerate() {
                let cross: Vec<f64> = (0..c.languages.len())
                    .filter(|&p| p != l && c.pairs[l][p].queries > 0)
                    .map(|p| c.pairs[l][p].map)
                    .collect();
                let cr = if cross.is_empty() { "–".to_string() } else { f3(cross.iter().sum::<f64>() / cross.len() as f64) };
                let mul = c.mul_per_language.get(lang).copied().unwrap_or_default();
                let (rd, share) = c
                    .bias
                    .per_language
                    .get(lang)
                    .map(|b| (format!("{:.1}", b.rank_distance), f3(b.same_language_top10)))
                    .unwrap_or(("–".into(), "–".into()));
                out.push_str(&format!(
                    "| {lang} | {} | {cr} | {} | {} | {rd} | {share} |\n",
                    f3(c.pairs[l][l].map),
                    f3(mul.map),
                    f3(mul.recall_10)
                ));
            }
        }
        out
    }
}
