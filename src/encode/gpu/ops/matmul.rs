//! `C = A · Bᵀ + bias` (f32): every linear layer of the encoder (weights stored [out, in] as in PyTorch).

use bytemuck::{Pod, Zeroable};

use super::{count, need, need_len, to_u32};
use crate::encode::gpu::pipelines::{Kernel, KernelKey, Pipelines, Spec, storage};
use crate::error::Result;

/// The uniform of matmul.wgsl and of the quantized matmuls (matmul_quant.wgsl).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    m: u32,
    n: u32,
    k: u32,
    has_bias: u32,
}

/// Shape of `C[m, n] = A[m, k] · B[n, k]ᵀ + bias[n]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Matmul {
    pub m: usize,
    pub n: usize,
    pub k: usize,
}

/// Output tile of one workgroup (must match BM/BN in matmul.wgsl and matmul_quant.wgsl).
const TILE: u32 = 64;

impl Matmul {
    /// Whether the vec4 variant applies: every row of A and B starts on a 16-byte boundary.
    pub fn vectorised(&self) -> bool {
        self.k % 4 == 0
    }

    pub fn key(&self) -> KernelKey {
        let (elem, vec) = if self.vectorised() { ("vec4<f32>", 4) } else { ("f32", 1) };
        KernelKey::new(Kernel::Matmul).with(Spec::Alias("Elem", elem)).with(Spec::U32("VEC", vec))
    }

    /// Records `c = a · bᵀ + bias` into `encoder`. `a`, `b`, `bias`, `c` hold m·k, n·k, n, m·n values.
    pub fn record(
        &self,
        p: &Pipelines,
        encoder: &mut wgpu::CommandEncoder,
        a: &wgpu::Buffer,
        b: &wgpu::Buffer,
        bias: Option<&wgpu::Buffer>,
        c: &wgpu::Buffer,
    ) -> Result<()> {
        let b_values = count("matmul B", &[self.n, self.k])?;
        record_tiled(p, encoder, &self.key(), *self, a, &[("matmul B", b, b_values)], bias, c)
    }
}

/// What the f32 and the quantized matmuls share: checks of A, the weight buffers (name, buffer, 32-bit values
/// needed), C and bias, in that order, then one dispatch of `key` over 64×64 tiles of C with bindings
/// `[params, a, weights…, bias, c]`.
#[allow(clippy::too_many_arguments)]
pub(super) fn record_tiled(
    p: &Pipelines,
    encoder: &mut wgpu::CommandEncoder,
    key: &KernelKey,
    shape: Matmul,
    a: &wgpu::Buffer,
    weights: &[(&str, &wgpu::Buffer, u32)],
    bias: Option<&wgpu::Buffer>,
    c: &wgpu::Buffer,
) -> Result<()> {
    let (m, n, k) = (to_u32("matmul m", shape.m)?, to_u32("matmul n", shape.n)?, to_u32("matmul k", shape.k)?);
    need(p, "matmul A", a, count("matmul A", &[shape.m, shape.k])?)?;
    for &(what, buffer, values) in weights {
        need(p, what, buffer, values)?;
    }
    need(p, "matmul C", c, count("matmul C", &[shape.m, shape.n])?)?;
    if let Some(bias) = bias {
        need(p, "matmul bias", bias, n)?;
    }
    if m == 0 || n == 0 {
        return Ok(());
    }
    let groups = (n.div_ceil(TILE), m.div_ceil(TILE), 1);
    if groups.0 > 65_535 || groups.1 > 65_535 {
        return Err(crate::error::Error::input(format!("matmul {m}×{n} needs more than 65535 workgroups per dimension")));
    }
    let pipeline = p.get(key)?;
    let label = key.kernel.name();
    let params = p.uniform(label, &Params { m, n, k, has_bias: bias.is_some() as u32 });
    // WebGPU cannot bind "nothing": without a bias the kernel's flag skips a 4-byte placeholder.
    let placeholder;
    let bias = match bias {
        Some(b) => b,
        None => {
            placeholder = storage::<f32>(&p.ctx, "no bias", &[0.0]);
            &placeholder
        }
    };
    let mut buffers = vec![&params, a];
    buffers.extend(weights.iter().map(|&(_, buffer, _)| buffer));
    buffers.extend([bias, c]);
    let bind = p.bind(&pipeline, label, &buffers);
    p.dispatch(encoder, &pipeline, &bind, groups, label);
    Ok(())
}

/// CPU twin: f64 dot products, rounded once to f32.
pub fn cpu_matmul(a: &[f32], b: &[f32], bias: Option<&[f32]>, shape: Matmul) -> Result<Vec<f32>> {
    let Matmul { m, n, k } = shape;
    need_len("matmul A", a.len(), m * k)?;
    need_len("matmul B", b.len(), n * k)?;
    if let Some(bias) = bias {
        need_len("matmul bias", bias.len(), n)?;
    }
    let mut c = vec![0f32; m * n];
    for i in 0..m {
        let row = &a[i * k..(i + 1) * k];
        for j in 0..n {
            let col = &b[j * k..(j + 1) * k];
            let dot: f64 = row.iter().zip(col).map(|(&x, &y)| x as f64 * y as f64).sum();
            c[i * n + j] = (dot + bias.map_or(0.0, |b| b[j] as f64)) as f32;
        }
    }
    Ok(c)
}
