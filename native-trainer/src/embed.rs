//! `lingbridge embed`: stdin lines → JSON arrays on stdout.

use std::io::{BufRead, BufWriter, Write};

use anyhow::{Context, bail};
use lingbridge::TextKind;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: crate::ModelArgs,
    /// What the texts are; decides the prefix.
    #[arg(long, default_value = "passage", value_parser = ["query", "passage"])]
    kind: String,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let encoder = args.model.load()?;
    let kind: TextKind = args.kind.parse()?;
    let mut lines = Vec::new();
    for (i, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.with_context(|| format!("reading stdin line {}", i + 1))?;
        lines.push(line.trim_end_matches('\r').to_string());
    }
    if lines.is_empty() {
        bail!("no input: give one text per line on stdin");
    }
    if let Some(i) = lines.iter().position(|l| l.trim().is_empty()) {
        bail!("stdin line {} is empty: every line must hold a text", i + 1);
    }
    let embeddings = encoder.embed(&lines, kind)?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    for row in embeddings.rows() {
        serde_json::to_writer(&mut out, row)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
