//! The whole encoder on the GPU backend against the CPU reference, through the public `Encoder` API, on every
//! adapter: natively (lavapipe here) and in headless Chrome (SwiftShader WebGPU) by `wasm-pack test`.
//!
//! - parity for batch sizes 1–32 and lengths up to the model's limit, with padding, mean and CLS pooling, with the
//!   word table on the device and gathered on the host (the path for vocabularies beyond one binding);
//! - top-10 rankings of a small multilingual set agree between the backends;
//! - a lost device falls back to the CPU with the same embeddings and says why; `auto` skips software adapters;
//! - bad batches are errors, not panics;
//! - the tiny BERT fixtures (mean, max, and LaBSE's CLS → Dense(tanh) → Normalize head) and their q8_0 GGUF files.

mod common;

use lingbridge::encode::{BackendChoice, WordTablePlacement};
use lingbridge::model::{QuantScheme, TokenBatch};
use lingbridge::search::DenseIndex;
use lingbridge::{Embeddings, Encoder, EncoderOptions, ModelFiles, Pooling, Prefixes, TextKind};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn options(pooling: Pooling, word_table: WordTablePlacement) -> EncoderOptions {
    EncoderOptions { pooling: Some(pooling), prefixes: Some(Prefixes::none()), word_table, ..Default::default() }
}

fn cpu(files: &ModelFiles, pooling: Pooling) -> Encoder {
    Encoder::load(files, &options(pooling, WordTablePlacement::Auto)).expect("CPU encoder loads")
}

async fn gpu_on(files: &ModelFiles, opts: &EncoderOptions, adapter: &wgpu::Adapter) -> Encoder {
    // A browser adapter opens one device only: each encoder there gets a fresh adapter of the same kind.
    #[cfg(target_arch = "wasm32")]
    let (fresh, _) = (lingbridge::encode::gpu::device::request_adapter().await.expect("the adapter is still there"), adapter);
    #[cfg(target_arch = "wasm32")]
    let adapter = &fresh;
    let enc = Encoder::load_on_adapter(files, opts, adapter).await.expect("GPU encoder loads");
    assert_eq!(enc.backend_name(), "gpu");
    enc
}

/// Batch sizes of the parity sweeps: every size on the first native adapter; on further adapters (lavapipe's GL
/// twin) and in the browser, where SwiftShader's WebGPU takes far longer per batch, sizes spread over 1–32.
fn batch_sizes(adapter_index: usize) -> Vec<usize> {
    if cfg!(target_arch = "wasm32") || adapter_index > 0 { vec![1, 3, 8, 32] } else { (1..=32).collect() }
}

fn texts() -> Vec<String> {
    common::reference().sentences.into_iter().map(|s| s.text).collect()
}

/// Worst cosine and max abs difference over rows; asserts each row's cosine ≥ `min`.
fn compare(got: &[f32], want: &[f32], dim: usize, min: f64, what: &str) -> (f64, f32) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let (mut worst, mut diff) = (1f64, 0f32);
    for (k, (g, w)) in got.chunks(dim).zip(want.chunks(dim)).enumerate() {
        let cos = common::cosine(g, w);
        assert!(cos >= min, "{what}: row {k}: cosine {cos} < {min}");
        worst = worst.min(cos);
        diff = diff.max(common::max_abs_diff(g, w));
    }
    (worst, diff)
}

