//! LAReQA retrieval sets (XQuAD-R, MLQA-R): SQuAD-format JSON, one file per language, with sentence spans.
//!
//! Each paragraph carries `sentence_breaks`, a list of `[start, end)` spans into `context`, and usually the
//! matching `sentences` strings. Every sentence of every paragraph of every language is a retrieval
//! candidate; a question's answer is the sentence whose span contains its `answer_start`; parallel questions
//! share the SQuAD question id (the "xling id") and are relevant to each other's answers, in every language.
//!
//! Conventions, checked against the published files (see tests/datasets.rs):
//! - **Offsets are Unicode code points**, as Python's `str` indexes them (the files were written by Python):
//!   `context[s:e] == sentence` holds in code points for all 11 XQuAD-R and 7 MLQA-R files and fails in bytes
//!   for nearly every non-ASCII sentence. Because offsets count code points, every in-range offset is a
//!   character boundary; we convert to byte offsets once per paragraph.
//! - **Candidate ids** are `{lang}_{paragraph}_{sentence}`, both **0-based**; paragraphs are numbered over the
//!   whole file in order, running across articles (the id has no article part, so that is what keeps it
//!   unique).
//! - **Candidate text** is the file's `sentences[i]` when present, else the context slice. The two agree
//!   everywhere except two Turkish XQuAD-R sentences (`tr_48_2`, `tr_48_3`), whose context holds a
//!   mis-decoded "⁄" (three characters where the spans expect one), so the spans cut two characters early;
//!   the `sentences` strings are the intended text. Such disagreements are listed in
//!   [`LareqaSet::text_mismatches`] rather than rejected. The spans stay authoritative for answer lookup,
//!   since `answer_start` indexes the same context.
//! - The **first** answer of a question decides its sentence (XQuAD and MLQA have exactly one).
//!   A question with no answer, or whose `answer_start` falls between sentences, is skipped and listed in
//!   [`LareqaSet::skipped`]; none are in the published files.
//!
//! Parsing works on bytes (the page hands over files the user picked); only [`load_dir`] touches a disk.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::ops::Range;

use serde::Deserialize;

use crate::error::{Error, Result};

/// One question in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// `{lang}_{xling_id}`: unique over the whole set.
    pub id: String,
    /// The SQuAD question id, shared by the parallel versions of this question in other languages.
    pub xling_id: String,
    /// Index into [`LareqaSet::xling_ids`]: the parallel group, for comparisons without string look-ups.
    pub group: usize,
    /// Index into [`LareqaSet::languages`].
    pub lang: usize,
    pub text: String,
    /// The candidate holding this question's own answer (same language).
    pub answer: usize,
}

/// One sentence of one paragraph: a retrieval candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// `{lang}_{paragraph}_{sentence}`, 0-based.
    pub id: String,
    /// Index into [`LareqaSet::languages`].
    pub lang: usize,
    pub sentence: String,
    /// Index into [`LareqaSet::contexts`]: the paragraph the sentence comes from.
    pub context_index: usize,
    /// Position of the sentence in its paragraph (the last part of `id`).
    pub sentence_index: usize,
    /// `[start, end)` in code points of the paragraph's text, as the file gives it (for highlighting).
    pub span: (usize, usize),
}

/// One paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// Index into [`LareqaSet::languages`].
    pub lang: usize,
    /// Paragraph number within its language's file (the middle part of candidate ids).
    pub paragraph: usize,
    /// Title of the article the paragraph belongs to.
    pub title: String,
    pub text: String,
    /// This paragraph's sentences, in order.
    pub candidates: Range<usize>,
}

/// How a candidate is turned into the text an encoder sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CandidateText {
    /// The sentence alone.
    #[default]
    Sentence,
    /// The sentence followed by its whole paragraph, as LAReQA's encoders saw it (sentence + context).
    SentenceAndContext,
}

impl std::str::FromStr for CandidateText {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "sentence" => Ok(CandidateText::Sentence),
            "sentence+context" => Ok(CandidateText::SentenceAndContext),
            other => {
                Err(Error::input(format!("unknown candidate text \"{other}\" (expected sentence or sentence+context)")))
            }
        }
    }
}

/// Why a question is not part of the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// `answers` is empty.
    NoAnswer,
    /// `answer_start` lies in no sentence span (e.g. in the blank between two sentences).
    AnswerOutsideSentences { answer_start: usize },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedQuestion {
    pub lang: usize,
    /// The SQuAD question id.
    pub xling_id: String,
    pub reason: SkipReason,
}

