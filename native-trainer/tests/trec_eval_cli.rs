//! `lingbridge trec-eval` end to end: the golden fixtures of scripts/make_trec_golden.py give pytrec_eval's values
//! to 1e-9 (JSON) and to trec_eval's 4 decimals (text); bad input exits 1 with a message naming the line.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/trec").join(name)
}

fn expected() -> Value {
    serde_json::from_slice(&std::fs::read(fixture("expected.json")).unwrap()).unwrap()
}

fn lingbridge(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lingbridge")).arg("trec-eval").args(args).output().expect("binary runs")
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn measures(expected: &Value) -> Vec<String> {
    expected["measures"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_string()).collect()
}

fn assert_close(got: &Value, want: &Value, what: &str) {
    let (got, want) = (got.as_f64().unwrap_or(f64::NAN), want.as_f64().unwrap());
    assert!((got - want).abs() <= 1e-9, "{what}: got {got}, pytrec_eval says {want}");
}

#[test]
fn json_output_matches_pytrec_eval_on_every_golden_run() {
    let expected = expected();
    let qrels = fixture("qrels.txt");
    for (run_name, want) in expected["runs"].as_object().unwrap() {
        let run = fixture(run_name);
        let mut args = vec![qrels.to_str().unwrap(), run.to_str().unwrap(), "--json", "-q"];
        let names = measures(&expected);
        for m in &names {
            args.extend(["-m", m.as_str()]);
        }
        let got: Value = serde_json::from_str(&stdout(&lingbridge(&args))).unwrap();
        let want_queries = want["per_query"].as_object().unwrap();
        let got_queries = got["per_query"].as_object().unwrap();
        assert_eq!(got_queries.keys().collect::<Vec<_>>(), want_queries.keys().collect::<Vec<_>>(), "{run_name}");
        for (query, values) in want_queries {
            for m in &names {
                assert_close(&got_queries[query][m], &values[m], &format!("{run_name} {query} {m}"));
            }
        }
        for m in &names {
            assert_close(&got["all"][m], &want["all"][m], &format!("{run_name} all {m}"));
        }
    }
}

#[test]
fn text_output_is_trec_eval_layout_with_default_measures() {
    let expected = expected();
    let want = &expected["runs"]["run_ties.txt"];
    let qrels = fixture("qrels.txt");
    let run = fixture("run_ties.txt");
    let text = stdout(&lingbridge(&[qrels.to_str().unwrap(), run.to_str().unwrap()]));
    let lines: Vec<&str> = text.lines().collect();
    let defaults = ["num_q", "num_ret", "num_rel", "num_rel_ret", "map", "recip_rank", "P_10", "recall_100", "ndcg_cut_10"];
    assert_eq!(lines.len(), defaults.len(), "{text}");
    for (line, m) in lines.iter().zip(defaults) {
        let value = want["all"][m].as_f64().unwrap();
        // trec_eval: printf("%-22s\t%s\t%6.4f\n"), counts as "%ld".
        let formatted = if m.starts_with("num_") { format!("{}", value as u64) } else { format!("{value:6.4}") };
        assert_eq!(*line, format!("{m:<22}\tall\t{formatted}"));
    }

    // -q: every query's lines (all but num_q) first, in query-id order, then the "all" lines.
    let text = stdout(&lingbridge(&[qrels.to_str().unwrap(), run.to_str().unwrap(), "-q", "-m", "map"]));
    let queries: Vec<&String> = want["per_query"].as_object().unwrap().keys().collect();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), queries.len() + 1);
    for (line, query) in lines.iter().zip(&queries) {
        let value = want["per_query"][query.as_str()]["map"].as_f64().unwrap();
        assert_eq!(*line, format!("{:<22}\t{query}\t{value:6.4}", "map"));
    }
    assert!(lines.last().unwrap().starts_with("map                   \tall\t"));
}

#[test]
fn malformed_run_exits_1_naming_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.run");
    std::fs::write(&bad, "q1 Q0 d1 1 0.5 tag\nq1 Q0 d2 2 zero tag\n").unwrap();
    let out = lingbridge(&[fixture("qrels.txt").to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.run") && err.contains("line 2") && err.contains("'zero' is not a number"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.stdout.is_empty());

    let short = dir.path().join("short.qrels");
    std::fs::write(&short, "q1 0 d1 1\nq1 0 d2 1\nq1 d3 1\n").unwrap();
    let out = lingbridge(&[short.to_str().unwrap(), fixture("run_ties.txt").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("short.qrels: line 3: expected 4 fields"), "{err}");
}

#[test]
fn other_failures_exit_1_with_a_message() {
    let qrels = fixture("qrels.txt");
    let run = fixture("run_ties.txt");
    let out = lingbridge(&[qrels.to_str().unwrap(), run.to_str().unwrap(), "-m", "bpref"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown measure 'bpref'"));

    let out = lingbridge(&[qrels.to_str().unwrap(), "/nonexistent/run.txt"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/run.txt"));

    // A run whose queries the qrels never mention: trec_eval refuses too.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.run");
    std::fs::write(&other, "nope Q0 d1 1 0.5 tag\n").unwrap();
    let out = lingbridge(&[qrels.to_str().unwrap(), other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no query is in both"));
}
