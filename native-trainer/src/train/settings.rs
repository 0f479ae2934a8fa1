//! `lingbridge train` settings: command-line flags, the same keys in `--config run.toml`, and the resolved
//! values a run (and its checkpoints) records. Precedence: command line, then the TOML file, then defaults.
//! Relative paths in the TOML file are relative to the file's folder, as in Cargo.toml.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// Every flag is optional here so that "not given" can fall through to the TOML file; TOML keys are the flag
/// names (`batch-size = 32`).
#[derive(clap::Args, Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TrainArgs {
    /// TOML file with any of these settings (keys as the flags, e.g. `batch-size = 32`); flags given here win.
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Training records (JSONL, see `lingbridge data`); each file is a source drawn in proportion to its size.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    #[serde(default)]
    pub train: Vec<PathBuf>,
    /// Dev set scored with the LAReQA protocol: a folder of {lang}.json LAReQA files, or a JSONL of records
    /// (each record becomes a question and a one-sentence candidate; records sharing an xling id answer
    /// each other across languages).
    #[arg(long, value_name = "PATH")]
    pub dev: Option<PathBuf>,
    /// Evaluate on the dev set every N updates (default 100), before the first and after the last.
    #[arg(long, value_name = "N")]
    pub eval_every: Option<usize>,
    /// Stop after P evaluations without a better dev Mul mAP (0: never).
    #[arg(long, value_name = "P")]
    pub patience: Option<usize>,
    /// Write the `last` checkpoint every N updates (default: --eval-every), and after the last.
    #[arg(long, value_name = "N")]
    pub save_every: Option<usize>,
    /// Start from this Hugging Face model directory (XLM-R or BERT family, e.g. models/base).
    #[arg(long, value_name = "DIR")]
    pub init: Option<PathBuf>,
    /// Start from scratch with this config.json (HF initialisation, N(0, initializer_range)); needs --tokenizer.
    #[arg(long, value_name = "FILE")]
    pub config_json: Option<PathBuf>,
    /// tokenizer.json for a from-scratch model (`lingbridge tokenizer train` makes one).
    #[arg(long, value_name = "FILE")]
    pub tokenizer: Option<PathBuf>,
    /// Batch sampling: x-x-mono, x-y or hybrid (default hybrid).
    #[arg(long, value_parser = ["x-x-mono", "x-y", "hybrid"])]
    pub sampling: Option<String>,
    /// Hybrid: probability that a batch is X-X-mono (default 0.5).
    #[arg(long, value_name = "A")]
    pub alpha: Option<f64>,
    /// Pairs per batch (default 32).
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Updates (default 1000).
    #[arg(long)]
    pub steps: Option<usize>,
    /// Peak learning rate (default 3e-5).
    #[arg(long)]
    pub lr: Option<f64>,
    /// Linear warm-up updates (default 10% of --steps).
    #[arg(long, value_name = "N")]
    pub warmup: Option<usize>,
    /// AdamW weight decay (default 0.01; biases and LayerNorm weights are not decayed).
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// Clip the global gradient norm to this (default 1.0; 0 turns clipping off).
    #[arg(long)]
    pub clip: Option<f64>,
    /// InfoNCE temperature τ (default 0.05, i.e. scale 20).
    #[arg(long)]
    pub temperature: Option<f64>,
    /// Add the passage→query term to the loss (`--symmetric` or `--symmetric false`).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub symmetric: Option<bool>,
    /// Keep the word-embedding table as it is (`--freeze-word-table` or `--freeze-word-table false`; default
    /// false). It is most of a multilingual model's parameters (multilingual-e5-small: 96 M of 117.5 M), so
    /// freezing it saves its gradient and AdamW moments (three table-sized tensors) and lets tuned models share
    /// one trimmed table.
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub freeze_word_table: Option<bool>,
    /// Hard negatives per pair taken from the passage record's `negatives` (default 1; 0: in-batch only).
    #[arg(long, value_name = "N")]
    pub hard_negatives: Option<usize>,
    /// Tokens per text after truncation (default 128, at most the model's limit).
    #[arg(long)]
    pub max_len: Option<usize>,
    /// Pooling of the trained model: mean or cls (default: the init model's, else mean).
    #[arg(long, value_parser = ["mean", "cls"])]
    pub pooling: Option<String>,
    /// Seed of the batch sampler and of a from-scratch initialisation (default 42).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output folder: checkpoints (`last`, `best`), metrics.jsonl.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// cpu or cuda:N (CUDA needs a build with `--features cuda`).
    #[arg(long)]
    pub device: Option<String>,
    /// Continue from OUT/last (same settings; --steps may grow).
    #[arg(long)]
    #[serde(skip)]
    pub resume: bool,
    /// Testing aid: exit abruptly (no clean-up) after this update, as a kill would.
    #[arg(long, hide = true)]
    #[serde(skip)]
    pub stop_after: Option<usize>,
}

