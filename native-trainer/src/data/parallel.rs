//! n-way parallel sentence sets (NTREX: one file per language, line i is the same sentence everywhere) and
//! bilingual pair files (Tatoeba: two line-aligned files): every sentence becomes a record whose query and
//! passage are the sentence itself, so X-X-mono pairs a sentence with itself and X-Y with its translation.

use std::path::Path;

use anyhow::{Context, bail};

use super::Record;
use super::langs::normalize;

/// Lines of a text file, gunzipped when it is gzip (by content, not name).
pub fn read_lines(path: &Path) -> anyhow::Result<Vec<String>> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let name = path.display().to_string();
    let bytes = lingbridge::eval::beir::gunzip(&name, &bytes)?;
    let text = std::str::from_utf8(&bytes).with_context(|| format!("{name}: not UTF-8"))?;
    Ok(text.lines().map(|l| l.trim().to_string()).collect())
}

/// Records from line-aligned files `(language, path)`; `id_prefix` keeps xling ids of different sources apart.
/// Every file must have the same number of lines. A line that is empty in one language is left out for that
/// language only.
pub fn convert(files: &[(String, &Path)], id_prefix: &str) -> anyhow::Result<Vec<Record>> {
    if files.len() < 2 {
        bail!("parallel data needs at least two languages");
    }
    let mut columns = Vec::new();
    for (lang, path) in files {
        columns.push((normalize(lang), path, read_lines(path)?));
    }
    let n = columns[0].2.len();
    for (_, path, lines) in &columns {
        if lines.len() != n {
            bail!("{} has {} lines but {} has {n}: the files are not line-aligned", path.display(), lines.len(), columns[0].1.display());
        }
    }
    let mut records = Vec::new();
    for i in 0..n {
        for (lang, _, lines) in &columns {
            if !lines[i].is_empty() {
                records.push(Record {
                    xling_id: format!("{id_prefix}{i}"),
                    lang: lang.clone(),
                    query: lines[i].clone(),
                    passage: lines[i].clone(),
                    negatives: vec![],
                });
            }
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_aligned_files_become_parallel_records() {
        let dir = tempfile::tempdir().unwrap();
        let de = dir.path().join("a.deu");
        let en = dir.path().join("a.eng");
        std::fs::write(&de, "Hallo Welt\n\nGuten Tag\n").unwrap();
        std::fs::write(&en, "Hello world\nOnly English\nGood day\n").unwrap();
        let records = convert(&[("deu".into(), de.as_path()), ("eng".into(), en.as_path())], "t-").unwrap();
        assert_eq!(records.len(), 5, "the empty German line is left out");
        assert_eq!(records[0], Record { xling_id: "t-0".into(), lang: "de".into(), query: "Hallo Welt".into(), passage: "Hallo Welt".into(), negatives: vec![] });
        assert!(records.iter().any(|r| r.xling_id == "t-2" && r.lang == "en" && r.query == "Good day"));
        std::fs::write(&en, "one line\n").unwrap();
        let err = convert(&[("deu".into(), de.as_path()), ("eng".into(), en.as_path())], "t-").unwrap_err().to_string();
        assert!(err.contains("not line-aligned"), "{err}");
    }
}
