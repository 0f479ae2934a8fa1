//! One file per op. Each op is a small struct holding its shape; `record` checks the buffers against the shape,
//! fetches the cached pipeline and records one dispatch into a caller's `CommandEncoder` (so a whole forward pass
//! is one submission), and `cpu_<op>` is the same computation in plain Rust loops with f64 accumulation — the
//! reference the parity tests (tests/gpu_kernels.rs) compare the kernel against.

pub mod add_layernorm;
pub mod attention;
pub mod dense;
pub mod embeddings;
pub mod gelu;
pub mod matmul;
pub mod matmul_quant;
pub mod pool;

pub use add_layernorm::{AddLayerNorm, cpu_add_layernorm};
pub use attention::{Attention, cpu_attention};
pub use dense::{Dense, cpu_dense};
pub use embeddings::{TokenEmbeddings, WordRows, check_ids, cpu_embeddings, gather_rows};
pub use gelu::{Gelu, cpu_gelu};
pub use matmul::{Matmul, cpu_matmul};
pub use matmul_quant::{QuantBuffers, QuantMatmul, cpu_quant_matmul};
pub use pool::{Pool, cpu_pool};

use crate::error::{Error, Result};

/// `v` as a u32 kernel parameter, or an error naming it (shapes beyond 2³² values cannot be indexed in WGSL).
pub(crate) fn to_u32(what: &str, v: usize) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::input(format!("{what} = {v} is too large for a GPU kernel (limit {})", u32::MAX)))
}

/// `a · b` as a u32, or an error: every flat index a kernel computes must fit in u32.
pub(crate) fn count(what: &str, dims: &[usize]) -> Result<u32> {
    let total = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    match total {
        Some(t) => to_u32(what, t),
        None => Err(Error::input(format!("{what}: {dims:?} overflows"))),
    }
}

/// Errors unless `buffer` holds at least `values` 32-bit values and fits one binding on this device.
pub(crate) fn need(p: &super::Pipelines, what: &str, buffer: &wgpu::Buffer, values: u32) -> Result<()> {
    let bytes = values as u64 * 4;
    if buffer.size() < bytes {
        return Err(Error::input(format!("{what}: buffer of {} bytes is smaller than the {bytes} the shape needs", buffer.size())));
    }
    p.check_binding(what, buffer.size())
}

/// Errors unless a CPU slice has exactly the length the shape says.
pub(crate) fn need_len(what: &str, len: usize, want: usize) -> Result<()> {
    if len != want {
        return Err(Error::input(format!("{what}: {len} values, but the shape needs {want}")));
    }
    Ok(())
}
