//! The CPU encoder against Hugging Face: token ids exactly, embeddings within 1e-5 (cosine ≥ 0.99999),
//! natively and in headless Chrome from the same fixture bytes.

mod common;

use common::{assert_close, reference, tiny_xlmr};
use lingbridge::{Encoder, EncoderOptions, Pooling, Prefixes, TextKind};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn encoder(pooling: Option<Pooling>, prefixes: Option<Prefixes>) -> Encoder {
    let options = EncoderOptions { pooling, prefixes, ..EncoderOptions::default() };
    Encoder::load(&tiny_xlmr(), &options).expect("fixture loads")
}

fn texts() -> Vec<String> {
    reference().sentences.into_iter().map(|s| s.text).collect()
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
}
