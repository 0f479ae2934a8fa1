//! Weight quantization: the schemes a `lingbridge quantize` file can hold, GGML's block formats (through candle's
//! quantized module, so candle and llama.cpp read our blocks back), and a repacking of those blocks for WebGPU.
//!
//! **GGML blocks** (what the GGUF file stores, produced by candle's `QTensor::quantize`, which is a transcription of
//! ggml's `quantize_row_q8_0_ref` / `quantize_row_q4_0_ref`), 32 consecutive values of a row per block:
//! - `q8_0`: `d = amax / 127` stored as f16, `q = round(x / d)` as i8; 34 bytes: `[d: f16][q: i8 × 32]`.
//! - `q4_0`: `d = max / -8` (max = the signed value of largest magnitude) stored as f16,
//!   `q = min(15, trunc(x / d + 8.5))`; 18 bytes: `[d: f16][16 bytes]`, byte j = element j (low nibble) |
//!   element j + 16 (high nibble).
//!
//! Both dequantize as `x ≈ d · q` (`q − 8` for q4_0).
//!
//! **[`PackedQuant`]** is the same numbers laid out for 32-bit bindings, because WGSL has no byte loads and a 34- or
//! 18-byte block is not 4-byte aligned: one f32 scale per block (`scales[row · cols/32 + block]`, the f16 widened —
//! exact), and the quants of each block in `words` (`words[(row · cols/32 + block) · W + w]`):
//! - `q8_0`, W = 8: word w holds elements 4w … 4w+3, element 4w+b in byte b (little-endian), as two's-complement i8;
//! - `q4_0`, W = 4: word w holds elements 8w … 8w+7, element 8w+i in bits 4i … 4i+3, as the unsigned nibble
//!   `q` (value `q − 8`). This *sequential* nibble order (not GGML's j / j+16 split) lets the kernel read the 8
//!   values it needs from one word with one shift each.

use std::fmt;
use std::str::FromStr;

use std::borrow::Cow;

use candle_core::quantized::{GgmlDType, QStorage, QTensor};
use candle_core::{Device, Tensor};
use half::f16;

use crate::error::{Error, Result, candle_message};

/// Values per quantization block (q8_0 and q4_0).
pub const BLOCK: usize = 32;

/// How a tensor's values are stored (ordered from widest to narrowest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QuantScheme {
    F32,
    F16,
    Q8_0,
    Q4_0,
}

impl QuantScheme {
    pub const ALL: [QuantScheme; 4] = [QuantScheme::F32, QuantScheme::F16, QuantScheme::Q8_0, QuantScheme::Q4_0];

    pub fn name(self) -> &'static str {
        match self {
            QuantScheme::F32 => "f32",
            QuantScheme::F16 => "f16",
            QuantScheme::Q8_0 => "q8_0",
            QuantScheme::Q4_0 => "q4_0",
        }
    }

    /// Whether values are stored in blocks of [`BLOCK`] with a scale (q8_0, q4_0).
    pub fn is_block(self) -> bool {
        matches!(self, QuantScheme::Q8_0 | QuantScheme::Q4_0)
    }

    /// The GGML type candle reads and writes.
    pub fn ggml(self) -> GgmlDType {
        match self {
            QuantScheme::F32 => GgmlDType::F32,
            QuantScheme::F16 => GgmlDType::F16,
            QuantScheme::Q8_0 => GgmlDType::Q8_0,
            QuantScheme::Q4_0 => GgmlDType::Q4_0,
        }
    }

    /// The scheme of a GGML type, if it is one we write.
    pub fn from_ggml(dtype: GgmlDType) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.ggml() == dtype)
    }

    /// Bytes of `elems` values in GGML layout (`elems` a multiple of the block size for q8_0 / q4_0).
    /// Saturates: a hostile file's element count must read as "more than the file holds", not overflow.
    pub fn ggml_bytes(self, elems: usize) -> usize {
        let dtype = self.ggml();
        (elems / dtype.block_size()).saturating_mul(dtype.type_size())
    }

    /// u32 words per block in [`PackedQuant::words`] (0 for f32 / f16, which are not packed).
    pub fn words_per_block(self) -> usize {
        match self {
            QuantScheme::Q8_0 => 8,
            QuantScheme::Q4_0 => 4,
            QuantScheme::F32 | QuantScheme::F16 => 0,
        }
    }
}

impl fmt::Display for QuantScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for QuantScheme {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|q| q.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::input(format!("unknown quantization scheme {s:?} (expected f32, f16, q8_0 or q4_0)")))
    }
}

/// `data` (row-major, of `shape`) as a candle `QTensor` of `scheme` — GGML's reference quantization. Block schemes
/// need the last dimension to be a multiple of [`BLOCK`], so blocks never straddle two rows.
pub fn quantize_ggml(scheme: QuantScheme, data: &[f32], shape: &[usize]) -> Result<QTensor> {
    check_shape(scheme, data.len(), shape)?;
    let tensor = Tensor::from_slice(data, shape, &Device::Cpu).map_err(|e| Error::input(candle_message(&e)))?;
    QTensor::quantize(&tensor, scheme.ggml()).map_err(|e| Error::input(candle_message(&e)))
}

/// Whether `len` values form `shape` and, for block schemes, rows hold whole blocks.
pub(crate) fn check_shape(scheme: QuantScheme, len: usize, shape: &[usize]) -> Result<()> {
    if shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)) != Some(len) {
        return Err(Error::input(format!("{len} values do not form a tensor of shape {shape:?}")));
    }
    let cols = shape.last().copied().unwrap_or(1);
    if scheme.is_block() && cols % BLOCK != 0 {
        return Err(Error::input(format!("{scheme} needs rows of a multiple of {BLOCK} values, not {cols}")));
    }
    Ok(())
}

