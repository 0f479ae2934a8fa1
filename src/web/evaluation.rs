//! `LareqaEvaluation` and `LareqaRun`: the LAReQA protocol on the page; `BeirEvaluation`: ad hoc retrieval (BEIR). The worker loads the language files,
//! embeds the texts this object hands out with `Engine::embed` (chunk by chunk, for its progress bar), and gets
//! back the very report `lingbridge eval` writes: both go through `eval::dense`.

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::{file_entries, js_err};
use crate::encode::Embeddings;
use crate::eval::dense::{candidate_index, evaluate_dense, question_ranking};
use crate::eval::lareqa::{CandidateText, LareqaSet};
use crate::eval::report::{EvalReport, SystemReport, SystemScores};
use crate::search::DenseIndex;

/// Time spent embedding (by the worker) and scoring + ranking (here).
struct Seconds {
    encode: f64,
    rank: f64,
}

/// The one-system report `lingbridge eval` writes, for the model's dense run on the page (no baseline, no
/// perturbation; the seed is the CLI's default, recorded as it records it).
fn dense_report(model: String, dataset: &str, candidates: &str, questions: usize, candidate_count: usize, scores: SystemScores, seconds: Seconds) -> EvalReport {
    EvalReport {
        model,
        dataset: dataset.to_string(),
        candidates: candidates.into(),
        perturbation: None,
        seed: 13,
        questions,
        candidate_count,
        systems: vec![SystemReport { name: "dense".into(), scores, encode_seconds: seconds.encode, rank_seconds: seconds.rank }],
    }
}

/// A loaded XQuAD-R / MLQA-R-style set.
#[wasm_bindgen]
pub struct LareqaEvaluation {
    set: Rc<LareqaSet>,
    name: String,
}

/// Questions scored per matrix product, as the CLI's default `--block`.
const BLOCK: usize = 256;

