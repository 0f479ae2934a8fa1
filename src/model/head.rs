//! The sentence head: what sentence-transformers does after the Transformer module, as `modules.json` lists it —
//! Pooling, then 0..n Dense layers (LaBSE has one: 768 → 768, tanh), then Normalize. Our output contract is unit
//! vectors whatever the files say (retrieval is cosine), so normalisation always ends the head; a Normalize module
//! is accepted where sentence-transformers puts it (last).
//!
//! Dense weights live in `<folder>/model.safetensors` (`linear.weight` `[out, in]`, `linear.bias` `[out]`); a GGUF
//! file carries them as the f32 tensors `dense.{i}.weight` / `dense.{i}.bias` ([`gguf_tensor_names`]), `i` counting
//! Dense modules in modules.json order. `pytorch_model.bin` (a pickle) is refused by name.
//!
//! The CPU computes the head in f64 here ([`SentenceHead::apply`]); the GPU runs `ops::pool` + `ops::dense`, tested
//! against their twins and, end to end, against this.

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::model::files::{self, ModelFiles};
use crate::model::pooling::{self, PoolingMode};
use crate::model::st_modules::{ModuleKind, st_modules};
use crate::model::weights::Weights;

/// A Dense layer's activation (sentence-transformers stores the torch class name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenseActivation {
    Identity,
    Tanh,
}

impl DenseActivation {
    fn from_torch(name: &str) -> Option<Self> {
        match name {
            "torch.nn.modules.linear.Identity" | "torch.nn.Identity" => Some(Self::Identity),
            "torch.nn.modules.activation.Tanh" | "torch.nn.Tanh" => Some(Self::Tanh),
            _ => None,
        }
    }

    pub fn apply(self, x: f64) -> f64 {
        match self {
            Self::Identity => x,
            Self::Tanh => x.tanh(),
        }
    }
}

/// `y = act(W·x + b)`: sentence-transformers' `Dense`.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseLayer {
    pub in_features: usize,
    pub out_features: usize,
    /// Row-major `[out, in]`, as `nn.Linear` stores it.
    pub weight: Vec<f32>,
    /// `[out]`; zeros for a layer saved with `bias: false` (the same function, one kernel for both).
    pub bias: Vec<f32>,
    pub activation: DenseActivation,
}

impl DenseLayer {
    /// One row through the layer, in f64.
    pub fn forward(&self, x: &[f64]) -> Vec<f64> {
        self.weight
            .chunks_exact(self.in_features.max(1))
            .zip(&self.bias)
            .map(|(w, &b)| self.activation.apply(w.iter().zip(x).map(|(&w, &x)| w as f64 * x).sum::<f64>() + b as f64))
            .collect()
    }
}

/// sentence-transformers' Dense config.json. The defaults are its constructor's (newer versions omit keys at
/// their default when saving; an absent activation means Tanh there too).
#[derive(Deserialize)]
struct DenseConfig {
    in_features: usize,
    out_features: usize,
    #[serde(default = "yes")]
    bias: bool,
    #[serde(default)]
    activation_function: Option<String>,
    #[serde(default)]
    use_residual: bool,
    #[serde(default)]
    module_input_name: Option<String>,
    #[serde(default)]
    module_output_name: Option<String>,
}

fn yes() -> bool {
    true
}

/// The GGUF tensor names of the `i`-th Dense layer's weight and bias.
pub fn gguf_tensor_names(i: usize) -> (String, String) {
    (format!("dense.{i}.weight"), format!("dense.{i}.bias"))
}

/// Whether a GGUF tensor belongs to the sentence head rather than the encoder.
pub fn is_head_tensor(name: &str) -> bool {
    name.starts_with("dense.")
}

/// Whether a model file is a module's weights (`2_Dense/model.safetensors`): carried as GGUF tensors, never
/// embedded as text.
pub fn is_module_weights(name: &str) -> bool {
    name.contains('/') && (name.ends_with("/model.safetensors") || name.ends_with("/pytorch_model.bin"))
}

/// Pooling → Dense layers → L2 normalisation.
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceHead {
    pub pooling: PoolingMode,
    pub dense: Vec<DenseLayer>,
}

impl SentenceHead {
    /// Pooling alone (a model without Dense modules).
    pub fn pooling_only(pooling: PoolingMode) -> Self {
        Self { pooling, dense: Vec::new() }
    }

    /// The head modules.json describes, checked against the encoder's `hidden` size.
    pub fn from_files(files: &ModelFiles, hidden: usize) -> Result<Self> {
        // The module list first: an unsupported layout is the more fundamental error than a pooling config.
        let dense = dense_layers(files)?;
        let head = Self { pooling: PoolingMode::from_files(files)?, dense };
        head.check(files, hidden)?;
        Ok(head)
    }

