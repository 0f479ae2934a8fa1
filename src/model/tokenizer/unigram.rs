//! The model stage of a Unigram (SentencePiece) tokenizer, for the tokenizers library's pipeline (its normaliser,
//! pre-tokenizer and post-processor run unchanged around it), holding the vocabulary in flat arrays.
//!
//! Why not the library's own `Unigram`: it keeps a byte trie with a hash map in every node, which for the page's
//! 67,000-piece vocabulary holds ~72 MB (measured: the tokenizers library loading the trimmed tokenizer.json,
//! resident bytes after `malloc_trim`) — a third of each wasm engine's memory, paid again by every helper
//! engine. Here the pieces are one string, their ends, their scores and an index sorted by bytes (~2 MB), and
//! common-prefix search is a narrowing binary search. The segmentation is the library's to the letter: the same
//! Viterbi pass (sentencepiece's optimised one), prefixes visited shortest first, a later candidate replacing an
//! earlier one only when strictly better, unknown characters scored `min_score − 10` and consecutive unknowns
//! fused into one `<unk>` — `tests/tokenizer_model.rs` compares the two on thousands of texts in every script.
//! Files with `byte_fallback` keep the library's model.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tokenizers::models::unigram::UnigramTrainer;
use tokenizers::models::{ModelWrapper, TrainerWrapper};
use tokenizers::{Model, Token};

/// sentencepiece's penalty below the lowest piece score for an unknown character.
const UNK_PENALTY: f64 = 10.0;

#[derive(Clone, Debug)]
pub struct CompactUnigram {
    /// Every piece, in id order, concatenated.
    blob: String,
    /// Piece `i` is `blob[ends[i-1]..ends[i]]`.
    ends: Vec<u32>,
    scores: Vec<f64>,
    /// Ids ordered by their piece's bytes; of equal pieces only the last id (the library's map keeps the last).
    sorted: Vec<u32>,
    unk_id: Option<u32>,
    min_score: f64,
}

impl CompactUnigram {
    /// The library's checks, in its words: an unknown id needs a vocabulary, and must be inside it.
    pub fn new(vocab: Vec<(String, f64)>, unk_id: Option<usize>) -> Result<Self, String> {
        if let Some(unk) = unk_id {
            if vocab.is_empty() {
                return Err("The vocabulary is empty but at least <unk> is needed".into());
            }
            if unk >= vocab.len() {
                return Err("The `unk_id` is larger than vocabulary size".into());
            }
        }
        let total: usize = vocab.iter().map(|(p, _)| p.len()).sum();
        if total > u32::MAX as usize || vocab.len() > u32::MAX as usize {
            return Err("the vocabulary is too large".into());
        }
        let mut blob = String::with_capacity(total);
        let mut ends = Vec::with_capacity(vocab.len());
        let mut scores = Vec::with_capacity(vocab.len());
        let mut min_score = f64::INFINITY;
        for (piece, score) in &vocab {
            blob.push_str(piece);
            ends.push(blob.len() as u32);
            scores.push(*score);
            min_score = min_score.min(*score);
        }
        drop(vocab);
        let mut model = Self { blob, ends, scores, sorted: Vec::new(), unk_id: unk_id.map(|u| u as u32), min_score };
        let mut sorted: Vec<u32> = (0..model.ends.len() as u32).collect();
        // Stable by bytes, so equal pieces stay in id order and the last of each run is kept.
        sorted.sort_by(|&a, &b| model.piece(a).as_bytes().cmp(model.piece(b).as_bytes()));
        let mut kept: Vec<u32> = Vec::with_capacity(sorted.len());
        for id in sorted {
            match kept.last_mut() {
                Some(last) if model.piece(*last) == model.piece(id) => *last = id,
                _ => kept.push(id),
            }
        }
        kept.shrink_to_fit();
        model.sorted = kept;
        Ok(model)
    }

    fn piece(&self, id: u32) -> &str {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.blob[start..self.ends[i] as usize]
    }

    fn lookup(&self, piece: &[u8]) -> Option<u32> {
        let at = self.sorted.partition_point(|&id| self.piece(id).as_bytes() < piece);
        self.sorted.get(at).copied().filter(|&id| self.piece(id).as_bytes() == piece)
    }

    /// Calls `found(len, id)` for every piece that `text` starts with, shortest first (the library's trie order).
    /// The candidates for each longer prefix lie inside the previous prefix's range, which narrows as it goes.
    fn prefixes(&self, text: &[u8], mut found: impl FnMut(usize, u32)) {
        let (mut lo, mut hi) = (0, self.sorted.len());
        for len in 1..=text.len() {
            let prefix = &text[..len];
            let range = &self.sorted[lo..hi];
            let first = range.partition_point(|&id| self.piece(id).as_bytes() < prefix);
            let past = range.partition_point(|&id| {
                let p = self.piece(id).as_bytes();
                p < prefix || p.starts_with(prefix)
            });
            if first == past {
                return;
            }
            let (start, end) = (lo + first, lo + past);
            if self.piece(self.sorted[start]).len() == len {
                found(len, self.sorted[start]);
            }
            (lo, hi) = (start, end);
        }
    }

