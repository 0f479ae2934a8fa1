//! SQuAD-format QA files, one per language (XQuAD, machine-translated SQuAD, ARCD): records are joined
//! across languages by question id. The passage is the answer's paragraph, or with `Passage::Sentence` the
//! sentence around the answer, cut by a small language-agnostic splitter (SQuAD has no sentence spans).

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

use super::Record;
use super::langs::normalize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passage {
    Paragraph,
    Sentence,
}

#[derive(Deserialize)]
struct File {
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
}
#[derive(Deserialize)]
struct Qa {
    id: String,
    question: String,
    #[serde(default)]
    answers: Vec<Answer>,
}
#[derive(Deserialize)]
struct Answer {
    answer_start: usize,
}

/// Sentence ends: Latin and Greek/Cyrillic full stops, CJK, Devanagari danda, Arabic question mark.
fn is_end(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '。' | '！' | '？' | '।' | '؟' | '\n')
}

/// The sentence containing character offset `at` (code points, as SQuAD's answer_start counts them).
pub fn sentence_at(context: &str, at: usize) -> &str {
    let chars: Vec<(usize, char)> = context.char_indices().collect();
    let at = at.min(chars.len().saturating_sub(1));
    // A sentence ends after an end mark followed by whitespace (or the text's end); CJK marks end it directly.
    let boundary = |i: usize| -> bool {
        let c = chars[i].1;
        is_end(c) && (matches!(c, '。' | '！' | '？' | '\n') || chars.get(i + 1).is_none_or(|(_, n)| n.is_whitespace()))
    };
    let start = (0..at).rev().find(|&i| boundary(i)).map_or(0, |i| i + 1);
    let end = (at..chars.len()).find(|&i| boundary(i)).map_or(chars.len(), |i| i + 1);
    let byte = |i: usize| chars.get(i).map_or(context.len(), |(b, _)| *b);
    context[byte(start)..byte(end)].trim()
}

/// Reads SQuAD-format files `(language, path)`; a question without an answer is skipped. Question ids must be
/// unique within a file; the same id in several files marks translations.
/// Articles in `exclude` are left out (whole, in every file).
pub fn convert(files: &[(String, &Path)], passage: Passage, exclude: &super::exclude::ExcludedArticles) -> anyhow::Result<Vec<Record>> {
    let mut records = Vec::new();
    for (lang, path) in files {
        let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
        let bytes = lingbridge::eval::beir::gunzip(&path.display().to_string(), &bytes)?;
        let file: File = serde_json::from_slice(&bytes).with_context(|| format!("{}: not SQuAD-format JSON", path.display()))?;
        let lang = normalize(lang);
        let mut seen = BTreeSet::new();
        let (excluded, kept): (Vec<&Article>, Vec<&Article>) = file.data.iter().partition(|a| exclude.contains(&a.title));
        if !excluded.is_empty() {
            let titles: Vec<&str> = excluded.iter().map(|a| a.title.as_str()).collect();
            eprintln!("{}: left out {} article(s) an evaluation set holds: {}", path.display(), titles.len(), titles.join(", "));
        }
        for p in &kept.iter().flat_map(|a| &a.paragraphs).collect::<Vec<_>>() {
            for qa in &p.qas {
                if !seen.insert(qa.id.clone()) {
                    bail!("{}: question id {} appears twice", path.display(), qa.id);
                }
                let Some(answer) = qa.answers.first() else { continue };
                if answer.answer_start >= p.context.chars().count() || qa.question.trim().is_empty() {
                    continue;
                }
                let text = match passage {
                    Passage::Paragraph => p.context.trim(),
                    Passage::Sentence => sentence_at(&p.context, answer.answer_start),
                };
                if text.is_empty() {
                    continue;
                }
                records.push(Record {
                    xling_id: qa.id.clone(),
                    lang: lang.clone(),
                    query: qa.question.trim().to_string(),
                    passage: text.to_string(),
                    negatives: vec![],
                });
            }
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_answer_sentence() {
        let ctx = "The river is long. It starts in the hills! Boats sail on it.";
        assert_eq!(sentence_at(ctx, ctx.find("hills").unwrap()), "It starts in the hills!");
        assert_eq!(sentence_at(ctx, 0), "The river is long.");
        assert_eq!(sentence_at("图书馆九点开门。河流很长。", 9), "河流很长。");
        assert_eq!(sentence_at("图书馆九点开门。河流很长。", 7), "图书馆九点开门。", "the mark belongs to its sentence");
        assert_eq!(sentence_at("Version 3.14 is out. Done.", 9), "Version 3.14 is out.");
    }

    #[test]
    fn joins_languages_by_question_id() {
        let dir = tempfile::tempdir().unwrap();
        let en = dir.path().join("en.json");
        let de = dir.path().join("de.json");
        std::fs::write(&en, r#"{"data":[{"paragraphs":[{"context":"Rivers are long. They start in hills.","qas":[{"id":"q1","question":"Where do rivers start?","answers":[{"answer_start":32,"text":"hills"}]},{"id":"q2","question":"No answer?","answers":[]}]}]}]}"#).unwrap();
        std::fs::write(&de, r#"{"data":[{"paragraphs":[{"context":"Flüsse sind lang. Sie beginnen in Hügeln.","qas":[{"id":"q1","question":"Wo beginnen Flüsse?","answers":[{"answer_start":34,"text":"Hügeln"}]}]}]}]}"#).unwrap();
        let none = super::super::exclude::ExcludedArticles::default();
        let r = convert(&[("en".into(), en.as_path()), ("deu".into(), de.as_path())], Passage::Sentence, &none).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].xling_id.as_str(), r[0].passage.as_str()), ("q1", "They start in hills."));
        assert_eq!((r[1].lang.as_str(), r[1].passage.as_str()), ("de", "Sie beginnen in Hügeln."));
        let p = convert(&[("en".into(), en.as_path())], Passage::Paragraph, &none).unwrap();
        assert_eq!(p[0].passage, "Rivers are long. They start in hills.");
    }

    #[test]
    fn articles_an_evaluation_set_holds_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let train = dir.path().join("train.json");
        std::fs::write(&train, r#"{"data":[
            {"title":"Prime_number","paragraphs":[{"context":"Two is prime.","qas":[{"id":"p1","question":"Is two prime?","answers":[{"answer_start":0,"text":"Two"}]}]}]},
            {"title":"Rivers","paragraphs":[{"context":"Rivers are long.","qas":[{"id":"r1","question":"Are rivers long?","answers":[{"answer_start":0,"text":"Rivers"}]}]}]}]}"#).unwrap();
        let eval = dir.path().join("eval");
        std::fs::create_dir(&eval).unwrap();
        std::fs::write(eval.join("en.json"), r#"{"data":[{"title":"Prime number","paragraphs":[]}]}"#).unwrap();
        let exclude = super::super::exclude::ExcludedArticles::from_datasets(&[eval]).unwrap();
        let r = convert(&[("en".into(), train.as_path())], Passage::Sentence, &exclude).unwrap();
        assert_eq!(r.iter().map(|r| r.xling_id.as_str()).collect::<Vec<_>>(), ["r1"]);
    }
}
