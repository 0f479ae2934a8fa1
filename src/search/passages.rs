//! `PassageIndex`: the page's search index — passages that arrive in chunks (the corpus is embedded with a
//! progress bar), each with an id and a language, searched by one query with an optional language filter.
//!
//! Scoring and ranking are `DenseIndex`'s and `Ranker`'s (trec_eval's order), so a search on the page ranks
//! exactly like `lingbridge eval` does. The dense index is rebuilt lazily on the first search after an `add`:
//! adding in many small chunks stays linear.
//!
//! Vectors can also arrive as bytes (`add_encoded`): the built-in corpus's passage embeddings, computed at build
//! time by `lingbridge embed --format f32|f16` and shipped next to each built-in model, so the page need not
//! encode them. Such a file comes over the network, so it is checked (size, finite values, unit rows) before
//! anything is added.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;

use serde::Serialize;

use crate::encode::Embeddings;
use crate::error::{Error, Result};
use crate::search::DenseIndex;

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PassageHit {
    /// 1-based rank within the (filtered) result list.
    pub rank: usize,
    /// Position of the passage in insertion order.
    pub doc: usize,
    pub id: String,
    pub lang: String,
    pub score: f32,
}

/// How a vector file stores its values: little-endian f32, or f16 (half the bytes, ~1e-3 relative rounding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorDtype {
    F32,
    F16,
}

impl VectorDtype {
    /// Bytes per value.
    pub fn width(self) -> usize {
        match self {
            VectorDtype::F32 => 4,
            VectorDtype::F16 => 2,
        }
    }
}

impl FromStr for VectorDtype {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "f32" => Ok(VectorDtype::F32),
            "f16" => Ok(VectorDtype::F16),
            other => Err(Error::input(format!("unknown vector type {other:?}; expected \"f32\" or \"f16\""))),
        }
    }
}

/// Row-major vectors as little-endian bytes of `dtype` (the precomputed-embeddings file).
pub fn vectors_to_le_bytes(data: &[f32], dtype: VectorDtype) -> Vec<u8> {
    match dtype {
        VectorDtype::F32 => data.iter().flat_map(|x| x.to_le_bytes()).collect(),
        VectorDtype::F16 => data.iter().flat_map(|x| half::f16::from_f32(*x).to_le_bytes()).collect(),
    }
}

// Unit vectors rounded to f16 keep their norm to ~1e-3; anything further off is not an embedding file.
const NORM_TOLERANCE: f32 = 1e-2;