/// A multilingual LAReQA pool: questions and candidates of every language, with relevance judgements.
///
/// Questions and candidates are stored language by language, in file order, so each language's share is
/// one contiguous range ([`Self::questions_of`], [`Self::candidates_of`]).
#[derive(Debug, Clone, Default)]
pub struct LareqaSet {
    /// Language codes in the order they were added.
    pub languages: Vec<String>,
    pub questions: Vec<Question>,
    pub candidates: Vec<Candidate>,
    pub contexts: Vec<Context>,
    /// Per question: the sorted candidate indices relevant to it, i.e. the answer sentences of every
    /// question (any language, itself included) that shares its xling id.
    pub relevant: Vec<Vec<usize>>,
    /// The distinct xling ids; `Question::group` indexes this.
    pub xling_ids: Vec<String>,
    /// Questions left out, in file order.
    pub skipped: Vec<SkippedQuestion>,
    /// Candidates whose `sentences` string differs from the context slice its span gives (the string won).
    pub text_mismatches: Vec<usize>,
    question_ranges: Vec<Range<usize>>,
    candidate_ranges: Vec<Range<usize>>,
}

impl LareqaSet {
    /// Builds a set from `(language, file name for messages, JSON bytes)` triples.
    pub fn from_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a str, &'a [u8])>) -> Result<Self> {
        let mut builder = LareqaBuilder::new();
        for (lang, file, bytes) in files {
            builder.add_language(lang, file, bytes)?;
        }
        Ok(builder.finish())
    }

    /// Index of a language code in [`Self::languages`].
    pub fn language_index(&self, lang: &str) -> Option<usize> {
        self.languages.iter().position(|l| l == lang)
    }

    /// The questions of one language (an index into [`Self::languages`]).
    pub fn questions_of(&self, lang: usize) -> Range<usize> {
        self.question_ranges.get(lang).cloned().unwrap_or(0..0)
    }

    /// The candidates of one language (an index into [`Self::languages`]).
    pub fn candidates_of(&self, lang: usize) -> Range<usize> {
        self.candidate_ranges.get(lang).cloned().unwrap_or(0..0)
    }

    /// Whether candidate `candidate` answers question `question` (binary search in the sorted relevant list).
    pub fn is_relevant(&self, question: usize, candidate: usize) -> bool {
        self.relevant.get(question).is_some_and(|r| r.binary_search(&candidate).is_ok())
    }

    /// The sentence and its paragraph, for encoders that take the pair as two inputs.
    pub fn candidate_parts(&self, candidate: usize) -> (&str, &str) {
        let c = &self.candidates[candidate];
        (&c.sentence, &self.contexts[c.context_index].text)
    }

    /// The single string an encoder embeds for a candidate. `SentenceAndContext` is the sentence, a space and
    /// the whole paragraph: the one-string form of LAReQA's (sentence, context) input, which keeps the
    /// sentence first so truncation cuts context rather than the answer.
    pub fn candidate_text(&self, candidate: usize, mode: CandidateText) -> Cow<'_, str> {
        let (sentence, context) = self.candidate_parts(candidate);
        match mode {
            CandidateText::Sentence => Cow::Borrowed(sentence),
            CandidateText::SentenceAndContext => Cow::Owned(format!("{sentence} {context}")),
        }
    }

    /// Candidate texts of a range, in order, ready to batch through an encoder.
    pub fn candidate_texts(&self, range: Range<usize>, mode: CandidateText) -> Vec<Cow<'_, str>> {
        range.map(|c| self.candidate_text(c, mode)).collect()
    }
}

/// Adds languages one file at a time, so a caller never holds more than one file's raw bytes.
#[derive(Debug, Default)]
pub struct LareqaBuilder {
    set: LareqaSet,
    group_of: HashMap<String, usize>,
}

