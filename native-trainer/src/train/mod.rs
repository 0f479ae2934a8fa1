//! `lingbridge train`: contrastive fine-tuning of an XLM-R- or BERT-family dual encoder with the hybrid batch sampler
//! (REFERENCE.md, "The method"). One update per batch: embed queries and passages with shared weights, InfoNCE
//! over in-batch (and hard) negatives, AdamW with warm-up and decay, global-norm clipping. Every update is one
//! line of OUT/metrics.jsonl; the dev set is scored every --eval-every updates; checkpoints are atomic and
//! `--resume` continues the same run bit-for-bit on the CPU (weights, optimizer moments and the sampler's
//! random-stream position are all saved).

pub mod checkpoint;
pub mod dev;
pub mod export;
pub mod loss;
pub mod model;
pub mod optim;
pub mod settings;

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use candle_core::Device;
use indicatif::{ProgressBar, ProgressStyle};
use lingbridge::model::{EncoderConfig, ModelFiles, Pooling, Prefixes, TextKind, TextTokenizer, Weights};
use lingbridge::model::files;
use serde_json::json;

use crate::data;
use crate::sampler::{Sampler, Sampling};
use checkpoint::State;
use dev::DevSet;
use model::{Source, TrainModel};
use optim::{AdamW, clip_scale, learning_rate};
pub use settings::TrainArgs as Args;
pub use settings::Settings;

/// Everything that changes as a run goes on.
struct Trainer {
    settings: Settings,
    model: TrainModel,
    optimizer: AdamW,
    tokenizer: TextTokenizer,
    tokenizer_json: Vec<u8>,
    state: State,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let (resume, stop_after) = (args.resume, args.stop_after);
    train(args.merged()?.resolve()?, resume, stop_after).map(|_| ())
}

/// How a run ended (also for `lingbridge sweep`, which calls [`train`] once per setting).
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Updates done (fewer than --steps after an early stop).
    pub steps: usize,
    pub best_dev_map: Option<f64>,
    pub best_step: Option<usize>,
}