    /// Sentence vector size: the last Dense layer's output, or the encoder's hidden size.
    pub fn dim(&self, hidden: usize) -> usize {
        self.dense.last().map_or(hidden, |d| d.out_features)
    }

    /// Each layer's input is the previous output.
    fn check(&self, files: &ModelFiles, hidden: usize) -> Result<()> {
        let mut dim = hidden;
        for (i, d) in self.dense.iter().enumerate() {
            if d.in_features != dim {
                return Err(Error::invalid(
                    files.display(files::ST_MODULES),
                    format!("Dense layer {i} takes {} values but receives {dim} (hidden_size or the previous layer's out_features)", d.in_features),
                ));
            }
            dim = d.out_features;
        }
        Ok(())
    }

    /// Hidden states (batch × seq × hidden) → batch × [`SentenceHead::dim`] unit vectors, in f64 until the end.
    pub fn apply(&self, hidden_states: &[f32], mask: &[u32], batch: usize, seq: usize, hidden: usize) -> Vec<f32> {
        let mut x = pooling::pool(hidden_states, mask, batch, seq, hidden, self.pooling);
        let mut dim = hidden;
        for layer in &self.dense {
            x = x.chunks(dim.max(1)).flat_map(|row| layer.forward(row)).collect();
            dim = layer.out_features;
        }
        pooling::normalize_rows(&x, dim)
    }
}

/// The Dense layers modules.json lists, in order, with their weights; errors for modules the head cannot run.
pub fn dense_layers(files: &ModelFiles) -> Result<Vec<DenseLayer>> {
    let Some(modules) = st_modules(files)? else { return Ok(Vec::new()) };
    let list = files.display(files::ST_MODULES);
    let (mut pooled, mut normalized) = (false, false);
    let mut layers = Vec::new();
    for m in &modules {
        match &m.kind {
            ModuleKind::Transformer if pooled => return Err(Error::unsupported(&list, "a Transformer module after pooling")),
            ModuleKind::Transformer => {}
            ModuleKind::Pooling => pooled = true,
            ModuleKind::Normalize => normalized = true,
            ModuleKind::Dense if !pooled => {
                return Err(Error::unsupported(&list, format!("Dense module {} before Pooling (token-level Dense layers)", m.path)));
            }
            ModuleKind::Dense if normalized => {
                return Err(Error::unsupported(&list, format!("Dense module {} after Normalize (embeddings are normalised last)", m.path)));
            }
            ModuleKind::Dense => layers.push(read_dense(files, &m.path, layers.len())?),
            ModuleKind::Other(t) => {
                return Err(Error::unsupported(&list, format!("module {t} (supported: Transformer, Pooling, Dense, Normalize)")));
            }
        }
    }
    Ok(layers)
}

/// The `i`-th Dense layer from its folder: config.json, and weights from the folder's model.safetensors or,
/// in a GGUF model, from the file's `dense.{i}.*` tensors.
fn read_dense(files: &ModelFiles, folder: &str, i: usize) -> Result<DenseLayer> {
    let config_name = format!("{folder}/config.json");
    let config_file = files.display(&config_name);
    let cfg: DenseConfig = files.json(&config_name, "modules.json lists a Dense module; its config.json gives its shape")?;
    if cfg.use_residual {
        return Err(Error::unsupported(&config_file, "use_residual (a residual Dense layer)"));
    }
    for name in [&cfg.module_input_name, &cfg.module_output_name].into_iter().flatten() {
        if name != "sentence_embedding" {
            return Err(Error::unsupported(&config_file, format!("a Dense layer on \"{name}\" (only \"sentence_embedding\")")));
        }
    }
    let activation = match cfg.activation_function.as_deref() {
        None => DenseActivation::Tanh,
        Some(name) => DenseActivation::from_torch(name).ok_or_else(|| {
            Error::unsupported(&config_file, format!("activation_function \"{name}\" (supported: torch.nn.modules.activation.Tanh, torch.nn.modules.linear.Identity)"))
        })?,
    };
    let (out, inp) = (cfg.out_features, cfg.in_features);
    if out == 0 || inp == 0 {
        return Err(Error::invalid(&config_file, "in_features and out_features must be positive"));
    }
    let st_name = format!("{folder}/model.safetensors");
    let (weight, bias) = if let Some(bytes) = files.get(&st_name) {
        read_safetensors(bytes, &files.display(&st_name), out, inp, cfg.bias)?
    } else if files.get(files::GGUF).is_some() {
        let w = Weights::from_files(files)?;
        let (wn, bn) = gguf_tensor_names(i);
        let missing = |e: Error| Error::invalid(&w.file, format!("{e}: modules.json lists Dense module {folder}, whose weights a GGUF file holds as {wn}/{bn}"));
        (w.f32(&wn, &[out, inp]).map_err(missing)?, w.f32(&bn, &[out]).map_err(missing)?)
    } else if files.get(&format!("{folder}/pytorch_model.bin")).is_some() {
        return Err(Error::unsupported(
            files.display(&format!("{folder}/pytorch_model.bin")),
            "PyTorch pickles are not read; save the Dense module with safe_serialization=True (model.safetensors)",
        ));
    } else {
        return Err(Error::MissingFile { file: files.display(&st_name), why: "the Dense module's weights".into() });
    };
    Ok(DenseLayer { in_features: inp, out_features: out, weight, bias, activation })
}

