// C = A · Bᵀ + bias, f32. A is [m, k], B is [n, k] (a linear layer's weight as stored: [out, in]), C is [m, n].
//
// Specialisation (prelude): `Elem` is vec4<f32> when k % 4 == 0 (one 16-byte load per thread per tile) and f32
// otherwise (four scalar loads); `VEC` is 4 or 1 to match. `vec4<f32>(x)` is the identity on a vec4 and a splat on
// a scalar, so both branches below type-check for either `Elem`, and the constant `VEC` removes the dead one.
//
// Tiling: a 16×16 workgroup computes a 64×64 block of C; each thread owns 4×4 outputs (matmul_tile.wgsl, shared with
// the quantized matmul). Per step of 16 along k, each of the 256 threads loads 4 consecutive values of one A row and one B row
// into shared memory (stored k-major), so the inner loop reads both tiles contiguously.

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<Elem>;
@group(0) @binding(2) var<storage, read> b: array<Elem>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

const BK: u32 = 16u;

var<workgroup> ta: array<array<f32, 64>, 16>; // [k][row of A]
var<workgroup> tb: array<array<f32, 64>, 16>; // [k][row of B]

// Four consecutive values A[row, k .. k+4), zero outside the matrix (the ragged edge of the last tile).
fn load_a(row: u32, k: u32) -> vec4<f32> {
    var v = vec4<f32>(0.0);
    if (row >= p.m) {
        return v;
    }
    if (VEC == 4u) {
        // k is a multiple of 4 and so is p.k, so k < p.k means the whole vec4 is inside the row.
        if (k < p.k) {
            v = vec4<f32>(a[(row * p.k + k) / 4u]);
        }
    } else {
        for (var j = 0u; j < 4u; j++) {
            if (k + j < p.k) {
                v[j] = vec4<f32>(a[row * p.k + k + j]).x;
            }
        }
    }
    return v;
}

fn load_b(row: u32, k: u32) -> vec4<f32> {
    var v = vec4<f32>(0.0);
    if (row >= p.n) {
        return v;
    }
    if (VEC == 4u) {
        if (k < p.k) {
            v = vec4<f32>(b[(row * p.k + k) / 4u]);
        }
    } else {
        for (var j = 0u; j < 4u; j++) {
            if (k + j < p.k) {
                v[j] = vec4<f32>(b[row * p.k + k + j]).x;
            }
        }
    }
    return v;
}

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let tid = lid.y * 16u + lid.x;
    let row0 = wg.y * BM;
    let col0 = wg.x * BN;
    // Loader mapping: thread tid loads row tid / 4 of each tile, k offset (tid % 4) * 4.
    let lr = tid / 4u;
    let lk = (tid % 4u) * 4u;

    var acc: array<array<f32, 4>, 4>;
    for (var k0 = 0u; k0 < p.k; k0 += BK) {
        let va = load_a(row0 + lr, k0 + lk);
        let vb = load_b(col0 + lr, k0 + lk);
        for (var j = 0u; j < 4u; j++) {
            ta[lk + j][lr] = va[j];
            tb[lk + j][lr] = vb[j];
        }
        workgroupBarrier();
        accumulate_tile(&acc, lid);
        // The next iteration overwrites the tiles: everyone must be done reading them.
        workgroupBarrier();
    }

    store_tile(acc, row0, col0, lid);
}
