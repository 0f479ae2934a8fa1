//! Batch sampling, the method under study (REFERENCE.md, "The method"):
//! - **X-X-mono**: the whole batch in one language, chosen uniformly per batch; query and passage from the same
//!   record;
//! - **X-Y**: every pair takes its query from one language's record and its passage from another language's
//!   record of the same parallel group (query language ≠ passage language, both drawn per pair);
//! - **Hybrid(α)**: each batch is X-X-mono with probability α, otherwise X-Y.
//!
//! Each batch draws its source (a training file) in proportion to the source's size (records), then its items
//! without replacement, so no two pairs of a batch share a parallel id: a translation of the question must
//! never be an in-batch negative. Everything is seeded (ChaCha8): the same seed gives the same batches.

use std::collections::{BTreeMap, HashSet};

use anyhow::bail;
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::data::Record;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampling {
    XxMono,
    Xy,
    Hybrid { alpha: f64 },
}

impl Sampling {
    /// From the CLI's `--sampling x-x-mono|x-y|hybrid` and `--alpha`.
    pub fn parse(name: &str, alpha: f64) -> anyhow::Result<Self> {
        match name {
            "x-x-mono" => Ok(Sampling::XxMono),
            "x-y" => Ok(Sampling::Xy),
            "hybrid" if (0.0..=1.0).contains(&alpha) => Ok(Sampling::Hybrid { alpha }),
            "hybrid" => bail!("--alpha must be from 0 to 1"),
            other => bail!("unknown sampling {other:?} (x-x-mono, x-y or hybrid)"),
        }
    }
    fn mono_probability(self) -> f64 {
        match self {
            Sampling::XxMono => 1.0,
            Sampling::Xy => 0.0,
            Sampling::Hybrid { alpha } => alpha,
        }
    }
}

/// One training pair: the query of record `query` and the passage of record `passage` (indices into the
/// source's records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub query: usize,
    pub passage: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub source: usize,
    pub mono: bool,
    pub pairs: Vec<Pair>,
}

/// What one update encodes: the queries, then the passages (the B positives first, then the hard negatives), as
/// `loss::info_nce` takes them.
#[derive(Debug, PartialEq)]
pub struct BatchTexts<'a> {
    pub queries: Vec<&'a str>,
    pub passages: Vec<&'a str>,
    /// Hard negatives left out because they are another pair's positive in this batch.
    pub negatives_left_out: usize,
}

impl Batch {
    /// The batch's texts, with up to `hard_negatives` of each passage record's `negatives`. A mined negative can
    /// be the answer to another question of the same batch (two questions of one article, answered by
    /// neighbouring sentences); as a negative, it would teach the model that this question's answer is wrong, so
    /// it is left out.
    pub fn texts<'a>(&self, records: &'a [Record], hard_negatives: usize) -> BatchTexts<'a> {
        let queries = self.pairs.iter().map(|p| records[p.query].query.as_str()).collect();
        let mut passages: Vec<&str> = self.pairs.iter().map(|p| records[p.passage].passage.as_str()).collect();
        let positives: HashSet<&str> = passages.iter().copied().collect();
        let mut negatives_left_out = 0;
        for p in &self.pairs {
            for negative in records[p.passage].negatives.iter().take(hard_negatives) {
                if positives.contains(negative.as_str()) {
                    negatives_left_out += 1;
                } else {
                    passages.push(negative);
                }
            }
        }
        BatchTexts { queries, passages, negatives_left_out }
    }
}

struct Source {
    records: Vec<Record>,
    /// Record indices per language (each record's xling id is unique within its language).
    by_lang: BTreeMap<String, Vec<usize>>,
    /// Languages with enough records for a full mono batch.
    mono_langs: Vec<String>,
    /// Parallel groups with at least two languages: record indices, one per language.
    groups: Vec<Vec<usize>>,
}

pub struct Sampler {
    sources: Vec<Source>,
    batch_size: usize,
    sampling: Sampling,
    rng: ChaCha8Rng,
}

impl Sampler {
    /// `sources`: one record list per training file. Fails when the sampling cannot fill a batch from any source.
    pub fn new(sources: Vec<Vec<Record>>, batch_size: usize, sampling: Sampling, seed: u64) -> anyhow::Result<Self> {
        if batch_size < 2 {
            bail!("batch size must be at least 2 (in-batch negatives)");
        }
        let mut built = Vec::new();
        for records in sources {
            let mut by_lang: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            let mut by_id: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for (i, r) in records.iter().enumerate() {
                by_lang.entry(r.lang.clone()).or_default().push(i);
                by_id.entry(&r.xling_id).or_default().push(i);
            }
            let mono_langs = by_lang.iter().filter(|(_, v)| v.len() >= batch_size).map(|(l, _)| l.clone()).collect();
            let groups = by_id.into_values().filter(|g| g.len() >= 2).collect();
            built.push(Source { records, by_lang, mono_langs, groups });
        }
        let p = sampling.mono_probability();
        let usable = |s: &Source| (p == 0.0 || !s.mono_langs.is_empty()) && (p == 1.0 || s.groups.len() >= batch_size);
        if !built.iter().any(usable) {
            bail!(
                "no training source can fill a batch of {batch_size}: X-X-mono needs {batch_size} records in one language, \
                 X-Y needs {batch_size} parallel groups with two or more languages"
            );
        }
        // Sources that cannot serve this sampling are dropped here so the draw by size stays honest.
        built.retain(usable);
        Ok(Self { sources: built, batch_size, sampling, rng: ChaCha8Rng::seed_from_u64(seed) })
    }

