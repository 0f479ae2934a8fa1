//! BEIR datasets: `corpus.jsonl` (`{"_id", "title", "text"}`), `queries.jsonl` (`{"_id", "text"}`) and
//! `qrels/<split>.tsv` (a header line, then `query-id  corpus-id  score`).
//!
//! Any of these may be gzipped: readers look at the bytes (gzip magic `1f 8b`), not the file name, so a `.gz`
//! picked in the browser works as well as one read from disk. Errors name the file and the 1-based line.
//! MIRACL and Mr.TyDi corpora use the same `corpus.jsonl` layout and are read by [`Corpus::parse`] too.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::Read;

use serde::{Deserialize, Deserializer};

use crate::error::{Error, Result};

/// Relevance judgements (query id → document id → grade), the type the metrics take.
pub use crate::eval::metrics::Qrels;

/// One corpus entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Document {
    #[serde(rename = "_id", deserialize_with = "string_or_number")]
    pub id: String,
    #[serde(default)]
    pub title: String,
    pub text: String,
}

impl Document {
    /// Title and text joined by a space, as BEIR's dense-retrieval evaluation encodes documents; the text
    /// alone when there is no title.
    pub fn full_text(&self) -> Cow<'_, str> {
        if self.title.is_empty() {
            Cow::Borrowed(&self.text)
        } else {
            Cow::Owned(format!("{} {}", self.title, self.text))
        }
    }
}

/// One query (BEIR `queries.jsonl`, or a MIRACL / Mr.TyDi topic).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Query {
    #[serde(rename = "_id", deserialize_with = "string_or_number")]
    pub id: String,
    pub text: String,
}

/// Documents in file order, with an id → index map for turning judgements into indices once.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    pub documents: Vec<Document>,
    index: HashMap<String, usize>,
}

impl Corpus {
    /// Parses `corpus.jsonl` (optionally gzipped). Blank lines are allowed; duplicate ids are an error.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Self> {
        let (documents, lines) = parse_jsonl::<Document>(file, bytes)?;
        let index = unique_ids(file, documents.iter().map(|d| d.id.as_str()), &lines, "document")?;
        Ok(Self { documents, index })
    }

    pub fn len(&self) -> usize {
        self.documents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.documents.is_empty()
    }

    /// Index of a document id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub fn get(&self, id: &str) -> Option<&Document> {
        self.position(id).map(|i| &self.documents[i])
    }
}

/// Parses `queries.jsonl` (optionally gzipped). Duplicate ids are an error.
pub fn parse_queries(file: &str, bytes: &[u8]) -> Result<Vec<Query>> {
    let (queries, lines) = parse_jsonl::<Query>(file, bytes)?;
    unique_ids(file, queries.iter().map(|q| q.id.as_str()), &lines, "query")?;
    Ok(queries)
}

/// Parses a BEIR qrels TSV (optionally gzipped): `query-id corpus-id score`, tab- or space-separated.
/// The first line is taken as the header when its third column is not an integer (BEIR writes
/// `query-id\tcorpus-id\tscore`); any later line that does not parse is an error. A pair judged twice is an
/// error too: which grade would count would otherwise depend on file order.
pub fn parse_qrels(file: &str, bytes: &[u8]) -> Result<Qrels> {
    let bytes = gunzip(file, bytes)?;
    let text = utf8(file, &bytes)?;
    let mut qrels = Qrels::new();
    for (n, line) in numbered_lines(text) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        if n == 1 && fields.get(2).is_some_and(|s| s.parse::<i32>().is_err()) {
            continue;
        }
        let [query, doc, score] = fields[..] else {
            return Err(line_error(
                file,
                n,
                format!("expected 3 columns (query-id corpus-id score), found {}", fields.len()),
            ));
        };
        let grade =
            score.parse::<i32>().map_err(|_| line_error(file, n, format!("score \"{score}\" is not an integer")))?;
        insert_judgement(&mut qrels, file, n, query, doc, grade)?;
    }
    Ok(qrels)
}

/// Adds one judgement, refusing a pair that is already judged.
fn insert_judgement(qrels: &mut Qrels, file: &str, line: usize, query: &str, doc: &str, grade: i32) -> Result<()> {
    let docs = qrels.entry(query.to_string()).or_default();
    if docs.insert(doc.to_string(), grade).is_some() {
        return Err(line_error(file, line, format!("query \"{query}\" judges document \"{doc}\" twice")));
    }
    Ok(())
}

/// A BEIR dataset split: corpus, queries and qrels.
#[derive(Debug, Clone, Default)]
pub struct BeirDataset {
    pub corpus: Corpus,
    pub queries: Vec<Query>,
    pub qrels: Qrels,
}

impl BeirDataset {
    /// Queries that have at least one judgement, in queries-file order: the ones an evaluation runs
    /// (BEIR's `queries.jsonl` often holds every split's queries).
    pub fn judged_queries(&self) -> Vec<&Query> {
        self.queries.iter().filter(|q| self.qrels.contains_key(&q.id)).collect()
    }

    /// Judged query ids that are missing from the queries file.
    pub fn unknown_queries(&self) -> Vec<&str> {
        let known: std::collections::HashSet<&str> = self.queries.iter().map(|q| q.id.as_str()).collect();
        self.qrels.keys().map(String::as_str).filter(|q| !known.contains(q)).collect()
    }

    /// Judged document ids that are missing from the corpus (sorted, distinct).
    pub fn unknown_documents(&self) -> Vec<&str> {
        let mut missing: Vec<&str> = self
            .qrels
            .values()
            .flat_map(|docs| docs.keys())
            .map(String::as_str)
            .filter(|d| self.corpus.position(d).is_none())
            .collect();
        missing.sort_unstable();
        missing.dedup();
        missing
    }
}

