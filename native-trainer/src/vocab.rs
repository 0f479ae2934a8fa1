//! `lingbridge vocab trim | stats`: a Unigram (SentencePiece) vocabulary cut down to the pieces a corpus uses
//! (rules and rewriting in `src/model/trim.rs`), for a smaller page download.
//!
//! Corpus files: `.jsonl` / `.json` (one object per line; the strings of `text`, `query`, `passage`, `title`,
//! `question`, `context` and the `negatives` list — the demo corpus and training records), anything else plain text
//! with one text per line; `.gz` is decompressed. A directory is read recursively, skipping `*.md`, `*.tsv`,
//! `*.sha256`, dot-files and LICENSE / SOURCE / README files (the dataset folders' notes).
//!
//! Evaluation data is refused: a trimmed vocabulary fitted to an evaluation set's texts would leak it into every
//! number reported on that set (its words always stay whole pieces). A corpus path with a component naming one of
//! the sets we report on (XQuAD, XQuAD-R, MLQA, MLQA-R, LAReQA, MIRACL, Mr. TyDi, BEIR, or the page's `demo/eval`)
//! is an error unless `--allow-eval-data` is given.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use lingbridge::model::files::{self, ModelFiles};
use lingbridge::model::trim::{self, Plan, Scripts};
use lingbridge::model::Prefixes;

#[derive(clap::Subcommand)]
pub enum Vocab {
    /// Write a model whose vocabulary holds only the specials, the pieces the corpus uses and the single
    /// characters of its scripts; the word table keeps those rows (GGUF blocks bit for bit).
    Trim(TrimArgs),
    /// What trimming on a corpus would keep (a model, or a tokenizer.json alone), checked by re-tokenizing it.
    Stats(StatsArgs),
}

#[derive(clap::Args)]
pub struct CorpusArgs {
    /// Corpus files or folders (JSONL with text/query/passage fields, or plain text one per line; .gz read).
    #[arg(long, num_args = 1.., required = true, value_name = "PATH")]
    corpus: Vec<PathBuf>,
    /// Scripts whose single-character pieces are kept: auto (those of the corpus) or ISO 15924 codes (Latn,Cyrl,…).
    #[arg(long, default_value = "auto", value_name = "auto|CODES")]
    keep_scripts: String,
    /// Accept corpus paths that name an evaluation set (XQuAD, MLQA, LAReQA, MIRACL, Mr. TyDi, BEIR, demo/eval).
    #[arg(long)]
    allow_eval_data: bool,
    /// Skip re-tokenizing the corpus with the trimmed tokenizer (the check that ids map back).
    #[arg(long)]
    no_verify: bool,
    /// Keep at most N ids: the corpus pieces used least are left out first (specials and single characters
    /// always stay, so nothing becomes <unk>; texts that used a left-out piece segment into shorter ones).
    #[arg(long, value_name = "N")]
    max_pieces: Option<usize>,
}

#[derive(clap::Args)]
pub struct TrimArgs {
    /// Model: a Hugging Face directory or a `lingbridge quantize` GGUF file. Only Unigram tokenizers.
    #[arg(long, value_name = "PATH")]
    model: PathBuf,
    #[command(flatten)]
    corpus: CorpusArgs,
    /// Where to write: a directory for a directory model, a .gguf file for a GGUF model.
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// Also write a JSON report (counts, scripts, sizes, times, the kept-id table new → original).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct StatsArgs {
    /// A model (directory or GGUF) or a tokenizer.json file alone.
    #[arg(long, value_name = "PATH")]
    model: PathBuf,
    #[command(flatten)]
    corpus: CorpusArgs,
    /// Prompt put before queries (default: the model's sentence-transformers prompt; none for a tokenizer.json).
    #[arg(long, value_name = "TEXT")]
    query_prefix: Option<String>,
    /// Prompt put before passages (as --query-prefix).
    #[arg(long, value_name = "TEXT")]
    passage_prefix: Option<String>,
    /// Write the numbers as JSON to this file too.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

pub fn run(cmd: Vocab) -> anyhow::Result<()> {
    match cmd {
        Vocab::Trim(args) => run_trim(args),
        Vocab::Stats(args) => run_stats(args),
    }
}

/// Dataset names whose texts must not shape the vocabulary (see the module docs).
const EVAL_SETS: [&str; 8] = ["xquad", "mlqa", "lareqa", "miracl", "mrtydi", "mr-tydi", "mr.tydi", "beir"];

fn check_not_eval(path: &Path) -> anyhow::Result<()> {
    let full = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let parts: Vec<String> = full.components().map(|c| c.as_os_str().to_string_lossy().to_lowercase()).collect();
    let named = parts.iter().find(|p| EVAL_SETS.iter().any(|e| p.contains(e)));
    let demo_eval = parts.windows(2).any(|w| w[0] == "demo" && w[1] == "eval");
    if let Some(name) = named.cloned().or(demo_eval.then(|| "demo/eval".to_string())) {
        bail!(
            "{}: looks like evaluation data (\"{name}\"); a vocabulary trimmed on an evaluation set's texts flatters every \
             result reported on it. Leave it out, or pass --allow-eval-data if it is not a set you report on",
            path.display()
        );
    }
    Ok(())
}

/// Files of a corpus path: the file itself, or a folder's files (recursively, sorted, notes skipped).
fn corpus_files(path: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if path.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if !path.is_dir() {
        bail!("{}: missing (a corpus file or folder)", path.display());
    }
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(path).with_context(|| format!("{}: cannot read", path.display()))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let upper = name.to_uppercase();
        let note = name.starts_with('.')
            || [".md", ".tsv", ".sha256"].iter().any(|e| name.to_lowercase().ends_with(e))
            || ["LICENSE", "SOURCE", "README"].iter().any(|n| upper.starts_with(n));
        if !note {
            corpus_files(&p, out)?;
        }
    }
    Ok(())
}

