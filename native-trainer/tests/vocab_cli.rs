//! `lingbridge vocab trim | stats` as users run it: the tiny fixture (HF directory and q4_0 GGUF) trimmed on a small
//! corpus, `lingbridge embed` equal before and after on the corpus texts, the report's kept-id table, evaluation
//! data refused, and bad inputs named.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_lingbridge");

fn fixture() -> String {
    format!("{}/../tests/fixtures/tiny-xlmr", env!("CARGO_MANIFEST_DIR"))
}

const CORPUS: &str = "Where does the train to the capital leave from?\nWann öffnet die Bibliothek am Morgen?\nКогда открывается библиотека?\n";

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "writing stdin: {e}");
    }
    child.wait_with_output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = run(args, "");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn fails(args: &[&str]) -> String {
    let out = run(args, "");
    assert!(!out.status.success(), "{args:?} should fail");
    String::from_utf8(out.stderr).unwrap()
}

fn embed(model: &str) -> String {
    let out = run(&["embed", "--model", model, "--backend", "cpu"], CORPUS);
    assert!(out.status.success(), "embed --model {model}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn corpus_file(dir: &Path) -> String {
    let path = dir.join("corpus.txt");
    std::fs::write(&path, CORPUS).unwrap();
    path.display().to_string()
}

#[test]
fn trims_a_directory_and_embeddings_stay_equal() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = corpus_file(tmp.path());
    let out = tmp.path().join("trimmed");
    let report = tmp.path().join("report.json");
    let printed = ok(&["vocab", "trim", "--model", &fixture(), "--corpus", &corpus, "--out", out.to_str().unwrap(), "--report", report.to_str().unwrap()]);
    assert!(printed.contains("kept") && printed.contains("checked"), "{printed}");
    for f in ["config.json", "tokenizer.json", "model.safetensors", "modules.json", "1_Pooling/config.json", "sentence_bert_config.json"] {
        assert!(out.join(f).is_file(), "{f} written");
    }
    assert_eq!(embed(&fixture()), embed(out.to_str().unwrap()), "identical embeddings on the corpus texts");
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let kept: Vec<u64> = r["plan"]["kept"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert_eq!(&kept[..5], &[0, 1, 2, 3, 4]);
    assert!(kept.len() < 615);
    assert!(r["bytes"]["output"].as_u64().unwrap() < r["bytes"]["input"].as_u64().unwrap());
    let config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["vocab_size"].as_u64().unwrap() as usize, kept.len());
}

#[test]
fn trims_a_q4_0_gguf() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = corpus_file(tmp.path());
    let q4 = tmp.path().join("tiny.q4_0.gguf");
    ok(&["quantize", "--model", &fixture(), "--scheme", "q4_0", "--out", q4.to_str().unwrap()]);
    let out = tmp.path().join("tiny.trimmed.q4_0.gguf");
    let printed = ok(&["vocab", "trim", "--model", q4.to_str().unwrap(), "--corpus", &corpus, "--out", out.to_str().unwrap()]);
    assert!(printed.contains("word_embeddings"), "{printed}");
    assert!(std::fs::metadata(&out).unwrap().len() < std::fs::metadata(&q4).unwrap().len());
    assert_eq!(embed(q4.to_str().unwrap()), embed(out.to_str().unwrap()));
}

#[test]
fn stats_on_a_tokenizer_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = corpus_file(tmp.path());
    let tokenizer = format!("{}/tokenizer.json", fixture());
    let printed = ok(&["vocab", "stats", "--model", &tokenizer, "--corpus", &corpus, "--query-prefix", "query: "]);
    assert!(printed.contains("kept") && printed.contains("of 615 ids") && printed.contains("checked"), "{printed}");
}

