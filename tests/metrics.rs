//! trec_eval-exact metrics: every per-query value and every mean equal to pytrec_eval's within 1e-9 on the golden
//! fixtures of scripts/make_trec_golden.py, cases computed by hand (tie-breaking, f32 scores, graded nDCG), and
//! TREC file errors that name the line — natively and in headless Chrome from the same fixture text.

mod common;

use std::collections::BTreeMap;

use lingbridge::eval::metrics::{
    self, Evaluation, Measure, Qrels, Run, ScorePrecision, ap_from_ranks, evaluate, evaluate_with, map_at_k_lareqa,
    ndcg_cut_from_gains, ndcg_cut_from_ranks, parse_measures, precision_at_k_from_ranks, recall_at_k_from_ranks,
    rr_from_ranks,
};
use lingbridge::eval::trec::{read_qrels, read_qrels_bytes, read_run, read_run_bytes, write_qrels, write_run};
use serde::Deserialize;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

macro_rules! trec_fixture {
    ($name:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/trec/", $name))
    };
}

const QRELS: &str = trec_fixture!("qrels.txt");

#[derive(Deserialize)]
struct Expected {
    measures: Vec<String>,
    runs: BTreeMap<String, ExpectedRun>,
}

#[derive(Deserialize)]
struct ExpectedRun {
    per_query: BTreeMap<String, BTreeMap<String, f64>>,
    all: BTreeMap<String, f64>,
}

fn expected() -> Expected {
    serde_json::from_str(trec_fixture!("expected.json")).expect("expected.json parses")
}

fn assert_close(got: f64, want: f64, what: &str) {
    assert!((got - want).abs() <= 1e-9, "{what}: got {got}, pytrec_eval says {want}");
    // -0.0 would print as "-0.0000" in trec_eval's layout.
    assert!(got.is_sign_positive() || want < 0.0, "{what}: got {got:?}, a negative zero");
}

/// Evaluates one golden run file and compares every value with pytrec_eval's.
fn check_golden(name: &str, text: &str) -> Evaluation {
    let expected = expected();
    let want = &expected.runs[name];
    let qrels = read_qrels("qrels.txt", QRELS).unwrap();
    let run = read_run(name, text).unwrap();
    let got = evaluate(&qrels, &run, &expected.measures).unwrap();
    assert_eq!(
        got.per_query.keys().collect::<Vec<_>>(),
        want.per_query.keys().collect::<Vec<_>>(),
        "{name}: evaluated queries (those in both qrels and run)"
    );
    for (query, values) in &want.per_query {
        for (measure, &value) in values {
            let m: Measure = measure.parse().unwrap();
            assert_close(got.query_value(query, m).unwrap(), value, &format!("{name} {query} {measure}"));
        }
    }
    for (measure, &value) in &want.all {
        assert_close(got.all_value(measure.parse().unwrap()).unwrap(), value, &format!("{name} all {measure}"));
    }
    got
}

fn qrels(entries: &[(&str, &str, i32)]) -> Qrels {
    let mut q = Qrels::new();
    for &(query, doc, rel) in entries {
        q.entry(query.into()).or_default().insert(doc.into(), rel);
    }
    q
}

fn run(entries: &[(&str, &str, f64)]) -> Run {
    let mut r = Run::new();
    for &(query, doc, score) in entries {
        r.entry(query.into()).or_default().push((doc.into(), score));
    }
    r
}

/// One measure of one query.
fn value(qrels: &Qrels, run: &Run, query: &str, measure: &str) -> f64 {
    evaluate(qrels, run, &[measure]).unwrap().query_value(query, measure.parse().unwrap()).unwrap()
}

fn error_text<T: std::fmt::Debug>(result: lingbridge::Result<T>) -> String {
    result.expect_err("must fail").to_string()
}

