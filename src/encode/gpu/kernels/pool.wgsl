// Sentence vectors from [batch, seq, hidden]: mask-aware mean, the first token (CLS) or the element-wise max over
// real tokens, then — when nothing follows on the GPU (no Dense layer) — L2 normalisation by max(‖v‖, 1e-12). The
// definitions are src/model/pooling.rs's: mean divides by max(count, 1e-9), as sentence-transformers; max ignores
// padding and gives 0 for a row without real tokens; the norm floor is torch's F.normalize.
// One 256-thread workgroup per sentence; each thread owns hidden dimensions tid, tid + 256, …, writes its pooled
// values, and only the squared norm is reduced.
//
// Specialised by the prelude (pipelines.rs): MODE (0 mean, 1 CLS, 2 max) and NORMALIZE (0 or 1), constants rather
// than parameters so each pipeline carries only its own branch.

struct Params {
    batch: u32,
    seq: u32,
    hidden: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> hidden: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// WG, `red` and workgroup_sum come from workgroup_sum.wgsl, which pipelines.rs puts before this file.

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
    // Uniform across the workgroup, so returning here cannot split a barrier below.
    let b = wg.y * nwg.x + wg.x;
    if (b >= p.batch) {
        return;
    }
    var count = 0.0;
    for (var t = 0u; t < p.seq; t++) {
        if (mask[b * p.seq + t] != 0u) {
            count += 1.0;
        }
    }
    let denom = max(count, 1e-9);
    var sq = 0.0;
    for (var d = tid; d < p.hidden; d += WG) {
        var v = 0.0;
        if (MODE == 1u) {
            v = hidden[b * p.seq * p.hidden + d];
        } else if (MODE == 2u) {
            // The first real token starts the maximum, so padding (and no -inf literal) is never involved.
            var seen = false;
            for (var t = 0u; t < p.seq; t++) {
                if (mask[b * p.seq + t] != 0u) {
                    let h = hidden[(b * p.seq + t) * p.hidden + d];
                    v = select(h, max(v, h), seen);
                    seen = true;
                }
            }
        } else {
            for (var t = 0u; t < p.seq; t++) {
                if (mask[b * p.seq + t] != 0u) {
                    v += hidden[(b * p.seq + t) * p.hidden + d];
                }
            }
            v = v / denom;
        }
        out[b * p.hidden + d] = v;
        sq = fma(v, v, sq);
    }
    if (NORMALIZE == 0u) {
        return;
    }
    let inv = 1.0 / max(sqrt(workgroup_sum(sq, tid)), 1e-12);
    // Each thread rescales only the values it wrote itself, so no storage barrier is needed.
    for (var d = tid; d < p.hidden; d += WG) {
        out[b * p.hidden + d] = out[b * p.hidden + d] * inv;
    }
}
