//! Quantized weights and the single-file model (src/model/quant.rs, gguf.rs, files.rs, weights.rs): GGML's block
//! formats as candle reads them, the GPU repacking, a GGUF written and read back in every scheme with the CPU
//! encoder's embeddings against the safetensors model's, and every malformed file an error (never a panic).
//! Runs natively and in the browser: the page reads the same bytes.

mod common;

use common::{cosine, max_abs_diff, tiny_xlmr};
use lingbridge::model::gguf;
use lingbridge::model::{LinearWeight, PackedQuant, QuantScheme, Weights};
use lingbridge::encode::CpuWeights;
use lingbridge::{Encoder, EncoderOptions, ModelFiles, TextKind};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Deterministic values with a spread of magnitudes, signs, exact zeros and ties at the rounding boundaries.
fn values(n: usize, seed: u32) -> Vec<f32> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let v = (x as f32 / u32::MAX as f32 - 0.5) * 4.0;
            match i % 97 {
                0 => 0.0,
                1 => 2.5, // q8_0: a ·5 tie when amax = 127 · 0.02
                _ => v * if i % 7 == 0 { 10.0 } else { 1.0 },
            }
        })
        .collect()
}

/// GGML's reference quantizers written out from ggml-quants.c, independently of candle, then dequantized.
fn reference_dequant(scheme: QuantScheme, x: &[f32]) -> Vec<f32> {
    let mut out = Vec::with_capacity(x.len());
    for block in x.chunks_exact(32) {
        match scheme {
            QuantScheme::Q8_0 => {
                let amax = block.iter().fold(0f32, |m, v| m.max(v.abs()));
                let d = amax / 127.0;
                let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                let dh = half::f16::from_f32(d).to_f32();
                out.extend(block.iter().map(|v| (v * id).round() as i8 as f32 * dh));
            }
            QuantScheme::Q4_0 => {
                let (mut amax, mut max) = (0f32, 0f32);
                for &v in block {
                    if amax < v.abs() {
                        amax = v.abs();
                        max = v;
                    }
                }
                let d = max / -8.0;
                let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                let dh = half::f16::from_f32(d).to_f32();
                out.extend(block.iter().map(|v| ((v * id + 8.5) as u8).min(15) as f32 - 8.0).map(|q| q * dh));
            }
            _ => unreachable!(),
        }
    }
    out
}

fn gguf_model(scheme: QuantScheme) -> (ModelFiles, gguf::Quantized) {
    let q = gguf::write(&tiny_xlmr(), scheme).expect("quantize");
    (ModelFiles::new("tiny.gguf").with("model.gguf", q.bytes.clone()), q)
}

fn embed(files: &ModelFiles) -> Vec<f32> {
    let texts = common::reference().sentences.into_iter().map(|s| s.text).collect::<Vec<_>>();
    let enc = Encoder::load(files, &EncoderOptions::default()).expect("model loads");
    enc.embed(&texts, TextKind::Passage).expect("embed").data
}

fn load_err(files: &ModelFiles) -> String {
    match Encoder::load(files, &EncoderOptions::default()) {
        Ok(_) => panic!("loading should fail"),
        Err(e) => e.to_string(),
    }
}

