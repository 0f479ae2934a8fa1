// q4_0 weights, after the shared body matmul_quant.wgsl (pipelines.rs puts it before this file): 4 words per
// block of 32, word w = elements 8w..8w+7, element 8w+i in bits 4i..4i+3 as an unsigned nibble q, value =
// scale · (q − 8) (src/model/quant.rs repacks GGML's j / j+16 nibble pairs into this sequential order). Part p
// (8 values) is exactly word p: one load, eight shifts. d · (q − 8) is exact in f32, so the values equal the CPU
// twin's.

fn load_w8(row: u32, block: u32, part: u32) -> array<f32, 8> {
    let b = row * (p.k / 32u) + block;
    let d = scales[b];
    let w = words[b * 4u + part];
    var v: array<f32, 8>;
    for (var i = 0u; i < 8u; i++) {
        v[i] = d * (f32((w >> (4u * i)) & 15u) - 8.0);
    }
    return v;
}
