//! sentence-transformers' Dense layer on pooled vectors, `act(W·x + b)`, optionally L2-normalising its output
//! (the head's last layer; see kernels/dense.wgsl for why normalisation is folded in here).

use bytemuck::{Pod, Zeroable};

use super::{count, need, need_len, to_u32};
use crate::encode::gpu::pipelines::{Kernel, KernelKey, Pipelines, Spec, grid};
use crate::error::{Error, Result};
use crate::model::DenseActivation;
use crate::model::pooling::normalize_rows;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    batch: u32,
    inp: u32,
    outp: u32,
    _pad: u32,
}

/// `out[b] = [normalise](act(W · x[b] + bias))` for `batch` rows; W is `[out, inp]` row-major.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dense {
    pub batch: usize,
    pub inp: usize,
    pub out: usize,
    pub activation: DenseActivation,
    pub normalize: bool,
}

impl Dense {
    /// One pipeline per (activation, normalise): prelude constants of dense.wgsl.
    pub fn key(&self) -> KernelKey {
        let act = match self.activation {
            DenseActivation::Identity => 0,
            DenseActivation::Tanh => 1,
        };
        KernelKey::new(Kernel::Dense).with(Spec::U32("ACT", act)).with(Spec::U32("NORMALIZE", self.normalize as u32))
    }

    pub fn record(
        &self,
        p: &Pipelines,
        encoder: &mut wgpu::CommandEncoder,
        x: &wgpu::Buffer,
        weight: &wgpu::Buffer,
        bias: &wgpu::Buffer,
        out: &wgpu::Buffer,
    ) -> Result<()> {
        let params = Params {
            batch: to_u32("dense batch", self.batch)?,
            inp: to_u32("dense in_features", self.inp)?,
            outp: to_u32("dense out_features", self.out)?,
            _pad: 0,
        };
        need(p, "dense input", x, count("dense input", &[self.batch, self.inp])?)?;
        need(p, "dense weight", weight, count("dense weight", &[self.out, self.inp])?)?;
        need(p, "dense bias", bias, count("dense bias", &[self.out])?)?;
        need(p, "dense output", out, count("dense output", &[self.batch, self.out])?)?;
        if self.batch == 0 || self.out == 0 {
            return Ok(());
        }
        let pipeline = p.get(&self.key())?;
        let groups = grid(params.batch);
        let params = p.uniform("dense params", &params);
        let bind = p.bind(&pipeline, "dense", &[&params, x, weight, bias, out]);
        p.dispatch(encoder, &pipeline, &bind, groups, "dense");
        Ok(())
    }
}

/// CPU twin: f64 sums, the activation and (if asked) normalisation as src/model/head.rs defines them.
pub fn cpu_dense(x: &[f32], weight: &[f32], bias: &[f32], shape: Dense) -> Result<Vec<f32>> {
    need_len("dense input", x.len(), shape.batch * shape.inp)?;
    need_len("dense weight", weight.len(), shape.out * shape.inp)?;
    need_len("dense bias", bias.len(), shape.out)?;
    if shape.inp == 0 {
        return Err(Error::input("dense in_features must be positive"));
    }
    let mut y = Vec::with_capacity(shape.batch * shape.out);
    for row in x.chunks_exact(shape.inp) {
        for (w, &b) in weight.chunks_exact(shape.inp).zip(bias) {
            let acc: f64 = w.iter().zip(row).map(|(&w, &x)| w as f64 * x as f64).sum();
            y.push(shape.activation.apply(acc + b as f64));
        }
    }
    Ok(if shape.normalize { normalize_rows(&y, shape.out) } else { y.into_iter().map(|v| v as f32).collect() })
}
