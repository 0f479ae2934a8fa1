// out = LayerNorm(x + residual) · gamma + beta, per row of `cols` values; one 256-thread workgroup per row.
//
// Two passes over the row (mean, then the mean of squared deviations) rather than E[x²] − E[x]²: the latter
// cancels badly when the mean is large compared with the spread, which residual streams of deep models do have.
// Sums are tree reductions in workgroup memory, so the rounding error grows with log2(cols), not cols.

struct Params {
    rows: u32,
    cols: u32,
    eps: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> residual: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> beta: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

// WG, `red` and workgroup_sum come from workgroup_sum.wgsl, which pipelines.rs puts before this file.

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
    let row = wg.y * nwg.x + wg.x;
    // Uniform per workgroup, so returning here keeps the barriers below in uniform control flow.
    if (row >= p.rows) {
        return;
    }
    let base = row * p.cols;
    var s = 0.0;
    for (var c = tid; c < p.cols; c += WG) {
        s += x[base + c] + residual[base + c];
    }
    let mean = workgroup_sum(s, tid) / f32(p.cols);
    var ss = 0.0;
    for (var c = tid; c < p.cols; c += WG) {
        let d = x[base + c] + residual[base + c] - mean;
        ss += d * d;
    }
    let variance = workgroup_sum(ss, tid) / f32(p.cols);
    let inv = 1.0 / sqrt(variance + p.eps);
    for (var c = tid; c < p.cols; c += WG) {
        let d = x[base + c] + residual[base + c] - mean;
        out[base + c] = d * inv * gamma[c] + beta[c];
    }
}