    /// The best segmentation of `sentence` as byte ranges (sentencepiece's optimised Viterbi, as the library runs it).
    fn segment(&self, sentence: &str) -> tokenizers::Result<Vec<(usize, usize)>> {
        #[derive(Clone, Copy)]
        struct Best {
            id: u32,
            score: f64,
            from: Option<usize>,
        }
        let size = sentence.len();
        let unk_score = self.min_score - UNK_PENALTY;
        let mut best = vec![Best { id: 0, score: 0.0, from: None }; size + 1];
        let bytes = sentence.as_bytes();
        let mut start = 0;
        while start < size {
            let here = best[start].score;
            let char_len = sentence[start..].chars().next().map_or(1, char::len_utf8);
            let mut single = false;
            self.prefixes(&bytes[start..], |len, id| {
                let node = &mut best[start + len];
                let score = self.scores[id as usize] + here;
                if node.from.is_none() || score > node.score {
                    *node = Best { id, score, from: Some(start) };
                }
                single |= len == char_len;
            });
            if !single {
                let unk = self.unk_id.ok_or_else(|| Box::<dyn std::error::Error + Send + Sync>::from("Encountered an unknown token but `unk_id` is missing"))?;
                let node = &mut best[start + char_len];
                let score = unk_score + here;
                if node.from.is_none() || score > node.score {
                    *node = Best { id: unk, score, from: Some(start) };
                }
            }
            start += char_len;
        }
        // Back from the end; consecutive unknowns become one range.
        let mut ranges = Vec::new();
        let mut end = size;
        let mut unk_end = None;
        while end > 0 {
            let node = best[end];
            let from = node.from.expect("every char boundary is reached");
            if Some(node.id) == self.unk_id {
                unk_end.get_or_insert(end);
            } else {
                if let Some(e) = unk_end.take() {
                    ranges.push((end, e));
                }
                ranges.push((from, end));
            }
            end = from;
        }
        if let Some(e) = unk_end {
            ranges.push((0, e));
        }
        ranges.reverse();
        Ok(ranges)
    }
}

impl Model for CompactUnigram {
    type Trainer = UnigramTrainer;

    fn tokenize(&self, sentence: &str) -> tokenizers::Result<Vec<Token>> {
        if sentence.is_empty() {
            return Ok(Vec::new());
        }
        let mut tokens = Vec::new();
        for (start, end) in self.segment(sentence)? {
            let value = &sentence[start..end];
            // As the library: a fused run of unknowns that happens to spell a piece gets that piece's id.
            let id = match self.lookup(value.as_bytes()).or(self.unk_id) {
                Some(id) => id,
                None => return Err("Encountered an unknown token but `unk_id` is missing".into()),
            };
            tokens.push(Token::new(id, value.to_string(), (start, end)));
        }
        Ok(tokens)
    }

    fn token_to_id(&self, token: &str) -> Option<u32> {
        self.lookup(token.as_bytes())
    }

    fn id_to_token(&self, id: u32) -> Option<String> {
        ((id as usize) < self.ends.len()).then(|| self.piece(id).to_string())
    }

    fn get_vocab(&self) -> HashMap<String, u32> {
        self.sorted.iter().map(|&id| (self.piece(id).to_string(), id)).collect()
    }

    fn get_vocab_size(&self) -> usize {
        self.ends.len()
    }

    fn save(&self, _folder: &Path, _prefix: Option<&str>) -> tokenizers::Result<Vec<PathBuf>> {
        Err("this tokenizer is read-only here; write tokenizer.json with the tokenizers library".into())
    }

    fn get_trainer(&self) -> UnigramTrainer {
        UnigramTrainer::default()
    }
}

/// The model stage of a `tokenizer.json`: Unigram without byte fallback in flat arrays, anything else the library's.
#[derive(Clone, Debug)]
pub enum TextModel {
    Unigram(CompactUnigram),
    Library(ModelWrapper),
}

