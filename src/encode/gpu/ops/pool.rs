//! Mask-aware mean or CLS pooling, then L2 normalisation — on the GPU, so only batch × hidden values come back.

use bytemuck::{Pod, Zeroable};

use super::{count, need, need_len, to_u32};
use crate::encode::gpu::pipelines::{Kernel, KernelKey, Pipelines, grid};
use crate::error::Result;
use crate::model::Pooling;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    batch: u32,
    seq: u32,
    hidden: u32,
    cls: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool {
    pub batch: usize,
    pub seq: usize,
    pub hidden: usize,
    pub pooling: Pooling,
}

impl Pool {
    pub fn key(&self) -> KernelKey {
        KernelKey::new(Kernel::Pool)
    }

    /// `out[b] = normalise(pool(hidden[b], mask[b]))`; `hidden` is batch·seq·hidden, `mask` batch·seq, `out` batch·hidden.
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
            cls: (self.pooling == Pooling::Cls) as u32,
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
    Ok(crate::model::pooling::pool_and_normalize(hidden, mask, shape.batch, shape.seq, shape.hidden, shape.pooling))
}
