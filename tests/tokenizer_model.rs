//! Our Unigram model stage (src/model/tokenizer/unigram.rs) against the tokenizers library's own `Unigram`, through
//! the same normaliser, pre-tokenizer and post-processor: ids, pieces and offsets must be identical. Run on the
//! vocabularies we ship or build — the tiny XLM-R fixture, the page's trimmed model (committed), the full
//! multilingual-e5-small tokenizer (`make base-model`) — over the built-in corpus and evaluation set, MLQA-R's
//! questions and sentences in seven languages (when the data is there; required in CI), and awkward texts.
#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;

use lingbridge::ModelFiles;
use lingbridge::model::tokenizer::{TextModel, Tokenizer};

/// Texts that reach the edges: unknown characters (alone, in runs, between pieces), the literal `<unk>`, marks,
/// scripts, digits, long words, odd spacing.
const AWKWARD: &[&str] = &[
    "", " ", "a", "<unk>", "x<unk>y", "🦜🦜 parrots 🦜", "𠜎𠜱𠝹𠱓 rare Han", "ℌ𝔢𝔩𝔩𝔬 fraktur", "e\u{301}te\u{301} composed?",
    "Ünïcödé wïth dïäcrïtïcs", "مرحبا بالعالم", "नमस्ते दुनिया", "สวัสดีชาวโลก", "こんにちは世界", "안녕하세요 세계",
    "Привет, мир!", "Γειά σου Κόσμε", "שלום עולם", "ሰላም ልዑል", "ᐊᐃᓐᓇᐅᔭᖅ", "z̸̢̛a̴l̷g̶o̵", "\u{200b}zero\u{200d}width\u{feff}",
    "tab\there\nnewline\r\nCRLF", "     many     spaces     ", "2024-12-05 13:45:00 +01:00, 3.14159, 1,000,000",
    "Pneumonoultramicroscopicsilicovolcanoconiosis", "donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft",
    "https://example.org/path?q=1&r=2#frag", "C++ / C# / F# — “quotes” ‘single’ «guillemets»", "ǅemal ǈubljana ǋegoš", "ﬁne ﬂow ﬀ",
    "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} family", "x\u{0}y", "\u{10FFFF}\u{E000}", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];

/// The library's tokenizer and ours from the same bytes; the files must use our Unigram stage.
fn both(bytes: &[u8], what: &str) -> (tokenizers::Tokenizer, Tokenizer) {
    let library = tokenizers::Tokenizer::from_bytes(bytes).unwrap_or_else(|e| panic!("{what}: the library: {e}"));
    let ours: Tokenizer = serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{what}: ours: {e}"));
    assert!(matches!(ours.get_model(), TextModel::Unigram(_)), "{what}: not read as a compact Unigram");
    assert_eq!(ours.get_vocab_size(true), library.get_vocab_size(true), "{what}: vocabulary size");
    (library, ours)
}

/// Every text encoded by both, with and without special tokens; returns how many texts were compared.
fn assert_same<S: AsRef<str>>(bytes: &[u8], what: &str, texts: &[S]) -> usize {
    let (library, ours) = both(bytes, what);
    for text in texts {
        let text = text.as_ref();
        for special in [true, false] {
            let want = library.encode(text, special).unwrap_or_else(|e| panic!("{what}: library on {text:?}: {e}"));
            let got = ours.encode(text, special).unwrap_or_else(|e| panic!("{what}: ours on {text:?}: {e}"));
            assert_eq!(got.get_ids(), want.get_ids(), "{what}: ids of {text:?}");
            assert_eq!(got.get_tokens(), want.get_tokens(), "{what}: pieces of {text:?}");
            assert_eq!(got.get_offsets(), want.get_offsets(), "{what}: offsets of {text:?}");
        }
    }
    for id in [0u32, 1, 2, 3, 100, ours.get_vocab_size(false) as u32 - 1, u32::MAX] {
        assert_eq!(ours.id_to_token(id), library.id_to_token(id), "{what}: piece of id {id}");
        if let Some(piece) = library.id_to_token(id) {
            assert_eq!(ours.token_to_id(&piece), library.token_to_id(&piece), "{what}: id of {piece:?}");
        }
    }
    texts.len()
}

/// The page's built-in texts: corpus passages, evaluation questions and sentences, the awkward ones.
fn builtin_texts() -> Vec<String> {
    let mut texts: Vec<String> = AWKWARD.iter().map(|s| s.to_string()).collect();
    for line in std::fs::read_to_string("www/demo/corpus.jsonl").expect("www/demo/corpus.jsonl").lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        texts.push(v["text"].as_str().expect("text").to_string());
    }
    for entry in std::fs::read_dir("www/demo/eval").expect("www/demo/eval").flatten() {
        if entry.path().extension().is_some_and(|e| e == "json") {
            collect_lareqa(&entry.path(), &mut texts, usize::MAX);
        }
    }
    texts
}

/// Questions and sentences of a LAReQA (XQuAD-R / MLQA-R) file, at most `limit`.
fn collect_lareqa(path: &Path, out: &mut Vec<String>, limit: usize) {
    fn walk(v: &serde_json::Value, key: Option<&str>, out: &mut Vec<String>, left: &mut usize) {
        if *left == 0 {
            return;
        }
        match v {
            serde_json::Value::String(s) if matches!(key, Some("question") | Some("sentences")) => {
                out.push(s.clone());
                *left -= 1;
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, key, out, left)),
            serde_json::Value::Object(map) => map.iter().for_each(|(k, i)| walk(i, Some(k), out, left)),
            _ => {}
        }
    }
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).expect("reads")).expect("JSON");
    let mut left = limit;
    walk(&v, None, out, &mut left);
}

#[test]
fn the_tiny_fixture_segments_as_the_library_does() {
    let bytes = std::fs::read("tests/fixtures/tiny-xlmr/tokenizer.json").expect("fixture");
    assert_same(&bytes, "tiny-xlmr", &builtin_texts());
}

#[test]
fn the_page_model_trimmed_vocabulary_segments_as_the_library_does() {
    let files = ModelFiles::from_path("models/e5-small-base.q4_0.gguf").expect("the committed page model");
    let bytes = files.get("tokenizer.json").expect("an embedded tokenizer.json");
    let n = assert_same(bytes, "e5-small-base.q4_0.gguf", &builtin_texts());
    assert!(n > 1000, "{n} texts");
}

#[test]
fn the_full_base_vocabulary_segments_as_the_library_does_on_mlqa_r() {
    let path = Path::new("models/base/tokenizer.json");
    if !path.exists() {
        assert!(!lingbridge::data_paths::in_ci(), "models/base is missing and CI=true: `make test` runs `make base-model` first");
        eprintln!("skipping: run `make base-model`");
        return;
    }
    let mut texts = builtin_texts();
    if let Some(dir) = lingbridge::data_paths::require_or_skip("mlqa-r") {
        for lang in ["ar", "de", "en", "es", "hi", "vi", "zh"] {
            collect_lareqa(&dir.join(format!("{lang}.json")), &mut texts, 3000);
        }
    }
    let n = assert_same(&std::fs::read(path).expect("reads"), "models/base", &texts);
    eprintln!("{n} texts tokenized identically");
}
