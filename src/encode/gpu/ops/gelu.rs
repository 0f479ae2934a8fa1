//! GELU, erf form (transformers' "gelu"), elementwise.

use bytemuck::{Pod, Zeroable};

use super::{need, to_u32};
use crate::encode::gpu::pipelines::{Kernel, KernelKey, Pipelines, grid};
use crate::error::Result;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    n: u32,
    _pad: [u32; 3],
}

/// `y = gelu(x)` over `n` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gelu {
    pub n: usize,
}

impl Gelu {
    pub fn key(&self) -> KernelKey {
        KernelKey::new(Kernel::Gelu)
    }

    pub fn record(&self, p: &Pipelines, encoder: &mut wgpu::CommandEncoder, x: &wgpu::Buffer, y: &wgpu::Buffer) -> Result<()> {
        let n = to_u32("gelu n", self.n)?;
        need(p, "gelu input", x, n)?;
        need(p, "gelu output", y, n)?;
        if n == 0 {
            return Ok(());
        }
        let pipeline = p.get(&self.key())?;
        let params = p.uniform("gelu params", &Params { n, _pad: [0; 3] });
        let bind = p.bind(&pipeline, "gelu", &[&params, x, y]);
        p.dispatch(encoder, &pipeline, &bind, grid(n.div_ceil(256)), "gelu");
        Ok(())
    }
}

/// CPU twin: 0.5·x·(1 + erf(x/√2)) with an f64 erf (candle's, the one the CPU encoder uses).
pub fn cpu_gelu(x: &[f32]) -> Vec<f32> {
    x.iter()
        .map(|&v| {
            let v = v as f64;
            (0.5 * v * (1.0 + candle_core::cpu::erf::erf_f64(v / std::f64::consts::SQRT_2))) as f32
        })
        .collect()
}
