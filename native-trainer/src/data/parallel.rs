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

/// Lines `start..end` (0-based, end exclusive, open when absent) of line-aligned files: how one source is cut
/// into a training part and a held-out dev part (`--lines 0..1800`, `--lines 1800..`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineRange {
    pub start: usize,
    pub end: Option<usize>,
}

impl std::str::FromStr for LineRange {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (a, b) = s.split_once("..").ok_or_else(|| format!("{s:?}: expected START..END, START.. or ..END"))?;
        let num = |t: &str| t.trim().parse::<usize>().map_err(|_| format!("{s:?}: {t:?} is not a line number"));
        let start = if a.trim().is_empty() { 0 } else { num(a)? };
        let end = if b.trim().is_empty() { None } else { Some(num(b)?) };
        if end.is_some_and(|e| e <= start) {
            return Err(format!("{s:?}: the range is empty"));
        }
        Ok(LineRange { start, end })
    }
}

impl LineRange {
    pub const ALL: LineRange = LineRange { start: 0, end: None };
    fn contains(&self, i: usize) -> bool {
        i >= self.start && self.end.is_none_or(|e| i < e)
    }
}

/// Records from line-aligned files `(language, path)`; `id_prefix` keeps xling ids of different sources apart
/// (ids keep the line number, so a training part and a dev part of one source never share one).
/// Every file must have the same number of lines. A line that is empty in one language is left out for that
/// language only. Only lines in `lines` are kept.
pub fn convert(files: &[(String, &Path)], id_prefix: &str, lines: LineRange) -> anyhow::Result<Vec<Record>> {
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
    if lines.start >= n || lines.end.is_some_and(|e| e > n) {
        bail!("--lines {}..{}: the files have {n} lines", lines.start, lines.end.map(|e| e.to_string()).unwrap_or_default());
    }
    let mut records = Vec::new();
    for i in (0..n).filter(|&i| lines.contains(i)) {
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
        let records = convert(&[("deu".into(), de.as_path()), ("eng".into(), en.as_path())], "t-", LineRange::ALL).unwrap();
        assert_eq!(records.len(), 5, "the empty German line is left out");
        assert_eq!(records[0], Record { xling_id: "t-0".into(), lang: "de".into(), query: "Hallo Welt".into(), passage: "Hallo Welt".into(), negatives: vec![] });
        assert!(records.iter().any(|r| r.xling_id == "t-2" && r.lang == "en" && r.query == "Good day"));
        let tail = convert(&[("deu".into(), de.as_path()), ("eng".into(), en.as_path())], "t-", "1..".parse().unwrap()).unwrap();
        assert_eq!(tail.iter().map(|r| r.xling_id.as_str()).collect::<Vec<_>>(), ["t-1", "t-2", "t-2"], "lines 1 and 2 only");
        let head = convert(&[("deu".into(), de.as_path()), ("eng".into(), en.as_path())], "t-", "..1".parse().unwrap()).unwrap();
        assert_eq!(head.len(), 2);
        let err = convert(&[("deu".into(), de.as_path()), ("eng".into(), en.as_path())], "t-", "2..9".parse().unwrap()).unwrap_err().to_string();
        assert!(err.contains("the files have 3 lines"), "{err}");
        for bad in ["3", "5..2", "a..b", "2..2"] {
            assert!(bad.parse::<LineRange>().is_err(), "{bad}");
        }
        std::fs::write(&en, "one line\n").unwrap();
        let err = convert(&[("deu".into(), de.as_path()), ("eng".into(), en.as_path())], "t-", LineRange::ALL).unwrap_err().to_string();
        assert!(err.contains("not line-aligned"), "{err}");
    }
}