/// One training run with resolved settings, into `settings.out` (`resume`: continue OUT/last).
pub fn train(settings: Settings, resume: bool, stop_after: Option<usize>) -> anyhow::Result<Outcome> {
    let device = device(&settings.device)?;
    std::fs::create_dir_all(&settings.out).with_context(|| format!("creating {}", settings.out.display()))?;
    let sources = settings.train.iter().map(|p| data::read_jsonl(p)).collect::<anyhow::Result<Vec<_>>>()?;
    let sampling = Sampling::parse(&settings.sampling, settings.alpha)?;
    let mut sampler = Sampler::new(sources, settings.batch_size, sampling, settings.seed)?;
    let dev = settings.dev.as_deref().map(DevSet::load).transpose()?;
    let metrics_path = settings.out.join("metrics.jsonl");

    let mut t = if resume {
        let t = Trainer::resume(settings, &device)?;
        sampler.set_position(t.state.sampler_position.parse().context("state.json: sampler_position")?);
        keep_metrics_until(&metrics_path, t.state.step)?;
        eprintln!("resuming at update {} of {}", t.state.step, t.settings.steps);
        t
    } else {
        if settings.out.join("last").exists() {
            bail!("{} already holds a run (last checkpoint); pass --resume to continue it or choose another --out", settings.out.display());
        }
        let _ = std::fs::remove_file(&metrics_path);
        Trainer::start(settings, &device)?
    };
    let mut metrics = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&metrics_path)
        .with_context(|| format!("opening {}", metrics_path.display()))?;
    let s = t.settings.clone();
    if let (Some(dev), 0) = (&dev, t.state.step) {
        let scores = t.evaluate(dev)?;
        eprintln!("dev before training: Mul mAP {:.4}", scores["mul_map"]);
        writeln!(metrics, "{}", json!({"step": 0, "dev": scores}))?;
    }

    let bar = ProgressBar::new(s.steps as u64).with_position(t.state.step as u64);
    bar.set_style(ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} (eta {eta})").expect("static template").progress_chars("=> "));
    let mut last_loss = f64::NAN;
    while t.state.step < s.steps {
        let started = Instant::now();
        let step = t.state.step + 1;
        let batch = sampler.next_batch();
        let texts = batch.texts(sampler.records(batch.source), s.hard_negatives);
        let (loss, grad_norm, lr) = t.update(step, &texts.queries, &texts.passages)?;
        t.state.sampler_position = sampler.position().to_string();
        let samples_per_s = batch.pairs.len() as f64 / started.elapsed().as_secs_f64();
        last_loss = loss;

        let mut line = json!({"step": step, "loss": loss, "lr": lr, "grad_norm": grad_norm, "samples_per_s": samples_per_s});
        if texts.negatives_left_out > 0 {
            line["negatives_left_out"] = json!(texts.negatives_left_out);
        }
        let mut best = false;
        if let Some(dev) = dev.as_ref().filter(|_| step % s.eval_every == 0 || step == s.steps) {
            let scores = t.evaluate(dev)?;
            let map = scores["mul_map"].as_f64().unwrap_or(0.0);
            best = t.state.best_dev_map.is_none_or(|b| map > b);
            if best {
                (t.state.best_dev_map, t.state.best_step, t.state.evals_without_improvement) = (Some(map), Some(step), 0);
            } else {
                t.state.evals_without_improvement += 1;
            }
            say(&bar, format!("update {step}: loss {loss:.4}, dev Mul mAP {map:.4}{}", if best { " (best)" } else { "" }));
            line["dev"] = scores;
        }
        writeln!(metrics, "{line}")?;
        let stop_early = s.patience > 0 && t.state.evals_without_improvement >= s.patience;
        if best || stop_early || step % s.save_every == 0 || step == s.steps {
            checkpoint::write(&s.out, &t.state, &t.model, &t.optimizer, &t.tokenizer_json, best)?;
        }
        bar.set_position(step as u64);
        bar.set_message(format!("loss {loss:.4} lr {lr:.2e} {samples_per_s:.0} samples/s"));
        if stop_after == Some(step) {
            // As abrupt as a kill: no clean-up, nothing written after this point.
            std::process::exit(3);
        }
        if stop_early {
            say(&bar, format!("early stop at update {step}: no better dev Mul mAP in {} evaluations", s.patience));
            break;
        }
    }
    bar.finish_and_clear();
    let best = match (t.state.best_dev_map, t.state.best_step) {
        (Some(m), Some(at)) => format!("; best dev Mul mAP {m:.4} at update {at} (OUT/best)"),
        _ => String::new(),
    };
    eprintln!("trained {} updates, last loss {last_loss:.4}{best}; checkpoints in {}", t.state.step, s.out.display());
    Ok(Outcome { steps: t.state.step, best_dev_map: t.state.best_dev_map, best_step: t.state.best_step })
}

/// A checkpoint folder's model and tokenizer (with the run's prefixes and max length) on `device`.
fn load_checkpoint(dir: &Path, max_len: usize, device: &Device) -> anyhow::Result<(State, TrainModel, TextTokenizer, Vec<u8>)> {
    let state = checkpoint::read_state(dir)?;
    let weights = Weights::from_bytes(read(&dir.join(checkpoint::MODEL))?, dir.join(checkpoint::MODEL).display().to_string())?;
    let model = TrainModel::new(&state.config, state.pooling, Source::Weights(weights.var_builder(device)?), device)?;
    let tokenizer_json = read(&dir.join(checkpoint::TOKENIZER))?;
    let tokenizer = tokenizer(&state.config, &tokenizer_json, max_len, &state.prefixes())?;
    Ok((state, model, tokenizer, tokenizer_json))
}

