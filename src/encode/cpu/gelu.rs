//! GELU in its erf form, `x · Φ(x) = ½ x (1 + erf(x / √2))`, in a form the compiler vectorizes (the loop that
//! applies it, with the bias, is [`epilogue`](super::epilogue)'s).
//!
//! Why not candle's `gelu_erf`: it calls libm's scalar `erff` (and `expf` inside it) per element — a fifth of the
//! whole CPU forward pass in a profile of `lingbridge bench encode` on multilingual-e5-small. Here erf is
//! Abramowitz & Stegun's 7.1.28 (Hastings' approximation): `1 − (1 + a₁x + … + a₆x⁶)⁻¹⁶` for x ≥ 0, odd in x —
//! multiplications, four squarings and one division, no exponential, so SSE / AVX natively and simd128 in wasm run
//! it a lane at a time. Its error is below 3·10⁻⁷ in exact arithmetic and 1.8·10⁻⁶ in f32; GELU's stays below
//! 10⁻⁶ (8.7·10⁻⁷ at worst, tested below), far inside the encoder's 1e-5 parity with transformers (tests/encoder_parity.rs).

/// Abramowitz & Stegun 7.1.28.
const A: [f32; 6] = [0.070_523_08, 0.042_282_01, 0.009_270_527, 0.000_152_014_3, 0.000_276_567_2, 0.000_043_063_8];

/// Past 6 the approximation is 1 within f32 (and a larger x would overflow the 16th power).
const CLAMP: f32 = 6.0;

#[inline(always)]
fn erf(x: f32) -> f32 {
    let t = x.abs().min(CLAMP);
    let p = 1.0 + t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * (A[4] + t * A[5])))));
    let p2 = p * p;
    let p4 = p2 * p2;
    let p8 = p4 * p4;
    (1.0 - 1.0 / (p8 * p8)).copysign(x)
}

#[inline(always)]
pub(super) fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    /// Against erf in f64 (libm's, through candle's f64 `gelu_erf`) on a fine grid and at the extremes.
    #[test]
    fn matches_the_exact_gelu_to_1e_6() {
        let xs: Vec<f32> = (-200_000..=200_000).map(|i| i as f32 * 1e-4).chain([-1e30, -50.0, 50.0, 1e30, 0.0, -0.0]).collect();
        let exact = Tensor::new(xs.iter().map(|&x| x as f64).collect::<Vec<_>>(), &Device::Cpu).unwrap().gelu_erf().unwrap().to_vec1::<f64>().unwrap();
        let ours: Vec<f32> = xs.iter().map(|&x| gelu(x)).collect();
        let worst = ours.iter().zip(&exact).map(|(&o, &e)| (o as f64 - e).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-6, "max |Δ| {worst:e}");
        assert_eq!(gelu(0.0), 0.0);
        assert!(gelu(f32::NAN).is_nan(), "NaN stays NaN (the forward pass's NaN checks see it)");
    }
}
