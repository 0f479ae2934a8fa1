//! The CPU backend: candle-transformers' XLM-RoBERTa, for both families (a BERT-family model differs only in its
//! position numbering, which `Weights::var_builder` maps onto XLM-R's; see `EncoderConfig::candle_position_shift`). This is the reference every other path
//! (the WebGPU kernels, quantized files) is tested against, and it is itself tested against
//! Hugging Face transformers (tests/encoder_parity.rs).

use candle_core::{Device, Tensor};
use candle_transformers::models::xlm_roberta::XLMRobertaModel;

use crate::error::{Error, Result, candle_message};
use crate::model::{EncoderConfig, TokenBatch, Weights};

pub struct CpuEncoder {
    model: XLMRobertaModel,
    device: Device,
    hidden: usize,
}

impl CpuEncoder {
    pub fn load(config: &EncoderConfig, weights: Weights) -> Result<Self> {
        let device = Device::Cpu;
        let file = weights.file.clone();
        let vb = weights.candle_var_builder(&device, config)?;
        // candle's own messages name the tensor ("shape mismatch for encoder.layer.0…"); we add the file.
        let model = XLMRobertaModel::new(&config.to_candle(), vb).map_err(|e| Error::invalid(file, candle_message(&e)))?;
        Ok(Self { model, device, hidden: config.hidden_size })
    }

    /// Last hidden states for a padded batch, row-major batch × seq × hidden.
    pub fn hidden_states(&self, batch: &TokenBatch) -> Result<Vec<f32>> {
        let shape = (batch.batch, batch.seq);
        let ctx = "CPU encoder forward pass";
        let ids = Tensor::from_slice(&batch.ids, shape, &self.device).map_err(|e| Error::backend(ctx, candle_message(&e)))?;
        let mask = Tensor::from_slice(&batch.mask, shape, &self.device).map_err(|e| Error::backend(ctx, candle_message(&e)))?;
        let types = ids.zeros_like().map_err(|e| Error::backend(ctx, candle_message(&e)))?;
        let out = self
            .model
            .forward(&ids, &mask, &types, None, None, None)
            .and_then(|t| t.flatten_all())
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| Error::backend(ctx, candle_message(&e)))?;
        debug_assert_eq!(out.len(), batch.batch * batch.seq * self.hidden);
        Ok(out)
    }
}
