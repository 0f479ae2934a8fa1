//! The wasm-bindgen API as the page's worker uses it: files in as Uint8Arrays, a Float32Array out,
//! errors as JS exceptions with the core's message. Browser only.
#![cfg(target_arch = "wasm32")]

mod common;

use common::{assert_close, reference, tiny_xlmr};
use lingbridge::web::Engine;
use wasm_bindgen::{JsCast, JsValue};
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
    let value: JsValue = err.into();
    value.dyn_into::<js_sys::Error>().expect("a JS Error").message().into()
}

#[wasm_bindgen_test]
fn embeds_through_the_js_api_like_hugging_face() {
    let engine = Engine::new(js_files(None), Some("tiny-xlmr".into()), None).unwrap();
    let reference = reference();
    // Kind "query" gets the model's prompt "query: ", as the reference's query_mean did in Python.
    let raw: Vec<String> = reference.sentences.iter().map(|s| s.text.clone()).collect();
    let out = engine.embed(raw.clone(), "query").unwrap().to_vec();
    assert_eq!(out.len(), raw.len() * engine.dim());
    for (i, s) in reference.sentences.iter().enumerate() {
        assert_close(&out[i * 64..(i + 1) * 64], &s.query_mean, &s.text);
    }
    assert_eq!(engine.token_ids(&reference.sentences[3].text).unwrap(), reference.sentences[3].ids);
    assert_eq!(engine.backend(), "cpu");
    let info: serde_json::Value = serde_json::from_str(&engine.info()).unwrap();
    assert_eq!(info["pooling"], "mean");
    assert_eq!(info["max_tokens"], 128);
}

#[wasm_bindgen_test]
fn errors_become_js_exceptions_with_the_message() {
    let err = Engine::new(js_files(Some("tokenizer.json")), Some("upload".into()), None).err().expect("must fail");
    assert!(message(err).contains("upload/tokenizer.json: missing"));
    let err = Engine::new(js_files(None), None, Some("max".into())).err().expect("must fail");
    assert!(message(err).contains("unknown pooling \"max\""));
    let engine = Engine::new(js_files(None), None, None).unwrap();
    let err = engine.embed(vec!["ok".into(), "".into()], "query").err().expect("must fail");
    assert!(message(err).contains("text #2 is empty"));
    let err = engine.embed(vec!["ok".into()], "document").err().expect("must fail");
    assert!(message(err).contains("unknown text kind"));
}
