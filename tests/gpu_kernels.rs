//! Parity of every WebGPU kernel with its CPU twin (src/encode/gpu/ops/*.rs), on seeded random inputs at awkward
//! sizes (1, 7, 33, 64 + 5, …: never only multiples of a tile or a workgroup), on every adapter wgpu finds.
//!
//! No adapter: the tests print why and pass, except under CI=true (tests/common/gpu.rs). Sizes are small: lavapipe
//! runs about 1 GFLOP/s. The whole encoder (all kernels in one pass) is tested natively and in the browser by
//! tests/gpu_backend.rs.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use lingbridge::encode::gpu::ops::*;
use lingbridge::encode::gpu::{self, GpuContext, Needs, Pipelines};
use lingbridge::model::{DenseActivation, Family, PoolingMode};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One device per adapter (tests/common/gpu.rs), each with its own pipeline cache.
fn devices(test: &str) -> Vec<Pipelines> {
    let mut out = Vec::new();
    for adapter in pollster::block_on(common::gpu::adapters(test)) {
        match GpuContext::from_adapter_blocking(&adapter, Needs::default()) {
            Ok(ctx) => out.push(Pipelines::new(ctx)),
            // An adapter too weak for compute (e.g. a GL driver without storage buffers) is reported, not fatal.
            Err(e) => eprintln!("{test}: skipping adapter: {e}"),
        }
    }
    if out.is_empty() && common::gpu::in_ci() {
        panic!("{test}: no adapter can run the kernels — CI provides lavapipe, so this is a failure");
    }
    out
}

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

fn uniform(r: &mut ChaCha8Rng, n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n).map(|_| r.random_range(lo..hi)).collect()
}

/// Records with `record`, submits once, reads `len` values of `out` back.
fn run(
    p: &Pipelines,
    out: &wgpu::Buffer,
    len: usize,
    record: impl FnOnce(&mut wgpu::CommandEncoder) -> lingbridge::error::Result<()>,
) -> Vec<f32> {
    let mut encoder = p.ctx.device.create_command_encoder(&Default::default());
    record(&mut encoder).expect("record");
    p.ctx.queue.submit([encoder.finish()]);
    gpu::read_f32_blocking(&p.ctx, out, len).expect("read back")
}

/// Largest |gpu − cpu| / scale_i, where scale_i is the per-element magnitude the error bound is relative to.
fn max_scaled_error(gpu: &[f32], cpu: &[f32], scale: impl Fn(usize) -> f64) -> (f64, usize) {
    assert_eq!(gpu.len(), cpu.len());
    let mut worst = (0.0, 0);
    for i in 0..gpu.len() {
        assert!(gpu[i].is_finite(), "element {i} is {}", gpu[i]);
        let e = (gpu[i] as f64 - cpu[i] as f64).abs() / scale(i);
        if e > worst.0 {
            worst = (e, i);
        }
    }
    worst
}

#[test]
fn every_kernel_compiles_without_validation_errors() {
    // Compiled inside an error scope, so a WGSL mistake fails here with the compiler's message and source line.
    let keys = [
        Matmul { m: 1, n: 1, k: 4 }.key(),
        Matmul { m: 1, n: 1, k: 3 }.key(),
        Gelu { n: 1 }.key(),
        AddLayerNorm { rows: 1, cols: 1, eps: 1e-5 }.key(),
        Attention::packed(1, 512, 12, 64).key(),
        Attention::packed(1, 3, 2, 5).key(),
        TokenEmbeddings { batch: 1, seq: 1, hidden: 1, vocab: 1, positions: 3, pad_id: 1, numbering: Family::XlmRoberta.positions(1), eps: 1e-5 }.key(),
    ];
    // Every specialisation of pool (mode × normalise) and dense (activation × normalise).
    let modes = [PoolingMode::Mean, PoolingMode::Cls, PoolingMode::Max];
    let keys: Vec<_> = keys
        .into_iter()
        .chain(modes.iter().flat_map(|&pooling| [false, true].map(|normalize| Pool { batch: 1, seq: 1, hidden: 1, pooling, normalize }.key())))
        .chain([DenseActivation::Identity, DenseActivation::Tanh].iter().flat_map(|&activation| {
            [false, true].map(|normalize| Dense { batch: 1, inp: 1, out: 1, activation, normalize }.key())
        }))
        .collect();
    for p in devices("compile") {
        for key in &keys {
            pollster::block_on(p.compile_checked(key)).unwrap_or_else(|e| panic!("{}: {e}", p.ctx.adapter));
        }
        assert_eq!(p.cached(), keys.len());
    }
}

