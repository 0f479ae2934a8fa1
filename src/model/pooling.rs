//! Pooling: token vectors → one sentence vector, then L2 normalisation. The one place pooling is defined;
//! every backend either calls `pool_and_normalize` or is tested against it.
//!
//! The mode comes from sentence-transformers' `modules.json` → `<pooling folder>/config.json` when present
//! (mean when absent, as sentence-transformers does for a bare transformers checkpoint).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::files::{self, ModelFiles};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    /// Mean over the tokens the attention mask keeps (padding never counts).
    Mean,
    /// The first token (`<s>`, XLM-R's CLS).
    Cls,
}

impl std::str::FromStr for Pooling {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "mean" => Ok(Pooling::Mean),
            "cls" => Ok(Pooling::Cls),
            other => Err(Error::input(format!("unknown pooling \"{other}\" (expected mean or cls)"))),
        }
    }
}

#[derive(Deserialize)]
struct StModule {
    #[serde(default)]
    path: String,
    #[serde(rename = "type")]
    kind: String,
}

const ST_POOLING_TYPE: &str = "sentence_transformers.models.Pooling";

/// Folders of the pooling modules that modules.json lists (normally just `1_Pooling`).
pub fn module_folders(files: &ModelFiles) -> Result<Vec<String>> {
    let Some(modules) = files.json_opt::<Vec<StModule>>(files::ST_MODULES)? else { return Ok(vec![]) };
    Ok(modules.into_iter().filter(|m| m.kind == ST_POOLING_TYPE).map(|m| m.path).collect())
}

/// sentence-transformers' Pooling config. Unknown fields are ignored; the modes we cannot honour are errors.
#[derive(Deserialize, Default)]
struct StPoolingConfig {
    #[serde(default)]
    pooling_mode: Option<String>,
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

impl Pooling {
    /// Chooses pooling from the sentence-transformers files, defaulting to mean.
    pub fn from_files(files: &ModelFiles) -> Result<Self> {
        let folders = module_folders(files)?;
        let name = match folders.as_slice() {
            [] if files.get(files::ST_DEFAULT_POOLING).is_some() => files::ST_DEFAULT_POOLING.to_string(),
            [] => return Ok(Pooling::Mean),
            [one] => format!("{}/config.json", one.trim_end_matches('/')),
            many => {
                return Err(Error::unsupported(
                    files.display(files::ST_MODULES),
                    format!("{} pooling modules ({}); expected one", many.len(), many.join(", ")),
                ));
            }
        };
        let file = files.display(&name);
        let cfg: StPoolingConfig =
            files.json(&name, "modules.json names a Pooling module whose config.json is needed to choose pooling")?;
        if let Some(mode) = cfg.pooling_mode.as_deref() {
            return match mode {
                "mean" => Ok(Pooling::Mean),
                "cls" => Ok(Pooling::Cls),
                other => Err(Error::unsupported(file, format!("pooling_mode \"{other}\" (supported: mean, cls)"))),
            };
        }
        let others = [
            ("pooling_mode_max_tokens", cfg.pooling_mode_max_tokens),
            ("pooling_mode_mean_sqrt_len_tokens", cfg.pooling_mode_mean_sqrt_len_tokens),
            ("pooling_mode_weightedmean_tokens", cfg.pooling_mode_weightedmean_tokens),
            ("pooling_mode_lasttoken", cfg.pooling_mode_lasttoken),
        ];
        if let Some((name, _)) = others.iter().find(|(_, on)| *on) {
            return Err(Error::unsupported(file, format!("{name} (supported: mean tokens, cls token)")));
        }
        match (cfg.pooling_mode_mean_tokens, cfg.pooling_mode_cls_token) {
            (true, false) => Ok(Pooling::Mean),
            (false, true) => Ok(Pooling::Cls),
            (true, true) => Err(Error::unsupported(file, "mean and CLS pooling concatenated (choose one)")),
            (false, false) => Err(Error::invalid(file, "no pooling mode is switched on")),
        }
    }
}

/// Pools `hidden` (batch × seq × dim, row-major) with `mask` (batch × seq, 1 = real token) and
/// L2-normalises each row. Returns batch × dim.
///
/// Mean divides by the number of real tokens (at least 1e-9, as sentence-transformers); normalisation divides by
/// max(‖x‖, 1e-12), as torch's `F.normalize`. Sums run in f64 so the result does not depend on the sequence
/// length the batch was padded to.
pub fn pool_and_normalize(hidden: &[f32], mask: &[u32], batch: usize, seq: usize, dim: usize, pooling: Pooling) -> Vec<f32> {
    assert_eq!(hidden.len(), batch * seq * dim, "hidden state size");
    assert_eq!(mask.len(), batch * seq, "mask size");
    let mut out = vec![0f32; batch * dim];
    let mut acc = vec![0f64; dim];
    for b in 0..batch {
        acc.iter_mut().for_each(|a| *a = 0.0);
        let rows = &hidden[b * seq * dim..(b + 1) * seq * dim];
        match pooling {
            Pooling::Cls => acc.iter_mut().zip(&rows[..dim]).for_each(|(a, &h)| *a = h as f64),
            Pooling::Mean => {
                let mut count = 0f64;
                for (t, row) in rows.chunks_exact(dim).enumerate() {
                    if mask[b * seq + t] != 0 {
                        count += 1.0;
                        acc.iter_mut().zip(row).for_each(|(a, &h)| *a += h as f64);
                    }
                }
                let denom = count.max(1e-9);
                acc.iter_mut().for_each(|a| *a /= denom);
            }
        }
        let norm = acc.iter().map(|a| a * a).sum::<f64>().sqrt().max(1e-12);
        out[b * dim..(b + 1) * dim].iter_mut().zip(&acc).for_each(|(o, a)| *o = (a / norm) as f32);
    }
    out
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
        let err = Pooling::from_files(&files_with(r#"{"pooling_mode_max_tokens":true}"#)).unwrap_err().to_string();
        assert!(err.contains("m/1_Pooling/config.json") && err.contains("pooling_mode_max_tokens"), "{err}");
        let err = Pooling::from_files(&files_with("{not json")).unwrap_err().to_string();
        assert!(err.contains("m/1_Pooling/config.json: invalid JSON"), "{err}");
        let missing = ModelFiles::new("m").with("modules.json", br#"[{"path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]"#.to_vec());
        let err = Pooling::from_files(&missing).unwrap_err().to_string();
        assert!(err.contains("m/1_Pooling/config.json: missing"), "{err}");
    }
}