everywhere! {
    fn golden_run_full_of_ties_matches_pytrec_eval() {
        let got = check_golden("run_ties.txt", trec_fixture!("run_ties.txt"));
        assert_eq!(got.num_queries(), 30, "q_only_in_qrels and q_only_in_run are left out");
    }

    fn golden_run_with_scores_equal_in_f32_matches_pytrec_eval() {
        check_golden("run_f32.txt", trec_fixture!("run_f32.txt"));
    }

    fn golden_sparse_run_matches_pytrec_eval() {
        check_golden("run_sparse.txt", trec_fixture!("run_sparse.txt"));
    }

    fn golden_fixtures_read_the_same_from_bytes() {
        let qrels = read_qrels_bytes("qrels.txt", QRELS.as_bytes()).unwrap();
        assert_eq!(qrels, read_qrels("qrels.txt", QRELS).unwrap());
        let text = trec_fixture!("run_f32.txt");
        assert_eq!(read_run_bytes("run_f32.txt", text.as_bytes()).unwrap(), read_run("run_f32.txt", text).unwrap());
    }

    fn comparing_scores_in_f64_changes_the_golden_f32_run() {
        // The fixture only pins the convention down if ignoring it shows: trec_eval 10's doubles rank differently.
        let qrels = read_qrels("qrels.txt", QRELS).unwrap();
        let run = read_run("run_f32.txt", trec_fixture!("run_f32.txt")).unwrap();
        let measures = [Measure::Map];
        let f32 = evaluate_with(&qrels, &run, &measures, ScorePrecision::F32).unwrap();
        let f64 = evaluate_with(&qrels, &run, &measures, ScorePrecision::F64).unwrap();
        let differing = f32.per_query.iter().filter(|(q, v)| (f64.per_query[*q][0] - v[0]).abs() > 1e-9).count();
        assert!(differing > 0, "f32 and f64 comparison agree everywhere: the fixture tests nothing");
    }

    fn average_precision_by_hand() {
        // Three relevant documents, c never retrieved: relevant at ranks 1 and 3.
        let qrels = qrels(&[("q", "a", 1), ("q", "b", 1), ("q", "c", 1), ("q", "x", 0)]);
        let run = run(&[("q", "y", 0.6), ("q", "b", 0.7), ("q", "x", 0.8), ("q", "a", 0.9)]);
        let ap = (1.0 / 1.0 + 2.0 / 3.0) / 3.0; // divided by all relevant, retrieved or not
        assert!((value(&qrels, &run, "q", "map") - ap).abs() < 1e-15);
        assert_eq!(value(&qrels, &run, "q", "recip_rank"), 1.0);
        assert_eq!(value(&qrels, &run, "q", "P_2"), 0.5);
        assert_eq!(value(&qrels, &run, "q", "P_10"), 0.2, "missing ranks count as non-relevant");
        assert!((value(&qrels, &run, "q", "recall_2") - 1.0 / 3.0).abs() < 1e-15);
        assert!((value(&qrels, &run, "q", "recall_4") - 2.0 / 3.0).abs() < 1e-15);
        // Binary gains: DCG@4 = 1 + 1/log2(4); the ideal puts the three relevant first.
        let ideal = 1.0 + 1.0 / 3f64.log2() + 0.5;
        assert!((value(&qrels, &run, "q", "ndcg_cut_4") - 1.5 / ideal).abs() < 1e-15);
        assert_eq!(value(&qrels, &run, "q", "num_rel"), 3.0);
        assert_eq!(value(&qrels, &run, "q", "num_rel_ret"), 2.0);
        assert_eq!(value(&qrels, &run, "q", "num_ret"), 4.0);
        // The rank-based definitions say the same.
        assert_eq!(ap_from_ranks(&[1, 3], 3), value(&qrels, &run, "q", "map"));
        assert_eq!(ap_from_ranks(&[3, 1], 3), ap_from_ranks(&[1, 3], 3), "rank order does not matter");
        assert_eq!(ndcg_cut_from_ranks(&[1, 3], 3, 4), value(&qrels, &run, "q", "ndcg_cut_4"));
    }

    fn ties_are_broken_by_document_id_descending_in_byte_order() {
        // All scores equal: trec_eval ranks d9 before d10 ("9" > "1" bytewise), so the relevant d10 is 2nd.
        // Ascending order, or numeric order descending, would put d10 first (RR 1).
        let qrels = qrels(&[("q", "d10", 1)]);
        let tied = run(&[("q", "d10", 1.0), ("q", "d9", 1.0)]);
        assert_eq!(value(&qrels, &tied, "q", "recip_rank"), 0.5);
        // Byte order, not case-insensitive: "a" (0x61) > "B" (0x42), and non-ASCII "é" > "z".
        let qrels2 = self::qrels(&[("q", "B", 1), ("r", "é", 1)]);
        let tied2 = run(&[("q", "B", 2.0), ("q", "a", 2.0), ("r", "z", 0.0), ("r", "é", 0.0)]);
        assert_eq!(value(&qrels2, &tied2, "q", "recip_rank"), 0.5);
        assert_eq!(value(&qrels2, &tied2, "r", "recip_rank"), 1.0);
        // -0.0 and 0.0 are equal scores (C's comparison), so the id decides again.
        let zeros = run(&[("q", "d10", 0.0), ("q", "d9", -0.0)]);
        assert_eq!(value(&qrels, &zeros, "q", "recip_rank"), 0.5);
        // A higher score always wins over the id.
        let higher = run(&[("q", "d10", 1.5), ("q", "d9", 1.0)]);
        assert_eq!(value(&qrels, &higher, "q", "recip_rank"), 1.0);
    }

    fn scores_are_compared_in_f32_like_pytrec_eval_unless_asked_for_f64() {
        let qrels = qrels(&[("q", "b", 1)]);
        // 1 + 1e-9 rounds to 1.0f: a tie, so "b" (> "a") comes first. In f64, "a" scores higher.
        let run = run(&[("q", "b", 1.0), ("q", "a", 1.0 + 1e-9)]);
        let rr = |p| evaluate_with(&qrels, &run, &[Measure::RecipRank], p).unwrap().all[0];
        assert_eq!(rr(ScorePrecision::F32), 1.0);
        assert_eq!(rr(ScorePrecision::F64), 0.5);
        assert_eq!(value(&qrels, &run, "q", "recip_rank"), 1.0, "evaluate() defaults to pytrec_eval's f32");
    }

    fn graded_ndcg_ignores_zero_negative_and_unjudged_documents() {
        // e is judged -1 ("in pool, unjudged" to trec_eval), d is 0, z unjudged; the ideal is 3, 2, 1.
        let qrels = qrels(&[("q", "a", 3), ("q", "b", 2), ("q", "c", 1), ("q", "d", 0), ("q", "e", -1)]);
        let run = run(&[("q", "e", 5.0), ("q", "d", 4.0), ("q", "c", 3.0), ("q", "b", 2.0), ("q", "a", 1.0), ("q", "z", 0.5)]);
        let ideal3 = 3.0 + 2.0 / 3f64.log2() + 1.0 / 2.0;
        assert!((value(&qrels, &run, "q", "ndcg_cut_3") - (1.0 / 2.0) / ideal3).abs() < 1e-15);
        let dcg10 = 1.0 / 4f64.log2() + 2.0 / 5f64.log2() + 3.0 / 6f64.log2();
        assert!((value(&qrels, &run, "q", "ndcg_cut_10") - dcg10 / ideal3).abs() < 1e-15);
        assert_eq!(value(&qrels, &run, "q", "num_rel"), 3.0, "-1 and 0 are not relevant");
        assert!((value(&qrels, &run, "q", "map") - (1.0 / 3.0 + 2.0 / 4.0 + 3.0 / 5.0) / 3.0).abs() < 1e-15);
        // The gain-based function directly: gains by rank, ideal gains descending.
        let got = ndcg_cut_from_gains(&[0.0, 0.0, 1.0, 2.0, 3.0, 0.0], &[3.0, 2.0, 1.0], 10);
        assert!((got - dcg10 / ideal3).abs() < 1e-15);
        assert_eq!(ndcg_cut_from_gains(&[1.0], &[], 10), 0.0, "no positive grade: nDCG 0");
    }

    fn only_queries_in_both_files_are_averaged_and_those_without_relevant_count() {
        let qrels = qrels(&[("q1", "a", 1), ("q2", "a", 0), ("q_qrels_only", "a", 1)]);
        let run = run(&[("q1", "a", 1.0), ("q2", "a", 1.0), ("q_run_only", "a", 1.0)]);
        let eval = evaluate(&qrels, &run, &["num_q", "map", "recall_10", "ndcg_cut_10", "num_ret"]).unwrap();
        assert_eq!(eval.per_query.keys().collect::<Vec<_>>(), ["q1", "q2"]);
        assert_eq!(eval.all_value(Measure::NumQ), Some(2.0));
        // q2 has no relevant document: map 0, and it still counts in the mean (trec_eval and pytrec_eval agree).
        assert_eq!(eval.query_value("q2", Measure::Map), Some(0.0));
        assert_eq!(eval.all_value(Measure::Map), Some(0.5));
        assert_eq!(eval.all_value(Measure::Recall(10)), Some(0.5));
        assert_eq!(eval.all_value(Measure::NdcgCut(10)), Some(0.5));
        assert_eq!(eval.all_value(Measure::NumRet), Some(2.0), "counts are summed");
        // An empty ranking is still a ranking: the query counts, with zeros.
        let mut empty = run.clone();
        empty.insert("q1".into(), Vec::new());
        assert_eq!(evaluate(&qrels, &empty, &["map"]).unwrap().all, [0.0]);
        // No common query at all is an error, not a NaN mean.
        let disjoint = self::run(&[("zzz", "a", 1.0)]);
        assert!(error_text(evaluate(&qrels, &disjoint, &["map"])).contains("no query is in both"));
    }

    fn duplicate_documents_and_nan_scores_are_errors() {
        let qrels = qrels(&[("q", "a", 1)]);
        let dup = run(&[("q", "a", 1.0), ("q", "b", 0.5), ("q", "a", 0.2)]);
        let msg = error_text(evaluate(&qrels, &dup, &["map"]));
        assert!(msg.contains("query q") && msg.contains("document a") && msg.contains("twice"), "{msg}");
        let nan = run(&[("q", "a", f64::NAN)]);
        assert!(error_text(evaluate(&qrels, &nan, &["map"])).contains("NaN"));
        let msg = error_text(read_run("r.txt", "q Q0 a 1 1.0 t\nq Q0 b 2 0.5 t\nq Q0 a 3 0.2 t\n"));
        assert!(msg.contains("r.txt") && msg.contains("line 3") && msg.contains("first on line 1"), "{msg}");
        let msg = error_text(read_qrels("qrels", "q 0 a 1\nq 0 a 0\n"));
        assert!(msg.contains("qrels") && msg.contains("line 2") && msg.contains("first on line 1"), "{msg}");
    }

    fn parse_errors_name_the_file_and_line() {
        // Comments and blank lines are skipped but still counted.
        let msg = error_text(read_qrels("my.qrels", "# judged by hand\nq 0 a 1\n\nq 0 b\n"));
        assert!(msg.starts_with("my.qrels: line 4: expected 4 fields"), "{msg}");
        assert!(msg.contains("found 3"), "{msg}");
        let msg = error_text(read_qrels("my.qrels", "q 0 a 1 extra\n"));
        assert!(msg.contains("line 1") && msg.contains("found 5"), "{msg}");
        let msg = error_text(read_qrels("my.qrels", "q 0 a 1\nq 0 b high\n"));
        assert!(msg.contains("line 2") && msg.contains("relevance 'high' is not an integer"), "{msg}");
        let msg = error_text(read_run("my.run", "q Q0 a 1 0.5 tag\nq Q0 b 2 0.4\n"));
        assert!(msg.starts_with("my.run: line 2: expected 6 fields"), "{msg}");
        let msg = error_text(read_run("my.run", "q Q0 a 1 0.5 tag\r\nq Q0 b 2 0,4 tag\r\n"));
        assert!(msg.contains("line 2") && msg.contains("score '0,4' is not a number"), "{msg}");
        let msg = error_text(read_run("my.run", "q Q0 a 1 NaN tag\n"));
        assert!(msg.contains("line 1") && msg.contains("not a number"), "{msg}");
        let msg = error_text(read_run_bytes("my.run", b"q Q0 a 1 1 t\nq Q0 \xff 2 1 t\n"));
        assert!(msg.contains("my.run") && msg.contains("line 2") && msg.contains("UTF-8"), "{msg}");
    }

    fn lenient_where_trec_eval_is() {
        // Extra run fields after the tag are ignored, tabs and CRLF are whitespace, the rank column is ignored,
        // a byte order mark does not stick to the first query id.
        let run = read_run("r", "\u{feff}q\tQ0\tb\t7\t0.5\ttag\tmore\r\nq Q0 a 1 1e-1 tag\n").unwrap();
        assert_eq!(run["q"], [("b".to_string(), 0.5), ("a".to_string(), 0.1)]);
        let qrels = read_qrels("qrels", "q 0 a -1\nq 0 b 3\n").unwrap();
        assert_eq!(qrels["q"]["a"], -1);
    }

    fn measure_names_parse_like_trec_eval() {
        let ms = parse_measures(&["map", "ndcg_cut.5,10", "P_10", "recall_100", "recip_rank", "P.10"]).unwrap();
        assert_eq!(
            ms,
            [Measure::Map, Measure::NdcgCut(5), Measure::NdcgCut(10), Measure::P(10), Measure::Recall(100), Measure::RecipRank],
            "P.10 repeats P_10 and is kept once"
        );
        let names: Vec<String> = ms.iter().map(|m| m.to_string()).collect();
        assert_eq!(names, ["map", "ndcg_cut_5", "ndcg_cut_10", "P_10", "recall_100", "recip_rank"]);
        assert_eq!(parse_measures(&["P"]).unwrap().len(), metrics::DEFAULT_CUTOFFS.len());
        assert_eq!(parse_measures(&metrics::DEFAULT_MEASURES).unwrap().len(), metrics::DEFAULT_MEASURES.len());
        let msg = error_text(parse_measures(&["bpref"]));
        assert!(msg.contains("unknown measure 'bpref'"), "{msg}");
        assert!(error_text(parse_measures(&["P_0"])).contains("not a positive integer"));
        assert!(error_text(parse_measures(&["ndcg_cut_x"])).contains("not a positive integer"));
        assert!(error_text(parse_measures(&["Precision"])).contains("unknown measure"));
        assert!(error_text("P.5,10".parse::<Measure>()).contains("several measures"));
        assert!(error_text(evaluate(&Qrels::new(), &Run::new(), &["nope"])).contains("unknown measure 'nope'"));
    }

    fn rank_based_definitions() {
        assert_eq!(rr_from_ranks(&[4, 2]), 0.5);
        assert_eq!(rr_from_ranks(&[]), 0.0);
        assert_eq!(ap_from_ranks(&[], 5), 0.0);
        assert!(ap_from_ranks(&[], 5).is_sign_positive(), "+0.0, not the -0.0 of an empty f64 sum");
        assert_eq!(ap_from_ranks(&[1], 0), 0.0, "no relevant item: 0, not NaN");
        assert_eq!(recall_at_k_from_ranks(&[1, 3, 20], 4, 10), 0.5);
        assert_eq!(recall_at_k_from_ranks(&[1], 0, 10), 0.0);
        assert_eq!(precision_at_k_from_ranks(&[1, 3, 20], 10), 0.2);
        // LAReQA's cutoff convention divides by min(|R|, k): only rank 1 is within k = 2, divided by 2.
        assert_eq!(map_at_k_lareqa(&[1, 3], 3, 2), 0.5);
        assert_eq!(map_at_k_lareqa(&[3, 1], 3, 100), ap_from_ranks(&[1, 3], 3), "k ≥ every rank: plain AP");
        assert_eq!(ndcg_cut_from_ranks(&[1, 2], 2, 10), 1.0);
        assert_eq!(ndcg_cut_from_ranks(&[], 0, 10), 0.0);
    }

    fn written_runs_read_back_exactly_in_trec_order() {
        let original = run(&[
            ("q2", "d1", 0.5),
            ("q1", "d10", 1.0),
            ("q1", "d9", 1.0),
            ("q1", "d3", 2.5),
            ("q1", "tiny", 1e-30),
            ("q1", "third", 0.1 + 0.2),
        ]);
        let text = write_run(&original, "lingbridge").unwrap();
        assert_eq!(
            text,
            "q1 Q0 d3 1 2.5 lingbridge\nq1 Q0 d9 2 1 lingbridge\nq1 Q0 d10 3 1 lingbridge\n\
             q1 Q0 third 4 0.30000000000000004 lingbridge\nq1 Q0 tiny 5 1e-30 lingbridge\nq2 Q0 d1 1 0.5 lingbridge\n"
        );
        let back = read_run("written", &text).unwrap();
        let qrels = qrels(&[("q1", "d10", 1), ("q1", "tiny", 2), ("q2", "d1", 1)]);
        let measures = parse_measures(&metrics::DEFAULT_MEASURES).unwrap();
        let want = evaluate_with(&qrels, &original, &measures, ScorePrecision::F64).unwrap();
        assert_eq!(evaluate_with(&qrels, &back, &measures, ScorePrecision::F64).unwrap(), want);
        assert!(error_text(write_run(&original, "two words")).contains("whitespace"));
    }

    fn written_qrels_read_back_exactly() {
        let original = qrels(&[("q2", "d1", 1), ("q1", "d10", 2), ("q1", "d9", 0), ("q1", "x", -1)]);
        let text = write_qrels(&original).unwrap();
        assert_eq!(text, "q1 0 d10 2\nq1 0 d9 0\nq1 0 x -1\nq2 0 d1 1\n");
        assert_eq!(read_qrels("written", &text).unwrap(), original);
        let bad = qrels(&[("q 1", "d1", 1)]);
        assert!(error_text(write_qrels(&bad)).contains("whitespace"));
    }
}
