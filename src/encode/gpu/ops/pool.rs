//! Mask-aware mean, CLS or max pooling, then (unless Dense layers follow) L2 normalisation — on the GPU, so only
//! batch × hidden values come back.

use bytemuck::{Pod, Zeroable};

use super::{count, need, need_len, to_u32};
use crate::encode::gpu::pipelines::{Kernel, KernelKey, Pipelines, Spec, grid};
use crate::error::Result;
use crate::model::PoolingMode;
use crate::model::pooling::{normalize_rows, pool};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    batch: u32,
    seq: u32,
    hidden: u32,
    _pad: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool {
    pub batch: usize,
    pub seq: usize,
    pub hidden: usize,
    pub pooling: PoolingMode,
    /// L2-normalise the pooled rows (false when Dense layers follow: the last of them normalises).
    pub normalize: bool,
}

impl Pool {
    /// One pipeline per (mode, normalise): both are prelude constants of pool.wgsl.
    pub fn key(&self) -> KernelKey {
        let mode = match self.pooling {
            PoolingMode::Mean => 0,
            PoolingMode::Cls => 1,
            PoolingMode::Max => 2,
        };
        KernelKey::new(Kernel::Pool).with(Spec::U32("MODE", mode)).with(Spec::U32("NORMALIZE", self.normalize as u32))
    }

    /// `out[b] = [normalise](pool(hidden[b], mask[b]))`; `hidden` is batch·seq·hidden, `mask` batch·seq, `out`
    /// batch·hidden.
    pub fn record(
        &self,
        p: &Pipelines,
        encoder: &mut wgpu::CommandEncoder,
        hidden: &wgpu::Buffer,
        mask: &wgpu::Buffer,
        out: &wgpu::Buffer,
    ) -> Result<()> {
        let params = Params {
            batch: to_u32("pool batch", self.batch)?,
            seq: to_u32("pool seq", self.seq)?,
            hidden: to_u32("pool hidden", self.hidden)?,
            _pad: 0,
        };
        need(p, "pool input", hidden, count("pool input", &[self.batch, self.seq, self.hidden])?)?;
        need(p, "pool mask", mask, count("pool mask", &[self.batch, self.seq])?)?;
        need(p, "pool output", out, count("pool output", &[self.batch, self.hidden])?)?;
        if self.batch == 0 || self.seq == 0 || self.hidden == 0 {
            return Ok(());
        }
        let pipeline = p.get(&self.key())?;
        let groups = grid(params.batch);
        let params = p.uniform("pool params", &params);
        let bind = p.bind(&pipeline, "pool", &[&params, hidden, mask, out]);
        p.dispatch(encoder, &pipeline, &bind, groups, "pool");
        Ok(())
    }
}

/// CPU twin: the crate's one definition of pooling (src/model/pooling.rs), after checking the shapes.
pub fn cpu_pool(hidden: &[f32], mask: &[u32], shape: Pool) -> Result<Vec<f32>> {
    need_len("pool input", hidden.len(), shape.batch * shape.seq * shape.hidden)?;
    need_len("pool mask", mask.len(), shape.batch * shape.seq)?;
    let pooled = pool(hidden, mask, shape.batch, shape.seq, shape.hidden, shape.pooling);
    Ok(if shape.normalize { normalize_rows(&pooled, shape.hidden) } else { pooled.into_iter().map(|v| v as f32).collect() })
}