/// Resolved settings: what a run uses and what its checkpoints record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub train: Vec<PathBuf>,
    pub dev: Option<PathBuf>,
    pub eval_every: usize,
    pub patience: usize,
    pub save_every: usize,
    pub init: Option<PathBuf>,
    pub config_json: Option<PathBuf>,
    pub tokenizer: Option<PathBuf>,
    pub sampling: String,
    pub alpha: f64,
    pub batch_size: usize,
    pub steps: usize,
    pub lr: f64,
    pub warmup: usize,
    pub weight_decay: f64,
    pub clip: f64,
    pub temperature: f64,
    pub symmetric: bool,
    /// Absent from checkpoints written before the flag existed: those trained the table.
    #[serde(default)]
    pub freeze_word_table: bool,
    pub hard_negatives: usize,
    pub max_len: usize,
    pub pooling: Option<String>,
    pub seed: u64,
    pub out: PathBuf,
    pub device: String,
}

impl TrainArgs {
    /// Applies the TOML file under the flags given on the command line.
    pub fn merged(self) -> anyhow::Result<TrainArgs> {
        let Some(path) = self.config.clone() else { return Ok(self) };
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let mut file = Self::from_toml(&text).with_context(|| format!("{}", path.display()))?;
        file.relative_to(path.parent().unwrap_or(Path::new("")));
        let mut merged = serde_json::to_value(&file)?;
        let given = serde_json::to_value(&self)?;
        let (Some(merged_map), Some(given)) = (merged.as_object_mut(), given.as_object()) else { unreachable!("structs") };
        for (key, value) in given {
            let empty = value.is_null() || value.as_array().is_some_and(|a| a.is_empty());
            if !empty {
                merged_map.insert(key.clone(), value.clone());
            }
        }
        let mut out: TrainArgs = serde_json::from_value(merged)?;
        (out.config, out.resume, out.stop_after) = (self.config, self.resume, self.stop_after);
        Ok(out)
    }

    /// A run.toml's settings (paths as written, not yet relative to the file).
    pub fn from_toml(text: &str) -> anyhow::Result<TrainArgs> {
        Ok(toml::from_str(text)?)
    }

    fn relative_to(&mut self, dir: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        };
        self.train.iter_mut().for_each(fix);
        for p in [&mut self.dev, &mut self.init, &mut self.config_json, &mut self.tokenizer, &mut self.out].into_iter().flatten() {
            fix(p);
        }
    }

    pub fn resolve(self) -> anyhow::Result<Settings> {
        let steps = self.steps.unwrap_or(1000);
        let eval_every = self.eval_every.unwrap_or(100);
        let s = Settings {
            dev: self.dev,
            eval_every,
            patience: self.patience.unwrap_or(0),
            save_every: self.save_every.unwrap_or(eval_every),
            init: self.init,
            config_json: self.config_json,
            tokenizer: self.tokenizer,
            sampling: self.sampling.unwrap_or_else(|| "hybrid".into()),
            alpha: self.alpha.unwrap_or(0.5),
            batch_size: self.batch_size.unwrap_or(32),
            steps,
            lr: self.lr.unwrap_or(3e-5),
            warmup: self.warmup.unwrap_or(steps / 10),
            weight_decay: self.weight_decay.unwrap_or(0.01),
            clip: self.clip.unwrap_or(1.0),
            temperature: self.temperature.unwrap_or(0.05),
            symmetric: self.symmetric.unwrap_or(false),
            freeze_word_table: self.freeze_word_table.unwrap_or(false),
            hard_negatives: self.hard_negatives.unwrap_or(1),
            max_len: self.max_len.unwrap_or(128),
            pooling: self.pooling,
            seed: self.seed.unwrap_or(42),
            out: self.out.context("--out is required (on the command line or as `out` in --config)")?,
            device: self.device.unwrap_or_else(|| "cpu".into()),
            train: self.train,
        };
        if s.train.is_empty() {
            bail!("--train: give at least one JSONL file of training records");
        }
        // Checked here rather than by clap, since either may come from the TOML file.
        match (&s.init, &s.config_json, &s.tokenizer) {
            (Some(_), None, None) | (None, Some(_), Some(_)) => {}
            (None, None, _) => bail!("say where the model starts: --init DIR (a Hugging Face model) or --config-json FILE --tokenizer FILE"),
            (None, Some(_), None) => bail!("--config-json needs --tokenizer (a tokenizer.json; `lingbridge tokenizer train` makes one)"),
            (Some(_), _, _) => bail!("--init takes the model's own config and tokenizer: drop --config-json / --tokenizer"),
        }
        if s.steps == 0 || s.warmup >= s.steps {
            bail!("--steps must be positive and --warmup ({}) smaller than --steps ({})", s.warmup, s.steps);
        }
        if s.eval_every == 0 || s.save_every == 0 {
            bail!("--eval-every and --save-every must be positive");
        }
        if !(s.temperature > 0.0 && s.temperature.is_finite()) {
            bail!("--temperature must be a positive number");
        }
        if s.max_len < 3 {
            bail!("--max-len must leave room for <s>, a token and </s> (at least 3)");
        }
        Ok(s)
    }
}

