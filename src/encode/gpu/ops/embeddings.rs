//! The embedding layer: word + position + token-type rows, then LayerNorm, with XLM-R's position numbering.

use bytemuck::{Pod, Zeroable};

use super::add_layernorm::{check_eps, layernorm_row};
use super::{count, need, need_len, to_u32};
use crate::encode::gpu::pipelines::{Kernel, KernelKey, Pipelines, grid};
use crate::error::{Error, Result};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    tokens: u32,
    seq: u32,
    hidden: u32,
    pad_id: u32,
    vocab: u32,
    positions: u32,
    eps: f32,
    _pad: u32,
}

/// Shapes of the embedding layer: `batch × seq` ids, tables `vocab × hidden`, `positions × hidden`,
/// `types × hidden` (only row 0 is used: XLM-R has a single token type).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenEmbeddings {
    pub batch: usize,
    pub seq: usize,
    pub hidden: usize,
    pub vocab: usize,
    pub positions: usize,
    pub pad_id: u32,
    pub eps: f64,
}

/// Errors for an id outside the vocabulary — checked on the CPU before upload, since a kernel cannot report it.
pub fn check_ids(ids: &[u32], vocab: usize) -> Result<()> {
    match ids.iter().position(|&id| id as usize >= vocab) {
        Some(i) => Err(Error::input(format!("token id {} at position {i} is outside the vocabulary of {vocab}", ids[i]))),
        None => Ok(()),
    }
}

/// XLM-R position ids: pad_id + running count of non-pad tokens for real tokens, pad_id for pads.
pub fn cpu_position_ids(ids: &[u32], seq: usize, pad_id: u32) -> Vec<u32> {
    let mut out = Vec::with_capacity(ids.len());
    for row in ids.chunks(seq.max(1)) {
        let mut real = 0u32;
        for &id in row {
            if id != pad_id {
                real += 1;
                out.push(pad_id + real);
            } else {
                out.push(pad_id);
            }
        }
    }
    out
}

impl TokenEmbeddings {
    pub fn key(&self) -> KernelKey {
        KernelKey::new(Kernel::Embeddings)
    }

    fn check(&self) -> Result<()> {
        check_eps(self.eps)?;
        if self.vocab == 0 {
            return Err(Error::input("embeddings: empty vocabulary"));
        }
        // The longest row must have a position row: pad_id + seq.
        if self.pad_id as usize + self.seq >= self.positions {
            return Err(Error::input(format!(
                "embeddings: {} tokens need {} position rows (positions start after pad id {}), the table has {}",
                self.seq,
                self.pad_id as usize + self.seq + 1,
                self.pad_id,
                self.positions
            )));
        }
        Ok(())
    }

    /// Records the embedding layer. `ids` holds batch·seq ids (u32, checked with [`check_ids`] before upload),
    /// `word`, `position`, `token_type` the tables, `gamma`, `beta` the LayerNorm, `out` batch·seq·hidden.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        p: &Pipelines,
        encoder: &mut wgpu::CommandEncoder,
        ids: &wgpu::Buffer,
        word: &wgpu::Buffer,
        position: &wgpu::Buffer,
        token_type: &wgpu::Buffer,
        gamma: &wgpu::Buffer,
        beta: &wgpu::Buffer,
        out: &wgpu::Buffer,
    ) -> Result<()> {
        self.check()?;
        let tokens = count("embeddings tokens", &[self.batch, self.seq])?;
        let hidden = to_u32("embeddings hidden", self.hidden)?;
        need(p, "token ids", ids, tokens)?;
        // A real XLM-R vocabulary (250k × 768 f32 = 732 MiB) exceeds WebGPU's default binding size; `need` names
        // the limit. Splitting the table or gathering rows on the CPU is part 2 of issue 3.
        need(p, "word embedding table", word, count("word embedding table", &[self.vocab, self.hidden])?)?;
        need(p, "position embedding table", position, count("position embedding table", &[self.positions, self.hidden])?)?;
        need(p, "token type embedding table", token_type, hidden)?;
        need(p, "embeddings LayerNorm gamma", gamma, hidden)?;
        need(p, "embeddings LayerNorm beta", beta, hidden)?;
        need(p, "embeddings output", out, count("embeddings output", &[self.batch, self.seq, self.hidden])?)?;
        if tokens == 0 || hidden == 0 {
            return Ok(());
        }
        let params = Params {
            tokens,
            seq: to_u32("embeddings seq", self.seq)?,
            hidden,
            pad_id: self.pad_id,
            vocab: to_u32("vocabulary size", self.vocab)?,
            positions: to_u32("position table size", self.positions)?,
            eps: self.eps as f32,
            _pad: 0,
        };
        let pipeline = p.get(&self.key())?;
        let params = p.uniform("embeddings params", &params);
        let bind = p.bind(&pipeline, "embeddings", &[&params, ids, word, position, token_type, gamma, beta, out]);
        p.dispatch(encoder, &pipeline, &bind, grid(tokens), "embeddings");
        Ok(())
    }
}

/// CPU twin in f64.
#[allow(clippy::too_many_arguments)]
pub fn cpu_embeddings(
    ids: &[u32],
    word: &[f32],
    position: &[f32],
    token_type: &[f32],
    gamma: &[f32],
    beta: &[f32],
    shape: TokenEmbeddings,
) -> Result<Vec<f32>> {
    shape.check()?;
    let TokenEmbeddings { batch, seq, hidden, vocab, positions, pad_id, eps } = shape;
    need_len("token ids", ids.len(), batch * seq)?;
    need_len("word embedding table", word.len(), vocab * hidden)?;
    need_len("position embedding table", position.len(), positions * hidden)?;
    if token_type.len() < hidden {
        return Err(Error::input(format!("token type embedding table: {} values, need at least {hidden}", token_type.len())));
    }
    need_len("embeddings LayerNorm gamma", gamma.len(), hidden)?;
    need_len("embeddings LayerNorm beta", beta.len(), hidden)?;
    check_ids(ids, vocab)?;
    let pos = cpu_position_ids(ids, seq, pad_id);
    let mut out = vec![0f32; ids.len() * hidden];
    let mut v = vec![0f64; hidden];
    for (t, (&id, &ps)) in ids.iter().zip(&pos).enumerate() {
        let (w, ps) = (id as usize * hidden, ps as usize * hidden);
        for c in 0..hidden {
            v[c] = word[w + c] as f64 + position[ps + c] as f64 + token_type[c] as f64;
        }
        layernorm_row(&v, gamma, beta, eps, &mut out[t * hidden..(t + 1) * hidden]);
    }
    Ok(out)
}
