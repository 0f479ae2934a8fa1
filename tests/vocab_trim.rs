//! Vocabulary trimming (src/model/trim.rs) on the tiny XLM-R fixture: texts of the corpus give identical ids (through
//! the kept-id table) and identical embeddings, unseen text in a covered script never becomes `<unk>`, GGUF rows
//! are the original blocks bit for bit, and malformed inputs give named errors.

mod common;

use common::{max_abs_diff, tiny_bert_wordpiece, tiny_xlmr};
use lingbridge::model::trim::{self, Plan, Scripts};
use lingbridge::model::{QuantScheme, gguf};
use lingbridge::{Encoder, EncoderOptions, Error, ModelFiles, TextKind};

const WORD_TABLE: &str = "embeddings.word_embeddings.weight";

/// The corpus: the fixture's Latin, Cyrillic, Greek and Han sentences.
fn corpus() -> Vec<String> {
    [
        "Where does the train to the capital leave from?",
        "How many hours is the library open every day?",
        "Wann öffnet die Bibliothek am Morgen?",
        "Когда открывается библиотека?",
        "Πού πηγαίνουν τα ποτάμια;",
        "图书馆几点开门？",
        "Numbers: 2024, 3.14 and 1,000,000.",
    ]
    .map(String::from)
    .to_vec()
}

fn trimmed_files(model: &ModelFiles, plan: &Plan) -> ModelFiles {
    let out = trim::trim_model(model, plan).expect("trims");
    let mut files = ModelFiles::new("trimmed");
    for (name, bytes) in out.files {
        files.insert(name, bytes);
    }
    files
}

fn embed(files: &ModelFiles, texts: &[String], kind: TextKind) -> Vec<f32> {
    Encoder::load(files, &EncoderOptions::default()).expect("loads").embed(texts, kind).expect("embeds").data
}

#[test]
fn corpus_texts_keep_their_ids_and_embeddings() {
    let model = tiny_xlmr();
    let texts = corpus();
    let plan = trim::plan_model(&model, &texts, &Scripts::Auto).unwrap();
    assert!(plan.kept.len() < plan.original, "{} of {}", plan.kept.len(), plan.original);
    assert!(plan.kept.windows(2).all(|w| w[0] < w[1]), "original order kept");
    assert_eq!(&plan.kept[..5], &[0, 1, 2, 3, 4], "specials keep their ids");
    assert!(plan.unk_tokens > 0, "the tiny vocabulary lacks some Han characters: <unk> must survive trimming too");
    let trimmed = trimmed_files(&model, &plan);

    let (a, b) = (Encoder::load(&model, &EncoderOptions::default()).unwrap(), Encoder::load(&trimmed, &EncoderOptions::default()).unwrap());
    assert_eq!(b.tokenizer().vocab_size(), plan.kept.len());
    assert_eq!(b.config().vocab_size, plan.kept.len(), "config.json vocab_size = pieces kept");
    assert_eq!(b.config().pad_token_id, a.config().pad_token_id);
    for kind in [TextKind::Query, TextKind::Passage] {
        let (ia, ib) = (a.tokenizer().encode_all(&texts, kind).unwrap(), b.tokenizer().encode_all(&texts, kind).unwrap());
        for (x, y) in ia.iter().zip(&ib) {
            let back: Vec<u32> = y.iter().map(|&i| plan.kept[i as usize]).collect();
            assert_eq!(&back, x, "ids map back through the kept-id table");
        }
        let (ea, eb) = (a.embed(&texts, kind).unwrap().data, b.embed(&texts, kind).unwrap().data);
        assert_eq!(ea, eb, "{kind:?}: bitwise equal (max diff {})", max_abs_diff(&ea, &eb));
    }
    let original = model.get("tokenizer.json").unwrap();
    let c = trim::compare(original, trimmed.get("tokenizer.json").unwrap(), &plan, &texts).unwrap();
    assert_eq!((c.changed, c.more_unk), (0, 0), "{c:?}");
}

#[test]
fn unseen_text_in_a_covered_script_never_becomes_unk() {
    let model = tiny_xlmr();
    let plan = trim::plan_model(&model, &corpus(), &Scripts::Auto).unwrap();
    assert!(plan.scripts.iter().any(|s| s == "Latn") && plan.scripts.iter().any(|s| s == "Cyrl"), "{:?}", plan.scripts);
    let trimmed = trimmed_files(&model, &plan);
    let (a, b) = (Encoder::load(&model, &EncoderOptions::default()).unwrap(), Encoder::load(&trimmed, &EncoderOptions::default()).unwrap());
    let unseen = ["Rivers carry water to the sea.", "Quiet zebras jumped over vexing walls", "Москва река", "Les rivières façonnent les vallées"];
    let unk = 3;
    for text in unseen {
        let (x, y) = (a.tokenizer().ids(text).unwrap(), b.tokenizer().ids(text).unwrap());
        let (ux, uy) = (x.iter().filter(|&&i| i == unk).count(), y.iter().filter(|&&i| i == unk).count());
        assert!(uy <= ux, "{text}: {ux} <unk> before, {uy} after ({x:?} → {y:?})");
    }
    // A script the corpus never used: its single characters are not kept (Thai), so the trimming is real.
    assert!(!plan.scripts.iter().any(|s| s == "Thai"));
}

