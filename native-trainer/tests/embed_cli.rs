//! `lingbridge embed` as users run it: stdin lines in, one JSON array per line out, in order; bad input
//! gives exit code 1 and a message, never a panic.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_lingbridge");

fn fixture() -> String {
    format!("{}/../tests/fixtures/tiny-xlmr", env!("CARGO_MANIFEST_DIR"))
}

fn reference() -> serde_json::Value {
    let path = format!("{}/../tests/fixtures/tiny-xlmr-reference.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that fails on its arguments exits before reading stdin: a broken pipe here is expected.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "writing stdin: {e}");
    }
    child.wait_with_output().unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

fn assert_close(got: &[f32], want: &[f32], what: &str) {
    let diff = got.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert_eq!(got.len(), want.len());
    assert!(diff <= 1e-5, "{what}: max abs diff {diff:e}");
}

#[test]
fn prints_one_embedding_per_line_in_order_matching_hugging_face() {
    let reference = reference();
    let sentences = reference["sentences"].as_array().unwrap();
    let input: String = sentences.iter().map(|s| format!("{}\n", s["text"].as_str().unwrap())).collect();
    let model = fixture();
    let out = run(&["embed", "--model", &model, "--kind", "query", "--batch-size", "5"], &input);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), sentences.len());
    for (line, s) in lines.iter().zip(sentences) {
        let got: Vec<f32> = serde_json::from_str(line).unwrap();
        assert_close(&got, &floats(&s["query_mean"]), s["text"].as_str().unwrap());
    }
}

#[test]
fn prefix_and_pooling_flags_override_the_model() {
    let reference = reference();
    let s = &reference["sentences"][2];
    let text = format!("{}\r\n", s["text"].as_str().unwrap()); // CRLF input is fine too
    let model = fixture();
    let out = run(&["embed", "--model", &model, "--query-prefix", "", "--pooling", "cls", "--kind", "query"], &text);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: Vec<f32> = serde_json::from_str(std::str::from_utf8(&out.stdout).unwrap().trim()).unwrap();
    assert_close(&got, &floats(&s["cls"]), "cls without prefix");
}

#[test]
fn bad_input_fails_with_a_message() {
    let model = fixture();
    let cases: [(&[&str], &str, &str); 5] = [
        (&["embed", "--model", &model], "", "no input"),
        (&["embed", "--model", &model], "one\n\nthree\n", "stdin line 2 is empty"),
        (&["embed", "--model", "/nonexistent/model"], "hi\n", "/nonexistent/model: missing"),
        (&["embed", "--model", &model, "--batch-size", "0"], "hi\n", "batch size"),
        (&["embed", "--model", &model, "--kind", "document"], "hi\n", "invalid value 'document'"),
    ];
    for (args, stdin, want) in cases {
        let out = run(args, stdin);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(err.contains(want), "{args:?}: stderr {err:?} should mention {want:?}");
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    }
}

#[test]
fn a_model_directory_missing_its_weights_is_named() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["config.json", "tokenizer.json"] {
        std::fs::copy(format!("{}/{name}", fixture()), dir.path().join(name)).unwrap();
    }
    let out = run(&["embed", "--model", dir.path().to_str().unwrap()], "hi\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("model.safetensors: missing"), "{err}");
}
