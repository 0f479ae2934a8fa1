//! LAReQA files (XQuAD-R, MLQA-R) as training records, with an article-disjoint train/dev split: a parallel
//! group goes to dev when its article (the title of its first language's paragraph) hashes below the dev
//! fraction, so no article has questions on both sides.

use std::path::Path;

use lingbridge::eval::lareqa::{self, CandidateText, LareqaSet};

use super::Record;
use super::exclude::ExcludedArticles;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Train,
    Dev,
}

/// A stable hash of the article title with the seed, mapped to [0, 1).
fn article_position(title: &str, seed: u64) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in title.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// The side of the split of every parallel group (`None`: its article is in `exclude`). A group goes with its
/// article: the title of its first question's paragraph.
fn group_sides(set: &LareqaSet, dir: &Path, dev_fraction: f64, seed: u64, exclude: &ExcludedArticles) -> anyhow::Result<Vec<Option<Split>>> {
    anyhow::ensure!((0.0..=1.0).contains(&dev_fraction), "--dev-fraction must be from 0 to 1");
    let mut group_title: Vec<Option<&str>> = vec![None; set.xling_ids.len()];
    for q in &set.questions {
        let c = &set.candidates[q.answer];
        group_title[q.group].get_or_insert(set.contexts[c.context_index].title.as_str());
    }
    let mut left_out = std::collections::BTreeSet::new();
    let sides = group_title
        .iter()
        .map(|title| {
            let title = title.unwrap_or("");
            if exclude.contains(title) {
                left_out.insert(title);
                None
            } else if article_position(title, seed) < dev_fraction {
                Some(Split::Dev)
            } else {
                Some(Split::Train)
            }
        })
        .collect();
    if !left_out.is_empty() {
        eprintln!("{}: left out {} article(s) an evaluation set holds: {}", dir.display(), left_out.len(), left_out.into_iter().collect::<Vec<_>>().join(", "));
    }
    Ok(sides)
}

/// Parallel groups whose article `exclude` holds are on neither side (left out of training and dev alike).
pub fn convert(dir: &Path, langs: &[&str], split: Split, dev_fraction: f64, seed: u64, mode: CandidateText, exclude: &ExcludedArticles) -> anyhow::Result<Vec<Record>> {
    let (set, questions) = load(dir, langs, split, dev_fraction, seed, exclude)?;
    Ok(records(&set, &questions, mode))
}

/// The set and the indices of the questions on `split`'s side (what `convert` turns into records; kept apart
/// for mining negatives, which needs the set's articles).
pub fn load(dir: &Path, langs: &[&str], split: Split, dev_fraction: f64, seed: u64, exclude: &ExcludedArticles) -> anyhow::Result<(LareqaSet, Vec<usize>)> {
    let set = lareqa::load_dir(dir, langs)?;
    let sides = group_sides(&set, dir, dev_fraction, seed, exclude)?;
    let questions = (0..set.questions.len()).filter(|&q| sides[set.questions[q].group] == Some(split)).collect();
    Ok((set, questions))
}

/// One record per question: the question and its own language's answer.
pub fn records(set: &LareqaSet, questions: &[usize], mode: CandidateText) -> Vec<Record> {
    questions
        .iter()
        .map(|&q| {
            let q = &set.questions[q];
            Record {
                xling_id: q.xling_id.clone(),
                lang: set.languages[q.lang].clone(),
                query: q.text.clone(),
                passage: set.candidate_text(q.answer, mode).into_owned(),
                negatives: vec![],
            }
        })
        .collect()
}

