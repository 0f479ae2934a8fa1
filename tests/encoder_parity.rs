//! The CPU encoder against Hugging Face: token ids exactly, embeddings within 1e-5 (cosine ≥ 0.99999),
//! natively and in headless Chrome from the same fixture bytes — for the tiny XLM-R and the two tiny BERT fixtures
//! (WordPiece + mean pooling + prompts; LaBSE's CLS → Dense(tanh) → Normalize head, against sentence-transformers).

mod common;

use common::{BertReference, assert_close, reference, tiny_xlmr};
use lingbridge::model::PoolingMode;
use lingbridge::{Encoder, EncoderOptions, ModelFiles, Pooling, Prefixes, TextKind};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn encoder(pooling: Option<Pooling>, prefixes: Option<Prefixes>) -> Encoder {
    let options = EncoderOptions { pooling, prefixes, ..EncoderOptions::default() };
    Encoder::load(&tiny_xlmr(), &options).expect("fixture loads")
}

fn texts() -> Vec<String> {
    reference().sentences.into_iter().map(|s| s.text).collect()
}

/// Ids exactly and every sentence's embedding (all in one padded batch) within 1e-5 of `want`.
fn check_bert(enc: &Encoder, reference: &BertReference, kind: TextKind, want: impl Fn(usize) -> Vec<f32>) {
    assert!(reference.sentences.len() >= 10);
    assert_eq!((enc.tokenizer().max_tokens, enc.dim()), (reference.max_tokens, reference.dim));
    for s in &reference.sentences {
        assert_eq!(enc.tokenizer().ids(&s.text).unwrap(), s.ids, "ids of {:?}", s.text);
    }
    assert!(reference.sentences.iter().any(|s| s.ids.len() == reference.max_tokens), "a sentence is truncated");
    let texts: Vec<&str> = reference.sentences.iter().map(|s| s.text.as_str()).collect();
    let got = enc.embed(&texts, kind).unwrap();
    let mut worst = 0f32;
    for (i, s) in reference.sentences.iter().enumerate() {
        assert_close(got.row(i), &want(i), &s.text);
        worst = worst.max(common::max_abs_diff(got.row(i), &want(i)));
    }
    eprintln!("{} sentences: max abs diff {worst:.2e} vs the reference", reference.sentences.len());
}

fn load(files: &ModelFiles, prefixes: Option<Prefixes>) -> Encoder {
    Encoder::load(files, &EncoderOptions { prefixes, ..EncoderOptions::default() }).expect("fixture loads")
}

