//! Pooling: token vectors → one sentence vector, then L2 normalisation. The one place pooling is defined;
//! every backend either calls these functions or is tested against them. (Dense layers between pooling and
//! normalisation are `model::head`'s.)
//!
//! The mode comes from sentence-transformers' `modules.json` → `<pooling folder>/config.json` when present
//! (mean when absent, as sentence-transformers does for a bare transformers checkpoint).
//!
//! Two types: [`PoolingMode`] is every mode a model may declare (mean, CLS, max) and what the encoder runs;
//! [`Pooling`] is the subset a caller can choose (`--pooling`, `EncoderOptions`) and the trainer trains (mean, CLS).
//! They are separate so adding a mode a model can declare never breaks code that matches on the trainable ones.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::files::{self, ModelFiles};
use crate::model::st_modules;

/// Pooling a caller can ask for, and the trainer trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    /// Mean over the tokens the attention mask keeps (padding never counts).
    Mean,
    /// The first token (`<s>` / `[CLS]`).
    Cls,
}

/// Pooling as a model declares it and the encoder runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PoolingMode {
    Mean,
    Cls,
    /// Element-wise maximum over the real tokens (sentence-transformers' `max`: padding never wins).
    Max,
}

impl From<Pooling> for PoolingMode {
    fn from(p: Pooling) -> Self {
        match p {
            Pooling::Mean => PoolingMode::Mean,
            Pooling::Cls => PoolingMode::Cls,
        }
    }
}

impl PartialEq<Pooling> for PoolingMode {
    fn eq(&self, other: &Pooling) -> bool {
        *self == PoolingMode::from(*other)
    }
}

impl std::str::FromStr for Pooling {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "mean" => Ok(Pooling::Mean),
            "cls" => Ok(Pooling::Cls),
            other => {
                let hint = if other == "max" { "; max pooling is read from a model's 1_Pooling/config.json" } else { "" };
                Err(Error::input(format!("unknown pooling \"{other}\" (expected mean or cls{hint})")))
            }
        }
    }
}

/// sentence-transformers' Pooling config, both generations: `pooling_mode` ("mean", or a list of modes, since
/// v5) and the `pooling_mode_*_tokens` booleans (before). Unknown fields are ignored; the modes we cannot honour
/// are errors.
#[derive(Deserialize, Default)]
struct StPoolingConfig {
    #[serde(default)]
    pooling_mode: Option<serde_json::Value>,
    #[serde(default = "yes")]
    include_prompt: bool,
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
    #[serde(default)]
    pooling_mode_weightedmean_tokens: bool,
    #[serde(default)]
    pooling_mode_lasttoken: bool,
}

fn yes() -> bool {
    true
}

const SUPPORTED: &str = "supported: mean, cls, max";

impl Pooling {
    /// Chooses pooling from the sentence-transformers files, defaulting to mean. A model that declares a mode
    /// outside [`Pooling`] (max) is an error here: the encoder reads it through [`PoolingMode::from_files`].
    pub fn from_files(files: &ModelFiles) -> Result<Self> {
        match PoolingMode::from_files(files)? {
            PoolingMode::Mean => Ok(Pooling::Mean),
            PoolingMode::Cls => Ok(Pooling::Cls),
            PoolingMode::Max => Err(Error::unsupported(
                files.display(files::ST_MODULES),
                "max pooling: the encoder runs it, but training and --pooling take mean or cls",
            )),
        }
    }
}