#[test]
fn buffer_pool_reuses_by_size_class() {
    for p in devices("buffer pool") {
        let pool = gpu::BufferPool::new();
        let a = pool.take(&p.ctx, "a", 100);
        assert!(a.size() >= 400);
        let size = a.size();
        pool.give([a]);
        assert_eq!(pool.idle(), 1);
        // 90 values round up to the same power-of-two class as 100: the same buffer comes back.
        let b = pool.take(&p.ctx, "b", 90);
        assert_eq!((b.size(), pool.idle()), (size, 0));
    }
}

#[test]
fn matmul_matches_cpu() {
    // (m, n, k): 1s, primes, one past a tile (64 + 5), k not a multiple of 4 (scalar loads) and a multiple (vec4).
    let shapes = [(1, 1, 1), (1, 1, 4), (7, 33, 5), (33, 7, 64), (69, 67, 33), (65, 130, 68), (3, 5, 131)];
    for p in devices("matmul") {
        let mut r = rng(1);
        let mut worst = 0f64;
        for &(m, n, k) in &shapes {
            for with_bias in [true, false] {
                let shape = Matmul { m, n, k };
                let a = uniform(&mut r, m * k, -1.0, 1.0);
                let b = uniform(&mut r, n * k, -1.0, 1.0);
                let bias = uniform(&mut r, n, -1.0, 1.0);
                let bias_opt = with_bias.then_some(bias.as_slice());
                let want = cpu_matmul(&a, &b, bias_opt, shape).unwrap();
                let (ba, bb, bbias) = (gpu::storage(&p.ctx, "a", &a), gpu::storage(&p.ctx, "b", &b), gpu::storage(&p.ctx, "bias", &bias));
                let bc = gpu::storage_zeroed(&p.ctx, "c", m * n);
                let got = run(&p, &bc, m * n, |e| shape.record(&p, e, &ba, &bb, with_bias.then_some(&bbias), &bc));
                // f32 accumulation of k products: the rounding error is at most ~k·2⁻²⁴ times Σ|aᵢbᵢ| (+|bias|);
                // we allow 1e-5 of that sum (k ≤ 131 here gives a worst case of 7.8e-6), relative to the terms'
                // magnitude rather than the result's, because a sum that cancels to ~0 has no relative accuracy.
                let (e, i) = max_scaled_error(&got, &want, |idx| {
                    let (row, col) = (idx / n, idx % n);
                    let terms: f64 = (0..k).map(|t| (a[row * k + t] * b[col * k + t]).abs() as f64).sum();
                    terms + if with_bias { bias[col].abs() as f64 } else { 0.0 } + f64::MIN_POSITIVE
                });
                assert!(e <= 1e-5, "{}: matmul {m}×{n}×{k} bias={with_bias}: element {i} {} vs {} (scaled error {e:e})", p.ctx.adapter, got[i], want[i]);
                worst = worst.max(e);
            }
        }
        // Two specialisations (vec4 and scalar), however many shapes ran.
        assert_eq!(p.cached(), 2, "pipelines are cached by key");
        eprintln!("matmul on {}: max error {worst:.2e} (relative to Σ|aᵢbᵢ|)", p.ctx.adapter);
    }
}

