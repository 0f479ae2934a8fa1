//! Hard negatives mined by a model, for issue 14's objectives question: for each LAReQA question, the sentences of
//! its own article in its own language that the model ranks highest, with the answer left out. "Same article, not
//! the answer": such a sentence shares the topic and the names of the question, so the model (the base, before any
//! tuning) confuses it with the answer — an in-batch negative from another article seldom does.
//!
//! Left out besides the answer itself: every sentence relevant to the question (its answer in any language) and any
//! sentence whose text equals the answer's (a paragraph can repeat a sentence). Another question's answer may be
//! mined; it is not this question's, so it is a true negative here.

use std::collections::{BTreeMap, BTreeSet};

use lingbridge::eval::lareqa::{CandidateText, LareqaSet};
use lingbridge::{Embeddings, TextKind};

/// Embeds texts as queries or passages (the encoder's prefixes decide how each kind is read).
pub type Embed<'a> = dyn FnMut(&[String], TextKind) -> anyhow::Result<Embeddings> + 'a;

/// Per question of `questions` (indices into `set.questions`), up to `n` negatives, hardest first. A question whose
/// article holds no other sentence gets none.
pub fn mine(set: &LareqaSet, questions: &[usize], mode: CandidateText, n: usize, embed: &mut Embed) -> anyhow::Result<Vec<Vec<String>>> {
    anyhow::ensure!(n > 0, "mining needs at least one negative per question");
    // An article in one language: its candidates. The title is the file's own (a translated file may translate it).
    let article = |c: usize| (set.candidates[c].lang, set.contexts[set.candidates[c].context_index].title.as_str());
    let wanted: BTreeSet<_> = questions.iter().map(|&q| article(set.questions[q].answer)).collect();
    // `pooled`: every candidate of a wanted article once, in candidate order; `row[c]` is its row in `passages`.
    let (mut pools, mut pooled): (BTreeMap<_, Vec<usize>>, Vec<usize>) = Default::default();
    for c in 0..set.candidates.len() {
        let key = article(c);
        if wanted.contains(&key) {
            pools.entry(key).or_default().push(c);
            pooled.push(c);
        }
    }
    let row: BTreeMap<usize, usize> = pooled.iter().enumerate().map(|(i, &c)| (c, i)).collect();
    let passage_texts: Vec<String> = pooled.iter().map(|&c| set.candidate_text(c, mode).into_owned()).collect();
    let query_texts: Vec<String> = questions.iter().map(|&q| set.questions[q].text.clone()).collect();
    eprintln!("mining: {} questions against {} sentences of {} articles", query_texts.len(), passage_texts.len(), pools.len());
    let passages = embed(&passage_texts, TextKind::Passage)?;
    let queries = embed(&query_texts, TextKind::Query)?;
    anyhow::ensure!(passages.len() == passage_texts.len() && queries.len() == query_texts.len(), "the encoder returned the wrong number of vectors");

    Ok(questions
        .iter()
        .enumerate()
        .map(|(i, &q)| {
            let question = &set.questions[q];
            let answer = set.candidate_text(question.answer, mode);
            let query = queries.row(i);
            let mut scored: Vec<(f32, usize)> = pools[&article(question.answer)]
                .iter()
                .filter(|&&c| set.relevant[q].binary_search(&c).is_err())
                .map(|&c| (dot(query, passages.row(row[&c])), c))
                .collect();
            // Highest score first; ties by candidate order, so the result does not depend on the sort.
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let mut kept: Vec<String> = Vec::with_capacity(n);
            for (_, c) in scored {
                let text = &passage_texts[row[&c]];
                if *text != *answer && !kept.contains(text) {
                    kept.push(text.clone());
                    if kept.len() == n {
                        break;
                    }
                }
            }
            kept
        })
        .collect())
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::exclude::ExcludedArticles;
    use crate::data::lareqa::{Split, load, records};

    /// A stand-in encoder whose similarity is countable by hand: a vector of letter counts a–z, normalized.
    fn letters(texts: &[String], _: TextKind) -> anyhow::Result<Embeddings> {
        let mut data = Vec::new();
        for t in texts {
            let mut v = [0f32; 26];
            for ch in t.to_lowercase().chars().filter(char::is_ascii_lowercase) {
                v[(ch as u8 - b'a') as usize] += 1.0;
            }
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
            data.extend(v.iter().map(|x| x / norm));
        }
        Ok(Embeddings { dim: 26, data })
    }

    #[test]
    fn negatives_are_the_best_scored_sentences_of_the_same_article_and_language_never_the_answer() {
        let dir = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/lareqa"));
        let (set, questions) = load(&dir, &["en", "ru", "zh"], Split::Train, 0.0, 1, &ExcludedArticles::default()).unwrap();
        let mode = CandidateText::Sentence;
        let mined = mine(&set, &questions, mode, 2, &mut letters).unwrap();
        assert_eq!(mined.len(), questions.len());
        let recs = records(&set, &questions, mode);
        let mut some = 0;
        for ((&q, negatives), record) in questions.iter().zip(&mined).zip(&recs) {
            let question = &set.questions[q];
            let home = |c: usize| (set.candidates[c].lang, set.contexts[set.candidates[c].context_index].title.clone());
            let pool: Vec<usize> = (0..set.candidates.len())
                .filter(|&c| home(c) == home(question.answer) && !set.relevant[q].contains(&c))
                .filter(|&c| set.candidates[c].sentence != record.passage)
                .collect();
            // The expected list, scored here from scratch: best first, distinct texts, at most two.
            let q_vec = letters(&[question.text.clone()], TextKind::Query).unwrap();
            let mut scored: Vec<(f32, usize)> = pool
                .iter()
                .map(|&c| (dot(q_vec.row(0), letters(&[set.candidates[c].sentence.clone()], TextKind::Passage).unwrap().row(0)), c))
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let mut expected: Vec<String> = Vec::new();
            for (_, c) in scored {
                let t = &set.candidates[c].sentence;
                if expected.len() < 2 && !expected.contains(t) {
                    expected.push(t.clone());
                }
            }
            assert_eq!(negatives, &expected, "question {}", question.id);
            assert!(!negatives.contains(&record.passage), "the answer was mined for {}", question.id);
            some += !negatives.is_empty() as usize;
        }
        assert!(some > 0, "the fixture's articles have more than one sentence: some question must get a negative");
        assert!(mine(&set, &questions, mode, 0, &mut letters).is_err());
    }
}
