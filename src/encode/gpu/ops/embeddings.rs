//! The embedding layer: word + position + token-type rows, then LayerNorm, with the family's position numbering
//! (`model::Positions`: XLM-R from pad_token_id + 1, BERT from 0).

use bytemuck::{Pod, Zeroable};

use super::add_layernorm::{check_eps, layernorm_row};
use super::{count, need, need_len, to_u32};
use crate::encode::gpu::pipelines::{Kernel, KernelKey, Pipelines, Spec, grid};
use crate::error::{Error, Result};
use crate::model::Positions;

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
    first_position: u32,
    pad_position: u32,
    _align: [u32; 3],
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
    /// Which position row each token reads.
    pub numbering: Positions,
    pub eps: f64,
}

/// Errors for an id outside the vocabulary — checked on the CPU before upload, since a kernel cannot report it.
pub fn check_ids(ids: &[u32], vocab: usize) -> Result<()> {
    match ids.iter().position(|&id| id as usize >= vocab) {
        Some(i) => Err(Error::input(format!("token id {} at position {i} is outside the vocabulary of {vocab}", ids[i]))),
        None => Ok(()),
    }
}


impl TokenEmbeddings {
    /// The kernel reading the whole table by id.
    pub fn key(&self) -> KernelKey {
        Self::key_for(false)
    }

    fn key_for(gathered: bool) -> KernelKey {
        KernelKey::new(Kernel::Embeddings).with(Spec::U32("GATHERED", gathered as u32))
    }

    fn check(&self) -> Result<()> {
        check_eps(self.eps)?;
        if self.vocab == 0 {
            return Err(Error::input("embeddings: empty vocabulary"));
        }
        // The longest row must have a position row: first + seq - 1 (and padding its row).
        let need_rows = (self.numbering.first as usize + self.seq).max(self.numbering.pad as usize + 1);
        if need_rows > self.positions {
            return Err(Error::input(format!(
                "embeddings: {} tokens need {need_rows} position rows (positions start at {}), the table has {}",
                self.seq, self.numbering.first, self.positions
            )));
        }
        Ok(())
    }

    /// Records the embedding layer. `ids` holds batch·seq ids (u32, checked with [`check_ids`] before upload),
    /// `word` the word-embedding rows (the table, or rows gathered per token), `position`, `token_type` the other
    /// tables, `gamma`, `beta` the LayerNorm, `out` batch·seq·hidden.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        p: &Pipelines,
        encoder: &mut wgpu::CommandEncoder,
        ids: &wgpu::Buffer,
        word: WordRows,
        position: &wgpu::Buffer,
        token_type: &wgpu::Buffer,
        gamma: &wgpu::Buffer,
        beta: &wgpu::Buffer,
        out: &wgpu::Buffer,
    ) -> Result<()> {
        self.record_with(p, encoder, word, ids, [position, token_type, gamma, beta, out])
    }

    fn record_with(
        &self,
        p: &Pipelines,
        encoder: &mut wgpu::CommandEncoder,
        word: WordRows,
        ids: &wgpu::Buffer,
        [position, token_type, gamma, beta, out]: [&wgpu::Buffer; 5],
    ) -> Result<()> {
        self.check()?;
        let tokens = count("embeddings tokens", &[self.batch, self.seq])?;
        let hidden = to_u32("embeddings hidden", self.hidden)?;
        need(p, "token ids", ids, tokens)?;
        let (word, gathered) = match word {
            WordRows::Table(w) => {
                need(p, "word embedding table", w, count("word embedding table", &[self.vocab, self.hidden])?)?;
                (w, false)
            }
            WordRows::Gathered(w) => {
                need(p, "gathered word embedding rows", w, count("gathered word rows", &[self.batch, self.seq, self.hidden])?)?;
                (w, true)
            }
        };
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
            first_position: self.numbering.first,
            pad_position: self.numbering.pad,
            _align: [0; 3],
        };
        let pipeline = p.get(&Self::key_for(gathered))?;
        let params = p.uniform("embeddings params", &params);
        let bind = p.bind(&pipeline, "embeddings", &[&params, ids, word, position, token_type, gamma, beta, out]);
        p.dispatch(encoder, &pipeline, &bind, grid(tokens), "embeddings");
        Ok(())
    }
}

/// Where the kernel reads word-embedding rows from.
#[derive(Clone, Copy)]
pub enum WordRows<'a> {
    /// The whole vocab × hidden table on the device, indexed by token id.
    Table(&'a wgpu::Buffer),
    /// One row per token (batch·seq·hidden), gathered on the CPU: for vocabularies larger than one storage binding
    /// (a real XLM-R table is 250k × 768 f32 = 732 MiB, above WebGPU's 128 MiB default) and for quantized tables,
    /// whose rows the CPU dequantizes.
    Gathered(&'a wgpu::Buffer),
}

/// CPU gather of the word-embedding rows of `ids` from an f32 `vocab × hidden` table (ids checked first).
pub fn gather_rows(table: &[f32], hidden: usize, ids: &[u32]) -> Result<Vec<f32>> {
    check_ids(ids, table.len() / hidden.max(1))?;
    let mut out = Vec::with_capacity(ids.len() * hidden);
    for &id in ids {
        let start = id as usize * hidden;
        out.extend_from_slice(&table[start..start + hidden]);
    }
    Ok(out)
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
    let TokenEmbeddings { batch, seq, hidden, vocab, positions, pad_id, numbering, eps } = shape;
    need_len("token ids", ids.len(), batch * seq)?;
    need_len("word embedding table", word.len(), vocab * hidden)?;
    need_len("position embedding table", position.len(), positions * hidden)?;
    if token_type.len() < hidden {
        return Err(Error::input(format!("token type embedding table: {} values, need at least {hidden}", token_type.len())));
    }
    need_len("embeddings LayerNorm gamma", gamma.len(), hidden)?;
    need_len("embeddings LayerNorm beta", beta.len(), hidden)?;
    check_ids(ids, vocab)?;
    let pos = numbering.ids(ids, seq, pad_id);
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