#[test]
fn gelu_matches_erf_form() {
    for p in devices("gelu") {
        let mut r = rng(2);
        let mut worst = 0f64;
        for n in [1usize, 7, 33, 1000, 4099] {
            let mut x = uniform(&mut r, n, -10.0, 10.0);
            // Edges of the approximation: 0, tiny, the steep region, and the far tails (erfc underflows).
            let edges = [0.0, -0.0, 1e-8, -1e-8, 0.5, -0.5, 3.0, -3.0, 6.0, -6.0, 20.0, -20.0, 100.0, -100.0];
            for (v, e) in x.iter_mut().zip(edges) {
                *v = e;
            }
            let want = cpu_gelu(&x);
            let (bx, by) = (gpu::storage(&p.ctx, "x", &x), gpu::storage_zeroed(&p.ctx, "y", n));
            let got = run(&p, &by, n, |e| Gelu { n }.record(&p, e, &bx, &by));
            // The erfc fit has relative error < 1.2e-7; exp and division on the GPU add a few f32 ulps. 1e-6
            // absolute per unit of |x| (GELU's magnitude) leaves margin and still catches the tanh approximation
            // (which is off by up to 4.7e-4).
            let (e, i) = max_scaled_error(&got, &want, |i| (x[i].abs() as f64).max(1.0));
            assert!(e <= 1e-6, "{}: gelu({}) = {} vs {} (error {e:e})", p.ctx.adapter, x[i], got[i], want[i]);
            worst = worst.max(e);
        }
        eprintln!("gelu on {}: max error {worst:.2e} (absolute, per unit of max(1,|x|))", p.ctx.adapter);
    }
}

#[test]
fn gelu_grid_covers_more_than_65535_workgroups() {
    // 65 535 × 256 + 5 values: the 2-D grid's second row must be computed and the tail skipped.
    let n = 65_535 * 256 + 5;
    for p in devices("gelu grid") {
        let x: Vec<f32> = (0..n).map(|i| ((i % 2001) as f32 - 1000.0) / 100.0).collect();
        let (bx, by) = (gpu::storage(&p.ctx, "x", &x), gpu::storage_zeroed(&p.ctx, "y", n));
        let got = run(&p, &by, n, |e| Gelu { n }.record(&p, e, &bx, &by));
        for i in [0, 1, 65_535 * 256 - 1, 65_535 * 256, n - 1] {
            let want = cpu_gelu(&x[i..i + 1])[0];
            assert!((got[i] - want).abs() <= 1e-6 * x[i].abs().max(1.0), "element {i}: {} vs {want}", got[i]);
        }
    }
}

#[test]
fn add_layernorm_matches_cpu() {
    // cols 1 (zero variance → beta), 7, 33, 257 and 300 (more than one value per thread), 768 (XLM-R base).
    let shapes = [(1, 1), (7, 33), (3, 7), (5, 257), (2, 300), (3, 768)];
    for p in devices("add_layernorm") {
        let mut r = rng(3);
        let mut worst = 0f64;
        for &(rows, cols) in &shapes {
            for eps in [1e-5, 1e-12] {
                let shape = AddLayerNorm { rows, cols, eps };
                // An offset of 8 on x: the two-pass variance must not lose the spread to the mean.
                let x: Vec<f32> = uniform(&mut r, rows * cols, -1.0, 1.0).iter().map(|v| v + 8.0).collect();
                let res = uniform(&mut r, rows * cols, -1.0, 1.0);
                let gamma = uniform(&mut r, cols, 0.5, 1.5);
                let beta = uniform(&mut r, cols, -0.5, 0.5);
                let want = cpu_add_layernorm(&x, &res, &gamma, &beta, shape).unwrap();
                let bufs: Vec<wgpu::Buffer> =
                    [&x, &res, &gamma, &beta].iter().map(|v| gpu::storage(&p.ctx, "ln input", v)).collect();
                let out = gpu::storage_zeroed(&p.ctx, "ln out", rows * cols);
                let got = run(&p, &out, rows * cols, |e| shape.record(&p, e, &bufs[0], &bufs[1], &bufs[2], &bufs[3], &out));
                // Inputs near 8 carry f32 rounding of 8·2⁻²⁴ ≈ 5e-7 before normalisation divides by a spread of
                // ~0.8, and the outputs are O(1·gamma): 1e-5 absolute is ~20× that.
                let (e, i) = max_scaled_error(&got, &want, |_| 1.0);
                assert!(e <= 1e-5, "{}: layernorm {rows}×{cols} eps {eps}: element {i} {} vs {}", p.ctx.adapter, got[i], want[i]);
                worst = worst.max(e);
            }
        }
        eprintln!("add_layernorm on {}: max error {worst:.2e} (absolute; outputs are O(1))", p.ctx.adapter);
    }
}

