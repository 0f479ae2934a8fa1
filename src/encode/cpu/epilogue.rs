//! What follows a layer's matmul, fused into one pass over its rows: the bias and GELU after the intermediate
//! matmul; the bias, the residual and LayerNorm after the attention-output and output matmuls.
//!
//! Why: as candle ops these are two or three element-wise passes per matmul (`broadcast_add`, `+`, `layer_norm`),
//! each allocating a fresh `[T, width]` tensor (page faults on every new buffer) and running on one thread. Here
//! each row is read once and written once, and natively rows run in parallel (rayon); the page's wasm engine is one
//! thread. Its twin is the candle op chain the encoder used before, compared in the unit tests below.

#[cfg(not(target_arch = "wasm32"))]
use rayon::prelude::*;

use super::gelu::gelu;

/// What to do with a row after the bias is added.
pub enum Epilogue<'a> {
    /// `GELU(y + b)` (erf form, [`gelu`]).
    Gelu,
    /// `LayerNorm(y + b + residual) · gamma + beta`, `residual` being `[T, width]` like the rows.
    ResidualNorm { residual: &'a [f32], gamma: &'a [f32], beta: &'a [f32], eps: f32 },
}

/// `y` is `[T, width]` row-major; `bias` (`width` long) is `None` when the matmul added it already.
pub fn apply(y: &[f32], bias: Option<&[f32]>, width: usize, epilogue: &Epilogue) -> Vec<f32> {
    assert!(width > 0 && y.len() % width == 0, "{} values are not rows of {width}", y.len());
    assert!(bias.is_none_or(|b| b.len() == width), "a bias of the wrong width");
    if let Epilogue::ResidualNorm { residual, gamma, beta, .. } = epilogue {
        assert!(residual.len() == y.len() && gamma.len() == width && beta.len() == width, "residual or norm of the wrong shape");
    }
    let mut out = vec![0f32; y.len()];
    let run = |(i, (row, out)): (usize, (&[f32], &mut [f32]))| match epilogue {
        Epilogue::Gelu => gelu_row(row, bias, out),
        Epilogue::ResidualNorm { residual, gamma, beta, eps } => {
            norm_row(row, bias, &residual[i * width..(i + 1) * width], gamma, beta, *eps, out)
        }
    };
    #[cfg(not(target_arch = "wasm32"))]
    y.par_chunks(width).zip(out.par_chunks_mut(width)).enumerate().for_each(run);
    #[cfg(target_arch = "wasm32")]
    y.chunks(width).zip(out.chunks_mut(width)).enumerate().for_each(run);
    out
}

fn gelu_row(row: &[f32], bias: Option<&[f32]>, out: &mut [f32]) {
    match bias {
        Some(b) => out.iter_mut().zip(row.iter().zip(b)).for_each(|(o, (&y, &b))| *o = gelu(y + b)),
        None => out.iter_mut().zip(row).for_each(|(o, &y)| *o = gelu(y)),
    }
}

