//! TREC files from text or bytes (no file system here: the page hands over bytes, the CLI reads the file):
//! qrels `qid iter docid rel` and runs `qid Q0 docid rank score tag`, whitespace-separated.
//!
//! What is accepted follows trec_eval's readers: fields are split on ASCII whitespace; the `iter`, `Q0` and `rank`
//! columns are ignored (trec_eval ranks by score, never by the rank column); a run line may carry fields after
//! the tag, which are ignored, while a qrels line has exactly four. Lines starting with `#` are comments, as in
//! trec_eval; blank lines are skipped too (trec_eval would reject them; nothing is lost by allowing them). A
//! document listed twice for one query is an error in both files, as in trec_eval.
//! Every error names the file, the 1-based line number and the problem.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::metrics::{Qrels, Run, ScorePrecision, trec_order};
use crate::error::{Error, Result};

/// Bytes → text, naming the line of the first invalid UTF-8 sequence.
fn utf8<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        Error::invalid(file, format!("line {line}: not valid UTF-8"))
    })
}

/// The data lines of a TREC file: (1-based line number, fields). Skips blank lines, `#` comments and a leading
/// UTF-8 byte order mark (which would otherwise glue itself to the first query id).
fn data_lines(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.starts_with('#'))
        .map(|(i, line)| (i + 1, line.split_ascii_whitespace().collect::<Vec<_>>()))
        .filter(|(_, fields)| !fields.is_empty())
}

/// Parses qrels (`qid iter docid rel`; `rel` an integer, ≥ 1 meaning relevant).
pub fn read_qrels(file: &str, text: &str) -> Result<Qrels> {
    // Where each judgment was first seen, to name both lines of a duplicate.
    let mut first_line: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut qrels = Qrels::new();
    for (line, fields) in data_lines(text) {
        let [query, _iter, doc, rel] = fields[..] else {
            return Err(Error::invalid(
                file,
                format!("line {line}: expected 4 fields (query iter doc relevance), found {}", fields.len()),
            ));
        };
        let rel: i32 = rel.parse().map_err(|_| {
            Error::invalid(file, format!("line {line}: relevance '{rel}' is not an integer"))
        })?;
        if let Some(first) = first_line.insert((query, doc), line) {
            return Err(Error::invalid(
                file,
                format!("line {line}: document {doc} is judged twice for query {query} (first on line {first})"),
            ));
        }
        qrels.entry(query.to_string()).or_default().insert(doc.to_string(), rel);
    }
    Ok(qrels)
}

/// [`read_qrels`] from bytes, which must be UTF-8.
pub fn read_qrels_bytes(file: &str, bytes: &[u8]) -> Result<Qrels> {
    read_qrels(file, utf8(file, bytes)?)
}

/// Parses a run (`qid Q0 docid rank score tag`). Documents keep their file order; evaluation sorts them.
pub fn read_run(file: &str, text: &str) -> Result<Run> {
    let mut first_line: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut run = Run::new();
    for (line, fields) in data_lines(text) {
        if fields.len() < 6 {
            return Err(Error::invalid(
                file,
                format!("line {line}: expected 6 fields (query Q0 doc rank score tag), found {}", fields.len()),
            ));
        }
        let (query, doc, score) = (fields[0], fields[2], fields[4]);
        let score: f64 = match score.parse::<f64>() {
            Ok(s) if !s.is_nan() => s,
            _ => return Err(Error::invalid(file, format!("line {line}: score '{score}' is not a number"))),
        };
        if let Some(first) = first_line.insert((query, doc), line) {
            return Err(Error::invalid(
                file,
                format!(
                    "line {line}: document {doc} is listed twice for query {query} (first on line {first}); \
                     trec_eval refuses duplicate docs"
                ),
            ));
        }
        run.entry(query.to_string()).or_default().push((doc.to_string(), score));
    }
    Ok(run)
}

/// [`read_run`] from bytes, which must be UTF-8.
pub fn read_run_bytes(file: &str, bytes: &[u8]) -> Result<Run> {
    read_run(file, utf8(file, bytes)?)
}

/// Shortest text that reads back as exactly `score`; exponent form for very large or small magnitudes, so a
/// score like 1e-30 stays short (trec_eval's `atof` reads both forms, `inf` too).
fn format_score(score: f64) -> String {
    let magnitude = score.abs();
    if magnitude == 0.0 || (1e-5..1e16).contains(&magnitude) || magnitude.is_infinite() {
        format!("{score}")
    } else {
        format!("{score:e}")
    }
}

fn check_id(what: &str, id: &str) -> Result<()> {
    // ASCII whitespace is what the readers (ours and trec_eval's) split on.
    if id.is_empty() || id.bytes().any(|b| b.is_ascii_whitespace()) {
        return Err(Error::input(format!("{what} {id:?} cannot be written to a TREC file (empty or has whitespace)")));
    }
    Ok(())
}

/// Writes a qrels file (`qid 0 docid rel`): queries and documents in byte order of their ids.
pub fn write_qrels(qrels: &Qrels) -> Result<String> {
    let mut out = String::new();
    for (query, docs) in qrels {
        check_id("query id", query)?;
        for (doc, rel) in docs {
            check_id("document id", doc)?;
            // Writing to a String cannot fail.
            let _ = writeln!(out, "{query} 0 {doc} {rel}");
        }
    }
    Ok(out)
}

/// Writes a run file: queries in byte order of their ids, documents in trec_eval's order (score descending at
/// full f64 precision, ties by document id descending) with ranks from 1, scores written exactly. A query with
/// no documents writes no line (the format cannot express it).
pub fn write_run(run: &Run, tag: &str) -> Result<String> {
    check_id("run tag", tag)?;
    let mut out = String::new();
    for (query, docs) in run {
        check_id("query id", query)?;
        for (rank, &i) in trec_order(query, docs, ScorePrecision::F64)?.iter().enumerate() {
            let (doc, score) = &docs[i];
            check_id("document id", doc)?;
            // Writing to a String cannot fail.
            let _ = writeln!(out, "{query} Q0 {doc} {} {} {tag}", rank + 1, format_score(*score));
        }
    }
    Ok(out)
}
