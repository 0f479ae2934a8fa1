//! Inference attention straight on the packed rows of the fused Q·K·V product: for each text and head,
//! `softmax(q·kᵀ/√d)·v` over that text's own tokens, in plain loops.
//!
//! Why not candle ops as the trainer does ([`Packing::attention`](super::packing::Packing::attention)): a
//! text has ~40 tokens and a head 32 dimensions, so each product is tiny, and the op chain (gather into padded
//! groups, transposes, contiguous copies, batched matmuls of 96 small matrices, mask, softmax, scatter back)
//! spends its time on allocation and dispatch rather than arithmetic. Here nothing is gathered, padded or
//! transposed: a head's q, k and v are read where the Q·K·V matmul wrote them. Natively texts run in parallel
//! (rayon); the page's wasm engine is one thread.
//!
//! Its twin is [`Packing::attention`] (the candle ops, themselves tested against transformers): the unit test
//! below compares the two on ragged batches.

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
/// compiled a second time for AVX2 (8 lanes instead of SSE2's 4) and picked at run time.
fn text(rows: &[f32], context: &mut [f32], h: usize, heads: usize) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
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

#[inline(always)]
fn text_body(rows: &[f32], context: &mut [f32], h: usize, heads: usize) {
    let len = context.len() / h;
    let d = h / heads;
    let scale = 1.0 / (d as f32).sqrt();
    // A head's q (scaled), k and v copied out of the interleaved rows, so the loops below read them contiguously.
    let (mut q, mut k, mut v) = (vec![0f32; len * d], vec![0f32; len * d], vec![0f32; len * d]);
    let mut scores = vec![0f32; len];
    for head in 0..heads {
        let col = head * d;
        for (i, row) in rows.chunks_exact(3 * h).enumerate() {
            let at = i * d..(i + 1) * d;
            q[at.clone()].iter_mut().zip(&row[col..col + d]).for_each(|(o, &x)| *o = x * scale);
            k[at.clone()].copy_from_slice(&row[h + col..h + col + d]);
            v[at].copy_from_slice(&row[2 * h + col..2 * h + col + d]);
        }
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

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::encode::cpu::packing::Packing;
    use candle_core::{Device, Tensor};

    #[test]
    fn agrees_with_the_candle_ops_on_ragged_batches() {
        let dev = Device::Cpu;
        let mut rng = crate::fuzzing::Rng::new(7);
        // Lengths cross the candle path's attention groups (8 texts); a 1-token text; d = 32 and d = 5.
        for &(h, heads, ref lengths) in &[(64, 2, vec![3, 1, 17, 9, 2, 11, 5, 8, 30, 4]), (20, 4, vec![6, 13]), (384, 12, vec![40])] {
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

    #[test]
    fn an_empty_batch_gives_nothing() {
        assert!(attention(&[], &[], 8, 2).is_empty());
    }
}
