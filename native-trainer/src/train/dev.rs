//! The dev set a run is scored on, with the evaluation core's LAReQA protocol (`lingbridge::eval::protocol`):
//! Mo / Cr / Mul mAP and rank distance, exactly what `lingbridge eval` reports.
//!
//! A dev set is a folder of LAReQA `{lang}.json` files, or a JSONL of training records. Records become a
//! LAReQA set with one paragraph per record whose single sentence is the record's passage and whose question is
//! the record's query, under the record's xling id; so a question's relevant candidates are the passages of
//! every record sharing its xling id, in every language — the Mul setting the method optimises.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use lingbridge::eval::lareqa::{self, CandidateText, LareqaSet};
use lingbridge::eval::protocol::{LareqaScores, evaluate_lareqa};
use lingbridge::model::{TextKind, TextTokenizer};
use lingbridge::search::DenseIndex;
use lingbridge::Embeddings;
use serde_json::json;

use super::model::TrainModel;
use crate::data::{self, Record};

pub struct DevSet {
    set: LareqaSet,
    questions: Vec<String>,
    candidates: Vec<String>,
}

/// Texts per forward pass when embedding the dev set.
const BATCH: usize = 64;

impl DevSet {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let set = if path.is_dir() {
            let langs = lareqa::languages_in_dir(path)?;
            lareqa::load_dir(path, &langs.iter().map(String::as_str).collect::<Vec<_>>())?
        } else {
            from_records(&data::read_jsonl(path)?).with_context(|| format!("{}: as a dev set", path.display()))?
        };
        if set.questions.is_empty() {
            bail!("{}: the dev set has no questions", path.display());
        }
        let questions = set.questions.iter().map(|q| q.text.clone()).collect();
        let candidates = (0..set.candidates.len()).map(|c| set.candidate_text(c, CandidateText::Sentence).into_owned()).collect();
        Ok(Self { set, questions, candidates })
    }

    pub fn evaluate(&self, model: &TrainModel, tokenizer: &TextTokenizer) -> anyhow::Result<LareqaScores> {
        let q = embed(model, tokenizer, &self.questions, TextKind::Query)?;
        let c = embed(model, tokenizer, &self.candidates, TextKind::Passage)?;
        let index = DenseIndex::new(&c, self.set.candidates.iter().map(|c| c.id.clone()).collect())?;
        let dim = q.dim;
        Ok(evaluate_lareqa(
            &self.set,
            index.ranker(),
            256,
            &mut |r| index.scores(&Embeddings { dim, data: q.data[r.start * dim..r.end * dim].to_vec() }),
            &mut |_| Ok(()),
            &mut |_, _| {},
        )?)
    }
}

fn embed(model: &TrainModel, tokenizer: &TextTokenizer, texts: &[String], kind: TextKind) -> anyhow::Result<Embeddings> {
    let mut data = Vec::with_capacity(texts.len() * model.config.hidden_size);
    for chunk in texts.chunks(BATCH) {
        data.extend(model.embed_values(&tokenizer.batch(chunk, kind)?)?);
    }
    Ok(Embeddings { dim: model.config.hidden_size, data })
}

/// Records as LAReQA files (one per language), parsed by the evaluation core's own reader.
fn from_records(records: &[Record]) -> anyhow::Result<LareqaSet> {
    let mut by_lang: BTreeMap<&str, Vec<serde_json::Value>> = BTreeMap::new();
    for r in records {
        by_lang.entry(&r.lang).or_default().push(json!({
            "context": r.passage,
            "sentences": [r.passage],
            "sentence_breaks": [[0, r.passage.chars().count()]],
            "qas": [{"id": r.xling_id, "question": r.query, "answers": [{"text": r.passage, "answer_start": 0}]}]
        }));
    }
    let files: Vec<(String, Vec<u8>)> = by_lang
        .into_iter()
        .map(|(lang, paragraphs)| {
            let file = json!({"data": [{"title": "dev", "paragraphs": paragraphs}]});
            Ok((lang.to_string(), serde_json::to_vec(&file)?))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(LareqaSet::from_files(files.iter().map(|(l, b)| (l.as_str(), "dev records", b.as_slice())))?)
}