/// Masks with real tokens first, then padding, `lens[b]` real tokens per row.
fn mask_for(lens: &[usize], seq: usize) -> Vec<u32> {
    lens.iter().flat_map(|&l| (0..seq).map(move |t| (t < l) as u32)).collect()
}

#[test]
fn attention_matches_cpu() {
    // (batch, seq, heads, head_dim, lengths): padding in every batch but the first, a fully padded row (uniform
    // weights, as candle), seq 1, 33, 69 (past the 64-thread workgroup), head_dim 5 and 16.
    let cases: &[(usize, usize, usize, usize, &[usize])] = &[
        (1, 1, 1, 4, &[1]),
        (2, 7, 3, 5, &[7, 3]),
        (3, 33, 2, 8, &[33, 1, 20]),
        (2, 69, 4, 16, &[69, 40]),
        (2, 5, 2, 4, &[5, 0]),
    ];
    for p in devices("attention") {
        let mut r = rng(4);
        let mut worst = 0f64;
        for &(batch, seq, heads, head_dim, lens) in cases {
            let packed = Attention::packed(batch, seq, heads, head_dim);
            // Also a layout with gaps and a different order (v, q, k): only the offsets say where things are.
            let h = heads * head_dim;
            let spread = Attention { row_stride: 3 * h + 3, q_off: h + 1, k_off: 2 * h + 3, v_off: 0, ..packed };
            for shape in [packed, spread] {
                // Scores of magnitude up to ~8 so the softmax is far from uniform.
                let qkv = uniform(&mut r, batch * seq * shape.row_stride, -2.0, 2.0);
                let mask = mask_for(lens, seq);
                let want = cpu_attention(&qkv, &mask, shape).unwrap();
                let (bq, bm) = (gpu::storage(&p.ctx, "qkv", &qkv), gpu::storage(&p.ctx, "mask", &mask));
                let out = gpu::storage_zeroed(&p.ctx, "attention out", batch * seq * h);
                let got = run(&p, &out, batch * seq * h, |e| shape.record(&p, e, &bq, &bm, &out));
                // Outputs are convex combinations of values in [-2, 2]; f32 exp and the sums over ≤ 69 keys give
                // errors of a few 1e-7. 1e-5 absolute (relative to the value range) is the f32 budget.
                let (e, i) = max_scaled_error(&got, &want, |_| 2.0);
                assert!(e <= 1e-5, "{}: attention {shape:?}: element {i} {} vs {}", p.ctx.adapter, got[i], want[i]);
                worst = worst.max(e);
            }
        }
        eprintln!("attention on {}: max error {worst:.2e} (relative to the value range 2)", p.ctx.adapter);
    }
}

