// Shared by matmul.wgsl and matmul_quant.wgsl: the register tile of a 16×16 workgroup computing a 64×64 block of C.
// Each thread owns 4×4 outputs strided by 16 in both directions, so neighbouring threads write neighbouring columns
// (coalesced) and read workgroup memory without bank conflicts. The including kernel declares `BK` (the k step),
// the k-major tiles `ta` / `tb` ([BK][64] of A rows and weight rows), and the bindings `p`, `bias`, `c`
// (WGSL module-scope declarations may come in any order).

// The uniform of both matmuls (ops/matmul.rs `Params`).
struct Params {
    m: u32,
    n: u32,
    k: u32,
    has_bias: u32,
}

// The 64×64 block of C one workgroup computes.
const BM: u32 = 64u;
const BN: u32 = 64u;

// acc += ta[.., my rows]ᵀ · tb[.., my cols] over one k step.
fn accumulate_tile(acc: ptr<function, array<array<f32, 4>, 4>>, lid: vec3<u32>) {
    for (var kk = 0u; kk < BK; kk++) {
        var xa: array<f32, 4>;
        var xb: array<f32, 4>;
        for (var i = 0u; i < 4u; i++) {
            xa[i] = ta[kk][lid.y + 16u * i];
            xb[i] = tb[kk][lid.x + 16u * i];
        }
        for (var i = 0u; i < 4u; i++) {
            for (var j = 0u; j < 4u; j++) {
                (*acc)[i][j] = fma(xa[i], xb[j], (*acc)[i][j]);
            }
        }
    }
}

// C[row, col] = acc + bias[col] for this thread's outputs inside the matrix (the ragged edge is skipped).
fn store_tile(acc: array<array<f32, 4>, 4>, row0: u32, col0: u32, lid: vec3<u32>) {
    for (var i = 0u; i < 4u; i++) {
        let row = row0 + lid.y + 16u * i;
        if (row >= p.m) {
            continue;
        }
        for (var j = 0u; j < 4u; j++) {
            let col = col0 + lid.x + 16u * j;
            if (col < p.n) {
                var v = acc[i][j];
                if (p.has_bias != 0u) {
                    v += bias[col];
                }
                c[row * p.n + col] = v;
            }
        }
    }
}