#[test]
fn explicit_scripts_and_parsing() {
    assert_eq!("auto".parse::<Scripts>().unwrap(), Scripts::Auto);
    assert!(matches!("Latn, Cyrl".parse::<Scripts>().unwrap(), Scripts::Only(s) if s.len() == 2));
    let err = "Latn,Klingon".parse::<Scripts>().unwrap_err();
    assert!(err.to_string().contains("Klingon"), "{err}");
    let model = tiny_xlmr();
    let latin = trim::plan_model(&model, &corpus()[..2], &"Latn".parse().unwrap()).unwrap();
    let thai = trim::plan_model(&model, &corpus()[..2], &"Latn,Thai".parse().unwrap()).unwrap();
    assert!(thai.kept.len() > latin.kept.len(), "Thai single characters added: {} vs {}", thai.kept.len(), latin.kept.len());
}

#[test]
fn q4_0_gguf_rows_are_the_original_blocks() {
    let model = tiny_xlmr();
    let q = gguf::write(&model, QuantScheme::Q4_0).unwrap();
    let input = ModelFiles::new("tiny.q4_0.gguf").with("model.gguf", q.bytes.clone());
    let texts = corpus();
    let plan = trim::plan_model(&input, &texts, &Scripts::Auto).unwrap();
    let out = trim::trim_model(&input, &plan).unwrap();
    assert_eq!(out.files.keys().collect::<Vec<_>>(), ["model.gguf"], "a GGUF input gives one GGUF file");
    let written = &out.files["model.gguf"];
    assert!(written.len() < q.bytes.len());

    let (dtype, dims, old) = trim::tensor_bytes(&q.bytes, "in", WORD_TABLE).unwrap();
    let (dtype2, dims2, new) = trim::tensor_bytes(written, "out", WORD_TABLE).unwrap();
    assert_eq!(dtype, candle_core::quantized::GgmlDType::Q4_0);
    assert_eq!((dtype2, dims2.clone()), (dtype, vec![plan.kept.len(), dims[1]]));
    let row = old.len() / dims[0];
    for (new_id, &old_id) in plan.kept.iter().enumerate() {
        assert_eq!(&new[new_id * row..(new_id + 1) * row], &old[old_id as usize * row..(old_id as usize + 1) * row], "row {old_id}");
    }
    // Every other tensor is carried byte for byte.
    for entry in &q.tensors {
        if entry.name != WORD_TABLE {
            assert_eq!(trim::tensor_bytes(&q.bytes, "in", &entry.name).unwrap(), trim::tensor_bytes(written, "out", &entry.name).unwrap());
        }
    }
    let trimmed = ModelFiles::new("trimmed.gguf").with("model.gguf", written.clone());
    for kind in [TextKind::Query, TextKind::Passage] {
        let (ea, eb) = (embed(&input, &texts, kind), embed(&trimmed, &texts, kind));
        assert_eq!(ea, eb, "{kind:?}: bitwise equal (max diff {})", max_abs_diff(&ea, &eb));
    }
}

#[test]
fn config_keeps_its_text_but_vocab_size() {
    let config = tiny_xlmr().get("config.json").unwrap().to_vec();
    let new = trim::rewrite_config(&config, "config.json", 123).unwrap();
    let (a, b) = (String::from_utf8(config).unwrap(), String::from_utf8(new).unwrap());
    assert_eq!(b, a.replace("\"vocab_size\": 615", "\"vocab_size\": 123"));
}