/// Decompresses gzip data (recognised by its magic bytes); anything else is returned as is.
/// Concatenated gzip members are read through, as `zcat` does.
pub fn gunzip<'a>(file: &str, bytes: &'a [u8]) -> Result<Cow<'a, [u8]>> {
    gunzip_at_most(file, bytes, MAX_GUNZIPPED)
}

/// Most bytes a gzipped file may expand to. A few hundred bytes of gzip can claim gigabytes (a "zip bomb");
/// the largest file read this way (a BEIR corpus) is far below this, and growing the buffer up to it never
/// allocates more than 1 GiB.
pub const MAX_GUNZIPPED: u64 = 512 << 20;

/// [`gunzip`] with its size limit given (tests use a small one).
pub fn gunzip_at_most<'a>(file: &str, bytes: &'a [u8], limit: u64) -> Result<Cow<'a, [u8]>> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(Cow::Borrowed(bytes));
    }
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(limit as usize));
    flate2::read::MultiGzDecoder::new(bytes)
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::invalid(file, format!("corrupt gzip data: {e}")))?;
    if out.len() as u64 > limit {
        return Err(Error::invalid(
            file,
            format!("gzip data expands past {} MiB; decompress the file first if it is really that large", limit >> 20),
        ));
    }
    Ok(Cow::Owned(out))
}

/// The text of a file, or an error naming the line of the first invalid UTF-8 byte. A leading BOM is dropped.
pub(crate) fn utf8<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.strip_prefix('\u{feff}').unwrap_or(text)),
        Err(e) => {
            let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
            Err(line_error(file, line, "not valid UTF-8"))
        }
    }
}

/// Lines with their 1-based numbers, without line terminators (`\n` or `\r\n`).
pub(crate) fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, line)| (i + 1, line))
}

pub(crate) fn line_error(file: &str, line: usize, message: impl std::fmt::Display) -> Error {
    Error::invalid(file, format!("line {line}: {message}"))
}

/// One JSON object per non-blank line; returns the items and the line each came from.
fn parse_jsonl<T: serde::de::DeserializeOwned>(file: &str, bytes: &[u8]) -> Result<(Vec<T>, Vec<usize>)> {
    let bytes = gunzip(file, bytes)?;
    let text = utf8(file, &bytes)?;
    let mut items = Vec::new();
    let mut lines = Vec::new();
    for (n, line) in numbered_lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        let item = serde_json::from_str(line).map_err(|e| {
            // serde_json counts lines within the one line we handed it; report the file's line instead.
            let message = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let message = message.strip_suffix(&suffix).unwrap_or(&message);
            Error::json(file, format!("line {n}, column {}: {message}", e.column()))
        })?;
        items.push(item);
        lines.push(n);
    }
    Ok((items, lines))
}

/// id → position, or an error naming both lines of the first repeated id.
fn unique_ids<'a>(
    file: &str,
    ids: impl Iterator<Item = &'a str>,
    lines: &[usize],
    what: &str,
) -> Result<HashMap<String, usize>> {
    let mut index = HashMap::new();
    for (i, id) in ids.enumerate() {
        match index.entry(id.to_string()) {
            Entry::Occupied(first) => {
                let (first, again) = (lines[*first.get()], lines[i]);
                return Err(line_error(file, again, format!("{what} id \"{id}\" repeats (first on line {first})")));
            }
            Entry::Vacant(slot) => {
                slot.insert(i);
            }
        }
    }
    Ok(index)
}

/// BEIR writes ids as strings; some converted corpora write numbers. Both become the same string.
fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Int(i64),
    }
    Ok(match Id::deserialize(d)? {
        Id::Text(s) => s,
        Id::Int(n) => n.to_string(),
    })
}

/// Reads a file's raw bytes (parsers decompress), with the path as the name to use in messages.
#[cfg(not(target_arch = "wasm32"))]
pub fn read_bytes(path: &std::path::Path) -> Result<(String, Vec<u8>)> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::Io { file: name.clone(), message: e.to_string() })?;
    Ok((name, bytes))
}

/// `dir/name`, or `dir/name.gz` when only the compressed file exists.
#[cfg(not(target_arch = "wasm32"))]
pub fn find_file(dir: &std::path::Path, name: &str) -> Result<std::path::PathBuf> {
    let plain = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    if plain.is_file() {
        Ok(plain)
    } else if gz.is_file() {
        Ok(gz)
    } else {
        Err(Error::MissingFile { file: plain.display().to_string(), why: format!("neither {name} nor {name}.gz") })
    }
}

/// Reads a BEIR dataset folder: `corpus.jsonl[.gz]`, `queries.jsonl[.gz]`, `qrels/<split>.tsv[.gz]`.
#[cfg(not(target_arch = "wasm32"))]
pub fn load_dir(dir: &std::path::Path, split: &str) -> Result<BeirDataset> {
    let (name, bytes) = read_bytes(&find_file(dir, "corpus.jsonl")?)?;
    let corpus = Corpus::parse(&name, &bytes)?;
    drop(bytes);
    let (name, bytes) = read_bytes(&find_file(dir, "queries.jsonl")?)?;
    let queries = parse_queries(&name, &bytes)?;
    let (name, bytes) = read_bytes(&find_file(&dir.join("qrels"), &format!("{split}.tsv"))?)?;
    let qrels = parse_qrels(&name, &bytes)?;
    Ok(BeirDataset { corpus, queries, qrels })
}
