//! MIRACL and Mr.TyDi: topics (`qid<TAB>query`, possibly gzipped) and TREC qrels (`qid Q0 docid rel`).
//!
//! The passage corpora are not distributed with the topics; users supply them as BEIR-style `corpus.jsonl`,
//! read with [`crate::eval::beir::Corpus::parse`]. Judgements are read by [`crate::eval::trec`] into the same
//! [`Qrels`] map as BEIR's, so one evaluation path serves both.
//!
//! File names follow anserini-tools (castorini), where both collections' topics and qrels are published:
//! - MIRACL v1.0: `topics.miracl-v1.0-{lang}-{split}.tsv`, `qrels.miracl-v1.0-{lang}-{split}.tsv`
//! - Mr.TyDi v1.1: `topics.mrtydi-v1.1-{lang}.{split}.txt.gz`, `qrels.mrtydi-v1.1-{lang}.{split}.txt`

use std::collections::HashMap;

use crate::error::Result;
use crate::eval::beir::{Qrels, Query, gunzip, line_error, numbered_lines, utf8};
use crate::eval::trec;

/// Parses a topics file: one `qid<TAB>query` per line; the query is everything after the first tab.
/// Blank lines are skipped; a line without a tab, an empty id or a repeated id is an error.
pub fn parse_topics(file: &str, bytes: &[u8]) -> Result<Vec<Query>> {
    let bytes = gunzip(file, bytes)?;
    let text = utf8(file, &bytes)?;
    let mut topics = Vec::new();
    let mut first_line: HashMap<&str, usize> = HashMap::new();
    for (n, line) in numbered_lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        let Some((id, query)) = line.split_once('\t') else {
            return Err(line_error(file, n, "expected qid<TAB>query"));
        };
        let id = id.trim();
        if id.is_empty() {
            return Err(line_error(file, n, "empty query id"));
        }
        if let Some(first) = first_line.insert(id, n) {
            return Err(line_error(file, n, format!("query id \"{id}\" repeats (first on line {first})")));
        }
        topics.push(Query { id: id.to_string(), text: query.trim().to_string() });
    }
    Ok(topics)
}

/// Parses TREC qrels (`qid Q0 docid rel`, possibly gzipped) with [`crate::eval::trec`]'s reader, which
/// follows trec_eval: the second column is ignored and a pair judged twice is an error.
pub fn parse_trec_qrels(file: &str, bytes: &[u8]) -> Result<Qrels> {
    trec::read_qrels_bytes(file, &gunzip(file, bytes)?)
}

/// Which published collection a topics/qrels pair belongs to (decides the file names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    /// MIRACL v1.0 (18 languages; dev judgements grade 0 or 1).
    Miracl,
    /// Mr.TyDi v1.1 (11 languages; positives only).
    MrTydi,
}

impl Collection {
    /// The topics file name for a language and split, as anserini-tools publishes it.
    pub fn topics_file(self, lang: &str, split: &str) -> String {
        match self {
            Collection::Miracl => format!("topics.miracl-v1.0-{lang}-{split}.tsv"),
            Collection::MrTydi => format!("topics.mrtydi-v1.1-{lang}.{split}.txt.gz"),
        }
    }

    /// The qrels file name for a language and split, as anserini-tools publishes it.
    pub fn qrels_file(self, lang: &str, split: &str) -> String {
        match self {
            Collection::Miracl => format!("qrels.miracl-v1.0-{lang}-{split}.tsv"),
            Collection::MrTydi => format!("qrels.mrtydi-v1.1-{lang}.{split}.txt"),
        }
    }
}

/// One language's topics and judgements.
#[derive(Debug, Clone, Default)]
pub struct TopicsAndQrels {
    pub topics: Vec<Query>,
    pub qrels: Qrels,
}

impl TopicsAndQrels {
    /// Parses a topics file and a qrels file.
    pub fn parse(topics_file: &str, topics: &[u8], qrels_file: &str, qrels: &[u8]) -> Result<Self> {
        Ok(Self { topics: parse_topics(topics_file, topics)?, qrels: parse_trec_qrels(qrels_file, qrels)? })
    }

    /// Judged query ids that have no topic.
    pub fn unknown_queries(&self) -> Vec<&str> {
        let known: std::collections::HashSet<&str> = self.topics.iter().map(|q| q.id.as_str()).collect();
        self.qrels.keys().map(String::as_str).filter(|q| !known.contains(q)).collect()
    }
}

/// Reads one language's topics and qrels from a folder laid out as anserini-tools names them
/// (`../shared/data/miracl-topics-qrels/`, `../shared/data/mrtydi-topics-qrels/`).
#[cfg(not(target_arch = "wasm32"))]
pub fn load_dir(dir: &std::path::Path, collection: Collection, lang: &str, split: &str) -> Result<TopicsAndQrels> {
    let (topics_name, topics) = crate::eval::beir::read_bytes(&dir.join(collection.topics_file(lang, split)))?;
    let (qrels_name, qrels) = crate::eval::beir::read_bytes(&dir.join(collection.qrels_file(lang, split)))?;
    TopicsAndQrels::parse(&topics_name, &topics, &qrels_name, &qrels)
}
