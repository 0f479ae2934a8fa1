//! Padding-free batches for the CPU forward passes (the encoder's, and the trainer's with autograd): a batch's
//! real tokens as `T` packed rows, one text after another, so matrix products, LayerNorm and GELU never run on
//! padding (a page chunk of 32 texts pads to its longest, often twice the mean). The encoder's attention reads the
//! packed rows itself (`attention.rs`); the trainer's runs as candle ops in groups of [`ATTENTION_GROUP`] texts,
//! each group padded only to its own longest — which also bounds the score tensors' memory — and with a
//! differentiable softmax ([`Packing::with_softmax`]) every op has a backward pass (index_select, reshape, matmul,
//! softmax, cat). Only `with_softmax` builds those groups: the encoder's batches do not pay for them.

use candle_core::{Device, Tensor};

/// Texts per attention group: small enough that a group's scores stay a few MB, large enough that the
/// per-group op overhead is noise (measured by `lingbridge bench encode`).
pub const ATTENTION_GROUP: usize = 8;

/// Attention for a few consecutive texts of a batch, on their real tokens packed to the group's longest.
struct AttentionGroup {
    /// For each of `n × s` slots, the packed row it takes (padding slots take row 0: finite, masked out).
    gather: Tensor,
    /// transformers' extended mask: 0 where attended, the dtype's minimum where padded; `[n, 1, 1, s]`.
    mask: Tensor,
    /// The slots that hold real tokens, in packed order.
    keep: Tensor,
    n: usize,
    s: usize,
}

/// Where a padded `b × s` batch's real tokens go.
pub struct Packing {
    /// The padded slots (row-major `b × s`) of the real tokens, in packed order.
    pub real: Vec<u32>,
    /// Each text's real tokens, in packed order (the rows of text `i` follow those of text `i − 1`).
    pub lengths: Vec<usize>,
    /// What the candle ops of [`Packing::attention`] and [`Packing::unpack`] need; only [`Packing::with_softmax`]
    /// builds it (the encoder's own attention reads the packed rows and `lengths` directly).
    ops: Option<CandleOps>,
}

struct CandleOps {
    groups: Vec<AttentionGroup>,
    /// Every padded slot's packed row (padding takes row 0), for [`Packing::unpack`].
    slot_row: Tensor,
    b: usize,
    s: usize,
    softmax: Softmax,
}

/// Attention's softmax over the last dimension: candle's fused one for inference, or — training — one with a
/// backward pass (the fused one has none), given by the trainer so the page's wasm does not carry it (~260 KB).
pub type Softmax = fn(&Tensor) -> candle_core::Result<Tensor>;

impl Packing {
    /// The packing of a batch by its attention mask (`b × s`, non-zero = real token): the layout alone, what the
    /// encoder's forward pass needs.
    pub fn new(mask: &[u32], b: usize, s: usize) -> Self {
        let real: Vec<u32> = (0..b * s).filter(|&i| mask[i] != 0).map(|i| i as u32).collect();
        let lengths: Vec<usize> = mask.chunks_exact(s.max(1)).map(|row| row.iter().filter(|&&m| m != 0).count()).collect();
        Self { real, lengths, ops: None }
    }

    /// The same, ready for [`Packing::attention`] and [`Packing::unpack`] with this softmax (training: a
    /// differentiable one).
    pub fn with_softmax(mask: &[u32], b: usize, s: usize, dev: &Device, softmax: Softmax) -> candle_core::Result<Self> {
        let mut packing = Self::new(mask, b, s);
        let mut slot_row = vec![0u32; b * s];
        for (row, &i) in packing.real.iter().enumerate() {
            slot_row[i as usize] = row as u32;
        }
        let mut groups = Vec::new();
        let mut first_row = 0u32;
        for texts in packing.lengths.chunks(ATTENTION_GROUP) {
            let (n, s) = (texts.len(), texts.iter().copied().max().unwrap_or(0).max(1));
            let (mut gather, mut mask, mut keep) = (vec![0u32; n * s], vec![f32::MIN; n * s], Vec::new());
            for (i, &len) in texts.iter().enumerate() {
                for j in 0..len {
                    gather[i * s + j] = first_row + j as u32;
                    mask[i * s + j] = 0.0;
                    keep.push((i * s + j) as u32);
                }
                first_row += len as u32;
            }
            let kept = keep.len();
            groups.push(AttentionGroup {
                gather: Tensor::from_vec(gather, n * s, dev)?,
                mask: Tensor::from_vec(mask, (n, 1, 1, s), dev)?,
                keep: Tensor::from_vec(keep, kept, dev)?,
                n,
                s,
            });
        }
        packing.ops = Some(CandleOps { groups, slot_row: Tensor::from_vec(slot_row, b * s, dev)?, b, s, softmax });
        Ok(packing)
    }

    fn ops(&self) -> candle_core::Result<&CandleOps> {
        self.ops.as_ref().ok_or_else(|| candle_core::Error::Msg("Packing::new has no attention groups: use Packing::with_softmax".into()))
    }

    /// Packed rows `T`.
    pub fn rows(&self) -> usize {
        self.real.len()
    }

    /// Scaled dot-product attention over each text's own tokens: `q`, `k`, `v` are `[T, heads·d]` packed rows,
    /// and so is the result.
    pub fn attention(&self, q: &Tensor, k: &Tensor, v: &Tensor, heads: usize) -> candle_core::Result<Tensor> {
        let ops = self.ops()?;
        let h = q.dim(1)?;
        let d = h / heads;
        let mut parts = Vec::with_capacity(ops.groups.len());
        for g in &ops.groups {
            // [T, h] → the group's padded [n·s, h] → [n, heads, s, d]
            let split = |t: &Tensor| t.index_select(&g.gather, 0)?.reshape((g.n, g.s, heads, d))?.transpose(1, 2)?.contiguous();
            let (q, k, v) = (split(q)?, split(k)?, split(v)?);
            let scores = (q.matmul(&k.transpose(2, 3)?.contiguous()?)? * (1.0 / (d as f64).sqrt()))?.broadcast_add(&g.mask)?;
            let probs = (ops.softmax)(&scores)?;
            parts.push(probs.matmul(&v)?.transpose(1, 2)?.contiguous()?.reshape((g.n * g.s, h))?.index_select(&g.keep, 0)?);
        }
        if parts.len() == 1 { Ok(parts.remove(0)) } else { Tensor::cat(&parts, 0) }
    }

    /// Packed `[T, h]` rows back to the padded `[b, s, h]` layout; padding slots hold row 0 (pooling masks them).
    pub fn unpack(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let ops = self.ops()?;
        let h = x.dim(1)?;
        x.index_select(&ops.slot_row, 0)?.reshape((ops.b, ops.s, h))
    }
}