/// Scores a checkpoint folder of the run `settings` on a dev/eval set, as metrics.jsonl records dev scores.
pub fn evaluate_checkpoint(dir: &Path, set: &DevSet, settings: &Settings) -> anyhow::Result<serde_json::Value> {
    let (_, model, tokenizer, _) = load_checkpoint(dir, settings.max_len, &device(&settings.device)?)?;
    scores(set, &model, &tokenizer)
}

/// Dev scores as metrics.jsonl records them.
fn scores(set: &DevSet, model: &TrainModel, tokenizer: &TextTokenizer) -> anyhow::Result<serde_json::Value> {
    let s = set.evaluate(model, tokenizer)?;
    Ok(json!({
        "mo_map": s.mo.map, "cr_map": s.cr.map, "mul_map": s.mul.map,
        "mul_recall_1": s.mul.recall_1, "rank_distance": s.bias.rank_distance,
    }))
}

impl Trainer {
    fn start(settings: Settings, device: &Device) -> anyhow::Result<Self> {
        let files = match (&settings.init, &settings.config_json, &settings.tokenizer) {
            (Some(dir), _, _) => ModelFiles::from_dir(dir)?,
            (None, Some(config), Some(tokenizer)) => ModelFiles::new(format!("{} + {}", config.display(), tokenizer.display()))
                .with(files::CONFIG, read(config)?)
                .with(files::TOKENIZER, read(tokenizer)?),
            _ => unreachable!("Settings::resolve checks where the model starts"),
        };
        let config = EncoderConfig::from_files(&files)?;
        let pooling = match &settings.pooling {
            Some(p) => p.parse()?,
            None => Pooling::from_files(&files)?,
        };
        let mut prefixes = Prefixes::from_files(&files)?;
        if prefixes == Prefixes::none() {
            prefixes = Prefixes::e5();
        }
        let source = if settings.init.is_some() {
            Source::Weights(Weights::from_files(&files)?.var_builder(device)?)
        } else {
            Source::Scratch { seed: settings.seed }
        };
        let mut model = TrainModel::new(&config, pooling, source, device)?;
        if settings.freeze_word_table {
            model.freeze_word_table();
        }
        let optimizer = AdamW::new(model.trainable_vars(), settings.weight_decay)?;
        let tokenizer_json = files.require(files::TOKENIZER, "training needs the tokenizer")?.to_vec();
        let tokenizer = tokenizer(&config, &tokenizer_json, settings.max_len, &prefixes)?;
        let state = State {
            step: 0,
            sampler_position: "0".into(),
            best_dev_map: None,
            best_step: None,
            evals_without_improvement: 0,
            pooling,
            query_prefix: prefixes.query,
            passage_prefix: prefixes.passage,
            settings: settings.clone(),
            config,
        };
        Ok(Self { settings, model, optimizer, tokenizer, tokenizer_json, state })
    }

    fn resume(settings: Settings, device: &Device) -> anyhow::Result<Self> {
        let dir = settings.out.join("last");
        if !dir.exists() {
            bail!("nothing to resume: {} has no checkpoint (`last`)", settings.out.display());
        }
        let differ = settings.differences_that_break_resume(&checkpoint::read_state(&dir)?.settings);
        if !differ.is_empty() {
            bail!("--resume with other settings than the checkpoint's ({}): that would be a different run", differ.join(", "));
        }
        let (mut state, mut model, tokenizer, tokenizer_json) = load_checkpoint(&dir, settings.max_len, device)?;
        if settings.freeze_word_table {
            model.freeze_word_table();
        }
        let mut optimizer = AdamW::new(model.trainable_vars(), settings.weight_decay)?;
        optimizer.load(&dir.join(checkpoint::OPTIMIZER), state.step as u64)?;
        if settings.steps != state.settings.steps {
            // Allowed (a run may be extended), but the decay then differs from the interrupted run's plan.
            eprintln!("note: --steps {} (the checkpoint planned {}): the learning rate decays towards the new total", settings.steps, state.settings.steps);
        }
        state.settings = settings.clone();
        Ok(Self { settings, model, optimizer, tokenizer, tokenizer_json, state })
    }

