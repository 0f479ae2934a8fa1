//! `lingbridge bench …`: throughput measurements printed as numbers, never asserted in tests.
//! Each benchmark runs its baseline in the same process, so ratios compare like with like.

use std::time::Instant;

#[derive(clap::Subcommand)]
pub enum Bench {
    /// Encoder forward passes on synthetic token batches: tokens/s and embeddings/s per backend.
    Encode(EncodeArgs),
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
    /// Minimum seconds to measure for (after one warm-up pass).
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
}

pub fn run(bench: Bench) -> anyhow::Result<()> {
    match bench {
        Bench::Encode(args) => encode(args),
    }
}

fn encode(args: EncodeArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.batch > 0 && args.seq >= 2, "--batch must be ≥ 1 and --seq ≥ 2");
    let encoder = args.model.load()?;
    let seq = args.seq.min(encoder.tokenizer().max_tokens);
    let vocab = encoder.tokenizer().vocab_size() as u32;
    // Deterministic pseudo-random ids past the special tokens, framed by <s> … </s>.
    let mut state = 0x9E37_79B9_u32;
    let mut ids = Vec::with_capacity(args.batch * seq);
    for _ in 0..args.batch {
        ids.push(0);
        for _ in 1..seq - 1 {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ids.push(5 + (state >> 8) % (vocab - 5).max(1));
        }
        ids.push(2);
    }
    let batch = lingbridge::model::TokenBatch { mask: vec![1; ids.len()], ids, batch: args.batch, seq };
    encoder.embed_tokens(&batch)?; // warm-up
    let start = Instant::now();
    let mut passes = 0u64;
    while start.elapsed().as_secs_f64() < args.seconds || passes < 3 {
        encoder.embed_tokens(&batch)?;
        passes += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let c = encoder.config();
    println!(
        "model {} ({} layers, hidden {}, vocab {}), batch {} × seq {}, {} passes in {:.2} s",
        args.model.model.display(), c.num_hidden_layers, c.hidden_size, c.vocab_size, args.batch, seq, passes, secs
    );
    println!("| backend | tokens/s | embeddings/s | ms/batch |");
    println!("|---|---|---|---|");
    let seqs = (passes as usize * args.batch) as f64;
    println!(
        "| {} | {:.0} | {:.1} | {:.2} |",
        encoder.backend_name(),
        seqs * seq as f64 / secs,
        seqs / secs,
        1e3 * secs / passes as f64
    );
    Ok(())
}
