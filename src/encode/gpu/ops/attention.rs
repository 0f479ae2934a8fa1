//! Multi-head self-attention core: `softmax(Q·Kᵀ·scale + mask)·V` per batch and head, reading Q, K, V where the
//! projections left them ([batch, seq, row_stride] with per-tensor column offsets) and writing
//! [batch, seq, heads·head_dim] — the layout the output projection consumes, so no transposes are needed.

use bytemuck::{Pod, Zeroable};

use super::{count, need, need_len, to_u32};
use crate::encode::gpu::pipelines::{Kernel, KernelKey, Pipelines, Spec};
use crate::error::{Error, Result};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    batch: u32,
    seq: u32,
    heads: u32,
    row_stride: u32,
    q_off: u32,
    k_off: u32,
    v_off: u32,
    out_stride: u32,
    scale: f32,
    _pad: [u32; 3],
}

/// Shapes and where Q, K and V sit in the input rows. `Attention::packed` is the fused-QKV layout
/// (row = [q | k | v]); tests also use separate layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attention {
    pub batch: usize,
    pub seq: usize,
    pub heads: usize,
    pub head_dim: usize,
    /// Values per token row of the input buffer.
    pub row_stride: usize,
    pub q_off: usize,
    pub k_off: usize,
    pub v_off: usize,
}

impl Attention {
    /// Input rows are `[q | k | v]`, each heads·head_dim wide (one fused projection).
    pub fn packed(batch: usize, seq: usize, heads: usize, head_dim: usize) -> Self {
        let h = heads * head_dim;
        Self { batch, seq, heads, head_dim, row_stride: 3 * h, q_off: 0, k_off: h, v_off: 2 * h }
    }

    fn hidden(&self) -> usize {
        self.heads * self.head_dim
    }

    /// Workgroup memory is sized by MAX_SEQ, rounded up to a power of two so that a handful of pipelines serve
    /// every sequence length.
    fn max_seq(&self) -> usize {
        self.seq.next_power_of_two().max(64)
    }

    pub fn key(&self) -> KernelKey {
        KernelKey::new(Kernel::Attention)
            .with(Spec::U32("MAX_SEQ", self.max_seq() as u32))
            .with(Spec::U32("HEAD_DIM", self.head_dim as u32))
    }

    fn check(&self) -> Result<()> {
        let h = self.hidden();
        for (name, off) in [("q", self.q_off), ("k", self.k_off), ("v", self.v_off)] {
            if off.checked_add(h).is_none_or(|end| end > self.row_stride) {
                return Err(Error::input(format!(
                    "attention: {name} columns {off}..{} do not fit rows of {}",
                    off.saturating_add(h),
                    self.row_stride
                )));
            }
        }
        if self.head_dim == 0 {
            return Err(Error::input("attention: head_dim must be positive"));
        }
        Ok(())
    }

    /// Records the attention of every (token, head, sentence) into `encoder`. `qkv` holds batch·seq·row_stride
    /// values, `mask` batch·seq (1 = real token), `out` batch·seq·heads·head_dim.
    pub fn record(
        &self,
        p: &Pipelines,
        encoder: &mut wgpu::CommandEncoder,
        qkv: &wgpu::Buffer,
        mask: &wgpu::Buffer,
        out: &wgpu::Buffer,
    ) -> Result<()> {
        self.check()?;
        let params = Params {
            batch: to_u32("attention batch", self.batch)?,
            seq: to_u32("attention seq", self.seq)?,
            heads: to_u32("attention heads", self.heads)?,
            row_stride: to_u32("attention row stride", self.row_stride)?,
            q_off: to_u32("attention q offset", self.q_off)?,
            k_off: to_u32("attention k offset", self.k_off)?,
            v_off: to_u32("attention v offset", self.v_off)?,
            out_stride: to_u32("attention hidden", self.hidden())?,
            scale: (1.0 / (self.head_dim as f64).sqrt()) as f32,
            _pad: [0; 3],
        };
        need(p, "attention input", qkv, count("attention input", &[self.batch, self.seq, self.row_stride])?)?;
        need(p, "attention mask", mask, count("attention mask", &[self.batch, self.seq])?)?;
        need(p, "attention output", out, count("attention output", &[self.batch, self.seq, self.hidden()])?)?;
        if self.batch == 0 || self.seq == 0 || self.heads == 0 {
            return Ok(());
        }
        let limits = p.ctx.limits();
        // scores + one query row + the 64-float reduction buffer.
        let shared = (self.max_seq() + self.head_dim + 64) * 4;
        if shared as u64 > limits.max_compute_workgroup_storage_size as u64 {
            return Err(Error::input(format!(
                "attention over {} tokens with head_dim {} needs {shared} bytes of workgroup memory; {} allows {}",
                self.seq, self.head_dim, p.ctx.adapter, limits.max_compute_workgroup_storage_size
            )));
        }
        let groups = (params.seq, params.heads, params.batch);
        if groups.0 > 65_535 || groups.1 > 65_535 || groups.2 > 65_535 {
            return Err(Error::input("attention: seq, heads and batch must each be at most 65535"));
        }
        let pipeline = p.get(&self.key())?;
        let params = p.uniform("attention params", &params);
        let bind = p.bind(&pipeline, "attention", &[&params, qkv, mask, out]);
        p.dispatch(encoder, &pipeline, &bind, groups, "attention");
        Ok(())
    }
}

/// CPU twin in f64. Masked keys get f32::MIN added to their score, exactly as candle/transformers do.
pub fn cpu_attention(qkv: &[f32], mask: &[u32], shape: Attention) -> Result<Vec<f32>> {
    shape.check()?;
    let Attention { batch, seq, heads, head_dim, row_stride, q_off, k_off, v_off } = shape;
    need_len("attention input", qkv.len(), batch * seq * row_stride)?;
    need_len("attention mask", mask.len(), batch * seq)?;
    let hidden = heads * head_dim;
    let scale = 1.0 / (head_dim as f64).sqrt();
    let mut out = vec![0f32; batch * seq * hidden];
    let mut scores = vec![0f64; seq];
    let at = |b: usize, t: usize, off: usize, h: usize, d: usize| qkv[(b * seq + t) * row_stride + off + h * head_dim + d] as f64;
    for b in 0..batch {
        for h in 0..heads {
            for i in 0..seq {
                for (j, s) in scores.iter_mut().enumerate() {
                    let dot: f64 = (0..head_dim).map(|d| at(b, i, q_off, h, d) * at(b, j, k_off, h, d)).sum();
                    *s = dot * scale + if mask[b * seq + j] == 0 { f32::MIN as f64 } else { 0.0 };
                }
                let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                scores.iter_mut().for_each(|s| *s = (*s - max).exp());
                let sum: f64 = scores.iter().sum();
                for d in 0..head_dim {
                    let v: f64 = scores.iter().enumerate().map(|(j, &w)| w * at(b, j, v_off, h, d)).sum();
                    out[(b * seq + i) * hidden + h * head_dim + d] = (v / sum) as f32;
                }
            }
        }
    }
    Ok(out)
}
