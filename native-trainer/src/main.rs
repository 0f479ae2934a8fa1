//! `lingbridge`: the native command line over the shared core in `src/` (it never copies that code).
//! Subcommands arrive with their issues: embed, serve and bench now; eval, train, quantize, export next.

mod bench;
mod data;
mod data_cli;
mod embed;
mod eval;
mod sampler;
mod serve;
mod trec_eval;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "lingbridge",
    version,
    about = "Cross-lingual search tools: embed text with a multilingual encoder, serve the page, benchmark",
    long_about = "LingBridge's native command line. It uses the same core as the page (src/), so embeddings and \
                  scores here equal those in the browser.\n\nA model is a Hugging Face directory: config.json, \
                  model.safetensors, tokenizer.json, and optionally sentence-transformers' modules.json, \
                  1_Pooling/config.json and config_sentence_transformers.json (query/passage prompts)."
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
    /// Model directory in Hugging Face layout.
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
}

impl ModelArgs {
    pub fn load(&self) -> anyhow::Result<lingbridge::Encoder> {
        let files = lingbridge::ModelFiles::from_dir(&self.model)?;
        let mut options = lingbridge::EncoderOptions { batch_size: self.batch_size, ..Default::default() };
        options.pooling = self.pooling.as_deref().map(str::parse).transpose()?;
        if self.query_prefix.is_some() || self.passage_prefix.is_some() {
            let model = lingbridge::Prefixes::from_files(&files)?;
            options.prefixes = Some(lingbridge::Prefixes {
                query: self.query_prefix.clone().unwrap_or(model.query),
                passage: self.passage_prefix.clone().unwrap_or(model.passage),
            });
        }
        Ok(lingbridge::Encoder::load(&files, &options)?)
    }
}
