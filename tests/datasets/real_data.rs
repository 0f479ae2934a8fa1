//! Real data for tests/datasets.rs, read from where it lives (`lingbridge::data_paths`); never copied into the
//! project: the published XQuAD-R, MLQA-R, SciFact, MIRACL and Mr.TyDi files give the counts their sources state.

use std::collections::BTreeMap;
use std::path::Path;

use lingbridge::data_paths::require_or_skip;
use lingbridge::eval::lareqa::{self, LareqaSet};
use lingbridge::eval::{beir, miracl};

/// (language, questions, candidates) for a LAReQA set.
fn check_counts(set: &LareqaSet, expected: &[(&str, usize, usize)]) {
    let got: Vec<(&str, usize, usize)> = set
        .languages
        .iter()
        .enumerate()
        .map(|(l, lang)| (lang.as_str(), set.questions_of(l).len(), set.candidates_of(l).len()))
        .collect();
    assert_eq!(got, expected);
    assert!(set.skipped.is_empty(), "skipped: {:?}", set.skipped);
    // Every question's own answer is among its relevant candidates, in its own language.
    for (q, question) in set.questions.iter().enumerate() {
        assert!(set.is_relevant(q, question.answer));
        assert_eq!(set.candidates[question.answer].lang, question.lang);
    }
}

/// How many questions have each relevant-set size.
fn relevant_size_histogram(set: &LareqaSet) -> BTreeMap<usize, usize> {
    let mut histogram = BTreeMap::new();
    for relevant in &set.relevant {
        *histogram.entry(relevant.len()).or_insert(0) += 1;
    }
    histogram
}

fn load_all(dir: &Path) -> LareqaSet {
    let langs = lareqa::languages_in_dir(dir).unwrap();
    let langs: Vec<&str> = langs.iter().map(String::as_str).collect();
    lareqa::load_dir(dir, &langs).unwrap()
}

#[test]
fn xquad_r_matches_the_published_counts() {
    let Some(dir) = require_or_skip("xquad-r") else { return };
    let set = load_all(&dir);
    let candidates = [
        ("ar", 1222),
        ("de", 1276),
        ("el", 1234),
        ("en", 1180),
        ("es", 1215),
        ("hi", 1244),
        ("ru", 1219),
        ("th", 852),
        ("tr", 1167),
        ("vi", 1209),
        ("zh", 1196),
    ];
    let expected: Vec<(&str, usize, usize)> = candidates.iter().map(|&(l, c)| (l, 1190, c)).collect();
    check_counts(&set, &expected);
    assert_eq!(set.candidates.len(), 13_014);
    assert_eq!(set.contexts.len(), 11 * 240);
    assert_eq!(set.xling_ids.len(), 1190);
    // 11-way parallel: one relevant sentence per language for every question.
    assert_eq!(relevant_size_histogram(&set), BTreeMap::from([(11, 11 * 1190)]));
    for (q, relevant) in set.relevant.iter().enumerate() {
        let langs: std::collections::BTreeSet<usize> = relevant.iter().map(|&c| set.candidates[c].lang).collect();
        assert_eq!(langs.len(), 11, "question {}", set.questions[q].id);
    }
    // Only the two Turkish sentences whose context has a mis-decoded "⁄" disagree with their spans.
    let mismatched: Vec<&str> = set.text_mismatches.iter().map(|&c| set.candidates[c].id.as_str()).collect();
    assert_eq!(mismatched, ["tr_48_2", "tr_48_3"]);
    // Paragraph numbers run over the whole file: the last English paragraph is 239.
    let en = set.language_index("en").unwrap();
    assert!(set.candidates[set.candidates_of(en).end - 1].id.starts_with("en_239_"));
}

#[test]
fn mlqa_r_matches_the_published_counts() {
    let Some(dir) = require_or_skip("mlqa-r") else { return };
    let set = load_all(&dir);
    check_counts(
        &set,
        &[
            ("ar", 517, 2545),
            ("de", 512, 2362),
            ("en", 1148, 6264),
            ("es", 500, 1787),
            ("hi", 507, 2426),
            ("vi", 511, 2828),
            ("zh", 504, 2322),
        ],
    );
    assert_eq!(set.xling_ids.len(), 1148);
    // 820 ids in 4 languages, 263 in 3, 65 in 2 (SOURCE.md): each of their questions has that many.
    assert_eq!(relevant_size_histogram(&set), BTreeMap::from([(2, 65 * 2), (3, 263 * 3), (4, 820 * 4)]));
    assert!(set.text_mismatches.is_empty());
}

