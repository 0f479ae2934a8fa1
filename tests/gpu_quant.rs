//! The quantized matmul kernels (kernels/matmul_quant.wgsl + matmul_q8_0.wgsl / matmul_q4_0.wgsl) against their CPU
//! twin on every adapter wgpu finds, and the CPU twin against candle (dequantized f32 matmul and candle's own
//! quantized matmul). Sizes are awkward on purpose: m = 1, 7, 65, 130; n not a multiple of the 64-wide tile.
//!
//! No adapter: the tests print why and pass, except under CI=true (lavapipe is installed there).
#![cfg(not(target_arch = "wasm32"))]

use candle_core::quantized::{QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};
use lingbridge::encode::gpu::ops::*;
use lingbridge::encode::gpu::{self, GpuContext, Needs, Pipelines};
use lingbridge::model::{PackedQuant, QuantScheme};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SCHEMES: [QuantScheme; 2] = [QuantScheme::Q8_0, QuantScheme::Q4_0];

/// One device per adapter wgpu enumerates (all backends), each with its own pipeline cache (as tests/gpu_kernels.rs).
fn devices(test: &str) -> Vec<Pipelines> {
    let instance = gpu::device::instance();
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    let mut out = Vec::new();
    for adapter in &adapters {
        match GpuContext::from_adapter_blocking(adapter, Needs::default()) {
            Ok(ctx) => out.push(Pipelines::new(ctx)),
            Err(e) => eprintln!("{test}: skipping adapter: {e}"),
        }
    }
    if out.is_empty() {
        let msg = format!("{test}: no usable GPU adapter ({} enumerated); install mesa-vulkan-drivers for lavapipe", adapters.len());
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg} — CI installs lavapipe, so this is a failure");
        }
        eprintln!("{msg}; skipping");
    }
    out
}

fn uniform(r: &mut ChaCha8Rng, n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n).map(|_| r.random_range(lo..hi)).collect()
}

/// Weights like a trained layer's: mostly small, a few outliers (which set the block scales).
fn weights(r: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    (0..n).map(|i| r.random_range(-0.05f32..0.05) * if i % 61 == 0 { 8.0 } else { 1.0 }).collect()
}

/// Largest |got − want| relative to Σ|aᵢwᵢ| + |bias| of that output (a sum that cancels has no relative accuracy).
fn max_scaled_error(got: &[f32], want: &[f32], a: &[f32], w: &[f32], bias: Option<&[f32]>, n: usize, k: usize) -> (f64, usize) {
    assert_eq!(got.len(), want.len());
    let mut worst = (0.0, 0);
    for i in 0..got.len() {
        assert!(got[i].is_finite(), "element {i} is {}", got[i]);
        let (row, col) = (i / n, i % n);
        let terms: f64 = (0..k).map(|t| (a[row * k + t] * w[col * k + t]).abs() as f64).sum();
        let scale = terms + bias.map_or(0.0, |b| b[col].abs() as f64) + f64::MIN_POSITIVE;
        let e = (got[i] as f64 - want[i] as f64).abs() / scale;
        if e > worst.0 {
            worst = (e, i);
        }
    }
    worst
}

#[test]
fn quant_kernels_compile_without_validation_errors() {
    for p in devices("compile") {
        for scheme in SCHEMES {
            let key = QuantMatmul { m: 1, n: 1, k: 32, scheme }.key().unwrap();
            pollster::block_on(p.compile_checked(&key)).unwrap_or_else(|e| panic!("{}: {e}", p.ctx.adapter));
        }
        assert_eq!(p.cached(), 2);
    }
    assert!(QuantMatmul { m: 1, n: 1, k: 32, scheme: QuantScheme::F16 }.key().is_err());
}