impl Settings {
    /// Settings a resumed run must share with the checkpoint for the continuation to be the same run.
    pub fn differences_that_break_resume(&self, saved: &Settings) -> Vec<&'static str> {
        let mut out = Vec::new();
        macro_rules! check {
            ($($f:ident),*) => { $( if self.$f != saved.$f { out.push(stringify!($f)); } )* };
        }
        check!(train, sampling, alpha, batch_size, lr, warmup, weight_decay, clip, temperature, symmetric, freeze_word_table, hard_negatives, max_len, seed);
        out
    }
}

#[cfg(test)]
mod tests {
    /// Not coverage-guided (see data::tests): the recipe's run.toml mutated for two seconds; settings or an
    /// error, never a panic — also through `resolve`, which checks the values.
    #[test]
    fn mutated_run_files_give_settings_or_errors_never_a_panic() {
        let seed = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/recipe/e5-tune.toml")).unwrap();
        let mut rng = lingbridge::fuzzing::Rng::new(11);
        let (start, mut runs) = (std::time::Instant::now(), 0);
        while start.elapsed() < std::time::Duration::from_secs(2) {
            let input = lingbridge::fuzzing::mutate(&seed, &seed, &mut rng);
            let outcome = std::panic::catch_unwind(|| {
                let text = String::from_utf8_lossy(&input);
                TrainArgs::from_toml(&text).map(|args| args.resolve().is_ok())
            });
            assert!(outcome.is_ok(), "panicked on {:?}", String::from_utf8_lossy(&input));
            runs += 1;
        }
        assert!(runs > 1000, "{runs} runs");
    }

    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: TrainArgs,
    }

    #[test]
    fn command_line_beats_file_beats_default() {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("run.toml");
        std::fs::write(&toml, "train = ['a.jsonl']\ninit = 'model'\nout = 'out'\nlr = 0.001\nbatch-size = 8\nsymmetric = true\n").unwrap();
        let cli = Cli::parse_from(["x", "--config", toml.to_str().unwrap(), "--lr", "0.5", "--symmetric", "false"]);
        let s = cli.args.merged().unwrap().resolve().unwrap();
        assert_eq!(s.lr, 0.5);
        assert_eq!(s.batch_size, 8);
        assert!(!s.symmetric);
        assert_eq!(s.temperature, 0.05);
        assert_eq!(s.train, vec![dir.path().join("a.jsonl")]);
        assert_eq!(s.init, Some(dir.path().join("model")));
    }

    #[test]
    fn unknown_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("run.toml");
        std::fs::write(&toml, "learning-rate = 0.1\n").unwrap();
        let cli = Cli::parse_from(["x", "--config", toml.to_str().unwrap()]);
        let e = format!("{:#}", cli.args.merged().unwrap_err());
        assert!(e.contains("learning-rate"), "{e}");
    }
}