#[wasm_bindgen]
impl LareqaEvaluation {
    /// Parses `{lang}.json` files: `files` maps file names (`"en.json"`, or paths ending in it) to
    /// `Uint8Array`s. `name` labels the report's dataset.
    #[wasm_bindgen(js_name = fromFiles)]
    pub fn from_files(files: js_sys::Object, name: String) -> Result<LareqaEvaluation, JsError> {
        let mut entries: Vec<(String, String, Vec<u8>)> = Vec::new();
        for (file, bytes) in file_entries(&files)? {
            let base = file.rsplit('/').next().unwrap_or(&file);
            let lang = base.strip_suffix(".json").filter(|l| !l.is_empty() && !l.contains('.')).ok_or_else(|| {
                JsError::new(&format!("{file}: LAReQA files are named by language, like en.json or zh.json"))
            })?;
            entries.push((lang.to_string(), file.clone(), bytes));
        }
        if entries.is_empty() {
            return Err(JsError::new("no language files given"));
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let set = LareqaSet::from_files(entries.iter().map(|(l, f, b)| (l.as_str(), f.as_str(), b.as_slice()))).map_err(js_err)?;
        if set.questions.is_empty() {
            return Err(JsError::new("these files hold no answerable question"));
        }
        Ok(LareqaEvaluation { set: Rc::new(set), name })
    }

    /// JSON `{languages, questions, candidates, groups, skipped}` (counts).
    pub fn summary(&self) -> String {
        let s = &self.set;
        serde_json::json!({
            "languages": s.languages,
            "questions": s.questions.len(),
            "candidates": s.candidates.len(),
            "groups": s.xling_ids.len(),
            "skipped": s.skipped.len(),
        })
        .to_string()
    }

    /// The question texts, in the order `score` expects their vectors.
    #[wasm_bindgen(js_name = questionTexts)]
    pub fn question_texts(&self) -> Vec<String> {
        self.set.questions.iter().map(|q| q.text.clone()).collect()
    }

    /// The candidate sentences, in the order `score` expects their vectors.
    #[wasm_bindgen(js_name = candidateTexts)]
    pub fn candidate_texts(&self) -> Vec<String> {
        (0..self.set.candidates.len()).map(|c| self.set.candidate_text(c, CandidateText::Sentence).into_owned()).collect()
    }

    /// JSON `[{index, id, lang, xling_id, text}]`, only language `lang` when given.
    pub fn questions(&self, lang: Option<String>) -> String {
        let s = &self.set;
        let list: Vec<serde_json::Value> = s
            .questions
            .iter()
            .enumerate()
            .filter(|(_, q)| lang.as_deref().is_none_or(|l| s.languages[q.lang] == l))
            .map(|(i, q)| {
                serde_json::json!({"index": i, "id": q.id, "lang": s.languages[q.lang], "xling_id": q.xling_id, "text": q.text})
            })
            .collect();
        serde_json::Value::Array(list).to_string()
    }

    /// Scores the set from the vectors of its questions and candidates (`dim` wide, in the orders of
    /// `questionTexts` / `candidateTexts`). `progress(done, total)` is called after each block of questions.
    /// `encode_seconds` is the caller's embedding time, kept in the report.
    pub fn score(
        &self,
        questions: Vec<f32>,
        candidates: Vec<f32>,
        dim: usize,
        model: String,
        encode_seconds: f64,
        progress: Option<js_sys::Function>,
    ) -> Result<LareqaRun, JsError> {
        let t0 = js_sys::Date::now();
        let q_emb = Embeddings { dim, data: questions };
        let index = candidate_index(&self.set, &Embeddings { dim, data: candidates }).map_err(js_err)?;
        let scores = evaluate_dense(&self.set, &index, &q_emb, BLOCK, &mut |_| Ok(()), &mut |done, total| {
            if let Some(f) = &progress {
                let _ = f.call2(&JsValue::NULL, &JsValue::from(done as u32), &JsValue::from(total as u32));
            }
        })
        .map_err(js_err)?;
        let seconds = Seconds { encode: encode_seconds, rank: (js_sys::Date::now() - t0) / 1000.0 };
        let (questions, candidates) = (self.set.questions.len(), self.set.candidates.len());
        let report = dense_report(model, &self.name, "sentence", questions, candidates, SystemScores::Lareqa(scores), seconds);
        Ok(LareqaRun { set: self.set.clone(), questions: q_emb, index, report })
    }
}

/// One model's results on a set: the report, and what the bias view needs to rank single questions again.
#[wasm_bindgen]
pub struct LareqaRun {
    set: Rc<LareqaSet>,
    questions: Embeddings,
    index: DenseIndex,
    report: EvalReport,
}

#[wasm_bindgen]
impl LareqaRun {
    /// The report as JSON, the shape of `lingbridge eval`'s report.json.
    pub fn report(&self) -> String {
        serde_json::to_string(&self.report).unwrap_or_default()
    }

