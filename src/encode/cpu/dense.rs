//! `x · Wᵀ + b` for the page's CPU engine (wasm): the weight packed once, at load, into the layout the kernel
//! reads, and a register-tiled kernel on 128-bit lanes. Natively candle's gemm is used instead (AVX2 / FMA, every
//! core); this kernel exists because in wasm candle's gemm is single-threaded simd128 that multiplies and adds
//! separately and packs the weight again on every call. Built with `+relaxed-simd` (the page's second wasm build,
//! `scripts/build-wasm.sh`), each multiply-add is one `f32x4.relaxed_madd`, which the browser lowers to a fused
//! FMA where the CPU has one: half the arithmetic instructions of the plain simd128 build.
//!
//! Layout: output columns in panels of [`NR`]; a panel stores, for each input index `k`, its `NR` weights
//! contiguously (`panel[k][j] = W[p·NR + j][k]`, zero past the last column), so the kernel loads two vectors per
//! `k` and reuses them for [`MR`] rows. The input dimension is walked in blocks of [`KC`] so a panel's block
//! stays in L1 / L2 while every row tile passes over it.
//!
//! Its CPU twin is candle's matmul: the unit tests here (native, on the portable lanes) and the wasm suites
//! (tests/encoder_parity.rs in Chrome, on the real lanes) compare the two.

/// 4-lane vectors per panel row.
const VN: usize = 4;
/// Output columns per panel.
pub const NR: usize = VN * 4;
/// Rows per register tile. A tile holds `MR × VN` accumulators, `VN` weight vectors and one broadcast: 13
/// vectors. V8 on x86-64 gives a wasm function 15; past that it spills and halves the speed. Measured on one
/// thread of this machine's EPYC (Node 20, `x · Wᵀ` of the encoder's shapes, 256 rows), GFLOP/s relaxed / plain:
/// 2 rows × 16 columns 48–50 / 38–40; 4 × 8: 44–47 / 30–37; 3 × 12: 39–50; 6 × 8: 21; 4 × 12: 23 — candle's
/// gemm 29–30.
pub const MR: usize = 2;
/// Input indices per block (the panel's block is `KC × NR × 4` bytes = 32 KB): the encoder's 384 and 1536 in
/// one or two blocks. 256 measured 34 GFLOP/s against 45 here: each extra block re-reads and re-writes the tile.
pub const KC: usize = 1024;

/// A linear layer's weight in panels, with its bias.
pub struct PackedDense {
    out: usize,
    inp: usize,
    panels: Vec<f32>,
    bias: Vec<f32>,
}

impl PackedDense {
    /// `weight` is `[out][inp]` row-major (PyTorch's layout), `bias` has `out` values.
    pub fn new(weight: &[f32], bias: &[f32], out: usize, inp: usize) -> Self {
        assert_eq!(weight.len(), out * inp, "weight is not {out} × {inp}");
        assert_eq!(bias.len(), out, "bias is not {out} long");
        let n_panels = out.div_ceil(NR);
        let mut panels = vec![0f32; n_panels * inp * NR];
        for (o, row) in weight.chunks_exact(inp.max(1)).enumerate().take(out) {
            let (p, j) = (o / NR, o % NR);
            let panel = &mut panels[p * inp * NR..(p + 1) * inp * NR];
            for (k, &w) in row.iter().enumerate() {
                panel[k * NR + j] = w;
            }
        }
        Self { out, inp, panels, bias: bias.to_vec() }
    }

    pub fn out(&self) -> usize {
        self.out
    }

    pub fn inp(&self) -> usize {
        self.inp
    }

    /// Bytes held (panels padded to whole panels, and the bias).
    pub fn bytes(&self) -> usize {
        (self.panels.len() + self.bias.len()) * 4
    }

