//! Inference attention straight on the packed rows of the fused Q·K·V product: for each text and head,
//! `softmax(q·kᵀ/√d)·v` over that text's own tokens, in plain loops.
//!
//! Why not candle ops as the trainer does ([`Packing::attention`](super::packing::Packing::attention)): a
//! text has ~40 tokens and a head 32 dimensions, so each product is tiny, and the op chain (gather into padded
//! groups, transposes, contiguous copies, batched matmuls of 96 small matrices, mask, softmax, scatter back)
//! spends its time on allocation and dispatch rather than arithmetic. Here nothing is gathered, padded or
//! transposed: a head's q, k and v are read where the Q·K·V matmul wrote them. Natively texts run in parallel
//! (rayon); the page's wasm engine is one thread. On x86-64 CPUs with AVX2 + FMA, 32-dimension heads (the
//! e5-small models') run a kernel written in intrinsics (`mod avx2`): it took attention from 11.6 % to 4.9 % of
//! `bench encode`'s profile (models/e5-small-base.md).
//!
//! Its twin is [`Packing::attention`] (the candle ops, themselves tested against transformers): the unit test
//! below compares the two on ragged batches, through whichever path this CPU takes.

#[cfg(not(target_arch = "wasm32"))]
use rayon::prelude::*;

/// `qkv` is `[T, 3·h]` row-major (each row: q, then k, then v, each `heads × d`), the texts' rows one after
/// another with `lengths` tokens each. Returns the context `[T, h]` (each row: heads × d).
pub fn attention(qkv: &[f32], lengths: &[usize], h: usize, heads: usize) -> Vec<f32> {
    let t: usize = lengths.iter().sum();
    assert_eq!(qkv.len(), t * 3 * h, "Q·K·V is not {t} × {}", 3 * h);
    assert!(heads > 0 && h % heads == 0, "{h} is not a whole number of {heads} heads");
    let mut out = vec![0f32; t * h];
    // Each text's rows of the input and of the output, so texts can run independently.
    let mut jobs = Vec::with_capacity(lengths.len());
    let (mut rest_in, mut rest_out) = (qkv, out.as_mut_slice());
    for &len in lengths {
        let (a, b) = rest_in.split_at(len * 3 * h);
        let (c, d) = std::mem::take(&mut rest_out).split_at_mut(len * h);
        jobs.push((a, c));
        (rest_in, rest_out) = (b, d);
    }
    let run = |(rows, context): (&[f32], &mut [f32])| text(rows, context, h, heads);
    #[cfg(not(target_arch = "wasm32"))]
    jobs.into_par_iter().for_each(run);
    #[cfg(target_arch = "wasm32")]
    jobs.into_iter().for_each(run);
    out
}

/// One text: `rows` is its `[len, 3h]` slice, `context` its `[len, h]`. Natively on x86-64 the same loops are
/// compiled a second time for AVX2 (8 lanes instead of SSE2's 4) and picked at run time; with FMA as well and
/// 32-dimension heads (multilingual-e5-small's), each head runs the hand-written kernel of [`avx2`].
fn text(rows: &[f32], context: &mut [f32], h: usize, heads: usize) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        if h / heads == 32 && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has AVX2 and FMA, the features `text_d32` is compiled with.
            return unsafe { avx2::text_d32(rows, context, h, heads) };
        }
        // SAFETY: the CPU has AVX2, the only feature `text_avx2` is compiled with.
        return unsafe { text_avx2(rows, context, h, heads) };
    }
    text_body(rows, context, h, heads)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn text_avx2(rows: &[f32], context: &mut [f32], h: usize, heads: usize) {
    text_body(rows, context, h, heads)
}

/// A head's q (scaled by 1/√d), k and v copied out of the interleaved rows into `q`, `k`, `v` (`len × d` each),
/// so the loops over them read contiguously.
#[inline(always)]
fn split_head(rows: &[f32], h: usize, col: usize, d: usize, q: &mut [f32], k: &mut [f32], v: &mut [f32]) {
    let scale = 1.0 / (d as f32).sqrt();
    for (i, row) in rows.chunks_exact(3 * h).enumerate() {
        let at = i * d..(i + 1) * d;
        q[at.clone()].iter_mut().zip(&row[col..col + d]).for_each(|(o, &x)| *o = x * scale);
        k[at.clone()].copy_from_slice(&row[h + col..h + col + d]);
        v[at].copy_from_slice(&row[2 * h + col..2 * h + col + d]);
    }
}