    /// JSON: where each language's answer to question `index` lands in its multilingual ranking, and its top
    /// `k` (`{question, answers: [{candidate, lang, rank}], rank_distance, top: [{rank, candidate, lang, score,
    /// relevant}]}`), with the texts and ids of the question and candidates added.
    pub fn question(&self, index: usize, k: usize) -> Result<String, JsError> {
        let r = question_ranking(&self.set, &self.index, &self.questions, index, k).map_err(js_err)?;
        let s = &self.set;
        let q = &s.questions[index];
        let candidate = |c: usize| (s.candidates[c].id.clone(), s.candidates[c].sentence.clone());
        let answers: Vec<serde_json::Value> = r
            .answers
            .iter()
            .map(|a| {
                let (id, text) = candidate(a.candidate);
                serde_json::json!({"lang": a.lang, "rank": a.rank, "id": id, "text": text})
            })
            .collect();
        let top: Vec<serde_json::Value> = r
            .top
            .iter()
            .map(|t| {
                let (id, text) = candidate(t.candidate);
                serde_json::json!({"rank": t.rank, "id": id, "lang": t.lang, "text": text, "score": t.score, "relevant": t.relevant})
            })
            .collect();
        Ok(serde_json::json!({
            "question": {"index": index, "id": q.id, "lang": s.languages[q.lang], "xling_id": q.xling_id, "text": q.text},
            "answers": answers,
            "rankDistance": r.rank_distance,
            "candidates": s.candidates.len(),
            "top": top,
        })
        .to_string())
    }
}

/// A loaded BEIR set (ad hoc retrieval): corpus, the judged queries and their qrels.
#[wasm_bindgen]
pub struct BeirEvaluation {
    documents: Vec<crate::eval::beir::Document>,
    queries: Vec<crate::eval::beir::Query>,
    qrels: crate::eval::metrics::Qrels,
    unknown_documents: usize,
    name: String,
}

/// Documents kept per query in the run the measures are computed from, as the CLI's default `--run-depth`.
const RUN_DEPTH: usize = 1000;

#[wasm_bindgen]
impl BeirEvaluation {
    /// Parses a BEIR folder's files (`corpus.jsonl`, `queries.jsonl`, either possibly gzipped, and one qrels
    /// TSV); the names are for messages. Only judged queries are kept, as `lingbridge eval` does.
    #[wasm_bindgen(js_name = fromFiles)]
    #[allow(clippy::too_many_arguments)]
    pub fn from_files(
        corpus_name: String,
        corpus: &[u8],
        queries_name: String,
        queries: &[u8],
        qrels_name: String,
        qrels: &[u8],
        name: String,
    ) -> Result<BeirEvaluation, JsError> {
        use crate::eval::beir;
        let corpus = beir::Corpus::parse(&corpus_name, corpus).map_err(js_err)?;
        let queries = beir::parse_queries(&queries_name, queries).map_err(js_err)?;
        let qrels = beir::parse_qrels(&qrels_name, qrels).map_err(js_err)?;
        let ds = beir::BeirDataset { corpus, queries, qrels };
        let judged: Vec<beir::Query> = ds.judged_queries().into_iter().cloned().collect();
        if judged.is_empty() {
            return Err(JsError::new(&format!("{qrels_name}: no query of {queries_name} has a judgement")));
        }
        if ds.corpus.is_empty() {
            return Err(JsError::new(&format!("{corpus_name}: the corpus is empty")));
        }
        let unknown_documents = ds.unknown_documents().len();
        Ok(BeirEvaluation { documents: ds.corpus.documents, queries: judged, qrels: ds.qrels, unknown_documents, name })
    }

    /// JSON `{documents, queries, judged, unknownDocuments}` (counts; `queries` are the judged ones).
    pub fn summary(&self) -> String {
        serde_json::json!({
            "documents": self.documents.len(),
            "queries": self.queries.len(),
            "judged": self.queries.len(),
            "unknownDocuments": self.unknown_documents,
        })
        .to_string()
    }

    #[wasm_bindgen(js_name = queryTexts)]
    pub fn query_texts(&self) -> Vec<String> {
        self.queries.iter().map(|q| q.text.clone()).collect()
    }

    /// Title and text of each document, as `lingbridge eval` embeds them.
    #[wasm_bindgen(js_name = documentTexts)]
    pub fn document_texts(&self) -> Vec<String> {
        self.documents.iter().map(|d| d.full_text().into_owned()).collect()
    }

    /// The report (JSON, `lingbridge eval`'s report.json shape with trec_eval measures) from the vectors of
    /// the queries and documents, in the orders of `queryTexts` / `documentTexts`.
    pub fn score(&self, queries: Vec<f32>, documents: Vec<f32>, dim: usize, model: String, encode_seconds: f64) -> Result<String, JsError> {
        let t0 = js_sys::Date::now();
        let ids: Vec<String> = self.documents.iter().map(|d| d.id.clone()).collect();
        let index = DenseIndex::new(&Embeddings { dim, data: documents }, ids).map_err(js_err)?;
        let query_ids: Vec<String> = self.queries.iter().map(|q| q.id.clone()).collect();
        let run = crate::eval::dense::dense_run(&index, &Embeddings { dim, data: queries }, &query_ids, RUN_DEPTH, BLOCK).map_err(js_err)?;
        let scores = crate::eval::report::TrecScores::evaluate(&self.qrels, &run).map_err(js_err)?;
        let seconds = Seconds { encode: encode_seconds, rank: (js_sys::Date::now() - t0) / 1000.0 };
        let (queries, documents) = (self.queries.len(), self.documents.len());
        let report = dense_report(model, &self.name, "title+text", queries, documents, SystemScores::Trec(scores), seconds);
        Ok(serde_json::to_string(&report).unwrap_or_default())
    }
}