    /// `x` is `[rows][inp]` row-major; returns `[rows][out]`.
    pub fn forward(&self, x: &[f32], rows: usize) -> Vec<f32> {
        assert_eq!(x.len(), rows * self.inp, "input is not {rows} × {}", self.inp);
        let mut y = vec![0f32; rows * self.out];
        if rows == 0 || self.out == 0 {
            return y;
        }
        let mut k0 = 0;
        // inp == 0 still needs one pass: the result is the bias.
        while k0 < self.inp || (k0 == 0 && self.inp == 0) {
            let kc = KC.min(self.inp - k0);
            for p in 0..self.out.div_ceil(NR) {
                let panel = &self.panels[(p * self.inp + k0) * NR..(p * self.inp + k0 + kc) * NR];
                let cols = NR.min(self.out - p * NR);
                let mut r0 = 0;
                while r0 < rows {
                    let tile = Tile { x, y: &mut y, inp: self.inp, out: self.out, r0, k0, kc, col0: p * NR, cols };
                    let start = (k0 == 0).then(|| &self.bias[p * NR..p * NR + cols]);
                    if rows - r0 >= MR {
                        tile.run::<MR>(panel, start)
                    } else {
                        tile.run::<1>(panel, start)
                    }
                    r0 += MR.min(rows - r0);
                }
            }
            k0 += kc.max(1);
        }
        y
    }
}

/// One register tile: `M` rows × one panel, over one block of the input dimension.
struct Tile<'a> {
    x: &'a [f32],
    y: &'a mut [f32],
    inp: usize,
    out: usize,
    r0: usize,
    k0: usize,
    kc: usize,
    col0: usize,
    cols: usize,
}

impl Tile<'_> {
    /// Accumulators start from `start` (the bias, first block) or from what earlier blocks left in `y`.
    #[inline(always)]
    fn run<const M: usize>(self, panel: &[f32], start: Option<&[f32]>) {
        let mut acc = [[lanes::zero(); VN]; M];
        for (i, a) in acc.iter_mut().enumerate() {
            let mut init = [0f32; NR];
            match start {
                Some(bias) => init[..self.cols].copy_from_slice(bias),
                None => {
                    let at = (self.r0 + i) * self.out + self.col0;
                    init[..self.cols].copy_from_slice(&self.y[at..at + self.cols]);
                }
            }
            *a = std::array::from_fn(|v| lanes::load(&init[v * 4..]));
        }
        let rows: [&[f32]; M] = std::array::from_fn(|i| {
            let at = (self.r0 + i) * self.inp + self.k0;
            &self.x[at..at + self.kc]
        });
        assert_eq!(panel.len(), self.kc * NR);
        let xs: [*const f32; M] = std::array::from_fn(|i| rows[i].as_ptr());
        let mut w = panel.as_ptr();
        for k in 0..self.kc {
            // SAFETY: k < kc, each row slice holds kc values and the panel kc × NR (asserted above), so every
            // pointer read here is in bounds. Raw reads keep bounds checks out of the innermost loop.
            unsafe {
                let wv: [lanes::V; VN] = std::array::from_fn(|v| lanes::load_at(w.add(v * 4)));
                for i in 0..M {
                    let a = lanes::splat_at(xs[i].add(k));
                    for v in 0..VN {
                        acc[i][v] = lanes::madd(a, wv[v], acc[i][v]);
                    }
                }
                w = w.add(NR);
            }
        }
        for (i, a) in acc.iter().enumerate() {
            let mut done = [0f32; NR];
            for v in 0..VN {
                lanes::store(a[v], &mut done[v * 4..]);
            }
            let at = (self.r0 + i) * self.out + self.col0;
            self.y[at..at + self.cols].copy_from_slice(&done[..self.cols]);
        }
    }
}

