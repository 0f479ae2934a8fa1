// q8_0 weights, after the shared body matmul_quant.wgsl (pipelines.rs puts it before this file): 8 words per
// block of 32, word w = elements 4w..4w+3, one signed byte each (little-endian), value = scale · q
// (src/model/quant.rs). Part p (8 values) is words 2p, 2p+1. WGSL has no byte loads or i8 type: shifting byte i to
// the top and back with an arithmetic (i32) shift sign-extends it. d · q is exact in f32 (an f16 scale times a 7-bit
// integer), so the values equal the CPU twin's.

fn load_w8(row: u32, block: u32, part: u32) -> array<f32, 8> {
    let b = row * (p.k / 32u) + block;
    let d = scales[b];
    var v: array<f32, 8>;
    for (var h = 0u; h < 2u; h++) {
        let w = words[b * 8u + part * 2u + h];
        for (var i = 0u; i < 4u; i++) {
            v[h * 4u + i] = d * f32(bitcast<i32>(w << (24u - 8u * i)) >> 24u);
        }
    }
    return v;
}
