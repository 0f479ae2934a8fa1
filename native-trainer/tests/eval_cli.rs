//! `lingbridge eval` end to end on the shipped LAReQA fixture (and on XQuAD-R when the data is present):
//! the report's numbers must equal `lingbridge trec-eval` over the run and qrels files it wrote.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_lingbridge");

fn root(rel: &str) -> String {
    format!("{}/../{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn lingbridge(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn eval(out: &Path, dataset: &str, extra: &[&str]) -> serde_json::Value {
    let model = root("tests/fixtures/tiny-xlmr");
    let mut args = vec!["eval", "--model", &model, "--dataset", dataset, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = lingbridge(&args);
    assert!(o.status.success(), "eval failed: {}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("| system |"), "{stdout}");
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

/// `lingbridge trec-eval --json` over the files eval wrote.
fn trec_eval(out: &Path, system: &str) -> serde_json::Value {
    let qrels = out.join("qrels.mul.trec");
    let run = out.join(format!("run.{system}.mul.trec"));
    let o = lingbridge(&["trec-eval", "--json", qrels.to_str().unwrap(), run.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// An aggregate value from `trec-eval --json` ({"all": {"map": …}}).
fn find_f64(v: &serde_json::Value, key: &str) -> f64 {
    v["all"][key].as_f64().unwrap_or_else(|| panic!("no {key} in {v}"))
}

#[test]
fn report_numbers_equal_trec_eval_on_the_written_files() {
    let out = tempfile::tempdir().unwrap();
    let report = eval(out.path(), &root("tests/fixtures/lareqa"), &["--baseline", "bm25"]);
    assert_eq!(report["systems"].as_array().unwrap().len(), 2);
    for (i, system) in ["dense", "bm25"].iter().enumerate() {
        let mul = &report["systems"][i]["scores"]["mul"];
        let trec = trec_eval(out.path(), system);
        let map = mul["map"].as_f64().unwrap();
        assert!((map - find_f64(&trec, "map")).abs() < 1e-9, "{system}: {map} vs {trec}");
        assert!(map > 0.0 && map <= 1.0);
        let rd = report["systems"][i]["scores"]["bias"]["rank_distance"].as_f64().unwrap();
        assert!(rd >= 0.0);
    }
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(md.contains("| system | Mo mAP | Cr mAP | Mul mAP |") && md.contains("per query language"));
    // One heatmap per system, each cell carrying the report's pair mAP (rows: query language).
    for (i, system) in ["dense", "bm25"].iter().enumerate() {
        let svg = std::fs::read_to_string(out.path().join(format!("heatmap.{system}.svg"))).unwrap();
        let scores = &report["systems"][i]["scores"];
        let langs: Vec<&str> = scores["languages"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
        assert_eq!(svg.matches(r#"class="cell""#).count(), langs.len() * langs.len());
        for (q, lq) in langs.iter().enumerate() {
            for (c, lc) in langs.iter().enumerate() {
                let map = scores["pairs"][q][c]["map"].as_f64().unwrap();
                assert!(svg.contains(&format!(r#"data-query="{lq}" data-candidate="{lc}" data-map="{map}""#)), "{system} {lq}→{lc}");
            }
        }
    }
}

#[test]
fn perturbation_is_seeded_and_changes_the_scores() {
    let dataset = root("tests/fixtures/lareqa");
    let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let clean = eval(a.path(), &dataset, &[]);
    let p1 = eval(b.path(), &dataset, &["--perturb", "typo:0.3", "--seed", "5"]);
    let p2 = eval(c.path(), &dataset, &["--perturb", "typo:0.3,script:0.5", "--seed", "5"]);
    assert_eq!(p1["perturbation"], "typo:0.3");
    assert_eq!(p2["perturbation"], "typo:0.3,script:0.5");
    let names = |r: &serde_json::Value| r["systems"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(names(&p1), ["dense", "dense+typo:0.3"]);
    assert_eq!(names(&p2), ["dense", "dense+typo:0.3", "dense+script:0.5"]);
    assert_eq!(p1["systems"][0]["scores"], clean["systems"][0]["scores"], "the clean row stays clean");
    assert_eq!(p1["systems"][1]["scores"], p2["systems"][1]["scores"], "same seed, same perturbed queries, whatever else is scored");
    assert_ne!(clean["systems"][0]["scores"]["mul"], p1["systems"][1]["scores"]["mul"]);
    assert_ne!(p2["systems"][1]["scores"]["mul"], p2["systems"][2]["scores"]["mul"]);
    assert!(b.path().join("run.dense-typo-0.3.mul.trec").is_file());
}

#[test]
fn bad_arguments_are_explained() {
    let out = tempfile::tempdir().unwrap();
    let model = root("tests/fixtures/tiny-xlmr");
    let o = lingbridge(&["eval", "--model", &model, "--dataset", "no-such-dataset", "--out", out.path().to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("dataset \"no-such-dataset\" not found"));
    let dataset = root("tests/fixtures/lareqa");
    let o = lingbridge(&["eval", "--model", &model, "--dataset", &dataset, "--perturb", "typo", "--out", out.path().to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("KIND:RATE"));
    let o = lingbridge(&["eval", "--model", &model, "--dataset", &dataset, "--langs", "en,xx", "--out", out.path().to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("xx.json"), "{err}");
    assert!(!err.contains("panicked"));
}

/// On the real XQuAD-R (two languages, to keep CI quick): the pipeline runs at scale and agrees with trec-eval.
#[test]
fn xquad_r_two_languages_agree_with_trec_eval() {
    let Some(dir) = lingbridge::data_paths::require_or_skip("xquad-r") else { return };
    let out = tempfile::tempdir().unwrap();
    let report = eval(out.path(), dir.to_str().unwrap(), &["--langs", "en,de", "--run-depth", "3000"]);
    assert_eq!(report["questions"], 2380);
    assert_eq!(report["candidate_count"], 1180 + 1276);
    let mul = report["systems"][0]["scores"]["mul"]["map"].as_f64().unwrap();
    let trec = trec_eval(out.path(), "dense");
    assert!((mul - find_f64(&trec, "map")).abs() < 1e-9, "{mul} vs {trec}");
}

#[test]
fn beir_folder_scores_equal_trec_eval_on_the_written_run() {
    let out = tempfile::tempdir().unwrap();
    let dataset = format!("beir:{}", root("tests/fixtures/beir-tiny"));
    let report = eval(out.path(), &dataset, &["--baseline", "bm25"]);
    assert_eq!(report["questions"], 3, "only judged queries are evaluated");
    for (i, system) in ["dense", "bm25"].iter().enumerate() {
        let scores = &report["systems"][i]["scores"];
        assert_eq!(scores["protocol"], "trec");
        let trec = {
            let (qrels, run) = (out.path().join("qrels.trec"), out.path().join(format!("run.{system}.trec")));
            let o = lingbridge(&["trec-eval", "--json", qrels.to_str().unwrap(), run.to_str().unwrap()]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
        };
        for pair in scores["measures"].as_array().unwrap() {
            let (name, value) = (pair[0].as_str().unwrap(), pair[1].as_f64().unwrap());
            assert!((value - find_f64(&trec, name)).abs() < 1e-9, "{system} {name}: {value} vs {trec}");
        }
    }
    // BM25 finds the one-word-overlap answers of this tiny set.
    let ndcg = report["systems"][1]["scores"]["measures"][0][1].as_f64().unwrap();
    assert!(ndcg > 0.5, "bm25 nDCG@10 {ndcg}");
}

#[test]
fn miracl_topics_with_a_user_corpus() {
    let out = tempfile::tempdir().unwrap();
    let topics = tempfile::tempdir().unwrap();
    std::fs::write(topics.path().join("topics.miracl-v1.0-xx-dev.tsv"), "q1\twhat lives in tide pools\nq3\tкогда рыбаки чинят сети\n").unwrap();
    std::fs::write(topics.path().join("qrels.miracl-v1.0-xx-dev.tsv"), "q1 Q0 d1 1\nq3 Q0 3 1\nq3 Q0 d4 0\n").unwrap();
    let corpus = root("tests/fixtures/beir-tiny/corpus.jsonl");
    let dataset = format!("miracl:{}", topics.path().display());
    let report = eval(out.path(), &dataset, &["--langs", "xx", "--corpus", &corpus]);
    assert_eq!(report["questions"], 2);
    assert_eq!(report["systems"][0]["scores"]["queries"], 2);
    // Without a corpus, the message says what to give.
    let model = root("tests/fixtures/tiny-xlmr");
    let o = lingbridge(&["eval", "--model", &model, "--dataset", &dataset, "--langs", "xx", "--out", out.path().to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--corpus"));
}
