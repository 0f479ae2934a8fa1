//! Reading `model.safetensors` into a candle `VarBuilder`, after checks that turn the usual ways a weights file
//! goes wrong (truncated download, int8 export, masked-LM prefix) into messages that name the file and tensor.

use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use safetensors::{Dtype, SafeTensors};

use crate::error::{Error, Result, candle_message};
use crate::model::files::{self, ModelFiles};

/// Masked-LM checkpoints (e.g. `xlm-roberta-base`) keep the encoder under this prefix.
const MLM_PREFIX: &str = "roberta";
/// A tensor every XLM-R encoder has, used to find where the encoder's weights start.
const PROBE: &str = "embeddings.word_embeddings.weight";

/// Checked safetensors bytes plus where the encoder's tensors live inside them.
pub struct Weights {
    bytes: Vec<u8>,
    /// "" or "roberta".
    pub prefix: &'static str,
    pub file: String,
}

impl Weights {
    pub fn from_files(files: &ModelFiles) -> Result<Self> {
        let file = files.display(files::WEIGHTS);
        let bytes = files.require(files::WEIGHTS, "the encoder's weights (safetensors) are needed")?;
        Self::from_bytes(bytes.to_vec(), file)
    }

    pub fn from_bytes(bytes: Vec<u8>, file: String) -> Result<Self> {
        let st = SafeTensors::deserialize(&bytes).map_err(|e| {
            Error::invalid(&file, format!("not a readable safetensors file ({e}); is the download truncated?"))
        })?;
        for (name, view) in st.tensors() {
            match view.dtype() {
                Dtype::F32 | Dtype::F16 | Dtype::BF16 => {}
                other => {
                    return Err(Error::unsupported(
                        &file,
                        format!("tensor {name} has dtype {other:?}; expected F32, F16 or BF16 (use `lingbridge quantize` for smaller files)"),
                    ));
                }
            }
        }
        let names: Vec<String> = st.names().into_iter().map(str::to_string).collect();
        let has = |n: &str| names.iter().any(|k| k == n);
        let prefix = if has(PROBE) {
            ""
        } else if has(&format!("{MLM_PREFIX}.{PROBE}")) {
            MLM_PREFIX
        } else {
            let hint = if names.iter().any(|n| n.starts_with("bert.") || n.contains("embeddings.word_embeddings")) {
                " (the layout looks like BERT's, which is not supported yet)"
            } else {
                ""
            };
            return Err(Error::invalid(&file, format!("no tensor {PROBE} (or {MLM_PREFIX}.{PROBE}){hint}")));
        };
        drop(st);
        Ok(Self { bytes, prefix, file })
    }

    /// A VarBuilder over the encoder's tensors, converted to f32 on `device`.
    pub fn var_builder(self, device: &Device) -> Result<VarBuilder<'static>> {
        let vb = VarBuilder::from_buffered_safetensors(self.bytes, DType::F32, device)
            .map_err(|e| Error::invalid(&self.file, candle_message(&e)))?;
        Ok(if self.prefix.is_empty() { vb } else { vb.pp(self.prefix) })
    }
}
