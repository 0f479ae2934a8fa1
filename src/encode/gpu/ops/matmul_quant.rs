//! `C = A · dequant(W)ᵀ + bias` with W in q8_0 or q4_0 blocks ([`PackedQuant`]), dequantized inside the kernel
//! (kernels/matmul_quant.wgsl + matmul_q8_0.wgsl / matmul_q4_0.wgsl): the linear layers of a quantized model.

use super::matmul::record_tiled;
use super::{Matmul, count, cpu_matmul, need_len};
use crate::encode::gpu::device::GpuContext;
use crate::encode::gpu::pipelines::{Kernel, KernelKey, Pipelines, storage};
use crate::error::{Error, Result};
use crate::model::quant::{BLOCK, PackedQuant, QuantScheme};

/// A quantized weight `[rows, cols]` on the device: one f32 scale per block, the packed quants as u32 words.
pub struct QuantBuffers {
    pub scales: wgpu::Buffer,
    pub words: wgpu::Buffer,
    pub scheme: QuantScheme,
    pub rows: usize,
    pub cols: usize,
}

impl QuantBuffers {
    pub fn upload(ctx: &GpuContext, w: &PackedQuant) -> Result<Self> {
        if !w.scheme.is_block() {
            return Err(Error::input(format!("{} weights are not block-quantized", w.scheme)));
        }
        Ok(Self {
            scales: storage(ctx, "quant scales", &w.scales),
            words: storage(ctx, "quant words", &w.words),
            scheme: w.scheme,
            rows: w.rows,
            cols: w.cols,
        })
    }
}

/// Shape of `C[m, n] = A[m, k] · W[n, k]ᵀ + bias[n]`, W in `scheme` (q8_0 or q4_0; k a multiple of 32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantMatmul {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub scheme: QuantScheme,
}

impl QuantMatmul {
    pub fn key(&self) -> Result<KernelKey> {
        match self.scheme {
            QuantScheme::Q8_0 => Ok(KernelKey::new(Kernel::MatmulQ8_0)),
            QuantScheme::Q4_0 => Ok(KernelKey::new(Kernel::MatmulQ4_0)),
            other => Err(Error::input(format!("no quantized matmul kernel for {other} (use Matmul)"))),
        }
    }

    fn check(&self, rows: usize, cols: usize, scheme: QuantScheme) -> Result<()> {
        if self.k % BLOCK != 0 {
            return Err(Error::input(format!("quantized matmul: k = {} is not a multiple of {BLOCK}", self.k)));
        }
        if (scheme, rows, cols) != (self.scheme, self.n, self.k) {
            return Err(Error::input(format!(
                "quantized matmul {}×{}×{} {}: weights are {scheme} {rows}×{cols}",
                self.m, self.n, self.k, self.scheme
            )));
        }
        Ok(())
    }

    /// Records `c = a · dequant(w)ᵀ + bias` into `encoder`. `a`, `bias`, `c` hold m·k, n, m·n values.
    pub fn record(
        &self,
        p: &Pipelines,
        encoder: &mut wgpu::CommandEncoder,
        a: &wgpu::Buffer,
        weights: &QuantBuffers,
        bias: Option<&wgpu::Buffer>,
        c: &wgpu::Buffer,
    ) -> Result<()> {
        let key = self.key()?;
        self.check(weights.rows, weights.cols, weights.scheme)?;
        let blocks = count("quant blocks", &[self.n, self.k / BLOCK])?;
        let words = count("quant words", &[blocks as usize, self.scheme.words_per_block()])?;
        let shape = Matmul { m: self.m, n: self.n, k: self.k };
        let buffers = [("quant scales", &weights.scales, blocks), ("quant words", &weights.words, words)];
        record_tiled(p, encoder, &key, shape, a, &buffers, bias, c)
    }
}

/// CPU twin: the weights dequantized exactly as the kernel does (`scale · q`, exact in f32), then [`cpu_matmul`]'s
/// f64 dot products.
pub fn cpu_quant_matmul(a: &[f32], w: &PackedQuant, bias: Option<&[f32]>, shape: QuantMatmul) -> Result<Vec<f32>> {
    shape.check(w.rows, w.cols, w.scheme)?;
    need_len("quant scales", w.scales.len(), w.rows * w.blocks_per_row())?;
    need_len("quant words", w.words.len(), w.scales.len() * w.scheme.words_per_block())?;
    cpu_matmul(a, &w.dequantize(), bias, Matmul { m: shape.m, n: shape.n, k: shape.k })
}