const TEXT_FIELDS: [&str; 6] = ["text", "query", "passage", "title", "question", "context"];

/// The texts of one corpus file.
fn read_texts(path: &Path) -> anyhow::Result<Vec<String>> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("{shown}: cannot read"))?;
    let bytes = lingbridge::eval::beir::gunzip(&shown, &bytes)?;
    let text = std::str::from_utf8(&bytes).map_err(|e| anyhow::anyhow!("{shown}: not UTF-8 text ({e})"))?;
    let name = shown.trim_end_matches(".gz").to_lowercase();
    let mut texts = Vec::new();
    if name.ends_with(".jsonl") || name.ends_with(".json") {
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).with_context(|| format!("{shown}: line {}: not a JSON object", i + 1))?;
            for f in TEXT_FIELDS {
                if let Some(s) = v.get(f).and_then(|s| s.as_str()) {
                    texts.push(s.to_string());
                }
            }
            for n in v.get("negatives").and_then(|n| n.as_array()).into_iter().flatten() {
                texts.extend(n.as_str().map(str::to_string));
            }
        }
    } else {
        texts.extend(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string));
    }
    Ok(texts)
}

/// Every text of the corpus paths, with per-file counts; evaluation data and empty corpora refused.
fn read_corpus(args: &CorpusArgs) -> anyhow::Result<(Vec<String>, Vec<(String, usize)>)> {
    let mut paths = Vec::new();
    for p in &args.corpus {
        if !args.allow_eval_data {
            check_not_eval(p)?;
        }
        corpus_files(p, &mut paths)?;
    }
    let mut texts = Vec::new();
    let mut per_file = Vec::new();
    for p in &paths {
        if !args.allow_eval_data {
            check_not_eval(p)?;
        }
        let t = read_texts(p)?;
        per_file.push((p.display().to_string(), t.len()));
        texts.extend(t);
    }
    if texts.iter().all(|t| t.trim().is_empty()) {
        bail!("the corpus ({}) holds no text", args.corpus.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
    }
    Ok((texts, per_file))
}

/// The corpus texts as the model sees them: bare and behind each prompt (what `trim::plan` tokenizes).
fn with_prompts(texts: &[String], prefixes: &Prefixes) -> Vec<String> {
    let mut out: Vec<String> = texts.to_vec();
    for p in [&prefixes.query, &prefixes.passage] {
        if !p.is_empty() {
            out.extend(texts.iter().map(|t| format!("{p}{t}")));
        }
    }
    out
}

/// Re-tokenizes the corpus with the trimmed tokenizer. Without a --max-pieces cut every text's ids must map back;
/// with one, texts may segment differently but never into more `<unk>`.
fn check(original: &[u8], trimmed: &[u8], plan: &Plan, texts: &[String], prefixes: &Prefixes) -> anyhow::Result<trim::Comparison> {
    let all = with_prompts(texts, prefixes);
    let c = trim::compare(original, trimmed, plan, &all)?;
    if c.more_unk > 0 || (plan.dropped == 0 && c.changed > 0) {
        let (text, a, b) = c.example.clone().unwrap_or_default();
        bail!(
            "the trimmed tokenizer segments {} of {} texts differently ({} with more <unk>), e.g. {text:?}: {a:?} vs (trimmed) {b:?}; please report this",
            c.changed, c.texts, c.more_unk
        );
    }
    Ok(c)
}

fn print_check(c: &trim::Comparison) {
    if c.changed == 0 {
        println!("checked  {} texts re-tokenize to the same pieces", c.texts);
    } else {
        println!(
            "checked  {} texts: {} segment into other kept pieces ({:+.2} % tokens), none into more <unk>",
            c.texts,
            c.changed,
            100.0 * c.token_growth()
        );
    }
}

/// The plan under the --max-pieces limit, if one was given.
fn limited(plan: Plan, args: &CorpusArgs) -> anyhow::Result<Plan> {
    Ok(match args.max_pieces {
        Some(n) => plan.limit(n)?,
        None => plan,
    })
}

fn print_plan(plan: &Plan) {
    let by = &plan.kept_by;
    println!(
        "kept     {} of {} ids ({:.1} %): {} special, {} from the corpus, {} single characters, {} min-score",
        plan.kept.len(),
        plan.original,
        100.0 * plan.kept.len() as f64 / plan.original.max(1) as f64,
        by.special,
        by.corpus,
        by.single_char,
        by.min_score
    );
    println!("corpus   {} distinct texts, {} tokens, {} <unk>", plan.texts, plan.tokens, plan.unk_tokens);
    if plan.dropped > 0 {
        println!(
            "limit    {} corpus pieces left out, each used at most {} times (a text counts once bare and once per prompt)",
            plan.dropped, plan.dropped_max_uses
        );
    }
    let scripts: Vec<String> = plan.single_chars_by_script.iter().map(|(s, n)| format!("{s} {n}")).collect();
    println!("scripts  {} (single-character pieces kept: {})", plan.scripts.join(","), scripts.join(", "));
}

fn run_trim(args: TrimArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    let scripts: Scripts = args.corpus.keep_scripts.parse()?;
    if std::fs::canonicalize(&args.out).ok().is_some_and(|o| std::fs::canonicalize(&args.model).ok() == Some(o)) {
        bail!("--out {} is the model itself; write the trimmed model elsewhere", args.out.display());
    }
    let mut model = ModelFiles::from_path(&args.model)?;
    let dir_input = args.model.is_dir();
    let extra = if dir_input { other_files(&args.model, &model)? } else { Vec::new() };
    let (texts, per_file) = read_corpus(&args.corpus)?;
    let read_s = start.elapsed().as_secs_f64();

    let t = Instant::now();
    let plan = limited(trim::plan_model(&model, &texts, &scripts)?, &args.corpus)?;
    let plan_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut skipped = Vec::new();
    for (rel, path) in &extra {
        if rel == trim::tables::TOKENIZER_CONFIG {
            model.insert(rel.clone(), std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?);
        }
    }
    let trimmed = trim::trim_model(&model, &plan)?;
    let write_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let verified = if args.corpus.no_verify {
        None
    } else {
        let original = model.require(files::TOKENIZER, "")?;
        let new = trimmed.files.get(files::TOKENIZER).map(Vec::as_slice).map_or_else(|| embedded_tokenizer(&trimmed), |b| Ok(b.to_vec()))?;
        Some(check(original, &new, &plan, &texts, &Prefixes::from_files(&model)?)?)
    };
    let verify_s = t.elapsed().as_secs_f64();

    let input_bytes: u64 = if dir_input {
        model.names().filter_map(|n| model.get(n)).map(|b| b.len() as u64).sum()
    } else {
        std::fs::metadata(&args.model).map(|m| m.len()).unwrap_or(0)
    };
    let output_bytes: u64;
    if dir_input {
        std::fs::create_dir_all(&args.out).with_context(|| format!("{}: cannot create", args.out.display()))?;
        for (name, bytes) in &trimmed.files {
            write(&args.out.join(name), bytes)?;
        }
        for (rel, path) in &extra {
            if rel == trim::tables::TOKENIZER_CONFIG {
                continue;
            }
            if is_stale(rel) {
                skipped.push(rel.clone());
                continue;
            }
            let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
            write(&args.out.join(rel), &bytes)?;
        }
        output_bytes = trimmed.files.values().map(|b| b.len() as u64).sum();
    } else {
        let bytes = trimmed.files.get(files::GGUF).context("no GGUF written")?;
        if args.out.is_dir() {
            bail!("--out {} is a folder; a GGUF model is trimmed into one .gguf file", args.out.display());
        }
        write(&args.out, bytes)?;
        output_bytes = bytes.len() as u64;
    }

    print_plan(&plan);
    for t in &trimmed.tables {
        println!("table    {} {}: {} → {} rows, {} → {} bytes", t.file, t.tensor, t.rows_before, t.rows_after, t.bytes_before, t.bytes_after);
    }
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    println!("wrote    {} ({:.2} MiB, {:.3} of the input's {:.2} MiB)", args.out.display(), mib(output_bytes), output_bytes as f64 / input_bytes.max(1) as f64, mib(input_bytes));
    if !skipped.is_empty() {
        println!("left out {} (they still hold the full vocabulary)", skipped.join(", "));
    }
    verified.iter().for_each(print_check);
    if let Some(path) = &args.report {
        let report = serde_json::json!({
            "model": args.model.display().to_string(),
            "out": args.out.display().to_string(),
            "corpus": per_file.iter().map(|(f, n)| serde_json::json!({"file": f, "texts": n})).collect::<Vec<_>>(),
            "plan": plan,
            "tables": trimmed.tables,
            "bytes": {"input": input_bytes, "output": output_bytes},
            "left_out": skipped,
            "check": verified,
            "seconds": {"read": read_s, "plan": plan_s, "write": write_s, "verify": verify_s, "total": start.elapsed().as_secs_f64()},
        });
        write(path, serde_json::to_string_pretty(&report)?.as_bytes())?;
    }
    Ok(())
}

/// The tokenizer.json embedded in a trimmed GGUF file.
fn embedded_tokenizer(trimmed: &trim::TrimmedModel) -> anyhow::Result<Vec<u8>> {
    let gguf = trimmed.files.get(files::GGUF).context("no GGUF written")?.clone();
    let files = ModelFiles::new("trimmed model").with(files::GGUF, gguf);
    Ok(files.require(files::TOKENIZER, "the trimmed tokenizer")?.to_vec())
}

/// Files of a model directory that `ModelFiles` did not read, by relative path (carried over unchanged).
fn other_files(dir: &Path, model: &ModelFiles) -> anyhow::Result<Vec<(String, PathBuf)>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> anyhow::Result<()> {
        for e in std::fs::read_dir(dir).with_context(|| format!("{}: cannot read", dir.display()))? {
            let p = e?.path();
            let rel = p.strip_prefix(root).unwrap_or(&p).to_string_lossy().replace('\\', "/");
            if rel.starts_with('.') {
                continue;
            }
            if p.is_dir() { walk(root, &p, out)? } else { out.push((rel, p)) }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    let known: Vec<&str> = model.names().collect();
    out.retain(|(rel, _)| !known.contains(&rel.as_str()));
    out.sort();
    Ok(out)
}

/// Files that would still hold the untrimmed vocabulary (other weight formats, SentencePiece's own model).
fn is_stale(rel: &str) -> bool {
    let lower = rel.to_lowercase();
    [".bin", ".pt", ".pth", ".onnx", ".h5", ".msgpack", ".ot", ".model", ".gguf", ".safetensors"].iter().any(|e| lower.ends_with(e))
        || lower.starts_with("onnx/")
        || lower.starts_with("openvino/")
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("{}: cannot create", parent.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn run_stats(args: StatsArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    let scripts: Scripts = args.corpus.keep_scripts.parse()?;
    let (tokenizer, prefixes, shown) = if args.model.is_file() && !args.model.to_string_lossy().ends_with(".gguf") {
        let bytes = std::fs::read(&args.model).with_context(|| format!("{}: cannot read", args.model.display()))?;
        (bytes, Prefixes::none(), args.model.display().to_string())
    } else {
        let model = ModelFiles::from_path(&args.model)?;
        let bytes = model.require(files::TOKENIZER, "the vocabulary to measure")?.to_vec();
        (bytes, Prefixes::from_files(&model)?, model.display(files::TOKENIZER))
    };
    let prefixes = Prefixes {
        query: args.query_prefix.clone().unwrap_or(prefixes.query),
        passage: args.passage_prefix.clone().unwrap_or(prefixes.passage),
    };
    let (texts, per_file) = read_corpus(&args.corpus)?;
    let read_s = start.elapsed().as_secs_f64();
    let t = Instant::now();
    let plan = limited(trim::plan(&tokenizer, &shown, &prefixes, &texts, &scripts)?, &args.corpus)?;
    let plan_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let trimmed = trim::rewrite_tokenizer(&tokenizer, &shown, &plan)?;
    let verified = if args.corpus.no_verify { None } else { Some(check(&tokenizer, &trimmed, &plan, &texts, &prefixes)?) };
    let verify_s = t.elapsed().as_secs_f64();
    println!("files    {} ({} texts)", per_file.len(), texts.len());
    print_plan(&plan);
    println!("tokenizer.json {} → {} bytes", tokenizer.len(), trimmed.len());
    verified.iter().for_each(print_check);
    println!("time     read {read_s:.1} s, plan {plan_s:.1} s, rewrite + check {verify_s:.1} s");
    if let Some(path) = &args.report {
        let mut plan_json = serde_json::to_value(&plan)?;
        plan_json.as_object_mut().map(|o| o.remove("kept"));
        let report = serde_json::json!({
            "tokenizer": shown, "corpus_files": per_file.len(), "corpus_texts": texts.len(), "plan": plan_json,
            "tokenizer_bytes": {"before": tokenizer.len(), "after": trimmed.len()}, "check": verified,
            "seconds": {"read": read_s, "plan": plan_s, "rewrite_and_check": verify_s},
        });
        write(path, serde_json::to_string_pretty(&report)?.as_bytes())?;
    }
    Ok(())
}