#[test]
fn quant_matmul_matches_cpu_twin() {
    // (m, n, k): a single row, primes, one past a tile, two tiles + 2, k from one block to XLM-R base's hidden size.
    // Bias on every other shape. Kept small: lavapipe (and its GL twin) run about 1 GFLOP/s.
    let shapes = [(1, 1, 32), (1, 67, 768), (7, 33, 64), (65, 130, 96), (130, 67, 32), (3, 200, 256), (65, 64, 256)];
    for p in devices("quant matmul") {
        for scheme in SCHEMES {
            let mut r = ChaCha8Rng::seed_from_u64(11);
            let mut worst = 0f64;
            for (s, &(m, n, k)) in shapes.iter().enumerate() {
                {
                    let with_bias = s % 2 == 0;
                    let shape = QuantMatmul { m, n, k, scheme };
                    let a = uniform(&mut r, m * k, -1.0, 1.0);
                    let w = PackedQuant::quantize(scheme, &weights(&mut r, n * k), n, k).unwrap();
                    let bias = uniform(&mut r, n, -1.0, 1.0);
                    let bias_opt = with_bias.then_some(bias.as_slice());
                    let want = cpu_quant_matmul(&a, &w, bias_opt, shape).unwrap();
                    let qb = QuantBuffers::upload(&p.ctx, &w).unwrap();
                    let (ba, bbias, bc) = (gpu::storage(&p.ctx, "a", &a), gpu::storage(&p.ctx, "bias", &bias), gpu::storage_zeroed(&p.ctx, "c", m * n));
                    let mut encoder = p.ctx.device.create_command_encoder(&Default::default());
                    shape.record(&p, &mut encoder, &ba, &qb, with_bias.then_some(&bbias), &bc).unwrap();
                    p.ctx.queue.submit([encoder.finish()]);
                    let got = gpu::read_f32_blocking(&p.ctx, &bc, m * n).unwrap();
                    // Both sides use the same dequantized weights (scale · q is exact in f32); what differs is f32
                    // accumulation over k ≤ 768 terms: at most ~k·2⁻²⁴ ≈ 4.6e-5 of Σ|aᵢwᵢ|, so 1e-4 bounds it.
                    let (e, i) = max_scaled_error(&got, &want, &a, &w.dequantize(), bias_opt, n, k);
                    assert!(e <= 1e-4, "{}: {scheme} {m}×{n}×{k} bias={with_bias}: element {i} {} vs {} (scaled error {e:e})", p.ctx.adapter, got[i], want[i]);
                    worst = worst.max(e);
                }
            }
            eprintln!("{scheme} matmul on {}: max error {worst:.2e} (relative to Σ|aᵢwᵢ|)", p.ctx.adapter);
        }
        assert_eq!(p.cached(), 2, "one pipeline per scheme, however many shapes ran");
    }
}

#[test]
fn quant_matmul_rejects_mismatched_weights() {
    for p in devices("quant matmul shapes") {
        let w = PackedQuant::quantize(QuantScheme::Q8_0, &vec![0.5; 4 * 64], 4, 64).unwrap();
        let qb = QuantBuffers::upload(&p.ctx, &w).unwrap();
        let buf = gpu::storage_zeroed(&p.ctx, "x", 1024);
        let mut encoder = p.ctx.device.create_command_encoder(&Default::default());
        for (shape, why) in [
            (QuantMatmul { m: 1, n: 4, k: 64, scheme: QuantScheme::Q4_0 }, "q8_0"),
            (QuantMatmul { m: 1, n: 5, k: 64, scheme: QuantScheme::Q8_0 }, "4×64"),
            (QuantMatmul { m: 1, n: 4, k: 48, scheme: QuantScheme::Q8_0 }, "multiple of 32"),
        ] {
            let err = shape.record(&p, &mut encoder, &buf, &qb, None, &buf).unwrap_err().to_string();
            assert!(err.contains(why), "{err}");
        }
    }
}

#[test]
fn cpu_twin_matches_candle() {
    let (m, n, k) = (9, 70, 256);
    let mut r = ChaCha8Rng::seed_from_u64(12);
    let a = uniform(&mut r, m * k, -1.0, 1.0);
    let wf = weights(&mut r, n * k);
    for scheme in SCHEMES {
        let shape = QuantMatmul { m, n, k, scheme };
        let packed = PackedQuant::quantize(scheme, &wf, n, k).unwrap();
        let twin = cpu_quant_matmul(&a, &packed, None, shape).unwrap();
        let qt = QTensor::quantize(&Tensor::from_slice(&wf, (n, k), &Device::Cpu).unwrap(), scheme.ggml()).unwrap();
        let at = Tensor::from_slice(&a, (m, k), &Device::Cpu).unwrap();
        // candle's dequantized weights, f32 matmul: the same function up to f32 accumulation.
        let deq = qt.dequantize(&Device::Cpu).unwrap();
        let f32_mm: Vec<f32> = at.matmul(&deq.t().unwrap()).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        let (e, i) = max_scaled_error(&f32_mm, &twin, &a, &packed.dequantize(), None, n, k);
        assert!(e <= 1e-5, "{scheme}: twin vs candle dequantized matmul: element {i} {} vs {} ({e:e})", twin[i], f32_mm[i]);
        // candle's quantized matmul (ggml's vec_dot) also quantizes the activations to q8_0 blocks, so it differs by
        // that rounding: about 1/254 of each activation block's max, relative to Σ|aᵢwᵢ|.
        let qmm = QMatMul::from_qtensor(qt).unwrap();
        let q_mm: Vec<f32> = qmm.forward(&at).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        let (eq, iq) = max_scaled_error(&q_mm, &twin, &a, &packed.dequantize(), None, n, k);
        assert!(eq <= 2e-2, "{scheme}: twin vs candle quantized matmul: element {iq} {} vs {} ({eq:e})", twin[iq], q_mm[iq]);
        eprintln!("{scheme}: CPU twin vs candle: dequantized f32 matmul {e:.2e}, quantized (q8 activations) matmul {eq:.2e}");
    }
}