/// `linear.weight` `[out, in]` and `linear.bias` `[out]` (zeros when the layer has none), as f32.
fn read_safetensors(bytes: &[u8], file: &str, out: usize, inp: usize, with_bias: bool) -> Result<(Vec<f32>, Vec<f32>)> {
    use safetensors::{Dtype, SafeTensors};
    let st = SafeTensors::deserialize(bytes).map_err(|e| Error::invalid(file, format!("not a readable safetensors file ({e})")))?;
    let tensor = |name: &str, shape: &[usize]| -> Result<Vec<f32>> {
        let view = st.tensor(name).map_err(|_| Error::invalid(file, format!("no tensor {name}")))?;
        if view.shape() != shape {
            return Err(Error::invalid(file, format!("tensor {name} has shape {:?}, but config.json says {shape:?}", view.shape())));
        }
        let data = view.data();
        Ok(match view.dtype() {
            Dtype::F32 => data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
            Dtype::F16 => data.chunks_exact(2).map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
            Dtype::BF16 => data.chunks_exact(2).map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
            other => return Err(Error::unsupported(file, format!("tensor {name} has dtype {other:?}; expected F32, F16 or BF16"))),
        })
    };
    let weight = tensor("linear.weight", &[out, inp])?;
    let bias = if with_bias { tensor("linear.bias", &[out])? } else { vec![0.0; out] };
    Ok((weight, bias))
}

/// One tensor of the head as a GGUF file stores it: name, shape, f32 values.
pub type HeadTensor = (String, Vec<usize>, Vec<f32>);