    /// Where the random stream stands: with [`Self::set_position`] a resumed run draws exactly the batches an
    /// uninterrupted run would have drawn, without replaying the earlier ones.
    pub fn position(&self) -> u128 {
        self.rng.get_word_pos()
    }

    pub fn set_position(&mut self, position: u128) {
        self.rng.set_word_pos(position);
    }

    /// Records of a source (the batch's pairs index into these).
    pub fn records(&self, source: usize) -> &[Record] {
        &self.sources[source].records
    }

    pub fn next_batch(&mut self) -> Batch {
        let total: usize = self.sources.iter().map(|s| s.records.len()).sum();
        let mut pick = self.rng.random_range(0..total);
        let source = self
            .sources
            .iter()
            .position(|s| {
                if pick < s.records.len() {
                    true
                } else {
                    pick -= s.records.len();
                    false
                }
            })
            .expect("pick < total");
        let mono = self.rng.random_bool(self.sampling.mono_probability());
        let s = &self.sources[source];
        let pairs = if mono {
            let lang = &s.mono_langs[self.rng.random_range(0..s.mono_langs.len())];
            let pool = &s.by_lang[lang];
            sample(&mut self.rng, pool.len(), self.batch_size).iter().map(|i| Pair { query: pool[i], passage: pool[i] }).collect()
        } else {
            sample(&mut self.rng, s.groups.len(), self.batch_size)
                .iter()
                .map(|g| {
                    let group = &s.groups[g];
                    let q = self.rng.random_range(0..group.len());
                    let mut p = self.rng.random_range(0..group.len() - 1);
                    if p >= q {
                        p += 1; // any language but the query's
                    }
                    Pair { query: group[q], passage: group[p] }
                })
                .collect()
        };
        Batch { source, mono, pairs }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Source A: 3 languages × 300 groups; source B: 2 languages × 100 groups.
    fn sources() -> Vec<Vec<Record>> {
        let make = |prefix: &str, langs: &[&str], n: usize| -> Vec<Record> {
            (0..n)
                .flat_map(|i| {
                    langs.iter().map(move |l| Record {
                        xling_id: format!("{prefix}{i}"),
                        lang: l.to_string(),
                        query: format!("q{i}{l}"),
                        passage: format!("p{i}{l}"),
                        negatives: vec![],
                    })
                })
                .collect()
        };
        vec![make("a", &["en", "de", "zh"], 300), make("b", &["en", "ar"], 100)]
    }

    fn draw(sampling: Sampling, n: usize, seed: u64) -> (Sampler, Vec<Batch>) {
        let mut s = Sampler::new(sources(), 16, sampling, seed).unwrap();
        let batches = (0..n).map(|_| s.next_batch()).collect();
        (s, batches)
    }

    /// |observed − expected| within 4 standard deviations of a binomial(n, p).
    fn within_binomial(observed: usize, n: usize, p: f64) -> bool {
        let sd = (n as f64 * p * (1.0 - p)).sqrt();
        (observed as f64 - n as f64 * p).abs() <= 4.0 * sd.max(0.5)
    }

    #[test]
    fn hybrid_mono_share_matches_alpha() {
        for alpha in [0.0, 0.25, 0.5, 1.0] {
            let (_, batches) = draw(Sampling::Hybrid { alpha }, 2000, 7);
            let mono = batches.iter().filter(|b| b.mono).count();
            assert!(within_binomial(mono, 2000, alpha), "alpha {alpha}: {mono} mono batches of 2000");
        }
    }

    #[test]
    fn every_batch_keeps_the_rules() {
        let (s, batches) = draw(Sampling::Hybrid { alpha: 0.5 }, 1000, 3);
        let mut mono_langs: BTreeMap<(usize, String), usize> = BTreeMap::new();
        let mut sources = [0usize; 2];
        for b in &batches {
            let recs = s.records(b.source);
            assert_eq!(b.pairs.len(), 16);
            sources[b.source] += 1;
            let ids: BTreeSet<&str> = b.pairs.iter().map(|p| recs[p.query].xling_id.as_str()).collect();
            assert_eq!(ids.len(), b.pairs.len(), "duplicate xling id in a batch");
            for p in &b.pairs {
                let (q, d) = (&recs[p.query], &recs[p.passage]);
                assert_eq!(q.xling_id, d.xling_id, "query and passage must be parallel");
                if b.mono {
                    assert_eq!(q.lang, recs[b.pairs[0].query].lang, "mono batch in one language");
                    assert_eq!(p.query, p.passage);
                } else {
                    assert_ne!(q.lang, d.lang, "X-Y pair in one language");
                }
            }
            if b.mono {
                *mono_langs.entry((b.source, recs[b.pairs[0].query].lang.clone())).or_default() += 1;
            }
        }
        // Sources in proportion to size: 900 vs 200 records.
        assert!(within_binomial(sources[0], 1000, 900.0 / 1100.0), "{sources:?}");
        // Mono languages uniform within each source.
        for (source, langs) in [(0usize, ["en", "de", "zh"].as_slice()), (1, ["en", "ar"].as_slice())] {
            let n: usize = langs.iter().map(|l| mono_langs.get(&(source, l.to_string())).copied().unwrap_or(0)).sum();
            for l in langs {
                let k = mono_langs.get(&(source, l.to_string())).copied().unwrap_or(0);
                assert!(within_binomial(k, n, 1.0 / langs.len() as f64), "source {source} {l}: {k} of {n}");
            }
        }
    }

    #[test]
    fn xy_language_pairs_cover_all_directions() {
        let (s, batches) = draw(Sampling::Xy, 400, 11);
        let mut directions: BTreeMap<(String, String), usize> = BTreeMap::new();
        for b in batches.iter().filter(|b| b.source == 0) {
            assert!(!b.mono);
            for p in &b.pairs {
                let r = s.records(0);
                *directions.entry((r[p.query].lang.clone(), r[p.passage].lang.clone())).or_default() += 1;
            }
        }
        assert_eq!(directions.len(), 6, "all ordered pairs of 3 languages: {directions:?}");
        let n: usize = directions.values().sum();
        for (d, k) in &directions {
            assert!(within_binomial(*k, n, 1.0 / 6.0), "{d:?}: {k} of {n}");
        }
    }

    #[test]
    fn seeded_and_reproducible() {
        assert_eq!(draw(Sampling::Hybrid { alpha: 0.5 }, 50, 1).1, draw(Sampling::Hybrid { alpha: 0.5 }, 50, 1).1);
        assert_ne!(draw(Sampling::Hybrid { alpha: 0.5 }, 50, 1).1, draw(Sampling::Hybrid { alpha: 0.5 }, 50, 2).1);
    }

    #[test]
    fn a_restored_position_continues_the_same_batches() {
        let (mut a, _) = draw(Sampling::Hybrid { alpha: 0.5 }, 7, 5);
        let position = a.position();
        let mut b = Sampler::new(sources(), 16, Sampling::Hybrid { alpha: 0.5 }, 5).unwrap();
        b.set_position(position);
        for _ in 0..20 {
            assert_eq!(a.next_batch(), b.next_batch());
        }
    }

    #[test]
    fn impossible_settings_are_errors() {
        let tiny = vec![sources()[1][..6].to_vec()];
        assert!(Sampler::new(tiny, 16, Sampling::XxMono, 0).is_err());
        assert!(Sampler::new(sources(), 1, Sampling::Xy, 0).is_err());
        assert!(Sampling::parse("hybrid", 1.5).is_err());
        assert!(Sampling::parse("x-z", 0.5).is_err());
        assert_eq!(Sampling::parse("hybrid", 0.5).unwrap(), Sampling::Hybrid { alpha: 0.5 });
    }

    #[test]
    fn a_hard_negative_that_is_another_pairs_positive_is_left_out() {
        let record = |q: &str, p: &str, negatives: &[&str]| Record {
            xling_id: q.into(),
            lang: "en".into(),
            query: q.into(),
            passage: p.into(),
            negatives: negatives.iter().map(|n| n.to_string()).collect(),
        };
        // Pair 0's first negative answers pair 1's question; its second is a true negative.
        let records = vec![record("q0", "p0", &["p1", "n0"]), record("q1", "p1", &["n1", "n1b"]), record("q2", "p2", &[])];
        let batch = Batch { source: 0, mono: true, pairs: vec![Pair { query: 0, passage: 0 }, Pair { query: 1, passage: 1 }] };
        let texts = batch.texts(&records, 2);
        assert_eq!(texts.queries, ["q0", "q1"]);
        assert_eq!(texts.passages, ["p0", "p1", "n0", "n1", "n1b"]);
        assert_eq!(texts.negatives_left_out, 1);
        // Only the first `hard_negatives` of each record are read, before the filter.
        let texts = batch.texts(&records, 1);
        assert_eq!(texts.passages, ["p0", "p1", "n1"]);
        assert_eq!(texts.negatives_left_out, 1);
        assert_eq!(batch.texts(&records, 0).passages, ["p0", "p1"]);
    }
}