/// Two passes over the row (mean, then the variance of the deviations), as transformers' LayerNorm computes it:
/// no `E[x²] − E[x]²` cancellation.
fn norm_row(row: &[f32], bias: Option<&[f32]>, residual: &[f32], gamma: &[f32], beta: &[f32], eps: f32, out: &mut [f32]) {
    match bias {
        Some(b) => out.iter_mut().zip(row.iter().zip(b).zip(residual)).for_each(|(o, ((&y, &b), &r))| *o = y + b + r),
        None => out.iter_mut().zip(row.iter().zip(residual)).for_each(|(o, (&y, &r))| *o = y + r),
    }
    let n = out.len() as f32;
    let mean = out.iter().sum::<f32>() / n;
    let var = out.iter().map(|&v| (v - mean) * (v - mean)).sum::<f32>() / n;
    let scale = 1.0 / (var + eps).sqrt();
    out.iter_mut().zip(gamma.iter().zip(beta)).for_each(|(o, (&g, &b))| *o = (*o - mean) * scale * g + b);
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    fn values(rng: &mut crate::fuzzing::Rng, n: usize, spread: f32) -> Vec<f32> {
        (0..n).map(|_| ((rng.next() >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * spread).collect()
    }

    /// Against the sums the candle op chain it replaces makes (`broadcast_add`, `+`), then the exact GELU and
    /// LayerNorm in f64. Rows of 1, 7, 384 and 1536 values, offsets that make the mean large.
    #[test]
    fn agrees_with_the_candle_op_chain() {
        let dev = Device::Cpu;
        let mut rng = crate::fuzzing::Rng::new(11);
        for &(rows, width, offset) in &[(1, 1, 0.0), (5, 7, 3.0), (37, 384, 0.0), (9, 384, 40.0), (13, 1536, 1.0)] {
            let y: Vec<f32> = values(&mut rng, rows * width, 8.0).iter().map(|v| v + offset).collect();
            let (bias, residual) = (values(&mut rng, width, 2.0), values(&mut rng, rows * width, 4.0));
            let (gamma, beta) = (values(&mut rng, width, 2.0), values(&mut rng, width, 1.0));
            let t = |v: &[f32], shape: &[usize]| Tensor::from_slice(v, shape, &dev).unwrap();
            let biased = t(&y, &[rows, width]).broadcast_add(&t(&bias, &[width])).unwrap();
            let worst = |got: &[f32], want: Tensor| {
                let want = want.flatten_all().unwrap().to_vec1::<f32>().unwrap();
                assert_eq!(got.len(), want.len());
                got.iter().zip(&want).map(|(a, b)| (a - b).abs() / b.abs().max(1.0)).fold(0f32, f32::max)
            };

            // GELU against the exact erf in f64 (candle's `gelu_erf` through libm).
            let want = biased.to_dtype(candle_core::DType::F64).unwrap().gelu_erf().unwrap().to_dtype(candle_core::DType::F32).unwrap();
            let d = worst(&apply(&y, Some(&bias), width, &Epilogue::Gelu), want.clone());
            assert!(d < 1e-6, "GELU, {rows} × {width}: {d:e}");
            let d = worst(&apply(&biased.flatten_all().unwrap().to_vec1::<f32>().unwrap(), None, width, &Epilogue::Gelu), want);
            assert!(d < 1e-6, "GELU without bias, {rows} × {width}: {d:e}");

            // LayerNorm against the same sums normalized in f64 (candle's f32 `layer_norm` is itself off by
            // 1e-4 at offset 40: it takes E[x²] − E[x]²).
            let eps = 1e-5;
            let summed = (&biased + t(&residual, &[rows, width])).unwrap().to_dtype(candle_core::DType::F64).unwrap();
            let mean = summed.mean_keepdim(1).unwrap();
            let centred = summed.broadcast_sub(&mean).unwrap();
            let var = centred.sqr().unwrap().mean_keepdim(1).unwrap();
            let f64s = |v: &[f32]| Tensor::from_vec(v.iter().map(|&x| x as f64).collect::<Vec<_>>(), width, &dev).unwrap();
            let want = centred.broadcast_div(&(var + eps).unwrap().sqrt().unwrap()).unwrap().broadcast_mul(&f64s(&gamma)).unwrap();
            let want = want.broadcast_add(&f64s(&beta)).unwrap().to_dtype(candle_core::DType::F32).unwrap();
            let norm = Epilogue::ResidualNorm { residual: &residual, gamma: &gamma, beta: &beta, eps: eps as f32 };
            let d = worst(&apply(&y, Some(&bias), width, &norm), want.clone());
            assert!(d < 2e-5, "LayerNorm, {rows} × {width} (offset {offset}): {d:e}");
            let d = worst(&apply(&biased.flatten_all().unwrap().to_vec1::<f32>().unwrap(), None, width, &norm), want);
            assert!(d < 2e-5, "LayerNorm without bias, {rows} × {width}: {d:e}");
        }
    }

    #[test]
    #[should_panic(expected = "residual or norm of the wrong shape")]
    fn a_residual_of_the_wrong_shape_is_refused() {
        let (y, g) = (vec![0f32; 8], vec![1f32; 4]);
        apply(&y, None, 4, &Epilogue::ResidualNorm { residual: &y[..4], gamma: &g, beta: &g, eps: 1e-5 });
    }
}