/// Four f32 lanes: wasm's v128 where the page runs, plain arrays elsewhere (the unit tests' portable twin).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::*;

    pub type V = v128;

    #[inline(always)]
    pub fn zero() -> V {
        f32x4_splat(0.0)
    }

    /// # Safety
    /// Four f32 from `p` must be readable.
    #[inline(always)]
    pub unsafe fn load_at(p: *const f32) -> V {
        unsafe { v128_load(p.cast()) }
    }

    /// # Safety
    /// `p` must be readable.
    #[inline(always)]
    pub unsafe fn splat_at(p: *const f32) -> V {
        unsafe { v128_load32_splat(p.cast()) }
    }

    #[inline(always)]
    pub fn load(s: &[f32]) -> V {
        assert!(s.len() >= 4);
        // SAFETY: four f32 are in bounds (checked above); v128_load has no alignment requirement.
        unsafe { v128_load(s.as_ptr().cast()) }
    }

    #[inline(always)]
    pub fn store(v: V, s: &mut [f32]) {
        assert!(s.len() >= 4);
        // SAFETY: as for `load`.
        unsafe { v128_store(s.as_mut_ptr().cast(), v) }
    }

    /// `a · b + c`: one fused (or, where the CPU has no FMA, unfused) instruction with relaxed SIMD.
    #[cfg(target_feature = "relaxed-simd")]
    #[inline(always)]
    pub fn madd(a: V, b: V, c: V) -> V {
        f32x4_relaxed_madd(a, b, c)
    }

    #[cfg(not(target_feature = "relaxed-simd"))]
    #[inline(always)]
    pub fn madd(a: V, b: V, c: V) -> V {
        f32x4_add(f32x4_mul(a, b), c)
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    pub type V = [f32; 4];

    #[inline(always)]
    pub fn zero() -> V {
        [0.0; 4]
    }

    /// # Safety
    /// Four f32 from `p` must be readable.
    #[inline(always)]
    pub unsafe fn load_at(p: *const f32) -> V {
        unsafe { [*p, *p.add(1), *p.add(2), *p.add(3)] }
    }

    /// # Safety
    /// `p` must be readable.
    #[inline(always)]
    pub unsafe fn splat_at(p: *const f32) -> V {
        unsafe { [*p; 4] }
    }

    #[inline(always)]
    pub fn load(s: &[f32]) -> V {
        [s[0], s[1], s[2], s[3]]
    }

    #[inline(always)]
    pub fn store(v: V, s: &mut [f32]) {
        s[..4].copy_from_slice(&v);
    }

    #[inline(always)]
    pub fn madd(a: V, b: V, c: V) -> V {
        std::array::from_fn(|i| a[i] * b[i] + c[i])
    }
}

/// Which multiply-add this build's kernel uses, for the page's backend badge.
pub const KERNEL: &str = if cfg!(all(target_arch = "wasm32", target_feature = "relaxed-simd")) {
    "relaxed-simd"
} else if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
    "simd128"
} else {
    "portable"
};

// Native only: the generator (crate::fuzzing) is not in the wasm build.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// Deterministic values in [-1, 1) from the crate's test generator.
    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = crate::fuzzing::Rng::new(seed);
        (0..n).map(|_| (rng.next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0).collect()
    }

    /// candle's matmul, the twin the page's kernel must agree with.
    fn reference(x: &[f32], w: &[f32], b: &[f32], rows: usize, out: usize, inp: usize) -> Vec<f32> {
        use candle_core::{Device, Tensor};
        let d = Device::Cpu;
        let x = Tensor::from_slice(x, (rows, inp), &d).unwrap();
        let w = Tensor::from_slice(w, (out, inp), &d).unwrap();
        let b = Tensor::from_slice(b, out, &d).unwrap();
        x.matmul(&w.t().unwrap()).unwrap().broadcast_add(&b).unwrap().flatten_all().unwrap().to_vec1().unwrap()
    }

    #[test]
    fn agrees_with_candle_on_every_edge_of_the_tiling() {
        // Rows around MR, columns around NR, inputs around KC (several blocks, a partial last one), and empties.
        for &(rows, out, inp) in &[
            (1, 1, 1), (3, 15, 3), (2, 16, 1024), (3, 17, 1025), (5, 33, 2100), (4, 24, 512), (2, 1152, 384),
            (31, 384, 1536), (0, 8, 16), (4, 0, 16), (3, 5, 0),
        ] {
            let (x, w, b) = (values(rows * inp, 1), values(out * inp, 2), values(out, 3));
            let got = PackedDense::new(&w, &b, out, inp).forward(&x, rows);
            let want = reference(&x, &w, &b, rows, out, inp);
            assert_eq!(got.len(), want.len(), "{rows}×{out}×{inp}");
            for (i, (g, r)) in got.iter().zip(&want).enumerate() {
                let tol = 1e-5 * (1.0 + (inp as f32).sqrt());
                assert!((g - r).abs() <= tol, "{rows}×{out}×{inp} [{i}]: {g} against candle's {r}");
            }
        }
    }

    #[test]
    fn holds_the_weight_once_padded_to_whole_panels() {
        let d = PackedDense::new(&values(9 * 4, 1), &values(9, 2), 9, 4);
        assert_eq!(d.bytes(), (NR * 4 + 9) * 4);
        assert_eq!((d.out(), d.inp()), (9, 4));
    }
}
