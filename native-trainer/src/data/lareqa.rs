//! LAReQA files (XQuAD-R, MLQA-R) as training records, with an article-disjoint train/dev split: a parallel
//! group goes to dev when its article (the title of its first language's paragraph) hashes below the dev
//! fraction, so no article has questions on both sides.

use std::path::Path;

use lingbridge::eval::lareqa::{self, CandidateText};

use super::Record;

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

pub fn convert(dir: &Path, langs: &[&str], split: Split, dev_fraction: f64, seed: u64, mode: CandidateText) -> anyhow::Result<Vec<Record>> {
    anyhow::ensure!((0.0..=1.0).contains(&dev_fraction), "--dev-fraction must be from 0 to 1");
    let set = lareqa::load_dir(dir, langs)?;
    // The article of each parallel group: its first question's paragraph title.
    let mut group_title: Vec<Option<&str>> = vec![None; set.xling_ids.len()];
    for q in &set.questions {
        let c = &set.candidates[q.answer];
        group_title[q.group].get_or_insert(set.contexts[c.context_index].title.as_str());
    }
    let mut records = Vec::new();
    for q in &set.questions {
        let in_dev = article_position(group_title[q.group].unwrap_or(""), seed) < dev_fraction;
        if in_dev != (split == Split::Dev) {
            continue;
        }
        records.push(Record {
            xling_id: q.xling_id.clone(),
            lang: set.languages[q.lang].clone(),
            query: q.text.clone(),
            passage: set.candidate_text(q.answer, mode).into_owned(),
            negatives: vec![],
        });
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn train_and_dev_are_article_disjoint_and_cover_everything() {
        let dir = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/lareqa"));
        let langs = ["en", "ru", "zh"];
        let all = convert(&dir, &langs, Split::Train, 0.0, 1, CandidateText::Sentence).unwrap();
        let train = convert(&dir, &langs, Split::Train, 0.5, 1, CandidateText::Sentence).unwrap();
        let dev = convert(&dir, &langs, Split::Dev, 0.5, 1, CandidateText::Sentence).unwrap();
        assert_eq!(train.len() + dev.len(), all.len());
        let train_ids: std::collections::BTreeSet<_> = train.iter().map(|r| &r.xling_id).collect();
        assert!(dev.iter().all(|r| !train_ids.contains(&r.xling_id)), "a question on both sides");
        assert!(!train.is_empty() && !dev.is_empty(), "the fixture's two articles should split at 0.5 (seed 1)");
    }
}
