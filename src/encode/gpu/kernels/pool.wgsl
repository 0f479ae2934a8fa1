// Sentence vectors: mask-aware mean (or the first token, CLS) over [batch, seq, hidden], then L2 normalisation by
// max(‖v‖, 1e-12) — the definitions of src/model/pooling.rs (mean divides by max(count, 1e-9), as
// sentence-transformers; the norm floor is torch's F.normalize). One 256-thread workgroup per sentence; each thread
// owns hidden dimensions tid, tid + 256, …, writes its pooled values, and only the squared norm is reduced.

struct Params {
    batch: u32,
    seq: u32,
    hidden: u32,
    cls: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> hidden: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const WG: u32 = 256u;
var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
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
        if (p.cls != 0u) {
            v = hidden[b * p.seq * p.hidden + d];
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
    red[tid] = sq;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
        if (tid < s) {
            red[tid] += red[tid + s];
        }
        workgroupBarrier();
    }
    let inv = 1.0 / max(sqrt(red[0]), 1e-12);
    // Each thread rescales only the values it wrote itself, so no storage barrier is needed.
    for (var d = tid; d < p.hidden; d += WG) {
        out[b * p.hidden + d] = out[b * p.hidden + d] * inv;
    }
}
