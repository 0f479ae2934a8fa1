//! `lingbridge sweep`: the method's α study. For every (objective, α, seed) it trains in-process with
//! `lingbridge train`'s own loop (`train::train`) using hybrid batches (α = share of X-X-mono batches: α = 1 is
//! pure X-X-mono, α = 0 pure X-Y), into OUT/<objective>/alpha-<α>/seed-<s>/, then scores the run's best
//! checkpoint (by dev Mul mAP; `last` without a dev set) on the eval set with the LAReQA protocol and writes
//! the run's `result.json`. A run whose `result.json` exists is skipped and one with a `last` checkpoint but no
//! result is resumed, so a killed sweep continues where it stopped. At the end: OUT/sweep.json (every run),
//! OUT/sweep.md (mean ± sd over seeds) and OUT/sweep.svg (`plot.rs`).

mod plot;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::train::{self, Args as TrainArgs, dev::DevSet};

#[derive(clap::Args, Debug)]
#[command(
    mut_arg("alpha", |a| a.hide(true)),
    mut_arg("sampling", |a| a.hide(true)),
    mut_arg("seed", |a| a.hide(true)),
    mut_arg("symmetric", |a| a.hide(true)),
    mut_arg("resume", |a| a.hide(true))
)]
pub struct Args {
    /// Comma-separated α values in [0, 1]: the probability that a batch is X-X-mono (1 = pure X-X-mono,
    /// 0 = pure X-Y).
    #[arg(long, value_delimiter = ',', required = true, value_name = "A,A,…")]
    pub alphas: Vec<f64>,
    /// Comma-separated objectives: infonce (query→passage InfoNCE) and/or symmetric (plus passage→query).
    #[arg(long, value_delimiter = ',', default_value = "infonce", value_parser = ["infonce", "symmetric"])]
    pub objectives: Vec<String>,
    /// Comma-separated seeds (sampler and from-scratch initialisation); the table averages over them.
    #[arg(long, value_delimiter = ',', default_value = "42", value_name = "S,S,…")]
    pub seeds: Vec<u64>,
    /// Where the best checkpoints are scored: a LAReQA folder or a JSONL of records (default: the dev set).
    #[arg(long, value_name = "PATH")]
    pub eval: Option<PathBuf>,
    /// `lingbridge train`'s settings for every run (--out is the sweep's folder; --alpha, --sampling, --seed and
    /// --symmetric are set per run).
    #[command(flatten)]
    pub train: TrainArgs,
}

/// One finished run, as OUT/…/result.json and sweep.json hold it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResult {
    pub objective: String,
    pub alpha: f64,
    pub seed: u64,
    /// The run's folder, relative to the sweep's.
    pub dir: String,
    /// Which checkpoint was scored: "best" or "last", and at which update.
    pub checkpoint: String,
    pub checkpoint_step: usize,
    pub steps: usize,
    pub best_dev_map: Option<f64>,
    pub best_step: Option<usize>,
    /// LAReQA scores on the eval set: mo_map, cr_map, mul_map, mul_recall_1, rank_distance.
    pub eval: serde_json::Value,
    /// What `eval` was scored on (--eval or the dev set).
    pub eval_set: PathBuf,
    /// The run's training settings (a later sweep into the same folder must match them to reuse the run).
    pub settings: train::Settings,
}

/// The table's columns: key in `RunResult::eval` and label.
pub const METRICS: [(&str, &str); 4] = [("mo_map", "Mo mAP"), ("cr_map", "Cr mAP"), ("mul_map", "Mul mAP"), ("rank_distance", "rank distance")];

pub const RESULT: &str = "result.json";

pub fn run(args: Args) -> anyhow::Result<()> {
    let t = &args.train;
    if t.alpha.is_some() || t.sampling.is_some() || t.seed.is_some() || t.symmetric.is_some() || t.resume || t.stop_after.is_some() {
        bail!("the sweep sets --alpha, --sampling, --seed and --symmetric per run (use --alphas, --seeds, --objectives) and resumes by itself");
    }
    if let Some(a) = args.alphas.iter().find(|a| !(0.0..=1.0).contains(*a)) {
        bail!("--alphas: {a} is not from 0 to 1");
    }
    let alphas: Vec<f64> = args.alphas.iter().map(|a| a + 0.0).collect(); // -0 → 0 (folder names)
    if has_repeats(&alphas) || has_repeats(&args.seeds) || has_repeats(&args.objectives) {
        bail!("--alphas, --seeds and --objectives must not repeat a value");
    }
    let base = args.train.merged()?;
    let out = base.out.clone().context("--out is required (on the command line or as `out` in --config)")?;
    let eval_path = args.eval.clone().or_else(|| base.dev.clone()).context("give --eval PATH or a dev set (--dev) to score the runs on")?;
    let eval = DevSet::load(&eval_path)?;
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;

    let total = args.objectives.len() * alphas.len() * args.seeds.len();
    let mut runs = Vec::with_capacity(total);
    for objective in &args.objectives {
        for &alpha in &alphas {
            for &seed in &args.seeds {
                let dir = format!("{objective}/alpha-{alpha}/seed-{seed}");
                let n = runs.len() + 1;
                let mut a = base.clone();
                (a.sampling, a.alpha, a.seed, a.symmetric) = (Some("hybrid".into()), Some(alpha), Some(seed), Some(objective == "symmetric"));
                a.out = Some(out.join(&dir));
                let settings = a.resolve()?;
                let path = out.join(&dir).join(RESULT);
                if path.exists() {
                    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                    let done: RunResult = serde_json::from_slice(&bytes).with_context(|| format!("{}", path.display()))?;
                    let mut differ = settings.differences_that_break_resume(&done.settings);
                    if settings.steps != done.settings.steps {
                        differ.push("steps");
                    }
                    if !differ.is_empty() {
                        bail!("{} was made with other settings ({}): remove it or choose another --out", path.display(), differ.join(", "));
                    }
                    if done.eval_set == eval_path {
                        eprintln!("[{n}/{total}] {dir}: done before, skipped");
                        runs.push(done);
                        continue;
                    }
                    eprintln!("[{n}/{total}] {dir}: scored on {} before; scoring again", done.eval_set.display());
                } else {
                    eprintln!("[{n}/{total}] {dir}: training");
                }
                runs.push(one_run(settings, objective, dir, (&eval, &eval_path))?);
            }
        }
    }

    let groups = summarise(&runs);
    let json = serde_json::json!({"eval": eval_path, "metrics": METRICS.map(|(k, _)| k), "runs": runs, "summary": groups});
    write_atomic(&out.join("sweep.json"), &serde_json::to_vec_pretty(&json)?)?;
    write_atomic(&out.join("sweep.md"), markdown(&groups, &eval_path).as_bytes())?;
    write_atomic(&out.join("sweep.svg"), plot::svg(&groups, &eval_path).as_bytes())?;
    print!("{}", markdown(&groups, &eval_path));
    eprintln!("wrote {}/sweep.json, sweep.md and sweep.svg", out.display());
    Ok(())
}

