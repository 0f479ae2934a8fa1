// Self-attention for one (query token, head, batch) per workgroup:
//   out[b, i, h·d .. h·d+d] = softmax_j(q_i · k_j · scale + mask_j) · v_j
// with q, k and v read from one activation buffer laid out as the CPU model has them, [batch, seq, row_stride],
// where head h of q starts at column q_off + h·head_dim (likewise k_off, v_off). A fused QKV projection
// (row_stride = 3·hidden) and three separate tensors in one buffer are both just offsets.
//
// Masking follows candle / transformers exactly: a padded key gets f32::MIN added to its score. With at least one
// real key its weight underflows to 0; with none (an empty sequence) every key gets the same weight, as on CPU.
// Softmax subtracts the row maximum before exp, so no score overflows.
//
// Specialisation (prelude): MAX_SEQ ≥ seq (scores live in workgroup memory), HEAD_DIM.

struct Params {
    batch: u32,
    seq: u32,
    heads: u32,
    row_stride: u32,
    q_off: u32,
    k_off: u32,
    v_off: u32,
    out_stride: u32,
    scale: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const WG: u32 = 64u;
// The lowest finite f32 (-0x1.fffffep+127), written exactly: the usual decimal -3.40282347e38 lies just beyond
// it, which naga rounds but Chrome's Tint rejects ("cannot be represented as 'f32'").
const F32_MIN: f32 = -0x1.fffffep+127f;

var<workgroup> scores: array<f32, MAX_SEQ>;
var<workgroup> q: array<f32, HEAD_DIM>;
var<workgroup> red: array<f32, 64>;

fn reduce(v: f32, tid: u32, is_max: bool) -> f32 {
    red[tid] = v;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
        if (tid < s) {
            if (is_max) {
                red[tid] = max(red[tid], red[tid + s]);
            } else {
                red[tid] += red[tid + s];
            }
        }
        workgroupBarrier();
    }
    let r = red[0];
    workgroupBarrier();
    return r;
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
    let i = wg.x;
    let h = wg.y;
    let b = wg.z;
    let row_q = (b * p.seq + i) * p.row_stride + p.q_off + h * HEAD_DIM;
    for (var d = tid; d < HEAD_DIM; d += WG) {
        q[d] = qkv[row_q + d];
    }
    workgroupBarrier();

    var local_max = F32_MIN;
    for (var j = tid; j < p.seq; j += WG) {
        let row_k = (b * p.seq + j) * p.row_stride + p.k_off + h * HEAD_DIM;
        var dot = 0.0;
        for (var d = 0u; d < HEAD_DIM; d++) {
            dot = fma(q[d], qkv[row_k + d], dot);
        }
        var s = dot * p.scale;
        if (mask[b * p.seq + j] == 0u) {
            s += F32_MIN;
        }
        scores[j] = s;
        local_max = max(local_max, s);
    }
    let m = reduce(local_max, tid, true);

    var local_sum = 0.0;
    for (var j = tid; j < p.seq; j += WG) {
        let e = exp(scores[j] - m);
        scores[j] = e;
        local_sum += e;
    }
    // reduce() begins and ends with barriers, so every exp above is visible to every thread below.
    let inv = 1.0 / reduce(local_sum, tid, false);

    let row_o = (b * p.seq + i) * p.out_stride + h * HEAD_DIM;
    for (var d = tid; d < HEAD_DIM; d += WG) {
        var acc = 0.0;
        for (var j = 0u; j < p.seq; j++) {
            acc = fma(scores[j], qkv[(b * p.seq + j) * p.row_stride + p.v_off + h * HEAD_DIM + d], acc);
        }
        out[row_o + d] = acc * inv;
    }
}