#[test]
fn embeddings_match_cpu() {
    let pad = 1u32;
    for p in devices("embeddings") {
        let mut r = rng(5);
        let mut worst = 0f64;
        // hidden 1, 7, 33, 300 (> 256 threads); seq 1, 5, 70 (longer than the workgroup, so the position count
        // spans several strides).
        // Both families' numberings (XLM-R from pad + 1, BERT from 0).
        let cases = [(1usize, 1usize, 1usize, Family::XlmRoberta), (2, 5, 7, Family::Bert), (3, 70, 33, Family::XlmRoberta), (3, 70, 33, Family::Bert), (2, 9, 300, Family::XlmRoberta)];
        for &(batch, seq, hidden, family) in &cases {
            let vocab = 50;
            let numbering = family.positions(pad);
            let shape = TokenEmbeddings { batch, seq, hidden, vocab, positions: seq + pad as usize + 2, pad_id: pad, numbering, eps: 1e-5 };
            // Random ids with pads sprinkled in the middle as well as at the end (positions skip every pad).
            let mut ids: Vec<u32> = (0..batch * seq).map(|_| r.random_range(0..vocab as u32)).collect();
            for (i, id) in ids.iter_mut().enumerate() {
                if i % 4 == 3 || (i % seq) + 2 > seq {
                    *id = pad;
                }
            }
            let word = uniform(&mut r, vocab * hidden, -1.0, 1.0);
            let position = uniform(&mut r, shape.positions * hidden, -1.0, 1.0);
            let types = uniform(&mut r, 2 * hidden, -1.0, 1.0);
            let gamma = uniform(&mut r, hidden, 0.5, 1.5);
            let beta = uniform(&mut r, hidden, -0.5, 0.5);
            let want = cpu_embeddings(&ids, &word, &position, &types, &gamma, &beta, shape).unwrap();
            let bids = gpu::storage(&p.ctx, "ids", &ids);
            let t: Vec<wgpu::Buffer> =
                [&word, &position, &types, &gamma, &beta].iter().map(|v| gpu::storage(&p.ctx, "table", v)).collect();
            let out = gpu::storage_zeroed(&p.ctx, "embeddings out", batch * seq * hidden);
            // The table on the device, and the same rows gathered on the host (the large-vocabulary path).
            let rows = gpu::storage(&p.ctx, "gathered", &gather_rows(&word, hidden, &ids).unwrap());
            for (mode, word_rows) in [("table", WordRows::Table(&t[0])), ("gathered", WordRows::Gathered(&rows))] {
                let got = run(&p, &out, batch * seq * hidden, |e| shape.record(&p, e, &bids, word_rows, &t[1], &t[2], &t[3], &t[4], &out));
                // Sums of three O(1) rows, then a LayerNorm: the same f32 budget as add_layernorm.
                let (e, i) = max_scaled_error(&got, &want, |_| 1.0);
                assert!(e <= 1e-5, "{}: embeddings ({mode}) {batch}×{seq}×{hidden}: element {i} {} vs {}", p.ctx.adapter, got[i], want[i]);
                worst = worst.max(e);
            }
        }
        eprintln!("embeddings on {}: max error {worst:.2e} (absolute)", p.ctx.adapter);
    }
}

#[test]
fn positions_follow_the_family() {
    // XLM-R, transformers: cumsum(ids != pad) * (ids != pad) + pad.
    let xlmr = Family::XlmRoberta.positions(1);
    assert_eq!(xlmr.ids(&[0, 5, 1, 7, 2, 1, 1], 7, 1), vec![2, 3, 1, 4, 5, 1, 1]);
    assert_eq!(xlmr.ids(&[0, 5, 1, 1, 9, 1], 3, 1), vec![2, 3, 1, 1, 2, 1]);
    // BERT, transformers: arange(seq) for real tokens (right padding is masked; we give it row 0).
    let bert = Family::Bert.positions(0);
    assert_eq!(bert.ids(&[101, 7, 102, 0, 101, 102, 0, 0], 4, 0), vec![0, 1, 2, 0, 0, 1, 0, 0]);
    assert_eq!(Family::Bert.positions(1).ids(&[0, 5, 2, 1], 4, 1), vec![0, 1, 2, 0]);
}

