// GELU, erf form as Hugging Face's "gelu": y = x · Φ(x) = 0.5 · x · (1 + erf(x / √2)).
//
// WGSL has no erf. We evaluate Φ through erfc of a non-negative argument, never through 1 + erf: for negative x,
// 1 + erf(x/√2) cancels catastrophically in f32, while Φ(x) = ½·erfc(|x|/√2) keeps full relative precision;
// for positive x, Φ(x) = 1 − ½·erfc(x/√2). erfc(z), z ≥ 0, is the Chebyshev-fitted form t·exp(−z² + P(t)),
// t = 1/(1 + z/2), published in Numerical Recipes (§6.2), whose *relative* error is below 1.2e-7 for every z ≥ 0
// (Abramowitz–Stegun 7.1.26 is 1.5e-7 absolute, which is worse in the negative tail). The test compares against
// an f64 erf and bounds the difference by 1e-6 · max(1, |x|).

struct Params {
    n: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// erfc(z) for z >= 0.
fn erfc_nonneg(z: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
        + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
    return t * exp(-z * z + poly);
}

fn gelu(v: f32) -> f32 {
    let half_erfc = 0.5 * erfc_nonneg(abs(v) * 0.70710678118654752);
    let phi = select(1.0 - half_erfc, half_erfc, v < 0.0);
    return v * phi;
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
    // 2-D grid (see pipelines::grid): a 512×3072 FFN activation has more than 65 535 × 256 elements.
    let i = (wg.y * nwg.x + wg.x) * 256u + li;
    if (i < p.n) {
        y[i] = gelu(x[i]);
    }
}
