// Embeddings of XLM-R and BERT: LayerNorm(word[id] + position[pos] + token_type[0]) · gamma + beta, one workgroup
// per token.
//
// Positions (model::Positions): a real token's position is first_position + (number of non-pad tokens before it);
// a pad token gets pad_position. XLM-R (transformers' create_position_ids_from_input_ids): first = pad_id + 1,
// pad = pad_id; BERT: first = 0 (padding is masked, its row immaterial). The count is a reduction over the row's
// prefix, done here per token so the kernel needs no second pass.
// Token types are always 0 (one segment), so the type row is row 0 of its table.
// Ids outside the vocabulary are rejected on the CPU before upload; the clamps below only keep a bad buffer from
// reading out of bounds.
// GATHERED (prelude): 0 = `word` is the whole vocab × hidden table, indexed by id; 1 = `word` holds one row per
// token, gathered on the CPU (a vocabulary too large for one binding, or a quantized table), indexed by token.

struct Params {
    tokens: u32,
    seq: u32,
    hidden: u32,
    pad_id: u32,
    vocab: u32,
    positions: u32,
    eps: f32,
    first_position: u32,
    pad_position: u32,
    _a0: u32,
    _a1: u32,
    _a2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> word: array<f32>;
@group(0) @binding(3) var<storage, read> position: array<f32>;
@group(0) @binding(4) var<storage, read> token_type: array<f32>;
@group(0) @binding(5) var<storage, read> gamma: array<f32>;
@group(0) @binding(6) var<storage, read> beta: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;

// WG, `red` and workgroup_sum come from workgroup_sum.wgsl, which pipelines.rs puts before this file.

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
    let t = wg.y * nwg.x + wg.x;
    if (t >= p.tokens) {
        return;
    }
    let row_start = (t / p.seq) * p.seq;
    // Counts are small integers, exact in f32 up to 2^24.
    var count = 0.0;
    for (var j = row_start + tid; j <= t; j += WG) {
        if (ids[j] != p.pad_id) {
            count += 1.0;
        }
    }
    let real_before = u32(workgroup_sum(count, tid));
    let id = ids[t];
    // real_before counts this token too when it is real.
    var pos = p.pad_position;
    if (id != p.pad_id) {
        pos = p.first_position + real_before - 1u;
    }
    var w = min(id, p.vocab - 1u) * p.hidden;
    if (GATHERED == 1u) {
        w = t * p.hidden;
    }
    let ps = min(pos, p.positions - 1u) * p.hidden;

    var s = 0.0;
    for (var c = tid; c < p.hidden; c += WG) {
        s += word[w + c] + position[ps + c] + token_type[c];
    }
    let mean = workgroup_sum(s, tid) / f32(p.hidden);
    var ss = 0.0;
    for (var c = tid; c < p.hidden; c += WG) {
        let d = word[w + c] + position[ps + c] + token_type[c] - mean;
        ss += d * d;
    }
    let inv = 1.0 / sqrt(workgroup_sum(ss, tid) / f32(p.hidden) + p.eps);
    let base = t * p.hidden;
    for (var c = tid; c < p.hidden; c += WG) {
        let d = word[w + c] + position[ps + c] + token_type[c] - mean;
        out[base + c] = d * inv * gamma[c] + beta[c];
    }
}
