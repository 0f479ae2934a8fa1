//! The wasm-bindgen API as the page's worker uses it: files in as Uint8Arrays, a Float32Array out,
//! errors as JS exceptions with the core's message. Browser only.
#![cfg(target_arch = "wasm32")]

mod common;

use common::{assert_close, reference, tiny_xlmr};
use lingbridge::web::Engine;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn js_files(skip: Option<&str>) -> js_sys::Object {
    let files = tiny_xlmr();
    let obj = js_sys::Object::new();
    for name in files.names().filter(|n| Some(*n) != skip) {
        let bytes = js_sys::Uint8Array::from(files.get(name).unwrap());
        js_sys::Reflect::set(&obj, &name.into(), &bytes).unwrap();
    }
    obj
}

fn message(err: wasm_bindgen::JsError) -> String {
    js_message(err.into())
}

fn js_message(value: JsValue) -> String {
    value.dyn_into::<js_sys::Error>().expect("a JS Error").message().into()
}

async fn engine(skip: Option<&str>, pooling: Option<&str>, backend: &str) -> Result<Engine, wasm_bindgen::JsError> {
    Engine::create(js_files(skip), Some("tiny-xlmr".into()), pooling.map(Into::into), Some(backend.into())).await
}

async fn embed(engine: &Engine, texts: &[&str], kind: &str) -> Result<Vec<f32>, String> {
    let texts = texts.iter().map(|t| t.to_string()).collect();
    match JsFuture::from(engine.embed(texts, kind.into())).await {
        Ok(v) => Ok(js_sys::Float32Array::new(&v).to_vec()),
        Err(e) => Err(js_message(e)),
    }
}

#[wasm_bindgen_test]
async fn embeds_through_the_js_api_like_hugging_face() {
    let reference = reference();
    let raw: Vec<&str> = reference.sentences.iter().map(|s| s.text.as_str()).collect();
    // The CPU engine and the WebGPU one (SwiftShader in headless Chrome; the CPU again, saying why, where a browser
    // has no WebGPU): both must give Hugging Face's numbers — the GPU within the tolerance of tests/gpu_backend.rs.
    for backend in ["cpu", "gpu"] {
        let engine = engine(None, None, backend).await.unwrap();
        // Kind "query" gets the model's prompt "query: ", as the reference's query_mean did in Python.
        let out = embed(&engine, &raw, "query").await.unwrap();
        assert_eq!(out.len(), raw.len() * engine.dim());
        let info: serde_json::Value = serde_json::from_str(&engine.backend_info()).unwrap();
        assert_eq!(info["name"], engine.backend());
        for (i, s) in reference.sentences.iter().enumerate() {
            let got = &out[i * 64..(i + 1) * 64];
            if engine.backend() == "cpu" {
                assert_close(got, &s.query_mean, &s.text);
            } else {
                let cos = common::cosine(got, &s.query_mean);
                assert!(cos >= 0.9999, "{}: cosine {cos} on {info}", s.text);
            }
        }
        assert_eq!(engine.token_ids(&reference.sentences[3].text).unwrap(), reference.sentences[3].ids);
        let model: serde_json::Value = serde_json::from_str(&engine.info()).unwrap();
        assert_eq!(model["pooling"], "mean");
        assert_eq!(model["max_tokens"], 128);
        assert_eq!(model["backend"]["name"], engine.backend());
        if backend == "gpu" && common::gpu::in_ci() {
            assert_eq!(engine.backend(), "gpu", "CI's Chrome has WebGPU: {info}");
        }
    }
    assert_eq!(engine(None, None, "cpu").await.unwrap().backend(), "cpu");
}

#[wasm_bindgen_test]
async fn errors_become_js_exceptions_with_the_message() {
    let err = engine(Some("tokenizer.json"), None, "cpu").await.err().expect("must fail");
    assert!(message(err).contains("tiny-xlmr/tokenizer.json: missing"));
    let err = engine(None, Some("max"), "cpu").await.err().expect("must fail");
    assert!(message(err).contains("unknown pooling \"max\""));
    let err = engine(None, None, "tpu").await.err().expect("must fail");
    assert!(message(err).contains("unknown backend \"tpu\""));
    let engine = engine(None, None, "cpu").await.unwrap();
    let err = embed(&engine, &["ok", ""], "query").await.unwrap_err();
    assert!(err.contains("text #2 is empty"), "{err}");
    let err = embed(&engine, &["ok"], "document").await.unwrap_err();
    assert!(err.contains("unknown text kind"), "{err}");
}
