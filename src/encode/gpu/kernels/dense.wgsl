// sentence-transformers' Dense layer on pooled sentence vectors: out[b][o] = act(Σ_i W[o][i]·x[b][i] + bias[o]),
// W row-major [out, in] as nn.Linear stores it; then, for the head's last layer, L2 normalisation by
// max(‖v‖, 1e-12) (src/model/head.rs's definition, torch's F.normalize floor).
//
// One 256-thread workgroup per sentence, each thread owning outputs o = tid, tid + 256, …: the same shape as
// pool.wgsl, which is what lets the last layer normalise its own output in place (a workgroup sees the whole row)
// instead of a separate normalise kernel and another pass over memory. The work is tiny next to the encoder
// (LaBSE: batch × 768 × 768 multiply-adds once per batch, vs 12 layers of that per token), so a plain loop over
// `in` with fma is enough; a tiled matmul would only pay off for batch sizes we never run.
//
// Specialised by the prelude (pipelines.rs): ACT (0 identity, 1 tanh) and NORMALIZE (0 or 1).

struct Params {
    batch: u32,
    inp: u32,
    outp: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

// WG, `red` and workgroup_sum come from workgroup_sum.wgsl, which pipelines.rs puts before this file.

fn activation(v: f32) -> f32 {
    if (ACT == 1u) {
        // tanh(±15) is ±1 in f32; clamping keeps implementations that compute tanh through exp(2x) from
        // overflowing to inf/inf = NaN for large |x|.
        return tanh(clamp(v, -15.0, 15.0));
    }
    return v;
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
    // Uniform across the workgroup, so returning here cannot split a barrier below.
    let b = wg.y * nwg.x + wg.x;
    if (b >= p.batch) {
        return;
    }
    var sq = 0.0;
    for (var o = tid; o < p.outp; o += WG) {
        var acc = 0.0;
        for (var i = 0u; i < p.inp; i++) {
            acc = fma(w[o * p.inp + i], x[b * p.inp + i], acc);
        }
        let v = activation(acc + bias[o]);
        out[b * p.outp + o] = v;
        sq = fma(v, v, sq);
    }
    if (NORMALIZE == 0u) {
        return;
    }
    let inv = 1.0 / max(sqrt(workgroup_sum(sq, tid)), 1e-12);
    // Each thread rescales only the values it wrote itself, so no storage barrier is needed.
    for (var o = tid; o < p.outp; o += WG) {
        out[b * p.outp + o] = out[b * p.outp + o] * inv;
    }
}
