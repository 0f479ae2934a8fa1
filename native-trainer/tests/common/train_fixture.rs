//! The training fixture shared by tests/train_cli.rs and tests/train_faults.rs: a learnable cross-lingual task
//! (a query and its passages share a made-up name across English, German and Russian text, while every
//! language has its own filler words, so an untrained model ranks by language and a trained one by the name).
#![allow(dead_code)]

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rand::{Rng, SeedableRng};

pub const BIN: &str = env!("CARGO_BIN_EXE_lingbridge");

pub fn root(rel: &str) -> String {
    format!("{}/../{rel}", env!("CARGO_MANIFEST_DIR"))
}

pub fn lingbridge(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

pub fn ok(o: &Output) -> String {
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "lingbridge failed: {stderr}");
    stderr
}

pub const FILLER: [(&str, &[&str]); 3] = [
    ("en", &["the", "river", "house", "green", "morning", "city", "small", "water", "book", "friend", "road", "light"]),
    ("de", &["der", "Fluss", "Haus", "grün", "Morgen", "Stadt", "klein", "Wasser", "Buch", "Freund", "Straße", "Licht"]),
    ("ru", &["река", "дом", "зелёный", "утро", "город", "малый", "вода", "книга", "друг", "дорога", "свет", "лес"]),
];
pub const QUESTION: [&str; 3] = ["who is", "wer ist", "кто такой"];

pub fn name(rng: &mut impl Rng) -> String {
    let (c, v) = (b"bdfgklmnprstvz", b"aeiou");
    let mut s = String::new();
    for i in 0..3 {
        let a = c[rng.random_range(0..c.len())] as char;
        s.push(if i == 0 { a.to_ascii_uppercase() } else { a });
        s.push(v[rng.random_range(0..v.len())] as char);
    }
    s
}

/// Records for `groups` names in three languages: {"xling_id","lang","query","passage"} per line; with
/// `negatives`, each also has a hard negative (the same words around another name).
pub fn records(groups: usize, seed: u64, negatives: bool) -> String {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut out = String::new();
    for g in 0..groups {
        let n = name(&mut rng);
        for (l, (lang, words)) in FILLER.iter().enumerate() {
            let mut fill = |k: usize| (0..k).map(|_| words[rng.random_range(0..words.len())]).collect::<Vec<_>>().join(" ");
            let query = format!("{} {n}", QUESTION[l]);
            let (before, after) = (fill(2), fill(2));
            let passage = format!("{before} {n} {after}");
            let mut record = serde_json::json!({"xling_id": format!("{seed}-{g}"), "lang": lang, "query": query, "passage": passage});
            if negatives {
                record["negatives"] = serde_json::json!([format!("{before} {} {after}", name(&mut rng))]);
            }
            out.push_str(&record.to_string());
            out.push('\n');
        }
    }
    out
}

pub struct Fixture {
    _dir: tempfile::TempDir,
    pub dir: PathBuf,
    pub train: String,
    pub dev: String,
}

pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    std::fs::write(path.join("train.jsonl"), records(150, 1, false)).unwrap();
    std::fs::write(path.join("train-negatives.jsonl"), records(150, 1, true)).unwrap();
    std::fs::write(path.join("dev.jsonl"), records(30, 2, false)).unwrap();
    let s = |f: &str| path.join(f).to_str().unwrap().to_string();
    Fixture { train: s("train.jsonl"), dev: s("dev.jsonl"), dir: path, _dir: dir }
}

/// `lingbridge train --init tiny-xlmr` with the fixture and `extra` flags.
pub fn train_args<'a>(f: &'a Fixture, init: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["train", "--init", init, "--train", &f.train, "--out", out, "--batch-size", "12", "--seed", "3"];
    args.extend_from_slice(extra);
    args
}


pub fn metrics(out: &Path) -> Vec<serde_json::Value> {
    let file = std::fs::File::open(out.join("metrics.jsonl")).unwrap();
    std::io::BufReader::new(file).lines().map(|l| serde_json::from_str(&l.unwrap()).unwrap()).collect()
}

pub fn losses(m: &[serde_json::Value]) -> Vec<f64> {
    m.iter().filter_map(|l| l["loss"].as_f64()).collect()
}

pub fn state(checkpoint: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(checkpoint.join("state.json")).unwrap()).unwrap()
}