impl LareqaBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses one language's file. `file` names it in errors. On error the builder is unchanged.
    pub fn add_language(&mut self, lang: &str, file: &str, json: &[u8]) -> Result<()> {
        if lang.is_empty() {
            return Err(Error::invalid(file, "empty language code"));
        }
        if self.set.languages.iter().any(|l| l == lang) {
            return Err(Error::invalid(file, format!("language \"{lang}\" was already added")));
        }
        let squad: SquadFile = serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(json))
            .map_err(|e| Error::json(file, format!("{}: {}", e.path(), e.inner())))?;
        let part = parse_language(&squad, lang, self.set.languages.len(), file, &self.set)?;
        self.commit(lang, part);
        Ok(())
    }

    /// Computes the relevance lists and returns the set.
    pub fn finish(mut self) -> LareqaSet {
        let set = &mut self.set;
        let mut by_group: Vec<Vec<usize>> = vec![Vec::new(); set.xling_ids.len()];
        for q in &set.questions {
            by_group[q.group].push(q.answer);
        }
        for answers in &mut by_group {
            answers.sort_unstable();
            answers.dedup();
        }
        set.relevant = set.questions.iter().map(|q| by_group[q.group].clone()).collect();
        self.set
    }

    /// Appends a validated language; only here does the builder change, so errors leave it intact.
    fn commit(&mut self, lang: &str, part: LanguagePart) {
        let set = &mut self.set;
        let q_start = set.questions.len();
        let c_start = set.candidates.len();
        for mut q in part.questions {
            q.group = match self.group_of.entry(q.xling_id.clone()) {
                Entry::Occupied(e) => *e.get(),
                Entry::Vacant(e) => {
                    set.xling_ids.push(q.xling_id.clone());
                    *e.insert(set.xling_ids.len() - 1)
                }
            };
            set.questions.push(q);
        }
        set.candidates.extend(part.candidates);
        set.contexts.extend(part.contexts);
        set.skipped.extend(part.skipped);
        set.text_mismatches.extend(part.text_mismatches);
        set.question_ranges.push(q_start..set.questions.len());
        set.candidate_ranges.push(c_start..set.candidates.len());
        set.languages.push(lang.to_string());
    }
}

// The SQuAD v1.1 layout plus LAReQA's fields. Unknown fields (`version`, `is_impossible` …) are ignored.
#[derive(Deserialize)]
struct SquadFile {
    data: Vec<Article>,
}

#[derive(Deserialize)]
struct Article {
    #[serde(default)]
    title: String,
    paragraphs: Vec<Paragraph>,
}