everywhere! {
    fn token_ids_equal_hugging_face() {
        let enc = encoder(None, None);
        let reference = reference();
        assert!(reference.sentences.len() >= 20);
        for s in &reference.sentences {
            assert_eq!(enc.tokenizer().ids(&s.text).unwrap(), s.ids, "ids of {:?}", s.text);
        }
        // The overlong sentence is cut at the model's limit, as Python's tokenizer did.
        assert!(reference.sentences.iter().any(|s| s.ids.len() == reference.max_tokens));
        assert_eq!(enc.tokenizer().max_tokens, reference.max_tokens);
    }

    fn mean_pooled_embeddings_match_hugging_face() {
        let enc = encoder(None, Some(Prefixes::none()));
        assert_eq!(enc.pooling(), Pooling::Mean, "modules.json → 1_Pooling says mean");
        let reference = reference();
        let got = enc.embed(&texts(), TextKind::Passage).unwrap();
        assert_eq!((got.len(), got.dim), (reference.sentences.len(), reference.dim));
        for (i, s) in reference.sentences.iter().enumerate() {
            assert_close(got.row(i), &s.mean, &s.text);
        }
    }

    fn cls_pooled_embeddings_match_hugging_face() {
        let enc = encoder(Some(Pooling::Cls), Some(Prefixes::none()));
        let got = enc.embed(&texts(), TextKind::Query).unwrap();
        for (i, s) in reference().sentences.iter().enumerate() {
            assert_close(got.row(i), &s.cls, &s.text);
        }
    }

    fn query_prefix_comes_from_the_model_prompts() {
        let enc = encoder(None, None);
        assert_eq!(enc.tokenizer().prefixes, Prefixes::e5());
        let got = enc.embed(&texts(), TextKind::Query).unwrap();
        for (i, s) in reference().sentences.iter().enumerate() {
            assert_close(got.row(i), &s.query_mean, &s.text);
        }
    }

    fn a_sentence_alone_equals_the_same_sentence_in_a_padded_batch() {
        let enc = encoder(None, Some(Prefixes::none()));
        let texts = texts();
        // One forward pass over everything, in input order: every short row carries padding.
        let batch = enc.tokenizer().batch(&texts, TextKind::Passage).unwrap();
        assert!(batch.mask.contains(&0), "the batch must be padded");
        let padded = enc.embed_tokens(&batch).unwrap();
        let dim = enc.dim();
        for (i, text) in texts.iter().enumerate() {
            let alone = enc.embed(&[text], TextKind::Passage).unwrap();
            let diff = common::max_abs_diff(alone.row(0), &padded[i * dim..(i + 1) * dim]);
            assert!(diff <= 1e-6, "{text:?}: alone vs padded batch differ by {diff:e}");
        }
    }

    fn batch_size_does_not_change_results() {
        let texts = texts();
        let one = Encoder::load(&tiny_xlmr(), &EncoderOptions { batch_size: 1, ..Default::default() }).unwrap();
        let many = Encoder::load(&tiny_xlmr(), &EncoderOptions { batch_size: 7, ..Default::default() }).unwrap();
        let (a, b) = (one.embed(&texts, TextKind::Passage).unwrap(), many.embed(&texts, TextKind::Passage).unwrap());
        assert!(common::max_abs_diff(&a.data, &b.data) <= 1e-6);
    }

    fn masked_lm_checkpoints_with_the_roberta_prefix_load_the_same() {
        use safetensors::SafeTensors;
        let files = tiny_xlmr();
        let bytes = files.get("model.safetensors").unwrap().to_vec();
        let st = SafeTensors::deserialize(&bytes).unwrap();
        let renamed: Vec<(String, safetensors::tensor::TensorView<'_>)> =
            st.tensors().into_iter().map(|(name, view)| (format!("roberta.{name}"), view)).collect();
        let prefixed = safetensors::serialize(renamed, None).unwrap();
        let files = files.with("model.safetensors", prefixed);
        let enc = Encoder::load(&files, &EncoderOptions { prefixes: Some(Prefixes::none()), ..Default::default() }).unwrap();
        let reference = reference();
        let got = enc.embed(&[&reference.sentences[0].text], TextKind::Passage).unwrap();
        assert_close(got.row(0), &reference.sentences[0].mean, "roberta.-prefixed weights");
    }

    fn bert_wordpiece_ids_and_mean_embeddings_match_hugging_face() {
        let reference = common::bert_wordpiece_reference();
        let files = common::tiny_bert_wordpiece();
        let enc = load(&files, Some(Prefixes::none()));
        assert_eq!(enc.config().family(), lingbridge::model::Family::Bert);
        assert_eq!(enc.pooling(), PoolingMode::Mean);
        check_bert(&enc, &reference, TextKind::Passage, |i| reference.sentences[i].embedding.clone());
        // The model's prompts: "query: " in front, through the same head.
        let prompted = load(&files, None);
        assert_eq!(prompted.tokenizer().prefixes, Prefixes::e5());
        let texts: Vec<&str> = reference.sentences.iter().map(|s| s.text.as_str()).collect();
        let got = prompted.embed(&texts, TextKind::Query).unwrap();
        for (i, s) in reference.sentences.iter().enumerate() {
            assert_close(got.row(i), s.query_embedding.as_deref().expect("query reference"), &s.text);
        }
    }

    fn max_pooling_matches_sentence_transformers() {
        // The same checkpoint with its Pooling module switched to max (sentence-transformers ≥ 5 config format).
        let reference = common::bert_wordpiece_reference();
        let files = common::tiny_bert_wordpiece().with("1_Pooling/config.json", br#"{"embedding_dimension": 32, "pooling_mode": "max"}"#.to_vec());
        let enc = load(&files, Some(Prefixes::none()));
        assert_eq!(enc.pooling(), PoolingMode::Max);
        check_bert(&enc, &reference, TextKind::Passage, |i| reference.sentences[i].max.clone().expect("max reference"));
    }

    fn labse_like_head_matches_sentence_transformers() {
        // CLS → Dense(32 → 32, tanh) → Normalize, and sentence_bert_config's max_seq_length 48 under 64 positions.
        let reference = common::labse_reference();
        let enc = load(&common::tiny_labse(), None);
        assert_eq!((enc.pooling(), enc.head().dense.len()), (PoolingMode::Cls, 1));
        assert_eq!(enc.head().dense[0].activation, lingbridge::model::DenseActivation::Tanh);
        check_bert(&enc, &reference, TextKind::Query, |i| reference.sentences[i].embedding.clone());
    }
}

/// Native: the model directory reader loads the Dense folder modules.json names, and a pickle next to it is
/// refused by name rather than ignored.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn labse_directory_reads_its_dense_folder() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny-labse");
    let files = ModelFiles::from_dir(dir).unwrap();
    assert!(files.get("2_Dense/model.safetensors").is_some() && files.get("2_Dense/config.json").is_some());
    let reference = common::labse_reference();
    let enc = load(&files, None);
    let got = enc.embed(&[&reference.sentences[0].text], TextKind::Passage).unwrap();
    assert_close(got.row(0), &reference.sentences[0].embedding, "from_dir");
    let pickled = common::tiny_labse().with("2_Dense/pytorch_model.bin", vec![0x80, 2]);
    let mut without = ModelFiles::new("tiny-labse");
    for name in pickled.names().filter(|n| *n != "2_Dense/model.safetensors") {
        without.insert(name, pickled.get(name).unwrap().to_vec());
    }
    let err = Encoder::load(&without, &EncoderOptions::default()).err().expect("a pickle is refused").to_string();
    assert!(err.contains("tiny-labse/2_Dense/pytorch_model.bin: unsupported"), "{err}");
}
