//! A small E5S1 image writer (the layout of src/model/e5s1.rs) for tests: included with `#[path]` by
//! tests/e5s1_import.rs (reader and converter) and native-trainer/tests/import_cli.rs (`lingbridge import e5s1`),
//! so both build their images the same way. Needs the `half` and `serde_json` crates.
#![allow(dead_code)]

use lingbridge::model::e5s1::{Dims, Specials, layout};

/// A small E5S1 writer (the layout of src/model/e5s1.rs) that remembers where the count fields are.
pub struct Image {
    pub bytes: Vec<u8>,
    pub n_pieces_at: usize,
    pub blob_len_at: usize,
    pub n_norm_at: usize,
    pub n_tensors_at: usize,
    /// Per directory entry: where its u32 element count starts (dtype is the byte before; offset and length follow).
    pub entry_count_at: Vec<usize>,
}

pub fn tiny_dims(vocab: usize) -> Dims {
    Dims { hidden: 32, layers: 2, heads: 2, ffn: 64, vocab, max_positions: 16, type_vocab: 2, eps: 1e-12 }
}

/// Deterministic bytes.
pub fn noise(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 7) as u8
        })
        .collect()
}

/// A tensor's data: q4_0 blocks with small normal f16 scales, or f32 values near `base`.
pub fn tensor_data(dtype: lingbridge::model::e5s1::Dtype, count: usize, seed: u32, base: f32) -> Vec<u8> {
    use lingbridge::model::e5s1::Dtype;
    let raw = noise(count * 4, seed);
    match dtype {
        Dtype::Q4_0 => {
            let mut out = Vec::new();
            for (b, block) in raw.chunks_exact(16).take(count / 32).enumerate() {
                let scale = half::f16::from_f32(0.01 + 0.002 * (b % 17) as f32 * if b % 3 == 0 { -1.0 } else { 1.0 });
                out.extend_from_slice(&scale.to_le_bytes());
                out.extend_from_slice(block);
            }
            out
        }
        Dtype::F32 => raw.chunks_exact(4).map(|b| base + (b[0] as f32 - 128.0) / 1280.0).flat_map(f32::to_le_bytes).collect(),
    }
}

pub fn write_image(dims: &Dims, specials: Specials, pieces: &[(String, f32)]) -> Image {
    let mut b = Vec::new();
    let i32s = |b: &mut Vec<u8>, v: usize| b.extend_from_slice(&(v as i32).to_le_bytes());
    b.extend_from_slice(b"E5S1");
    b.extend_from_slice(&1u32.to_le_bytes());
    for v in [dims.hidden, dims.layers, dims.heads, dims.ffn, dims.vocab, dims.max_positions, dims.type_vocab] {
        i32s(&mut b, v);
    }
    b.extend_from_slice(&dims.eps.to_le_bytes());
    i32s(&mut b, 32);
    let n_pieces_at = b.len();
    i32s(&mut b, pieces.len());
    for id in [specials.bos, specials.eos, specials.pad, specials.unk] {
        i32s(&mut b, id as usize);
    }
    let blob: Vec<u8> = pieces.iter().flat_map(|(p, _)| p.bytes()).collect();
    let blob_len_at = b.len();
    b.extend_from_slice(&(blob.len() as u64).to_le_bytes());
    let mut off = 0u32;
    b.extend_from_slice(&0u32.to_le_bytes());
    for (p, _) in pieces {
        off += p.len() as u32;
        b.extend_from_slice(&off.to_le_bytes());
    }
    for (_, s) in pieces {
        b.extend_from_slice(&s.to_le_bytes());
    }
    b.extend_from_slice(&blob);
    // Normalisation: U+0001 deleted, U+00C5 → "A" + U+030A, U+FF21 → "A".
    let norm: [(u32, &[u32]); 3] = [(1, &[]), (0xC5, &[0x41, 0x30A]), (0xFF21, &[0x41])];
    let mut map = Vec::new();
    for (cp, outs) in norm {
        map.extend_from_slice(&cp.to_le_bytes());
        map.push(outs.len() as u8);
        outs.iter().for_each(|o| map.extend_from_slice(&o.to_le_bytes()));
    }
    let n_norm_at = b.len();
    i32s(&mut b, norm.len());
    b.extend_from_slice(&(map.len() as u32).to_le_bytes());
    b.extend_from_slice(&map);
    let slots = layout(dims);
    let n_tensors_at = b.len();
    i32s(&mut b, slots.len());
    let dir_len: usize = slots.iter().map(|s| 2 + s.e5.len() + 1 + 4 + 8 + 8).sum();
    let mut data_at = (b.len() + dir_len).next_multiple_of(64);
    let mut data = Vec::new();
    let mut entry_count_at = Vec::new();
    for (i, s) in slots.iter().enumerate() {
        let count: usize = s.shape.iter().product();
        let base = if s.e5.ends_with("ln.w") { 1.0 } else { 0.0 };
        let bytes = tensor_data(s.dtype, count, i as u32 + 7, base);
        b.extend_from_slice(&(s.e5.len() as u16).to_le_bytes());
        b.extend_from_slice(s.e5.as_bytes());
        b.push(s.dtype.code());
        entry_count_at.push(b.len());
        b.extend_from_slice(&(count as u32).to_le_bytes());
        b.extend_from_slice(&(data_at as u64).to_le_bytes());
        b.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        data.push((data_at, bytes.clone()));
        data_at = (data_at + bytes.len()).next_multiple_of(64);
    }
    for (at, bytes) in data {
        b.resize(at, 0);
        b.extend_from_slice(&bytes);
    }
    Image { bytes: b, n_pieces_at, blob_len_at, n_norm_at, n_tensors_at, entry_count_at }
}

pub const SPECIALS: Specials = Specials { bos: 0, eos: 2, pad: 1, unk: 3 };

/// The fixture's Unigram tokenizer as E5S1 pieces (scores rounded to f32, as the image stores them).
pub fn fixture_pieces(tokenizer: &[u8]) -> Vec<(String, f32)> {
    let json: serde_json::Value = serde_json::from_slice(tokenizer).unwrap();
    json["model"]["vocab"].as_array().unwrap().iter().map(|e| (e[0].as_str().unwrap().to_string(), e[1].as_f64().unwrap() as f32)).collect()
}