    /// One update; returns (loss, gradient norm before clipping, learning rate). A non-finite loss or gradient
    /// stops the run before the weights change, so `last` stays the last good checkpoint.
    fn update(&mut self, step: usize, queries: &[&str], passages: &[&str]) -> anyhow::Result<(f64, f64, f64)> {
        let s = &self.settings;
        let q = self.model.embed(&self.tokenizer.batch(queries, TextKind::Query)?)?;
        let p = self.model.embed(&self.tokenizer.batch(passages, TextKind::Passage)?)?;
        let loss = loss::info_nce(&q, &p, s.temperature, s.symmetric)?;
        let value = loss.to_scalar::<f32>()? as f64;
        let grads = loss.backward()?;
        let norm = self.optimizer.grad_norm(&grads)?;
        if !value.is_finite() || !norm.is_finite() {
            let what = if value.is_finite() { format!("gradient norm is {norm}") } else { format!("loss is {value}") };
            let kept = match self.state.step {
                0 => "no checkpoint was written yet".to_string(),
                _ => format!("the last good checkpoint is {} ({})", s.out.join("last").display(), self.last_saved()),
            };
            bail!("the {what} at update {step} (lr {:.3e}): training stopped; {kept}. Lower --lr or lengthen --warmup.", learning_rate(s.lr, step, s.warmup, s.steps));
        }
        let lr = learning_rate(s.lr, step, s.warmup, s.steps);
        self.optimizer.update(&grads, lr, clip_scale(norm, (s.clip > 0.0).then_some(s.clip)))?;
        self.state.step = step;
        Ok((value, norm, lr))
    }

    fn last_saved(&self) -> String {
        checkpoint::read_state(&self.settings.out.join("last")).map(|st| format!("update {}", st.step)).unwrap_or_else(|_| "none".into())
    }

    /// Dev scores as metrics.jsonl records them.
    fn evaluate(&self, dev: &DevSet) -> anyhow::Result<serde_json::Value> {
        scores(dev, &self.model, &self.tokenizer)
    }
}

/// The model's tokenizer with the run's prefixes and max length (through sentence_bert_config.json, the same
/// file an exported model carries, so training and inference truncate alike).
fn tokenizer(config: &EncoderConfig, tokenizer_json: &[u8], max_len: usize, prefixes: &Prefixes) -> anyhow::Result<TextTokenizer> {
    let files = ModelFiles::new("training model")
        .with(files::TOKENIZER, tokenizer_json.to_vec())
        .with(files::ST_BERT_CONFIG, serde_json::to_vec(&json!({"max_seq_length": max_len}))?);
    let mut tokenizer = TextTokenizer::from_files(&files, config)?;
    tokenizer.prefixes = prefixes.clone();
    Ok(tokenizer)
}

/// A line above the progress bar, or on stderr when there is no bar (not a terminal: logs, CI).
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() { eprintln!("{line}") } else { bar.println(line) }
}

fn device(name: &str) -> anyhow::Result<Device> {
    if name == "cpu" {
        return Ok(Device::Cpu);
    }
    let Some(ordinal) = name.strip_prefix("cuda:").and_then(|n| n.parse().ok()) else {
        bail!("--device {name:?}: expected cpu or cuda:N");
    };
    Device::new_cuda(ordinal)
        .with_context(|| format!("--device {name} (CUDA needs a binary built with `--features cuda`; see README.md)"))
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// On resume, drops metric lines of updates after the checkpoint (they will be done again).
fn keep_metrics_until(path: &Path, step: usize) -> anyhow::Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(()) };
    let kept: String = text
        .lines()
        .filter(|l| serde_json::from_str::<serde_json::Value>(l).ok().and_then(|v| v["step"].as_u64()).is_some_and(|s| s as usize <= step))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(path, kept).with_context(|| format!("rewriting {}", path.display()))
}