#[derive(Deserialize)]
struct Paragraph {
    context: String,
    qas: Vec<Qa>,
    sentence_breaks: Vec<(usize, usize)>,
    #[serde(default)]
    sentences: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Qa {
    id: String,
    question: String,
    answers: Vec<Answer>,
}

#[derive(Deserialize)]
struct Answer {
    answer_start: usize,
}

/// One file's share, with indices already offset to where it will sit in the set.
struct LanguagePart {
    questions: Vec<Question>,
    candidates: Vec<Candidate>,
    contexts: Vec<Context>,
    skipped: Vec<SkippedQuestion>,
    text_mismatches: Vec<usize>,
}

fn parse_language(
    squad: &SquadFile,
    lang: &str,
    lang_index: usize,
    file: &str,
    set: &LareqaSet,
) -> Result<LanguagePart> {
    let mut part = LanguagePart {
        questions: Vec::new(),
        candidates: Vec::new(),
        contexts: Vec::new(),
        skipped: Vec::new(),
        text_mismatches: Vec::new(),
    };
    let candidate_base = set.candidates.len();
    let context_base = set.contexts.len();
    // Question ids must be unique within a file: they are the parallel ids, and `{lang}_{id}` must be unique.
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    let mut paragraph = 0usize;
    for (a, article) in squad.data.iter().enumerate() {
        for p in &article.paragraphs {
            let where_ = || format!("article {a} (\"{}\"), paragraph {paragraph}", article.title);
            let context_index = context_base + part.contexts.len();
            let first_candidate = candidate_base + part.candidates.len();
            let sentences = sentences_of(p, file, &where_)?;
            for (s, Sentence { text, span, mismatch }) in sentences.into_iter().enumerate() {
                let index = candidate_base + part.candidates.len();
                if mismatch {
                    part.text_mismatches.push(index);
                }
                part.candidates.push(Candidate {
                    id: format!("{lang}_{paragraph}_{s}"),
                    lang: lang_index,
                    sentence: text,
                    context_index,
                    sentence_index: s,
                    span,
                });
            }
            let candidates = first_candidate..candidate_base + part.candidates.len();
            let context_chars = p.context.chars().count();
            for qa in &p.qas {
                if let Some(first) = first_seen.insert(&qa.id, paragraph) {
                    return Err(Error::invalid(
                        file,
                        format!("{}: question id \"{}\" repeats (first seen in paragraph {first})", where_(), qa.id),
                    ));
                }
                let Some(answer) = qa.answers.first() else {
                    part.skipped.push(skip(lang_index, qa, SkipReason::NoAnswer));
                    continue;
                };
                if answer.answer_start >= context_chars {
                    return Err(Error::invalid(
                        file,
                        format!(
                            "{}, question \"{}\": answer_start {} is beyond the context ({context_chars} characters)",
                            where_(),
                            qa.id,
                            answer.answer_start
                        ),
                    ));
                }
                // Spans are sorted and disjoint (checked), so at most one contains the offset.
                let start = answer.answer_start;
                let hit = part.candidates[candidates.start - candidate_base..]
                    .iter()
                    .position(|c| c.span.0 <= start && start < c.span.1);
                let Some(hit) = hit else {
                    part.skipped.push(skip(lang_index, qa, SkipReason::AnswerOutsideSentences { answer_start: start }));
                    continue;
                };
                part.questions.push(Question {
                    id: format!("{lang}_{}", qa.id),
                    xling_id: qa.id.clone(),
                    group: 0, // assigned when the language is committed
                    lang: lang_index,
                    text: qa.question.clone(),
                    answer: candidates.start + hit,
                });
            }
            part.contexts.push(Context {
                lang: lang_index,
                paragraph,
                title: article.title.clone(),
                text: p.context.clone(),
                candidates,
            });
            paragraph += 1;
        }
    }
    Ok(part)
}

fn skip(lang: usize, qa: &Qa, reason: SkipReason) -> SkippedQuestion {
    SkippedQuestion { lang, xling_id: qa.id.clone(), reason }
}

/// One checked sentence of a paragraph.
struct Sentence {
    text: String,
    span: (usize, usize),
    /// The file's `sentences` string differs from the context slice.
    mismatch: bool,
}

/// Checks a paragraph's spans and returns its sentences.
fn sentences_of(p: &Paragraph, file: &str, where_: &dyn Fn() -> String) -> Result<Vec<Sentence>> {
    let bad = |msg: String| Error::invalid(file, format!("{}: {msg}", where_()));
    if let Some(texts) = &p.sentences {
        if texts.len() != p.sentence_breaks.len() {
            return Err(bad(format!("{} sentences but {} sentence_breaks", texts.len(), p.sentence_breaks.len())));
        }
    }
    // Byte offset of every code point, plus the end: turns code-point spans into string slices.
    let byte_at: Vec<usize> = p.context.char_indices().map(|(b, _)| b).chain([p.context.len()]).collect();
    let chars = byte_at.len() - 1;
    let mut out = Vec::with_capacity(p.sentence_breaks.len());
    let mut previous_end = 0;
    for (s, &(start, end)) in p.sentence_breaks.iter().enumerate() {
        if start >= end || end > chars {
            return Err(bad(format!(
                "sentence {s}: span [{start}, {end}) is empty or outside the context ({chars} characters)"
            )));
        }
        if start < previous_end {
            return Err(bad(format!(
                "sentence {s}: span [{start}, {end}) overlaps or precedes the previous sentence (ends at {previous_end})"
            )));
        }
        previous_end = end;
        let slice = &p.context[byte_at[start]..byte_at[end]];
        let (text, mismatch) = match &p.sentences {
            Some(texts) => (texts[s].clone(), texts[s] != slice),
            None => (slice.to_string(), false),
        };
        out.push(Sentence { text, span: (start, end), mismatch });
    }
    Ok(out)
}

/// Language codes of the `*.json` files in a directory, sorted (`xquad-r/` → ar, de, el, …).
#[cfg(not(target_arch = "wasm32"))]
pub fn languages_in_dir(dir: &std::path::Path) -> Result<Vec<String>> {
    let io = |e: std::io::Error| Error::Io { file: dir.display().to_string(), message: e.to_string() };
    let mut langs = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|e| e == "json") {
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                langs.push(stem.to_string());
            }
        }
    }
    langs.sort();
    Ok(langs)
}

/// Reads `{dir}/{lang}.json` for each language, in the given order.
#[cfg(not(target_arch = "wasm32"))]
pub fn load_dir(dir: &std::path::Path, languages: &[&str]) -> Result<LareqaSet> {
    let mut builder = LareqaBuilder::new();
    for lang in languages {
        let path = dir.join(format!("{lang}.json"));
        let name = path.display().to_string();
        let bytes = std::fs::read(&path).map_err(|e| Error::Io { file: name.clone(), message: e.to_string() })?;
        builder.add_language(lang, &name, &bytes)?;
    }
    Ok(builder.finish())
}