#[test]
fn pool_matches_cpu() {
    for p in devices("pool") {
        let mut r = rng(6);
        let mut worst = 0f64;
        for &(batch, seq, hidden, lens) in
            &[(1usize, 1usize, 1usize, &[1usize][..]), (3, 5, 7, &[5, 2, 0]), (2, 33, 300, &[33, 17]), (4, 9, 768, &[1, 9, 4, 8])]
        {
            for (pooling, normalize) in [PoolingMode::Mean, PoolingMode::Cls, PoolingMode::Max].into_iter().flat_map(|m| [(m, true), (m, false)]) {
                let shape = Pool { batch, seq, hidden, pooling, normalize };
                let h = uniform(&mut r, batch * seq * hidden, -3.0, 3.0);
                let mask = mask_for(lens, seq);
                let want = cpu_pool(&h, &mask, shape).unwrap();
                let (bh, bm) = (gpu::storage(&p.ctx, "hidden", &h), gpu::storage(&p.ctx, "mask", &mask));
                let out = gpu::storage_zeroed(&p.ctx, "pooled", batch * hidden);
                let got = run(&p, &out, batch * hidden, |e| shape.record(&p, e, &bh, &bm, &out));
                // Unit vectors; f32 sums over ≤ 33 tokens and ≤ 768 squares: a few ulps of 1 per element. Without
                // normalisation the values are up to 3 (the inputs' range): the same budget relative to that.
                // (Max is exact: no arithmetic before normalisation.)
                let (e, i) = max_scaled_error(&got, &want, |_| if normalize { 1.0 } else { 3.0 });
                assert!(e <= 2e-6, "{}: pool {shape:?}: element {i} {} vs {}", p.ctx.adapter, got[i], want[i]);
                worst = worst.max(e);
            }
        }
        eprintln!("pool on {}: max error {worst:.2e} (absolute, unit vectors)", p.ctx.adapter);
    }
}

#[test]
fn dense_matches_cpu() {
    // (batch, in, out): 1s, primes, out past the 256-thread workgroup (300), LaBSE's 768 → 768, a narrowing layer.
    let shapes = [(1usize, 1usize, 1usize), (3, 7, 5), (2, 33, 300), (4, 768, 768), (5, 300, 33)];
    for p in devices("dense") {
        let mut r = rng(7);
        let mut worst = 0f64;
        for &(batch, inp, out) in &shapes {
            for activation in [DenseActivation::Identity, DenseActivation::Tanh] {
                for normalize in [false, true] {
                    let shape = Dense { batch, inp, out, activation, normalize };
                    // Pre-activations of magnitude ~1–3 for the wide layers, so tanh is exercised off its linear part.
                    let x = uniform(&mut r, batch * inp, -1.0, 1.0);
                    let w = uniform(&mut r, out * inp, -0.2, 0.2);
                    let bias = uniform(&mut r, out, -1.0, 1.0);
                    let want = cpu_dense(&x, &w, &bias, shape).unwrap();
                    let raw = cpu_dense(&x, &w, &bias, Dense { normalize: false, ..shape }).unwrap();
                    let bufs: Vec<wgpu::Buffer> = [&x, &w, &bias].iter().map(|v| gpu::storage(&p.ctx, "dense input", v)).collect();
                    let y = gpu::storage_zeroed(&p.ctx, "dense out", batch * out);
                    let got = run(&p, &y, batch * out, |e| shape.record(&p, e, &bufs[0], &bufs[1], &bufs[2], &y));
                    // As the matmul: f32 sums of `in` products err by ≲ in·2⁻²⁴·Σ|wᵢxᵢ|; we allow 1e-5 of Σ|wᵢxᵢ| + |b|
                    // (+ 0.1, so tanh's few-ulp absolute error near 0 is not judged relative to nothing). tanh has
                    // slope ≤ 1, so the bound carries through; normalised rows divide it by the row's norm.
                    let (e, i) = max_scaled_error(&got, &want, |idx| {
                        let (b, o) = (idx / out, idx % out);
                        let terms: f64 = (0..inp).map(|t| (w[o * inp + t] * x[b * inp + t]).abs() as f64).sum();
                        let norm = if normalize {
                            raw[b * out..(b + 1) * out].iter().map(|v| (*v as f64).powi(2)).sum::<f64>().sqrt().max(1e-12)
                        } else {
                            1.0
                        };
                        (terms + bias[o].abs() as f64 + 0.1) / norm
                    });
                    assert!(e <= 1e-5, "{}: dense {shape:?}: element {i} {} vs {} (scaled error {e:e})", p.ctx.adapter, got[i], want[i]);
                    worst = worst.max(e);
                }
            }
        }
        // Four specialisations however many shapes ran.
        assert_eq!(p.cached(), 4, "pipelines are cached by key");
        eprintln!("dense on {}: max error {worst:.2e} (relative to Σ|wᵢxᵢ| + |b| + 0.1)", p.ctx.adapter);
    }
}