/// `--max-pieces`: the limit is met, what was left out is said, the check allows other segmentations but no new
/// `<unk>`; a limit below what must stay is a named error.
#[test]
fn a_piece_limit_is_met_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = corpus_file(tmp.path());
    let tokenizer = format!("{}/tokenizer.json", fixture());
    let full = ok(&["vocab", "stats", "--model", &tokenizer, "--corpus", &corpus]);
    let kept = |printed: &str| -> usize {
        printed.lines().find_map(|l| l.strip_prefix("kept")).and_then(|l| l.split_whitespace().next()).unwrap().parse().unwrap()
    };
    let n = kept(&full);
    let limited = ok(&["vocab", "stats", "--model", &tokenizer, "--corpus", &corpus, "--max-pieces", &(n - 3).to_string()]);
    assert_eq!(kept(&limited), n - 3, "{limited}");
    assert!(limited.contains("limit    3 corpus pieces left out") && limited.contains("none into more <unk>"), "{limited}");
    let err = fails(&["vocab", "stats", "--model", &tokenizer, "--corpus", &corpus, "--max-pieces", "2"]);
    assert!(err.contains("must stay"), "{err}");
}

#[test]
fn evaluation_data_is_refused_unless_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let eval_dir = tmp.path().join("xquad-r");
    std::fs::create_dir_all(&eval_dir).unwrap();
    let corpus = corpus_file(&eval_dir);
    let tokenizer = format!("{}/tokenizer.json", fixture());
    let err = fails(&["vocab", "stats", "--model", &tokenizer, "--corpus", &corpus]);
    assert!(err.contains("evaluation data") && err.contains("--allow-eval-data"), "{err}");
    ok(&["vocab", "stats", "--model", &tokenizer, "--corpus", &corpus, "--allow-eval-data"]);
    let demo_eval = format!("{}/../www/demo/eval", env!("CARGO_MANIFEST_DIR"));
    let err = fails(&["vocab", "stats", "--model", &tokenizer, "--corpus", &demo_eval]);
    assert!(err.contains("demo/eval"), "{err}");
}

#[test]
fn bad_inputs_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = corpus_file(tmp.path());
    let out = tmp.path().join("out");
    let out = out.to_str().unwrap();
    let bert = format!("{}/../tests/fixtures/tiny-bert-wordpiece", env!("CARGO_MANIFEST_DIR"));
    let err = fails(&["vocab", "trim", "--model", &bert, "--corpus", &corpus, "--out", out]);
    assert!(err.contains("only Unigram") && err.contains("tokenizer.json"), "{err}");
    let empty = tmp.path().join("empty.txt");
    std::fs::write(&empty, "\n \n").unwrap();
    let err = fails(&["vocab", "trim", "--model", &fixture(), "--corpus", empty.to_str().unwrap(), "--out", out]);
    assert!(err.contains("holds no text") && err.contains("empty.txt"), "{err}");
    let err = fails(&["vocab", "trim", "--model", &fixture(), "--corpus", "/nonexistent/corpus.txt", "--out", out]);
    assert!(err.contains("/nonexistent/corpus.txt") && err.contains("missing"), "{err}");
    let err = fails(&["vocab", "trim", "--model", "/nonexistent/model", "--corpus", &corpus, "--out", out]);
    assert!(err.contains("/nonexistent/model"), "{err}");
    let bad_jsonl = tmp.path().join("bad.jsonl");
    std::fs::write(&bad_jsonl, "{\"text\": \"fine\"}\nnot json\n").unwrap();
    let err = fails(&["vocab", "trim", "--model", &fixture(), "--corpus", bad_jsonl.to_str().unwrap(), "--out", out]);
    assert!(err.contains("bad.jsonl: line 2"), "{err}");
    let err = fails(&["vocab", "trim", "--model", &fixture(), "--corpus", &corpus, "--out", out, "--keep-scripts", "Latn,Elvish"]);
    assert!(err.contains("Elvish"), "{err}");
    let err = fails(&["vocab", "trim", "--model", &fixture(), "--corpus", &corpus, "--out", &fixture()]);
    assert!(err.contains("the model itself"), "{err}");
}
