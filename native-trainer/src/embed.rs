//! `lingbridge embed`: stdin lines → one JSON array per line on stdout, or raw little-endian vectors (f32 / f16)
//! — the format of the built-in corpus's precomputed embeddings that `make www-models` ships for the page.

use std::io::{BufRead, BufWriter, Write};

use anyhow::{Context, bail};
use lingbridge::TextKind;
use lingbridge::search::passages::{VectorDtype, vectors_to_le_bytes};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: crate::ModelArgs,
    /// What the texts are; decides the prefix.
    #[arg(long, default_value = "passage", value_parser = ["query", "passage"])]
    kind: String,
    /// How stdin holds the texts: one per line, or one JSON string per line (texts that contain line breaks).
    #[arg(long, default_value = "lines", value_parser = ["lines", "json"])]
    input: String,
    /// Output: JSON arrays (one per line), or all vectors row-major as little-endian f32 or f16 bytes.
    #[arg(long, default_value = "json", value_parser = ["json", "f32", "f16"])]
    format: String,
    /// Write the output to this file instead of stdout (written whole, after every text is embedded).
    #[arg(long, value_name = "FILE")]
    out: Option<std::path::PathBuf>,
}

fn read_texts(json: bool) -> anyhow::Result<Vec<String>> {
    let mut lines = Vec::new();
    for (i, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.with_context(|| format!("reading stdin line {}", i + 1))?;
        let line = line.trim_end_matches('\r');
        let text = if json {
            serde_json::from_str::<String>(line).with_context(|| {
                format!("stdin line {} is not a JSON string (--input json)", i + 1)
            })?
        } else {
            line.to_string()
        };
        lines.push(text);
    }
    if lines.is_empty() {
        bail!("no input: give one text per line on stdin");
    }
    if let Some(i) = lines.iter().position(|l| l.trim().is_empty()) {
        bail!("stdin line {} is empty: every line must hold a text", i + 1);
    }
    Ok(lines)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let kind: TextKind = args.kind.parse()?;
    // Read (and check) the input before loading the model, so bad input fails fast.
    let lines = read_texts(args.input == "json")?;
    let encoder = args.model.load()?;
    let embeddings = encoder.embed(&lines, kind)?;
    let mut bytes = Vec::new();
    if args.format == "json" {
        for row in embeddings.rows() {
            serde_json::to_writer(&mut bytes, row)?;
            bytes.push(b'\n');
        }
    } else {
        let dtype: VectorDtype = args.format.parse()?;
        bytes = vectors_to_le_bytes(&embeddings.data, dtype);
    }
    match &args.out {
        Some(path) => {
            std::fs::write(path, &bytes).with_context(|| format!("writing {}", path.display()))?
        }
        None => {
            let mut out = BufWriter::new(std::io::stdout().lock());
            out.write_all(&bytes)?;
            out.flush()?;
        }
    }
    Ok(())
}