impl PoolingMode {
    /// The pooling the model's sentence-transformers files declare, defaulting to mean.
    pub fn from_files(files: &ModelFiles) -> Result<Self> {
        let folders: Vec<String> = st_modules::st_modules(files)?
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m.kind == st_modules::ModuleKind::Pooling)
            .map(|m| m.path)
            .collect();
        match folders.as_slice() {
            [] if files.get(files::ST_DEFAULT_POOLING).is_some() => Self::from_config(files, files::ST_DEFAULT_POOLING),
            [] => Ok(PoolingMode::Mean),
            [one] => Self::from_config(files, &format!("{}/config.json", one.trim_end_matches('/'))),
            many => Err(Error::unsupported(
                files.display(files::ST_MODULES),
                format!("{} pooling modules ({}); expected one", many.len(), many.join(", ")),
            )),
        }
    }

    /// Reads one Pooling module's config.json (`name` is its path in the model directory).
    pub(crate) fn from_config(files: &ModelFiles, name: &str) -> Result<Self> {
        let file = files.display(name);
        let cfg: StPoolingConfig =
            files.json(name, "modules.json names a Pooling module whose config.json is needed to choose pooling")?;
        if !cfg.include_prompt {
            // sentence-transformers would leave the prompt's tokens out of the pool; we pool every token.
            return Err(Error::unsupported(file, "include_prompt false (prompt tokens left out of pooling)"));
        }
        if let Some(mode) = &cfg.pooling_mode {
            let modes: Vec<&serde_json::Value> = match mode {
                serde_json::Value::Array(list) => list.iter().collect(),
                one => vec![one],
            };
            return match modes.as_slice() {
                [one] => match one.as_str() {
                    Some("mean") => Ok(PoolingMode::Mean),
                    Some("cls") => Ok(PoolingMode::Cls),
                    Some("max") => Ok(PoolingMode::Max),
                    _ => Err(Error::unsupported(file, format!("pooling_mode {one} ({SUPPORTED})"))),
                },
                _ => Err(Error::unsupported(file, format!("pooling_mode {mode}: several modes concatenated (choose one; {SUPPORTED})"))),
            };
        }
        let others = [
            ("pooling_mode_mean_sqrt_len_tokens", cfg.pooling_mode_mean_sqrt_len_tokens),
            ("pooling_mode_weightedmean_tokens", cfg.pooling_mode_weightedmean_tokens),
            ("pooling_mode_lasttoken", cfg.pooling_mode_lasttoken),
        ];
        if let Some((name, _)) = others.iter().find(|(_, on)| *on) {
            return Err(Error::unsupported(file, format!("{name} ({SUPPORTED})")));
        }
        let on = [
            (PoolingMode::Mean, cfg.pooling_mode_mean_tokens),
            (PoolingMode::Cls, cfg.pooling_mode_cls_token),
            (PoolingMode::Max, cfg.pooling_mode_max_tokens),
        ];
        match on.iter().filter(|(_, on)| *on).map(|(m, _)| *m).collect::<Vec<_>>().as_slice() {
            [one] => Ok(*one),
            [] => Err(Error::invalid(file, "no pooling mode is switched on")),
            _ => Err(Error::unsupported(file, format!("several pooling modes concatenated (choose one; {SUPPORTED})"))),
        }
    }
}

/// Pools `hidden` (batch × seq × dim, row-major) with `mask` (batch × seq, 1 = real token): batch × dim, in f64,
/// not normalised (Dense layers may follow).
///
/// Mean divides by the number of real tokens (at least 1e-9, as sentence-transformers); max takes the largest
/// value over real tokens (a row without any gives zeros, where sentence-transformers would give -inf). Sums run
/// in f64 so the result does not depend on the sequence length the batch was padded to.
pub fn pool(hidden: &[f32], mask: &[u32], batch: usize, seq: usize, dim: usize, mode: PoolingMode) -> Vec<f64> {
    assert_eq!(hidden.len(), batch * seq * dim, "hidden state size");
    assert_eq!(mask.len(), batch * seq, "mask size");
    let mut out = vec![0f64; batch * dim];
    for (b, acc) in out.chunks_exact_mut(dim.max(1)).enumerate().take(batch) {
        let rows = &hidden[b * seq * dim..(b + 1) * seq * dim];
        let real = rows.chunks_exact(dim.max(1)).enumerate().filter(|(t, _)| mask[b * seq + t] != 0).map(|(_, r)| r);
        match mode {
            PoolingMode::Cls => acc.iter_mut().zip(&rows[..dim.min(rows.len())]).for_each(|(a, &h)| *a = h as f64),
            PoolingMode::Mean => {
                let mut count = 0f64;
                for row in real {
                    count += 1.0;
                    acc.iter_mut().zip(row).for_each(|(a, &h)| *a += h as f64);
                }
                let denom = count.max(1e-9);
                acc.iter_mut().for_each(|a| *a /= denom);
            }
            PoolingMode::Max => {
                for (k, row) in real.enumerate() {
                    acc.iter_mut().zip(row).for_each(|(a, &h)| *a = if k == 0 { h as f64 } else { a.max(h as f64) });
                }
            }
        }
    }
    out
}

/// Divides each `dim`-long row by max(‖x‖, 1e-12), as torch's `F.normalize`.
pub fn normalize_rows(rows: &[f64], dim: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows.chunks(dim.max(1)) {
        let norm = row.iter().map(|a| a * a).sum::<f64>().sqrt().max(1e-12);
        out.extend(row.iter().map(|a| (a / norm) as f32));
    }
    out
}