/// Trains (or resumes) one run and scores its best checkpoint; writes its result.json.
fn one_run(settings: train::Settings, objective: &str, dir: String, (eval, eval_set): (&DevSet, &Path)) -> anyhow::Result<RunResult> {
    let out = settings.out.clone();
    let resume = out.join("last").exists();
    if resume {
        eprintln!("{}: continuing from its last checkpoint", out.display());
    }
    let outcome = train::train(settings.clone(), resume, None)?;
    let checkpoint = if out.join("best").exists() { "best" } else { "last" };
    let scored = out.join(checkpoint);
    let result = RunResult {
        objective: objective.to_string(),
        alpha: settings.alpha,
        seed: settings.seed,
        dir,
        checkpoint: checkpoint.into(),
        checkpoint_step: train::checkpoint::read_state(&scored)?.step,
        steps: outcome.steps,
        best_dev_map: outcome.best_dev_map,
        best_step: outcome.best_step,
        eval: train::evaluate_checkpoint(&scored, eval, &settings)?,
        eval_set: eval_set.to_path_buf(),
        settings,
    };
    write_atomic(&out.join(RESULT), &serde_json::to_vec_pretty(&result)?)?;
    Ok(result)
}

/// Mean and sample standard deviation (n − 1; `None` for one value).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Stat {
    pub mean: f64,
    pub sd: Option<f64>,
}

impl Stat {
    fn of(values: &[f64]) -> Stat {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let sd = (values.len() > 1).then(|| (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt());
        Stat { mean, sd }
    }
}

/// One (objective, α) over its seeds.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub objective: String,
    pub alpha: f64,
    pub n: usize,
    /// Per metric of [`METRICS`], in that order.
    pub stats: Vec<Stat>,
}

fn summarise(runs: &[RunResult]) -> Vec<Group> {
    let mut keys: Vec<(&str, f64)> = Vec::new();
    for r in runs {
        if !keys.contains(&(r.objective.as_str(), r.alpha)) {
            keys.push((&r.objective, r.alpha));
        }
    }
    keys.into_iter()
        .map(|(objective, alpha)| {
            let group: Vec<&RunResult> = runs.iter().filter(|r| r.objective == objective && r.alpha == alpha).collect();
            let stats = METRICS.iter().map(|(key, _)| Stat::of(&group.iter().map(|r| r.eval[*key].as_f64().unwrap_or(f64::NAN)).collect::<Vec<_>>())).collect();
            Group { objective: objective.to_string(), alpha, n: group.len(), stats }
        })
        .collect()
}

fn markdown(groups: &[Group], eval: &Path) -> String {
    let mut s = String::from("# α sweep (hybrid batches: α = share of X-X-mono batches; 1 = pure X-X-mono, 0 = pure X-Y)\n\n");
    s += &format!(
        "Eval set `{}`, LAReQA protocol, each run's best checkpoint by dev Mul mAP. Cells: mean ± sample sd over n seeds. \
         mAP: higher is better; rank distance: lower means less language bias.\n\n",
        eval.display()
    );
    s += "| objective | α |";
    for (_, label) in METRICS {
        s += &format!(" {label} |");
    }
    s += " n |\n|---|---:|";
    s += &"---:|".repeat(METRICS.len() + 1);
    s += "\n";
    for g in groups {
        s += &format!("| {} | {} |", g.objective, g.alpha);
        for st in &g.stats {
            s += &match st.sd {
                Some(sd) => format!(" {:.4} ± {sd:.4} |", st.mean),
                None => format!(" {:.4} |", st.mean),
            };
        }
        s += &format!(" {} |\n", g.n);
    }
    s
}

fn has_repeats<T: PartialEq>(values: &[T]) -> bool {
    values.iter().enumerate().any(|(i, v)| values[..i].contains(v))
}

/// Temp file + rename, so a killed sweep never leaves half a file that would later count as done.
fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
}
