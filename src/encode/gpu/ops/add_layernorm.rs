//! `LayerNorm(x + residual)`: the residual connection and the normalisation after attention and after the FFN,
//! fused so the sum is never written out.

use bytemuck::{Pod, Zeroable};

use super::{count, need, need_len, to_u32};
use crate::encode::gpu::pipelines::{Kernel, KernelKey, Pipelines, grid};
use crate::error::{Error, Result};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    rows: u32,
    cols: u32,
    eps: f32,
    _pad: u32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AddLayerNorm {
    pub rows: usize,
    pub cols: usize,
    pub eps: f64,
}

impl AddLayerNorm {
    pub fn key(&self) -> KernelKey {
        KernelKey::new(Kernel::AddLayerNorm)
    }

    /// `out = LayerNorm(x + residual) · gamma + beta`; `out` must be a different buffer from the inputs.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        p: &Pipelines,
        encoder: &mut wgpu::CommandEncoder,
        x: &wgpu::Buffer,
        residual: &wgpu::Buffer,
        gamma: &wgpu::Buffer,
        beta: &wgpu::Buffer,
        out: &wgpu::Buffer,
    ) -> Result<()> {
        let (rows, cols) = (to_u32("layernorm rows", self.rows)?, to_u32("layernorm cols", self.cols)?);
        check_eps(self.eps)?;
        let total = count("layernorm input", &[self.rows, self.cols])?;
        need(p, "layernorm input", x, total)?;
        need(p, "layernorm residual", residual, total)?;
        need(p, "layernorm gamma", gamma, cols)?;
        need(p, "layernorm beta", beta, cols)?;
        need(p, "layernorm output", out, total)?;
        if rows == 0 || cols == 0 {
            return Ok(());
        }
        let pipeline = p.get(&self.key())?;
        let params = p.uniform("layernorm params", &Params { rows, cols, eps: self.eps as f32, _pad: 0 });
        let bind = p.bind(&pipeline, "add_layernorm", &[&params, x, residual, gamma, beta, out]);
        p.dispatch(encoder, &pipeline, &bind, grid(rows), "add_layernorm");
        Ok(())
    }
}

pub(crate) fn check_eps(eps: f64) -> Result<()> {
    if !(eps.is_finite() && eps > 0.0) {
        return Err(Error::input(format!("layer norm eps must be a positive number, not {eps}")));
    }
    Ok(())
}

/// LayerNorm of one row in f64 (two-pass), written to `out`.
pub(crate) fn layernorm_row(v: &[f64], gamma: &[f32], beta: &[f32], eps: f64, out: &mut [f32]) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    let inv = 1.0 / (var + eps).sqrt();
    for (c, o) in out.iter_mut().enumerate() {
        *o = ((v[c] - mean) * inv * gamma[c] as f64 + beta[c] as f64) as f32;
    }
}

/// CPU twin, f64 throughout.
pub fn cpu_add_layernorm(x: &[f32], residual: &[f32], gamma: &[f32], beta: &[f32], shape: AddLayerNorm) -> Result<Vec<f32>> {
    let AddLayerNorm { rows, cols, eps } = shape;
    check_eps(eps)?;
    need_len("layernorm input", x.len(), rows * cols)?;
    need_len("layernorm residual", residual.len(), rows * cols)?;
    need_len("layernorm gamma", gamma.len(), cols)?;
    need_len("layernorm beta", beta.len(), cols)?;
    let mut out = vec![0f32; rows * cols];
    let mut v = vec![0f64; cols];
    for r in 0..rows {
        for c in 0..cols {
            v[c] = x[r * cols + c] as f64 + residual[r * cols + c] as f64;
        }
        layernorm_row(&v, gamma, beta, eps, &mut out[r * cols..(r + 1) * cols]);
    }
    Ok(out)
}
