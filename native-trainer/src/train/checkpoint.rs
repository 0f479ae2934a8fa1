//! Checkpoints: `OUT/checkpoints/step-NNNNNNN/` holds config.json, model.safetensors and tokenizer.json (so the
//! folder is itself a Hugging Face model directory), optimizer.safetensors and state.json.
//!
//! Atomicity: a checkpoint is written into a hidden temporary folder next to its final place, synced, and
//! renamed; then `OUT/last` (and `OUT/best`) — symbolic links — are replaced by renaming a new link over the old
//! one. Both renames are atomic on POSIX file systems, so at every instant `last` names a complete checkpoint,
//! whatever moment a kill strikes.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use lingbridge::model::{EncoderConfig, Pooling, Prefixes};
use serde::{Deserialize, Serialize};

use super::model::TrainModel;
use super::optim::AdamW;
use super::settings::Settings;

pub use lingbridge::model::files::{CONFIG, TOKENIZER, WEIGHTS as MODEL};
pub const OPTIMIZER: &str = "optimizer.safetensors";
pub const STATE: &str = "state.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    /// Updates done.
    pub step: usize,
    /// The sampler's random-stream position after `step` batches (a u128, as a decimal string for JSON).
    pub sampler_position: String,
    pub best_dev_map: Option<f64>,
    pub best_step: Option<usize>,
    pub evals_without_improvement: usize,
    pub pooling: Pooling,
    pub query_prefix: String,
    pub passage_prefix: String,
    pub settings: Settings,
    pub config: EncoderConfig,
}

impl State {
    pub fn prefixes(&self) -> Prefixes {
        Prefixes { query: self.query_prefix.clone(), passage: self.passage_prefix.clone() }
    }
}

/// Writes checkpoint `state.step`, points `last` at it (and `best` with `best`), and deletes checkpoints that
/// neither link names. Returns the checkpoint's folder.
pub fn write(out: &Path, state: &State, model: &TrainModel, optimizer: &AdamW, tokenizer_json: &[u8], best: bool) -> anyhow::Result<PathBuf> {
    let dir = out.join("checkpoints");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = format!("step-{:07}", state.step);
    let tmp = dir.join(format!(".tmp-{name}-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let files = || -> anyhow::Result<()> {
        model.save(&tmp.join(MODEL))?;
        pause_for_fault_tests();
        optimizer.save(&tmp.join(OPTIMIZER))?;
        write_synced(&tmp.join(CONFIG), &serde_json::to_vec_pretty(&super::export::hf_config(&state.config))?)?;
        write_synced(&tmp.join(TOKENIZER), tokenizer_json)?;
        write_synced(&tmp.join(STATE), &serde_json::to_vec_pretty(state)?)?;
        for f in [MODEL, OPTIMIZER] {
            std::fs::File::open(tmp.join(f))?.sync_all()?;
        }
        Ok(())
    };
    if let Err(e) = files() {
        // A full disk: give back what the partial checkpoint took; `last` still names the previous one.
        let _ = std::fs::remove_dir_all(&tmp);
        let kept = std::fs::read_link(out.join("last")).map_or("none yet".to_string(), |p| p.display().to_string());
        return Err(e.context(format!("writing checkpoint {name} failed (is the disk full?); the last good checkpoint is kept: {kept}")));
    }
    let target = dir.join(&name);
    if target.exists() {
        // Left by a run killed between this rename and the link swap; `last` cannot name it.
        std::fs::remove_dir_all(&target)?;
    }
    std::fs::rename(&tmp, &target).with_context(|| format!("renaming {} to {}", tmp.display(), target.display()))?;
    sync_dir(&dir)?;
    let relative = Path::new("checkpoints").join(&name);
    swap_link(out, "last", &relative)?;
    if best {
        swap_link(out, "best", &relative)?;
    }
    prune(out, &dir)?;
    Ok(target)
}

/// `LINGBRIDGE_FAULT_CHECKPOINT_PAUSE_MS`: sleep that long in the middle of every checkpoint write, so the
/// fault-injection test (tests/train_faults.rs) can land its SIGKILLs there. Unset in normal use.
fn pause_for_fault_tests() {
    if let Some(ms) = std::env::var("LINGBRIDGE_FAULT_CHECKPOINT_PAUSE_MS").ok().and_then(|v| v.parse::<u64>().ok()) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

pub fn read_state(checkpoint: &Path) -> anyhow::Result<State> {
    let path = checkpoint.join(STATE);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {} (is {} a checkpoint?)", path.display(), checkpoint.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{}", path.display()))
}

fn write_synced(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut f = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::File::open(dir)?.sync_all().with_context(|| format!("syncing {}", dir.display()))
}

/// Replaces `out/name` by a link to `target` in one rename.
fn swap_link(out: &Path, name: &str, target: &Path) -> anyhow::Result<()> {
    let link = out.join(name);
    if link.exists() && !link.is_symlink() {
        bail!("{} is not a link made by `lingbridge train`; move it away", link.display());
    }
    let tmp = out.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    make_link(target, &tmp)?;
    std::fs::rename(&tmp, &link).with_context(|| format!("replacing {}", link.display()))?;
    sync_dir(out)
}

#[cfg(unix)]
fn make_link(target: &Path, link: &Path) -> anyhow::Result<()> {
    std::os::unix::fs::symlink(target, link).with_context(|| format!("linking {}", link.display()))
}

#[cfg(not(unix))]
fn make_link(target: &Path, link: &Path) -> anyhow::Result<()> {
    std::os::windows::fs::symlink_dir(target, link).with_context(|| format!("linking {}", link.display()))
}

/// Removes checkpoints that neither `last` nor `best` names, and temporary folders of dead runs.
fn prune(out: &Path, dir: &Path) -> anyhow::Result<()> {
    let keep: Vec<PathBuf> = ["last", "best"].iter().filter_map(|l| std::fs::canonicalize(out.join(l)).ok()).collect();
    let own_tmp = format!("-{}", std::process::id());
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let stale_tmp = name.starts_with(".tmp-") && !name.ends_with(&own_tmp);
        let old = name.starts_with("step-") && !keep.iter().any(|k| std::fs::canonicalize(&path).is_ok_and(|p| &p == k));
        if stale_tmp || old {
            std::fs::remove_dir_all(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}
