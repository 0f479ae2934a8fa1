// Shared by the row-wise kernels (add_layernorm, embeddings, pool, dense): a sum over a 256-thread workgroup as a tree
// reduction in workgroup memory, so rounding error grows with log2(threads) rather than with the row length.
// pipelines.rs puts this file before the kernels that list it in `Kernel::snippets`.

const WG: u32 = 256u;
var<workgroup> red: array<f32, 256>;

fn workgroup_sum(v: f32, tid: u32) -> f32 {
    red[tid] = v;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
        if (tid < s) {
            red[tid] += red[tid + s];
        }
        workgroupBarrier();
    }
    let total = red[0];
    // Nobody may overwrite red[0] (next reduction) before everyone has read it.
    workgroupBarrier();
    return total;
}