/// `count` rows of `dim` values from little-endian bytes, refusing a file of the wrong size, non-finite values
/// or rows that are not unit vectors (a corrupt or foreign file), with the row named.
pub fn vectors_from_le_bytes(bytes: &[u8], dtype: VectorDtype, dim: usize, count: usize) -> Result<Vec<f32>> {
    if dim == 0 {
        return Err(Error::input("the vector width is 0"));
    }
    let expected = count.checked_mul(dim).and_then(|n| n.checked_mul(dtype.width()));
    if expected != Some(bytes.len()) {
        return Err(Error::input(format!(
            "the embeddings file has {} bytes; {count} vectors of width {dim} in {dtype:?} need {}",
            bytes.len(),
            expected.map_or_else(|| "more than fits in memory".to_string(), |n| n.to_string())
        )));
    }
    let data: Vec<f32> = match dtype {
        VectorDtype::F32 => bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
        VectorDtype::F16 => bytes.chunks_exact(2).map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
    };
    for (row, v) in data.chunks_exact(dim).enumerate() {
        if v.iter().any(|x| !x.is_finite()) {
            return Err(Error::input(format!("vector {} of the embeddings file holds a value that is not a number", row + 1)));
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if (norm - 1.0).abs() > NORM_TOLERANCE {
            return Err(Error::input(format!("vector {} of the embeddings file has length {norm}, not 1: not an embedding", row + 1)));
        }
    }
    Ok(data)
}

#[derive(Default)]
pub struct PassageIndex {
    dim: usize,
    ids: Vec<String>,
    langs: Vec<String>,
    seen: HashSet<String>,
    data: Vec<f32>,
    dense: OnceCell<DenseIndex>,
}

impl PassageIndex {
    pub fn new(dim: usize) -> Self {
        Self { dim, ..Self::default() }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Passages per language.
    pub fn languages(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for l in &self.langs {
            *counts.entry(l.clone()).or_insert(0) += 1;
        }
        counts
    }

    /// Adds passages: `vectors` holds one unit vector per id (`ids.len() × dim`, row-major). Nothing is added
    /// when any input is wrong (mismatched lengths, an empty or repeated id).
    pub fn add(&mut self, ids: Vec<String>, langs: Vec<String>, vectors: &[f32]) -> Result<()> {
        if ids.len() != langs.len() || vectors.len() != ids.len() * self.dim {
            return Err(Error::input(format!(
                "{} ids, {} languages and {} vector values do not match (width {})",
                ids.len(),
                langs.len(),
                vectors.len(),
                self.dim
            )));
        }
        let mut fresh = HashSet::with_capacity(ids.len());
        for id in &ids {
            if id.is_empty() {
                return Err(Error::input("a passage has an empty id"));
            }
            if self.seen.contains(id) || !fresh.insert(id.as_str()) {
                return Err(Error::input(format!("passage id {id:?} appears twice; ids must be unique")));
            }
        }
        self.seen.extend(ids.iter().cloned());
        self.ids.extend(ids);
        self.langs.extend(langs);
        self.data.extend_from_slice(vectors);
        self.dense.take();
        Ok(())
    }

    /// Adds passages whose vectors are little-endian bytes (`vectors_from_le_bytes`' checks, then `add`'s):
    /// nothing is added when any check fails.
    pub fn add_encoded(&mut self, ids: Vec<String>, langs: Vec<String>, bytes: &[u8], dtype: VectorDtype) -> Result<()> {
        let vectors = vectors_from_le_bytes(bytes, dtype, self.dim, ids.len())?;
        self.add(ids, langs, &vectors)
    }

    pub fn clear(&mut self) {
        *self = Self::new(self.dim);
    }

    fn dense(&self) -> Result<&DenseIndex> {
        if let Some(d) = self.dense.get() {
            return Ok(d);
        }
        let built = DenseIndex::new(&Embeddings { dim: self.dim, data: self.data.clone() }, self.ids.clone())?;
        Ok(self.dense.get_or_init(|| built))
    }

    /// The best `k` passages for one query vector, optionally only those in `langs`.
    pub fn search(&self, query: &[f32], k: usize, langs: Option<&[String]>) -> Result<Vec<PassageHit>> {
        if self.is_empty() {
            return Err(Error::input("the index is empty: add passages before searching"));
        }
        if query.len() != self.dim {
            return Err(Error::input(format!("the query vector has {} values, the index's width is {}", query.len(), self.dim)));
        }
        let dense = self.dense()?;
        let mut scores = dense.scores(&Embeddings { dim: self.dim, data: query.to_vec() })?;
        if let Some(keep) = langs {
            // Filtered-out passages sink below everything; they are dropped from the top k below.
            for (score, lang) in scores.iter_mut().zip(&self.langs) {
                if !keep.contains(lang) {
                    *score = f32::NEG_INFINITY;
                }
            }
        }
        Ok(dense
            .ranker()
            .top_k(&scores, k)
            .into_iter()
            .filter(|h| h.score != f32::NEG_INFINITY)
            .enumerate()
            .map(|(i, h)| PassageHit {
                rank: i + 1,
                doc: h.doc,
                id: self.ids[h.doc].clone(),
                lang: self.langs[h.doc].clone(),
                score: h.score,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: [f32; 2]) -> [f32; 2] {
        let n = (v[0] * v[0] + v[1] * v[1]).sqrt();
        [v[0] / n, v[1] / n]
    }

    fn index() -> PassageIndex {
        let mut idx = PassageIndex::new(2);
        let vecs: Vec<f32> = [unit([1.0, 0.0]), unit([0.9, 0.1]), unit([0.0, 1.0])].concat();
        idx.add(vec!["a".into(), "b".into(), "c".into()], vec!["en".into(), "de".into(), "en".into()], &vecs[..4]).unwrap_err();
        idx.add(vec!["a".into(), "b".into()], vec!["en".into(), "de".into()], &vecs[..4]).unwrap();
        idx.add(vec!["c".into()], vec!["en".into()], &vecs[4..]).unwrap();
        idx
    }

    #[test]
    fn ranks_by_score_across_chunks_and_filters_by_language() {
        let idx = index();
        let q = unit([1.0, 0.2]);
        let hits = idx.search(&q, 10, None).unwrap();
        assert_eq!(hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), ["b", "a", "c"]);
        assert_eq!(hits.iter().map(|h| h.rank).collect::<Vec<_>>(), [1, 2, 3]);
        let expected_b = q[0] * unit([0.9, 0.1])[0] + q[1] * unit([0.9, 0.1])[1];
        assert!((hits[0].score - expected_b).abs() < 1e-6);

        let en = idx.search(&q, 10, Some(&["en".to_string()])).unwrap();
        assert_eq!(en.iter().map(|h| (h.id.as_str(), h.rank)).collect::<Vec<_>>(), [("a", 1), ("c", 2)]);
        assert_eq!(idx.search(&q, 1, None).unwrap().len(), 1);
        assert!(idx.search(&q, 10, Some(&["fr".to_string()])).unwrap().is_empty());
        assert_eq!(idx.languages(), BTreeMap::from([("de".to_string(), 1), ("en".to_string(), 2)]));
    }

    #[test]
    fn bad_input_is_refused_whole() {
        let mut idx = index();
        let err = idx.add(vec!["d".into(), "a".into()], vec!["en".into(), "en".into()], &[1.0, 0.0, 0.0, 1.0]).unwrap_err();
        assert!(err.to_string().contains("\"a\" appears twice"), "{err}");
        assert_eq!(idx.len(), 3);
        let err = idx.add(vec!["e".into(), "e".into()], vec!["en".into(), "en".into()], &[1.0, 0.0, 0.0, 1.0]).unwrap_err();
        assert!(err.to_string().contains("appears twice"), "{err}");
        assert!(idx.add(vec![String::new()], vec!["en".into()], &[1.0, 0.0]).is_err());
        assert!(idx.search(&[1.0, 0.0, 0.0], 3, None).unwrap_err().to_string().contains("width is 2"));
        idx.clear();
        assert!(idx.search(&[1.0, 0.0], 3, None).unwrap_err().to_string().contains("empty"));
    }

    #[test]
    fn encoded_vectors_round_trip_and_bad_files_are_refused() {
        let vecs: Vec<f32> = [unit([1.0, 0.0]), unit([0.9, 0.1]), unit([0.0, 1.0])].concat();
        let ids = || vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let langs = || vec!["en".to_string(), "de".to_string(), "en".to_string()];
        let bytes = vectors_to_le_bytes(&vecs, VectorDtype::F32);
        assert_eq!(vectors_from_le_bytes(&bytes, VectorDtype::F32, 2, 3).unwrap(), vecs);
        let mut idx = PassageIndex::new(2);
        idx.add_encoded(ids(), langs(), &bytes, VectorDtype::F32).unwrap();
        assert_eq!(idx.search(&unit([1.0, 0.2]), 10, None).unwrap(), index().search(&unit([1.0, 0.2]), 10, None).unwrap());

        let half = vectors_to_le_bytes(&vecs, VectorDtype::F16);
        assert_eq!(half.len(), 12);
        let back = vectors_from_le_bytes(&half, VectorDtype::F16, 2, 3).unwrap();
        assert!(back.iter().zip(&vecs).all(|(a, b)| (a - b).abs() < 1e-3));

        // Wrong size, wrong width, NaN, a row that is not a unit vector, an unknown type: refused, nothing added.
        let mut idx = PassageIndex::new(2);
        let err = idx.add_encoded(ids(), langs(), &bytes[..20], VectorDtype::F32).unwrap_err();
        assert!(err.to_string().contains("has 20 bytes"), "{err}");
        assert!(idx.add_encoded(ids(), langs(), &half, VectorDtype::F32).is_err());
        let mut nan = bytes.clone();
        nan[8..12].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(idx.add_encoded(ids(), langs(), &nan, VectorDtype::F32).unwrap_err().to_string().contains("vector 2"));
        let long = vectors_to_le_bytes(&[3.0, 0.0, 1.0, 0.0, 0.0, 1.0], VectorDtype::F32);
        assert!(idx.add_encoded(ids(), langs(), &long, VectorDtype::F32).unwrap_err().to_string().contains("vector 1"));
        assert!(vectors_from_le_bytes(&bytes, VectorDtype::F32, 0, 3).is_err());
        assert!(vectors_from_le_bytes(&bytes, VectorDtype::F32, usize::MAX, 3).is_err());
        assert!("f64".parse::<VectorDtype>().is_err());
        assert!(idx.is_empty());
    }
}