impl<'de> serde::Deserialize<'de> for TextModel {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        use serde_json::Value;
        // The library reads its models through a Value too (ModelWrapper's untagged helper).
        let value = Value::deserialize(d)?;
        let unigram = value.get("type").and_then(Value::as_str) == Some("Unigram")
            && !value.get("byte_fallback").and_then(Value::as_bool).unwrap_or(false);
        if unigram {
            #[derive(serde::Deserialize)]
            struct Spec {
                unk_id: Option<usize>,
                vocab: Vec<(String, f64)>,
            }
            let spec = Spec::deserialize(value).map_err(D::Error::custom)?;
            return CompactUnigram::new(spec.vocab, spec.unk_id).map(TextModel::Unigram).map_err(D::Error::custom);
        }
        ModelWrapper::deserialize(value).map(TextModel::Library).map_err(D::Error::custom)
    }
}

impl Model for TextModel {
    type Trainer = TrainerWrapper;

    fn tokenize(&self, sequence: &str) -> tokenizers::Result<Vec<Token>> {
        match self {
            Self::Unigram(m) => m.tokenize(sequence),
            Self::Library(m) => m.tokenize(sequence),
        }
    }

    fn token_to_id(&self, token: &str) -> Option<u32> {
        match self {
            Self::Unigram(m) => m.token_to_id(token),
            Self::Library(m) => m.token_to_id(token),
        }
    }

    fn id_to_token(&self, id: u32) -> Option<String> {
        match self {
            Self::Unigram(m) => m.id_to_token(id),
            Self::Library(m) => m.id_to_token(id),
        }
    }

    fn get_vocab(&self) -> HashMap<String, u32> {
        match self {
            Self::Unigram(m) => m.get_vocab(),
            Self::Library(m) => m.get_vocab(),
        }
    }

    fn get_vocab_size(&self) -> usize {
        match self {
            Self::Unigram(m) => m.get_vocab_size(),
            Self::Library(m) => m.get_vocab_size(),
        }
    }

    fn save(&self, folder: &Path, prefix: Option<&str>) -> tokenizers::Result<Vec<PathBuf>> {
        match self {
            Self::Unigram(m) => m.save(folder, prefix),
            Self::Library(m) => m.save(folder, prefix),
        }
    }

    fn get_trainer(&self) -> TrainerWrapper {
        match self {
            Self::Unigram(m) => m.get_trainer().into(),
            Self::Library(m) => m.get_trainer(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(pieces: &[(&str, f64)], unk: Option<usize>) -> CompactUnigram {
        CompactUnigram::new(pieces.iter().map(|&(p, s)| (p.to_string(), s)).collect(), unk).unwrap()
    }

    fn tokens(m: &CompactUnigram, s: &str) -> Vec<(u32, String)> {
        m.tokenize(s).unwrap().into_iter().map(|t| (t.id, t.value)).collect()
    }

    #[test]
    fn segments_as_the_library_does_on_a_small_vocabulary() {
        // "x" + "y" ties with "xy": the earlier candidate must stay (strictly better replaces).
        let pieces = [("<unk>", 0.0), ("a", -1.0), ("b", -1.5), ("ab", -2.0), ("abc", -4.0), ("c", -1.0), ("é", -1.0), ("x", -1.0), ("y", -1.0), ("xy", -2.0)];
        let ours = model(&pieces, Some(0));
        let theirs = tokenizers::models::unigram::Unigram::from(pieces.iter().map(|&(p, s)| (p.to_string(), s)).collect(), Some(0), false).unwrap();
        for s in ["abc", "ab", "abab", "cabx", "xxab", "xyz", "éa", "zzéz", "a", "", "ÿÿÿ", "abcabc", "xy", "xyxy", "qxyq"] {
            let want: Vec<(u32, String)> = theirs.tokenize(s).unwrap().into_iter().map(|t| (t.id, t.value)).collect();
            assert_eq!(tokens(&ours, s), want, "{s:?}");
        }
    }

    #[test]
    fn duplicate_pieces_take_the_last_id_and_lookups_agree() {
        let m = model(&[("<unk>", 0.0), ("x", -1.0), ("y", -1.0), ("x", -0.5)], Some(0));
        assert_eq!(m.token_to_id("x"), Some(3));
        assert_eq!(m.id_to_token(1).as_deref(), Some("x"));
        assert_eq!(m.id_to_token(4), None);
        assert_eq!(m.get_vocab_size(), 4);
        assert_eq!(tokens(&m, "xy"), vec![(3, "x".into()), (2, "y".into())]);
    }

    #[test]
    fn bad_vocabularies_and_a_missing_unk_are_errors() {
        assert!(CompactUnigram::new(vec![], Some(0)).is_err());
        assert!(CompactUnigram::new(vec![("a".into(), -1.0)], Some(1)).is_err());
        let no_unk = model(&[("a", -1.0)], None);
        assert!(no_unk.tokenize("ab").is_err());
        assert_eq!(tokens(&no_unk, "aa"), vec![(0, "a".into()), (0, "a".into())]);
    }
}