#[test]
fn malformed_inputs_give_named_errors() {
    let texts = corpus();
    // WordPiece (BERT) tokenizer.
    let err = trim::plan_model(&tiny_bert_wordpiece(), &texts, &Scripts::Auto).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }) && err.to_string().contains("only Unigram"), "{err}");
    // A BPE tokenizer.json.
    let bpe = br#"{"version":"1.0","added_tokens":[],"normalizer":null,"pre_tokenizer":null,"post_processor":null,"decoder":null,
        "model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":[]}}"#;
    let err = trim::plan(bpe, "bpe/tokenizer.json", &Default::default(), &texts, &Scripts::Auto).unwrap_err();
    assert!(err.to_string().contains("bpe/tokenizer.json") && err.to_string().contains("only Unigram") && err.to_string().contains("BPE"), "{err}");
    // Empty corpus.
    let empty: [&str; 2] = ["", "  "];
    let err = trim::plan_model(&tiny_xlmr(), &empty, &Scripts::Auto).unwrap_err();
    assert!(matches!(err, Error::Input(_)) && err.to_string().contains("corpus"), "{err}");
    // Missing files.
    let mut no_tokenizer = ModelFiles::new("m");
    no_tokenizer.insert("config.json", b"{}".to_vec());
    let err = trim::plan_model(&no_tokenizer, &texts, &Scripts::Auto).unwrap_err();
    assert!(matches!(err, Error::MissingFile { .. }) && err.to_string().contains("m/tokenizer.json"), "{err}");
    let plan = trim::plan_model(&tiny_xlmr(), &texts, &Scripts::Auto).unwrap();
    let only_tokenizer = ModelFiles::new("m").with("tokenizer.json", tiny_xlmr().get("tokenizer.json").unwrap().to_vec());
    let err = trim::trim_model(&only_tokenizer, &plan).unwrap_err();
    assert!(err.to_string().contains("m/config.json"), "{err}");
    let mut no_weights = only_tokenizer.clone();
    no_weights.insert("config.json", tiny_xlmr().get("config.json").unwrap().to_vec());
    let err = trim::trim_model(&no_weights, &plan).unwrap_err();
    assert!(err.to_string().contains("m/model.safetensors"), "{err}");
    // Broken JSON, and a vocabulary entry that is not a pair.
    let err = trim::plan(b"{not json", "t.json", &Default::default(), &texts, &Scripts::Auto).unwrap_err();
    assert!(matches!(err, Error::Json { .. }), "{err}");
    let odd = br#"{"model":{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0.0],["a"]]}}"#;
    let err = trim::plan(odd, "t.json", &Default::default(), &texts, &Scripts::Auto).unwrap_err();
    assert!(err.to_string().contains("model.vocab[1]"), "{err}");
    // A truncated weights file.
    let mut truncated = tiny_xlmr();
    let st = truncated.get("model.safetensors").unwrap().to_vec();
    truncated.insert("model.safetensors", st[..st.len() / 2].to_vec());
    let err = trim::trim_model(&truncated, &plan).unwrap_err();
    assert!(err.to_string().contains("model.safetensors"), "{err}");
    // A plan whose ids lie past the word table (a tokenizer larger than the table).
    let mut wide = plan.clone();
    wide.kept.push(100_000);
    let err = trim::tables::trim_safetensors(tiny_xlmr().get("model.safetensors").unwrap(), "w.safetensors", &wide.kept).unwrap_err();
    assert!(err.to_string().contains("uses id 100000"), "{err}");
}

/// `--max-pieces`: the corpus pieces used least go first, never a special or a single character, so no text
/// gains an `<unk>`; the texts that used a dropped piece segment into more, shorter pieces.
#[test]
fn a_piece_limit_leaves_out_the_least_used_corpus_pieces_and_never_makes_unk() {
    let model = tiny_xlmr();
    let texts = corpus();
    let full = trim::plan_model(&model, &texts, &Scripts::Auto).unwrap();
    assert_eq!(full.clone().limit(full.kept.len()).unwrap().kept, full.kept, "a plan within the limit is unchanged");
    let max = full.kept.len() - 5;
    let cut = full.clone().limit(max).unwrap();
    assert_eq!((cut.kept.len(), cut.dropped, cut.kept_by.corpus), (max, 5, full.kept_by.corpus - 5));
    assert!(cut.dropped_max_uses >= 1);
    let original = model.get("tokenizer.json").unwrap();
    let json: serde_json::Value = serde_json::from_slice(original).unwrap();
    let piece = |id: u32| json["model"]["vocab"][id as usize][0].as_str().unwrap().to_string();
    for id in full.kept.iter().filter(|id| !cut.kept.contains(id)) {
        assert!(*id >= 5, "special {id} dropped");
        assert!(piece(*id).trim_start_matches('▁').chars().count() > 1, "single character {:?} dropped", piece(*id));
    }
    let trimmed = trimmed_files(&model, &cut);
    let c = trim::compare(original, trimmed.get("tokenizer.json").unwrap(), &cut, &texts).unwrap();
    assert!(c.changed > 0 && c.more_unk == 0 && c.tokens_after > c.tokens_before, "{c:?}");
    assert!(c.token_growth() > 0.0 && c.example.is_some());
    // The trimmed model still loads and embeds every text.
    assert_eq!(embed(&trimmed, &texts, TextKind::Query).len(), texts.len() * 64);

    let err = full.limit(3).unwrap_err().to_string();
    assert!(err.contains("must stay"), "{err}");
}