#[test]
fn scifact_matches_its_source_counts() {
    let Some(dir) = require_or_skip("beir-scifact") else { return };
    let data = beir::load_dir(&dir, "test").unwrap();
    assert_eq!(data.corpus.len(), 5183);
    assert_eq!(data.qrels.len(), 300);
    assert_eq!(data.qrels.values().map(|d| d.len()).sum::<usize>(), 339);
    // BEIR's own queries.jsonl holds every split's claims; the judged ones are the 300 test claims.
    assert_eq!(data.judged_queries().len(), 300);
    assert!(data.unknown_queries().is_empty());
    assert!(data.unknown_documents().is_empty());
    let distinct: std::collections::BTreeSet<&String> = data.qrels.values().flat_map(|d| d.keys()).collect();
    assert_eq!(distinct.len(), 283);
}

#[test]
fn miracl_dev_topics_and_qrels_load_for_every_language() {
    let Some(dir) = require_or_skip("miracl-topics-qrels") else { return };
    // (language, queries, judged pairs, relevant pairs), from SOURCE.md.
    let table = [
        ("ar", 2896, 29197, 5658),
        ("bn", 411, 4206, 863),
        ("de", 305, 3144, 811),
        ("en", 799, 8350, 2326),
        ("es", 648, 6443, 2987),
        ("fa", 632, 6571, 1314),
        ("fi", 1271, 12008, 2447),
        ("fr", 343, 3429, 731),
        ("hi", 350, 3494, 752),
        ("id", 960, 9668, 3088),
        ("ja", 860, 8354, 1790),
        ("ko", 213, 3057, 547),
        ("ru", 1252, 13100, 3560),
        ("sw", 482, 5092, 910),
        ("te", 828, 1606, 854),
        ("th", 733, 7573, 1343),
        ("yo", 119, 1188, 144),
        ("zh", 393, 3928, 994),
    ];
    for (lang, queries, judged, relevant) in table {
        let pair = miracl::load_dir(&dir, miracl::Collection::Miracl, lang, "dev").unwrap();
        let grades: Vec<i32> = pair.qrels.values().flat_map(|d| d.values().copied()).collect();
        let got = (pair.topics.len(), grades.len(), grades.iter().filter(|&&g| g > 0).count());
        assert_eq!(got, (queries, judged, relevant), "MIRACL {lang}");
        assert_eq!(pair.qrels.len(), queries, "MIRACL {lang}: every query is judged");
        assert!(pair.unknown_queries().is_empty(), "MIRACL {lang}");
    }
}

#[test]
fn mrtydi_topics_and_qrels_load_for_every_language() {
    let Some(dir) = require_or_skip("mrtydi-topics-qrels") else { return };
    // (language, dev queries, test queries), from SOURCE.md.
    let table = [
        ("ar", 3115, 1081),
        ("bn", 440, 111),
        ("en", 878, 744),
        ("fi", 1738, 1254),
        ("id", 1224, 829),
        ("ja", 928, 720),
        ("ko", 303, 421),
        ("ru", 1375, 995),
        ("sw", 526, 670),
        ("te", 983, 646),
        ("th", 807, 1190),
    ];
    for (lang, dev, test) in table {
        for (split, queries) in [("dev", dev), ("test", test)] {
            let pair = miracl::load_dir(&dir, miracl::Collection::MrTydi, lang, split).unwrap();
            assert_eq!(pair.topics.len(), queries, "Mr.TyDi {lang} {split}");
            assert_eq!(pair.qrels.len(), queries, "Mr.TyDi {lang} {split}: every query is judged");
            assert!(pair.qrels.values().flat_map(|d| d.values()).all(|&g| g == 1), "positives only");
            assert!(pair.unknown_queries().is_empty());
        }
    }
}

#[test]
fn missing_data_skips_outside_ci_and_fails_in_ci() {
    let absent = "no-such-dataset-lingbridge";
    if lingbridge::data_paths::in_ci() {
        let outcome = std::panic::catch_unwind(|| require_or_skip(absent));
        assert!(outcome.is_err(), "CI=true must turn missing data into a failure");
    } else {
        assert_eq!(require_or_skip(absent), None);
    }
}

#[test]
fn the_data_root_can_be_found_from_the_workspace() {
    // With no data anywhere this only checks that the search list is sane.
    let roots = lingbridge::data_paths::data_roots();
    assert!(roots.iter().any(|r| r.ends_with("shared/data")));
    if let Some(dir) = lingbridge::data_paths::dataset_dir("xquad-r") {
        assert!(dir.join("en.json").is_file());
    }
}
