//! Language bias in a multilingual (Mul) ranking, as REFERENCE.md defines it:
//! - rank distance RD(q) = max rank − min rank over q's relevant candidates (one per language); averaged per
//!   query language, then macro-averaged over languages. Lower = the model mixes languages more fairly.
//! - same-language share: the fraction of q's top 10 that is in q's own language; averaged the same way.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Cutoff for the same-language share.
pub const SHARE_CUTOFF: usize = 10;

/// What one query contributes to the bias measures.
#[derive(Debug, Clone)]
pub struct QueryBias<'a> {
    pub lang: &'a str,
    /// 1-based ranks of the query's relevant candidates in the Mul ranking.
    pub relevant_ranks: &'a [usize],
    /// Languages of the top `SHARE_CUTOFF` candidates, best first (fewer if the pool is smaller).
    pub top_langs: &'a [&'a str],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanguageBias {
    pub queries: usize,
    pub rank_distance: f64,
    pub same_language_top10: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiasReport {
    pub per_language: BTreeMap<String, LanguageBias>,
    /// Macro averages over query languages.
    pub rank_distance: f64,
    pub same_language_top10: f64,
}

/// max − min of the ranks (0 for a single relevant candidate); `None` when there are none.
pub fn rank_distance(ranks: &[usize]) -> Option<usize> {
    let max = ranks.iter().max()?;
    let min = ranks.iter().min()?;
    Some(max - min)
}

/// Aggregates per query language, then macro-averages. Queries without relevant candidates are skipped.
pub fn language_bias<'a>(queries: impl IntoIterator<Item = QueryBias<'a>>) -> BiasReport {
    // (count, sum of RD, sum of share) per language
    let mut acc: BTreeMap<&str, (usize, f64, f64)> = BTreeMap::new();
    for q in queries {
        let Some(rd) = rank_distance(q.relevant_ranks) else { continue };
        let top = &q.top_langs[..q.top_langs.len().min(SHARE_CUTOFF)];
        let share = if top.is_empty() { 0.0 } else { top.iter().filter(|l| **l == q.lang).count() as f64 / top.len() as f64 };
        let e = acc.entry(q.lang).or_default();
        e.0 += 1;
        e.1 += rd as f64;
        e.2 += share;
    }
    let per_language: BTreeMap<String, LanguageBias> = acc
        .into_iter()
        .map(|(lang, (n, rd, share))| {
            let n_f = n as f64;
            (lang.to_string(), LanguageBias { queries: n, rank_distance: rd / n_f, same_language_top10: share / n_f })
        })
        .collect();
    let langs = per_language.len().max(1) as f64;
    BiasReport {
        rank_distance: per_language.values().map(|l| l.rank_distance).sum::<f64>() / langs,
        same_language_top10: per_language.values().map(|l| l.same_language_top10).sum::<f64>() / langs,
        per_language,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_distance_is_max_minus_min_averaged_per_language_then_macro() {
        let en_top = ["en", "en", "de", "en", "de", "en", "en", "en", "en", "en"];
        let de_top = ["de", "en", "de", "en", "de", "en", "en", "en", "en", "en"];
        let report = language_bias([
            QueryBias { lang: "en", relevant_ranks: &[1, 5, 11], top_langs: &en_top }, // RD 10, share .8
            QueryBias { lang: "en", relevant_ranks: &[2, 4], top_langs: &en_top },     // RD 2, share .8
            QueryBias { lang: "de", relevant_ranks: &[3, 3], top_langs: &de_top },     // RD 0, share .3
            QueryBias { lang: "de", relevant_ranks: &[], top_langs: &de_top },         // skipped
        ]);
        assert_eq!(report.per_language["en"], LanguageBias { queries: 2, rank_distance: 6.0, same_language_top10: 0.8 });
        assert_eq!(report.per_language["de"].queries, 1);
        assert_eq!(report.per_language["de"].rank_distance, 0.0);
        assert!((report.per_language["de"].same_language_top10 - 0.3).abs() < 1e-12);
        assert_eq!(report.rank_distance, 3.0);
        assert!((report.same_language_top10 - 0.55).abs() < 1e-12);
    }

    #[test]
    fn empty_input_gives_zero_not_nan() {
        let r = language_bias([]);
        assert_eq!((r.rank_distance, r.same_language_top10), (0.0, 0.0));
        assert_eq!(rank_distance(&[]), None);
        assert_eq!(rank_distance(&[7]), Some(0));
    }
}
