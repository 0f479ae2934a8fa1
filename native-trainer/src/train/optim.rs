//! AdamW, global-norm gradient clipping and the linear warm-up / linear decay schedule.
//!
//! Why our own AdamW rather than `candle_nn::AdamW`: candle keeps the moment estimates and step count private,
//! so they cannot be saved, and `--resume` must continue bit-for-bit; here they are plain tensors written to
//! `optimizer.safetensors`. The update is PyTorch's `torch.optim.AdamW` (decoupled decay, bias correction).

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, bail};
use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};

pub struct AdamW {
    params: Vec<Param>,
    /// Updates done so far (the bias-correction exponent).
    pub step: u64,
    pub weight_decay: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
}

struct Param {
    name: String,
    var: Var,
    m: Tensor,
    v: Tensor,
    decay: bool,
}

impl AdamW {
    /// `vars` in a fixed order. Biases and LayerNorm weights get no weight decay, as in transformers' Trainer and
    /// sentence-transformers' `fit` (decaying them only pulls normalisation scales towards zero).
    pub fn new(vars: Vec<(String, Var)>, weight_decay: f64) -> candle_core::Result<Self> {
        let params = vars
            .into_iter()
            .map(|(name, var)| {
                let zeros = var.as_tensor().zeros_like()?;
                let decay = !(name.ends_with(".bias") || name.contains("LayerNorm"));
                Ok(Param { name, m: zeros.clone(), v: zeros, var, decay })
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Self { params, step: 0, weight_decay, beta1: 0.9, beta2: 0.999, eps: 1e-8 })
    }

    /// The L2 norm of all gradients together.
    pub fn grad_norm(&self, grads: &GradStore) -> candle_core::Result<f64> {
        let squares: Vec<Tensor> = self
            .params
            .iter()
            .filter_map(|p| grads.get(p.var.as_tensor()))
            .map(|g| g.sqr()?.sum_all()?.to_dtype(candle_core::DType::F64))
            .collect::<candle_core::Result<_>>()?;
        if squares.is_empty() {
            return Ok(0.0);
        }
        // One stack and one read: a single device sync per step on CUDA.
        Ok(Tensor::stack(&squares, 0)?.sum_all()?.to_scalar::<f64>()?.sqrt())
    }

    /// One update with learning rate `lr`, gradients scaled by `scale` (clipping). Parameters without a
    /// gradient (the pooler) are left alone, moments and decay included, as PyTorch does.
    pub fn update(&mut self, grads: &GradStore, lr: f64, scale: f64) -> candle_core::Result<()> {
        self.step += 1;
        let t = self.step as i32;
        let (b1, b2) = (self.beta1, self.beta2);
        let correction1 = 1.0 - b1.powi(t);
        let correction2 = 1.0 - b2.powi(t);
        for p in &mut self.params {
            let Some(g) = grads.get(p.var.as_tensor()) else { continue };
            let g = (g.detach() * scale)?;
            p.m = ((&p.m * b1)? + (&g * (1.0 - b1))?)?;
            p.v = ((&p.v * b2)? + (g.sqr()? * (1.0 - b2))?)?;
            let step = ((&p.m / correction1)? / ((&p.v / correction2)?.sqrt()? + self.eps)?)?;
            let theta = p.var.as_tensor().detach();
            let theta = if p.decay { (theta * (1.0 - lr * self.weight_decay))? } else { theta };
            p.var.set(&(theta - (step * lr)?)?)?;
        }
        Ok(())
    }

    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let mut tensors = HashMap::new();
        for p in &self.params {
            tensors.insert(format!("m.{}", p.name), p.m.clone());
            tensors.insert(format!("v.{}", p.name), p.v.clone());
        }
        candle_core::safetensors::save(&tensors, path).with_context(|| format!("writing {}", path.display()))
    }

    pub fn load(&mut self, path: &Path, step: u64) -> anyhow::Result<()> {
        let device = self.params.first().map(|p| p.var.device().clone()).unwrap_or(candle_core::Device::Cpu);
        let mut tensors = candle_core::safetensors::load(path, &device).with_context(|| format!("reading {}", path.display()))?;
        for p in &mut self.params {
            let (Some(m), Some(v)) = (tensors.remove(&format!("m.{}", p.name)), tensors.remove(&format!("v.{}", p.name))) else {
                bail!("{}: no moments for {} (a checkpoint of another model?)", path.display(), p.name);
            };
            if m.dims() != p.var.dims() || v.dims() != p.var.dims() {
                bail!("{}: moments of {} have shape {:?}, the model's is {:?}", path.display(), p.name, m.dims(), p.var.dims());
            }
            (p.m, p.v) = (m, v);
        }
        self.step = step;
        Ok(())
    }
}

/// Factor for clipping to `max_norm` (PyTorch's `clip_grad_norm_`: max_norm / (norm + 1e-6) when above).
pub fn clip_scale(norm: f64, max_norm: Option<f64>) -> f64 {
    match max_norm {
        Some(c) if norm > c => c / (norm + 1e-6),
        _ => 1.0,
    }
}

/// Learning rate of update `t` (1-based) of `total`: linear warm-up over `warmup` updates to `peak`, then linear
/// decay; unlike transformers' schedule neither the first nor the last update gets a zero rate.
pub fn learning_rate(peak: f64, t: usize, warmup: usize, total: usize) -> f64 {
    if t <= warmup {
        peak * t as f64 / warmup as f64
    } else {
        peak * (total.saturating_sub(t) + 1) as f64 / (total - warmup) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn schedule_rises_then_falls() {
        let lr: Vec<f64> = (1..=10).map(|t| learning_rate(1.0, t, 4, 10)).collect();
        assert_eq!(&lr[..4], &[0.25, 0.5, 0.75, 1.0]);
        assert!((lr[4] - 1.0).abs() < 1e-12 && (lr[9] - 1.0 / 6.0).abs() < 1e-12);
        assert!(lr.windows(2).skip(4).all(|w| w[1] < w[0]));
        assert_eq!(clip_scale(0.5, Some(1.0)), 1.0);
        assert!((clip_scale(4.0, Some(1.0)) - 0.25).abs() < 1e-6);
    }

    /// Two AdamW steps on f(x) = Σ x² against PyTorch's formula written out in f64.
    #[test]
    fn matches_pytorch_adamw() {
        let x = Var::from_slice(&[1.0f32, -2.0], 2, &Device::Cpu).unwrap();
        let mut opt = AdamW::new(vec![("w.weight".into(), x.clone())], 0.01).unwrap();
        let (lr, b1, b2, eps, wd) = (0.1, 0.9, 0.999, 1e-8, 0.01);
        let mut want = [1.0f64, -2.0];
        let (mut m, mut v) = ([0.0f64; 2], [0.0f64; 2]);
        for t in 1..=2 {
            let grads = x.as_tensor().sqr().unwrap().sum_all().unwrap().backward().unwrap();
            opt.update(&grads, lr, 1.0).unwrap();
            for i in 0..2 {
                let g = 2.0 * want[i];
                want[i] *= 1.0 - lr * wd;
                m[i] = b1 * m[i] + (1.0 - b1) * g;
                v[i] = b2 * v[i] + (1.0 - b2) * g * g;
                let mh = m[i] / (1.0 - b1.powi(t));
                let vh = v[i] / (1.0 - b2.powi(t));
                want[i] -= lr * mh / (vh.sqrt() + eps);
            }
        }
        let got = x.as_tensor().to_vec1::<f32>().unwrap();
        for i in 0..2 {
            assert!((got[i] as f64 - want[i]).abs() < 1e-5, "{got:?} vs {want:?}");
        }
    }
}