/// The tensors a GGUF file carries for the head: weight and bias of each Dense layer.
pub fn gguf_tensors(files: &ModelFiles) -> Result<Vec<HeadTensor>> {
    let mut out = Vec::new();
    for (i, d) in dense_layers(files)?.into_iter().enumerate() {
        let (wn, bn) = gguf_tensor_names(i);
        out.push((wn, vec![d.out_features, d.in_features], d.weight));
        out.push((bn, vec![d.out_features], d.bias));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULES: &[u8] = br#"[{"path":"","type":"sentence_transformers.models.Transformer"},{"path":"1_Pooling","type":"sentence_transformers.models.Pooling"},{"path":"2_Dense","type":"sentence_transformers.models.Dense"},{"path":"3_Normalize","type":"sentence_transformers.models.Normalize"}]"#;

    fn dense_files(config: &str, weights: Option<Vec<u8>>) -> ModelFiles {
        let files = ModelFiles::new("m")
            .with("modules.json", MODULES.to_vec())
            .with("1_Pooling/config.json", br#"{"pooling_mode":"cls"}"#.to_vec())
            .with("2_Dense/config.json", config.as_bytes().to_vec());
        match weights {
            Some(w) => files.with("2_Dense/model.safetensors", w),
            None => files,
        }
    }

    fn safetensors_of(tensors: &[(&str, Vec<usize>, Vec<f32>)]) -> Vec<u8> {
        let bytes: Vec<Vec<u8>> = tensors.iter().map(|(_, _, v)| v.iter().flat_map(|x| x.to_le_bytes()).collect()).collect();
        let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = tensors
            .iter()
            .zip(&bytes)
            .map(|((n, s, _), b)| (n.to_string(), safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b).unwrap()))
            .collect();
        safetensors::serialize(views, None).unwrap()
    }

    #[test]
    fn reads_dense_and_applies_the_head() {
        // W = [[1, 0], [0, 2], [1, 1]], b = [0, 0, -1], identity: CLS (3, 4) → (3, 8, 6) → normalised.
        let w = safetensors_of(&[("linear.weight", vec![3, 2], vec![1.0, 0.0, 0.0, 2.0, 1.0, 1.0]), ("linear.bias", vec![3], vec![0.0, 0.0, -1.0])]);
        let files = dense_files(r#"{"in_features":2,"out_features":3,"activation_function":"torch.nn.modules.linear.Identity"}"#, Some(w));
        let head = SentenceHead::from_files(&files, 2).unwrap();
        assert_eq!((head.pooling, head.dense.len(), head.dim(2)), (PoolingMode::Cls, 1, 3));
        let got = head.apply(&[3.0, 4.0, 100.0, 100.0], &[1, 1], 1, 2, 2);
        let n = (9.0f64 + 64.0 + 36.0).sqrt();
        let want = [3.0 / n, 8.0 / n, 6.0 / n];
        assert!(got.iter().zip(want).all(|(g, w)| (*g as f64 - w).abs() < 1e-7), "{got:?}");
        // Absent activation = Tanh (sentence-transformers' default), absent bias = true.
        let w = safetensors_of(&[("linear.weight", vec![1, 2], vec![1.0, 1.0]), ("linear.bias", vec![1], vec![0.5])]);
        let head = SentenceHead::from_files(&dense_files(r#"{"in_features":2,"out_features":1}"#, Some(w)), 2).unwrap();
        assert_eq!(head.dense[0].activation, DenseActivation::Tanh);
        assert_eq!(head.dense[0].forward(&[0.25, 0.25]), vec![1f64.tanh()]);
    }

    #[test]
    fn bad_dense_modules_are_named_errors() {
        let ok_weights = || safetensors_of(&[("linear.weight", vec![2, 2], vec![0.0; 4]), ("linear.bias", vec![2], vec![0.0; 2])]);
        let cases: Vec<(ModelFiles, &str)> = vec![
            (dense_files(r#"{"in_features":2,"out_features":2,"activation_function":"torch.nn.modules.activation.ReLU"}"#, Some(ok_weights())), "activation_function \"torch.nn.modules.activation.ReLU\""),
            (dense_files(r#"{"in_features":3,"out_features":2}"#, Some(ok_weights())), "shape [2, 2], but config.json says [2, 3]"),
            (dense_files(r#"{"in_features":2,"out_features":2}"#, None), "m/2_Dense/model.safetensors: missing"),
            (dense_files(r#"{"in_features":2,"out_features":2}"#, None).with("2_Dense/pytorch_model.bin", vec![0x80, 2]), "pytorch_model.bin: unsupported"),
            (dense_files(r#"{"in_features":2,"out_features":2}"#, Some(b"junk".to_vec())), "not a readable safetensors"),
            (dense_files(r#"{"in_features":2,"out_features":2,"use_residual":true}"#, Some(ok_weights())), "use_residual"),
            (dense_files(r#"{"in_features":2}"#, Some(ok_weights())), "m/2_Dense/config.json: invalid JSON"),
        ];
        for (files, want) in cases {
            let err = SentenceHead::from_files(&files, 2).unwrap_err().to_string();
            assert!(err.contains(want), "want {want:?} in: {err}");
        }
        // The chain of sizes: hidden 4 cannot feed a 2-input layer.
        let err = SentenceHead::from_files(&dense_files(r#"{"in_features":2,"out_features":2}"#, Some(ok_weights())), 4).unwrap_err().to_string();
        assert!(err.contains("Dense layer 0 takes 2 values but receives 4"), "{err}");
        // Modules the head cannot run.
        let odd = ModelFiles::new("m").with("modules.json", br#"[{"path":"","type":"sentence_transformers.models.Transformer"},{"path":"1_LayerNorm","type":"sentence_transformers.models.LayerNorm"}]"#.to_vec());
        let err = SentenceHead::from_files(&odd, 2).unwrap_err().to_string();
        assert!(err.contains("m/modules.json: unsupported: module sentence_transformers.models.LayerNorm"), "{err}");
        let early = ModelFiles::new("m").with("modules.json", br#"[{"path":"2_Dense","type":"sentence_transformers.models.Dense"},{"path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]"#.to_vec());
        assert!(SentenceHead::from_files(&early, 2).unwrap_err().to_string().contains("before Pooling"));
    }

    #[test]
    fn newer_module_paths_are_recognised() {
        assert_eq!(crate::model::st_modules::kind_of("sentence_transformers.base.modules.dense.Dense"), ModuleKind::Dense);
        assert_eq!(crate::model::st_modules::kind_of("sentence_transformers.models.Normalize"), ModuleKind::Normalize);
        assert_eq!(crate::model::st_modules::kind_of("my_package.Dense"), ModuleKind::Other("my_package.Dense".into()));
        assert!(is_module_weights("2_Dense/model.safetensors") && !is_module_weights("model.safetensors"));
    }
}
