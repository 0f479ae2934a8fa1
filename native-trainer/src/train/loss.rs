//! InfoNCE with in-batch negatives (REFERENCE.md, "The method"): query i's positive is passage i; every other
//! passage of the batch, and every hard negative appended after the positives, is a negative. Inputs are unit
//! vectors, so q·p is the cosine score; τ = 0.05 is sentence-transformers' scale 20.

use candle_core::{Result, Tensor};
use candle_nn::loss::cross_entropy;

/// `queries`: B × H; `passages`: (B + N) × H, the B positives first, then N hard negatives.
/// With `symmetric`, adds the passage→query direction (positives only: hard negatives have no query) and
/// averages the two terms.
pub fn info_nce(queries: &Tensor, passages: &Tensor, temperature: f64, symmetric: bool) -> Result<Tensor> {
    let b = queries.dim(0)?;
    let targets = Tensor::arange(0u32, b as u32, queries.device())?;
    let forward = cross_entropy(&(queries.matmul(&passages.t()?)? / temperature)?, &targets)?;
    if !symmetric {
        return Ok(forward);
    }
    let backward = cross_entropy(&(passages.narrow(0, 0, b)?.matmul(&queries.t()?)? / temperature)?, &targets)?;
    (forward + backward)? * 0.5
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// −log softmax(row)[target], by hand.
    fn nll(row: &[f64], target: usize) -> f64 {
        let max = row.iter().cloned().fold(f64::MIN, f64::max);
        let lse = row.iter().map(|x| (x - max).exp()).sum::<f64>().ln() + max;
        lse - row[target]
    }

    #[test]
    fn equals_the_formula_with_and_without_hard_negatives_and_symmetry() {
        let q = [[0.6f32, 0.8], [1.0, 0.0]];
        let p = [[0.8f32, 0.6], [0.0, 1.0], [-1.0, 0.0]];
        let dot = |a: &[f32; 2], b: &[f32; 2]| (a[0] * b[0] + a[1] * b[1]) as f64 / 0.1;
        let qt = Tensor::new(&q, &Device::Cpu).unwrap();
        let pt = Tensor::new(&p, &Device::Cpu).unwrap();

        let want: f64 = (0..2).map(|i| nll(&p.iter().map(|pp| dot(&q[i], pp)).collect::<Vec<_>>(), i)).sum::<f64>() / 2.0;
        let got = info_nce(&qt, &pt, 0.1, false).unwrap().to_scalar::<f32>().unwrap() as f64;
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");

        let back: f64 = (0..2).map(|i| nll(&q.iter().map(|qq| dot(&p[i], qq)).collect::<Vec<_>>(), i)).sum::<f64>() / 2.0;
        let got = info_nce(&qt, &pt, 0.1, true).unwrap().to_scalar::<f32>().unwrap() as f64;
        assert!((got - (want + back) / 2.0).abs() < 1e-5, "{got} vs {}", (want + back) / 2.0);
    }
}