#[inline(always)]
fn text_body(rows: &[f32], context: &mut [f32], h: usize, heads: usize) {
    let len = context.len() / h;
    let d = h / heads;
    let (mut q, mut k, mut v) = (vec![0f32; len * d], vec![0f32; len * d], vec![0f32; len * d]);
    let mut scores = vec![0f32; len];
    for head in 0..heads {
        let col = head * d;
        split_head(rows, h, col, d, &mut q, &mut k, &mut v);
        for (i, qi) in q.chunks_exact(d).enumerate() {
            let mut max = f32::NEG_INFINITY;
            for (s, kj) in scores.iter_mut().zip(k.chunks_exact(d)) {
                *s = dot(qi, kj);
                max = max.max(*s);
            }
            let mut sum = 0f32;
            for s in scores.iter_mut() {
                *s = (*s - max).exp();
                sum += *s;
            }
            let out = &mut context[i * h + col..i * h + col + d];
            out.fill(0.0);
            for (&p, vj) in scores.iter().zip(v.chunks_exact(d)) {
                for (o, &x) in out.iter_mut().zip(vj) {
                    *o += p * x;
                }
            }
            let inv = 1.0 / sum;
            out.iter_mut().for_each(|o| *o *= inv);
        }
    }
}

/// A dot product in 8 independent partial sums, so the compiler keeps them in vector lanes.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// The same attention for 32-dimension heads in AVX2 + FMA intrinsics. What it does differently from
/// [`text_body`], whose compiled loops spend their time in horizontal sums and scalar `exp` calls: eight keys' dot
/// products at a time, their sums gathered into one vector by a tree of horizontal adds; `exp` as a polynomial in
/// lanes (e^x = 2ⁿ·e^r, |r| ≤ ln 2 / 2, degree-7 minimax polynomial for e^r, within 2 ulp of `f64::exp` — tested);
/// Σ p·v in eight vector accumulators held in registers across the keys.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    const D: usize = 32;

    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    // ln 2 in two parts (the first with trailing zero bits), so n·LN2_HI is exact and r keeps its low bits.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    /// The degree-7 polynomial's coefficients for (e^r − 1 − r)/r², highest first (Cephes `expf`'s minimax fit).
    const EXP_POLY: [f32; 6] = [1.987_569_1e-4, 1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 5.000_000_1e-1];

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn text_d32(rows: &[f32], context: &mut [f32], h: usize, heads: usize) {
        let len = context.len() / h;
        let (mut q, mut k, mut v) = (vec![0f32; len * D], vec![0f32; len * D], vec![0f32; len * D]);
        // Room for whole vectors of scores: the padding's scores are set to 0 after `exp`.
        let mut scores = vec![0f32; len.div_ceil(8) * 8];
        for head in 0..heads {
            let col = head * D;
            super::split_head(rows, h, col, D, &mut q, &mut k, &mut v);
            for (i, qi) in q.chunks_exact(D).enumerate() {
                softmax_scores(qi, &k, &mut scores, len);
                weighted_sum(&scores[..len], &v, &mut context[i * h + col..i * h + col + D]);
            }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    fn load(x: &[f32]) -> __m256 {
        assert!(x.len() >= 8);
        // SAFETY: eight floats are there (checked above); unaligned loads are allowed.
        unsafe { _mm256_loadu_ps(x.as_ptr()) }
    }

    #[target_feature(enable = "avx2,fma")]
    fn store(x: &mut [f32], value: __m256) {
        assert!(x.len() >= 8);
        // SAFETY: as in `load`.
        unsafe { _mm256_storeu_ps(x.as_mut_ptr(), value) }
    }

    /// q · k as a vector of 8 partial sums.
    #[target_feature(enable = "avx2,fma")]
    fn dot_lanes(q: &[__m256; 4], k: &[f32]) -> __m256 {
        let mut acc = _mm256_mul_ps(q[0], load(&k[0..8]));
        acc = _mm256_fmadd_ps(q[1], load(&k[8..16]), acc);
        acc = _mm256_fmadd_ps(q[2], load(&k[16..24]), acc);
        _mm256_fmadd_ps(q[3], load(&k[24..32]), acc)
    }

    /// Eight vectors' lane sums as one vector: [Σa₀, Σa₁, …, Σa₇].
    #[target_feature(enable = "avx2,fma")]
    fn sums(a: [__m256; 8]) -> __m256 {
        // hadd(x, y) = [x0+x1, x2+x3, y0+y1, y2+y3 | x4+x5, x6+x7, y4+y5, y6+y7] (per 128-bit half).
        let (t0, t1) = (_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
        let (t2, t3) = (_mm256_hadd_ps(a[4], a[5]), _mm256_hadd_ps(a[6], a[7]));
        // u0 = [Σ low halves of a0..a3 | Σ high halves of a0..a3], u1 the same for a4..a7.
        let (u0, u1) = (_mm256_hadd_ps(t0, t1), _mm256_hadd_ps(t2, t3));
        _mm256_add_ps(_mm256_permute2f128_ps::<0x20>(u0, u1), _mm256_permute2f128_ps::<0x31>(u0, u1))
    }

    /// e^x in lanes for x ≤ 0 (a softmax's scores after subtracting their maximum). Below −87 (where e^x leaves
    /// f32's normal range) it gives e^−87 ≈ 1.6e−38, which a softmax sum cannot tell from 0.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn exp_nonpositive(x: __m256) -> __m256 {
        let x = _mm256_max_ps(x, _mm256_set1_ps(-87.0));
        let n = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm256_mul_ps(x, _mm256_set1_ps(LOG2_E)));
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HI), x);
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LO), r);
        let mut p = _mm256_set1_ps(EXP_POLY[0]);
        for &c in &EXP_POLY[1..] {
            p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
        }
        let e_r = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0));
        let two_n = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127))));
        _mm256_mul_ps(e_r, two_n)
    }

    /// `scores[..len]` ← softmax(q·kⱼ) over the `len` keys, unnormalised: e^(s − max); the padding zeroed.
    /// [`weighted_sum`] divides by the sum.
    #[target_feature(enable = "avx2,fma")]
    fn softmax_scores(qi: &[f32], k: &[f32], scores: &mut [f32], len: usize) {
        let q = [load(&qi[0..8]), load(&qi[8..16]), load(&qi[16..24]), load(&qi[24..32])];
        let mut max = _mm256_set1_ps(f32::NEG_INFINITY);
        for (block, out) in k.chunks(8 * D).zip(scores.chunks_exact_mut(8)) {
            let s = if block.len() == 8 * D {
                let mut acc = [_mm256_setzero_ps(); 8];
                for (a, kj) in acc.iter_mut().zip(block.chunks_exact(D)) {
                    *a = dot_lanes(&q, kj);
                }
                sums(acc)
            } else {
                // The last, partial block: one key at a time; the missing keys score −∞ (e^−∞ taken as 0 below).
                let mut lanes = [f32::NEG_INFINITY; 8];
                for (l, kj) in lanes.iter_mut().zip(block.chunks_exact(D)) {
                    let mut parts = [0f32; 8];
                    store(&mut parts, dot_lanes(&q, kj));
                    *l = parts.iter().sum();
                }
                load(&lanes)
            };
            store(out, s);
            max = _mm256_max_ps(max, s);
        }
        let mut lanes = [0f32; 8];
        store(&mut lanes, max);
        let max = _mm256_set1_ps(lanes.iter().copied().fold(f32::NEG_INFINITY, f32::max));
        for out in scores.chunks_exact_mut(8) {
            store(out, exp_nonpositive(_mm256_sub_ps(load(out), max)));
        }
        scores[len..].fill(0.0);
    }

    /// `out` ← Σⱼ pⱼ·vⱼ / Σⱼ pⱼ, keys two at a time into eight accumulators (two independent chains per lane).
    #[target_feature(enable = "avx2,fma")]
    fn weighted_sum(p: &[f32], v: &[f32], out: &mut [f32]) {
        let mut acc = [_mm256_setzero_ps(); 8];
        let mut total = 0f32;
        let pairs = p.chunks_exact(2);
        let last = pairs.remainder();
        for (pj, vj) in pairs.zip(v.chunks_exact(2 * D)) {
            let (p0, p1) = (_mm256_set1_ps(pj[0]), _mm256_set1_ps(pj[1]));
            for c in 0..4 {
                acc[c] = _mm256_fmadd_ps(p0, load(&vj[8 * c..8 * c + 8]), acc[c]);
                acc[4 + c] = _mm256_fmadd_ps(p1, load(&vj[D + 8 * c..D + 8 * c + 8]), acc[4 + c]);
            }
            total += pj[0] + pj[1];
        }
        if let [pj] = *last {
            let vj = &v[(p.len() - 1) * D..p.len() * D];
            let p0 = _mm256_set1_ps(pj);
            for c in 0..4 {
                acc[c] = _mm256_fmadd_ps(p0, load(&vj[8 * c..8 * c + 8]), acc[c]);
            }
            total += pj;
        }
        let inv = _mm256_set1_ps(1.0 / total);
        for c in 0..4 {
            store(&mut out[8 * c..8 * c + 8], _mm256_mul_ps(_mm256_add_ps(acc[c], acc[4 + c]), inv));
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::encode::cpu::packing::Packing;
    use candle_core::{Device, Tensor};

    #[test]
    fn agrees_with_the_candle_ops_on_ragged_batches() {
        let dev = Device::Cpu;
        let mut rng = crate::fuzzing::Rng::new(7);
        // Lengths cross the candle path's attention groups (8 texts) and the AVX2 kernel's blocks of 8 keys (1, 7,
        // 8, 9, 16, 17, 40); d = 32 (the AVX2 kernel where the CPU has it) and d = 5 (the compiled loops).
        let cases = [(64, 2, vec![3, 1, 17, 9, 2, 11, 5, 8, 30, 4]), (20, 4, vec![6, 13]), (384, 12, vec![40]), (32, 1, vec![7, 16, 1])];
        for &(h, heads, ref lengths) in &cases {
            let lengths: &Vec<usize> = lengths;
            let (b, s) = (lengths.len(), *lengths.iter().max().unwrap());
            let mask: Vec<u32> = lengths.iter().flat_map(|&l| (0..s).map(move |j| u32::from(j < l))).collect();
            let packing = Packing::with_softmax(&mask, b, s, &dev, candle_nn::ops::softmax_last_dim).unwrap();
            let t = packing.rows();
            let qkv: Vec<f32> = (0..t * 3 * h).map(|_| (rng.next() >> 40) as f32 / (1u64 << 22) as f32 - 2.0).collect();
            let got = attention(&qkv, lengths, h, heads);
            let x = Tensor::from_slice(&qkv, (t, 3 * h), &dev).unwrap();
            let part = |i: usize| x.narrow(1, i * h, h).unwrap().contiguous().unwrap();
            let want = packing.attention(&part(0), &part(1), &part(2), heads).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let diff = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert_eq!(got.len(), want.len());
            assert!(diff < 1e-5, "h {h}, heads {heads}, lengths {lengths:?}: max diff {diff}");
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_kernels_exp_is_within_two_ulp_of_f64_on_a_softmaxs_range() {
        if !(std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")) {
            eprintln!("no AVX2 + FMA here: the kernel is not used on this CPU");
            return;
        }
        let xs: Vec<f32> = (0..=200_007).map(|i| -87.0 * i as f32 / 200_000.0).collect();
        let mut worst = 0f64;
        for chunk in xs.chunks_exact(8) {
            let mut got = [0f32; 8];
            // SAFETY: the CPU has AVX2 and FMA (checked above); the loads and stores read eight floats.
            unsafe {
                use std::arch::x86_64::*;
                _mm256_storeu_ps(got.as_mut_ptr(), avx2::exp_nonpositive(_mm256_loadu_ps(chunk.as_ptr())));
            }
            for (&x, &e) in chunk.iter().zip(&got) {
                let want = (x as f64).exp();
                // In units of the last place of the f32 nearest the true value; below −87 the floor e^−87.
                let want = if x < -87.0 { (-87f64).exp() } else { want };
                let bits = (want as f32).to_bits();
                let ulp = (f32::from_bits(bits + 1) - f32::from_bits(bits)) as f64;
                worst = worst.max((e as f64 - want).abs() / ulp);
            }
        }
        assert!(worst <= 2.0, "worst error {worst} ulp");
    }

    #[test]
    fn an_empty_batch_gives_nothing() {
        assert!(attention(&[], &[], 8, 2).is_empty());
    }
}