everywhere! {
    fn scheme_names_round_trip() {
        for s in QuantScheme::ALL {
            assert_eq!(s.to_string().parse::<QuantScheme>().unwrap(), s);
        }
        assert_eq!("Q8_0".parse::<QuantScheme>().unwrap(), QuantScheme::Q8_0);
        let err = "q5_k".parse::<QuantScheme>().unwrap_err().to_string();
        assert!(err.contains("q5_k") && err.contains("q4_0"), "{err}");
    }

    fn blocks_are_ggml_reference_and_repacking_is_exact() {
        let (rows, cols) = (5, 96);
        let x = values(rows * cols, 1);
        for scheme in [QuantScheme::Q8_0, QuantScheme::Q4_0] {
            let q = lingbridge::model::quant::quantize_ggml(scheme, &x, &[rows, cols]).unwrap();
            // candle's blocks = GGML's reference quantizer.
            let candle = q.dequantize(&candle_core::Device::Cpu).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            assert_eq!(candle, reference_dequant(scheme, &x), "{scheme}: candle vs ggml reference");
            // The repacked words dequantize to exactly candle's values.
            let packed = PackedQuant::from_ggml(scheme, rows, cols, &q.data().unwrap()).unwrap();
            assert_eq!(packed.scales.len(), rows * cols / 32);
            assert_eq!(packed.words.len(), rows * cols / 32 * scheme.words_per_block());
            assert_eq!(packed.dequantize(), candle, "{scheme}: packed vs candle");
            assert_eq!(PackedQuant::quantize(scheme, &x, rows, cols).unwrap(), packed);
            // Row gather.
            let rows_got = packed.dequantize_rows(&[4, 0, 4]).unwrap();
            let want: Vec<f32> = [4, 0, 4].iter().flat_map(|&r| candle[r * cols..(r + 1) * cols].to_vec()).collect();
            assert_eq!(rows_got, want);
            assert!(packed.dequantize_rows(&[5]).unwrap_err().to_string().contains("out of range"));
        }
        // q4_0 nibble order: element 8w+i at bits 4i of word w (one block of -8·d … 7·d ramps).
        let ramp: Vec<f32> = (0..32).map(|i| (i % 16) as f32 - 8.0).collect();
        let p = PackedQuant::quantize(QuantScheme::Q4_0, &ramp, 1, 32).unwrap();
        assert_eq!(p.scales, vec![1.0]);
        assert_eq!(p.words, vec![0x7654_3210, 0xFEDC_BA98, 0x7654_3210, 0xFEDC_BA98]);
        let p = PackedQuant::quantize(QuantScheme::Q8_0, &ramp, 1, 32).unwrap();
        assert_eq!(p.words[0], u32::from_le_bytes([(-127i8) as u8, (-111i8) as u8, (-95i8) as u8, (-79i8) as u8]));
        assert!(PackedQuant::quantize(QuantScheme::Q8_0, &ramp[..31], 1, 31).is_err());
    }

    fn gguf_holds_every_file_and_the_encoder_runs_on_it() {
        let want = embed(&tiny_xlmr());
        let f32_size = gguf::write(&tiny_xlmr(), QuantScheme::F32).unwrap().bytes.len();
        for (scheme, min_cos) in [(QuantScheme::F32, 1.0), (QuantScheme::F16, 0.9999), (QuantScheme::Q8_0, 0.995), (QuantScheme::Q4_0, 0.98)] {
            let (files, q) = gguf_model(scheme);
            for name in ["config.json", "tokenizer.json", "modules.json", "1_Pooling/config.json", "config_sentence_transformers.json"] {
                assert_eq!(files.get(name), tiny_xlmr().get(name), "{scheme}: {name} embedded");
            }
            let got = embed(&files);
            let dim = 64;
            let worst_cos = got.chunks(dim).zip(want.chunks(dim)).map(|(g, w)| cosine(g, w)).fold(1.0, f64::min);
            let diff = max_abs_diff(&got, &want);
            eprintln!("{scheme}: {} bytes ({:.3} of f32), min cosine vs safetensors {worst_cos:.6}, max abs diff {diff:.2e}, tensors {:?}",
                q.bytes.len(), q.bytes.len() as f64 / f32_size as f64, q.counts());
            if scheme == QuantScheme::F32 {
                assert!(diff <= 1e-6, "f32 GGUF: max abs diff {diff:e}");
            } else {
                assert!(worst_cos >= min_cos, "{scheme}: cosine {worst_cos} < {min_cos}");
            }
            let weights = Weights::from_files(&files).unwrap();
            assert_eq!(weights.scheme(), scheme);
        }
    }

    fn quantized_cpu_weights_stay_close_to_f32_in_less_memory() {
        let texts = common::reference().sentences.into_iter().map(|s| s.text).collect::<Vec<_>>();
        for scheme in [QuantScheme::Q8_0, QuantScheme::Q4_0] {
            let (files, _) = gguf_model(scheme);
            let run = |cpu_weights| {
                let enc = Encoder::load(&files, &EncoderOptions { cpu_weights, ..EncoderOptions::default() }).expect("model loads");
                (enc.embed(&texts, TextKind::Passage).expect("embed").data, enc.cpu_weight_bytes().expect("CPU backend"))
            };
            let (want, f32_bytes) = run(CpuWeights::F32);
            let (got, q_bytes) = run(CpuWeights::Quantized);
            let worst = got.chunks(64).zip(want.chunks(64)).map(|(g, w)| cosine(g, w)).fold(1.0, f64::min);
            eprintln!("{scheme}: quantized CPU weights {q_bytes} B vs f32 {f32_bytes} B, min cosine {worst:.6}");
            // Only the activations' rounding to q8 differs (the matrices are the file's blocks either way).
            assert!(worst >= 0.995, "{scheme}: cosine {worst}");
            assert!(worst < 1.0 - 1e-7, "{scheme}: quantized weights gave exactly the f32 results: did the mode run?");
            assert!((q_bytes as f64) < 0.6 * f32_bytes as f64, "{scheme}: {q_bytes} B vs {f32_bytes} B");
        }
        // An f32 file has nothing to keep quantized: both modes are the same computation.
        let (files, _) = gguf_model(QuantScheme::F32);
        let emb = |cpu_weights| {
            Encoder::load(&files, &EncoderOptions { cpu_weights, ..EncoderOptions::default() }).unwrap().embed(&texts, TextKind::Passage).unwrap().data
        };
        assert_eq!(emb(CpuWeights::Quantized), emb(CpuWeights::F32));
    }

    fn weights_api_for_the_gpu_pass() {
        let (files, q) = gguf_model(QuantScheme::Q4_0);
        let counts = q.counts();
        // Per layer: query, key, value, FFN up in q4_0, both output projections q8_0; word embeddings q4_0.
        assert_eq!((counts.get(&QuantScheme::Q4_0), counts.get(&QuantScheme::Q8_0)), (Some(&13), Some(&6)));
        assert_eq!(gguf::tensor_scheme("encoder.layer.0.attention.self.value.weight", &[64, 64], QuantScheme::Q4_0), QuantScheme::Q4_0);
        assert_eq!(gguf::tensor_scheme("encoder.layer.0.output.dense.weight", &[64, 128], QuantScheme::Q4_0), QuantScheme::Q8_0);
        assert_eq!(gguf::tensor_scheme("encoder.layer.0.output.dense.weight", &[64, 100], QuantScheme::Q4_0), QuantScheme::F32);
        assert_eq!(gguf::tensor_scheme("encoder.layer.0.output.LayerNorm.weight", &[64], QuantScheme::F16), QuantScheme::F32);
        let w = Weights::from_files(&files).unwrap();
        let name = "encoder.layer.1.intermediate.dense.weight";
        let LinearWeight::Quant(p) = w.linear(name, 128, 64).unwrap() else { panic!("q4_0 linear stays packed") };
        assert_eq!((p.scheme, p.rows, p.cols), (QuantScheme::Q4_0, 128, 64));
        assert_eq!(p.dequantize(), w.f32(name, &[128, 64]).unwrap());
        let err = w.linear(name, 64, 128).unwrap_err().to_string();
        assert!(err.contains("shape") && err.contains(name), "{err}");
        assert!(w.f32("no.such.weight", &[1]).unwrap_err().to_string().contains("no tensor no.such.weight"));
        // Biases and LayerNorm stay f32: equal to the safetensors values.
        let st = Weights::from_files(&tiny_xlmr()).unwrap();
        let bias = "encoder.layer.0.output.dense.bias";
        assert_eq!(w.f32(bias, &[64]).unwrap(), st.f32(bias, &[64]).unwrap());
        assert_eq!(st.scheme(), QuantScheme::F32);
        assert!(matches!(st.linear(name, 128, 64).unwrap(), LinearWeight::F32(v) if v.len() == 128 * 64));
        // Embedding rows: gathered and dequantized on the CPU = rows of the whole table.
        let word = "embeddings.word_embeddings.weight";
        for weights in [&w, &st] {
            let table = weights.f32(word, &[615, 64]).unwrap();
            let ids = [0u32, 614, 5, 5];
            let rows = weights.embedding_rows(word, &ids, 64).unwrap();
            let want: Vec<f32> = ids.iter().flat_map(|&i| table[i as usize * 64..(i as usize + 1) * 64].to_vec()).collect();
            assert_eq!(rows, want);
            assert!(weights.embedding_rows(word, &[615], 64).unwrap_err().to_string().contains("out of range"));
            assert!(weights.embedding_rows(word, &[0], 32).is_err());
        }
        // Re-quantizing a GGUF file reads its embedded files and tensors.
        let again = gguf::write(&gguf_model(QuantScheme::F32).0, QuantScheme::Q8_0).unwrap();
        assert_eq!(again.counts().get(&QuantScheme::Q8_0), Some(&19));
    }

    fn pure_q4_0_is_smaller_and_requantizes_to_itself() {
        use gguf::Q4Outputs;
        assert_eq!(gguf::tensor_scheme_with("encoder.layer.0.output.dense.weight", &[64, 128], QuantScheme::Q4_0, Q4Outputs::Q4_0), QuantScheme::Q4_0);
        assert_eq!(gguf::tensor_scheme_with("encoder.layer.0.output.dense.weight", &[64, 128], QuantScheme::Q8_0, Q4Outputs::Q4_0), QuantScheme::Q8_0);
        assert_eq!(gguf::tensor_scheme_with("encoder.layer.0.output.dense.weight", &[64, 100], QuantScheme::Q4_0, Q4Outputs::Q4_0), QuantScheme::F32);
        let mixed = gguf::write(&tiny_xlmr(), QuantScheme::Q4_0).unwrap();
        let pure = gguf::write_with(&tiny_xlmr(), QuantScheme::Q4_0, Q4Outputs::Q4_0).unwrap();
        assert_eq!((pure.counts().get(&QuantScheme::Q4_0), pure.counts().get(&QuantScheme::Q8_0)), (Some(&19), None));
        assert!(pure.bytes.len() < mixed.bytes.len(), "{} vs {}", pure.bytes.len(), mixed.bytes.len());
        // Dequantized q4_0 values quantize back to the same blocks (what keeps a frozen word table exact when a
        // tuned model is written like its base), and the pure file still runs.
        let files = ModelFiles::new("pure").with("model.gguf", pure.bytes.clone());
        let again = gguf::write_with(&files, QuantScheme::Q4_0, Q4Outputs::Q4_0).unwrap();
        assert!(again.bytes == pure.bytes, "a pure q4_0 file re-quantizes to itself bit for bit");
        let (a, b) = (embed(&files), embed(&tiny_xlmr()));
        assert!(common::cosine(&a, &b) > 0.9, "pure q4_0 against f32: {}", common::cosine(&a, &b));
    }

    fn the_unused_pooler_is_left_out() {
        // An exported checkpoint carries BERT's pooler; no sentence embedding reads it, so a GGUF file drops it.
        let bytes = tiny_xlmr().get("model.safetensors").unwrap().to_vec();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let pooler: Vec<u8> = values(64 * 64, 3).iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut tensors = st.tensors();
        tensors.push(("pooler.dense.weight".to_string(), safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![64, 64], &pooler).unwrap()));
        let with_pooler = tiny_xlmr().with("model.safetensors", safetensors::serialize(tensors, None).unwrap());
        let q = gguf::write(&with_pooler, QuantScheme::Q8_0).unwrap();
        assert!(q.tensors.iter().all(|t| !t.name.starts_with("pooler.")));
        assert_eq!(q.bytes, gguf::write(&tiny_xlmr(), QuantScheme::Q8_0).unwrap().bytes);
    }

    fn malformed_gguf_is_an_error_not_a_panic() {
        let (_, q) = gguf_model(QuantScheme::Q8_0);
        let bytes = q.bytes;
        // Every cut: in the header, the metadata (tokenizer.json is a long string), the tensor directory, the data.
        let step = (bytes.len() / 300).max(1);
        for cut in (0..bytes.len()).step_by(step).chain([bytes.len() - 1]) {
            let files = ModelFiles::new("m").with("model.gguf", bytes[..cut].to_vec());
            let weights = Weights::from_files(&files);
            let Err(e) = weights else { panic!("a file cut at {cut} of {} loads", bytes.len()) };
            let msg = e.to_string();
            assert!(msg.contains("m/model.gguf"), "cut at {cut}: {msg}");
            assert!(matches!(e, lingbridge::Error::Invalid { .. }), "cut at {cut}: {msg}");
            if cut >= 4 {
                assert!(msg.contains("truncated"), "cut at {cut}: {msg}");
            }
            // The embedded files are then reported through the GGUF's problem, not as "missing".
            if let Err(e) = files.require("config.json", "test") {
                assert!(e.to_string().contains("model.gguf"), "cut at {cut}: {e}");
            }
        }
        let cut = ModelFiles::new("m").with("model.gguf", bytes[..bytes.len() / 2].to_vec());
        let err = load_err(&cut);
        assert!(err.contains("m/model.gguf") && err.contains("truncated"), "{err}");

        // A GGUF from another tool (no lingbridge keys), and one from a newer LingBridge.
        let foreign = {
            let t = candle_core::quantized::QTensor::quantize(
                &candle_core::Tensor::zeros((2, 32), candle_core::DType::F32, &candle_core::Device::Cpu).unwrap(),
                candle_core::quantized::GgmlDType::Q8_0,
            )
            .unwrap();
            let mut out = std::io::Cursor::new(Vec::new());
            let arch = candle_core::quantized::gguf_file::Value::String("llama".into());
            candle_core::quantized::gguf_file::write(&mut out, &[("general.architecture", &arch)], &[("w", &t)]).unwrap();
            out.into_inner()
        };
        let err = load_err(&ModelFiles::new("m").with("model.gguf", foreign));
        assert!(err.contains("m/model.gguf") && err.contains("not written by `lingbridge quantize`"), "{err}");
        let newer = {
            let mut b = bytes.clone();
            let key = gguf::KEY_FORMAT_VERSION.as_bytes();
            let at = b.windows(key.len()).position(|w| w == key).unwrap() + key.len() + 4; // key, then the u32 type
            b[at..at + 4].copy_from_slice(&99u32.to_le_bytes());
            b
        };
        let err = load_err(&ModelFiles::new("m").with("model.gguf", newer));
        assert!(err.contains("format version 99") && err.contains("update LingBridge"), "{err}");
        // Not GGUF at all under the GGUF name.
        let err = load_err(&ModelFiles::new("m").with("model.gguf", b"GGUF\x09\x00\x00\x00garbage".to_vec()));
        assert!(err.contains("m/model.gguf") && err.contains("not a readable GGUF"), "{err}");
    }
    fn large_files_travel_gzipped() {
        // A file of at least GZIP_FROM bytes is stored as base64 gzip (format 2) and reads back byte for byte;
        // small ones stay plain text, so the tiny fixtures' files are unchanged.
        let big: String = (0..6000).map(|i| format!("line {i}: ▁piece ▁مرحبا ▁你好\n")).collect();
        assert!(big.len() >= gguf::GZIP_FROM);
        let model = tiny_xlmr().with("README.md", big.clone().into_bytes());
        let q = gguf::write(&model, QuantScheme::Q8_0).unwrap();
        let has = |key: &str| q.bytes.windows(key.len()).any(|w| w == key.as_bytes());
        assert!(has("lingbridge.file_gzip.README.md") && !has("lingbridge.file.README.md"));
        assert!(has("lingbridge.file.tokenizer.json"), "a 38 kB tokenizer stays plain");
        assert!(q.bytes.len() < gguf::write(&tiny_xlmr(), QuantScheme::Q8_0).unwrap().bytes.len() + big.len() / 4, "compressed");
        let files = ModelFiles::new("m").with("model.gguf", q.bytes);
        assert_eq!(files.get("README.md"), Some(big.as_bytes()));
        assert_eq!(files.get("tokenizer.json"), tiny_xlmr().get("tokenizer.json"));
        assert_eq!(embed(&files), embed(&ModelFiles::new("n").with("model.gguf", gguf_model(QuantScheme::Q8_0).1.bytes)));
    }

    fn a_broken_gzipped_file_is_a_named_error() {
        use base64::Engine as _;
        let b64 = |z: &[u8]| base64::engine::general_purpose::STANDARD.encode(z);
        let gz = |bytes: &[u8]| {
            use std::io::Write as _;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(bytes).unwrap();
            e.finish().unwrap()
        };
        let tokenizer = tiny_xlmr().get("tokenizer.json").unwrap().to_vec();
        let whole = gz(&tokenizer);
        for (what, packed, want) in [
            ("not base64", "%%% not base64 %%%".to_string(), "not base64"),
            ("cut short", b64(&whole[..whole.len() / 2]), "not a whole gzip stream"),
            ("not gzip", b64(b"plain bytes, no gzip header"), "not a whole gzip stream"),
        ] {
            let files = with_embedded(&[("lingbridge.file_gzip.tokenizer.json", packed)]);
            let err = load_err(&files);
            assert!(err.contains("m/model.gguf") && err.contains("embedded tokenizer.json") && err.contains(want), "{what}: {err}");
        }
        // The same file both plain and gzipped is ambiguous.
        let text = String::from_utf8(tokenizer).unwrap();
        let files = with_embedded(&[("lingbridge.file_gzip.tokenizer.json", b64(&whole)), ("lingbridge.file.tokenizer.json", text)]);
        assert!(load_err(&files).contains("embedded twice"));
        // Without the breakage the hand-made file loads: the errors above are the streams', not the file's.
        let files = with_embedded(&[("lingbridge.file_gzip.tokenizer.json", b64(&whole))]);
        Encoder::load(&files, &EncoderOptions::default()).expect("a hand-made format-2 file loads");
    }
}

