//! Training data: one record schema, JSONL files, and one converter per kind of source.
//!
//! A record is one language's version of one item: `{"xling_id", "lang", "query", "passage"[, "negatives"]}`.
//! Records that share an `xling_id` are translations of each other; the sampler pairs a query in one
//! language with the passage of another language's record (X-Y), or keeps both in one language (X-X-mono).

pub mod exclude;
pub mod lareqa;
pub mod langs;
pub mod mining;
pub mod pairs;
pub mod parallel;
pub mod squad;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub xling_id: String,
    pub lang: String,
    pub query: String,
    pub passage: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub negatives: Vec<String>,
}

/// Reads a JSONL file of records; errors name the file and line. Blank lines are skipped.
pub fn read_jsonl(path: &Path) -> anyhow::Result<Vec<Record>> {
    let file = std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    parse_jsonl(&path.display().to_string(), std::io::BufReader::new(file))
}

/// The records of a JSONL stream; `name` names it in errors.
pub fn parse_jsonl(name: &str, reader: impl BufRead) -> anyhow::Result<Vec<Record>> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("{name}: line {}: cannot read", i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let r: Record = serde_json::from_str(&line).with_context(|| format!("{name}: line {}", i + 1))?;
        if r.query.trim().is_empty() || r.passage.trim().is_empty() || r.lang.is_empty() || r.xling_id.is_empty() {
            bail!("{name}: line {}: xling_id, lang, query and passage must all be non-empty", i + 1);
        }
        if !seen.insert((r.xling_id.clone(), r.lang.clone())) {
            bail!("{name}: line {}: a second record for xling_id {:?} in language {:?}", i + 1, r.xling_id, r.lang);
        }
        out.push(r);
    }
    Ok(out)
}

/// Writes records as JSONL through a temporary file and a rename, so a crash never leaves half a file.
pub fn write_jsonl(path: &Path, records: &[Record]) -> anyhow::Result<()> {
    let tmp = path.with_extension("jsonl.tmp");
    {
        let file = std::fs::File::create(&tmp).with_context(|| format!("{}: cannot create", tmp.display()))?;
        let mut w = BufWriter::new(file);
        for r in records {
            serde_json::to_writer(&mut w, r)?;
            w.write_all(b"\n")?;
        }
        w.flush()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    Ok(())
}

/// Counts per language and per ordered language pair (the X-Y pairs the records allow).
#[derive(Debug, Default, PartialEq)]
pub struct Stats {
    pub records: usize,
    pub groups: usize,
    pub per_lang: BTreeMap<String, usize>,
    pub per_pair: BTreeMap<(String, String), usize>,
}

pub fn stats(records: &[Record]) -> Stats {
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut s = Stats { records: records.len(), ..Default::default() };
    for r in records {
        *s.per_lang.entry(r.lang.clone()).or_default() += 1;
        groups.entry(&r.xling_id).or_default().push(&r.lang);
    }
    s.groups = groups.len();
    for langs in groups.values() {
        for a in langs {
            for b in langs.iter().filter(|b| *b != a) {
                *s.per_pair.entry((a.to_string(), b.to_string())).or_default() += 1;
            }
        }
    }
    s
}

impl Stats {
    pub fn to_markdown(&self) -> String {
        let mut out = format!("{} records in {} parallel groups\n\n| lang | records |\n|---|---|\n", self.records, self.groups);
        for (l, n) in &self.per_lang {
            out.push_str(&format!("| {l} | {n} |\n"));
        }
        let langs: Vec<&String> = self.per_lang.keys().collect();
        out.push_str("\nX-Y pairs (query language → passage language):\n\n| q \\ p |");
        for l in &langs {
            out.push_str(&format!(" {l} |"));
        }
        out.push_str(&format!("\n|---|{}\n", "---|".repeat(langs.len())));
        for a in &langs {
            out.push_str(&format!("| {a} |"));
            for b in &langs {
                let n = self.per_pair.get(&((*a).clone(), (*b).clone())).copied().unwrap_or(0);
                out.push_str(&if a == b { " – |".to_string() } else { format!(" {n} |") });
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, lang: &str) -> Record {
        Record { xling_id: id.into(), lang: lang.into(), query: format!("q {id} {lang}"), passage: "p".into(), negatives: vec![] }
    }

    /// Not coverage-guided (this binary crate is out of cargo-fuzz's reach, see src/fuzzing.rs): src/fuzzing.rs's
    /// mutations of a valid file for two seconds; every outcome must be records or an error, never a panic.
    #[test]
    fn mutated_training_files_give_records_or_errors_never_a_panic() {
        let seed: String = (0..40).map(|i| format!("{}\n", serde_json::to_string(&rec(&i.to_string(), ["en", "de", "ru"][i % 3])).unwrap())).collect();
        let seed = seed.replace("\"p\"}", "\"p\",\"negatives\":[\"n\"]}");
        let mut rng = lingbridge::fuzzing::Rng::new(7);
        let (start, mut runs) = (std::time::Instant::now(), 0);
        while start.elapsed() < std::time::Duration::from_secs(2) {
            let input = lingbridge::fuzzing::mutate(seed.as_bytes(), seed.as_bytes(), &mut rng);
            let outcome = std::panic::catch_unwind(|| parse_jsonl("fuzz.jsonl", input.as_slice()).map(|r| r.len()));
            assert!(outcome.is_ok(), "panicked on {:?}", String::from_utf8_lossy(&input));
            runs += 1;
        }
        assert!(runs > 1000, "{runs} runs");
    }

    #[test]
    fn jsonl_round_trip_and_errors_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train.jsonl");
        let records = vec![rec("1", "en"), rec("1", "de"), rec("2", "en")];
        write_jsonl(&path, &records).unwrap();
        assert_eq!(read_jsonl(&path).unwrap(), records);
        std::fs::write(&path, "{\"xling_id\":\"1\",\"lang\":\"en\",\"query\":\"q\",\"passage\":\"p\"}\n{oops\n").unwrap();
        let err = format!("{:#}", read_jsonl(&path).unwrap_err());
        assert!(err.contains("line 2"), "{err}");
        std::fs::write(&path, "{\"xling_id\":\"1\",\"lang\":\"en\",\"query\":\"q\",\"passage\":\"p\"}\n{\"xling_id\":\"1\",\"lang\":\"en\",\"query\":\"q2\",\"passage\":\"p\"}\n").unwrap();
        assert!(format!("{:#}", read_jsonl(&path).unwrap_err()).contains("a second record"));
    }

    #[test]
    fn stats_count_languages_and_pairs() {
        let s = stats(&[rec("1", "en"), rec("1", "de"), rec("1", "zh"), rec("2", "en"), rec("2", "de")]);
        assert_eq!((s.records, s.groups), (5, 2));
        assert_eq!(s.per_lang["en"], 2);
        assert_eq!(s.per_pair[&("en".into(), "de".into())], 2);
        assert_eq!(s.per_pair[&("zh".into(), "en".into())], 1);
        assert!(!s.per_pair.contains_key(&("en".into(), "en".into())));
        assert!(s.to_markdown().contains("| en | 2 |"));
    }
}