/// The same split as LAReQA files: `{lang}.json` in `out` holding only the articles on `split`'s side, so
/// `lingbridge eval --dataset OUT` scores exactly the articles that training never saw. An article goes with
/// its questions' parallel groups (decided as for the records); one with questions on both sides is an error.
/// Returns the kept articles' titles in the first language.
pub fn write_split_files(dir: &Path, langs: &[&str], split: Split, dev_fraction: f64, seed: u64, out: &Path) -> anyhow::Result<Vec<String>> {
    use anyhow::Context;
    use std::collections::BTreeSet;
    // The parallel ids of each side, decided as for the records.
    let set = lareqa::load_dir(dir, langs)?;
    let sides = group_sides(&set, dir, dev_fraction, seed, &ExcludedArticles::default())?;
    let ids_of = |side: Split| -> BTreeSet<&str> {
        set.xling_ids.iter().zip(&sides).filter(|(_, s)| **s == Some(side)).map(|(id, _)| id.as_str()).collect()
    };
    let keep = ids_of(split);
    let other = ids_of(if split == Split::Dev { Split::Train } else { Split::Dev });
    std::fs::create_dir_all(out).with_context(|| format!("{}: cannot create", out.display()))?;
    let mut first_titles = None;
    for lang in langs {
        let path = dir.join(format!("{lang}.json"));
        let bytes = std::fs::read(&path).with_context(|| format!("{}: cannot read", path.display()))?;
        let mut json: serde_json::Value = serde_json::from_slice(&bytes).with_context(|| format!("{}", path.display()))?;
        let articles = json.get_mut("data").and_then(|d| d.as_array_mut()).with_context(|| format!("{}: no \"data\" list", path.display()))?;
        let mut error = None;
        articles.retain(|article| {
            let ids: Vec<&str> = article["paragraphs"].as_array().into_iter().flatten()
                .flat_map(|p| p["qas"].as_array().into_iter().flatten())
                .filter_map(|qa| qa["id"].as_str())
                .collect();
            // Questions the loader skips (no answer sentence) are on neither side.
            let inside = ids.iter().any(|id| keep.contains(*id));
            if inside && ids.iter().any(|id| other.contains(*id)) {
                error.get_or_insert(format!("article {} has questions on both sides of the split", article["title"]));
            }
            inside
        });
        if let Some(e) = error {
            anyhow::bail!("{}: {e}", path.display());
        }
        anyhow::ensure!(!articles.is_empty(), "no article of {} falls on this side of the split", path.display());
        let titles: Vec<String> = articles.iter().map(|a| a["title"].as_str().unwrap_or("").to_string()).collect();
        first_titles.get_or_insert(titles);
        let target = out.join(format!("{lang}.json"));
        std::fs::write(&target, serde_json::to_vec(&json)?).with_context(|| format!("{}: cannot write", target.display()))?;
    }
    Ok(first_titles.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn train_and_dev_are_article_disjoint_and_cover_everything() {
        let dir = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/lareqa"));
        let langs = ["en", "ru", "zh"];
        let none = ExcludedArticles::default();
        let all = convert(&dir, &langs, Split::Train, 0.0, 1, CandidateText::Sentence, &none).unwrap();
        let train = convert(&dir, &langs, Split::Train, 0.5, 1, CandidateText::Sentence, &none).unwrap();
        let dev = convert(&dir, &langs, Split::Dev, 0.5, 1, CandidateText::Sentence, &none).unwrap();
        assert_eq!(train.len() + dev.len(), all.len());
        let train_ids: std::collections::BTreeSet<_> = train.iter().map(|r| &r.xling_id).collect();
        assert!(dev.iter().all(|r| !train_ids.contains(&r.xling_id)), "a question on both sides");
        assert!(!train.is_empty() && !dev.is_empty(), "the fixture's two articles should split at 0.5 (seed 1)");

        // The LAReQA files of the dev side hold exactly the dev records' questions.
        let out = tempfile::tempdir().unwrap();
        let titles = write_split_files(&dir, &langs, Split::Dev, 0.5, 1, out.path()).unwrap();
        assert_eq!(titles.len(), 1, "{titles:?}");
        let held_out = convert(out.path(), &langs, Split::Train, 0.0, 1, CandidateText::Sentence, &none).unwrap();
        assert_eq!(held_out, dev);

        // An article an evaluation set holds is in neither split, in any language.
        let eval = tempfile::tempdir().unwrap();
        std::fs::write(eval.path().join("en.json"), r#"{"data":[{"title":"rivers","paragraphs":[]}]}"#).unwrap();
        let exclude = ExcludedArticles::from_datasets(&[eval.path().to_path_buf()]).unwrap();
        let kept = convert(&dir, &langs, Split::Train, 0.0, 1, CandidateText::Sentence, &exclude).unwrap();
        assert!(!kept.is_empty() && kept.len() < all.len(), "{} of {}", kept.len(), all.len());
        assert!(kept.iter().all(|r| r.xling_id != "q-river" && r.xling_id != "q-length"), "the Rivers article is gone");
    }
}