/// [`pool`] then [`normalize_rows`]: batch × dim unit vectors (the whole head of a model without Dense layers).
pub fn pool_and_normalize(hidden: &[f32], mask: &[u32], batch: usize, seq: usize, dim: usize, pooling: impl Into<PoolingMode>) -> Vec<f32> {
    normalize_rows(&pool(hidden, mask, batch, seq, dim, pooling.into()), dim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_ignores_padding_and_normalises() {
        // Two tokens (1,0) and (0,1) plus a padded token (100,100) that must not count.
        let hidden = [1.0, 0.0, 0.0, 1.0, 100.0, 100.0];
        let out = pool_and_normalize(&hidden, &[1, 1, 0], 1, 3, 2, Pooling::Mean);
        let s = 1.0 / 2f32.sqrt();
        assert!((out[0] - s).abs() < 1e-7 && (out[1] - s).abs() < 1e-7, "{out:?}");
    }

    #[test]
    fn cls_takes_first_token() {
        let hidden = [3.0, 4.0, 1.0, 1.0];
        let out = pool_and_normalize(&hidden, &[1, 1], 1, 2, 2, Pooling::Cls);
        assert_eq!(out, vec![0.6, 0.8]);
    }

    #[test]
    fn max_takes_the_largest_real_token() {
        // The padded token (9, 9) must not win; a row without real tokens gives zeros, not -inf.
        let hidden = [1.0, -4.0, -2.0, 3.0, 9.0, 9.0];
        let pooled = pool(&hidden, &[1, 1, 0], 1, 3, 2, PoolingMode::Max);
        assert_eq!(pooled, vec![1.0, 3.0]);
        assert_eq!(pool(&hidden, &[0, 0, 0], 1, 3, 2, PoolingMode::Max), vec![0.0, 0.0]);
        let unit = pool_and_normalize(&hidden, &[1, 1, 0], 1, 3, 2, PoolingMode::Max);
        let want = [1.0 / 10f32.sqrt(), 3.0 / 10f32.sqrt()];
        assert!(unit.iter().zip(want).all(|(u, w)| (u - w).abs() < 1e-7), "{unit:?}");
    }

    #[test]
    fn zero_vector_stays_finite() {
        let out = pool_and_normalize(&[0.0, 0.0], &[1], 1, 1, 2, Pooling::Mean);
        assert_eq!(out, vec![0.0, 0.0]);
    }

    fn files_with(pooling_cfg: &str) -> ModelFiles {
        ModelFiles::new("m")
            .with("modules.json", br#"[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]"#.to_vec())
            .with("1_Pooling/config.json", pooling_cfg.as_bytes().to_vec())
    }

    #[test]
    fn reads_sentence_transformers_modes() {
        assert_eq!(Pooling::from_files(&ModelFiles::new("m")).unwrap(), Pooling::Mean);
        assert_eq!(Pooling::from_files(&files_with(r#"{"pooling_mode_cls_token":true}"#)).unwrap(), Pooling::Cls);
        assert_eq!(Pooling::from_files(&files_with(r#"{"pooling_mode_mean_tokens":true}"#)).unwrap(), Pooling::Mean);
        let max = files_with(r#"{"pooling_mode_max_tokens":true}"#);
        assert_eq!(PoolingMode::from_files(&max).unwrap(), PoolingMode::Max);
        let err = Pooling::from_files(&max).unwrap_err().to_string();
        assert!(err.contains("max pooling"), "{err}");
        // sentence-transformers ≥ 5 writes one `pooling_mode` string (or a list).
        assert_eq!(PoolingMode::from_files(&files_with(r#"{"pooling_mode":"max"}"#)).unwrap(), PoolingMode::Max);
        assert_eq!(PoolingMode::from_files(&files_with(r#"{"pooling_mode":["cls"]}"#)).unwrap(), PoolingMode::Cls);
        for (cfg, want) in [
            (r#"{"pooling_mode":["mean","max"]}"#, "concatenated"),
            (r#"{"pooling_mode":"lasttoken"}"#, "lasttoken"),
            (r#"{"pooling_mode_weightedmean_tokens":true}"#, "weightedmean"),
            (r#"{"pooling_mode_mean_tokens":true,"pooling_mode_max_tokens":true}"#, "concatenated"),
            (r#"{"pooling_mode":"mean","include_prompt":false}"#, "include_prompt"),
        ] {
            let err = PoolingMode::from_files(&files_with(cfg)).unwrap_err().to_string();
            assert!(err.contains("m/1_Pooling/config.json") && err.contains(want), "{cfg}: {err}");
        }
        let err = Pooling::from_files(&files_with("{not json")).unwrap_err().to_string();
        assert!(err.contains("m/1_Pooling/config.json: invalid JSON"), "{err}");
        let missing = ModelFiles::new("m").with("modules.json", br#"[{"path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]"#.to_vec());
        let err = Pooling::from_files(&missing).unwrap_err().to_string();
        assert!(err.contains("m/1_Pooling/config.json: missing"), "{err}");
    }
}
