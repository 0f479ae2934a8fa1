//! Bad model files and bad input: every failure is an error that names the file (or the input) and the
//! problem — never a panic. Runs natively and in the browser, since users load their own files in both.

mod common;

use common::tiny_xlmr;
use lingbridge::{Encoder, EncoderOptions, ModelFiles, TextKind};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn load_err(files: &ModelFiles) -> String {
    match Encoder::load(files, &EncoderOptions::default()) {
        Ok(_) => panic!("loading should fail"),
        Err(e) => e.to_string(),
    }
}

fn without(name: &str) -> ModelFiles {
    let full = tiny_xlmr();
    let mut files = ModelFiles::new(full.source.clone());
    for n in full.names().filter(|n| *n != name) {
        files.insert(n, full.get(n).unwrap().to_vec());
    }
    files
}

fn with_config(edit: impl FnOnce(&mut serde_json::Value)) -> ModelFiles {
    let files = tiny_xlmr();
    let mut config: serde_json::Value = serde_json::from_slice(files.get("config.json").unwrap()).unwrap();
    edit(&mut config);
    files.with("config.json", serde_json::to_vec(&config).unwrap())
}

fn assert_mentions(err: &str, parts: &[&str]) {
    for p in parts {
        assert!(err.contains(p), "error {err:?} should mention {p:?}");
    }
}

everywhere! {
    fn missing_files_are_named() {
        assert_mentions(&load_err(&without("config.json")), &["tiny-xlmr/config.json", "missing"]);
        assert_mentions(&load_err(&without("model.safetensors")), &["tiny-xlmr/model.safetensors", "missing"]);
        assert_mentions(&load_err(&without("tokenizer.json")), &["tiny-xlmr/tokenizer.json", "missing"]);
        assert_mentions(&load_err(&without("1_Pooling/config.json")), &["tiny-xlmr/1_Pooling/config.json", "missing"]);
    }

    fn malformed_json_names_file_and_position() {
        let files = tiny_xlmr().with("config.json", b"{\"hidden_size\": 64,".to_vec());
        assert_mentions(&load_err(&files), &["tiny-xlmr/config.json", "invalid JSON", "line 1"]);
        let files = tiny_xlmr().with("tokenizer.json", b"[1, 2".to_vec());
        assert_mentions(&load_err(&files), &["tiny-xlmr/tokenizer.json", "invalid JSON"]);
        let files = with_config(|c| c["hidden_size"] = "sixty-four".into());
        assert_mentions(&load_err(&files), &["config.json", "hidden_size"]);
    }

    fn other_families_are_rejected_by_name() {
        // Both families that share our forward pass load; the BERT family is told apart by model_type or,
        // without it, by architectures.
        let bert = with_config(|c| {
            c.as_object_mut().unwrap().remove("model_type");
            c["architectures"] = serde_json::json!(["BertModel"]);
        });
        let config = lingbridge::model::EncoderConfig::from_files(&bert).unwrap();
        assert_eq!(config.family(), lingbridge::model::Family::Bert);
        let err = load_err(&with_config(|c| c["model_type"] = "gpt2".into()));
        assert_mentions(&err, &["config.json", "unsupported", "gpt2", "xlm-roberta", "bert"]);
        // DistilBERT names its tensors differently and has no token types: refused, not loaded wrongly.
        let err = load_err(&with_config(|c| c["model_type"] = "distilbert".into()));
        assert_mentions(&err, &["unsupported", "distilbert"]);
        let err = load_err(&with_config(|c| {
            let c = c.as_object_mut().unwrap();
            c.remove("model_type");
            c.remove("architectures");
        }));
        assert_mentions(&err, &["neither model_type nor architectures"]);
    }

    fn unsupported_config_values_are_named() {
        assert_mentions(&load_err(&with_config(|c| c["hidden_act"] = "swish".into())), &["hidden_act", "swish", "gelu"]);
        assert_mentions(
            &load_err(&with_config(|c| c["position_embedding_type"] = "relative_key".into())),
            &["position_embedding_type", "relative_key"],
        );
        assert_mentions(&load_err(&with_config(|c| c["num_attention_heads"] = 5.into())), &["not a multiple"]);
    }

    fn truncated_weights_are_reported() {
        let files = tiny_xlmr();
        let bytes = files.get("model.safetensors").unwrap();
        let cut = files.clone().with("model.safetensors", bytes[..bytes.len() / 2].to_vec());
        assert_mentions(&load_err(&cut), &["tiny-xlmr/model.safetensors", "truncated"]);
        let tiny = files.with("model.safetensors", vec![1, 2, 3]);
        assert_mentions(&load_err(&tiny), &["model.safetensors", "safetensors"]);
    }

    fn wrong_tensor_shapes_name_the_tensor() {
        // config.json says 8 heads × 16 = 128 hidden while the weights are 64 wide.
        let err = load_err(&with_config(|c| c["hidden_size"] = 128.into()));
        assert_mentions(&err, &["model.safetensors", "tensor embeddings.word_embeddings.weight has shape [615, 64], expected [615, 128]"]);
        let err = load_err(&with_config(|c| c["num_hidden_layers"] = 4.into()));
        assert_mentions(&err, &["model.safetensors", "encoder.layer.3"]);
    }

    fn unsupported_dtypes_are_named() {
        let data: Vec<u8> = vec![0; 16];
        let view = safetensors::tensor::TensorView::new(safetensors::Dtype::I32, vec![4], &data).unwrap();
        let bytes = safetensors::serialize([("embeddings.word_embeddings.weight", view)], None).unwrap();
        let err = load_err(&tiny_xlmr().with("model.safetensors", bytes));
        assert_mentions(&err, &["model.safetensors", "embeddings.word_embeddings.weight", "I32"]);
    }

    fn bert_layout_weights_are_rejected() {
        let files = tiny_xlmr();
        let bytes = files.get("model.safetensors").unwrap().to_vec();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let renamed: Vec<_> = st.tensors().into_iter().map(|(n, v)| (format!("bert.x.{n}"), v)).collect();
        let err = load_err(&files.clone().with("model.safetensors", safetensors::serialize(renamed, None).unwrap()));
        assert_mentions(&err, &["model.safetensors", "embeddings.word_embeddings.weight", "BERT"]);
    }

    fn tokenizer_larger_than_the_embedding_table_is_refused() {
        let err = load_err(&with_config(|c| c["vocab_size"] = 100.into()));
        assert_mentions(&err, &["tokenizer.json", "615 tokens", "vocab_size is 100"]);
    }

    fn bad_texts_are_input_errors() {
        let enc = Encoder::load(&tiny_xlmr(), &EncoderOptions::default()).unwrap();
        let none: [&str; 0] = [];
        assert_mentions(&enc.embed(&none, TextKind::Query).unwrap_err().to_string(), &["no texts"]);
        let err = enc.embed(&["fine", "  "], TextKind::Query).unwrap_err().to_string();
        assert_mentions(&err, &["text #2 is empty"]);
        // Enormous input is truncated, not refused.
        let huge = "Rivers carry water. ".repeat(5000);
        let got = enc.embed(&[huge], TextKind::Passage).unwrap();
        assert_eq!(got.len(), 1);
        assert!(got.data.iter().all(|x| x.is_finite()));
    }

    fn zero_batch_size_is_refused() {
        let options = EncoderOptions { batch_size: 0, ..Default::default() };
        match Encoder::load(&tiny_xlmr(), &options) {
            Ok(_) => panic!("batch size 0 must be refused"),
            Err(e) => assert_mentions(&e.to_string(), &["batch size"]),
        }
    }
}
