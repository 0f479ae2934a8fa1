//! Bilingual pairs (Tatoeba): two line-aligned files, one per language. The same record shape as n-way
//! parallel data with two languages, so it reuses that converter.

use std::path::Path;

use super::Record;
use super::parallel::LineRange;

/// `a` and `b` are (language, path); ids are `{id_prefix}{line}`.
pub fn convert(a: (String, &Path), b: (String, &Path), id_prefix: &str, lines: LineRange) -> anyhow::Result<Vec<Record>> {
    super::parallel::convert(&[a, b], id_prefix, lines)
}