#[test]
fn bad_shapes_are_errors_not_panics() {
    // CPU twins check lengths.
    assert!(cpu_matmul(&[1.0; 3], &[1.0; 4], None, Matmul { m: 2, n: 2, k: 2 }).is_err());
    let ln = AddLayerNorm { rows: 1, cols: 2, eps: 0.0 };
    assert!(cpu_add_layernorm(&[0.0; 2], &[0.0; 2], &[1.0; 2], &[0.0; 2], ln).unwrap_err().to_string().contains("eps"));
    let err = check_ids(&[0, 3, 99], 50).unwrap_err().to_string();
    assert!(err.contains("99") && err.contains("position 2"), "{err}");
    let short = TokenEmbeddings { batch: 1, seq: 10, hidden: 2, vocab: 4, positions: 5, pad_id: 1, numbering: Family::XlmRoberta.positions(1), eps: 1e-5 };
    let err = cpu_embeddings(&[0; 10], &[0.0; 8], &[0.0; 10], &[0.0; 2], &[1.0; 2], &[0.0; 2], short).unwrap_err().to_string();
    assert!(err.contains("position rows"), "{err}");
    let dense = Dense { batch: 2, inp: 3, out: 2, activation: DenseActivation::Tanh, normalize: true };
    assert!(cpu_dense(&[0.0; 5], &[0.0; 6], &[0.0; 2], dense).unwrap_err().to_string().contains("dense input"));
    assert!(cpu_dense(&[0.0; 6], &[0.0; 6], &[0.0; 3], dense).unwrap_err().to_string().contains("dense bias"));
    let bad = Attention { q_off: 5, ..Attention::packed(1, 2, 1, 4) };
    assert!(cpu_attention(&[0.0; 24], &[1, 1], Attention { row_stride: 8, ..bad }).is_err());

    // GPU ops check buffer sizes before recording anything.
    for p in devices("bad shapes") {
        let small = gpu::storage_zeroed(&p.ctx, "small", 3);
        let mut encoder = p.ctx.device.create_command_encoder(&Default::default());
        let err = Matmul { m: 2, n: 2, k: 2 }.record(&p, &mut encoder, &small, &small, None, &small).unwrap_err();
        assert!(err.to_string().contains("matmul A"), "{err}");
        let err = Gelu { n: 4 }.record(&p, &mut encoder, &small, &small).unwrap_err();
        assert!(err.to_string().contains("gelu input"), "{err}");
        let err = dense.record(&p, &mut encoder, &small, &small, &small, &small).unwrap_err();
        assert!(err.to_string().contains("dense input"), "{err}");
        // Nothing invalid reached the device.
        p.ctx.queue.submit([encoder.finish()]);
        p.ctx.check().unwrap();
    }
}
