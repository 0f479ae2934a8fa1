//! `lingbridge data` as users run it: convert, stats, sample; real NTREX / XQuAD-R conversions when the data
//! is present.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_lingbridge");

fn run(args: &[&str]) -> (bool, String, String) {
    let o = Command::new(BIN).args(args).output().unwrap();
    (o.status.success(), String::from_utf8_lossy(&o.stdout).into(), String::from_utf8_lossy(&o.stderr).into())
}

#[test]
fn pairs_convert_then_stats_then_sample() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, out) = (dir.path().join("x.deu"), dir.path().join("x.eng"), dir.path().join("pairs.jsonl"));
    let de: String = (0..40).map(|i| format!("Satz Nummer {i}\n")).collect();
    let en: String = (0..40).map(|i| format!("Sentence number {i}\n")).collect();
    std::fs::write(&a, de).unwrap();
    std::fs::write(&b, en).unwrap();
    let spec = |l: &str, p: &std::path::Path| format!("{l}={}", p.display());
    let (ok, stdout, stderr) =
        run(&["data", "convert", "pairs", "--file", &spec("deu", &a), "--file", &spec("eng", &b), "--out", out.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("80 records in 40 parallel groups") && stdout.contains("| de | 40 |"), "{stdout}");
    let (ok, stdout, _) = run(&["data", "stats", out.to_str().unwrap()]);
    assert!(ok && stdout.contains("| en | 40 |"));
    let (ok, stdout, stderr) = run(&["data", "sample", "--train", out.to_str().unwrap(), "--sampling", "x-y", "--batch-size", "8", "--batches", "20"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("20 batches of 8: 0 X-X-mono"), "{stdout}");
    assert!(!stdout.contains("de→de") && !stdout.contains("en→en"), "X-Y never pairs a language with itself: {stdout}");
    let (ok, _, stderr) = run(&["data", "sample", "--train", out.to_str().unwrap(), "--batch-size", "64"]);
    assert!(!ok && stderr.contains("can fill a batch of 64"), "{stderr}");
}

#[test]
fn malformed_inputs_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"xling_id\":\"1\",\"lang\":\"en\",\"query\":\"q\",\"passage\":\"p\"}\nnot json\n").unwrap();
    let (ok, _, stderr) = run(&["data", "stats", bad.to_str().unwrap()]);
    assert!(!ok && stderr.contains("bad.jsonl: line 2"), "{stderr}");
    let (ok, _, stderr) = run(&["data", "convert", "parallel", "--file", "de", "--file", "en=x", "--out", "/tmp/never.jsonl"]);
    assert!(!ok && stderr.contains("expected LANG=PATH"), "{stderr}");
}

#[test]
fn ntrex_converts_to_n_way_parallel_records() {
    let Some(dir) = lingbridge::data_paths::require_or_skip("ntrex") else { return };
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("ntrex.jsonl");
    let f = |lang: &str, name: &str| format!("{lang}={}", dir.join(name).display());
    let (ok, stdout, stderr) = run(&[
        "data", "convert", "parallel",
        "--file", &f("deu", "newstest2019-ref.deu.txt.gz"),
        "--file", &f("eng", "newstest2019-src.eng.txt.gz"),
        "--file", &f("zho-CN", "newstest2019-ref.zho-CN.txt.gz"),
        "--id-prefix", "ntrex-", "--out", file.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("5991 records in 1997 parallel groups"), "{stdout}");
    assert!(stdout.contains("| zh | 1997 |"));
}

#[test]
fn xquad_r_converts_with_an_article_disjoint_split() {
    let Some(dir) = lingbridge::data_paths::require_or_skip("xquad-r") else { return };
    let out = tempfile::tempdir().unwrap();
    let mut counts = Vec::new();
    for split in ["train", "dev"] {
        let file = out.path().join(format!("{split}.jsonl"));
        let (ok, stdout, stderr) = run(&[
            "data", "convert", "lareqa", "--dataset", dir.to_str().unwrap(), "--langs", "en,de", "--split", split,
            "--dev-fraction", "0.2", "--out", file.to_str().unwrap(),
        ]);
        assert!(ok, "{stderr}");
        let n: usize = stdout.split(" records").next().unwrap().trim().parse().unwrap();
        counts.push(n);
    }
    assert_eq!(counts[0] + counts[1], 2 * 1190, "every question lands on one side");
    assert!(counts[1] > 0 && counts[1] < counts[0], "{counts:?}");
}

#[test]
fn lareqa_records_get_negatives_mined_by_a_model_never_the_answer() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let (dataset, model) = (format!("{root}/tests/fixtures/lareqa"), format!("{root}/tests/fixtures/tiny-xlmr"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mined.jsonl");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = ["data", "convert", "lareqa", "--dataset", &dataset, "--langs", "en,ru,zh", "--split", "train", "--dev-fraction", "0"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let call = |a: Vec<String>| run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let (ok, _, stderr) = call(args(&["--mine-negatives", &model, "--negatives", "2", "--out", out.to_str().unwrap()]));
    assert!(ok, "{stderr}");
    assert!(stderr.contains("mined 2 negative(s) per record"), "{stderr}");
    let plain = dir.path().join("plain.jsonl");
    let (ok, _, stderr) = call(args(&["--out", plain.to_str().unwrap()]));
    assert!(ok, "{stderr}");
    let read = |p: &std::path::Path| -> Vec<serde_json::Value> {
        std::fs::read_to_string(p).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    let (mined, plain) = (read(&out), read(&plain));
    assert_eq!(mined.len(), plain.len());
    let mut with = 0;
    for (m, p) in mined.iter().zip(&plain) {
        for key in ["xling_id", "lang", "query", "passage"] {
            assert_eq!(m[key], p[key], "mining changed a record's {key}");
        }
        let negatives = m["negatives"].as_array().unwrap();
        assert!(negatives.len() <= 2 && !negatives.contains(&m["passage"]), "{m}");
        with += !negatives.is_empty() as usize;
    }
    assert!(with > 0, "no record got a negative");

    let (ok, _, stderr) = call(args(&["--mine-negatives", "/nonexistent/model", "--out", out.to_str().unwrap()]));
    assert!(!ok && stderr.contains("/nonexistent/model"), "{stderr}");
    let (ok, _, stderr) = call(args(&["--mine-negatives", &model, "--format", "lareqa", "--out", dir.path().join("x").to_str().unwrap()]));
    assert!(!ok && stderr.contains("do not apply to --format lareqa"), "{stderr}");
}
