// Shared body of matmul_q8_0.wgsl and matmul_q4_0.wgsl: C = A · dequant(W)ᵀ + bias. A is [m, k] f32, W is [n, k]
// (a linear layer's weight, [out, in]) in blocks of 32 along k, C is [m, n]. The scheme file defines
// `load_w8(row, block, part)`: the 8 dequantized values W[row, 32·block + 8·part ..+8).
//
// Why dequantize here and not in a separate pass: the weights stay 4–8× smaller in GPU memory and in bandwidth, and
// dequantizing into workgroup memory costs one multiply per weight per 64 rows of A.
//
// Tiling as in matmul.wgsl: a 16×16 workgroup computes a 64×64 block of C, each thread 4×4 outputs strided by 16.
// The k step is one quantization block (32): per step each of the 256 threads loads 8 consecutive values of one A
// row (two vec4 loads; k % 32 == 0 makes every row 16-byte aligned) and dequantizes 8 consecutive values of one W
// row (one scale, 1 or 2 words), so a block's scale is read by 4 threads and each word by one. The two 32×64 f32
// tiles are 16 KiB, exactly WebGPU's default maxComputeWorkgroupStorageSize.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> scales: array<f32>;
@group(0) @binding(3) var<storage, read> words: array<u32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> c: array<f32>;

const BK: u32 = 32u;

var<workgroup> ta: array<array<f32, 64>, 32>; // [k][row of A]
var<workgroup> tb: array<array<f32, 64>, 32>; // [k][row of W]

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let tid = lid.y * 16u + lid.x;
    let row0 = wg.y * BM;
    let col0 = wg.x * BN;
    // Loader mapping: thread tid fills row tid / 4 of each tile, k offset (tid % 4) · 8.
    let lr = tid / 4u;
    let part = tid % 4u;

    var acc: array<array<f32, 4>, 4>;
    for (var k0 = 0u; k0 < p.k; k0 += BK) {
        var va: array<f32, 8>;
        let ra = row0 + lr;
        if (ra < p.m) {
            let base = (ra * p.k + k0 + part * 8u) / 4u;
            let lo = a[base];
            let hi = a[base + 1u];
            va = array<f32, 8>(lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w);
        }
        var vw: array<f32, 8>;
        let rw = col0 + lr;
        if (rw < p.n) {
            vw = load_w8(rw, k0 / BK, part);
        }
        for (var j = 0u; j < 8u; j++) {
            ta[part * 8u + j][lr] = va[j];
            tb[part * 8u + j][lr] = vw[j];
        }
        workgroupBarrier();
        accumulate_tile(&acc, lid);
        // The next iteration overwrites the tiles: everyone must be done reading them.
        workgroupBarrier();
    }

    store_tile(acc, row0, col0, lid);
}