/// The tiny model as a GGUF whose metadata is written by hand: its files but `tokenizer.json`, plus `extra`.
fn with_embedded(extra: &[(&str, String)]) -> ModelFiles {
    use candle_core::quantized::gguf_file::{self, Value};
    let source = gguf_model(QuantScheme::F32).1.bytes;
    let content = gguf_file::Content::read(&mut std::io::Cursor::new(&source)).unwrap();
    let mut meta: Vec<(String, Value)> =
        content.metadata.iter().filter(|(k, _)| k.as_str() != "lingbridge.file.tokenizer.json").map(|(k, v)| (k.clone(), v.clone())).collect();
    meta.extend(extra.iter().map(|(k, v)| (k.to_string(), Value::String(v.clone()))));
    let mut cursor = std::io::Cursor::new(&source);
    let tensors: Vec<(String, candle_core::quantized::QTensor)> = content
        .tensor_infos
        .keys()
        .map(|name| (name.clone(), content.tensor(&mut cursor, name, &candle_core::Device::Cpu).unwrap()))
        .collect();
    let meta_refs: Vec<(&str, &Value)> = meta.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let tensor_refs: Vec<(&str, &candle_core::quantized::QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut out = std::io::Cursor::new(Vec::new());
    gguf_file::write(&mut out, &meta_refs, &tensor_refs).unwrap();
    ModelFiles::new("m").with("model.gguf", out.into_inner())
}

/// A gzip bomb (64 MiB + 1 of zeros in 65 kB) is refused by name, not expanded without bound. Native only: the
/// browser suites need not allocate 64 MiB to show the same code path.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn a_gzip_bomb_is_refused() {
    use base64::Engine as _;
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        e.write_all(&zeros).unwrap();
    }
    e.write_all(&[0]).unwrap();
    let z = e.finish().unwrap();
    let files = with_embedded(&[("lingbridge.file_gzip.tokenizer.json", base64::engine::general_purpose::STANDARD.encode(&z))]);
    let err = load_err(&files);
    assert!(err.contains("embedded tokenizer.json") && err.contains("expands beyond 64 MiB"), "{err}");
}