/// GGML blocks (as a GGUF file stores them) as a candle `QTensor`, copied. candle views the bytes as 2-byte-aligned
/// blocks, so they go through a `u16` buffer (a byte slice has no alignment guarantee).
pub fn qtensor_from_blocks(scheme: QuantScheme, raw: &[u8], shape: &[usize], name: &str) -> Result<QTensor> {
    let elems: usize = shape.iter().product();
    if !scheme.is_block() || raw.len() != scheme.ggml_bytes(elems) || elems % BLOCK != 0 {
        return Err(Error::input(format!("tensor {name}: {} bytes are not {scheme} blocks of shape {shape:?}", raw.len())));
    }
    let mut words = vec![0u16; raw.len() / 2];
    bytemuck::cast_slice_mut::<u16, u8>(&mut words).copy_from_slice(raw);
    let storage = QStorage::from_data(Cow::Borrowed(bytemuck::cast_slice(&words)), &Device::Cpu, scheme.ggml())
        .map_err(|e| Error::backend(format!("{scheme} tensor {name}"), candle_message(&e)))?;
    QTensor::new(storage, shape).map_err(|e| Error::backend(format!("{scheme} tensor {name}"), candle_message(&e)))
}

/// A `[rows, cols]` matrix in q8_0 or q4_0, repacked for 32-bit loads (layout in the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct PackedQuant {
    pub scheme: QuantScheme,
    pub rows: usize,
    pub cols: usize,
    /// One scale per block: `rows · cols / 32`.
    pub scales: Vec<f32>,
    /// `scheme.words_per_block()` words per block.
    pub words: Vec<u32>,
}

impl PackedQuant {
    /// Quantizes with GGML's reference algorithm (candle) and repacks.
    pub fn quantize(scheme: QuantScheme, data: &[f32], rows: usize, cols: usize) -> Result<Self> {
        let q = quantize_ggml(scheme, data, &[rows, cols])?;
        let raw = q.data().map_err(|e| Error::input(candle_message(&e)))?;
        Self::from_ggml(scheme, rows, cols, &raw)
    }

    /// Repacks GGML blocks (`rows · cols / 32` blocks of 34 (q8_0) or 18 (q4_0) bytes, as in a GGUF file).
    pub fn from_ggml(scheme: QuantScheme, rows: usize, cols: usize, raw: &[u8]) -> Result<Self> {
        if !scheme.is_block() {
            return Err(Error::input(format!("{scheme} is not a block quantization")));
        }
        let elems = rows.checked_mul(cols).ok_or_else(|| Error::input(format!("{rows}×{cols} overflows")))?;
        check_shape(scheme, elems, &[rows, cols])?;
        let block_bytes = scheme.ggml_bytes(BLOCK);
        if raw.len() != scheme.ggml_bytes(elems) {
            return Err(Error::input(format!(
                "{scheme} {rows}×{cols} needs {} bytes, got {}",
                scheme.ggml_bytes(elems),
                raw.len()
            )));
        }
        let blocks = elems / BLOCK;
        let mut scales = Vec::with_capacity(blocks);
        let mut words = Vec::with_capacity(blocks * scheme.words_per_block());
        for block in raw.chunks_exact(block_bytes) {
            scales.push(f16::from_le_bytes([block[0], block[1]]).to_f32());
            let qs = &block[2..];
            match scheme {
                // Bytes are already in element order: four per word, little-endian.
                QuantScheme::Q8_0 => words.extend(qs.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
                // GGML: byte j = element j | element j+16 << 4. Packed: element 8w+i at bits 4i of word w.
                _ => {
                    let nibble = |e: usize| if e < 16 { (qs[e] & 0x0F) as u32 } else { (qs[e - 16] >> 4) as u32 };
                    words.extend((0..4).map(|w| (0..8).fold(0u32, |acc, i| acc | nibble(8 * w + i) << (4 * i))));
                }
            }
        }
        Ok(Self { scheme, rows, cols, scales, words })
    }

    pub fn blocks_per_row(&self) -> usize {
        self.cols / BLOCK
    }

    /// Element `e` (0‥32) of block `block`: `scale · q`.
    fn value(&self, block: usize, e: usize) -> f32 {
        let base = block * self.scheme.words_per_block();
        let q = match self.scheme {
            QuantScheme::Q8_0 => (self.words[base + e / 4] >> (8 * (e % 4))) as u8 as i8 as i32,
            _ => ((self.words[base + e / 8] >> (4 * (e % 8))) & 0xF) as i32 - 8,
        };
        self.scales[block] * q as f32
    }

    fn row_into(&self, row: usize, out: &mut Vec<f32>) {
        let bpr = self.blocks_per_row();
        for block in row * bpr..(row + 1) * bpr {
            out.extend((0..BLOCK).map(|e| self.value(block, e)));
        }
    }

    /// The whole matrix as f32 (row-major).
    pub fn dequantize(&self) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.rows * self.cols);
        for row in 0..self.rows {
            self.row_into(row, &mut out);
        }
        out
    }

    /// Selected rows as f32, `ids.len() × cols` — the CPU gather of embedding rows for vocabularies too large for
    /// one GPU binding.
    pub fn dequantize_rows(&self, ids: &[u32]) -> Result<Vec<f32>> {
        let mut out = Vec::with_capacity(ids.len() * self.cols);
        for &id in ids {
            if id as usize >= self.rows {
                return Err(Error::input(format!("row {id} is out of range for a table of {} rows", self.rows)));
            }
            self.row_into(id as usize, &mut out);
        }
        Ok(out)
    }
}