everywhere_async! {
    async fn whole_encoder_matches_cpu_for_every_batch_size() {
        let files = common::tiny_xlmr();
        let (cpu_mean, cpu_cls) = (cpu(&files, Pooling::Mean), cpu(&files, Pooling::Cls));
        let rows = cpu_mean.tokenizer().encode_all(&texts(), TextKind::Passage).unwrap();
        // Enough rows (cycled) that every batch size up to 32 is a real batch, in input order (not sorted by
        // length), so almost every batch pads short sentences next to long ones — up to the 128-token sentence.
        let pool: Vec<&[u32]> = rows.iter().cycle().take(rows.len().max(32) + 7).map(|r| r.as_slice()).collect();
        assert!(rows.iter().any(|r| r.len() == cpu_mean.tokenizer().max_tokens), "a sentence reaches the limit");
        for (adapter_index, adapter) in common::gpu::adapters("whole encoder").await.iter().enumerate() {
            for placement in [WordTablePlacement::Device, WordTablePlacement::Host] {
                let gpu_mean = gpu_on(&files, &options(Pooling::Mean, placement), adapter).await;
                let gpu_cls = gpu_on(&files, &options(Pooling::Cls, placement), adapter).await;
                assert_eq!(gpu_mean.backend_info().word_table_on_host, placement == WordTablePlacement::Host);
                let (mut worst, mut diff, mut batches) = (1f64, 0f32, 0);
                for batch_size in batch_sizes(adapter_index) {
                    // The host-gather path shares every kernel but the embedding lookup: a subset of sizes suffices.
                    if placement == WordTablePlacement::Host && batch_size % 5 != 1 && batch_size != 32 {
                        continue;
                    }
                    for chunk in pool.chunks(batch_size) {
                        let batch = cpu_mean.tokenizer().pad(chunk);
                        for (gpu, cpu) in [(&gpu_mean, &cpu_mean), (&gpu_cls, &cpu_cls)] {
                            // CLS costs a second forward pass: check it on a subset of the sizes.
                            if gpu.pooling() == Pooling::Cls && batch_size % 8 != 1 && batch_size != 32 {
                                continue;
                            }
                            let want = cpu.embed_tokens_async(&batch).await.unwrap();
                            let got = gpu.embed_tokens_async(&batch).await.unwrap();
                            let what = format!("{placement:?}, batch {batch_size}, {:?}", gpu.pooling());
                            let (w, d) = compare(&got, &want, cpu.dim(), 0.9999, &what);
                            (worst, diff, batches) = (worst.min(w), diff.max(d), batches + 1);
                        }
                    }
                }
                // A GPU error would have fallen back to the CPU silently and made the comparison vacuous.
                assert_eq!((gpu_mean.backend_info().fallback, gpu_cls.backend_name()), (None, "gpu"));
                eprintln!("whole encoder, word table {placement:?}: {batches} batches, min cosine {worst:.9}, max abs diff {diff:.2e}");
                assert!(diff < 1e-4, "max abs diff {diff}");
            }
        }
    }

    async fn quantized_files_on_the_gpu_match_the_cpu_reference() {
        // The issue's bounds against the f32 CPU encoder (the HF reference), and the GPU against the CPU on the very
        // same file — the two backends must agree on what a quantized model computes.
        let hf = common::tiny_xlmr();
        let reference = cpu(&hf, Pooling::Mean);
        let rows = reference.tokenizer().encode_all(&texts(), TextKind::Passage).unwrap();
        let pool: Vec<&[u32]> = rows.iter().cycle().take(rows.len() + 10).map(|r| r.as_slice()).collect();
        for adapter in common::gpu::adapters("quantized files").await {
            for (scheme, bound) in [(QuantScheme::F32, 0.9999), (QuantScheme::F16, 0.9999), (QuantScheme::Q8_0, 0.995), (QuantScheme::Q4_0, 0.98)] {
                // The browser checks the two block schemes, the ones the page ships.
                if cfg!(target_arch = "wasm32") && !scheme.is_block() {
                    continue;
                }
                let file = lingbridge::model::gguf::write(&hf, scheme).unwrap();
                let files = ModelFiles::new(format!("tiny-xlmr.{scheme}.gguf")).with("model.gguf", file.bytes);
                let same_file_cpu = cpu(&files, Pooling::Mean);
                // Block-quantized tables stay packed on the host and are dequantized row by row: test that path too.
                let placements: &[_] = match (scheme, cfg!(target_arch = "wasm32")) {
                    (QuantScheme::Q8_0, true) => &[WordTablePlacement::Device],
                    (QuantScheme::Q4_0, true) => &[WordTablePlacement::Host],
                    (s, false) if s.is_block() => &[WordTablePlacement::Device, WordTablePlacement::Host],
                    _ => &[WordTablePlacement::Device],
                };
                for &placement in placements {
                    let gpu = gpu_on(&files, &options(Pooling::Mean, placement), &adapter).await;
                    let (mut vs_ref, mut vs_cpu) = (1f64, 1f64);
                    // lavapipe is slow: a few batches per size, the longest sentence (index 21) among them.
                    for batch_size in [1, 5, 32] {
                        let take = if cfg!(target_arch = "wasm32") { 2 } else { 5 };
                        for chunk in pool.chunks(batch_size).skip(if batch_size == 1 { 18 } else { 0 }).take(take) {
                            let batch = reference.tokenizer().pad(chunk);
                            let got = gpu.embed_tokens_async(&batch).await.unwrap();
                            let what = format!("{scheme} {placement:?} batch {batch_size}");
                            let r = compare(&got, &reference.embed_tokens_async(&batch).await.unwrap(), 64, bound, &what);
                            let c = compare(&got, &same_file_cpu.embed_tokens_async(&batch).await.unwrap(), 64, 0.9999, &what);
                            (vs_ref, vs_cpu) = (vs_ref.min(r.0), vs_cpu.min(c.0));
                        }
                    }
                    assert_eq!(gpu.backend_info().fallback, None, "still on the GPU");
                    eprintln!("{scheme} on the GPU ({placement:?}): min cosine {vs_ref:.6} vs the f32 reference, {vs_cpu:.9} vs the CPU on the same file");
                }
            }
        }
    }

    async fn embed_api_on_gpu_equals_cpu_in_input_order() {
        let files = common::tiny_xlmr();
        let texts = texts();
        let opts = EncoderOptions { batch_size: 5, ..EncoderOptions::default() };
        let want = Encoder::load(&files, &opts).unwrap().embed(&texts, TextKind::Query).unwrap();
        for adapter in common::gpu::adapters("embed api").await {
            let gpu = gpu_on(&files, &opts, &adapter).await;
            let got = gpu.embed_async(&texts, TextKind::Query).await.unwrap();
            assert_eq!((got.len(), got.dim), (want.len(), want.dim));
            compare(&got.data, &want.data, want.dim, 0.9999, "embed_async");
            assert_eq!(gpu.backend_info().fallback, None, "still on the GPU");
        }
    }

    async fn top10_rankings_agree_between_backends() {
        // A small multilingual retrieval set: the fixture's sentences in 14 scripts as passages, each also as a
        // query with its first half only, so scores spread out instead of being 1.0 on the diagonal.
        let files = common::tiny_xlmr();
        let passages = texts();
        let queries: Vec<String> = passages
            .iter()
            .map(|t| {
                let chars: Vec<char> = t.chars().collect();
                chars[..chars.len().div_ceil(2)].iter().collect()
            })
            .collect();
        let ids: Vec<String> = (0..passages.len()).map(|i| format!("p{i}")).collect();
        let rank = |p: Embeddings, q: Embeddings| {
            let index = DenseIndex::new(&p, ids.clone()).unwrap();
            let scores = index.scores(&q).unwrap();
            scores.chunks(index.len()).map(|row| (index.ranker().top_k(row, 10), row.to_vec())).collect::<Vec<_>>()
        };
        let cpu = Encoder::load(&files, &EncoderOptions::default()).unwrap();
        let want = rank(
            cpu.embed(&passages, TextKind::Passage).unwrap(),
            cpu.embed(&queries, TextKind::Query).unwrap(),
        );
        for adapter in common::gpu::adapters("rankings").await {
            let gpu = gpu_on(&files, &EncoderOptions::default(), &adapter).await;
            let got = rank(
                gpu.embed_async(&passages, TextKind::Passage).await.unwrap(),
                gpu.embed_async(&queries, TextKind::Query).await.unwrap(),
            );
            let mut identical = 0;
            for (q, ((g, _), (w, w_scores))) in got.iter().zip(&want).enumerate() {
                let g_docs: Vec<usize> = g.iter().map(|h| h.doc).collect();
                let w_docs: Vec<usize> = w.iter().map(|h| h.doc).collect();
                if g_docs == w_docs {
                    identical += 1;
                    continue;
                }
                // Two documents may only swap when the CPU's own scores for them are within float noise.
                for (a, b) in g_docs.iter().zip(&w_docs).filter(|(a, b)| a != b) {
                    let gap = (w_scores[*a] - w_scores[*b]).abs();
                    assert!(gap < 1e-5, "query {q}: top-10 differ ({g_docs:?} vs {w_docs:?}) at a score gap of {gap}");
                }
            }
            assert_eq!(gpu.backend_info().fallback, None, "still on the GPU");
            eprintln!("rankings: {identical}/{} top-10 lists identical", got.len());
            assert!(identical * 10 >= got.len() * 9, "only {identical} of {} top-10 lists are identical", got.len());
        }
    }

    async fn a_lost_device_falls_back_to_the_cpu_with_the_same_results() {
        let files = common::tiny_xlmr();
        let texts = texts();
        let want = Encoder::load(&files, &EncoderOptions::default()).unwrap().embed(&texts, TextKind::Passage).unwrap();
        for adapter in common::gpu::adapters("device loss").await {
            let enc = gpu_on(&files, &EncoderOptions::default(), &adapter).await;
            enc.embed_async(&texts[..3], TextKind::Passage).await.unwrap();
            enc.destroy_gpu_device_for_tests();
            let got = enc.embed_async(&texts, TextKind::Passage).await.expect("falls back instead of failing");
            let info = enc.backend_info();
            assert_eq!(info.name, "cpu", "{info}");
            let why = info.fallback.expect("the reason is kept");
            assert!(why.contains("GPU"), "{why}");
            compare(&got.data, &want.data, want.dim, 0.99999, "after fallback");
            assert_eq!(got, want, "the fallback is the CPU encoder itself");
        }
    }

    async fn auto_takes_hardware_adapters_only_and_says_why_not() {
        let files = common::tiny_xlmr();
        let opts = EncoderOptions { backend: BackendChoice::Auto, ..EncoderOptions::default() };
        let enc = Encoder::load_async(&files, &opts).await.unwrap();
        let info = enc.backend_info();
        let adapter = lingbridge::encode::gpu::device::request_adapter().await;
        match adapter {
            Ok(a) if !lingbridge::encode::gpu::device::is_software(&a) => assert_eq!(info.name, "gpu", "{info}"),
            Ok(_) => {
                assert_eq!(info.name, "cpu");
                assert!(info.fallback.as_deref().unwrap_or("").contains("software"), "{info}");
            }
            Err(_) => assert!(info.fallback.is_some(), "{info}"),
        }
        // Either way it embeds.
        assert_eq!(enc.embed_async(&["hello"], TextKind::Query).await.unwrap().len(), 1);
    }

    async fn bad_batches_are_errors_on_the_gpu() {
        let files = common::tiny_xlmr();
        for adapter in common::gpu::adapters("bad batches").await {
            let gpu = gpu_on(&files, &EncoderOptions::default(), &adapter).await;
            let vocab = gpu.config().vocab_size as u32;
            let bad_id = TokenBatch { ids: vec![0, vocab, 2], mask: vec![1, 1, 1], batch: 1, seq: 3 };
            let err = gpu.embed_tokens_async(&bad_id).await.unwrap_err().to_string();
            assert!(err.contains("outside the vocabulary"), "{err}");
            let ragged = TokenBatch { ids: vec![0, 2], mask: vec![1], batch: 1, seq: 2 };
            assert!(gpu.embed_tokens_async(&ragged).await.is_err());
            let long = gpu.config().max_tokens() + 1;
            let too_long = TokenBatch { ids: vec![0; long], mask: vec![1; long], batch: 1, seq: long };
            let err = gpu.embed_tokens_async(&too_long).await.unwrap_err().to_string();
            assert!(err.contains("limit"), "{err}");
            // Input errors leave the GPU in charge.
            assert_eq!(gpu.backend_name(), "gpu");
        }
    }

    async fn bert_fixtures_on_the_gpu_match_the_cpu_and_survive_q8_0() {
        // BERT's position numbering and the sentence head (max pooling; CLS → Dense(tanh) → normalise) on the GPU,
        // in padded batches of 5; then the q8_0 GGUF file (Dense weights carried as f32 tensors) against f32.
        let max = common::tiny_bert_wordpiece().with("1_Pooling/config.json", br#"{"pooling_mode": "max"}"#.to_vec());
        let fixtures = [("wordpiece", common::tiny_bert_wordpiece()), ("wordpiece max", max), ("labse", common::tiny_labse())];
        let opts = EncoderOptions { prefixes: Some(Prefixes::none()), batch_size: 5, ..EncoderOptions::default() };
        for (name, files) in fixtures {
            // The browser checks the Dense path only (SwiftShader is slow, CI time short).
            if cfg!(target_arch = "wasm32") && name != "labse" {
                continue;
            }
            let texts: Vec<String> = if name == "labse" { common::labse_reference() } else { common::bert_wordpiece_reference() }
                .sentences
                .into_iter()
                .map(|s| s.text)
                .collect();
            let cpu = Encoder::load(&files, &opts).unwrap();
            let want = cpu.embed(&texts, TextKind::Passage).unwrap();
            let q8 = lingbridge::model::gguf::write(&files, QuantScheme::Q8_0).unwrap();
            let dense: Vec<_> = q8.tensors.iter().filter(|t| t.name.starts_with("dense.")).map(|t| (t.name.as_str(), t.scheme)).collect();
            let want_dense: &[_] = if name == "labse" { &[("dense.0.weight", QuantScheme::F32), ("dense.0.bias", QuantScheme::F32)] } else { &[] };
            assert_eq!(dense, want_dense, "{name}: the GGUF carries the Dense layers in f32");
            let q8_files = ModelFiles::new(format!("tiny-{name}.q8_0.gguf")).with("model.gguf", q8.bytes);
            let q8_cpu = Encoder::load(&q8_files, &opts).unwrap();
            assert_eq!((q8_cpu.dim(), q8_cpu.pooling(), q8_cpu.head().dense.len()), (cpu.dim(), cpu.pooling(), cpu.head().dense.len()));
            let q8_want = q8_cpu.embed(&texts, TextKind::Passage).unwrap();
            let (q8_worst, _) = compare(&q8_want.data, &want.data, want.dim, 0.995, &format!("{name} q8_0 CPU vs f32"));
            eprintln!("{name}: q8_0 on the CPU, min cosine {q8_worst:.6} vs f32");
            for adapter in common::gpu::adapters("bert fixtures").await {
                let gpu = gpu_on(&files, &opts, &adapter).await;
                let got = gpu.embed_async(&texts, TextKind::Passage).await.unwrap();
                assert_eq!((got.len(), got.dim), (want.len(), want.dim));
                let (worst, diff) = compare(&got.data, &want.data, want.dim, 0.9999, &format!("{name} GPU vs CPU"));
                // Max pooling adds nothing to the quantized path (lavapipe's pipeline builds are the slow part).
                if name == "wordpiece max" {
                    eprintln!("{name} on the GPU: min cosine {worst:.9} (max abs diff {diff:.2e}) vs CPU");
                    continue;
                }
                let q8_gpu = gpu_on(&q8_files, &opts, &adapter).await;
                let q8_got = q8_gpu.embed_async(&texts, TextKind::Passage).await.unwrap();
                let (vs_f32, _) = compare(&q8_got.data, &want.data, want.dim, 0.995, &format!("{name} q8_0 GPU vs f32"));
                let (vs_cpu, _) = compare(&q8_got.data, &q8_want.data, want.dim, 0.9999, &format!("{name} q8_0 GPU vs CPU"));
                assert_eq!((gpu.backend_info().fallback, q8_gpu.backend_info().fallback), (None, None), "still on the GPU");
                eprintln!("{name} on the GPU: min cosine {worst:.9} (max abs diff {diff:.2e}) vs CPU; q8_0 {vs_f32:.6} vs f32, {vs_cpu:.9} vs the CPU on the same file");
            }
        }
    }
}
